# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run register relay test unit lint bench clean

$(BIN)/keel: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# Serves the HTTP API on the embedded SQLite database (keel.db), migrated on start.
run: $(BIN)/keel
	$(BIN)/keel serve

# Registers a demo account from the command line and prints its ids.
register: $(BIN)/keel
	$(BIN)/keel db upgrade
	$(BIN)/keel register --email "demo+$$(date +%s%N)@example.com" --password "correct horse battery staple"

lint: $(BIN)/keel
	$(BIN)/lint-imports --no-logo
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The PostgreSQL tests run on KEEL_TEST_POSTGRES_URL when it is set (.ci/run sets it), else on
# a throwaway server the suite starts itself. Verbose, so the output shows each backend test
# run on memory, sqlite and postgres.
test: lint
	$(BIN)/pytest --verbose --cov --cov-report=term

# The tight loop: no gates, no database server; the memory backend and the tests that take no
# backend, in seconds. `[memory` picks the memory parameter id (the bare word would also pick
# test_the_memory_backend_behaves_like_the_database[sqlite]); a test that names sqlite or
# postgres, in its name or its ids, or that migrates a schema is SQL by nature and left out.
unit: $(BIN)/keel
	$(BIN)/pytest -q -k "[memory or not (sqlite or postgres or migrations)"

# What the layers cost against hand-written code, the relay's drain rate, and what one test
# costs per backend; prints three tables (about 3 to 4 minutes).
bench: $(BIN)/keel
	$(BIN)/python -m bench
	$(BIN)/python -m bench.relay --rounds 3
	$(BIN)/python -m bench.tests --rounds 3

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis .coverage keel.db
