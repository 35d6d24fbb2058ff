"""``compile_project``: a loaded Project in, a typed ProjectIR out.

Phases: front ends (parse each model once, or take it from the cache), the
DAG (references + ``depends_on``, Kahn order, cycles), inference in
execution order (each model against its upstreams' compiled schemas, again
cached), cross-model checks, then the ``rocky_diagnostics`` plugin hook.
Nothing raises for a problem in a model: every problem is a diagnostic.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import blake3

from rocky.compiler import checks
from rocky.compiler.cache import CompileCache
from rocky.compiler.dag import order_models
from rocky.compiler.model import COMPILER_VERSION, FrontEnd, ModelResult, analyze, front_end
from rocky.compiler.parse import dialect_for, normalize_dialect
from rocky.compiler.schemas import CatalogProvider, CatalogReader, SchemaChain
from rocky.compiler.scope import Rel, base_rel, unknown_rel
from rocky.diagnostics import Diagnostic, Span
from rocky.errors import RockyError
from rocky.ir import Column, ModelIR, ProjectIR, canonical_json

__all__ = ["CompileOptions", "CompileResult", "compile_project"]


@dataclass(frozen=True)
class CompileOptions:
    """``model`` compiles only that model and its upstreams. ``catalog`` is
    an adapter (or anything with ``describe_table``) used as the last schema
    provider, cached in ``state_path`` for ``cache_ttl`` seconds.
    ``contracts_dir``, ``target_dialect`` and ``extra`` are handed to the
    ``rocky_diagnostics`` hook."""

    vars: Mapping[str, str] = field(default_factory=dict)
    with_seed: bool = False
    model: str | None = None
    cache: bool = True
    cache_ttl: int | None = None
    target_dialect: str | None = None
    contracts_dir: Path | None = None
    catalog: CatalogReader | None = None
    state_path: Path | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class CompileResult:
    """The compiled project and how long each phase took. ``parsed`` and
    ``inferred`` name the models this compile actually parsed / inferred
    (the rest came from the incremental cache)."""

    ir: ProjectIR
    timings: dict[str, float]
    parsed: list[str] = field(default_factory=list)
    inferred: list[str] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return self.ir.has_errors


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Many live trees make the cyclic GC quadratic-ish during bulk parsing."""
    enabled = gc.isenabled()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.unfreeze()
        if enabled:
            gc.enable()


def _hash(*parts: str) -> str:
    h = blake3.blake3()
    for p in parts:
        h.update(p.encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()


def _span(src: Any, line: int | None, col: int | None) -> Span:
    if line is None:
        return Span(src.rel_path, src.line_offset + 1, 1)
    return Span(src.rel_path, line, col or 1)


def _diag(src: Any, packed: tuple[str, str, int | None, int | None, str | None]) -> Diagnostic:
    code, message, line, col, suggestion = packed
    return checks.diagnostic(code, message, src.name, _span(src, line, col), suggestion)


def _select_models(project: Any, only: str | None) -> list[str]:
    names = sorted(project.models)
    if only is None:
        return names
    if only not in project.models:
        raise RockyError(f"no model named '{only}'", hint="see `rocky compile` for the model list")
    return names


def _resolve_name(name: str, exact: Mapping[str, str], lower: Mapping[str, str]) -> str | None:
    return exact.get(name) or lower.get(name.lower())


class _Compiler:
    def __init__(self, project: Any, options: CompileOptions) -> None:
        self.project = project
        self.options = options
        self.dialect = dialect_for(project.adapter_type)
        self.vars = dict(options.vars)
        self.vars_key = canonical_json(self.vars)
        self.cache = CompileCache.load(project.root) if options.cache else None
        self.parsed: list[str] = []
        self.inferred: list[str] = []
        self.join_ns = 0
        freshness = getattr(
            getattr(project.config, "freshness", None), "expected_lag_seconds", None
        )
        self.project_freshness = freshness is not None
        self.lower_names: dict[str, str] = {}
        for n in sorted(project.models):
            self.lower_names.setdefault(n.lower(), n)

    # -- phase 1 ----------------------------------------------------------------------
    def content_key(self, src: Any) -> str:
        content = src.content_hash or _hash(
            src.text, canonical_json(src.config.model_dump(mode="json"))
        )
        return _hash(
            COMPILER_VERSION,
            self.dialect,
            content,
            src.rel_path,
            str(src.line_offset),
            src.kind,
            self.vars_key,
        )

    def front_ends(
        self, names: list[str]
    ) -> tuple[dict[str, FrontEnd], dict[str, Any], dict[str, str]]:
        fronts: dict[str, FrontEnd] = {}
        work: dict[str, Any] = {}
        keys: dict[str, str] = {}
        models = self.project.models
        for name in names:
            src = models[name]
            key = keys[name] = self.content_key(src)
            front = self.cache.get_front(key) if self.cache else None
            if front is None:
                front, query, prepared = front_end(src, self.dialect, self.vars)
                self.parsed.append(name)
                if self.cache:
                    self.cache.put_front(key, front)
                if query is not None:
                    work[name] = (query, prepared)
            fronts[name] = front
        return fronts, work, keys

    def compile(self) -> CompileResult:
        t0 = time.perf_counter()
        project, options = self.project, self.options
        names = _select_models(project, options.model)
        timings = dict.fromkeys(
            (
                "total_ms",
                "project_load_ms",
                "semantic_graph_ms",
                "typecheck_ms",
                "typecheck_join_keys_ms",
                "contracts_ms",
            ),
            0.0,
        )
        catalog = None
        if options.catalog is not None:
            catalog = CatalogProvider(
                options.catalog,
                options.state_path or project.root / ".rocky-state.sqlite",
                options.cache_ttl,
            )
        try:
            chain = SchemaChain.for_project(project, with_seed=options.with_seed, catalog=catalog)
            with _gc_paused():
                ir = self._compile(names, chain, timings)
        finally:
            if catalog is not None:
                catalog.close()
        if self.cache is not None:
            self.cache.save()
        t_hook = time.perf_counter()
        self._plugin_diagnostics(ir)
        timings["contracts_ms"] = (time.perf_counter() - t_hook) * 1000
        timings["total_ms"] = (time.perf_counter() - t0) * 1000
        return CompileResult(ir, timings, self.parsed, self.inferred)

    def _compile(
        self, names: list[str], chain: SchemaChain, timings: dict[str, float]
    ) -> ProjectIR:
        project = self.project
        models = project.models
        t1 = time.perf_counter()
        fronts, work, keys = self.front_ends(names)
        exact = {n: n for n in names}
        lower: dict[str, str] = {}
        for n in names:
            lower.setdefault(n.lower(), n)
        diagnostics: list[Diagnostic] = []
        deps: dict[str, list[str]] = {}
        externals: dict[str, list[tuple[str, ...]]] = {}
        for name in names:
            src = models[name]
            found: list[str] = []
            ext: list[tuple[str, ...]] = []
            for dep in src.config.depends_on:
                target = _resolve_name(dep, exact, lower)
                if target is None:
                    diagnostics.append(
                        checks.diagnostic(
                            "E007",
                            f"depends_on names '{dep}', which is not a model",
                            name,
                            _span(src, None, None),
                            "fix the name or remove it from depends_on",
                        )
                    )
                elif target == name:
                    diagnostics.append(
                        checks.diagnostic(
                            "E004",
                            f"dependency cycle: {name} -> {name}",
                            name,
                            _span(src, None, None),
                            "a model cannot depend on itself",
                        )
                    )
                elif target not in found:
                    found.append(target)
            for parts in fronts[name].refs:
                target = _resolve_name(parts[0], exact, lower) if len(parts) == 1 else None
                if target is not None:
                    if target != name and target not in found:
                        found.append(target)
                elif parts not in ext and not (len(parts) == 1 and target == name):
                    ext.append(parts)
            deps[name] = found
            externals[name] = ext
        if self.options.model is not None:
            keep = self._upstream_closure(self.options.model, deps)
            names = [n for n in names if n in keep]
            deps = {n: deps[n] for n in names}
            diagnostics = [d for d in diagnostics if d.model in keep]
        dag = order_models(deps)
        for cycle in dag.cycles:
            path = " -> ".join(cycle)
            for member in sorted(set(cycle)):
                diagnostics.append(
                    checks.diagnostic(
                        "E004",
                        f"dependency cycle: {path}",
                        member,
                        _span(models[member], None, None),
                        "remove one of these references or depends_on entries",
                    )
                )
        timings["semantic_graph_ms"] = (time.perf_counter() - t1) * 1000

        t2 = time.perf_counter()
        rels: dict[str, Rel] = {}
        schema_keys: dict[str, str] = {}
        results: dict[str, ModelResult] = {}
        model_irs: dict[str, ModelIR] = {}
        sources: dict[str, tuple[Column, ...]] = {}
        star_models: list[str] = []
        for name in dag.order:
            src = models[name]
            front = fronts[name]
            result = self._model_result(
                name,
                src,
                front,
                keys[name],
                deps[name],
                externals[name],
                chain,
                rels,
                schema_keys,
                work,
            )
            results[name] = result
            rels[name] = base_rel(
                name, [(c.name, c.type, c.nullable) for c in result.columns], result.complete
            )
            schema_keys[name] = _hash(
                canonical_json([c.to_json() for c in result.columns]), str(result.complete)
            )
            for parts in externals[name]:
                cols = chain.lookup(parts)
                if cols is not None:
                    sources[".".join(parts)] = cols
            if front.select_star:
                star_models.append(name)
            model_irs[name] = self._model_ir(src, front, result, deps[name], externals[name])
            diagnostics.extend(_diag(src, d) for d in front.diags)
            diagnostics.extend(_diag(src, d) for d in result.diags)
        timings["typecheck_ms"] = (time.perf_counter() - t2) * 1000
        timings["typecheck_join_keys_ms"] = self.join_ns / 1e6
        spans = {n: _span(models[n], None, None) for n in model_irs}
        diagnostics.extend(checks.target_collisions(model_irs.values(), spans))
        diagnostics.extend(checks.select_star_blast_radius(model_irs, star_models, spans))
        if self.options.model is not None:
            diagnostics = [d for d in diagnostics if d.model == self.options.model]
        return ProjectIR(self.dialect, model_irs, dag.layers, diagnostics, sources)

    @staticmethod
    def _upstream_closure(name: str, deps: Mapping[str, list[str]]) -> set[str]:
        keep: set[str] = set()
        stack = [name]
        while stack:
            n = stack.pop()
            if n in keep:
                continue
            keep.add(n)
            stack.extend(deps.get(n, ()))
        return keep

    def _model_result(
        self,
        name: str,
        src: Any,
        front: FrontEnd,
        key: str,
        deps: list[str],
        externals: list[tuple[str, ...]],
        chain: SchemaChain,
        rels: Mapping[str, Rel],
        schema_keys: Mapping[str, str],
        work: dict[str, Any],
    ) -> ModelResult:
        if not front.ok:
            return ModelResult((), False, (), ())
        parts = [key, str(chain.complete), str(self.project_freshness)]
        parts.extend(f"m:{d}:{schema_keys.get(d, '?')}" for d in deps)
        parts.extend(f"x:{'.'.join(p)}:{chain.fingerprint(p)}" for p in externals)
        ikey = _hash(*parts)
        if self.cache is not None:
            cached = self.cache.get_result(ikey)
            if cached is not None:
                return cached
        item = work.pop(name, None)
        if item is None:
            _, query, prepared = front_end(src, self.dialect, self.vars)
            self.parsed.append(name)
            if query is None:
                return ModelResult((), False, (), ())
            item = (query, prepared)
        query, prepared = item
        resolver = self._resolver(name, rels, chain)
        result = analyze(
            src,
            query,
            prepared,
            self.dialect,
            resolver,
            front,
            project_freshness=self.project_freshness,
        )
        self.inferred.append(name)
        self.join_ns += result.join_ns
        if self.cache is not None:
            self.cache.put_result(ikey, result)
        return result

    def _resolver(self, name: str, rels: Mapping[str, Rel], chain: SchemaChain) -> Any:
        names = self.project.models
        lower = self.lower_names
        external: dict[tuple[str, ...], Rel | None] = {}

        def resolve(parts: tuple[str, ...], node: Any) -> Rel | None:
            if len(parts) == 1:
                target = parts[0] if parts[0] in names else lower.get(parts[0].lower())
                if target is not None:
                    if target == name:
                        return unknown_rel(None)  # a model reading its own table
                    return rels.get(target) or unknown_rel(target)
            if parts in external:
                return external[parts]
            cols = chain.lookup(parts)
            dotted = ".".join(parts)
            rel: Rel | None
            if cols is not None:
                rel = base_rel(dotted, [(c.name, c.type, c.nullable) for c in cols], True)
            elif chain.complete:
                rel = None
            else:
                rel = unknown_rel(dotted)
            external[parts] = rel
            return rel

        return resolve

    def _model_ir(
        self,
        src: Any,
        front: FrontEnd,
        result: ModelResult,
        deps: list[str],
        externals: list[tuple[str, ...]],
    ) -> ModelIR:
        config = src.config
        return ModelIR(
            name=src.name,
            file=src.rel_path,
            kind=src.kind,
            sql=front.sql,
            target=config.target.ref,
            strategy=config.strategy.model_dump(mode="json"),
            depends_on=tuple(deps),
            external_refs=tuple(".".join(p) for p in externals),
            columns=result.columns,
            lineage=result.lineage,
            config=config.model_dump(mode="json", by_alias=True),
            content_hash=src.content_hash,
            schema_complete=result.complete,
            select_star=front.select_star,
        )

    def _plugin_diagnostics(self, ir: ProjectIR) -> None:
        from rocky.plugins import get_plugin_manager

        options = self.options
        target = options.target_dialect
        hook_options: dict[str, Any] = {
            "target_dialect": normalize_dialect(target) if target else None,
            "contracts_dir": str(options.contracts_dir) if options.contracts_dir else None,
            "with_seed": options.with_seed,
            "vars": dict(options.vars),
            "model": options.model,
            "project": self.project,
            **dict(options.extra),
        }
        results = get_plugin_manager().hook.rocky_diagnostics(project_ir=ir, options=hook_options)
        for extra in results:
            for d in extra or []:
                if options.model is None or d.model in (None, options.model):
                    ir.diagnostics.append(d)


def compile_project(project: Any, options: CompileOptions | None = None) -> CompileResult:
    """Compile a loaded project (rocky.project.Project) into a ProjectIR."""
    return _Compiler(project, options or CompileOptions()).compile()
