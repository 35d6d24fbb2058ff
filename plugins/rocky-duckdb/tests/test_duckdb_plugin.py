"""The plugin module: registration, cost model, governance, import cost."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from rocky_duckdb import DuckDBAdapter, DuckDBConfig, plugin

from rocky.adapters import Adapter
from rocky.cost import ZeroCost
from rocky.plugins import get_plugin_manager, get_registry


def test_entry_point_registers_the_spec() -> None:
    spec = get_registry().adapter("duckdb")
    assert spec is plugin.SPEC
    assert get_registry().owners[("adapter", "duckdb")] == "duckdb"
    assert (spec.dialect, spec.identifier_case, spec.package) == (
        "duckdb",
        "preserve",
        "rocky-duckdb",
    )
    assert spec.capabilities == DuckDBAdapter.capabilities


def test_factory_builds_an_unconnected_adapter(tmp_path: Path) -> None:
    spec = get_registry().adapter("duckdb")
    adapter = spec.factory(DuckDBConfig(path="f.duckdb"), tmp_path)
    assert isinstance(adapter, DuckDBAdapter)
    assert not (tmp_path / "f.duckdb").exists()  # nothing opened yet
    with adapter:
        assert adapter.query_rows("SELECT 1") == [(1,)]
    assert (tmp_path / "f.duckdb").is_file()


def test_cost_model_is_zero_for_duckdb_only(tmp_path: Path) -> None:
    hook = get_plugin_manager().hook
    duck = DuckDBAdapter(DuckDBConfig(), project_dir=tmp_path)
    model = hook.rocky_cost_model(adapter=duck, config={})
    assert isinstance(model, ZeroCost)
    assert plugin.rocky_cost_model(duck) is not None

    class Other(DuckDBAdapter):
        type_name = "not-duckdb"

    assert plugin.rocky_cost_model(Other(DuckDBConfig(), project_dir=tmp_path)) is None


def test_no_governance_model(tmp_path: Path) -> None:
    adapter: Adapter = DuckDBAdapter(DuckDBConfig(), project_dir=tmp_path)
    assert get_plugin_manager().hook.rocky_governance(adapter=adapter) is None


def test_plugin_import_is_cheap() -> None:
    code = (
        "import sys, rocky_duckdb.plugin\n"
        "heavy = sorted(m for m in ('duckdb', 'pyarrow', 'sqlglot') if m in sys.modules)\n"
        "print(','.join(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
