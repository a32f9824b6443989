"""Compare the marts of two warehouse builds, whatever the engines.

The marts and their keys come from a dbt manifest (`marts_from_manifest`):
every model under ``models/marts/``, keyed by the columns of its
``unique_combination_of_columns`` or ``unique`` test. Each engine's rows are
read into plain Python values (`read_duckdb`, `read_dbapi`, or anything that
yields column names and row tuples, such as Spark's ``collect()``), then
`compare_mart` reports every difference: row counts, keys found on one side
only, and per key the columns whose values differ. Numbers agree within
``tolerance`` (absolute up to magnitude 1, relative above); text, booleans,
dates and timestamps must be equal.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TOLERANCE = 1e-9


@dataclass(frozen=True)
class Mart:
    """A mart of the manifest: relation name, schema, columns and key columns."""

    name: str
    schema: str
    columns: tuple[str, ...]
    key: tuple[str, ...]


@dataclass
class Table:
    """Rows read from one engine, column names lower-cased."""

    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]


@dataclass
class Comparison:
    """The differences between two builds of one mart (none when they agree)."""

    mart: str
    rows_left: int
    rows_right: int
    differences: list[str] = field(default_factory=list)

    @property
    def agrees(self) -> bool:
        return not self.differences

    def summary(self, limit: int = 10) -> str:
        head = f"{self.mart}: {self.rows_left} vs {self.rows_right} rows"
        if self.agrees:
            return head + ", equal"
        shown = self.differences[:limit]
        more = len(self.differences) - len(shown)
        lines = [head + f", {len(self.differences)} differences:", *("  " + d for d in shown)]
        if more:
            lines.append(f"  ... and {more} more")
        return "\n".join(lines)


def marts_from_manifest(manifest_path: Path) -> list[Mart]:
    """Every model under models/marts/ with its documented columns and its key."""
    manifest = json.loads(Path(manifest_path).read_text())
    nodes = manifest["nodes"]
    keys: dict[str, tuple[str, ...]] = {}
    for node in nodes.values():
        if node["resource_type"] != "test" or not node.get("attached_node"):
            continue
        metadata = node.get("test_metadata") or {}
        kwargs = metadata.get("kwargs") or {}
        if metadata.get("name") == "unique_combination_of_columns":
            keys[node["attached_node"]] = tuple(kwargs["combination_of_columns"])
        elif metadata.get("name") == "unique" and node["attached_node"] not in keys:
            keys[node["attached_node"]] = (kwargs["column_name"],)
    marts = []
    for unique_id, node in nodes.items():
        if node["resource_type"] != "model":
            continue
        if not node["original_file_path"].replace("\\", "/").startswith("models/marts/"):
            continue
        columns = tuple(name.lower() for name in node["columns"])
        marts.append(
            Mart(
                name=node["alias"] or node["name"],
                schema=node["schema"],
                columns=columns,
                key=tuple(column.lower() for column in keys.get(unique_id, ())),
            )
        )
    return sorted(marts, key=lambda mart: mart.name)


def read_duckdb(connection: Any, relation: str) -> Table:
    """All rows of a relation from a DuckDB connection."""
    result = connection.execute(f"select * from {relation}")
    columns = tuple(column[0].lower() for column in result.description)
    return Table(columns, [tuple(row) for row in result.fetchall()])


def read_dbapi(connection: Any, relation: str) -> Table:
    """All rows of a relation through a DB-API connection (psycopg2, ...)."""
    with connection.cursor() as cursor:
        cursor.execute(f"select * from {relation}")
        columns = tuple(column[0].lower() for column in cursor.description)
        return Table(columns, [tuple(row) for row in cursor.fetchall()])


def from_rows(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Table:
    """A Table from column names and row sequences (e.g. Spark Row objects)."""
    return Table(tuple(column.lower() for column in columns), [tuple(row) for row in rows])


def _normalise(value: Any) -> Any:
    """Engine types to comparable Python values: numbers as float, the rest as is."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, decimal.Decimal | int | float):
        return float(value)
    if isinstance(value, dt.datetime):
        # A zone-aware value (an engine reading timestamps in a session zone)
        # compares as its UTC wall time, as the marts' naive UTC timestamps.
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value
    return value


def values_agree(left: Any, right: Any, tolerance: float = TOLERANCE) -> bool:
    """Equal, or numbers within tolerance (absolute below 1, relative above)."""
    left, right = _normalise(left), _normalise(right)
    if left is None or right is None:
        return left is None and right is None
    if isinstance(left, float) and isinstance(right, float):
        if math.isnan(left) or math.isnan(right):
            return math.isnan(left) and math.isnan(right)
        return abs(left - right) <= tolerance * max(1.0, abs(left), abs(right))
    if isinstance(left, float) != isinstance(right, float):
        return False
    return left == right


def _sort_key(values: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple((value is None, str(type(value)), value) for value in values)


def compare_mart(
    mart: Mart | str,
    left: Table,
    right: Table,
    *,
    key: Sequence[str] | None = None,
    tolerance: float = TOLERANCE,
    left_name: str = "left",
    right_name: str = "right",
) -> Comparison:
    """Every difference between two builds of a mart.

    Rows are matched on ``key`` (default: the mart's key; without one, whole
    rows are sorted and compared in order). Both sides must have the same
    columns; their order may differ.
    """
    name = mart.name if isinstance(mart, Mart) else mart
    key = tuple(key if key is not None else (mart.key if isinstance(mart, Mart) else ()))
    comparison = Comparison(name, len(left.rows), len(right.rows))
    differences = comparison.differences
    if set(left.columns) != set(right.columns):
        only_left = sorted(set(left.columns) - set(right.columns))
        only_right = sorted(set(right.columns) - set(left.columns))
        differences.append(
            f"columns differ: only in {left_name} {only_left}, only in {right_name} {only_right}"
        )
        return comparison
    columns = left.columns
    right_order = [right.columns.index(column) for column in columns]
    right_rows = [tuple(row[i] for i in right_order) for row in right.rows]
    if len(left.rows) != len(right_rows):
        differences.append(
            f"row count {left_name} {len(left.rows)} != {right_name} {len(right_rows)}"
        )

    if key:
        positions = [columns.index(column) for column in key]

        def by_key(rows: list[tuple[Any, ...]]) -> dict[tuple[Any, ...], tuple[Any, ...]]:
            keyed: dict[tuple[Any, ...], tuple[Any, ...]] = {}
            for row in rows:
                row_key = tuple(_normalise(row[i]) for i in positions)
                if row_key in keyed:
                    differences.append(f"key {dict(zip(key, row_key, strict=True))} repeated")
                keyed[row_key] = row
            return keyed

        left_keyed, right_keyed = by_key(left.rows), by_key(right_rows)
        for row_key in sorted(set(left_keyed) - set(right_keyed), key=_sort_key):
            differences.append(f"only in {left_name}: {dict(zip(key, row_key, strict=True))}")
        for row_key in sorted(set(right_keyed) - set(left_keyed), key=_sort_key):
            differences.append(f"only in {right_name}: {dict(zip(key, row_key, strict=True))}")
        pairs = [
            (row_key, left_keyed[row_key], right_keyed[row_key])
            for row_key in sorted(set(left_keyed) & set(right_keyed), key=_sort_key)
        ]
    else:
        left_sorted = sorted(left.rows, key=lambda row: _sort_key(tuple(map(_normalise, row))))
        right_sorted = sorted(right_rows, key=lambda row: _sort_key(tuple(map(_normalise, row))))
        pairs = [
            ((index,), left_row, right_row)
            for index, (left_row, right_row) in enumerate(
                zip(left_sorted, right_sorted, strict=False)
            )
        ]
        key = ("row",)

    for row_key, left_row, right_row in pairs:
        for column, left_value, right_value in zip(columns, left_row, right_row, strict=True):
            if not values_agree(left_value, right_value, tolerance):
                differences.append(
                    f"{dict(zip(key, row_key, strict=True))} {column}: "
                    f"{left_name} {left_value!r} != {right_name} {right_value!r}"
                )
    return comparison
