# Yimen: the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(TEST_STAMP): pyproject.toml Makefile | $(BIN)/python
	$(BIN)/pip install -q -e '.[test,browser]'
	touch $(STAMP) $@

run: $(STAMP)
	$(BIN)/yimen demo

# The browser tests drive Debian's chromium, the date test libfaketime, the operations tests
# pg_dump/pg_restore and pgbouncer: installed here where missing (as root, as in CI).
test: $(TEST_STAMP)
	$(BIN)/ruff check .
	bash tests/browser/install_chromium.sh
	bash tests/install_faketime.sh
	bash tests/install_pg_client.sh
	bash tests/install_pgbouncer.sh
	$(BIN)/python -m pytest

lint: $(TEST_STAMP)
	$(BIN)/ruff check .

# Every benchmark on SQLite, and on PostgreSQL when YIMEN_BENCH_DATABASE_URL is set (its public
# schema is reset). BENCH_ARGS: e.g. --quick, --inbox-tasks 1000000, --write-readme.
bench: $(STAMP)
	$(BIN)/python bench/run_all.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache
