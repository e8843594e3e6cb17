"""`yimen households import`: adopt a county's existing roll (a second door, as thin as a route)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from engine.data import roll, roll_file
from engine.people import accounts
from engine.store.errors import Invalid

from .extensions import db


@click.group("households")
def households() -> None:
    """Enrolled households."""


@households.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--region", required=True, help="org code of the district or township")
@click.option("--procedure", default=None,
              help="identification procedure the households are recorded under "
                   "(default: the region's only one)")
@click.option("--as", "username", default=None, help="act as this admin or district user")
def households_import(file: Path, region: str, procedure: str | None,
                      username: str | None) -> None:
    """Load an existing roll (xlsx, one row per member), all or nothing, with a report."""
    from .cli import _app

    with _app().app_context():
        actor = accounts.by_username(db.session, username) if username else None
        try:
            result = roll.import_roll(db.session, actor, region, file.read_bytes(), file.name,
                                      procedure)
        except Invalid as err:
            click.echo(f"错误：{err}", err=True)
            for row, column, message in roll_file.problem_rows(err.fields):
                where = f"第 {row} 行 {column}" if row else column
                click.echo(f"  - {where}：{message}", err=True)
            sys.exit(1)
        for h in result.households:
            click.echo(f"第 {h.rows[0]}–{h.rows[1]} 行  户 {h.code}  {h.village}  {h.head_name}  "
                       f"{h.persons} 人  {h.monthly_amount} 元/月  → 家庭 {h.household_id}")
        click.echo(f"已导入 {result.record.households} 户 {result.record.persons} 人"
                   f"（第 {result.record.id} 批）")
