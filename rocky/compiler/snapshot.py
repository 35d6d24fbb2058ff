"""The project snapshot: what the last full compile of a project produced,
keyed by the state of every file it could have read.

``<root>/.rocky/cache/project.bin`` holds, for the project as it was: the
size and modification time of every file under the directories a compile
reads (models, contracts, seeds, data) and of rocky.toml, the inputs that
are not files (``--var`` values, the options, the environment variables
the configuration substituted, the installed plugins), the compile report
as one JSON fragment per model, and a compact lineage view of every model.

A later ``rocky compile`` or ``rocky lineage`` first compares the files
with the snapshot (one directory walk, no file read): when nothing changed
it answers from the snapshot without loading, parsing or inferring
anything; when a few model files changed, :mod:`rocky.compiler.incremental`
recompiles just those (and whatever their changes reach) and splices them
in. Any other change (rocky.toml, a file added or removed, another option,
another plugin) is a full compile, which writes a new snapshot.

A file whose modification time is close to the moment of the walk could
still change within the same clock tick without its time moving; such a
file's content hash is recorded too and compared next time. The format is
``marshal`` of plain data (it cannot execute code); a snapshot from another
rocky, compiler or Python version, or a damaged one, is ignored. Secret
values never enter it: environment values are stored as salted hashes.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from rocky import __version__
from rocky.compiler.results import COMPILER_VERSION

__all__ = [
    "SNAPSHOT_RELPATH",
    "VIEWS_RELPATH",
    "Changes",
    "Inputs",
    "Scan",
    "Snapshot",
    "StaleSnapshot",
    "ViewsWriter",
    "default_dirs",
    "scan",
]

SNAPSHOT_RELPATH: Final = Path(".rocky") / "cache" / "project.bin"
# The per-model lineage views, read a few at a time: one file of blobs that
# a full compile writes afresh and an incremental one appends to.
VIEWS_RELPATH: Final = Path(".rocky") / "cache" / "project-views.bin"
_TOKEN_BYTES: Final = 16
_FORMAT: Final = ("rocky-project-snapshot", 1, COMPILER_VERSION, sys.version_info[:2], __version__)
# Files modified this close to a walk get a content hash: some filesystems
# keep modification times in whole seconds (two on FAT).
_RACY_NS: Final = 3_000_000_000
_UNSET: Final = "-"

Stat = tuple[int, int]  # (mtime_ns, size)


def _digest(*parts: object) -> str:
    return hashlib.blake2b(repr(parts).encode("utf-8"), digest_size=20).hexdigest()


def _file_digest(path: str) -> str | None:
    try:
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "blake2b").hexdigest()
    except OSError:
        return None


def _plugin_stamp() -> tuple[tuple[str, int], ...]:
    """Installing or removing a distribution (a plugin) changes the
    modification time of its site-packages directory."""
    stamp = []
    for entry in sys.path:
        if entry.endswith(("site-packages", "dist-packages")):
            with contextlib.suppress(OSError):
                stamp.append((entry, os.stat(entry).st_mtime_ns))
    return tuple(stamp)


@dataclass(frozen=True)
class Inputs:
    """What a compile's outcome depends on besides the files: ``ir_key``
    decides the IR (lineage needs only that); ``report_key`` adds what only
    changes the report's diagnostics."""

    ir_key: str
    report_key: str

    @classmethod
    def of(
        cls,
        config_path: Path,
        *,
        models_dir: Path | None = None,
        variables: Mapping[str, str] | None = None,
        with_seed: bool = False,
        contracts_dir: Path | None = None,
        target_dialect: str | None = None,
    ) -> Inputs:
        ir_key = _digest(
            _FORMAT,
            os.path.abspath(config_path),
            os.path.abspath(models_dir) if models_dir is not None else None,
            sorted((variables or {}).items()),
            with_seed,
            os.environ.get("ROCKY_DISABLED_PLUGINS", ""),
            _plugin_stamp(),
        )
        report_key = _digest(
            ir_key,
            os.path.abspath(contracts_dir) if contracts_dir is not None else None,
            target_dialect,
        )
        return cls(ir_key, report_key)


def default_dirs(
    root: Path, models_dir: Path | None = None, contracts_dir: Path | None = None
) -> list[str]:
    """The directories a compile of the project at ``root`` reads, before its
    rocky.toml is read: the conventional ones and any given explicitly."""
    dirs = [root / "models", root / "contracts", root / "seeds", root / "data"]
    dirs.extend(d for d in (models_dir, contracts_dir) if d is not None)
    return sorted({os.path.abspath(d) for d in dirs})


def _walk(directory: str, out: dict[str, Stat], seen: set[str]) -> None:
    # Listing through a directory descriptor makes each stat relative to it
    # (the kernel does not walk the whole path again for every file).
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    prefix = directory.rstrip("/") + "/"
    subdirs: list[str] = []
    try:
        with os.scandir(fd) as entries:
            for entry in entries:
                try:
                    if entry.is_dir():
                        if not entry.name.startswith("."):
                            subdirs.append(prefix + entry.name)
                    else:
                        st = entry.stat()
                        out[prefix + entry.name] = (st.st_mtime_ns, st.st_size)
                except OSError:
                    continue
    except OSError:
        pass
    finally:
        os.close(fd)
    for path in subdirs:
        real = os.path.realpath(path)
        if real not in seen:  # a symlink cycle is walked once
            seen.add(real)
            _walk(path, out, seen)


@dataclass
class Scan:
    """The state of the project's files at one moment."""

    dirs: list[str]
    files: list[str]
    stats: dict[str, Stat]
    at_ns: int

    def racy(self) -> dict[str, str | None]:
        """Content hashes of the files modified just before this scan."""
        limit = self.at_ns - _RACY_NS
        return {p: _file_digest(p) for p, (mtime, _) in self.stats.items() if mtime >= limit}


def scan(dirs: Iterable[str], files: Iterable[str] = ()) -> Scan:
    """Stat every file under ``dirs`` (dot-directories skipped) and ``files``."""
    at_ns = time.time_ns()
    dirs, files = sorted(set(dirs)), sorted(set(files))
    stats: dict[str, Stat] = {}
    seen = {os.path.realpath(d) for d in dirs}
    for directory in dirs:
        _walk(directory, stats, seen)
    for path in files:
        with contextlib.suppress(OSError):
            st = os.stat(path)
            stats[path] = (st.st_mtime_ns, st.st_size)
    return Scan(dirs, files, stats, at_ns)


class StaleSnapshot(Exception):
    """The views file belongs to a newer snapshot than the one loaded (a
    concurrent compile replaced it): compile in full instead."""


@dataclass
class Changes:
    """How the files differ from the snapshot."""

    changed: list[str]
    added: list[str]
    removed: list[str]
    scan: Scan

    @property
    def none(self) -> bool:
        return not (self.changed or self.added or self.removed)


def _env_digest(salt: str, value: str | None) -> str:
    return _UNSET if value is None else _digest(salt, value)


class ViewsWriter:
    """A new views file, written a view at a time (a full compile adds each
    model's as the model compiles) under a temporary name, then renamed
    into place by :meth:`finish`: a reader of the previous snapshot keeps
    its own file or notices the new token. Raises OSError when the file
    cannot be written; :meth:`discard` then removes what was written."""

    def __init__(self, root: Path) -> None:
        self.target = root / VIEWS_RELPATH
        self.path = self.target.with_name(f"{self.target.name}.{os.getpid()}.tmp")
        self.token = os.urandom(_TOKEN_BYTES).hex()
        self.offsets: dict[str, tuple[int, int]] = {}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.path, "wb")  # noqa: SIM115 (closed by finish/discard)
        self._offset = self._file.write(bytes.fromhex(self.token))

    def add(self, name: str, blob: bytes) -> None:
        self._file.write(blob)
        self.offsets[name] = (self._offset, len(blob))
        self._offset += len(blob)

    def finish(self) -> None:
        self._file.close()
        os.replace(self.path, self.target)

    def discard(self) -> None:
        """Remove the file unless :meth:`finish` renamed it into place."""
        with contextlib.suppress(OSError):
            self._file.close()
        with contextlib.suppress(OSError):
            self.path.unlink()


@dataclass
class Snapshot:
    """One compile's outcome (see the module docstring). ``report`` is the
    data of a :class:`rocky.compiler.report.CompileReport`; ``models``
    holds, per model, its files, its upstream models and where its packed
    lineage view (:mod:`rocky.compiler.lineage_view`) is in the views file
    (read with :meth:`view_blob`)."""

    inputs: Inputs
    dirs: list[str]
    files: list[str]
    stats: dict[str, Stat]
    racy: dict[str, str | None]
    env: dict[str, str]
    salt: str
    report: dict[str, Any]
    models: dict[str, tuple[Any, ...]]
    sources: bytes
    extra: dict[str, Any] = field(default_factory=dict)
    token: str = ""
    root: Path | None = None
    # views not yet in the views file (name, blob), written by save()
    pending: Iterable[tuple[str, bytes]] | ViewsWriter = ()

    @classmethod
    def create(
        cls,
        inputs: Inputs,
        found: Scan,
        variables_read: Mapping[str, str | None],
        report: dict[str, Any],
        models: dict[str, tuple[list[str], tuple[str, ...]]],
        views: Iterable[tuple[str, bytes]] | ViewsWriter,
        sources: bytes,
    ) -> Snapshot:
        """A new snapshot; its views (``(model, blob)`` pairs, consumed
        once, or a views file being written with one view per model) are
        written to a new views file by :meth:`save`."""
        salt = os.urandom(16).hex()
        env = {k: _env_digest(salt, v) for k, v in sorted(variables_read.items())}
        entries = {name: (files, deps, None) for name, (files, deps) in models.items()}
        return cls(
            inputs,
            found.dirs,
            found.files,
            found.stats,
            found.racy(),
            env,
            salt,
            report,
            entries,
            sources,
            pending=views,
        )

    def replace(
        self,
        found: Scan,
        report: dict[str, Any],
        deps: Mapping[str, tuple[str, ...]],
        views: Mapping[str, bytes],
        sources: bytes,
    ) -> Snapshot:
        """This snapshot after an incremental compile: new file states,
        report, dependencies and views (appended to the views file)."""
        models = dict(self.models)
        for name, found_deps in deps.items():
            files, _, where = models[name]
            models[name] = (files, found_deps, where)
        for name in views:
            files, found_deps, _ = models[name]
            models[name] = (files, found_deps, None)
        return Snapshot(
            self.inputs,
            found.dirs,
            found.files,
            found.stats,
            found.racy(),
            self.env,
            self.salt,
            report,
            models,
            sources,
            self.extra,
            self.token,
            self.root,
            list(views.items()),
        )

    # -- views -------------------------------------------------------------------------
    def view_blob(self, name: str) -> bytes:
        """The packed view of ``name``, read from the views file;
        :class:`StaleSnapshot` when another compile has replaced that file
        since this snapshot was loaded."""
        offset, length = self.models[name][2]
        assert self.root is not None
        try:
            fd = os.open(self.root / VIEWS_RELPATH, os.O_RDONLY)
        except OSError:
            raise StaleSnapshot from None
        try:
            if os.pread(fd, _TOKEN_BYTES, 0).hex() != self.token:
                raise StaleSnapshot
            blob = os.pread(fd, length, offset)
        finally:
            os.close(fd)
        if len(blob) != length:
            raise StaleSnapshot
        return blob

    def _write_views(self, root: Path) -> None:
        """Write the pending views to a new views file (when the snapshot
        has none yet, or they are one already being written), or append them
        to this snapshot's file; record where each one is."""
        pending = self.pending
        if isinstance(pending, ViewsWriter) or not self.token:
            writer = pending if isinstance(pending, ViewsWriter) else ViewsWriter(root)
            try:
                if not isinstance(pending, ViewsWriter):
                    for name, blob in pending:
                        writer.add(name, blob)
                writer.finish()
            except OSError:
                writer.discard()
                raise
            self.token, written = writer.token, writer.offsets
        else:
            written = {}
            with open(root / VIEWS_RELPATH, "ab") as handle:
                offset = handle.tell()
                for name, blob in pending:
                    handle.write(blob)
                    written[name] = (offset, len(blob))
                    offset += len(blob)
        for name, where in written.items():
            files, deps, _ = self.models[name]
            self.models[name] = (files, deps, where)
        self.pending = ()

    # -- files -----------------------------------------------------------------------
    @staticmethod
    def path_for(root: Path) -> Path:
        return root / SNAPSHOT_RELPATH

    def save(self, root: Path) -> None:
        """Write the views, then the index atomically; a failure (read-only
        checkout) only costs the next compile its shortcut."""
        path = self.path_for(root)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._write_views(root)
        except OSError:
            if isinstance(self.pending, ViewsWriter):
                self.pending.discard()
            return
        data = {
            "format": _FORMAT,
            "inputs": (self.inputs.ir_key, self.inputs.report_key),
            "dirs": self.dirs,
            "files": self.files,
            "stats": self.stats,
            "racy": self.racy,
            "env": self.env,
            "salt": self.salt,
            "report": self.report,
            "models": self.models,
            "sources": self.sources,
            "extra": self.extra,
            "token": self.token,
        }
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        try:
            tmp.write_bytes(marshal.dumps(data))
            os.replace(tmp, path)
        except OSError:
            with contextlib.suppress(OSError):
                tmp.unlink()

    @classmethod
    def load(cls, root: Path) -> Snapshot | None:
        try:
            data = marshal.loads(cls.path_for(root).read_bytes())
        except (OSError, ValueError, EOFError, TypeError):
            return None
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            return None
        try:
            with open(root / VIEWS_RELPATH, "rb") as handle:
                if handle.read(_TOKEN_BYTES).hex() != data["token"]:
                    return None  # the views of another snapshot
        except (OSError, KeyError):
            return None
        try:
            ir_key, report_key = data["inputs"]
            return cls(
                Inputs(ir_key, report_key),
                data["dirs"],
                data["files"],
                data["stats"],
                data["racy"],
                data["env"],
                data["salt"],
                data["report"],
                data["models"],
                data["sources"],
                data["extra"],
                data["token"],
                root,
            )
        except (KeyError, TypeError, ValueError):
            return None

    @staticmethod
    def remove(root: Path) -> None:
        for relpath in (SNAPSHOT_RELPATH, VIEWS_RELPATH):
            with contextlib.suppress(OSError):
                (root / relpath).unlink()

    # -- validity ----------------------------------------------------------------------
    def env_unchanged(self, environ: Mapping[str, str] | None = None) -> bool:
        source = os.environ if environ is None else environ
        return all(_env_digest(self.salt, source.get(k)) == v for k, v in self.env.items())

    def changes(self) -> Changes:
        """Walk the snapshot's directories again and compare."""
        now = scan(self.dirs, self.files)
        old, new = self.stats, now.stats
        added = sorted(new.keys() - old.keys())
        removed = sorted(old.keys() - new.keys())
        changed = []
        racy = self.racy
        for path, stat in new.items():
            before = old.get(path)
            if before is None:
                continue
            if tuple(before) != stat or (path in racy and _file_digest(path) != racy[path]):
                changed.append(path)
        return Changes(sorted(changed), added, removed, now)
