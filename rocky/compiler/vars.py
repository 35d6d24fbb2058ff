"""``@var(name[, default])`` substitution and the ``@start_date`` /
``@end_date`` placeholders, applied to model text before parsing.

One scan of the source produces two texts: ``text`` (variables substituted,
placeholders left as written, which is what the runner later fills) and
``parse_text`` (placeholders replaced by sentinel identifiers so every
dialect parses them as a column the type checker recognises). An offset map
turns a position in ``parse_text`` back into one in the original source, so
diagnostics point at the token the user wrote.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from rocky.errors import RockyError

__all__ = [
    "END_SENTINEL",
    "START_SENTINEL",
    "Prepared",
    "line_col",
    "parse_var_pairs",
    "prepare",
    "restore_placeholders",
    "unterminated_offset",
]

START_SENTINEL: Final = "__rocky_start_date__"
END_SENTINEL: Final = "__rocky_end_date__"
# Substituted for an unbound @var with no default so the text still parses.
MISSING_VALUE: Final = "NULL"

_TOKEN_RE: Final = re.compile(
    r"@var\(\s*(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*(?:,\s*(?P<default>[^)]*?))?\s*\)"
    r"|@(?P<ph>start_date|end_date)(?![A-Za-z0-9_])"
)
_NAME_RE: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class Prepared:
    """A model body ready to parse.

    ``missing`` lists unbound variables as ``(name, offset in the source)``;
    ``replacements`` holds ``(parse_start, parse_end, src_start, src_end)``
    for every substitution, in order, for mapping offsets back."""

    text: str
    parse_text: str
    missing: tuple[tuple[str, int], ...]
    uses_start: bool
    uses_end: bool
    replacements: tuple[tuple[int, int, int, int], ...]

    def source_offset(self, parse_offset: int) -> int:
        """Map an offset in ``parse_text`` to the original source."""
        reps = self.replacements
        if not reps:
            return parse_offset
        i = bisect_right(reps, (parse_offset, 1 << 62)) - 1
        if i < 0:
            return parse_offset
        _, p_end, s_start, s_end = reps[i]
        if parse_offset < p_end:
            return s_start
        return s_end + (parse_offset - p_end)


def parse_var_pairs(pairs: list[str] | tuple[str, ...]) -> dict[str, str]:
    """Parse ``--var name=value`` options (split at the first ``=``)."""
    out: dict[str, str] = {}
    for raw in pairs:
        name, sep, value = raw.partition("=")
        if not sep:
            raise RockyError(f"invalid --var '{raw}': expected name=value")
        if not _NAME_RE.match(name):
            raise RockyError(
                f"invalid --var name '{name}'",
                hint="use letters, digits and underscores, not starting with a digit",
            )
        out[name] = value
    return out


def _skip_spans(text: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Comment spans and string-literal spans (single or double quoted)."""
    comments: list[tuple[int, int]] = []
    strings: list[tuple[int, int]] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "-" and text.startswith("--", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            comments.append((i, end))
            i = end
        elif ch == "/" and text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            comments.append((i, end))
            i = end
        elif ch in "'\"":
            j = i + 1
            while j < n:
                c = text[j]
                if c == "\\" and ch == "'":
                    j += 2
                    continue
                if c == ch:
                    if j + 1 < n and text[j + 1] == ch:
                        j += 2
                        continue
                    break
                j += 1
            end = min(j + 1, n)
            strings.append((i, end))
            i = end
        else:
            i += 1
    return comments, strings


def unterminated_offset(text: str) -> int | None:
    """Offset of an unterminated string, quoted identifier or block comment."""
    comments, strings = _skip_spans(text)
    for start, end in strings:
        if end >= len(text) and (end - start < 2 or text[end - 1] != text[start]):
            return start
    for start, end in comments:
        if text.startswith("/*", start) and not text.endswith("*/", 0, end):
            return start
    return None


def _inside(spans: list[tuple[int, int]], pos: int) -> bool:
    for start, end in spans:
        if start <= pos < end:
            return True
        if start > pos:
            return False
    return False


def prepare(source: str, variables: Mapping[str, str]) -> Prepared:
    """Substitute variables and placeholders in one model body."""
    if "@" not in source:
        return Prepared(source, source, (), False, False, ())
    comments, strings = _skip_spans(source)
    text_parts: list[str] = []
    parse_parts: list[str] = []
    reps: list[tuple[int, int, int, int]] = []
    missing: list[tuple[str, int]] = []
    uses_start = uses_end = False
    last = 0
    parse_len = 0
    for m in _TOKEN_RE.finditer(source):
        start, end = m.span()
        if _inside(comments, start):
            continue
        ph = m.group("ph")
        in_string = _inside(strings, start)
        if ph is not None:
            if ph == "start_date":
                uses_start = True
            else:
                uses_end = True
            if in_string:  # '@start_date' stays a string literal for typing
                continue
            value = m.group(0)
            parsed = START_SENTINEL if ph == "start_date" else END_SENTINEL
        else:
            name = m.group("name")
            default = m.group("default")
            if name in variables:
                value = variables[name]
            elif default is not None:
                value = default.strip()
            else:
                missing.append((name, start))
                value = MISSING_VALUE
            parsed = value
        chunk = source[last:start]
        text_parts.append(chunk)
        text_parts.append(value)
        parse_parts.append(chunk)
        parse_parts.append(parsed)
        parse_len += len(chunk)
        reps.append((parse_len, parse_len + len(parsed), start, end))
        parse_len += len(parsed)
        last = end
    if not reps:
        return Prepared(source, source, tuple(missing), uses_start, uses_end, ())
    text_parts.append(source[last:])
    parse_parts.append(source[last:])
    return Prepared(
        "".join(text_parts), "".join(parse_parts), tuple(missing), uses_start, uses_end, tuple(reps)
    )


def restore_placeholders(sql: str) -> str:
    """Put ``@start_date`` / ``@end_date`` back into rendered SQL."""
    if "__rocky_" not in sql:
        return sql
    return sql.replace(START_SENTINEL, "@start_date").replace(END_SENTINEL, "@end_date")


def line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of ``offset`` in ``text``."""
    offset = max(0, min(offset, len(text)))
    line = text.count("\n", 0, offset) + 1
    line_start = text.rfind("\n", 0, offset) + 1
    return line, offset - line_start + 1
