"""Compiling one model: pure functions from source text and upstream
schemas to a compact result.

``front_end`` substitutes variables, parses (or lowers a DSL file) and lists
the tables read; ``analyze`` infers the typed columns, lineage and per-model
diagnostics. Neither touches other models or any file, so both can run in a
worker process and their results can be cached; no sqlglot tree ever leaves
this module in a result.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sqlglot import exp

from rocky.compiler import checks
from rocky.compiler.infer import Inferrer, TableResolver, top_level_star
from rocky.compiler.lineage import edges_for
from rocky.compiler.parse import ParseFailure, get_dialect, parse_prepared, table_parts
from rocky.compiler.results import (
    COMPILER_VERSION,
    FrontEnd,
    ModelInput,
    ModelResult,
    PackedDiag,
    RawDiag,
)
from rocky.compiler.vars import Prepared, line_col, prepare, restore_placeholders
from rocky.ir import Column, ColumnRef
from rocky.types import RockyType

__all__ = [
    "COMPILER_VERSION",
    "FrontEnd",
    "ModelInput",
    "ModelResult",
    "PackedDiag",
    "analyze",
    "front_end",
]


def _span(
    src: ModelInput, prepared: Prepared, parse_offset: int | None
) -> tuple[int | None, int | None]:
    if parse_offset is None:
        return None, None
    line, col = line_col(src.text, prepared.source_offset(parse_offset))
    return line + src.line_offset, col


def _strip_sql(text: str) -> str:
    body = text.strip()
    while body.endswith(";"):
        body = body[:-1].rstrip()
    return body


def _dsl_query(src: ModelInput, prepared: Prepared, dialect_name: str) -> exp.Query | PackedDiag:
    try:
        from rocky.dsl import DslSyntaxError, compile_dsl
    except ImportError:
        return (
            "E006",
            "this rocky build cannot compile .rocky DSL models",
            None,
            None,
            "rewrite the model as SQL",
        )
    try:
        # Lowering for the project dialect gives the tree that dialect's parser
        # would build (e.g. default NULL ordering of `sort`).
        return compile_dsl(prepared.parse_text, src.path, dialect=dialect_name)
    except DslSyntaxError as err:
        line = err.line
        col = err.col
        if line is not None:
            offset = _offset_of(prepared.parse_text, line, col or 1)
            line, col = line_col(src.text, prepared.source_offset(offset))
            line += src.line_offset
        return ("E006", f"DSL does not parse: {err.message}", line, col, err.hint)


def _offset_of(text: str, line: int, col: int) -> int:
    start = 0
    for _ in range(line - 1):
        nxt = text.find("\n", start)
        if nxt < 0:
            return len(text)
        start = nxt + 1
    return min(start + max(col, 1) - 1, len(text))


def front_end(
    src: ModelInput, dialect_name: str, variables: Mapping[str, str]
) -> tuple[FrontEnd, exp.Query | None, Prepared]:
    """Parse one model."""
    prepared = prepare(src.text, variables)
    diags: list[PackedDiag] = []
    for name, offset in prepared.missing:
        line, col = line_col(src.text, offset)
        diags.append(
            (
                "E028",
                f"@var({name}) has no value and no default",
                line + src.line_offset,
                col,
                f"pass --var {name}=<value> or write @var({name}, <default>)",
            )
        )
    query: exp.Query | None
    if src.kind == "rocky":
        got = _dsl_query(src, prepared, dialect_name)
        if isinstance(got, tuple):
            diags.append(got)
            query = None
        else:
            query = got
        sql = restore_placeholders(query.sql(dialect=dialect_name)) if query is not None else ""
    else:
        sql = _strip_sql(prepared.text)
        parsed = parse_prepared(prepared, get_dialect(dialect_name))
        if isinstance(parsed, ParseFailure):
            line, col = line_col(src.text, prepared.source_offset(parsed.offset))
            diags.append(
                (
                    "E002",
                    parsed.message,
                    line + src.line_offset,
                    col,
                    "fix the SQL at this position",
                )
            )
            query = None
        else:
            query = parsed
    refs: tuple[tuple[str, ...], ...] = ()
    star = False
    if query is not None:
        refs = table_parts(query)
        star = top_level_star(query)
    front = FrontEnd(
        sql, refs, prepared.uses_start, prepared.uses_end, query is not None, star, tuple(diags)
    )
    return front, query, prepared


def analyze(
    src: ModelInput,
    query: exp.Query,
    prepared: Prepared,
    dialect_name: str,
    resolver: TableResolver,
    front: FrontEnd,
    *,
    project_freshness: bool,
    ref: Callable[[str, str], ColumnRef] = ColumnRef,
    column: Callable[[str, RockyType, bool], Column] = Column,
) -> ModelResult:
    """Infer one parsed model's columns, lineage and per-model diagnostics.
    ``ref`` and ``column`` make the lineage's column references and the
    columns (to share them)."""
    raw: list[RawDiag] = []
    inferrer = Inferrer(dialect_name, raw, resolver)
    rel = inferrer.model_rel(query)
    columns = tuple(column(n, t.type, t.nullable) for n, t in rel.columns)
    lineage = edges_for(
        src.name, ((n, t.lineage) for n, t in rel.columns), rel.keys, rel.filters, ref=ref
    )
    strategy = src.strategy
    stype = str(strategy.get("type", "full_refresh"))
    if stype == "time_interval":
        raw.extend(
            checks.time_interval_checks(
                strategy, columns, rel.known, front.uses_start, front.uses_end
            )
        )
    elif stype == "merge":
        raw.extend(checks.merge_checks(strategy, columns, rel.known))
    raw.extend(
        checks.schema_checks(
            stype,
            columns,
            has_freshness=src.has_freshness,
            project_freshness=project_freshness,
            star_known=inferrer.star_known,
            star_unknown=inferrer.star_unknown,
        )
    )
    diags: list[PackedDiag] = []
    seen: set[PackedDiag] = set()
    for d in raw:
        if src.kind == "rocky":
            line, col = None, None
        else:
            line, col = _span(src, prepared, d.offset)
        packed = (d.code, d.message, line, col, d.suggestion)
        if packed not in seen:
            seen.add(packed)
            diags.append(packed)
    return ModelResult(columns, rel.known, lineage, tuple(diags), inferrer.join_ns)
