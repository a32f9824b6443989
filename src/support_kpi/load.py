"""Load the raw export layer into warehouses other than DuckDB.

On DuckDB the on-run-start hook ``register_exports()`` reads the export files
itself: one view ``raw.<entity>`` per export entity (every canonical column as
text, plus ``_source_file``, ``_source_row_number`` and ``_raw_record``) and
``raw.export_files`` (entity, source_file). Other engines cannot glob and
sniff CSV files the same way, so their raw tables are loaded beforehand, in
two steps:

1. `extract_raw` (engine-neutral) runs the project's own ``dbt run-operation
   register_exports`` against a scratch DuckDB file and writes every raw
   relation to a Parquet file, ``<relation>.parquet``. The files are read,
   matched to entities and mapped to canonical columns by the very macro the
   DuckDB build uses, so every engine parses the same text rows (and a bad
   file stops the load with the same message as the DuckDB build).
2. A loader per engine copies those files into tables of the raw schema:
   `load_postgres` for PostgreSQL. Column types follow the Parquet files:
   text, and bigint for ``_source_row_number``.

``support-kpi load --target postgres --exports DIR`` does both; it reads the
connection from the same environment variables as the ``postgres`` target of
``profiles.yml`` (`postgres_connection_params`).
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

import duckdb

from support_kpi.project import dbt_executable, project_dir

RAW_SCHEMA = "raw"
RAW_FORMAT = "parquet"

# Environment variables of the postgres target (profiles.yml) and their defaults.
POSTGRES_ENV: dict[str, tuple[str, str]] = {
    "host": ("SUPPORT_KPI_PG_HOST", "127.0.0.1"),
    "port": ("SUPPORT_KPI_PG_PORT", "5432"),
    "user": ("SUPPORT_KPI_PG_USER", "support_kpi"),
    "password": ("SUPPORT_KPI_PG_PASSWORD", ""),
    "dbname": ("SUPPORT_KPI_PG_DBNAME", "support_kpi"),
}

# DuckDB column types of the raw relations (text and bigint today) and their
# PostgreSQL types.
_POSTGRES_TYPES = {
    "VARCHAR": "text",
    "BIGINT": "bigint",
    "INTEGER": "integer",
    "DOUBLE": "double precision",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
}


class LoadError(RuntimeError):
    """The exports could not be extracted or loaded; the message says why."""


def _dbt_executable() -> str:
    found = dbt_executable()
    if found is None:
        raise LoadError("dbt is not installed (run `make env`)")
    return found


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def extract_raw(
    exports_dir: Path | str,
    out_dir: Path | str,
    *,
    project: Path | None = None,
    raw_schema: str = RAW_SCHEMA,
) -> dict[str, Path]:
    """Read an export folder as the DuckDB build does and write its raw relations.

    Runs ``dbt run-operation register_exports`` (target ``duckdb``) against a
    scratch DuckDB file, then writes each relation of ``raw_schema`` there
    (``tickets``, ``ticket_messages``, ``ticket_status_changes``,
    ``surveys``, ``orders`` and ``export_files``) to ``out_dir/<name>.parquet``,
    rows in file and row-number order. Columns are text, but
    ``_source_row_number`` (bigint). ``_source_file`` holds the file path as
    the DuckDB build would write it: ``exports_dir`` resolved to an absolute
    path, then ``/<file name>``.

    Returns ``{relation name: parquet path}``. Raises `LoadError` with dbt's
    message when an export cannot be read (an empty file, a missing required
    column, ...). Nothing here depends on the target engine.
    """
    exports = Path(exports_dir).resolve()
    if not exports.is_dir():
        raise LoadError(f"exports folder not found: {exports}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    project = project or project_dir()
    with tempfile.TemporaryDirectory(prefix="support_kpi_extract_") as scratch_name:
        scratch = Path(scratch_name)
        warehouse = scratch / "support_kpi_extract.duckdb"
        env = {
            **os.environ,
            "WAREHOUSE_PATH": str(warehouse),
            "EXPORTS_PATH": str(exports),
            "DBT_PROFILES_DIR": str(project),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
            "DBT_VERSION_CHECK": "False",
        }
        result = subprocess.run(
            [
                _dbt_executable(),
                "run-operation",
                "register_exports",
                "--target",
                "duckdb",
                "--project-dir",
                str(project),
                "--target-path",
                str(scratch / "target"),
                "--log-path",
                str(scratch / "logs"),
                "--vars",
                # A full read: every file, and none of the incremental-load
                # state relations (load_state, load_run) that daily DuckDB
                # loads keep beside the exports.
                json.dumps(
                    {
                        "exports_path": str(exports),
                        "raw_schema": raw_schema,
                        "incremental_loads": False,
                    }
                ),
            ],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise LoadError(
                f"reading the exports in {exports} failed:\n{result.stdout[-4000:]}{result.stderr}"
            )
        written: dict[str, Path] = {}
        with duckdb.connect(str(warehouse), read_only=True) as connection:
            names = [
                row[0]
                for row in connection.execute(
                    "select table_name from information_schema.tables"
                    " where table_schema = ? order by table_name",
                    [raw_schema],
                ).fetchall()
            ]
            if not names:
                raise LoadError(f"register_exports created no relation in schema {raw_schema}")
            for name in names:
                relation = f"{_quote(raw_schema)}.{_quote(name)}"
                columns = [row[0] for row in connection.execute(f"describe {relation}").fetchall()]
                order = [
                    column
                    for column in ("_source_file", "_source_row_number", "entity", "source_file")
                    if column in columns
                ]
                order_by = " order by " + ", ".join(order) if order else ""
                path = out / f"{name}.{RAW_FORMAT}"
                target = str(path).replace("'", "''")
                connection.execute(
                    f"copy (select * from {relation}{order_by}) to '{target}' (format parquet)"
                )
                written[name] = path
    return written


def postgres_connection_params(
    environ: Mapping[str, str] | None = None,
) -> dict[str, str | int]:
    """psycopg2 connection keywords from the variables the postgres profile reads."""
    environ = os.environ if environ is None else environ
    params: dict[str, str | int] = {
        key: environ.get(variable, default) for key, (variable, default) in POSTGRES_ENV.items()
    }
    params["port"] = int(params["port"])
    return params


def load_postgres(
    raw_dir: Path | str,
    connection_params: Mapping[str, str | int] | None = None,
    *,
    schema: str = RAW_SCHEMA,
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Copy the Parquet files of `extract_raw` into tables of a PostgreSQL schema.

    Creates the schema when missing and replaces each table (``drop table if
    exists``, ``create table``, ``COPY ... from stdin`` in CSV), all in one
    transaction: a failed load leaves the previous tables as they were.
    ``connection_params`` are psycopg2 keywords; by default
    `postgres_connection_params`. Returns ``{table: rows loaded}``.
    """
    import psycopg2  # Only the PostgreSQL loader needs the driver.

    files = sorted(Path(raw_dir).glob(f"*.{RAW_FORMAT}"))
    if not files:
        raise LoadError(f"no .{RAW_FORMAT} files in {raw_dir}: run extract_raw first")
    params = dict(connection_params or postgres_connection_params())
    loaded: dict[str, int] = {}
    reader = duckdb.connect()
    try:
        connection = psycopg2.connect(**params)
    except psycopg2.Error as error:
        reader.close()
        raise LoadError(f"cannot connect to PostgreSQL: {error}".strip()) from error
    try:
        with connection, connection.cursor() as cursor, tempfile.TemporaryDirectory() as scratch:
            cursor.execute(f"create schema if not exists {_quote(schema)}")
            for path in files:
                name = path.stem
                source = str(path).replace("'", "''")
                described = reader.execute(f"describe select * from read_parquet('{source}')")
                columns = [(row[0], row[1]) for row in described.fetchall()]
                unknown = [
                    f"{column} {kind}" for column, kind in columns if kind not in _POSTGRES_TYPES
                ]
                if unknown:
                    raise LoadError(f"{path.name}: unexpected column types {', '.join(unknown)}")
                table = f"{_quote(schema)}.{_quote(name)}"
                definition = ", ".join(
                    f"{_quote(column)} {_POSTGRES_TYPES[kind]}" for column, kind in columns
                )
                cursor.execute(f"drop table if exists {table}")
                cursor.execute(f"create table {table} ({definition})")
                # DuckDB writes null as an empty field and the empty string as
                # "", which is how PostgreSQL's CSV COPY reads them.
                csv_path = Path(scratch) / f"{name}.csv"
                target = str(csv_path).replace("'", "''")
                reader.execute(
                    f"copy (select * from read_parquet('{source}')) to '{target}'"
                    " (format csv, header false)"
                )
                column_list = ", ".join(_quote(column) for column, _ in columns)
                with csv_path.open("rb") as handle:
                    cursor.copy_expert(
                        f"copy {table} ({column_list}) from stdin with (format csv)", handle
                    )
                loaded[name] = cursor.rowcount
                cursor.execute(f"analyze {table}")
                if progress is not None:
                    progress(name, loaded[name])
    except psycopg2.Error as error:
        raise LoadError(f"loading {raw_dir} into PostgreSQL failed: {error}".strip()) from error
    finally:
        connection.close()
        reader.close()
    return loaded
