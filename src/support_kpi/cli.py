"""Command line of the support-kpi package."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from support_kpi import __version__
from support_kpi.generator import FORMATS, generate, output_paths


def _status(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _positive_int(text: str) -> int:
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text!r}")
    return value


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _cmd_generate(args: argparse.Namespace) -> int:
    def progress(entity: str, rows: int, seconds: float) -> None:
        _status(f"{entity}: {rows:,} rows in {seconds:.1f} s")

    _status(
        f"generating {args.tickets:,} tickets (seed {args.seed}, {args.days} days from "
        f"{args.start.isoformat()}) as {args.format} into {args.out}"
    )
    started = time.perf_counter()
    try:
        counts = generate(
            args.out,
            args.tickets,
            seed=args.seed,
            fmt=args.format,
            start=args.start,
            days=args.days,
            progress=progress,
        )
    except ValueError as error:
        _status(f"error: {error}")
        return 2
    elapsed = time.perf_counter() - started
    files = [path.name for paths in output_paths(args.out, args.format).values() for path in paths]
    _status(
        f"done: {sum(counts.values()):,} rows in {len(files)} files in {elapsed:.1f} s ("
        + ", ".join(f"{entity} {rows:,}" for entity, rows in counts.items())
        + ")"
    )
    return 0


def _add_generate(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "generate",
        help="write deterministic sample exports",
        description="Write deterministic helpdesk and shop exports in the canonical format.",
    )
    parser.add_argument("--tickets", type=_positive_int, required=True, help="distinct tickets")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument("--out", required=True, help="output folder (created if missing)")
    parser.add_argument("--format", choices=FORMATS, default="csv", help="file format")
    parser.add_argument(
        "--start", type=_iso_date, default=date(2024, 1, 1), help="first day (YYYY-MM-DD)"
    )
    parser.add_argument("--days", type=_positive_int, default=730, help="length of the span")
    parser.set_defaults(handler=_cmd_generate)


def _cmd_validate(args: argparse.Namespace) -> int:
    # Imported here: the other subcommands do not need the validation stack.
    from support_kpi.validate import SuiteResult, WarehouseError, validate

    def progress(suite: SuiteResult) -> None:
        print(suite.summary(), flush=True)
        for failure in suite.failed:
            print(f"  failed {failure.name}: {failure.detail}", flush=True)

    warehouse = Path(args.warehouse)
    _status(f"validating {warehouse} (Data Docs into {args.docs})")
    try:
        report = validate(warehouse, Path(args.docs), progress=progress)
    except WarehouseError as error:
        _status(f"error: {error}")
        return 2
    failed = report.evaluated - report.passed
    verdict = "passed" if report.success else f"FAILED ({failed} failed)"
    print(
        f"validation {verdict}: {report.passed}/{report.evaluated} expectations passed "
        f"in {len(report.suites)} suites in {report.seconds:.1f} s",
        flush=True,
    )
    if report.docs_index is not None:
        print(f"Data Docs: {report.docs_index}", flush=True)
    return 0 if report.success else 1


def _add_validate(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="run the Great Expectations suites on a built warehouse",
        description=(
            "Validate the raw-export staging tables and the marts of a built warehouse with "
            "Great Expectations and write the Data Docs HTML site. Exit status: 0 when every "
            "expectation passed, 1 when one failed, 2 when the warehouse or a relation is missing."
        ),
    )
    parser.add_argument(
        "--warehouse",
        default=os.environ.get("WAREHOUSE_PATH") or "warehouse.duckdb",
        help="DuckDB warehouse file (default $WAREHOUSE_PATH or warehouse.duckdb)",
    )
    parser.add_argument(
        "--docs",
        default=str(Path("target") / "data_docs"),
        help="Data Docs output folder (default target/data_docs)",
    )
    parser.set_defaults(handler=_cmd_validate)


def _cmd_bench(args: argparse.Namespace) -> int:
    # Imported here: the other subcommands do not need the benchmark.
    from support_kpi.bench import BenchError, format_table, parse_scale, run_bench

    try:
        scales = [parse_scale(token) for token in args.scales]
    except ValueError as error:
        _status(f"error: {error}")
        return 2
    names = ", ".join(f"{scale.name} ({scale.tickets:,} tickets)" for scale in scales)
    _status(f"benchmarking {names}; exports cached in {args.cache_dir}")
    try:
        measured = run_bench(
            scales,
            cache_dir=Path(args.cache_dir),
            results=Path(args.results),
            seed=args.seed,
            with_tests=not args.models_only,
            incremental=args.incremental,
            keep_warehouses=args.keep_warehouses,
            progress=_status,
        )
    except BenchError as error:
        _status(f"error: {error}")
        return 1
    print(format_table(measured), flush=True)
    print(f"results written to {args.results}", flush=True)
    failures = [
        f"{name}: {text}" for name, result in measured.items() for text in result["failures"]
    ]
    for failure in failures:
        _status(f"FAILED {failure}")
    return 1 if failures else 0


def _add_bench(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="benchmark the warehouse build at scale",
        description=(
            "Generate Parquet exports per scale (cached), time dbt build (models and seeds; "
            "everything) and the single-script DuckDB reference (bench/reference.sql) on them, "
            "print a table and merge the results into a JSON file. Exit status 1 when a build "
            "fails or the reference's figures differ from the marts'."
        ),
    )
    parser.add_argument(
        "--scales",
        nargs="+",
        default=["S", "M", "L"],
        metavar="SCALE",
        help="S (100k tickets), M (1M), L (10M) or a number of tickets (default: S M L)",
    )
    parser.add_argument("--seed", type=int, default=7, help="generator seed (default 7)")
    parser.add_argument(
        "--cache-dir",
        default=str(Path("bench") / "cache"),
        help="generated exports and work files (default bench/cache)",
    )
    parser.add_argument(
        "--results",
        default=str(Path("bench") / "results" / "latest.json"),
        help="results file (default bench/results/latest.json)",
    )
    parser.add_argument(
        "--models-only",
        action="store_true",
        help="skip the timed dbt build with tests (build_all_s is then null)",
    )
    parser.add_argument(
        "--no-incremental",
        dest="incremental",
        action="store_false",
        help="skip timing the incremental dbt build after a daily export of 1/365 of the tickets",
    )
    parser.add_argument(
        "--keep-warehouses",
        action="store_true",
        help="keep the built warehouse files in the work folder",
    )
    parser.set_defaults(handler=_cmd_bench)


def _cmd_load(args: argparse.Namespace) -> int:
    # Imported here: the other subcommands do not need the loader.
    from support_kpi.load import (
        LoadError,
        extract_raw,
        load_postgres,
        postgres_connection_params,
    )

    if args.target == "spark":
        from support_kpi.load_spark import load_spark, spark_dir

        where = f"the Spark warehouse in {spark_dir()}"
    else:
        params = postgres_connection_params()
        where = f"{params['user']}@{params['host']}:{params['port']}/{params['dbname']}"
    _status(f"reading the exports in {args.exports}")
    started = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="support_kpi_raw_") as scratch:
            raw_dir = Path(args.raw_dir) if args.raw_dir else Path(scratch)
            extract_raw(args.exports, raw_dir, raw_schema=args.schema)
            _status(f"loading schema {args.schema} of {where}")

            def progress(table: str, rows: int) -> None:
                _status(f"{args.schema}.{table}: {rows:,} rows")

            if args.target == "spark":
                loaded = load_spark(raw_dir, schema=args.schema, progress=progress)
            else:
                loaded = load_postgres(raw_dir, params, schema=args.schema, progress=progress)
    except LoadError as error:
        _status(f"error: {error}")
        return 1
    elapsed = time.perf_counter() - started
    print(
        f"loaded {sum(loaded.values()):,} rows into {len(loaded)} tables of {args.schema} "
        f"in {elapsed:.1f} s",
        flush=True,
    )
    return 0


def _add_load(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "load",
        help="load the exports into the raw tables of another warehouse",
        description=(
            "Read an export folder exactly as the DuckDB build does (dbt run-operation "
            "register_exports on a scratch DuckDB file) and replace the raw tables of the "
            "target warehouse with its rows. PostgreSQL connects with SUPPORT_KPI_PG_HOST, "
            "_PORT, _USER, _PASSWORD and _DBNAME, as the postgres target of profiles.yml; "
            "Spark writes the local warehouse in SUPPORT_KPI_SPARK_DIR (default "
            "target/spark), which the spark target reads. "
            "Exit status 1 when an export cannot be read or the load fails."
        ),
    )
    parser.add_argument("--target", choices=["postgres", "spark"], required=True, help="warehouse")
    parser.add_argument(
        "--exports",
        default=os.environ.get("EXPORTS_PATH") or str(Path("data") / "sample_exports"),
        help="exports folder (default $EXPORTS_PATH or data/sample_exports)",
    )
    parser.add_argument("--schema", default="raw", help="raw schema (default raw, var raw_schema)")
    parser.add_argument(
        "--raw-dir", help="also keep the extracted raw relations here as Parquet files"
    )
    parser.set_defaults(handler=_cmd_load)


# One entry per subcommand: its name and the function that adds its parser.
SUBCOMMANDS: dict[str, Callable[[argparse._SubParsersAction], None]] = {
    "generate": _add_generate,
    "validate": _add_validate,
    "bench": _add_bench,
    "load": _add_load,
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="support-kpi",
        description="Customer-service analytics warehouse tools.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add in SUBCOMMANDS.values():
        add(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
