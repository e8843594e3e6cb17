"""Inbox and case scoping by org and level."""

import pytest

from engine.casework import cases, tasks
from engine.store.errors import Forbidden, NotFound
from tests.factories import make_world, open_task, valid_application, walk


@pytest.fixture
def world(db):
    return make_world(db)


def start(world, village, by):
    return cases.start(world.db, world.user(by), "linzi_identification", village,
                       valid_application())


def inbox_ids(world, username):
    return {t.case_id for t in tasks.inbox(world.db, world.user(username))}


def test_village_officials_see_only_their_own_villages_tasks(world):
    a = start(world, "V11", "clerk1")
    b = start(world, "V12", "clerk1")
    assert inbox_ids(world, "vil11") == {a.id}
    assert inbox_ids(world, "vil12") == {b.id}
    assert inbox_ids(world, "vil21") == set()


def test_township_sees_township_tasks_of_its_own_villages_only(world):
    a = start(world, "V11", "clerk1")
    c = start(world, "V21", "clerk2")
    assert inbox_ids(world, "town1") == set(), "village evaluation is not a township task"
    walk(world, a.id, ["approve"])
    from engine.time import clock
    from tests.factories import after_notice
    after_notice(world.db, clock.now())
    assert inbox_ids(world, "town1") == {a.id}
    assert inbox_ids(world, "town2") == set()
    assert c.id not in inbox_ids(world, "town1")


def test_assessor_sees_a_case_only_once_it_has_a_task_for_them(world):
    case = start(world, "V11", "clerk1")
    with pytest.raises(NotFound):
        cases.detail(world.db, world.user("assess"), case.id)
    at = walk(world, case.id, ["approve", "approve", "approve"])
    assert open_task(world.db, case.id).level == "assessor"
    assert inbox_ids(world, "assess") == {case.id}
    assert cases.detail(world.db, world.user("assess"), case.id).case.id == case.id
    assert at


def test_cases_outside_the_org_are_not_found(world):
    case = start(world, "V11", "clerk1")
    for outsider in ("vil12", "vil21", "town2", "clerk2"):
        with pytest.raises(NotFound):
            cases.detail(world.db, world.user(outsider), case.id)
    for insider in ("vil11", "town1", "clerk1", "dist", "admin"):
        assert cases.detail(world.db, world.user(insider), case.id).case.id == case.id


def test_a_visible_task_of_another_level_is_forbidden_not_hidden(world):
    case = start(world, "V11", "clerk1")
    task = open_task(world.db, case.id)
    with pytest.raises(Forbidden):
        tasks.claim(world.db, world.user("town1"), task.id)
    with pytest.raises(NotFound):
        tasks.claim(world.db, world.user("vil12"), task.id)


def test_clerks_start_cases_only_in_their_township_and_villages_only_their_own(world):
    with pytest.raises(Forbidden):
        start(world, "V21", "clerk1")
    with pytest.raises(Forbidden):
        start(world, "V12", "vil11")
    assert start(world, "V11", "vil11").status == "running"
    with pytest.raises(Forbidden):
        start(world, "V11", "town1")
