"""Daily incremental loads give the same marts as a full refresh on the same files.

Generated exports are built once in full; then daily exports arrive in the
same folder (new tickets with their messages and surveys, late updates that
solve old open tickets, new orders), plus a late survey for an old ticket, a
ticket created months ago that no earlier export held (with a message and a
survey response moved to it from other old tickets), and late changes to old
orders (one cancelled, one moved to another customer, one seen for the first
time), and the warehouse is updated incrementally after each. A full refresh
of a second warehouse on the final folder must give byte-for-byte the same
marts.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from datetime import timedelta
from pathlib import Path

import duckdb

from conftest import MARTS, assert_ok, run_dbt
from support_kpi.bench import write_daily_export
from support_kpi.generator import generate

MODELS_ONLY = ["build", "--exclude", "resource_type:test", "resource_type:unit_test"]


def _link_all(source: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.glob("*.parquet")):
        destination = target / path.name
        if not destination.exists():
            os.link(path, destination)


def _add_daily_export(live: Path, scratch: Path) -> list[str]:
    """Write the next day's export files into `live`; return their names."""
    written = write_daily_export(live, scratch)
    for name in written:
        shutil.move(scratch / name, live / name)
    shutil.rmtree(scratch)
    return sorted(written)


def _add_late_arrivals(live: Path) -> tuple[str, str, str, str]:
    """A CSAT for an old solved ticket, an old ticket seen for the first time with
    a message and a survey response moved to it from other old tickets, an old
    ticket moved to another customer, and late changes to the two oldest
    purchases plus an old order seen for the first time.

    Returns the id of the order moved to another customer, of the order whose
    customer it moved to, of the ticket the message left and of the ticket the
    survey response left.
    """
    con = duckdb.connect()
    try:
        con.execute("set timezone = 'UTC'")
        tickets = f"read_parquet('{live}/tickets*.parquet', union_by_name = true)"
        old = con.execute(
            f"""
            select ticket_id, requester_email, solved_at
            from {tickets}
            where solved_at is not null
            order by created_at, ticket_id
            limit 1
            """
        ).fetchone()
        # The latest version of each ticket.
        latest = f"""(
            select * from {tickets}
            qualify row_number() over (
                partition by ticket_id order by updated_at desc, status, solved_at
            ) = 1
        )"""
        # Customers (trimmed lower-case e-mail) with a single ticket, other
        # than the late CSAT's customer, whose tickets are recomputed.
        lone_customers = f"""(
            select lower(trim(requester_email)) from {tickets}
            where lower(trim(requester_email)) <> lower(trim('{old[1]}'))
            group by all
            having count(distinct ticket_id) = 1
        )"""

        def first_of_a_lone_old_ticket(
            rows: str, key: str, order: str, excluded: tuple[str, ...] = ()
        ) -> tuple[str, str]:
            """`key` and ticket of the first row of `rows` (by its ticket's creation,
            then `order`) whose ticket is solved, not in `excluded`, and its
            customer's only one: nothing else recomputes that ticket."""
            skipped = ", ".join(f"'{ticket}'" for ticket in excluded) or "''"
            return con.execute(
                f"""
                select versions.{key}, versions.ticket_id
                from {rows} as versions
                inner join {latest} as tickets
                    on versions.ticket_id = tickets.ticket_id
                where tickets.solved_at is not null
                    and tickets.ticket_id not in ({skipped})
                    and lower(trim(tickets.requester_email)) in {lone_customers}
                order by tickets.created_at, {order}
                limit 1
                """
            ).fetchone()

        def write_late_export(
            entity: str, new_row: str, rows: str, replaced: str, where: str
        ) -> None:
            """`<entity>_export_late.parquet`: the row `new_row` selects, and the
            rows of `rows` that match `where` with `replaced` columns changed."""
            con.execute(
                f"""
                copy (
                    {new_row}
                    union all by name
                    select * replace ({replaced})
                    from {rows}
                    where {where}
                ) to '{live}/{entity}_export_late.parquet' (format parquet)
                """
            )

        # The first message of the oldest solved ticket of a one-ticket
        # customer moves to LATE-OLD-1.
        messages = f"read_parquet('{live}/ticket_messages*.parquet', union_by_name = true)"
        message_left = first_of_a_lone_old_ticket(
            messages, "message_id", "versions.created_at, versions.message_id"
        )
        # The oldest solved ticket of another one-ticket customer moves to a
        # customer who has other tickets: both customers' figures change.
        ticket_moved = con.execute(
            f"""
            select ticket_id
            from {latest}
            where solved_at is not null
                and ticket_id <> '{message_left[1]}'
                and lower(trim(requester_email)) in {lone_customers}
            order by created_at, ticket_id
            limit 1
            """
        ).fetchone()[0]
        # The response to the oldest solved ticket of a third one-ticket
        # customer moves to LATE-OLD-1 too.
        surveys = f"read_parquet('{live}/surveys*.parquet', union_by_name = true)"
        survey_moved = first_of_a_lone_old_ticket(
            surveys, "response_id", "versions.response_id", (message_left[1], ticket_moved)
        )
        write_late_export(
            "surveys",
            f"""
            select
                'late-csat-1' as response_id,
                '{old[0]}' as ticket_id,
                'csat' as survey_type,
                2 as score,
                max(updated_at) + interval 2 hour as responded_at,
                '{old[1]}' as respondent_email,
                'answered late' as comment
            from {tickets}
            """,
            surveys,
            "'LATE-OLD-1' as ticket_id",
            f"response_id = '{survey_moved[0]}'",
        )
        busiest, busiest_tickets = con.execute(
            f"""
            select min(requester_email), count(distinct ticket_id)
            from {tickets}
            where requester_email is not null
            group by lower(trim(requester_email))
            order by count(distinct ticket_id) desc, min(requester_email)
            limit 1
            """
        ).fetchone()
        assert busiest_tickets > 1
        write_late_export(
            "tickets",
            f"""
            select
                'LATE-OLD-1' as ticket_id,
                min(created_at) + interval 40 day as created_at,
                max(updated_at) + interval 2 hour as updated_at,
                'email' as channel,
                'solved' as status,
                '{old[1]}' as requester_email,
                min(created_at) + interval 41 day as solved_at
            from {tickets}
            """,
            latest,
            f"'{busiest}' as requester_email",
            f"ticket_id = '{ticket_moved}'",
        )
        write_late_export(
            "ticket_messages",
            f"""
            select
                'LATE-OLD-1-m1' as message_id,
                'LATE-OLD-1' as ticket_id,
                min(created_at) + interval 40 day + interval 30 minute as created_at,
                'agent' as author_role,
                true as is_public
            from {tickets}
            """,
            messages,
            "'LATE-OLD-1' as ticket_id",
            f"message_id = '{message_left[0]}'",
        )
        orders = f"read_parquet('{live}/orders*.parquet', union_by_name = true)"
        con.execute(
            f"""
            create table old_orders as
            select *
            from {orders}
            where cancelled_at is null and not is_test
            order by created_at, order_id
            limit 3
            """
        )
        moved, target = (
            row[0]
            for row in con.execute(
                "select order_id from old_orders order by created_at, order_id offset 1"
            ).fetchall()
        )
        con.execute(
            f"""
            copy (
                -- the oldest purchase, cancelled late
                select * replace (created_at + interval 3 day as cancelled_at)
                from old_orders
                qualify row_number() over (order by created_at, order_id) = 1
                union all by name
                -- the next one, moved to the customer of the third, who
                -- has nothing else new
                select * replace (
                    (
                        select third.customer_email from old_orders as third
                        where third.order_id = '{target}'
                    ) as customer_email
                )
                from old_orders
                where order_id = '{moved}'
                union all by name
                -- an order placed months ago, seen for the first time
                select * replace (
                    'LATE-ORDER-1' as order_id,
                    created_at + interval 60 day as created_at
                )
                from old_orders
                qualify row_number() over (order by created_at, order_id) = 1
            ) to '{live}/orders_export_late.parquet' (format parquet)
            """
        )
    finally:
        con.close()
    return moved, target, message_left[1], survey_moved[1]


def _add_stuck_ticket(live: Path) -> None:
    """A ticket answered 20 days before the exports end and pending since day 10.

    Its SLA is decided (breached) and it is not updated again, yet its
    pending time grows with every as-of instant: a daily load must
    recompute it.
    """
    con = duckdb.connect()
    try:
        con.execute("set timezone = 'UTC'")
        tickets = f"read_parquet('{live}/tickets*.parquet', union_by_name = true)"
        end = f"(select max(updated_at) from {tickets})"
        con.execute(
            f"""
            copy (
                select
                    'STUCK-1' as ticket_id,
                    {end} - interval 20 day as created_at,
                    {end} - interval 10 day as updated_at,
                    'email' as channel,
                    'pending' as status,
                    'stuck.customer@example.com' as requester_email,
                    cast(null as timestamptz) as solved_at
            ) to '{live}/tickets_export_stuck.parquet' (format parquet)
            """
        )
        con.execute(
            f"""
            copy (
                select
                    'STUCK-1' as ticket_id,
                    {end} - interval 20 day + interval (step) hour as changed_at,
                    status
                from (values (0, 'new'), (1, 'open'), (240, 'pending')) as steps(step, status)
            ) to '{live}/ticket_status_changes_export_stuck.parquet' (format parquet)
            """
        )
        con.execute(
            f"""
            copy (
                select
                    'STUCK-1-m' || step as message_id,
                    'STUCK-1' as ticket_id,
                    {end} - interval 20 day + interval (step) hour as created_at,
                    author_role,
                    true as is_public
                from (values (0, 'requester'), (1, 'agent')) as steps(step, author_role)
            ) to '{live}/ticket_messages_export_stuck.parquet' (format parquet)
            """
        )
    finally:
        con.close()


def _digests(warehouse: Path) -> dict[str, str]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        digests = {}
        for mart in [*MARTS, "rejected_rows"]:
            rows = connection.execute(f"select * from main.{mart} order by all").fetchall()
            digests[mart] = hashlib.sha256(repr(rows).encode()).hexdigest()
        return digests


def test_incremental_loads_match_a_full_refresh(tmp_path: Path) -> None:
    generated = tmp_path / "generated"
    generate(generated, 1200, seed=23, fmt="parquet")
    live = tmp_path / "live"
    _link_all(generated, live)
    _add_stuck_ticket(live)

    incremental = tmp_path / "incremental.duckdb"
    work = tmp_path / "work"
    assert_ok(run_dbt(MODELS_ONLY, warehouse=incremental, exports=live, work_dir=work))
    first = _digests(incremental)

    for day in range(2):
        added = _add_daily_export(live, tmp_path / f"scratch{day}")
        assert any(name.startswith("tickets_") for name in added)
        if day == 1:
            moved, target, message_left, survey_left = _add_late_arrivals(live)
        result = run_dbt(MODELS_ONLY, warehouse=incremental, exports=live, work_dir=work)
        assert_ok(result)
        # The run recomputed a few tickets and customers, not all of them,
        # and among them the ticket whose pending time keeps running.
        with duckdb.connect(str(incremental), read_only=True) as connection:
            tickets, all_tickets, stuck, customers, all_customers = connection.execute(
                """
                select
                    (select count(*) from main_intermediate.int_tickets_changed),
                    (select count(*) from main.fct_tickets),
                    (select count(*) from main_intermediate.int_tickets_changed
                     where ticket_id = 'STUCK-1'),
                    (select count(*) from main_intermediate.int_customers_changed),
                    (select count(*) from main.customer_service_experience)
                """
            ).fetchone()
        assert 0 < tickets < all_tickets / 4 and stuck == 1
        if day == 1:
            with duckdb.connect(str(incremental), read_only=True) as connection:
                left = connection.execute(
                    "select ticket_id from main_intermediate.int_tickets_changed"
                    f" where ticket_id in ('{message_left}', '{survey_left}') order by all"
                ).fetchall()
            assert left == sorted([(message_left,), (survey_left,)]), (
                "the tickets a message and a survey response moved away from"
                " were not both recomputed"
            )
        assert 0 < customers < all_customers / 4
        # Only the new files were read on the daily run.
        new_ticket_files = 1 if day == 0 else 2
        assert f"export file(s) registered, {new_ticket_files} to read" in result.stdout
        assert "ticket_status_changes: 2 export file(s), all read before" in result.stdout

    full = tmp_path / "full.duckdb"
    assert_ok(run_dbt(MODELS_ONLY, warehouse=full, exports=live, work_dir=tmp_path / "full"))

    with duckdb.connect(str(incremental), read_only=True) as connection:
        late = connection.execute(
            "select csat_score from main.fct_tickets where ticket_id in "
            "(select ticket_id from main_staging.stg_helpdesk__surveys "
            "where response_id = 'late-csat-1')"
        ).fetchone()
        old_ticket = connection.execute(
            "select first_response_minutes from main.fct_tickets where ticket_id = 'LATE-OLD-1'"
        ).fetchone()
        # The late order file was read: the cancelled purchase is gone, the
        # moved one belongs to the third order's customer, the old one is in.
        late_orders = connection.execute(
            f"""
            select
                count(*) filter (where staged.is_cancelled and purchases.order_id is null),
                count(*) filter (
                    where purchases.order_id = '{moved}'
                    and purchases.customer_id = third.customer_id
                ),
                count(*) filter (where purchases.order_id = 'LATE-ORDER-1')
            from main_staging.stg_shop__orders as staged
            left join main_intermediate.int_customer_purchases as purchases
                on staged.order_id = purchases.order_id
            left join main_staging.stg_shop__orders as third
                on third.order_id = '{target}'
            where staged.source_file like '%orders_export_late%'
            """
        ).fetchone()
    assert late == (2,)
    assert old_ticket == (30.0,)
    assert late_orders == (1, 1, 1)
    incremental_digests = _digests(incremental)
    assert incremental_digests != first, "the daily exports changed nothing"
    full_digests = _digests(full)
    differing = [mart for mart in full_digests if full_digests[mart] != incremental_digests[mart]]
    assert not differing, f"incremental and full refresh differ in {differing}"


def test_changed_row_filter_refuses_an_unqualified_column(tmp_path: Path) -> None:
    """The changed-ticket filter is a correlated EXISTS: an unqualified column
    would resolve to the changed model's own key and keep every row."""
    exports = tmp_path / "exports"
    exports.mkdir()
    result = run_dbt(
        ["run-operation", "in_changed_tickets", "--args", "{column: ticket_id}"],
        warehouse=tmp_path / "w.duckdb",
        exports=exports,
        work_dir=tmp_path,
    )
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "qualify the column with its relation's alias ('alias.ticket_id')" in output


def test_as_of_moved_back_in_another_zone_matches_a_full_build_as_of_then(tmp_path: Path) -> None:
    """A daily run whose as-of instant lies months before the last run's (a
    rebuild of the warehouse as it stood) drops what happened since, as a full
    build at that instant does: tickets created later are gone, tickets then
    still open are open again. Reporting days and business hours are in
    Berlin's time, not UTC, so the daily run's day boundaries are tested
    too."""
    zones = {"reporting_timezone": "Europe/Berlin", "business_timezone": "Europe/Berlin"}
    exports = tmp_path / "exports"
    generate(exports, 800, seed=31, fmt="parquet")
    with duckdb.connect() as connection:
        connection.execute("set timezone = 'UTC'")
        latest = connection.execute(
            f"select max(updated_at) from read_parquet('{exports}/tickets*.parquet')"
        ).fetchone()[0]
    earlier = (latest - timedelta(days=75)).strftime("%Y-%m-%d %H:%M:%S")

    def build(warehouse: Path, **as_of: str) -> str:
        result = run_dbt(
            MODELS_ONLY,
            warehouse=warehouse,
            exports=exports,
            work_dir=warehouse.with_suffix(""),
            extra_vars={**zones, **as_of},
        )
        assert_ok(result)
        return result.stdout

    incremental = tmp_path / "incremental.duckdb"
    build(incremental)
    latest_digests = _digests(incremental)
    moved_back = build(incremental, as_of=earlier)
    # A daily run: no file read again, the tickets updated since recomputed,
    # not all of them.
    assert "tickets: 3 export file(s), all read before" in moved_back
    with duckdb.connect(str(incremental), read_only=True) as connection:
        changed, staged = connection.execute(
            "select (select count(*) from main_intermediate.int_tickets_changed),"
            " (select count(*) from main_staging.stg_helpdesk__tickets)"
        ).fetchone()
    assert 0 < changed < staged

    full = tmp_path / "full.duckdb"
    build(full, as_of=earlier)
    full_digests = _digests(full)
    assert full_digests != latest_digests, "the earlier as-of instant changed nothing"
    incremental_digests = _digests(incremental)
    differing = [mart for mart in full_digests if full_digests[mart] != incremental_digests[mart]]
    assert not differing, f"moved back, the daily run and a full build differ in {differing}"
