"""Format .rocky files in place (``rocky fmt``). A file that does not parse
is reported and left untouched; a file is rewritten only when its text
changes, through a temporary file and a rename so a crash never leaves it
half-written."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rocky.errors import RockyError

__all__ = ["FormatReport", "format_paths", "rocky_files"]


@dataclass
class FormatReport:
    changed: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def rocky_files(paths: Iterable[Path]) -> list[Path]:
    """The .rocky files named, or found below the directories named. A file
    named that is not a .rocky file is refused: it would be read as DSL."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                p for p in sorted(path.rglob("*.rocky"))
                if not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        elif path.is_file():
            if path.suffix != ".rocky":
                raise RockyError(
                    f"{path}: not a .rocky file",
                    hint="rocky fmt formats .rocky files: name them, or a directory holding them",
                )
            found.append(path)
        else:
            raise RockyError(f"{path}: no such file or directory")
    return found


def _write_atomically(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def format_paths(paths: Iterable[Path], *, check: bool = False) -> FormatReport:
    """Format every .rocky file under ``paths``; with ``check`` write nothing."""
    from rocky.dsl import DslSyntaxError, format_source

    report = FormatReport()
    for path in rocky_files(paths):
        try:
            source = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            byte = exc.object[exc.start]
            report.errors.append(
                f"{path}: not valid UTF-8 (byte 0x{byte:02x} at offset {exc.start}); "
                "save the file as UTF-8"
            )
            continue
        except OSError as exc:
            report.errors.append(f"{path}: cannot read: {exc.strerror or exc}")
            continue
        try:
            formatted = format_source(source, str(path))
        except DslSyntaxError as err:
            report.errors.append(str(err))
            continue
        if formatted == source:
            report.unchanged.append(path)
            continue
        report.changed.append(path)
        if not check:
            _write_atomically(path, formatted)
    return report
