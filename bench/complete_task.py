"""Completing a task through a real gunicorn server, against two raw SpiffWorkflow baselines.

Three phases, each on fresh cases whose village_evaluation task is open (approved here):

1. Round trips and statements, in this process through Flask's test client (no server): every
   cursor statement, BEGIN (SQLAlchemy `begin` event), COMMIT and ROLLBACK of one request is
   counted; on PostgreSQL each is one round trip to the server.
2. Latency: gunicorn with 1 sync worker on 127.0.0.1 (started and stopped here),
   `POST /api/tasks/{id}/complete` with a bearer token over a new connection per request.
   Timed alternately with two raw baselines, so all three see the same machine load:
   - bundle: the project's own bpmn/linzi/identification.bpmn in plain SpiffWorkflow, full
     serializer with spec: deserialize_json, set data on the ready user task, run,
     do_engine_steps, serialize_json;
   - chain6: the same JSON round trip on bench/chain6.bpmn, six user tasks in a row (the
     baseline of the peer comparison in issue 16), at its third task.
   The worker's CPU time (from /proc/<pid>/schedstat, user + system) over the measured
   requests, divided by their number, is the server's CPU per completion.
3. Throughput: gunicorn with 2 sync workers; --clients load-generator processes on the same
   machine complete --throughput-requests tasks, stopped at --time-limit seconds.

    .venv/bin/python bench/complete_task.py [--n 100] [--database-url URL]
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from time import perf_counter, process_time

import server
from common import (
    PROCESS,
    ROOT,
    Figure,
    arg_parser,
    at_least,
    at_most,
    database_label,
    describe_db,
    guarded,
    load,
    make_app,
    median,
    open_task,
    print_table,
    record,
    start_cases,
    users,
)
from SpiffWorkflow import TaskState
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.parser import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer import DEFAULT_CONFIG
from sqlalchemy import event

from engine.people import accounts
from engine.time import clock
from tests.factories import WORKER, valid_application, valid_step_data
from web.extensions import db as flask_db

STEP, DECISION = "village_evaluation", "approve"
# issue 16 targets
MAX_ROUND_TRIPS_PG, MAX_CPU_MS = 5, 2.5
MAX_RATIO = {"SQLite": 4.0, "PostgreSQL": 6.0}
MIN_THROUGHPUT_PG = 500.0


def _serializer() -> BpmnWorkflowSerializer:
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(DEFAULT_CONFIG))


def _round_trip(stored: str, data: dict) -> Callable[[], str]:
    """JSON in, complete the ready user task, run the engine steps, JSON out."""
    serializer = _serializer()

    def once() -> str:
        wf = serializer.deserialize_json(stored)
        task = wf.get_tasks(state=TaskState.READY, manual=True)[0]
        task.set_data(**data)
        task.run()
        wf.do_engine_steps()
        return serializer.serialize_json(wf)

    return once


def bundle_baseline() -> tuple[Callable[[], str], int]:
    """The raw step on the project's own bundle at village_evaluation; its JSON size."""
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(ROOT / "bpmn" / "linzi" / "identification.bpmn"))
    parser.add_dmn_file(str(ROOT / "bpmn" / "linzi" / "eligibility.dmn"))
    wf = BpmnWorkflow(parser.get_spec(PROCESS), parser.get_subprocess_specs(PROCESS))
    wf.get_next_task(state=TaskState.READY).set_data(**valid_application())
    wf.do_engine_steps()
    [ready] = wf.get_tasks(state=TaskState.READY, manual=True)
    assert ready.task_spec.bpmn_id == STEP, ready.task_spec.bpmn_id
    stored = _serializer().serialize_json(wf)
    return _round_trip(stored, valid_step_data(STEP, DECISION)), len(stored.encode())


def chain6_baseline() -> tuple[Callable[[], str], int]:
    """The raw step on six user tasks in a row, at the third task; its JSON size."""
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(ROOT / "bench" / "chain6.bpmn"))
    wf = BpmnWorkflow(parser.get_spec("chain6"))
    wf.do_engine_steps()
    for _ in range(2):
        task = wf.get_tasks(state=TaskState.READY, manual=True)[0]
        task.set_data(decision="approve", comment="bench")
        task.run()
        wf.do_engine_steps()
    assert wf.get_tasks(state=TaskState.READY, manual=True)[0].task_spec.bpmn_id == "task3"
    stored = _serializer().serialize_json(wf)
    return _round_trip(stored, {"decision": "approve", "comment": "bench"}), len(stored.encode())


def prepare(app, count: int) -> tuple[list[int], str]:
    """`count` cases with village_evaluation open: the task ids and a token of its worker."""
    with app.app_context():
        db = flask_db.session
        people = users(db)
        case_ids = start_cases(db, count, clock.now())
        task_ids = [open_task(db, case_id, STEP).id for case_id in case_ids]
        token = accounts.issue_token(db, people[WORKER[STEP]])
        flask_db.session.remove()
    return task_ids, token


def body() -> dict:
    return {"data": valid_step_data(STEP, DECISION), "comment": "bench"}


def count_round_trips(app, task_ids: list[int], token: str) -> tuple[list[int], list[str]]:
    """Round trips per request (statements + BEGIN + COMMIT + ROLLBACK), in this process."""
    with app.app_context():
        engine = flask_db.engine
    client = app.test_client()
    seen: list[str] = []
    listeners = {
        "before_cursor_execute": lambda c, cur, statement, *a: seen.append(
            " ".join(statement.split())),
        "begin": lambda conn: seen.append("BEGIN"),
        "commit": lambda conn: seen.append("COMMIT"),
        "rollback": lambda conn: seen.append("ROLLBACK"),
    }
    for name, fn in listeners.items():
        event.listen(engine, name, fn)
    counts, last = [], []
    try:
        for task_id in task_ids:
            seen.clear()
            response = client.post(f"/api/tasks/{task_id}/complete", json=body(),
                                   headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 200, (response.status_code, response.get_json())
            counts.append(len(seen))
            last = list(seen)
    finally:
        for name, fn in listeners.items():
            event.remove(engine, name, fn)
    return counts, last


def latency(app, task_ids: list[int], token: str, warmup: int, time_limit: float):
    """HTTP through gunicorn (1 worker) and the two baselines, timed alternately."""
    bundle_once, bundle_bytes = bundle_baseline()
    chain_once, chain_bytes = chain6_baseline()
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    times: dict[str, list[float]] = {"bundle": [], "chain6": [], "http": []}
    with server.gunicorn(url, workers=1) as srv:
        gc.collect()
        started = perf_counter()
        cpu_before = None
        for i, task_id in enumerate(task_ids):
            if i == warmup:
                cpu_before, measured_from = srv.workers_cpu(), i
            t0 = perf_counter()
            bundle_once()
            t1 = perf_counter()
            chain_once()
            t2 = perf_counter()
            status, answer = server.post_json(srv.port, f"/api/tasks/{task_id}/complete",
                                              body(), token)
            t3 = perf_counter()
            assert status == 200, (status, answer[:300])
            if i >= warmup:
                times["bundle"].append(t1 - t0)
                times["chain6"].append(t2 - t1)
                times["http"].append(t3 - t2)
            if perf_counter() - started > time_limit and i > warmup:
                break
        done = i + 1 - measured_from if cpu_before is not None else 0
        cpu_ms = (srv.workers_cpu() - cpu_before) / done * 1e3 if done else float("nan")
    return times, cpu_ms, bundle_bytes, chain_bytes


def main() -> None:
    parser = arg_parser(__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100, help="measured requests, latency phase")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--count-n", type=int, default=10,
                        help="requests whose round trips are counted (test client)")
    parser.add_argument("--throughput-requests", type=int, default=1500,
                        help="tasks prepared for the throughput phase (0: skip it)")
    parser.add_argument("--clients", type=int, default=4, help="load-generator processes")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per phase")
    args = parser.parse_args()
    app = make_app(args.database_url)
    label = database_label(app)
    print(f"Completing a task: {describe_db(app)}; step {STEP} ({DECISION})", flush=True)
    total = args.count_n + args.warmup + args.n + args.throughput_requests
    started = load()
    task_ids, token = prepare(app, total)
    print(f"  prepared {total} cases (load {started:.2f} -> {load():.2f})", flush=True)
    counted = task_ids[:args.count_n]
    timed = task_ids[args.count_n:args.count_n + args.warmup + args.n]
    loaded = task_ids[args.count_n + args.warmup + args.n:]

    at = load()
    cpu0 = process_time()
    counts, last = count_round_trips(app, counted, token)
    in_process_cpu = (process_time() - cpu0) / len(counted) * 1e3
    is_pg = label == "PostgreSQL"
    steady = counts[1:] or counts  # the first request fills the process's caches
    record(Figure("completion round trips (statements + BEGIN/COMMIT)", label, max(steady),
                  "per request", f"<= {MAX_ROUND_TRIPS_PG} on PostgreSQL" if is_pg else "",
                  at_most(max(steady), MAX_ROUND_TRIPS_PG) if is_pg else None, at, load(),
                  f"test client, the most of {len(steady)} requests after a first one "
                  f"({counts[0]} round trips, cold caches); BEGIN/COMMIT are round trips on "
                  "PostgreSQL only"))
    print(f"  the last request's round trips ({len(last)}):")
    for n, statement in enumerate(last, 1):
        print(f"    {n:2}. {statement[:110]}{' ...' if len(statement) > 110 else ''}")
    print(f"  (this process's CPU per test-client request, for comparison: "
          f"{in_process_cpu:.2f} ms)")

    at = load()
    times, cpu_ms, bundle_bytes, chain_bytes = latency(app, timed, token, args.warmup,
                                                        args.time_limit)
    end = load()
    http = median(times["http"])
    print_table(f"Latency, {len(times['http'])} requests (median of each, alternated)",
                ["measure", "median ms", "min ms", "max ms", "JSON bytes"], [
                    ["raw bundle step, JSON round trip", median(times["bundle"]) * 1e3,
                     min(times["bundle"]) * 1e3, max(times["bundle"]) * 1e3, bundle_bytes],
                    ["raw chain6 step, JSON round trip", median(times["chain6"]) * 1e3,
                     min(times["chain6"]) * 1e3, max(times["chain6"]) * 1e3, chain_bytes],
                    ["POST .../complete via gunicorn", http * 1e3, min(times["http"]) * 1e3,
                     max(times["http"]) * 1e3, ""]])
    note = f"gunicorn 1 sync worker, {len(times['http'])} requests"
    tick = "; CPU from /proc/<pid>/schedstat"
    limit = MAX_RATIO[label]
    ratio6 = http / median(times["chain6"])
    record(Figure("completion via gunicorn / chain6 JSON round trip", label, ratio6, "x",
                  f"<= {limit:.0f}x", at_most(ratio6, limit), at, end, note))
    record(Figure("completion via gunicorn / own-bundle JSON round trip", label,
                  http / median(times["bundle"]), "x", "", None, at, end, note))
    record(Figure("completion via gunicorn, median", label, http * 1e3, "ms", "", None, at,
                  end, note))
    record(Figure("server CPU per completion (worker user+system)", label, cpu_ms, "ms",
                  f"<= {MAX_CPU_MS} ms on PostgreSQL" if is_pg else "",
                  at_most(cpu_ms, MAX_CPU_MS) if is_pg else None, at, end, note + tick))

    if loaded:
        with app.app_context():  # no pooled connection inherited by the forked load generator
            flask_db.engine.dispose()
        at = load()
        url = app.config["SQLALCHEMY_DATABASE_URI"]
        with server.gunicorn(url, workers=2) as srv:
            ok, failed, seconds = server.load_test(srv.port, loaded, body(), token,
                                                   args.clients, args.time_limit)
        rate = ok / seconds if seconds > 0 else float("nan")
        record(Figure("throughput, 2 sync workers", label, rate, "completions/s",
                      f">= {MIN_THROUGHPUT_PG:.0f}/s on PostgreSQL" if is_pg else "",
                      at_least(rate, MIN_THROUGHPUT_PG) if is_pg else None, at, load(),
                      f"{ok} completed, {failed} failed in {seconds:.1f} s, {args.clients} "
                      "load-generator processes on the same cores"))


if __name__ == "__main__":
    guarded(main)
