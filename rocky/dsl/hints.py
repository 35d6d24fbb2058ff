"""Suggestions attached to parse errors: the common slips, named.

Most slips come from SQL or PRQL habits (`filter`, `limit`, `=`, `<>`,
`count(*)`, `left outer join`), so the hints name the DSL spelling.
"""

from __future__ import annotations

from difflib import get_close_matches

from rocky.dsl.tokens import IDENT, KEYWORDS, Token

__all__ = ["hint_for"]

_STEP_WORDS = (
    "from", "where", "group", "derive", "select", "join", "sort", "take",
    "distinct", "replicate", "left_join", "right_join", "full_join", "cross_join",
)  # fmt: skip

_SYNONYMS = {
    "filter": "where",
    "having": "where",
    "limit": "take",
    "head": "take",
    "top": "take",
    "order_by": "sort",
    "orderby": "sort",
    "mutate": "derive",
    "extend": "derive",
    "with": "derive",
    "aggregate": "group",
    "summarize": "group",
    "group_by": "group",
    "groupby": "group",
    "unique": "distinct",
    "inner": "join",
    "inner_join": "join",
}

_RESERVED_UNUSED = frozenset({"by", "check", "in", "order", "union", "window"})


def hint_for(expected: str, found: Token, previous: Token) -> str | None:
    """A suggestion for "expected ``expected``, found ``found``", or None."""
    kind = found.kind
    if kind == "=" and expected in ("pipeline step", "expression", ")", "}"):
        return "did you mean `==`?"
    if kind == ">" and previous.kind == "<":
        return "write `!=` for 'not equal'"
    if expected == "pipeline step":
        return _step_hint(found, previous)
    if kind == "_":
        return "`_` is only the default arm of a `match`"
    if kind == "as" and expected == "}":
        return "`select` only picks columns; rename one with `derive { new: old }`"
    if kind in KEYWORDS:
        if kind == "distinct" and previous.kind == "(":
            return "`count(distinct x)` is not supported; add a `distinct` step first"
        if kind in ("desc", "asc") and expected == ")":
            return "inside `over (...)` write `sort -col` for descending"
        if kind == "by":
            return "no `by` is needed: write `group key { ... }` or `sort key`"
        return f"'{kind}' is a reserved word; it cannot name a column, model or alias"
    if kind == "*" and previous.kind == "(":
        return "write `count()` to count rows"
    return None


def _step_hint(found: Token, previous: Token) -> str | None:
    kind = found.kind
    if previous.kind == "|" and kind == ">":
        return "steps are separated by newlines or `|`; there is no `|>`"
    if kind == "let":
        return "`let` bindings must come before the main pipeline"
    if kind == "order":
        return "did you mean `sort`?"
    if kind in _RESERVED_UNUSED:
        return f"'{kind}' is reserved but not supported yet"
    if kind in ("==", "!=", "<", "<=", ">", ">="):
        return "comparisons do not chain: write `a < b and b < c`"
    if kind == "-":
        return "write `sort col desc`; the `-col` form is only for `over (sort -col)`"
    if kind != IDENT:
        return "each step starts with a keyword: from, where, group, derive, select, ..."
    word = found.value.lower()
    if word in ("left", "right", "full", "cross", "outer"):
        side = "left" if word == "outer" else word
        return f"did you mean `{side} join`?"
    if word in _SYNONYMS:
        return f"did you mean `{_SYNONYMS[word]}`?"
    close = get_close_matches(word, _STEP_WORDS, n=1, cutoff=0.75)
    if close:
        return f"did you mean `{close[0].replace('_', ' ')}`?"
    return "each step starts with a keyword; did you miss an operator or a comma before it?"
