"""One parse test per grammar production, plus the file-structure rules."""

from __future__ import annotations

import pytest

from rocky.dsl import parse
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
    Replicate,
    Select,
    Sort,
    SortKey,
    Star,
    String,
    Take,
    Unary,
    Where,
    Window,
)


def step(text: str) -> object:
    """The second step of `from t` + text."""
    program = parse("from t\n" + text)
    assert len(program.steps) == 2, program.steps
    return program.steps[1]


def expr(text: str) -> Expr:
    where = step("where " + text)
    assert isinstance(where, Where)
    return where.condition


a, b, c = Column("a"), Column("b"), Column("c")


# --- steps ---------------------------------------------------------------


def test_from() -> None:
    assert parse("from orders").steps == (From(("orders",)),)
    assert parse("from source.fivetran.orders as o").steps == (
        From(("source", "fivetran", "orders"), "o"),
    )
    assert parse("from orders").steps[0].name == "orders"  # type: ignore[union-attr]


def test_where() -> None:
    assert step('where status == "done"') == Where(
        Binary(BinOp.EQ, Column("status"), String("done"))
    )


def test_group_with_and_without_keys() -> None:
    assert step("group customer_id, region { total: sum(amount), n: count() }") == Group(
        ("customer_id", "region"),
        (
            Binding("total", Call("sum", (Column("amount"),))),
            Binding("n", Call("count")),
        ),
    )
    assert step("group { total: sum(amount) }") == Group(
        (), (Binding("total", Call("sum", (Column("amount"),))),)
    )
    assert step("group k {}") == Group(("k",), ())


def test_group_keys_and_bindings_take_optional_commas() -> None:
    assert step("group a b { x: 1 y: 2, }") == Group(
        ("a", "b"), (Binding("x", Number("1")), Binding("y", Number("2")))
    )


def test_derive() -> None:
    assert step('derive { total: a * b, label: "x", }') == Derive(
        (Binding("total", Binary(BinOp.MUL, a, b)), Binding("label", String("x")))
    )
    assert step("derive {}") == Derive(())


def test_select() -> None:
    assert step("select { a, t.b, * }") == Select((a, Column("b", "t"), Star()))
    assert step("select {}") == Select(())


def test_join_inner_with_keep() -> None:
    assert step("join customers as c on customer_id, region { keep c.name, c.email }") == Join(
        JoinKind.INNER,
        "customers",
        "c",
        ("customer_id", "region"),
        (Column("name", "c"), Column("email", "c")),
    )


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("left join m on k", JoinKind.LEFT),
        ("left_join m on k", JoinKind.LEFT),
        ("right join m on k", JoinKind.RIGHT),
        ("right_join m on k", JoinKind.RIGHT),
        ("full join m on k", JoinKind.FULL),
        ("full_join m on k", JoinKind.FULL),
        ("join m on k", JoinKind.INNER),
    ],
)
def test_join_kinds(text: str, kind: JoinKind) -> None:
    assert step(text) == Join(kind, "m", None, ("k",))


def test_cross_join() -> None:
    assert step("cross join dates as d") == Join(JoinKind.CROSS, "dates", "d")
    assert step("cross_join dates { keep dates.day }") == Join(
        JoinKind.CROSS, "dates", None, (), (Column("day", "dates"),)
    )


def test_join_words_are_plain_names_elsewhere() -> None:
    assert step("select { left, right }") == Select((Column("left"), Column("right")))
    assert expr("cross == full") == Binary(BinOp.EQ, Column("cross"), Column("full"))


def test_sort() -> None:
    assert step("sort amount desc, name asc, id") == Sort(
        (SortKey("amount", True), SortKey("name"), SortKey("id"))
    )


def test_take_distinct_replicate() -> None:
    assert step("take 1_000") == Take(1000)
    assert step("distinct") == Distinct()
    assert step("replicate") == Replicate()


def test_newlines_and_pipes_between_steps_mean_nothing() -> None:
    one_line = parse("from t | where x | take 5")
    assert one_line == parse("from t\nwhere x\n\ntake 5\n")
    assert one_line == parse("| from t || where x | | take 5 |".replace("||", "| |"))


def test_steps_may_share_a_line_without_pipes() -> None:
    assert parse("from t where x take 5") == parse("from t\nwhere x\ntake 5")


def test_comments() -> None:
    assert parse("-- head\nfrom t -- tail\n-- end") == parse("from t")


# --- let bindings --------------------------------------------------------


def test_let_bindings_end_at_the_next_from() -> None:
    program = parse(
        """
        let active = from users
            where is_active == true
        let recent = from orders | sort day desc
        from active
        join recent on user_id
        """
    )
    assert program.lets == (
        Let(
            "active",
            (From(("users",)), Where(Binary(BinOp.EQ, Column("is_active"), Bool(True)))),
        ),
        Let("recent", (From(("orders",)), Sort((SortKey("day", True),)))),
    )
    assert program.steps == (
        From(("active",)),
        Join(JoinKind.INNER, "recent", None, ("user_id",)),
    )


def test_a_file_of_only_lets() -> None:
    program = parse("let a = from t")
    assert program.lets == (Let("a", (From(("t",)),)),)
    assert program.steps == ()


# --- expressions ---------------------------------------------------------


def test_literals() -> None:
    assert expr("1_000") == Number("1_000")
    assert Number("1_000").value == "1000"
    assert expr("3.14") == Number("3.14")
    assert expr("'it'") == String("it")
    assert expr("true") == Bool(True)
    assert expr("false") == Bool(False)
    assert expr("null") == Null()
    assert expr("@2025-01-01T10:30:00Z") == Date("2025-01-01T10:30:00Z")


def test_columns() -> None:
    assert expr("amount") == Column("amount")
    assert expr("o.amount") == Column("amount", "o")


@pytest.mark.parametrize("op", ["==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "%"])
def test_binary_operators(op: str) -> None:
    assert expr(f"a {op} b") == Binary(BinOp(op), a, b)


def test_and_or_not() -> None:
    assert expr("a and b or not c") == Binary(BinOp.OR, Binary(BinOp.AND, a, b), Unary("not", c))


def test_is_null() -> None:
    assert expr("a is null") == IsNull(a)
    assert expr("a + 1 is not null") == IsNull(Binary(BinOp.ADD, a, Number("1")), negated=True)


def test_precedence_loosest_to_tightest() -> None:
    # or < and < comparison < + - < * / % < prefix not, -
    assert expr("a or b and c") == Binary(BinOp.OR, a, Binary(BinOp.AND, b, c))
    assert expr("a == b + c * -a") == Binary(
        BinOp.EQ, a, Binary(BinOp.ADD, b, Binary(BinOp.MUL, c, Unary("-", a)))
    )
    # prefix `not` binds tightest: `not a == b` is `(not a) == b`
    assert expr("not a == b") == Binary(BinOp.EQ, Unary("not", a), b)
    assert expr("(a + b) * c") == Binary(BinOp.MUL, Binary(BinOp.ADD, a, b), c)
    assert expr("a - b - c") == Binary(BinOp.SUB, Binary(BinOp.SUB, a, b), c)


def test_calls() -> None:
    assert expr("count()") == Call("count")
    assert expr('coalesce(email, "unknown")') == Call(
        "coalesce", (Column("email"), String("unknown"))
    )
    assert expr("f(a b)") == Call("f", (a, b))  # commas between arguments are optional


def test_window_calls() -> None:
    assert expr("row_number() over (partition customer_id, sort -order_date)") == Call(
        "row_number",
        (),
        Window(("customer_id",), (SortKey("order_date", True),)),
    )
    assert expr("sum(x) over (sort d, partition a, b, rows unbounded..current)") == Call(
        "sum",
        (Column("x"),),
        Window(("a", "b"), (SortKey("d"),), Frame("rows", "unbounded", "current")),
    )
    assert expr("avg(x) over (range 3..2)") == Call(
        "avg", (Column("x"),), Window(frame=Frame("range", 3, 2))
    )
    assert expr("count() over ()") == Call("count", (), Window())


def test_match() -> None:
    assert expr('match amount { > 10 => "x", v => "y", != 3 => "z", _ => "w", }') == Match(
        Column("amount"),
        (
            MatchArm(BinOp.GT, Number("10"), String("x")),
            MatchArm(None, Column("v"), String("y")),
            MatchArm(BinOp.NE, Number("3"), String("z")),
            MatchArm(None, None, String("w")),
        ),
    )


def test_match_subject_is_additive() -> None:
    assert expr("match a * b { 1 => 2 }") == Match(
        Binary(BinOp.MUL, a, b), (MatchArm(None, Number("1"), Number("2")),)
    )


def test_spans_point_at_steps_and_do_not_affect_equality() -> None:
    program = parse("from t\n\n  where x\n")
    where = program.steps[1]
    assert (where.span.line, where.span.col) == (3, 3)
    assert program == parse("from t | where x")
