"""Every model, seed and column that the build creates is described in YAML."""

from __future__ import annotations

import json

from conftest import assert_ok, run_dbt, warehouse_copy


def test_every_model_and_column_is_described(built_warehouse, generated_exports, tmp_path):
    result = run_dbt(
        ["docs", "generate"],
        warehouse=warehouse_copy(built_warehouse, tmp_path),
        exports=generated_exports,
        work_dir=tmp_path,
    )
    assert_ok(result)
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    catalog = json.loads((tmp_path / "target" / "catalog.json").read_text())

    missing = []
    for unique_id, node in manifest["nodes"].items():
        if node["resource_type"] not in ("model", "seed"):
            continue
        if not node["description"].strip():
            missing.append(unique_id)
        built_columns = catalog["nodes"].get(unique_id, {}).get("columns", {})
        assert built_columns, f"{unique_id} was not built"
        documented = {
            name.lower()
            for name, column in node["columns"].items()
            if column["description"].strip()
        }
        missing += [
            f"{unique_id}.{name}" for name in built_columns if name.lower() not in documented
        ]
    assert not missing, "undocumented: " + ", ".join(missing)


def test_mart_descriptions_start_with_their_grain(built_warehouse):
    manifest_path = built_warehouse.parent / "target" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    marts = [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and "/marts/" in node["original_file_path"]
    ]
    assert len(marts) >= 5
    for node in marts:
        assert node["description"].startswith("One row per"), node["name"]
