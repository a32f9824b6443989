"""Shared fixtures: generated exports and warehouses built from them by dbt."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest

from support_kpi.generator import generate

PROJECT_DIR = Path(__file__).resolve().parents[2]
DBT = Path(sys.executable).with_name("dbt")
# Every mart but rejected_rows, whose raw record keeps the input as it came.
MARTS = sorted(
    path.stem
    for path in (PROJECT_DIR / "models" / "marts").rglob("*.sql")
    if path.stem != "rejected_rows"
)


def run_dbt(
    command: list[str],
    *,
    warehouse: Path | None,
    exports: Path,
    work_dir: Path,
    extra_vars: dict[str, object] | None = None,
    target: str | None = None,
    extra_env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run dbt on an exports folder with its own target and log paths: against a
    DuckDB warehouse file, or another `target` of profiles.yml configured by
    `extra_env`."""
    variables = {"exports_path": str(exports), **(extra_vars or {})}
    env = {
        **os.environ,
        **(extra_env or {}),
        "DBT_PROFILES_DIR": str(PROJECT_DIR),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        "DBT_VERSION_CHECK": "False",
    }
    if warehouse is not None:
        env["WAREHOUSE_PATH"] = str(warehouse)
    env.pop("EXPORTS_PATH", None)
    env.pop("AS_OF", None)
    return subprocess.run(
        [
            str(DBT),
            *command,
            *(["--target", target] if target else []),
            "--project-dir",
            str(PROJECT_DIR),
            "--target-path",
            str(work_dir / "target"),
            "--log-path",
            str(work_dir / "logs"),
            "--vars",
            repr(variables).replace("'", '"'),
        ],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def assert_ok(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]


@contextmanager
def _exclusive(lock_file: Path) -> Iterator[None]:
    with lock_file.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def made_once_per_run(
    tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[Path], None]
) -> Path:
    """A folder that `make` fills once per test run. Under pytest-xdist, the first
    worker to ask makes it in the run's shared temporary folder while holding a
    lock; the others wait for it and reuse it. A folder left unfinished (its
    maker failed) is made again by the next worker to ask."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        folder = tmp_path_factory.mktemp(name)
        make(folder)
        return folder
    shared = tmp_path_factory.getbasetemp().parent
    folder = shared / name
    finished = shared / f"{name}.finished"
    with _exclusive(shared / f"{name}.lock"):
        if not finished.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            make(folder)
            finished.touch()
    return folder


@pytest.fixture(scope="session")
def generated_exports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated Parquet export folder, other than the bundled CSV sample."""
    folder = made_once_per_run(
        tmp_path_factory,
        "exports",
        lambda folder: generate(folder / "parquet", 1500, seed=11, fmt="parquet"),
    )
    return folder / "parquet"


@pytest.fixture(scope="session")
def built_warehouse(tmp_path_factory: pytest.TempPathFactory, generated_exports: Path) -> Path:
    """The warehouse built by `dbt build` (models, seeds and data tests), once per
    test run. Tests only read it: one that runs dbt against it works on a copy
    (`warehouse_copy`), since dbt opens the file for writing and DuckDB then
    refuses the readers in other workers."""

    def build(work_dir: Path) -> None:
        assert_ok(
            run_dbt(
                ["build", "--exclude", "test_type:unit"],
                warehouse=work_dir / "warehouse.duckdb",
                exports=generated_exports,
                work_dir=work_dir,
            )
        )

    return made_once_per_run(tmp_path_factory, "build", build) / "warehouse.duckdb"


def warehouse_copy(built_warehouse: Path, folder: Path) -> Path:
    """A copy of the built warehouse in `folder`, for dbt to open."""
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copyfile(built_warehouse, folder / built_warehouse.name))


@pytest.fixture()
def warehouse(built_warehouse: Path):
    connection = duckdb.connect(str(built_warehouse), read_only=True)
    yield connection
    connection.close()
