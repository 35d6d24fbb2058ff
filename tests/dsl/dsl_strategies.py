"""Hypothesis strategies for valid `.rocky` programs, built as syntax trees.

Printed with the formatter, every generated tree parses back to itself; the
fuzz and formatter tests rely on that. Trees stay shallow enough for the
parser's depth limit.
"""

from __future__ import annotations

from datetime import date

from hypothesis import strategies as st

from rocky.dsl import ast
from rocky.dsl.tokens import KEYWORDS

names = st.from_regex(r"[a-z][a-z0-9_]{0,7}", fullmatch=True).filter(lambda s: s not in KEYWORDS)
# Names that read as join words in some positions are worth generating too.
idents = st.one_of(names, st.sampled_from(["left", "right", "full", "cross", "_x", "Amount"]))

numbers = st.from_regex(r"[0-9][0-9_]{0,5}(\.[0-9][0-9_]{0,3})?", fullmatch=True).map(ast.Number)
strings = (
    st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
    .filter(lambda s: not ('"' in s and "'" in s))
    .map(ast.String)
)


@st.composite
def dates(draw: st.DrawFn) -> ast.Date:
    day = draw(st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)))
    text = f"{day.year:04d}-{day.month:02d}-{day.day:02d}"
    if draw(st.booleans()):
        h, m, s = draw(st.tuples(st.integers(0, 23), st.integers(0, 59), st.integers(0, 59)))
        text += f"T{h:02d}:{m:02d}:{s:02d}" + draw(st.sampled_from(["", "Z"]))
    return ast.Date(text)


columns = st.builds(ast.Column, idents, st.one_of(st.none(), idents))
leaves = st.one_of(
    columns,
    numbers,
    strings,
    st.builds(ast.Bool, st.booleans()),
    st.just(ast.Null()),
    dates(),
)

bounds = st.one_of(st.sampled_from(["unbounded", "current"]), st.integers(0, 2**63 - 1))
windows = st.builds(
    ast.Window,
    st.lists(idents, max_size=2).map(tuple),
    st.lists(st.builds(ast.SortKey, idents, st.booleans()), max_size=2).map(tuple),
    st.one_of(st.none(), st.builds(ast.Frame, st.sampled_from(["rows", "range"]), bounds, bounds)),
)
comparisons = st.sampled_from(sorted(ast.COMPARISONS))


def _extend(children: st.SearchStrategy[ast.Expr]) -> st.SearchStrategy[ast.Expr]:
    arm = st.builds(ast.MatchArm, st.one_of(st.none(), comparisons), children, children)
    default = st.builds(ast.MatchArm, st.none(), st.none(), children)

    @st.composite
    def matches(draw: st.DrawFn) -> ast.Match:
        arms = draw(st.lists(arm, max_size=3))
        if not arms or draw(st.booleans()):
            arms.append(draw(default))
        return ast.Match(draw(children), tuple(arms))

    return st.one_of(
        st.builds(ast.Binary, st.sampled_from(list(ast.BinOp)), children, children),
        st.builds(ast.Unary, st.sampled_from(["not", "-"]), children),
        st.builds(ast.IsNull, children, st.booleans()),
        st.builds(
            ast.Call,
            idents,
            st.lists(children, max_size=3).map(tuple),
            st.one_of(st.none(), windows),
        ),
        matches(),
    )


expressions: st.SearchStrategy[ast.Expr] = st.recursive(leaves, _extend, max_leaves=12)

bindings = st.lists(st.builds(ast.Binding, idents, expressions), max_size=3).map(tuple)
select_items = st.one_of(st.just(ast.Star()), columns)


@st.composite
def joins(draw: st.DrawFn) -> ast.Join:
    kind = draw(st.sampled_from(list(ast.JoinKind)))
    on = () if kind is ast.JoinKind.CROSS else tuple(draw(st.lists(idents, min_size=1, max_size=2)))
    return ast.Join(
        kind,
        draw(idents),
        draw(st.one_of(st.none(), idents)),
        on,
        tuple(draw(st.lists(columns, max_size=2))),
    )


froms = st.builds(
    ast.From, st.lists(idents, min_size=1, max_size=4).map(tuple), st.one_of(st.none(), idents)
)
later_steps: st.SearchStrategy[ast.Step] = st.one_of(
    st.builds(ast.Where, expressions),
    st.builds(ast.Group, st.lists(idents, max_size=3).map(tuple), bindings),
    st.builds(ast.Derive, bindings),
    st.builds(ast.Select, st.lists(select_items, max_size=4).map(tuple)),
    joins(),
    st.builds(
        ast.Sort, st.lists(st.builds(ast.SortKey, idents, st.booleans()), max_size=3).map(tuple)
    ),
    st.builds(ast.Take, st.integers(0, 2**64 - 1)),
    st.just(ast.Distinct()),
    st.just(ast.Replicate()),
)


@st.composite
def pipelines(draw: st.DrawFn, *, max_steps: int = 6) -> tuple[ast.Step, ...]:
    """A `from` followed by any steps (later `from`s included)."""
    rest = draw(st.lists(st.one_of(later_steps, froms), max_size=max_steps))
    return (draw(froms), *rest)


@st.composite
def let_pipelines(draw: st.DrawFn) -> tuple[ast.Step, ...]:
    """A let body: one `from` first, none after (a second one ends the let)."""
    return (draw(froms), *draw(st.lists(later_steps, max_size=4)))


lets = st.builds(ast.Let, idents, let_pipelines())


@st.composite
def programs(draw: st.DrawFn) -> ast.Program:
    return ast.Program(tuple(draw(st.lists(lets, max_size=2))), draw(pipelines()))
