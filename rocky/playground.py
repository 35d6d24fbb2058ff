"""``rocky playground <dir>``: a sample project that runs with no
credentials. It is written from the templates shipped inside the package
(rocky/templates/playground) and its seeds are loaded into the DuckDB file
right away, so ``rocky run`` in it succeeds at once.

What it shows: CSV seeds with inferred and declared types, a view and
tables over them, a join with aggregates in the second layer, an
incremental model, a third layer, and a contract.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from rocky.errors import RockyError

__all__ = ["TEMPLATE", "PlaygroundResult", "create_playground"]

TEMPLATE = "playground"
# Files a package can't carry under their real name.
_RENAMES = {"_gitignore": ".gitignore"}


@dataclass
class PlaygroundResult:
    root: Path
    files: list[str]
    seeded: list[str] = field(default_factory=list)


def _template_root() -> Traversable:
    return resources.files("rocky").joinpath("templates", TEMPLATE)


def _walk(node: Traversable, prefix: str = "") -> list[tuple[str, Traversable]]:
    out: list[tuple[str, Traversable]] = []
    for child in sorted(node.iterdir(), key=lambda c: c.name):
        if child.name.startswith((".", "__")):
            continue
        rel = f"{prefix}{_RENAMES.get(child.name, child.name)}"
        if child.is_dir():
            out.extend(_walk(child, rel + "/"))
        else:
            out.append((rel, child))
    return out


def create_playground(target: Path, *, seed: bool = True, force: bool = False) -> PlaygroundResult:
    """Write the playground into ``target`` (created; must be empty unless
    ``force``) and load its seeds. A new directory appears whole or not at
    all: the files are written beside it first, then renamed into place."""
    if target.exists() and not target.is_dir():
        raise RockyError(f"{target} exists and is not a directory", hint="pick a new directory")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise RockyError(
            f"{target} is not empty", hint="pick a new directory, or pass --force to overwrite"
        )
    files = _walk(_template_root())
    try:
        if target.exists():
            _write(target, files)
        else:
            _write_whole(target, files)
    except OSError as exc:
        raise RockyError(
            f"cannot write the playground: {exc.strerror or exc}",
            file=exc.filename or target,
            hint="pick a directory you can write",
        ) from None
    result = PlaygroundResult(target, [rel for rel, _ in files])
    if seed:
        try:
            result.seeded = _seed(target)
        except RockyError as err:
            raise RockyError(
                f"the project is written but its seeds did not load: {err}",
                hint=f"fix that, then run `rocky seed` in {target}",
            ) from None
    return result


def _write(root: Path, files: list[tuple[str, Traversable]]) -> None:
    for rel, source in files:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(source.read_bytes())


def _write_whole(target: Path, files: list[tuple[str, Traversable]]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}."))
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(target)) from None
    try:
        _write(staging, files)
        staging.chmod(0o777 & ~_umask())
        os.replace(staging, target)
    except OSError as exc:
        # The staging directory's name means nothing to the user.
        raise OSError(exc.errno, exc.strerror, str(target)) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _seed(root: Path) -> list[str]:
    from rocky.project import load_project
    from rocky.seeding import load_seeds
    from rocky.session import open_adapter

    project = load_project(root / "rocky.toml")
    adapter = open_adapter(project)
    adapter.connect()
    try:
        loaded = load_seeds(adapter, project.seeds, adapter.dialect)
    finally:
        adapter.close()
    return [f"{r.target.key} ({r.rows} rows)" for r in loaded]
