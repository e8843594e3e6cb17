"""How things are kept: the models, exact money, the unit of work, the audit chain, domain errors.

Owns: `models` (every table), `amounts` (Decimal yuan rounded once to the fen), `uow` (the one
commit point), `audit` (the hash-chained trail and the application digest it checks),
`errors` (domain errors, mapped to HTTP once in web/errors.py), `db` (engine settings for
SQLite and PostgreSQL).
May import: nothing else in engine/.
"""
