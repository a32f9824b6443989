"""The project on PostgreSQL 15 gives the same marts as on DuckDB.

One session cluster (postgres_cluster.py: the machine's PostgreSQL 15,
installed from Debian packages if missing, on a free loopback port, always
stopped). The bundled sample is loaded into its raw schema by
``support-kpi load --target postgres`` (`support_kpi.load`), ``dbt build
--target postgres`` runs every model, seed and data test and the unit tests
that PostgreSQL can run, and a DuckDB build of the same exports (in
parallel) is the reference: every mart listed in the manifest must hold the
same rows (values within 1e-9). The parsing macros are compared value by
value on a corpus of hostile text, and the dashboards' role is shown to read
the marts and nothing else.

Nothing is skipped: without PostgreSQL 15 and no way to install it, the
tests fail with what to do.
"""

from __future__ import annotations

import os
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import psycopg2
import psycopg2.errors
import pytest

from conftest import DBT, PROJECT_DIR, assert_ok, run_dbt
from mart_comparison import (
    Table,
    compare_mart,
    marts_from_manifest,
    read_dbapi,
    read_duckdb,
    values_agree,
)
from parsing_parity import PARSED, TIMESTAMPS, UNICODE_CASES, corpus, differences
from postgres_cluster import Cluster, ClusterError, postgres_cluster

SAMPLE = (PROJECT_DIR / "data" / "sample_exports").resolve()
MARTS_SCHEMA = "analytics"

# Unit tests left out on PostgreSQL, and why. Every other unit test runs there.
UNIT_TESTS_NOT_ON_POSTGRES = {
    "test_retention_counts_with_reactivation_and_continuity": (
        "its fixture is SQL with DuckDB's range(date, date, interval)"
    ),
    "test_volume_heatmap_slots_in_reporting_time": (
        "its fixture is SQL with a DuckDB list literal ['Monday', ...]"
    ),
    "test_order_amounts_and_purchase_flags": (
        "dbt-postgres casts the expected amounts to numeric without scale and the "
        "diff compares 129.9 with 129.9000 as text"
    ),
    "test_period_kpi_formulas": (
        "avg() of integers is numeric on PostgreSQL: csat_mean_score 3.6666666666666667 "
        "against the expected double 3.6666666666666665 (within 1e-9, not equal)"
    ),
}


@dataclass
class Builds:
    """Both builds of the sample, and each engine's SQL for the parsing macros."""

    cluster: Cluster
    postgres_dir: Path
    duckdb_dir: Path
    postgres_parsing_sql: str
    duckdb_parsing_sql: str
    seconds: dict[str, float]

    @property
    def postgres_manifest(self) -> Path:
        return self.postgres_dir / "target" / "manifest.json"

    @property
    def duckdb_manifest(self) -> Path:
        return self.duckdb_dir / "target" / "manifest.json"


def run_dbt_postgres(
    command: list[str], *, cluster: Cluster, work_dir: Path
) -> subprocess.CompletedProcess[str]:
    """dbt against the cluster (target postgres), with its own target and log paths."""
    return run_dbt(
        command,
        warehouse=None,
        exports=SAMPLE,
        work_dir=work_dir,
        target="postgres",
        extra_env=cluster.env(MARTS_SCHEMA),
    )


def _duckdb_lane(work_dir: Path, seconds: dict[str, float], cluster: Cluster, pg_dir: Path) -> str:
    """While the exports load: dbt's parse for the PostgreSQL build (which then
    reuses it), the DuckDB reference build, the parsing macros compiled for DuckDB."""
    started = time.perf_counter()
    assert_ok(run_dbt_postgres(["parse"], cluster=cluster, work_dir=pg_dir))
    seconds["postgres_parse"] = time.perf_counter() - started
    started = time.perf_counter()
    build = run_dbt(
        ["build", "--exclude", "test_type:unit"],
        warehouse=work_dir / "warehouse.duckdb",
        exports=SAMPLE,
        work_dir=work_dir,
    )
    seconds["duckdb_build"] = time.perf_counter() - started
    assert_ok(build)
    # Compiled with the build's own settings, so dbt reuses its parse.
    compiled = run_dbt(
        ["compile", "--quiet", "--inline", _parsing_sql()],
        warehouse=work_dir / "warehouse.duckdb",
        exports=SAMPLE,
        work_dir=work_dir,
    )
    assert_ok(compiled)
    return compiled.stdout


@pytest.fixture(scope="session")
def cluster() -> Cluster:
    try:
        with postgres_cluster() as running:
            yield running
    except ClusterError as error:
        pytest.fail(f"no PostgreSQL 15 cluster for the tests: {error}", pytrace=False)


@pytest.fixture(scope="session")
def builds(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Builds:
    """The sample built on PostgreSQL and, at the same time, on DuckDB."""
    pg_dir = tmp_path_factory.mktemp("postgres")
    duck_dir = tmp_path_factory.mktemp("duckdb_reference")
    seconds: dict[str, float] = {}
    with ThreadPoolExecutor(max_workers=1) as pool:
        duckdb_lane = pool.submit(_duckdb_lane, duck_dir, seconds, cluster, pg_dir)
        # The command line a user runs, with the profile's variables.
        started = time.perf_counter()
        loaded = subprocess.run(
            [
                str(DBT.with_name("support-kpi")),
                "load",
                "--target",
                "postgres",
                "--exports",
                str(SAMPLE),
                "--raw-dir",
                str(pg_dir / "raw"),
            ],
            cwd=PROJECT_DIR,
            env={**os.environ, **cluster.env(MARTS_SCHEMA)},
            capture_output=True,
            text=True,
            check=False,
        )
        seconds["support_kpi_load"] = time.perf_counter() - started
        assert_ok(loaded)
        assert "raw.tickets: 3,359 rows" in loaded.stderr, loaded.stderr
        while "postgres_parse" not in seconds and not duckdb_lane.done():
            time.sleep(1)
        excluded = [f"unit_test:{name}" for name in UNIT_TESTS_NOT_ON_POSTGRES]
        started = time.perf_counter()
        build = run_dbt_postgres(
            ["build", "--exclude", *excluded], cluster=cluster, work_dir=pg_dir
        )
        seconds["postgres_build"] = time.perf_counter() - started
        assert_ok(build)
        compiled = run_dbt_postgres(
            ["compile", "--quiet", "--inline", _parsing_sql()], cluster=cluster, work_dir=pg_dir
        )
        assert_ok(compiled)
        duckdb_parsing_sql = duckdb_lane.result()
    print("seconds: " + ", ".join(f"{step} {value:.1f}" for step, value in seconds.items()))
    return Builds(cluster, pg_dir, duck_dir, compiled.stdout, duckdb_parsing_sql, seconds)


@pytest.fixture()
def pg_connection(cluster: Cluster):
    connection = psycopg2.connect(**cluster.params())
    yield connection
    connection.close()


def test_marts_agree_with_duckdb(builds, pg_connection):
    marts = marts_from_manifest(builds.postgres_manifest)
    duck_marts = marts_from_manifest(builds.duckdb_manifest)
    assert [mart.name for mart in marts] == [mart.name for mart in duck_marts]
    assert len(marts) >= 13, [mart.name for mart in marts]
    reports = []
    with duckdb.connect(str(builds.duckdb_dir / "warehouse.duckdb"), read_only=True) as warehouse:
        for mart in marts:
            assert mart.key, f"{mart.name} has no key test to match rows on"
            comparison = compare_mart(
                mart,
                read_duckdb(warehouse, f"main.{mart.name}"),
                read_dbapi(pg_connection, f"{mart.schema}.{mart.name}"),
                left_name="duckdb",
                right_name="postgres",
            )
            reports.append(comparison)
    print("\n".join(report.summary() for report in reports))
    assert all(report.agrees for report in reports), "\n".join(
        report.summary() for report in reports if not report.agrees
    )


def test_marts_are_in_the_marts_schema_only(builds):
    schemas = {mart.schema for mart in marts_from_manifest(builds.postgres_manifest)}
    assert schemas == {MARTS_SCHEMA}


def test_bi_reader_reads_the_marts_and_nothing_else(builds, cluster):
    marts = marts_from_manifest(builds.postgres_manifest)
    connection = psycopg2.connect(**cluster.params("reader"))
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            for mart in marts:
                cursor.execute(f"select count(*) from {mart.schema}.{mart.name}")
                assert cursor.fetchone()[0] >= 0
        forbidden = [
            f"select count(*) from {MARTS_SCHEMA}_staging.stg_helpdesk__tickets",
            f"select count(*) from {MARTS_SCHEMA}_intermediate.int_tickets_measured",
            f"select count(*) from {MARTS_SCHEMA}_reference.channels",
            "select count(*) from raw.tickets",
            f"create table {MARTS_SCHEMA}.dashboard_scratch (n integer)",
            "create table public.dashboard_scratch (n integer)",
            f"create view {MARTS_SCHEMA}.dashboard_view as select 1 as n",
            f"delete from {MARTS_SCHEMA}.fct_tickets",
            f"drop table {MARTS_SCHEMA}.fct_tickets",
        ]
        for statement in forbidden:
            with (
                pytest.raises(psycopg2.errors.InsufficientPrivilege),
                connection.cursor() as cursor,
            ):
                cursor.execute(statement)
    finally:
        connection.close()


# --- the parsing macros, value by value -------------------------------------


def _parsing_sql() -> str:
    expressions = ", ".join(f"{sql} as {name}" for name, sql in PARSED.items())
    return f"select id, {expressions} from parity_input"


def test_parsing_macros_agree_value_by_value(builds, pg_connection):
    """Every parsing macro gives the same value on both engines, hostile text included."""
    values = sorted(set(corpus(builds.postgres_dir / "raw")) | set(UNICODE_CASES))
    assert len(values) > 5000
    rows = list(enumerate(values))

    # Timestamps compare as microseconds since 1970 (BC years included).
    duck_outer = ", ".join(f"epoch_us({name})" if name in TIMESTAMPS else name for name in PARSED)
    pg_outer = ", ".join(
        f"cast(extract(epoch from {name}) * 1000000 as bigint)" if name in TIMESTAMPS else name
        for name in PARSED
    )
    with duckdb.connect() as connection:
        connection.execute("set TimeZone = 'UTC'")
        # One list parameter: executemany would insert row by row.
        connection.execute(
            "create table parity_input as select cast(i - 1 as integer) as id, texts[i] as v"
            " from (select ? as texts) as given, range(1, len(texts) + 1) as positions(i)",
            [values],
        )
        duck_rows = connection.execute(
            f"select id, {duck_outer} from ({builds.duckdb_parsing_sql}) as parsed order by id"
        ).fetchall()
    from psycopg2.extras import execute_values

    with pg_connection.cursor() as cursor:
        cursor.execute("create temporary table parity_input (id integer, v text)")
        execute_values(cursor, "insert into parity_input values %s", rows)
        cursor.execute(
            f"select id, {pg_outer} from ({builds.postgres_parsing_sql}) as parsed order by id"
        )
        pg_rows = cursor.fetchall()
    pg_connection.rollback()

    found = differences(PARSED, values, duck_rows, pg_rows, "postgres")
    assert not found, f"{len(found)} differences:\n" + "\n".join(found[:40])


# --- the comparison helper itself (no cluster) ------------------------------


def test_compare_mart_reports_every_kind_of_difference():
    columns = ("period", "channel", "tickets", "rate", "label")
    left = Table(columns, [("2024-01", "chat", 3, 50.0, "a"), ("2024-01", "email", 1, None, "b")])
    same = Table(
        ("channel", "period", "tickets", "rate", "label"),
        [("email", "2024-01", 1, None, "b"), ("chat", "2024-01", 3, 50.0 + 1e-12, "a")],
    )
    assert compare_mart("m", left, same, key=("period", "channel")).agrees

    changed = Table(
        columns,
        [("2024-01", "chat", 3, 50.1, "a"), ("2024-02", "sms", 1, 1.0, "c")],
    )
    report = compare_mart("m", left, changed, key=("period", "channel"))
    assert not report.agrees
    text = "\n".join(report.differences)
    assert "rate: left 50.0 != right 50.1" in text
    assert "only in left: {'period': '2024-01', 'channel': 'email'}" in text
    assert "only in right: {'period': '2024-02', 'channel': 'sms'}" in text
    assert not values_agree(1e12, 1e12 + 1e4)
    assert values_agree(1e12, 1e12 + 1.0)
    assert not values_agree(0.5, 0.5 + 1e-8)
    assert not values_agree(None, 0.0)
    assert not values_agree(True, 1)
