"""The admins' 系统运行 page: failing timers with attempts and last error, and the audit
verification with its result."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy import text as sql

from engine.casework import cases, timers
from engine.store import audit
from engine.store.models import AuditEvent
from engine.workflow import procedures
from tests.engine.test_audit_chain import attacker
from tests.engine.test_timer_backoff import broken_bundle
from tests.factories import walk
from tests.web.conftest import csrf_token, household, sign_in, text

T0 = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)


def test_admin_sees_failing_timers_with_attempts_and_last_error(world, client):
    procedures.deploy(world.db, None, "D1", broken_bundle())  # new cases run the broken v2
    case = cases.start(world.db, world.user("clerk1"), "linzi_identification", "V11",
                       household(), now=T0)
    walk(world, case.id, ["approve"], T0)
    due = T0 + timedelta(days=8)
    assert timers.run_pass(world.db, due).failed == 1
    assert timers.run_pass(world.db, due + timedelta(minutes=1)).failed == 1

    sign_in(client, "admin")
    page = client.get("/admin/health")
    html = text(page)
    assert page.status_code == 200 and "系统运行" in html
    row = html[html.index(f'id="timer-case-{case.id}"'):]
    row = row[:row.index("</tr>")]
    assert ">2<" in row and "linzi_identification" in row
    assert "IndexError" in row or "ModelError" in row
    assert "定时器失败" in html and 'href="/admin/health"' in text(client.get("/inbox"))

    sign_in(client, "dist")
    assert client.get("/admin/health").status_code == 403
    assert 'href="/admin/health"' not in text(client.get("/inbox"))


def test_admin_runs_the_audit_verification(world, client):
    cases.start(world.db, world.user("clerk1"), "linzi_identification", "V11", household(),
                now=T0)
    sign_in(client, "admin")
    token = csrf_token(text(client.get("/admin/health")))
    total = world.db.scalar(select(func.count()).select_from(AuditEvent))
    done = text(client.post("/admin/health/audit", data={"csrf_token": token}))
    assert "校验通过" in done and f"{total} 条审计事件" in done

    target = world.db.scalar(select(func.max(AuditEvent.id)))
    with attacker(world.db):
        world.db.execute(sql("UPDATE audit_event SET actor_name = 'x' WHERE id = :id"),
                         {"id": target})
    assert not audit.verify(world.db).ok
    refused = text(client.post("/admin/health/audit", data={"csrf_token": token}))
    assert "校验未通过" in refused and f"审计事件 #{target}" in refused
    assert client.post("/admin/health/audit", data={}).status_code == 400  # no CSRF token

    sign_in(client, "designer")
    token = csrf_token(text(client.get("/designer")))
    assert client.post("/admin/health/audit", data={"csrf_token": token}).status_code == 403
