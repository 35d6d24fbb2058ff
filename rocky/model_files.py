"""Finding model files and reading each one, with its sidecar, once.

The models directory is walked recursively (hidden directories and
``groups/`` skipped). A model is ``x.sql`` or ``x.rocky``; its configuration
comes from a sidecar ``x.toml``, else (``.sql`` only) from ``---toml ... ---``
frontmatter, else (``.rocky`` only) from the directory defaults. The
configuration itself is resolved by :mod:`rocky.model_resolve`. A directory
of many models is read ahead: the kernel is told which files come next, so
a cold page cache serves them in parallel.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from rocky.envsubst import substitute
from rocky.errors import ConfigError
from rocky.model_config import ModelConfig, SidecarConfig
from rocky.model_resolve import DirContext, Resolver
from rocky.model_text import FRONTMATTER, content_hash_of, has_frontmatter, trim_body
from rocky.schema_check import Located, validate
from rocky.source_columns import SourceDeclarations, check_source_columns
from rocky.tomlio import config_error, decode, parse

__all__ = ["MAX_DEPTH", "ModelSource", "content_hash", "load_models", "read_bytes", "rel"]

MAX_DEPTH = 64
_CHUNK = 1 << 16
_WHAT = {"sql": "SELECT", "rocky": "pipeline"}


@dataclass(frozen=True)
class ModelSource:
    """One model as loaded: where it is, its body and its resolved config.
    A span's file line is ``line_offset + line-in-text``.

    ``config_data`` is the resolved config as plain data, exactly
    ``config.model_dump(mode="json", by_alias=True)``, computed once by the
    loader (``content_hash`` is made from it) so later stages need not dump
    the config again: treat it as read-only. It is left out of comparisons
    and the repr: ``config`` already stands for it."""

    name: str
    path: Path
    rel_path: str
    kind: Literal["sql", "rocky"]
    text: str
    line_offset: int
    config: ModelConfig
    sidecar_path: Path | None
    content_hash: str
    config_data: dict[str, Any] = field(repr=False, compare=False)


def rel(path: Path | str, root: Path | str) -> str:
    """``path`` relative to ``root`` in posix form (``../`` when outside)."""
    text, base = os.fspath(path), os.fspath(root).rstrip(os.sep)
    if text.startswith(base + os.sep):
        return text[len(base) + 1 :].replace(os.sep, "/")
    return Path(os.path.relpath(text, base)).as_posix()


def read_bytes(path: str, shown: str) -> bytes:
    """The file's bytes, or a ConfigError naming it. Plain ``os.read``:
    with tens of thousands of small files, buffered I/O is measurable."""
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            return _read_fd(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        raise ConfigError(f"{shown}: cannot read ({exc.strerror or exc})") from None


def _read_fd(fd: int) -> bytes:
    data = os.read(fd, _CHUNK)
    if len(data) < _CHUNK:
        return data
    parts = [data]
    while chunk := os.read(fd, 1 << 20):
        parts.append(chunk)
    return b"".join(parts)


class _ReadAhead:
    """Reads files in a known order, keeping a window of the next ones open
    with a hint that the kernel should fetch them now
    (``POSIX_FADV_WILLNEED``). On a cold page cache the disk then serves
    many small reads at once instead of one after another (several times
    faster for a large project); on a warm one it costs one system call per
    file. A file the hint does not apply to (a FIFO) is read the plain way,
    like any file not in the window."""

    def __init__(self, paths: list[str]) -> None:
        self._paths = paths
        self._next = 0
        self._open: dict[str, int] = {}

    def read(self, path: str, shown: str) -> bytes:
        if len(self._open) <= _WINDOW // 2 and self._next < len(self._paths):
            self._fill()
        fd = self._open.pop(path, None)
        if fd is None:
            return read_bytes(path, shown)
        try:
            return _read_fd(fd)
        except BlockingIOError:
            pass  # a file system that honours O_NONBLOCK for files: read plainly
        except OSError as exc:
            raise ConfigError(f"{shown}: cannot read ({exc.strerror or exc})") from None
        finally:
            os.close(fd)
        return read_bytes(path, shown)

    def _fill(self) -> None:
        stop = min(len(self._paths), self._next + _WINDOW - len(self._open))
        for path in self._paths[self._next : stop]:
            try:
                # non-blocking: opening a FIFO must not wait for a writer here
                fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
            except OSError:
                continue  # read_bytes reports it when its turn comes
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_WILLNEED)
            except OSError:
                os.close(fd)
                continue
            self._open[path] = fd
        self._next = stop

    def close(self) -> None:
        for fd in self._open.values():
            with contextlib.suppress(OSError):
                os.close(fd)
        self._open.clear()


# Files held open ahead of reading: well under any descriptor limit, and
# enough to keep a disk's queue full.
_WINDOW = 128
_CAN_READ_AHEAD = hasattr(os, "posix_fadvise") and hasattr(os, "O_NONBLOCK")
_NOWAIT: int | None = getattr(os, "RWF_NOWAIT", None) if hasattr(os, "preadv") else None


def _walk(models_dir: Path, root: Path) -> Iterator[tuple[Path, dict[str, str]]]:
    """Every directory of the tree (pre-order, sorted) with its files
    (name -> path). Each directory is entered once, so a symlink cycle ends."""
    stack: list[tuple[str, int]] = [(os.path.abspath(models_dir), 0)]
    seen = {os.path.realpath(models_dir)}
    while stack:
        directory, depth = stack.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError as exc:
            raise ConfigError(
                f"{rel(directory, root)}: cannot read directory ({exc.strerror})"
            ) from None
        files: dict[str, str] = {}
        subdirs: list[str] = []
        for entry in entries:
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if not is_dir:
                files[entry.name] = entry.path
            elif not entry.name.startswith(".") and entry.name != "groups":
                subdirs.append(entry.path)
        yield Path(directory), files
        fresh = [d for d in sorted(subdirs) if os.path.realpath(d) not in seen]
        if fresh and depth + 1 > MAX_DEPTH:
            raise ConfigError(
                f"{rel(directory, root)}: models nest deeper than {MAX_DEPTH} directories"
            )
        seen.update(os.path.realpath(d) for d in fresh)
        stack.extend((d, depth + 1) for d in reversed(fresh))


def load_models(
    root: Path,
    models_dir: Path,
    env: Mapping[str, str] | None,
    include: Callable[[str], bool] | None = None,
) -> tuple[dict[str, ModelSource], dict[str, Path]]:
    """All models under ``models_dir`` by name, and the ``<stem>.contract.toml``
    files found beside them (by model name). ``include``, when given, is
    asked about each model file's path relative to ``models_dir`` (posix);
    a directory none of whose files it takes is not read further (its
    ``_defaults.toml`` is never parsed)."""
    resolver = Resolver(root, models_dir, env)
    root_text = os.fspath(root)
    base_text = os.path.abspath(models_dir)
    models: dict[str, ModelSource] = {}
    contracts: dict[str, Path] = {}
    declared = SourceDeclarations()
    for directory, files in _walk(models_dir, root):
        ctx: DirContext | None = None
        prefix = ""
        if include is not None:
            prefix = rel(directory, base_text)
            prefix = "" if prefix == "." else prefix + "/"
        todo: list[tuple[str, str, Literal["sql", "rocky"]]] = []
        for name in sorted(files):
            kind: Literal["sql", "rocky"]
            if name.endswith(".sql"):
                stem, kind = name[:-4], "sql"
            elif name.endswith(".rocky"):
                stem, kind = name[:-6], "rocky"
            else:
                continue
            if include is not None and not include(prefix + name):
                continue
            todo.append((name, stem, kind))
        if not todo:
            continue
        ctx = resolver.context(directory, files)
        ahead = _read_ahead(todo, files)
        read = ahead.read if ahead is not None else read_bytes
        shown_dir = rel(directory, root_text)
        shown_dir = "" if shown_dir == "." else shown_dir + "/"
        try:
            for name, stem, kind in todo:
                model = _load_one(
                    directory, name, stem, kind, files, ctx, resolver, shown_dir, env, read
                )
                other = models.get(model.name)
                if other is not None:
                    raise ConfigError(
                        f"duplicate model name `{model.name}`: {other.rel_path} and "
                        f"{model.rel_path}; rename one file or give it a distinct `name` in "
                        "its sidecar"
                    )
                models[model.name] = model
                if model.config.sources:
                    side = model.sidecar_path
                    declared.add(model.config.sources, rel(side, root) if side else model.rel_path)
                contract = files.get(f"{stem}.contract.toml")
                if contract is not None:
                    contracts[model.name] = Path(contract)
        finally:
            if ahead is not None:
                ahead.close()
    return models, contracts


def _read_ahead(
    todo: list[tuple[str, str, Literal["sql", "rocky"]]], files: dict[str, str]
) -> _ReadAhead | None:
    """Read-ahead over the files of ``todo`` (each model, then its sidecar),
    for a directory with enough of them to be worth it whose files are not
    all in the page cache already (then reading them plainly is faster)."""
    if not _CAN_READ_AHEAD or len(todo) < 16:
        return None
    # A project's files are usually all cached or all not: the first,
    # middle and last model stand for the rest.
    if all(_cached(files[todo[i][0]]) for i in (0, len(todo) // 2, -1)):
        return None
    paths: list[str] = []
    for name, stem, _ in todo:
        paths.append(files[name])
        sidecar = files.get(f"{stem}.toml")
        if sidecar is not None:
            paths.append(sidecar)
    return _ReadAhead(paths)


def _cached(path: str) -> bool:
    """Whether the start of the file is in the page cache, asked with a
    read that must not wait for the disk (``RWF_NOWAIT``). False when that
    cannot be told (no such read here, a file system without it, a FIFO)."""
    if _NOWAIT is None:
        return False
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        os.preadv(fd, [bytearray(1)], 0, _NOWAIT)
    except OSError:
        return False
    finally:
        os.close(fd)
    return True


def _load_one(
    directory: Path,
    name: str,
    stem: str,
    kind: Literal["sql", "rocky"],
    files: dict[str, str],
    ctx: DirContext,
    resolver: Resolver,
    shown_dir: str,
    env: Mapping[str, str] | None,
    read: Callable[[str, str], bytes] = read_bytes,
) -> ModelSource:
    # ``shown_dir`` is the directory relative to the project root ("" for
    # the root itself, else ending in "/"): what rel() gives for its files.
    shown = shown_dir + name
    path = files[name]
    raw = read(path, shown)
    text = decode(raw, file=shown)
    if "\x00" in text:
        raise config_error("contains NUL bytes; is it a binary file?", file=shown)
    side_name = stem + ".toml"
    sidecar_path = files.get(side_name)
    body_offset = 0
    if sidecar_path is not None:
        side_shown = shown_dir + side_name
        side_raw = read(sidecar_path, side_shown)
        side_text = substitute(decode(side_raw, file=side_shown), env=env, file=side_shown)
        where = Located(side_shown, side_text)
        sidecar: SidecarConfig | None = _sidecar(parse(side_text, file=side_shown), where)
        body = text
        if has_frontmatter(text):
            raise config_error(
                f"has both a sidecar ({side_shown}) and `---toml` frontmatter",
                file=shown,
                hint="keep one: move the frontmatter keys into the sidecar",
            )
    elif kind == "sql":
        sidecar, where, body, body_offset = _frontmatter(text, shown, stem, env)
    else:
        sidecar, where, body = None, Located(shown), text
    body, body_offset = trim_body(body, body_offset)
    if not body:
        raise config_error(
            f"the model file is empty; write the model's {_WHAT[kind]} or delete the file",
            file=shown,
        )
    if sidecar is None:
        config, data = resolver.defaults_only(stem, ctx)
    else:
        config, data = resolver.resolve(sidecar, stem, ctx, where)
    return ModelSource(
        name=config.name,
        path=_child(directory, name),
        rel_path=shown,
        kind=kind,
        text=body,
        line_offset=body_offset,
        config=config,
        sidecar_path=_child(directory, side_name) if sidecar_path is not None else None,
        content_hash=content_hash_of(raw, data),
        config_data=data,
    )


# ``directory / name`` for a plain file name, without parsing the path
# again (two paths per model); the public spelling where the shortcut is
# missing.
_child: Callable[[Path, str], Path] = getattr(Path, "_make_child_relpath", Path.joinpath)


def _sidecar(data: dict[str, Any], where: Located) -> SidecarConfig:
    if "sources" in data:
        check_source_columns(data, where)
    return validate(SidecarConfig, data, where)


def content_hash(raw: bytes, config: ModelConfig) -> str:
    """blake3 of the model file's bytes and its resolved config (see
    :func:`rocky.model_text.content_hash_of`)."""
    return content_hash_of(raw, config.model_dump(mode="json", by_alias=True))


def _frontmatter(
    text: str, shown: str, stem: str, env: Mapping[str, str] | None
) -> tuple[SidecarConfig, Located, str, int]:
    """Split ``---toml ... ---`` frontmatter from the SQL body."""
    opening = FRONTMATTER.match(text)
    if opening is None:
        raise config_error(
            "has no sidecar and no `---toml` frontmatter (MissingFrontmatter)",
            file=shown,
            hint=f"add a sidecar `{stem}.toml` beside it, or start the file with ---toml ... ---",
        )
    start = opening.end()
    lead = start - len("---toml")
    close = text.find("\n---", start)
    if close < 0:
        raise config_error(
            "the `---toml` frontmatter is never closed",
            file=shown,
            line=text.count("\n", 0, lead) + 1,
            hint="end it with a line holding `---`",
        )
    fm_offset = text.count("\n", 0, start)
    frontmatter = substitute(text[start:close], env=env, file=shown, line_offset=fm_offset)
    where = Located(shown, frontmatter, fm_offset)
    data = parse(frontmatter, file=shown, line_offset=fm_offset)
    sidecar = _sidecar(data, where)
    body_start = close + len("\n---")
    return sidecar, where, text[body_start:], text.count("\n", 0, body_start)
