"""Blast radius of a change: compile the project at a git base ref and at
HEAD (the working tree), diff every model's columns and list, for each
changed column, the HEAD columns that consume it.

Models are paired by name, then (for a renamed model file) by warehouse
target. A column is ``added``, ``removed``, ``type_changed`` or
``nullability_changed``. A base ref that does not load or compile is
reported in the result (``base_error``), never raised.

The git side extracts the base tree with ``git archive`` into a temporary
directory: the repository, its index and its worktrees are never touched.
"""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rocky.errors import RockyError
from rocky.ir import Column, ColumnRef, ModelIR, ProjectIR
from rocky.lineage import LineageGraph

__all__ = [
    "ColumnChange",
    "LineageDiff",
    "ModelDiff",
    "compile_ir",
    "diff_projects",
    "lineage_diff",
    "render_markdown",
]

_PARSE_CODES = ("E002", "E006")


@dataclass(frozen=True)
class ColumnChange:
    column_name: str
    change_type: str  # added | removed | type_changed | nullability_changed
    old_type: str | None = None
    new_type: str | None = None
    old_nullable: bool | None = None
    new_nullable: bool | None = None
    downstream_consumers: tuple[ColumnRef, ...] = ()
    base_downstream_consumers: tuple[ColumnRef, ...] = ()

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"column_name": self.column_name, "change_type": self.change_type}
        for key in ("old_type", "new_type", "old_nullable", "new_nullable"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        if self.downstream_consumers:
            data["downstream_consumers"] = [c.to_json() for c in self.downstream_consumers]
        if self.base_downstream_consumers:
            data["base_downstream_consumers"] = [
                c.to_json() for c in self.base_downstream_consumers
            ]
        return data


@dataclass(frozen=True)
class ModelDiff:
    model_name: str
    status: str  # modified | added | removed
    column_changes: tuple[ColumnChange, ...] = ()
    renamed_from: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "model_name": self.model_name,
            "status": self.status,
            "column_changes": [c.to_json() for c in self.column_changes],
        }
        if self.renamed_from is not None:
            data["renamed_from"] = self.renamed_from
        return data


@dataclass(frozen=True)
class LineageDiff:
    base_ref: str
    results: tuple[ModelDiff, ...]
    unchanged: int
    head_ref: str = "HEAD"
    base_error: str | None = None
    head_error: str | None = None

    @property
    def summary(self) -> dict[str, int]:
        counts = {s: sum(1 for r in self.results if r.status == s) for s in _STATUSES}
        total = sum(counts.values()) + self.unchanged
        return {"total_models": total, "unchanged": self.unchanged, **counts}

    def to_json(self, version: str) -> dict[str, Any]:
        data: dict[str, Any] = {
            "version": version,
            "command": "lineage-diff",
            "base_ref": self.base_ref,
            "head_ref": self.head_ref,
            "summary": self.summary,
            "results": [r.to_json() for r in self.results],
        }
        if self.base_error is not None:
            data["base_error"] = self.base_error
        if self.head_error is not None:
            data["head_error"] = self.head_error
        data["markdown"] = render_markdown(self)
        return data


_STATUSES = ("modified", "added", "removed")


# --- diffing (pure) -------------------------------------------------------------


def _pairs(base: ProjectIR, head: ProjectIR) -> list[tuple[ModelIR | None, ModelIR | None]]:
    """Base/head model pairs: by name, then case-insensitive name, then (for
    a renamed file) by a warehouse target that identifies one model per side."""
    base_left = dict(base.models)
    head_left = dict(head.models)
    pairs: list[tuple[ModelIR | None, ModelIR | None]] = []

    def take(b: str, h: str) -> None:
        pairs.append((base_left.pop(b), head_left.pop(h)))

    for name in [n for n in head_left if n in base_left]:
        take(name, name)
    lowered = {n.lower(): n for n in base_left}
    for name in [n for n in head_left if n.lower() in lowered]:
        take(lowered[name.lower()], name)

    def by_target(models: Mapping[str, ModelIR]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for m in models.values():
            if m.strategy_type != "ephemeral":
                out.setdefault(m.target.key.lower(), []).append(m.name)
        return out

    base_targets, head_targets = by_target(base_left), by_target(head_left)
    for key, heads in head_targets.items():
        bases = base_targets.get(key, [])
        if len(heads) == 1 and len(bases) == 1:
            take(bases[0], heads[0])
    pairs.extend((m, None) for m in base_left.values())
    pairs.extend((None, m) for m in head_left.values())
    return pairs


def _typed(col: Column) -> str:
    return str(col.type)


def _column_changes(
    base: ModelIR, head: ModelIR, base_graph: LineageGraph, head_graph: LineageGraph
) -> list[ColumnChange]:
    old = {c.name.lower(): c for c in base.columns}
    new = {c.name.lower() for c in head.columns}
    out: list[ColumnChange] = []
    for col in head.columns:
        before = old.get(col.name.lower())
        consumers = tuple(head_graph.consumers(head.name, col.name))
        if before is None:
            out.append(
                ColumnChange(col.name, "added", None, _typed(col), None, col.nullable, consumers)
            )
        elif _typed(before) != _typed(col) or before.nullable != col.nullable:
            kind = "type_changed" if _typed(before) != _typed(col) else "nullability_changed"
            out.append(
                ColumnChange(
                    col.name,
                    kind,
                    _typed(before),
                    _typed(col),
                    before.nullable,
                    col.nullable,
                    consumers,
                )
            )
    for col in base.columns:
        if col.name.lower() not in new:
            was_read_by = tuple(base_graph.consumers(base.name, col.name))
            out.append(
                ColumnChange(
                    col.name,
                    "removed",
                    _typed(col),
                    None,
                    col.nullable,
                    None,
                    (),
                    was_read_by,
                )
            )
    return out


def _same_definition(base: ModelIR, head: ModelIR) -> bool:
    return (base.content_hash, base.sql, base.target, base.strategy) == (
        head.content_hash,
        head.sql,
        head.target,
        head.strategy,
    )


def _unparsed(ir: ProjectIR) -> dict[str, str]:
    """Models whose SQL/DSL did not parse: their columns say nothing."""
    out: dict[str, str] = {}
    for d in ir.diagnostics:
        if d.code in _PARSE_CODES and d.model and d.model not in out:
            where = f"{d.span.file}:{d.span.line}:{d.span.col}: " if d.span else ""
            out[d.model] = f"{where}{d.code} {d.message}"
    return out


def diff_projects(
    base: ProjectIR | None,
    head: ProjectIR,
    base_ref: str,
    *,
    base_error: str | None = None,
) -> LineageDiff:
    """Diff two compiled projects. ``base`` None means the base ref could not
    be compiled (``base_error`` says why): the result is then empty."""
    head_broken = _unparsed(head)
    head_error = (
        "HEAD does not compile: " + "; ".join(head_broken[m] for m in sorted(head_broken))
        if head_broken
        else None
    )
    if base is None:
        return LineageDiff(base_ref, (), 0, base_error=base_error, head_error=head_error)
    base_broken = _unparsed(base)
    if base_broken and base_error is None:
        base_error = f"{base_ref} does not compile: " + "; ".join(
            base_broken[m] for m in sorted(base_broken)
        )
    base_graph, head_graph = LineageGraph(base), LineageGraph(head)
    results: list[ModelDiff] = []
    unchanged = 0
    for old, new in _pairs(base, head):
        if new is None and old is not None:
            changes = (
                []
                if old.name in base_broken
                else _column_changes(old, _empty(old), base_graph, head_graph)
            )
            results.append(ModelDiff(old.name, "removed", tuple(changes)))
        elif old is None and new is not None:
            changes = (
                []
                if new.name in head_broken
                else _column_changes(_empty(new), new, base_graph, head_graph)
            )
            results.append(ModelDiff(new.name, "added", tuple(changes)))
        elif old is not None and new is not None:
            comparable = old.name not in base_broken and new.name not in head_broken
            changes = _column_changes(old, new, base_graph, head_graph) if comparable else []
            same = old.name == new.name and _same_definition(old, new)
            if not changes and comparable and same:
                unchanged += 1
                continue
            renamed = old.name if old.name != new.name else None
            results.append(ModelDiff(new.name, "modified", tuple(changes), renamed))
    results.sort(key=lambda r: (r.model_name, r.status))
    return LineageDiff(
        base_ref,
        tuple(results),
        unchanged,
        base_error=base_error,
        head_error=head_error,
    )


def _empty(model: ModelIR) -> ModelIR:
    from dataclasses import replace

    return replace(model, columns=(), lineage=())


# --- markdown ---------------------------------------------------------------


def _cell(value: str) -> str:
    return value.replace("|", "\\|").replace("`", "'")


def _html(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _type_cell(change: ColumnChange, type_name: str | None, nullable: bool | None) -> str:
    if type_name is None:
        return "-"
    if change.change_type == "nullability_changed":
        return f"{_cell(type_name)} ({'nullable' if nullable else 'not null'})"
    return _cell(type_name)


def render_markdown(diff: LineageDiff) -> str:
    """The pull-request comment: a summary line and one collapsible table
    per model with column changes."""
    out = ["### Rocky Lineage Diff\n\n"]
    for error in (diff.base_error, diff.head_error):
        if error:
            out.append(f"> **Note:** {_html(error)}\n\n")
    summary = diff.summary
    changed = summary["modified"] + summary["added"] + summary["removed"]
    if diff.base_error is not None and not diff.results and not diff.unchanged:
        out.append("No column diff is available: the base ref must compile to be compared.\n")
        return "".join(out)
    if changed == 0:
        out.append("No data changes detected.\n")
        return "".join(out)
    out.append(
        f"**{changed} row(s) changed** ({summary['modified']} modified, {summary['added']} added, "
        f"{summary['removed']} removed, {summary['unchanged']} unchanged)\n\n"
    )
    for result in diff.results:
        n = len(result.column_changes)
        if n == 0:
            continue
        out.append(
            f"<details>\n<summary><b>{_html(result.model_name)}</b> — {result.status} "
            f"({n} column change{'' if n == 1 else 's'})</summary>\n\n"
        )
        out.append("| Column | Change | Old Type | New Type | Downstream consumers |\n")
        out.append("|--------|--------|----------|----------|----------------------|\n")
        for c in result.column_changes:
            if c.downstream_consumers:
                consumers = ", ".join(
                    f"`{_cell(r.model)}.{_cell(r.column)}`" for r in c.downstream_consumers
                )
            elif c.change_type == "removed":
                consumers = "_(removed; not traceable on HEAD)_"
            else:
                consumers = "_none_"
            old = _type_cell(c, c.old_type, c.old_nullable)
            new = _type_cell(c, c.new_type, c.new_nullable)
            kind = c.change_type.replace("_", " ")
            out.append(f"| `{_cell(c.column_name)}` | {kind} | {old} | {new} | {consumers} |\n")
        out.append("\n</details>\n\n")
    return "".join(out)


# --- compiling at a git ref ---------------------------------------------------


def compile_ir(
    config_path: Path,
    *,
    models_dir: Path | None = None,
    variables: Mapping[str, str] | None = None,
    with_seed: bool = False,
) -> ProjectIR:
    """Load and compile a project; RockyError when it cannot be loaded."""
    from rocky.compiler import CompileOptions, compile_project
    from rocky.project import load_project

    project = load_project(config_path, models_dir=models_dir)
    options = CompileOptions(vars=dict(variables or {}), with_seed=with_seed)
    return compile_project(project, options).ir


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = dict(os.environ, GIT_TERMINAL_PROMPT="0")
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, env=env, check=False)
    except FileNotFoundError:
        raise RockyError("lineage-diff needs git, and no `git` executable was found") from None


def _first_line(raw: bytes) -> str:
    lines = raw.decode("utf-8", "replace").strip().splitlines()
    return lines[0] if lines else "unknown git error"


def _repo_root(project_root: Path) -> Path:
    done = _git(project_root, "rev-parse", "--show-toplevel")
    if done.returncode != 0:
        raise RockyError(
            f"{project_root} is not inside a git repository",
            hint="lineage-diff compares the working tree with a git ref",
        )
    return Path(done.stdout.decode().strip()).resolve()


def _resolve_ref(top: Path, ref: str) -> str:
    if not ref or ref.startswith("-"):
        raise RockyError(f"invalid base ref '{ref}'", hint="name a branch, tag or commit")
    done = _git(top, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if done.returncode != 0:
        raise RockyError(
            f"base ref '{ref}' is not a commit in {top}",
            hint=f"fetch it first (git fetch origin {ref}) or pass another ref",
        )
    return done.stdout.decode().strip()


def _compile_at(
    top: Path,
    sha: str,
    ref: str,
    config_path: Path,
    models_dir: Path | None,
    variables: Mapping[str, str] | None,
    with_seed: bool,
) -> tuple[ProjectIR | None, str | None]:
    """The project compiled as it stood at ``sha``, or (None, why not)."""
    root = config_path.parent
    rel_root = root.relative_to(top)
    pathspec = [] if rel_root == Path(".") else ["--", rel_root.as_posix()]
    archived = _git(top, "archive", "--format=tar", sha, *pathspec)
    if archived.returncode != 0:
        if rel_root != Path(".") and b"did not match" in archived.stderr:
            return None, f"`{rel_root.as_posix()}` does not exist at {ref}"
        return None, f"git archive {ref} failed: {_first_line(archived.stderr)}"
    with tempfile.TemporaryDirectory(prefix="rocky-lineage-diff-") as tmp:
        with tarfile.open(fileobj=io.BytesIO(archived.stdout)) as tar:
            tar.extractall(tmp, filter="data")
        base_root = Path(tmp) / rel_root
        base_config = base_root / config_path.name
        shown = (rel_root / config_path.name).as_posix()
        if not base_config.is_file():
            return None, f"`{shown}` does not exist at {ref}"
        base_models = None
        if models_dir is not None and models_dir.is_relative_to(root):
            base_models = base_root / models_dir.relative_to(root)
        try:
            ir = compile_ir(
                base_config, models_dir=base_models, variables=variables, with_seed=with_seed
            )
        except RockyError as err:
            return None, f"{ref} does not compile: " + str(err).replace(f"{tmp}/", f"{ref}:")
        except Exception as exc:  # old code may trip anything; report, do not crash
            return None, f"{ref} does not compile: {type(exc).__name__}: {exc}"
    return ir, None


def lineage_diff(
    config_path: Path | str,
    base_ref: str = "main",
    *,
    models_dir: Path | None = None,
    variables: Mapping[str, str] | None = None,
    with_seed: bool = False,
) -> LineageDiff:
    """Compile the working tree and ``base_ref`` and diff them.

    A working tree that does not load, a directory outside git or an unknown
    ref is a RockyError; a base ref that does not load or compile is reported
    in ``LineageDiff.base_error``."""
    config = Path(config_path)
    config = (config / "rocky.toml" if config.is_dir() else config).absolute()
    if not config.is_file():
        raise RockyError(f"{config_path} does not exist", hint="pass -c path/to/rocky.toml")
    config = config.resolve()
    models = models_dir.resolve() if models_dir is not None else None
    head = compile_ir(config, models_dir=models, variables=variables, with_seed=with_seed)
    top = _repo_root(config.parent)
    sha = _resolve_ref(top, base_ref)
    base, error = _compile_at(top, sha, base_ref, config, models, variables, with_seed)
    return diff_projects(base, head, base_ref, base_error=error)
