"""``rocky validate``: check a project's configuration without touching a
warehouse or parsing SQL.

The report follows the original tool's JSON shape: ``valid``,
``adapters[{name, adapter_type, ok}]``, ``pipelines[{name, pipeline_type,
strategy, catalog_template, schema_template, ok}]``, ``models{found, count,
dag_valid}`` and ``messages[{code, severity, message, file?, field?}]``
with severity ``ok``, ``warn`` or ``error``. Codes are documented in
docs/configuration.md.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rocky.config import ReplicationPipeline, SnapshotPipeline, TransformationPipeline, load_config
from rocky.errors import ConfigError, PluginError, RockyError
from rocky.model_files import rel
from rocky.project import models_base, models_dir_of

__all__ = ["ValidateReport", "dag_problems", "validate_project"]


@dataclass
class ValidateReport:
    valid: bool = True
    adapters: list[dict[str, Any]] = field(default_factory=list)
    pipelines: list[dict[str, Any]] = field(default_factory=list)
    models: dict[str, Any] = field(
        default_factory=lambda: {"found": False, "count": 0, "dag_valid": False}
    )
    messages: list[dict[str, Any]] = field(default_factory=list)

    def add(
        self,
        code: str,
        severity: str,
        message: str,
        *,
        file: str | None = None,
        field: str | None = None,
    ) -> None:
        if severity == "error":
            self.valid = False
        entry: dict[str, Any] = {"code": code, "severity": severity, "message": message}
        if file is not None:
            entry["file"] = file
        if field is not None:
            entry["field"] = field
        self.messages.append(entry)

    def to_json(self, version: str) -> dict[str, Any]:
        return {
            "version": version,
            "command": "validate",
            "valid": self.valid,
            "adapters": self.adapters,
            "pipelines": self.pipelines,
            "models": self.models,
            "messages": self.messages,
        }


def validate_project(
    config_path: Path | str = "rocky.toml", *, env: Mapping[str, str] | None = None
) -> ValidateReport:
    """Validate rocky.toml, its adapters and pipelines, and load the models.
    A missing rocky.toml raises ConfigError; every other problem is a
    message in the report."""
    report = ValidateReport()
    path = Path(config_path)
    shown = path.name if not path.is_dir() else "rocky.toml"
    try:
        config, raw, resolved = load_config(path, env=env)
    except ConfigError as err:
        if str(err).startswith("no rocky.toml at"):
            raise
        report.add("V001", "error", f"config does not load: {err}", file=shown)
        return report
    report.add("V001", "ok", "config syntax valid", file=shown)
    _adapters(config.adapters, raw.decode("utf-8", errors="replace"), report)
    _pipelines(config, resolved.parent, report)
    _models(resolved, config, report, env)
    return report


def _adapters(adapters: dict[str, dict[str, Any]], text: str, report: ValidateReport) -> None:
    from rocky.plugins import get_registry
    from rocky.schema_check import Located, validate

    if not adapters:
        message = "no adapters defined; models run on an in-memory duckdb"
        report.add("V010", "warn", message, field="adapter")
        return
    bare = re.search(r"(?m)^\s*\[\s*adapter\s*\]", text) is not None
    for name, table in adapters.items():
        kind = table["type"]
        ok = True
        try:
            spec = get_registry().adapter(kind)
            prefix = ("adapter",) if bare and name == "default" else ("adapter", name)
            # Values are never echoed: adapter tables hold credentials.
            validate(
                spec.config_model,
                table,
                Located("rocky.toml", text),
                prefix=prefix,
                strict=False,
                show_values=False,
            )
        except PluginError as err:
            ok = False
            report.add("V017", "error", f"adapter.{name}: {err}", field=f"adapter.{name}.type")
        except ConfigError as err:
            ok = False
            report.add("V011", "error", f"adapter.{name}: {err}", field=f"adapter.{name}")
        else:
            report.add("V010", "ok", f"adapter.{name}: {kind}")
        report.adapters.append({"name": name, "adapter_type": kind, "ok": ok})


def _pipelines(config: Any, root: Path, report: ValidateReport) -> None:
    if not config.pipelines:
        report.add("V020", "warn", "no pipelines defined", field="pipeline")
        return
    adapters = set(config.adapters) or {"default"}  # none configured: implicit in-memory duckdb
    for name, pipeline in config.pipelines.items():
        report.pipelines.append(_pipeline(name, pipeline, adapters, root, report))
    _pipeline_graph(config, report)


def _pipeline(
    name: str, pipeline: Any, adapters: set[str], root: Path, report: ValidateReport
) -> dict[str, Any]:
    refs: list[tuple[str, str, str, str]] = []  # (adapter, code, role, key)
    row = {"name": name, "pipeline_type": pipeline.type, "strategy": "", "ok": True}
    row |= {"catalog_template": "", "schema_template": ""}
    if isinstance(pipeline, ReplicationPipeline):
        row["strategy"] = pipeline.strategy
        row["catalog_template"] = pipeline.target.catalog_template
        row["schema_template"] = pipeline.target.schema_template
        refs.append((pipeline.source.adapter, "V022", "source", "source.adapter"))
        if pipeline.source.discovery is not None:
            discovery = pipeline.source.discovery.adapter
            refs.append((discovery, "V024", "discovery", "source.discovery.adapter"))
    elif isinstance(pipeline, SnapshotPipeline):
        refs.append((pipeline.source.adapter, "V022", "source", "source.adapter"))
    refs.append((pipeline.target.adapter, "V023", "target", "target.adapter"))
    for adapter, code, role, key in refs:
        if adapter not in adapters:
            row["ok"] = False
            report.add(
                code,
                "error",
                f"pipeline.{name}: {role} adapter '{adapter}' not found in [adapter]",
                field=f"pipeline.{name}.{key}",
            )
    if isinstance(pipeline, TransformationPipeline):
        mdir = models_base(pipeline.models, root)
        field = f"pipeline.{name}.models"
        try:
            mdir.resolve().relative_to(root.resolve())
        except ValueError:
            row["ok"] = False
            message = f"pipeline.{name}: models '{pipeline.models}' points outside the project"
            report.add("V047", "error", message, field=field)
        else:
            if not mdir.is_dir():
                message = f"pipeline.{name}: models directory '{mdir.name}' does not exist"
                report.add("V025", "warn", message, field=field)
    report.add("V020", "ok", f"pipeline.{name}: {pipeline.type}")
    return row


def _pipeline_graph(config: Any, report: ValidateReport) -> None:
    deps = {name: list(p.depends_on) for name, p in config.pipelines.items()}
    if not any(deps.values()):
        return
    problems = dag_problems(deps)
    for problem in problems:
        code = "V029" if "unknown" in problem else "V030"
        report.add(code, "error", f"pipeline {problem}", field="pipeline.*.depends_on")
    if not problems:
        report.add("V030", "ok", "pipeline dependency graph is acyclic")


def _models(path: Path, config: Any, report: ValidateReport, env: Mapping[str, str] | None) -> None:
    from rocky.project import load_project

    root = path.parent
    mdir = models_dir_of(config, root)
    report.models["found"] = mdir.is_dir()
    if mdir.exists() and not mdir.is_dir():
        # A file there would otherwise read as a project without models.
        shown = rel(mdir, root)
        report.add("V048", "error", f"models path '{shown}' is not a directory", file=shown)
    try:
        project = load_project(path, env=env)
    except RockyError as err:
        if isinstance(err, PluginError) and any(
            m["code"] == "V017" and err.message in m["message"] for m in report.messages
        ):
            return  # the default adapter's missing plugin, already reported (V017)
        report.add(
            "V030", "error", f"project does not load: {err}", file=getattr(err, "file", None)
        )
        return
    count = len(project.models)
    report.models["count"] = count
    if count:
        report.add("V030", "ok", f"{count} models loaded")
    deps = {name: list(m.config.depends_on) for name, m in project.models.items()}
    problems = dag_problems(deps)
    report.models["dag_valid"] = not problems
    for problem in problems:
        report.add("V031", "error", f"model {problem}")
    if count and not problems:
        report.add("V031", "ok", f"DAG valid ({count} models, no cycles)")


def dag_problems(deps: Mapping[str, list[str]]) -> list[str]:
    """Unknown ``depends_on`` names and cycles, as sentences."""
    problems = [
        f"`{name}` depends_on unknown `{dep}`"
        for name, names in sorted(deps.items())
        for dep in names
        if dep not in deps
    ]
    # Kahn's algorithm: whatever never reaches in-degree zero sits on a cycle.
    indegree = {name: sum(1 for d in names if d in deps) for name, names in deps.items()}
    users: dict[str, list[str]] = {name: [] for name in deps}
    for name, names in deps.items():
        for dep in names:
            if dep in deps:
                users[dep].append(name)
    ready = [name for name, n in indegree.items() if n == 0]
    while ready:
        node = ready.pop()
        for user in users[node]:
            indegree[user] -= 1
            if indegree[user] == 0:
                ready.append(user)
    stuck = sorted(name for name, n in indegree.items() if n > 0)
    if stuck:
        problems.append("dependency cycle involving " + ", ".join(f"`{n}`" for n in stuck))
    return problems
