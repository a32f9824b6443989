"""Property: whatever mix of good and bad rows the exports hold, every row
read is modelled, rejected with its reason or counted as a duplicate, per
file, and no good row is lost.

Each example is a real dbt run, so the number of examples is small; set
HYPOTHESIS_MAX_EXAMPLES for a longer search.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from conftest import assert_ok, run_dbt

TICKET_COLUMNS = ["ticket_id", "created_at", "updated_at", "channel", "status", "category"]
MESSAGE_COLUMNS = ["message_id", "ticket_id", "created_at", "author_role", "is_public"]

# The same instant, 2024-03-01 10:00:00 UTC, in every form the exports use.
CREATED_FORMS = [
    "2024-03-01T10:00:00Z",
    "2024-03-01T13:00:00+03:00",
    "2024-03-01 10:00:00",
    "01.03.2024 10:00",
    "1709287200",
]
BAD_TICKETS = {
    "missing_ticket_id": {"ticket_id": ""},
    "unparseable_created_at": {"created_at": "2024-02-30T10:00:00Z"},
    "unparseable_updated_at": {"updated_at": "soon"},
}
FREE_TEXT = st.text(alphabet=st.sampled_from(list("abcxyzАБВжя ,;\"'\n-")), min_size=0, max_size=12)


@dataclass
class TicketRow:
    kind: str  # "good" or a reason code
    ticket_id: str
    version: int
    file_number: int
    created_form: str
    category: str


@st.composite
def exports(draw):
    file_count = draw(st.integers(min_value=1, max_value=3))
    good_count = draw(st.integers(min_value=1, max_value=12))
    rows: list[TicketRow] = []
    for number in range(good_count):
        versions = draw(st.integers(min_value=1, max_value=3))
        for version in range(versions):
            rows.append(
                TicketRow(
                    kind="good",
                    ticket_id=f"G-{number}",
                    version=version,
                    file_number=draw(st.integers(0, file_count - 1)),
                    created_form=draw(st.sampled_from(CREATED_FORMS)),
                    category=draw(FREE_TEXT),
                )
            )
    bad = draw(st.lists(st.sampled_from(sorted(BAD_TICKETS)), max_size=6))
    for number, reason in enumerate(bad):
        rows.append(
            TicketRow(
                kind=reason,
                ticket_id=f"B-{number}",
                version=0,
                file_number=draw(st.integers(0, file_count - 1)),
                created_form=CREATED_FORMS[0],
                category=draw(FREE_TEXT),
            )
        )
    rows = draw(st.permutations(rows))
    orphan_messages = draw(st.integers(min_value=0, max_value=3))
    return file_count, rows, good_count, orphan_messages


def _write(folder: Path, file_count: int, rows: list[TicketRow], good: int, orphans: int):
    folder.mkdir()
    written: dict[str, int] = {}
    for file_number in range(file_count):
        name = f"tickets_{file_number:02d}.csv"
        with open(folder / name, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(TICKET_COLUMNS)
            count = 0
            for row in rows:
                if row.file_number != file_number:
                    continue
                record = {
                    "ticket_id": row.ticket_id,
                    "created_at": row.created_form,
                    "updated_at": f"2024-03-0{2 + row.version}T10:00:00Z",
                    "channel": "email",
                    "status": "open",
                    "category": row.category,
                }
                record.update(BAD_TICKETS.get(row.kind, {}))
                writer.writerow([record[column] for column in TICKET_COLUMNS])
                count += 1
            written[name] = count
    with open(folder / "ticket_messages_01.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(MESSAGE_COLUMNS)
        for number in range(good):
            writer.writerow([f"M-{number}", f"G-{number}", "2024-03-01T10:05:00Z", "agent", "true"])
        for number in range(orphans):
            writer.writerow([f"O-{number}", f"NONE-{number}", "2024-03-01T10:05:00Z", "agent", "1"])
    written["ticket_messages_01.csv"] = good + orphans
    return written


@settings(
    max_examples=int(os.environ.get("HYPOTHESIS_MAX_EXAMPLES", "4")),
    deadline=None,
    derandomize=True,
    # Each example is a full dbt build: report the failing example as drawn.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=exports())
def test_every_row_is_accounted_for(tmp_path_factory, case):
    file_count, rows, good_count, orphans = case
    work_dir = tmp_path_factory.mktemp("property")
    written = _write(work_dir / "exports", file_count, rows, good_count, orphans)
    warehouse = work_dir / "warehouse.duckdb"
    result = run_dbt(
        [
            "build",
            "--select",
            "+load_audit",
            "+rejected_rows",
            "+fct_tickets",
            "--exclude",
            "resource_type:test",
            "resource_type:unit_test",
        ],
        warehouse=warehouse,
        exports=work_dir / "exports",
        work_dir=work_dir,
    )
    assert_ok(result)
    connection = duckdb.connect(str(warehouse), read_only=True)

    audit = {
        Path(source_file).name: (read, modelled, rejected, duplicate)
        for source_file, read, modelled, rejected, duplicate in connection.execute(
            "select source_file, rows_read, rows_modelled, rows_rejected, rows_duplicate "
            "from main.load_audit"
        ).fetchall()
    }
    # Every file is audited, with exactly the rows written to it.
    assert {name: counts[0] for name, counts in audit.items()} == written
    for read, modelled, rejected, duplicate in audit.values():
        assert read == modelled + rejected + duplicate

    # No good ticket is lost or doubled; nothing else becomes a ticket.
    tickets = [
        row[0] for row in connection.execute("select ticket_id from main.fct_tickets").fetchall()
    ]
    assert sorted(tickets) == sorted(f"G-{number}" for number in range(good_count))
    # The latest version of each good ticket wins.
    latest: dict[str, int] = {}
    for row in rows:
        if row.kind == "good":
            latest[row.ticket_id] = max(row.version, latest.get(row.ticket_id, 0))
    for ticket_id, updated_at in connection.execute(
        "select ticket_id, updated_at from main_staging.stg_helpdesk__tickets"
    ).fetchall():
        assert updated_at.day == 2 + latest[ticket_id]

    # Every bad row is rejected once, naming its reason.
    rejected = connection.execute(
        "select source_file, reason from main.rejected_rows where entity = 'tickets'"
    ).fetchall()
    expected_reasons = sorted(row.kind for row in rows if row.kind != "good")
    assert sorted(reason for _, reason in rejected) == expected_reasons

    # Messages: the good ones reach the models, orphans are rejected.
    replies = connection.execute(
        "select count(*) from main.fct_tickets where agent_reply_count = 1"
    ).fetchone()[0]
    assert replies == good_count
    orphan_rows = connection.execute(
        "select count(*) from main.rejected_rows where reason = 'unknown_ticket'"
    ).fetchone()[0]
    assert orphan_rows == orphans
    connection.close()
