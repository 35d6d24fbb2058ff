"""docs/adapters/snowflake.md names every key, capability and strategy column key."""

from __future__ import annotations

from pathlib import Path

from rocky_snowflake import CAPABILITIES, SnowflakeConfig, SnowflakeCostSettings
from rocky_snowflake.governance_sql import MASK_STRATEGIES, PRIVILEGES

DOC = Path(__file__).resolve().parents[3] / "docs" / "adapters" / "snowflake.md"


def test_every_config_key_is_documented() -> None:
    text = DOC.read_text()
    keys = set(SnowflakeConfig.model_fields) | set(SnowflakeCostSettings.model_fields)
    missing = sorted(k for k in keys - {"extra", "kind", "retry"} if f"`{k}`" not in text)
    assert not missing, f"undocumented keys: {missing}"


def test_capabilities_privileges_and_strategies_are_documented() -> None:
    text = DOC.read_text()
    for capability in CAPABILITIES:
        assert f"`{capability.value}`" in text
    for privileges in PRIVILEGES.values():
        for privilege in privileges:
            assert f"`{privilege}`" in text, privilege
    for strategy in MASK_STRATEGIES:
        assert f"`{strategy}`" in text, strategy
