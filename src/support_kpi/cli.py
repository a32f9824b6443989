"""Command line of the support-kpi package."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date

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


# One entry per subcommand: its name and the function that adds its parser.
SUBCOMMANDS: dict[str, Callable[[argparse._SubParsersAction], None]] = {
    "generate": _add_generate,
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
