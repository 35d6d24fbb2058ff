"""Reading TOML configuration text into plain data, with located errors.

Every configuration file goes through :func:`parse`: a syntax error becomes
a ConfigError naming the file, line and column. :func:`key_line` finds the
line that defines a key so later validation errors can point at it too.

Sidecars are small and a project can hold tens of thousands of them, so
:func:`parse` first tries a strict subset parser (bare keys, ``[table]``
headers, plain strings, integers, booleans, single-line string arrays)
that is several times faster than ``tomllib``. Anything outside that
subset, including every malformed input, goes to ``tomllib``, so the
result and every error are exactly ``tomllib``'s.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from rocky.errors import ConfigError

__all__ = ["config_error", "decode", "describe_value", "key_line", "parse", "unknown_key_error"]


def config_error(
    message: str,
    *,
    file: str | Path | None,
    line: int | None = None,
    col: int | None = None,
    hint: str | None = None,
) -> ConfigError:
    """A ConfigError rendered as ``<file>: <message> (line N, column C); <hint>``
    that still carries ``file``/``line``/``col`` for tools."""
    text = f"{file}: {message}" if file is not None else message
    if line is not None:
        text += f" (line {line}, column {col})" if col is not None else f" (line {line})"
    if hint:
        text += f"; {hint}"
    return _located(text, file, line, col, hint)


def unknown_key_error(
    key: str, *, file: str | Path | None, line: int | None, known: list[str], table: str = ""
) -> ConfigError:
    """``unknown key `stratgy` in models/x.toml (line 3); did you mean `strategy`?``"""
    import difflib

    where = f" in {file}" if file is not None else ""
    text = f"unknown key `{key}`"
    if table:
        text += f" in [{table}]"
    text += where
    if line is not None:
        text += f" (line {line})"
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    hint = f"did you mean `{close[0]}`?" if close else None
    if hint:
        text += f"; {hint}"
    elif known:
        text += "; known keys: " + ", ".join(f"`{k}`" for k in sorted(known))
    return _located(text, file, line, None, hint)


def _located(
    text: str, file: str | Path | None, line: int | None, col: int | None, hint: str | None
) -> ConfigError:
    err = ConfigError(text)
    err.file = str(file) if file is not None else None
    err.line, err.col, err.hint = line, col, hint
    return err


def describe_value(value: Any) -> str:
    """The TOML name of a value's type, for "got ..." messages (never the
    value itself: it may be a secret)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "table"
    return type(value).__name__  # datetime, date, time


# -- parsing ------------------------------------------------------------------


def decode(raw: bytes, *, file: str | Path | None) -> str:
    """UTF-8 text of a file (a leading BOM dropped), or a located error."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise config_error(
            f"not valid UTF-8 (byte 0x{raw[exc.start]:02x})",
            file=file,
            line=line,
            hint="save the file as UTF-8",
        ) from None
    return text[1:] if text.startswith("\ufeff") else text


_TOMLLIB_WHERE = re.compile(r" \(at (?:line (\d+), column (\d+)|end of document)\)$")


def parse(text: str, *, file: str | Path | None, line_offset: int = 0) -> dict[str, Any]:
    """Parse TOML ``text``; syntax errors become a located ConfigError.
    ``line_offset`` is the number of file lines before ``text`` starts."""
    fast = _fast_parse(text)
    if fast is not None:
        return fast
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = _TOMLLIB_WHERE.search(message)
        line: int | None = None
        col: int | None = None
        if match:
            message = message[: match.start()]
            if match.group(1):
                line, col = int(match.group(1)), int(match.group(2))
            else:
                line = max(1, text.count("\n") + (0 if text.endswith("\n") else 1))
        if line is not None:
            line += line_offset
        raise config_error(f"invalid TOML: {message}", file=file, line=line, col=col) from None
    except (RecursionError, ValueError) as exc:  # absurd nesting, odd literals
        raise config_error(f"invalid TOML: {type(exc).__name__}", file=file) from None


# The fast subset. Control characters other than tab/newline (and so CRLF
# files), backslashes and multi-line strings always take the tomllib path.
_NOT_SUBSET_CHAR = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\\]")
_KEY = r"[A-Za-z0-9_-]+"
_STR = r"\"[^\"\x00-\x1f]*\"|'[^'\x00-\x1f]*'"
_HEADER = re.compile(rf"\[({_KEY}(?:\.{_KEY})*)\][ \t]*(?:#.*)?")
_KEYVAL = re.compile(
    rf"({_KEY})[ \t]*=[ \t]*"
    rf"(?:(?P<s>{_STR})|(?P<i>-?(?:0|[1-9][0-9]*))|(?P<b>true|false)"
    rf"|(?P<a>\[[ \t]*(?:(?:{_STR})[ \t]*,[ \t]*)*(?:(?:{_STR})[ \t]*,?[ \t]*)?\]))"
    r"[ \t]*(?:#.*)?"
)
_ARRAY_ITEM = re.compile(_STR)
# Scalar ``key = value`` lines already parsed, by their exact text: the
# sidecars of a large project repeat most lines (`type = "full_refresh"`,
# `catalog = "..."`). Cleared when full, so the lines that recur come back.
_SCALAR_LINES: dict[str, tuple[str, str | int | bool]] = {}
_SCALAR_LINES_MAX = 4096


def _fast_parse(text: str) -> dict[str, Any] | None:
    """Parse the subset or return None (the caller then uses tomllib)."""
    if _NOT_SUBSET_CHAR.search(text) or '"""' in text or "'''" in text:
        return None
    root: dict[str, Any] = {}
    current = root
    headers: set[str] = set()
    seen = _SCALAR_LINES
    for raw in text.split("\n"):
        known = seen.get(raw)
        if known is not None:
            if known[0] in current:
                return None
            current[known[0]] = known[1]
            continue
        line = raw.strip(" \t")
        if not line or line[0] == "#":
            continue
        if line[0] == "[":
            head = _HEADER.fullmatch(line)
            if head is None or head.group(1) in headers:
                return None
            headers.add(head.group(1))
            current = root
            for part in head.group(1).split("."):
                node = current.get(part)
                if node is None:
                    node = current[part] = {}
                elif type(node) is not dict:
                    return None
                current = node
            continue
        kv = _KEYVAL.fullmatch(line)
        if kv is None:
            return None
        key, string, integer, boolean, array = kv.groups()
        if key in current:
            return None
        value: str | int | bool
        if string is not None:
            value = string[1:-1]
        elif integer is not None:
            value = int(integer)
        elif boolean is not None:
            value = boolean == "true"
        else:
            current[key] = [item[1:-1] for item in _ARRAY_ITEM.findall(array)]
            continue  # a list: made afresh for every file
        current[key] = value
        if len(seen) >= _SCALAR_LINES_MAX:
            seen.clear()
        seen[raw] = (key, value)
    return root


# -- locating keys -------------------------------------------------------------

_HEADER_LINE = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?")
_KEY_LINE = re.compile(
    r"^\s*((?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*'))*)\s*="
)


def _split_dotted(text: str) -> tuple[str, ...]:
    return tuple(part.strip().strip("\"'") for part in text.split("."))


def key_line(text: str, path: tuple[str | int, ...], *, line_offset: int = 0) -> int | None:
    """The 1-based file line that defines ``path`` (``("strategy", "type")``),
    found by scanning the text. Array indexes in ``path`` are ignored. Falls
    back to the line of the enclosing table, then to None."""
    want = tuple(p for p in path if isinstance(p, str))
    if not want:
        return None
    table: tuple[str, ...] = ()
    best: int | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        head = _HEADER_LINE.match(line)
        if head:
            table = _split_dotted(head.group(1))
            if table == want:
                return number + line_offset
            if best is None and len(table) < len(want) and want[: len(table)] == table:
                best = number + line_offset
            continue
        kv = _KEY_LINE.match(line)
        if kv:
            full = table + _split_dotted(kv.group(1))
            if full[: len(want)] == want:
                return number + line_offset
            if best is None and want[: len(full)] == full:  # an inline table
                best = number + line_offset
    return best
