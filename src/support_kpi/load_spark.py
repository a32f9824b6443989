"""Load the raw export layer into a local Spark warehouse for the ``spark`` target.

The ``spark`` target of ``profiles.yml`` uses dbt-spark's session method: dbt
runs SQL in a local SparkSession inside the dbt process. That session and the
loader here share one warehouse on disk, a folder (``SUPPORT_KPI_SPARK_DIR``,
default ``target/spark``, relative to the working directory) holding

- ``warehouse/``: the tables' Parquet files (``spark.sql.warehouse.dir``);
- ``metastore_db/``: the embedded Derby metastore that names them, which one
  process opens at a time: load first, then run dbt (`load_spark` shuts the
  metastore down when it started the session itself).

`load_spark` copies the Parquet files written by
`support_kpi.load.extract_raw` (the raw relations read by the project's own
DuckDB reader) into Parquet tables of the ``raw`` database, so Spark parses
the same text rows as every other engine. `spark_conf` is the session
configuration; ``server_side_parameters`` of the ``spark`` target repeats it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from support_kpi.load import RAW_FORMAT, RAW_SCHEMA, LoadError

if TYPE_CHECKING:  # PySpark is only needed by the Spark target.
    from pyspark.sql import SparkSession

SPARK_DIR_ENV = "SUPPORT_KPI_SPARK_DIR"
DEFAULT_SPARK_DIR = "target/spark"

# Spark types of the raw relations: text and the row number, as extract_raw writes them.
_SPARK_TYPES = {"string", "bigint"}


def spark_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The folder of the local Spark warehouse, as the ``spark`` target reads it."""
    environ = os.environ if environ is None else environ
    return Path(environ.get(SPARK_DIR_ENV) or DEFAULT_SPARK_DIR)


def spark_conf(work_dir: Path | str | None = None) -> dict[str, str]:
    """Session settings shared by the loader and the ``spark`` target of profiles.yml.

    Keep in step with ``server_side_parameters`` there: the warehouse folder,
    the Derby metastore (its ``derby.log`` too) under ``work_dir``, UTC as the
    session time zone, few shuffle partitions (the data is small and local),
    no web UI or progress bars, and only errors logged.
    """
    folder = str(Path(work_dir) if work_dir is not None else spark_dir())
    return {
        "spark.sql.warehouse.dir": f"{folder}/warehouse",
        "spark.hadoop.javax.jdo.option.ConnectionURL": (
            "jdbc:derby:;databaseName=metastore_db;create=true"
        ),
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={folder}",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": "4",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.log.level": "ERROR",
    }


def spark_session(work_dir: Path | str | None = None) -> SparkSession:
    """A local SparkSession with Hive support on the warehouse of ``work_dir``."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.master("local[*]").appName("support-kpi-load")
    for key, value in spark_conf(work_dir).items():
        builder = builder.config(key, value)
    return builder.enableHiveSupport().getOrCreate()


def load_spark(
    raw_dir: Path | str,
    spark: SparkSession | None = None,
    *,
    work_dir: Path | str | None = None,
    schema: str = RAW_SCHEMA,
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Copy the Parquet files of `extract_raw` into Parquet tables of a Spark database.

    Uses ``spark`` when given; otherwise starts a session on the warehouse of
    ``work_dir`` (default `spark_dir`) and stops it at the end, releasing the
    metastore for the dbt run. Creates the database when missing and replaces
    each table (``<schema>.<file stem>``); columns keep the files' types,
    ``string`` and ``bigint`` for ``_source_row_number``. Returns
    ``{table: rows loaded}``.
    """
    files = sorted(Path(raw_dir).glob(f"*.{RAW_FORMAT}"))
    if not files:
        raise LoadError(f"no .{RAW_FORMAT} files in {raw_dir}: run extract_raw first")
    owns_session = spark is None
    if spark is None:
        folder = Path(work_dir) if work_dir is not None else spark_dir()
        folder.mkdir(parents=True, exist_ok=True)
        try:
            spark = spark_session(folder)
        except Exception as error:  # No Java, no PySpark, a metastore in use, ...
            raise LoadError(
                f"cannot start Spark on {folder} (it needs Java 17, and the metastore"
                f" must not be open in another process): {error}"
            ) from error
    loaded: dict[str, int] = {}
    try:
        spark.sql(f"create database if not exists `{schema}`")
        for path in files:
            name = path.stem
            frame = spark.read.parquet(str(path.resolve()))
            unknown = [
                f"{field.name} {field.dataType.simpleString()}"
                for field in frame.schema.fields
                if field.dataType.simpleString() not in _SPARK_TYPES
            ]
            if unknown:
                raise LoadError(f"{path.name}: unexpected column types {', '.join(unknown)}")
            table = f"`{schema}`.`{name}`"
            spark.sql(f"drop table if exists {table}")
            frame.write.format("parquet").mode("overwrite").saveAsTable(table)
            loaded[name] = spark.table(table).count()
            if progress is not None:
                progress(name, loaded[name])
    except LoadError:
        raise
    except Exception as error:  # Spark's own errors, as one message for the CLI.
        raise LoadError(f"loading {raw_dir} into Spark failed: {error}") from error
    finally:
        if owns_session:
            _release_metastore(spark)
            spark.stop()
    return loaded


def _release_metastore(spark: SparkSession) -> None:
    """Shut the embedded Derby metastore down, so that another process (dbt) can open it.

    Stopping the session alone leaves the database booted, and locked, in
    this process's JVM until it exits. Derby reports a clean shutdown as an
    error, which is ignored.
    """
    # XJ015, "Derby system shutdown", is the success case.
    with contextlib.suppress(Exception):
        spark._jvm.java.sql.DriverManager.getConnection("jdbc:derby:;shutdown=true")
