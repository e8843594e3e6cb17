"""Time: the working-day calendar (holidays, 调休, local days) and the engine's clock.

Owns: `calendar` (working days, due dates, the functions designer text may call, bound to a
step by engine.workflow.bridge), `clock` (the one "now", movable for tests).
May import: engine.store.
"""
