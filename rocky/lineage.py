"""Column-level lineage queries over a compiled ProjectIR.

The edges are computed by the compiler during type inference and stored on
each ModelIR (``ModelIR.lineage``: the edges into that model's columns).
This module only reads them: a model's columns and edges, a column traced
back to its sources or forward to every consumer (transitively), the JSON
shapes of ``rocky lineage`` and a Graphviz rendering. Pure functions, no I/O.

Names are matched case-insensitively (an exact match wins), so
``rocky lineage FCT_REVENUE.Total`` finds ``fct_revenue.total``.
"""

from __future__ import annotations

import difflib
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from rocky.errors import RockyError
from rocky.ir import ColumnRef, LineageEdge, ProjectIR

__all__ = [
    "ROW_COLUMN",
    "LineageGraph",
    "column_lineage_json",
    "dot_edges",
    "model_lineage_json",
    "split_target",
    "to_dot",
]

_Key = tuple[str, str]

# The target column of a row edge (``join_key``, ``filter``): the model as a
# whole, a name no real column has.
ROW_COLUMN = "*"

# A model whose SQL or DSL does not parse has no columns and no edges: the
# lineage through it would be silently empty rather than wrong-looking.
_PARSE_CODES = frozenset({"E002", "E006"})


def _key(ref: ColumnRef) -> _Key:
    return ref.model.lower(), ref.column.lower()


class LineageGraph:
    """Every lineage edge of a project, indexed both ways."""

    def __init__(self, ir: ProjectIR) -> None:
        self.ir = ir
        # Execution order, then each model's own edge order: stable output.
        self.edges: list[LineageEdge] = [e for m in ir.models.values() for e in m.lineage]
        self._into: dict[_Key, list[LineageEdge]] = {}
        self._out_of: dict[_Key, list[LineageEdge]] = {}
        for edge in self.edges:
            self._into.setdefault(_key(edge.target), []).append(edge)
            self._out_of.setdefault(_key(edge.source), []).append(edge)

    # -- names ---------------------------------------------------------------

    def resolve_model(self, name: str) -> str:
        """The model's name as compiled; RockyError naming close matches."""
        if name in self.ir.models:
            return name
        for known in self.ir.models:
            if known.lower() == name.lower():
                return known
        close = difflib.get_close_matches(name, list(self.ir.models), n=3)
        hint = (
            f"did you mean {', '.join(close)}?" if close else "run `rocky compile` to list models"
        )
        raise RockyError(f"model '{name}' not found", hint=hint)

    def resolve_column(self, model: str, column: str) -> str:
        """The column's name as compiled; RockyError listing the columns."""
        found = self.ir.models[model].column(column)
        if found is not None:
            return found.name
        names = [c.name for c in self.ir.models[model].columns]
        close = difflib.get_close_matches(column, names, n=3)
        hint = (
            f"did you mean {', '.join(close)}?"
            if close
            else f"its columns are: {', '.join(names) or 'none'}"
        )
        raise RockyError(f"column '{column}' not found in model '{model}'", hint=hint)

    def require_parsed(self, model: str, *, downstream: bool) -> None:
        """RockyError naming the first parse error in ``model`` or in a model
        its lineage passes through (upstream, or downstream with
        ``downstream``)."""
        related = self._closure(model, downstream=downstream)
        for d in self.ir.diagnostics:
            if d.code in _PARSE_CODES and d.model in related:
                where = f"{d.span.file}:{d.span.line}:{d.span.col}: " if d.span else ""
                raise RockyError(
                    f"{where}{d.code} {d.message}",
                    hint=f"model {d.model} does not parse, so the lineage of {model} is "
                    "unknown: fix it; `rocky compile` lists every diagnostic",
                )

    def _closure(self, model: str, *, downstream: bool) -> set[str]:
        seen = {model}
        queue = deque([model])
        while queue:
            current = self.ir.models.get(queue.popleft())
            if current is None:
                continue
            nexts = list(current.depends_on)
            if downstream:
                nexts += self.ir.downstream(current.name)
            for name in nexts:
                if name not in seen:
                    seen.add(name)
                    queue.append(name)
        return seen

    # -- queries -------------------------------------------------------------

    def incoming(self, model: str, column: str) -> list[LineageEdge]:
        """Edges into one column (what it reads directly)."""
        return list(self._into.get((model.lower(), column.lower()), ()))

    def outgoing(self, model: str, column: str) -> list[LineageEdge]:
        """Edges out of one column (who reads it directly)."""
        return list(self._out_of.get((model.lower(), column.lower()), ()))

    def model_edges(self, model: str) -> list[LineageEdge]:
        """Edges into or out of any column of ``model``."""
        lowered = model.lower()
        return [
            e
            for e in self.edges
            if e.target.model.lower() == lowered or e.source.model.lower() == lowered
        ]

    def trace_upstream(self, model: str, column: str) -> list[LineageEdge]:
        """Every edge on the way from ``model.column`` back to its sources,
        nearest first."""
        return self._walk(ColumnRef(model, column), self._into, lambda e: e.source)

    def trace_downstream(self, model: str, column: str) -> list[LineageEdge]:
        """Every edge from ``model.column`` forward to its last consumer,
        nearest first."""
        return self._walk(ColumnRef(model, column), self._out_of, lambda e: e.target)

    def consumers(self, model: str, column: str) -> list[ColumnRef]:
        """Every column that reads ``model.column``, directly or not, sorted
        and without duplicates."""
        seen = {_key(e.target): e.target for e in self.trace_downstream(model, column)}
        return sorted(seen.values(), key=lambda r: (r.model, r.column))

    @staticmethod
    def _walk(
        start: ColumnRef,
        index: dict[_Key, list[LineageEdge]],
        step: Callable[[LineageEdge], ColumnRef],
    ) -> list[LineageEdge]:
        # Breadth first, with a visited set: diamonds and cycles end.
        out: list[LineageEdge] = []
        visited = {_key(start)}
        queue = deque([start])
        while queue:
            current = queue.popleft()
            for edge in index.get(_key(current), ()):
                out.append(edge)
                nxt = step(edge)
                if _key(nxt) not in visited:
                    visited.add(_key(nxt))
                    queue.append(nxt)
        return out


def split_target(target: str, column: str | None = None) -> tuple[str, str | None]:
    """``model`` or ``model.column`` (split at the first dot); an explicit
    ``column`` wins over the dotted form."""
    if column:
        return target, column
    if "." in target:
        model, col = target.split(".", 1)
        return model, col
    return target, None


def _edge_json(edge: LineageEdge) -> dict[str, Any]:
    return edge.to_json()


def model_lineage_json(graph: LineageGraph, model: str, version: str) -> dict[str, Any]:
    """``rocky lineage <model>``: columns with types, upstream and downstream
    models, every edge touching the model, and the nodes those edges name."""
    name = graph.resolve_model(model)
    graph.require_parsed(name, downstream=True)
    ir_model = graph.ir.models[name]
    edges = graph.model_edges(name)
    columns = []
    for col in ir_model.columns:
        entry: dict[str, Any] = {"name": col.name}
        if not col.type.is_unknown:
            entry["data_type"] = str(col.type)
        entry["nullable"] = col.nullable
        columns.append(entry)
    node_names = [name]
    for edge in edges:
        for endpoint in (edge.source.model, edge.target.model):
            if endpoint not in node_names:
                node_names.append(endpoint)
    nodes = []
    for node in node_names:
        known = graph.ir.models.get(node)
        if known is not None:
            nodes.append({"model": node, "target_schema": known.target.schema})
        else:
            nodes.append({"model": node, "source_id": node})
    return {
        "version": version,
        "command": "lineage",
        "model": name,
        "columns": columns,
        "upstream": list(ir_model.depends_on),
        "downstream": graph.ir.downstream(name),
        "edges": [_edge_json(e) for e in edges],
        "nodes": nodes,
    }


def column_lineage_json(
    graph: LineageGraph, model: str, column: str, *, downstream: bool, version: str
) -> dict[str, Any]:
    """``rocky lineage <model>.<column>``: the trace back to the sources (or
    forward to every consumer with ``downstream``), plus the consumers."""
    name = graph.resolve_model(model)
    graph.require_parsed(name, downstream=downstream)
    col = graph.resolve_column(name, column)
    trace = graph.trace_downstream(name, col) if downstream else graph.trace_upstream(name, col)
    data: dict[str, Any] = {
        "version": version,
        "command": "lineage",
        "model": name,
        "column": col,
        "direction": "downstream" if downstream else "upstream",
        "trace": [_edge_json(e) for e in trace],
    }
    consumers = graph.consumers(name, col)
    if consumers:
        data["downstream_consumers"] = [c.to_json() for c in consumers]
    return data


def _dot_id(ref: ColumnRef) -> str:
    text = f"{ref.model}.{ref.column}".replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def to_dot(edges: Iterable[LineageEdge]) -> str:
    """Graphviz: ``digraph lineage { rankdir=LR; "m.c" -> "m2.c"; }``, one
    line per distinct edge. A row edge (into ``m2.*``) is dashed and labelled
    with its kind, as it feeds no one column."""
    lines = ["digraph lineage {", "  rankdir=LR;"]
    seen: set[str] = set()
    for edge in edges:
        style = (
            f' [style=dashed, label="{edge.transform}"]' if edge.target.column == ROW_COLUMN else ""
        )
        line = f"  {_dot_id(edge.source)} -> {_dot_id(edge.target)}{style};"
        if line not in seen:
            seen.add(line)
            lines.append(line)
    lines.append("}")
    return "\n".join(lines) + "\n"


def dot_edges(
    graph: LineageGraph, model: str, column: str | None, *, downstream: bool
) -> list[LineageEdge]:
    """The edges ``rocky lineage --format dot`` draws: a column's trace, or a
    model's incoming edges (its outgoing ones with ``downstream``)."""
    name = graph.resolve_model(model)
    graph.require_parsed(name, downstream=downstream)
    if column is not None:
        col = graph.resolve_column(name, column)
        return graph.trace_downstream(name, col) if downstream else graph.trace_upstream(name, col)
    lowered = name.lower()
    if downstream:
        return [e for e in graph.edges if e.source.model.lower() == lowered]
    return [e for e in graph.edges if e.target.model.lower() == lowered]
