"""The adapter contract: what rocky needs from a warehouse.

An adapter plugin registers an :class:`AdapterSpec` through the
``rocky_register_adapters`` hook. The kernel renders SQL from sqlglot
expressions in the adapter's dialect and hands the adapter plain statements;
the adapter never builds SQL by string formatting either.

The kernel imports no warehouse driver: a factory imports its driver when it
is first called.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from rocky.ir import Column, TableRef

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "Adapter",
    "AdapterConfig",
    "AdapterSpec",
    "Capability",
    "ExecResult",
    "IdentifierCase",
    "RetryConfig",
    "capabilities",
]


class Capability(enum.StrEnum):
    """What an adapter can do. Conformance tests skip by capability, never by
    adapter name."""

    MERGE = "merge"
    VIEWS = "views"
    MATERIALIZED_VIEWS = "materialized_views"
    CLONE = "clone"
    TAGS = "tags"
    GRANTS = "grants"
    MASKING = "masking"
    BYTES_SCANNED = "bytes_scanned"
    BYTES_WRITTEN = "bytes_written"
    TRANSACTIONS = "transactions"
    CREATE_OR_REPLACE = "create_or_replace"
    ALTER_COLUMN_TYPE = "alter_column_type"
    CANCEL = "cancel"
    ARROW = "arrow"


IdentifierCase = Literal["preserve", "upper", "lower"]


class RetryConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max_retries: int = 0
    initial_backoff_ms: int = 1000
    max_backoff_ms: int = 30000
    backoff_multiplier: float = 2.0
    jitter: bool = True
    circuit_breaker_threshold: int | None = None
    circuit_breaker_recovery_timeout_secs: int | None = None
    max_retries_per_run: int | None = None


class AdapterConfig(BaseModel):
    """Keys every adapter accepts. Each adapter subclasses this with its own
    keys; unknown keys are rejected (custom keys belong in ``extra``)."""

    model_config = ConfigDict(extra="forbid")

    type: str
    kind: Literal["data", "discovery"] = "data"
    retry: RetryConfig | None = None
    extra: dict[str, Any] = {}


@dataclass(frozen=True, slots=True)
class ExecResult:
    """What executing one statement reported. ``None`` means the engine does
    not report that figure, never zero."""

    rows_affected: int | None = None
    bytes_scanned: int | None = None
    bytes_written: int | None = None
    duration_ms: int = 0
    query_id: str | None = None


class Adapter(ABC):
    """A live connection to one warehouse.

    Subclasses set the class attributes and implement the abstract methods.
    Methods taking a :class:`TableRef` resolve ``None`` catalog/schema to the
    connection's defaults.
    """

    type_name: ClassVar[str]
    dialect: ClassVar[str]
    capabilities: ClassVar[frozenset[Capability]] = frozenset()
    identifier_case: ClassVar[IdentifierCase] = "preserve"

    def __init__(self, config: AdapterConfig, *, project_dir: Path | None = None) -> None:
        self.config = config
        self.project_dir = project_dir or Path.cwd()

    def supports(self, capability: Capability) -> bool:
        return capability in self.capabilities

    # -- lifecycle -----------------------------------------------------------
    @abstractmethod
    def connect(self) -> None:
        """Open the connection. Raises AdapterError with one clear line."""

    @abstractmethod
    def close(self) -> None:
        """Close the connection; safe to call twice."""

    def __enter__(self) -> Adapter:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- statements ----------------------------------------------------------
    @abstractmethod
    def execute(self, sql: str) -> ExecResult:
        """Run one statement. Raises AdapterError on failure."""

    @abstractmethod
    def query_arrow(self, sql: str) -> pa.Table:
        """Run a query and return its result as an Arrow table."""

    def query_rows(self, sql: str) -> list[tuple[Any, ...]]:
        table = self.query_arrow(sql)
        columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
        return list(zip(*columns, strict=True)) if columns else []

    def cancel(self) -> None:  # noqa: B027 - optional capability
        """Cancel running statements (Ctrl-C). Default: nothing to cancel."""

    # -- catalog -------------------------------------------------------------
    @abstractmethod
    def describe_table(self, ref: TableRef) -> list[Column] | None:
        """Columns with RockyTypes and nullability, or None if absent."""

    @abstractmethod
    def list_tables(self, catalog: str | None, schema: str) -> list[str]:
        """Names of tables and views in a schema ([] if the schema is absent)."""

    def table_exists(self, ref: TableRef) -> bool:
        return self.describe_table(ref) is not None

    @abstractmethod
    def create_schema(self, catalog: str | None, schema: str) -> None:
        """CREATE SCHEMA IF NOT EXISTS."""

    def default_catalog(self) -> str | None:
        """The catalog unqualified names resolve in (None if not applicable)."""
        return None

    def engine_version(self) -> str:
        return "unknown"

    # -- identifiers ---------------------------------------------------------
    def normalize_identifier(self, name: str) -> str:
        """How the engine stores an unquoted identifier."""
        if self.identifier_case == "upper":
            return name.upper()
        if self.identifier_case == "lower":
            return name.lower()
        return name


AdapterFactory = Callable[[AdapterConfig, Path], Adapter]


@dataclass(frozen=True)
class AdapterSpec:
    """An adapter type, as a plugin registers it."""

    type_name: str
    config_model: type[AdapterConfig]
    factory: AdapterFactory
    dialect: str
    capabilities: frozenset[Capability] = field(default_factory=frozenset)
    identifier_case: IdentifierCase = "preserve"
    package: str = ""
    description: str = ""

    def capability_names(self) -> list[str]:
        return sorted(c.value for c in self.capabilities)


def capabilities(*names: Capability | str) -> frozenset[Capability]:
    return frozenset(Capability(n) for n in names)
