# The two commands: `make run` (set up everything and serve) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/crm_bench
BENCH_INDEX_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/crm_bench_index
BENCH_API_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/crm_bench_api
BENCH_IMPORTS_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/crm_bench_imports
BENCH_WORKFLOWS_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/crm_bench_workflows
BENCH_WORKFLOWS_REDIS_URL ?= redis://127.0.0.1:6379/7

.PHONY: run install install-dev test lint bench lock clean screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.lock | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	touch $@

$(VENV)/.installed-dev: requirements-dev.lock | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.lock
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Without DATABASE_URL both start the embedded PostgreSQL server (data in var/postgres) and stop it at the end.
run: install
	bin/serve --demo

# The suite runs in TEST_WORKERS processes (pytest-xdist; one per core by default), then the tests marked
# `alone` (they stop a server the others use) one at a time.
TEST_WORKERS ?= auto
test: install-dev
	CRM_ENV=test $(BIN)/pytest -n $(TEST_WORKERS) -m "not alone" $(PYTEST_ARGS)
	CRM_ENV=test $(BIN)/pytest -m alone $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# Benchmarks run on PostgreSQL (BENCH_DATABASE_URL); BENCH_CONTACTS sets the size (default 1,000,000).
# The API bench loads gunicorn with wrk (a Debian package, installed here when missing) and Redis db 8;
# the workflow bench starts a Celery worker on Redis db 7.
bench: install-dev
	command -v wrk >/dev/null 2>&1 || { SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq wrk; }
	CRM_ENV=test DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python -m bench
	CRM_ENV=test DATABASE_URL=$(BENCH_INDEX_DATABASE_URL) $(BIN)/python -m bench.index
	CRM_ENV=test BENCH_API_DATABASE_URL=$(BENCH_API_DATABASE_URL) $(BIN)/python -m bench.api
	CRM_ENV=test BENCH_IMPORTS_DATABASE_URL=$(BENCH_IMPORTS_DATABASE_URL) $(BIN)/python -m bench.imports
	CRM_ENV=test BENCH_WORKFLOWS_DATABASE_URL=$(BENCH_WORKFLOWS_DATABASE_URL) \
		BENCH_WORKFLOWS_REDIS_URL=$(BENCH_WORKFLOWS_REDIS_URL) $(BIN)/python -m bench.workflows

# Browser tests again, saving the README's screenshots under docs/screenshots/.
screenshots: install-dev
	CRM_ENV=test CRM_SCREENSHOTS_DIR=docs/screenshots $(BIN)/pytest tests/browser -q

# Re-pin dependencies from pyproject.toml into the lock files.
lock: install-dev
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --python-version 3.11 --generate-hashes -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes -o requirements-dev.lock

clean:
	if [ -x $(BIN)/python ]; then $(BIN)/python -m crm.embedded_db stop; fi
	rm -rf $(VENV) var
