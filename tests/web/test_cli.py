"""The `yimen` command: clear messages and non-zero exits for bad input."""

import re

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from engine.people import accounts
from engine.store.models import OrgUnit, User
from tests.factories import LINZI, ORGS
from web import cli


@pytest.fixture
def run(app, monkeypatch):
    monkeypatch.setattr(cli, "_app", lambda: app)

    def invoke(*args, stdin=None):
        return CliRunner().invoke(cli.main, list(args), input=stdin)
    return invoke


def test_org_import_user_add_token_and_deploy(run, tmp_path, db):
    csv = tmp_path / "orgs.csv"
    csv.write_text(ORGS, encoding="utf-8")
    res = run("org", "import", str(csv))
    assert res.exit_code == 0 and "新增 7" in res.output
    assert "更新 7" in run("org", "import", str(csv)).output
    res = run("user", "add", "zhang", "--role", "village", "--org", "V11", "--password-stdin",
              stdin="long-enough-pw\n")
    assert res.exit_code == 0, res.output
    assert accounts.check_password(db, "zhang", "long-enough-pw").org.code == "V11"
    token = run("token", "zhang")
    assert token.exit_code == 0 and len(token.output.strip()) > 30
    assert accounts.user_for_token(db, token.output.strip()).username == "zhang"
    res = run("deploy", str(LINZI), "--region", "D1")
    lines = res.output.strip().splitlines()
    assert res.exit_code == 0 and "linzi_identification v1" in lines
    assert all(re.fullmatch(r"[a-z_]+ v1", line) for line in lines)
    again = run("deploy", str(LINZI), "--region", "D1")  # the same files: no new version
    assert (again.exit_code, again.output) == (0, "no process changed: nothing deployed\n")


def test_bad_inputs_exit_non_zero_with_a_message(run, tmp_path):
    bad = tmp_path / "orgs.csv"
    bad.write_text("code,name,level,parent_code\nX,某村,village,NOPE\nY,某地,planet,\n")
    res = run("org", "import", str(bad))
    assert res.exit_code == 1 and "NOPE" in res.output and "planet" in res.output
    res = run("user", "add", "li", "--role", "village", "--org", "NOPE")
    assert res.exit_code == 1 and "NOPE" in res.output
    assert run("token", "nobody").exit_code == 1
    good = tmp_path / "orgs-good.csv"
    good.write_text(ORGS, encoding="utf-8")
    assert run("org", "import", str(good)).exit_code == 0
    broken = tmp_path / "bundle"
    broken.mkdir()
    (broken / "x.bpmn").write_text("<definitions", encoding="utf-8")
    res = run("deploy", str(broken), "--region", "D1")
    assert res.exit_code == 1 and "x.bpmn" in res.output
    res = run("worker", "--once", "--now", "yesterday")
    assert res.exit_code != 0


def test_user_add_checks_role_against_org_level(run, tmp_path):
    csv = tmp_path / "orgs.csv"
    csv.write_text(ORGS, encoding="utf-8")
    run("org", "import", str(csv))
    res = run("user", "add", "wang", "--role", "township", "--org", "V11")
    assert res.exit_code == 1 and "镇（街道）" in res.output


def test_user_add_refuses_a_name_differing_only_in_case(run, tmp_path, db):
    csv = tmp_path / "orgs.csv"
    csv.write_text(ORGS, encoding="utf-8")
    run("org", "import", str(csv))
    assert run("user", "add", "Wang.Li", "--role", "village", "--org", "V11").exit_code == 0
    for name in ("wang.li", "WANG.LI"):
        res = run("user", "add", name, "--role", "village", "--org", "V11")
        assert res.exit_code == 1 and "已有 Wang.Li" in res.output, res.output
    assert db.scalars(select(User.username).where(
        func.lower(User.username) == "wang.li")).all() == ["Wang.Li"]


def test_out_of_range_input_is_a_message_not_a_traceback(run, tmp_path, world):
    """Values that parse but no date or amount can hold: exit non-zero, Chinese, no change."""
    extra = tmp_path / "extra.csv"
    extra.write_text("date,is_workday,note\n2031-01-01,false,元旦,extra\n", encoding="utf-8")
    far = tmp_path / "far.csv"
    far.write_text("date,is_workday,note\n0001-01-01,false,x\n9999-12-31,false,x\n",
                   encoding="utf-8")
    for file, words in ((extra, "第 2 行：值的个数多于表头的 3 列"),
                        (far, "第 3 行：日期 9999-12-31 不在 1950–2200 年之间")):
        res = run("calendar", "import", str(file))
        assert res.exit_code == 1 and words in res.output, res.output
        assert res.exception is None or isinstance(res.exception, SystemExit)
    assert "未覆盖" in run("calendar", "show", "2031").output  # nothing was imported
    for year in ("0", "99999"):
        res = run("calendar", "show", year)
        assert res.exit_code == 1 and "年份应在 1950–2200 之间" in res.output, res.output
    res = run("standard", "add", "--region", "D1", "--from", "2026-03-01", "--amount", "1e400",
              "--period", "month")
    assert res.exit_code == 1 and "超出合理范围" in res.output, res.output
    assert "2026-03-01" not in run("standard", "show", "--region", "D1").output
    res = run("worker", "--once", "--now", "9999-12-31T23:59:59+00:00")
    assert res.exit_code == 2 and "时间应在 1950–2200 年之间" in res.output, res.output


def test_worker_now_without_an_offset_is_china_time(run, world):
    assert cli._parse_now("2026-12-03").isoformat() == "2026-12-03T00:00:00+08:00"
    assert cli._parse_now("2026-12-03T10:00:00Z").isoformat() == "2026-12-03T10:00:00+00:00"
    res = run("worker", "--once", "--now", "2026-06-02T10:00:00")
    assert res.exit_code == 0, res.output


def test_org_import_refuses_to_move_or_relevel_an_org_in_use(run, tmp_path, world):
    """A village with cases keeps its township; one with users keeps its level; bad rows
    (extra values, NUL, an overlong name) are reported; nothing changes."""
    from engine.casework import cases
    from engine.people import orgs
    from engine.time import clock
    from tests.factories import valid_application

    cases.start(world.db, world.user("clerk1"), "linzi_identification", "V11",
                valid_application(), now=clock.now())
    before = {o.code: (o.level, o.path) for o in world.db.scalars(select(OrgUnit))}
    moved = orgs.by_code(world.db, "V11")
    other_township = next(o for o in world.db.scalars(select(OrgUnit))
                          if o.level == "township" and o.id != moved.parent_id)
    rows = (f"code,name,level,parent_code\n"
            f"V11,{moved.name},village,{other_township.code}\n"
            f"T1,某镇,assessor,D1\n"
            f"X9,某村,village,T1,extra\n"
            f"X8,某\x00村,village,T1\n"
            f"X7,{'长' * 101},village,T1\n")
    file = tmp_path / "orgs.csv"
    file.write_text(rows, encoding="utf-8")
    res = run("org", "import", str(file))
    assert res.exit_code == 1, res.output
    for words in ("第 2 行：机构 V11 下已有 1 件案件，不能调整其上级机构",
                  "第 3 行：机构 T1 已有用户、下级机构或案件，层级不能从",
                  "第 4 行：值的个数多于表头的 4 列", "第 5 行：不能包含空字符",
                  "第 6 行：机构名称超过 100 字"):
        assert words in res.output, (words, res.output)
    world.db.expire_all()
    assert {o.code: (o.level, o.path) for o in world.db.scalars(select(OrgUnit))} == before
    quiet = tmp_path / "quiet.csv"  # a village without cases may still move
    quiet.write_text("code,name,level,parent_code\nQ1,新村,village,T1\n", encoding="utf-8")
    assert run("org", "import", str(quiet)).exit_code == 0
    quiet.write_text(f"code,name,level,parent_code\nQ1,新村,village,{other_township.code}\n",
                     encoding="utf-8")
    assert run("org", "import", str(quiet)).exit_code == 0


@pytest.mark.parametrize("bundle", ["fuxin", "jiangmen"])
def test_check_knows_every_service_operation_in_a_fresh_process(bundle):
    """`yimen check` builds no app: it must still register the operations deploy knows."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", "from web.cli import main; main()", "check",
                           str(root / "bpmn" / bundle)],
                          capture_output=True, text=True, cwd=root, timeout=120)
    assert done.returncode == 0 and "流程包校验通过" in done.stdout, done.stderr


def test_a_deactivated_user_gets_no_token_and_theirs_stop_at_once(run, tmp_path, db, client):
    csv = tmp_path / "orgs.csv"
    csv.write_text(ORGS, encoding="utf-8")
    run("org", "import", str(csv))
    assert run("user", "add", "li.si", "--role", "village", "--org", "V11").exit_code == 0
    token = run("token", "li.si").output.strip()
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/tasks", headers=auth).status_code == 200
    res = run("user", "deactivate", "li.si")
    assert res.exit_code == 0 and "已停用" in res.output
    assert client.get("/api/tasks", headers=auth).status_code == 401
    res = run("token", "li.si")
    assert res.exit_code == 1 and "用户 li.si 已停用" in res.output, res.output
    assert run("user", "activate", "li.si").exit_code == 0
    assert client.get("/api/tasks", headers=auth).status_code == 401  # old tokens stay revoked
    fresh = run("token", "li.si").output.strip()
    assert client.get("/api/tasks", headers={"Authorization": f"Bearer {fresh}"}).status_code \
        == 200
    res = run("user", "deactivate", "nobody")
    assert res.exit_code == 1 and "用户 nobody 不存在" in res.output
