"""The contract, followed from application to approval as the right users; everyone else denied."""

from datetime import UTC, datetime, timedelta

import pytest

from engine.time import clock
from tests.factories import PASSWORD, USERS, make_world, valid_application, valid_step_data

WORKERS = {"village_evaluation": "vil11", "township_review": "town1",
           "district_crosscheck": "dist", "third_party_verification": "assess",
           "district_approval": "dist"}


@pytest.fixture
def world(db):
    return make_world(db)


@pytest.fixture
def tokens(client, world):
    out = {}
    for username in USERS:
        res = client.post("/api/tokens", json={"username": username, "password": PASSWORD})
        assert res.status_code == 201, res.json
        out[username] = res.json["token"]
    return out


def auth(token):
    return {"Authorization": f"Bearer {token}"}


def test_tokens_me_and_bad_credentials(client, tokens):
    me = client.get("/api/me", headers=auth(tokens["vil11"])).json
    assert me == {"username": "vil11", "name": "vil11", "role": "village",
                  "org": {"code": "V11", "name": "甲一村", "level": "village"}}
    bad = client.post("/api/tokens", json={"username": "vil11", "password": "wrong"})
    assert bad.status_code == 401 and bad.json["error"]["code"] == "unauthorized"
    assert client.get("/api/me").status_code == 401
    assert client.get("/api/me", headers=auth("nonsense")).status_code == 401
    malformed = client.post("/api/tokens", data="not json", content_type="application/json")
    assert malformed.status_code == 400 and "message" in malformed.json["error"]


def test_procedures_list_and_start_form(client, tokens):
    listed = client.get("/api/procedures", headers=auth(tokens["vil11"])).json
    assert ("linzi_identification", "D1", 1) in [
        (p["key"], p["region"], p["version"]) for p in listed]
    assert all(p["version"] == 1 and p["region"] == "D1" for p in listed)
    detail = client.get("/api/procedures/linzi_identification?region=D1",
                        headers=auth(tokens["clerk1"])).json
    form = detail["start_form"]
    assert form["key"] == "application"
    names = {f["name"]: f for f in form["fields"]}
    assert names["head_id_number"]["type"] == "id_number"
    assert names["members"]["type"] == "rows" and names["members"]["fields"]
    assert [s["id"] for s in detail["steps"] if s["kind"] == "user"] == [
        *WORKERS, "refusal_notice"]
    missing = client.get("/api/procedures/nope", headers=auth(tokens["clerk1"]))
    assert missing.status_code == 404


def run_worker(monkeypatch, app, at: datetime):
    from click.testing import CliRunner

    from web import cli

    monkeypatch.setattr(cli, "_app", lambda: app)
    result = CliRunner().invoke(cli.main, ["worker", "--once", "--now", at.isoformat()])
    assert result.exit_code == 0, result.output


def test_walk_from_application_to_approval(app, client, tokens, monkeypatch):
    application = valid_application()
    body = {"procedure": "linzi_identification", "village": "V11", "application": application}
    assert client.post("/api/cases", json=body).status_code == 401
    for outsider in ("vil12", "town1", "dist", "assess", "designer", "clerk2"):
        res = client.post("/api/cases", json=body, headers=auth(tokens[outsider]))
        assert res.status_code == 403, (outsider, res.json)
    bad = dict(body, application={**application, "head_id_number": "110105194912310021"})
    res = client.post("/api/cases", json=bad, headers=auth(tokens["clerk1"]))
    assert res.status_code == 422 and "head_id_number" in res.json["error"]["fields"]
    res = client.post("/api/cases", json=body, headers=auth(tokens["clerk1"]))
    assert res.status_code == 201, res.json
    case_id = res.json["id"]
    assert res.json["status"] == "running" and res.json["village"] == "V11"

    now = clock.now()
    for step, worker in WORKERS.items():
        inbox = client.get("/api/tasks", headers=auth(tokens[worker])).json
        mine = [t for t in inbox if t["case_id"] == case_id]
        if not mine:  # a notice period stands before this step
            now += timedelta(days=8)
            run_worker(monkeypatch, app, now)
            inbox = client.get("/api/tasks", headers=auth(tokens[worker])).json
            mine = [t for t in inbox if t["case_id"] == case_id]
        assert [t["step"] for t in mine] == [step]
        task = mine[0]
        for other in USERS:
            if other == worker or other in ("admin", "designer"):
                continue
            theirs = client.get("/api/tasks", headers=auth(tokens[other])).json
            assert case_id not in [t["case_id"] for t in theirs if t["step"] == step], other
            res = client.post(f"/api/tasks/{task['id']}/complete",
                              json={"data": valid_step_data(step)}, headers=auth(tokens[other]))
            assert res.status_code in (403, 404), (other, step, res.status_code)
        detail = client.get(f"/api/tasks/{task['id']}", headers=auth(tokens[worker])).json
        assert detail["form"]["key"] == step
        decision = next(f for f in detail["form"]["fields"] if f["name"] == "decision")
        assert "approve" in [o["value"] for o in decision["options"]]
        res = client.post(f"/api/tasks/{task['id']}/claim", headers=auth(tokens[worker]))
        assert res.status_code == 200 and res.json["assignee"] == worker
        res = client.post(f"/api/tasks/{task['id']}/complete", json={"data": {"decision": "x"}},
                          headers=auth(tokens[worker]))
        assert res.status_code == 422 and "decision" in res.json["error"]["fields"]
        res = client.post(f"/api/tasks/{task['id']}/complete",
                          json={"data": valid_step_data(step), "comment": "同意"},
                          headers=auth(tokens[worker]))
        assert res.status_code == 200, res.json
        assert res.json["case"]["status"] == "running"
        again = client.post(f"/api/tasks/{task['id']}/complete",
                            json={"data": valid_step_data(step)}, headers=auth(tokens[worker]))
        assert again.status_code == 409

    now += timedelta(days=8)
    run_worker(monkeypatch, app, now)
    case = client.get(f"/api/cases/{case_id}", headers=auth(tokens["dist"])).json
    assert case["status"] == "approved"
    assert case["procedure"] == "linzi_identification" and case["version"] == 1
    assert case["application"]["head_name"] == application["head_name"]
    assert case["open_tasks"] == []
    actions = [h["action"] for h in case["history"]]
    assert actions[0] == "case.opened" and actions[-1] == "case.approved"
    assert actions.count("task.completed") == 5 and actions.count("timer.fired") == 3
    assert {"at", "actor", "step", "action", "comment"} <= set(case["history"][0])
    for outsider in ("vil12", "town2", "clerk2", "vil21"):
        res = client.get(f"/api/cases/{case_id}", headers=auth(tokens[outsider]))
        assert res.status_code == 404
    listed = client.get("/api/cases?status=approved", headers=auth(tokens["town1"])).json
    assert [c["id"] for c in listed] == [case_id]
    assert client.get("/api/cases", headers=auth(tokens["town2"])).json == []
    assert client.get("/api/cases", headers=auth(tokens["designer"])).status_code == 403


def test_openapi_document_lists_the_contract(client):
    doc = client.get("/api/openapi.json").json
    assert doc["openapi"].startswith("3.")
    for path in ("/api/tokens", "/api/me", "/api/procedures", "/api/cases/{case_id}",
                 "/api/tasks/{task_id}/complete"):
        assert path in doc["paths"], path


def test_unknown_api_paths_answer_in_the_error_format(client, tokens):
    res = client.get("/api/nothing-here", headers=auth(tokens["vil11"]))
    assert res.status_code == 404 and res.json["error"]["code"]


def test_the_inbox_lists_each_task_as_the_task_itself_reads(client, tokens, monkeypatch):
    """GET /api/tasks gives every open task in the shape GET /api/tasks/{id} starts with: its
    org's code, the claimant's username once claimed, due and overdue on the fixed clock."""
    opened = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)
    monkeypatch.setattr(clock, "now", lambda: opened)
    body = {"procedure": "linzi_identification", "village": "V11",
            "application": valid_application()}
    case_id = client.post("/api/cases", json=body, headers=auth(tokens["clerk1"])).json["id"]
    fields = ("id", "case_id", "step", "name", "level", "org", "due_at", "overdue",
              "assignee", "created_at")

    def listed() -> dict:
        [entry] = [t for t in client.get("/api/tasks", headers=auth(tokens["vil11"])).json
                   if t["case_id"] == case_id]
        own = client.get(f"/api/tasks/{entry['id']}", headers=auth(tokens["vil11"])).json
        assert entry == {k: own[k] for k in fields}
        return entry

    entry = listed()
    assert (entry["org"], entry["level"], entry["assignee"], entry["overdue"]) == (
        "V11", "village", None, False)
    assert entry["created_at"] == "2025-03-03T01:00:00+00:00"
    client.post(f"/api/tasks/{entry['id']}/claim", headers=auth(tokens["vil11"]))
    monkeypatch.setattr(clock, "now", lambda: opened + timedelta(days=60))
    claimed = listed()
    assert (claimed["assignee"], claimed["overdue"]) == ("vil11", True)
