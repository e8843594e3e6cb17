"""The benchmark's own machinery: the Latest run section and the raw baselines it divides by.

Timings are not asserted (they are figures, printed by `make bench`); what is asserted is
that the README section is replaced between its markers only, that verdicts are written as
given, and that the chain6 baseline really completes one task of six in a JSON round trip.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from SpiffWorkflow import TaskState

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import run_all  # noqa: E402


def figure(name: str, ok: bool | None, value: float = 3.0) -> dict:
    return {"name": name, "database": "SQLite", "value": value, "unit": "ms", "target": "<= 5 ms"
            if ok is not None else "", "ok": ok, "load_start": 0.5, "load_end": 0.75, "note": "n"}


def test_summary_writes_each_verdict_and_the_unmeasured_targets():
    text = run_all.summary([figure("a", True), figure("b", False, 1234.5), figure("c", None)],
                           ["- header"], ["x.py on SQLite (exit status 2)"])
    rows = {line.split(" | ")[0].lstrip("| "): line for line in text.splitlines()
            if line.startswith("| ") and not line.startswith("| figure")}
    assert "| PASS |" in rows["a"] and "| 3 ms |" in rows["a"]
    assert "| FAIL |" in rows["b"] and "1,234 ms" in rows["b"]
    assert "| – | – |" in rows["c"] and "PASS" not in rows["c"] and "FAIL" not in rows["c"]
    assert "0.50 → 0.75" in rows["a"]
    assert "not measured" in rows["inbox page statements"]  # expected, not in this run
    assert "- ERROR: x.py on SQLite (exit status 2) stopped" in text


def test_expected_figures_missing_from_a_run_are_rows_saying_why(tmp_path, monkeypatch):
    (tmp_path / "there.py").write_text("")
    (tmp_path / "broken.py").write_text("")
    monkeypatch.setattr(run_all, "HERE", tmp_path)
    monkeypatch.setattr(run_all, "EXPECTED", [
        run_all.Expected("there.py", "done", run_all.BOTH, "<= 1 s"),
        run_all.Expected("there.py", "unjudged", ("SQLite",), "<= 2 s"),
        run_all.Expected("there.py", "forgotten", ("SQLite",), "<= 3 s"),
        run_all.Expected("broken.py", "crashed", ("SQLite",), "<= 4 s"),
        run_all.Expected("absent.py", "yearly", run_all.BOTH, "<= 2 min")])
    ran = [figure("done (x)", True), {**figure("done", False), "database": "PostgreSQL"},
           figure("unjudged", None)]
    rows = run_all.missing(ran, ["SQLite"], ["broken.py on SQLite (exit status 2)"])
    assert rows == [
        "| unjudged | SQLite | not measured | <= 2 s | – | – | there.py printed it without a "
        "verdict |",
        "| forgotten | SQLite | not measured | <= 3 s | – | – | there.py printed no such FIGURE "
        "line |",
        "| crashed | SQLite | not measured | <= 4 s | – | – | broken.py stopped with an error |",
        "| yearly | SQLite | not measured | <= 2 min | – | – | bench/absent.py does not exist "
        "yet |"]
    both = run_all.missing(ran, ["SQLite", "PostgreSQL"], [])
    assert [r for r in both if "PostgreSQL" in r] == [
        "| yearly | PostgreSQL | not measured | <= 2 min | – | – | bench/absent.py does not "
        "exist yet |"]
    only = run_all.missing([], ["SQLite"], [], ran=["broken.py"])  # --only broken.py
    assert [r.split(" | ")[0] for r in only] == ["| crashed", "| yearly"]


def test_every_expected_figure_is_printed_by_its_script():
    """The names run_all.py looks for are the ones the scripts print (those in bench/ now)."""
    assert {e.script for e in run_all.EXPECTED} <= set(run_all.QUICK)
    for want in run_all.EXPECTED:
        script = BENCH / want.script
        if script.exists():
            assert f'"{want.name}' in script.read_text(encoding="utf-8"), want


def test_the_inbox_plan_check_finds_sorts_and_index_reads():
    import inbox

    sqlite_sorted = ["47 0 0 SEARCH human_task USING INDEX ix_human_task_inbox (org_id=?)",
                     "150 0 0 USE TEMP B-TREE FOR ORDER BY"]
    pg_ordered = ["Limit  (cost=0.42..9.1 rows=50)",
                  "  ->  Index Scan using ix_human_task_inbox on human_task  (cost=0.42..)"]
    pg_sorted = ["Limit", "  ->  Sort  (cost=1.1..2.2 rows=50)", "  ->  Seq Scan on human_task"]
    assert inbox.sort_steps(sqlite_sorted) == 1 and inbox.reads_by_index(sqlite_sorted)
    assert inbox.sort_steps(pg_ordered) == 0 and inbox.reads_by_index(pg_ordered)
    assert inbox.sort_steps(pg_sorted) == 1 and not inbox.reads_by_index(pg_sorted)


def test_write_readme_replaces_only_the_latest_run_section(tmp_path, monkeypatch):
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{run_all.START}\nold figures\n{run_all.END}\nafter\n",
                      encoding="utf-8")
    monkeypatch.setattr(run_all, "README", readme)
    run_all.write_readme("new figures\n")
    assert readme.read_text(encoding="utf-8") == (
        f"intro\n{run_all.START}\nnew figures\n{run_all.END}\nafter\n")


def test_write_readme_refuses_a_readme_without_markers(tmp_path, monkeypatch):
    readme = tmp_path / "README.md"
    readme.write_text("no markers\n", encoding="utf-8")
    monkeypatch.setattr(run_all, "README", readme)
    with pytest.raises(SystemExit):
        run_all.write_readme("figures\n")
    assert readme.read_text(encoding="utf-8") == "no markers\n"


def test_the_repository_readme_has_the_markers():
    text = (BENCH / "README.md").read_text(encoding="utf-8")
    assert text.count(run_all.START) == 1 and text.count(run_all.END) == 1


def test_chain6_baseline_completes_the_third_of_six_tasks_in_a_json_round_trip():
    import complete_task

    once, size = complete_task.chain6_baseline()
    after = json.loads(once())
    assert size > 0
    states = {t["task_spec"]: t["state"] for t in after["tasks"].values()
              if t["task_spec"].startswith("task")}
    completed = [name for name, state in states.items() if state == TaskState.COMPLETED]
    ready = [name for name, state in states.items() if state == TaskState.READY]
    assert sorted(completed) == ["task1", "task2", "task3"]
    assert ready == ["task4"]
