"""The hostile corpus: every fixture file gives its expected outcome.

Row-level problems live together in fixtures/hostile/rows (ids are unique per
file, so each file's outcome can be read from load_audit and rejected_rows of
one build). Structural problems each have a folder in fixtures/hostile/errors
and must stop the build with one clear message.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from conftest import assert_ok, run_dbt

HOSTILE = Path(__file__).parent / "fixtures" / "hostile"

# file -> (rows modelled, rows duplicate, {reason: rows rejected})
EXPECTED_ROWS: dict[str, tuple[int, int, dict[str, int]]] = {
    "tickets_bom.csv": (2, 0, {}),
    "tickets_semicolon.csv": (2, 0, {}),
    "tickets_crlf.csv": (2, 0, {}),
    "tickets_multiline.csv": (2, 0, {}),
    "tickets_cyrillic.csv": (2, 0, {}),
    "tickets_timestamp_forms.csv": (6, 0, {}),
    "tickets_impossible_dates.csv": (
        0,
        0,
        {"unparseable_created_at": 4, "implausible_created_at": 1},
    ),
    "tickets_text_in_numbers.csv": (
        1,
        0,
        {"unparseable_is_escalated": 1, "unparseable_reopen_count": 1},
    ),
    "tickets_blank_nulls.csv": (2, 0, {"missing_ticket_id": 3}),
    "tickets_header_only.csv": (0, 0, {}),
    "tickets_extra_columns.csv": (1, 0, {}),
    "tickets_short_rows.csv": (3, 0, {}),
    "tickets_several_problems.csv": (
        0,
        0,
        {
            "missing_ticket_id, unparseable_created_at, unparseable_reopen_count": 1,
            "solved_before_created": 1,
        },
    ),
    "tickets_duplicates_within.csv": (1, 2, {}),
    "tickets_duplicates_across_a.csv": (1, 1, {}),
    "tickets_duplicates_across_b.csv": (1, 1, {}),
    "tickets_unknown_labels.csv": (2, 0, {}),
    "tickets_personal_data.csv": (2, 0, {"unparseable_created_at": 1}),
    "tickets_for_related_rows.csv": (1, 0, {}),
    "tickets_typed.parquet": (2, 0, {}),
    "tickets_reader_column_names.csv": (2, 0, {}),
    "tickets_reader_column_names.parquet": (2, 0, {}),
    "ticket_messages_orphans.csv": (1, 0, {"unknown_ticket": 1}),
    "ticket_messages_before_ticket.csv": (1, 0, {"message_before_ticket_created": 1}),
    "ticket_messages_roles.csv": (4, 0, {"unparseable_is_public": 1}),
    "ticket_status_changes_orphans.csv": (1, 1, {"unknown_ticket": 1}),
    "surveys_out_of_range.csv": (2, 0, {"score_out_of_range": 4}),
    "surveys_orphans.csv": (1, 0, {"unknown_ticket": 1}),
    "surveys_bad_values.csv": (
        1,
        0,
        {"unparseable_score": 1, "unknown_survey_type": 1, "missing_responded_at": 1},
    ),
    "orders_negative.csv": (1, 0, {"negative_amount": 1}),
    "orders_bad_values.csv": (
        1,
        0,
        {
            "unparseable_total_amount": 1,
            "missing_customer_email": 1,
            "unparseable_cancelled_at, unparseable_is_test": 1,
        },
    ),
}

# folder -> words the one error message must contain
EXPECTED_ERRORS: dict[str, list[str]] = {
    "empty_file": ["orders_empty.csv", "(orders)", "is empty"],
    "missing_column": ["tickets_missing_updated_at.csv", "(tickets)", "updated_at"],
    "duplicate_header": ["tickets_duplicate_header.csv", "'ticket_id' 2 times"],
    "no_header": ["tickets_no_header.csv", "header row is missing"],
    "wrong_delimiter": ["tickets_colon.csv", "delimiter was not recognised"],
    "not_utf8": ["orders_latin1.csv", "not utf-8 encoded"],
    "no_tickets": ["No tickets export found"],
}


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory):
    work_dir = tmp_path_factory.mktemp("hostile")
    warehouse = work_dir / "warehouse.duckdb"
    result = run_dbt(
        [
            "build",
            "--select",
            "resource_type:seed",
            "+rejected_rows",
            "+load_audit",
            "+fct_tickets",
            "labels_are_mapped",
            "--exclude",
            "test_type:unit",
            "--indirect-selection",
            "cautious",
        ],
        warehouse=warehouse,
        exports=HOSTILE / "rows",
        work_dir=work_dir,
    )
    assert_ok(result)
    connection = duckdb.connect(str(warehouse), read_only=True)
    yield connection, result.stdout
    connection.close()


def test_every_fixture_file_has_an_expectation():
    files = {path.name for path in (HOSTILE / "rows").iterdir()}
    assert files == set(EXPECTED_ROWS)
    folders = {path.name for path in (HOSTILE / "errors").iterdir()}
    assert folders == set(EXPECTED_ERRORS)
    assert len(EXPECTED_ROWS) + len(EXPECTED_ERRORS) >= 30


@pytest.mark.parametrize("file_name", sorted(EXPECTED_ROWS))
def test_fixture_outcome(hostile_build, file_name):
    warehouse, _ = hostile_build
    modelled, duplicate, reasons = EXPECTED_ROWS[file_name]
    audit = warehouse.execute(
        "select rows_read, rows_modelled, rows_rejected, rows_duplicate "
        "from main.load_audit where source_file like ?",
        [f"%/{file_name}"],
    ).fetchall()
    assert len(audit) == 1, f"{file_name} missing from load_audit"
    rows_read, rows_modelled, rows_rejected, rows_duplicate = audit[0]
    assert (rows_modelled, rows_duplicate) == (modelled, duplicate)
    assert rows_read == rows_modelled + rows_rejected + rows_duplicate
    rejected = dict(
        warehouse.execute(
            "select reason, count(*) from main.rejected_rows "
            "where source_file like ? group by reason",
            [f"%/{file_name}"],
        ).fetchall()
    )
    assert rejected == reasons
    assert rows_rejected == sum(reasons.values())


def test_every_timestamp_form_is_the_same_instant(hostile_build):
    warehouse, _ = hostile_build
    created = warehouse.execute(
        "select distinct created_at from main.fct_tickets where ticket_id like 'TS-%'"
    ).fetchall()
    assert created == [(datetime(2024, 3, 1, 10, 0),)]


def test_text_survives_quoting_encoding_and_languages(hostile_build):
    warehouse, _ = hostile_build
    facts = dict(
        warehouse.execute(
            "select ticket_id, channel || '/' || status || '/' || coalesce(category, '') "
            "from main.fct_tickets "
            "where ticket_id in ('ML-1', 'CYR-1', 'CYR-2', 'BOM-1', 'SEMI-1', 'PQ-1', 'PQ-2')"
        ).fetchall()
    )
    assert facts == {
        "ML-1": "email/open/returns\nand refunds",
        "CYR-1": "email/solved/Возврат",
        "CYR-2": "phone/closed/Доставка",
        "BOM-1": "email/solved/billing",
        "SEMI-1": "email/solved/",
        "PQ-1": "social/solved/",
        "PQ-2": "messenger/closed/",
    }
    escalated = dict(
        warehouse.execute(
            "select ticket_id, is_escalated from main.fct_tickets "
            "where ticket_id in ('CYR-1', 'CYR-2', 'PQ-1')"
        ).fetchall()
    )
    assert escalated == {"CYR-1": True, "CYR-2": False, "PQ-1": True}


def test_rejected_rows_keep_the_raw_record_and_every_reason(hostile_build):
    warehouse, _ = hostile_build
    reason, detail, raw = warehouse.execute(
        "select reason, detail, raw_record from main.rejected_rows "
        "where source_file like '%/tickets_several_problems.csv' and source_row_number = 1"
    ).fetchone()
    assert reason.split(", ") == [
        "missing_ticket_id",
        "unparseable_created_at",
        "unparseable_reopen_count",
    ]
    assert "2024-02-30T10:00:00Z" in detail and "many" in detail
    assert '"reopen_count":"many"' in raw


def test_unknown_labels_are_kept_and_named(hostile_build):
    warehouse, output = hostile_build
    labels = dict(
        warehouse.execute(
            "select ticket_id, channel || '/' || status from main.fct_tickets "
            "where ticket_id like 'LBL-%'"
        ).fetchall()
    )
    assert labels == {"LBL-1": "other/open", "LBL-2": "email/unknown"}
    assert "Unmapped channel label 'pigeon post': 1 rows" in output
    assert "Unmapped status label 'limbo': 1 rows" in output
    assert "Unmapped author role label 'robot': 1 rows" in output


def test_columns_named_like_the_readers_row_index_stay_data(hostile_build):
    """A file's own `ordinality` (CSV), `file_row_number` (Parquet) or
    `export_row_index` (both) columns are neither the row number nor an
    error: rows are numbered in file order and the columns stay in the raw
    record."""
    warehouse, _ = hostile_build
    rows = warehouse.execute(
        "select ticket_id, source_row_number, raw_record "
        "from main_staging.base_helpdesk__tickets "
        "where ticket_id like 'RCN-%' or ticket_id like 'RCP-%' order by ticket_id"
    ).fetchall()
    # Numbered in file order, which is not key order in either file.
    assert [(ticket_id, number) for ticket_id, number, _ in rows] == [
        ("RCN-1", 2),
        ("RCN-2", 1),
        ("RCP-1", 2),
        ("RCP-2", 1),
    ]
    raw = {ticket_id: record for ticket_id, _, record in rows}
    assert '"ordinality":"x"' in raw["RCN-2"]
    assert '"export_row_index":"3"' in raw["RCN-2"]
    assert '"file_row_number":90' in raw["RCP-2"]
    assert '"export_row_index":"b"' in raw["RCP-2"]


@pytest.mark.parametrize("folder", sorted(EXPECTED_ERRORS))
def test_structural_problem_stops_the_build_clearly(tmp_path, folder):
    result = run_dbt(
        ["run", "--select", "stg_exports__files"],
        warehouse=tmp_path / "warehouse.duckdb",
        exports=HOSTILE / "errors" / folder,
        work_dir=tmp_path,
    )
    assert result.returncode != 0
    output = result.stdout + result.stderr
    for words in EXPECTED_ERRORS[folder]:
        assert words in output, f"{folder}: {words!r} not in output"
    assert "Traceback" not in output


def test_personal_data_stays_in_raw_records_only(hostile_build):
    warehouse, _ = hostile_build
    detail, raw = warehouse.execute(
        "select detail, raw_record from main.rejected_rows "
        "where source_file like '%/tickets_personal_data.csv'"
    ).fetchone()
    assert "ivan@" not in detail and "withheld" in detail
    assert "ivan@почта.рф" in raw
    free_text = dict(
        warehouse.execute(
            "select ticket_id, coalesce(category, '-') || '/' || coalesce(priority, '-') "
            "from main.fct_tickets where ticket_id like 'PII-%'"
        ).fetchall()
    )
    assert free_text == {"PII-2": "-/-", "PII-3": "-/high"}
