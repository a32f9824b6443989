"""Great Expectations validation of a built warehouse.

Each suite runs on one relation of the DuckDB warehouse, loaded into a pandas
DataFrame with only the columns the suite needs:

* ``raw_*`` suites check the row-level staging tables that hold every row read
  from the exports. Exports are messy by nature, so most checks carry a
  ``mostly`` threshold: that threshold is the quality gate.
* ``deduplicated_*`` suites check that the staging tables hold one row per key
  after deduplication (strict).
* ``mart_*`` suites check the marts strictly.

Great Expectations runs in an in-memory (ephemeral) context, so nothing is
written to disk except the Data Docs HTML site in ``docs_dir``.
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import duckdb

if TYPE_CHECKING:
    import pandas as pd

# Share of rows a raw-export check must pass.
RAW_MOSTLY = 0.99
# Share of parsed survey scores that must lie in the range of their survey type.
SCORE_MOSTLY = 0.95
# Share of raw rows that must be accepted (no rejection reason).
ACCEPTED_MOSTLY = 0.95

CHANNELS = ["email", "chat", "phone", "sms", "social", "messenger", "other"]
STATUSES = ["new", "open", "pending", "hold", "solved", "closed", "unknown"]
AUTHOR_ROLES = ["customer", "agent", "bot", "unknown"]
SURVEY_TYPES = ["csat", "nps"]
PCT_COLUMNS = [
    "one_touch_resolution_pct",
    "first_contact_resolution_pct",
    "self_service_pct",
    "abandonment_pct",
    "escalation_pct",
    "repeat_contact_pct",
    "csat_pct",
]

BUILD_HINT = "run `make build` first"


class WarehouseError(Exception):
    """The warehouse cannot be validated: the file or one of its relations is missing."""


@dataclass(frozen=True)
class FailedExpectation:
    """One expectation that did not pass."""

    name: str
    unexpected_count: int | None
    element_count: int | None
    detail: str


@dataclass(frozen=True)
class SuiteResult:
    """The outcome of one expectation suite on one relation."""

    name: str
    relation: str
    rows: int
    evaluated: int
    passed: int
    failed: tuple[FailedExpectation, ...] = ()
    skipped: str | None = None

    @property
    def success(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        if self.skipped:
            return f"suite {self.name}: skipped ({self.skipped})"
        return f"suite {self.name}: {self.passed}/{self.evaluated} expectations passed"


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of every suite, and where the Data Docs were written."""

    suites: tuple[SuiteResult, ...]
    docs_index: Path | None
    seconds: float

    @property
    def success(self) -> bool:
        return all(suite.success for suite in self.suites)

    @property
    def evaluated(self) -> int:
        return sum(suite.evaluated for suite in self.suites)

    @property
    def passed(self) -> int:
        return sum(suite.passed for suite in self.suites)

    @property
    def failed_expectations(self) -> list[str]:
        """Failed expectations as ``suite: expectation`` strings."""
        return [
            f"{suite.name}: {failure.name}" for suite in self.suites for failure in suite.failed
        ]


# The expectations of a suite are built once Great Expectations is imported; the
# builder receives a namespace with `x` (great_expectations.expectations) and
# `Column` (the row-condition column).
Builder = Callable[[Any], list[Any]]


@dataclass(frozen=True)
class SuiteSpec:
    """A suite: its relation, the columns to load and its expectations."""

    name: str
    relation: str
    columns: tuple[str, ...]
    build: Builder
    # Extra computed columns: (alias, SQL expression, columns the expression needs).
    derived: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    skip_when_empty: bool = False


def _columns_present(g: Any, columns: Sequence[str]) -> Any:
    return g.x.ExpectTableColumnsToMatchSet(column_set=list(columns), exact_match=False)


def _not_null(g: Any, column: str, mostly: float = 1.0) -> Any:
    return g.x.ExpectColumnValuesToNotBeNull(column=column, mostly=mostly)


def _parses(g: Any, parsed_column: str) -> Any:
    """Rows with a timestamp text have a parsed timestamp."""
    return g.x.ExpectColumnValuesToNotBeNull(
        column=parsed_column,
        mostly=RAW_MOSTLY,
        row_condition=g.Column(_given(parsed_column)).is_not_null(),
    )


def _given(parsed_column: str) -> str:
    return f"{parsed_column}_given"


def _given_column(parsed_column: str) -> tuple[str, str, tuple[str, ...]]:
    """A derived column, 1 where the row had a text for `parsed_column` and
    null where it had none: the base models keep the parse result and, for a
    text that did not parse, the reason code unparseable_<column>."""
    sql = (
        f"case when {parsed_column} is not null"
        f" or rejection_reasons like '%unparseable_{parsed_column}%' then 1 end"
    )
    return (_given(parsed_column), sql, (parsed_column, "rejection_reasons"))


def _accepted(g: Any) -> Any:
    return g.x.ExpectColumnValuesToBeNull(column="rejection_reasons", mostly=ACCEPTED_MOSTLY)


def _raw_tickets(g: Any) -> list[Any]:
    required = ["ticket_id", "created_at", "updated_at", "channel_label", "status_label"]
    return [
        _columns_present(g, required),
        _not_null(g, "ticket_id", RAW_MOSTLY),
        _parses(g, "created_at"),
        _parses(g, "updated_at"),
        g.x.ExpectColumnValuesToBeInSet(column="channel", value_set=CHANNELS),
        g.x.ExpectColumnValuesToNotBeInSet(
            column="channel", value_set=["other"], mostly=RAW_MOSTLY
        ),
        g.x.ExpectColumnValuesToBeInSet(column="status", value_set=STATUSES),
        _accepted(g),
    ]


def _raw_ticket_messages(g: Any) -> list[Any]:
    required = ["message_id", "ticket_id", "created_at", "author_role_label"]
    return [
        _columns_present(g, required),
        _not_null(g, "message_id", RAW_MOSTLY),
        _not_null(g, "ticket_id", RAW_MOSTLY),
        _parses(g, "created_at"),
        g.x.ExpectColumnValuesToBeInSet(column="author_role", value_set=AUTHOR_ROLES),
        _accepted(g),
    ]


def _raw_surveys(g: Any) -> list[Any]:
    required = ["response_id", "survey_type_label", "score", "responded_at"]
    return [
        _columns_present(g, required),
        _not_null(g, "response_id", RAW_MOSTLY),
        _parses(g, "responded_at"),
        g.x.ExpectColumnValuesToBeInSet(
            column="survey_type", value_set=SURVEY_TYPES, mostly=RAW_MOSTLY
        ),
        # Unparsed scores are null and so not counted by the range checks.
        g.x.ExpectColumnValuesToBeBetween(
            column="score",
            min_value=1,
            max_value=5,
            mostly=SCORE_MOSTLY,
            row_condition=g.Column("survey_type") == "csat",
        ),
        g.x.ExpectColumnValuesToBeBetween(
            column="score",
            min_value=0,
            max_value=10,
            mostly=SCORE_MOSTLY,
            row_condition=g.Column("survey_type") == "nps",
        ),
        _accepted(g),
    ]


def _raw_orders(g: Any) -> list[Any]:
    return [
        _columns_present(g, ["order_id", "customer_email", "created_at"]),
        _not_null(g, "order_id", RAW_MOSTLY),
        _parses(g, "created_at"),
        _accepted(g),
    ]


def _raw_ticket_status_changes(g: Any) -> list[Any]:
    return [
        _columns_present(g, ["ticket_id", "status_label", "changed_at"]),
        _not_null(g, "ticket_id", RAW_MOSTLY),
        _parses(g, "changed_at"),
        g.x.ExpectColumnValuesToBeInSet(column="status", value_set=STATUSES),
        _accepted(g),
    ]


def _unique_key(column: str) -> Builder:
    def build(g: Any) -> list[Any]:
        return [_not_null(g, column), g.x.ExpectColumnValuesToBeUnique(column=column)]

    return build


def _mart_service_kpis(g: Any) -> list[Any]:
    return [
        *(
            g.x.ExpectColumnValuesToBeBetween(column=column, min_value=0, max_value=100)
            for column in PCT_COLUMNS
        ),
        g.x.ExpectColumnValuesToBeBetween(column="nps", min_value=-100, max_value=100),
        g.x.ExpectColumnValuesToBeBetween(column="csat_mean_score", min_value=1, max_value=5),
        g.x.ExpectCompoundColumnsToBeUnique(
            column_list=["period_grain", "period_start", "channel"]
        ),
    ]


def _mart_retention_cohorts(g: Any) -> list[Any]:
    return [
        g.x.ExpectColumnValuesToBeInSet(
            column="retention_pct",
            value_set=[100],
            row_condition=g.Column("months_since_first_order") == 0,
        ),
        g.x.ExpectColumnValuesToBeBetween(column="retention_pct", min_value=0, max_value=100),
    ]


def _mart_retention(g: Any) -> list[Any]:
    return [
        # The first period of a grain has no previous period to carry over.
        g.x.ExpectColumnPairValuesToBeEqual(
            column_A="customers_start",
            column_B="previous_customers_end",
            ignore_row_if="neither",
            row_condition=g.Column("period_number") > 1,
        ),
        g.x.ExpectColumnValuesToNotBeNull(
            column="retention_rate_pct", row_condition=g.Column("customers_start") > 0
        ),
    ]


def _mart_fct_tickets(g: Any) -> list[Any]:
    return [
        _not_null(g, "ticket_id"),
        g.x.ExpectColumnValuesToBeUnique(column="ticket_id"),
        g.x.ExpectColumnValuesToBeBetween(column="first_response_minutes", min_value=0),
    ]


_RAW = "main_staging"
_PERIOD_WINDOW = "over (partition by period_grain order by period_start)"

SUITES: tuple[SuiteSpec, ...] = (
    SuiteSpec(
        "raw_tickets",
        f"{_RAW}.base_helpdesk__tickets",
        (
            "ticket_id",
            "channel_label",
            "status_label",
            "created_at",
            "updated_at",
            "channel",
            "status",
            "rejection_reasons",
        ),
        _raw_tickets,
        derived=(_given_column("created_at"), _given_column("updated_at")),
    ),
    SuiteSpec(
        "raw_ticket_messages",
        f"{_RAW}.base_helpdesk__ticket_messages",
        (
            "message_id",
            "ticket_id",
            "author_role_label",
            "created_at",
            "author_role",
            "rejection_reasons",
        ),
        _raw_ticket_messages,
        derived=(_given_column("created_at"),),
    ),
    SuiteSpec(
        "raw_surveys",
        f"{_RAW}.base_helpdesk__surveys",
        (
            "response_id",
            "survey_type_label",
            "survey_type",
            "score",
            "responded_at",
            "rejection_reasons",
        ),
        _raw_surveys,
        derived=(_given_column("responded_at"),),
    ),
    SuiteSpec(
        "raw_orders",
        f"{_RAW}.base_shop__orders",
        ("order_id", "customer_email", "created_at", "rejection_reasons"),
        _raw_orders,
        derived=(_given_column("created_at"),),
    ),
    SuiteSpec(
        "raw_ticket_status_changes",
        f"{_RAW}.base_helpdesk__ticket_status_changes",
        (
            "ticket_id",
            "status_label",
            "changed_at",
            "status",
            "rejection_reasons",
        ),
        _raw_ticket_status_changes,
        derived=(_given_column("changed_at"),),
        skip_when_empty=True,
    ),
    SuiteSpec(
        "deduplicated_tickets",
        f"{_RAW}.stg_helpdesk__tickets",
        ("ticket_id",),
        _unique_key("ticket_id"),
    ),
    SuiteSpec(
        "deduplicated_ticket_messages",
        f"{_RAW}.stg_helpdesk__ticket_messages",
        ("message_id",),
        _unique_key("message_id"),
    ),
    SuiteSpec(
        "deduplicated_surveys",
        f"{_RAW}.stg_helpdesk__surveys",
        ("response_id",),
        _unique_key("response_id"),
    ),
    SuiteSpec(
        "deduplicated_orders",
        f"{_RAW}.stg_shop__orders",
        ("order_id",),
        _unique_key("order_id"),
    ),
    SuiteSpec(
        "mart_service_kpis",
        "main.service_kpis",
        ("period_grain", "period_start", "channel", *PCT_COLUMNS, "nps", "csat_mean_score"),
        _mart_service_kpis,
    ),
    SuiteSpec(
        "mart_retention_cohorts",
        "main.retention_cohorts",
        ("cohort_month", "months_since_first_order", "retention_pct"),
        _mart_retention_cohorts,
    ),
    SuiteSpec(
        "mart_retention",
        "main.retention",
        (
            "period_grain",
            "period_start",
            "customers_start",
            "customers_end",
            "retention_rate_pct",
        ),
        _mart_retention,
        derived=(
            (
                "previous_customers_end",
                f"lag(customers_end) {_PERIOD_WINDOW}",
                ("period_grain", "period_start", "customers_end"),
            ),
            (
                "period_number",
                f"row_number() {_PERIOD_WINDOW}",
                ("period_grain", "period_start"),
            ),
        ),
    ),
    SuiteSpec(
        "mart_fct_tickets",
        "main.fct_tickets",
        ("ticket_id", "first_response_minutes"),
        _mart_fct_tickets,
    ),
)


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _open(warehouse: Path) -> duckdb.DuckDBPyConnection:
    if not warehouse.is_file():
        raise WarehouseError(f"warehouse not found: {warehouse} ({BUILD_HINT})")
    try:
        return duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        raise WarehouseError(f"cannot open warehouse {warehouse}: {first_line}") from error


def _relation_columns(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    rows = con.execute(
        "select table_schema, table_name, column_name from information_schema.columns"
    ).fetchall()
    columns: dict[str, set[str]] = {}
    for schema, table, column in rows:
        columns.setdefault(f"{schema}.{table}", set()).add(column)
    return columns


def _load(con: duckdb.DuckDBPyConnection, spec: SuiteSpec, available: set[str]) -> pd.DataFrame:
    """The suite's columns that exist; a missing one is reported by the suite itself."""
    select = [_quote(column) for column in spec.columns if column in available]
    select += [
        f"{expression} as {_quote(alias)}"
        for alias, expression, needs in spec.derived
        if set(needs) <= available
    ]
    schema, table = spec.relation.split(".", 1)
    sql = f"select {', '.join(select) or 'null as no_expected_column'} from "
    sql += f"{_quote(schema)}.{_quote(table)}"
    return con.execute(sql).df()


def load_frames(warehouse: Path, suites: Sequence[SuiteSpec] = SUITES) -> dict[str, pd.DataFrame]:
    """One DataFrame per suite, read from the warehouse opened read-only."""
    con = _open(warehouse)
    try:
        columns = _relation_columns(con)
        missing = [spec.relation for spec in suites if spec.relation not in columns]
        if missing:
            names = ", ".join(dict.fromkeys(missing))
            raise WarehouseError(f"warehouse {warehouse} lacks relation {names} ({BUILD_HINT})")
        return {spec.name: _load(con, spec, columns[spec.relation]) for spec in suites}
    finally:
        con.close()


@contextmanager
def _pyspark_cannot_exit() -> Iterator[None]:
    """Great Expectations probes PySpark (installed for the Spark target) on import.
    When the main module has neither a file nor a spec (`python -c`, a script read
    from stdin, a pytest-xdist worker), PySpark's Connect module takes the process
    for a doctest run and calls sys.exit(0) where it would otherwise raise an
    ImportError: validation would end silently with success. An interactive-looking
    `sys.ps1` for the length of the import sends it down the ImportError path, which
    Great Expectations handles."""
    if hasattr(sys, "ps1"):
        yield
        return
    sys.ps1 = ""
    try:
        yield
    finally:
        del sys.ps1


def _import_great_expectations() -> SimpleNamespace:
    # Usage statistics off before the first import; nothing here needs the network.
    os.environ["GX_ANALYTICS_ENABLED"] = "False"
    with _pyspark_cannot_exit(), warnings.catch_warnings():
        # PySpark, there for the Spark target only, warns about the pandas
        # version when Great Expectations probes it: not this command's concern.
        warnings.filterwarnings(
            "ignore", message="PySpark does not yet fully support pandas", category=FutureWarning
        )
        import great_expectations as gx
        import great_expectations.expectations as gxe
        from great_expectations.data_context.types.base import (
            DataContextConfig,
            InMemoryStoreBackendDefaults,
            ProgressBarsConfig,
        )
        from great_expectations.expectations.row_conditions import Column

    return SimpleNamespace(
        gx=gx,
        x=gxe,
        Column=Column,
        DataContextConfig=DataContextConfig,
        InMemoryStoreBackendDefaults=InMemoryStoreBackendDefaults,
        ProgressBarsConfig=ProgressBarsConfig,
    )


def _context(g: SimpleNamespace, docs_dir: Path) -> Any:
    """An in-memory context whose only Data Docs site is `docs_dir`."""
    config = g.DataContextConfig(
        store_backend_defaults=g.InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        analytics_enabled=False,
        progress_bars=g.ProgressBarsConfig(globally=False),
        data_docs_sites={
            "support_kpi": {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(docs_dir.resolve()),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            }
        },
    )
    return g.gx.get_context(mode="ephemeral", project_config=config)


def _condition_text(condition: Any) -> str | None:
    if not condition:
        return None
    if isinstance(condition, dict):
        from great_expectations.expectations.row_conditions import deserialize_row_condition

        condition = deserialize_row_condition(condition)
    return repr(condition)


def expectation_name(expectation_type: str, kwargs: dict[str, Any]) -> str:
    """E.g. ``expect_column_values_to_be_between(score where survey_type == csat)``."""
    if kwargs.get("column"):
        subject = str(kwargs["column"])
    elif kwargs.get("column_A"):
        subject = f"{kwargs['column_A']}, {kwargs['column_B']}"
    elif kwargs.get("column_list"):
        subject = ", ".join(kwargs["column_list"])
    elif kwargs.get("column_set"):
        subject = ", ".join(kwargs["column_set"])
    else:
        subject = ""
    condition = _condition_text(kwargs.get("row_condition"))
    if condition:
        subject = f"{subject} where {condition}"
    return f"{expectation_type}({subject})"


def _exception_message(result: Any) -> str | None:
    info = result.exception_info or {}
    candidates = [info] if "raised_exception" in info else list(info.values())
    for item in candidates:
        if isinstance(item, dict) and item.get("raised_exception"):
            message = str(item.get("exception_message") or "error").strip()
            return message.splitlines()[0] if message else "error"
    return None


def _failure(result: Any) -> FailedExpectation:
    config = result.expectation_config
    name = expectation_name(config.type, dict(config.kwargs))
    outcome = result.result or {}
    unexpected = outcome.get("unexpected_count")
    elements = outcome.get("element_count")
    error = _exception_message(result)
    if error:
        detail = f"error: {error}"
    elif unexpected is not None and elements is not None:
        detail = f"{unexpected:,} of {elements:,} values unexpected"
        percent = outcome.get("unexpected_percent")
        if percent is not None:
            detail += f" ({percent:.2f}%)"
        sample = outcome.get("partial_unexpected_list") or []
        if sample:
            detail += f", e.g. {sample[:3]!r}"
    else:
        mismatched = (outcome.get("details") or {}).get("mismatched") or {}
        if mismatched.get("missing"):
            detail = f"missing columns {sorted(mismatched['missing'])!r}"
        else:
            detail = f"observed {outcome.get('observed_value')!r}"
    return FailedExpectation(name, unexpected, elements, detail)


def _run_suite(
    g: SimpleNamespace, context: Any, datasource: Any, spec: SuiteSpec, frame: pd.DataFrame
) -> Any:
    asset = datasource.add_dataframe_asset(name=spec.relation)
    batch_definition = asset.add_batch_definition_whole_dataframe(f"{spec.name} (whole table)")
    suite = context.suites.add(g.gx.ExpectationSuite(name=spec.name, expectations=spec.build(g)))
    definition = context.validation_definitions.add(
        g.gx.ValidationDefinition(name=spec.name, data=batch_definition, suite=suite)
    )
    return definition.run(batch_parameters={"dataframe": frame}, result_format="SUMMARY")


def validate(
    warehouse: Path,
    docs_dir: Path,
    *,
    progress: Callable[[SuiteResult], None] | None = None,
    suites: Sequence[SuiteSpec] = SUITES,
) -> ValidationReport:
    """Run every suite on the warehouse and build the Data Docs site in `docs_dir`.

    Raises WarehouseError when the warehouse file or one of the relations is missing.
    """
    started = time.perf_counter()
    warehouse = Path(warehouse)
    docs_dir = Path(docs_dir)
    frames = load_frames(warehouse, suites)

    g = _import_great_expectations()
    context = _context(g, docs_dir)
    datasource = context.data_sources.add_pandas(name="warehouse")
    results: list[SuiteResult] = []
    for spec in suites:
        frame = frames[spec.name]
        if spec.skip_when_empty and frame.empty:
            outcome = SuiteResult(spec.name, spec.relation, 0, 0, 0, skipped="no rows")
        else:
            validation = _run_suite(g, context, datasource, spec, frame)
            failed = tuple(_failure(r) for r in validation.results if not r.success)
            evaluated = len(validation.results)
            outcome = SuiteResult(
                spec.name, spec.relation, len(frame), evaluated, evaluated - len(failed), failed
            )
        results.append(outcome)
        if progress is not None:
            progress(outcome)

    docs_dir.mkdir(parents=True, exist_ok=True)
    context.build_data_docs()
    index = docs_dir / "index.html"
    return ValidationReport(
        suites=tuple(results),
        docs_index=index if index.is_file() else None,
        seconds=time.perf_counter() - started,
    )
