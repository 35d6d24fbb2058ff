"""Canonical formatting of `.rocky` files (what `rocky fmt` writes).

The file is parsed and printed back from its syntax tree, so the output is
the same for every layout of the same pipeline: one step per line, brace
blocks one binding per line indented by four spaces, `|` separators and
redundant parentheses dropped, double quotes unless the string holds one,
`left join` for `left_join`. Comments are kept: a comment on the line where a
step, binding or match arm ends stays at that line's end; any other comment
moves to its own line before the next step, binding or arm. One blank line
between steps is kept where the source had one or more.

Formatting never changes meaning: ``parse(format_source(x)) == parse(x)``
and ``format_source`` is idempotent.
"""

from __future__ import annotations

import sys
from typing import NamedTuple

from rocky.dsl.ast import (
    Binary,
    Binding,
    BinOp,
    Bool,
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
    Let,
    Match,
    Null,
    Number,
    Program,
    Replicate,
    Select,
    Sort,
    Star,
    Step,
    String,
    Take,
    Unary,
    Where,
    Window,
)
from rocky.dsl.parser import parse_tokens
from rocky.dsl.tokens import COMMENT, Token, tokenize

__all__ = ["format_program", "format_source"]

INDENT = "    "
_MAX_WIDTH = 88

# Binding strength in the DSL grammar (higher binds tighter).
_LEVEL = {
    BinOp.OR: 1,
    BinOp.AND: 2,
    BinOp.EQ: 3,
    BinOp.NE: 3,
    BinOp.LT: 3,
    BinOp.LE: 3,
    BinOp.GT: 3,
    BinOp.GE: 3,
    BinOp.ADD: 4,
    BinOp.SUB: 4,
    BinOp.MUL: 5,
    BinOp.DIV: 5,
    BinOp.MOD: 5,
}
_COMPARE, _ADDITIVE, _UNARY, _ATOM = 3, 4, 6, 7


class _Comment(NamedTuple):
    text: str
    line: int
    start: int
    after: int  # end offset of the code it trails on the same line, else -1


def format_source(text: str, path: str = "<string>") -> str:
    """Return the canonical form of a `.rocky` file (raises DslSyntaxError)."""
    code: list[Token] = []
    comments: list[_Comment] = []
    anchor: Token | None = None
    for tok in tokenize(text, path, keep_comments=True):
        if tok.kind != COMMENT:
            code.append(tok)
            if tok.kind not in (",", "|"):
                anchor = tok
            continue
        after = anchor.end if anchor is not None and anchor.end_line == tok.line else -1
        comments.append(_Comment(tok.text.rstrip(), tok.line, tok.start, after))
    return _Printer(comments).program(parse_tokens(code, path))


def format_program(program: Program) -> str:
    """Print a syntax tree (one built by hand, say) in canonical form."""
    return _Printer([]).program(program)


def _level(expr: Expr) -> int:
    if isinstance(expr, Binary):
        return _LEVEL[expr.op]
    if isinstance(expr, IsNull):
        return _COMPARE
    if isinstance(expr, Unary):
        return _UNARY
    return _ATOM


def _operand_levels(op: BinOp) -> tuple[int, int]:
    """Least level the left and right operand of ``op`` may have unparenthesised."""
    level = _LEVEL[op]
    if level == _COMPARE:  # comparisons do not chain
        return _ADDITIVE, _ADDITIVE
    return level, level + 1


def _string(value: str) -> str:
    return f"'{value}'" if '"' in value else f'"{value}"'


class _Printer:
    def __init__(self, comments: list[_Comment]) -> None:
        self.comments = comments
        self.next = 0
        self.lines: list[str] = []
        self.last_line = 0  # source line of the last thing printed

    # --- comments and lines --------------------------------------------------

    def _pending(self, before: int) -> list[str]:
        """Take the texts of the comments that start before offset ``before``."""
        texts = []
        while self.next < len(self.comments) and self.comments[self.next].start < before:
            texts.append(self.comments[self.next].text)
            self.next += 1
        return texts

    def _pending_top(self, before: int, indent: int) -> None:
        while self.next < len(self.comments) and self.comments[self.next].start < before:
            comment = self.comments[self.next]
            self.next += 1
            self._emit(comment.text, comment.line, comment.line, indent)

    def _trailing(self, end: int) -> str:
        if self.next < len(self.comments) and self.comments[self.next].after == end:
            self.next += 1
            return "  " + self.comments[self.next - 1].text
        return ""

    def _emit(self, text: str, line: int, end_line: int, indent: int) -> None:
        """Append a top-level item, keeping one blank line where the source had one."""
        if self.lines and self.lines[-1] and line - self.last_line >= 2:
            self.lines.append("")
        self.lines.append(INDENT * indent + text)
        self.last_line = max(self.last_line, end_line)

    def _blank(self) -> None:
        if self.lines and self.lines[-1]:
            self.lines.append("")

    # --- file structure --------------------------------------------------------

    def program(self, program: Program) -> str:
        for let in program.lets:
            self._blank()
            self._let(let)
        if program.lets and program.steps:
            self._blank()
        self._steps(program.steps, 0)
        self._pending_top(sys.maxsize, 0)
        return "\n".join(self.lines) + "\n"

    def _let(self, let: Let) -> None:
        first = let.steps[0]
        self._pending_top(first.span.start, 0)
        text = f"let {let.name} = {self._step(first, 0)}{self._trailing(first.span.end)}"
        self._emit(text, let.span.line, first.span.end_line, 0)
        self._steps(let.steps[1:], 1, first)

    def _steps(self, steps: tuple[Step, ...], indent: int, previous: Step | None = None) -> None:
        for step in steps:
            self._pending_top(step.span.start, indent)
            text = self._step(step, indent) + self._trailing(step.span.end)
            if isinstance(previous, Sort) and not previous.keys and isinstance(step, Join):
                text = "| " + text  # else `left` would read as a sort key
            self._emit(text, step.span.line, step.span.end_line, indent)
            previous = step

    # --- steps ---------------------------------------------------------------

    def _step(self, step: Step, indent: int) -> str:
        """A step's text: first line unindented, later lines fully indented."""
        if isinstance(step, From):
            alias = f" as {step.alias}" if step.alias else ""
            return f"from {step.name}{alias}"
        if isinstance(step, Where):
            return "where " + self._expr(step.condition, indent, 0)
        if isinstance(step, Group):
            head = "group " + ", ".join(step.keys) if step.keys else "group"
            return self._block(head, step.aggregations, indent, step.span.end)
        if isinstance(step, Derive):
            return self._block("derive", step.bindings, indent, step.span.end)
        if isinstance(step, Select):
            return self._select(step, indent)
        if isinstance(step, Join):
            return self._join(step, indent)
        if isinstance(step, Sort):
            keys = ", ".join(k.column + (" desc" if k.descending else "") for k in step.keys)
            return f"sort {keys}" if keys else "sort"
        if isinstance(step, Take):
            return f"take {step.count}"
        if isinstance(step, Distinct):
            return "distinct"
        assert isinstance(step, Replicate)
        return "replicate"

    def _block(self, head: str, bindings: tuple[Binding, ...], indent: int, end: int) -> str:
        inner = INDENT * (indent + 1)
        lines = [head + " {"]
        for i, binding in enumerate(bindings):
            lines.extend(inner + text for text in self._pending(binding.span.start))
            comma = "," if i < len(bindings) - 1 else ""
            value = self._expr(binding.expr, indent + 1, 0)
            lines.append(f"{inner}{binding.name}: {value}{comma}{self._trailing(binding.span.end)}")
        lines.extend(inner + text for text in self._pending(end))
        if len(lines) == 1:
            return head + " {}"
        lines.append(INDENT * indent + "}")
        return "\n".join(lines)

    def _select(self, step: Select, indent: int) -> str:
        items = ["*" if isinstance(item, Star) else _column(item) for item in step.items]
        if not items:
            return "select {}"
        inline = "select { " + ", ".join(items) + " }"
        if len(INDENT * indent + inline) <= _MAX_WIDTH:
            return inline
        inner = INDENT * (indent + 1)
        body = [f"{inner}{item}," for item in items[:-1]] + [inner + items[-1]]
        return "\n".join(["select {", *body, INDENT * indent + "}"])

    def _join(self, step: Join, indent: int) -> str:
        text = "join" if step.kind is JoinKind.INNER else f"{step.kind.value} join"
        text += f" {step.model}"
        if step.alias:
            text += f" as {step.alias}"
        if step.on:
            text += " on " + ", ".join(step.on)
        if not step.keep:
            return text
        inner = INDENT * (indent + 1)
        lines = [text + " {", inner + "keep " + ", ".join(_column(c) for c in step.keep)]
        lines.extend(inner + comment for comment in self._pending(step.span.end))
        lines.append(INDENT * indent + "}")
        return "\n".join(lines)

    # --- expressions -----------------------------------------------------------

    def _expr(self, expr: Expr, indent: int, need: int) -> str:
        """``expr``'s text, parenthesised when it binds looser than ``need``."""
        text = self._bare(expr, indent)
        return f"({text})" if _level(expr) < need else text

    def _bare(self, expr: Expr, indent: int) -> str:
        if isinstance(expr, Binary):
            return self._binary(expr, indent)
        if isinstance(expr, Column):
            return _column(expr)
        if isinstance(expr, Number):
            return expr.text
        if isinstance(expr, String):
            return _string(expr.value)
        if isinstance(expr, Bool):
            return "true" if expr.value else "false"
        if isinstance(expr, Null):
            return "null"
        if isinstance(expr, Date):
            return "@" + expr.value
        if isinstance(expr, Unary):
            operand = self._expr(expr.operand, indent, _UNARY)
            if expr.op == "not":
                return "not " + operand
            return ("- " if operand.startswith("-") else "-") + operand  # `--` is a comment
        if isinstance(expr, IsNull):
            operand = self._expr(expr.operand, indent, _ADDITIVE)
            return operand + (" is not null" if expr.negated else " is null")
        if isinstance(expr, Call):
            args = ", ".join(self._expr(arg, indent, 0) for arg in expr.args)
            over = "" if expr.over is None else " over " + _window(expr.over)
            return f"{expr.name}({args}){over}"
        assert isinstance(expr, Match)
        return self._match(expr, indent)

    def _binary(self, expr: Binary, indent: int) -> str:
        # Iterate down the left spine: a chain like `a or b or ...` may be long.
        spine = [expr]
        innermost = expr
        while isinstance(innermost.left, Binary):
            innermost = innermost.left
            spine.append(innermost)
        text = self._expr(innermost.left, indent, _operand_levels(innermost.op)[0])
        for i in range(len(spine) - 1, -1, -1):
            node = spine[i]
            right = self._expr(node.right, indent, _operand_levels(node.op)[1])
            text = f"{text} {node.op.value} {right}"
            if i and _LEVEL[node.op] < _operand_levels(spine[i - 1].op)[0]:
                text = f"({text})"
        return text

    def _match(self, match: Match, indent: int) -> str:
        inner = INDENT * (indent + 1)
        lines = [f"match {self._expr(match.subject, indent, _ADDITIVE)} {{"]
        for i, arm in enumerate(match.arms):
            lines.extend(inner + text for text in self._pending(arm.span.start))
            if arm.value is None:
                pattern = "_"
            else:
                value = self._expr(arm.value, indent + 1, _ADDITIVE)
                pattern = value if arm.op is None else f"{arm.op.value} {value}"
            result = self._expr(arm.result, indent + 1, 0)
            comma = "," if i < len(match.arms) - 1 else ""
            lines.append(f"{inner}{pattern} => {result}{comma}{self._trailing(arm.span.end)}")
        lines.append(INDENT * indent + "}")
        return "\n".join(lines)


def _column(column: Column) -> str:
    return column.name if column.table is None else f"{column.table}.{column.name}"


def _window(window: Window) -> str:
    parts = []
    if window.partition:
        parts.append("partition " + ", ".join(window.partition))
    if window.order:
        keys = (("-" if k.descending else "") + k.column for k in window.order)
        parts.append("sort " + ", ".join(keys))
    if window.frame is not None:
        frame = window.frame
        parts.append(f"{frame.kind} {frame.start}..{frame.end}")
    return "(" + ", ".join(parts) + ")"
