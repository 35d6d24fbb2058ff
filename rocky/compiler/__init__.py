"""The typed compiler: a loaded Project in, a typed ProjectIR out.

>>> from rocky.compiler import compile_project, CompileOptions
>>> result = compile_project(project, CompileOptions(with_seed=True))
>>> result.ir.models["orders"].columns

Every model is parsed once with sqlglot in the project's dialect; column
types, nullability and lineage are inferred in one pass per model, in DAG
order; every problem is a Diagnostic with a stable code (docs/diagnostics.md).

The names below are imported on first use, so that a worker process
(``python -m rocky.compiler.worker``) loads only what compiling a model needs.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rocky.compiler.driver import CompileOptions, CompileResult, compile_project
    from rocky.compiler.emit import emit_sql
    from rocky.compiler.vars import parse_var_pairs

__all__ = ["CompileOptions", "CompileResult", "compile_project", "emit_sql", "parse_var_pairs"]

_HOMES = {
    "CompileOptions": "rocky.compiler.driver",
    "CompileResult": "rocky.compiler.driver",
    "compile_project": "rocky.compiler.driver",
    "emit_sql": "rocky.compiler.emit",
    "parse_var_pairs": "rocky.compiler.vars",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'rocky.compiler' has no attribute '{name}'")
    value = getattr(import_module(home), name)
    globals()[name] = value
    return value
