"""Tests of the deterministic export generator (support_kpi.generator)."""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from support_kpi.cli import main
from support_kpi.generator import COLUMNS, EXPORT_FILES, generate

N = 400
SEED = 7
START = "2024-01-01"
DAYS = 730

# Canonical channels of the labels, written out here independently of the
# generator so that a change of labels there is noticed.
CHAT_LABELS = ("chat", "live chat", "web chat", "widget", "чат")
EMAIL_LABELS = ("email", "e-mail", "mail", "web form", "почта")
AGENT_ROLES = ("agent", "admin", "оператор")
BOT_ROLES = ("bot", "system", "automation")
OPEN_STATUSES = ("open", "new", "открыт")
# Canonical status of every status label the exports write (after trimming
# and lower-casing), written out independently of the generator.
STATUS_WORDS = {
    "new": "new",
    "новый": "new",
    "open": "open",
    "открыт": "open",
    "pending": "pending",
    "в ожидании": "pending",
    "hold": "hold",
    "on-hold": "hold",
    "on hold": "hold",
    "solved": "solved",
    "решен": "solved",
    "решён": "solved",
    "closed": "closed",
    "закрыт": "closed",
}
END = f"TIMESTAMPTZ '{START}' + INTERVAL {DAYS} DAY"


def _run(out: Path, seed: int = SEED, fmt: str = "csv", **kwargs: object) -> dict[str, int]:
    return generate(out, N, seed=seed, fmt=fmt, start=START, days=DAYS, **kwargs)


@pytest.fixture(scope="module")
def csv_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    out = tmp_path_factory.mktemp("csv_seed7")
    return out, _run(out)


@pytest.fixture(scope="module")
def csv_dir(csv_run: tuple[Path, dict[str, int]]) -> Path:
    return csv_run[0]


@pytest.fixture(scope="module")
def counts(csv_run: tuple[Path, dict[str, int]]) -> dict[str, int]:
    return csv_run[1]


@pytest.fixture(scope="module")
def parquet_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("parquet_seed7")
    _run(out, fmt="parquet")
    return out


@pytest.fixture(scope="module")
def large_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Enough tickets for the rare cases (open tickets, out-of-range scores)."""
    out = tmp_path_factory.mktemp("csv_large")
    generate(out, 4000, seed=SEED, start=START, days=DAYS)
    return out


def _connect(csv_dir: Path) -> duckdb.DuckDBPyConnection:
    """Views over the CSV exports, read the way the warehouse reads them:
    every column as text, header and delimiter sniffed; `final_tickets` (the
    latest copy of each ticket) and `changes` (the status changes with their
    canonical status, exact duplicate rows removed)."""
    connection = duckdb.connect()
    for entity, names in EXPORT_FILES.items():
        selects = [
            f"SELECT *, '{name}' AS _file FROM read_csv('{csv_dir / name}.csv', "
            "all_varchar = true, header = true)"
            for name in names
        ]
        connection.execute(f"CREATE VIEW {entity} AS " + " UNION ALL ".join(selects))
    # the latest copy of each ticket
    connection.execute(
        """
        CREATE VIEW final_tickets AS
        SELECT * EXCLUDE (rn) FROM (
            SELECT *, row_number() OVER (
                PARTITION BY ticket_id ORDER BY CAST(updated_at AS TIMESTAMPTZ) DESC, _file DESC
            ) AS rn
            FROM tickets
        ) WHERE rn = 1
        """
    )
    words = ", ".join(f"('{label}', '{status}')" for label, status in STATUS_WORDS.items())
    connection.execute(f"CREATE TABLE status_words (label, status) AS VALUES {words}")
    connection.execute(
        """
        CREATE VIEW changes AS
        SELECT
            c.ticket_id,
            CAST(c.changed_at AS TIMESTAMPTZ) AS changed_at,
            w.status,
            row_number() OVER (
                PARTITION BY c.ticket_id ORDER BY CAST(c.changed_at AS TIMESTAMPTZ)
            ) AS seq,
            count(*) OVER (PARTITION BY c.ticket_id) AS changes
        FROM (SELECT DISTINCT ticket_id, changed_at, status FROM ticket_status_changes) AS c
        LEFT JOIN status_words AS w ON w.label = lower(trim(c.status))
        """
    )
    return connection


@pytest.fixture(scope="module")
def con(csv_dir: Path) -> duckdb.DuckDBPyConnection:
    connection = _connect(csv_dir)
    yield connection
    connection.close()


@pytest.fixture(scope="module", params=["sample", "large"])
def history_con(request: pytest.FixtureRequest) -> duckdb.DuckDBPyConnection:
    """The exports of `csv_dir` and of `large_dir`, for the checks of the
    status history (the large one has more open, reopened and held tickets)."""
    fixture = "csv_dir" if request.param == "sample" else "large_dir"
    connection = _connect(request.getfixturevalue(fixture))
    yield connection
    connection.close()


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    return con.execute(sql).fetchall()[0][0]


def _column(con: duckdb.DuckDBPyConnection, sql: str) -> list[object]:
    return [row[0] for row in con.execute(sql).fetchall()]


def _files(out: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(out.iterdir())}


# Determinism


def test_same_seed_gives_identical_bytes(csv_dir: Path, tmp_path: Path) -> None:
    _run(tmp_path)
    assert _files(tmp_path) == _files(csv_dir)


def test_output_does_not_depend_on_thread_count(csv_dir: Path, tmp_path: Path) -> None:
    _run(tmp_path, threads=1)
    assert _files(tmp_path) == _files(csv_dir)


def test_same_seed_gives_identical_parquet(parquet_dir: Path, tmp_path: Path) -> None:
    _run(tmp_path, fmt="parquet")
    assert _files(tmp_path) == _files(parquet_dir)


def test_different_seed_changes_every_file(csv_dir: Path, tmp_path: Path) -> None:
    _run(tmp_path, seed=SEED + 1)
    other = _files(tmp_path)
    same = _files(csv_dir)
    assert other.keys() == same.keys()
    for name in same:
        assert other[name] != same[name], name


# Files and columns


def test_writes_exactly_the_contract_files(csv_dir: Path, parquet_dir: Path) -> None:
    expected = {name for names in EXPORT_FILES.values() for name in names}
    assert {p.name for p in csv_dir.iterdir()} == {f"{name}.csv" for name in expected}
    assert {p.name for p in parquet_dir.iterdir()} == {f"{name}.parquet" for name in expected}


def test_every_file_has_every_column_in_order(csv_dir: Path, parquet_dir: Path) -> None:
    contract = {
        "tickets": "ticket_id,created_at,updated_at,channel,status,requester_email,assignee_id,"
        "team,category,priority,tags,is_escalated,solved_at,reopen_count",
        "ticket_messages": "message_id,ticket_id,created_at,author_role,is_public",
        "ticket_status_changes": "ticket_id,changed_at,status",
        "surveys": "response_id,survey_type,score,responded_at,ticket_id,respondent_email,comment",
        "orders": "order_id;customer_email;created_at;total_amount;currency;financial_status;"
        "cancelled_at;is_test",
    }
    for entity, names in EXPORT_FILES.items():
        delimiter = ";" if entity == "orders" else ","
        assert delimiter.join(COLUMNS[entity]) == contract[entity]
        for name in names:
            with open(csv_dir / f"{name}.csv", encoding="utf-8", newline="") as handle:
                header = handle.readline().rstrip("\r\n")
            assert header == contract[entity], name
            columns = [
                row[0]
                for row in duckdb.execute(
                    f"DESCRIBE SELECT * FROM read_parquet('{parquet_dir / name}.parquet')"
                ).fetchall()
            ]
            assert columns == list(COLUMNS[entity]), name


def test_csv_is_well_formed(csv_dir: Path) -> None:
    """Every record has the header's number of fields (quoted commas,
    quotes and line breaks inside fields included)."""
    for entity, names in EXPORT_FILES.items():
        delimiter = ";" if entity == "orders" else ","
        for name in names:
            with open(csv_dir / f"{name}.csv", encoding="utf-8", newline="") as handle:
                rows = list(csv.reader(handle, delimiter=delimiter))
            assert len(rows) > 1, name
            assert {len(row) for row in rows} == {len(COLUMNS[entity])}, name


# Row counts


def test_returned_counts_match_the_files(con: duckdb.DuckDBPyConnection, counts: dict) -> None:
    for entity in EXPORT_FILES:
        assert counts[entity] == _scalar(con, f"SELECT count(*) FROM {entity}"), entity


def test_row_count_relations(con: duckdb.DuckDBPyConnection, counts: dict) -> None:
    assert _scalar(con, "SELECT count(DISTINCT ticket_id) FROM tickets") == N
    # overlapping snapshots and duplicates make more rows than tickets
    assert N * 1.03 < counts["tickets"] < N * 1.3
    # every ticket has messages, starting with the customer's
    assert _scalar(con, "SELECT count(DISTINCT ticket_id) FROM ticket_messages") == N
    assert 2.5 * N < counts["ticket_messages"] < 8 * N
    assert N * 0.25 < counts["surveys"] < N * 0.8
    assert N * 1.1 < counts["orders"] < N * 2.0
    # about 0.4 distinct support customers per ticket
    customers = _scalar(
        con,
        "SELECT count(DISTINCT lower(trim(requester_email))) FROM final_tickets",
    )
    assert 0.3 * N < customers < 0.5 * N
    # each message id and order id appears once per file
    assert (
        _scalar(con, "SELECT count(*) - count(DISTINCT (message_id, _file)) FROM ticket_messages")
        == 0
    )
    assert _scalar(con, "SELECT count(*) - count(DISTINCT order_id) FROM orders") == 0


def test_id_formats(con: duckdb.DuckDBPyConnection) -> None:
    assert _scalar(
        con, "SELECT bool_and(regexp_full_match(ticket_id, 'TCK-[0-9]{7}')) FROM tickets"
    )
    assert _scalar(
        con,
        "SELECT bool_and(regexp_full_match(message_id, 'MSG-[0-9]{7}-[0-9]{2}')"
        " AND substr(message_id, 5, 7) = substr(ticket_id, 5, 7)) FROM ticket_messages",
    )
    assert _scalar(con, "SELECT bool_and(regexp_full_match(order_id, 'ORD-[0-9]+')) FROM orders")
    assert _scalar(
        con, "SELECT bool_and(regexp_full_match(response_id, 'RSP-[0-9]+')) FROM surveys"
    )


def test_files_are_ordered_by_id(csv_dir: Path) -> None:
    for entity, names in EXPORT_FILES.items():
        delimiter = ";" if entity == "orders" else ","
        for name in names:
            with open(csv_dir / f"{name}.csv", encoding="utf-8", newline="") as handle:
                ids = [row[0] for row in csv.reader(handle, delimiter=delimiter)][1:]
            assert ids == sorted(ids), name


# Overlapping exports


def test_overlapping_snapshots(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        """
        WITH copies AS (
            SELECT
                ticket_id,
                count(*) AS copies,
                count(DISTINCT updated_at) AS versions,
                count(DISTINCT _file) AS files
            FROM tickets
            GROUP BY ticket_id
        )
        SELECT
            count(*) FILTER (WHERE versions > 1),
            count(*) FILTER (WHERE copies > 1 AND versions = 1),
            max(copies),
            bool_and(files = copies)
        FROM copies
        """
    ).fetchall()[0]
    snapshots, exact_duplicates, max_copies, one_copy_per_file = rows
    assert 0.03 * N < snapshots < 0.15 * N
    assert 1 <= exact_duplicates < 0.06 * N
    assert max_copies == 2
    assert one_copy_per_file


def test_earlier_snapshot_is_open_and_older(con: duckdb.DuckDBPyConnection) -> None:
    pairs = con.execute(
        """
        SELECT
            early.status, early.solved_at, early.reopen_count, early._file,
            late._file,
            CAST(early.updated_at AS TIMESTAMPTZ)
                < CAST(coalesce(late.solved_at, late.updated_at) AS TIMESTAMPTZ)
        FROM tickets AS early
        INNER JOIN tickets AS late
            ON late.ticket_id = early.ticket_id AND late.updated_at <> early.updated_at
        WHERE CAST(early.updated_at AS TIMESTAMPTZ) < CAST(late.updated_at AS TIMESTAMPTZ)
        """
    ).fetchall()
    assert pairs
    for status, solved_at, reopen_count, early_file, late_file, before_solve in pairs:
        assert status.strip().lower() in OPEN_STATUSES
        assert solved_at is None
        assert reopen_count == "0"
        assert before_solve
        # the final state comes with the next export
        assert int(late_file[-2:]) == int(early_file[-2:]) + 1


def test_exact_duplicates_are_identical_rows(con: duckdb.DuckDBPyConnection) -> None:
    differing = _scalar(
        con,
        """
        SELECT count(*) FROM (
            SELECT ticket_id FROM (SELECT DISTINCT * EXCLUDE (_file) FROM tickets)
            GROUP BY ticket_id, updated_at
            HAVING count(*) > 1
        )
        """,
    )
    assert differing == 0
    repeated = _scalar(
        con,
        "SELECT count(*) FROM (SELECT message_id FROM ticket_messages"
        " GROUP BY ALL HAVING count(DISTINCT _file) > 1)",
    )
    assert repeated > 0
    assert _scalar(
        con,
        "SELECT count(*) FROM (SELECT DISTINCT * EXCLUDE (_file) FROM ticket_messages)",
    ) == _scalar(con, "SELECT count(DISTINCT message_id) FROM ticket_messages")


# Messy labels


def test_channel_labels_vary(con: duckdb.DuckDBPyConnection) -> None:
    labels = _column(con, "SELECT DISTINCT channel FROM tickets")
    assert len(labels) >= 12
    assert any(re.search("[а-яА-Я]", label) for label in labels)
    assert any(label != label.lower() for label in labels)
    assert any(label != label.strip() for label in labels)
    lowered = {label.strip().lower() for label in labels}
    assert {"email", "chat", "phone"} <= lowered


def test_status_and_boolean_labels_vary(con: duckdb.DuckDBPyConnection) -> None:
    statuses = {s.strip().lower() for s in _column(con, "SELECT DISTINCT status FROM tickets")}
    assert {"solved", "closed", "open"} <= statuses
    assert statuses & {"решен", "решён", "закрыт"}
    flags = set(_column(con, "SELECT DISTINCT coalesce(is_escalated, '') FROM tickets"))
    assert {"true", "false", "1", "0", ""} <= flags
    assert flags & {"yes", "да"}


def test_channel_mix(con: duckdb.DuckDBPyConnection) -> None:
    share = dict(
        con.execute(
            f"""
            SELECT
                CASE
                    WHEN lower(trim(channel)) IN {EMAIL_LABELS} THEN 'email'
                    WHEN lower(trim(channel)) IN {CHAT_LABELS} THEN 'chat'
                    ELSE 'rest'
                END,
                count(*) / {N}
            FROM final_tickets
            GROUP BY 1
            """
        ).fetchall()
    )
    assert 0.35 < share["email"] < 0.55
    assert 0.2 < share["chat"] < 0.4


def test_requester_email_case_varies(con: duckdb.DuckDBPyConnection) -> None:
    emails = _column(con, "SELECT requester_email FROM tickets")
    present = [e for e in emails if e is not None]
    assert len(present) < len(emails) * 0.999 or len(emails) < 1000
    mixed = [e for e in present if e != e.lower()]
    assert 0.15 * len(present) < len(mixed) < 0.45 * len(present)
    assert all(re.fullmatch(r"customer[0-9]+@example\.com", e.strip().lower()) for e in present)


# Messages


def test_bots_and_internal_notes(con: duckdb.DuckDBPyConnection) -> None:
    roles = con.execute(
        f"""
        SELECT
            count(*) FILTER (WHERE lower(author_role) IN {BOT_ROLES}),
            count(*) FILTER (WHERE lower(author_role) IN {AGENT_ROLES}
                AND lower(is_public) IN ('false', '0')),
            count(*) FILTER (WHERE lower(author_role) NOT IN {AGENT_ROLES}
                AND lower(is_public) IN ('false', '0'))
        FROM ticket_messages
        """
    ).fetchall()[0]
    bots, notes, private_non_agent = roles
    assert bots > 0.1 * N
    assert notes > 0.05 * N
    assert private_non_agent == 0
    role_labels = set(_column(con, "SELECT DISTINCT author_role FROM ticket_messages"))
    assert {"customer", "agent", "bot"} <= role_labels
    assert role_labels & {"Клиент", "оператор"}


def test_message_timestamps(con: duckdb.DuckDBPyConnection) -> None:
    forms = con.execute(
        """
        SELECT
            count(*) FILTER (WHERE regexp_full_match(created_at,
                '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ')),
            count(*) FILTER (WHERE regexp_full_match(created_at,
                '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\+03:00')),
            count(*)
        FROM ticket_messages
        """
    ).fetchall()[0]
    utc, moscow, total = forms
    assert utc + moscow == total
    assert 0.35 * total < utc < 0.65 * total
    # the first message of every ticket is the customer's, at the ticket's creation
    mismatched = _scalar(
        con,
        f"""
        WITH first_messages AS (
            SELECT ticket_id, arg_min(author_role, message_id) AS role,
                min(CAST(created_at AS TIMESTAMPTZ)) AS first_at
            FROM ticket_messages
            GROUP BY ticket_id
        )
        SELECT count(*)
        FROM final_tickets AS t
        INNER JOIN first_messages AS m ON m.ticket_id = t.ticket_id
        WHERE m.first_at <> CAST(t.created_at AS TIMESTAMPTZ)
            OR lower(m.role) IN {AGENT_ROLES + BOT_ROLES}
        """,
    )
    assert mismatched == 0


def test_multi_message_customer_turns(con: duckdb.DuckDBPyConnection) -> None:
    consecutive = _scalar(
        con,
        f"""
        WITH m AS (
            SELECT DISTINCT ticket_id, message_id, lower(author_role) AS role,
                CAST(created_at AS TIMESTAMPTZ) AS sent_at
            FROM ticket_messages
        ),
        ordered AS (
            SELECT *, lag(role) OVER (PARTITION BY ticket_id ORDER BY message_id) AS prev_role,
                lag(sent_at) OVER (PARTITION BY ticket_id ORDER BY message_id) AS prev_at
            FROM m
        )
        SELECT count(*) FROM ordered
        WHERE role NOT IN {AGENT_ROLES + BOT_ROLES} AND prev_role = role
            AND sent_at - prev_at <= INTERVAL 5 MINUTE
        """,
    )
    assert consecutive > 0.1 * N


def test_first_response_minutes_by_channel(con: duckdb.DuckDBPyConnection) -> None:
    medians = dict(
        con.execute(
            f"""
            WITH first_replies AS (
                SELECT ticket_id, min(CAST(created_at AS TIMESTAMPTZ)) AS replied_at
                FROM ticket_messages
                WHERE lower(author_role) IN {AGENT_ROLES} AND lower(is_public) IN ('true', '1')
                GROUP BY ticket_id
            )
            SELECT
                CASE WHEN lower(trim(t.channel)) IN {CHAT_LABELS} THEN 'chat'
                    WHEN lower(trim(t.channel)) IN {EMAIL_LABELS} THEN 'email' END AS channel,
                median(epoch(r.replied_at) - epoch(CAST(t.created_at AS TIMESTAMPTZ))) / 60
            FROM final_tickets AS t
            INNER JOIN first_replies AS r ON r.ticket_id = t.ticket_id
            GROUP BY 1
            """
        ).fetchall()
    )
    assert 0.5 < medians["chat"] < 10
    assert 60 < medians["email"] < 24 * 60
    assert medians["email"] > 20 * medians["chat"]


def test_self_served_and_unanswered_tickets(con: duckdb.DuckDBPyConnection) -> None:
    result = con.execute(
        f"""
        WITH replies AS (
            SELECT ticket_id, count(DISTINCT message_id) FILTER (
                WHERE lower(author_role) IN {AGENT_ROLES} AND lower(is_public) IN ('true', '1')
            ) AS replies
            FROM ticket_messages
            GROUP BY ticket_id
        )
        SELECT
            count(*) FILTER (WHERE solved_at IS NOT NULL AND replies = 0),
            count(*) FILTER (WHERE solved_at IS NOT NULL AND replies = 1),
            count(*) FILTER (WHERE lower(trim(status)) IN ('closed', 'закрыт')
                AND solved_at IS NULL)
        FROM final_tickets
        INNER JOIN replies USING (ticket_id)
        """
    ).fetchall()[0]
    self_served, one_touch, abandoned = result
    assert 0.01 * N < self_served < 0.1 * N
    assert one_touch > 0.3 * N
    assert 0.01 * N < abandoned < 0.1 * N


# Ticket states


def test_final_states_are_consistent(con: duckdb.DuckDBPyConnection) -> None:
    bad = _scalar(
        con,
        """
        SELECT count(*) FROM final_tickets
        WHERE CAST(updated_at AS TIMESTAMPTZ) < CAST(created_at AS TIMESTAMPTZ)
            OR CAST(updated_at AS TIMESTAMPTZ) < CAST(solved_at AS TIMESTAMPTZ)
            OR CAST(solved_at AS TIMESTAMPTZ) < CAST(created_at AS TIMESTAMPTZ)
        """,
    )
    assert bad == 0
    late_messages = _scalar(
        con,
        """
        SELECT count(*) FROM final_tickets AS t
        INNER JOIN ticket_messages AS m ON m.ticket_id = t.ticket_id
        WHERE CAST(m.created_at AS TIMESTAMPTZ) > CAST(t.updated_at AS TIMESTAMPTZ)
        """,
    )
    assert late_messages == 0
    assert _scalar(
        con,
        "SELECT bool_and(regexp_full_match(created_at,"
        " '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ')) FROM tickets",
    )


def test_reopened_and_escalated_tickets(con: duckdb.DuckDBPyConnection) -> None:
    reopened, escalated, tier2 = con.execute(
        """
        SELECT
            count(*) FILTER (WHERE reopen_count = '1'),
            count(*) FILTER (WHERE lower(is_escalated) IN ('true', '1', 'yes', 'да')),
            count(*) FILTER (WHERE team = 'tier2')
        FROM final_tickets
        """
    ).fetchall()[0]
    assert 0.02 * N < reopened < 0.12 * N
    assert 0.01 * N < escalated < 0.09 * N
    assert escalated == tier2
    # a reopened ticket has a customer message after an agent reply
    assert _scalar(
        con,
        f"""
        SELECT bool_and(customer_after_reply) FROM (
            SELECT t.ticket_id, bool_or(lower(m.author_role) NOT IN {AGENT_ROLES + BOT_ROLES}
                AND m.message_id > (SELECT min(r.message_id) FROM ticket_messages AS r
                    WHERE r.ticket_id = t.ticket_id AND lower(r.author_role) IN {AGENT_ROLES}
                    AND lower(r.is_public) IN ('true', '1'))) AS customer_after_reply
            FROM final_tickets AS t
            INNER JOIN ticket_messages AS m ON m.ticket_id = t.ticket_id
            WHERE t.reopen_count = '1'
            GROUP BY t.ticket_id
        )
        """,
    )


def test_open_tickets_are_recent(large_dir: Path) -> None:
    rows = duckdb.execute(
        f"""
        SELECT
            ticket_id,
            lower(trim(status)),
            CAST(created_at AS TIMESTAMPTZ),
            solved_at,
            TIMESTAMPTZ '{START}' + INTERVAL {DAYS} DAY
        FROM read_csv('{large_dir}/tickets_export_03.csv', all_varchar = true)
        WHERE lower(trim(status)) IN ('open', 'new', 'pending', 'hold', 'on-hold', 'on hold',
            'открыт', 'в ожидании')
        """
    ).fetchall()
    statuses = {row[1] for row in rows}
    assert "pending" in statuses or "в ожидании" in statuses
    assert statuses & {"open", "new", "открыт"}
    for _, _, created, solved_at, end in rows:
        assert solved_at is None
        assert (end - created).days < 30


def test_repeat_contacts_exist(con: duckdb.DuckDBPyConnection) -> None:
    repeats = _scalar(
        con,
        """
        SELECT count(*) FROM final_tickets AS later
        INNER JOIN final_tickets AS earlier
            ON lower(trim(earlier.requester_email)) = lower(trim(later.requester_email))
            AND coalesce(earlier.category, '') = coalesce(later.category, '')
            AND earlier.ticket_id <> later.ticket_id
            AND CAST(earlier.created_at AS TIMESTAMPTZ) <= CAST(later.created_at AS TIMESTAMPTZ)
            AND CAST(later.created_at AS TIMESTAMPTZ)
                < CAST(earlier.created_at AS TIMESTAMPTZ) + INTERVAL 7 DAY
        """,
    )
    assert repeats > 0.02 * N


# Status changes


def test_status_change_labels_and_duplicates(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute("SELECT ticket_id, changed_at, status FROM ticket_status_changes").fetchall()
    labels = [row[2] for row in rows]
    assert all(label is not None and label.strip().lower() in STATUS_WORDS for label in labels)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", row[1]) for row in rows)
    # mostly the canonical word, some capitalised, localised or blank-padded
    messy = [label for label in labels if label != STATUS_WORDS[label.strip().lower()]]
    assert 0.03 * len(labels) < len(messy) < 0.25 * len(labels)
    assert any(label != label.strip() for label in messy)
    assert any(re.search("[а-яА-Я]", label) for label in messy)
    assert any(label != label.lower() for label in messy)
    assert {"hold", "on-hold"} & set(labels)
    # a few rows exported twice, each exactly once more
    duplicates = len(rows) - len(set(rows))
    assert 0 < duplicates < 0.03 * len(rows)
    assert max(Counter(rows).values()) == 2


def test_every_ticket_starts_new_at_its_creation(con: duckdb.DuckDBPyConnection) -> None:
    assert _scalar(con, "SELECT count(DISTINCT ticket_id) FROM ticket_status_changes") == N
    assert _scalar(con, "SELECT count(*) FROM changes WHERE status IS NULL") == 0
    bad = _scalar(
        con,
        """
        SELECT count(*) FROM final_tickets AS t
        LEFT JOIN changes AS c ON c.ticket_id = t.ticket_id AND c.seq = 1
        WHERE c.status IS DISTINCT FROM 'new'
            OR c.changed_at <> CAST(t.created_at AS TIMESTAMPTZ)
        """,
    )
    assert bad == 0


def test_status_history_is_strictly_increasing(history_con: duckdb.DuckDBPyConnection) -> None:
    repeated_instants, repeated_statuses, before_creation, after_update, after_end = (
        history_con.execute(
            f"""
            WITH ordered AS (
                SELECT
                    *,
                    lag(changed_at) OVER (PARTITION BY ticket_id ORDER BY seq) AS previous_at,
                    lag(status) OVER (PARTITION BY ticket_id ORDER BY seq) AS previous_status
                FROM changes
            )
            SELECT
                count(*) FILTER (WHERE o.changed_at <= o.previous_at),
                count(*) FILTER (WHERE o.status = o.previous_status),
                count(*) FILTER (WHERE o.changed_at < CAST(t.created_at AS TIMESTAMPTZ)),
                count(*) FILTER (WHERE o.changed_at > CAST(t.updated_at AS TIMESTAMPTZ)),
                count(*) FILTER (WHERE o.changed_at > {END})
            FROM ordered AS o
            INNER JOIN final_tickets AS t ON t.ticket_id = o.ticket_id
            """
        ).fetchall()[0]
    )
    assert repeated_instants == 0
    assert repeated_statuses == 0
    assert before_creation == 0
    assert after_update == 0
    assert after_end == 0


def test_status_history_ends_as_the_ticket_does(history_con: duckdb.DuckDBPyConnection) -> None:
    rows = history_con.execute(
        """
        WITH history AS (
            SELECT
                ticket_id,
                arg_max(status, seq) AS last_status,
                max(changed_at) AS last_at,
                max(changed_at) FILTER (WHERE status = 'solved') AS last_solved_at,
                count(*) FILTER (WHERE status = 'solved') AS solves,
                count(*) FILTER (WHERE status = 'closed') AS closes
            FROM changes
            GROUP BY ticket_id
        )
        SELECT
            t.ticket_id,
            w.status,
            CAST(t.solved_at AS TIMESTAMPTZ),
            CAST(t.updated_at AS TIMESTAMPTZ),
            CAST(coalesce(t.reopen_count, '0') AS INTEGER),
            h.last_status,
            h.last_at,
            h.last_solved_at,
            h.solves,
            h.closes
        FROM final_tickets AS t
        INNER JOIN status_words AS w ON w.label = lower(trim(t.status))
        INNER JOIN history AS h ON h.ticket_id = t.ticket_id
        """
    ).fetchall()
    kinds = {"solved": 0, "abandoned": 0, "unsolved": 0}
    for (
        ticket,
        status,
        solved_at,
        updated_at,
        reopens,
        last,
        last_at,
        solve_at,
        solves,
        closes,
    ) in rows:
        assert closes <= 1, ticket
        if solved_at is not None:
            kinds["solved"] += 1
            # the final solve is the ticket's solved_at, one more solve per reopen
            assert solve_at == solved_at, ticket
            assert solves == reopens + 1, ticket
            # a ticket exported as closed was closed after the solve, at its update
            if status == "closed" and updated_at > solved_at:
                assert (last, last_at) == ("closed", updated_at), ticket
            else:
                assert (last, last_at) == ("solved", solved_at), ticket
        elif status == "closed":
            kinds["abandoned"] += 1
            assert solves == 0, ticket
            assert (last, last_at) == ("closed", updated_at), ticket
        else:
            kinds["unsolved"] += 1
            assert solves == 0 and closes == 0, ticket
            assert last in ("new", "open", "pending", "hold"), ticket
            # the ticket row's status, except that a replied ticket shown as
            # 'new' ends open
            assert last == status or (status, last) == ("new", "open"), ticket
    assert kinds["solved"] > 0 and kinds["abandoned"] > 0, kinds
    # the small sample may have no ticket left open at the end
    assert kinds["unsolved"] > 0 or len(rows) < 1000, kinds


def test_reopened_tickets_are_solved_again(history_con: duckdb.DuckDBPyConnection) -> None:
    transitions = dict(
        history_con.execute(
            """
            WITH ordered AS (
                SELECT
                    *,
                    lead(status) OVER (PARTITION BY ticket_id ORDER BY seq) AS next_status
                FROM changes
            )
            SELECT coalesce(next_status, 'end'), count(*)
            FROM ordered
            WHERE status = 'solved'
            GROUP BY 1
            """
        ).fetchall()
    )
    # after a solve: the end, a close, or a reopening (back to open)
    assert set(transitions) <= {"end", "closed", "open"}
    reopened = _scalar(
        history_con, "SELECT count(*) FROM final_tickets WHERE CAST(reopen_count AS INTEGER) > 0"
    )
    assert transitions.get("open", 0) == reopened > 0
    # a ticket reopens when the customer writes again after the solve
    unprompted = _scalar(
        history_con,
        f"""
        WITH ordered AS (
            SELECT *, lag(status) OVER (PARTITION BY ticket_id ORDER BY seq) AS previous
            FROM changes
        )
        SELECT count(*) FROM ordered AS o
        WHERE o.status = 'open' AND o.previous = 'solved' AND NOT EXISTS (
            SELECT 1 FROM ticket_messages AS m
            WHERE m.ticket_id = o.ticket_id
                AND CAST(m.created_at AS TIMESTAMPTZ) = o.changed_at
                AND lower(m.author_role) NOT IN {AGENT_ROLES + BOT_ROLES}
        )
        """,
    )
    assert unprompted == 0


def test_statuses_follow_the_messages(history_con: duckdb.DuckDBPyConnection) -> None:
    """Pending starts with an agent's public reply and ends when the customer
    writes; the ticket is opened before its first reply."""
    pending_without_reply, reopened_without_customer, opened_late, unopened = history_con.execute(
        f"""
            WITH m AS (
                SELECT DISTINCT
                    ticket_id,
                    CAST(created_at AS TIMESTAMPTZ) AS sent_at,
                    lower(author_role) IN {AGENT_ROLES} AND lower(is_public) IN ('true', '1')
                        AS is_reply,
                    lower(author_role) NOT IN {AGENT_ROLES + BOT_ROLES} AS is_customer
                FROM ticket_messages
            ),
            first_replies AS (
                SELECT ticket_id, min(sent_at) AS replied_at FROM m WHERE is_reply GROUP BY 1
            ),
            first_opens AS (
                SELECT ticket_id, min(changed_at) AS opened_at FROM changes
                WHERE status = 'open' GROUP BY 1
            ),
            ordered AS (
                SELECT *, lag(status) OVER (PARTITION BY ticket_id ORDER BY seq) AS previous
                FROM changes
            )
            SELECT
                (SELECT count(*) FROM ordered AS o WHERE o.status = 'pending' AND NOT EXISTS (
                    SELECT 1 FROM m WHERE m.ticket_id = o.ticket_id AND m.is_reply
                        AND m.sent_at = o.changed_at)),
                (SELECT count(*) FROM ordered AS o
                    WHERE o.status = 'open' AND o.previous = 'pending' AND NOT EXISTS (
                        SELECT 1 FROM m WHERE m.ticket_id = o.ticket_id AND m.is_customer
                            AND m.sent_at = o.changed_at)),
                (SELECT count(*) FROM first_replies AS r
                    LEFT JOIN first_opens AS f ON f.ticket_id = r.ticket_id
                    WHERE f.opened_at >= r.replied_at),
                (SELECT count(*) FROM first_replies AS r
                    LEFT JOIN first_opens AS f ON f.ticket_id = r.ticket_id
                    WHERE f.opened_at IS NULL AND r.replied_at <= {END})
            """
    ).fetchall()[0]
    assert pending_without_reply == 0
    assert reopened_without_customer == 0
    assert opened_late == 0
    assert unopened == 0


def test_status_mix(history_con: duckdb.DuckDBPyConnection) -> None:
    tickets, pending, hold, closed_after_solve, self_solved = history_con.execute(
        """
        WITH per_ticket AS (
            SELECT
                ticket_id,
                bool_or(status = 'pending') AS pending,
                bool_or(status = 'hold') AS hold,
                bool_or(status = 'closed') AND bool_or(status = 'solved') AS closed_after_solve,
                list(status ORDER BY seq) = ['new', 'solved'] AS self_solved
            FROM changes
            GROUP BY ticket_id
        )
        SELECT
            count(*),
            count(*) FILTER (WHERE pending),
            count(*) FILTER (WHERE hold),
            count(*) FILTER (WHERE closed_after_solve),
            count(*) FILTER (WHERE self_solved)
        FROM per_ticket
        """
    ).fetchall()[0]
    assert 0.5 * tickets < pending < 0.95 * tickets
    assert 0.01 * tickets < hold < 0.2 * tickets
    assert 0.1 * tickets < closed_after_solve < 0.3 * tickets
    assert 0.01 * tickets < self_solved < 0.1 * tickets
    # changes per ticket: at least 'new'; typically new, open, pending, solved
    average = _scalar(history_con, "SELECT avg(changes) FROM changes WHERE seq = 1")
    assert 3 < average < 7


# Surveys


def test_survey_scores_and_forms(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        "SELECT lower(survey_type), CAST(score AS INTEGER), responded_at, ticket_id,"
        " respondent_email FROM surveys"
    ).fetchall()
    csat = [r for r in rows if r[0] == "csat"]
    nps = [r for r in rows if r[0] == "nps"]
    assert csat and nps
    assert {r[0] for r in rows} == {"csat", "nps"}
    assert set(_column(con, "SELECT DISTINCT survey_type FROM surveys")) >= {"csat", "CSAT"}
    # CSAT: mostly 4 and 5, some out of range
    assert all(0 <= r[1] <= 6 for r in csat)
    assert any(r[1] in (0, 6) for r in csat)
    assert sum(r[1] >= 4 for r in csat) > 0.6 * len(csat)
    assert all(r[3] is not None for r in csat)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", r[2]) for r in csat)
    # NPS: per customer, epoch seconds, scores 0-10 and now and then 11
    assert all(0 <= r[1] <= 11 for r in nps)
    assert all(r[3] is None and r[4] for r in nps)
    assert all(re.fullmatch(r"\d{10}", r[2]) for r in nps)
    assert sum(r[1] >= 9 for r in nps) > 0.4 * len(nps)


def test_out_of_range_scores_at_scale(large_dir: Path) -> None:
    scores = dict(
        duckdb.execute(
            f"""
            SELECT lower(survey_type), list(DISTINCT score)
            FROM read_csv('{large_dir}/surveys_export_01.csv', all_varchar = true)
            GROUP BY 1
            """
        ).fetchall()
    )
    assert {"0", "6"} <= set(scores["csat"])
    assert "11" in scores["nps"]


def test_csat_follows_the_solve(con: duckdb.DuckDBPyConnection) -> None:
    bad = _scalar(
        con,
        """
        SELECT count(*) FROM surveys AS s
        INNER JOIN final_tickets AS t ON t.ticket_id = s.ticket_id
        WHERE t.solved_at IS NULL
            OR CAST(s.responded_at AS TIMESTAMP) <= CAST(t.solved_at AS TIMESTAMPTZ)::TIMESTAMP
        """,
    )
    assert bad == 0


def test_comments_need_quoting(con: duckdb.DuckDBPyConnection) -> None:
    comments = _column(con, "SELECT comment FROM surveys WHERE comment IS NOT NULL")
    assert any("," in c and re.search("[а-яА-Я]", c) for c in comments)
    assert _scalar(con, "SELECT count(*) FROM surveys WHERE comment IS NULL") > 0.7 * N * 0.4


# Orders


def test_orders_format(csv_dir: Path) -> None:
    with open(csv_dir / "orders_export_01.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    assert rows
    for row in rows:
        assert re.fullmatch(r"\d\d\.\d\d\.\d{4} \d\d:\d\d", row["created_at"])
        assert re.fullmatch(r"\d+,\d\d", row["total_amount"])
        assert row["currency"] == "EUR"
        assert row["customer_email"] == row["customer_email"].lower()
        assert row["financial_status"] in {
            "paid",
            "pending",
            "refunded",
            "partially_refunded",
            "voided",
        }
        assert row["is_test"] in {"true", "1", "false", "0", ""}
        if row["cancelled_at"]:
            assert row["financial_status"] in {"voided", "refunded"}
    cancelled = sum(1 for row in rows if row["cancelled_at"])
    tests = sum(1 for row in rows if row["is_test"] in {"true", "1"})
    assert 0.01 * len(rows) < cancelled < 0.08 * len(rows)
    assert 0 < tests < 0.04 * len(rows)


def test_every_support_customer_is_a_shop_customer(con: duckdb.DuckDBPyConnection) -> None:
    missing = _scalar(
        con,
        """
        SELECT count(*) FROM (
            SELECT DISTINCT lower(trim(requester_email)) AS email FROM tickets
            WHERE requester_email IS NOT NULL
        ) AS support
        WHERE email NOT IN (SELECT customer_email FROM orders)
        """,
    )
    assert missing == 0
    shop = _scalar(con, "SELECT count(DISTINCT customer_email) FROM orders")
    support = _scalar(con, "SELECT count(DISTINCT lower(trim(requester_email))) FROM tickets")
    assert shop >= 1.8 * support


def test_email_case_differs_between_helpdesk_and_shop(con: duckdb.DuckDBPyConnection) -> None:
    exact, normalised = con.execute(
        """
        SELECT
            count(DISTINCT t.requester_email) FILTER (WHERE o.customer_email = t.requester_email),
            count(DISTINCT t.requester_email) FILTER (
                WHERE o.customer_email <> t.requester_email)
        FROM tickets AS t
        INNER JOIN orders AS o ON o.customer_email = lower(trim(t.requester_email))
        """
    ).fetchall()[0]
    assert exact > 0
    assert normalised > 0


def test_churn_and_reactivation(con: duckdb.DuckDBPyConnection) -> None:
    gaps = con.execute(
        """
        WITH o AS (
            SELECT customer_email, strptime(created_at, '%d.%m.%Y %H:%M') AS ordered_at
            FROM orders
        ),
        g AS (
            SELECT customer_email,
                ordered_at - lag(ordered_at) OVER (
                    PARTITION BY customer_email ORDER BY ordered_at
                ) AS gap
            FROM o
        )
        SELECT
            count(*) FILTER (WHERE gap > INTERVAL 365 DAY),
            (SELECT count(*) FROM (SELECT customer_email FROM o GROUP BY 1 HAVING count(*) = 1)),
            (SELECT min(ordered_at) FROM o)
        FROM g
        """
    ).fetchall()[0]
    reactivated, single_order_customers, first = gaps
    assert reactivated > 0
    assert single_order_customers > 0
    assert first.year == 2023


# Parquet


def test_parquet_matches_csv(csv_dir: Path, parquet_dir: Path) -> None:
    for entity, names in EXPORT_FILES.items():
        for name in names:
            options = ", delim = ';'" if entity == "orders" else ""
            from_csv = duckdb.execute(
                f"SELECT count(*), min({COLUMNS[entity][0]}), max({COLUMNS[entity][0]})"
                f" FROM read_csv('{csv_dir / name}.csv', all_varchar = true{options})"
            ).fetchall()
            from_parquet = duckdb.execute(
                f"SELECT count(*), min({COLUMNS[entity][0]}), max({COLUMNS[entity][0]})"
                f" FROM read_parquet('{parquet_dir / name}.parquet')"
            ).fetchall()
            assert from_csv == from_parquet, name
    same_instants = duckdb.execute(
        f"""
        SELECT bool_and(CAST(c.created_at AS TIMESTAMPTZ) = p.created_at)
        FROM read_csv('{csv_dir}/ticket_messages_export_01.csv', all_varchar = true) AS c
        INNER JOIN read_parquet('{parquet_dir}/ticket_messages_export_01.parquet') AS p
            USING (message_id)
        """
    ).fetchall()[0][0]
    assert same_instants


def test_parquet_reads_as_text(parquet_dir: Path) -> None:
    """The warehouse casts every column to text; the values must stay readable."""
    row = duckdb.execute(
        f"""
        SELECT CAST(created_at AS VARCHAR), CAST(total_amount AS VARCHAR)
        FROM read_parquet('{parquet_dir}/orders_export_01.parquet')
        LIMIT 1
        """
    ).fetchall()[0]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[+-]\d\d(:\d\d)?", row[0])
    assert re.fullmatch(r"\d+\.\d\d", row[1])


def test_switching_format_removes_the_other_files(tmp_path: Path) -> None:
    generate(tmp_path, 50, fmt="csv")
    generate(tmp_path, 50, fmt="parquet")
    assert {p.suffix for p in tmp_path.iterdir()} == {".parquet"}


# Arguments and command line


@pytest.mark.parametrize(
    "kwargs",
    [{"tickets": 0}, {"fmt": "xlsx"}, {"days": 3}, {"start": "2024-13-01"}],
)
def test_rejects_bad_arguments(tmp_path: Path, kwargs: dict) -> None:
    arguments = {"tickets": 10, **kwargs}
    with pytest.raises(ValueError):
        generate(tmp_path, **arguments)


def test_cli_generate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "exports"
    code = main(
        ["generate", "--tickets", "60", "--seed", "3", "--out", str(out), "--format", "csv"]
    )
    assert code == 0
    err = capsys.readouterr().err
    for entity in EXPORT_FILES:
        assert re.search(rf"^{entity}: [\d,]+ rows in \d+\.\d s$", err, re.MULTILINE), err
    assert "done:" in err
    assert len(list(out.glob("*.csv"))) == 8
    direct = tmp_path / "direct"
    generate(direct, 60, seed=3)
    assert _files(out) == _files(direct)


def test_cli_requires_a_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([])
    assert exit_info.value.code == 2
