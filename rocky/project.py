"""Loading a project directory into a :class:`Project`.

``load_project`` reads rocky.toml, every model and sidecar (each file once),
the seeds, ``data/seed.sql`` and the contracts. Anything malformed is a
ConfigError naming the file and, where it can, the line; nothing else
escapes. No SQL is parsed here: that is the compiler's job.
"""

from __future__ import annotations

import gc
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rocky.compiler.dialects import builtin_dialect
from rocky.config import RockyConfig, TransformationPipeline, adapter_spec, load_config
from rocky.contract_files import ContractFile, load_contracts
from rocky.errors import ConfigError
from rocky.model_files import ModelSource, load_models, rel
from rocky.model_glob import DEFAULT_MODELS_GLOB, ModelsSelection, select_models
from rocky.seeds import SeedFile, discover_seeds

__all__ = [
    "ModelSource",
    "Project",
    "default_adapter_name",
    "load_project",
    "models_base",
    "models_dir_of",
    "models_selection",
]


@dataclass(frozen=True)
class Project:
    """A loaded project: plain data every later stage reads."""

    root: Path
    config_path: Path
    config_bytes: bytes
    config: RockyConfig
    models_dir: Path
    models: dict[str, ModelSource]
    seeds: list[SeedFile]
    seed_sql: Path | None
    contracts: dict[str, ContractFile]
    adapter_type: str

    @property
    def default_adapter(self) -> str:
        """The adapter a plain run uses (see :func:`default_adapter_name`)."""
        return default_adapter_name(self.config)

    def adapter_settings(self, name: str = "default") -> dict[str, Any]:
        """The raw ``[adapter.<name>]`` table after environment substitution
        (``{"type": "duckdb"}`` when the project configures none)."""
        adapters = self.config.adapters
        key = self.default_adapter if name == "default" else name
        if key in adapters:
            return dict(adapters[key])
        if name == "default" and not adapters:
            return {"type": "duckdb"}
        known = ", ".join(sorted(adapters)) or "none"
        raise ConfigError(
            f"{self.config_path.name}: no adapter named `{name}` (configured: {known})"
        )


def default_adapter_name(config: RockyConfig) -> str:
    """``default`` if configured, else the first transformation pipeline's
    target adapter, else the first adapter declared; ``default`` (the
    implicit in-memory duckdb) when there is none."""
    adapters = config.adapters
    if "default" in adapters:
        return "default"
    for pipeline in config.pipelines.values():
        if isinstance(pipeline, TransformationPipeline) and pipeline.target.adapter in adapters:
            return pipeline.target.adapter
    return next(iter(adapters), "default")


def models_selection(config: RockyConfig, root: Path) -> ModelsSelection:
    """The first transformation pipeline's ``models`` glob (``models/**``
    when there is none) as a directory and a file matcher; see
    :mod:`rocky.model_glob`. A malformed glob is a ConfigError."""
    glob, name = DEFAULT_MODELS_GLOB, None
    for key, pipeline in config.pipelines.items():
        if isinstance(pipeline, TransformationPipeline):
            glob, name = pipeline.models, key
            break
    try:
        return select_models(glob, root)
    except ValueError as exc:  # checked when rocky.toml loads; kept for callers
        raise ConfigError(f"rocky.toml: `[pipeline.{name}] models` {exc}") from None


def models_dir_of(config: RockyConfig, root: Path) -> Path:
    """The directory the first transformation pipeline's ``models`` glob
    starts from (``models/**`` -> ``models``); ``root/models`` if none."""
    return models_selection(config, root).base


def models_base(glob: str, root: Path) -> Path:
    """The directory a ``models`` glob starts from, below ``root``: the
    literal components before the first wildcard (``models`` for a glob
    that starts with one), or the parent of a literal model file."""
    try:
        return select_models(glob, root).base
    except ValueError:
        return root / "models"


def load_project(
    config_path: Path | str = "rocky.toml",
    *,
    models_dir: Path | None = None,
    contracts_dir: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> Project:
    """Load the project whose rocky.toml is ``config_path`` (a directory
    means its rocky.toml). ``models_dir`` and ``contracts_dir`` override the
    configured locations and must exist; ``env`` replaces ``os.environ`` for
    ``${VAR}`` substitution."""
    config, raw, path = load_config(config_path, env=env)
    root = path.parent
    adapter_type = _adapter_type(config, raw, path)
    include = None
    if models_dir is not None:
        # An explicit directory replaces the pipeline's glob: all of it loads.
        mdir = Path(models_dir).absolute()
        if not mdir.exists():
            raise ConfigError(f"models directory {models_dir} does not exist")
        _require_directory(mdir, str(models_dir))
    else:
        selection = models_selection(config, root)
        mdir, include = selection.base, selection.include
        _confine(mdir, root, selection.glob)
        # Absent means no models yet; a file in its place would silently
        # mean zero models (and an empty "successful" run).
        _require_directory(mdir, rel(mdir, root))
    # Tens of thousands of small objects: collecting them mid-load only
    # costs time (about a third of the load), so the collector waits.
    collecting = gc.isenabled()
    gc.disable()
    try:
        models, beside = load_models(root, mdir, env, include) if mdir.is_dir() else ({}, {})
    finally:
        if collecting:
            gc.enable()
    if contracts_dir is not None:
        cdir = Path(contracts_dir).absolute()
        if not cdir.is_dir():
            raise ConfigError(f"contracts directory {contracts_dir} does not exist")
        shown_dir = str(contracts_dir).rstrip("/")
    else:
        cdir = root / "contracts"
        shown_dir = "contracts"
    contracts = load_contracts(
        {name: (p, rel(p, root)) for name, p in beside.items()},
        cdir if cdir.is_dir() else None,
        shown_dir,
    )
    seed_sql = root / "data" / "seed.sql"
    return Project(
        root=root,
        config_path=path,
        config_bytes=raw,
        config=config,
        models_dir=mdir,
        models=models,
        seeds=discover_seeds(root, env),
        seed_sql=seed_sql if seed_sql.is_file() else None,
        contracts=contracts,
        adapter_type=adapter_type,
    )


def _adapter_type(config: RockyConfig, raw: bytes, path: Path) -> str:
    """The default adapter's type, checked once for every command: one rocky
    does not know by name needs its plugin (for the SQL dialect), and a
    missing one is named at its line in rocky.toml with the package to
    install. Known types compile without their plugin; running needs it
    (:func:`rocky.config.adapter_config` says so the same way)."""
    name = default_adapter_name(config)
    if name not in config.adapters:
        return "duckdb"
    kind: str = config.adapters[name]["type"]
    if builtin_dialect(kind) is None:
        text = raw.decode("utf-8", errors="replace")
        adapter_spec(kind, name, file=path.name, text=text)
    return kind


def _require_directory(path: Path, shown: str) -> None:
    if path.exists() and not path.is_dir():
        raise ConfigError(
            "the models path is not a directory",
            file=shown,
            hint="move the file away and keep the models in a directory of that name",
        )


def _confine(mdir: Path, root: Path, glob: str) -> None:
    """A ``models`` glob must stay inside the project (as in ``rocky
    validate``'s V047): reading a directory elsewhere is refused."""
    if not mdir.exists():
        return
    try:
        mdir.resolve().relative_to(root.resolve())
    except ValueError:
        raise ConfigError(
            f"rocky.toml: the `models` glob `{glob}` points outside the project ({mdir.resolve()})",
            hint="keep the models under the directory holding rocky.toml",
        ) from None
