"""Every task of every bundle opens: the API, the task page and the case page, for the
official who works it, at every step a case reaches (no 5xx, no raise_on_sql surprise).

Each bundle in bpmn/ is deployed, a household is taken through its identification, then
every other procedure of the bundle (review, standard or list adjustment, exit) is started and
walked to its end the same way. Step data comes from the step's own form definition (with
the shared samples where there are some), so a new bundle or form is swept without a change
here.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

import forms
from engine.casework import cases, tasks, timers
from engine.money import benefits
from engine.people import accounts, orgs
from engine.store.errors import Forbidden
from engine.store.models import ROLE_TASK_LEVEL, Case, HumanTask, ProcessInstance, User
from engine.workflow import procedures, spiff
from tests.factories import ROOT, make_world
from tests.forms.samples import HEAD_BIRTH, make_id_number, valid_application, valid_step_data
from tests.web.conftest import sign_in

BUNDLES = sorted(p.name for p in (ROOT / "bpmn").iterdir() if p.is_dir())
# Monday 2 March 2026, 10:00 in Beijing: every timer a walk reaches stays inside the calendar.
START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
DAY = "2026-03-02"
_ids = itertools.count(300)


EXPECTED_PROCEDURES = {
    "fuxin": ["fuxin_identification", "fuxin_review", "fuxin_standard_adjustment"],
    "generic": ["generic_poverty_registration", "generic_exit"],
    "jiangmen": ["jiangmen_identification", "jiangmen_list_adjustment",
                 "jiangmen_standard_adjustment", "jiangmen_exit"],
    "linzi": ["linzi_identification", "linzi_review", "linzi_exit"],
}


def procedure_keys(bundle: str) -> list[str]:
    """The bundle's procedures: identification first, exits last (a household must be in)."""
    source = procedures.bundle_from_files(procedures.read_bundle_dir(ROOT / "bpmn" / bundle))
    models, problems = spiff.check_bundle(source.bpmn, source.dmn)
    assert problems == []

    def rank(key: str) -> int:
        return 0 if "identification" in key or "registration" in key else \
            2 if "exit" in key else 1
    return sorted(models, key=lambda k: (rank(k), k))


def value_for(field: forms.FieldDef, household: dict[str, Any]) -> Any:
    """A valid value for a field, by its type and bounds: decisions approve, every item of a
    checklist is ticked, incomes are comfortable (so that exits and reviews go through)."""
    if field.name in household and field.type != "rows":
        return household[field.name]
    if field.name in benefits.AMOUNT_FIELDS:  # a top-up within the standard's reach
        return 100
    low = field.min if field.min is not None else 0
    high = field.max if field.max is not None else None

    def bounded(value):
        value = max(value, low)
        return min(value, high) if high is not None else value
    options = [o.value for o in field.options or ()]
    return {
        "string": lambda: "张伟、刘芳",  # two names: rules may ask for two (min_count)
        "text": lambda: "经核实，情况属实。",
        "integer": lambda: bounded(max(int(low), 1)),
        "number": lambda: bounded(100),
        "money": lambda: bounded(6000),
        "date": lambda: DAY,
        "boolean": lambda: True,
        "id_number": lambda: make_id_number(HEAD_BIRTH, next(_ids)),
        "phone": lambda: "13800138000",
        "choice": lambda: "approve" if "approve" in options else options[0],
        "multi_choice": lambda: options,
        "file": lambda: "att-20260302-0001",
        "rows": lambda: [{sub.name: value_for(sub, {}) for sub in field.fields or ()}
                         for _ in range(max(field.min_rows or 0, 1))],
    }[field.type]()


def form_data(form: forms.Form, household: dict[str, Any]) -> dict[str, Any]:
    """The shared sample where one exists, else every field filled from its definition."""
    try:
        return valid_step_data(form.key, "approve")
    except KeyError:
        return {field.name: value_for(field, household) for field in form.fields}


def official_for(db, task: HumanTask) -> User:
    """The user who works this task: its org, a role working at its level."""
    roles = [role for role, level in ROLE_TASK_LEVEL.items() if level == task.level]
    user = db.scalar(select(User).where(User.org_id == task.org_id, User.role.in_(roles))
                     .order_by(User.id).limit(1))
    assert user is not None, f"no official for {task.step} at {task.org.code}"
    return user


class Sweep:
    """Walks cases forward, opening every task it meets as the official who works it."""

    def __init__(self, world, client, api) -> None:
        self.world, self.db, self.client, self.api = world, world.db, client, api
        self.at = START
        self.tokens: dict[str, str] = {}

    def bearer(self, user: User) -> dict[str, str]:
        if user.username not in self.tokens:
            self.tokens[user.username] = accounts.issue_token(self.db, user)
        return {"Authorization": f"Bearer {self.tokens[user.username]}"}

    def start(self, key: str, household: dict[str, Any]) -> Case:
        """As the window clerk in the village, or the district for a region procedure."""
        for username, org in (("clerk1", "V11"), ("dist", "D1")):
            user = self.world.user(username)
            version = procedures.newest_for(self.db, key, orgs.by_code(self.db, org))
            form = procedures.form_of(version, procedures.model_of(version).start_form)
            data = household if form.key == "application" else form_data(form, household)
            try:
                return cases.start(self.db, user, key, org, data, now=self.at)
            except Forbidden:
                self.db.rollback()
        raise AssertionError(f"nobody may start {key}")

    def check(self, task: HumanTask, user: User) -> None:
        where = f"{task.step} ({task.form_key}) as {user.username}"
        res = self.api.get(f"/api/tasks/{task.id}", headers=self.bearer(user))
        assert res.status_code == 200, f"GET /api/tasks for {where}: {res.status_code}"
        assert res.json["case"]["village"] and res.json["form"]["key"] == task.form_key
        sign_in(self.client, user.username)
        for url in (f"/tasks/{task.id}", f"/cases/{task.case_id}"):
            res = self.client.get(url)
            assert res.status_code == 200, f"GET {url} for {where}: {res.status_code}"

    def walk(self, case: Case, household: dict[str, Any]) -> list[str]:
        """Work every step with valid data, letting timers run, until the case closes."""
        steps = []
        for _ in range(60):
            task = self.db.scalar(select(HumanTask).where(
                HumanTask.case_id == case.id, HumanTask.completed_at.is_(None))
                .order_by(HumanTask.id).limit(1))
            if task is None:
                self.db.refresh(case)
                if case.status != "running":
                    return steps
                due = self.db.scalar(select(ProcessInstance.next_timer_at)
                                     .where(ProcessInstance.case_id == case.id))
                assert due is not None, f"case {case.id} waits on nothing"
                self.at = max(self.at, due) + timedelta(minutes=1)
                result = timers.run_pass(self.db, self.at)
                assert result.failed == 0
                continue
            user = official_for(self.db, task)
            self.check(task, user)
            form = tasks.detail(self.db, user, task.id).form
            self.at += timedelta(hours=1)
            tasks.complete(self.db, user, task.id, form_data(form, household), now=self.at)
            steps.append(task.step)
            assert steps.count(task.step) <= 3, f"{case.procedure.key} loops: {steps}"
        raise AssertionError(f"case {case.id} did not finish: {steps}")


@pytest.fixture
def world(db, csrf_on):
    world = make_world(db, deploy=False)
    for bundle in BUNDLES:
        procedures.deploy(db, None, "D1", procedures.read_bundle_dir(ROOT / "bpmn" / bundle))
    return world


@pytest.mark.parametrize("bundle", BUNDLES)
def test_every_task_of_the_bundle_opens_for_its_official(world, client, app, bundle):
    sweep = Sweep(world, client, app.test_client())
    household = valid_application()
    walked = {}
    for key in procedure_keys(bundle):
        case = sweep.start(key, household)
        walked[key] = sweep.walk(case, household)
        assert walked[key], f"{key} reached no task"
        sign_in(client, "dist")
        assert client.get(f"/cases/{case.id}").status_code == 200
    assert list(walked) == EXPECTED_PROCEDURES[bundle]  # written out: a dropped one shows
