"""Shared fixtures: generated exports and warehouses built from them by dbt."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
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


@pytest.fixture(scope="session")
def generated_exports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated Parquet export folder, other than the bundled CSV sample."""
    out = tmp_path_factory.mktemp("exports") / "parquet"
    generate(out, 1500, seed=11, fmt="parquet")
    return out


@pytest.fixture(scope="session")
def built_warehouse(tmp_path_factory: pytest.TempPathFactory, generated_exports: Path) -> Path:
    """The warehouse built by `dbt build` (models, seeds and data tests)."""
    work_dir = tmp_path_factory.mktemp("build")
    warehouse = work_dir / "warehouse.duckdb"
    result = run_dbt(
        ["build", "--exclude", "test_type:unit"],
        warehouse=warehouse,
        exports=generated_exports,
        work_dir=work_dir,
    )
    assert_ok(result)
    return warehouse


@pytest.fixture()
def warehouse(built_warehouse: Path):
    connection = duckdb.connect(str(built_warehouse), read_only=True)
    yield connection
    connection.close()


def copy_tree(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target
