"""The portability lint (P001): SQL that will not run on a target warehouse.

Two sources of findings, both error-severity P001 diagnostics carrying the
exact line and column of the offending token:

1. The catalog: the functions in ``CATALOG``, ``QUALIFY``, ``ILIKE`` and
   ``FLATTEN`` used as a table function. Each has a known set of native
   dialects and is flagged when the target is not one of them.
2. Anything else sqlglot reports it cannot render faithfully for the target
   (an argument it would drop, an ordering it cannot express).

Detection walks the parsed AST, so a name inside a string literal or a
column called ``nvl`` never trips it. SQL that does not parse yields no
findings: parse errors are the compiler's to report, once.

Suppression: ``allow`` (project-wide) and ``-- rocky-allow: A, B`` comment
lines in the model (per model), both case-insensitive on construct names.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Final

from rocky.diagnostics import Diagnostic, Severity, Span
from rocky.errors import RockyError

__all__ = [
    "CATALOG",
    "DIALECT_NAMES",
    "Issue",
    "check_call",
    "detect",
    "generate_recording",
    "lint",
    "normalize_dialect",
    "parse_pragmas",
]

_DBX, _SF, _BQ, _DUCK = "databricks", "snowflake", "bigquery", "duckdb"
_ALL: Final = (_DBX, _SF, _BQ, _DUCK)
_ALIASES: Final = {"dbx": _DBX, "sf": _SF, "bq": _BQ, "duck": _DUCK} | {d: d for d in _ALL}
DIALECT_NAMES: Final = {_DBX: "Databricks", _SF: "Snowflake", _BQ: "BigQuery", _DUCK: "DuckDB"}

# Function name -> the dialects that support it natively, in message order.
CATALOG: Final[dict[str, tuple[str, ...]]] = {
    "NVL": (_SF, _DBX),
    "IFNULL": (_BQ, _DUCK),
    "DATEADD": (_SF, _DBX),
    "DATEDIFF": (_SF, _DBX),
    "DATE_ADD": (_BQ, _DBX),
    "DATE_DIFF": (_BQ, _DBX),
    "TO_VARCHAR": (_SF,),
    "TO_CHAR": (_SF, _DBX, _DUCK),
    "TO_DATE": (_SF, _DBX, _DUCK),
    "TO_TIMESTAMP": (_SF, _DBX, _DUCK),
    "PARSE_DATE": (_BQ,),
    "PARSE_TIMESTAMP": (_BQ,),
    "FORMAT_TIMESTAMP": (_BQ,),
    "LEN": (_SF,),
    "CHARINDEX": (_SF,),
    "ARRAY_SIZE": (_SF,),
    "DATE_FORMAT": (_DBX, _DUCK),
}
_KEYWORDS: Final = {"QUALIFY": (_SF, _DBX, _BQ), "ILIKE": (_SF, _DUCK, _DBX)}
_FLATTEN_NATIVE: Final = (_SF,)

# The fix in words: (construct, target) first, then construct alone.
_ADVICE: Final[dict[tuple[str, str | None], str]] = {
    ("NVL", _BQ): "replace NVL(...) with IFNULL(...) or COALESCE(...)",
    ("NVL", _DUCK): "replace NVL(...) with COALESCE(...)",
    ("IFNULL", None): "replace IFNULL(...) with COALESCE(...)",
    ("DATEADD", _BQ): "replace DATEADD(...) with DATE_ADD(...)",
    ("DATEDIFF", _BQ): "replace DATEDIFF(...) with DATE_DIFF(...)",
    ("DATE_ADD", _SF): "replace DATE_ADD(...) with DATEADD(...)",
    ("DATE_DIFF", _SF): "replace DATE_DIFF(...) with DATEDIFF(...)",
    (
        "TO_VARCHAR",
        _BQ,
    ): "replace TO_VARCHAR(...) with FORMAT_TIMESTAMP(...) or CAST(... AS STRING)",
    ("TO_VARCHAR", _DBX): "replace TO_VARCHAR(...) with DATE_FORMAT(...) or CAST(... AS STRING)",
    ("TO_VARCHAR", _DUCK): "replace TO_VARCHAR(...) with CAST(... AS VARCHAR)",
    ("LEN", None): "replace LEN(...) with LENGTH(...)",
    ("CHARINDEX", _BQ): "replace CHARINDEX(...) with STRPOS(...)",
    ("CHARINDEX", None): "replace CHARINDEX(...) with POSITION(...)",
    ("ARRAY_SIZE", _BQ): "replace ARRAY_SIZE(...) with ARRAY_LENGTH(...)",
    ("ARRAY_SIZE", None): "replace ARRAY_SIZE(...) with cardinality(...)",
    ("DATE_FORMAT", _BQ): "replace DATE_FORMAT(...) with FORMAT_TIMESTAMP(...)",
    ("DATE_FORMAT", _SF): "replace DATE_FORMAT(...) with TO_VARCHAR(...)",
    ("PARSE_DATE", None): "replace PARSE_DATE(...) with TO_DATE(...)",
    ("PARSE_TIMESTAMP", None): "replace PARSE_TIMESTAMP(...) with TO_TIMESTAMP(...)",
    ("FORMAT_TIMESTAMP", _SF): "replace FORMAT_TIMESTAMP(...) with TO_VARCHAR(...)",
    ("FORMAT_TIMESTAMP", None): "replace FORMAT_TIMESTAMP(...) with DATE_FORMAT(...)",
    ("TO_CHAR", _BQ): "replace TO_CHAR(...) with the BigQuery equivalent (PARSE_*/FORMAT_*)",
    ("TO_DATE", _BQ): "replace TO_DATE(...) with the BigQuery equivalent (PARSE_*/FORMAT_*)",
    ("TO_TIMESTAMP", _BQ): "replace TO_TIMESTAMP(...) with the BigQuery equivalent "
    "(PARSE_*/FORMAT_*)",
    ("QUALIFY", None): "wrap the query in a subquery and move the QUALIFY predicate to WHERE",
    ("ILIKE", None): "use LOWER(lhs) LIKE LOWER(pattern) for portable case-insensitive matching",
    ("FLATTEN", None): "replace FLATTEN(input => col) with UNNEST(col) for "
    "BigQuery/Databricks/DuckDB",
}

# ``@var(...)``, ``@start_date`` and ``@end_date`` are masked with an
# identifier of the same length before parsing, so offsets stay exact.
_PLACEHOLDER: Final = re.compile(
    r"@var\(\s*[A-Za-z_][A-Za-z0-9_]*\s*(?:,[^)]*)?\)|@(?:start_date|end_date)(?![A-Za-z0-9_])"
)
_PRAGMA: Final = re.compile(r"^\s*--\s*rocky-allow\s*:(?P<list>.*)$", re.IGNORECASE)


def normalize_dialect(name: str) -> str:
    """``databricks``/``dbx``, ``snowflake``/``sf``, ``bigquery``/``bq`` or
    ``duckdb`` -> the canonical name. Raises RockyError for anything else."""
    canonical = _ALIASES.get(name.strip().lower())
    if canonical is None:
        raise RockyError(
            f"unknown target dialect '{name}'",
            hint="use databricks (dbx), snowflake (sf), bigquery (bq) or duckdb",
        )
    return canonical


def parse_pragmas(text: str) -> frozenset[str]:
    """Construct names on ``-- rocky-allow: A, B`` comment lines, upper-cased.
    Several pragma lines accumulate; other comments are ignored."""
    allowed: set[str] = set()
    for line in text.splitlines():
        m = _PRAGMA.match(line)
        if m:
            allowed.update(p.strip().upper() for p in m.group("list").split(",") if p.strip())
    return frozenset(allowed)


@dataclass(frozen=True, slots=True)
class Issue:
    """One non-portable construct; ``offset`` is the 0-based character offset
    of its first character in the linted text."""

    construct: str
    supported_by: tuple[str, ...]
    target: str
    offset: int
    suggestion: str

    @property
    def message(self) -> str:
        supported = ", ".join(DIALECT_NAMES[d] for d in self.supported_by) or "none"
        return (
            f"{self.construct} is not portable to {DIALECT_NAMES[self.target]} "
            f"(supported by: {supported})"
        )

    def diagnostic(self, file: str, line: int, col: int, model: str | None) -> Diagnostic:
        """The P001 error for this issue at ``file:line:col``."""
        return Diagnostic(
            severity=Severity.ERROR,
            code="P001",
            message=self.message,
            model=model,
            span=Span(file, line, col),
            suggestion=self.suggestion,
        )


# --- sqlglot plumbing ---------------------------------------------------------
# sqlglot may be the mypyc-compiled build, whose classes cannot be subclassed
# from Python: the generator is used as is, and a message is pinned to a node
# by rendering subtrees on their own.


def _renderer(target: str) -> Callable[[Any], tuple[str, list[str]]]:
    """Render a node for ``target``: (sql, what sqlglot could not express)."""
    import sqlglot
    from sqlglot.errors import ErrorLevel

    generator = sqlglot.Dialect.get_or_raise(target).generator(unsupported_level=ErrorLevel.IGNORE)

    def render(node: Any) -> tuple[str, list[str]]:
        sql = str(generator.generate(node, copy=True))
        return sql, list(generator.unsupported_messages)

    return render


def _owners(
    node: Any, messages: list[str], render: Callable[[Any], tuple[str, list[str]]]
) -> list[tuple[str, Any]]:
    """Each message paired with the deepest node under ``node`` whose own
    rendering still reports it. A message that only arises in context (no
    child reports it alone) stays with ``node``; repeats go to distinct
    children in source order."""
    remaining = Counter(messages)
    owned: list[tuple[str, Any]] = []
    for child in node.iter_expressions():
        if not remaining:
            break
        try:
            child_messages = render(child)[1]
        except Exception:  # a fragment that cannot render alone owns nothing
            continue
        claimed = Counter(child_messages) & remaining
        if claimed:
            remaining -= claimed
            owned.extend(_owners(child, list(claimed.elements()), render))
    owned.extend((message, node) for message in remaining.elements())
    return owned


def generate_recording(node: Any, target: str) -> tuple[str, list[tuple[str, Any]]]:
    """``node`` rendered for ``target``, with every ``(message, node)`` sqlglot
    reported it could not render faithfully."""
    render = _renderer(target)
    try:
        rendered, messages = render(node)
    except Exception as exc:  # a tree sqlglot cannot render at all is not portable
        return "", [(f"{type(exc).__name__}: {exc}", node)]
    return rendered, _owners(node, messages, render) if messages else []


def _parse(sql: str, dialect: str | None) -> tuple[list[Any], list[Any]] | None:
    """(statements, tokens), or None when the SQL does not tokenize or parse."""
    import sqlglot
    from sqlglot.errors import ParseError, TokenError

    try:
        d = sqlglot.Dialect.get_or_raise(dialect)
        tokens = d.tokenize(sql)
        statements = [s for s in d.parser().parse(tokens, sql) if s is not None]
    except (ParseError, TokenError, ValueError):
        return None
    return statements, tokens


def _written(text: str, node: Any) -> str:
    return text[int(node.meta["start"]) : int(node.meta["end"]) + 1].upper()


def _offsets(tokens: list[Any], keyword: str) -> list[int]:
    from sqlglot.tokenizer_core import TokenType

    kind = getattr(TokenType, keyword)
    return [int(t.start) for t in tokens if t.token_type == kind]


def _call_text(text: str, tokens: list[Any], name_start: int) -> str | None:
    """The whole call ``name(...)`` whose name starts at ``name_start``."""
    from sqlglot.tokenizer_core import TokenType

    index = next((i for i, t in enumerate(tokens) if t.start == name_start), None)
    if index is None:
        return None
    depth = 0
    for tok in tokens[index + 1 :]:
        if tok.token_type == TokenType.L_PAREN:
            depth += 1
        elif tok.token_type == TokenType.R_PAREN:
            depth -= 1
            if depth == 0:
                return text[name_start : tok.end + 1]
        elif depth == 0:
            return None
    return None


def _table_function(node: Any) -> bool:
    from sqlglot import exp

    parent = node.parent
    while parent is not None and not isinstance(parent, exp.Select | exp.Where | exp.Having):
        if isinstance(parent, exp.Lateral | exp.Table | exp.TableFromRows | exp.Join | exp.From):
            return True
        parent = parent.parent
    return False


# --- detection ---------------------------------------------------------------


def _advice(construct: str, target: str, rewrite: str | None = None) -> str:
    base = _ADVICE.get((construct, target)) or _ADVICE.get((construct, None))
    text = base or f"rewrite {construct} with a construct {DIALECT_NAMES[target]} supports"
    return f"{text}; rewritten for {DIALECT_NAMES[target]}: {rewrite}" if rewrite else text


def _flagged_in(sql: str, target: str) -> set[str]:
    """Catalog constructs not native to ``target`` in a rendered snippet."""
    from sqlglot import exp

    text = sql if sql.lstrip().upper().startswith(("SELECT", "WITH")) else f"SELECT {sql}"
    parsed = _parse(text, target)
    if parsed is None:
        return {"<unparseable>"}
    statements, tokens = parsed
    names = {
        _written(text, node)
        for st in statements
        for node in st.walk()
        if isinstance(node, exp.Func) and "start" in node.meta
    }
    found = {n for n in names if n in CATALOG and target not in CATALOG[n]}
    return found | {
        k for k, native in _KEYWORDS.items() if target not in native and _offsets(tokens, k)
    }


def _clean_rendering(node: Any, target: str, construct: str) -> str | None:
    """``node`` for ``target`` when sqlglot loses nothing and the result no
    longer uses ``construct``."""
    rendered, problems = generate_recording(node, target)
    if problems or not rendered or construct in _flagged_in(rendered, target):
        return None
    return rendered


def _rewrite_call(
    node: Any, call: str | None, native: tuple[str, ...], target: str, name: str
) -> str | None:
    """The call rewritten for ``target``: the tree as parsed, then the call's
    text read in each dialect that has it natively (the source may not)."""
    import sqlglot
    from sqlglot.errors import SqlglotError

    candidates: list[Any] = [node]
    for dialect in native if call else ():
        try:
            candidates.append(sqlglot.parse_one(call or "", read=dialect))
        except (SqlglotError, ValueError):
            continue
    return next((r for c in candidates if (r := _clean_rendering(c, target, name))), None)


def _catalog_issues(
    text: str, statements: list[Any], tokens: list[Any], target: str
) -> Iterator[Issue]:
    from sqlglot import exp, transforms

    for node in (n for st in statements for n in st.walk()):
        if not (isinstance(node, exp.Func) and "start" in node.meta):
            continue
        name, start = _written(text, node), int(node.meta["start"])
        if name == "FLATTEN":
            if target not in _FLATTEN_NATIVE and _table_function(node):
                yield Issue(name, _FLATTEN_NATIVE, target, start, _advice(name, target))
            continue
        native = CATALOG.get(name)
        if native is not None and target not in native:
            rewrite = _rewrite_call(node, _call_text(text, tokens, start), native, target, name)
            yield Issue(name, native, target, start, _advice(name, target, rewrite))

    if target not in _KEYWORDS["QUALIFY"]:
        selects = [s for st in statements for s in st.find_all(exp.Select) if s.args.get("qualify")]
        for offset, select in zip(_offsets(tokens, "QUALIFY"), selects, strict=False):
            rewrite = _clean_rendering(
                transforms.eliminate_qualify(select.copy()), target, "QUALIFY"
            )
            yield Issue(
                "QUALIFY", _KEYWORDS["QUALIFY"], target, offset, _advice("QUALIFY", target, rewrite)
            )
    if target not in _KEYWORDS["ILIKE"]:
        likes = [n for st in statements for n in st.find_all(exp.ILike)]
        for offset, like in zip(_offsets(tokens, "ILIKE"), likes, strict=False):
            rewrite = _clean_rendering(like, target, "ILIKE")
            yield Issue(
                "ILIKE", _KEYWORDS["ILIKE"], target, offset, _advice("ILIKE", target, rewrite)
            )


def check_call(
    name: str, call_sql: str | None, target_dialect: str, offset: int = 0
) -> Issue | None:
    """The catalog verdict on a call of ``name`` written outside SQL (a DSL
    model); ``call_sql`` is the call lowered to SQL, used for the rewrite."""
    import sqlglot
    from sqlglot.errors import SqlglotError

    target = normalize_dialect(target_dialect)
    construct = name.upper()
    native = CATALOG.get(construct)
    if native is None or target in native:
        return None
    rewrite = None
    if call_sql:
        try:
            node = sqlglot.parse_one(call_sql)
        except (SqlglotError, ValueError):
            node = None
        if node is not None:
            rewrite = _rewrite_call(node, call_sql, native, target, construct)
    return Issue(construct, native, target, offset, _advice(construct, target, rewrite))


def _locate(node: Any, text: str, tokens: list[Any]) -> tuple[str, int, Any] | None:
    """(construct, offset, node) for something sqlglot could not render: the
    enclosing function call when there is one, as its name is what was written."""
    from sqlglot import exp
    from sqlglot.tokenizer_core import TokenType

    func = node if isinstance(node, exp.Func) else node.find_ancestor(exp.Func)
    subject = func if func is not None else node
    if "start" in subject.meta:
        label = _written(text, subject) if func is not None else str(subject.key).upper()
        return label, int(subject.meta["start"]), subject
    positions = [int(n.meta["start"]) for n in subject.walk() if "start" in n.meta]
    if not positions:
        return None
    first = min(positions)
    name_token = None
    if func is not None:
        # Some calls are built without a position: their name is the last
        # ``name(`` before the first positioned token inside them.
        for tok, follow in itertools.pairwise(tokens):
            if tok.end >= first:
                break
            if tok.token_type == TokenType.VAR and follow.token_type == TokenType.L_PAREN:
                name_token = tok
    if name_token is None:
        return str(subject.key).upper(), first, subject
    return str(name_token.text).upper(), int(name_token.start), subject


def _transpile_issues(
    text: str, statements: list[Any], tokens: list[Any], target: str, taken: set[int]
) -> Iterator[Issue]:
    for statement in statements:
        for message, node in generate_recording(statement, target)[1]:
            located = _locate(node, text, tokens) if node is not None else None
            if located is None:
                continue
            construct, start, subject = located
            if start in taken or construct in CATALOG:
                continue
            taken.add(start)
            supported = tuple(
                d for d in _ALL if d != target and not generate_recording(subject, d)[1]
            )
            advice = f"sqlglot cannot render this for {DIALECT_NAMES[target]}: {message}"
            yield Issue(construct, supported, target, start, advice)


def detect(sql: str, source_dialect: str | None, target_dialect: str) -> list[Issue]:
    """Every non-portable construct of ``sql`` (written in ``source_dialect``)
    for ``target_dialect``, in source order. Unparseable SQL gives []."""
    target = normalize_dialect(target_dialect)
    text = _mask_placeholders(sql)
    parsed = _parse(text, _source_dialect(source_dialect))
    if parsed is None:
        return []
    statements, tokens = parsed
    issues = list(_catalog_issues(text, statements, tokens, target))
    taken = {i.offset for i in issues}
    issues.extend(_transpile_issues(text, statements, tokens, target, taken))
    return sorted(issues, key=lambda i: (i.offset, i.construct))


def _mask_placeholders(text: str) -> str:
    return _PLACEHOLDER.sub(lambda m: "_" + "x" * (len(m.group(0)) - 1), text)


def _source_dialect(name: str | None) -> str | None:
    if not name:
        return None
    import sqlglot

    try:
        sqlglot.Dialect.get_or_raise(name)
    except ValueError:
        return _ALIASES.get(name.lower())
    return name


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def lint(
    sql_text: str,
    source_dialect: str | None,
    target_dialect: str,
    allow: Iterable[str] = (),
    file: str = "",
    line_offset: int = 0,
    model: str | None = None,
) -> list[Diagnostic]:
    """P001 diagnostics for one model body.

    ``allow`` is the project-wide allow list; ``-- rocky-allow:`` lines in
    ``sql_text`` add to it for this model. Each span is ``file``, line
    ``line_offset`` + the line within ``sql_text``, and the construct's column."""
    allowed = {a.strip().upper() for a in allow} | parse_pragmas(sql_text)
    diagnostics = []
    for issue in detect(sql_text, source_dialect, target_dialect):
        if issue.construct.upper() in allowed:
            continue
        line, col = _line_col(sql_text, issue.offset)
        diagnostics.append(issue.diagnostic(file, line_offset + line, col, model))
    return diagnostics
