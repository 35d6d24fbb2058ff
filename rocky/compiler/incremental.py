"""Recompiling only the models whose files changed since the project
snapshot, and splicing them into the snapshot's report.

It applies when every changed file is the SQL or DSL file of a model that
keeps its sidecar (so its resolved config is the snapshot's) and the
project has nothing else that reads whole-project state: no contracts, no
portability target, no third-party ``rocky_diagnostics`` plugin, no
dependency cycle. Anything else returns ``None`` and the caller compiles in
full. The steps mirror a full compile:

1. each changed model is parsed to learn what it reads now; if that
   changed, the execution order is recomputed (a new cycle: full compile);
2. models are inferred in execution order against the snapshot's schemas
   (or the new ones), and a model whose schema changed puts its direct
   dependents on the list, so a change travels exactly as far as it must;
3. the report fragments of every recompiled model are rebuilt in the order
   a full compile lists them (dependency diagnostics, parse and inference
   diagnostics, target collisions, ``SELECT *`` blast radius), and the
   blast radius (P002) of every ``SELECT *`` model next to a recompiled one
   is recomputed from its consumers' edges;
4. a new snapshot is written for the next compile.
"""

from __future__ import annotations

import heapq
import json
import marshal
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rocky.compiler.lineage_view import View, view
from rocky.compiler.report import CompileReport, encode_fragment
from rocky.compiler.snapshot import Changes, Snapshot, StaleSnapshot

__all__ = ["recompile"]


class _Schemas:
    """Packed schemas of every model, decoded from the snapshot on demand
    (the compiler asks only for the models a recompiled model reads)."""

    def __init__(self, views: Any) -> None:
        self.views = views
        self.fresh: dict[str, tuple[Any, bool]] = {}

    def get(self, name: str) -> tuple[Any, bool] | None:
        found = self.fresh.get(name)
        if found is not None:
            return found
        v = self.views(name)
        return None if v is None else (v.columns, v.schema_complete)

    def __setitem__(self, name: str, value: tuple[Any, bool]) -> None:
        self.fresh[name] = value


def _body(path: str, shown: str) -> tuple[str, int] | None:
    """The model text as the loader takes it from a file without
    frontmatter; None when the loader would do more (or refuse it)."""
    from rocky.model_text import has_frontmatter, trim_body

    try:
        with open(path, "rb") as handle:
            raw = handle.read()
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if text.startswith("\ufeff") or "\x00" in text or has_frontmatter(text):
        return None
    body, offset = trim_body(text, 0)
    return (body, offset) if body else None


def recompile(
    snap: Snapshot, changes: Changes, variables: Mapping[str, str], *, started: float
) -> Any:
    """A :class:`rocky.compiler.warm.WarmReport`, or None for a full compile."""
    if not snap.extra.get("incremental") or changes.added or changes.removed:
        return None
    owner: dict[str, str] = {}
    for name, entry in snap.models.items():
        owner[entry[0][0]] = name
    changed: list[str] = []
    for path in changes.changed:
        found = owner.get(path)
        if found is None:
            return None  # a sidecar, _defaults.toml, rocky.toml, a seed, ...
        changed.append(found)
    run = _Recompile(snap, variables)
    try:
        if not run.start(changed):
            return None
        run.save_snapshot(changes)
    except StaleSnapshot:
        return None
    from rocky.compiler.warm import WarmReport

    return WarmReport(run.report, run.recompiled, (time.perf_counter() - started) * 1000)


class _Recompile:
    def __init__(self, snap: Snapshot, variables: Mapping[str, str]) -> None:
        from rocky.compiler.packing import Unpacker
        from rocky.compiler.warm import report_of

        self.snap = snap
        self.root = Path(snap.extra["root"])
        self.variables = dict(variables)
        self.report: CompileReport = report_of(snap.report)
        self.order: list[str] = self.report.order
        self.unpack = Unpacker()
        self.views: dict[str, View] = {}
        self.new_views: dict[str, bytes] = {}
        self.new_deps: dict[str, tuple[str, ...]] = {}
        self.schemas = _Schemas(lambda n: self.view_of(n) if n in snap.models else None)
        self.recompiled: list[str] = []
        self.sources = marshal.loads(snap.sources)
        self._compiler: Any = None
        self.names: Any = None

    def view_of(self, name: str) -> View:
        found = self.views.get(name)
        if found is None:
            found = self.views[name] = view(self.snap.view_blob(name))
        return found

    def deps_of(self, name: str) -> tuple[str, ...]:
        found = self.new_deps.get(name)
        return found if found is not None else tuple(self.snap.models[name][1])

    def compiler(self) -> Any:
        if self._compiler is None:
            from rocky.compiler.worker import ModelCompiler

            extra = self.snap.extra
            self._compiler = ModelCompiler(
                (
                    "init",
                    extra["dialect"],
                    self.variables,
                    self.order,
                    extra["chain"],
                    extra["project_freshness"],
                )
            )
            self._compiler.schemas = self.schemas
            self.names = self._compiler.names  # every model name, as the compiler sees them
        return self._compiler

    def _job(self, name: str) -> tuple[Any, ...] | None:
        v = self.view_of(name)
        files = self.snap.models[name][0]
        if v.kind == "sql" and len(files) < 2:
            return None  # its config is in its own frontmatter: the loader reads it
        path = files[0]
        body = _body(path, v.file)
        if body is None:
            return None
        text, offset = body
        has_freshness = v.config.get("freshness") is not None
        return (name, text, v.kind, path, offset, v.strategy, has_freshness)

    # -- the steps -----------------------------------------------------------------
    def start(self, changed: list[str]) -> bool:
        from rocky.compiler.graph import resolve_deps
        from rocky.compiler.model import ModelInput, front_end

        jobs: dict[str, tuple[Any, ...]] = {}
        compiler = self.compiler()
        for name in changed:
            job = self._job(name)
            if job is None:
                return False
            jobs[name] = job
            front, _, _ = front_end(ModelInput(*job), compiler.dialect, compiler.vars)
            deps = resolve_deps(
                name, self.view_of(name).config.get("depends_on") or [], front.refs, self.names
            )
            if deps.models != self.deps_of(name):
                self.new_deps[name] = deps.models
        if self.new_deps and not self._reorder():
            return False
        return self._infer(jobs)

    def _reorder(self) -> bool:
        from rocky.compiler.dag import order_models

        deps = {n: list(self.deps_of(n)) for n in self.order}
        dag = order_models(deps)
        if dag.cycles:
            return False
        self.order = self.report.order = dag.order
        self.report.layers = len(dag.layers)
        return True

    def _infer(self, jobs: dict[str, tuple[Any, ...]]) -> bool:
        from rocky.compiler.packing import schema_key

        position = {n: i for i, n in enumerate(self.order)}
        heap = [(position[n], n) for n in jobs]
        heapq.heapify(heap)
        queued = set(jobs)
        downstream: dict[str, list[str]] | None = None
        stars: set[str] = set()
        while heap:
            _, name = heapq.heappop(heap)
            job = jobs.get(name) or self._job(name)
            if job is None:
                return False
            old = self.view_of(name)
            outcome = self._compile_one(name, job, old)
            if outcome is None:
                return False
            columns, complete, star = outcome
            if star or old.select_star:
                stars.add(name)
            stars.update(
                d for d in (*old.depends_on, *self.deps_of(name)) if self.view_of(d).select_star
            )
            if schema_key(columns, complete) == schema_key(old.columns, old.schema_complete):
                continue
            if downstream is None:
                downstream = self._downstream()
            for d in downstream.get(name, ()):
                if d not in queued:
                    queued.add(d)
                    heapq.heappush(heap, (position[d], d))
        self._blast_radius(stars)
        return True

    def _downstream(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for n in self.order:
            for d in self.deps_of(n):
                out.setdefault(d, []).append(n)
        return out

    def _compile_one(
        self, name: str, job: tuple[Any, ...], old: View
    ) -> tuple[Any, bool, bool] | None:
        from rocky.compiler import assemble
        from rocky.compiler.graph import resolve_deps
        from rocky.compiler.lineage_view import pack_model
        from rocky.diagnostics import Diagnostic, Span
        from rocky.ir import ModelIR, TableRef
        from rocky.model_text import content_hash_of

        compiler = self.compiler()
        _, front_data, result_data, *_ = compiler.run(job)
        front = self.unpack.front_blob(front_data)
        if result_data is not None:
            packed, _ = marshal.loads(result_data)
            result = self.unpack.result(name, packed)
        elif front.ok:
            return None  # an upstream schema is missing: not expected, compile in full
        else:
            from rocky.compiler.schedule import FAILED

            result = FAILED
        deps = resolve_deps(name, old.config.get("depends_on") or [], front.refs, self.names)
        if deps.models != self.deps_of(name):
            return None  # the order was computed from another parse
        for parts in deps.externals:
            cols = compiler.chain.lookup(parts)
            if cols is not None:
                from rocky.compiler.packing import pack_columns

                self.sources[".".join(parts)] = pack_columns(cols)
        with open(job[3], "rb") as handle:
            raw = handle.read()
        m = ModelIR(
            name=name,
            file=old.file,
            kind=old.kind,
            sql=front.sql,
            target=TableRef(*old.target),
            strategy=dict(old.strategy),
            depends_on=deps.models,
            external_refs=tuple(".".join(p) for p in deps.externals),
            columns=result.columns,
            lineage=result.lineage,
            config=old.config,
            content_hash=content_hash_of(raw, old.config),
            schema_complete=result.complete,
            select_star=front.select_star,
        )
        blob = pack_model(m, job[4])
        self.views[name] = view(blob)
        self.new_views[name] = blob
        self.schemas[name] = (self.views[name].columns, result.complete)
        compiler.rels.forget(name)
        offset = job[4]
        span = Span(old.file, offset + 1, 1)
        diags: list[Diagnostic] = assemble.model_dependency_diagnostics(name, deps, span)
        diags.extend(assemble.packed_diagnostic(name, old.file, offset, d) for d in front.diags)
        diags.extend(assemble.packed_diagnostic(name, old.file, offset, d) for d in result.diags)
        # target collisions (the target did not change) and the blast
        # radius (recomputed below when it may have changed) are kept
        diags.extend(d for d in self._stored_diags(name) if d.code in ("E036", "P002"))
        self._set_diags(name, diags)
        detail = json.loads(self.report.details[name])
        rebuilt: dict[str, Any] = {}
        for key in ("name", "strategy", "target", "freshness", "contract_source"):
            if key in detail:
                rebuilt[key] = detail[key]
        if m.depends_on:
            rebuilt["depends_on"] = list(m.depends_on)
        if "tags" in detail:
            rebuilt["tags"] = detail["tags"]
        rebuilt["columns"] = [c.to_json() for c in m.columns]
        self.report.details[name] = encode_fragment(rebuilt)
        self.recompiled.append(name)
        return self.views[name].columns, result.complete, front.select_star

    def _stored_diags(self, name: str) -> list[Any]:
        """``name``'s diagnostics as the report holds them now."""
        from rocky.diagnostics import Diagnostic

        return [Diagnostic.from_json(json.loads(t)) for t in self.report.diags.get(name, ())]

    def _set_diags(self, name: str, diags: list[Any]) -> None:
        from rocky.compiler.report import diagnostic_line

        if diags:
            self.report.diags[name] = [encode_fragment(d.to_json()) for d in diags]
        else:
            self.report.diags.pop(name, None)
        errors = [d for d in diags if d.is_error]
        if errors:
            contracts: dict[str, str] = {}
            files = {name: self.view_of(name).file}
            self.report.errors[name] = (len(errors), diagnostic_line(errors[0], contracts, files))
        else:
            self.report.errors.pop(name, None)

    def _blast_radius(self, stars: set[str]) -> None:
        """P002 of each ``SELECT *`` model in ``stars``, from its consumers."""
        if not stars:
            return
        from rocky.compiler import checks
        from rocky.compiler.lineage_view import unpack_model
        from rocky.diagnostics import Diagnostic, Span

        downstream = self._downstream()
        for star in sorted(stars):
            if not self.view_of(star).select_star:
                found: list[Diagnostic] = []
            else:
                consumers = {
                    n: unpack_model(n, self.new_views.get(n) or self.snap.view_blob(n), self.unpack)
                    for n in downstream.get(star, ())
                }
                v = self.view_of(star)
                spans = {star: Span(v.file, v.line_offset + 1, 1)}
                found = checks.select_star_blast_radius(consumers, [star], spans)
            kept = [d for d in self._stored_diags(star) if d.code != "P002"]
            self._set_diags(star, kept + found)

    def save_snapshot(self, changes: Changes) -> None:
        from rocky.compiler.warm import report_data

        new = self.snap.replace(
            changes.scan,
            report_data(self.report),
            self.new_deps,
            self.new_views,
            marshal.dumps(self.sources),
        )
        new.save(self.root)
