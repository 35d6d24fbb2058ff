"""The typed syntax tree of a `.rocky` file.

Nodes are frozen dataclasses. Source positions (``span``) are excluded from
equality, so two parses of differently laid out text compare equal when they
mean the same pipeline; the formatter's round-trip test relies on this.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal, NamedTuple

__all__ = [
    "COMPARISONS",
    "NOWHERE",
    "BinOp",
    "Binary",
    "Binding",
    "Bool",
    "Bound",
    "Call",
    "Column",
    "Date",
    "Derive",
    "Distinct",
    "Expr",
    "Frame",
    "From",
    "Group",
    "IsNull",
    "Join",
    "JoinKind",
    "Let",
    "Match",
    "MatchArm",
    "Null",
    "Number",
    "Program",
    "Replicate",
    "Select",
    "SelectItem",
    "Sort",
    "SortKey",
    "Span",
    "Star",
    "Step",
    "String",
    "Take",
    "Unary",
    "Where",
    "Window",
]


class Span(NamedTuple):
    """Where a node sits in the source: 1-based line/col of its first token,
    offsets of its first and last characters, and the line it ends on."""

    line: int
    col: int
    start: int
    end: int
    end_line: int


NOWHERE = Span(0, 0, 0, 0, 0)


class BinOp(StrEnum):
    """Binary operators, spelled as in the DSL."""

    OR = "or"
    AND = "and"
    EQ = "=="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    ADD = "+"
    SUB = "-"
    MUL = "*"
    DIV = "/"
    MOD = "%"


COMPARISONS = frozenset({BinOp.EQ, BinOp.NE, BinOp.LT, BinOp.LE, BinOp.GT, BinOp.GE})


class JoinKind(StrEnum):
    INNER = "inner"
    LEFT = "left"
    RIGHT = "right"
    FULL = "full"
    CROSS = "cross"


# --- expressions -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Column:
    """`name` or `table.name`."""

    name: str
    table: str | None = None


@dataclass(frozen=True, slots=True)
class Number:
    """A numeric literal as written; ``value`` drops the `_` separators."""

    text: str

    @property
    def value(self) -> str:
        return self.text.replace("_", "")


@dataclass(frozen=True, slots=True)
class String:
    value: str


@dataclass(frozen=True, slots=True)
class Bool:
    value: bool


@dataclass(frozen=True, slots=True)
class Null:
    pass


@dataclass(frozen=True, slots=True)
class Date:
    """`@2025-01-01` or `@2025-01-01T10:30:00Z`; ``value`` has no `@`."""

    value: str


@dataclass(frozen=True, slots=True)
class Binary:
    op: BinOp
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Unary:
    """Prefix `not` or `-`."""

    op: Literal["not", "-"]
    operand: Expr


@dataclass(frozen=True, slots=True)
class IsNull:
    operand: Expr
    negated: bool = False


Bound = Literal["unbounded", "current"] | int


@dataclass(frozen=True, slots=True)
class Frame:
    """`rows|range start..end`."""

    kind: Literal["rows", "range"]
    start: Bound
    end: Bound


@dataclass(frozen=True, slots=True)
class SortKey:
    column: str
    descending: bool = False


@dataclass(frozen=True, slots=True)
class Window:
    """The `over (...)` of a call."""

    partition: tuple[str, ...] = ()
    order: tuple[SortKey, ...] = ()
    frame: Frame | None = None


@dataclass(frozen=True, slots=True)
class Call:
    name: str
    args: tuple[Expr, ...] = ()
    over: Window | None = None


@dataclass(frozen=True, slots=True)
class MatchArm:
    """`op value => result`; ``op`` is None for a bare value (meaning `==`),
    and ``value`` is None for the `_` arm."""

    op: BinOp | None
    value: Expr | None
    result: Expr
    span: Span = field(default=NOWHERE, compare=False, repr=False)

    @property
    def is_default(self) -> bool:
        return self.value is None


@dataclass(frozen=True, slots=True)
class Match:
    subject: Expr
    arms: tuple[MatchArm, ...]


Expr = Column | Number | String | Bool | Null | Date | Binary | Unary | IsNull | Call | Match


# --- steps -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Binding:
    """`name: expr` inside `group { }` or `derive { }`."""

    name: str
    expr: Expr
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class From:
    """`from a.b.c [as x]`; ``parts`` holds the dotted name."""

    parts: tuple[str, ...]
    alias: str | None = None
    span: Span = field(default=NOWHERE, compare=False, repr=False)

    @property
    def name(self) -> str:
        return ".".join(self.parts)


@dataclass(frozen=True, slots=True)
class Where:
    condition: Expr
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Group:
    keys: tuple[str, ...]
    aggregations: tuple[Binding, ...]
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Derive:
    bindings: tuple[Binding, ...]
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Star:
    pass


SelectItem = Column | Star


@dataclass(frozen=True, slots=True)
class Select:
    items: tuple[SelectItem, ...]
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Join:
    """``on`` is empty for a cross join; ``keep`` holds the `{ keep ... }`."""

    kind: JoinKind
    model: str
    alias: str | None = None
    on: tuple[str, ...] = ()
    keep: tuple[Column, ...] = ()
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Sort:
    keys: tuple[SortKey, ...]
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Take:
    count: int
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Distinct:
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Replicate:
    span: Span = field(default=NOWHERE, compare=False, repr=False)


Step = From | Where | Group | Derive | Select | Join | Sort | Take | Distinct | Replicate


@dataclass(frozen=True, slots=True)
class Let:
    """`let name = steps`: a named sub-pipeline, lowered to a CTE."""

    name: str
    steps: tuple[Step, ...]
    span: Span = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Program:
    """A whole file: `let` bindings, then the main pipeline."""

    lets: tuple[Let, ...]
    steps: tuple[Step, ...]
    path: str = field(default="<string>", compare=False)
    end: Span = field(default=NOWHERE, compare=False, repr=False)
