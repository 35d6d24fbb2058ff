"""Materialization strategy configurations (``[strategy] type = ...``).

Each strategy is a :class:`StrategySpec` registered through the
``rocky_register_strategies`` hook; the built-in ones are registered by
``rocky.builtins``. The loader validates a sidecar's ``[strategy]`` table
with the registered ``config_model`` (unknown keys rejected); the runner
asks the spec's ``materializer`` for the statements.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator

__all__ = [
    "BUILTIN_STRATEGIES",
    "ContentAddressed",
    "DeleteInsert",
    "DynamicTable",
    "Ephemeral",
    "FullRefresh",
    "Incremental",
    "MaterializedView",
    "Merge",
    "Microbatch",
    "StrategyConfig",
    "StrategySpec",
    "TimeInterval",
    "View",
]


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


class StrategyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    type: str


# A project uses a few of the built-in strategies: each one's validator is
# built when a model first names it, not by every command at import.
_ON_FIRST_USE = ConfigDict(defer_build=True)


class FullRefresh(StrategyConfig):
    model_config = _ON_FIRST_USE
    type: Literal["full_refresh"] = "full_refresh"


class Ephemeral(StrategyConfig):
    model_config = _ON_FIRST_USE
    type: Literal["ephemeral"] = "ephemeral"


class View(StrategyConfig):
    model_config = _ON_FIRST_USE
    type: Literal["view"] = "view"


class MaterializedView(StrategyConfig):
    model_config = _ON_FIRST_USE
    type: Literal["materialized_view"] = "materialized_view"


class Incremental(StrategyConfig):
    model_config = _ON_FIRST_USE
    type: Literal["incremental"] = "incremental"
    timestamp_column: str


class Merge(StrategyConfig):
    model_config = _ON_FIRST_USE
    type: Literal["merge"] = "merge"
    unique_key: list[str]
    update_columns: list[str] | None = None

    _norm_key = field_validator("unique_key", mode="before")(_as_list)


class TimeInterval(StrategyConfig):
    model_config = _ON_FIRST_USE
    type: Literal["time_interval"] = "time_interval"
    time_column: str
    granularity: Literal["hour", "day", "month", "year"]
    lookback: int = 0
    batch_size: int = 1
    first_partition: str | None = None


class Microbatch(StrategyConfig):
    model_config = _ON_FIRST_USE
    type: Literal["microbatch"] = "microbatch"
    timestamp_column: str
    granularity: Literal["hour", "day", "month", "year"] = "hour"


class DeleteInsert(StrategyConfig):
    model_config = _ON_FIRST_USE
    type: Literal["delete_insert"] = "delete_insert"
    partition_by: list[str]

    _norm_key = field_validator("partition_by", mode="before")(_as_list)


class DynamicTable(StrategyConfig):
    model_config = _ON_FIRST_USE
    type: Literal["dynamic_table"] = "dynamic_table"
    target_lag: str


class ContentAddressed(StrategyConfig):
    model_config = _ON_FIRST_USE
    type: Literal["content_addressed"] = "content_addressed"
    storage_prefix: str
    partition_columns: list[str] = []


@dataclass(frozen=True)
class StrategySpec:
    """A strategy type as registered. ``materializer`` builds the statements
    for one model (its signature is defined by rocky.materialize);
    ``branchable`` is False where ``run --branch`` must refuse the model."""

    name: str
    config_model: type[StrategyConfig]
    materializer: Callable[..., Any] | None = None
    materializes: bool = True
    branchable: bool = True
    description: str = ""


def _builtin(name: str) -> Callable[..., Any]:
    """The built-in materializer for ``name``, imported on first call so that
    loading a project does not import sqlglot."""

    def materializer(request: Any) -> Any:
        from rocky.materialize import BUILTIN_MATERIALIZERS

        return BUILTIN_MATERIALIZERS[name](request)

    materializer.__name__ = f"materialize_{name}"
    return materializer


BUILTIN_STRATEGIES: tuple[StrategySpec, ...] = (
    StrategySpec(
        "full_refresh", FullRefresh, _builtin("full_refresh"),
        description="atomic CREATE OR REPLACE",
    ),
    StrategySpec("view", View, _builtin("view"), description="CREATE OR REPLACE VIEW"),
    StrategySpec(
        "ephemeral", Ephemeral, _builtin("ephemeral"), materializes=False, branchable=False,
        description="inlined into consumers as a CTE",
    ),
    StrategySpec(
        "materialized_view", MaterializedView, _builtin("materialized_view"),
        description="materialized view",
    ),
    StrategySpec(
        "incremental", Incremental, _builtin("incremental"),
        description="append rows past a watermark",
    ),
    StrategySpec("merge", Merge, _builtin("merge"), description="MERGE on unique_key"),
    StrategySpec(
        "delete_insert", DeleteInsert, _builtin("delete_insert"),
        description="replace partitions",
    ),
    StrategySpec(
        "time_interval", TimeInterval, _builtin("time_interval"), branchable=False,
        description="rebuild time partitions",
    ),
    StrategySpec(
        "microbatch", Microbatch, _builtin("microbatch"), description="time_interval by timestamp"
    ),
    StrategySpec(
        "dynamic_table", DynamicTable, _builtin("dynamic_table"),
        description="Snowflake dynamic table",
    ),
)
