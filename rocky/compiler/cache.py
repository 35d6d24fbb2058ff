"""The incremental compile cache: one file, ``<root>/.rocky/cache/compile.bin``.

It holds two maps of compact per-model results, never sqlglot trees (loading
a tree costs as much as parsing it):

- front ends, keyed by the model's content (file bytes + resolved config),
  the compiler version, the dialect and the ``--var`` values: the SQL to run,
  the tables named, placeholder use and parse diagnostics. This is what lets
  a warm compile build the DAG without parsing unchanged files.
- results, keyed by the front-end key plus the compiled schema of every
  table the model reads: typed columns, lineage and per-model diagnostics.

A save keeps only the entries the compile used, so the file does not grow
with history. The format is ``marshal`` of plain tuples (fast, and it cannot
execute code); a file from another compiler or Python version, or a
damaged one, is ignored and rewritten.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import sys
from pathlib import Path
from typing import Any, Final

from rocky.compiler.model import COMPILER_VERSION, FrontEnd, ModelResult
from rocky.ir import Column, ColumnRef, LineageEdge
from rocky.types import RockyType, parse_type

__all__ = ["CACHE_RELPATH", "CompileCache"]

CACHE_RELPATH: Final = Path(".rocky") / "cache" / "compile.bin"
_FORMAT: Final = ("rocky-compile-cache", COMPILER_VERSION, sys.version_info[:2])


class CompileCache:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._front: dict[str, Any] = {}
        self._results: dict[str, Any] = {}
        self._used_front: dict[str, Any] = {}
        self._used_results: dict[str, Any] = {}
        self._types: dict[str, RockyType] = {}
        self.dirty = False

    @classmethod
    def load(cls, root: Path) -> CompileCache:
        cache = cls(root / CACHE_RELPATH)
        try:
            data = marshal.loads(cache.path.read_bytes())
        except (OSError, ValueError, EOFError, TypeError):
            return cache
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            return cache
        front, results = data.get("front"), data.get("results")
        if isinstance(front, dict) and isinstance(results, dict):
            cache._front, cache._results = front, results
        return cache

    # -- front ends ---------------------------------------------------------------
    def get_front(self, key: str) -> FrontEnd | None:
        packed = self._front.get(key)
        if packed is None:
            return None
        try:
            sql, refs, start, end, ok, star, diags = packed
            front = FrontEnd(
                sql,
                tuple(tuple(r) for r in refs),
                start,
                end,
                ok,
                star,
                tuple(tuple(d) for d in diags),
            )
        except (TypeError, ValueError):
            return None
        self._used_front[key] = packed
        return front

    def put_front(self, key: str, front: FrontEnd) -> None:
        packed = (
            front.sql,
            front.refs,
            front.uses_start,
            front.uses_end,
            front.ok,
            front.select_star,
            front.diags,
        )
        self._used_front[key] = packed
        self.dirty = True

    # -- results ------------------------------------------------------------------
    def _type(self, spelling: str) -> RockyType:
        t = self._types.get(spelling)
        if t is None:
            t = self._types[spelling] = parse_type(spelling)
        return t

    def get_result(self, key: str) -> ModelResult | None:
        packed = self._results.get(key)
        if packed is None:
            return None
        try:
            cols, complete, edges, diags = packed
            columns = tuple(Column(n, self._type(t), nl) for n, t, nl in cols)
            lineage = tuple(
                LineageEdge(ColumnRef(sm, sc), ColumnRef(tm, tc), tr)
                for sm, sc, tm, tc, tr in edges
            )
            result = ModelResult(columns, complete, lineage, tuple(tuple(d) for d in diags))
        except (TypeError, ValueError):
            return None
        self._used_results[key] = packed
        return result

    def put_result(self, key: str, result: ModelResult) -> None:
        packed = (
            tuple((c.name, str(c.type), c.nullable) for c in result.columns),
            result.complete,
            tuple(
                (e.source.model, e.source.column, e.target.model, e.target.column, e.transform)
                for e in result.lineage
            ),
            result.diags,
        )
        self._used_results[key] = packed
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
        data = {"format": _FORMAT, "front": self._used_front, "results": self._used_results}
        tmp = self.path.with_name(self.path.name + f".{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(marshal.dumps(data))
            os.replace(tmp, self.path)
        except OSError:
            with contextlib.suppress(OSError):
                tmp.unlink()
