"""The district's data: ledgers and exports (and, as they land, bureau lists, cross-checks,
roll import and payroll).

Owns: `ledgers` (台账: every case an org may see, with the figures a ledger lists).
May import: every other engine package.
"""
