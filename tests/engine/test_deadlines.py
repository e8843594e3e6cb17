"""A step opened beyond the calendar: noted on its case, dated when its year is imported,
and the import seen by every process at once."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.casework import cases, deadlines
from engine.people import accounts, orgs
from engine.store.models import AuditEvent, CalendarDay, CalendarYear, HumanTask
from engine.time import calendar
from tests.factories import ORGS, make_world, open_task, valid_application

# Monday 28 December 2026, 10:00 in Beijing: five working days run into 2027.
LATE_DECEMBER = datetime(2026, 12, 28, 2, 0, tzinfo=UTC)
YEAR_2027 = "date,is_workday,note\n2027-01-01,false,元旦\n"


@pytest.fixture
def world(db):
    return make_world(db)


def start_late(world):
    return cases.start(world.db, world.user("clerk1"), "linzi_identification", "V11",
                       valid_application(), now=LATE_DECEMBER)


def events(db, action: str) -> list[AuditEvent]:
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action)
                           .order_by(AuditEvent.id)))


def test_an_unknown_deadline_is_written_on_the_case_and_shows_in_its_history(world):
    case = start_late(world)
    task = open_task(world.db, case.id)
    assert task.due_at is None and case.due_at is None
    unknown = events(world.db, "deadline.unknown")
    assert len(unknown) == 2, "the case's limit and its first step's"
    assert {e.case_id for e in unknown} == {case.id}
    assert [e.step for e in unknown] == [None, "village_evaluation"]
    assert all("2027" in e.comment for e in unknown)
    history = cases.detail(world.db, world.user("vil11"), case.id).history
    assert [e.action for e in history].count("deadline.unknown") == 2


def test_importing_the_year_dates_what_was_left_without_a_deadline(world):
    case = start_late(world)
    task = open_task(world.db, case.id)
    deadlines.import_calendar(world.db, YEAR_2027, actor=accounts.by_username(world.db, "admin"))
    world.db.expire_all()
    task = world.db.get(HumanTask, task.id)
    # 12/29, 12/30, 12/31, (1/1 holiday, weekend), 1/4, 1/5: ends at midnight Beijing time.
    assert task.due_at == datetime(2027, 1, 5, 16, 0, tzinfo=UTC)
    # 30 working days: 3 in December, then 1/4 … 2/9 (no other 2027 holidays imported).
    assert cases.visible(world.db, world.user("vil11"), case.id).due_at == \
        datetime(2027, 2, 9, 16, 0, tzinfo=UTC)
    dated = events(world.db, "deadline.set")
    assert [(e.case_id, e.task_id) for e in dated] == [(case.id, task.id), (case.id, None)]
    assert "2027-01-05" in dated[0].comment and "2027-02-09" in dated[1].comment
    assert {e.actor_name for e in dated} == {"admin"}
    deadlines.import_calendar(world.db, YEAR_2027)  # once only: nothing left to date
    assert len(events(world.db, "deadline.set")) == 2


def test_a_deadline_still_beyond_the_calendar_stays_unknown(world):
    case = start_late(world)
    deadlines.import_calendar(world.db, "date,is_workday,note\n2028-01-03,false,地方\n")
    assert open_task(world.db, case.id).due_at is None
    assert events(world.db, "deadline.set") == []


def test_a_year_imported_by_another_process_is_seen_at_once(db, client):
    """Another process's import commits to the database only; this process must not answer
    from a cached "not covered"."""
    with pytest.raises(calendar.YearNotCovered):
        calendar.is_workday(date(2027, 1, 4), db=db)
    url = "/api/calendar/add-working-days?start=2026-12-31&days=1"
    orgs.import_csv(db, ORGS)
    user = accounts.add_user(db, "u1", "village", "V11", "long-enough")
    auth = {"Authorization": f"Bearer {accounts.issue_token(db, user)}"}
    assert client.get(url, headers=auth).status_code == 422
    db.commit()
    with Session(db.get_bind()) as other:  # the other process: no call into this one's cache
        other.add(CalendarYear(year=2027, region_id=None, source="import"))
        other.add(CalendarDay(day=date(2027, 1, 1), region_id=None, is_workday=False, note="元旦"))
        other.commit()
    res = client.get(url, headers=auth)
    assert res.status_code == 200 and res.json == {"date": "2027-01-04"}
    assert calendar.is_workday(date(2027, 1, 4), db=db)
