"""The district's data: ledgers and exports (and, as they land, bureau lists, cross-checks,
roll import and payroll).

Owns: `ledgers` (台账: every case an org may see, with the figures a ledger lists);
`crosscheck` and `crosscheck_file` (区级比对: bureau lists loaded, matched in bulk, hits
explained, the review list of enrolled households; a case's own hits are
`engine.casework.hits`, which casework needs without reaching up here);
`roll` and `roll_file` (adopting a county's existing roll: reading, checking every row, loading
all or nothing); `payroll` (the monthly 发放花名册 and the district's confirmation that freezes it).
May import: every other engine package.
"""
