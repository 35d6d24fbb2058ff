"""The rocky plugin for Snowflake, found through the ``rocky`` entry-point group.

Importing this module is cheap: the connector is imported by the factory,
the first time an adapter is built.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rocky.adapters import Adapter, AdapterConfig, AdapterSpec
from rocky.hookspecs import hookimpl
from rocky_snowflake.config import CAPABILITIES, SnowflakeConfig

if TYPE_CHECKING:
    from rocky.cost import CostModel
    from rocky.governance import GovernanceAdapter

__all__ = ["SPEC", "rocky_cost_model", "rocky_governance", "rocky_register_adapters"]

TYPE_NAME = "snowflake"


def _factory(config: AdapterConfig, project_dir: Path) -> Adapter:
    from rocky_snowflake.adapter import SnowflakeAdapter

    return SnowflakeAdapter(config, project_dir=project_dir)


SPEC = AdapterSpec(
    type_name=TYPE_NAME,
    config_model=SnowflakeConfig,
    factory=_factory,
    dialect="snowflake",
    capabilities=CAPABILITIES,
    identifier_case="upper",
    package="rocky-snowflake",
    description="Snowflake, through snowflake-connector-python",
)


@hookimpl
def rocky_register_adapters(register: Callable[[AdapterSpec], None]) -> None:
    register(SPEC)


@hookimpl
def rocky_cost_model(adapter: Adapter, config: dict[str, Any]) -> CostModel | None:
    """Warehouse time in credits: ``duration x credits/hour x USD/credit``."""
    if adapter.type_name != TYPE_NAME or not isinstance(adapter.config, SnowflakeConfig):
        return None
    from rocky_snowflake.cost import SnowflakeCostModel

    keys = adapter.config.cost
    return SnowflakeCostModel.resolve(
        config,
        warehouse_size=keys.warehouse_size,
        explicit_credits_per_hour=keys.credits_per_hour,
        usd_per_credit=keys.usd_per_credit,
    )


@hookimpl
def rocky_governance(adapter: Adapter) -> GovernanceAdapter | None:
    """Grants, tags and masking policies for a Snowflake adapter."""
    if adapter.type_name != TYPE_NAME:
        return None
    from rocky_snowflake.adapter import SnowflakeAdapter
    from rocky_snowflake.governance import SnowflakeGovernance

    if not isinstance(adapter, SnowflakeAdapter):
        return None
    return SnowflakeGovernance(adapter)
