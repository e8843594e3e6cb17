"""Where a completion's CPU goes: the parts of `POST /api/tasks/{id}/complete`, each timed.

No target of its own: it explains the completion figures of complete_task.py. Fresh cases with
village_evaluation open (complete_task.prepare) are completed through Flask's test client in
this process, the hot path's functions wrapped with timers for the measured requests only.
Each part's CPU is this thread's time on the CPU (`time.thread_time_ns`), its wall time beside
it; the difference is waiting, almost all of it for the database. Parts nest (the commit holds
the one-statement write); each row is the median over the requests of that part's total in
one request. The raw SpiffWorkflow chain6 step of complete_task.py, the ratio's baseline, is
timed the same way, interleaved with the requests. A gunicorn worker spends more per request
than the test client (its HTTP parsing and socket work): compare with complete_task.py's
server CPU. Wrapping costs about a microsecond a call.

    .venv/bin/python bench/completion_phases.py [--n 300] [--database-url URL]
"""

from __future__ import annotations

import functools
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import complete_task
from common import arg_parser, database_label, describe_db, load, make_app, median, print_table
from flask import Flask
from sqlalchemy.orm import Session

from engine.casework import instances, tasks
from engine.people import accounts
from engine.store import oneshot
from engine.workflow import procedures, spiff

# (label, owner, attribute): functions the hot path calls through their module or class
# attribute, in the order a request reaches them; indented labels are parts of the row above.
PARTS: list[tuple[str, Any, str]] = [
    ("request, whole (Flask WSGI app)", Flask, "wsgi_app"),
    ("  bearer token -> user", accounts, "user_for_token"),
    ("  engine tasks.complete", tasks, "complete"),
    ("    task + case + state, one query", tasks, "_open_for"),
    ("    form validation", procedures, "validate_form"),
    ("    workflow load", instances, "load"),
    ("    SpiffWorkflow step", spiff, "complete"),
    ("    save: state, task rows, notices", instances, "save"),
    ("    commit", Session, "commit"),
    ("      one-statement write + audit", oneshot, "write_all"),
]


class Timers:
    """Per-request totals of CPU and wall nanoseconds for each wrapped part."""

    def __init__(self) -> None:
        self.on = False
        self.current: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        self.requests: list[dict[str, list[int]]] = []

    def wrap(self, label: str, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def timed(*args, **kwargs):
            if not self.on:
                return fn(*args, **kwargs)
            cpu, wall = time.thread_time_ns(), time.perf_counter_ns()
            try:
                return fn(*args, **kwargs)
            finally:
                spent = self.current[label]
                spent[0] += time.thread_time_ns() - cpu
                spent[1] += time.perf_counter_ns() - wall
        return timed

    def next_request(self) -> None:
        self.requests.append(dict(self.current))
        self.current.clear()

    def medians(self, label: str) -> tuple[float, float]:
        """(CPU ms, wall ms): medians over the requests (0 where a request did not call it)."""
        pairs = [r.get(label, (0, 0)) for r in self.requests]
        return median([p[0] / 1e6 for p in pairs]), median([p[1] / 1e6 for p in pairs])


def install(timers: Timers) -> Callable[[], None]:
    """Wrap every part; returns the function that puts the originals back."""
    originals = [(owner, name, getattr(owner, name)) for _, owner, name in PARTS]
    for label, owner, name in PARTS:
        setattr(owner, name, timers.wrap(label, getattr(owner, name)))

    def restore() -> None:
        for owner, name, fn in originals:
            setattr(owner, name, fn)
    return restore


def main() -> None:
    parser = arg_parser(__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="measured requests")
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()
    app = make_app(args.database_url)
    label = database_label(app)
    print(f"Completion phases: {describe_db(app)}", flush=True)
    task_ids, token = complete_task.prepare(app, args.warmup + args.n)
    chain6, _ = complete_task.chain6_baseline()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    timers = Timers()
    restore = install(timers)
    chain_cpu: list[float] = []
    started = load()
    try:
        for n, task_id in enumerate(task_ids):
            timers.on = n >= args.warmup
            cpu = time.thread_time_ns()
            chain6()
            if timers.on:
                chain_cpu.append((time.thread_time_ns() - cpu) / 1e6)
            response = client.post(f"/api/tasks/{task_id}/complete",
                                   json=complete_task.body(), headers=headers)
            assert response.status_code == 200, (response.status_code, response.get_json())
            if timers.on:
                timers.next_request()
    finally:
        restore()
    whole_cpu = timers.medians(PARTS[0][0])[0]
    rows = []
    for part, _, _ in PARTS:
        cpu, wall = timers.medians(part)
        rows.append([part, cpu, wall, f"{cpu / whole_cpu:.0%}" if whole_cpu else ""])
    rows.append(["raw chain6 step (ratio baseline)", median(chain_cpu), "", ""])
    print_table(f"{label}: {len(timers.requests)} completions, test client, medians per "
                f"request (load {started:.2f} -> {load():.2f})",
                ["part", "CPU ms", "wall ms", "of request CPU"], rows)


if __name__ == "__main__":
    main()
