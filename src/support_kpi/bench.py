"""Scale benchmark of the warehouse build (`make bench`, `support-kpi bench`).

For each scale (S = 100k, M = 1M, L = 10M tickets, or any ticket count) it
generates Parquet exports once (cached), then measures on the same files:

- ``build_models_s``: ``dbt build --exclude resource_type:test
  resource_type:unit_test`` (the on-run-start hook, seeds and every model; one
  process, so the fixed cost of starting dbt is paid once, as a user pays it)
  on a fresh warehouse file;
- ``reference_s``: ``bench/reference.sql``, one plain DuckDB script computing
  the core ticket KPIs and monthly retention over the same files, in a fresh
  process and a fresh database file (connect, run, close);
- ``build_all_s``: ``dbt build`` (the same plus data and unit tests) on a
  fresh warehouse file again;
- the peak memory (maximum resident set) of each of those processes, the five
  slowest models (``run_results.json`` of the models build), input rows per
  second, and a check that the reference's figures equal the marts' (so the
  two did the same job).

A ``dbt parse`` into the scale's own target folder runs first, untimed, so
both timed builds start from the same partial-parse state; every dbt run of a
scale uses the same warehouse path (the profile renders it, and a changed
profile forces a full parse) and its own ``--target-path`` and
``--log-path`` under the scale's work folder.

Results are printed as a table and merged into ``bench/results/latest.json``
(one object per scale under ``scales``; entries measured on another machine
or other versions are dropped).

``incremental_s``: after the full builds the bench drops a daily export of
about 1/365 of the tickets (new tickets and updates to old ones, see
`write_daily_export`) into the exports folder and times the models build
without ``--full-refresh`` on the built warehouse, then removes those files
again (``--no-incremental`` skips it).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import platform
import re
import shutil
import string
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from support_kpi import generator
from support_kpi.project import dbt_executable, project_dir

SCALES: dict[str, int] = {"S": 100_000, "M": 1_000_000, "L": 10_000_000}
DEFAULT_SEED = 7
EXPORT_FORMAT = "parquet"
# Written last into a generated export folder: a folder without it (or with
# other parameters) is generated again. No data suffix, so that the build
# does not warn about a file it does not read.
MARKER = ".bench-complete"
DAILY_FRACTION = 1 / 365
REFERENCE_TABLES = ("fct_tickets", "service_kpis_monthly", "retention_monthly")
MODELS_ONLY = ["--exclude", "resource_type:test", "resource_type:unit_test"]
SLOWEST = 5

# Figures compared between the reference and the marts (month grain).
SERVICE_FIGURES = (
    "tickets",
    "mean_first_response_minutes",
    "median_first_response_minutes",
    "p90_first_response_minutes",
    "tickets_solved",
    "mean_resolution_minutes",
    "one_touch_resolution_pct",
    "self_service_pct",
    "abandonment_pct",
    "escalation_pct",
    "csat_pct",
    "csat_mean_score",
    "csat_responses",
    "nps",
    "nps_responses",
)
RETENTION_FIGURES = ("customers_start", "customers_new", "customers_end", "retention_rate_pct")

Progress = Callable[[str], None]


class BenchError(RuntimeError):
    """A step of the benchmark failed; the message says which and why."""


@dataclass(frozen=True)
class Scale:
    name: str
    tickets: int


@dataclass(frozen=True)
class Measured:
    """One measured subprocess: wall time, peak memory, exit code, log file."""

    seconds: float
    peak_mib: float
    returncode: int
    log: Path

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace").splitlines()
        return "\n".join(text[-lines:])


def parse_scale(token: str) -> Scale:
    """`S`, `M`, `L` (any case) or a ticket count such as `2000` or `250_000`."""
    name = token.strip()
    if name.upper() in SCALES:
        return Scale(name.upper(), SCALES[name.upper()])
    try:
        tickets = int(name.replace("_", "").replace(",", ""))
    except ValueError:
        raise ValueError(
            f"unknown scale {token!r}: use {', '.join(SCALES)} or a number of tickets"
        ) from None
    if not 1 <= tickets <= generator.MAX_TICKETS:
        raise ValueError(f"tickets must be between 1 and {generator.MAX_TICKETS:,}, not {tickets}")
    return Scale(str(tickets), tickets)


def _dbt_executable() -> str:
    found = dbt_executable()
    if found is None:
        raise BenchError("dbt is not installed (run `make env`)")
    return found


def _mib(value: float) -> float:
    return round(value / 2**20, 1)


def run_measured(
    command: Sequence[str], *, log: Path, env: dict[str, str] | None = None, cwd: Path | None = None
) -> Measured:
    """Run a command with its output in `log`; its wall time and peak RSS.

    The peak is the `ru_maxrss` that `wait4` reports for this child: the
    largest resident set of the process or of any descendant it waited for.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        started = time.perf_counter()
        process = subprocess.Popen(
            list(command), cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT
        )
        try:
            _, status, usage = os.wait4(process.pid, 0)
        except BaseException:
            process.kill()
            process.wait()
            raise
        seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    # Linux reports KiB, macOS bytes.
    peak = usage.ru_maxrss if sys.platform == "darwin" else usage.ru_maxrss * 1024
    return Measured(round(seconds, 3), _mib(peak), process.returncode, log)


# --- exports -----------------------------------------------------------------


def generator_fingerprint() -> str:
    """Hash of the generator's source: a changed generator regenerates the cache."""
    source = Path(generator.__file__).read_bytes()
    return hashlib.sha256(source).hexdigest()[:16]


def export_dir(cache_dir: Path, scale: Scale, seed: int) -> Path:
    return cache_dir / "exports" / f"{scale.name}-seed{seed}"


def _marker_content(scale: Scale, seed: int) -> dict[str, object]:
    return {
        "format": EXPORT_FORMAT,
        "generator": generator_fingerprint(),
        "seed": seed,
        "tickets": scale.tickets,
    }


def ensure_exports(
    cache_dir: Path, scale: Scale, seed: int = DEFAULT_SEED, progress: Progress | None = None
) -> tuple[Path, float | None]:
    """The scale's export folder, generated unless a complete one is cached.

    Returns the folder and the generation time (None when it was cached).
    """
    say = progress or (lambda _message: None)
    folder = export_dir(cache_dir, scale, seed)
    marker = folder / MARKER
    expected = _marker_content(scale, seed)
    if marker.is_file():
        try:
            found = json.loads(marker.read_text(encoding="utf-8"))
        except ValueError:
            found = None
        if isinstance(found, dict) and {k: found.get(k) for k in expected} == expected:
            return folder, None
        say(f"cached exports in {folder} are stale (other parameters or generator): regenerating")
    elif folder.exists():
        say(f"{folder} holds no complete export (interrupted?): regenerating")
    if folder.exists():
        shutil.rmtree(folder)
    say(f"generating {scale.tickets:,} tickets (seed {seed}, {EXPORT_FORMAT}) into {folder}")
    started = time.perf_counter()
    counts = generator.generate(
        folder,
        scale.tickets,
        seed=seed,
        fmt=EXPORT_FORMAT,
        progress=lambda entity, rows, seconds: say(f"  {entity}: {rows:,} rows in {seconds:.1f} s"),
    )
    seconds = round(time.perf_counter() - started, 3)
    marker.write_text(
        json.dumps({**expected, "rows": counts, "generate_s": seconds}, indent=2, sort_keys=True)
        + "\n",
        encoding="utf-8",
    )
    return folder, seconds


def _entity_of(file_name: str) -> str:
    return re.sub(r"(_export.*)?\.parquet$", "", file_name.lower())


def input_stats(exports: Path) -> dict[str, object]:
    """Rows per entity from the Parquet footers, file count and size."""
    files = sorted(exports.glob("*.parquet"))
    if not files:
        raise BenchError(f"no Parquet files in {exports}")
    con = duckdb.connect()
    try:
        rows = con.execute(
            "select file_name, num_rows from parquet_file_metadata(?)",
            [[str(path) for path in files]],
        ).fetchall()
    finally:
        con.close()
    per_entity: dict[str, int] = {}
    for file_name, num_rows in rows:
        entity = _entity_of(Path(file_name).name)
        per_entity[entity] = per_entity.get(entity, 0) + int(num_rows)
    return {
        "input_rows": sum(per_entity.values()),
        "input_rows_by_entity": dict(sorted(per_entity.items())),
        "input_files": len(files),
        "input_mib": _mib(sum(path.stat().st_size for path in files)),
    }


# --- the reference script ----------------------------------------------------


def reference_sql(exports: Path, seeds: Path, script: Path | None = None) -> str:
    """bench/reference.sql with the exports and seeds folders filled in."""
    path = script or project_dir() / "bench" / "reference.sql"
    template = string.Template(path.read_text(encoding="utf-8"))

    def literal(folder: Path) -> str:
        return str(folder.resolve()).replace("'", "''")

    return template.substitute(exports=literal(exports), seeds=literal(seeds))


def run_reference_inline(sql: str, database: Path) -> dict[str, object]:
    """Run the reference in this process; time from connect to close.

    Called in a child process by `run_reference`, so that its memory is its
    own and the time excludes starting Python and importing DuckDB.
    """
    for stale in (database, database.with_name(database.name + ".wal")):
        stale.unlink(missing_ok=True)
    started = time.perf_counter()
    con = duckdb.connect(str(database))
    con.execute(sql).fetchall()
    con.close()
    seconds = time.perf_counter() - started
    con = duckdb.connect(str(database), read_only=True)
    try:
        rows = {
            table: int(con.execute(f"select count(*) from {table}").fetchone()[0])
            for table in REFERENCE_TABLES
        }
    finally:
        con.close()
    return {"seconds": round(seconds, 3), "rows": rows}


def run_reference(
    exports: Path, database: Path, log: Path, *, project: Path | None = None
) -> tuple[Measured, dict[str, object]]:
    """The reference script in a fresh process and a fresh database file."""
    project = project or project_dir()
    script = database.with_suffix(".sql")
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(
        reference_sql(exports, project / "seeds", project / "bench" / "reference.sql")
    )
    measured = run_measured(
        [sys.executable, "-m", "support_kpi.bench", "reference", str(script), str(database)],
        log=log,
    )
    if measured.returncode != 0:
        raise BenchError(f"the reference script failed:\n{measured.tail()}")
    lines = [line for line in log.read_text(encoding="utf-8").splitlines() if line.startswith("{")]
    if not lines:
        raise BenchError(f"the reference script printed no result:\n{measured.tail()}")
    return measured, json.loads(lines[-1])


# --- dbt ---------------------------------------------------------------------


def _dbt_env(exports: Path, warehouse: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "EXPORTS_PATH": str(exports.resolve()),
        "WAREHOUSE_PATH": str(warehouse.resolve()),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        "DBT_VERSION_CHECK": "False",
    }
    # The same salt for every run and no warning about the public one.
    env.setdefault("SUPPORT_KPI_SALT", "support-kpi-bench-salt")
    env.pop("AS_OF", None)
    return env


def run_dbt(
    arguments: Sequence[str],
    *,
    exports: Path,
    warehouse: Path,
    work: Path,
    log_name: str,
    project: Path | None = None,
    fresh: bool = True,
) -> Measured:
    """A measured dbt command on `warehouse` (deleted first when `fresh`)."""
    project = project or project_dir()
    if fresh:
        for stale in (warehouse, warehouse.with_name(warehouse.name + ".wal")):
            stale.unlink(missing_ok=True)
    command = [
        _dbt_executable(),
        *arguments,
        "--project-dir",
        str(project),
        "--profiles-dir",
        str(project),
        "--target-path",
        str(work / "target"),
        "--log-path",
        str(work / "logs"),
    ]
    return run_measured(
        command, log=work / f"{log_name}.log", env=_dbt_env(exports, warehouse), cwd=project
    )


def node_timings(run_results: Path) -> dict[str, dict[str, float]]:
    """Execution seconds per node of a run_results.json, by resource type."""
    results = json.loads(run_results.read_text(encoding="utf-8"))["results"]
    timings: dict[str, dict[str, float]] = {}
    for result in results:
        resource_type, _, name = result["unique_id"].partition(".")
        name = name.split(".", 1)[-1]
        timings.setdefault(resource_type, {})[name] = float(result.get("execution_time") or 0)
    return timings


def slowest_models(run_results: Path, count: int = SLOWEST) -> list[dict[str, object]]:
    models = node_timings(run_results).get("model", {})
    ranked = sorted(models.items(), key=lambda item: (-item[1], item[0]))[:count]
    return [{"model": name, "seconds": round(seconds, 3)} for name, seconds in ranked]


# --- reference against the marts --------------------------------------------


def _same(left: object, right: object) -> bool:
    if left is None or right is None:
        return left is None and right is None
    a, b = float(left), float(right)  # type: ignore[arg-type]
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def compare_with_marts(reference: Path, warehouse: Path) -> dict[str, object]:
    """Compare the reference's tables with the marts of a built warehouse.

    Returns the figures compared and the mismatches per figure; `ok` when the
    ticket counts, every monthly service figure (per channel and 'all', for
    every month with an event) and every monthly retention figure agree.
    """
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        con.execute(f"attach '{str(reference).replace(chr(39), chr(39) * 2)}' as ref (read_only)")
        mart_tickets = con.execute("select count(*) from main.fct_tickets").fetchone()[0]
        ref_tickets = con.execute("select count(*) from ref.fct_tickets").fetchone()[0]
        figures = ", ".join(SERVICE_FIGURES)
        service = con.execute(
            f"""
            with mart as (
                select period_start, channel, {figures}
                from main.service_kpis
                where period_grain = 'month'
                    and (tickets > 0 or tickets_solved > 0 or csat_responses > 0
                        or nps_responses > 0)
            )
            select
                coalesce(mart.period_start, r.period_start),
                coalesce(mart.channel, r.channel),
                mart.tickets is not null,
                r.tickets is not null,
                {", ".join(f"mart.{f}, r.{f}" for f in SERVICE_FIGURES)}
            from mart
            full outer join ref.service_kpis_monthly as r
                on mart.period_start = r.period_start and mart.channel = r.channel
            """
        ).fetchall()
        figures = ", ".join(RETENTION_FIGURES)
        retention = con.execute(
            f"""
            with mart as (
                select period_start, {figures}
                from main.retention
                where period_grain = 'month'
            )
            select
                coalesce(mart.period_start, r.period_start),
                '',
                mart.customers_start is not null,
                r.customers_start is not null,
                {", ".join(f"mart.{f}, r.{f}" for f in RETENTION_FIGURES)}
            from mart
            full outer join ref.retention_monthly as r
                on mart.period_start = r.period_start
            """
        ).fetchall()
    finally:
        con.close()

    def check(rows: list[tuple], names: Sequence[str]) -> dict[str, object]:
        mismatches: dict[str, int] = {}
        examples: list[str] = []
        unmatched = 0
        for row in rows:
            period, channel, in_mart, in_ref = row[:4]
            if not (in_mart and in_ref):
                unmatched += 1
                if len(examples) < 5:
                    side = "marts" if in_mart else "reference"
                    examples.append(f"{period} {channel}: only in the {side}")
                continue
            values = row[4:]
            for i, name in enumerate(names):
                if not _same(values[2 * i], values[2 * i + 1]):
                    mismatches[name] = mismatches.get(name, 0) + 1
                    if len(examples) < 5:
                        examples.append(
                            f"{period} {channel} {name}: marts {values[2 * i]!r}, "
                            f"reference {values[2 * i + 1]!r}"
                        )
        return {
            "rows": len(rows),
            "unmatched_rows": unmatched,
            "mismatches": dict(sorted(mismatches.items())),
            "examples": examples,
        }

    service_check = check(service, SERVICE_FIGURES)
    retention_check = check(retention, RETENTION_FIGURES)
    compared = sum(
        (part["rows"] - part["unmatched_rows"]) * len(names)  # type: ignore[operator]
        for part, names in ((service_check, SERVICE_FIGURES), (retention_check, RETENTION_FIGURES))
    )
    ok = (
        mart_tickets == ref_tickets
        and all(not part["unmatched_rows"] for part in (service_check, retention_check))
        and all(not part["mismatches"] for part in (service_check, retention_check))
    )
    return {
        "ok": ok,
        "figures_compared": compared,
        "fct_tickets": {"marts": int(mart_tickets), "reference": int(ref_tickets)},
        "service_kpis_month": service_check,
        "retention_month": retention_check,
    }


# --- incremental loads -------------------------------------------------------


def write_daily_export(
    exports: Path, out: Path, fraction: float = DAILY_FRACTION
) -> dict[str, int]:
    """A copy of `exports` plus one day's export of about `fraction` of the tickets.

    `out` gets hard links (or copies) of the files of `exports` and, named so
    that they sort after them, ``<entity>_export_daily_<date>.parquet`` files
    for the day after the latest timestamp of the exports:

    - new tickets: the latest ``round(fraction x tickets)`` tickets moved one
      day on under new ids (``<id>-D``), with their messages and survey
      responses (new ids as well);
    - updates to old tickets: up to half as many tickets still open at the
      end of the exports, exported again solved an hour into the new day, each
      with the agent's reply that solved it;
    - new orders: the latest ``round(fraction x orders)`` orders moved one
      day on under new ids.

    Returns the rows written per daily file.
    """
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for path in sorted(exports.glob("*.parquet")):
        try:
            os.link(path, out / path.name)
        except OSError:
            shutil.copy2(path, out / path.name)

    def files(entity: str) -> str:
        return f"read_parquet('{exports.resolve()}/{entity}*.parquet', union_by_name = true)"

    con = duckdb.connect()
    try:
        con.execute("set timezone = 'UTC'").fetchall()
        as_of = con.execute(
            f"""
            select max(t) from (
                select max(updated_at) as t from {files("tickets")}
                union all select max(created_at) from {files("ticket_messages")}
                union all select max(responded_at) from {files("surveys")}
                union all select max(created_at) from {files("orders")}
            )
            """
        ).fetchone()[0]
        day = as_of.astimezone(UTC).date() + timedelta(days=1)
        tickets = con.execute(f"select count(distinct ticket_id) from {files('tickets')}")
        new_tickets = max(1, round(tickets.fetchone()[0] * fraction))
        orders = con.execute(f"select count(*) from {files('orders')}").fetchone()[0]
        new_orders = max(1, round(orders * fraction))
        con.execute(
            f"""
            create table latest as
            select * from {files("tickets")}
            qualify row_number() over (partition by ticket_id order by updated_at desc) = 1
            """
        ).fetchall()
        con.execute(
            f"""
            create table moved as
            select ticket_id from latest order by created_at desc, ticket_id desc
            limit {new_tickets}
            """
        ).fetchall()
        con.execute(
            f"""
            create table updated as
            select latest.*
            from latest
            where latest.solved_at is null
                and lower(trim(latest.status))
                not in ('solved', 'closed', 'решен', 'решён', 'закрыт')
                and latest.ticket_id not in (select moved.ticket_id from moved)
            order by ticket_id
            limit {max(1, new_tickets // 2)}
            """
        ).fetchall()
        shift = "interval 1 day"
        solve_at = f"timestamptz '{as_of.isoformat()}' + interval 1 hour"
        selects = {
            "tickets": f"""
                select
                    latest.* replace (
                        latest.ticket_id || '-D' as ticket_id,
                        latest.created_at + {shift} as created_at,
                        latest.updated_at + {shift} as updated_at,
                        latest.solved_at + {shift} as solved_at
                    )
                from latest
                semi join moved on moved.ticket_id = latest.ticket_id
                union all by name
                select
                    updated.* replace (
                        {solve_at} as updated_at,
                        'solved' as status,
                        {solve_at} as solved_at
                    )
                from updated
                order by ticket_id
            """,
            "ticket_messages": f"""
                select
                    messages.* replace (
                        messages.message_id || '-D' as message_id,
                        messages.ticket_id || '-D' as ticket_id,
                        messages.created_at + {shift} as created_at
                    )
                from (
                    select * from {files("ticket_messages")}
                    qualify row_number() over (partition by message_id order by created_at) = 1
                ) as messages
                semi join moved on moved.ticket_id = messages.ticket_id
                union all by name
                select
                    updated.ticket_id || '-R' as message_id,
                    updated.ticket_id,
                    {solve_at} - interval 5 minute as created_at,
                    'agent' as author_role,
                    true as is_public
                from updated
                order by message_id
            """,
            "surveys": f"""
                select
                    surveys.* replace (
                        surveys.response_id || '-D' as response_id,
                        surveys.ticket_id || '-D' as ticket_id,
                        surveys.responded_at + {shift} as responded_at
                    )
                from {files("surveys")} as surveys
                semi join moved on moved.ticket_id = surveys.ticket_id
                order by response_id
            """,
            "orders": f"""
                select
                    orders.* replace (
                        orders.order_id || '-D' as order_id,
                        orders.created_at + {shift} as created_at,
                        orders.cancelled_at + {shift} as cancelled_at
                    )
                from {files("orders")} as orders
                order by orders.created_at desc, orders.order_id desc
                limit {new_orders}
            """,
        }
        written: dict[str, int] = {}
        stamp = day.isoformat().replace("-", "")
        for entity, select in selects.items():
            target = out / f"{entity}_export_daily_{stamp}.parquet"
            result = con.execute(
                f"copy ({select}) to '{target}' (format parquet, compression snappy)"
            ).fetchall()
            written[target.name] = int(result[0][0]) if result else 0
        return written
    finally:
        con.close()


def measure_incremental(
    exports: Path, warehouse: Path, work: Path, project: Path | None = None
) -> dict[str, object]:
    """Time the daily incremental `dbt build` (models) on a built warehouse.

    `warehouse` was built from `exports`. One day's export files
    (`write_daily_export`) are put into `exports` itself, as a user drops
    each day's files beside the earlier ones, so the warehouse sees the same
    paths and reads only the new files; they are removed again afterwards,
    leaving the cached exports as they were.
    """
    scratch = exports.with_name(exports.name + "-daily")
    written = write_daily_export(exports, scratch)
    added = [exports / name for name in written]
    try:
        for name in written:
            shutil.move(scratch / name, exports / name)
        shutil.rmtree(scratch, ignore_errors=True)
        arguments = {
            "exports": exports,
            "warehouse": warehouse,
            "work": work,
            "project": project,
            "fresh": False,
        }
        measured = run_dbt(["build", *MODELS_ONLY], log_name="dbt_incremental", **arguments)  # type: ignore[arg-type]
        if measured.returncode != 0:
            raise BenchError(f"the incremental dbt build failed:\n{measured.tail()}")
    finally:
        for path in added:
            path.unlink(missing_ok=True)
    return {
        "incremental_s": measured.seconds,
        "incremental_peak_mib": measured.peak_mib,
        "daily_rows": written,
    }


def logged_threads(log: Path) -> int | None:
    """The number of models dbt built at once, from its "Concurrency" line."""
    found = re.search(r"Concurrency: (\d+) threads", log.read_text(encoding="utf-8"))
    return int(found.group(1)) if found else None


# --- one scale ---------------------------------------------------------------


def bench_scale(
    scale: Scale,
    *,
    cache_dir: Path,
    seed: int = DEFAULT_SEED,
    with_tests: bool = True,
    incremental: bool = False,
    keep_warehouses: bool = False,
    progress: Progress | None = None,
    project: Path | None = None,
) -> dict[str, object]:
    """Measure one scale; the result object written to latest.json.

    `with_tests=False` skips the timed `dbt build` of everything (its fields
    are then null): the quick mode of the pytest suite.
    """
    project = project or project_dir()
    say = progress or (lambda _message: None)

    def step(message: str) -> None:
        say(f"[{scale.name}] {message}")

    exports, generate_s = ensure_exports(cache_dir, scale, seed, step)
    for stray in exports.glob("*_export_daily_*"):
        stray.unlink()  # left by an interrupted incremental measurement
    stats = input_stats(exports)
    step(
        ("generated" if generate_s is not None else "cached")
        + f" exports {exports}: {stats['input_rows']:,} rows in {stats['input_files']} files, "
        f"{stats['input_mib']:,} MiB"
    )
    work = cache_dir / "work" / scale.name
    work.mkdir(parents=True, exist_ok=True)
    # One warehouse path for every dbt run: the profile renders it, and a
    # changed profile would make dbt parse the project again from scratch.
    warehouse = work / "warehouse.duckdb"
    reference_db = work / "reference.duckdb"
    run_results = work / "target" / "run_results.json"
    failures: list[str] = []

    def dbt(arguments: list[str], log_name: str, fresh: bool = True) -> Measured:
        return run_dbt(
            arguments,
            exports=exports,
            warehouse=warehouse,
            work=work,
            log_name=log_name,
            project=project,
            fresh=fresh,
        )

    step("dbt parse (warm-up, untimed) ...")
    parsed = dbt(["parse"], "dbt_parse")
    if parsed.returncode != 0:
        raise BenchError(f"dbt parse failed:\n{parsed.tail()}")

    step("dbt build, models and seeds (no tests), fresh warehouse ...")
    models = dbt(["build", *MODELS_ONLY], "dbt_build_models")
    if models.returncode != 0:
        raise BenchError(f"dbt build (models) failed, log {models.log}:\n{models.tail()}")
    models_timings = node_timings(run_results)
    slowest = slowest_models(run_results)
    step(f"  {models.seconds:.2f} s, peak {models.peak_mib:,.0f} MiB")

    step("reference script (bench/reference.sql), fresh database ...")
    reference, reference_result = run_reference(
        exports, reference_db, work / "reference.log", project=project
    )
    reference_s = float(reference_result["seconds"])  # type: ignore[arg-type]
    step(
        f"  {reference_s:.2f} s (process {reference.seconds:.2f} s), "
        f"peak {reference.peak_mib:,.0f} MiB"
    )

    check = compare_with_marts(reference_db, warehouse)
    if check["ok"]:
        step(f"reference = marts: {check['figures_compared']:,} figures compared, all equal")
    else:
        failures.append("the reference's figures differ from the marts'")
        step("reference and marts DIFFER: " + json.dumps(check, default=str))

    everything: Measured | None = None
    all_timings: dict[str, dict[str, float]] = {}
    if with_tests:
        step("dbt build, everything (seeds, models, data and unit tests), fresh warehouse ...")
        everything = dbt(["build"], "dbt_build_all")
        all_timings = node_timings(run_results) if run_results.is_file() else {}
        step(f"  {everything.seconds:.2f} s, peak {everything.peak_mib:,.0f} MiB")
        if everything.returncode != 0:
            failures.append(f"dbt build (everything) failed: see {everything.log}")
            step(f"  FAILED (exit {everything.returncode}):\n{everything.tail(15)}")

    incremental_s: float | None = None
    daily_rows: dict[str, int] | None = None
    if incremental:
        step("incremental: daily export of 1/365 of the tickets, dbt build ...")
        if keep_warehouses:
            # The daily load changes the warehouse; keep the full build as it was.
            shutil.copy(warehouse, work / "warehouse-full.duckdb")
        result = measure_incremental(exports, warehouse, work, project)
        incremental_s = result["incremental_s"]  # type: ignore[assignment]
        daily_rows = result["daily_rows"]  # type: ignore[assignment]
        step(f"  {incremental_s:.2f} s")

    if not keep_warehouses:
        for path in (warehouse, reference_db):
            path.unlink(missing_ok=True)

    build_models_s = models.seconds
    build_all_s = everything.seconds if everything is not None else None
    input_rows = int(stats["input_rows"])  # type: ignore[call-overload]
    return {
        **stats,
        "tickets": scale.tickets,
        "seed": seed,
        "exports": str(exports),
        "generate_s": generate_s,
        "build_models_s": build_models_s,
        "build_all_s": build_all_s,
        "build_all_ok": None if everything is None else everything.returncode == 0,
        "reference_s": reference_s,
        "reference_process_s": reference.seconds,
        "ratio": round(build_models_s / reference_s, 2),
        "ratio_all": None if build_all_s is None else round(build_all_s / reference_s, 2),
        "peak_mib": models.peak_mib,
        # Models built at once, as dbt logged it, and the memory limit asked
        # for (null: the profile's default).
        "dbt_threads": logged_threads(models.log),
        "duckdb_memory_limit": os.environ.get("SUPPORT_KPI_DUCKDB_MEMORY_LIMIT") or None,
        "build_all_peak_mib": None if everything is None else everything.peak_mib,
        "reference_peak_mib": reference.peak_mib,
        "rows_per_s": round(input_rows / build_models_s),
        "slowest_models": slowest,
        "models": len(models_timings.get("model", {})),
        "seeds": len(models_timings.get("seed", {})),
        "data_tests": len(all_timings["test"]) if "test" in all_timings else None,
        "unit_tests": len(all_timings["unit_test"]) if "unit_test" in all_timings else None,
        "incremental_s": incremental_s,
        "incremental_pct_of_full_build": (
            None if incremental_s is None else round(100 * incremental_s / build_models_s, 1)
        ),
        "daily_rows": daily_rows,
        "reference_rows": reference_result["rows"],
        "reference_check": check,
        "failures": failures,
        "measured_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


# --- machine, results file, table ------------------------------------------


def machine_info() -> dict[str, object]:
    def version(package: str) -> str | None:
        try:
            return importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            return None

    memory = None
    if hasattr(os, "sysconf"):
        try:
            memory = _mib(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
        except (ValueError, OSError):
            memory = None
    cpu_model = None
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu_model or platform.processor() or None,
        "memory_mib": memory,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": {
            package: version(package)
            for package in ("duckdb", "dbt-core", "dbt-duckdb", "support-kpi")
        },
    }


def write_results(path: Path, scales: dict[str, dict[str, object]]) -> dict[str, object]:
    """Merge the scales into the results file (sorted keys) and return it.

    Scales of an earlier run are kept when it was on the same machine with
    the same versions; otherwise the file starts afresh.
    """
    machine = machine_info()
    merged: dict[str, object] = {}
    if path.is_file():
        try:
            previous = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            previous = {}
        if isinstance(previous, dict) and previous.get("machine") == machine:
            merged.update(previous.get("scales") or {})
    merged.update(scales)
    document = {
        "description": (
            "make bench: wall seconds of dbt build (models and seeds; and everything) and of "
            "bench/reference.sql on the same generated Parquet exports; ratio = build_models_s "
            "/ reference_s; peak_mib = peak RSS of the models build."
        ),
        "machine": machine,
        "scales": merged,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return document


def _format(value: object, digits: int = 2) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def format_table(scales: dict[str, dict[str, object]]) -> str:
    """The results as a text table: one column per scale."""
    rows: list[tuple[str, Callable[[dict[str, object]], object]]] = [
        ("tickets", lambda r: r["tickets"]),
        ("input rows", lambda r: r["input_rows"]),
        ("build_models_s", lambda r: r["build_models_s"]),
        ("build_all_s", lambda r: r["build_all_s"]),
        ("reference_s", lambda r: r["reference_s"]),
        ("ratio (models / reference)", lambda r: r["ratio"]),
        ("ratio (all / reference)", lambda r: r["ratio_all"]),
        ("peak_mib (models)", lambda r: r["peak_mib"]),
        ("peak_mib (all)", lambda r: r["build_all_peak_mib"]),
        ("peak_mib (reference)", lambda r: r["reference_peak_mib"]),
        ("rows/s (models)", lambda r: r["rows_per_s"]),
        ("incremental_s", lambda r: r["incremental_s"]),
        ("reference = marts", lambda r: r["reference_check"]["ok"]),  # type: ignore[index]
        ("dbt threads", lambda r: r.get("dbt_threads")),
        ("DuckDB memory_limit", lambda r: r.get("duckdb_memory_limit")),
    ]
    names = list(scales)
    cells = [
        [label, *(_format(get(scales[name]), 1 if "mib" in label else 2) for name in names)]
        for label, get in rows
    ]
    most = max((len(scales[name]["slowest_models"]) for name in names), default=0)  # type: ignore[arg-type]
    for i in range(most):
        row = [f"slowest model {i + 1}"]
        for name in names:
            slow = scales[name]["slowest_models"]
            row.append(
                f"{slow[i]['model']} {slow[i]['seconds']:.2f} s" if i < len(slow) else ""  # type: ignore[index]
            )
        cells.append(row)
    header = ["scale", *names]
    widths = [max(len(str(row[i])) for row in [header, *cells]) for i in range(len(header))]
    lines = [
        "  ".join(
            cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)
        )
        for row in [header, *cells]
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def run_bench(
    scales: Sequence[Scale],
    *,
    cache_dir: Path,
    results: Path,
    seed: int = DEFAULT_SEED,
    with_tests: bool = True,
    incremental: bool = False,
    keep_warehouses: bool = False,
    progress: Progress | None = None,
) -> dict[str, dict[str, object]]:
    """Measure every scale in order and write the results file."""
    measured: dict[str, dict[str, object]] = {}
    for scale in scales:
        measured[scale.name] = bench_scale(
            scale,
            cache_dir=cache_dir,
            seed=seed,
            with_tests=with_tests,
            incremental=incremental,
            keep_warehouses=keep_warehouses,
            progress=progress,
        )
        # Written after every scale: a long run that fails later keeps these.
        write_results(results, measured)
    return measured


def _reference_child(argv: Sequence[str]) -> int:
    script, database = (Path(value) for value in argv)
    result = run_reference_inline(script.read_text(encoding="utf-8"), database)
    print(json.dumps(result, sort_keys=True), flush=True)
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "reference":
        sys.exit(_reference_child(sys.argv[2:]))
    print("usage: python -m support_kpi.bench reference SCRIPT DATABASE", file=sys.stderr)
    sys.exit(2)
