"""`make bench`: every benchmark, each in its own process, on SQLite and on PostgreSQL.

    .venv/bin/python bench/run_all.py [--quick] [--inbox-tasks N] [--write-readme]

PostgreSQL: the URL in YIMEN_BENCH_DATABASE_URL (or --database-url); its public schema is
dropped and recreated by each script, so give it a database kept for benchmarks. Unset, the
PostgreSQL figures are skipped with a line saying so.

Each script prints its own tables and one `FIGURE` line per figure (value, target, PASS/FAIL
where issue 16 sets a target, the 1-minute load at its start and end). At the end this prints
all figures in one table; with --write-readme it also replaces the "Latest run" section of
bench/README.md with that table. Exit status: 0 when every script ran (whatever the
verdicts), 1 when one stopped with an error.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
README = HERE / "README.md"
START, END = "<!-- latest-run:start -->", "<!-- latest-run:end -->"
PG_ENV = "YIMEN_BENCH_DATABASE_URL"

# Issue 16 targets that no script measures yet, listed so that the table shows the gap.
NOT_MEASURED = [
    ("yearly review of 100,000 households started", "<= 2 min", "issue 16 point 5 adds it"),
]


def script_args(quick: bool, inbox_tasks: int | None) -> dict[str, list[str]]:
    """The scripts in run order with their size options (--quick: a development run)."""
    sizes = {
        "complete_task.py": ["--n", "30", "--throughput-requests", "150"] if quick else [],
        "storage.py": ["--cases", "40"] if quick else [],
        "inbox.py": ["--tasks", "10000", "--samples", "20"] if quick else [],
        "returns.py": ["--cases", "3"] if quick else [],
        "stats.py": ["--households", "10000"] if quick else [],
        "crosscheck.py": ["--households", "10000", "--rows", "10000"] if quick else [],
        "payroll.py": ["--households", "5000"] if quick else [],
    }
    if inbox_tasks:
        sizes["inbox.py"] += ["--tasks", str(inbox_tasks)]
    return sizes


def run(scripts: dict[str, list[str]], databases: list[list[str]]) -> list[str]:
    """Run every script on every database; the scripts that stopped with an error."""
    failed = []
    for extra in databases:
        for script, sizes in scripts.items():
            where = "PostgreSQL" if extra else "SQLite"
            print(f"\n===== {script} {' '.join(sizes)} on {where}", flush=True)
            done = subprocess.run([sys.executable, str(HERE / script), *sizes, *extra],
                                  check=False)
            if done.returncode:
                failed.append(f"{script} on {where} (exit status {done.returncode})")
                print(f"({script} stopped with exit status {done.returncode})", flush=True)
    return failed


def summary(figures: list[dict], header: list[str], failed: list[str]) -> str:
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
    for name, target, why in NOT_MEASURED:
        lines.append(f"| {name} | – | not measured | {target} | – | – | {why} |")
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
                        help="open tasks for inbox.py (issue 16 size: 1000000)")
    parser.add_argument("--write-readme", action="store_true",
                        help="replace the Latest run section of bench/README.md")
    args = parser.parse_args()
    databases: list[list[str]] = [] if args.skip_sqlite else [[]]
    if args.database_url:
        databases.append(["--database-url", args.database_url])
        pg_line = "PostgreSQL: measured on the database given (its public schema was reset)."
    else:
        pg_line = f"PostgreSQL: SKIPPED, {PG_ENV} is not set; no PostgreSQL figures."
    print(pg_line, flush=True)
    scripts = script_args(args.quick, args.inbox_tasks)
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
    text = summary(figures, header, failed)
    print("\n===== all figures\n")
    print(text)
    if args.write_readme:
        write_readme(text)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
