"""``compile_project``: a loaded Project in, a typed ProjectIR out.

Each model is parsed (or taken from the incremental cache) and inferred
against its upstreams' compiled schemas as soon as those exist
(:mod:`rocky.compiler.schedule`, with a worker process for big cold
compiles); then the DAG (references + ``depends_on``, Kahn order, cycles),
models caught in cycles, cross-model checks, and the ``rocky_diagnostics``
plugin hook. Nothing raises for a problem in a model: every problem is a
diagnostic.
"""

from __future__ import annotations

import atexit
import gc
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import blake3

from rocky.compiler import assemble
from rocky.compiler.cache import CompileCache
from rocky.compiler.dag import order_models
from rocky.compiler.dialects import dialect_for, normalize_dialect
from rocky.compiler.graph import ModelNames
from rocky.compiler.packing import (
    Unpacker,
    front_blob,
    pack_columns,
    result_blob,
    schema_key,
)
from rocky.compiler.report import TIMING_KEYS
from rocky.compiler.results import COMPILER_VERSION, FrontEnd, ModelResult
from rocky.compiler.schedule import PARALLEL_MIN, CompileState, Scheduler
from rocky.compiler.schemas import CatalogProvider, CatalogReader, SchemaChain
from rocky.diagnostics import Diagnostic
from rocky.errors import RockyError
from rocky.ir import ModelIR, ProjectIR, canonical_json

__all__ = ["CompileOptions", "CompileResult", "compile_project", "cpus"]


@dataclass(frozen=True)
class CompileOptions:
    """``model`` compiles only that model and its upstreams. ``catalog`` is
    an adapter (or anything with ``describe_table``) used as the last schema
    provider, cached in ``state_path`` for ``cache_ttl`` seconds.
    ``contracts_dir``, ``target_dialect`` and ``extra`` are handed to the
    ``rocky_diagnostics`` hook. ``workers``: None starts one worker process
    when a compile has many models to parse and the machine more than one
    CPU; 0 never does; 1 does whenever there is a model to parse, and shares
    the work with it from the first model. ``on_model`` is called with each
    model's IR and the diagnostics of its own parse and inference as soon as
    that model is compiled (in no set order; the ProjectIR holds the same
    objects), so per-model work on them can overlap the compile of the
    rest."""

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
    workers: int | None = None
    on_model: Callable[[ModelIR, list[Diagnostic]], None] | None = None


@dataclass
class CompileResult:
    """The compiled project and how long each phase took. ``parsed`` and
    ``inferred`` name the models this compile actually parsed / inferred
    (the rest came from the incremental cache), in execution order;
    ``worker_models`` those of them a worker process compiled.
    ``chain_data`` is the source schemas the compile used, as plain data
    (None when a warehouse catalog was one of them); ``project_freshness``
    whether rocky.toml declares a freshness default. An incremental
    compile (:mod:`rocky.compiler.incremental`) starts from both."""

    ir: ProjectIR
    timings: dict[str, float]
    parsed: list[str] = field(default_factory=list)
    inferred: list[str] = field(default_factory=list)
    worker_models: list[str] = field(default_factory=list)
    chain_data: Any = None
    project_freshness: bool = False

    @property
    def has_errors(self) -> bool:
        return self.ir.has_errors


_UNFREEZE_AT_EXIT = False


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Automatic collection is off during the compile (the scheduler frees
    each parse tree itself), and what is alive at the end (the project and
    the IR, long-lived and free of reference cycles) is frozen: collections
    after the compile then skip those millions of objects instead of
    scanning them all again."""
    global _UNFREEZE_AT_EXIT
    if not _UNFREEZE_AT_EXIT:
        # let the interpreter's last collection see everything again, so
        # extension modules are torn down cleanly
        atexit.register(gc.unfreeze)
        _UNFREEZE_AT_EXIT = True
    enabled = gc.isenabled()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def _hash(*parts: str) -> str:
    return blake3.blake3("\x00".join(parts).encode("utf-8")).hexdigest()


def cpus() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class _Compiler:
    def __init__(self, project: Any, options: CompileOptions) -> None:
        self.project = project
        self.options = options
        self.dialect = dialect_for(project.adapter_type)
        self.vars = dict(options.vars)
        self.unpack = Unpacker()
        env = _hash(COMPILER_VERSION, self.dialect, canonical_json(self.vars))
        self.cache = CompileCache.load(project.root, env, self.unpack) if options.cache else None
        freshness = getattr(
            getattr(project.config, "freshness", None), "expected_lag_seconds", None
        )
        self.project_freshness = freshness is not None
        self.names = ModelNames(project.models)
        self.keys: dict[str, str] = {}
        self.model_irs: dict[str, ModelIR] = {}
        self.model_diags: dict[str, list[Diagnostic]] = {}
        self.result_keys: dict[str, str] = {}
        self.schema_keys: dict[str, str] = {}
        self.chain: SchemaChain | None = None
        self.state: CompileState | None = None

    # -- keys and the cache ---------------------------------------------------------
    def content_key(self, src: Any) -> str:
        content = src.content_hash or _hash(src.text, canonical_json(src.config_data))
        return f"{content}:{src.kind}:{src.line_offset}:{src.rel_path}"

    def _store_front(self, name: str, front: FrontEnd, blob: bytes | None) -> None:
        if self.cache is not None:
            self.cache.put_front(self.keys[name], blob or front_blob(front))

    def _model_done(self, name: str) -> None:
        """``name`` has its result: its IR now, while the rest compiles."""
        state = self.state
        assert state is not None
        src = self.project.models[name]
        m = assemble.model_ir(state, src, src.config_data)
        own = assemble.own_diagnostics(state, src)
        self.model_irs[name] = m
        self.model_diags[name] = own
        if self.options.on_model is not None:
            self.options.on_model(m, own)

    def _result_key(self, name: str) -> str:
        key = self.result_keys.get(name)
        if key is None:
            state, chain = self.state, self.chain
            assert state is not None and chain is not None
            deps = state.deps_of(name)
            parts = [self.keys[name], str(chain.complete), str(self.project_freshness)]
            parts.extend(f"m:{d}:{self.schema_keys.get(d, '?')}" for d in deps.models)
            parts.extend(f"x:{'.'.join(p)}:{chain.fingerprint(p)}" for p in deps.externals)
            key = self.result_keys[name] = _hash(*parts)
        return key

    def _lookup_result(self, name: str) -> ModelResult | None:
        if self.cache is None:
            return None
        hit = self.cache.get_result(self._result_key(name), name)
        if hit is None:
            return None
        result, self.schema_keys[name] = hit
        return result

    def _finish(self, name: str, result: ModelResult, key: str | None, blob: bytes | None) -> None:
        if name in self.schema_keys:
            return  # from the cache
        if self.cache is None:
            return  # schema keys only go into cache keys
        key = key or schema_key(pack_columns(result.columns), result.complete)
        self.schema_keys[name] = key
        self.cache.put_result(self._result_key(name), blob or result_blob(result, key))

    # -- the compile ------------------------------------------------------------------
    def compile(self) -> CompileResult:
        t0 = time.perf_counter()
        project, options = self.project, self.options
        if options.model is not None and options.model not in project.models:
            raise RockyError(
                f"no model named '{options.model}'", hint="see `rocky compile` for the model list"
            )
        timings = dict.fromkeys(TIMING_KEYS, 0.0)
        catalog = None
        if options.catalog is not None:
            catalog = CatalogProvider(
                options.catalog,
                options.state_path or project.root / ".rocky-state.sqlite",
                options.cache_ttl,
            )
        try:
            self.chain = SchemaChain.for_project(
                project, with_seed=options.with_seed, catalog=catalog
            )
            with _gc_paused():
                ir = self._compile(timings)
        finally:
            if catalog is not None:
                catalog.close()
        if self.cache is not None:
            self.cache.save()
        state = self.state
        assert state is not None
        order = {n: i for i, n in enumerate(ir.models)}
        result = CompileResult(
            ir,
            timings,
            sorted(state.parsed, key=order.__getitem__),
            sorted(state.inferred, key=order.__getitem__),
            sorted(state.from_worker, key=order.__getitem__),
            chain_data=self.chain.to_data() if catalog is None and self.chain else None,
            project_freshness=self.project_freshness,
        )
        # What only the compile needed (the loaded cache, parse summaries,
        # lookup tables) is freed now, even where the collector is off.
        state.release()
        self.state = self.cache = None
        t_hook = time.perf_counter()
        self._plugin_diagnostics(ir)
        timings["contracts_ms"] = (time.perf_counter() - t_hook) * 1000
        timings["total_ms"] = (time.perf_counter() - t0) * 1000
        return result

    def _state(self) -> CompileState:
        models = self.project.models
        fronts: dict[str, FrontEnd] = {}
        for name in sorted(models):
            src = models[name]
            key = self.keys[name] = self.content_key(src)
            hit = self.cache.get_front(key, src.text) if self.cache is not None else None
            if hit is not None:
                fronts[name] = hit
        assert self.chain is not None
        return CompileState(
            sources=models,
            names=sorted(models),
            model_names=self.names,
            dialect=self.dialect,
            vars=self.vars,
            chain=self.chain,
            project_freshness=self.project_freshness,
            fronts=fronts,
            store_front=self._store_front,
            lookup_result=self._lookup_result,
            finish=self._finish,
            unpack=self.unpack,
            on_complete=self._model_done,
        )

    def _closure(self, state: CompileState, target: str) -> list[str]:
        """``target`` and every model upstream of it, parsing only those."""
        keep: set[str] = set()
        stack = [target]
        while stack:
            name = stack.pop()
            if name in keep:
                continue
            keep.add(name)
            if name not in state.fronts:
                _, query, prepared = state.parse(name)
                if query is not None:
                    state.trees[name] = (query, prepared)
            stack.extend(state.deps_of(name).models)
        return [n for n in state.names if n in keep]

    def _worker(self, state: CompileState) -> Any:
        options = self.options
        if options.workers == 0 or options.catalog is not None or options.model is not None:
            return None
        to_parse = sum(1 for n in state.names if n not in state.fronts)
        if to_parse == 0:
            return None
        if options.workers is None and (to_parse < PARALLEL_MIN or cpus() < 2):
            return None
        from rocky.compiler import worker

        if not worker.available():
            return None
        try:
            client = worker.WorkerClient.take()  # the one prestart() began, if any
        except OSError:
            return None
        assert self.chain is not None
        client.send(
            (
                "init",
                self.dialect,
                self.vars,
                sorted(self.project.models),
                self.chain.to_data(),
                self.project_freshness,
            )
        )
        return client

    def _compile(self, timings: dict[str, float]) -> ProjectIR:
        models = self.project.models
        state = self.state = self._state()
        if self.options.model is not None:
            state.names = self._closure(state, self.options.model)
        worker = self._worker(state)
        if worker is None and "rocky.compiler.worker" in sys.modules:
            sys.modules["rocky.compiler.worker"].drop_spare()  # started early, not needed
        try:
            Scheduler(state, worker, wait_for_worker=self.options.workers == 1).run()
        finally:
            if worker is not None:
                worker.close()
        t_dag = time.perf_counter()
        diagnostics, deps = assemble.dependency_diagnostics(state, models)
        dag = order_models(deps)
        diagnostics.extend(assemble.cycle_diagnostics(dag.cycles, models))
        dag_ms = (time.perf_counter() - t_dag) * 1000
        for name in dag.order:  # models in or behind a cycle, in order
            if name not in state.results:
                state.complete(name, None, None)
        # Summed over processes: with a worker they can exceed total_ms.
        timings["semantic_graph_ms"] = state.parse_ns / 1e6 + dag_ms
        timings["typecheck_ms"] = state.infer_ns / 1e6
        timings["typecheck_join_keys_ms"] = state.join_ns / 1e6
        assert self.chain is not None
        return assemble.project_ir(
            state,
            self.chain,
            models,
            self.dialect,
            dag,
            diagnostics,
            self.model_irs,
            self.model_diags,
            only=self.options.model,
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
