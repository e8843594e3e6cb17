"""`json_pairs(a, b)`: an aggregate giving one JSON array of `[a, b]` per row, written in each
database's own JSON functions, so that rows of another table ride along in one query (a case's
submitted forms with the task being completed: no extra round trip)."""

from __future__ import annotations

from sqlalchemy import JSON
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class json_pairs(FunctionElement):  # noqa: N801 - named like the SQL functions it stands for
    """JSON array of [a, b] per aggregated row; NULL when there are no rows."""

    type = JSON()
    inherit_cache = True


@compiles(json_pairs, "postgresql")
def _postgresql(element, compiler, **kw) -> str:
    first, second = element.clauses
    return (f"json_agg(json_build_array({compiler.process(first, **kw)}, "
            f"{compiler.process(second, **kw)}))")


@compiles(json_pairs, "sqlite")
def _sqlite(element, compiler, **kw) -> str:
    first, second = element.clauses
    return (f"json_group_array(json_array({compiler.process(first, **kw)}, "
            f"json({compiler.process(second, **kw)})))")
