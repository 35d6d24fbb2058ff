"""Recursive-descent parser: `.rocky` tokens -> :class:`rocky.dsl.ast.Program`.

Expressions are parsed by precedence climbing over the grammar's ladder (or,
and, comparison, additive, multiplicative, unary, primary), recursing only
where an operator or a nested expression needs it. Nesting is still counted
per ladder level, the way the original tool counts it, so a file is rejected
as too deeply nested exactly when (and where) the original rejects it. The
count also bounds the Python stack: no input can reach the interpreter's
recursion limit.

The lists inside braces and call parentheses take optional commas, and a
trailing comma is fine; `sort` and `on` lists need their commas. That is the
original's grammar, kept so its files parse here unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, Literal

from rocky.dsl.ast import (
    Binary,
    Binding,
    BinOp,
    Bool,
    Bound,
    Call,
    Column,
    Date,
    Derive,
    Distinct,
    Expr,
    Frame,
    From,
    Group,
    IsNull,
    Join,
    JoinKind,
    Let,
    Match,
    MatchArm,
    Null,
    Number,
    Program,
    Replicate,
    Select,
    SelectItem,
    Sort,
    SortKey,
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
from rocky.dsl.hints import hint_for
from rocky.dsl.tokens import DATE, EOF, IDENT, NUMBER, STRING, Token, describe, tokenize

__all__ = ["MAX_EXPR_DEPTH", "parse", "parse_tokens"]

#: Deepest expression nesting accepted, counted per grammar level as the
#: original counts it (one parenthesised level costs 8).
MAX_EXPR_DEPTH = 256

_U64_MAX = 2**64 - 1
_I64_MAX = 2**63 - 1

_JOIN_WORDS = {
    "left_join": JoinKind.LEFT,
    "right_join": JoinKind.RIGHT,
    "full_join": JoinKind.FULL,
    "cross_join": JoinKind.CROSS,
}
_JOIN_PREFIXES = {
    "left": JoinKind.LEFT,
    "right": JoinKind.RIGHT,
    "full": JoinKind.FULL,
    "cross": JoinKind.CROSS,
}
_COMPARISONS = {
    "==": BinOp.EQ,
    "!=": BinOp.NE,
    "<": BinOp.LT,
    "<=": BinOp.LE,
    ">": BinOp.GT,
    ">=": BinOp.GE,
}

# The original's precedence ladder, one level per grammar function; `_expr`
# sits above `_OR` and each level counts one towards MAX_EXPR_DEPTH.
_OR, _AND, _CMP, _ADD, _MUL, _UNARY = 1, 2, 3, 4, 5, 6
_BINOPS = {
    "or": BinOp.OR,
    "and": BinOp.AND,
    **_COMPARISONS,
    "+": BinOp.ADD,
    "-": BinOp.SUB,
    "*": BinOp.MUL,
    "/": BinOp.DIV,
    "%": BinOp.MOD,
}
_LEVELS = {
    "or": _OR,
    "and": _AND,
    "is": _CMP,
    **dict.fromkeys(_COMPARISONS, _CMP),
    "+": _ADD,
    "-": _ADD,
    "*": _MUL,
    "/": _MUL,
    "%": _MUL,
}


_new_span = tuple.__new__  # skips NamedTuple's Python-level __new__


def parse(text: str, path: str = "<string>") -> Program:
    """Parse a `.rocky` file; raise :class:`DslSyntaxError` at the first error."""
    return parse_tokens(tokenize(text, path), path)


def parse_tokens(tokens: list[Token], path: str = "<string>") -> Program:
    """Parse an already tokenized file (comments removed, EOF-terminated)."""
    return _Parser(tokens, path).program()


class _Parser:
    __slots__ = ("_last", "_path", "_pos", "_tok", "_tokens")

    def __init__(self, tokens: list[Token], path: str) -> None:
        self._tokens = tokens
        self._pos = 0
        self._tok = tokens[0]
        self._last = tokens[0]
        self._path = path

    # --- token plumbing ----------------------------------------------------

    def _advance(self) -> Token:
        tok = self._tok
        if tok.kind != EOF:
            self._last = tok
            self._pos += 1
            self._tok = self._tokens[self._pos]
        return tok

    # The helpers below step over a token they know is not EOF inline: they
    # run for nearly every token.

    def _accept(self, kind: str) -> bool:
        tok = self._tok
        if tok.kind == kind:
            self._last = tok
            self._pos += 1
            self._tok = self._tokens[self._pos]
            return True
        return False

    def _expect(self, kind: str, hint: str | None = None) -> Token:
        tok = self._tok
        if tok.kind != kind:
            raise self._error(kind, f"'{kind}'", hint)
        self._last = tok
        self._pos += 1
        self._tok = self._tokens[self._pos]
        return tok

    def _ident(self, hint: str | None = None) -> str:
        tok = self._tok
        if tok.kind != IDENT:
            raise self._error("identifier", "identifier", hint)
        self._last = tok
        self._pos += 1
        self._tok = self._tokens[self._pos]
        return tok.value

    def _span(self, first: Token) -> Span:
        last = self._last
        return _new_span(Span, (first.line, first.col, first.start, last.end, last.end_line))

    def _error(self, expected: str, label: str, hint: str | None = None) -> DslSyntaxError:
        tok = self._tok
        if tok.kind == EOF:
            message = f"unexpected end of file: expected {label}"
        else:
            message = f"expected {label}, found {describe(tok)}"
        return DslSyntaxError(
            message,
            file=self._path,
            line=tok.line,
            col=tok.col,
            expected=expected,
            found=tok.text or None,
            hint=hint or hint_for(expected, tok, self._last),
        )

    # --- file structure ----------------------------------------------------

    def program(self) -> Program:
        lets: list[Let] = []
        while self._tok.kind == "let":
            lets.append(self._let())
        steps: list[Step] = []
        while True:
            kind = self._tok.kind
            if kind == "|":
                self._advance()
            elif kind == EOF:
                break
            else:
                steps.append(self._step())
        if not lets and not steps:
            raise DslSyntaxError(
                "empty file: no pipeline steps found",
                file=self._path,
                line=self._tok.line,
                col=self._tok.col,
                expected="pipeline step",
                hint="start the pipeline with `from <model>`",
            )
        end = self._tok
        return Program(
            tuple(lets),
            tuple(steps),
            self._path,
            Span(end.line, end.col, end.start, end.end, end.end_line),
        )

    def _let(self) -> Let:
        """`let name = steps`: ends at the next `let`, at the end of the
        file, or at a second `from` (which starts the main pipeline)."""
        first = self._advance()
        name = self._ident()
        self._expect("=", "write `let name = from model ...`")
        steps: list[Step] = []
        has_from = False
        while True:
            kind = self._tok.kind
            if kind == "|":
                self._advance()
                continue
            if kind in (EOF, "let") or (kind == "from" and has_from):
                break
            step = self._step()
            has_from = has_from or isinstance(step, From)
            steps.append(step)
        if not steps:
            raise self._error(
                "pipeline step",
                "pipeline step",
                "a `let` binding needs at least one step, e.g. `let name = from model`",
            )
        return Let(name, tuple(steps), self._span(first))

    def _step(self) -> Step:
        tok = self._tok
        kind = tok.kind
        if kind == IDENT:
            join_kind = _JOIN_WORDS.get(tok.value)
            if join_kind is not None:
                self._advance()
                return self._join_body(tok, join_kind)
            join_kind = _JOIN_PREFIXES.get(tok.value)
            if join_kind is not None and self._tokens[self._pos + 1].kind == "join":
                self._advance()
                self._advance()
                return self._join_body(tok, join_kind)
        parse_step = self._STEPS.get(kind)
        if parse_step is None:
            raise self._error(
                "pipeline step",
                "pipeline step (from, where, group, derive, select, join, sort, take, "
                "distinct, replicate)",
            )
        self._advance()
        return parse_step(self, tok)

    # --- steps (each gets its already consumed keyword token) --------------

    def _from(self, first: Token) -> From:
        parts = [self._ident()]
        while self._accept("."):
            parts.append(self._ident())
        alias = self._ident() if self._accept("as") else None
        return From(tuple(parts), alias, self._span(first))

    def _where(self, first: Token) -> Where:
        return Where(self._expr(), self._span(first))

    def _group(self, first: Token) -> Group:
        keys: list[str] = []
        while self._tok.kind == IDENT:
            keys.append(self._advance().value)
            self._accept(",")
        self._expect("{", "write `group key1, key2 { name: agg(col) }`")
        aggregations = self._bindings()
        return Group(tuple(keys), aggregations, self._span(first))

    def _derive(self, first: Token) -> Derive:
        self._expect("{", "write `derive { name: expr }`")
        return Derive(self._bindings(), self._span(first))

    def _bindings(self) -> tuple[Binding, ...]:
        """`name: expr, ...}` (the `{` is consumed)."""
        bindings: list[Binding] = []
        while self._tok.kind != "}":
            first = self._tok
            name = self._ident()
            self._expect(":", "bindings are written `name: expr`")
            expr = self._expr()
            bindings.append(Binding(name, expr, self._span(first)))
            self._accept(",")
        self._advance()
        return tuple(bindings)

    def _select(self, first: Token) -> Select:
        self._expect("{", "select takes a brace list: `select { a, t.b, * }`")
        items: list[SelectItem] = []
        while True:
            kind = self._tok.kind
            if kind == "*":
                self._advance()
                items.append(Star())
            elif kind == IDENT:
                items.append(self._qualified())
            else:
                break
            self._accept(",")
        self._expect("}")
        return Select(tuple(items), self._span(first))

    def _qualified(self) -> Column:
        name = self._advance().value
        if self._accept("."):
            return Column(self._ident(), name)
        return Column(name)

    def _join(self, first: Token) -> Join:
        return self._join_body(first, JoinKind.INNER)

    def _join_body(self, first: Token, kind: JoinKind) -> Join:
        model = self._ident()
        alias = self._ident() if self._accept("as") else None
        on: list[str] = []
        if kind is not JoinKind.CROSS:
            self._expect("on", "a join needs `on <key>`; use `cross join` to join without keys")
            on.append(self._ident())
            while self._accept(","):
                on.append(self._ident())
        keep: list[Column] = []
        if self._accept("{"):
            self._expect("keep", "a join block lists columns: `{ keep c.name, c.email }`")
            while self._tok.kind == IDENT:
                keep.append(self._qualified())
                self._accept(",")
            self._expect("}")
        return Join(kind, model, alias, tuple(on), tuple(keep), self._span(first))

    def _sort(self, first: Token) -> Sort:
        keys: list[SortKey] = []
        while self._tok.kind == IDENT:
            column = self._advance().value
            descending = self._accept("desc")
            if not descending:
                self._accept("asc")
            keys.append(SortKey(column, descending))
            if not self._accept(","):
                break
        return Sort(tuple(keys), self._span(first))

    def _take(self, first: Token) -> Take:
        tok = self._tok
        if tok.kind != NUMBER:
            raise self._error("number", "a row count", "write `take 100`")
        self._advance()
        if "." in tok.value or int(tok.value) > _U64_MAX:
            raise self._invalid_number(tok, "`take` needs a whole number below 2^64")
        return Take(int(tok.value), self._span(first))

    def _distinct(self, first: Token) -> Distinct:
        return Distinct(self._span(first))

    def _replicate(self, first: Token) -> Replicate:
        return Replicate(self._span(first))

    _STEPS: ClassVar[dict[str, Callable[[_Parser, Token], Step]]] = {
        "from": _from,
        "where": _where,
        "group": _group,
        "derive": _derive,
        "select": _select,
        "join": _join,
        "sort": _sort,
        "take": _take,
        "distinct": _distinct,
        "replicate": _replicate,
    }

    def _invalid_number(self, tok: Token, hint: str) -> DslSyntaxError:
        return DslSyntaxError(
            f"invalid number: {tok.text}",
            file=self._path,
            line=tok.line,
            col=tok.col,
            expected="whole number",
            found=tok.text,
            hint=hint,
        )

    # --- expressions -------------------------------------------------------
    #
    # Precedence climbing over the binary levels. ``depth`` is the value the
    # ladder's counter holds on entering a level, so the nesting limit trips
    # at exactly the token where the original trips. Entering a level and
    # descending to its operand consumes no token, so one check of the
    # deepest level on that path stands for all of them.

    def _too_deep(self) -> DslSyntaxError:
        tok = self._tok
        return DslSyntaxError(
            f"expression nested too deeply: depth {MAX_EXPR_DEPTH + 1} "
            f"exceeds limit {MAX_EXPR_DEPTH}",
            file=self._path,
            line=tok.line,
            col=tok.col,
            expected="shallower expression",
            found=tok.text or None,
            hint="move part of the expression into a `derive` step or a `let` binding",
        )

    def _expr(self) -> Expr:
        return self._binary(_OR, 1)

    def _binary(self, level: int, depth: int) -> Expr:
        """Operators of ``level`` and tighter, the ladder entered at ``level``
        with its counter at ``depth``."""
        if depth + _UNARY - level >= MAX_EXPR_DEPTH:
            raise self._too_deep()
        left = self._unary(depth + _UNARY - level)
        ceiling = _MUL
        while True:
            tok = self._tok
            kind = tok.kind
            op_level = _LEVELS.get(kind)
            if op_level is None or op_level < level or op_level > ceiling:
                return left
            # `tok` is an operator, never EOF: step over it directly.
            self._last = tok
            self._pos += 1
            self._tok = self._tokens[self._pos]
            inner = depth + op_level - level + 1  # the right operand's level
            right: Expr
            if op_level == _MUL:
                if inner >= MAX_EXPR_DEPTH:
                    raise self._too_deep()
                right = self._unary(inner)
            elif op_level == _CMP:
                ceiling = _AND  # comparisons do not chain
                if kind == "is":
                    negated = self._accept("not")
                    self._expect("null", "`is` only tests for null: `x is null`, `x is not null`")
                    left = IsNull(left, negated)
                    continue
                right = self._binary(_ADD, inner)
            else:
                ceiling = op_level
                right = self._binary(op_level + 1, inner)
            left = Binary(_BINOPS[kind], left, right)

    def _unary(self, depth: int) -> Expr:
        """Prefix `not` and `-`; the caller checked ``depth``."""
        kind = self._tok.kind
        if kind == "not" or kind == "-":
            self._advance()
            if depth + 1 >= MAX_EXPR_DEPTH:
                raise self._too_deep()
            operand = self._unary(depth + 1)
            return Unary("not", operand) if kind == "not" else Unary("-", operand)
        if depth + 1 >= MAX_EXPR_DEPTH:
            raise self._too_deep()
        return self._primary(depth + 1)

    def _primary(self, depth: int) -> Expr:
        tok = self._tok
        kind = tok.kind
        if kind == IDENT:
            self._last = tok
            self._pos += 1
            self._tok = nxt = self._tokens[self._pos]
            if nxt.kind == "(":
                return self._call(tok.value, depth)
            if nxt.kind == ".":
                self._advance()
                return Column(self._ident(), tok.value)
            return Column(tok.value)
        expr: Expr
        if kind == NUMBER:
            expr = Number(tok.text)
        elif kind == STRING:
            expr = String(tok.value)
        elif kind == DATE:
            expr = Date(tok.value)
        elif kind == "true" or kind == "false":
            expr = Bool(kind == "true")
        elif kind == "null":
            expr = Null()
        elif kind == "(":
            self._advance()
            expr = self._binary(_OR, depth + 2)
            self._expect(")")
            return expr
        elif kind == "match":
            self._advance()
            return self._match(depth)
        else:
            raise self._error("expression", "expression")
        self._advance()
        return expr

    def _call(self, name: str, depth: int) -> Call:
        self._advance()  # (
        args: list[Expr] = []
        while self._tok.kind != ")":
            args.append(self._binary(_OR, depth + 2))
            self._accept(",")
        self._advance()
        over = self._window() if self._accept("over") else None
        return Call(name, tuple(args), over)

    def _window(self) -> Window:
        """`(partition a, b, sort -c, d, rows unbounded..current)`; the parts
        come in any order, the frame last."""
        self._expect("(", "write `over (partition a, sort -b)`")
        partition: list[str] = []
        order: list[SortKey] = []
        frame: Frame | None = None
        while True:
            kind = self._tok.kind
            if kind == "partition":
                self._advance()
                while self._tok.kind in (IDENT, ","):
                    tok = self._advance()
                    if tok.kind == IDENT:
                        partition.append(tok.value)
            elif kind == "sort":
                self._advance()
                while self._tok.kind in (IDENT, ",", "-"):
                    tok = self._advance()
                    if tok.kind == "-":
                        order.append(SortKey(self._ident(), True))
                    elif tok.kind == IDENT:
                        order.append(SortKey(tok.value))
            elif kind in ("rows", "range"):
                frame_kind: Literal["rows", "range"] = "rows" if kind == "rows" else "range"
                self._advance()
                start = self._bound()
                self._expect("..", "a frame is written `rows start..end`")
                frame = Frame(frame_kind, start, self._bound())
            else:
                break
        self._expect(")")
        return Window(tuple(partition), tuple(order), frame)

    def _bound(self) -> Bound:
        tok = self._tok
        if tok.kind == "unbounded":
            self._advance()
            return "unbounded"
        if tok.kind == "current":
            self._advance()
            return "current"
        if tok.kind == NUMBER:
            self._advance()
            if "." in tok.value or int(tok.value) > _I64_MAX:
                raise self._invalid_number(tok, "a frame offset is a whole number of rows")
            return int(tok.value)
        raise self._error("frame bound", "frame bound (unbounded, current or a number)")

    def _match(self, depth: int) -> Match:
        subject = self._binary(_ADD, depth + 1)
        self._expect("{", 'write `match expr { > 10 => "big", _ => "small" }`')
        arms: list[MatchArm] = []
        while self._tok.kind != "}":
            first = self._tok
            if arms and arms[-1].is_default:
                raise DslSyntaxError(
                    "unreachable match arm: the `_` arm before it matches everything",
                    file=self._path,
                    line=first.line,
                    col=first.col,
                    expected="}",
                    found=first.text or None,
                    hint="put the `_` arm last",
                )
            op: BinOp | None = None
            value: Expr | None = None
            if first.kind == "_":
                self._advance()
            else:
                op = _COMPARISONS.get(first.kind)
                if op is not None:
                    self._advance()
                value = self._binary(_ADD, depth + 1)
            self._expect("=>", "match arms are written `pattern => result`")
            result = self._binary(_OR, depth + 2)
            arms.append(MatchArm(op, value, result, self._span(first)))
            self._accept(",")
        if not arms:
            raise self._error("match arm", "match arm", "a match needs at least one arm")
        self._advance()
        return Match(subject, tuple(arms))
