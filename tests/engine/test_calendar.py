"""Working days on China's calendar: holidays, make-up Saturdays (调休), local days, gaps."""

from datetime import date

import pytest

from engine.casework import deadlines
from engine.store.errors import Invalid
from engine.time import calendar
from tests.factories import ORGS


def add(db, start, days, regions=()):
    return calendar.add_working_days(date.fromisoformat(start), days, regions, db)


def test_national_day_2026_skips_the_golden_week_and_counts_the_make_up_saturday(db):
    assert add(db, "2026-09-30", 1) == date(2026, 10, 8)   # 10/1–10/7 off
    assert add(db, "2026-10-08", 2) == date(2026, 10, 10)  # Saturday 10/10 is a working day
    assert add(db, "2026-09-19", 1) == date(2026, 9, 20)   # Sunday 9/20 is a working day
    assert add(db, "2026-09-30", 10) == date(2026, 10, 20)  # 8,9,10,12–16,19,20


def test_spring_festival_2026_counts_both_make_up_saturdays(db):
    assert add(db, "2026-02-13", 1) == date(2026, 2, 14)   # Saturday 2/14 works
    assert add(db, "2026-02-14", 1) == date(2026, 2, 24)   # 2/15–2/23 off
    assert add(db, "2026-02-24", 4) == date(2026, 2, 28)   # Saturday 2/28 works
    assert not calendar.is_workday(date(2026, 2, 17), db=db)


def test_a_deadline_running_into_an_unloaded_year_names_the_year(db):
    with pytest.raises(calendar.YearNotCovered) as err:
        add(db, "2026-12-20", 10)
    assert err.value.year == 2027 and "2027" in str(err.value.fields)


def test_importing_a_year_covers_it_and_replaces_dates(db):
    deadlines.import_calendar(
        db, "date,is_workday,note\n2027-01-01,false,元旦\n2027-02-06,1,调休\n")
    assert add(db, "2026-12-31", 1) == date(2027, 1, 4)    # 1/1 holiday, then the weekend
    assert add(db, "2027-02-05", 1) == date(2027, 2, 6)    # imported working Saturday
    deadlines.import_calendar(db, "date,is_workday,note\n2027-02-06,false,改为休息\n")
    assert add(db, "2027-02-05", 1) == date(2027, 2, 8)
    assert calendar.show(db, 2027).covered


def test_a_bad_calendar_file_imports_nothing(db):
    with pytest.raises(Invalid) as err:
        deadlines.import_calendar(
            db, "date,is_workday,note\n2027-13-01,false,x\n2027-01-02,maybe,y\n")
    assert len(err.value.fields["file"]) == 2
    assert not calendar.show(db, 2027).covered


def test_a_region_adds_local_days_for_cases_under_it_only(db):
    from engine.people import orgs

    orgs.import_csv(db, ORGS)
    deadlines.import_calendar(db, "date,is_workday,note\n2026-11-02,false,地方节日\n",
                              region_code="T1")
    assert add(db, "2026-10-30", 1) == date(2026, 11, 2)
    assert add(db, "2026-10-30", 1, ("D1", "T1", "V11")) == date(2026, 11, 3)


def test_api_add_working_days(client, db):
    from engine.people import accounts, orgs

    orgs.import_csv(db, ORGS)
    user = accounts.add_user(db, "u1", "village", "V11", "long-enough")
    auth = {"Authorization": f"Bearer {accounts.issue_token(db, user)}"}
    res = client.get("/api/calendar/add-working-days?start=2026-09-30&days=1&region=V11",
                     headers=auth)
    assert res.status_code == 200 and res.json == {"date": "2026-10-08"}
    res = client.get("/api/calendar/add-working-days?start=2026-12-28&days=5", headers=auth)
    assert res.status_code == 422 and "2027" in res.json["error"]["message"]
    res = client.get("/api/calendar/add-working-days?start=tomorrow&days=1", headers=auth)
    assert res.status_code == 422 and "start" in res.json["error"]["fields"]
    assert client.get("/api/calendar/add-working-days?start=2026-09-30&days=1").status_code == 401
