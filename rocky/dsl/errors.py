"""The one error a `.rocky` file can raise: it points at the offending token."""

from __future__ import annotations

from pathlib import Path

from rocky.errors import RockyError

__all__ = ["DslSyntaxError"]


class DslSyntaxError(RockyError):
    """A `.rocky` file that does not tokenize, parse or lower.

    ``line`` and ``col`` are 1-based and point at the offending token (or at
    the end of the file). ``expected`` names what the parser wanted there
    (``"}"``, ``"identifier"``, ``"pipeline step"``, ...) and ``found`` what it
    saw, so tools can act on the error without parsing the message.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        col: int | None = None,
        expected: str | None = None,
        found: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.expected = expected
        self.found = found
        super().__init__(message, file=file, line=line, col=col, hint=hint)
