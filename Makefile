# Two commands for a newcomer: `make run` and `make test`. Nothing else needs to be installed first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
LEDGER := $(BIN)/ledger

.PHONY: run test serve migrate demo openapi check bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# constraints.txt: the exact versions CI tested (setup.cfg only bounds them by major version).
$(VENV)/.installed: $(BIN)/python setup.cfg pyproject.toml constraints.txt
	$(BIN)/pip install --quiet -c constraints.txt -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test]'
	touch $@

## run: install, migrate the SQLite database, seed demo data when empty, serve on http://127.0.0.1:8000
run: $(VENV)/.installed
	$(LEDGER) db upgrade
	$(LEDGER) demo --if-empty
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

## test: the whole suite (SQLite by default; set LEDGER_TEST_DATABASE_URL for PostgreSQL)
test: $(VENV)/.installed-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

migrate: $(VENV)/.installed
	$(LEDGER) db upgrade

demo: $(VENV)/.installed
	$(LEDGER) db upgrade
	$(LEDGER) demo

## openapi: refresh the checked-in contract snapshot after an intended API change
openapi: $(VENV)/.installed
	$(LEDGER) openapi write contracts/openapi.json

## check: the slower proofs (fuzzing, invariant machine, security matrix, load, faults) — see BENCHMARKS.md
check: $(VENV)/.installed-test
	$(BIN)/python -m bench.check $(CHECK_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache
