"""Parsing model text with sqlglot, and the table references it makes.

Every model is parsed exactly once per compile (and not at all when the
incremental cache already holds its result), by one tokenizer and parser
per dialect and thread. Failures come back as values, never exceptions, so
the caller turns them into E002 diagnostics.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, SqlglotError
from sqlglot.parser import Parser
from sqlglot.tokens import Tokenizer

from rocky.compiler.dialects import dialect_for, normalize_dialect
from rocky.compiler.vars import Prepared, unterminated_offset

__all__ = [
    "ParseFailure",
    "TableReference",
    "dialect_for",
    "get_dialect",
    "normalize_dialect",
    "parse_prepared",
    "table_parts",
    "table_references",
]


@lru_cache(maxsize=16)
def get_dialect(name: str) -> Dialect:
    from rocky.errors import RockyError

    try:
        return Dialect.get_or_raise(normalize_dialect(name))
    except ValueError:
        raise RockyError(
            f"unknown SQL dialect '{name}'",
            hint="use duckdb, snowflake, bigquery or databricks",
        ) from None


@dataclass(frozen=True, slots=True)
class ParseFailure:
    """Why a model did not parse; ``offset`` is in the parse text."""

    message: str
    offset: int


@dataclass(frozen=True, slots=True)
class TableReference:
    """A table named in FROM/JOIN that is not a CTE: its parts as written
    (``("raw", "orders")``) and the offset of its first identifier."""

    parts: tuple[str, ...]
    offset: int

    @property
    def dotted(self) -> str:
        return ".".join(self.parts)


def _line_offsets(text: str) -> list[int]:
    starts = [0]
    find = text.find
    i = find("\n")
    while i >= 0:
        starts.append(i + 1)
        i = find("\n", i + 1)
    return starts


def _error_offset(text: str, err: dict[str, Any]) -> int:
    line = err.get("line")
    col = err.get("col")
    if not isinstance(line, int) or not isinstance(col, int) or line < 1:
        return 0
    starts = _line_offsets(text)
    if line > len(starts):
        return len(text)
    # sqlglot reports the column where the offending token ends.
    highlight = err.get("highlight") or ""
    start_col = max(1, col - len(highlight) + 1) if highlight else max(1, col)
    return min(starts[line - 1] + start_col - 1, len(text))


_TOOLS = threading.local()


def _tools(dialect: Dialect) -> tuple[Tokenizer, Parser]:
    """This thread's tokenizer and parser for ``dialect``, built once: both
    reset themselves on every call, and building them costs about as much
    as tokenizing a small model."""
    cache: dict[int, tuple[Dialect, Tokenizer, Parser]] | None = getattr(_TOOLS, "cache", None)
    if cache is None:
        cache = _TOOLS.cache = {}
    found = cache.get(id(dialect))
    if found is None or found[0] is not dialect:
        found = cache[id(dialect)] = (dialect, dialect.tokenizer(), dialect.parser())
    return found[1], found[2]


def parse_prepared(prepared: Prepared, dialect: Dialect) -> exp.Query | ParseFailure:
    """Parse one model body: exactly one query, or a ParseFailure."""
    text = prepared.parse_text
    tokenizer, parser = _tools(dialect)
    try:
        statements = parser.parse(tokenizer.tokenize(text), text)
    except ParseError as err:
        first = err.errors[0] if err.errors else {}
        description = str(first.get("description") or err).splitlines()[0]
        return ParseFailure(f"SQL does not parse: {description}", _error_offset(text, first))
    except SqlglotError as err:
        where = unterminated_offset(text)
        message = str(err).splitlines()[0] if str(err) else type(err).__name__
        if where is not None:
            return ParseFailure("SQL does not parse: unterminated quote or comment", where)
        return ParseFailure(f"SQL does not parse: {message}", 0)
    except RecursionError:
        return ParseFailure("SQL does not parse: expression nested too deeply", 0)
    except Exception as err:  # sqlglot may raise other errors on odd input
        return ParseFailure(f"SQL does not parse: {type(err).__name__}: {err}", 0)
    finally:
        # let go of this model's tokens now: held until the next parse, they
        # would be scanned by every collection in between
        parser.reset()
        tokenizer.tokenize("")
    queries = [s for s in statements if s is not None]
    if not queries:
        return ParseFailure("model has no SQL statement (expected one SELECT)", 0)
    if len(queries) > 1:
        second = _first_offset(queries[1])
        return ParseFailure(
            f"model has {len(queries)} statements; a model is exactly one SELECT", second
        )
    query = queries[0]
    if not isinstance(query, exp.Query):
        kind = query.key.upper()
        return ParseFailure(f"model must be a SELECT query, found {kind}", _first_offset(query))
    return query


def _first_offset(node: exp.Expr) -> int:
    for ident in node.find_all(exp.Identifier):
        start = ident.meta.get("start") if ident._meta else None
        if isinstance(start, int):
            return start
    return 0


def _ident_start(ident: exp.Expr) -> int | None:
    meta = ident._meta
    if meta:
        start = meta.get("start")
        if isinstance(start, int):
            return start
    return None


def node_offset(node: exp.Expr) -> int | None:
    """Offset where ``node`` starts in the parse text, from the identifiers
    the parser recorded (``t.col`` starts at ``t``); None if unknown."""
    if isinstance(node, exp.Identifier):
        return _ident_start(node)
    starts = [
        start
        for part in (
            node.args.get("catalog"),
            node.args.get("db"),
            node.args.get("table"),
            node.this,
        )
        if isinstance(part, exp.Identifier) and (start := _ident_start(part)) is not None
    ]
    if starts:
        return min(starts)
    if isinstance(node.this, exp.Expression) and not isinstance(node.this, exp.Identifier):
        return node_offset(node.this)
    return None


def _cte_visible(table: exp.Table, name: str) -> bool:
    lowered = name.lower()
    node: exp.Expr | None = table.parent
    while node is not None:
        with_ = node.args.get("with_") if isinstance(node, exp.Query) else None
        if with_ is not None:
            for cte in with_.expressions:
                if cte.alias.lower() == lowered:
                    return True
        node = node.parent
    return False


# Nodes with no table below them (literals, names, column references and
# types hold none): well over half of a tree, never walked into.
_LEAVES: frozenset[type] = frozenset(
    {
        exp.Identifier,
        exp.Literal,
        exp.Boolean,
        exp.Null,
        exp.Var,
        exp.Column,
        exp.DataType,
        exp.TableAlias,
    }
)


def _tables(query: exp.Expr) -> list[exp.Table]:
    """Every Table node, breadth first (the order of ``find_all``): a plain
    loop over ``args`` that skips leaves, several times cheaper per node
    than sqlglot's generators."""
    found: list[exp.Table] = []
    queue: list[exp.Expr] = [query]
    append, leaves, expr_type, table_type = queue.append, _LEAVES, exp.Expr, exp.Table
    for node in queue:  # the queue grows while it is read
        if type(node) in leaves:
            continue
        if isinstance(node, table_type):
            found.append(node)
        for value in node.args.values():
            if type(value) is list:  # as sqlglot stores them (its own hashing checks so)
                for item in value:
                    if isinstance(item, expr_type):
                        append(item)
            elif isinstance(value, expr_type):
                append(value)
    return found


def _references(query: exp.Query) -> list[tuple[int, tuple[str, ...]]]:
    """(offset, parts) of every table the query reads, in source order."""
    refs: list[tuple[int, tuple[str, ...]]] = []
    for table in _tables(query):
        ident = table.this
        if not isinstance(ident, exp.Identifier):
            continue  # table functions: read_parquet(...), unnest(...)
        name = ident.this
        catalog = table.args.get("catalog")
        db = table.args.get("db")
        if db is None and catalog is None and _cte_visible(table, name):
            continue
        pieces = [p for p in (catalog, db, ident) if isinstance(p, exp.Identifier)]
        parts = tuple(p.this for p in pieces)
        offset = _ident_start(pieces[0]) if pieces else None
        refs.append((offset if offset is not None else 0, parts))
    refs.sort(key=_offset_of)  # stable: ties keep the walk's order
    return refs


def _offset_of(ref: tuple[int, tuple[str, ...]]) -> int:
    return ref[0]


def table_references(query: exp.Query) -> list[TableReference]:
    """Tables the query reads, in source order, CTE names excluded."""
    return [TableReference(parts, offset) for offset, parts in _references(query)]


def table_parts(query: exp.Query) -> tuple[tuple[str, ...], ...]:
    """The distinct tables the query reads (parts as written), in source
    order, CTE names excluded."""
    return tuple(dict.fromkeys(parts for _, parts in _references(query)))
