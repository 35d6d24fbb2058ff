"""Compiling every model once, as soon as the models it reads are compiled.

A model whose parse is not cached waits only for the models it probably
reads (:func:`rocky.compiler.graph.guess_deps`); once parsed it waits for
the models it really reads, so it is inferred right after parsing, while
its tree is in hand, and the tree is freed at once: a cold compile never
holds more than a few trees. A wrong guess only costs that model a second
parse later.

Above :data:`PARALLEL_MIN` models to parse, one worker process
(:mod:`rocky.compiler.worker`) takes batches of ready models while this
process compiles others; it is sent the schemas of models compiled here,
and sends back compact results. A worker already up when the compile
starts (:func:`rocky.compiler.worker.prestart`) gets the first batches.
A model's result depends only on its text and the schemas it reads, so the
result is the same whichever process computed it. Models caught in a
dependency cycle are left for the caller.
"""

from __future__ import annotations

import gc
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from rocky.compiler.graph import Deps, ModelNames, guess_deps, resolve_deps
from rocky.compiler.packing import Unpacker, pack_columns
from rocky.compiler.results import FrontEnd, ModelInput, ModelResult
from rocky.compiler.scope import Rel, unknown_rel
from rocky.compiler.tables import RelCache, Schema, table_resolver

__all__ = ["PARALLEL_MIN", "CompileState", "Scheduler"]

# Below this many models to parse, starting a worker (an interpreter and
# sqlglot, ~0.3 s of CPU) costs more than it saves.
PARALLEL_MIN: Final = 2000
_BATCH: Final = 16
_IN_FLIGHT: Final = 3 * _BATCH
_POLL_EVERY: Final = 4  # models compiled here between looks at the worker
# A worker silent this long while holding work is given up on.
_STALL_S: Final = 60.0
FAILED: Final = ModelResult((), False, (), ())


@dataclass
class CompileState:
    """Everything known about the models of one compile. ``fronts`` and
    ``results`` fill in as models compile; ``store_front``,
    ``lookup_result`` and ``finish`` come from the driver (the cache)."""

    sources: Any  # name -> rocky.project.ModelSource
    names: list[str]
    model_names: ModelNames
    dialect: str
    vars: dict[str, str]
    chain: Any  # rocky.compiler.schemas.SchemaChain
    project_freshness: bool
    fronts: dict[str, FrontEnd]
    store_front: Callable[[str, FrontEnd, bytes | None], None]
    lookup_result: Callable[[str], ModelResult | None]
    finish: Callable[[str, ModelResult, str | None, bytes | None], None]
    # told each model's name once it has its result (``results[name]``)
    on_complete: Callable[[str], None] | None = None
    # each model's strategy config as JSON data (see strategy_of)
    strategies: dict[str, dict[str, Any]] = field(default_factory=dict)
    trees: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    deps: dict[str, Deps] = field(default_factory=dict)
    guesses: dict[str, list[str]] = field(default_factory=dict)
    results: dict[str, ModelResult] = field(default_factory=dict)
    parsed: set[str] = field(default_factory=set)
    inferred: set[str] = field(default_factory=set)
    from_worker: set[str] = field(default_factory=set)
    parse_ns: int = 0
    infer_ns: int = 0
    join_ns: int = 0
    unpack: Unpacker = field(default_factory=Unpacker)
    _last_input: ModelInput | None = field(default=None, repr=False)
    _strategy_dumps: dict[int, tuple[Any, dict[str, Any]]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        # references interned with those of results from the cache or the
        # worker: one ColumnRef per column of the project, not one per use
        self.rels = RelCache(self._schema, ref=self.unpack.ref)

    def _schema(self, name: str) -> Schema | None:
        result = self.results.get(name)
        if result is None:
            return None
        return [(c.name, c.type, c.nullable) for c in result.columns], result.complete

    def release(self) -> None:
        """Drop everything but the results: this object sits in reference
        cycles (callbacks), which a process without a collector never frees."""
        self.rels = RelCache(lambda _: None)
        self.fronts, self.deps, self.guesses, self.trees = {}, {}, {}, {}
        self._last_input = None
        self._strategy_dumps = {}
        self.unpack = Unpacker()
        self.store_front = lambda *_: None
        self.finish = lambda *_: None
        self.lookup_result = lambda _: None

    def strategy_of(self, name: str) -> dict[str, Any]:
        """The model's strategy config as JSON data (dumped once per strategy
        object: models with the same strategy table share one, read-only)."""
        strategy = self.strategies.get(name)
        if strategy is None:
            config = self.sources[name].config.strategy
            dumped = self._strategy_dumps.get(id(config))
            if dumped is None or dumped[0] is not config:
                dumped = self._strategy_dumps[id(config)] = (config, config.model_dump(mode="json"))
            strategy = self.strategies[name] = dumped[1]
        return strategy

    def model_input(self, name: str) -> ModelInput:
        last = self._last_input  # parsing and inferring a model both ask
        if last is not None and last.name == name:
            return last
        found = self._last_input = ModelInput.of(self.sources[name], self.strategy_of(name))
        return found

    def deps_of(self, name: str) -> Deps:
        found = self.deps.get(name)
        if found is None:
            src = self.sources[name]
            refs = self.fronts[name].refs
            found = resolve_deps(name, src.config.depends_on, refs, self.model_names)
            self.deps[name] = found
        return found

    def waits_for(self, name: str) -> list[str]:
        """Models ``name`` (really, or probably when not parsed) reads that
        have no result yet."""
        if name in self.fronts:
            ups: Any = self.deps_of(name).models
        else:
            ups = self.guesses.get(name)
            if ups is None:
                src = self.sources[name]
                ups = guess_deps(name, src.text, src.config.depends_on, self.model_names)
                self.guesses[name] = ups
        return [u for u in ups if u not in self.results]

    def parse(self, name: str) -> tuple[FrontEnd, Any, Any]:
        from rocky.compiler.model import front_end  # sqlglot: only when parsing

        start = time.perf_counter_ns()
        front, query, prepared = front_end(self.model_input(name), self.dialect, self.vars)
        self.parse_ns += time.perf_counter_ns() - start
        self.parsed.add(name)
        if name not in self.fronts:
            self.fronts[name] = front
            self.guesses.pop(name, None)  # its real dependencies are known now
            self.store_front(name, front, None)
        return front, query, prepared

    def model_rel(self, name: str) -> Rel:
        return self.rels.get(name) or unknown_rel(name)

    def infer(self, name: str, tree: tuple[Any, Any] | None) -> ModelResult:
        """Parse (unless ``tree`` is given) and infer one model here."""
        from rocky.compiler.model import analyze

        if tree is None:
            _, query, prepared = self.parse(name)
            if query is None:
                return FAILED
        else:
            query, prepared = tree
        front = self.fronts[name]
        resolver = table_resolver(
            name, self.model_names.exact, self.model_names.lower, self.model_rel, self.chain
        )
        start = time.perf_counter_ns()
        result = analyze(
            self.model_input(name),
            query,
            prepared,
            self.dialect,
            resolver,
            front,
            project_freshness=self.project_freshness,
            ref=self.unpack.ref,
            column=self.unpack.column,
        )
        self.infer_ns += time.perf_counter_ns() - start
        self.join_ns += result.join_ns
        self.inferred.add(name)
        return result

    def complete(
        self,
        name: str,
        result: ModelResult | None,
        tree: tuple[Any, Any] | None,
        schema_key: str | None = None,
        blob: bytes | None = None,
    ) -> None:
        """Give ``name`` its result: the cached one, ``result`` (with its
        schema key and cache entry when a worker sent them), or infer it."""
        if not self.fronts[name].ok:
            self.results[name] = FAILED
        else:
            if result is None:
                result = self.lookup_result(name)
            if result is None:
                result = self.infer(name, tree)
            self.results[name] = result
            if result is not FAILED:
                self.rels.forget(name)
                self.finish(name, result, schema_key, blob)
        if self.on_complete is not None:
            self.on_complete(name)


class Scheduler:
    """Runs :class:`CompileState` to completion (bar cycles). With
    ``wait_for_worker`` the worker is given work from the first model on
    (otherwise this process starts alone and shares once the worker is up)."""

    def __init__(
        self, state: CompileState, worker: Any = None, *, wait_for_worker: bool = False
    ) -> None:
        self.state = state
        self.worker = worker
        self.wait_for_worker = wait_for_worker
        self.ready: deque[str] = deque()
        self.queued: set[str] = set()
        self.waiting: dict[str, list[str]] = {}
        self.outbox: list[str] = []
        self.in_flight: set[str] = set()
        self.unsent: list[str] = []  # results the worker has not been sent
        self.local_only: set[str] = set()  # handed back once: compile here

    # -- bookkeeping ----------------------------------------------------------
    def _check(self, name: str) -> None:
        """Queue ``name`` if nothing it waits for is missing, else wait."""
        if name in self.state.results or name in self.queued or name in self.in_flight:
            return
        missing = self.state.waits_for(name)
        if missing:
            self.waiting.setdefault(missing[0], []).append(name)
        else:
            self.queued.add(name)
            self.ready.append(name)

    def _done(self, name: str, here: bool = True) -> None:
        if here:
            self.unsent.append(name)
        for waiter in self.waiting.pop(name, ()):
            self._check(waiter)

    def _from_cache(self, name: str) -> bool:
        """Complete ``name`` without parsing when its result is cached (or
        it did not parse at all)."""
        st = self.state
        front = st.fronts.get(name)
        if front is None or name in st.trees:
            return False
        if front.ok:
            cached = st.lookup_result(name)
            if cached is None:
                return False
            st.complete(name, cached, None)
        else:
            st.complete(name, None, None)
        self._done(name)
        return True

    def _local(self, name: str) -> None:
        st = self.state
        tree = st.trees.pop(name, None)
        if name not in st.fronts:
            parsed = st.parse(name)
            tree = (parsed[1], parsed[2]) if parsed[1] is not None else None
            del parsed
        if st.fronts[name].ok and st.waits_for(name):
            self._check(name)  # it reads a model not yet compiled
        else:
            st.complete(name, None, tree)
            self._done(name)
        del tree
        gc.collect(0)  # the tree holds reference cycles: free it now

    # -- the worker ------------------------------------------------------------
    def _flush(self) -> None:
        worker, st = self.worker, self.state
        if worker is None or not self.outbox:
            return
        schemas = []
        for name in self.unsent:
            result = st.results[name]
            schemas.append((name, pack_columns(result.columns), result.complete))
        self.unsent = []
        jobs = []
        for name in self.outbox:
            i = st.model_input(name)
            jobs.append(
                (i.name, i.text, i.kind, i.path, i.line_offset, i.strategy, i.has_freshness)
            )
        self.outbox = []
        worker.send(("work", schemas, jobs))

    def _receive(self, message: Any) -> None:
        st = self.state
        for name, front_data, result_data, join_ns, parse_ns, infer_ns in message[1]:
            self.in_flight.discard(name)
            st.parse_ns += parse_ns
            st.infer_ns += infer_ns
            st.parsed.add(name)
            if name not in st.fronts:
                front = st.unpack.front_blob(front_data, st.sources[name].text)
                st.fronts[name] = front
                st.guesses.pop(name, None)
                st.store_front(name, front, front_data)
            if not st.fronts[name].ok:
                st.complete(name, None, None)
                self._done(name)
            elif result_data is None or st.waits_for(name):
                self.local_only.add(name)  # handed back: compile it here later
                self._check(name)
            else:
                st.inferred.add(name)
                st.from_worker.add(name)
                st.join_ns += join_ns
                result, key = st.unpack.result_blob(name, result_data, join_ns)
                st.complete(name, result, None, key, result_data)
                self._done(name, here=False)

    def _worker_lost(self) -> None:
        """The worker died or hung: everything it had is compiled here."""
        worker, self.worker = self.worker, None
        if worker is not None:
            worker.close(kill=True)
        self.outbox = []
        for name in sorted(self.in_flight):
            self.in_flight.discard(name)
            self._check(name)

    def _poll(self, timeout: float) -> None:
        worker = self.worker
        if worker is None:
            return
        message = worker.poll(timeout)
        if message is not None:
            self._receive(message)
        elif not worker.alive or timeout > 0:
            self._worker_lost()

    def _start_worker(self) -> None:
        worker = self.worker
        if worker is not None and not worker.wait_ready(_STALL_S):
            self._worker_lost()

    # -- the loop -----------------------------------------------------------------
    def run(self) -> None:
        st = self.state
        if self.wait_for_worker:
            self._start_worker()
        elif self.worker is not None:
            # a worker started ahead of the compile may be ready already:
            # then the first batches go to it before anything is parsed here
            self._poll(0.0)
        for name in st.names:
            self._check(name)
        unparsed = deque(st.names)
        tick = 0
        while True:
            tick += 1
            if self.worker is not None and (tick % _POLL_EVERY == 0 or not self.ready):
                self._poll(0.0)
            if self.ready:
                name = self.ready.popleft()
                self.queued.discard(name)
                if name in st.results or self._from_cache(name):
                    continue
                worker = self.worker
                if (
                    worker is not None
                    and worker.ready
                    and name not in st.trees
                    and name not in self.local_only
                    and len(self.in_flight) < _IN_FLIGHT
                ):
                    self.outbox.append(name)
                    self.in_flight.add(name)
                    if len(self.outbox) >= _BATCH:
                        self._flush()
                    continue
                self._local(name)
                continue
            if self.outbox:
                self._flush()
                continue
            if self.in_flight:
                self._poll(_STALL_S)
                continue
            # Nothing is ready: parse a model nobody has parsed yet, so its
            # real dependencies replace the guessed ones (a guessed cycle).
            while unparsed and (unparsed[0] in st.fronts or unparsed[0] in st.results):
                unparsed.popleft()
            if not unparsed:
                break
            self._local(unparsed.popleft())
