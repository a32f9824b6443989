"""The benchmark machinery (support_kpi.bench) at a tiny scale, with real DuckDB and dbt.

One `support-kpi bench` run of 2,000 tickets without the tests build (the
timed `dbt build` of everything is the same call with other arguments) keeps
this module to about a minute; `make bench` itself is not part of the tests.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import duckdb
import pytest

from conftest import run_dbt
from support_kpi import bench
from support_kpi.cli import main

TICKETS = 2000
SCALE = str(TICKETS)
PROJECT_DIR = Path(__file__).resolve().parents[2]
REQUIRED_FIELDS = (
    "tickets",
    "input_rows",
    "build_models_s",
    "build_all_s",
    "reference_s",
    "ratio",
    "peak_mib",
    "rows_per_s",
    "slowest_models",
    "incremental_s",
    "reference_rows",
    "reference_check",
)


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    root = tmp_path_factory.mktemp("bench")
    results = root / "results" / "latest.json"
    # A limit that is not the profile's default, so that the test sees it reach
    # dbt; one thread is the default under a limit, given here as well (the
    # variable itself is checked with another value below).
    settings = {"SUPPORT_KPI_THREADS": "1", "SUPPORT_KPI_DUCKDB_MEMORY_LIMIT": "2GB"}
    saved = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    try:
        code = main(
            [
                "bench",
                "--scales",
                SCALE,
                "--models-only",
                "--keep-warehouses",
                "--cache-dir",
                str(root / "cache"),
                "--results",
                str(results),
            ]
        )
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return {
        "code": code,
        "root": root,
        "document": json.loads(results.read_text(encoding="utf-8")),
        "exports": root / "cache" / "exports" / f"{SCALE}-seed7",
        "work": root / "cache" / "work" / SCALE,
    }


@pytest.fixture(scope="module")
def entry(bench_run: dict[str, object]) -> dict[str, object]:
    return bench_run["document"]["scales"][SCALE]  # type: ignore[index]


def test_bench_succeeds_and_writes_every_field(bench_run, entry) -> None:
    assert bench_run["code"] == 0, entry.get("failures")
    assert entry["failures"] == []
    for field in REQUIRED_FIELDS:
        assert field in entry, field
    assert entry["tickets"] == TICKETS
    # The daily incremental build ran, and its files left the cached exports.
    assert entry["incremental_s"] > 0
    assert entry["incremental_pct_of_full_build"] == round(
        100 * entry["incremental_s"] / entry["build_models_s"], 1
    )
    assert not list(bench_run["exports"].glob("*_export_daily_*"))
    # --models-only: no timed build of everything
    assert entry["build_all_s"] is None and entry["ratio_all"] is None
    machine = bench_run["document"]["machine"]
    assert machine["cpu_count"] == os.cpu_count()
    assert machine["versions"]["duckdb"] == duckdb.__version__


def test_settings_recorded_are_the_ones_dbt_ran_with(bench_run, entry) -> None:
    # The fixture asks for one model at a time: dbt's own log line says so.
    log = (bench_run["work"] / "dbt_build_models.log").read_text(encoding="utf-8")
    assert "Concurrency: 1 threads" in log
    assert entry["dbt_threads"] == 1
    assert entry["duckdb_memory_limit"] == "2GB"
    table = bench.format_table({SCALE: entry})
    assert re.search(r"dbt threads\s+1\n", table)
    assert re.search(r"DuckDB memory_limit\s+2GB\n", table)


def test_memory_limit_setting_reaches_duckdb(bench_run, monkeypatch) -> None:
    monkeypatch.setenv("SUPPORT_KPI_DUCKDB_MEMORY_LIMIT", "1GB")
    shown = run_dbt(
        ["show", "--inline", "select current_setting('memory_limit') as memory_limit"],
        warehouse=bench_run["work"] / "warehouse.duckdb",
        exports=bench_run["exports"],
        work_dir=bench_run["root"] / "show",
    )
    assert shown.returncode == 0, shown.stdout[-2000:]
    assert "953.6 MiB" in shown.stdout  # 1 GB as DuckDB reports it


@pytest.mark.parametrize(
    ("settings", "threads"),
    [
        ({}, 2),
        ({"SUPPORT_KPI_DUCKDB_MEMORY_LIMIT": "1GB"}, 1),
        ({"SUPPORT_KPI_DUCKDB_MEMORY_LIMIT": "", "SUPPORT_KPI_THREADS": ""}, 2),
        ({"SUPPORT_KPI_DUCKDB_MEMORY_LIMIT": "1GB", "SUPPORT_KPI_THREADS": "3"}, 3),
    ],
    ids=["defaults", "limit-alone", "set-but-empty", "limit-and-threads"],
)
def test_a_memory_limit_builds_one_model_at_a_time_by_default(
    bench_run, tmp_path, monkeypatch, settings, threads
) -> None:
    # Two models sharing one limit spill far more than one at a time does;
    # the profile's thread default follows the limit unless told otherwise.
    for name in ("SUPPORT_KPI_DUCKDB_MEMORY_LIMIT", "SUPPORT_KPI_THREADS"):
        monkeypatch.delenv(name, raising=False)
    seeded = run_dbt(
        ["seed", "--select", "role_labels"],
        warehouse=tmp_path / "warehouse.duckdb",
        exports=bench_run["exports"],
        work_dir=tmp_path,
        extra_env=settings,
    )
    assert seeded.returncode == 0, seeded.stdout[-2000:]
    assert f"Concurrency: {threads} threads" in seeded.stdout


def test_results_file_is_sorted_json(bench_run) -> None:
    path = bench_run["root"] / "results" / "latest.json"
    text = path.read_text(encoding="utf-8")
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n"


def test_input_rows_are_the_rows_of_the_files(bench_run, entry) -> None:
    con = duckdb.connect()
    counted: dict[str, int] = {}
    for path in sorted(bench_run["exports"].glob("*.parquet")):
        entity = path.name.split("_export")[0]
        rows = con.execute("select count(*) from read_parquet(?)", [str(path)]).fetchone()[0]
        counted[entity] = counted.get(entity, 0) + rows
    assert entry["input_rows_by_entity"] == counted
    assert entry["input_rows"] == sum(counted.values())
    assert counted["tickets"] > TICKETS  # overlapping exports


def test_ratio_and_rate_follow_from_the_times(entry) -> None:
    assert 0 < entry["reference_s"] < entry["build_models_s"]
    assert entry["ratio"] == round(entry["build_models_s"] / entry["reference_s"], 2)
    assert entry["rows_per_s"] == round(entry["input_rows"] / entry["build_models_s"])
    # a dbt process holds far more than 50 MiB, and less than the machine
    assert 50 < entry["peak_mib"] < bench.machine_info()["memory_mib"]
    assert 0 < entry["reference_peak_mib"] < entry["peak_mib"] * 10


def test_reference_tables_have_the_right_row_counts(bench_run, entry) -> None:
    exports = bench_run["exports"]
    con = duckdb.connect()
    con.execute("set timezone = 'UTC'")
    tickets = con.execute(
        f"select count(distinct ticket_id) from read_parquet('{exports}/tickets*.parquet')"
    ).fetchone()[0]
    # months from the first purchase to the latest timestamp of the exports
    months = con.execute(
        f"""
        select date_diff('month', min(created_at), (
            select max(t) from (
                select max(updated_at) as t from read_parquet('{exports}/tickets*.parquet')
                union all
                select max(created_at) from read_parquet('{exports}/ticket_messages*.parquet')
                union all
                select max(responded_at) from read_parquet('{exports}/surveys*.parquet')
                union all
                select max(created_at) from read_parquet('{exports}/orders*.parquet')
            )
        )) + 1
        from read_parquet('{exports}/orders*.parquet')
        where cancelled_at is null
            and coalesce(lower(trim(financial_status)), '') != 'voided'
            and not coalesce(is_test, false)
        """
    ).fetchone()[0]
    assert entry["reference_rows"]["fct_tickets"] == tickets == TICKETS
    assert entry["reference_rows"]["retention_monthly"] == months
    reference = duckdb.connect(str(bench_run["work"] / "reference.duckdb"), read_only=True)
    channels = reference.execute(
        "select count(distinct channel) from service_kpis_monthly where channel != 'all'"
    ).fetchone()[0]
    all_rows = reference.execute(
        "select count(*) from service_kpis_monthly where channel = 'all'"
    ).fetchone()[0]
    assert channels >= 6
    assert all_rows >= 24  # two years of tickets
    assert entry["reference_rows"]["service_kpis_monthly"] > all_rows * channels // 2


def test_reference_equals_the_marts(entry) -> None:
    check = entry["reference_check"]
    assert check["ok"], check
    assert check["fct_tickets"] == {"marts": TICKETS, "reference": TICKETS}
    service = check["service_kpis_month"]
    assert service["rows"] == entry["reference_rows"]["service_kpis_monthly"]
    assert service["unmatched_rows"] == 0 and service["mismatches"] == {}
    retention = check["retention_month"]
    assert retention["rows"] == entry["reference_rows"]["retention_monthly"]
    assert check["figures_compared"] == service["rows"] * len(bench.SERVICE_FIGURES) + retention[
        "rows"
    ] * len(bench.RETENTION_FIGURES)


def test_the_comparison_notices_a_wrong_figure(bench_run, tmp_path: Path) -> None:
    """The check can fail: one changed figure in a copy of the reference."""
    reference = tmp_path / "reference.duckdb"
    shutil.copy(bench_run["work"] / "reference.duckdb", reference)
    con = duckdb.connect(str(reference))
    con.execute(
        "update service_kpis_monthly set tickets = tickets + 1 "
        "where channel = 'all' and period_start = (select min(period_start) "
        "from service_kpis_monthly)"
    )
    con.execute("update retention_monthly set customers_new = customers_new + 1")
    con.close()
    # The full build as it was before the daily incremental load.
    check = bench.compare_with_marts(reference, bench_run["work"] / "warehouse-full.duckdb")
    assert not check["ok"]
    assert check["service_kpis_month"]["mismatches"] == {"tickets": 1}
    retention = check["retention_month"]
    assert retention["mismatches"]["customers_new"] == retention["rows"]


def test_slowest_models_are_models_of_the_project(entry) -> None:
    models = {path.stem for path in (PROJECT_DIR / "models").rglob("*.sql")}
    slowest = entry["slowest_models"]
    assert len(slowest) == 5
    assert {row["model"] for row in slowest} <= models
    seconds = [row["seconds"] for row in slowest]
    assert seconds == sorted(seconds, reverse=True) and seconds[-1] > 0
    assert sum(seconds) < entry["build_models_s"]  # one model at a time (the fixture)
    assert entry["models"] == len(models)


def test_table_lists_every_figure(entry) -> None:
    table = bench.format_table({SCALE: entry})
    for label in ("build_models_s", "reference_s", "ratio", "peak_mib", "incremental_s"):
        assert label in table
    assert entry["slowest_models"][0]["model"] in table
    assert f"{entry['input_rows']:,}" in table


def test_exports_are_cached_and_half_written_folders_regenerated(tmp_path: Path) -> None:
    scale = bench.parse_scale("300")
    folder, seconds = bench.ensure_exports(tmp_path, scale)
    assert seconds is not None and (folder / bench.MARKER).is_file()
    files = {path.name: path.stat().st_mtime_ns for path in folder.glob("*.parquet")}
    assert bench.ensure_exports(tmp_path, scale) == (folder, None)
    assert {path.name: path.stat().st_mtime_ns for path in folder.glob("*.parquet")} == files
    # interrupted: the marker is written last, so a folder without it is redone
    (folder / bench.MARKER).unlink()
    (folder / "tickets_export_01.parquet").write_bytes(b"half")
    again, seconds = bench.ensure_exports(tmp_path, scale)
    assert again == folder and seconds is not None
    assert (
        duckdb.connect()
        .execute(f"select count(distinct ticket_id) from read_parquet('{folder}/tickets*.parquet')")
        .fetchone()[0]
        == 300
    )
    # another generator version: regenerated
    marker = json.loads((folder / bench.MARKER).read_text())
    (folder / bench.MARKER).write_text(json.dumps({**marker, "generator": "other"}))
    assert bench.ensure_exports(tmp_path, scale)[1] is not None


def test_parse_scale() -> None:
    assert bench.parse_scale("m") == bench.Scale("M", 1_000_000)
    assert bench.parse_scale("L") == bench.Scale("L", 10_000_000)
    assert bench.parse_scale("250_000") == bench.Scale("250000", 250_000)
    with pytest.raises(ValueError):
        bench.parse_scale("XL")
    with pytest.raises(ValueError):
        bench.parse_scale("0")


def test_results_of_other_scales_are_kept_on_the_same_machine(tmp_path: Path) -> None:
    path = tmp_path / "latest.json"
    bench.write_results(path, {"S": {"tickets": 1}})
    document = bench.write_results(path, {"M": {"tickets": 2}})
    assert set(document["scales"]) == {"S", "M"}
    stored = json.loads(path.read_text())
    stored["machine"]["cpu_count"] = -1
    path.write_text(json.dumps(stored))
    assert set(bench.write_results(path, {"L": {"tickets": 3}})["scales"]) == {"L"}


def test_daily_export_adds_new_tickets_and_updates_old_ones(bench_run, tmp_path: Path) -> None:
    exports = bench_run["exports"]
    daily = tmp_path / "daily"
    written = bench.write_daily_export(exports, daily)
    new_tickets = round(TICKETS / 365)
    con = duckdb.connect()
    con.execute("set timezone = 'UTC'")
    base = f"read_parquet('{exports}/tickets*.parquet')"
    day = f"read_parquet('{daily}/tickets_export_daily_*.parquet')"
    assert sorted(path.name for path in exports.glob("*.parquet")) == sorted(
        path.name for path in daily.glob("*.parquet") if "_daily_" not in path.name
    )
    assert all(name.endswith(".parquet") and "_export_daily_" in name for name in written)
    fresh, updates, later = con.execute(
        f"""
        select
            count(*) filter (where ticket_id not in (select ticket_id from {base})),
            count(*) filter (where ticket_id in (select ticket_id from {base})),
            bool_and(updated_at > (select max(updated_at) from {base})
                or ticket_id not in (select ticket_id from {base}))
        from {day}
        """
    ).fetchone()
    assert fresh == new_tickets
    assert 1 <= updates <= max(1, new_tickets // 2)
    assert later
    # every message of the day belongs to a ticket of the day or of the exports
    orphans = con.execute(
        f"""
        select count(*)
        from read_parquet('{daily}/ticket_messages_export_daily_*.parquet')
        where ticket_id not in (select ticket_id from {day})
        """
    ).fetchone()[0]
    assert orphans == 0
    # the reference reads the folder as the warehouse would: one more day of tickets
    result = bench.run_reference_inline(
        bench.reference_sql(daily, PROJECT_DIR / "seeds"), tmp_path / "daily.duckdb"
    )
    assert result["rows"]["fct_tickets"] == TICKETS + new_tickets
