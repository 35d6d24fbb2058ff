"""Compiling with the project snapshot (:mod:`rocky.compiler.snapshot`).

- :func:`compile_and_snapshot`: a full compile that also writes the
  snapshot (``rocky compile``, and ``rocky lineage`` when it must compile).
- :func:`cached_report`: the compile report of a project whose files have
  not changed since its snapshot, or of one where only some model files
  changed (those are recompiled by :mod:`rocky.compiler.incremental`);
  ``None`` when a full compile is needed.
- :func:`lineage_ir`: the part of the ProjectIR a lineage query reads, from
  the snapshot of an unchanged project.

Each of these is an answer a full compile would give, byte for byte
(``tests/compiler/test_warm.py`` compares them).
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rocky.compiler.report import CompileReport
from rocky.compiler.snapshot import Inputs, Scan, Snapshot, StaleSnapshot, default_dirs, scan

__all__ = [
    "WarmReport",
    "cached_report",
    "compile_and_snapshot",
    "lineage_ir",
    "project_root",
    "report_data",
]


def project_root(config_path: Path | str) -> tuple[Path, Path]:
    """The project's root and its rocky.toml (``config_path`` may name the
    directory), both absolute."""
    path = Path(config_path).absolute()
    if path.is_dir():
        path = path / "rocky.toml"
    return path.parent, path


def _inputs(config_path: Path | str, **options: Any) -> tuple[Path, Path, Inputs]:
    """The project's root, its rocky.toml, and the compile's inputs for
    ``options`` (the keywords of :meth:`Inputs.of`)."""
    root, config = project_root(config_path)
    return root, config, Inputs.of(config, **options)


def report_data(report: CompileReport) -> dict[str, Any]:
    return {
        "order": report.order,
        "layers": report.layers,
        "details": report.details,
        "diags": report.diags,
        "tail": report.tail,
        "errors": report.errors,  # the key None (errors of no model) marshals as is
    }


def report_of(data: Mapping[str, Any]) -> CompileReport:
    errors = {k: (count, line) for k, (count, line) in data["errors"].items()}
    return CompileReport(
        order=list(data["order"]),
        layers=data["layers"],
        details=dict(data["details"]),
        diags=dict(data["diags"]),
        tail=list(data["tail"]),
        errors=errors,
    )


def _scan_before_load(
    root: Path, config: Path, models_dir: Path | None, contracts_dir: Path | None
) -> Scan:
    """The files' state before the load reads them (a file changed during
    the compile then shows as changed next time, never as unchanged)."""
    from rocky.config import load_config
    from rocky.project import models_selection

    dirs = default_dirs(root, models_dir, contracts_dir)
    if models_dir is None:
        try:
            settings, _, _ = load_config(config)
            dirs.append(str(models_selection(settings, root).base))
        except Exception:  # the load below reports it properly
            pass
    return scan(dirs, [str(config)])


@dataclass
class WarmReport:
    """A compile report and how it was made: ``recompiled`` names the
    models compiled again (empty when nothing changed)."""

    report: CompileReport
    recompiled: list[str]
    check_ms: float


def compile_and_snapshot(
    config_path: Path | str,
    *,
    models_dir: Path | None = None,
    contracts_dir: Path | None = None,
    variables: Mapping[str, str] | None = None,
    with_seed: bool = False,
    target_dialect: str | None = None,
    snapshot: bool = True,
    cache: bool = True,
) -> tuple[Any, Any, CompileReport, float]:
    """Load and compile the project; write its snapshot unless ``snapshot``
    is False. Returns the project, the CompileResult, the report and the
    load time in ms."""
    from rocky.compiler.driver import CompileOptions, compile_project
    from rocky.compiler.lineage_view import pack_model
    from rocky.compiler.report import ReportEncoder, build_report
    from rocky.envsubst import recording
    from rocky.project import load_project

    root, config, inputs = _inputs(
        config_path,
        models_dir=models_dir,
        variables=variables,
        with_seed=with_seed,
        contracts_dir=contracts_dir,
        target_dialect=target_dialect,
    )
    before = _scan_before_load(root, config, models_dir, contracts_dir) if snapshot else None
    if cache and before is not None:
        _start_worker_early(root, before)
    t0 = time.perf_counter()
    with recording() as env_read:
        project = load_project(config_path, models_dir=models_dir, contracts_dir=contracts_dir)
    load_ms = (time.perf_counter() - t0) * 1000
    # Each model's report entry and snapshot view are made as soon as the
    # model compiles: done then, that work shares the cores with the
    # compile instead of running alone after it.
    encoder = ReportEncoder(project)
    sources = project.models
    views = _views_writer(root) if before is not None else None

    def on_model(m: Any, diagnostics: list[Any]) -> None:
        nonlocal views
        encoder.detail(m)
        for d in diagnostics:
            encoder.diagnostic(d)
        if views is not None:
            try:
                views.add(m.name, pack_model(m, sources[m.name].line_offset))
            except OSError:  # no snapshot views this time; the compile goes on
                views.discard()
                views = None

    try:
        result = compile_project(
            project,
            CompileOptions(
                vars=dict(variables or {}),
                with_seed=with_seed,
                cache=cache,
                target_dialect=target_dialect,
                contracts_dir=contracts_dir,
                on_model=on_model,
            ),
        )
        report = build_report(project, result.ir, encoder=encoder)
        if before is not None and views is not None:
            _save(
                project,
                result,
                report,
                views,
                inputs,
                before,
                env_read,
                contracts_dir,
                target_dialect,
            )
    finally:
        if views is not None:  # a views file left unfinished (none once renamed)
            views.discard()
    return project, result, report, load_ms


def _views_writer(root: Path) -> Any:
    """A new views file for the snapshot, or None when it cannot be written
    (a read-only checkout: the compile goes on without a snapshot)."""
    from rocky.compiler.snapshot import ViewsWriter

    try:
        return ViewsWriter(root)
    except OSError:
        return None


def _start_worker_early(root: Path, before: Scan) -> None:
    """A big cold compile uses a worker process (rocky.compiler.worker):
    started now, its interpreter start-up and parser import overlap the
    project load. The walk already counted the model files."""
    from rocky.compiler.cache import CACHE_RELPATH
    from rocky.compiler.driver import cpus
    from rocky.compiler.schedule import PARALLEL_MIN

    if (root / CACHE_RELPATH).exists() or cpus() < 2:
        return
    models = sum(1 for p in before.stats if p.endswith((".sql", ".rocky")))
    if models >= PARALLEL_MIN:
        from rocky.compiler import worker

        worker.prestart()


def _save(
    project: Any,
    result: Any,
    report: CompileReport,
    views: Any,
    inputs: Inputs,
    before: Scan,
    env_read: Mapping[str, str | None],
    contracts_dir: Path | None,
    target_dialect: str | None,
) -> None:
    from rocky.compiler.lineage_view import pack_model, pack_sources
    from rocky.lifetime import keep_until_exit

    ir = result.ir
    seen = before.stats
    models: dict[str, tuple[list[str], tuple[str, ...]]] = {}
    for name, m in ir.models.items():
        src = project.models[name]
        files = [str(src.path)]
        if src.sidecar_path is not None:
            files.append(str(src.sidecar_path))
        if not all(f in seen for f in files):
            # a model the walk did not see (outside its directories, or
            # unreadable then): no snapshot could notice it change
            Snapshot.remove(project.root)
            return
        models[name] = (files, tuple(m.depends_on))
    # ``views`` (a ViewsWriter) holds the view of every model that compiled;
    # the snapshot's save renames it into place (the caller discards it if not)
    try:
        for n, m in ir.models.items():
            if n not in views.offsets:
                views.add(n, pack_model(m, project.models[n].line_offset))
    except OSError:
        return
    snap = Snapshot.create(
        inputs, before, env_read, report_data(report), models, views, pack_sources(ir.sources)
    )
    snap.extra.update(
        root=str(project.root),
        dialect=ir.dialect,
        chain=result.chain_data,
        project_freshness=result.project_freshness,
        incremental=_incremental_allowed(project, result, contracts_dir, target_dialect),
    )
    snap.save(project.root)
    keep_until_exit(snap)


def _incremental_allowed(
    project: Any, result: Any, contracts_dir: Path | None, target_dialect: str | None
) -> bool:
    """Whether a later compile may recompile just the changed models: only
    when nothing reads whole-project state the snapshot does not keep."""
    from rocky.plugins import get_plugin_manager

    if result.chain_data is None or contracts_dir is not None or project.contracts:
        return False
    if target_dialect or project.config.portability.target_dialect:
        return False
    if any(d.code == "E004" for d in result.ir.diagnostics):
        return False  # a cycle: the order is not a plain one
    hook = get_plugin_manager().hook.rocky_diagnostics
    return all(impl.plugin_name == "lint" for impl in hook.get_hookimpls())


def _usable(snap: Snapshot | None, inputs: Inputs, *, report: bool) -> bool:
    if snap is None:
        return False
    if snap.inputs.ir_key != inputs.ir_key:
        return False
    if report and snap.inputs.report_key != inputs.report_key:
        return False
    return snap.env_unchanged()


def cached_report(
    config_path: Path | str,
    *,
    models_dir: Path | None = None,
    contracts_dir: Path | None = None,
    variables: Mapping[str, str] | None = None,
    with_seed: bool = False,
    target_dialect: str | None = None,
) -> WarmReport | None:
    """The report from the snapshot, when the project allows (see the
    module docstring); ``None`` means: compile in full."""
    t0 = time.perf_counter()
    root, _, inputs = _inputs(
        config_path,
        models_dir=models_dir,
        variables=variables,
        with_seed=with_seed,
        contracts_dir=contracts_dir,
        target_dialect=target_dialect,
    )
    snap = Snapshot.load(root)
    if snap is None or not _usable(snap, inputs, report=True):
        return None
    changes = snap.changes()
    if changes.none:
        return WarmReport(report_of(snap.report), [], (time.perf_counter() - t0) * 1000)
    from rocky.compiler import incremental

    found: WarmReport | None = incremental.recompile(snap, changes, variables or {}, started=t0)
    return found


def _closure(start: str, edges: Mapping[str, Any]) -> set[str]:
    seen = {start}
    queue = deque([start])
    while queue:
        for nxt in edges.get(queue.popleft(), ()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def lineage_ir(
    config_path: Path | str,
    model: str,
    *,
    models_dir: Path | None = None,
    variables: Mapping[str, str] | None = None,
    with_seed: bool = False,
) -> Any:
    """The ProjectIR a lineage query of ``model`` reads: from the snapshot
    when it is current (brought up to date by an incremental compile when
    only model files changed), else from a full compile, which writes the
    snapshot for the next query."""
    options: dict[str, Any] = {
        "models_dir": models_dir,
        "variables": variables,
        "with_seed": with_seed,
    }
    found = _snapshot_ir(config_path, model, **options)
    if found is None and cached_report(config_path, **options) is not None:
        found = _snapshot_ir(config_path, model, **options)
    if found is not None:
        return found
    from rocky.lifetime import keep_until_exit

    project, result, report, _ = compile_and_snapshot(config_path, **options)
    keep_until_exit(project, result, report)
    return result.ir


def _snapshot_ir(
    config_path: Path | str,
    model: str,
    *,
    models_dir: Path | None,
    variables: Mapping[str, str] | None,
    with_seed: bool,
) -> Any:
    """The ProjectIR restricted to ``model``'s upstream and downstream
    closures (all a lineage query of ``model`` reads), from the snapshot
    of an unchanged project; ``None`` when it cannot be used."""
    from rocky.compiler.lineage_view import unpack_model, unpack_sources
    from rocky.compiler.packing import Unpacker
    from rocky.diagnostics import Diagnostic
    from rocky.ir import ProjectIR

    root, _, inputs = _inputs(
        config_path, models_dir=models_dir, variables=variables, with_seed=with_seed
    )
    snap = Snapshot.load(root)
    if snap is None or not _usable(snap, inputs, report=False):
        return None
    if not snap.changes().none:
        return None
    entries = snap.models
    name = model if model in entries else None
    if name is None:
        lowered = [n for n in snap.report["order"] if n.lower() == model.lower()]
        if not lowered:
            return None  # the full path names close matches
        name = lowered[0]
    upstream = {n: entry[1] for n, entry in entries.items()}
    downstream: dict[str, list[str]] = {}
    for n, deps in upstream.items():
        for d in deps:
            downstream.setdefault(d, []).append(n)
    keep = _closure(name, upstream) | _closure(name, downstream)
    order = [n for n in snap.report["order"] if n in keep]
    unpack = Unpacker()
    try:
        models = {n: unpack_model(n, snap.view_blob(n), unpack) for n in order}
    except StaleSnapshot:
        return None
    diagnostics = [
        Diagnostic.from_json(json.loads(text))
        for n in order
        for text in snap.report["diags"].get(n, ())
    ]
    layers = [[n] for n in order]  # lineage reads no layers
    sources = unpack_sources(snap.sources, unpack)
    return ProjectIR(str(snap.extra.get("dialect", "")), models, layers, diagnostics, sources)
