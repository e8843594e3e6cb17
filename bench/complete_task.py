"""Target 1: completing a task over HTTP, persisted, vs a raw SpiffWorkflow 3.2 step.

HTTP side: `POST /api/tasks/{id}/complete` with a bearer token through Flask's test client,
one fresh case per request; every SQL statement and commit of the request is counted (the
token lookup included). Raw side: the same BPMN in plain SpiffWorkflow with the normal full
serializer (spiff DEFAULT_CONFIG, spec included): deserialize_json, set data on the ready
user task, run, do_engine_steps, serialize_json. Also shown, for the breakdown: the engine's
own spiff part (spiff.load + spiff.complete + spiff.dump of the lean, compressed state).

    .venv/bin/python bench/complete_task.py [--n 100] [--database-url URL]
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from datetime import timedelta
from time import perf_counter

from common import (
    PROCESS,
    ROOT,
    arg_parser,
    count_sql,
    describe_db,
    guarded,
    make_app,
    median,
    open_task,
    print_table,
    start_cases,
    users,
    verdict,
)
from SpiffWorkflow import TaskState
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.parser import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer import DEFAULT_CONFIG

from engine import accounts, clock, procedures, spiff, tasks, timers
from engine.models import Case, ProcedureVersion, ProcessInstance
from tests.factories import WORKER, valid_application, valid_step_data
from web.extensions import db as flask_db

# The step measured → its decision; township_review "return" also opens a new task row.
STEPS = {"village_evaluation": "approve", "township_review": "return"}
MAX_RATIO, MAX_STATEMENTS = 4.0, 10


def _to_step(wf: BpmnWorkflow, step: str) -> None:
    """From the first village_evaluation, move a raw workflow on to `step`."""
    if step == "township_review":
        first = wf.get_tasks(state=TaskState.READY, manual=True)[0]
        first.set_data(**valid_step_data("village_evaluation"))
        first.run()
        wf.do_engine_steps()
        with clock.frozen(clock.now() + timedelta(days=8)):  # let the 7-day notice pass
            wf.refresh_timers()
            wf.do_engine_steps()
    [ready] = wf.get_tasks(state=TaskState.READY, manual=True)
    assert ready.task_spec.bpmn_id == step, ready.task_spec.bpmn_id


def raw_step(step: str) -> tuple[Callable[[], str], int]:
    """A function running one raw step (JSON in, step, JSON out), and the JSON's size."""
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(ROOT / "bpmn" / "linzi" / "identification.bpmn"))
    parser.add_dmn_file(str(ROOT / "bpmn" / "linzi" / "eligibility.dmn"))
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(DEFAULT_CONFIG))
    wf = BpmnWorkflow(parser.get_spec(PROCESS), parser.get_subprocess_specs(PROCESS))
    wf.get_next_task(state=TaskState.READY).set_data(**valid_application())
    wf.do_engine_steps()
    _to_step(wf, step)
    stored = serializer.serialize_json(wf)
    data = valid_step_data(step, STEPS[step])

    def once() -> str:
        wf = serializer.deserialize_json(stored)
        task = wf.get_tasks(state=TaskState.READY, manual=True)[0]
        task.set_data(**data)
        task.run()
        wf.do_engine_steps()
        return serializer.serialize_json(wf)

    return once, len(stored.encode())


def prepare(app, step: str, count: int) -> tuple[list[int], str, bytes, spiff.ProcessModel]:
    """`count` cases with `step` open; its task ids, a token of its worker, one stored state."""
    with app.app_context():
        db = flask_db.session
        people = users(db)
        base = clock.now() - timedelta(days=30)
        case_ids = start_cases(db, count, base)
        if step == "township_review":
            for case_id in case_ids:
                tasks.complete(db, people["vil11"], open_task(db, case_id, "village_evaluation").id,
                               valid_step_data("village_evaluation"), now=base)
            timers.run_pass(db, base + timedelta(days=8))
        task_ids = [open_task(db, case_id, step).id for case_id in case_ids]
        token = accounts.issue_token(db, people[WORKER[step]])
        instance = db.query(ProcessInstance).filter_by(case_id=case_ids[0]).one()
        version = db.get(ProcedureVersion, db.get(Case, case_ids[0]).procedure_version_id)
        model = procedures.model_of(version)
        state = bytes(instance.state)
        flask_db.session.remove()
    return task_ids, token, state, model


def engine_spiff_times(state: bytes, model: spiff.ProcessModel, step: str, n: int) -> list[float]:
    """The engine's own spiff part of a completion: load lean state, complete, dump."""
    data = valid_step_data(step, STEPS[step])
    times = []
    for _ in range(n):
        started = perf_counter()
        wf = spiff.load(state, model)
        spiff.complete(wf, str(spiff.ready_user_tasks(wf)[0].id), data)
        spiff.dump(wf)
        times.append(perf_counter() - started)
    return times


def measure(app, step: str, n: int, warmup: int):
    """Raw step and HTTP completion timed alternately (so both see the same machine load)."""
    raw_once, raw_bytes = raw_step(step)
    task_ids, token, state, model = prepare(app, step, n + warmup)
    with app.app_context():
        engine = flask_db.engine
    client = app.test_client()  # no app context is pushed here: each request gets its own
    body = {"data": valid_step_data(step, STEPS[step]), "comment": "bench"}
    headers = {"Authorization": f"Bearer {token}"}
    raw, http, counts = [], [], []
    gc.collect()
    for i, task_id in enumerate(task_ids):
        started = perf_counter()
        raw_once()
        raw_elapsed = perf_counter() - started
        with count_sql(engine) as seen:
            started = perf_counter()
            response = client.post(f"/api/tasks/{task_id}/complete", json=body, headers=headers)
            elapsed = perf_counter() - started
        assert response.status_code == 200, (response.status_code, response.get_json())
        if i >= warmup:
            raw.append(raw_elapsed)
            http.append(elapsed)
            counts.append(seen)
    lean = engine_spiff_times(state, model, step, n)
    return raw, raw_bytes, http, counts, lean, len(state)


def main() -> None:
    parser = arg_parser(__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100, help="measured completions per step")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--step", choices=[*STEPS, "all"], default="all")
    args = parser.parse_args()
    app = make_app(args.database_url)
    print(f"Target 1 - complete a task over HTTP vs raw SpiffWorkflow; {describe_db(app)}; "
          f"n={args.n} per step, median of each")
    for step in STEPS if args.step == "all" else [args.step]:
        raw, raw_json, http, counts, lean, lean_bytes = measure(app, step, args.n, args.warmup)
        stmts = [len(c.statements) for c in counts]
        commits = [c.commits for c in counts]
        ratio = median(http) / median(raw)
        print_table(f"{step} ({STEPS[step]})", ["measure", "median ms", "min ms", "max ms",
                                                 "state bytes"], [
            ["raw SpiffWorkflow step (full JSON)", median(raw) * 1e3, min(raw) * 1e3,
             max(raw) * 1e3, raw_json],
            ["engine spiff part (lean zlib state)", median(lean) * 1e3, min(lean) * 1e3,
             max(lean) * 1e3, lean_bytes],
            ["HTTP POST .../complete, persisted", median(http) * 1e3, min(http) * 1e3,
             max(http) * 1e3, ""],
        ])
        print(f"  HTTP / raw = {ratio:.2f}x (target <= {MAX_RATIO:.0f}x): "
              f"{verdict(ratio <= MAX_RATIO)}")
        print(f"  SQL statements per request: min {min(stmts)}, max {max(stmts)} "
              f"(target <= {MAX_STATEMENTS}): {verdict(max(stmts) <= MAX_STATEMENTS)}")
        print(f"  commits per request: min {min(commits)}, max {max(commits)} (target exactly 1): "
              f"{verdict(set(commits) == {1})}")
        print(f"  statements of the last request ({len(counts[-1].statements)}; a pool "
              "pre-ping and the driver's BEGIN/COMMIT are not cursor statements):")
        for n, statement in enumerate(counts[-1].statements, 1):
            print(f"    {n:2}. {statement[:110]}{' ...' if len(statement) > 110 else ''}")


if __name__ == "__main__":
    guarded(main)
