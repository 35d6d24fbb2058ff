"""Type, nullability and lineage of one SQL expression, in a scope.

A single recursive pass over the sqlglot tree (no optimizer, no qualify):
each node's type comes from its children's. Column references resolve
through the scope's table aliases, CTEs and enclosing scopes; a column that
cannot be found is E005 when every relation in reach has a complete schema,
and Unknown otherwise.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from difflib import get_close_matches
from typing import Any, Final

from sqlglot import exp

from rocky.compiler import lineage as lin
from rocky.compiler.functions import WINDOW_ONLY, FnCtx, fold_supertype, function_type
from rocky.compiler.parse import node_offset
from rocky.compiler.results import RawDiag
from rocky.compiler.scope import Entry, Rel, Scope, Typed
from rocky.compiler.sqltypes import datatype_to_rocky, decimal_arith, literal_type
from rocky.compiler.vars import END_SENTINEL, START_SENTINEL
from rocky.types import (
    BOOLEAN,
    DATE,
    FLOAT64,
    INT64,
    STRING,
    TIMESTAMP,
    UNKNOWN,
    RockyType,
    decimal,
    supertype,
)

__all__ = ["ExprInferrer", "RawDiag"]


_PLACEHOLDER: Final = Typed(TIMESTAMP, False)
_OPAQUE: Final = Typed(UNKNOWN, False)
_BOOL_NN: Final = Typed(BOOLEAN, False)
_NULL: Final = Typed(UNKNOWN, True, lin.EMPTY, True)

_COMPARISONS: Final = (
    exp.EQ,
    exp.NEQ,
    exp.GT,
    exp.GTE,
    exp.LT,
    exp.LTE,
    exp.Like,
    exp.ILike,
    exp.Glob,
    exp.SimilarTo,
    exp.In,
    exp.Between,
    exp.And,
    exp.Or,
    exp.Xor,
    exp.Not,
)
_NEVER_NULL_BOOL: Final = (exp.Is, exp.NullSafeEQ, exp.NullSafeNEQ, exp.Exists)
_ARITH: Final[dict[type, str]] = {
    exp.Add: "add",
    exp.Sub: "sub",
    exp.Mul: "mul",
    exp.Div: "div",
    exp.Mod: "mod",
    exp.IntDiv: "intdiv",
}
# isinstance with a tuple: checking a union type costs more
_NULLS_MODIFIERS: Final = (exp.IgnoreNulls, exp.RespectNulls)
_CALL_WRAPPERS: Final = (exp.IgnoreNulls, exp.RespectNulls, exp.Filter)
_WINDOWED: Final = (exp.Func, exp.Filter, exp.IgnoreNulls, exp.RespectNulls)
_DIV_TO_FLOAT: Final = frozenset({"duckdb", "bigquery", "databricks", "spark"})


_EXPRESSION: Final = exp.Expression


def _children(node: exp.Expr) -> list[exp.Expression]:
    out: list[exp.Expression] = []
    for value in node.args.values():
        if isinstance(value, _EXPRESSION):
            out.append(value)
        elif isinstance(value, list):
            out.extend([v for v in value if isinstance(v, _EXPRESSION)])
    return out


def _nonzero_literal(node: exp.Expression | None) -> bool:
    if isinstance(node, exp.Literal) and not node.is_string:
        try:
            return float(node.this) != 0.0
        except ValueError:
            return False
    return False


class ExprInferrer:
    """Expression inference; the query half lives in :mod:`rocky.compiler.infer`."""

    def __init__(self, dialect: str, diags: list[RawDiag]) -> None:
        self.dialect = dialect
        self.diags = diags
        fcs = _BASE_FCS.get(dialect)
        if fcs is None:
            base = _fn_ctx(dialect, False, False, True)
            fcs = _BASE_FCS[dialect] = (base, _fn_ctx(dialect, True, False, True))
        self.base_fc = fcs[0]
        self._agg_fc = fcs

    # -- to be provided by the query half -----------------------------------
    def query_rel(self, query: exp.Expr, outer: Scope | None) -> Rel:
        raise NotImplementedError

    # -- diagnostics ----------------------------------------------------------
    def report(
        self, code: str, message: str, node: exp.Expression | None, suggestion: str | None = None
    ) -> None:
        offset = node_offset(node) if node is not None else None
        self.diags.append(RawDiag(code, message, offset, suggestion))

    # -- entry point ----------------------------------------------------------
    def expr(self, node: exp.Expression, scope: Scope, fc: FnCtx) -> Typed:
        kind = type(node)
        while kind is _PAREN or kind is _ALIAS:  # transparent: type what they wrap
            node = node.this
            kind = type(node)
        handler = _DISPATCH.get(kind)
        if handler is None:
            handler = _handler_for(kind)
        return handler(self, node, scope, fc)

    def _bool(self, node: exp.Expression, scope: Scope, fc: FnCtx) -> Typed:
        kids = [self.expr(c, scope, fc) for c in _children(node)]
        nullable = False
        for k in kids:
            if k.nullable:
                nullable = True
                break
        return Typed(BOOLEAN, nullable, self._lineage(kids))

    def _never_null_bool(self, node: exp.Expression, scope: Scope, fc: FnCtx) -> Typed:
        kids = [self.expr(c, scope, fc) for c in _children(node)]
        return Typed(BOOLEAN, False, self._lineage(kids))

    def _exists(self, node: exp.Exists, scope: Scope, fc: FnCtx) -> Typed:
        self.query_rel(node.this, scope)
        return _BOOL_NN

    def _func(self, node: exp.Func, scope: Scope, fc: FnCtx) -> Typed:
        return self._call(node, scope, fc, None)

    def _other(self, node: exp.Expression, scope: Scope, fc: FnCtx) -> Typed:
        kids = [self.expr(c, scope, fc) for c in _children(node)]
        return Typed(UNKNOWN, True, self._lineage(kids))

    @staticmethod
    def _lineage(kids: list[Typed], kind: str = "expression") -> lin.Lineage:
        first: lin.Lineage | None = None
        for k in kids:
            if k.lineage:
                if first is not None:  # several sources: the general merge
                    return lin.apply(lin.merge([k.lineage for k in kids]), kind)
                first = k.lineage
        return lin.EMPTY if first is None else lin.apply(first, kind)

    # -- columns ----------------------------------------------------------------
    def _column(self, node: exp.Column, scope: Scope, fc: FnCtx) -> Typed:
        name = node.name
        if name in (START_SENTINEL, END_SENTINEL):
            return _PLACEHOLDER
        if isinstance(node.this, exp.Star):
            return _OPAQUE
        qual = node.table
        if qual:
            # the usual case inline: a column of a table of this SELECT
            entry = scope.entries.get(qual.lower())
            if entry is not None:
                rel = entry.rel
                i = rel.index.get(name.lower())
                if i is not None:
                    t = rel.columns[i][1]
                    if not (t.nullable or entry.nullable):
                        return t
                    return self._adjust(t, entry, name, scope)
            return self._qualified(node, qual, name, scope)
        found = self.lookup(name, scope)
        if found is not None:
            return found
        if scope.all_known():
            near = self._near(name, scope)
            self.report(
                "E005",
                f"unknown column '{name}'",
                node,
                f"did you mean '{near}'?" if near else None,
            )
        return Typed(UNKNOWN, True)

    def _qualified(self, node: exp.Column, qual: str, name: str, scope: Scope) -> Typed:
        key = qual.lower()
        s: Scope | None = scope
        while s is not None:
            entry = s.entries.get(key)
            if entry is not None:
                t = entry.rel.get(name)
                if t is None:
                    if entry.rel.known:
                        near = get_close_matches(name, [c for c, _ in entry.rel.columns], 1)
                        self.report(
                            "E005",
                            f"unknown column '{qual}.{name}': '{entry.alias}' has no "
                            f"column '{name}'",
                            node,
                            f"did you mean '{near[0]}'?" if near else None,
                        )
                        return Typed(UNKNOWN, True)
                    t = entry.rel.fallback(name)
                return self._adjust(t, entry, name, s)
            s = s.parent
        base = self.lookup(qual, scope)  # struct field access: col.field
        if base is not None:
            return Typed(UNKNOWN, True, lin.apply(base.lineage, "expression"))
        if scope.all_known():
            self.report("E005", f"unknown column '{qual}.{name}': no table or alias '{qual}'", node)
        return Typed(UNKNOWN, True)

    @staticmethod
    def _adjust(t: Typed, entry: Entry, name: str, scope: Scope) -> Typed:
        nullable = t.nullable or entry.nullable
        if nullable and scope.nonnull and (entry.alias.lower(), name.lower()) in scope.nonnull:
            nullable = False
        if nullable == t.nullable:
            return t
        return Typed(t.type, nullable, t.lineage)

    def lookup(self, name: str, scope: Scope) -> Typed | None:
        """Resolve an unqualified column, innermost scope first; None when it
        is nowhere and every relation is known."""
        key = name.lower()
        s: Scope | None = scope
        while s is not None:
            # the usual case is one match: no lists unless there are more
            match: Entry | None = None
            at = 0
            matches: list[Entry] | None = None
            incomplete: Entry | None = None
            n_incomplete = 0
            for entry in s.entries.values():
                rel = entry.rel
                i = rel.index.get(key)
                if i is not None:
                    if match is None:
                        match, at = entry, i
                    elif matches is None:
                        matches = [match, entry]
                    else:
                        matches.append(entry)
                elif not rel.known:
                    if incomplete is None:
                        incomplete = entry
                    n_incomplete += 1
            if matches is not None:
                return self._pick(matches, name, s)
            if match is not None:
                t = match.rel.columns[at][1]
                if not (t.nullable or match.nullable):
                    return t
                return self._adjust(t, match, name, s)
            if s is scope:
                alias = s.aliases.get(key)
                if alias is not None:
                    return alias
            if incomplete is not None:
                if n_incomplete == 1:
                    return self._adjust(incomplete.rel.fallback(name), incomplete, name, s)
                return Typed(UNKNOWN, True)
            s = s.parent
        return None

    def _pick(self, matches: list[Entry], name: str, scope: Scope) -> Typed:
        typed = [self._adjust(m.rel.get(name) or _OPAQUE, m, name, scope) for m in matches]
        if len(typed) == 1:
            return typed[0]
        key = name.lower()
        if any(key in m.using for m in matches):
            full = all(m.nullable for m in matches)
            nullable = all(t.nullable for t in typed) if full else typed[0].nullable
            return Typed(fold_supertype(typed), nullable, typed[0].lineage)
        same = all(t.type == typed[0].type for t in typed)
        return Typed(
            typed[0].type if same else UNKNOWN,
            any(t.nullable for t in typed),
            lin.merge(t.lineage for t in typed),
        )

    @staticmethod
    def _near(name: str, scope: Scope) -> str | None:
        names = [c for e in scope.entries.values() for c, _ in e.rel.columns]
        near = get_close_matches(name, names, 1)
        return near[0] if near else None

    # -- operators ------------------------------------------------------------------
    def _same(self, node: exp.Expression, scope: Scope, fc: FnCtx) -> Typed:
        inner = self.expr(node.this, scope, fc)
        return Typed(inner.type, inner.nullable, lin.apply(inner.lineage, "expression"))

    def _dpipe(self, node: exp.Expression, scope: Scope, fc: FnCtx) -> Typed:
        kids = [self.expr(c, scope, fc) for c in _children(node)]
        return Typed(STRING, any(k.nullable for k in kids), self._lineage(kids))

    def _arith(self, op: str, node: exp.Expression, scope: Scope, fc: FnCtx) -> Typed:
        left = self.expr(node.this, scope, fc)
        right = self.expr(node.expression, scope, fc)
        nullable = left.nullable or right.nullable
        if op in ("div", "mod", "intdiv") and self.dialect == "duckdb":
            # DuckDB yields NULL for a zero divisor
            nullable = nullable or not _nonzero_literal(node.expression)
        lineage = self._lineage([left, right])
        return Typed(self._arith_type(op, node, left, right), nullable, lineage)

    def _arith_type(self, op: str, node: exp.Expression, left: Typed, right: Typed) -> RockyType:
        if left.null_lit:
            return right.type
        if right.null_lit:
            return left.type
        a, b = left.type, right.type
        if isinstance(node.expression, exp.Interval) or isinstance(node.this, exp.Interval):
            t = a if a.is_temporal else b
            if not t.is_temporal:
                return UNKNOWN
            if t.kind == "Date":
                return TIMESTAMP if self.dialect == "duckdb" else UNKNOWN
            return t
        if a.is_temporal or b.is_temporal:
            if op == "sub" and a.kind == "Date" and b.kind == "Date":
                return INT64
            if a.kind == "Date" and b.is_integer and op in ("add", "sub"):
                return DATE
            return UNKNOWN
        if a.is_unknown or b.is_unknown or not (a.is_numeric and b.is_numeric):
            return UNKNOWN
        floaty = a.is_float or b.is_float
        if op == "div":
            if floaty:
                return FLOAT64
            if self.dialect in _DIV_TO_FLOAT:
                if self.dialect == "bigquery" and "Decimal" in (a.kind, b.kind):
                    return decimal()
                if self.dialect in ("databricks", "spark") and "Decimal" in (a.kind, b.kind):
                    return decimal()
                return FLOAT64
            if a.is_integer and b.is_integer and self.dialect != "snowflake":
                return supertype(a, b)
            return decimal()
        if floaty:
            return supertype(a, b)
        if a.kind == "Decimal" or b.kind == "Decimal":
            if op in ("add", "sub", "mul"):
                return decimal_arith(op, a, b)
            return decimal()
        return supertype(a, b)

    # -- casts, CASE, calls ------------------------------------------------------------
    def _cast(self, node: exp.Cast, scope: Scope, fc: FnCtx) -> Typed:
        inner = self.expr(node.this, scope, fc)
        to = node.args.get("to")
        t = datatype_to_rocky(to, self.dialect) if isinstance(to, exp.DataType) else UNKNOWN
        if isinstance(node, exp.TryCast):
            return Typed(t, True, lin.apply(inner.lineage, "try_cast"))
        return Typed(t, inner.nullable, lin.apply(inner.lineage, "cast"))

    def _case(self, node: exp.Case, scope: Scope, fc: FnCtx) -> Typed:
        parts: list[Typed] = []
        arms: list[Typed] = []
        subject = node.this
        if isinstance(subject, exp.Expression):
            parts.append(self.expr(subject, scope, fc))
        for when in node.args.get("ifs") or []:
            parts.append(self.expr(when.this, scope, fc))
            arm = self.expr(when.args["true"], scope, fc)
            arms.append(arm)
        default = node.args.get("default")
        if isinstance(default, exp.Expression):
            arms.append(self.expr(default, scope, fc))
        nullable = default is None or any(a.nullable for a in arms)
        return Typed(fold_supertype(arms), nullable, self._lineage(parts + arms))

    def _filter(self, node: exp.Filter, scope: Scope, fc: FnCtx) -> Typed:
        inner = self.expr(node.this, scope, _fn_ctx(self.dialect, False, fc.window, fc.covers_row))
        cond = node.expression
        if isinstance(cond, exp.Expression):
            typed = self.expr(cond, scope, fc)
            if typed.lineage:
                scope.filters.append(typed.lineage)
        return inner

    def _scalar_subquery(self, node: exp.Subquery, scope: Scope, fc: FnCtx) -> Typed:
        rel = self.query_rel(node.this, scope)
        if not rel.columns:
            return Typed(UNKNOWN, True)
        first = rel.columns[0][1]
        return Typed(first.type, True, lin.apply(first.lineage, "expression"))

    def _window(self, node: exp.Window, scope: Scope, fc: FnCtx) -> Typed:
        func = node.this
        spec = node.args.get("spec")
        covers = True
        if isinstance(spec, exp.WindowSpec):
            start = str(spec.args.get("start_side") or "").upper()
            end = str(spec.args.get("end_side") or "").upper()
            start_v = str(spec.args.get("start") or "").upper()
            end_v = str(spec.args.get("end") or "").upper()
            covers = start in ("PRECEDING", "") or start_v == "CURRENT ROW"
            covers = covers and (end in ("FOLLOWING", "") or end_v == "CURRENT ROW")
            if spec.args.get("exclude"):
                covers = False
        wfc = _fn_ctx(self.dialect, False, True, covers)
        keys: list[Typed] = []
        for part in node.args.get("partition_by") or []:
            keys.append(self.expr(part, scope, fc))
        order = node.args.get("order")
        if isinstance(order, exp.Order):
            for o in order.expressions:
                keys.append(self.expr(o.this if isinstance(o, exp.Ordered) else o, scope, fc))
        if isinstance(func, _WINDOWED):
            inner = func
            while isinstance(inner, _CALL_WRAPPERS):
                inner = inner.this
            result = self._call(inner, scope, wfc, keys)
            return result
        return Typed(UNKNOWN, True)

    def _call(
        self, node: exp.Expr, scope: Scope, fc: FnCtx, window_keys: list[Typed] | None
    ) -> Typed:
        if isinstance(node, _NULLS_MODIFIERS):
            return self.expr(node.this, scope, fc)
        is_agg, window_kind, agg_kind = _CALL_KINDS.get(type(node)) or _call_kinds(node)
        arg_fc = fc
        if is_agg and not fc.window:
            arg_fc = self.base_fc  # arguments of an aggregate see rows, not groups
        args = [self.expr(c, scope, arg_fc) for c in _children(node)]
        if is_agg and not fc.window:
            # FILTER (WHERE ...) can leave a group with no rows to aggregate
            filtered = isinstance(node.parent, exp.Filter)
            fc = self._agg_fc[scope.grouped and not scope.rollup and not filtered]
        t, nullable = function_type(node, args, fc)
        if fc.window:
            kind = window_kind
        elif is_agg:
            kind = agg_kind
        else:
            kind = "expression"
        parts = args if window_keys is None else args + window_keys
        return Typed(t, nullable, self._lineage(parts, kind))


_FN_CTXS: dict[tuple[str, bool, bool, bool], FnCtx] = {}
# Per dialect: the contexts of a plain call and of an aggregate in a grouped SELECT.
_BASE_FCS: dict[str, tuple[FnCtx, FnCtx]] = {}


def _fn_ctx(dialect: str, grouped: bool, window: bool, covers_row: bool) -> FnCtx:
    """One shared FnCtx per combination (they are frozen)."""
    key = (dialect, grouped, window, covers_row)
    found = _FN_CTXS.get(key)
    if found is None:
        found = _FN_CTXS[key] = FnCtx(dialect, grouped, window, covers_row)
    return found


# Per function class: whether it aggregates, and its window and aggregation
# transforms (built once: they label every lineage edge of such a call).
_CALL_KINDS: dict[type, tuple[bool, str, str]] = {}


def _call_kinds(node: exp.Expr) -> tuple[bool, str, str]:
    cls = type(node)
    found = _CALL_KINDS.get(cls)
    if found is not None:
        return found
    is_agg = isinstance(node, exp.AggFunc) and cls.__name__ not in WINDOW_ONLY
    if isinstance(node, exp.Anonymous):  # named by its call, not its class
        name = node.name.lower()
        return is_agg, f"window: {name}", f"aggregation: {name}"
    name = str(getattr(node, "sql_name", cls.__name__.lower)()).lower()
    # interned: marshal then ships them as such, and every process (and the
    # cache) shares one string per transform
    found = (is_agg, sys.intern(f"window: {name}"), sys.intern(f"aggregation: {name}"))
    _CALL_KINDS[cls] = found
    return found


def _literal(self: ExprInferrer, node: exp.Literal, scope: Scope, fc: FnCtx) -> Typed:
    return Typed(literal_type(node), False)


def _constant(typed: Typed) -> Callable[[ExprInferrer, Any, Scope, FnCtx], Typed]:
    def handler(self: ExprInferrer, node: Any, scope: Scope, fc: FnCtx) -> Typed:
        return typed

    return handler


_PAREN: Final = exp.Paren
_ALIAS: Final = exp.Alias

Handler = Callable[[ExprInferrer, Any, Scope, FnCtx], Typed]


def _arith_handler(op: str) -> Handler:
    def handler(self: ExprInferrer, node: Any, scope: Scope, fc: FnCtx) -> Typed:
        return self._arith(op, node, scope, fc)

    return handler


# By exact node type. A class-level table, not one per inferrer: bound
# methods held by the instance would make every inferrer a reference cycle.
# Other node types are classified on first sight (_handler_for).
_DISPATCH: Final[dict[type, Handler]] = {
    exp.Column: ExprInferrer._column,
    exp.Literal: _literal,
    exp.Boolean: _constant(_BOOL_NN),
    exp.Null: _constant(_NULL),
    exp.Var: _constant(_OPAQUE),
    exp.DataType: _constant(_OPAQUE),
    exp.Star: _constant(_OPAQUE),
    exp.Interval: _constant(_OPAQUE),
    exp.Cast: ExprInferrer._cast,
    exp.TryCast: ExprInferrer._cast,
    exp.Case: ExprInferrer._case,
    exp.Window: ExprInferrer._window,
    exp.Filter: ExprInferrer._filter,
    exp.Subquery: ExprInferrer._scalar_subquery,
    exp.Neg: ExprInferrer._same,
    exp.DPipe: ExprInferrer._dpipe,
}


def _handler_for(kind: type) -> Handler:
    """The handler of a node type not in the table yet, remembered: which
    one applies depends only on the class."""
    handler: Handler
    if issubclass(kind, _COMPARISONS):
        handler = ExprInferrer._bool
    elif issubclass(kind, exp.Exists):
        handler = ExprInferrer._exists
    elif issubclass(kind, _NEVER_NULL_BOOL):
        handler = ExprInferrer._never_null_bool
    elif kind in _ARITH:
        handler = _arith_handler(_ARITH[kind])
    elif issubclass(kind, exp.Func):
        handler = ExprInferrer._func
    else:
        handler = ExprInferrer._other
    _DISPATCH[kind] = handler
    return handler
