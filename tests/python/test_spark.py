"""The project on Spark (dbt-spark, session method) gives the same marts as on DuckDB.

The bundled sample is read by the project's own DuckDB reader and copied into
the raw tables of a fresh local Spark warehouse (`support-kpi load --target
spark`, in its own process: the embedded Derby metastore admits one process
at a time), then built with ``dbt build --target spark``: seeds, every model
with its contract, every data test and the unit tests whose fixtures Spark
can run. A DuckDB build of the same exports (in parallel) is the reference:
every mart listed in the manifest (models under models/marts) must hold the
same rows, numbers within 1e-9, text, booleans, dates and timestamps equal.
The parsing macros are compared value by value on the hostile corpus of
test_postgres.py.

Spark's tables are read from their Parquet files in the warehouse folder
(``<warehouse>/<schema>.db/<table>``) with DuckDB, so no second JVM starts.
Nothing is skipped: without Java the tests fail and say so.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import jinja2
import pytest
import yaml

from conftest import PROJECT_DIR, assert_ok, run_dbt
from mart_comparison import compare_mart, marts_from_manifest, read_duckdb
from parsing_parity import PARSED, TIMESTAMPS, UNICODE_CASES, corpus, differences
from support_kpi.load_spark import SPARK_DIR_ENV, spark_conf

SAMPLE = (PROJECT_DIR / "data" / "sample_exports").resolve()
SUPPORT_KPI = Path(sys.executable).with_name("support-kpi")

# The PostgreSQL test's parsers, and normalize_email: Spark's lower() is
# Java's, which lower-cases İ and a word-final Σ differently.
MACROS = {**PARSED, "email": "{{ support_kpi.normalize_email('v') }}"}
EMAILS = ["İSTANBUL@ÖRNEK.COM.TR", "ΟΔΥΣΣΕΥΣ@EXAMPLE.GR", " Straße@Example.DE "]

# Unit tests left out on Spark, and why. Every other unit test runs there.
UNIT_TESTS_NOT_ON_SPARK = {
    "test_business_hours_across_spring_daylight_saving": (
        "its fixture is SQL casting to varchar, which Spark only knows with a length"
    ),
    "test_retention_counts_with_reactivation_and_continuity": (
        "its fixture is SQL with DuckDB's range(date, date, interval)"
    ),
    "test_volume_heatmap_slots_in_reporting_time": (
        "its fixture is SQL with a DuckDB list literal ['Monday', ...]"
    ),
}


@dataclass
class SparkBuild:
    spark_dir: Path
    work_dir: Path
    manifest: Path
    seconds: dict[str, float]


def run_dbt_spark(command: list[str], *, build: SparkBuild) -> subprocess.CompletedProcess[str]:
    """dbt against the build's Spark warehouse (target spark), with its own paths."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(SPARK_DIR_ENV, str(build.spark_dir))
        return run_dbt(
            [*command, "--target", "spark"],
            warehouse=build.work_dir / "unused.duckdb",
            exports=SAMPLE,
            work_dir=build.work_dir,
        )


def _build_duckdb(work_dir: Path) -> subprocess.CompletedProcess[str]:
    return run_dbt(
        ["build", "--exclude", "resource_type:test", "resource_type:unit_test"],
        warehouse=work_dir / "warehouse.duckdb",
        exports=SAMPLE,
        work_dir=work_dir,
    )


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[SparkBuild, Path]:
    """The sample built on Spark and, at the same time, on DuckDB."""
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.fail(
            "Spark needs Java 17: no `java` on PATH and no JAVA_HOME"
            " (`make test-spark` installs openjdk-17-jre-headless when it is missing)",
            pytrace=False,
        )
    work_dir = tmp_path_factory.mktemp("spark")
    duck_dir = tmp_path_factory.mktemp("duckdb_reference")
    build = SparkBuild(work_dir / "spark", work_dir, work_dir / "target" / "manifest.json", {})
    with ThreadPoolExecutor(max_workers=1) as pool:
        reference = pool.submit(_build_duckdb, duck_dir)
        started = time.perf_counter()
        loaded = subprocess.run(
            [
                str(SUPPORT_KPI),
                *("load", "--target", "spark", "--exports", str(SAMPLE)),
                *("--raw-dir", str(work_dir / "raw")),
            ],
            cwd=PROJECT_DIR,
            env={**os.environ, SPARK_DIR_ENV: str(build.spark_dir)},
            capture_output=True,
            text=True,
            check=False,
        )
        build.seconds["extract_and_load"] = time.perf_counter() - started
        assert loaded.returncode == 0, loaded.stdout[-3000:] + loaded.stderr[-6000:]
        excluded = [f"unit_test:{name}" for name in UNIT_TESTS_NOT_ON_SPARK]
        started = time.perf_counter()
        result = run_dbt_spark(["build", "--exclude", *excluded], build=build)
        build.seconds["dbt_build_spark"] = time.perf_counter() - started
        assert_ok(result)
        assert_ok(reference.result())
    print("spark: " + ", ".join(f"{step} {value:.1f} s" for step, value in build.seconds.items()))
    return build, duck_dir


def _spark_table(build: SparkBuild, schema: str, name: str) -> str:
    """DuckDB's reader of a Spark table's Parquet files."""
    files = build.spark_dir / "warehouse" / f"{schema}.db" / name
    assert any(files.glob("*.parquet")), f"{schema}.{name}: no Parquet files in {files}"
    return f"read_parquet('{files}/*.parquet')"


def test_marts_agree_with_duckdb(builds):
    spark, duck_dir = builds
    marts = marts_from_manifest(spark.manifest)
    duck_marts = marts_from_manifest(duck_dir / "target" / "manifest.json")
    assert [mart.name for mart in marts] == [mart.name for mart in duck_marts]
    assert len(marts) >= 13, [mart.name for mart in marts]
    reports = []
    with (
        duckdb.connect(str(duck_dir / "warehouse.duckdb"), read_only=True) as warehouse,
        duckdb.connect() as reader,
    ):
        reader.execute("set TimeZone = 'UTC'")
        for mart in marts:
            assert mart.key, f"{mart.name} has no key test to match rows on"
            reference = read_duckdb(warehouse, f"main.{mart.name}")
            assert reference.rows, f"{mart.name} is empty on DuckDB: nothing compared"
            comparison = compare_mart(
                mart,
                reference,
                read_duckdb(reader, _spark_table(spark, mart.schema, mart.name)),
                left_name="duckdb",
                right_name="spark",
            )
            reports.append(comparison)
    print("\n".join(report.summary() for report in reports))
    assert all(report.agrees for report in reports), "\n".join(
        report.summary() for report in reports if not report.agrees
    )


def test_parsing_macros_agree_value_by_value(builds):
    """Every parsing macro gives DuckDB's value on Spark, hostile text included."""
    spark, duck_dir = builds
    values = sorted(set(corpus(spark.work_dir / "raw")) | set(UNICODE_CASES) | set(EMAILS))
    assert len(values) > 5000
    parity_input = spark.work_dir / "parity_input.parquet"
    with duckdb.connect() as connection:
        # One list parameter: executemany would insert row by row.
        connection.execute(
            f"copy (select cast(i - 1 as integer) as id, texts[i] as v"
            f" from (select ? as texts) as given, range(1, len(texts) + 1) as positions(i))"
            f" to '{parity_input}' (format parquet)",
            [values],
        )
    expressions = ", ".join(f"{sql} as {name}" for name, sql in MACROS.items())
    duck_compiled = run_dbt(
        ["compile", "--quiet", "--inline", f"select id, {expressions} from parity_input"],
        warehouse=duck_dir / "warehouse.duckdb",
        exports=SAMPLE,
        work_dir=duck_dir,
    )
    assert_ok(duck_compiled)
    # Spark runs the query itself (dbt show): timestamps as microseconds since 1970.
    spark_columns = ", ".join(
        f"unix_micros({sql}) as {name}" if name in TIMESTAMPS else f"{sql} as {name}"
        for name, sql in MACROS.items()
    )
    shown = run_dbt_spark(
        [
            *("show", "--quiet", "--output", "json", "--limit", "-1", "--inline"),
            f"select id, {spark_columns} from parquet.`{parity_input}` order by id",
        ],
        build=spark,
    )
    assert_ok(shown)
    spark_rows = sorted(
        (row["id"], *(row[name] for name in MACROS))
        for row in json.loads(shown.stdout[shown.stdout.index("{") :])["show"]
    )
    duck_outer = ", ".join(f"epoch_us({name})" if name in TIMESTAMPS else name for name in MACROS)
    with duckdb.connect() as connection:
        connection.execute("set TimeZone = 'UTC'")
        connection.execute(f"create table parity_input as select * from '{parity_input}'")
        duck_rows = connection.execute(
            f"select id, {duck_outer} from ({duck_compiled.stdout}) as parsed order by id"
        ).fetchall()
    found = differences(MACROS, values, duck_rows, spark_rows, "spark")
    assert not found, f"{len(found)} differences:\n" + "\n".join(found[:40])


def test_profile_repeats_the_loader_session_settings():
    """The loader and the dbt session open the same warehouse and metastore."""
    spark_dir = "/some/spark/dir"

    def env_var(name: str, default: str = "") -> str:
        return spark_dir if name == SPARK_DIR_ENV else os.environ.get(name, default)

    environment = jinja2.Environment()
    environment.filters["as_number"] = lambda value: value
    rendered = environment.from_string((PROJECT_DIR / "profiles.yml").read_text())
    output = yaml.safe_load(rendered.render(env_var=env_var))["support_kpi"]["outputs"]["spark"]
    assert output["method"] == "session"
    assert output["server_side_parameters"] == spark_conf(spark_dir)
