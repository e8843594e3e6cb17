"""Hot statements compiled once per process and sent to the driver as SQL text.

Why: on a completion, SQLAlchemy's compiled-statement path (cache key, bind-parameter
construction, type processing) was a share of the CPU of the one statement that writes
everything (engine.store.oneshot); here it is paid once, 1.8 % of a completion's instructions.
Here the statement is compiled once for the connection's dialect; each run
only applies the bind processors of the parameters given and goes through
`Connection.exec_driver_sql`, so SQLAlchemy's events, logging and error translation still see
it (a counted round trip is still counted; an IntegrityError is still an IntegrityError).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.expression import Executable


@dataclass(frozen=True)
class Precompiled:
    """SQL text in the dialect's parameter style, its fixed parameters and bind processors."""

    sql: str
    fixed: dict[str, Any]
    processors: dict[str, Callable[[Any], Any]]

    def run(self, connection: Connection, params: Mapping[str, Any]):
        """Execute with `params` (by bind name) and return SQLAlchemy's result."""
        processors = self.processors
        bound = dict(self.fixed)
        for name, value in params.items():
            process = processors.get(name)
            bound[name] = value if process is None else process(value)
        return connection.exec_driver_sql(self.sql, bound)


def precompile(statement: Executable, dialect: Dialect) -> Precompiled:
    """Compile `statement` for `dialect`; binds without a value must be given to `run`.

    Named parameters only (psycopg's `%(name)s`; for SQLite the writer of engine.store.oneshot
    compiles against the dialect made with `paramstyle="named"`, as sqlite3 takes `:name`):
    a positional dialect is refused, as is a statement that expands at execution (an `IN` of
    a list)."""
    compiled = statement.compile(dialect=dialect)
    if compiled.positional or "POSTCOMPILE" in compiled.string:
        raise ValueError("named, fully rendered parameters only")
    fixed, processors = {}, {}
    for bind, name in compiled.bind_names.items():
        if not bind.required:
            value = bind.effective_value
            process = compiled._bind_processors.get(name)
            fixed[name] = value if process is None else process(value)
        elif (process := compiled._bind_processors.get(name)) is not None:
            processors[name] = process
    return Precompiled(compiled.string, fixed, processors)
