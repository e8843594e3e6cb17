"""Casework: moving cases through their procedures.

Owns: `cases` (opening and reading a case), `tasks` (the inbox and completing a step),
`moves` (the one function that moves a case, and the context a step runs with), `instances`
(keeping task and notice rows in step with the workflow after a move), `notices` (公示 and
the public's objections), `objections` (officials' view and reply), `timers`, `migration`
(moving a running case to a procedure's newest version), `escalation`, `overdue`,
`deadlines` (due dates set once the calendar covers them, and the calendar import that does
it), `reviews` (yearly reviews), `jobs` (bulk jobs), `attachments`, `notifications`,
`workspace` (reads the web workspace needs, and `powers`: what its navigation offers),
`hits` (a case's cross-check hits), `standing` (what a case waits on, its award and
its people's names, for its page's header), `household_file` (a household's page), `documents` (what
printed documents show).
May import: engine.store, engine.time, engine.people, engine.workflow, engine.money.
"""
