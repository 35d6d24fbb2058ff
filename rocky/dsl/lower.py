"""Lowering: :class:`rocky.dsl.ast.Program` -> a sqlglot ``SELECT``.

The clause rules are the original tool's, so a `.rocky` file means the same
query here. Its output was a SQL string that the compiler then parsed; here the
tree is built directly, and it is the tree sqlglot would parse from that
string in the given dialect (same function classes, same NULL ordering, same
division flags). Two things differ on purpose, both where the original's text
meant something else than the DSL said:

* sub-expressions are parenthesised by SQL precedence, so `not a == b`
  lowers to `(NOT a) = b` and two `where` steps `a or b` and `c` lower to
  `(a OR b) AND c`;
* a `match` whose only arm is `_` lowers to that arm's value (the original
  emitted `CASE ELSE v END`, which no warehouse accepts).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect, DialectType

from rocky.dsl.ast import (
    Binary,
    BinOp,
    Bool,
    Bound,
    Call,
    Column,
    Date,
    Derive,
    Distinct,
    Expr,
    From,
    Group,
    IsNull,
    Join,
    JoinKind,
    Match,
    Null,
    Number,
    Program,
    Select,
    Sort,
    Span,
    Star,
    Step,
    String,
    Take,
    Unary,
    Where,
    Window,
)
from rocky.dsl.errors import DslSyntaxError
from rocky.dsl.parser import MAX_EXPR_DEPTH, parse

__all__ = ["MAX_INLINED_NODES", "compile_dsl", "lower"]

#: Most syntax nodes one file may copy by inlining derived columns: a chain
#: of derives that each use the previous one twice doubles at every step.
MAX_INLINED_NODES = 50_000

_BINARY: dict[BinOp, type[exp.Expr]] = {
    BinOp.OR: exp.Or,
    BinOp.AND: exp.And,
    BinOp.EQ: exp.EQ,
    BinOp.NE: exp.NullSafeNEQ,  # `!=` is NULL-safe: IS DISTINCT FROM
    BinOp.LT: exp.LT,
    BinOp.LE: exp.LTE,
    BinOp.GT: exp.GT,
    BinOp.GE: exp.GTE,
    BinOp.ADD: exp.Add,
    BinOp.SUB: exp.Sub,
    BinOp.MUL: exp.Mul,
    BinOp.DIV: exp.Div,
    BinOp.MOD: exp.Mod,
}

# SQL binding strength of the nodes lowering produces (higher binds tighter).
_NOT, _COMPARE, _ATOM = 3, 4, 8
_PRECEDENCE: dict[type[exp.Expr], int] = {
    exp.Or: 1,
    exp.And: 2,
    exp.Not: _NOT,
    exp.EQ: _COMPARE,
    exp.NullSafeNEQ: _COMPARE,
    exp.LT: _COMPARE,
    exp.LTE: _COMPARE,
    exp.GT: _COMPARE,
    exp.GTE: _COMPARE,
    exp.Is: _COMPARE,
    exp.Add: 5,
    exp.Sub: 5,
    exp.Mul: 6,
    exp.Div: 6,
    exp.Mod: 6,
    exp.Neg: 7,
}


def _precedence(node: exp.Expr) -> int:
    level = _PRECEDENCE.get(type(node))
    if level is not None:
        return level
    # An infix node some function builder made (`like(a, b)` -> `b LIKE a`):
    # always parenthesise it as an operand.
    return 0 if isinstance(node, exp.Binary) else _ATOM


def lower(program: Program, *, dialect: DialectType = None) -> exp.Select:
    """Lower a parsed program to a sqlglot query.

    ``dialect`` is the dialect the query will run in: it decides which
    function classes calls become and the default NULL ordering of `sort`,
    exactly as parsing the equivalent SQL in that dialect would.
    """
    lowerer = _Lowerer(_dialect(dialect), program.path)
    ctes = [
        exp.CTE(
            this=lowerer.pipeline(let.steps, let.span),
            alias=exp.TableAlias(this=_ident(let.name)),
        )
        for let in program.lets
    ]
    where = program.steps[0].span if program.steps else program.end
    query = lowerer.pipeline(program.steps, where)
    if ctes:
        query.set("with_", exp.With(expressions=ctes))
    return query


def compile_dsl(text: str, path: str = "<string>", *, dialect: DialectType = None) -> exp.Select:
    """Parse and lower a `.rocky` file in one call."""
    return lower(parse(text, path), dialect=dialect)


# Dialects by name: building one is slower than lowering a small file, and
# lowering only reads it.
_DIALECTS: dict[str | None, Dialect] = {}


def _dialect(dialect: DialectType) -> Dialect:
    if dialect is None or isinstance(dialect, str):
        found = _DIALECTS.get(dialect)
        if found is None:
            found = _DIALECTS[dialect] = Dialect.get_or_raise(dialect)
        return found
    return Dialect.get_or_raise(dialect)


_Identifier = exp.Identifier
_Column = exp.Column


def _ident(name: str) -> exp.Identifier:
    return _Identifier(this=name, quoted=False)


def _column(name: str, table: str | None = None) -> exp.Column:
    if table is None:
        return _Column(this=_Identifier(this=name, quoted=False))
    return _Column(
        this=_Identifier(this=name, quoted=False), table=_Identifier(this=table, quoted=False)
    )


def _table(parts: Sequence[str], alias: str | None = None) -> exp.Table:
    """`a.b.c` as sqlglot parses it: `this`, `db`, `catalog`, extra parts dotted."""
    args: dict[str, Any] = {}
    if len(parts) > 3:
        args["this"] = exp.Dot.build([_ident(p) for p in parts[2:]])
    else:
        args["this"] = _ident(parts[-1])
    if len(parts) >= 2:
        args["db"] = _ident(parts[-2] if len(parts) <= 3 else parts[1])
    if len(parts) >= 3:
        args["catalog"] = _ident(parts[0])
    if alias is not None:
        args["alias"] = exp.TableAlias(this=_ident(alias))
    return exp.Table(**args)


def _qualified(parts: Sequence[str], column: str) -> exp.Expr:
    """`<parts>.column`, as the left side of a join condition."""
    if len(parts) > 3:
        return exp.Dot.build([_ident(p) for p in (*parts, column)])
    args: dict[str, Any] = {"this": _ident(column), "table": _ident(parts[-1])}
    if len(parts) >= 2:
        args["db"] = _ident(parts[-2])
    if len(parts) == 3:
        args["catalog"] = _ident(parts[0])
    return exp.Column(**args)


class _Lowerer:
    """What lowering needs from the dialect, plus expression lowering."""

    def __init__(self, dialect: Dialect, path: str) -> None:
        self.dialect = dialect
        self.path = path
        self.functions: dict[str, Callable[..., exp.Expr]] = dialect.parser_class.FUNCTIONS
        self.null_ordering = dialect.NULL_ORDERING
        self.size = 0  # nodes in the expression being lowered, inlined ones included
        self.inlined = 0  # nodes copied by inlining, in the whole file
        self._span = Span(0, 0, 0, 0, 0)

    def pipeline(self, steps: Sequence[Step], where: Span) -> exp.Select:
        pipeline = _Pipeline(self)
        for step in steps:
            self._span = step.span
            pipeline.apply(step)
        return pipeline.build(where)

    def error(self, message: str, span: Span, expected: str, hint: str) -> DslSyntaxError:
        return DslSyntaxError(
            message,
            file=self.path,
            line=span.line,
            col=span.col,
            expected=expected,
            hint=hint,
        )

    # --- expressions -------------------------------------------------------

    def expr(self, expr: Expr, env: _Env) -> exp.Expr:
        """Lower ``expr``, inlining the derived names in ``env``.

        Inlining can grow an expression without bound (each derive may use
        the previous one twice), so the result's size and nesting are
        checked: past the limits sqlglot could not render it.
        """
        self.size = 0
        node = self._expr(expr, env)
        # One syntax node renders at most ~5 levels deep (a `match`: CASE,
        # WHEN, comparison, parenthesis), so small trees need no check.
        if self.size * 6 > MAX_EXPR_DEPTH:
            depth = _render_depth(node)
            if depth > MAX_EXPR_DEPTH:
                raise self.error(
                    f"expression nested too deeply: depth {depth} exceeds limit "
                    f"{MAX_EXPR_DEPTH} once derived columns are inlined",
                    self._span,
                    "shallower expression",
                    "compute part of it in a `let` binding and read that instead",
                )
        return node

    def _expr(self, expr: Expr, env: _Env) -> exp.Expr:
        self.size += 1
        # Most frequent node kinds first.
        if isinstance(expr, Column):
            if expr.table is None and expr.name in env:
                return self.inline(env[expr.name])
            return _column(expr.name, expr.table)
        if isinstance(expr, Call):
            args = [self._expr(arg, env) for arg in expr.args]
            call = self._function(expr.name, args)
            return call if expr.over is None else self._window(call, expr.over)
        if isinstance(expr, Binary):
            # Walk the left spine iteratively: `a or b or ...` may be long.
            spine = [expr]
            node = expr.left
            while isinstance(node, Binary):
                spine.append(node)
                node = node.left
            result = self._expr(node, env)
            for binary in reversed(spine):
                result = self.binary(binary.op, result, self._expr(binary.right, env))
            self.size += len(spine) - 1
            return result
        if isinstance(expr, Number):
            return exp.Literal(this=expr.value, is_string=False)
        if isinstance(expr, String):
            return exp.Literal(this=expr.value, is_string=True)
        if isinstance(expr, Bool):
            return exp.Boolean(this=expr.value)
        if isinstance(expr, Null):
            return exp.Null()
        if isinstance(expr, Date):
            return exp.Cast(
                this=exp.Literal(this=expr.value, is_string=True),
                to=exp.DataType(this=exp.DataType.Type.DATE, nested=False),
            )
        if isinstance(expr, Unary):
            operand = self._expr(expr.operand, env)
            if expr.op == "not":
                return exp.Not(this=self._wrap_not(operand))
            return exp.Neg(this=_paren(operand) if _precedence(operand) < 7 else operand)
        if isinstance(expr, IsNull):
            operand = self._expr(expr.operand, env)
            if _precedence(operand) <= _COMPARE:
                operand = _paren(operand)
            test = exp.Is(this=operand, expression=exp.Null())
            return exp.Not(this=test) if expr.negated else test
        return self._match(expr, env)

    def inline(self, entry: tuple[exp.Expr, int]) -> exp.Expr:
        """A copy of a derived column's expression, for a later reference."""
        node, size = entry
        self.size += size
        self.inlined += size
        if self.inlined > MAX_INLINED_NODES:
            raise self.error(
                f"pipeline too large: inlining derived columns copies over "
                f"{MAX_INLINED_NODES} nodes",
                self._span,
                "smaller pipeline",
                "each reference to a derived column copies its expression; "
                "compute the column in a `let` binding and read that instead",
            )
        return node.copy()

    def binary(self, op: BinOp, left: exp.Expr, right: exp.Expr) -> exp.Expr:
        """``left op right`` with the parentheses SQL precedence needs."""
        level = _PRECEDENCE[_BINARY[op]]
        left_level = _precedence(left)
        if left_level < level or (level == _COMPARE and left_level == _COMPARE):
            left = _paren(left)
        if _precedence(right) <= level:
            right = _paren(right)
        if op is BinOp.DIV:
            return exp.Div(
                this=left,
                expression=right,
                typed=self.dialect.TYPED_DIVISION,
                safe=self.dialect.SAFE_DIVISION,
            )
        return _BINARY[op](this=left, expression=right)

    @staticmethod
    def _wrap_not(operand: exp.Expr) -> exp.Expr:
        # The original parenthesises every binary operand of NOT; IS NULL
        # binds tighter than NOT and stays bare (`NOT x IS NULL`).
        if isinstance(operand, exp.Binary) and not isinstance(operand, exp.Is):
            return _paren(operand)
        return operand

    def _function(self, name: str, args: list[exp.Expr]) -> exp.Expr:
        """`f(x)` as the dialect's parser would build `F(x)`."""
        upper = name.upper()
        builder = self.functions.get(upper)
        if builder is not None:
            try:
                try:
                    node = builder(args)
                except TypeError:
                    node = builder(args, dialect=self.dialect)
            except Exception:  # a builder may refuse an odd argument list
                node = None
            if node is not None and not node.error_messages():
                return node
        return exp.Anonymous(this=upper, expressions=args)

    def _window(self, call: exp.Expr, window: Window) -> exp.Window:
        args: dict[str, Any] = {"this": call, "over": "OVER"}
        if window.partition:
            args["partition_by"] = [_column(name) for name in window.partition]
        if window.order:
            args["order"] = exp.Order(
                expressions=[self.ordered(key.column, key.descending) for key in window.order]
            )
        frame = window.frame
        if frame is not None:
            spec: dict[str, Any] = {"kind": frame.kind.upper()}
            spec["start"], start_side = _bound(frame.start, "PRECEDING")
            spec["end"], end_side = _bound(frame.end, "FOLLOWING")
            if start_side:
                spec["start_side"] = start_side
            if end_side:
                spec["end_side"] = end_side
            args["spec"] = exp.WindowSpec(**spec)
        return exp.Window(**args)

    def ordered(self, column: str, descending: bool) -> exp.Ordered:
        """An ORDER BY key with the dialect's default NULL placement."""
        ordering = self.null_ordering
        nulls_first = ordering != "nulls_are_last" and (
            (not descending and ordering == "nulls_are_small")
            or (descending and ordering != "nulls_are_small")
        )
        if descending:
            return exp.Ordered(this=_column(column), desc=True, nulls_first=nulls_first)
        return exp.Ordered(this=_column(column), nulls_first=nulls_first)

    def _match(self, match: Match, env: _Env) -> exp.Expr:
        ifs: list[exp.If] = []
        default: exp.Expr | None = None
        for arm in match.arms:
            result = self._expr(arm.result, env)
            if arm.value is None:
                default = result
                continue
            condition = self.binary(
                arm.op or BinOp.EQ,
                self._expr(match.subject, env),
                self._expr(arm.value, env),
            )
            ifs.append(exp.If(this=condition, true=result))
        if not ifs:
            assert default is not None  # the parser rejects an empty match
            return default
        if default is None:
            return exp.Case(ifs=ifs)
        return exp.Case(ifs=ifs, default=default)


# Nodes that take about twice the usual stack to render: calls, and the
# divisions some dialects render as calls (`SAFE_DIVIDE`, `MOD`).
_HEAVY = (exp.Func, exp.Div, exp.Mod)


def _render_depth(root: exp.Expr) -> int:
    """How deep sqlglot recurses to render ``root`` (heavy nodes count double).

    A run of one binary operator down the left side renders iteratively and
    adds no depth. Iterative itself, so it cannot hit the recursion limit.
    """
    deepest = 0
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        for child in node.iter_expressions():
            if isinstance(node, exp.Binary) and child is node.this and type(child) is type(node):
                stack.append((child, depth))
            else:
                weight = 2 if isinstance(child, _HEAVY) else 1
                stack.append((child, depth + weight))
    return deepest


def _paren(node: exp.Expr) -> exp.Paren:
    return exp.Paren(this=node)


def _bound(bound: Bound, side: str) -> tuple[str | exp.Expr, str | None]:
    if bound == "unbounded":
        return "UNBOUNDED", side
    if bound == "current":
        return "CURRENT ROW", None
    return exp.Literal(this=str(bound), is_string=False), side


# Derived names visible to later steps: name -> (lowered expression, size).
_Env = dict[str, tuple[exp.Expr, int]]


class _Pipeline:
    """The clauses one pipeline accumulates, step by step."""

    def __init__(self, lowerer: _Lowerer) -> None:
        self.lw = lowerer
        self.source: From | None = None
        self.joins: list[exp.Join] = []
        self.where: list[exp.Expr] = []
        self.having: list[exp.Expr] = []
        self.columns: list[exp.Expr] = []
        self.group_by: list[str] = []
        self.order: list[exp.Ordered] = []
        self.limit: int | None = None
        self.distinct = False
        self.replicate = False
        self.has_group = False
        self.has_derive = False
        self.explicit_select = False
        # Derives before any `group`, in order; `env` resolves a name to the
        # first of them so later steps can inline it.
        self.derived: list[tuple[str, exp.Expr]] = []
        self.env: _Env = {}

    def apply(self, step: Step) -> None:
        if isinstance(step, From):
            self.source = step
        elif isinstance(step, Where):
            condition = self.lw.expr(step.condition, self.env)
            (self.having if self.has_group else self.where).append(condition)
        elif isinstance(step, Group):
            self.has_group = True
            self.group_by = list(step.keys)
            self.columns.extend(_column(key) for key in step.keys)
            for agg in step.aggregations:
                self.columns.append(self._alias(self.lw.expr(agg.expr, self.env), agg.name))
        elif isinstance(step, Derive):
            self._derive(step)
        elif isinstance(step, Select):
            self._select(step)
        elif isinstance(step, Join):
            self._join(step)
        elif isinstance(step, Sort):
            self.order.extend(self.lw.ordered(key.column, key.descending) for key in step.keys)
        elif isinstance(step, Take):
            self.limit = step.count
        elif isinstance(step, Distinct):
            self.distinct = True
        else:
            self.replicate = True

    def _derive(self, step: Derive) -> None:
        for binding in step.bindings:
            node = self.lw.expr(binding.expr, self.env)
            if self.has_group:
                # After a group the derive computes over the grouped rows.
                self.columns.append(self._alias(node, binding.name))
            else:
                self.has_derive = True
                self.derived.append((binding.name, node))
                self.env.setdefault(binding.name, (node, self.lw.size))

    def _select(self, step: Select) -> None:
        self.explicit_select = True
        self.columns = []
        for item in step.items:
            if isinstance(item, Star):
                self.columns.append(exp.Star())
            elif item.table is None and item.name in self.env:
                node = self.lw.inline(self.env[item.name])
                self.columns.append(self._alias(node, item.name))
            else:
                self.columns.append(_column(item.name, item.table))

    def _join(self, step: Join) -> None:
        alias = step.alias or step.model
        args: dict[str, Any] = {"this": _table([step.model], alias)}
        if step.kind is JoinKind.CROSS:
            args["kind"] = "CROSS"
        elif step.kind is not JoinKind.INNER:
            args["side"] = step.kind.value.upper()
        if step.on:
            if self.source is None:
                raise self.lw.error(
                    "join before 'from': the join has no left side",
                    step.span,
                    "from",
                    "a pipeline must start with 'from'",
                )
            left = self.source.parts if self.source.alias is None else (self.source.alias,)
            condition: exp.Expr | None = None
            for key in step.on:
                equal = exp.EQ(this=_qualified(left, key), expression=_column(key, alias))
                condition = (
                    equal if condition is None else exp.And(this=condition, expression=equal)
                )
            args["on"] = condition
        self.joins.append(exp.Join(**args))
        self.columns.extend(_column(col.name, col.table) for col in step.keep)

    @staticmethod
    def _alias(node: exp.Expr, name: str) -> exp.Alias:
        return exp.Alias(this=node, alias=_ident(name))

    def build(self, where: Span) -> exp.Select:
        source = self.source
        if source is None:
            raise self.lw.error(
                "pipeline must start with 'from'",
                where,
                "from",
                "add `from <model>` as the pipeline's first step",
            )
        if self.replicate:
            return exp.Select(expressions=[exp.Star()], from_=exp.From(this=_table(source.parts)))
        if self.has_derive and not self.explicit_select and not self.has_group:
            # A derive with nothing after it that projects: keep every source
            # column and append the derived ones.
            projection: list[exp.Expr] = [exp.Star()]
            projection.extend(self._alias(node, name) for name, node in self.derived)
            projection.extend(self.columns)
        else:
            projection = self.columns or [exp.Star()]
        args: dict[str, Any] = {
            "expressions": projection,
            "from_": exp.From(this=_table(source.parts, source.alias)),
        }
        if self.distinct:
            args["distinct"] = exp.Distinct()
        if self.joins:
            args["joins"] = self.joins
        if self.where:
            args["where"] = exp.Where(this=self._all(self.where))
        if self.group_by:
            args["group"] = exp.Group(expressions=[_column(key) for key in self.group_by])
        if self.having:
            args["having"] = exp.Having(this=self._all(self.having))
        if self.order:
            args["order"] = exp.Order(expressions=self.order)
        if self.limit is not None:
            args["limit"] = exp.Limit(expression=exp.Literal(this=str(self.limit), is_string=False))
        return exp.Select(**args)

    def _all(self, conditions: list[exp.Expr]) -> exp.Expr:
        result = conditions[0]
        for condition in conditions[1:]:
            result = self.lw.binary(BinOp.AND, result, condition)
        return result
