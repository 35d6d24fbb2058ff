"""Which models a model reads: exactly (from its parse and ``depends_on``)
or as a cheap guess before it is parsed.

The guess only decides the order in which models are first parsed, so
that most models can be inferred right after parsing, while their tree is
still in hand. A wrong guess costs one more parse of that model, never a
different result: a model is inferred only once every model it really
reads has been.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

__all__ = ["Deps", "ModelNames", "guess_deps", "resolve_deps"]

# A name right after FROM or JOIN, optionally quoted: enough to find the
# models a query (or a .rocky pipeline) reads in the usual case. The keyword
# must start a word; the check sits after its first letter (``f(?<!\w.)``,
# the same as a leading ``\b``) so the scan can skip to the next f or j.
_READS: Final = re.compile(
    r"(?:f(?<!\w.)rom|j(?<!\w.)oin)\s+[\"`\[]?([a-z_][a-z0-9_$]*)", re.DOTALL
)


class ModelNames:
    """Every model name of the project, and their lower-case spellings
    (the first model, alphabetically, wins a case-insensitive clash)."""

    def __init__(self, names: Iterable[str]) -> None:
        self.exact: frozenset[str] = frozenset(names)
        self.lower: dict[str, str] = {}
        for n in sorted(self.exact):
            self.lower.setdefault(n.lower(), n)

    def resolve(self, name: str) -> str | None:
        if name in self.exact:
            return name
        return self.lower.get(name.lower())


@dataclass(frozen=True, slots=True)
class Deps:
    """``models``: upstream models in first-seen order (``depends_on`` first);
    ``externals``: other tables as written; ``unknown``: ``depends_on``
    entries that are not models; ``self_dep``: ``depends_on`` names the model
    itself."""

    models: tuple[str, ...]
    externals: tuple[tuple[str, ...], ...]
    unknown: tuple[str, ...]
    self_dep: bool


def resolve_deps(
    name: str,
    depends_on: Sequence[str],
    refs: Iterable[tuple[str, ...]],
    names: ModelNames,
) -> Deps:
    found: list[str] = []
    unknown: list[str] = []
    self_dep = False
    for dep in depends_on:
        target = names.resolve(dep)
        if target is None:
            unknown.append(dep)
        elif target == name:
            self_dep = True
        elif target not in found:
            found.append(target)
    ext: list[tuple[str, ...]] = []
    for parts in refs:
        target = names.resolve(parts[0]) if len(parts) == 1 else None
        if target is not None:
            if target != name and target not in found:
                found.append(target)
        elif parts not in ext:
            ext.append(parts)
    return Deps(tuple(found), tuple(ext), tuple(unknown), self_dep)


def guess_deps(name: str, text: str, depends_on: Sequence[str], names: ModelNames) -> list[str]:
    """The models ``name`` probably reads, without parsing it."""
    out: list[str] = []
    for dep in depends_on:
        target = names.resolve(dep)
        if target is not None and target != name and target not in out:
            out.append(target)
    for word in _READS.findall(text.lower()):
        target = names.resolve(word)
        if target is not None and target != name and target not in out:
            out.append(target)
    return out
