"""Test data built through the engine's own services, with codes unlike the demo's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.casework import tasks, timers
from engine.people import accounts, orgs
from engine.store.models import HumanTask, User
from engine.time import clock
from engine.workflow import procedures
from tests.forms.samples import valid_application, valid_step_data

ROOT = Path(__file__).resolve().parent.parent
LINZI = ROOT / "bpmn" / "linzi"

ORGS = """code,name,level,parent_code
D1,测试区,district,
T1,甲镇,township,D1
T2,乙镇,township,D1
V11,甲一村,village,T1
V12,甲二村,village,T1
V21,乙一村,village,T2
A1,测评中心,assessor,D1
"""
USERS = {
    "clerk1": ("clerk", "T1"), "clerk2": ("clerk", "T2"),
    "vil11": ("village", "V11"), "vil12": ("village", "V12"), "vil21": ("village", "V21"),
    "town1": ("township", "T1"), "town2": ("township", "T2"),
    "dist": ("district", "D1"), "assess": ("assessor", "A1"),
    "admin": ("admin", "D1"), "designer": ("designer", "D1"),
}
PASSWORD = "secret-pass-1"
# Who works each step of the Linzi procedure for a case in village V11.
WORKER = {"village_evaluation": "vil11", "township_review": "town1",
          "district_crosscheck": "dist", "third_party_verification": "assess",
          "district_approval": "dist", "refusal_notice": "town1"}


@dataclass
class World:
    db: Session

    def user(self, username: str) -> User:
        return accounts.by_username(self.db, username)


def make_world(db: Session, deploy: bool = True) -> World:
    orgs.import_csv(db, ORGS)
    for username, (role, org) in USERS.items():
        accounts.add_user(db, username, role, org, PASSWORD, must_change=False)
    if deploy:
        procedures.deploy(db, None, "D1", procedures.read_bundle_dir(LINZI))
    return World(db)


def open_task(db: Session, case_id: int) -> HumanTask | None:
    return db.scalar(select(HumanTask).where(HumanTask.case_id == case_id,
                                             HumanTask.completed_at.is_(None)))


def after_notice(db: Session, at: datetime) -> datetime:
    """Let a 7-day notice run out: the worker fires it 8 days later."""
    later = at + timedelta(days=8)
    timers.run_pass(db, later)
    return later


def walk(world: World, case_id: int, decisions: list[str], at: datetime | None = None) -> datetime:
    """Work the case's open steps with these decisions, letting notices pass in between."""
    db = world.db
    at = at or clock.now()
    for decision in decisions:
        task = open_task(db, case_id)
        if task is None:
            at = after_notice(db, at)
            task = open_task(db, case_id)
        assert task is not None, "expected an open task"
        at += timedelta(hours=1)
        tasks.complete(db, world.user(WORKER[task.step]), task.id,
                       valid_step_data(task.form_key, decision), now=at)
    return at


__all__ = ["valid_application", "valid_step_data"]
