# Aan Huis — the two commands of the README are `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NPM_STAMP := node_modules/.installed

.PHONY: install demo test lint typecheck pytest bench bench-quick clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml setup.py routing/_sisr.c
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $(STAMP)

# Front-end packages (NL Design System CSS, municipal design tokens, Leaflet, htmx) come from npm,
# pinned by package-lock.json, and are served from node_modules by the app.
$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NPM_STAMP)

install: $(STAMP) $(NPM_STAMP)

demo: install
	$(BIN)/aanhuis demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

# Two worker processes (the CI machine has two cores); whole files go to one worker, so a module's
# seeded template is made once. The slowest tests are listed at the end: where the time goes.
PYTEST_ARGS ?= -n 2 --dist loadfile --durations=25

pytest: install
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck pytest

# Benchmarks measure bookings per second on PostgreSQL too (started here when not running).
BENCH_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

bench: install
	.ci/postgres-up
	AANHUIS_BENCH_POSTGRES_URL=$(BENCH_POSTGRES_URL) $(BIN)/python -m benchmarks

bench-quick: install
	$(BIN)/python -m benchmarks --quick

clean:
	rm -rf $(VENV) node_modules .mypy_cache .ruff_cache .pytest_cache
