"""The model DAG: execution order, layers and cycles.

Order is Kahn's algorithm taking the alphabetically smallest ready model
first; a model's layer is one more than its deepest dependency. Models
caught in (or behind) a cycle cannot be ordered: they come last, in
alphabetical order, in one final layer, and each cycle is reported once
per member.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = ["DagOrder", "order_models"]


@dataclass(frozen=True, slots=True)
class DagOrder:
    order: list[str]
    layers: list[list[str]]
    cycles: list[list[str]]  # each as a path: [a, b, a]


def order_models(deps: Mapping[str, Sequence[str]]) -> DagOrder:
    """``deps`` maps every model to the models it reads (only names that
    are themselves keys count; a model naming itself is ignored here)."""
    indegree: dict[str, int] = dict.fromkeys(deps, 0)
    dependents: dict[str, list[str]] = {name: [] for name in deps}
    for name, ups in deps.items():
        for up in set(ups):
            if up in indegree and up != name:
                indegree[name] += 1
                dependents[up].append(name)
    heap = [name for name, d in indegree.items() if d == 0]
    heapq.heapify(heap)
    order: list[str] = []
    layer_of: dict[str, int] = {}
    layers: list[list[str]] = []
    while heap:
        name = heapq.heappop(heap)
        order.append(name)
        layer = 0
        for up in deps[name]:
            found = layer_of.get(up)
            if found is not None and found + 1 > layer:
                layer = found + 1
        layer_of[name] = layer
        while len(layers) <= layer:
            layers.append([])
        layers[layer].append(name)
        for down in dependents[name]:
            indegree[down] -= 1
            if indegree[down] == 0:
                heapq.heappush(heap, down)
    if len(order) == len(deps):
        return DagOrder(order, layers, [])
    stuck = sorted(n for n in deps if n not in layer_of)
    order.extend(stuck)
    layers.append(stuck)
    return DagOrder(order, layers, _cycles(deps, set(stuck)))


def _cycles(deps: Mapping[str, Sequence[str]], stuck: set[str]) -> list[list[str]]:
    """Every elementary cycle reachable among ``stuck`` models, each once,
    starting at its alphabetically smallest member."""
    found: dict[tuple[str, ...], list[str]] = {}
    for start in sorted(stuck):
        path: list[str] = []
        on_path: dict[str, int] = {}
        node: str | None = start
        visited: set[str] = set()
        while node is not None and node not in visited:
            visited.add(node)
            on_path[node] = len(path)
            path.append(node)
            nxt = sorted(u for u in deps[node] if u in stuck and u != node)
            node = next((u for u in nxt if u in on_path), nxt[0] if nxt else None)
            if node is not None and node in on_path:
                cycle = path[on_path[node] :]
                pivot = cycle.index(min(cycle))
                rotated = cycle[pivot:] + cycle[:pivot]
                found.setdefault(tuple(rotated), [*rotated, rotated[0]])
                break
    return [found[k] for k in sorted(found)]
