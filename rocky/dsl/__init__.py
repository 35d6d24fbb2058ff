"""The `.rocky` pipeline DSL: parse, lower to a sqlglot query, format.

>>> from rocky.dsl import compile_dsl
>>> compile_dsl('from orders\\nwhere status != "x"').sql()
"SELECT * FROM orders WHERE status IS DISTINCT FROM 'x'"
"""

from __future__ import annotations

from rocky.dsl.ast import Program
from rocky.dsl.errors import DslSyntaxError
from rocky.dsl.fmt import format_source
from rocky.dsl.lower import compile_dsl, lower
from rocky.dsl.parser import MAX_EXPR_DEPTH, parse

__all__ = [
    "MAX_EXPR_DEPTH",
    "DslSyntaxError",
    "Program",
    "compile_dsl",
    "format_source",
    "lower",
    "parse",
]
