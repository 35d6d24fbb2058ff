"""Shared helpers for the compiler tests: seed data, writing a real project
directory, reading diagnostics and columns. (Imported by module name, so the
compiler tests run alongside other test directories' conftest modules.)"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path

from rocky.compiler import CompileResult
from rocky.diagnostics import Diagnostic
from rocky.ir import ModelIR
from rocky.project import Project, load_project

# The type of the ``compile_files`` fixture (conftest.py).
Compile = Callable[..., CompileResult]

SEED_T = """\
CREATE SCHEMA raw;
CREATE TABLE raw.t (
    i INTEGER NOT NULL,
    b BIGINT,
    d DECIMAL(10,2),
    f DOUBLE,
    s VARCHAR NOT NULL,
    sn VARCHAR,
    dt DATE NOT NULL,
    ts TIMESTAMP,
    bo BOOLEAN
);
CREATE TABLE raw.u (i INTEGER NOT NULL, name VARCHAR, amount DECIMAL(12,4) NOT NULL);
"""


ROCKY_TOML = """\
[adapter]
type = "duckdb"

[pipeline.main]
type = "transformation"
models = "models/**"
"""
DEFAULTS = '[target]\ncatalog = "wh"\nschema = "main"\n'


def write_project(
    root: Path, files: Mapping[str, str], *, toml: str = ROCKY_TOML, defaults: bool = True
) -> Path:
    """Write ``files`` (relative path -> text) under ``root``. A ``models/x.sql``
    without its own sidecar gets an empty one so ``_defaults.toml`` applies."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "rocky.toml").write_text(toml)
    if defaults:
        (root / "models").mkdir(exist_ok=True)
        (root / "models" / "_defaults.toml").write_text(DEFAULTS)
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    for rel in files:
        if rel.startswith("models/") and rel.endswith((".sql", ".rocky")):
            sidecar = root / (rel.rsplit(".", 1)[0] + ".toml")
            if not sidecar.exists() and not (root / rel).read_text().startswith("---toml"):
                sidecar.write_text("")
    return root


def load(root: Path) -> Project:
    return load_project(root / "rocky.toml")


def cols(model: ModelIR) -> list[tuple[str, str, bool]]:
    return [(c.name, str(c.type), c.nullable) for c in model.columns]


def codes(result: CompileResult, model: str | None = None) -> list[str]:
    return [d.code for d in result.ir.diagnostics if model is None or d.model == model]


def only(result: CompileResult, code: str) -> list[Diagnostic]:
    return [d for d in result.ir.diagnostics if d.code == code]
