"""Desired-state governance on Snowflake: grants, object tags, column
classification tags and the masking policies bound to them.

- Grants are reconciled: the desired (role, privilege) pairs are compared
  with ``SHOW GRANTS ON <object>``; missing ones are granted, and grants
  of privileges rocky manages (``governance_sql.PRIVILEGES``) that are no
  longer wanted are revoked. OWNERSHIP and other privileges are never
  touched.
- Tags are Snowflake tag objects created (``CREATE TAG IF NOT EXISTS``) in
  the schema of the object they describe (a database's tags live in its
  PUBLIC schema), then set with ``ALTER <object> SET TAG``.
- Classification: ``[classification] column = "pii"`` sets the column's
  ``CLASSIFICATION`` tag; when the project's ``[mask]`` table gives that
  classification a strategy (``hash``, ``redact``, ``partial``), a masking
  policy ``ROCKY_MASK_<STRATEGY>_<ENV>`` is created beside the table and
  bound to the column; ``none`` unbinds it.

Role, tag and policy names are written as a user would type them unquoted
and fold to upper case (``analyst`` is the role ``ANALYST``); table and
column names are used as stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rocky.errors import AdapterError, ConfigError
from rocky.ir import TableRef
from rocky_snowflake import governance_sql as gsql
from rocky_snowflake.governance_sql import MASK_STRATEGIES, Securable, SecurableKind

if TYPE_CHECKING:
    from rocky_snowflake.adapter import SnowflakeAdapter

__all__ = ["GrantPlan", "SnowflakeGovernance", "parse_show_grants", "plan_grants"]

CLASSIFICATION_TAG = "CLASSIFICATION"


@dataclass(frozen=True)
class GrantPlan:
    """What reconciling one object's grants does: (role, privilege) pairs."""

    to_grant: list[tuple[str, str]] = field(default_factory=list)
    to_revoke: list[tuple[str, str]] = field(default_factory=list)


def parse_show_grants(headers: list[str], rows: Iterable[tuple[Any, ...]]) -> set[tuple[str, str]]:
    """(role, privilege) pairs from ``SHOW GRANTS ON ...`` (columns
    created_on, privilege, granted_on, name, granted_to, grantee_name, ...).
    Grants to users or shares, and OWNERSHIP, are left out."""
    names = [h.lower() for h in headers]
    if not {"privilege", "granted_to", "grantee_name"} <= set(names):
        return set()
    privilege, granted_to, grantee = (
        names.index(n) for n in ("privilege", "granted_to", "grantee_name")
    )
    pairs = set()
    for row in rows:
        if str(row[granted_to]).upper() != "ROLE" or not row[grantee]:
            continue
        name = " ".join(str(row[privilege]).upper().split())
        if name != "OWNERSHIP":
            pairs.add((str(row[grantee]), name))
    return pairs


def plan_grants(
    current: set[tuple[str, str]], desired: set[tuple[str, str]], kind: SecurableKind
) -> GrantPlan:
    """Grant what is desired and missing; revoke what is granted, managed by
    rocky for ``kind``, and no longer desired."""
    managed = gsql.PRIVILEGES[kind]
    return GrantPlan(
        to_grant=sorted(desired - current),
        to_revoke=sorted(p for p in current - desired if p[1] in managed),
    )


class SnowflakeGovernance:
    """The GovernanceAdapter for one connected SnowflakeAdapter. Every
    method returns the statements it executed, in order."""

    def __init__(self, adapter: SnowflakeAdapter) -> None:
        self.adapter = adapter

    # -- names ----------------------------------------------------------------
    def securable(
        self, key: str | Securable | TableRef, kind: SecurableKind | None = None
    ) -> Securable:
        if isinstance(key, Securable):
            return key
        if isinstance(key, TableRef):
            table = self.adapter.table_expr(key)
            parts = (table.catalog, table.db, table.name)
            return Securable(kind or "TABLE", tuple(p for p in parts if p))
        return Securable.from_key(key, kind)

    def _role(self, principal: str) -> str:
        return self.adapter.normalize_identifier(principal)

    def _desired(
        self, kind: SecurableKind, grants: Iterable[tuple[str, str]]
    ) -> set[tuple[str, str]]:
        try:
            return {(self._role(p), gsql.privilege_name(kind, perm)) for p, perm in grants}
        except ValueError as exc:
            raise ConfigError(f"governance grants: {exc}") from None

    def _run(self, statements: list[str]) -> list[str]:
        for statement in statements:
            self.adapter.execute(statement)
        return statements

    # -- tags -----------------------------------------------------------------
    def set_tags(self, ref: TableRef, tags: dict[str, str]) -> list[str]:
        """Tag a table: ``CREATE TAG IF NOT EXISTS`` each key, then one
        ``ALTER TABLE ... SET TAG``. An empty map does nothing."""
        return self.set_object_tags(self.securable(ref), tags)

    def set_object_tags(
        self, target: str | Securable | TableRef, tags: Mapping[str, str]
    ) -> list[str]:
        securable = self.securable(target)
        if not tags:
            return []
        database, schema = securable.schema_parts
        refs = {
            gsql.tag_ref(database, schema, self.adapter.normalize_identifier(k)): v
            for k, v in sorted(tags.items())
        }
        statements = [gsql.create_tag(tag) for tag in refs]
        statements.append(gsql.set_tags(securable, refs))
        return self._run(statements)

    # -- grants ---------------------------------------------------------------
    def get_grants(self, securable: str | Securable) -> set[tuple[str, str]]:
        """(role, privilege) pairs granted on ``securable`` to roles."""
        target = self.securable(securable)
        table = self.adapter.query_arrow(gsql.show_grants(target))
        rows = list(zip(*(c.to_pylist() for c in table.columns), strict=True))
        return parse_show_grants(table.column_names, rows)

    def apply_grants(self, securable: str | Securable, grants: set[tuple[str, str]]) -> list[str]:
        target = self.securable(securable)
        wanted = sorted(self._desired(target.kind, grants))
        return self._run([gsql.grant(target, perm, role) for role, perm in wanted])

    def revoke_grants(self, securable: str | Securable, grants: set[tuple[str, str]]) -> list[str]:
        target = self.securable(securable)
        unwanted = sorted(self._desired(target.kind, grants))
        return self._run([gsql.revoke(target, perm, role) for role, perm in unwanted])

    def reconcile_grants(
        self, securable: str | Securable, desired: Iterable[tuple[str, str]]
    ) -> GrantPlan:
        """Make the managed grants on ``securable`` exactly ``desired``."""
        target = self.securable(securable)
        plan = plan_grants(
            self.get_grants(target), self._desired(target.kind, desired), target.kind
        )
        self._run([gsql.grant(target, perm, role) for role, perm in plan.to_grant])
        self._run([gsql.revoke(target, perm, role) for role, perm in plan.to_revoke])
        return plan

    # -- classification and masking -------------------------------------------
    def apply_column_tags(self, ref: TableRef, classification: Mapping[str, str]) -> list[str]:
        """Set each classified column's CLASSIFICATION tag to its label."""
        table = self.securable(ref)
        if not classification:
            return []
        columns = self._columns(ref)
        tag = gsql.tag_ref(*table.schema_parts, CLASSIFICATION_TAG)
        statements = [gsql.create_tag(tag)]
        for column, label in sorted(classification.items()):
            stored, _ = self._column(ref, columns, column)
            statements.append(gsql.set_column_tag(table, stored, tag, label))
        return self._run(statements)

    def apply_masking_policy(
        self,
        ref: TableRef,
        classification: Mapping[str, str],
        mask: Mapping[str, Any],
        env: str = "default",
    ) -> list[str]:
        """Tag classified columns and bind the masking policy their
        classification's strategy names (``[mask]``, ``[mask.<env>]`` first)."""
        statements = self.apply_column_tags(ref, classification)
        if not classification:
            return statements
        table = self.securable(ref)
        columns = self._columns(ref)
        created: set[str] = set()
        planned: list[str] = []
        for column, label in sorted(classification.items()):
            strategy = _strategy(mask, label, env)
            if strategy is None:
                continue
            stored, type_name = self._column(ref, columns, column)
            if strategy == "none":
                planned.append(gsql.unset_masking_policy(table, stored))
                continue
            if type_name.kind != "String":
                raise AdapterError(
                    f"cannot mask column '{stored}' of {ref.key}: it is {type_name}, and "
                    "rocky's masking policies take text columns"
                )
            name = self.adapter.normalize_identifier(f"rocky_mask_{strategy}_{env}")
            policy = gsql.tag_ref(*table.schema_parts, name)
            if name not in created:
                created.add(name)
                planned.append(gsql.create_masking_policy(policy, strategy))
            planned.append(gsql.set_masking_policy(table, stored, policy))
        return statements + self._run(planned)

    def _columns(self, ref: TableRef) -> dict[str, Any]:
        described = self.adapter.describe_table(ref)
        if described is None:
            raise AdapterError(f"cannot govern {ref.key}: the table does not exist")
        return {c.name: c.type for c in described}

    def _column(self, ref: TableRef, columns: Mapping[str, Any], name: str) -> tuple[str, Any]:
        """The stored name and type of ``name``: as written, or as it folds."""
        for candidate in (name, self.adapter.normalize_identifier(name)):
            if candidate in columns:
                return candidate, columns[candidate]
        raise AdapterError(f"cannot classify column '{name}' of {ref.key}: no such column")


def _strategy(mask: Mapping[str, Any], label: str, env: str) -> str | None:
    scoped = mask.get(env)
    value = scoped.get(label) if isinstance(scoped, Mapping) else None
    if value is None:
        value = mask.get(label)
    if value is None or isinstance(value, Mapping):
        return None
    strategy = str(value).lower()
    if strategy not in MASK_STRATEGIES:
        known = ", ".join(sorted(MASK_STRATEGIES))
        raise ConfigError(f"[mask] {label} = '{value}' is not a masking strategy ({known})")
    return strategy
