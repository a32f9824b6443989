"""Deterministic generator of the canonical helpdesk and shop exports.

Every row is made by DuckDB SQL in an in-memory database and written with
COPY. Randomness comes only from ``hash(seed, stream, id, k)``: each random
number is a pure function of the seed, a named stream, an entity id and a
counter, so the same arguments give byte-identical files whatever the number
of threads. Times are kept as integer Unix seconds (UTC) until they are
formatted, so no floating-point sum depends on evaluation order.

The shape of the data is described in ``/work/shared/spec/export-formats.md``;
the files imitate repeated, overlapping exports with messy labels.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

FORMATS = ("csv", "parquet")
# Ids are zero-padded to 7 digits (8 for orders) and grow longer past them.
MAX_TICKETS = 100_000_000
MIN_DAYS = 14

ProgressCallback = Callable[[str, int, float], None]

# Output files per entity, without the extension.
EXPORT_FILES: dict[str, tuple[str, ...]] = {
    "tickets": ("tickets_export_01", "tickets_export_02", "tickets_export_03"),
    "ticket_messages": ("ticket_messages_export_01", "ticket_messages_export_02"),
    "ticket_status_changes": ("ticket_status_changes_export_01",),
    "surveys": ("surveys_export_01",),
    "orders": ("orders_export_01",),
}

COLUMNS: dict[str, tuple[str, ...]] = {
    "tickets": (
        "ticket_id",
        "created_at",
        "updated_at",
        "channel",
        "status",
        "requester_email",
        "assignee_id",
        "team",
        "category",
        "priority",
        "tags",
        "is_escalated",
        "solved_at",
        "reopen_count",
    ),
    "ticket_messages": ("message_id", "ticket_id", "created_at", "author_role", "is_public"),
    "ticket_status_changes": ("ticket_id", "changed_at", "status"),
    "surveys": (
        "response_id",
        "survey_type",
        "score",
        "responded_at",
        "ticket_id",
        "respondent_email",
        "comment",
    ),
    "orders": (
        "order_id",
        "customer_email",
        "created_at",
        "total_amount",
        "currency",
        "financial_status",
        "cancelled_at",
        "is_test",
    ),
}

CSV_DELIMITERS = {"orders": ";"}

# Share of tickets per canonical channel.
CHANNEL_MIX = [
    ("email", 45),
    ("chat", 30),
    ("phone", 10),
    ("social", 8),
    ("messenger", 5),
    ("sms", 2),
]
# The labels a helpdesk writes for each channel, with their weights.
CHANNEL_LABELS: dict[str, list[tuple[str, float]]] = {
    "email": [
        ("email", 35),
        ("E-mail", 20),
        (" EMAIL ", 5),
        ("web form", 15),
        ("Почта", 12),
        ("Email", 8),
        ("mail", 5),
    ],
    "chat": [
        ("chat", 35),
        ("Live chat", 25),
        ("Чат", 15),
        ("widget", 10),
        ("web chat", 10),
        ("CHAT", 5),
    ],
    "phone": [("phone", 50), ("call", 25), ("Телефон", 15), ("Phone ", 10)],
    "social": [("Instagram", 35), ("facebook", 30), ("vk", 20), ("Facebook", 15)],
    "messenger": [("whatsapp", 40), ("Telegram", 40), ("WhatsApp", 20)],
    "sms": [("sms", 50), ("SMS", 30), ("смс", 20)],
    "other": [("carrier pigeon", 50), ("fax", 50)],
}
# Median seconds and log-scale sigma of an agent's reply to a customer turn.
REPLY_TIME = {
    "chat": (120, 0.9),
    "phone": (30, 0.6),
    "messenger": (600, 1.0),
    "sms": (900, 1.0),
    "social": (3600, 1.1),
    "email": (14400, 1.2),
    "other": (14400, 1.2),
}
# Median seconds and sigma between an agent reply and the customer's next turn.
CUSTOMER_GAP = {"chat": (180, 0.8), "phone": (180, 0.8)}
CUSTOMER_GAP_DEFAULT = (7200, 1.0)
# Median seconds from the last agent reply to the solve.
SOLVE_DELAY = {"chat": 600, "phone": 600, "messenger": 600, "sms": 600}
SOLVE_DELAY_DEFAULT = 7200

STATUS_LABELS = {
    "solved": [("solved", 60), ("Solved", 20), ("SOLVED", 5), ("решен", 10), ("решён", 5)],
    "closed": [("closed", 60), ("Closed", 20), ("закрыт", 20)],
    "open": [("open", 55), ("Open", 20), ("new", 10), ("открыт", 15)],
    "pending": [("pending", 60), ("Pending", 15), ("в ожидании", 25)],
    "hold": [("hold", 40), ("on-hold", 35), ("On hold", 25)],
}
# Labels of the status-change export: mostly the canonical word, now and then
# capitalised, localised or padded with blanks.
CHANGE_STATUS_LABELS = {
    "new": [("new", 88), ("New", 6), ("новый", 4), (" new", 2)],
    "open": [("open", 85), ("Open", 6), ("открыт", 5), ("Открыт", 2), ("open ", 2)],
    "pending": [
        ("pending", 85),
        ("Pending", 6),
        ("в ожидании", 5),
        ("В ожидании", 2),
        (" pending", 2),
    ],
    "hold": [("hold", 55), ("on-hold", 20), ("On-hold", 15), ("On hold", 10)],
    "solved": [("solved", 84), ("Solved", 6), ("решен", 3), ("Решён", 5), ("solved ", 2)],
    "closed": [("closed", 85), ("Closed", 7), ("закрыт", 6), (" closed", 2)],
}
# Share of status-change rows exported twice.
CHANGE_DUPLICATES = 0.01
SNAPSHOT_STATUS_LABELS = [("open", 60), ("Open", 20), ("открыт", 15), ("OPEN", 5)]
ESCALATED_LABELS = {
    True: [("true", 45), ("1", 20), ("yes", 20), ("да", 15)],
    False: [("false", 45), ("0", 20), ("no", 10), ("нет", 5), (None, 20)],
}
ROLE_LABELS = {
    "customer": [("customer", 60), ("end-user", 20), ("requester", 10), ("Клиент", 10)],
    "agent": [("agent", 60), ("Agent", 15), ("admin", 10), ("оператор", 15)],
    "bot": [("bot", 40), ("system", 30), ("automation", 30)],
}
PUBLIC_LABELS = {True: [("true", 80), ("1", 20)], False: [("false", 80), ("0", 20)]}
CATEGORIES = [
    ("billing", 20),
    ("shipping", 30),
    ("returns", 20),
    ("product", 15),
    ("account", 10),
    (None, 5),
]
PRIORITIES = [("low", 20), ("normal", 55), ("high", 20), ("urgent", 5)]
TAG_WORDS = [
    "vip",
    "refund",
    "delivery",
    "damaged",
    "login",
    "invoice",
    "promo",
    "warranty",
    "follow_up",
    "mobile_app",
]
POSITIVE_COMMENTS = [
    ("Быстро, спасибо!", 25),
    ("Great help, thanks", 25),
    ("Всё отлично", 20),
    ("Quick and friendly, well done", 20),
    ("Спасибо!\nОчень помогли", 10),
]
NEGATIVE_COMMENTS = [
    ("Slow reply, but solved", 25),
    ("Ответили через день, долго", 25),
    ("Не решили проблему, жаль", 20),
    ('Said "tomorrow", waited a week', 15),
    ("Agent was rude, not happy", 15),
]
CSAT_SCORES = [(5, 58), (4, 24), (3, 8), (2, 4), (1, 6)]
NPS_SCORES = [
    (10, 32),
    (9, 25),
    (8, 14),
    (7, 9),
    (6, 5),
    (5, 4),
    (4, 3),
    (3, 2),
    (2, 2),
    (1, 1),
    (0, 3),
]

# Volume grows over the span: ticket density is proportional to 1 + GROWTH * x.
GROWTH = 0.6
# A customer's own run of orders has 1 + floor(Exp(lambda)) planned orders;
# support customers also place the orders their tickets are about.
ORDERS_LAMBDA_SUPPORT = 0.6
ORDERS_LAMBDA_SHOP = 1.1


def _lit(value: object) -> str:
    """A SQL literal for a string, a number or None."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _pick(u: str, options: Sequence[tuple[object, float]]) -> str:
    """A CASE expression choosing among weighted options by the uniform `u`."""
    total = float(sum(weight for _, weight in options))
    branches = []
    acc = 0.0
    for value, weight in options[:-1]:
        acc += weight
        branches.append(f"WHEN {u} < {acc / total!r} THEN {_lit(value)}")
    return f"CASE {' '.join(branches)} ELSE {_lit(options[-1][0])} END"


def _by_channel(column: str, values: dict[str, object], default: object) -> str:
    whens = " ".join(f"WHEN {_lit(ch)} THEN {_lit(v)}" for ch, v in values.items())
    return f"CASE {column} {whens} ELSE {_lit(default)} END"


def _epoch(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


class _Params:
    def __init__(self, tickets: int, seed: int, start: date, days: int) -> None:
        self.n = tickets
        self.seed = seed
        self.days = days
        self.t0 = _epoch(start)
        self.span = days * 86400
        self.t_end = self.t0 + self.span
        # Distinct support customers: about 0.4 per ticket.
        self.customers = max(1, round(0.4 * tickets))


def _macros(p: _Params) -> list[str]:
    s = p.seed
    return [
        # Uniform in [0, 1) and in (0, 1).
        f"CREATE MACRO u(tag, id, k) AS (hash({s}, tag, id, k) % 1000003) / 1000003.0",
        f"CREATE MACRO un(tag, id, k) AS (hash({s}, tag, id, k) % 1000003 + 1) / 1000004.0",
        # Standard normal (Box-Muller).
        "CREATE MACRO zn(tag, id, k) AS sqrt(-2.0 * ln(un(tag, id, k)))"
        " * cos(2 * pi() * u(tag || '/z', id, k))",
        "CREATE MACRO logn(tag, id, k, median, sigma) AS median * exp(sigma * zn(tag, id, k))",
        # Integer seconds of a capped lognormal duration.
        "CREATE MACRO dur(tag, id, k, median, sigma, lo, hi) AS"
        " CAST(least(hi, greatest(lo, round(logn(tag, id, k, median, sigma)))) AS BIGINT)",
        # A customer's address as a helpdesk writes it: mostly lower case,
        # otherwise capitalised or shouted, now and then with stray spaces.
        "CREATE MACRO email_of(c, v, s) AS"
        " CASE WHEN s < 0.012 THEN ' ' ELSE '' END"
        " || CASE WHEN v < 0.70 THEN 'customer' || c || '@example.com'"
        " WHEN v < 0.80 THEN 'Customer' || c || '@Example.COM'"
        " WHEN v < 0.88 THEN 'CUSTOMER' || c || '@EXAMPLE.COM'"
        " WHEN v < 0.95 THEN 'Customer' || c || '@example.com'"
        " ELSE 'customer' || c || '@EXAMPLE.com' END"
        " || CASE WHEN s >= 0.006 AND s < 0.02 THEN ' ' ELSE '' END",
        "CREATE MACRO iso_z(x) AS strftime(make_timestamp(x * 1000000), '%Y-%m-%dT%H:%M:%SZ')",
        "CREATE MACRO iso_msk(x) AS"
        " strftime(make_timestamp((x + 10800) * 1000000), '%Y-%m-%dT%H:%M:%S') || '+03:00'",
        "CREATE MACRO naive(x) AS strftime(make_timestamp(x * 1000000), '%Y-%m-%d %H:%M:%S')",
        "CREATE MACRO dmy(x) AS strftime(make_timestamp(x * 1000000), '%d.%m.%Y %H:%M')",
        "CREATE MACRO tstz(x) AS to_timestamp(CAST(x AS DOUBLE))",
        # Support customer of a non-follow-up ticket: the first C tickets in a
        # random order get customers 1..C, the rest a skewed draw, so many
        # customers have several tickets and a few have many.
        f"CREATE MACRO cust_of(rk, g) AS CASE WHEN rk <= {p.customers} THEN rk"
        f" ELSE 1 + CAST(floor({p.customers} * pow(u('cs', g, 0), 1.3)) AS BIGINT) END",
    ]


def _sql_base(p: _Params) -> str:
    """Tickets in generation order: creation time, customer and category.

    About 7 % are follow-ups: the same customer writes again about the same
    category 1 hour to 6 days after an earlier ticket (repeat contacts).
    """
    a = 2 * GROWTH * (1 + GROWTH / 2)
    start_day = p.t0 // 86400
    many = "true" if p.n >= 2 else "false"
    return f"""
CREATE TABLE base AS
WITH d AS (
    SELECT
        g,
        CAST(floor((sqrt(1 + {a!r} * u('day', g, 0)) - 1) / {GROWTH!r} * {p.days})
            AS BIGINT) AS day0,
        CAST(CASE WHEN u('tod', g, 0) < 0.8
            THEN least(86399, greatest(0, floor(39600 + 12600 * zn('tod', g, 1))))
            ELSE floor(u('tod', g, 2) * 86400) END AS BIGINT) AS tod,
        (g + 1 + CAST(floor(u('fp', g, 0) * {max(p.n - 1, 0)}) AS BIGINT)) % {p.n} AS parent_g,
        {many} AND u('fu', g, 0) < 0.07 AS fu_raw,
        {_pick("u('cat', g, 0)", CATEGORIES)} AS category
    FROM range({p.n}) AS r(g)
),
e AS (
    SELECT
        *,
        -- fewer tickets at weekends: 40 % of them move to Monday or Tuesday
        CASE WHEN ({start_day} + day0 + 3) % 7 >= 5 AND u('wk', g, 0) < 0.4
            THEN CASE WHEN day0 + 2 < {p.days} THEN day0 + 2 ELSE day0 - 2 END
            ELSE day0 END AS day1,
        fu_raw AND NOT ({many} AND u('fu', parent_g, 0) < 0.07) AS is_fu
    FROM d
)
SELECT
    g,
    parent_g,
    is_fu,
    category,
    least({p.t0} + day1 * 86400 + tod, {p.t_end - 120}) AS base_ts,
    row_number() OVER (PARTITION BY is_fu ORDER BY hash({p.seed}, 'rank', g), g) AS rk
FROM e
"""


def _sql_tickets_core(p: _Params) -> str:
    ch_pick = _pick("u('ch', n, 0)", CHANNEL_MIX)
    label_cases = " ".join(
        "WHEN " + _lit(ch) + " THEN " + _pick(f"u('chl', n, {i})", labels)
        for i, (ch, labels) in enumerate(CHANNEL_LABELS.items())
    )
    reply_med = _by_channel("ch", {k: v[0] for k, v in REPLY_TIME.items()}, 14400)
    reply_sig = _by_channel("ch", {k: v[1] for k, v in REPLY_TIME.items()}, 1.2)
    gap_med = _by_channel("ch", {k: v[0] for k, v in CUSTOMER_GAP.items()}, CUSTOMER_GAP_DEFAULT[0])
    gap_sig = _by_channel("ch", {k: v[1] for k, v in CUSTOMER_GAP.items()}, CUSTOMER_GAP_DEFAULT[1])
    solve_med = _by_channel("ch", SOLVE_DELAY, SOLVE_DELAY_DEFAULT)
    tag_list = "[" + ", ".join(_lit(w) for w in TAG_WORDS) + "]"
    nt = len(TAG_WORDS)
    return f"""
CREATE TABLE tk AS
WITH t0 AS (
    SELECT
        b.g,
        b.is_fu,
        CASE
            WHEN NOT b.is_fu THEN b.base_ts
            WHEN p.base_ts + fd <= {p.t_end - 120} THEN p.base_ts + fd
            ELSE greatest({p.t0}, p.base_ts - fd)
        END AS created,
        CASE WHEN b.is_fu THEN cust_of(p.rk, p.g) ELSE cust_of(b.rk, b.g) END AS cust,
        CASE WHEN b.is_fu THEN p.category ELSE b.category END AS category
    FROM (
        SELECT *, 3600 + CAST(floor(u('fd', g, 0) * 518400) AS BIGINT) AS fd FROM base
    ) AS b
    INNER JOIN base AS p ON p.g = b.parent_g
),
s AS (
    SELECT row_number() OVER (ORDER BY created, g) AS n, created, cust, category
    FROM t0
),
a AS (
    SELECT
        *,
        CASE WHEN u('oth', n, 0) < 0.002 THEN 'other' ELSE {ch_pick} END AS ch
    FROM s
),
b AS (
    SELECT
        *,
        CASE ch {label_cases} END AS channel_label,
        -- abandoned: missed chats and dropped calls, rarely other channels
        u('out', n, 0) < CASE WHEN ch IN ('chat', 'phone') THEN 0.08 ELSE 0.01 END AS ab,
        {reply_med} AS reply_med,
        {reply_sig} AS reply_sig,
        {gap_med} AS gap_med,
        {gap_sig} AS gap_sig,
        {solve_med} AS solve_med,
        -- the night shift answers more slowly
        CASE WHEN (created % 86400) // 3600 >= 20 OR (created % 86400) // 3600 < 5
            THEN 2.0 ELSE 1.0 END AS night
    FROM a
),
c AS (
    SELECT
        *,
        NOT ab AND u('out', n, 1) < 0.05 AS ss,
        ab AND u('out', n, 2) < 0.15 AS ab_reply,
        NOT ab AND u('out', n, 3) < 0.066 AS reopened_plan,
        CASE WHEN u('exch', n, 0) < 0.55 THEN 1 WHEN u('exch', n, 0) < 0.85 THEN 2 ELSE 3 END
            AS exchanges
    FROM b
),
d AS (
    SELECT
        *,
        reopened_plan AND NOT ss AS reopened,
        NOT ss AND (NOT ab OR ab_reply) AS replied
    FROM c
)
SELECT
    n,
    'TCK-' || printf('%07d', n) AS ticket_id,
    created,
    cust,
    category,
    ch,
    channel_label,
    ab,
    ss,
    reopened,
    replied,
    CASE WHEN ss OR ab THEN 1 ELSE exchanges + CAST(reopened AS INTEGER) END AS n_turns,
    (ch IN ('email', 'chat') AND u('bot', n, 0) < 0.40) OR (ss AND u('bot', n, 1) < 0.5)
        AS has_bot,
    2 + CAST(floor(u('bot', n, 2) * 8) AS BIGINT) AS bot_off,
    replied AND u('note', n, 0) < 0.20 AS has_note,
    reply_med * night AS reply_med,
    reply_sig,
    gap_med,
    gap_sig,
    solve_med,
    CASE WHEN u('em', n, 0) < 0.01 THEN NULL
        ELSE email_of(cust, u('em', n, 1), u('em', n, 2)) END AS email,
    {_pick("u('pri', n, 0)", PRIORITIES)} AS priority,
    CASE WHEN u('tag', n, 0) < 0.5 THEN NULL ELSE concat_ws(' ',
        {tag_list}[1 + CAST(floor(u('tag', n, 1) * {nt}) AS BIGINT)],
        CASE WHEN u('tag', n, 2) < 0.4 THEN {tag_list}[1 + (CAST(floor(u('tag', n, 1) * {nt})
            AS BIGINT) + 1 + CAST(floor(u('tag', n, 3) * {nt - 1}) AS BIGINT)) % {nt}] END
    ) END AS tags
FROM d
"""


def _sql_turns() -> str:
    """One row per customer turn: its start and the agent's reply, as offsets
    in seconds from the ticket's creation."""
    return """
CREATE TABLE turns AS
WITH x AS (
    SELECT
        n, created, ch, reopened, replied, n_turns, reply_med, reply_sig, gap_med, gap_sig,
        solve_med, unnest(range(n_turns)) AS t
    FROM tk
),
y AS (
    SELECT
        n,
        t,
        created,
        replied AS has_reply,
        -- about 30 % of turns are two or three messages in a row (not on calls)
        CASE WHEN ch <> 'phone' AND u('mm', n, t) < 0.30
            THEN CASE WHEN u('mm3', n, t) < 0.4 THEN 3 ELSE 2 END ELSE 1 END AS nmsg,
        8 + CAST(floor(u('off2', n, t) * 60) AS BIGINT) AS off2,
        16 + CAST(floor(u('off2', n, t) * 60) AS BIGINT)
            + CAST(floor(u('off3', n, t) * 60) AS BIGINT) AS off3,
        dur('reply', n, t, reply_med, reply_sig, 10, 1728000) AS reply_wait,
        CASE
            WHEN t = 0 THEN 0
            -- a reopened ticket: the customer writes again after the first solve
            WHEN reopened AND t = n_turns - 1
                THEN dur('solve1', n, 0, solve_med, 1.0, 60, 864000)
                    + 3600 + dur('reopen', n, 0, 86400, 1.0, 0, 1728000)
            ELSE dur('cgap', n, t, gap_med, gap_sig, 20, 864000)
        END AS cust_gap
    FROM x
),
z AS (
    SELECT
        *,
        CASE nmsg WHEN 1 THEN 0 WHEN 2 THEN off2 ELSE off3 END AS last_off
    FROM y
),
w AS (
    SELECT
        *,
        CASE WHEN has_reply THEN greatest(reply_wait, last_off + 5) ELSE 0 END AS reply_gap
    FROM z
)
SELECT
    n, t, created, has_reply, nmsg, off2, off3, last_off,
    CAST(coalesce(sum(cust_gap + reply_gap) OVER (
        PARTITION BY n ORDER BY t ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
    ), 0) AS BIGINT) + cust_gap AS start_off,
    CAST(coalesce(sum(cust_gap + reply_gap) OVER (
        PARTITION BY n ORDER BY t ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ), 0) AS BIGINT) AS reply_off
FROM w
"""


def _sql_messages(p: _Params) -> str:
    """All messages up to the end of the span. kind: 0 customer, 1 bot,
    2 internal note, 3 public agent reply."""
    return f"""
CREATE TABLE msgs AS
WITH cm AS (
    SELECT
        n,
        created,
        created + start_off + CASE m WHEN 0 THEN 0 WHEN 1 THEN off2 ELSE off3 END AS ts,
        0 AS kind,
        t * 4 + m AS sub
    FROM (SELECT *, unnest(range(nmsg)) AS m FROM turns)
),
am AS (
    SELECT n, created, created + reply_off AS ts, 3 AS kind, t * 4 AS sub
    FROM turns
    WHERE has_reply
),
bm AS (
    SELECT n, created, created + bot_off AS ts, 1 AS kind, 0 AS sub
    FROM tk
    WHERE has_bot
),
nm AS (
    -- an internal note between the creation and the first public reply
    SELECT
        tk.n,
        tk.created,
        tk.created + 1 + CAST(floor(u('note', tk.n, 1) * (tr.reply_off - 1)) AS BIGINT) AS ts,
        2 AS kind,
        0 AS sub
    FROM tk
    INNER JOIN turns AS tr ON tr.n = tk.n AND tr.t = 0
    WHERE tk.has_note AND tr.has_reply
),
al AS (
    SELECT * FROM cm
    UNION ALL SELECT * FROM am
    UNION ALL SELECT * FROM bm
    UNION ALL SELECT * FROM nm
)
SELECT
    n,
    created,
    ts,
    kind,
    row_number() OVER (PARTITION BY n ORDER BY ts, kind, sub) AS seq
FROM al
WHERE ts <= {p.t_end}
"""


def _sql_tickets_final(p: _Params) -> str:
    third = p.span // 3
    lab = {k: _pick(f"u('stl', n, {i})", v) for i, (k, v) in enumerate(STATUS_LABELS.items())}
    return f"""
CREATE TABLE tfin AS
WITH agg AS (
    SELECT
        n,
        max(CASE WHEN has_reply THEN reply_off END) AS last_reply_off,
        max(CASE WHEN t = 0 AND has_reply THEN reply_off END) AS first_reply_off,
        max(start_off + last_off) AS last_cust_off
    FROM turns
    GROUP BY n
),
a AS (
    SELECT
        tk.*,
        agg.first_reply_off,
        CASE
            WHEN tk.ab THEN greatest(agg.last_cust_off, coalesce(agg.last_reply_off, 0))
                + 300 + CAST(floor(u('abd', tk.n, 0) * 3300) AS BIGINT)
            WHEN tk.ss THEN greatest(agg.last_cust_off,
                    CASE WHEN tk.has_bot THEN tk.bot_off ELSE 0 END)
                + dur('ssd', tk.n, 0, 1800, 1.0, 60, 864000)
            ELSE agg.last_reply_off + dur('solve', tk.n, 0, tk.solve_med, 1.0, 60, 864000)
        END AS done_off
    FROM tk
    INNER JOIN agg ON agg.n = tk.n
),
st AS (
    SELECT
        *,
        CASE
            -- not finished when the exports were taken, or still waiting:
            -- half of the tickets of the last 5 days are open
            WHEN created + done_off > {p.t_end}
                OR (created >= {p.t_end - 5 * 86400} AND u('uns', n, 0) < 0.5) THEN 'unsolved'
            WHEN ab THEN 'abandoned'
            ELSE 'solved'
        END AS state
    FROM a
),
kept AS (
    -- what an unsolved ticket shows at the end of the span
    SELECT
        msgs.n,
        max(msgs.ts) AS last_ts,
        arg_max(msgs.kind, msgs.ts * 4 + msgs.kind) AS last_kind,
        bool_or(msgs.kind = 3) AS has_reply_kept
    FROM msgs
    SEMI JOIN st ON st.n = msgs.n AND st.state = 'unsolved'
    GROUP BY msgs.n
),
b AS (
    SELECT
        st.*,
        kept.last_ts,
        kept.last_kind,
        CASE WHEN st.state = 'unsolved' THEN coalesce(kept.has_reply_kept, false)
            ELSE st.replied END AS has_reply_kept,
        CASE WHEN st.state = 'unsolved' THEN coalesce(kept.has_reply_kept, false)
            ELSE st.replied END AND u('esc', st.n, 0) < 0.045 AS escalated,
        u('stc', st.n, 0) < 0.2 AS closed_label
    FROM st
    LEFT JOIN kept ON kept.n = st.n
),
c AS (
    SELECT
        *,
        CASE WHEN state = 'solved' THEN created + done_off END AS solved,
        CASE
            WHEN state = 'solved' AND closed_label THEN greatest(created + done_off,
                least(created + done_off + 345600 + CAST(floor(u('upd', n, 0) * 7200) AS BIGINT),
                    {p.t_end}))
            WHEN state = 'solved' THEN greatest(created + done_off,
                least(created + done_off + CAST(floor(u('upd', n, 0) * 600) AS BIGINT),
                    {p.t_end}))
            WHEN state = 'abandoned' THEN created + done_off
            ELSE least(last_ts + 60 + CAST(floor(u('upd', n, 0) * 1740) AS BIGINT), {p.t_end})
        END AS updated,
        CASE
            WHEN state = 'solved' AND closed_label THEN {lab["closed"]}
            WHEN state = 'solved' THEN {lab["solved"]}
            WHEN state = 'abandoned' THEN {lab["closed"]}
            WHEN NOT has_reply_kept THEN {lab["open"]}
            WHEN last_kind = 3 AND u('stp', n, 0) < 0.75 THEN {lab["pending"]}
            WHEN last_kind = 3 THEN {lab["hold"]}
            ELSE {lab["open"]}
        END AS status_label,
        CASE WHEN state = 'solved' AND reopened THEN 1 ELSE 0 END AS reopen_count,
        CASE WHEN has_reply_kept THEN 'agent_' || lpad(CAST(CASE WHEN escalated
            THEN 21 + CAST(floor(u('agt', n, 0) * 5) AS BIGINT)
            ELSE 1 + CAST(floor(20 * pow(u('agt', n, 1), 1.2)) AS BIGINT) END AS VARCHAR), 2, '0')
            END AS assignee,
        CASE WHEN escalated THEN 'tier2' ELSE 'tier1' END AS team,
        CASE WHEN escalated THEN {_pick("u('escl', n, 0)", ESCALATED_LABELS[True])}
            ELSE {_pick("u('escl', n, 0)", ESCALATED_LABELS[False])} END AS esc_label,
        least(3, 1 + (created - {p.t0}) // {third}) AS w
    FROM b
)
SELECT
    *,
    {p.t0} + w * {third} AS w_end,
    -- tickets of the last 15 % of windows 1 and 2 (a tenth of all tickets)
    -- are still open in that window's export; their final state comes with
    -- the next export
    w < 3 AND created >= {p.t0} + w * {third} - {third * 3 // 20} AS is_overlap,
    CASE WHEN w = 2 AND u('dupf', n, 0) < 0.5 THEN 1 WHEN w = 2 THEN 3 ELSE 2 END AS dup_file
FROM c
"""


def _sql_ticket_rows() -> str:
    columns = (
        "ticket_id, created, ch, channel_label, email, assignee, team, category, priority, "
        "tags, esc_label, escalated"
    )
    snap_label = _pick("u('snap', n, 1)", SNAPSHOT_STATUS_LABELS)
    return f"""
CREATE VIEW ticket_rows AS
WITH marked AS (
    SELECT *, NOT is_overlap AND u('dup', n, 0) < 0.02 AS is_dup FROM tfin
)
SELECT
    w + CAST(is_overlap AS INTEGER) AS file, {columns},
    updated, status_label, solved, reopen_count
FROM marked
UNION ALL
-- an earlier snapshot of the tickets that were still open at the export,
-- taken before the solve
SELECT
    w AS file, {columns},
    created + CAST(floor((0.1 + 0.8 * u('snap', n, 0))
        * least(coalesce(solved, updated) - created, greatest(w_end - created, 60)))
        AS BIGINT) AS updated,
    {snap_label} AS status_label,
    NULL AS solved,
    0 AS reopen_count
FROM marked
WHERE is_overlap
UNION ALL
-- the same final row exported twice
SELECT dup_file AS file, {columns}, updated, status_label, solved, reopen_count
FROM marked
WHERE is_dup
"""


def _after_reply(t: str) -> str:
    """The status an agent leaves a ticket in after replying in turn `t`:
    mostly pending while the customer is to write again, before the solve
    about as often pending as open, now and then on hold."""
    u = f"u('scr', n, {t})"
    return (
        f"CASE WHEN {t} = n_turns - 1 OR (state = 'solved' AND reopened AND {t} = n_turns - 2)"
        f" THEN CASE WHEN {u} < 0.55 THEN 'pending' ELSE 'open' END"
        f" WHEN {u} < 0.85 THEN 'pending' WHEN {u} < 0.88 THEN 'hold' ELSE 'open' END"
    )


def _sql_status_changes(p: _Params) -> str:
    """One row per status change, replayed from each ticket's turns.

    'new' at creation; 'open' when an agent picks the ticket up, shortly
    before the first reply; after a reply mostly 'pending' until the customer
    writes again ('open'), now and then 'hold'; a long wait for a reply is
    sometimes spent on hold (escalated tickets more often). Solved tickets are
    solved at `solved`, reopened ones first at the solve their reopening turn
    was planned after; abandoned tickets and solved tickets exported as closed
    end 'closed' at `updated`. An unsolved ticket ends in the status its
    ticket row shows (a replied ticket labelled 'new' ends 'open'), with no
    change after the end of the span. No change repeats the status before
    it, and the times are strictly increasing per ticket.
    """
    canonical = {
        str(label).strip().lower(): status
        for status, labels in STATUS_LABELS.items()
        for label, _ in labels
    }
    canonical["new"] = "new"
    target = " ".join(f"WHEN {_lit(label)} THEN {_lit(st)}" for label, st in canonical.items())
    return f"""
CREATE TABLE status_changes AS
WITH shown AS (
    SELECT
        *,
        -- the status the ticket row shows, canonical
        CASE lower(trim(status_label)) {target} END AS shown_status
    FROM tfin
),
-- tf and tw are read several times: computed once
tf AS MATERIALIZED (
    SELECT
        n, created, state, reopened, n_turns, solve_med, last_ts, last_kind,
        has_reply_kept, escalated, solved, updated,
        state = 'abandoned' OR (state = 'solved' AND closed_label AND updated > solved)
            AS is_closed,
        -- picked up before the first reply, mostly shortly before, at the
        -- latest when the internal note is written; an unanswered ticket
        -- shown as open was picked up without a reply
        CASE
            WHEN has_reply_kept THEN created + least(
                first_reply_off - 1
                    - CAST(floor(0.9 * pow(u('scpk', n, 0), 2) * (first_reply_off - 1)) AS BIGINT),
                CASE WHEN has_note
                    THEN 1 + CAST(floor(u('note', n, 1) * (first_reply_off - 1)) AS BIGINT) END)
            WHEN state = 'unsolved' AND shown_status = 'open'
                THEN least(created + dur('scpk', n, 1, 1800, 1.3, 30, 172800), updated)
        END AS picked,
        -- where an unsolved ticket ends: a replied ticket labelled 'new' is open
        CASE WHEN has_reply_kept AND shown_status = 'new' THEN 'open' ELSE shown_status END
            AS target
    FROM shown
),
tr AS (
    SELECT
        turns.n,
        turns.t,
        tf.state,
        tf.reopened,
        tf.n_turns,
        tf.solve_med,
        tf.escalated,
        tf.target,
        tf.last_ts,
        tf.last_kind,
        turns.created + turns.start_off AS turn_at,
        CASE WHEN turns.t = 0 THEN tf.picked
            ELSE turns.created + turns.start_off + turns.last_off END AS waiting_from,
        CASE WHEN turns.has_reply AND turns.created + turns.reply_off <= {p.t_end}
            THEN turns.created + turns.reply_off END AS replied_at
    FROM turns
    INNER JOIN tf ON tf.n = turns.n
),
tw AS MATERIALIZED (
    SELECT
        *,
        -- waiting on a third party before the reply
        replied_at - waiting_from >= 1800
            AND u('sch', n, t) < CASE WHEN escalated THEN 0.35 ELSE 0.05 END AS on_hold,
        CASE WHEN state = 'unsolved' AND replied_at = last_ts AND last_kind = 3 THEN target
            ELSE {_after_reply("t")} END AS left_as,
        CASE WHEN state = 'solved' AND reopened AND t = n_turns - 1 THEN 'solved'
            ELSE {_after_reply("t - 1")} END AS before_turn
    FROM tr
)
-- each status differs from the one before it, so nothing needs collapsing
SELECT n, created AS ts, 'new' AS status FROM tf
UNION ALL
SELECT n, picked, 'open' FROM tf WHERE picked IS NOT NULL
UNION ALL
SELECT n, solved, 'solved' FROM tf WHERE state = 'solved'
UNION ALL
SELECT n, updated, 'closed' FROM tf WHERE is_closed
UNION ALL
-- the customer writes again
SELECT n, turn_at, 'open' FROM tw WHERE t > 0 AND turn_at <= {p.t_end} AND before_turn <> 'open'
UNION ALL
SELECT
    n,
    waiting_from + 1 + CAST(floor(u('schd', n, t) * (replied_at - waiting_from - 1)) AS BIGINT),
    'hold'
FROM tw
WHERE on_hold
UNION ALL
-- the status the agent leaves after replying
SELECT n, replied_at, left_as
FROM tw
WHERE replied_at IS NOT NULL AND left_as <> CASE WHEN on_hold THEN 'hold' ELSE 'open' END
UNION ALL
-- the first solve of a reopened ticket, as planned by its turns
SELECT n, replied_at + dur('solve1', n, 0, solve_med, 1.0, 60, 864000), 'solved'
FROM tw
WHERE state = 'solved' AND reopened AND t = n_turns - 2
"""


def _sql_surveys(p: _Params) -> str:
    cm_pos = _pick("u('cmtp', key, kind = 'nps')", POSITIVE_COMMENTS)
    cm_neg = _pick("u('cmtp', key, kind = 'nps')", NEGATIVE_COMMENTS)
    return f"""
CREATE TABLE surveys AS
WITH csat AS (
    SELECT
        'csat' AS kind,
        n AS key,
        ticket_id,
        email,
        solved + dur('csatd', n, 0, 10800, 0.8, 300, 604800) AS responded,
        CASE
            WHEN u('cso', n, 0) < 0.02 THEN CASE WHEN u('cso', n, 1) < 0.5 THEN 0 ELSE 6 END
            ELSE {_pick("v", CSAT_SCORES)}
        END AS score
    FROM (
        SELECT
            *,
            -- reopened or slowly answered tickets are rated lower
            CASE WHEN reopen_count > 0 OR first_reply_off > 3 * reply_med
                THEN 0.35 + 0.65 * u('csv', n, 0) ELSE u('csv', n, 0) END AS v
        FROM tfin
        WHERE state = 'solved' AND u('csat', n, 0) < 0.40
    )
),
support AS (
    SELECT cust, min(created) AS first_ticket FROM tk GROUP BY cust
),
nps AS (
    SELECT
        'nps' AS kind,
        cust AS key,
        NULL AS ticket_id,
        email_of(cust, u('npse', cust, 0), 1.0) AS email,
        first_ticket + CAST(floor(u('npsd', cust, 0) * ({p.t_end} - first_ticket)) AS BIGINT)
            AS responded,
        CASE WHEN u('npso', cust, 0) < 0.01 THEN 11
            ELSE {_pick("u('npsv', cust, 0)", NPS_SCORES)} END AS score
    FROM support
    WHERE u('nps', cust, 0) < 0.30
),
al AS (
    SELECT * FROM csat WHERE responded <= {p.t_end}
    UNION ALL
    SELECT * FROM nps
)
SELECT
    'RSP-' || printf('%07d', row_number() OVER (ORDER BY responded, kind, key))
        AS response_id,
    kind,
    CASE WHEN u('stype', key, kind = 'nps') < 0.7 THEN kind ELSE upper(kind) END AS survey_type,
    score,
    responded,
    ticket_id,
    email,
    CASE WHEN u('cmt', key, kind = 'nps') < 0.15 THEN
        CASE WHEN (kind = 'csat' AND score >= 4) OR (kind = 'nps' AND score >= 9)
            THEN {cm_pos} ELSE {cm_neg} END
    END AS comment
FROM al
"""


def _sql_orders(p: _Params) -> str:
    year = 365 * 86400
    c2 = 2 * p.customers
    return f"""
CREATE TABLE orders AS
WITH support AS (
    SELECT cust, min(created) AS first_ticket FROM tk GROUP BY cust
),
cu AS (
    -- every support customer plus as many who never contacted support
    SELECT
        c.cust,
        CASE
            -- the shop grows: more new customers towards the end
            WHEN s.first_ticket IS NULL
                THEN {p.t0 - year} + CAST(floor((sqrt(1 + 8 * u('of', c.cust, 0)) - 1) / 2
                    * {p.span + year}) AS BIGINT)
            -- a few write before their first purchase
            WHEN u('of', c.cust, 1) < 0.1
                THEN s.first_ticket + CAST(floor(u('of', c.cust, 0) * 30 * 86400) AS BIGINT)
            ELSE greatest({p.t0 - year}, s.first_ticket
                - CAST(floor(pow(u('of', c.cust, 0), 1.5) * 200 * 86400) AS BIGINT))
        END AS first_order,
        CAST(least(15, 1 + floor(-ln(un('ok', c.cust, 0)) * CASE WHEN s.first_ticket IS NULL
            THEN {ORDERS_LAMBDA_SHOP} ELSE {ORDERS_LAMBDA_SUPPORT} END)) AS BIGINT) AS planned
    FROM (SELECT range + 1 AS cust FROM range({c2})) AS c
    LEFT JOIN support AS s ON s.cust = c.cust
),
x AS (
    SELECT cust, first_order, unnest(range(planned)) AS j FROM cu
),
y AS (
    SELECT
        cust,
        j,
        first_order,
        CASE
            WHEN j = 0 THEN 0
            -- a customer who comes back after more than a year
            WHEN u('react', cust, j) < 0.07
                THEN (380 + CAST(floor(u('react', cust, j + 100) * 320) AS BIGINT)) * 86400
                    + CAST(floor(u('react', cust, j + 200) * 86400) AS BIGINT)
            ELSE dur('ogap', cust, j, 3456000, 0.9, 172800, 25920000)
        END AS gap
    FROM x
),
z AS (
    SELECT
        cust,
        j,
        cust * 16 + j AS key,
        first_order + CAST(sum(gap) OVER (PARTITION BY cust ORDER BY j) AS BIGINT) AS created
    FROM y
),
about AS (
    -- half of the tickets about an order follow an order placed 1 to 20
    -- days before
    SELECT
        cust,
        16 + n AS j,
        {16 * (c2 + 1)} + n AS key,
        greatest({p.t0 - year}, created - 86400
            - CAST(floor(u('about', n, 1) * 19 * 86400) AS BIGINT)) AS created
    FROM tk
    WHERE category IN ('billing', 'shipping', 'returns', 'product') AND u('about', n, 0) < 0.5
),
o AS (
    SELECT
        *,
        u('canc', key, 0) < 0.04 AS cancelled,
        dur('amt', key, 0, 5500, 0.7, 199, 5000000) AS cents
    FROM (SELECT * FROM z UNION ALL SELECT * FROM about)
    WHERE created <= {p.t_end - 60}
)
SELECT
    'ORD-' || printf('%08d', row_number() OVER (ORDER BY created, cust, j))
        AS order_id,
    'customer' || cust || '@example.com' AS email,
    created,
    cents,
    'EUR' AS currency,
    CASE
        WHEN cancelled THEN {_pick("u('fs', key, 0)", [("voided", 60), ("refunded", 40)])}
        WHEN created > {p.t_end - 3 * 86400} AND u('fs', key, 1) < 0.5 THEN 'pending'
        ELSE {
        _pick(
            "u('fs', key, 2)",
            [("paid", 94), ("pending", 1), ("refunded", 2.5), ("partially_refunded", 2.5)],
        )
    }
    END AS financial_status,
    CASE WHEN cancelled THEN least(created + 600
        + CAST(floor(u('canc', key, 1) * 259200) AS BIGINT), {p.t_end}) END AS cancelled_at,
    u('test', key, 0) < 0.01 AS is_test,
    CASE WHEN u('test', key, 0) < 0.01 THEN {_pick("u('test', key, 1)", [("true", 1), ("1", 1)])}
        ELSE {_pick("u('test', key, 1)", [("false", 50), ("0", 25), (None, 25)])} END
        AS is_test_label
FROM o
"""


def _select_tickets(fmt: str, file_no: int) -> str:
    if fmt == "csv":
        ts = "iso_z"
        esc = "esc_label"
        reopen = "CAST(reopen_count AS VARCHAR)"
    else:
        ts = "tstz"
        esc = "CASE WHEN esc_label IS NULL THEN NULL ELSE escalated END"
        reopen = "CAST(reopen_count AS INTEGER)"
    return f"""
SELECT
    ticket_id,
    {ts}(created) AS created_at,
    {ts}(updated) AS updated_at,
    channel_label AS channel,
    status_label AS status,
    email AS requester_email,
    assignee AS assignee_id,
    team,
    category,
    priority,
    tags,
    {esc} AS is_escalated,
    {ts}(solved) AS solved_at,
    {reopen} AS reopen_count
FROM ticket_rows
WHERE file = {file_no}
ORDER BY ticket_id, updated
"""


def _select_messages(p: _Params, fmt: str, file_no: int) -> str:
    roles = {k: _pick("u('role', n, seq)", v) for k, v in ROLE_LABELS.items()}
    if fmt == "csv":
        created = "CASE WHEN u('mtz', n, seq) < 0.5 THEN iso_z(ts) ELSE iso_msk(ts) END"
        note = _pick("u('pub', n, seq)", PUBLIC_LABELS[False])
        reply = _pick("u('pub', n, seq)", PUBLIC_LABELS[True])
        public = f"CASE WHEN kind = 2 THEN {note} ELSE {reply} END"
    else:
        created = "tstz(ts)"
        public = "kind <> 2"
    half = p.t0 + p.span // 2
    # tickets of the first half of the span go to the first file, the rest to
    # the second; about 5 % of the messages are in both
    in_file = f"created < {half}" if file_no == 1 else f"created >= {half}"
    return f"""
SELECT
    'MSG-' || printf('%07d', n) || '-' || lpad(CAST(seq AS VARCHAR), 2, '0')
        AS message_id,
    'TCK-' || printf('%07d', n) AS ticket_id,
    {created} AS created_at,
    CASE WHEN kind = 0 THEN {roles["customer"]} WHEN kind = 1 THEN {roles["bot"]}
        ELSE {roles["agent"]} END AS author_role,
    {public} AS is_public
FROM msgs
WHERE {in_file} OR u('mdup', n, seq) < 0.05
ORDER BY n, seq
"""


def _select_status_changes(fmt: str) -> str:
    ts = "iso_z" if fmt == "csv" else "tstz"
    labels = " ".join(
        f"WHEN {_lit(status)} THEN " + _pick("u('scl', n, ts)", options)
        for status, options in CHANGE_STATUS_LABELS.items()
    )
    return f"""
WITH rows AS (
    SELECT n, ts, status FROM status_changes
    UNION ALL
    -- the same change exported twice
    SELECT n, ts, status FROM status_changes WHERE u('scdup', n, ts) < {CHANGE_DUPLICATES!r}
)
SELECT
    'TCK-' || printf('%07d', n) AS ticket_id,
    {ts}(ts) AS changed_at,
    CASE status {labels} END AS status
FROM rows
ORDER BY n, ts
"""


def _select_surveys(fmt: str) -> str:
    if fmt == "csv":
        score = "CAST(score AS VARCHAR)"
        responded = (
            "CASE WHEN kind = 'csat' THEN naive(responded) ELSE CAST(responded AS VARCHAR) END"
        )
    else:
        score = "CAST(score AS INTEGER)"
        responded = "tstz(responded)"
    return f"""
SELECT
    response_id,
    survey_type,
    {score} AS score,
    {responded} AS responded_at,
    ticket_id,
    email AS respondent_email,
    comment
FROM surveys
ORDER BY response_id
"""


def _select_orders(fmt: str) -> str:
    if fmt == "csv":
        created = "dmy(created)"
        cancelled = "dmy(cancelled_at)"
        amount = (
            "CAST(cents // 100 AS VARCHAR) || ',' || lpad(CAST(cents % 100 AS VARCHAR), 2, '0')"
        )
        is_test = "is_test_label"
    else:
        created = "tstz(created)"
        cancelled = "tstz(cancelled_at)"
        amount = "CAST(cents AS DECIMAL(18, 0)) / 100"
        is_test = "CASE WHEN is_test_label IS NULL THEN NULL ELSE is_test END"
    if fmt == "parquet":
        amount = f"CAST({amount} AS DECIMAL(12, 2))"
    return f"""
SELECT
    order_id,
    email AS customer_email,
    {created} AS created_at,
    {amount} AS total_amount,
    currency,
    financial_status,
    {cancelled} AS cancelled_at,
    {is_test} AS is_test
FROM orders
ORDER BY order_id
"""


def _copy(con: duckdb.DuckDBPyConnection, select: str, path: Path, fmt: str, delimiter: str) -> int:
    if fmt == "parquet":
        options = "FORMAT parquet, COMPRESSION snappy"
    else:
        options = f"FORMAT csv, HEADER true, DELIMITER {_lit(delimiter)}"
    rows = con.execute(f"COPY ({select}) TO '{_sql_path(path)}' ({options})").fetchall()
    return int(rows[0][0]) if rows else 0


def output_paths(out_dir: str | os.PathLike[str], fmt: str = "csv") -> dict[str, list[Path]]:
    """The files `generate` writes, per entity."""
    out = Path(out_dir)
    return {
        entity: [out / f"{name}.{fmt}" for name in names] for entity, names in EXPORT_FILES.items()
    }


def generate(
    out_dir: str | os.PathLike[str],
    tickets: int,
    seed: int = 7,
    fmt: str = "csv",
    start: str | date = "2024-01-01",
    days: int = 730,
    progress: ProgressCallback | None = None,
    threads: int | None = None,
) -> dict[str, int]:
    """Write the canonical exports into `out_dir` and return rows written per entity.

    `tickets` distinct tickets are created between `start` (UTC midnight) and
    `start + days`. The same arguments always give byte-identical files.
    `progress(entity, rows, seconds)` is called after each entity is written.
    Files of the other format with the same names are removed, so that a
    folder never holds two copies of one export.
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    if not 1 <= tickets <= MAX_TICKETS:
        raise ValueError(f"tickets must be between 1 and {MAX_TICKETS:,}, not {tickets}")
    if days < MIN_DAYS:
        raise ValueError(f"days must be at least {MIN_DAYS}, not {days}")
    start_date = start if isinstance(start, date) else date.fromisoformat(start)
    p = _Params(tickets, int(seed), start_date, int(days))

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    other = "parquet" if fmt == "csv" else "csv"
    for paths in output_paths(out, other).values():
        for stale in paths:
            stale.unlink(missing_ok=True)
    paths = output_paths(out, fmt)

    con = duckdb.connect(":memory:")
    try:
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        con.execute("SET preserve_insertion_order = true")
        con.execute("SET enable_progress_bar = false")
        for macro in _macros(p):
            con.execute(macro)

        counts: dict[str, int] = {}
        clock = time.perf_counter()

        def done(entity: str, rows: int) -> None:
            nonlocal clock
            now = time.perf_counter()
            counts[entity] = rows
            if progress is not None:
                progress(entity, rows, now - clock)
            clock = now

        for sql in (
            _sql_base(p),
            _sql_tickets_core(p),
            _sql_turns(),
            _sql_messages(p),
            _sql_tickets_final(p),
            _sql_ticket_rows(),
        ):
            con.execute(sql)
        con.execute("DROP TABLE base")

        rows = 0
        for i, path in enumerate(paths["tickets"], start=1):
            rows += _copy(con, _select_tickets(fmt, i), path, fmt, ",")
        done("tickets", rows)
        con.execute("DROP VIEW ticket_rows")

        rows = 0
        for i, path in enumerate(paths["ticket_messages"], start=1):
            rows += _copy(con, _select_messages(p, fmt, i), path, fmt, ",")
        done("ticket_messages", rows)
        con.execute("DROP TABLE msgs")

        con.execute(_sql_status_changes(p))
        con.execute("DROP TABLE turns")
        path = paths["ticket_status_changes"][0]
        done("ticket_status_changes", _copy(con, _select_status_changes(fmt), path, fmt, ","))
        con.execute("DROP TABLE status_changes")

        con.execute(_sql_surveys(p))
        done("surveys", _copy(con, _select_surveys(fmt), paths["surveys"][0], fmt, ","))

        con.execute(_sql_orders(p))
        delimiter = CSV_DELIMITERS.get("orders", ",")
        done("orders", _copy(con, _select_orders(fmt), paths["orders"][0], fmt, delimiter))
        return counts
    finally:
        con.close()
