"""Where exactly the nesting limit trips.

The depth is counted the way the original tool counts it: an expression
enters seven grammar levels before reaching an operand (or, and,
comparison, additive, multiplicative, unary, primary), each prefix `not` or
`-` enters the unary level once more, and a parenthesis starts a new
expression one level below its primary. The first level entered at depth
``MAX_EXPR_DEPTH`` fails, on the token being looked at then.
"""

from __future__ import annotations

import pytest

from rocky.dsl import MAX_EXPR_DEPTH, DslSyntaxError, parse

PREFIX = "from t\nwhere "  # the expression starts on line 2, column 7
LIMIT_MESSAGE = (
    f"expression nested too deeply: depth {MAX_EXPR_DEPTH + 1} exceeds limit {MAX_EXPR_DEPTH}"
)


def trips_at(expression: str) -> tuple[int | None, int | None] | None:
    """The (line, col) where the limit trips, or None when it parses."""
    try:
        parse(PREFIX + expression)
    except DslSyntaxError as err:
        assert err.message == LIMIT_MESSAGE
        return err.line, err.col
    return None


def test_parentheses_cost_eight_levels_each() -> None:
    # The innermost operand sits at depth 8 * n + 7.
    fits = (MAX_EXPR_DEPTH - 7 - 1) // 8
    assert trips_at("(" * fits + "a" + ")" * fits) is None
    n = fits + 1
    # It trips on the innermost operand, after the last `(`.
    assert trips_at("(" * n + "a" + ")" * n) == (2, 7 + n)


@pytest.mark.parametrize("op", ["not ", "- "])
def test_prefix_operators_cost_one_level_each(op: str) -> None:
    width = len(op)
    fits = MAX_EXPR_DEPTH - 7 - 1  # the operand after k prefixes is at depth 7 + k
    assert trips_at(op * fits + "a") is None
    # One prefix more: the operand's own level is the first too deep.
    assert trips_at(op * (fits + 1) + "a") == (2, 7 + width * (fits + 1))
    # Two more: the unary level entered for the operand trips, on the operand.
    assert trips_at(op * (fits + 2) + "a") == (2, 7 + width * (fits + 2))
    # Many more: it trips on the first prefix entered at the limit.
    first_too_deep = MAX_EXPR_DEPTH - 6 + 1  # 1-based index of that prefix
    assert trips_at(op * (fits + 40) + "a") == (2, 7 + width * (first_too_deep - 1))


def test_right_operand_of_a_product_starts_at_the_unary_level() -> None:
    # `a * <k prefixes> b`: the right operand's unary level is at depth 6,
    # like the left operand's, so the boundary is the same as above.
    fits = MAX_EXPR_DEPTH - 7 - 1
    assert trips_at("a * " + "- " * fits + "b") is None
    assert trips_at("a * " + "- " * (fits + 1) + "b") is not None


def test_a_comparison_operand_nested_in_parentheses() -> None:
    # `(a + (a + ... b) ...)`: each level is a parenthesis (8) around an
    # additive right operand (no extra cost: it re-enters a level it left).
    fits = (MAX_EXPR_DEPTH - 7 - 1) // 8
    body = "(a + " * fits + "b" + ")" * fits
    assert trips_at(body + " > 1") is None
    deeper = "(a + " * (fits + 1) + "b" + ")" * (fits + 1)
    assert trips_at(deeper + " > 1") is not None
