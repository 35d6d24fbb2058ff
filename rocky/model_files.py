"""Finding model files and reading each one, with its sidecar, once.

The models directory is walked recursively (hidden directories and
``groups/`` skipped). A model is ``x.sql`` or ``x.rocky``; its configuration
comes from a sidecar ``x.toml``, else (``.sql`` only) from ``---toml ... ---``
frontmatter, else (``.rocky`` only) from the directory defaults. The
configuration itself is resolved by :mod:`rocky.model_resolve`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from blake3 import blake3

from rocky.envsubst import substitute
from rocky.errors import ConfigError
from rocky.model_config import ModelConfig, SidecarConfig
from rocky.model_resolve import DirContext, Resolver
from rocky.schema_check import Located, validate
from rocky.source_columns import SourceDeclarations, check_source_columns
from rocky.tomlio import config_error, decode, parse

__all__ = ["MAX_DEPTH", "ModelSource", "content_hash", "load_models", "read_bytes", "rel"]

MAX_DEPTH = 64
_CHUNK = 1 << 16
_WHAT = {"sql": "SELECT", "rocky": "pipeline"}
_FRONTMATTER = re.compile(r"\s*---toml")
# rocky.ir.canonical_json, with the encoder built once (it is called per model).
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class ModelSource:
    """One model as loaded: where it is, its body and its resolved config.
    A span's file line is ``line_offset + line-in-text``."""

    name: str
    path: Path
    rel_path: str
    kind: Literal["sql", "rocky"]
    text: str
    line_offset: int
    config: ModelConfig
    sidecar_path: Path | None
    content_hash: str


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
            data = os.read(fd, _CHUNK)
            if len(data) < _CHUNK:
                return data
            parts = [data]
            while chunk := os.read(fd, 1 << 20):
                parts.append(chunk)
            return b"".join(parts)
        finally:
            os.close(fd)
    except OSError as exc:
        raise ConfigError(f"{shown}: cannot read ({exc.strerror or exc})") from None


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
            if ctx is None:
                ctx = resolver.context(directory, files)
            model = _load_one(files[name], stem, kind, files, ctx, resolver, root_text, env)
            other = models.get(model.name)
            if other is not None:
                raise ConfigError(
                    f"duplicate model name `{model.name}`: {other.rel_path} and {model.rel_path}; "
                    "rename one file or give it a distinct `name` in its sidecar"
                )
            models[model.name] = model
            if model.config.sources:
                side = model.sidecar_path
                declared.add(model.config.sources, rel(side, root) if side else model.rel_path)
            contract = files.get(f"{stem}.contract.toml")
            if contract is not None:
                contracts[model.name] = Path(contract)
    return models, contracts


def _load_one(
    path: str,
    stem: str,
    kind: Literal["sql", "rocky"],
    files: dict[str, str],
    ctx: DirContext,
    resolver: Resolver,
    root: str,
    env: Mapping[str, str] | None,
) -> ModelSource:
    shown = rel(path, root)
    raw = read_bytes(path, shown)
    text = decode(raw, file=shown)
    if "\x00" in text:
        raise config_error("contains NUL bytes; is it a binary file?", file=shown)
    sidecar_path = files.get(f"{stem}.toml")
    body_offset = 0
    if sidecar_path is not None:
        side_shown = rel(sidecar_path, root)
        side_raw = read_bytes(sidecar_path, side_shown)
        side_text = substitute(decode(side_raw, file=side_shown), env=env, file=side_shown)
        where = Located(side_shown, side_text)
        sidecar: SidecarConfig | None = _sidecar(parse(side_text, file=side_shown), where)
        body = text
        if _FRONTMATTER.match(text):
            raise config_error(
                f"has both a sidecar ({side_shown}) and `---toml` frontmatter",
                file=shown,
                hint="keep one: move the frontmatter keys into the sidecar",
            )
    elif kind == "sql":
        sidecar, where, body, body_offset = _frontmatter(text, shown, stem, env)
    else:
        sidecar, where, body = None, Located(shown), text
    body, body_offset = _trim(body, body_offset)
    if not body:
        raise config_error(
            f"the model file is empty; write the model's {_WHAT[kind]} or delete the file",
            file=shown,
        )
    if sidecar is None:
        config = resolver.defaults_only(stem, ctx)
    else:
        config = resolver.resolve(sidecar, stem, ctx, where)
    return ModelSource(
        name=config.name,
        path=Path(path),
        rel_path=shown,
        kind=kind,
        text=body,
        line_offset=body_offset,
        config=config,
        sidecar_path=Path(sidecar_path) if sidecar_path is not None else None,
        content_hash=content_hash(raw, config),
    )


def _sidecar(data: dict[str, Any], where: Located) -> SidecarConfig:
    if "sources" in data:
        check_source_columns(data, where)
    return validate(SidecarConfig, data, where)


def content_hash(raw: bytes, config: ModelConfig) -> str:
    """blake3 of the model file's bytes, a NUL, and the canonical JSON of the
    resolved config (empty fields left out, so adding a new optional key
    to rocky does not change every hash)."""
    dump = config.model_dump(mode="json", by_alias=True)
    compact = {k: v for k, v in dump.items() if v is not None and v != [] and v != {}}
    digest = blake3(raw)
    digest.update(b"\x00")
    digest.update(_CANONICAL.encode(compact).encode())
    return digest.hexdigest()


def _frontmatter(
    text: str, shown: str, stem: str, env: Mapping[str, str] | None
) -> tuple[SidecarConfig, Located, str, int]:
    """Split ``---toml ... ---`` frontmatter from the SQL body."""
    opening = _FRONTMATTER.match(text)
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


def _trim(body: str, offset: int) -> tuple[str, int]:
    """Drop leading blank lines (counting them into the offset) and
    trailing whitespace."""
    body = body.rstrip()
    stripped = body.lstrip()
    if not stripped:
        return "", offset
    cut = body.rfind("\n", 0, len(body) - len(stripped)) + 1
    return body[cut:], offset + body.count("\n", 0, cut)
