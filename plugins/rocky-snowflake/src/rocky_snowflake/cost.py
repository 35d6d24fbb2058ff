"""What a statement costs on a Snowflake virtual warehouse.

Snowflake bills compute by warehouse uptime in credits, not by bytes: a
statement is priced as ``duration_ms / 3.6e6 x credits_per_hour x
usd_per_credit``. The credit rate comes from the warehouse size
(Snowflake's published rates for standard warehouses, below) unless
``[adapter.cost] credits_per_hour`` gives it outright (Snowpark-optimized
warehouses, multi-cluster, negotiated rates).

Where the keys come from, first match wins:

- size: ``[adapter.cost] warehouse_size``, then the project's
  ``[cost] warehouse_size`` (default ``Medium``);
- price of a credit: ``[adapter.cost] usd_per_credit``, then the project's
  ``[cost] compute_cost_per_dbu`` (default 0.40).

Bytes scanned and written are not priced (Snowflake does not bill them);
they are recorded beside the cost when query history reports them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from rocky.adapters import ExecResult
from rocky.errors import ConfigError

__all__ = [
    "CREDITS_PER_HOUR",
    "DEFAULT_USD_PER_CREDIT",
    "DEFAULT_WAREHOUSE_SIZE",
    "SnowflakeCostModel",
    "credits_per_hour",
    "size_key",
]

# Credits per hour of a standard warehouse, by size (Snowflake's rate card).
CREDITS_PER_HOUR: Final[Mapping[str, float]] = {
    "xsmall": 1,
    "small": 2,
    "medium": 4,
    "large": 8,
    "xlarge": 16,
    "2xlarge": 32,
    "3xlarge": 64,
    "4xlarge": 128,
    "5xlarge": 256,
    "6xlarge": 512,
}
DEFAULT_WAREHOUSE_SIZE: Final = "Medium"
DEFAULT_USD_PER_CREDIT: Final = 0.40

# Snowflake spells sizes several ways: X-Small, XSMALL, x_small, XXLARGE,
# X2LARGE, 2X-Large. All fold to one key.
_REPEATED_X: Final = re.compile(r"^(x{2,6})large$")
_X_NUMBER: Final = re.compile(r"^x([2-6])large$")


def size_key(size: str) -> str | None:
    """The rate-card key of a warehouse size spelling, or None if unknown."""
    key = re.sub(r"[\s_\-]", "", size).lower()
    if key in ("xs", "xsmall"):
        return "xsmall"
    repeated = _REPEATED_X.match(key)
    if repeated:
        key = f"{len(repeated.group(1))}xlarge"
    numbered = _X_NUMBER.match(key)
    if numbered:
        key = f"{numbered.group(1)}xlarge"
    return key if key in CREDITS_PER_HOUR else None


def credits_per_hour(size: str) -> float:
    """Credits per hour of a warehouse of ``size``; ConfigError if unknown."""
    key = size_key(size)
    if key is None:
        known = "X-Small, Small, Medium, Large, X-Large, 2X-Large ... 6X-Large"
        raise ConfigError(
            f"unknown Snowflake warehouse size '{size}'",
            hint=f"use one of {known}, or set [adapter.cost] credits_per_hour",
        )
    return float(CREDITS_PER_HOUR[key])


@dataclass(frozen=True, slots=True)
class SnowflakeCostModel:
    """Prices statements by their duration on one warehouse."""

    credits_per_hour: float
    usd_per_credit: float
    name = "snowflake_credits"

    def cost_usd(self, result: ExecResult) -> float | None:
        hours = result.duration_ms / 3.6e6
        return hours * self.credits_per_hour * self.usd_per_credit

    @classmethod
    def resolve(
        cls,
        project_cost: Mapping[str, Any],
        *,
        warehouse_size: str | None = None,
        explicit_credits_per_hour: float | None = None,
        usd_per_credit: float | None = None,
    ) -> SnowflakeCostModel:
        """The model for an adapter's ``[adapter.cost]`` keys over the
        project's ``[cost]`` table."""
        if explicit_credits_per_hour is not None:
            rate = explicit_credits_per_hour
        else:
            size = warehouse_size or str(project_cost.get("warehouse_size") or "")
            rate = credits_per_hour(size or DEFAULT_WAREHOUSE_SIZE)
        price = usd_per_credit
        if price is None:
            raw = project_cost.get("compute_cost_per_dbu")
            price = float(raw) if raw is not None else DEFAULT_USD_PER_CREDIT
        return cls(credits_per_hour=rate, usd_per_credit=price)
