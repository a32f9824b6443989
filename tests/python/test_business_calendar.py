"""Business minutes and SLA breach instants against an independent Python oracle.

The warehouse is built from generated exports (two years, so dozens of
daylight-saving changes) with the business calendar in Europe/Berlin. The
oracle reads the same seeds, lays the opening hours out with zoneinfo, and
intersects each ticket's interval with them; nothing of the SQL is reused.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest

from conftest import PROJECT_DIR, assert_ok, run_dbt

ZONE = "Europe/Berlin"
UTC = ZoneInfo("UTC")
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def _seed(name: str) -> list[dict[str, str]]:
    with (PROJECT_DIR / "seeds" / f"{name}.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _minutes(text: str) -> int:
    hours, minutes = text.strip().split(":")
    return int(hours) * 60 + int(minutes)


class Calendar:
    """Opening intervals per channel group in UTC, merged, from the seeds."""

    def __init__(self, first: date, last: date, zone: str) -> None:
        tz = ZoneInfo(zone)
        hours = defaultdict(list)
        for row in _seed("business_hours"):
            hours[row["channel_group"]].append(row)
        closed = defaultdict(set)
        for row in _seed("holidays"):
            closed[row["holiday_date"]].add(row["channel_group"])
        self.intervals: dict[str, list[tuple[datetime, datetime]]] = {}
        for group, rows in hours.items():
            raw = []
            day = first
            while day <= last:
                if not ({group, "*"} & closed[day.isoformat()]):
                    for row in rows:
                        if WEEKDAYS.index(row["weekday"]) != day.weekday():
                            continue
                        opens, closes = _minutes(row["opens"]), _minutes(row["closes"])
                        if closes <= opens:
                            closes += 1440
                        midnight = datetime.combine(day, time(0))
                        start = (midnight + timedelta(minutes=opens)).replace(tzinfo=tz)
                        end = (midnight + timedelta(minutes=closes)).replace(tzinfo=tz)
                        raw.append((start.astimezone(UTC), end.astimezone(UTC)))
                day += timedelta(days=1)
            merged: list[list[datetime]] = []
            for start, end in sorted(raw):
                if merged and start <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], end)
                else:
                    merged.append([start, end])
            self.intervals[group] = [(start, end) for start, end in merged]

    def seconds(self, group: str, start: datetime, end: datetime) -> float:
        total = 0.0
        for opened, closed in self.intervals[group]:
            if opened >= end:
                break
            overlap = (min(closed, end) - max(opened, start)).total_seconds()
            total += max(overlap, 0.0)
        return total

    def reached(self, group: str, start: datetime, seconds: float) -> datetime:
        left = seconds
        for opened, closed in self.intervals[group]:
            if closed <= start:
                continue
            begin = max(opened, start)
            available = (closed - begin).total_seconds()
            if left <= available:
                return begin + timedelta(seconds=left)
            left -= available
        raise AssertionError("calendar too short")


def _target(targets: list[dict[str, str]], channel: str, priority: str | None, metric: str):
    wanted = (priority or "").strip().lower()
    best = None
    for row in targets:
        if row["metric"] != metric or row["channel"] not in (channel, "*"):
            continue
        if row["priority"] != "*" and row["priority"].strip().lower() != wanted:
            continue
        rank = (row["channel"] == "*", row["priority"] == "*")
        if best is None or rank < best[0]:
            best = (rank, row)
    return best[1] if best else None


@pytest.fixture(scope="module")
def berlin_warehouse(tmp_path_factory: pytest.TempPathFactory, generated_exports: Path) -> Path:
    work_dir = tmp_path_factory.mktemp("berlin")
    warehouse = work_dir / "warehouse.duckdb"
    result = run_dbt(
        ["build", "--select", "+fct_tickets", "--resource-type", "model", "seed"],
        warehouse=warehouse,
        exports=generated_exports,
        work_dir=work_dir,
        extra_vars={"business_timezone": ZONE},
    )
    assert_ok(result)
    return warehouse


def test_business_minutes_and_breach_instants_match_the_oracle(berlin_warehouse: Path) -> None:
    with duckdb.connect(str(berlin_warehouse), read_only=True) as connection:
        rows = connection.execute(
            """
            select
                ticket_id, channel, priority, business_calendar,
                created_at, first_responded_at, solved_at,
                first_response_business_minutes, resolution_business_minutes,
                first_response_sla_clock, first_response_target_minutes,
                first_response_breach_at, resolution_sla_clock,
                resolution_target_minutes, resolution_breach_at
            from main.fct_tickets
            order by ticket_id
            """
        ).fetchall()
    assert len(rows) > 1000
    group_of = {row["channel"]: row["channel_group"] for row in _seed("channels")}
    targets = _seed("sla_targets")
    first = min(row[4] for row in rows).date() - timedelta(days=2)
    last = max(row[4] for row in rows).date() + timedelta(days=120)
    calendar = Calendar(first, last, ZONE)

    def utc(value: datetime | None) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None else None

    checked = defaultdict(int)
    for (
        ticket_id,
        channel,
        priority,
        business_calendar,
        created_at,
        responded_at,
        solved_at,
        response_minutes,
        resolution_minutes,
        response_clock,
        response_target,
        response_breach_at,
        resolution_clock,
        resolution_target,
        resolution_breach_at,
    ) in rows:
        group = group_of.get(channel) or "default"
        group = group if group in calendar.intervals else "default"
        assert business_calendar == group, ticket_id
        created = utc(created_at)
        for end, got, kind in (
            (utc(responded_at), response_minutes, "response"),
            (utc(solved_at), resolution_minutes, "resolution"),
        ):
            if end is None:
                assert got is None, ticket_id
                continue
            expected = calendar.seconds(group, created, end) / 60
            assert got == pytest.approx(expected, abs=1e-6), (ticket_id, kind)
            checked[kind] += 1
        for metric, clock, target, breach_at in (
            ("first_response", response_clock, response_target, response_breach_at),
            ("resolution", resolution_clock, resolution_target, resolution_breach_at),
        ):
            row = _target(targets, channel, priority, metric)
            assert clock == row["clock"] and target == int(row["target_minutes"]), ticket_id
            seconds = int(row["target_minutes"]) * 60
            if clock == "business":
                expected_at = calendar.reached(group, created, seconds)
                checked["business breach"] += 1
            else:
                expected_at = created + timedelta(seconds=seconds)
            assert utc(breach_at) == expected_at, (ticket_id, metric)
    # The generated tickets must exercise every path, business clocks included.
    assert min(checked.values()) > 100 and len(checked) == 3, checked
