"""Time: the working-day calendar (holidays, 调休, local days) and the engine's clock.

Owns: `calendar` (working days, due dates, the helpers designer text may call), `clock` (the
one "now", fixable for tests and replay, and the bridge for SpiffWorkflow's timers).
May import: engine.store.
"""
