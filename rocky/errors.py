"""The one error root: everything a user can cause is a RockyError.

The CLI prints a RockyError as a single line (no traceback) and exits 1;
``--debug`` re-raises it. Anything else escaping is a bug in rocky.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "AdapterError",
    "ConfigError",
    "Interrupted",
    "PluginError",
    "RockyError",
]


class RockyError(Exception):
    """A problem the user can fix. ``str(err)`` is the one line shown."""

    exit_code: int = 1

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        col: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line
        self.col = col
        self.hint = hint
        super().__init__(self.render())

    def render(self) -> str:
        where = ""
        if self.file:
            where = self.file
            if self.line is not None:
                where += f":{self.line}"
                if self.col is not None:
                    where += f":{self.col}"
            where += ": "
        text = f"{where}{self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text


class ConfigError(RockyError):
    """rocky.toml, a sidecar, a contract or a seed is malformed."""


class PluginError(RockyError):
    """A plugin failed to load, is missing, or registered something invalid."""


class AdapterError(RockyError):
    """The warehouse refused a statement or the connection failed."""


class Interrupted(RockyError):
    """The user pressed Ctrl-C; the work in flight was cancelled and recorded."""

    exit_code = 130
