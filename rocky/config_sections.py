"""The tables of rocky.toml other than adapters: pipelines and the
project-wide sections (``[state]``, ``[cost]``, ``[budget]``, ``[mask]``,
``[branch.approval]``, ...). Defaults follow the original tool so an
existing project behaves the same. Re-exported by :mod:`rocky.config`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator

from rocky.model_glob import DEFAULT_MODELS_GLOB, check_glob
from rocky.schema_check import StrictModel

__all__ = [
    "MASK_STRATEGIES",
    "PIPELINE_TYPES",
    "AiConfig",
    "BranchApproval",
    "BranchConfig",
    "CacheConfig",
    "ClassificationsConfig",
    "CostConfig",
    "ExecutionConfig",
    "GcConfig",
    "GovernanceConfig",
    "Grant",
    "ImportEntry",
    "LoadPipeline",
    "MaskStrategy",
    "PipelineConfig",
    "PipelineSchedule",
    "PortabilityConfig",
    "ProjectBudget",
    "ProjectFreshness",
    "QualityPipeline",
    "ReplicationPipeline",
    "ResilienceConfig",
    "ReuseConfig",
    "RoleConfig",
    "RunConfig",
    "RunRetryConfig",
    "ScheduleDefaults",
    "SchemaEvolutionConfig",
    "SnapshotPipeline",
    "StateConfig",
    "TransformationPipeline",
]

MaskStrategy = Literal["hash", "redact", "partial", "none"]
MASK_STRATEGIES: tuple[str, ...] = ("hash", "redact", "partial", "none")

# Every command that reads rocky.toml builds these models when it starts, so
# what that costs is watched (docs/benchmarks.md):
# - the tables most projects never write (pipelines other than
#   transformation) are built on first use (``_ON_FIRST_USE``), not at import;
# - default factories are plain functions: pydantic reads a factory's
#   signature, and a builtin's (``list``) costs it a tokenizer run.
_ON_FIRST_USE = ConfigDict(defer_build=True)


def _list() -> list[Any]:
    return []


def _dict() -> dict[str, Any]:
    return {}


# -- pipelines -------------------------------------------------------------------


class ExecutionConfig(StrictModel):
    """``[pipeline.<n>.execution]``. ``concurrency`` is ``"adaptive"`` (up to
    32 in flight) or a fixed count (at least 1)."""

    concurrency: int | Literal["adaptive"] = "adaptive"
    fail_fast: bool = False
    error_rate_abort_pct: int = Field(default=50, ge=0, le=100)
    table_retries: int = Field(default=1, ge=0)

    @field_validator("concurrency", mode="before")
    @classmethod
    def _concurrency(cls, value: Any) -> Any:
        if isinstance(value, str) and value.lower() == "adaptive":
            return "adaptive"
        if isinstance(value, int) and not isinstance(value, bool):
            return max(1, value)
        raise ValueError('must be "adaptive" or a positive integer')

    @property
    def max_concurrency(self) -> int:
        return 32 if self.concurrency == "adaptive" else int(self.concurrency)


class Grant(StrictModel):
    principal: str
    permissions: list[str]


class WorkspaceBinding(StrictModel):
    id: int
    binding_type: Literal["READ_WRITE", "READ_ONLY"] = "READ_WRITE"


class Isolation(StrictModel):
    enabled: bool = False
    workspace_ids: list[WorkspaceBinding] = Field(default_factory=_list)


class GovernanceConfig(StrictModel):
    """``[pipeline.<n>.target.governance]``."""

    auto_create_catalogs: bool = False
    auto_create_schemas: bool = False
    tag_prefix: str | None = None
    tags: dict[str, str] = Field(default_factory=_dict)
    isolation: Isolation | None = None
    grants: list[Grant] = Field(default_factory=_list)
    schema_grants: list[Grant] = Field(default_factory=_list)


class PipelineSchedule(StrictModel):
    """``[pipeline.<n>.schedule]``: when the pipeline is due."""

    cron: str | None = None
    timezone: str | None = None
    after: list[str] = Field(default_factory=_list)
    freshness: bool = False
    catchup: str = "latest"
    retry: dict[str, int] = Field(default_factory=_dict)
    timeout_minutes: int = 0
    enabled: bool = True


class _PipelineBase(StrictModel):
    # ``checks`` is passed through to the quality runner as written.
    checks: dict[str, Any] = Field(default_factory=_dict)
    execution: ExecutionConfig = Field(default_factory=ExecutionConfig)
    depends_on: list[str] = Field(default_factory=_list)
    schedule: PipelineSchedule | None = None


class TransformationTarget(StrictModel):
    adapter: str = "default"
    governance: GovernanceConfig = Field(default_factory=GovernanceConfig)


class TransformationPipeline(_PipelineBase):
    """Runs the models under ``models`` (a glob relative to rocky.toml)."""

    type: Literal["transformation"] = "transformation"
    models: str = DEFAULT_MODELS_GLOB
    target: TransformationTarget = Field(default_factory=TransformationTarget)

    @field_validator("models")
    @classmethod
    def _models_glob(cls, value: str) -> str:
        check_glob(value)  # a ValueError names what is wrong with the pattern
        return value


class SchemaPattern(StrictModel):
    model_config = _ON_FIRST_USE

    prefix: str
    separator: str
    components: list[str]


class Discovery(StrictModel):
    model_config = _ON_FIRST_USE

    adapter: str = "default"
    report_new_sources: bool = False
    on_collision: Literal["off", "warn", "error"] = "off"


class ReplicationSource(StrictModel):
    model_config = _ON_FIRST_USE

    adapter: str = "default"
    catalog: str | None = None
    schema_pattern: SchemaPattern
    discovery: Discovery | None = None


class ReplicationTarget(StrictModel):
    model_config = _ON_FIRST_USE

    adapter: str = "default"
    catalog_template: str
    schema_template: str
    separator: str | None = None
    governance: GovernanceConfig = Field(default_factory=GovernanceConfig)


class MetadataColumn(StrictModel):
    model_config = _ON_FIRST_USE

    name: str
    type_: str = Field(alias="type")
    value: str


class ReplicationPipeline(_PipelineBase):
    """Copies source schemas matching ``schema_pattern`` to the target."""

    model_config = _ON_FIRST_USE

    type: Literal["replication"] = "replication"
    strategy: str = "incremental"
    timestamp_column: str = "_fivetran_synced"
    merge_keys: list[str] | None = None
    merge_keys_fallback: list[str] | None = None
    metadata_columns: list[MetadataColumn] = Field(default_factory=_list)
    source: ReplicationSource
    target: ReplicationTarget
    table_overrides: list[dict[str, Any]] = Field(default_factory=_list)
    prune_unchanged: bool = False


class AdapterRef(StrictModel):
    model_config = _ON_FIRST_USE

    adapter: str = "default"


class QualityTable(StrictModel):
    model_config = _ON_FIRST_USE

    catalog: str
    schema_: str = Field(alias="schema")
    table: str | None = None


class QualityPipeline(_PipelineBase):
    """Runs checks against existing tables."""

    model_config = _ON_FIRST_USE

    type: Literal["quality"] = "quality"
    target: AdapterRef = Field(default_factory=AdapterRef)
    tables: list[QualityTable] = Field(default_factory=_list)


class SnapshotSource(StrictModel):
    model_config = _ON_FIRST_USE

    adapter: str = "default"
    catalog: str
    schema_: str = Field(alias="schema")
    table: str


class SnapshotTarget(SnapshotSource):
    model_config = _ON_FIRST_USE

    governance: GovernanceConfig = Field(default_factory=GovernanceConfig)


class SnapshotPipeline(_PipelineBase):
    """SCD type 2 history of one source table."""

    model_config = _ON_FIRST_USE

    type: Literal["snapshot"] = "snapshot"
    unique_key: list[str]
    updated_at: str
    invalidate_hard_deletes: bool = False
    source: SnapshotSource
    target: SnapshotTarget


class LoadTarget(StrictModel):
    model_config = _ON_FIRST_USE

    adapter: str = "default"
    catalog: str
    schema_: str = Field(alias="schema")
    table: str | None = None
    governance: GovernanceConfig = Field(default_factory=GovernanceConfig)


class LoadOptions(StrictModel):
    model_config = _ON_FIRST_USE

    batch_size: int = Field(default=10_000, ge=1)
    create_table: bool = True
    truncate_first: bool = False
    csv_delimiter: str = ","
    csv_has_header: bool = True


class LoadPipeline(_PipelineBase):
    """Loads files (CSV, Parquet, JSON lines) from ``source_dir``."""

    model_config = _ON_FIRST_USE

    type: Literal["load"] = "load"
    source_dir: str
    format: Literal["csv", "parquet", "json_lines", "jsonl"] | None = None
    target: LoadTarget
    options: LoadOptions = Field(default_factory=LoadOptions)
    contract: dict[str, Any] | None = None


PipelineConfig = (
    TransformationPipeline | ReplicationPipeline | QualityPipeline | SnapshotPipeline | LoadPipeline
)
PIPELINE_TYPES: dict[str, type[_PipelineBase]] = {
    "replication": ReplicationPipeline,
    "transformation": TransformationPipeline,
    "quality": QualityPipeline,
    "snapshot": SnapshotPipeline,
    "load": LoadPipeline,
}


# -- project-wide sections ---------------------------------------------------------


class StateConfig(StrictModel):
    """``[state]``: where run state is kept. Nested tables (``retry``,
    ``idempotency``, ``retention``) are passed through as written."""

    backend: Literal["local", "s3", "gcs", "valkey", "tiered"] = "local"
    s3_bucket: str | None = None
    s3_prefix: str | None = None
    gcs_bucket: str | None = None
    gcs_prefix: str | None = None
    valkey_url: str | None = Field(default=None, repr=False)
    valkey_prefix: str | None = None
    transfer_timeout_seconds: int = Field(default=300, ge=0)
    retry: dict[str, Any] = Field(default_factory=_dict)
    on_upload_failure: Literal["skip", "fail"] = "skip"
    idempotency: dict[str, Any] = Field(default_factory=_dict)
    retention: dict[str, Any] = Field(default_factory=_dict)
    namespacing: Literal["none", "pipeline"] = "none"
    on_schema_mismatch: Literal["recreate", "fail"] = "recreate"
    freeze_marker_writes: bool = False
    concurrency_control: Literal["off", "cas"] = "off"


class CostConfig(StrictModel):
    """``[cost]``: prices used to turn run durations into dollars."""

    compute_cost_per_dbu: float = 0.40
    warehouse_size: str = "Medium"
    storage_cost_per_gb_month: float = 0.023
    min_history_runs: int = Field(default=5, ge=0)


class ProjectBudget(StrictModel):
    """``[budget]``: run-level limits; ``on_breach`` decides warn or fail."""

    max_usd: float | None = None
    max_duration_ms: int | None = Field(default=None, ge=0)
    max_bytes_scanned: int | None = Field(default=None, ge=0)
    on_breach: Literal["warn", "error"] = "warn"


class SchemaEvolutionConfig(StrictModel):
    grace_period_days: int = Field(default=7, ge=0)


class RunRetryConfig(StrictModel):
    max_retries_per_run: int | None = Field(default=None, ge=0)


class PortabilityConfig(StrictModel):
    """``[portability]``: the P001 lint's target dialect and allow-list."""

    target_dialect: Literal["databricks", "snowflake", "bigquery", "duckdb"] | None = None
    allow: list[str] = Field(default_factory=_list)


class SchemaCache(StrictModel):
    enabled: bool = True
    ttl_seconds: int = Field(default=86_400, ge=0)
    replicate: bool = False


class CacheConfig(StrictModel):
    schemas: SchemaCache = Field(default_factory=SchemaCache)


class ClassificationsConfig(StrictModel):
    allow_unmasked: list[str] = Field(default_factory=_list)


class RoleConfig(StrictModel):
    inherits: list[str] = Field(default_factory=_list)
    permissions: list[str] = Field(default_factory=_list)


class AiConfig(StrictModel):
    max_tokens: int = Field(default=4096, ge=1)


class BranchApproval(StrictModel):
    """``[branch.approval]``: the gate ``branch promote`` enforces."""

    required: bool = False
    min_approvers: int = Field(default=1, ge=0)
    allowed_signers: list[str] = Field(default_factory=_list)
    max_age_seconds: int = Field(default=86_400, ge=0)


class BranchConfig(StrictModel):
    approval: BranchApproval = Field(default_factory=BranchApproval)


class ProjectFreshness(StrictModel):
    expected_lag_seconds: int | None = Field(default=None, ge=0)
    time_column: str | None = None
    severity: Literal["error", "warning"] | None = None


class ScheduleDefaults(StrictModel):
    timezone: str = "UTC"
    poll_interval_seconds: int = Field(default=15, ge=1)


class ImportEntry(StrictModel):
    path: str
    snapshot: str
    baseline: str | None = None
    pin: str | None = None


class RunConfig(StrictModel):
    skip_unchanged: bool = False
    skip_rowcount_fallback: bool = False
    strict_scheduling: bool = False
    lag_tolerance_seconds: int = Field(default=0, ge=0)


class ReuseConfig(StrictModel):
    """``[reuse]``: content-addressed reuse (off) and column-level skip (on)."""

    enabled: bool = False
    column_level: bool = True


class GcConfig(StrictModel):
    physical_delete: bool = False


class ResilienceConfig(StrictModel):
    """``[resilience]``: retrying models that failed transiently."""

    enabled: bool = True
    transient_max_retries: int = Field(default=2, ge=0)
    initial_backoff_ms: int = Field(default=500, ge=0)
    max_backoff_ms: int = Field(default=30_000, ge=0)
    backoff_multiplier: float = 2.0
    jitter: bool = True
    circuit_breaker_threshold: int = Field(default=3, ge=0)
    max_retries_per_run: int | None = Field(default=8, ge=0)
    contain_failures: bool = False
    auto_apply_additive_drift: bool = False
