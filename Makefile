# The two commands: `make run` (a populated portal on http://127.0.0.1:$PORT) and `make test`.
PYTHON ?= python3
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
MANAGE := $(BIN)/python manage.py

.PHONY: run test install install-dev lint format audit migrate demo dataset bench bench-portal load fuzz stop-db clean

$(UV):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv

install: $(UV)
	$(UV) sync --locked --inexact --quiet

install-dev: $(UV)
	$(UV) sync --locked --inexact --quiet --extra dev

migrate: install
	$(MANAGE) migrate --no-input

# The demo records, and their cooperation summaries (2000 to this month; about 15 s).
demo: migrate
	$(MANAGE) load_demo
	$(MANAGE) summaries --from 2000-01 --to $$(date +%Y-%m) --no-progress

run: demo
	$(MANAGE) runserver 127.0.0.1:$(PORT)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit --quiet --configfile pyproject.toml --recursive --severity-level medium cooperation agreements operations summaries

# Known vulnerabilities of the locked dependencies, for deployers whose machines reach a
# vulnerability database (these development machines reach none: pip-audit finds no source).
audit: install
	$(BIN)/uv export --locked --all-extras --format requirements-txt > .audit-requirements.txt
	$(BIN)/uv tool run pip-audit --requirement .audit-requirements.txt --disable-pip --strict

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: install-dev lint
	$(MANAGE) makemigrations --check --dry-run
	$(BIN)/pytest $(PYTEST_ARGS)

# Synthetic data at scale for benchmarks: make dataset OPERATIONS=1000000
OPERATIONS ?= 100000
dataset: migrate
	$(MANAGE) generate_dataset --operations $(OPERATIONS) --seed 1

# Benchmarks print figures; see bench/README.md.
BENCH_OPERATIONS ?= 1000000
bench: install
	$(BIN)/python bench/generate_dataset.py --operations $(BENCH_OPERATIONS)

# The portal's pages on a generated database (DATABASE_URL, e.g. …/bench_dataset).
bench-portal: install
	$(BIN)/python bench/portal.py

# A load run on a live gunicorn (locust, the `bench` extra): mixed reads and writes for
# DURATION seconds, then every acknowledged write looked for in the database.
DURATION ?= 60
load: $(UV)
	$(UV) sync --locked --inexact --quiet --extra bench
	DURATION=$(DURATION) $(BIN)/python bench/load.py

# A long stateful schemathesis run over the whole API, on a live server (FUZZ_SECONDS).
FUZZ_SECONDS ?= 300
fuzz: install-dev
	FUZZ_SECONDS=$(FUZZ_SECONDS) $(BIN)/python bench/fuzz_api.py

stop-db:
	-$(BIN)/python -c "from pathlib import Path; from cooperation.embedded_postgres import stop; stop(Path('.pgdata').resolve())"

clean: stop-db
	rm -rf $(VENV) .pgdata .pytest_cache .ruff_cache staticfiles test-artifacts
