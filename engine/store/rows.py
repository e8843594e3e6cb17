"""Writing many new rows at once: COPY on PostgreSQL, multi-row INSERT elsewhere.

A bulk job writes a few tables' worth of rows per chunk (engine/casework/bulk.py). A
multi-row INSERT of 1,000 rows is one long statement that the driver must parse each time
(psycopg's placeholder conversion took a quarter of the time); COPY sends the rows as data.
Ids the caller needs first (to link rows of other tables) are drawn from the table's own
sequence in one statement, so the rows are the same as an INSERT would have made.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Table, TypeDecorator, bindparam, func, insert, select, text, update
from sqlalchemy.orm import Session


def _postgres(db: Session) -> bool:
    return db.get_bind().dialect.name == "postgresql"


def _ids(db: Session, table: Table, count: int) -> list[int]:
    sequence = db.scalar(select(func.pg_get_serial_sequence(table.name, "id")))
    return list(db.scalars(text("SELECT nextval(:s) FROM generate_series(1, :n) ORDER BY 1"),
                           {"s": sequence, "n": count}))


def _copy(db: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    from psycopg.types.json import Jsonb

    columns = list(rows[0])
    json = {n for n, name in enumerate(columns) if isinstance(table.c[name].type, JSON)}
    dialect = db.get_bind().dialect
    decorated = {n: table.c[name].type for n, name in enumerate(columns)
                 if isinstance(table.c[name].type, TypeDecorator)}  # e.g. PackedJSON
    raw = db.connection().connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(
            f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([
                decorated[n].process_bind_param(v, dialect) if n in decorated
                else Jsonb(v) if n in json and v is not None else v
                for n, v in enumerate(row.values())])


def add(db: Session, table: Table, rows: list[dict[str, Any]], ids: bool = False
        ) -> list[int]:
    """Insert `rows` (dicts with the same keys) in the caller's transaction; with `ids`, the
    new rows' ids in the order of `rows` (else an empty list)."""
    if not rows:
        return []
    if not _postgres(db):
        if not ids:
            db.execute(insert(table), rows)
            return []
        return list(db.scalars(insert(table).returning(table.c.id,
                                                        sort_by_parameter_order=True), rows))
    new = _ids(db, table, len(rows)) if ids else []
    if ids:
        rows = [{"id": i, **row} for i, row in zip(new, rows, strict=True)]
    _copy(db, table, rows)
    return new


def set_by_id(db: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """UPDATE rows by id (dicts: "id" and the same columns to set)."""
    if not rows:
        return
    columns = [c for c in rows[0] if c != "id"]
    if _postgres(db):  # one statement over arrays, not one per row
        values = ", ".join(f"{c} = v.{c}" for c in columns)
        arrays = ", ".join(f"CAST(:{c} AS {table.c[c].type.compile(db.get_bind().dialect)}[])"
                           for c in ["id", *columns])
        db.execute(text(f"UPDATE {table.name} SET {values} FROM unnest({arrays}) "
                        f"AS v(id, {', '.join(columns)}) WHERE {table.name}.id = v.id"),
                   {c: [r[c] for r in rows] for c in ["id", *columns]})
        return
    db.execute(update(table).where(table.c.id == bindparam("_id")).values(
        {c: bindparam(f"_{c}") for c in columns}),
        [{f"_{k}": v for k, v in r.items()} for r in rows])
