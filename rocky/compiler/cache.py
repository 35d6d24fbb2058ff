"""The incremental compile cache: one file, ``<root>/.rocky/cache/compile.bin``.

It holds two maps of compact per-model results, never sqlglot trees (loading
a tree costs as much as parsing it):

- front ends, keyed by the model's content (file bytes + resolved config)
  and place: the SQL to run, the tables named, placeholder use and parse
  diagnostics. This is what lets a warm compile build the DAG without
  parsing unchanged files.
- results, keyed by the front-end key plus the compiled schema of every
  table the model reads: typed columns, lineage, per-model diagnostics, and
  a key of the model's own schema for its dependents' keys.

The file also records the compiler version, the dialect and the ``--var``
values; a compile with others ignores it. A save keeps only the entries the
compile used, so the file does not grow with history. The format is
``marshal`` of plain tuples (fast, and it cannot execute code), each entry
marshalled on its own so that only the entries a compile reads are decoded
and a cold compile holds each new entry as one small bytes object; a file
from another compiler or Python version, or a damaged one, is ignored and
rewritten.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import sys
from pathlib import Path
from typing import Final

from rocky.compiler.packing import Unpacker
from rocky.compiler.results import COMPILER_VERSION, FrontEnd, ModelResult

__all__ = ["CACHE_RELPATH", "CompileCache"]

CACHE_RELPATH: Final = Path(".rocky") / "cache" / "compile.bin"
_FORMAT: Final = ("rocky-compile-cache", 2, COMPILER_VERSION, sys.version_info[:2])


class CompileCache:
    def __init__(self, path: Path, env: str, unpack: Unpacker) -> None:
        self.path = path
        self.env = env
        self.unpack = unpack
        self._front: dict[str, bytes] = {}
        self._results: dict[str, bytes] = {}
        self._used_front: dict[str, bytes] = {}
        self._used_results: dict[str, bytes] = {}
        self.dirty = False

    @classmethod
    def load(cls, root: Path, env: str, unpack: Unpacker | None = None) -> CompileCache:
        """The cache of the project at ``root`` for compiles in ``env``
        (dialect and ``--var`` values); empty when there is none."""
        cache = cls(root / CACHE_RELPATH, env, unpack or Unpacker())
        try:
            data = marshal.loads(cache.path.read_bytes())
        except (OSError, ValueError, EOFError, TypeError):
            return cache
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            return cache
        if data.get("env") != env:
            return cache
        front, results = data.get("front"), data.get("results")
        if isinstance(front, dict) and isinstance(results, dict):
            cache._front, cache._results = front, results
        return cache

    # -- front ends ---------------------------------------------------------------
    def get_front(self, key: str, text: str | None = None) -> FrontEnd | None:
        """The front end; ``text`` is the model's source (shared as its SQL
        when they are the same)."""
        front_data = self._front.get(key)
        if front_data is None:
            return None
        try:
            front = self.unpack.front_blob(front_data, text)
        except (TypeError, ValueError, EOFError):
            return None
        self._used_front[key] = front_data
        return front

    def put_front(self, key: str, blob: bytes) -> None:
        """``blob`` from :func:`rocky.compiler.packing.front_blob`."""
        self._used_front[key] = blob
        self.dirty = True

    # -- results ------------------------------------------------------------------
    def get_result(self, key: str, model: str) -> tuple[ModelResult, str] | None:
        """``model``'s result and its schema key."""
        blob = self._results.get(key)
        if blob is None:
            return None
        try:
            hit = self.unpack.result_blob(model, blob)
        except (TypeError, ValueError, EOFError):
            return None
        self._used_results[key] = blob
        return hit

    def put_result(self, key: str, blob: bytes) -> None:
        """``blob`` from :func:`rocky.compiler.packing.result_blob`."""
        self._used_results[key] = blob
        self.dirty = True

    def save(self) -> None:
        """Write the entries this compile used; a failure to write (read-only
        checkout) only costs the next compile its head start."""
        if (
            not self.dirty
            and len(self._used_front) == len(self._front)
            and len(self._used_results) == len(self._results)
        ):
            return
        data = {
            "format": _FORMAT,
            "env": self.env,
            "front": self._used_front,
            "results": self._used_results,
        }
        tmp = self.path.with_name(self.path.name + f".{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(marshal.dumps(data))
            os.replace(tmp, self.path)
        except OSError:
            with contextlib.suppress(OSError):
                tmp.unlink()
