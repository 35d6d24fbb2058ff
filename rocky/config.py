"""rocky.toml: the project configuration, and the per-model tables.

Every table is a pydantic model with ``extra="forbid"``; errors become one
ConfigError line naming the file, the key, its line and a "did you mean"
(see :mod:`rocky.schema_check`). Adapter tables stay raw here: their keys
belong to the adapter plugin and are checked lazily by
:func:`adapter_config` against the plugin's ``config_model``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field

from rocky.config_sections import (
    MASK_STRATEGIES,
    PIPELINE_TYPES,
    AiConfig,
    BranchConfig,
    CacheConfig,
    ClassificationsConfig,
    CostConfig,
    ExecutionConfig,
    GcConfig,
    GovernanceConfig,
    ImportEntry,
    LoadPipeline,
    PipelineConfig,
    PortabilityConfig,
    ProjectBudget,
    ProjectFreshness,
    QualityPipeline,
    ReplicationPipeline,
    ResilienceConfig,
    ReuseConfig,
    RoleConfig,
    RunConfig,
    RunRetryConfig,
    ScheduleDefaults,
    SchemaEvolutionConfig,
    SnapshotPipeline,
    StateConfig,
    TransformationPipeline,
)
from rocky.envsubst import substitute
from rocky.errors import ConfigError, PluginError
from rocky.model_config import (
    Budget,
    ColumnDoc,
    DirDefaults,
    FormatOptions,
    Freshness,
    GroupConfig,
    ModelConfig,
    ModelGovernance,
    SidecarConfig,
    Skip,
    SourceRef,
    Target,
)
from rocky.schema_check import Located, StrictModel, validate
from rocky.tomlio import decode, describe_value, parse, unknown_key_error

if TYPE_CHECKING:
    from rocky.adapters import AdapterConfig, AdapterSpec
    from rocky.project import Project

__all__ = [
    "PIPELINE_TYPES",
    "Budget",
    "ColumnDoc",
    "DirDefaults",
    "ExecutionConfig",
    "FormatOptions",
    "Freshness",
    "GovernanceConfig",
    "GroupConfig",
    "LoadPipeline",
    "ModelConfig",
    "ModelGovernance",
    "PipelineConfig",
    "QualityPipeline",
    "ReplicationPipeline",
    "RockyConfig",
    "SidecarConfig",
    "Skip",
    "SnapshotPipeline",
    "SourceRef",
    "Target",
    "TransformationPipeline",
    "adapter_config",
    "adapter_spec",
    "load_config",
    "parse_config",
]

# Plural spellings the original also accepts, mapped to the canonical key.
_PLURALS = {"adapters": "adapter", "pipelines": "pipeline", "roles": "role", "hooks": "hook"}
# Keys that mark a bare ``[pipeline]`` table (a single pipeline named "default").
_BARE_PIPELINE_KEYS = ("source", "type", "models", "tables", "unique_key", "source_dir")


if TYPE_CHECKING:
    _Pipelines = dict[str, PipelineConfig]
else:
    # Each pipeline table is validated on its own by ``parse_config``, with
    # the class its ``type`` names; validating them through this field would
    # make the model build every pipeline class, used or not, at import.
    _Pipelines = dict[str, Any]


def _dict() -> dict[str, Any]:
    return {}  # a factory pydantic inspects cheaply (see rocky.config_sections)


class RockyConfig(StrictModel):
    """The whole rocky.toml. ``adapters`` holds each adapter table raw (after
    environment substitution); a bare ``[adapter]`` is named ``default``."""

    adapters: dict[str, dict[str, Any]] = Field(default_factory=_dict, alias="adapter")
    pipelines: _Pipelines = Field(default_factory=_dict, alias="pipeline")
    state: StateConfig = Field(default_factory=StateConfig)
    hooks: dict[str, Any] = Field(default_factory=_dict, alias="hook")
    cost: CostConfig = Field(default_factory=CostConfig)
    budget: ProjectBudget = Field(default_factory=ProjectBudget)
    schema_evolution: SchemaEvolutionConfig = Field(default_factory=SchemaEvolutionConfig)
    retry: RunRetryConfig | None = None
    portability: PortabilityConfig = Field(default_factory=PortabilityConfig)
    cache: CacheConfig = Field(default_factory=CacheConfig)
    mask: dict[str, Any] = Field(default_factory=_dict)
    classifications: ClassificationsConfig = Field(default_factory=ClassificationsConfig)
    role: dict[str, RoleConfig] = Field(default_factory=_dict)
    ai: AiConfig = Field(default_factory=AiConfig)
    branch: BranchConfig = Field(default_factory=BranchConfig)
    freshness: ProjectFreshness = Field(default_factory=ProjectFreshness)
    schedule: ScheduleDefaults = Field(default_factory=ScheduleDefaults)
    imports: dict[str, ImportEntry] = Field(default_factory=_dict)
    run: RunConfig = Field(default_factory=RunConfig)
    reuse: ReuseConfig = Field(default_factory=ReuseConfig)
    gc: GcConfig = Field(default_factory=GcConfig)
    policy: dict[str, Any] | None = None
    fulfill: dict[str, Any] = Field(default_factory=_dict)
    resilience: ResilienceConfig = Field(default_factory=ResilienceConfig)

    def mask_for_env(self, env: str | None = None) -> dict[str, str]:
        """``classification -> strategy``: top-level ``[mask]`` entries,
        overlaid by ``[mask.<env>]`` when ``env`` names one."""
        resolved = {k: v for k, v in self.mask.items() if isinstance(v, str)}
        override = self.mask.get(env) if env else None
        if isinstance(override, dict):
            resolved.update(override)
        return resolved


def load_config(
    config_path: Path | str = "rocky.toml",
    *,
    env: Mapping[str, str] | None = None,
    display: str | None = None,
) -> tuple[RockyConfig, bytes, Path]:
    """Read, substitute, parse and validate rocky.toml. Returns the config,
    the raw file bytes and the resolved path. A directory means its
    rocky.toml."""
    path = Path(config_path)
    if path.is_dir():
        path = path / "rocky.toml"
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"no rocky.toml at {path.absolute()}; run `rocky playground` or pass -c"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror or exc})") from None
    shown = display or path.name
    text = decode(raw, file=shown)
    return parse_config(text, file=shown, env=env), raw, path.resolve()


def parse_config(
    text: str, *, file: str = "rocky.toml", env: Mapping[str, str] | None = None
) -> RockyConfig:
    """Validate rocky.toml text (environment substitution included)."""
    text = substitute(text, env=env, file=file)
    data = parse(text, file=file)
    where = Located(file, text)
    for plural, canonical in _PLURALS.items():
        if plural in data:
            if canonical in data:
                raise where.error(f"both `{canonical}` and `{plural}` are set; keep one", (plural,))
            data[canonical] = data.pop(plural)
    _check_mask(data.get("mask", {}), where)
    adapters = _adapters(data.pop("adapter", {}), where)
    pipelines = _pipelines(data.pop("pipeline", {}), where)
    base = validate(RockyConfig, data, where)
    return base.model_copy(update={"adapters": adapters, "pipelines": pipelines})


def _check_mask(value: Any, where: Located) -> None:
    """``[mask] tag = "strategy"`` and ``[mask.<env>] tag = "strategy"``."""
    if not isinstance(value, dict):
        raise where.error(f"`mask` must be a table, got {describe_value(value)}", ("mask",))
    allowed = ", ".join(f"`{s}`" for s in MASK_STRATEGIES)
    for key, entry in value.items():
        entries = entry.items() if isinstance(entry, dict) else [(None, entry)]
        for tag, strategy in entries:
            if strategy not in MASK_STRATEGIES:
                path = ("mask", key) if tag is None else ("mask", key, tag)
                name = f"`[mask] {key}`" if tag is None else f"`[mask.{key}] {tag}`"
                got = f"`{strategy}`" if isinstance(strategy, str) else describe_value(strategy)
                raise where.error(f"{name} must be one of {allowed}, got {got}", path)


def _adapters(value: Any, where: Located) -> dict[str, dict[str, Any]]:
    if not isinstance(value, dict):
        raise where.error(f"`adapter` must be a table, got {describe_value(value)}", ("adapter",))
    # A bare [adapter] (with `type` directly under it) is the adapter "default".
    tables: dict[str, dict[str, Any]] = {"default": value} if "type" in value else value
    for name, table in tables.items():
        path = ("adapter", name)
        if not isinstance(table, dict):
            raise where.error(
                f"`[adapter.{name}]` must be a table, got {describe_value(table)}", path
            )
        kind = table.get("type")
        if kind is None:
            raise where.error(
                f"`[adapter.{name}]` has no `type`",
                path,
                hint='add `type = "duckdb"` (or another adapter)',
            )
        if not isinstance(kind, str):
            raise where.error(
                f"`[adapter.{name}] type` must be a string, got {describe_value(kind)}",
                (*path, "type"),
            )
    return tables


def _pipelines(value: Any, where: Located) -> dict[str, PipelineConfig]:
    if not isinstance(value, dict):
        raise where.error(f"`pipeline` must be a table, got {describe_value(value)}", ("pipeline",))
    bare = any(key in value for key in _BARE_PIPELINE_KEYS)
    tables = {"default": value} if bare else value
    out: dict[str, PipelineConfig] = {}
    for name, table in tables.items():
        prefix = ("pipeline",) if bare else ("pipeline", name)
        if not isinstance(table, dict):
            raise where.error(
                f"`[pipeline.{name}]` must be a table, got {describe_value(table)}", prefix
            )
        kind = table.get("type", "replication")
        cls = PIPELINE_TYPES.get(kind) if isinstance(kind, str) else None
        if cls is None:
            known = ", ".join(PIPELINE_TYPES)
            raise where.error(f"`[pipeline.{name}] type` must be one of {known}", (*prefix, "type"))
        out[name] = validate(cls, table, where, prefix=prefix)  # type: ignore[assignment]
    return out


def adapter_spec(kind: str, name: str, *, file: str, text: str) -> AdapterSpec:
    """The installed plugin for ``[adapter.<name>] type = kind``. A missing
    plugin is the registry's PluginError (its install hint kept) located at
    the ``type`` line of ``file``, the rocky.toml whose ``text`` is given."""
    from rocky.plugins import get_registry

    try:
        return get_registry().adapter(kind)
    except PluginError as err:
        line = Located(file, text).line_of((*_adapter_prefix(name, text), "type"))
        raise PluginError(err.message, file=file, line=line, hint=err.hint) from None


def _adapter_prefix(name: str, text: str) -> tuple[str, ...]:
    """Where ``[adapter.<name>]`` sits in rocky.toml: a bare ``[adapter]``
    table is the adapter ``default``."""
    bare = name == "default" and re.search(r"(?m)^\s*\[\s*adapter\s*\]", text) is not None
    return ("adapter",) if bare else ("adapter", name)


def adapter_config(project: Project, name: str = "default") -> AdapterConfig:
    """The ``[adapter.<name>]`` table validated against its plugin's
    ``config_model``. A missing plugin is a PluginError naming rocky.toml,
    the line of ``type`` and the package to install."""
    from rocky.project import default_adapter_name

    adapters = project.config.adapters
    if name == "default":
        name = default_adapter_name(project.config)
    if name in adapters:
        raw = adapters[name]
    elif name == "default" and not adapters:
        raw = {"type": "duckdb"}
    else:
        known = sorted(adapters)
        raise unknown_key_error(
            name, file=project.config_path.name, line=None, known=known, table="adapter"
        )
    text = project.config_bytes.decode("utf-8", errors="replace")
    shown = project.config_path.name
    spec = adapter_spec(raw["type"], name, file=shown, text=text)
    where = Located(shown, text)
    prefix = _adapter_prefix(name, text)
    # Plugins decide their own coercion; values are never echoed (secrets).
    return validate(spec.config_model, raw, where, prefix=prefix, strict=False, show_values=False)
