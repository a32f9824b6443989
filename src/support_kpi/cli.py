"""Command line of the support-kpi package."""

from __future__ import annotations

import argparse
import os
import sys
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


# One entry per subcommand: its name and the function that adds its parser.
SUBCOMMANDS: dict[str, Callable[[argparse._SubParsersAction], None]] = {
    "generate": _add_generate,
    "validate": _add_validate,
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
