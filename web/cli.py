"""The `yimen` command: a second door into the engine, as thin as a route."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from pathlib import Path

import click
from flask import Flask

from engine import demo, money
from engine.casework import deadlines, reviews
from engine.data import crosscheck
from engine.money import standards
from engine.people import accounts, orgs
from engine.store import audit
from engine.store.errors import DomainError, Invalid
from engine.store.models import ROLES
from engine.time import calendar, clock
from engine.workflow import designer, procedures

from . import create_app, worker_loop
from .extensions import db


def _app() -> Flask:
    return create_app()


def _fail(err: DomainError) -> None:
    click.echo(f"错误：{err}", err=True)
    for name, messages in (getattr(err, "fields", None) or {}).items():
        if name.startswith("rows.") and name[5:].isdigit():  # a file's row: 第 N 行
            name = f"第 {name[5:]} 行"
        for message in messages:
            click.echo(f"  - {name}: {message}" if name not in ("files", "file") else
                       f"  - {message}", err=True)
    sys.exit(1)


class DomainErrorsGroup(click.Group):
    """Every domain error becomes a clear message and exit status 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except DomainError as err:
            _fail(err)


@click.group(cls=DomainErrorsGroup)
def main() -> None:
    """一门 Yimen: social-assistance approvals on BPMN."""


def upgrade_schema(app: Flask) -> None:
    """Migrate to the newest schema and seed the national calendar years it lacks."""
    from flask_migrate import upgrade

    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        deadlines.seed_calendar(db.session)


@main.command("init-db")
def init_db() -> None:
    """Create or upgrade the schema (Alembic migrations)."""
    app = _app()
    upgrade_schema(app)
    click.echo("数据库已就绪")


def _serve(app: Flask, host: str, port: int, with_worker: bool = False) -> None:
    """Serve with gunicorn; `with_worker` also runs `yimen worker` beside it (for `yimen demo`,
    so that notices and deadlines move on by themselves on a one-machine install)."""
    from gunicorn.app.base import BaseApplication

    beside: list[subprocess.Popen] = []

    def start_worker(_server) -> None:
        beside.append(subprocess.Popen([sys.executable, "-c", "from web.cli import main; main()",
                                        "worker"]))

    def stop_worker(_server) -> None:
        for process in beside:
            process.terminate()
            process.wait(timeout=10)

    class Server(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", 2)
            self.cfg.set("threads", 4)
            self.cfg.set("accesslog", "-")
            if with_worker:
                self.cfg.set("when_ready", start_worker)
                self.cfg.set("on_exit", stop_worker)

        def load(self):
            return app

    click.echo(f"一门已启动：http://{host}:{port}")
    Server().run()


@main.command()
@click.option("--no-serve", is_flag=True, help="load the demo and exit")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
def demo_cmd(no_serve: bool, host: str, port: int) -> None:
    """Init the database, load the demo once, then serve."""
    app = _app()
    upgrade_schema(app)
    with app.app_context():
        loaded = demo.load(db.session)
    click.echo("演示数据已加载" if loaded else "演示数据已存在，保留现有数据")
    if not no_serve:
        _serve(app, host, port, with_worker=True)


main.add_command(demo_cmd, "demo")


@main.command()
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
def serve(host: str, port: int) -> None:
    """Serve the web app and API."""
    _serve(_app(), host, port)


@main.group()
def org() -> None:
    """Org units."""


@org.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def org_import(file: Path) -> None:
    """Upsert org units from CSV: code,name,level,parent_code."""
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise Invalid({"file": ["文件不是 UTF-8 编码"]}, "无法读取机构文件") from None
    with _app().app_context():
        created, updated = orgs.import_csv(db.session, text)
    click.echo(f"新增 {created} 个机构，更新 {updated} 个机构")


@main.group()
def user() -> None:
    """Users."""


@user.command("add")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--org", "org_code", required=True)
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
@click.option("--name", "display_name", default="")
def user_add(username: str, role: str, org_code: str, password_stdin: bool,
             display_name: str) -> None:
    """Create a user with one role and one org unit."""
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    with _app().app_context():
        accounts.add_user(db.session, username, role, org_code, password, display_name)
    click.echo(f"已创建用户 {username}")


@user.command("passwd")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
def user_passwd(username: str, password_stdin: bool) -> None:
    """Set USERNAME's password (asked for twice unless --password-stdin); the user must
    change it at next sign-in, and their tokens and sessions end."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("新密码", hide_input=True, confirmation_prompt="再次输入新密码")
    with _app().app_context():
        accounts.set_password(db.session, username, password)
    click.echo(f"已设置用户 {username} 的密码，该用户下次登录时须修改密码")


@user.command("deactivate")
@click.argument("username")
def user_deactivate(username: str) -> None:
    """Stop USERNAME from signing in or using the API (sessions and tokens end at once)."""
    with _app().app_context():
        accounts.set_active(db.session, username, False)
    click.echo(f"已停用用户 {username}，其会话和令牌已全部失效")


@user.command("activate")
@click.argument("username")
def user_activate(username: str) -> None:
    """Let a deactivated USERNAME sign in again (old tokens stay revoked)."""
    with _app().app_context():
        accounts.set_active(db.session, username, True)
    click.echo(f"已启用用户 {username}")


@main.command()
@click.argument("words", nargs=-1, required=True, metavar="USERNAME | revoke USERNAME")
@click.option("--days", default=accounts.TOKEN_DAYS, show_default=True, type=int,
              help="days the new token stays valid")
def token(words: tuple[str, ...], days: int) -> None:
    """`yimen token USERNAME` prints a new API bearer token (and nothing else);
    `yimen token revoke USERNAME` revokes every token of that user."""
    if len(words) == 2 and words[0] == "revoke":
        with _app().app_context():
            count = accounts.revoke_tokens(db.session, words[1])
        click.echo(f"已吊销用户 {words[1]} 的 {count} 个令牌")
        return
    if len(words) != 1:
        raise click.UsageError(
            "用法：yimen token USERNAME [--days N] 或 yimen token revoke USERNAME")
    with _app().app_context():
        user = accounts.by_username(db.session, words[0])
        click.echo(accounts.issue_token(db.session, user, days))


@main.command()
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--region", required=True, help="org code of the region")
@click.option("--as", "username", default=None,
              help="deploy as this designer or admin: only for their org or one below it "
                   "(without it, as the machine's operator, unrestricted)")
def deploy(directory: Path, region: str, username: str | None) -> None:
    """Deploy the procedure bundle in DIRECTORY for a region."""
    with _app().app_context():
        actor = accounts.by_username(db.session, username) if username else None
        versions = procedures.deploy(db.session, actor, region,
                                     procedures.read_bundle_dir(directory))
        for v in versions:
            click.echo(f"{v.key} v{v.version}")
        if not versions:
            click.echo("no process changed: nothing deployed")


@main.command()
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
def check(directory: Path) -> None:
    """Check the bundle in DIRECTORY as deploy would, deploying nothing."""
    money.register()  # its service operations, as deploy sees them (no app is built here)
    problems = designer.validate_bundle(procedures.read_bundle_dir(directory))
    for problem in problems:
        click.echo(f"  - {problem}", err=True)
    if problems:
        click.echo(f"流程包校验未通过，共 {len(problems)} 个问题", err=True)
        sys.exit(1)
    click.echo("流程包校验通过，可以部署")


def _parse_now(value: str | None) -> datetime | None:
    """An ISO 8601 instant; without an offset it is China's time (a date: its midnight)."""
    if not value:
        return None
    try:
        now = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter("应为 ISO 8601 时间，如 2026-12-01T09:00:00+08:00") from None
    if now.tzinfo is None:
        now = now.replace(tzinfo=calendar.CHINA)
    years = calendar.YEARS
    if now.year not in years:
        raise click.BadParameter(f"时间应在 {years.start}–{years.stop - 1} 年之间")
    return now


@main.command()
@click.option("--once", is_flag=True, help="run one pass and exit")
@click.option("--now", "now_text", help="take this ISO 8601 instant as the current time")
@click.option("--interval", default=30, type=int, help="seconds between passes")
def worker(once: bool, now_text: str | None, interval: int) -> None:
    """Fire due timers, escalations and notifications; share bulk jobs chunk by chunk."""
    with _app().app_context():
        worker_loop.run(_parse_now(now_text), once, interval)


@main.command("yearly-review")
@click.option("--region", required=True, help="org code of the district")
@click.option("--user", "username", required=True, help="the district official or admin")
@click.option("--procedure", default=None,
              help="the review procedure; by default the region's only one")
def yearly_review(region: str, username: str, procedure: str | None) -> None:
    """Queue the yearly review (年度复核) of every active household of a region."""
    with _app().app_context():
        job = reviews.start_yearly(db.session, accounts.by_username(db.session, username),
                                   region, procedure)
        click.echo(f"任务 {job.id}：{job.total} 户待发起复核（由 yimen worker 分批发起）")


@main.group("calendar")
def calendar_group() -> None:
    """The working-day calendar."""


@calendar_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--region", default=None, help="org code whose local days these are")
def calendar_import(file: Path, region: str | None) -> None:
    """Load rows date,is_workday,note: a year's exceptions to Monday–Friday."""
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise Invalid({"file": ["文件不是 UTF-8 编码"]}, "无法读取日历文件") from None
    with _app().app_context():
        years = deadlines.import_calendar(db.session, text, region)
    click.echo(f"已导入 {'、'.join(str(y) for y in years)} 年工作日历")


@calendar_group.command("show")
@click.argument("year", type=int)
def calendar_show(year: int) -> None:
    """Print a year's exceptions, or say that the year is not covered."""
    with _app().app_context():
        view = calendar.show(db.session, year)
    if not view.covered:
        click.echo(f"{year} 年未覆盖：请用 yimen calendar import 导入当年节假日安排")
        return
    for day, workday, note, region in view.days:
        where = f" [{region}]" if region else ""
        click.echo(f"{day.isoformat()},{'true' if workday else 'false'},{note}{where}")


@main.group("crosscheck")
def crosscheck_group() -> None:
    """Cross-checks against other bureaus' lists (区级比对)."""


@crosscheck_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source", required=True, help="the bureau: " + ", ".join(crosscheck.SOURCES))
@click.option("--region", required=True, help="org code of the district (or township)")
@click.option("--as", "username", default=None, help="load as this district official or admin")
def crosscheck_import(file: Path, source: str, region: str, username: str | None) -> None:
    """Load a list (CSV or xlsx: id_number,name,finding[,as_of]), replacing the source's
    previous list for the region, and match every running case and enrolled household."""
    with _app().app_context():
        actor = accounts.by_username(db.session, username) if username else None
        found = crosscheck.import_list(db.session, actor, source, region, file.name,
                                       file.read_bytes())
        click.echo(f"已导入 {found.row_count} 行（SHA-256 {found.sha256}），开始比对")
        hits = crosscheck.match(db.session, found, progress=lambda done, total: click.echo(
            f"  比对进度 {done}/{total}"))
    click.echo(f"比对完成：命中 {hits} 人次")


@main.group("standard")
def standard_group() -> None:
    """Regional standards (低保标准), yuan per person, dated."""


@standard_group.command("add")
@click.option("--region", required=True, help="org code of the region")
@click.option("--from", "effective_from", required=True, help="YYYY-MM-DD, in force from")
@click.option("--amount", required=True, help="yuan per person")
@click.option("--period", required=True, help="month or year")
@click.option("--scheme", default=standards.DEFAULT_SCHEME, show_default=True)
@click.option("--document", default="", help="document number and title")
def standard_add(region: str, effective_from: str, amount: str, period: str, scheme: str,
                 document: str) -> None:
    """Add a dated standard for a region."""
    with _app().app_context():
        row = standards.add(db.session, region, effective_from, amount, period, scheme,
                            document, source="cli")
        click.echo(f"已录入：{row.region.code} {row.scheme} {row.effective_from} 起 "
                   f"{row.amount} {standards.PERIODS[row.period]}")


@standard_group.command("show")
@click.option("--region", required=True, help="org code of the region")
def standard_show(region: str) -> None:
    """A region's standards, in force and past, newest first."""
    with _app().app_context():
        rows = standards.history(db.session, region)
        states = standards.states(rows, calendar.local_date(clock.now()))
        if not rows:
            click.echo(f"{region} 尚无标准")
        for row, state in zip(rows, states, strict=True):
            click.echo(f"{row.effective_from} {row.scheme} {row.amount} "
                       f"{standards.PERIODS[row.period]} {standards.STATES[state]} "
                       f"{row.document}".rstrip())


@main.group("audit")
def audit_group() -> None:
    """The tamper-evident audit trail."""


@audit_group.command("verify")
def audit_verify() -> None:
    """Check every audit hash chain and every case's application digest; exit 1 on the
    first mismatch."""
    with _app().app_context():
        result = audit.verify(db.session)
    if not result.ok:
        click.echo(f"审计校验未通过：{result.problem}", err=True)
        sys.exit(1)
    click.echo(f"审计校验通过：{result.events} 条审计事件、"
               f"{result.cases} 件案件的申请材料均未被篡改")
    click.echo(f"链头根摘要：{result.root}")


if __name__ == "__main__":  # pragma: no cover
    main()


from .cli_roll import households  # noqa: E402  (its own module: cli.py is near 400 lines)

main.add_command(households)
