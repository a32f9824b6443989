"""Tests of the Great Expectations validation (support_kpi.validate and `support-kpi validate`)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from support_kpi.cli import main
from support_kpi.validate import SUITES, WarehouseError, validate

CSAT_PCT_RANGE = "mart_service_kpis: expect_column_values_to_be_between(csat_pct)"
RETENTION_CARRY_OVER = (
    "mart_retention: expect_column_pair_values_to_be_equal("
    "customers_start, previous_customers_end where period_number > 1)"
)


def test_built_warehouse_passes_and_writes_data_docs(built_warehouse: Path, tmp_path: Path):
    docs = tmp_path / "docs"
    seen: list[str] = []

    report = validate(built_warehouse, docs, progress=lambda suite: seen.append(suite.name))

    assert report.success, report.failed_expectations
    assert seen == [spec.name for spec in SUITES]
    ran = {suite.name: suite for suite in report.suites if not suite.skipped}
    assert {"raw_tickets", "raw_surveys", "mart_service_kpis", "mart_retention"} <= set(ran)
    assert all(suite.evaluated > 0 and suite.rows > 0 for suite in ran.values())
    assert ran["raw_tickets"].summary() == (
        f"suite raw_tickets: {ran['raw_tickets'].evaluated}/"
        f"{ran['raw_tickets'].evaluated} expectations passed"
    )
    assert report.docs_index == docs / "index.html"
    index = report.docs_index.read_text(encoding="utf-8")
    assert "mart_service_kpis" in index
    assert "raw_tickets" in index


def test_validation_from_python_c_reports_rather_than_exiting(
    built_warehouse: Path, tmp_path: Path
):
    """With PySpark installed beside Great Expectations, importing the latter from
    `python -c` (a main module without a file) must not end the process early with
    exit code 0 and nothing validated, nor print PySpark's warning about the pandas
    version (the Spark target's concern, not validation's)."""
    script = (
        "import sys; from pathlib import Path; from support_kpi.validate import validate; "
        "report = validate(Path(sys.argv[1]), Path(sys.argv[2])); "
        "print('validated', report.success, report.passed)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(built_warehouse), str(tmp_path / "docs")],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr[-3000:]
    last_line = result.stdout.strip().splitlines()[-1:]
    words = last_line[0].split() if last_line else []
    assert words[:2] == ["validated", "True"], result.stdout + result.stderr[-3000:]
    assert int(words[2]) > 0
    assert "FutureWarning" not in result.stderr, result.stderr[-3000:]


@pytest.fixture(scope="module")
def corrupted_warehouse(built_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the built warehouse with two marts broken."""
    copy = tmp_path_factory.mktemp("corrupted") / "warehouse.duckdb"
    shutil.copyfile(built_warehouse, copy)
    con = duckdb.connect(str(copy))
    try:
        con.execute("update main.service_kpis set csat_pct = 140 where period_grain = 'quarter'")
        con.execute(
            """
            update main.retention set customers_start = customers_start + 1
            where period_grain = 'month'
              and period_start = (
                  select max(period_start) from main.retention where period_grain = 'month'
              )
            """
        )
    finally:
        con.close()
    return copy


def test_corrupted_marts_fail_with_the_expectations_named(
    corrupted_warehouse: Path, tmp_path: Path
):
    con = duckdb.connect(str(corrupted_warehouse), read_only=True)
    try:
        (out_of_range,) = con.execute(
            "select count(*) from main.service_kpis where csat_pct > 100"
        ).fetchone()
    finally:
        con.close()
    assert out_of_range > 0

    report = validate(corrupted_warehouse, tmp_path / "docs")

    assert not report.success
    assert set(report.failed_expectations) == {CSAT_PCT_RANGE, RETENTION_CARRY_OVER}
    suites = {suite.name: suite for suite in report.suites}
    (csat,) = suites["mart_service_kpis"].failed
    assert csat.unexpected_count == out_of_range
    (carry_over,) = suites["mart_retention"].failed
    assert carry_over.unexpected_count == 1
    assert suites["mart_service_kpis"].passed == suites["mart_service_kpis"].evaluated - 1
    assert (tmp_path / "docs" / "index.html").is_file()


def test_cli_exits_1_when_an_expectation_fails(
    corrupted_warehouse: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    docs = tmp_path / "docs"

    code = main(["validate", "--warehouse", str(corrupted_warehouse), "--docs", str(docs)])

    out = capsys.readouterr().out
    assert code == 1
    assert "suite raw_tickets: " in out
    assert "failed expect_column_values_to_be_between(csat_pct)" in out
    assert "validation FAILED (2 failed)" in out
    assert f"Data Docs: {docs / 'index.html'}" in out


def test_cli_exits_2_for_a_missing_warehouse(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    missing = tmp_path / "absent.duckdb"

    code = main(["validate", "--warehouse", str(missing), "--docs", str(tmp_path / "docs")])

    err = capsys.readouterr().err
    assert code == 2
    assert f"error: warehouse not found: {missing}" in err
    assert "make build" in err
    assert not (tmp_path / "docs").exists()


def test_cli_takes_the_warehouse_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    missing = tmp_path / "from_env.duckdb"
    monkeypatch.setenv("WAREHOUSE_PATH", str(missing))

    assert main(["validate", "--docs", str(tmp_path / "docs")]) == 2
    assert str(missing) in capsys.readouterr().err


def test_missing_relation_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    partial = tmp_path / "partial.duckdb"
    con = duckdb.connect(str(partial))
    con.execute("create schema main_staging")
    con.execute("create table main_staging.base_helpdesk__tickets (ticket_id varchar)")
    con.close()

    with pytest.raises(WarehouseError, match=r"lacks relation .*base_helpdesk__ticket_messages"):
        validate(partial, tmp_path / "docs")

    code = main(["validate", "--warehouse", str(partial), "--docs", str(tmp_path / "docs")])
    message = capsys.readouterr().err.strip().splitlines()[-1]
    assert code == 2
    assert message.startswith(f"error: warehouse {partial} lacks relation ")
    assert "main.service_kpis" in message
    assert message.endswith("(run `make build` first)")


def test_unparsed_timestamps_beyond_the_tolerance_fail_the_raw_suite(
    built_warehouse: Path, tmp_path: Path
):
    # One message in ten as if its created_at text had not parsed: the base
    # model keeps no parse result and the reason code, as it does for such rows.
    copy = tmp_path / "warehouse.duckdb"
    shutil.copyfile(built_warehouse, copy)
    con = duckdb.connect(str(copy))
    try:
        con.execute(
            "update main_staging.base_helpdesk__ticket_messages"
            " set created_at = null, rejection_reasons = 'unparseable_created_at'"
            " where source_row_number % 10 = 0"
        )
        (unparsed,) = con.execute(
            "select count(*) from main_staging.base_helpdesk__ticket_messages"
            " where created_at is null"
        ).fetchone()
    finally:
        con.close()

    report = validate(copy, tmp_path / "docs")

    assert set(report.failed_expectations) == {
        "raw_ticket_messages: expect_column_values_to_not_be_null("
        "created_at where created_at_given IS NOT NULL)",
        "raw_ticket_messages: expect_column_values_to_be_null(rejection_reasons)",
    }
    (suite,) = [suite for suite in report.suites if suite.name == "raw_ticket_messages"]
    (parse_failure,) = [f for f in suite.failed if "created_at" in f.name]
    assert parse_failure.unexpected_count == unparsed
