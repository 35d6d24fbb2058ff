"""The rocky plugin for DuckDB, found through the ``rocky`` entry-point group.

Importing this module is cheap: DuckDB is imported by the factory, the first
time an adapter is built.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rocky.adapters import Adapter, AdapterConfig, AdapterSpec
from rocky.hookspecs import hookimpl
from rocky_duckdb.config import CAPABILITIES, DuckDBConfig

if TYPE_CHECKING:
    from rocky.cost import CostModel
    from rocky.governance import GovernanceAdapter

__all__ = ["SPEC", "rocky_cost_model", "rocky_governance", "rocky_register_adapters"]

TYPE_NAME = "duckdb"


def _factory(config: AdapterConfig, project_dir: Path) -> Adapter:
    from rocky_duckdb.adapter import DuckDBAdapter

    return DuckDBAdapter(config, project_dir=project_dir)


SPEC = AdapterSpec(
    type_name=TYPE_NAME,
    config_model=DuckDBConfig,
    factory=_factory,
    dialect="duckdb",
    capabilities=CAPABILITIES,
    identifier_case="preserve",
    package="rocky-duckdb",
    description="Embedded DuckDB: a database file, or in memory",
)


@hookimpl
def rocky_register_adapters(register: Callable[[AdapterSpec], None]) -> None:
    register(SPEC)


@hookimpl
def rocky_cost_model(adapter: Adapter) -> CostModel | None:
    """DuckDB bills nothing per statement: cost is exactly zero."""
    if adapter.type_name != TYPE_NAME:
        return None
    from rocky.cost import ZeroCost

    return ZeroCost()


@hookimpl
def rocky_governance(adapter: Adapter) -> GovernanceAdapter | None:
    """DuckDB has no grants, tags or masking: no governance model."""
    return None
