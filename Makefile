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

.PHONY: env build test lint dbt-test validate pytest test-postgres test-spark java generate-sample bench lock clean

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

# Parallel runs, one per core of a 2-core machine; JOBS=1 runs one at a time.
# (JOBS=0 keeps pytest in its own process, without pytest-xdist workers, but
# gives sqlfluff every core.)
JOBS ?= 2

# sqlfluff's worker pool leaves a harmless semaphore notice at exit; it is muted.
lint: env
	$(BIN)/ruff check src tests/python
	$(BIN)/ruff format --check src tests/python
	PYTHONWARNINGS="ignore:resource_tracker:UserWarning" \
		$(BIN)/sqlfluff lint models macros tests analyses --processes $(JOBS)

dbt-test: env
	rm -f $(TEST_WAREHOUSE)
	WAREHOUSE_PATH=$(TEST_WAREHOUSE) $(BIN)/dbt build

# Great Expectations suites on the exports and marts of the test warehouse;
# Data Docs HTML in target/data_docs.
validate: env
	$(BIN)/support-kpi validate --warehouse $(TEST_WAREHOUSE) --docs target/data_docs

# Every suite but Spark's, which `make test-spark` runs. Test files are spread over
# pytest-xdist workers whole (--dist loadfile), so a module's fixtures are built
# once; the slowest tests are listed at the end.
pytest: env
	$(BIN)/pytest tests/python --ignore=tests/python/test_spark.py \
		--numprocesses $(JOBS) --dist loadfile --durations 10

test: lint dbt-test validate pytest

# The same project on PostgreSQL 15 (part of `pytest`, so of `make test`): a
# throwaway cluster from the machine's binaries (apt-get postgresql-15 if
# missing) on a free loopback port, the sample loaded into its raw schema,
# dbt build --target postgres, every mart compared with a DuckDB build, the
# bi_reader role's rights checked; the cluster is always stopped.
test-postgres: env
	$(BIN)/pytest tests/python/test_postgres.py

# The same project on Spark, apart from `make test` for its length (CI runs
# both): dbt-spark's session method (a local SparkSession inside the dbt
# process, on Java 17), the sample loaded into a fresh local warehouse,
# dbt build --target spark, every mart compared with a DuckDB build and the
# parsing macros value by value.
test-spark: env java
	$(BIN)/pytest tests/python/test_spark.py

# Java 17 for PySpark: openjdk-17-jre-headless from the Debian packages when
# there is no `java` (as root; slim images lack the man directory it needs).
java:
	@command -v java >/dev/null 2>&1 || { \
		test "$$(id -u)" = 0 || { echo "Spark needs Java 17: install openjdk-17-jre-headless as root"; exit 1; }; \
		echo "installing openjdk-17-jre-headless"; \
		mkdir -p /usr/share/man/man1 && apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless; \
	}

# Regenerate the bundled sample exports (deterministic: same files every time).
generate-sample: env
	$(BIN)/support-kpi generate --tickets 3000 --seed 7 --format csv --out data/sample_exports

# Scale benchmark, not part of `make test`: dbt build against a single-script
# DuckDB reference on generated Parquet exports of S = 100k, M = 1M and
# L = 10M tickets (cached in bench/cache); results in bench/results/latest.json.
# `make bench SCALES=M` runs a subset.
SCALES ?= S M L

bench: env
	$(BIN)/support-kpi bench --scales $(SCALES)

# Re-resolve pinned dependencies after editing requirements.in.
lock: env
	$(BIN)/uv pip compile requirements.in -o requirements.txt --python-version 3.11 --no-header

clean:
	rm -rf $(VENV) target logs warehouse.duckdb
