"""How a model execution is priced. Cost models come through the
``rocky_cost_model`` hook; the run records ``cost_usd`` per model."""

from __future__ import annotations

from typing import Protocol

from rocky.adapters import ExecResult

__all__ = ["CostModel", "ZeroCost"]


class CostModel(Protocol):
    """Prices one model's executions. Returns None when it cannot know."""

    name: str

    def cost_usd(self, result: ExecResult) -> float | None: ...


class ZeroCost:
    """Engines that bill nothing per query (DuckDB): cost is exactly zero."""

    name = "zero"

    def cost_usd(self, result: ExecResult) -> float | None:
        return 0.0
