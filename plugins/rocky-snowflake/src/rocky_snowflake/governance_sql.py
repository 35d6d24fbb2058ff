"""The governance statements, rendered in the ``snowflake`` dialect.

GRANT, REVOKE, CREATE TAG and ``ALTER <object> SET TAG`` are sqlglot
expressions. sqlglot has no expression type for four Snowflake-only
statements: ``SHOW GRANTS ON``, ``CREATE MASKING POLICY`` and
``ALTER TABLE ... MODIFY COLUMN ... SET TAG | SET/UNSET MASKING POLICY``
(it parses them only as an opaque ``Command``). Those are assembled as a
``Command`` from fixed keywords of this module and fragments sqlglot
rendered itself: identifiers quoted by the dialect
(``exp.to_identifier(name, quoted=True)``), string literals escaped by the
dialect, and the policy body built as an expression. No user text reaches
the SQL unquoted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

from sqlglot import exp

from rocky_snowflake.sql import DIALECT, ident, render

__all__ = [
    "MASK_STRATEGIES",
    "PRIVILEGES",
    "Securable",
    "SecurableKind",
    "create_masking_policy",
    "create_tag",
    "grant",
    "mask_body",
    "privilege_name",
    "revoke",
    "set_column_tag",
    "set_masking_policy",
    "set_tags",
    "show_grants",
    "tag_ref",
    "unset_masking_policy",
]

SecurableKind = Literal["DATABASE", "SCHEMA", "TABLE", "VIEW"]

# The privileges rocky manages per object kind: it grants these when asked
# and revokes them when no longer wanted; anything else (OWNERSHIP, grants
# made for other kinds of object) it never touches.
PRIVILEGES: Final[Mapping[str, frozenset[str]]] = {
    "DATABASE": frozenset({"USAGE", "MONITOR", "MODIFY", "CREATE SCHEMA"}),
    "SCHEMA": frozenset({"USAGE", "MONITOR", "MODIFY", "CREATE TABLE", "CREATE VIEW"}),
    "TABLE": frozenset({"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES"}),
    "VIEW": frozenset({"SELECT", "REFERENCES"}),
}

MASK_STRATEGIES: Final = frozenset({"hash", "redact", "partial", "none"})


@dataclass(frozen=True, slots=True)
class Securable:
    """A database, schema, table or view, by its stored name parts
    (database first)."""

    kind: SecurableKind
    parts: tuple[str, ...]

    def __post_init__(self) -> None:
        needed = {"DATABASE": 1, "SCHEMA": 2, "TABLE": 3, "VIEW": 3}[self.kind]
        if len(self.parts) != needed or not all(self.parts):
            raise ValueError(f"a {self.kind.lower()} is named by {needed} part(s)")

    @classmethod
    def from_key(cls, key: str, kind: SecurableKind | None = None) -> Securable:
        """``db``, ``db.schema`` or ``db.schema.table`` (a view if ``kind`` says so)."""
        parts = tuple(key.split("."))
        guessed: SecurableKind = ("DATABASE", "SCHEMA", "TABLE")[min(len(parts), 3) - 1]
        return cls(kind or guessed, parts)

    @property
    def key(self) -> str:
        return ".".join(self.parts)

    def expr(self) -> exp.Table:
        idents = [ident(p) for p in self.parts]
        if self.kind == "DATABASE":
            return exp.Table(this=idents[0])
        if self.kind == "SCHEMA":
            return exp.Table(this=idents[1], db=idents[0])
        return exp.Table(this=idents[2], db=idents[1], catalog=idents[0])

    @property
    def schema_parts(self) -> tuple[str, str]:
        """Where this object's tags live: its own schema; for a database,
        its PUBLIC schema."""
        if self.kind == "DATABASE":
            return self.parts[0], "PUBLIC"
        return self.parts[0], self.parts[1]


def tag_ref(database: str, schema: str, name: str) -> exp.Column:
    """A tag (or policy) name, qualified as ``"db"."schema"."name"``."""
    return exp.Column(this=ident(name), table=ident(schema), db=ident(database))


def privilege_name(kind: str, privilege: str) -> str:
    """``privilege`` spelled as Snowflake does (upper case, single spaces);
    ValueError unless rocky manages it for ``kind``. The check is what
    keeps the name, rendered as a bare keyword, from carrying anything else."""
    name = " ".join(privilege.upper().split())
    if name not in PRIVILEGES[kind]:
        known = ", ".join(sorted(PRIVILEGES[kind]))
        raise ValueError(f"'{privilege}' is not a {kind.lower()} privilege rocky manages ({known})")
    return name


def _privilege_node(kind: str, privilege: str) -> exp.GrantPrivilege:
    return exp.GrantPrivilege(this=exp.var(privilege_name(kind, privilege)))


def _role(role: str) -> exp.GrantPrincipal:
    return exp.GrantPrincipal(this=ident(role), kind="ROLE")


def grant(securable: Securable, privilege: str, role: str) -> str:
    """``GRANT <privilege> ON <KIND> <name> TO ROLE "<role>"``."""
    node = exp.Grant(
        privileges=[_privilege_node(securable.kind, privilege)],
        kind=securable.kind,
        securable=securable.expr(),
        principals=[_role(role)],
    )
    return render(node)


def revoke(securable: Securable, privilege: str, role: str) -> str:
    """``REVOKE <privilege> ON <KIND> <name> FROM ROLE "<role>"``."""
    node = exp.Revoke(
        privileges=[_privilege_node(securable.kind, privilege)],
        kind=securable.kind,
        securable=securable.expr(),
        principals=[_role(role)],
    )
    return render(node)


def _command(keyword: str, *parts: exp.Expression | str) -> str:
    """A statement sqlglot has no expression for. ``keyword`` and the str
    parts are fixed keywords of this module; every expression part is
    rendered (and so quoted or escaped) by the dialect."""
    rest = " ".join(p if isinstance(p, str) else p.sql(dialect=DIALECT) for p in parts)
    return render(exp.Command(this=keyword, expression=exp.Literal.string(rest)))


def show_grants(securable: Securable) -> str:
    """``SHOW GRANTS ON <KIND> <name>``."""
    return _command("SHOW", "GRANTS ON", securable.kind, securable.expr())


def create_tag(tag: exp.Column) -> str:
    """``CREATE TAG IF NOT EXISTS "db"."schema"."name"``."""
    target = exp.Table(this=tag.this, db=tag.args.get("table"), catalog=tag.args.get("db"))
    return render(exp.Create(kind="TAG", exists=True, this=target))


def set_tags(securable: Securable, tags: Mapping[exp.Column, str]) -> str:
    """``ALTER <KIND> <name> SET TAG "t1" = 'v1', ...``."""
    pairs = [exp.EQ(this=tag, expression=exp.Literal.string(v)) for tag, v in tags.items()]
    return render(
        exp.Alter(kind=securable.kind, this=securable.expr(), actions=[exp.AlterSet(tag=pairs)])
    )


def set_column_tag(table: Securable, column: str, tag: exp.Column, value: str) -> str:
    """``ALTER TABLE t MODIFY COLUMN "c" SET TAG "tag" = 'value'``."""
    return _command(
        "ALTER", "TABLE", table.expr(), "MODIFY COLUMN", ident(column),
        "SET TAG", exp.EQ(this=tag, expression=exp.Literal.string(value)),
    )  # fmt: skip


def mask_body(strategy: str, argument: exp.Column) -> exp.Expression:
    """What a masked value becomes: ``hash`` (SHA-256 hex), ``redact``
    (``'***'``) or ``partial`` (first and last two characters kept)."""
    stars = exp.Literal.string("***")
    if strategy == "hash":
        return exp.SHA2(this=argument, length=exp.Literal.number(256))
    if strategy == "redact":
        return stars
    if strategy == "partial":
        length = exp.Length(this=argument.copy())
        head = exp.Substring(
            this=argument.copy(), start=exp.Literal.number(1), length=exp.Literal.number(2)
        )
        tail = exp.Substring(
            this=argument.copy(),
            start=exp.Sub(this=length.copy(), expression=exp.Literal.number(1)),
            length=exp.Literal.number(2),
        )
        return (
            exp.case()
            .when(exp.Is(this=argument.copy(), expression=exp.Null()), exp.Null())
            .when(exp.LT(this=length, expression=exp.Literal.number(5)), stars.copy())
            .else_(exp.Concat(expressions=[head, stars.copy(), tail]))
        )
    raise ValueError(f"unknown masking strategy {strategy!r}")


def create_masking_policy(policy: exp.Column, strategy: str) -> str:
    """``CREATE MASKING POLICY IF NOT EXISTS <policy> AS ("VAL" VARCHAR)
    RETURNS VARCHAR -> <body>``. Existing policies are kept: a policy's
    name says its strategy, so its body never changes."""
    argument = ident("VAL")
    text = exp.DataType.build("VARCHAR", dialect=DIALECT)
    signature = exp.Tuple(expressions=[exp.ColumnDef(this=argument, kind=text)])
    body = mask_body(strategy, exp.Column(this=argument.copy()))
    return _command(
        "CREATE", "MASKING POLICY IF NOT EXISTS", policy, "AS", signature,
        "RETURNS", text.copy(), "->", body,
    )  # fmt: skip


def set_masking_policy(table: Securable, column: str, policy: exp.Column) -> str:
    """``ALTER TABLE t MODIFY COLUMN "c" SET MASKING POLICY <policy> FORCE``
    (FORCE replaces a policy already on the column in one step)."""
    return _command(
        "ALTER", "TABLE", table.expr(), "MODIFY COLUMN", ident(column),
        "SET MASKING POLICY", policy, "FORCE",
    )  # fmt: skip


def unset_masking_policy(table: Securable, column: str) -> str:
    """``ALTER TABLE t MODIFY COLUMN "c" UNSET MASKING POLICY``."""
    return _command(
        "ALTER", "TABLE", table.expr(), "MODIFY COLUMN", ident(column), "UNSET MASKING POLICY"
    )
