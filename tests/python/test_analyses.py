"""Every analyst question in analyses/ is documented, compiles with dbt and runs."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from conftest import PROJECT_DIR, assert_ok, run_dbt, warehouse_copy

ANALYSES = sorted(path.stem for path in (PROJECT_DIR / "analyses").glob("*.sql"))


@pytest.fixture(scope="module")
def compiled_analyses(
    built_warehouse: Path, generated_exports: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The target folder of `dbt compile` of every analysis against the built warehouse."""
    work_dir = tmp_path_factory.mktemp("analyses")
    result = run_dbt(
        ["compile", "--select", "resource_type:analysis"],
        warehouse=warehouse_copy(built_warehouse, work_dir),
        exports=generated_exports,
        work_dir=work_dir,
    )
    assert_ok(result)
    return work_dir / "target"


def test_at_least_five_documented_analyses(compiled_analyses):
    assert len(ANALYSES) >= 5
    manifest = json.loads((compiled_analyses / "manifest.json").read_text())
    described = {
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "analysis" and node["description"].strip()
    }
    assert set(ANALYSES) <= described, set(ANALYSES) - described


@pytest.mark.parametrize("name", ANALYSES)
def test_analysis_runs_and_returns_rows(name, compiled_analyses, built_warehouse):
    compiled = compiled_analyses / "compiled" / "support_kpi" / "analyses" / f"{name}.sql"
    connection = duckdb.connect(str(built_warehouse), read_only=True)
    try:
        rows = connection.execute(compiled.read_text()).fetchall()
    finally:
        connection.close()
    assert rows, f"{name} returned no rows"
