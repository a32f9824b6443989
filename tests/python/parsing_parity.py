"""The parsing macros compared value by value across engines: the macros,
the corpus of texts (hand-picked, generated, every text of the sample's raw
relations and every field of the hostile corpus) and the comparison of
DuckDB's results with another engine's. Shared by the PostgreSQL and Spark
tests."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb

from mart_comparison import values_agree

HOSTILE_ROWS = Path(__file__).parent / "fixtures" / "hostile" / "rows"

PARSED = {
    "as_timestamp": "{{ support_kpi.parse_timestamp('v') }}",
    "as_berlin_timestamp": "{{ support_kpi.parse_timestamp('v', 'Europe/Berlin') }}",
    "as_decimal": "{{ support_kpi.parse_decimal('v') }}",
    "as_integer": "{{ support_kpi.parse_integer('v') }}",
    "as_boolean": "{{ support_kpi.parse_boolean('v') }}",
    "is_personal": "{{ support_kpi.looks_like_personal_data('v') }}",
    "label": "{{ support_kpi.normalize_label('v') }}",
    "pseudonym": "{{ support_kpi.pseudonymize('v') }}",
}
TIMESTAMPS = ("as_timestamp", "as_berlin_timestamp")

HAND_PICKED = [
    # ISO with a zone, the forms DuckDB reads and those it does not.
    "2024-01-05T10:00:00Z",
    "2024-1-5T10:00:00Z",
    "2024-01-05 10:00Z",
    "2024/01/05 10:00Z",
    "2024-01-05T10:00:00.123456789Z",
    "2024-01-05T24:00:00Z",
    "2024-01-05T24:00:00.000Z",
    "2024-01-05T24:00:00.0001Z",
    "2024-01-05T23:59:60Z",
    "2024-02-30T10:00Z",
    "2023-02-29T10:00Z",
    "2024-02-29T10:00Z",
    "2024-01-05T10:00:00+0200",
    "2024-01-05T10:00:00+02",
    "2024-01-05T10:00:00+02:30",
    "2024-01-05T10:00:00-15:00",
    "2024-01-05T10:00:00+99:00",
    "2024-01-05T10:00:00+02:60",
    "2024-01-05T10:00:00 UTC",
    "2024-01-05T10:00:00UTC",
    "2024-01-05T10:00:00z",
    "2024-01-05T10:00 +02:00",
    "2024-01-05 10:00:00 +0200",
    "01.02.2024 10:00Z",
    "foo 10:00Z",
    "10:00Z",
    "12024-01-05T10:00:00Z",
    "0001-01-05T10:00:00Z",
    "-2024-01-05T10:00:00Z",
    "0000-01-01T10:00Z",
    "2024.01.05 10:00Z",
    "2024-01/05 10:00Z",
    "2024-01-05T 10:00Z",
    "2024-01-05\t10:00Z",
    "2024-01-05 \r10:00Z",
    "002024-01-05T10:00Z",
    "-0-01-05T10:00Z",
    "2024-01-05T10:0:00Z",
    "2024-01-05T10:00:0Z",
    "2024-01-05t10:00:00Z",
    # ISO without a zone, day-first, epoch seconds and milliseconds.
    "2024-01-05",
    "2024-01-05 10:00",
    "2024-01-05T10:00:00.1234567",
    "2024-01-05 24:00:00",
    "2024-01-05 24:00:01",
    "2024-02-30",
    "2024-01-05 10:60",
    "2024-01-05 10:00:60",
    "2024-01-05T9:00",
    "0000-01-05",
    "2024-01-05 10:00:00.9999996",
    "05.01.2024",
    "5.1.2024",
    "05.01.2024 10:00",
    "05.01.2024 9:05",
    "05.01.2024 10:00:30",
    "31.02.2024",
    "29.02.2023",
    "05.13.2024",
    "05.01.2024 24:00",
    "00.01.2024",
    "05.01.0000",
    "1700000000",
    "1700000000123",
    "-1700000000123",
    "1699999999001",
    "99999999999",
    "99999999999999",
    "-99999999999999",
    "-35150701446216",
    "123456789",
    "12345678",
    # Daylight-saving gaps and overlaps in Europe/Berlin.
    "2024-03-31 02:30:00",
    "2024-10-27 02:30:00",
    "31.03.2024 02:30",
    "27.10.2024 02:30",
    # Numbers.
    "1.234,50",
    "1,234.50",
    "129,90",
    "129.90",
    "-5",
    "+5",
    ".5",
    "5.",
    "-,5",
    "1 234,50",
    "12\u00a0345",
    "99999999999999.9999",
    "99999999999999.99995",
    "100000000000000",
    "0.00005",
    "-0.00005",
    "1e5",
    "0x10",
    "1.2.3",
    "1,2,3",
    "5.0",
    "5.000",
    "-0",
    "00012",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "1" * 40,
    "+0",
    # Personal data, labels, booleans.
    "alice@example.com",
    "bob at example dot com",
    "x@y.z",
    "x@y.zz",
    "иван@почта.рф",
    "+7 (999) 123-45-67",
    "+49 30 1234567",
    "8 800 555-35-35",
    "(030) 123 45 67",
    "123-456",
    "1234567",
    "true",
    "FALSE",
    "Yes",
    "no",
    "да",
    "НЕТ",
    "Д",
    "н",
    "maybe",
    "  Chat ",
    "E-MAIL",
    "Ема\tил",
    "a\nb",
    "a\u000bb",
    "ТЕЛЕФОН  звонок",
    "Straße",
    "",
    "  ",
    "abc",
]


# Case mappings beyond Latin and Cyrillic (dotted capital I, final sigma,
# titlecase digraphs): DuckDB and PostgreSQL (C.UTF-8) lower-case them alike.
# Kept out of `corpus`, which the Spark test shares: Spark's lower() differs
# on the first two.
UNICODE_CASES = ["İSTANBUL", "ΌΣΟΣ", "ẞ", "ǅ", "Ａ"]


def generated_values(count: int = 3000, seed: int = 7) -> set[str]:
    """Timestamps assembled from right and wrong pieces of each form."""
    rng = random.Random(seed)
    years = ["2024", "1999", "0", "-2024", "12024", "002024", "99"]
    days = ["1", "01", "12", "13", "00", "001", "29", "30", "31", "2"]
    separators = ["T", " ", "  ", "T ", "\t", "t", ""]
    hours = ["0", "9", "09", "23", "24", "25", "100"]
    minutes = ["0", "00", "59", "60", "5"]
    seconds = ["", ":00", ":59", ":60", ":0", ":00.5", ":00.1234567", ":00.000", ":00."]
    zones = ["Z", "z", " UTC", "UTC", "+02", "+0200", "+02:00", "-99:99", "+2", " +02:00", ""]
    values = set()
    for _ in range(count):
        first, second = rng.choice(["-", "/", "."]), rng.choice(["-", "-", "/", "."])
        values.add(
            f"{rng.choice(years)}{first}{rng.choice(days)}{second}{rng.choice(days)}"
            f"{rng.choice(separators)}{rng.choice(hours)}:{rng.choice(minutes)}"
            f"{rng.choice(seconds)}{rng.choice(zones)}"
        )
        dotted = f"{rng.choice(days)}.{rng.choice(days)}.{rng.choice(['2024', '0000', '24'])}"
        if rng.random() < 0.7:
            dotted += f" {rng.choice(hours)}:{rng.choice(minutes)}{rng.choice(['', ':00', ':5'])}"
        values.add(dotted)
        values.add(str(rng.randint(-(10**14), 10**14))[: rng.randint(1, 16)])
    return values


def corpus(raw_dir: Path) -> list[str]:
    """Hand-picked and generated values, every text of the sample's raw
    relations but its ids, and every field of the hostile corpus."""
    values = set(HAND_PICKED) | generated_values()
    with duckdb.connect() as connection:
        sources = [f"read_parquet('{path}')" for path in sorted(raw_dir.glob("*.parquet"))]
        sources += [
            f"read_csv('{path}', all_varchar = true, header = false, null_padding = true,"
            " parallel = false, ignore_errors = true)"
            for path in sorted(HOSTILE_ROWS.glob("*.csv"))
        ]
        for source in sources:
            described = connection.execute(f"describe select * from {source}").fetchall()
            for column, kind, *_ in described:
                # Identifiers of the sample are only trimmed: left out.
                if kind != "VARCHAR" or column.startswith("_") or column.endswith("_id"):
                    continue
                rows = connection.execute(
                    f'select distinct "{column}" from {source} where "{column}" is not null'
                ).fetchall()
                values.update(row[0] for row in rows)
    return sorted(value for value in values if "\x00" not in value)


def differences(
    macros: Mapping[str, str],
    values: Sequence[str],
    duck_rows: Sequence[Sequence[Any]],
    other_rows: Sequence[Sequence[Any]],
    engine: str,
) -> list[str]:
    """One line per macro and text whose value differs between DuckDB and
    `engine`; rows are (id, one value per macro), ids index `values`.
    Timestamps (microseconds since 1970) must be equal, numbers exactly equal."""
    return [
        f"{name}({values[duck_row[0]]!r}): duckdb {left!r}, {engine} {right!r}"
        for duck_row, other_row in zip(duck_rows, other_rows, strict=True)
        for name, left, right in zip(macros, duck_row[1:], other_row[1:], strict=True)
        if not (left == right if name in TIMESTAMPS else values_agree(left, right, 0.0))
    ]
