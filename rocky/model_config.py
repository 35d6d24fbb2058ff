"""The configuration of one model: its sidecar, ``_defaults.toml`` and
config-group tables, and the fully resolved :class:`ModelConfig`.

Re-exported by :mod:`rocky.config`; the resolution itself (precedence
sidecar > group > ``_defaults``) lives in :mod:`rocky.model_files`.
"""

from __future__ import annotations

import re
import typing
from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    SerializeAsAny,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
)

from rocky.ir import Column, TableRef
from rocky.schema_check import StrictModel
from rocky.strategies import StrategyConfig
from rocky.types import UNKNOWN, RockyType, parse_type

__all__ = [
    "FORMATS",
    "Budget",
    "ColumnDoc",
    "DirDefaults",
    "DirDefaultsTarget",
    "FormatName",
    "FormatOptions",
    "Freshness",
    "GroupConfig",
    "ModelConfig",
    "ModelGovernance",
    "SidecarConfig",
    "SidecarTarget",
    "Skip",
    "SourceColumn",
    "SourceRef",
    "SurrogateKey",
    "Target",
    "UseTest",
]

FormatName = Literal[
    "table", "delta_table", "iceberg_table", "materialized_view", "streaming_table", "view"
]
FORMATS: tuple[str, ...] = typing.get_args(FormatName)
_RETENTION = re.compile(r"[0-9]+[dy]")


# Default factories are plain functions: pydantic reads a factory's
# signature when it builds a model, and a builtin's (``list``) costs it a
# tokenizer run; every command that loads models builds these at start-up.
def _list() -> list[Any]:
    return []


def _dict() -> dict[str, Any]:
    return {}


class Target(StrictModel):
    """Where a model lands: ``catalog.schema.table``. An empty catalog means
    the adapter's default catalog (``ref.catalog`` is then None)."""

    catalog: str
    schema_: str = Field(alias="schema")
    table: str

    @property
    def ref(self) -> TableRef:
        return TableRef(self.catalog or None, self.schema_, self.table)


def _column_type(value: Any) -> RockyType:
    if isinstance(value, RockyType):
        return value
    if not isinstance(value, str):
        raise ValueError("must be a type name such as `Int64`")
    try:
        return parse_type(value)
    except ValueError:
        raise ValueError(f"unknown type `{value}`") from None


ColumnType = Annotated[
    RockyType, PlainValidator(_column_type), PlainSerializer(str, return_type=str)
]


class SourceColumn(StrictModel):
    """One column declared on a ``[[sources]]`` entry. ``type`` is a rocky
    spelling (``Int64``, ``Decimal(10,2)``) or a warehouse one (``BIGINT``),
    parsed with :func:`rocky.types.parse_type`; ``Unknown`` when omitted.
    ``nullable`` defaults to true."""

    name: str = Field(min_length=1)
    type: ColumnType = UNKNOWN
    nullable: bool = True

    @property
    def column(self) -> Column:
        return Column(self.name, self.type, self.nullable)


class SourceRef(StrictModel):
    """A ``[[sources]]`` entry: a table the model reads (empty catalog: the
    adapter's default), with the columns it is declared to have (empty:
    not declared)."""

    catalog: str
    schema_: str = Field(alias="schema")
    table: str
    columns: list[SourceColumn] = Field(default_factory=_list)

    @property
    def ref(self) -> TableRef:
        return TableRef(self.catalog or None, self.schema_, self.table)

    @field_validator("columns")
    @classmethod
    def _distinct(cls, value: list[SourceColumn]) -> list[SourceColumn]:
        seen: set[str] = set()
        for col in value:
            if col.name.lower() in seen:
                raise ValueError(f"column `{col.name}` is declared twice")
            seen.add(col.name.lower())
        return value

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Undeclared columns are left out, so adding the key did not change
        # the content hash of every model that lists sources.
        data: dict[str, Any] = handler(self)
        if not self.columns:
            data.pop("columns", None)
        return data


class Freshness(StrictModel):
    """``[freshness]``: declarative; read by orchestrators and W005."""

    max_lag_seconds: int = Field(
        validation_alias=AliasChoices("max_lag_seconds", "expected_lag_seconds"), ge=0
    )
    time_column: str | None = None
    severity: Literal["error", "warning"] | None = None


class Budget(StrictModel):
    """Per-model ``[budget]``; unset fields inherit the project ``[budget]``."""

    max_usd: float | None = None
    max_duration_ms: int | None = Field(default=None, ge=0)
    max_bytes_scanned: int | None = Field(default=None, ge=0)
    on_breach: Literal["warn", "error"] | None = None


class ModelGovernance(StrictModel):
    """``[governance.tags]``: tags applied to the warehouse table or view."""

    tags: dict[str, str] = Field(default_factory=_dict)


class Skip(StrictModel):
    """``[skip]``: overrides for ``run --skip-unchanged``."""

    eligible: bool | None = None
    deterministic: bool | None = None


class ColumnDoc(StrictModel):
    """``[columns.<name>]``: column documentation."""

    description: str | None = None


class FormatOptions(StrictModel):
    """``[format_options]`` for lakehouse formats."""

    partition_by: list[str] = Field(default_factory=_list)
    cluster_by: list[str] = Field(default_factory=_list)
    table_properties: list[list[str]] | dict[str, str] = Field(default_factory=_list)
    comment: str | None = None


class UseTest(StrictModel):
    """``[[use_test]]``: apply a named test from ``test_definitions.toml``."""

    name: str
    column: str | None = None
    severity: Literal["error", "warning"] = "error"
    filter: str | None = None


class SurrogateKey(StrictModel):
    """``[[surrogate_key]]``: an output column hashed from ``columns``."""

    name: str
    columns: list[str] = Field(min_length=1)


class SidecarTarget(StrictModel):
    catalog: str | None = None
    schema_: str | None = Field(default=None, alias="schema")
    table: str | None = None


class SidecarConfig(StrictModel):
    """A model sidecar (``x.toml`` or ``---toml`` frontmatter) as written.
    ``strategy`` stays a plain table: it is validated by the registered
    strategy's own config model."""

    name: str | None = None
    depends_on: list[str] = Field(default_factory=_list)
    strategy: dict[str, Any] | None = None
    target: SidecarTarget | None = None
    sources: list[SourceRef] = Field(default_factory=_list)
    adapter: str | None = None
    intent: str | None = None
    group: str | None = None
    args: dict[str, str] = Field(default_factory=_dict)
    retention: str | None = None
    format: FormatName | None = None
    format_options: FormatOptions | None = None
    freshness: Freshness | None = None
    budget: Budget | None = None
    tags: dict[str, str] = Field(default_factory=_dict)
    governance: ModelGovernance = Field(default_factory=ModelGovernance)
    classification: dict[str, str] = Field(default_factory=_dict)
    skip: Skip | None = None
    tests: list[dict[str, Any]] = Field(default_factory=_list)
    use_test: list[UseTest] = Field(default_factory=_list)
    test: list[dict[str, Any]] = Field(default_factory=_list)
    surrogate_key: list[SurrogateKey] = Field(default_factory=_list)
    columns: dict[str, ColumnDoc] = Field(default_factory=_dict)

    @field_validator("retention")
    @classmethod
    def _retention(cls, value: str | None) -> str | None:
        if value is not None and not _RETENTION.fullmatch(value):
            raise ValueError("must be a number of days or years such as `90d` or `7y`")
        return value

    @field_validator("tests")
    @classmethod
    def _tests(cls, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for test in value:
            if not isinstance(test.get("type"), str):
                raise ValueError("every [[tests]] entry needs a `type` (such as `not_null`)")
        return value


class DirDefaultsTarget(StrictModel):
    catalog: str | None = None
    schema_: str | None = Field(default=None, alias="schema")


class DirDefaults(StrictModel):
    """``_defaults.toml``: defaults for the models of its own directory."""

    target: DirDefaultsTarget | None = None
    strategy: dict[str, Any] | None = None
    intent: str | None = None
    freshness: Freshness | None = None


class GroupConfig(StrictModel):
    """``models/groups/<name>.toml``: shared routing and strategy for the
    models that opt in with ``group = "<name>"``. Built on first use: most
    projects have no groups."""

    model_config = ConfigDict(defer_build=True)

    schema_template: str | None = None
    strategy: dict[str, Any] | None = None
    tags: dict[str, str] = Field(default_factory=_dict)
    governance: ModelGovernance = Field(default_factory=ModelGovernance)
    enforce: bool = False


class ModelConfig(StrictModel):
    """A model's fully resolved configuration.

    ``tests`` holds the inline ``[[tests]]`` followed by the named tests
    that ``[[use_test]]`` applies (already resolved against
    ``test_definitions.toml``); ``use_test`` keeps the references as
    written, for display only.
    """

    name: str
    depends_on: list[str]
    strategy: SerializeAsAny[StrategyConfig]
    target: Target
    sources: list[SourceRef]
    adapter: str | None
    intent: str | None
    group: str | None
    args: dict[str, str]
    retention: str | None
    format: str | None
    format_options: dict[str, Any]
    freshness: Freshness | None
    budget: Budget | None
    tags: dict[str, str]
    governance: ModelGovernance
    classification: dict[str, str]
    skip: Skip | None
    tests: list[dict[str, Any]]
    use_test: list[dict[str, Any]]
    test: list[dict[str, Any]]
    surrogate_key: list[dict[str, Any]]
    columns: dict[str, ColumnDoc]

    @property
    def strategy_type(self) -> str:
        return self.strategy.type
