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
import random
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
from postgres_cluster import Cluster, ClusterError, postgres_cluster

SAMPLE = (PROJECT_DIR / "data" / "sample_exports").resolve()
HOSTILE_ROWS = Path(__file__).parent / "fixtures" / "hostile" / "rows"
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
    env = {
        **os.environ,
        **cluster.env(MARTS_SCHEMA),
        "DBT_PROFILES_DIR": str(PROJECT_DIR),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        "DBT_VERSION_CHECK": "False",
    }
    env.pop("AS_OF", None)
    env.pop("EXPORTS_PATH", None)
    return subprocess.run(
        [
            str(DBT),
            *command,
            "--target",
            "postgres",
            "--project-dir",
            str(PROJECT_DIR),
            "--target-path",
            str(work_dir / "target"),
            "--log-path",
            str(work_dir / "logs"),
            "--vars",
            f'{{"exports_path": "{SAMPLE}"}}',
        ],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
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

PARSED = {
    "as_timestamp": "{{ support_kpi.parse_timestamp('v') }}",
    "as_berlin_timestamp": "{{ support_kpi.parse_timestamp('v', 'Europe/Berlin') }}",
    "as_decimal": "{{ support_kpi.parse_decimal('v') }}",
    "as_integer": "{{ support_kpi.parse_integer('v') }}",
    "as_boolean": "{{ support_kpi.parse_boolean('v') }}",
    "is_personal": "{{ support_kpi.looks_like_personal_data('v') }}",
    "label": "{{ support_kpi.normalize_label('v') }}",
    "pseudonym": "{{ support_kpi.pseudonymize('v') }}",
}
TIMESTAMPS = ("as_timestamp", "as_berlin_timestamp")

HAND_PICKED = [
    # ISO with a zone, the forms DuckDB reads and those it does not.
    "2024-01-05T10:00:00Z",
    "2024-1-5T10:00:00Z",
    "2024-01-05 10:00Z",
    "2024/01/05 10:00Z",
    "2024-01-05T10:00:00.123456789Z",
    "2024-01-05T24:00:00Z",
    "2024-01-05T24:00:00.000Z",
    "2024-01-05T24:00:00.0001Z",
    "2024-01-05T23:59:60Z",
    "2024-02-30T10:00Z",
    "2023-02-29T10:00Z",
    "2024-02-29T10:00Z",
    "2024-01-05T10:00:00+0200",
    "2024-01-05T10:00:00+02",
    "2024-01-05T10:00:00+02:30",
    "2024-01-05T10:00:00-15:00",
    "2024-01-05T10:00:00+99:00",
    "2024-01-05T10:00:00+02:60",
    "2024-01-05T10:00:00 UTC",
    "2024-01-05T10:00:00UTC",
    "2024-01-05T10:00:00z",
    "2024-01-05T10:00 +02:00",
    "2024-01-05 10:00:00 +0200",
    "01.02.2024 10:00Z",
    "foo 10:00Z",
    "10:00Z",
    "12024-01-05T10:00:00Z",
    "0001-01-05T10:00:00Z",
    "-2024-01-05T10:00:00Z",
    "0000-01-01T10:00Z",
    "2024.01.05 10:00Z",
    "2024-01/05 10:00Z",
    "2024-01-05T 10:00Z",
    "2024-01-05\t10:00Z",
    "2024-01-05 \r10:00Z",
    "002024-01-05T10:00Z",
    "-0-01-05T10:00Z",
    "2024-01-05T10:0:00Z",
    "2024-01-05T10:00:0Z",
    "2024-01-05t10:00:00Z",
    # ISO without a zone, day-first, epoch seconds and milliseconds.
    "2024-01-05",
    "2024-01-05 10:00",
    "2024-01-05T10:00:00.1234567",
    "2024-01-05 24:00:00",
    "2024-01-05 24:00:01",
    "2024-02-30",
    "2024-01-05 10:60",
    "2024-01-05 10:00:60",
    "2024-01-05T9:00",
    "0000-01-05",
    "2024-01-05 10:00:00.9999996",
    "05.01.2024",
    "5.1.2024",
    "05.01.2024 10:00",
    "05.01.2024 9:05",
    "05.01.2024 10:00:30",
    "31.02.2024",
    "29.02.2023",
    "05.13.2024",
    "05.01.2024 24:00",
    "00.01.2024",
    "05.01.0000",
    "1700000000",
    "1700000000123",
    "-1700000000123",
    "1699999999001",
    "99999999999",
    "99999999999999",
    "-99999999999999",
    "-35150701446216",
    "123456789",
    "12345678",
    # Daylight-saving gaps and overlaps in Europe/Berlin.
    "2024-03-31 02:30:00",
    "2024-10-27 02:30:00",
    "31.03.2024 02:30",
    "27.10.2024 02:30",
    # Numbers.
    "1.234,50",
    "1,234.50",
    "129,90",
    "129.90",
    "-5",
    "+5",
    ".5",
    "5.",
    "-,5",
    "1 234,50",
    "12\u00a0345",
    "99999999999999.9999",
    "99999999999999.99995",
    "100000000000000",
    "0.00005",
    "-0.00005",
    "1e5",
    "0x10",
    "1.2.3",
    "1,2,3",
    "5.0",
    "5.000",
    "-0",
    "00012",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "1" * 40,
    "+0",
    # Personal data, labels, booleans.
    "alice@example.com",
    "bob at example dot com",
    "x@y.z",
    "x@y.zz",
    "иван@почта.рф",
    "+7 (999) 123-45-67",
    "+49 30 1234567",
    "8 800 555-35-35",
    "(030) 123 45 67",
    "123-456",
    "1234567",
    "true",
    "FALSE",
    "Yes",
    "no",
    "да",
    "НЕТ",
    "Д",
    "н",
    "maybe",
    "  Chat ",
    "E-MAIL",
    "Ема\tил",
    "a\nb",
    "a\u000bb",
    "ТЕЛЕФОН  звонок",
    "Straße",
    "",
    "  ",
    "abc",
]


# Case mappings beyond Latin and Cyrillic (dotted capital I, final sigma,
# titlecase digraphs): DuckDB and PostgreSQL (C.UTF-8) lower-case them alike.
# Kept out of `_corpus`, which the Spark test shares: Spark's lower() differs
# on the first two.
UNICODE_CASES = ["İSTANBUL", "ΌΣΟΣ", "ẞ", "ǅ", "Ａ"]


def _generated_values(count: int = 3000, seed: int = 7) -> set[str]:
    """Timestamps assembled from right and wrong pieces of each form."""
    rng = random.Random(seed)
    years = ["2024", "1999", "0", "-2024", "12024", "002024", "99"]
    days = ["1", "01", "12", "13", "00", "001", "29", "30", "31", "2"]
    separators = ["T", " ", "  ", "T ", "\t", "t", ""]
    hours = ["0", "9", "09", "23", "24", "25", "100"]
    minutes = ["0", "00", "59", "60", "5"]
    seconds = ["", ":00", ":59", ":60", ":0", ":00.5", ":00.1234567", ":00.000", ":00."]
    zones = ["Z", "z", " UTC", "UTC", "+02", "+0200", "+02:00", "-99:99", "+2", " +02:00", ""]
    values = set()
    for _ in range(count):
        first, second = rng.choice(["-", "/", "."]), rng.choice(["-", "-", "/", "."])
        values.add(
            f"{rng.choice(years)}{first}{rng.choice(days)}{second}{rng.choice(days)}"
            f"{rng.choice(separators)}{rng.choice(hours)}:{rng.choice(minutes)}"
            f"{rng.choice(seconds)}{rng.choice(zones)}"
        )
        dotted = f"{rng.choice(days)}.{rng.choice(days)}.{rng.choice(['2024', '0000', '24'])}"
        if rng.random() < 0.7:
            dotted += f" {rng.choice(hours)}:{rng.choice(minutes)}{rng.choice(['', ':00', ':5'])}"
        values.add(dotted)
        values.add(str(rng.randint(-(10**14), 10**14))[: rng.randint(1, 16)])
    return values


def _corpus(raw_dir: Path) -> list[str]:
    """Hand-picked and generated values, every text of the sample's raw
    relations but its ids, and every field of the hostile corpus."""
    values = set(HAND_PICKED) | _generated_values()
    with duckdb.connect() as connection:
        sources = [f"read_parquet('{path}')" for path in sorted(raw_dir.glob("*.parquet"))]
        sources += [
            f"read_csv('{path}', all_varchar = true, header = false, null_padding = true,"
            " parallel = false, ignore_errors = true)"
            for path in sorted(HOSTILE_ROWS.glob("*.csv"))
        ]
        for source in sources:
            described = connection.execute(f"describe select * from {source}").fetchall()
            for column, kind, *_ in described:
                # Identifiers of the sample are only trimmed: left out.
                if kind != "VARCHAR" or column.startswith("_") or column.endswith("_id"):
                    continue
                rows = connection.execute(
                    f'select distinct "{column}" from {source} where "{column}" is not null'
                ).fetchall()
                values.update(row[0] for row in rows)
    return sorted(value for value in values if "\x00" not in value)


def _parsing_sql() -> str:
    expressions = ", ".join(f"{sql} as {name}" for name, sql in PARSED.items())
    return f"select id, {expressions} from parity_input"


def test_parsing_macros_agree_value_by_value(builds, pg_connection):
    """Every parsing macro gives the same value on both engines, hostile text included."""
    values = sorted(set(_corpus(builds.postgres_dir / "raw")) | set(UNICODE_CASES))
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

    differences = [
        f"{name}({values[duck_row[0]]!r}): duckdb {left!r}, postgres {right!r}"
        for duck_row, pg_row in zip(duck_rows, pg_rows, strict=True)
        for name, left, right in zip(PARSED, duck_row[1:], pg_row[1:], strict=True)
        if not (left == right if name in TIMESTAMPS else values_agree(left, right, 0.0))
    ]
    assert not differences, f"{len(differences)} differences:\n" + "\n".join(differences[:40])


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
