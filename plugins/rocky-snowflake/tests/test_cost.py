"""Warehouse time priced in credits."""

from __future__ import annotations

import itertools
import math
from typing import Any

import pytest
from rocky_snowflake import SnowflakeAdapter, SnowflakeConfig
from rocky_snowflake.cost import CREDITS_PER_HOUR, SnowflakeCostModel, credits_per_hour, size_key

from rocky.adapters import ExecResult
from rocky.config_sections import CostConfig
from rocky.errors import ConfigError
from rocky.plugins import get_plugin_manager

PROJECT_DEFAULTS = CostConfig().model_dump(mode="json")


@pytest.mark.parametrize(
    ("spelling", "key"),
    [
        ("X-Small", "xsmall"),
        ("XSMALL", "xsmall"),
        ("xs", "xsmall"),
        ("Small", "small"),
        ("medium", "medium"),
        ("X-Large", "xlarge"),
        ("XXLARGE", "2xlarge"),
        ("X2LARGE", "2xlarge"),
        ("2X-Large", "2xlarge"),
        ("XXXLARGE", "3xlarge"),
        ("4x_large", "4xlarge"),
        ("6X-Large", "6xlarge"),
        ("7X-Large", None),
        ("Huge", None),
    ],
)
def test_size_spellings(spelling: str, key: str | None) -> None:
    assert size_key(spelling) == key


def test_rate_card_doubles_with_each_size() -> None:
    rates = list(CREDITS_PER_HOUR.values())
    assert rates[0] == 1 and all(b == 2 * a for a, b in itertools.pairwise(rates))
    assert credits_per_hour("Medium") == 4.0
    with pytest.raises(ConfigError, match="unknown Snowflake warehouse size 'Huge'"):
        credits_per_hour("Huge")


def test_cost_is_duration_times_rate_times_price() -> None:
    model = SnowflakeCostModel(credits_per_hour=8, usd_per_credit=3.0)
    assert model.cost_usd(ExecResult(duration_ms=90_000)) == pytest.approx(90 / 3600 * 8 * 3.0)
    assert model.cost_usd(ExecResult(duration_ms=0)) == 0.0
    # bytes are recorded, not billed
    assert model.cost_usd(ExecResult(duration_ms=1000, bytes_scanned=10**12)) == pytest.approx(
        1 / 3600 * 8 * 3.0
    )


@pytest.mark.parametrize(
    ("project", "adapter_keys", "rate", "price"),
    [
        (PROJECT_DEFAULTS, {}, 4.0, 0.40),
        ({**PROJECT_DEFAULTS, "warehouse_size": "Large"}, {}, 8.0, 0.40),
        ({**PROJECT_DEFAULTS, "compute_cost_per_dbu": 2.5}, {}, 4.0, 2.5),
        (PROJECT_DEFAULTS, {"warehouse_size": "X-Small"}, 1.0, 0.40),
        ({**PROJECT_DEFAULTS, "warehouse_size": "Huge"}, {"warehouse_size": "Small"}, 2.0, 0.40),
        (PROJECT_DEFAULTS, {"warehouse_size": "Small", "credits_per_hour": 12}, 12.0, 0.40),
        ({**PROJECT_DEFAULTS, "compute_cost_per_dbu": 2.5}, {"usd_per_credit": 3.1}, 4.0, 3.1),
        ({}, {}, 4.0, 0.40),
    ],
)
def test_adapter_keys_override_the_project_cost_table(
    project: dict[str, Any], adapter_keys: dict[str, Any], rate: float, price: float
) -> None:
    config = SnowflakeConfig.model_validate(
        {"account": "xy", "username": "u", "password": "pw", "cost": adapter_keys}
    )
    model = get_plugin_manager().hook.rocky_cost_model(
        adapter=SnowflakeAdapter(config), config=project
    )
    assert isinstance(model, SnowflakeCostModel)
    assert (model.credits_per_hour, model.usd_per_credit) == (rate, price)
    assert math.isclose(model.cost_usd(ExecResult(duration_ms=3_600_000)) or 0, rate * price)


def test_an_unknown_project_size_is_a_config_error() -> None:
    config = SnowflakeConfig(account="xy", username="u", password="pw")
    with pytest.raises(ConfigError, match="Gigantic"):
        get_plugin_manager().hook.rocky_cost_model(
            adapter=SnowflakeAdapter(config),
            config={**PROJECT_DEFAULTS, "warehouse_size": "Gigantic"},
        )
