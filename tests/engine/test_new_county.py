"""A new county put into service with files alone, following "From a policy text to a procedure
in service" in bpmn/README.md: org units and users, a copied bundle with the county's own ids,
standard and form, `yimen check`, `yimen deploy`, then a household walked through the REST API."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.money import benefits
from engine.store.models import Case
from engine.time import clock
from tests.engine.test_regions import BPMN, FORM_DATA, NO_DECISION
from tests.forms.samples import valid_application
from web import cli

ORGS = """code,name,level,parent_code
XC,新城县,district,
XC01,新城镇,township,XC
XC0101,东沟村,village,XC01
XC0102,西沟村,village,XC01
"""
OFFICIALS = {"xc_village": ("village", "XC0101"), "xc_town": ("township", "XC01"),
             "xc_county": ("district", "XC")}
BY_LEVEL = {"village": "xc_village", "township": "xc_town", "district": "xc_county"}


@pytest.fixture
def run(app, monkeypatch):
    monkeypatch.setattr(cli, "_app", lambda: app)

    def invoke(*args: str, stdin: str | None = None):
        return CliRunner().invoke(cli.main, list(args), input=stdin)
    return invoke


def copy_generic_as_xincheng(target: Path) -> Path:
    """Step 3 and 5: copy the generic bundle, rename ids to the county's prefix, set the local
    standard (4,800 元/人·年 = 400/month) in standards.csv."""
    shutil.copytree(BPMN / "generic", target)
    for path in [*target.glob("*.bpmn"), *target.glob("*.dmn"), *target.glob("forms/*.yaml")]:
        text = path.read_text(encoding="utf-8").replace("generic_", "xincheng_")
        path.unlink()
        path.with_name(path.name.replace("generic_", "xincheng_")).write_text(
            text, encoding="utf-8")
    (target / "standards.csv").write_text(
        "scheme,from,amount,period,document\ndibao,2024-01-01,4800,year,新城县民政局2024年标准\n",
        encoding="utf-8")
    return target


def test_a_new_county_goes_into_service_with_files_alone(run, client, db, tmp_path):
    csv = tmp_path / "orgs.csv"
    csv.write_text(ORGS, encoding="utf-8")
    assert run("org", "import", str(csv)).exit_code == 0
    tokens = {}
    for username, (role, org) in OFFICIALS.items():
        added = run("user", "add", username, "--role", role, "--org", org, "--password-stdin",
                    stdin="a-long-password\n")
        assert added.exit_code == 0, added.output
        tokens[username] = run("token", username).output.strip()

    bundle = copy_generic_as_xincheng(tmp_path / "xincheng")
    broken = (bundle / "eligibility.dmn").read_text(encoding="utf-8")
    (bundle / "eligibility.dmn").write_text(broken.replace('hitPolicy="UNIQUE"',
                                                           'hitPolicy="FIRST"'), encoding="utf-8")
    refused = run("check", str(bundle))
    assert refused.exit_code == 1 and "FIRST" in refused.output
    (bundle / "eligibility.dmn").write_text(broken, encoding="utf-8")
    assert run("check", str(bundle)).exit_code == 0
    deployed = run("deploy", str(bundle), "--region", "XC")
    assert deployed.output.split() == ["xincheng_exit", "v1",
                                       "xincheng_poverty_registration", "v1"]

    def api(method: str, url: str, user: str, body: dict | None = None):
        return client.open(url, method=method, json=body,
                           headers={"Authorization": f"Bearer {tokens[user]}"})

    application = valid_application()
    for member in application["members"]:  # no one able to work: the table puts it under dibao
        member["labour_capacity"] = "partial"

    def work_through(procedure: str, later: datetime,
                     start: dict | None = None) -> tuple[dict, list[str], datetime]:
        """Start a case of the procedure for the household and approve every step."""
        started = api("POST", "/api/cases", "xc_village", {
            "procedure": procedure, "village": "XC0101", "application": start or application})
        assert started.status_code == 201, started.json
        case_id, steps = started.json["id"], []
        for _ in range(30):
            case = api("GET", f"/api/cases/{case_id}", "xc_county").json
            if case["status"] != "running":
                break
            if not case["open_tasks"]:  # a 7-day notice: let the worker move the case on
                later += timedelta(days=8)
                assert run("worker", "--once", "--now", later.isoformat()).exit_code == 0
                continue
            task = case["open_tasks"][0]
            user = BY_LEVEL[task["level"]]
            form_key = api("GET", f"/api/tasks/{task['id']}", user).json["form"]["key"]
            data = dict(FORM_DATA[form_key.replace("xincheng_", "generic_")])
            if form_key.replace("xincheng_", "generic_") not in NO_DECISION:
                data["decision"] = "approve"
            done = api("POST", f"/api/tasks/{task['id']}/complete", user, {"data": data})
            assert done.status_code == 200, done.json
            steps.append(task["step"])
        return case, steps, later

    case, steps, later = work_through("xincheng_poverty_registration", clock.now())
    assert case["status"] == "approved"
    assert steps == ["group_evaluation", "village_examination", "township_review",
                     "district_approval", "registration", "data_entry", "assign_help"]
    # the county's own standard decided the amount: (4800 − 6800 / 3) / 12 × 3 members
    assert benefits.current(db, case["id"]).monthly_amount == Decimal("633.33")

    # the copied exit works by the same convention: the household's benefit ends with it
    household = db.get(Case, case["id"]).household_id
    out, steps, _ = work_through("xincheng_exit", later, {
        "household_id": household, "exit_reason": "stable_out_of_poverty",
        "proposal_note": "务工收入稳定"})  # the household on the roll, not its application
    assert (out["status"], steps) == ("exited", ["group_evaluation", "township_check",
                                                 "district_approval"])
    page = api("GET", f"/api/households/{household}", "xc_county").json
    assert page["status"] == "exited" and page["benefit"]["monthly_amount"] == 0.0
