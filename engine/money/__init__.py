"""Households and money: the roll, each region's dated standard, benefits, statistics.

Owns: `households` (the roll, 动态管理), `standards` (低保标准 by region and date),
`standard_operations` (the service task that publishes one), `benefits` (top-ups recorded at
approval and recalculated in bulk), `stats` (补差水平), `monthly` (统计月报 and the public
figures), `programs` (support programs matched by a bundle's COLLECT table).
May import: engine.store, engine.time, engine.people, engine.workflow.
"""
