"""`format_source`: canonical layout, comments kept, idempotent, meaning-preserving."""

from __future__ import annotations

import random

import pytest
from dsl_strategies import programs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rocky.dsl import DslSyntaxError, ast, format_source, parse
from rocky.dsl.fmt import format_program
from rocky.dsl.tokens import EOF, tokenize


def check(text: str, expected: str) -> None:
    assert format_source(text) == expected
    assert format_source(expected) == expected
    assert parse(expected) == parse(text)


def test_canonical_layout() -> None:
    check(
        "  from raw_orders as o | where status!='cancelled'   and amount>0\n"
        "left_join customers as c on customer_id {keep c.name,c.email}\n"
        "group customer_id { total_revenue: sum(amount), order_count: count(), }\n"
        "where total_revenue > 0 | sort total_revenue desc , id asc | take 1_000\n"
        "select {customer_id,*}|distinct",
        "from raw_orders as o\n"
        'where status != "cancelled" and amount > 0\n'
        "left join customers as c on customer_id {\n"
        "    keep c.name, c.email\n"
        "}\n"
        "group customer_id {\n"
        "    total_revenue: sum(amount),\n"
        "    order_count: count()\n"
        "}\n"
        "where total_revenue > 0\n"
        "sort total_revenue desc, id\n"
        "take 1000\n"
        "select { customer_id, * }\n"
        "distinct\n",
    )


def test_expressions() -> None:
    check(
        "from t\nwhere ((a+b))*c>=-1 or not(x is not null) and f(a b,) == 'q'\n",
        'from t\nwhere (a + b) * c >= -1 or not (x is not null) and f(a, b) == "q"\n',
    )
    check("from t | where - -x == 1 | where a - (b - c) == 0",
          "from t\nwhere - -x == 1\nwhere a - (b - c) == 0\n")  # fmt: skip
    check("from t | where 'say \"hi\"' == x", "from t\nwhere 'say \"hi\"' == x\n")


def test_windows_matches_and_lets() -> None:
    check(
        "let ranked = from orders\n"
        "derive { rn: row_number() over (sort -d partition c,), "
        "tier: match amount { > 10 => 'big' 5 => \"five\", _ => 'small' } }\n"
        "from ranked | where rn == 1 | cross_join dates",
        "let ranked = from orders\n"
        "    derive {\n"
        "        rn: row_number() over (partition c, sort -d),\n"
        "        tier: match amount {\n"
        '            > 10 => "big",\n'
        '            5 => "five",\n'
        '            _ => "small"\n'
        "        }\n"
        "    }\n"
        "\n"
        "from ranked\n"
        "where rn == 1\n"
        "cross join dates\n",
    )


def test_empty_blocks() -> None:
    check("from t group { } derive {} select {} sort take 1",
          "from t\ngroup {}\nderive {}\nselect {}\nsort\ntake 1\n")  # fmt: skip


def test_long_select_wraps() -> None:
    cols = ", ".join(f"column_number_{i}" for i in range(8))
    out = format_source(f"from t | select {{ {cols} }}")
    assert out.splitlines()[1] == "select {"
    assert out.splitlines()[2] == "    column_number_0,"
    assert format_source(out) == out


def test_comments_are_kept() -> None:
    check(
        "-- header\n"
        "\n"
        "from raw_orders   -- the source\n"
        "where x -- keep rows\n"
        "  and y\n"
        "group k {  -- block\n"
        "  -- about total\n"
        "  total: sum(a), -- trailing\n"
        "  n: match z { 1 => 2, -- one\n"
        "     _ => 3 }\n"
        "  -- before close\n"
        "}  -- after group\n"
        "\n"
        "\n"
        "\n"
        "take 5\n"
        "-- footer\n",
        "-- header\n"
        "\n"
        "from raw_orders  -- the source\n"
        "where x and y\n"
        "-- keep rows\n"
        "group k {\n"
        "    -- block\n"
        "    -- about total\n"
        "    total: sum(a),  -- trailing\n"
        "    n: match z {\n"
        "        1 => 2,  -- one\n"
        "        _ => 3\n"
        "    }\n"
        "    -- before close\n"
        "}  -- after group\n"
        "\n"
        "take 5\n"
        "-- footer\n",
    )


def test_blank_lines_between_steps_collapse_to_one() -> None:
    check("from t\n\n\n\nwhere x\ntake 1\n\n", "from t\n\nwhere x\ntake 1\n")


def test_an_empty_sort_before_a_join_keeps_its_separator() -> None:
    program = parse("from t | sort | left join c on k")
    assert program.steps[1] == ast.Sort(())
    check("from t | sort | left join c on k", "from t\nsort\n| left join c on k\n")


def test_invalid_input_raises() -> None:
    with pytest.raises(DslSyntaxError):
        format_source("from t\nwhere")


# --- properties ------------------------------------------------------------------

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(programs())
def test_printing_a_tree_parses_back_to_it(program: ast.Program) -> None:
    text = format_program(program)
    assert parse(text) == program
    assert format_source(text) == text


@FAST
@given(programs(), st.randoms(use_true_random=False))
def test_any_layout_formats_to_the_same_text(program: ast.Program, rnd: random.Random) -> None:
    canonical = format_program(program)
    messy = relayout(canonical, rnd)
    formatted = format_source(messy)
    assert parse(formatted) == program
    assert format_source(formatted) == formatted
    comments = [line for line in messy.splitlines() if "-- c" in line]
    for i in range(len(comments)):
        assert f"-- c{i}" in formatted


def relayout(text: str, rnd: random.Random) -> str:
    """The same tokens with random blanks, newlines and comments between them."""
    out: list[str] = []
    comments = 0
    for tok in tokenize(text):
        if tok.kind == EOF:
            break
        out.append(tok.text)
        choice = rnd.random()
        if choice < 0.15:
            out.append(f"  -- c{comments}\n")
            comments += 1
        elif choice < 0.3:
            out.append("\n" * rnd.randint(1, 3) + " " * rnd.randint(0, 6))
        else:
            out.append(" " * rnd.randint(1, 2))
    return "".join(out)
