"""The typed compiler: a loaded Project in, a typed ProjectIR out.

>>> from rocky.compiler import compile_project, CompileOptions
>>> result = compile_project(project, CompileOptions(with_seed=True))
>>> result.ir.models["orders"].columns

Every model is parsed once with sqlglot in the project's dialect; column
types, nullability and lineage are inferred in one pass per model, in DAG
order; every problem is a Diagnostic with a stable code (docs/diagnostics.md).
"""

from __future__ import annotations

from rocky.compiler.driver import CompileOptions, CompileResult, compile_project
from rocky.compiler.emit import emit_sql
from rocky.compiler.vars import parse_var_pairs

__all__ = ["CompileOptions", "CompileResult", "compile_project", "emit_sql", "parse_var_pairs"]
