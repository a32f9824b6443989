# Two commands matter: `make build` (the warehouse from the bundled sample)
# and `make test` (every check). Everything else is a step of those two.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9

export DBT_PROFILES_DIR := $(CURDIR)
export DBT_PROJECT_DIR := $(CURDIR)
# dbt must not phone home or wait for a version check on an offline machine.
export DBT_SEND_ANONYMOUS_USAGE_STATS := False
export DBT_VERSION_CHECK := False

# The warehouse the test run builds, kept apart from the one `make build` makes.
TEST_WAREHOUSE := target/test_warehouse.duckdb

.PHONY: env build test lint dbt-test validate pytest generate-sample lock clean

env: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11 is required (python3.11 or python3 on PATH)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements.txt
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $@

build: env
	$(BIN)/dbt build

lint: env
	$(BIN)/ruff check src tests/python
	$(BIN)/ruff format --check src tests/python
	$(BIN)/sqlfluff lint models macros tests analyses

dbt-test: env
	WAREHOUSE_PATH=$(TEST_WAREHOUSE) $(BIN)/dbt build

# Great Expectations suites on the exports and marts of the test warehouse;
# Data Docs HTML in target/data_docs.
validate: env
	$(BIN)/support-kpi validate --warehouse $(TEST_WAREHOUSE) --docs target/data_docs

pytest: env
	$(BIN)/pytest tests/python

test: lint dbt-test validate pytest

# Regenerate the bundled sample exports (deterministic: same files every time).
generate-sample: env
	$(BIN)/support-kpi generate --tickets 3000 --seed 7 --format csv --out data/sample_exports

# Re-resolve pinned dependencies after editing requirements.in.
lock: env
	$(BIN)/uv pip compile requirements.in -o requirements.txt --python-version 3.11 --no-header

clean:
	rm -rf $(VENV) target logs warehouse.duckdb
