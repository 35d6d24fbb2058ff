"""``${VAR}`` and ``${VAR:-default}`` substitution in configuration text.

Applied to rocky.toml, model sidecars, ``_defaults.toml``, group files,
seed sidecars and ``---toml`` frontmatter *before* TOML parsing, never to
SQL. Lines whose first non-blank character is ``#`` are left alone, so a
commented-out ``${SECRET}`` never has to be set.

- ``${VAR}`` is required: an unset variable is a ConfigError naming the
  file, the line and the variable.
- ``${VAR:-default}`` uses ``default`` when VAR is unset *or empty*.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from rocky.errors import ConfigError

__all__ = ["recording", "substitute"]

_PLACEHOLDER = re.compile(r"\$\{([^}]+)\}")

# The variables substitutions look up inside ``recording()``, with the
# value found (None: unset): the project snapshot is valid only while they
# keep those values (rocky.compiler.snapshot).
_READ: dict[str, str | None] = {}


@contextmanager
def recording() -> Iterator[dict[str, str | None]]:
    """Collect the variables looked up (and their values) within the block."""
    global _READ
    outer, _READ = _READ, {}
    try:
        yield _READ
    finally:
        outer.update(_READ)
        _READ = outer


def substitute(
    text: str,
    *,
    env: Mapping[str, str] | None = None,
    file: str | Path | None = None,
    line_offset: int = 0,
) -> str:
    """Return ``text`` with every placeholder replaced.

    ``line_offset`` is the number of file lines before ``text`` starts
    (frontmatter), so errors point at the right line of the file.
    """
    if "${" not in text:  # the common case: nothing to do, no copy
        return text
    environ: Mapping[str, str] = os.environ if env is None else env
    lines = text.splitlines(keepends=True)
    for index, line in enumerate(lines):
        if "${" not in line or line.lstrip().startswith("#"):
            continue
        lines[index] = _substitute_line(line, environ, file, line_offset + index + 1)
    return "".join(lines)


def _substitute_line(
    line: str, env: Mapping[str, str], file: str | Path | None, lineno: int
) -> str:
    def replace(match: re.Match[str]) -> str:
        expr = match.group(1)
        name, sep, default = expr.partition(":-")
        if sep:
            value = _READ[name] = env.get(name)
            return value if value else default
        value = _READ[expr] = env.get(expr)
        if value is None:
            where = f"{file}: " if file is not None else ""
            err = ConfigError(
                f"{where}environment variable `{expr}` is not set (line {lineno}); "
                f"export it, or write `${{{expr}:-default}}` to give it a default"
            )
            err.file = str(file) if file is not None else None
            err.line = lineno
            raise err
        return value

    return _PLACEHOLDER.sub(replace, line)
