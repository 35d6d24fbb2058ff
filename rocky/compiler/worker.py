"""A worker process that parses and infers models for a cold compile.

The main process starts one with ``python -m rocky.compiler.worker`` (a
fresh interpreter that imports only what compiling a model needs, so it
does not duplicate the loaded project's memory) and talks to it over its
stdin/stdout. Every message is a 4-byte length and a ``marshal`` payload of
plain tuples: model text and config in, compact results out, and the
schemas of models inferred elsewhere so the worker can type models that
read them. Parse trees never cross the pipe.

Messages in: ``("init", dialect, vars, model_names, chain_data, freshness)``,
``("work", [(name, packed_columns, complete), ...], [job, ...])``.
Messages out: ``("hello",)`` once imported, then one
``("done", [(name, front_blob, result_blob | None, join_ns, parse_ns,
infer_ns), ...])`` per work message (the blobs of
:mod:`rocky.compiler.packing`, which are also the cache entries). A result of None with a front that
parsed means a model it reads has no schema here yet: the main process
compiles that model again later.

:func:`prestart` starts a worker before the project is even loaded (its
interpreter start-up and the parser import then overlap the load);
:meth:`WorkerClient.take` hands that one over to the compile, and
:func:`drop_spare` ends it if the compile needs none. Once its stdin closes,
a worker leaves at once, without tearing its interpreter down.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import marshal
import os
import select
import struct
import subprocess
import sys
import time
from collections import deque
from collections.abc import Mapping
from typing import IO, Any

__all__ = ["WorkerClient", "available", "drop_spare", "main", "prestart"]

_HEADER = struct.Struct("<I")


def _read_exact(stream: IO[bytes], n: int) -> bytes | None:
    chunks: list[bytes] = []
    while n:
        chunk = stream.read(n)
        if not chunk:
            return None
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def _recv(stream: IO[bytes]) -> Any:
    head = _read_exact(stream, _HEADER.size)
    if head is None:
        return None
    body = _read_exact(stream, _HEADER.unpack(head)[0])
    return None if body is None else marshal.loads(body)


def _frame(message: Any) -> bytes:
    body = marshal.dumps(message)
    return _HEADER.pack(len(body)) + body


# -- the worker side --------------------------------------------------------------


class _Worker:
    """The worker's state for one compile: the project's model names, the
    source schemas, and the schemas of every model compiled so far."""

    def __init__(self, init: Any) -> None:
        from rocky.compiler.graph import ModelNames
        from rocky.compiler.packing import Unpacker
        from rocky.compiler.schemas import SchemaChain
        from rocky.compiler.tables import RelCache

        _, self.dialect, variables, names, chain_data, freshness = init
        self.vars: Mapping[str, str] = dict(variables)
        self.names = ModelNames(names)
        self.unpack = Unpacker()
        self.chain = SchemaChain.from_data(chain_data, self.unpack)
        self.freshness = bool(freshness)
        # name -> (packed columns, complete) of every model compiled so far
        self.schemas: Any = {}
        # one tuple per distinct packed column: each message brings its own
        # copies, and the same column recurs across many models
        self._columns: dict[Any, Any] = {}
        self.rels = RelCache(self._schema)

    def add_schema(self, name: str, packed: Any, complete: bool) -> None:
        shared = self._columns.setdefault
        self.schemas[name] = (tuple([shared(c, c) for c in packed]), complete)
        self.rels.forget(name)

    def _schema(self, name: str) -> Any:
        found = self.schemas.get(name)
        if found is None:
            return None
        packed, complete = found
        types = self.unpack.rocky_type
        return [(n, types(code), bool(nl)) for n, code, nl in packed], complete

    def _model_rel(self, name: str) -> Any:
        from rocky.compiler.tables import ModelSchemaMissing

        rel = self.rels.get(name)
        if rel is None:
            raise ModelSchemaMissing(name)
        return rel

    def run(self, job: Any) -> tuple[Any, ...]:
        from rocky.compiler.model import ModelInput, analyze, front_end
        from rocky.compiler.packing import front_blob, pack_result, schema_key
        from rocky.compiler.tables import ModelSchemaMissing, table_resolver

        inp = ModelInput(*job)
        t0 = time.perf_counter_ns()
        front, query, prepared = front_end(inp, self.dialect, self.vars)
        t1 = time.perf_counter_ns()
        packed = front_blob(front)
        if query is None:
            return (inp.name, packed, None, 0, t1 - t0, 0)
        resolver = table_resolver(
            inp.name, self.names.exact, self.names.lower, self._model_rel, self.chain
        )
        try:
            result = analyze(
                inp,
                query,
                prepared,
                self.dialect,
                resolver,
                front,
                project_freshness=self.freshness,
                column=self.unpack.column,  # one object per distinct column
            )
        except ModelSchemaMissing:
            return (inp.name, packed, None, 0, t1 - t0, 0)
        t2 = time.perf_counter_ns()
        out = pack_result(result)
        self.add_schema(inp.name, out[0], result.complete)
        blob = marshal.dumps((out, schema_key(out[0], result.complete)))
        return (inp.name, packed, blob, result.join_ns, t1 - t0, t2 - t1)


def main() -> None:
    """Serve one compile: read messages until stdin closes."""
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    import rocky.compiler.model
    import rocky.compiler.packing
    import rocky.compiler.tables  # noqa: F401  (imported before timing starts)

    gc.freeze()
    gc.disable()
    stdout.write(_frame(("hello",)))
    stdout.flush()
    worker: _Worker | None = None
    while True:
        message = _recv(stdin)
        if message is None:
            return
        if message[0] == "init":
            worker = _Worker(message)
        elif message[0] == "work" and worker is not None:
            for name, packed, complete in message[1]:
                worker.add_schema(name, packed, complete)
            out = []
            for job in message[2]:
                out.append(worker.run(job))
                gc.collect(0)  # parse trees hold cycles: free each one now
            stdout.write(_frame(("done", out)))
            stdout.flush()


# -- the main-process side ---------------------------------------------------------


class WorkerClient:
    """One worker process. :meth:`send` never blocks: what the pipe cannot
    take yet is kept and written whenever the caller polls (so neither side
    can wait forever on the other); :meth:`poll` returns a finished batch if
    one has arrived."""

    @classmethod
    def take(cls) -> WorkerClient:
        """The worker :func:`prestart` started, if it is still there, else a
        new one."""
        global _SPARE
        spare, _SPARE = _SPARE, None
        if spare is not None:
            if spare.alive and spare.proc.poll() is None:
                return spare
            spare.close(kill=True)
        return cls()

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "rocky.compiler.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            bufsize=0,  # unbuffered: select() must see every byte not yet read
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self._in = self.proc.stdin.fileno()
        self._outfile = self.proc.stdout
        for fd in (self._in, self._outfile.fileno()):
            _widen_pipe(fd)
        os.set_blocking(self._in, False)
        self._pending: deque[memoryview] = deque()
        self.ready = False
        self.alive = True

    def send(self, message: Any) -> None:
        if self.alive:
            self._pending.append(memoryview(_frame(message)))
            self._drain()

    def _drain(self) -> None:
        pending = self._pending
        while pending:
            try:
                written = os.write(self._in, pending[0])
            except BlockingIOError:
                return
            except OSError:
                self.alive = False
                pending.clear()
                return
            if written < len(pending[0]):
                pending[0] = pending[0][written:]
            else:
                pending.popleft()

    def _next(self, timeout: float) -> Any:
        """One message, or None (nothing within ``timeout``, or the worker
        is gone: then ``alive`` turns False)."""
        deadline = time.monotonic() + timeout
        stdout = self._outfile
        while self.alive:
            writers = [self._in] if self._pending else []
            remaining = max(0.0, deadline - time.monotonic())
            try:
                readable, writable, _ = select.select([stdout], writers, [], remaining)
            except (OSError, ValueError):
                readable, writable = [stdout], []
            if writable:
                self._drain()
            if readable:
                break
            if time.monotonic() >= deadline:
                return None
        else:
            return None
        try:
            message = _recv(stdout)
        except (OSError, ValueError, EOFError, TypeError):
            message = None
        if not isinstance(message, tuple) or not message:
            self.alive = False
            return None
        if message[0] == "hello":
            self.ready = True
        return message

    def poll(self, timeout: float = 0.0) -> Any:
        """The next batch of results, None when none came within ``timeout``
        seconds."""
        deadline = time.monotonic() + timeout
        while True:
            message = self._next(max(0.0, deadline - time.monotonic()))
            if message is None or message[0] != "hello":
                return message

    def wait_ready(self, timeout: float) -> bool:
        """Block until the worker has started (True) or ``timeout`` passed."""
        deadline = time.monotonic() + timeout
        while self.alive and not self.ready:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            message = self._next(remaining)
            if message is not None and message[0] != "hello":
                self.alive = False  # a result before hello: not our worker
        return self.ready

    def close(self, *, kill: bool = False) -> None:
        """End the worker: it exits when its stdin closes (``kill`` first
        kills it, for a worker that hung or misbehaved)."""
        self.alive = False
        if kill:
            with contextlib.suppress(OSError):
                self.proc.kill()
        self._pending.clear()
        for stream in (self.proc.stdin, self.proc.stdout):
            with contextlib.suppress(OSError):
                if stream is not None:
                    stream.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _widen_pipe(fd: int) -> None:
    """A 1 MiB pipe where Linux allows it: fewer partial writes and wakeups."""
    try:
        import fcntl
    except ImportError:
        return
    size = getattr(fcntl, "F_SETPIPE_SZ", None)
    if size is not None:
        with contextlib.suppress(OSError):
            fcntl.fcntl(fd, size, 1 << 20)


def available() -> bool:
    """Whether this platform can run a worker (pipes with select)."""
    return os.name == "posix" and bool(sys.executable)


_SPARE: WorkerClient | None = None
_DROP_AT_EXIT = False


def prestart() -> bool:
    """Start a worker now, for a compile that will want one once the project
    is loaded; :meth:`WorkerClient.take` hands it over. One nobody takes is
    ended by :func:`drop_spare`, or at exit. False when no worker could be
    started here."""
    global _SPARE, _DROP_AT_EXIT
    if _SPARE is not None:
        return True
    if not available():
        return False
    try:
        _SPARE = WorkerClient()
    except OSError:
        return False
    if not _DROP_AT_EXIT:
        atexit.register(drop_spare)
        _DROP_AT_EXIT = True
    return True


def drop_spare() -> None:
    """End the worker :func:`prestart` started, if nobody took it (a compile
    that turned out not to need one)."""
    global _SPARE
    spare, _SPARE = _SPARE, None
    if spare is not None:
        spare.close()


if __name__ == "__main__":
    with contextlib.suppress(BrokenPipeError):  # the parent left first
        main()
    # Nothing is left to write (each message was flushed): skip tearing down
    # an interpreter full of objects, which the parent would wait for.
    os._exit(0)


# The in-process use of the same per-model compiler (an incremental compile).
ModelCompiler = _Worker
