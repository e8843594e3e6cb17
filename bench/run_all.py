"""`make bench`: every benchmark, each in its own process, on SQLite and on PostgreSQL.

    .venv/bin/python bench/run_all.py [--quick] [--inbox-tasks N] [--write-readme]

PostgreSQL: the URL in YIMEN_BENCH_DATABASE_URL (or --database-url); its public schema is
dropped and recreated by each script, so give it a database kept for benchmarks. Unset, the
PostgreSQL figures are skipped with a line saying so.

Each script prints its own tables and one `FIGURE` line per figure (value, target, PASS/FAIL
where issue 16 sets a target, the 1-minute load at its start and end). At the end this prints
all figures in one table, with a "not measured" row (and why) for every figure of EXPECTED
(issue 16's targets) that the run did not print with a verdict; with --write-readme it also
replaces the "Latest run" section of bench/README.md with that table. A new script joins by
an entry in QUICK (its --quick sizes) and its targets in EXPECTED. Exit status: 0 when every
script ran (whatever the verdicts), 1 when one stopped with an error.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
README = HERE / "README.md"
START, END = "<!-- latest-run:start -->", "<!-- latest-run:end -->"
PG_ENV = "YIMEN_BENCH_DATABASE_URL"

BOTH, PG = ("SQLite", "PostgreSQL"), ("PostgreSQL",)


@dataclass(frozen=True)
class Expected:
    """A figure with a target (issue 16, and issue 14's two), that some script must print."""

    script: str
    name: str  # the FIGURE line's name, or how it starts
    databases: tuple[str, ...]
    target: str
    title: str = ""  # for the table where `name` is only the start

    def shown(self) -> str:
        return self.title or self.name


EXPECTED = [
    Expected("complete_task.py", "completion round trips", PG, "<= 5"),
    Expected("complete_task.py", "server CPU per completion", PG, "<= 2.5 ms"),
    Expected("complete_task.py", "completion via gunicorn / chain6", BOTH,
             "<= 4x SQLite, <= 6x PostgreSQL"),
    Expected("complete_task.py", "throughput, 2 sync workers", PG, ">= 500/s"),
    Expected("inbox.py", "inbox API GET /api/tasks p95", BOTH, "<= 10 ms"),
    Expected("inbox.py", "inbox page GET /inbox p95", BOTH, "<= 30 ms"),
    Expected("inbox.py", "inbox page statements", BOTH, "<= 4"),
    Expected("inbox.py", "inbox query: sort steps outside the index", BOTH, "0"),
    Expected("storage.py", "on disk, tables + indexes, as left by the run", BOTH, "<= 5,000 B"),
    Expected("storage.py", "on disk, tables + indexes, after", BOTH, "<= 5,000 B",
             "on disk, tables + indexes, after VACUUM"),
    Expected("yearly_review.py", "yearly review of", BOTH, "<= 2 min",
             "yearly review of 100,000 households started"),
    Expected("payroll.py", "district payroll build", BOTH, "<= 10 s (issue 14)"),
    Expected("crosscheck.py", "cross-check list loaded and matched", BOTH, "<= 60 s (issue 14)"),
]

# Every script in run order, with its --quick sizes. A script listed here that is not (yet) in
# bench/ is reported, not run; its expected figures show as "not measured".
QUICK = {
    "complete_task.py": ["--n", "30", "--throughput-requests", "150"],
    "storage.py": ["--cases", "40"],
    "inbox.py": ["--tasks", "10000", "--samples", "20"],
    "returns.py": ["--cases", "3"],
    "stats.py": ["--households", "10000"],
    "crosscheck.py": ["--households", "10000", "--rows", "10000"],
    "payroll.py": ["--households", "5000"],
    "yearly_review.py": ["--households", "10000"],
}


def script_args(quick: bool, inbox_tasks: int | None) -> dict[str, list[str]]:
    """The scripts in run order with their size options (--quick: a development run)."""
    sizes = {script: list(args) if quick else [] for script, args in QUICK.items()}
    if inbox_tasks:
        sizes["inbox.py"] += ["--tasks", str(inbox_tasks)]
    return sizes


def missing(figures: list[dict], databases: list[str], failed: list[str],
            ran: list[str] | None = None) -> list[str]:
    """Table rows for each expected figure that the run did not print (with a verdict);
    `ran`: the scripts this run started (default: all)."""
    rows = []
    for want in EXPECTED:
        if ran is not None and want.script not in ran and (HERE / want.script).exists():
            continue  # left out on purpose (--only)
        for database in (d for d in want.databases if d in databases):
            got = [f for f in figures
                   if f["database"] == database and f["name"].startswith(want.name)]
            if got and all(f["ok"] is not None for f in got):
                continue
            if got:
                why = f"{want.script} printed it without a verdict"
            elif not (HERE / want.script).exists():
                why = f"bench/{want.script} does not exist yet"
            elif any(f.startswith(f"{want.script} on {database}") for f in failed):
                why = f"{want.script} stopped with an error"
            else:
                why = f"{want.script} printed no such FIGURE line"
            rows.append(f"| {want.shown()} | {database} | not measured | {want.target} | – | – "
                        f"| {why} |")
    return rows


def run(scripts: dict[str, list[str]], databases: list[list[str]]) -> list[str]:
    """Run every script on every database; the scripts that stopped with an error."""
    failed = []
    for extra in databases:
        for script, sizes in scripts.items():
            where = "PostgreSQL" if extra else "SQLite"
            if not (HERE / script).exists():
                print(f"\n===== {script}: not in bench/ yet, skipped", flush=True)
                continue
            print(f"\n===== {script} {' '.join(sizes)} on {where}", flush=True)
            done = subprocess.run([sys.executable, str(HERE / script), *sizes, *extra],
                                  check=False)
            if done.returncode:
                failed.append(f"{script} on {where} (exit status {done.returncode})")
                print(f"({script} stopped with exit status {done.returncode})", flush=True)
    return failed


def summary(figures: list[dict], header: list[str], failed: list[str],
            databases: list[str] | None = None, ran: list[str] | None = None) -> str:
    """The run as markdown: a few header lines and one table row per figure."""
    lines = [*header, "",
             "| figure | database | measured | target | verdict | load start → end | notes |",
             "|---|---|---|---|---|---|---|"]
    for f in figures:
        verdict = "" if f["ok"] is None else ("PASS" if f["ok"] else "FAIL")
        value = f["value"]
        shown = "n/a" if value != value else (
            f"{value:,.0f}" if abs(value) >= 100 or float(value).is_integer() else f"{value:,.2f}")
        lines.append(f"| {f['name']} | {f['database']} | {shown} {f['unit']} | "
                     f"{f['target'] or '–'} | {verdict or '–'} | "
                     f"{f['load_start']:.2f} → {f['load_end']:.2f} | {f['note']} |")
    lines += missing(figures, databases or list(BOTH), failed, ran)
    lines += [""] + [f"- ERROR: {f} stopped; its figures are missing." for f in failed]
    return "\n".join(lines).rstrip() + "\n"


def write_readme(text: str) -> None:
    readme = README.read_text(encoding="utf-8")
    if START not in readme or END not in readme:
        raise SystemExit(f"{README} has no {START} ... {END} markers")
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    README.write_text(f"{head}{START}\n{text}{END}{tail}", encoding="utf-8")
    print(f"\n(wrote the Latest run section of {README})")


def _commit() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE,
                          capture_output=True, text=True, check=False)
    return done.stdout.strip() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get(PG_ENV),
                        help=f"PostgreSQL URL (default: ${PG_ENV}; its public schema is reset)")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--quick", action="store_true", help="small sizes, for development")
    parser.add_argument("--inbox-tasks", type=int, default=None,
                        help="open tasks for inbox.py (default: issue 16's 1000000)")
    parser.add_argument("--write-readme", action="store_true",
                        help="replace the Latest run section of bench/README.md")
    parser.add_argument("--only", action="append", choices=sorted(QUICK), default=None,
                        help="run this script only (repeatable); for development, not for "
                             "--write-readme")
    args = parser.parse_args()
    if args.only and args.write_readme:
        parser.error("--write-readme needs the whole run, not --only")
    databases: list[list[str]] = [] if args.skip_sqlite else [[]]
    if args.database_url:
        databases.append(["--database-url", args.database_url])
        pg_line = "PostgreSQL: measured on the database given (its public schema was reset)."
    else:
        pg_line = f"PostgreSQL: SKIPPED, {PG_ENV} is not set; no PostgreSQL figures."
    print(pg_line, flush=True)
    scripts = {script: sizes for script, sizes in script_args(args.quick, args.inbox_tasks).items()
               if not args.only or script in args.only}
    started, load_start = datetime.now(UTC), os.getloadavg()
    with tempfile.NamedTemporaryFile("w+", suffix=".jsonl", delete=False) as results:
        path = results.name
    os.environ["YIMEN_BENCH_RESULTS"] = path
    try:
        failed = run(scripts, databases)
        figures = [json.loads(line) for line in Path(path).read_text().splitlines() if line]
    finally:
        os.unlink(path)
    load_end = os.getloadavg()
    busy = max(load_start[0], load_end[0]) > 1.5  # on 2 cores: other work shared them
    header = [
        f"- Run of {started:%Y-%m-%d %H:%M} UTC, {(datetime.now(UTC) - started).seconds // 60} "
        f"min, commit {_commit()}, {os.cpu_count()} CPUs, Python {platform.python_version()}.",
        f"- Load average (1/5/15 min) at start {'/'.join(f'{x:.2f}' for x in load_start)}, at end "
        f"{'/'.join(f'{x:.2f}' for x in load_end)}"
        f"{': a busy machine, times are inflated' if busy else ''}.",
        "- " + ("Development run (--quick): sizes far below the defaults; not figures to quote. "
         if args.quick else "") + "Sizes: "
        + "; ".join(f"`{s} {' '.join(a) or '(defaults)'}`" for s, a in scripts.items()) + ".",
        f"- {pg_line}",
    ]
    text = summary(figures, header, failed,
                   ["PostgreSQL" if extra else "SQLite" for extra in databases], list(scripts))
    print("\n===== all figures\n")
    print(text)
    if args.write_readme:
        write_readme(text)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
