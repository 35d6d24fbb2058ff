"""A transformation pipeline's ``models`` glob: which directory to walk and
which model files under it belong to the pipeline.

The glob is relative to rocky.toml and follows the original tool:

- ``models/**`` (the default; also an empty glob or a plain directory such
  as ``models``) takes every model under ``models/``, however deep;
- a wildcard in the first component is relative to ``models/``
  (``*.sql`` means ``models/*.sql``);
- a literal ``x.sql`` / ``x.rocky`` path that is not a directory is exactly
  that file;
- ``*`` and ``?`` never cross a ``/``; ``**`` is a whole path component
  matching zero or more directories; ``[abc]``, ``[a-z]`` and ``[!abc]`` are
  character classes (never matching ``/``); matching is case-sensitive and
  a leading dot needs no literal ``.``.

The directory walked is the literal part before the first wildcard
component (``models/marts/**`` walks ``models/marts``). The rest of the glob
is compiled once into one regular expression, matched against each model
file's path relative to that directory; the default glob matches without
any regular expression at all.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

__all__ = [
    "DEFAULT_MODELS_GLOB",
    "ModelsSelection",
    "check_glob",
    "compile_glob",
    "select_models",
]

DEFAULT_MODELS_GLOB = "models/**"
_WILDCARDS = "*?["
_MODEL_SUFFIXES = (".sql", ".rocky")


@dataclass(frozen=True)
class ModelsSelection:
    """Where a glob points: ``base`` is the directory to walk (absolute),
    ``pattern`` the part of the glob below it (``**`` for everything) and
    ``include`` the test on a file's path relative to ``base`` (posix), or
    None when every model file under ``base`` belongs."""

    glob: str
    base: Path
    pattern: str
    include: Callable[[str], bool] | None


def _effective(glob: str) -> str:
    """The glob as it is matched: empty means the default, and a wildcard
    in the first component is relative to ``models/``."""
    if not glob:
        return DEFAULT_MODELS_GLOB
    first = _first_wildcard(glob)
    if first is not None and "/" not in glob[:first]:
        return "models/" + glob
    return glob


def _first_wildcard(text: str) -> int | None:
    found = [i for i in (text.find(c) for c in _WILDCARDS) if i >= 0]
    return min(found) if found else None


def select_models(glob: str, root: Path) -> ModelsSelection:
    """Split a ``models`` glob into the directory to walk and the matcher
    for the files below it. Raises ValueError for a malformed glob."""
    effective = _effective(glob)
    first = _first_wildcard(effective)
    if first is None:
        literal = root / effective
        if effective.endswith(_MODEL_SUFFIXES) and not literal.is_dir():
            name = PurePosixPath(effective).name
            base = Path(os.path.abspath(literal.parent))
            return ModelsSelection(glob, base, name, lambda rel: rel == name)
        return ModelsSelection(glob, Path(os.path.abspath(literal)), "**", None)
    cut = effective.rfind("/", 0, first) + 1
    prefix, pattern = effective[:cut], effective[cut:]
    base = Path(os.path.abspath(root / prefix)) if prefix else Path(os.path.abspath(root))
    regex = compile_glob(pattern)
    if pattern in ("**", "**/"):
        return ModelsSelection(glob, base, "**", None)
    return ModelsSelection(glob, base, pattern, lambda rel: regex.fullmatch(rel) is not None)


def check_glob(glob: str) -> None:
    """Raise ValueError when ``glob`` is not a valid pattern."""
    compile_glob(_effective(glob))


def compile_glob(pattern: str) -> re.Pattern[str]:
    """One regular expression equivalent to ``pattern`` (see the module
    docstring for the syntax). Raises ValueError naming the problem."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            stars = i
            while i < n and pattern[i] == "*":
                i += 1
            count = i - stars
            if count > 2:
                raise ValueError("wildcards are either regular `*` or recursive `**`")
            if count == 1:
                out.append("[^/]*")
                continue
            if stars > 0 and pattern[stars - 1] != "/":
                raise ValueError("recursive wildcards `**` must form a whole path component")
            if i < n and pattern[i] != "/":
                raise ValueError("recursive wildcards `**` must form a whole path component")
            i += 1  # the `/` belongs to the `**`
            # Zero or more directories; at the end of the glob, anything at all.
            out.append(".*" if i >= n else "(?:.*/)?")
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            i = _char_class(pattern, i, out)
        else:
            out.append(re.escape(c))
            i += 1
    return re.compile("".join(out), re.DOTALL)


def _char_class(pattern: str, i: int, out: list[str]) -> int:
    """Translate the class starting at ``pattern[i] == "["``; returns the
    index after it. The first character after ``[`` (or ``[!``) is always
    a member, so ``[]]`` matches ``]``."""
    negate = pattern.startswith("[!", i)
    start = i + 2 if negate else i + 1
    close = pattern.find("]", start + 1)
    if start >= len(pattern) or close < 0:
        raise ValueError("invalid character class: `[` has no closing `]`")
    members = pattern[start:close]
    parts: list[str] = []
    j = 0
    while j < len(members):
        if j + 2 < len(members) and members[j + 1] == "-":
            lo, hi = members[j], members[j + 2]
            if lo <= hi:
                parts.append(f"{re.escape(lo)}-{re.escape(hi)}")
            j += 3
        else:
            parts.append(re.escape(members[j]))
            j += 1
    body = "".join(parts)
    if negate:
        out.append(f"[^/{body}]")
    else:
        # A class with only an empty range matches nothing.
        out.append(f"(?!/)[{body}]" if body else "(?!)")
    return close + 1
