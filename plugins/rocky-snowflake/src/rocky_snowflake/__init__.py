"""rocky-snowflake: the Snowflake adapter for rocky.

Importing this package does not import the connector: the adapter module is
loaded on first use (``from rocky_snowflake import SnowflakeAdapter``) or by
the factory the plugin registers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rocky_snowflake.config import CAPABILITIES, SnowflakeConfig, SnowflakeCostSettings

if TYPE_CHECKING:
    from rocky_snowflake.adapter import SnowflakeAdapter
    from rocky_snowflake.governance import SnowflakeGovernance

__version__ = "0.1.0"

__all__ = [
    "CAPABILITIES",
    "SnowflakeAdapter",
    "SnowflakeConfig",
    "SnowflakeCostSettings",
    "SnowflakeGovernance",
    "__version__",
]


def __getattr__(name: str) -> Any:
    if name == "SnowflakeAdapter":
        from rocky_snowflake.adapter import SnowflakeAdapter

        return SnowflakeAdapter
    if name == "SnowflakeGovernance":
        from rocky_snowflake.governance import SnowflakeGovernance

        return SnowflakeGovernance
    raise AttributeError(f"module 'rocky_snowflake' has no attribute {name!r}")
