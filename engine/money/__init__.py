"""Households and money: the roll, each region's dated standard, benefits, statistics.

Owns: `households` (the roll, 动态管理), `standards` (低保标准 by region and date),
`standard_operations` (the service task that publishes one, and a bundle's `standards.csv`),
`benefits` (top-ups recorded at approval and recalculated in bulk; the service tasks
`recalculate_topups`, `end_benefit`, `adjust_benefit`), `stats` (补差水平 and the monthly
figures), `monthly` (统计月报 and the public
figures), `programs` (support programs matched by a bundle's COLLECT table).
May import: engine.store, engine.time, engine.people, engine.workflow.
"""


def register() -> None:
    """Register what money adds to procedures: its service operations
    (engine.workflow.operations) and the bundle file `standards.csv`
    (engine.workflow.procedures.bundle_file). Deploy checks and running steps need them, so
    whoever builds the app, the worker or the CLI calls this once first: web/__init__.py
    `create_app` (the CLI and worker run under it) and engine/demo.py. Idempotent."""
    from engine.money import benefits, programs, standard_operations  # noqa: F401 - they register
