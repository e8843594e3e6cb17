"""People and places: the org tree, accounts and tokens, and scope (who may see and do what).

Owns: `orgs` (district → township → village, assessors), `accounts` (passwords, lockout,
tokens), `passwords` (hashes with the standard library, in the format Werkzeug stored),
`scope` (every visibility and permission question about cases and tasks).
May import: engine.store, engine.time.
"""
