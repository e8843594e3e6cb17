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
    assert "not measured" in rows["yearly review of 100,000 households started"]
    assert "- ERROR: x.py on SQLite (exit status 2) stopped" in text


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
