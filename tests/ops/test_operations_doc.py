"""docs/operations.md stays true to the code: the files, commands, settings and benchmark
figures it names exist under those names."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from web import cli, create_app

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
BENCH = ROOT / "bench"


def test_every_path_it_names_exists():
    paths = set(re.findall(r"`((?:tests|engine|web|bench|docs)/[\w./]+\.(?:py|md|sh))`", DOC))
    assert "tests/ops/test_pgbouncer.py" in paths and "tests/ops/test_backup_restore.py" in paths
    assert [p for p in sorted(paths) if not (ROOT / p).exists()] == []


def test_every_yimen_command_it_names_exists():
    named = set(re.findall(r"yimen ([a-z][\w-]*(?: [a-z][\w-]*)?)", DOC))
    assert {"worker", "audit verify", "init-db"} <= named
    for words in named:
        group = cli.main
        first, *rest = words.split()
        command = group.commands.get(first)
        assert command is not None, words
        if rest and hasattr(command, "commands") and rest[0] in command.commands:
            continue
        assert not hasattr(command, "commands") or not rest, words


def test_the_pooled_setting_it_names_is_the_one_the_app_reads(monkeypatch):
    assert "YIMEN_DB_POOLED=1" in DOC
    monkeypatch.setenv("YIMEN_DB_POOLED", "1")
    app = create_app({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://u@h:6432/yimen",
                      "SECRET_KEY": "test"})
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]["prepare_threshold"] is None


def test_the_sizing_table_quotes_figures_the_bench_prints():
    sys.path.insert(0, str(BENCH))
    import run_all

    table = DOC.split("## 1. Sizing", 1)[1].split("How to turn", 1)[0]
    names = re.findall(r"^\| `([^`]+)`", table, flags=re.MULTILINE)
    assert len(names) >= 5
    sources = "".join(p.read_text(encoding="utf-8") for p in BENCH.glob("*.py"))
    expected = [e.name for e in run_all.EXPECTED]
    for name in names:
        start = name.rstrip(" …")
        assert f'"{start}' in sources or any(e.startswith(start) for e in expected), name
