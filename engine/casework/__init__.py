"""Casework: moving cases through their procedures.

Owns: `cases` (opening and reading a case), `tasks` (the inbox and completing a step),
`instances` (the one function that moves a case, and keeping task rows in step with it),
`notices` and `objections` (公示 and the public's objections), `timers`, `escalation`, `overdue`,
`deadlines` (due dates set once the calendar covers them), `reviews` (yearly reviews), `jobs`
(bulk jobs), `attachments`, `notifications`, `workspace` (reads the web workspace needs,
and `powers`: what its navigation offers).
May import: engine.store, engine.time, engine.people, engine.workflow, engine.money.
"""
