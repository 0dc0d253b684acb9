# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# uv, when it is on the PATH, builds the venv in seconds; without it, pip does the same job.
# `make UV=` forces pip.
UV ?= $(shell command -v uv 2>/dev/null)

.PHONY: run register aggregate test unit lint lock bench template-test clean

# The venv holds exactly the versions, and files (by hash), of requirements.lock, then keel
# itself, editable, without dependencies of its own choosing.
$(BIN)/keel: requirements.lock pyproject.toml
ifneq ($(UV),)
	$(UV) venv --quiet --allow-existing --seed --python $(PYTHON) $(VENV)
	$(UV) pip sync --quiet --python $(BIN)/python --require-hashes requirements.lock
	$(UV) pip install --quiet --python $(BIN)/python --no-deps -e .
else
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
endif
	touch $@

# Regenerates requirements.lock from pyproject.toml: run it after changing a dependency, and
# commit both. Universal: one lock for every platform and Python from 3.11 on, each file
# pinned by hash. The comments say which requirement brought each package in; the project's
# own name is left out of them, so the lock holds no name but its dependencies'. It takes uv
# from the PATH, else the venv's (a dev dependency).
lock:
	$(or $(UV),$(BIN)/uv) pip compile --quiet pyproject.toml --extra dev --universal \
		--python-version 3.11 --generate-hashes --custom-compile-command "make lock" \
		-o requirements.lock
	sed -i.bak -E 's/[^ ]+ \(pyproject\.toml\)/pyproject.toml/' requirements.lock
	rm requirements.lock.bak

# Serves the HTTP API on the embedded SQLite database (keel.db), migrated on start.
run: $(BIN)/keel
	$(BIN)/keel serve

# >>> example
# Registers a demo account from the command line and prints its ids.
register: $(BIN)/keel
	$(BIN)/keel db upgrade
	$(BIN)/keel register --email "demo+$$(date +%s%N)@example.com" --password "correct horse battery staple"
# <<< example

# Writes a new aggregate, e.g. `make aggregate name=LoanRequest`: its entity and errors, its
# ports, its tables and repository, its line among the features, its migration and its
# contract tests (docs/aggregates.md). Add plural=people when its plural is not the name + s.
aggregate: $(BIN)/keel
	$(BIN)/python scripts/new_aggregate.py "$(name)" $(if $(plural),--plural "$(plural)")

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

# The tight loop: no gates, no database server, no process of its own; the memory backend and
# the tests that take no backend. A test that needs SQL carries the `sql` marker (conftest.py
# refuses one that takes a SQL fixture without it), one that starts a process `process`.
unit: $(BIN)/keel
	$(BIN)/pytest -q -m "not sql and not process"

# >>> example
# >>> outbox
# What the layers cost against hand-written code, the relay's drain rate, and what one test
# costs per backend; prints three tables (about 3 to 4 minutes).
bench: $(BIN)/keel
	$(BIN)/python -m bench
	$(BIN)/python -m bench.relay --rounds 3
	$(BIN)/python -m bench.tests --rounds 3
# <<< outbox
# <<< example

# >>> template
# The template: renders the four combinations of the yes/no answers, runs each project's own
# make test (PostgreSQL included), the aggregate scaffold in the bare one, and copier update
# from the previous release (about 5 minutes; generator/test_template.py).
template-test: $(BIN)/keel
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/pytest -p no:cacheprovider -s generator/test_template.py
# <<< template

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis .coverage keel.db
