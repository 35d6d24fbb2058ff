"""Fuzzing: whatever the input, the DSL raises DslSyntaxError or succeeds.

Random text, soups of DSL tokens and random mutations of valid programs go
through parse, lower, SQL rendering and formatting. Nothing may raise another
exception (RecursionError included), and what parses must format to text
that parses to the same tree.
"""

from __future__ import annotations

import random

import pytest
from dsl_strategies import programs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rocky.dsl import DslSyntaxError, ast, format_source, lower, parse
from rocky.dsl.fmt import format_program
from rocky.dsl.tokens import EOF, tokenize

pytestmark = pytest.mark.slow

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))

VOCABULARY = [
    "from", "where", "group", "derive", "select", "join", "sort", "take", "distinct",
    "replicate", "let", "as", "on", "keep", "asc", "desc", "and", "or", "not", "is", "null",
    "true", "false", "match", "over", "partition", "rows", "range", "unbounded", "current",
    "by", "check", "in", "order", "union", "window", "left", "right", "full", "cross",
    "left_join", "cross_join", "{", "}", "(", ")", "[", "]", ":", ",", ".", "..", "*", "+",
    "-", "/", "%", "==", "!=", "<", "<=", ">", ">=", "=", "=>", "|", "_", "--",
    "a", "b", "t", "x1", "f", "1", "2_000", "3.5", '"s"', "'it''", "@2025-01-01",
    "@2025-01-01T10:30:00Z", "\n", "-- note\n", "(((((", ")))))", "not not not",
]  # fmt: skip


def exercise(text: str) -> None:
    """Run every entry point; only DslSyntaxError may escape."""
    try:
        program = parse(text)
    except DslSyntaxError:
        return
    formatted = format_source(text)
    assert format_source(formatted) == formatted
    assert parse(formatted) == program
    for dialect in (None, "duckdb"):
        try:
            query = lower(program, dialect=dialect)
        except DslSyntaxError:
            return
        assert query.sql(dialect=dialect)


@FUZZ
@given(st.text(max_size=300))
def test_random_text(text: str) -> None:
    exercise(text)


@FUZZ
@given(st.lists(st.sampled_from(VOCABULARY), max_size=60), st.randoms(use_true_random=False))
def test_token_soup(words: list[str], rnd: random.Random) -> None:
    exercise("".join(word + rnd.choice([" ", "  ", "\n", ""]) for word in words))


@FUZZ
@given(st.lists(st.sampled_from(VOCABULARY), max_size=40))
def test_token_soup_after_a_from(words: list[str]) -> None:
    exercise("from t\n" + " ".join(words))


@FUZZ
@given(programs(), st.randoms(use_true_random=False), st.integers(1, 4))
def test_mutated_programs(program: ast.Program, rnd: random.Random, mutations: int) -> None:
    words = [tok.text for tok in tokenize(format_program(program)) if tok.kind != EOF]
    for _ in range(mutations):
        mutate(words, rnd)
    exercise(" ".join(words))


@FUZZ
@given(programs())
def test_valid_programs_lower_and_render(program: ast.Program) -> None:
    text = format_program(program)
    assert parse(text) == program
    for dialect in (None, "duckdb", "snowflake", "bigquery"):
        query = lower(program, dialect=dialect)
        assert query.sql(dialect=dialect)


def mutate(words: list[str], rnd: random.Random) -> None:
    if not words:
        words.append(rnd.choice(VOCABULARY))
        return
    i = rnd.randrange(len(words))
    action = rnd.randrange(6)
    if action == 0:
        del words[i]
    elif action == 1:
        words.insert(i, words[i])
    elif action == 2 and i + 1 < len(words):
        words[i], words[i + 1] = words[i + 1], words[i]
    elif action == 3:
        words.insert(i, rnd.choice(VOCABULARY))
    elif action == 4:
        words[i] = rnd.choice(VOCABULARY)
    else:
        depth = rnd.choice([10, 40, 300])
        words[i:i] = [rnd.choice(["(", "not", "-", "f(", "match"])] * depth
