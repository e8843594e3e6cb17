"""The 20th pass of a case returned many times costs <= 1.5x the first.

A round is: village_evaluation approve, the 7-day notice fired by timers.run_pass(now + 8
days), township_review "return" (back to village_evaluation). Groups of --cases cases are
first taken untimed through 0, 1, 4, 9, 14 and 19 rounds; then one more round is measured
for all groups at once, each case's engine `tasks.complete` calls (persisted, one
transaction) timed in turn across the groups, so round 1 and round 20 are measured under
the same machine load. Shown per round: median call time (wall, and this process's CPU
time), the engine's spiff part alone (spiff.load + complete + dump of the same stored state)
and the state's size.

    .venv/bin/python bench/returns.py [--cases 9] [--rounds 20] [--database-url URL]
"""

from __future__ import annotations

import json
from datetime import timedelta
from time import perf_counter, process_time

from common import (
    T0,
    Figure,
    arg_parser,
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
    verdict,
)
from sqlalchemy import select

from engine.casework import instances, tasks, timers
from engine.store.models import Case, HumanTask, ProcedureVersion, ProcessInstance
from engine.workflow import procedures, spiff
from engine.workflow.spiff import storage
from tests.factories import WORKER, valid_step_data
from web.extensions import db as flask_db

KINDS = {"village_evaluation": "approve", "township_review": "return"}
MAX_RATIO = 1.5


def state_of(db, case_id: int) -> tuple[bytes, dict, list[dict]]:
    """The stored state and the application and submitted forms it is compressed against."""
    state, application = db.execute(
        select(ProcessInstance.state, Case.application)
        .join(Case, Case.id == ProcessInstance.case_id)
        .where(ProcessInstance.case_id == case_id)).one()
    forms = instances.forms_of(db.execute(select(HumanTask.id, HumanTask.data).where(
        HumanTask.case_id == case_id, HumanTask.data.is_not(None))))
    return bytes(state), application, [data for _, data in forms]


def spiff_part(stored: tuple[bytes, dict, list[dict]], model: spiff.ProcessModel,
               step: str) -> float:
    """Seconds for the engine's spiff work on this state, without the database."""
    state, application, forms = stored
    started = perf_counter()
    wf = spiff.load(state, model, application, forms)
    data = valid_step_data(step, KINDS[step])
    spiff.complete(wf, str(spiff.ready_user_tasks(wf)[0].id), data)
    spiff.dump(wf, application, [*forms, data])
    return perf_counter() - started


class Rounds:
    """Cases in groups by the round they are at; moves and times them through the engine."""

    def __init__(self, db, rounds: list[int], per_group: int) -> None:
        self.db, self.people, self.now = db, users(db), T0
        self.groups = {r: start_cases(db, per_group, T0) for r in rounds}
        self.round_of = {c: g for g, ids in self.groups.items() for c in ids}
        first = self.groups[rounds[0]][0]
        version = db.get(ProcedureVersion, db.get(Case, first).procedure_version_id)
        self.model = procedures.model_of(version)

    def step(self, step: str, case_ids: list[int], times: dict | None = None) -> None:
        """Complete `step` in each case; with `times`, time the calls round-robin by group."""
        if step == "township_review":
            self.now += timedelta(days=8)
            timers.run_pass(self.db, self.now)  # the village notices run out
        self.now += timedelta(hours=1)
        for case_id in case_ids:
            task = open_task(self.db, case_id, step)
            alone = 0.0
            if times is not None:
                alone = spiff_part(state_of(self.db, case_id), self.model, step)
            started, cpu = perf_counter(), process_time()
            tasks.complete(self.db, self.people[WORKER[step]], task.id,
                           valid_step_data(step, KINDS[step]), now=self.now)
            if times is not None:
                times.setdefault((step, self.round_of[case_id]), []).append(
                    (perf_counter() - started, alone, process_time() - cpu))

    def prepare(self) -> None:
        """Take each group untimed through the rounds before its own."""
        for r in range(1, max(self.groups)):
            behind = [c for g, ids in self.groups.items() if g > r for c in ids]
            for step in KINDS:
                self.step(step, behind)

    def measure(self) -> dict:
        """{(step, round): [(engine s, spiff s, engine CPU s)]}, groups interleaved by case."""
        self.db.expunge_all()  # as in a request: no objects left over from the set-up
        self.people = users(self.db)
        order = [c for row in zip(*self.groups.values(), strict=True) for c in row]
        times: dict = {}
        for step in KINDS:
            self.step(step, order, times)
        return times

    def sizes(self) -> dict[int, tuple[float, float, float]]:
        """{round: median (zlib bytes, JSON bytes, tasks in the tree)} after the round."""
        out = {}
        for g, ids in self.groups.items():
            found = []
            for case_id in ids:
                blob, application, forms = state_of(self.db, case_id)
                raw = storage.decompress(blob, application, forms)
                found.append((len(blob), len(raw), len(json.loads(raw)["tasks"])))
            out[g] = tuple(median([f[i] for f in found]) for i in range(3))
        return out


def main() -> None:
    parser = arg_parser(__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=9, help="cases per group")
    parser.add_argument("--rounds", type=int, default=20, help="the round compared with round 1")
    args = parser.parse_args()
    last = args.rounds
    shown = sorted({1, 2, 5, 10, 15, last} & set(range(1, last + 1)))
    app = make_app(args.database_url)
    at = load()
    with app.app_context():
        warm = Rounds(flask_db.session, [1, 2], 2)  # caches, prepared statements, first calls
        warm.prepare()
        warm.measure()
        bench = Rounds(flask_db.session, shown, args.cases)
        bench.now = warm.now
        bench.prepare()
        times = bench.measure()
        sizes = bench.sizes()
        flask_db.session.remove()
    print(f"Target 3 - a case returned many times; {describe_db(app)}; {args.cases} cases per "
          "round shown; a round = village_evaluation approve -> notice -> township_review return")

    def ms(step: str, r: int, part: int = 0) -> float:
        return median([t[part] for t in times[(step, r)]]) * 1e3

    rows = [[r, ms("village_evaluation", r), ms("township_review", r),
             ms("village_evaluation", r, 2) + ms("township_review", r, 2),
             ms("village_evaluation", r, 1) + ms("township_review", r, 1),
             int(sizes[r][0]), int(sizes[r][1]), int(sizes[r][2])] for r in shown]
    print_table("Per round (ms: median engine tasks.complete call; state after the round)",
                ["round", "village_eval ms", "township_review ms", "CPU ms (both)",
                 "spiff part ms (both)",
                 "state zlib B", "state JSON B", "tasks in tree"], rows)
    cpu = sum(ms(s, last, 2) for s in KINDS) / sum(ms(s, 1, 2) for s in KINDS)
    for step in KINDS:
        ratio = ms(step, last) / ms(step, 1)
        print(f"  {step}: round {last} / round 1 = {ratio:.2f}x (target <= {MAX_RATIO}x): "
              f"{verdict(ratio <= MAX_RATIO)}")
    both = sum(ms(s, last) for s in KINDS) / sum(ms(s, 1) for s in KINDS)
    print(f"  both completions: round {last} / round 1 = {both:.2f}x (target <= {MAX_RATIO}x): "
          f"{verdict(both <= MAX_RATIO)}")
    record(Figure(f"returned case: round {last} / round 1, both completions", database_label(app),
                  both, "x", f"<= {MAX_RATIO}x (earlier issue; none in issue 16)",
                  at_most(both, MAX_RATIO), at, load(),
                  f"{args.cases} cases per round, engine calls, no HTTP"))
    print(f"  both, process CPU time only: {cpu:.2f}x (less sensitive to a busy machine): "
          f"{verdict(cpu <= MAX_RATIO)}")
    print(f"  stored state: {sizes[1][0]:,.0f} B after round 1, {sizes[last][0]:,.0f} B after "
          f"round {last} ({sizes[last][0] / sizes[1][0]:.1f}x)")


if __name__ == "__main__":
    guarded(main)
