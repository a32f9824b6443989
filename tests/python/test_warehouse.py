"""End to end: generated exports -> dbt build -> invariants of the marts."""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from conftest import MARTS, assert_ok, run_dbt

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def test_monthly_kpi_table_and_cohort_triangle_exist(warehouse):
    months = warehouse.execute(
        "select * from main.service_kpis where period_grain = 'month' and channel = 'all'"
    ).fetchall()
    cohorts = warehouse.execute("select * from main.retention_cohorts").fetchall()
    assert len(months) >= 20  # two years of tickets
    assert len(cohorts) > 100


def test_every_grain_counts_every_ticket(warehouse):
    tickets = warehouse.execute("select count(*) from main.fct_tickets").fetchone()[0]
    per_grain = dict(
        warehouse.execute(
            "select period_grain, sum(tickets) from main.service_kpis "
            "where channel = 'all' group by 1"
        ).fetchall()
    )
    assert set(per_grain) == {"day", "week", "month", "quarter"}
    assert all(total == tickets for total in per_grain.values())


def test_ticket_counts_match_distinct_ids_in_the_exports(warehouse, generated_exports):
    """Overlapping exports: distinct ticket ids in the files = rows of fct_tickets."""
    raw = duckdb.connect()
    files = f"read_parquet('{generated_exports}/tickets*.parquet')"
    distinct_ids = raw.execute(f"select count(distinct ticket_id) from {files}").fetchone()[0]
    rows = raw.execute(f"select count(*) from {files}").fetchone()[0]
    assert rows > distinct_ids  # the exports do overlap
    assert warehouse.execute("select count(*) from main.fct_tickets").fetchone()[0] == distinct_ids


def test_first_response_recomputed_independently(warehouse, generated_exports):
    """Mean first response per month, recomputed from the raw files with the seeds."""
    raw = duckdb.connect()
    raw.execute(f"create table roles as select * from read_csv('{SEEDS}/role_labels.csv')")
    expected = dict(
        raw.execute(
            f"""
            with tickets as (
                select ticket_id, min(cast(created_at as timestamp)) as created_at
                from read_parquet('{generated_exports}/tickets*.parquet')
                group by 1
            ),
            messages as (
                select distinct message_id, ticket_id, author_role, is_public,
                    cast(created_at as timestamp) as created_at
                from read_parquet('{generated_exports}/ticket_messages*.parquet')
            ),
            replies as (
                select messages.ticket_id, min(messages.created_at) as replied_at
                from messages
                join roles on lower(trim(messages.author_role)) = roles.label
                join tickets on messages.ticket_id = tickets.ticket_id
                where roles.author_role = 'agent'
                    and lower(cast(messages.is_public as varchar)) in ('true', '1')
                    and messages.created_at >= tickets.created_at
                group by 1
            )
            select date_trunc('month', tickets.created_at)::date,
                avg(date_diff('second', tickets.created_at, replies.replied_at) / 60.0)
            from tickets left join replies using (ticket_id)
            group by 1
            """
        ).fetchall()
    )
    actual = dict(
        warehouse.execute(
            "select period_start, mean_first_response_minutes from main.service_kpis "
            "where period_grain = 'month' and channel = 'all' and tickets > 0"
        ).fetchall()
    )
    assert actual.keys() == expected.keys()
    for month, value in expected.items():
        assert actual[month] == pytest.approx(value, rel=1e-9), month


def test_rates_scores_and_tiers_in_range(warehouse):
    bad = warehouse.execute(
        """
        select count(*) from main.service_kpis
        where not (
            coalesce(one_touch_resolution_pct between 0 and 100, true)
            and coalesce(first_contact_resolution_pct between 0 and 100, true)
            and coalesce(self_service_pct between 0 and 100, true)
            and coalesce(abandonment_pct between 0 and 100, true)
            and coalesce(escalation_pct between 0 and 100, true)
            and coalesce(repeat_contact_pct between 0 and 100, true)
            and coalesce(csat_pct between 0 and 100, true)
            and coalesce(csat_mean_score between 1 and 5, true)
            and coalesce(nps between -100 and 100, true)
            and coalesce(service_level_rank between 1 and 5, true)
        )
        """
    ).fetchone()[0]
    assert bad == 0
    tiers = warehouse.execute(
        "select count(*) from main.service_kpis where service_level is not null"
    ).fetchone()[0]
    assert tiers > 0
    assert (
        warehouse.execute(
            "select count(*) from main.service_kpis "
            "where channel = 'all' and service_level is not null"
        ).fetchone()[0]
        == 0
    )


def test_retention_continuity_and_cohort_month_zero(warehouse):
    breaks = warehouse.execute(
        """
        select count(*) from (
            select customers_start,
                lag(customers_end) over (partition by period_grain order by period_start) as prev
            from main.retention
        ) where prev is not null and prev != customers_start
        """
    ).fetchone()[0]
    assert breaks == 0
    month_zero = warehouse.execute(
        "select min(retention_pct), max(retention_pct) from main.retention_cohorts "
        "where months_since_first_order = 0"
    ).fetchone()
    assert month_zero == (100.0, 100.0)
    reactivated = warehouse.execute(
        "select sum(customers_reactivated) from main.retention"
    ).fetchone()
    assert reactivated[0] > 0


EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", re.IGNORECASE)
PHONE = re.compile(r"\+?\d[\d ()-]{7,}\d")


def test_no_email_or_phone_in_any_mart(warehouse):
    for mart in MARTS:
        columns = warehouse.execute(
            "select column_name from information_schema.columns "
            f"where table_schema = 'main' and table_name = '{mart}' "
            "and data_type = 'VARCHAR'"
        ).fetchall()
        for (column,) in columns:
            values = warehouse.execute(f'select distinct "{column}" from main.{mart}').fetchall()
            for (value,) in values:
                if value is None:
                    continue
                assert not EMAIL.search(value), (mart, column, value)
                assert not PHONE.fullmatch(value), (mart, column, value)


def _mart_digest(path: Path) -> dict[str, str]:
    connection = duckdb.connect(str(path), read_only=True)
    digests = {}
    for mart in MARTS:
        rows = connection.execute(f"select * from main.{mart} order by all").fetchall()
        digests[mart] = hashlib.sha256(repr(rows).encode()).hexdigest()
    connection.close()
    return digests


def test_rebuild_gives_identical_marts(built_warehouse, generated_exports, tmp_path):
    rebuilt = tmp_path / "again.duckdb"
    result = run_dbt(
        ["build", "--exclude", "resource_type:test", "resource_type:unit_test"],
        warehouse=rebuilt,
        exports=generated_exports,
        work_dir=tmp_path,
    )
    assert_ok(result)
    assert _mart_digest(rebuilt) == _mart_digest(built_warehouse)


def test_missing_required_column_stops_the_build_naming_file_and_column(tmp_path):
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "tickets_1.csv").write_text(
        "ticket_id,created_at,channel,status\nT1,2024-01-01T10:00:00Z,email,open\n"
    )
    result = run_dbt(
        ["run", "--select", "stg_helpdesk__tickets"],
        warehouse=tmp_path / "w.duckdb",
        exports=exports,
        work_dir=tmp_path,
    )
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "tickets_1.csv" in output and "updated_at" in output


def test_as_of_in_the_past_builds_the_warehouse_as_it_stood(generated_exports, tmp_path):
    warehouse = tmp_path / "as_of.duckdb"
    result = run_dbt(
        [
            "build",
            "--select",
            "+service_kpis",
            "+retention",
            "--exclude",
            "test_type:unit",
            "--indirect-selection",
            "cautious",
        ],
        warehouse=warehouse,
        exports=generated_exports,
        work_dir=tmp_path,
        extra_vars={"as_of": "2025-03-31 23:59:59"},
    )
    assert_ok(result)
    connection = duckdb.connect(str(warehouse), read_only=True)
    latest = connection.execute(
        "select max(created_at), max(solved_at), max(first_responded_at) from main.fct_tickets"
    ).fetchone()
    assert all(value <= datetime(2025, 3, 31, 23, 59, 59) for value in latest)
    totals = connection.execute(
        "select period_grain, sum(tickets), max(period_start) from main.service_kpis "
        "where channel = 'all' group by 1 order by 1"
    ).fetchall()
    tickets = connection.execute("select count(*) from main.fct_tickets").fetchone()[0]
    assert {total for _, total, _ in totals} == {tickets}
    assert max(start for _, _, start in totals) <= date(2025, 3, 31)
