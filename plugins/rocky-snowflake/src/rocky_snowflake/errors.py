"""Connector exceptions as one-line AdapterErrors.

Snowflake puts the useful part of a message on its later lines
(``SQL compilation error:`` / ``Object 'X' does not exist``), so the lines
are joined rather than cut. Lines that echo the statement (a stand-in's
``LINE 1: ...`` and caret diagram) are dropped, so statement text, and any
literal it held, never reaches output. Every configured secret is scrubbed
from the text as well, whatever the connector put in it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

from rocky.errors import AdapterError

__all__ = ["OBJECT_MISSING", "error_code", "to_adapter_error"]

# Snowflake error numbers the adapter acts on.
OBJECT_MISSING: Final = 2003  # does not exist or not authorized
_CANCELLED: Final = frozenset({604, 605})
_BAD_LOGIN: Final = frozenset({390100, 390144, 390318, 394304, 390303})
_NO_CONNECTION: Final = frozenset({250001, 250003, 251011, 251012})

_ECHO: Final = re.compile(r"^(LINE \d+:|\^+$|\s*\^)")
# The error number (and SQL state) the connector repeats at the front.
_PREFIX: Final = re.compile(r"^(?:\d{6} \([0-9A-Z]{5}\): |\d{3,6}: )+")
_ANSI: Final = re.compile(r"\x1b\[[0-9;]*m")
# A parser's excerpt of the statement after its position ("Line 1, Col: 17.").
_EXCERPT: Final = re.compile(r"(Line \d+, Col: \d+\.).*$")
_MAX: Final = 400


def error_code(exc: BaseException) -> int | None:
    errno = getattr(exc, "errno", None)
    return errno if isinstance(errno, int) and errno > 0 else None


def _message(exc: BaseException) -> str:
    raw = _ANSI.sub("", str(getattr(exc, "msg", None) or exc))
    lines = [_EXCERPT.sub(r"\1", line.strip()) for line in raw.splitlines()]
    kept = [line for line in lines if line and not _ECHO.match(line)]
    text = " ".join(kept) if kept else type(exc).__name__
    return _PREFIX.sub("", text)


def _scrub(text: str, secrets: Iterable[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        if secret:
            text = text.replace(secret, "***")
    return text


def to_adapter_error(
    exc: BaseException, *, doing: str | None = None, secrets: Iterable[str] = ()
) -> AdapterError:
    """One clear line for ``exc``; ``doing`` names what was attempted."""
    code = error_code(exc)
    if code in _CANCELLED:
        return AdapterError("snowflake: statement cancelled")
    message = _scrub(_message(exc), list(secrets))
    if len(message) > _MAX:
        message = message[: _MAX - 3] + "..."
    hint = None
    if code in _BAD_LOGIN:
        hint = "check username and the credential in [adapter] (password, key, token)"
    elif code in _NO_CONNECTION:
        hint = "check account, host, port and protocol in [adapter]"
    elif code == OBJECT_MISSING:
        hint = "check the name and that the role may see it"
    where = f" [{code:06d}]" if code is not None else ""
    prefix = f"{doing}: " if doing else "snowflake: "
    return AdapterError(f"{prefix}{message}{where}", hint=hint)
