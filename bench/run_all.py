"""Run the three benchmarks, each in its own process, on SQLite and optionally PostgreSQL.

    .venv/bin/python bench/run_all.py [--database-url URL] [--skip-sqlite]

Every benchmark prints its own tables and PASS/FAIL words; this always exits 0.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = ["complete_task.py", "storage.py", "returns.py", "inbox.py"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None,
                        help="also run on this PostgreSQL URL (its public schema is reset)")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    targets: list[list[str]] = [] if args.skip_sqlite else [[]]
    if args.database_url:
        targets.append(["--database-url", args.database_url])
    for extra in targets:
        for script in SCRIPTS:
            print(f"\n===== {script} {' '.join(extra) or '(SQLite)'}", flush=True)
            done = subprocess.run([sys.executable, str(HERE / script), *extra], check=False)
            if done.returncode:
                print(f"({script} stopped with exit status {done.returncode})", flush=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
