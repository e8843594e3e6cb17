"""The suite does not depend on today's date: part of it runs again with the machine's clock
on 1 June 2027, a year `chinesecalendar` 1.11 does not cover, and must pass.

The subset touches every date-sensitive area: due dates and the calendar, timers and the
worker, notices, yearly reviews, identity numbers, the web pages and the ledgers. It runs under
libfaketime (`faketime`, installed by `tests/install_faketime.sh`, which `make test` runs),
on SQLite only (the PostgreSQL test database belongs to this process).
"""

import os
import shutil
import subprocess
import sys

import pytest

from tests.factories import ROOT

SYSTEM_CLOCK = "2027-06-01 10:00:00"
SUBSET = [
    "tests/engine/test_calendar.py",
    "tests/engine/test_deadlines.py",
    "tests/engine/test_worker.py",
    "tests/engine/test_scheduled_reviews.py",
    "tests/engine/test_notices.py",
    "tests/forms/test_idcard.py",
    "tests/web/test_ledgers.py",
    "tests/web/test_task_page.py",
]


def test_a_subset_of_the_suite_passes_with_the_system_clock_in_2027():
    faketime = shutil.which("faketime")
    if faketime is None:
        pytest.fail("faketime is missing: run `bash tests/install_faketime.sh` "
                    "(as root it installs Debian's faketime)", pytrace=False)
    env = {k: v for k, v in os.environ.items() if k != "YIMEN_TEST_DATABASE_URL"}
    probe = subprocess.run([faketime, SYSTEM_CLOCK, sys.executable, "-c",
                            "import datetime; print(datetime.date.today())"],
                           capture_output=True, text=True, env=env, check=True)
    assert probe.stdout.strip() == "2027-06-01", "faketime did not move the clock"
    run = subprocess.run(
        [faketime, "-m", SYSTEM_CLOCK, sys.executable, "-m", "pytest", "-q",
         "-p", "no:cacheprovider", *SUBSET],
        cwd=ROOT, capture_output=True, text=True, env=env, timeout=900)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
