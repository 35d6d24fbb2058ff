"""A governing adapter for the kernel's governance tests: DuckDB itself,
declaring ``tags``, ``grants`` and ``masking``, with a GovernanceAdapter that
keeps tags, grants, column labels and masks as rows of tables in the
warehouse (schema ``rocky_gov``). Every statement is a sqlglot expression
run on the real engine, so what the run applied is read back from DuckDB.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

from rocky_duckdb import DuckDBAdapter, DuckDBConfig
from rocky_duckdb.config import CAPABILITIES
from sqlglot import exp

from rocky.adapters import Adapter, AdapterConfig, AdapterSpec, Capability
from rocky.errors import AdapterError, ConfigError
from rocky.hookspecs import hookimpl
from rocky.ir import TableRef

GOVERNED = CAPABILITIES | {Capability.TAGS, Capability.GRANTS, Capability.MASKING}
MANAGED = frozenset({"USAGE", "SELECT", "MODIFY"})
SCHEMA = "rocky_gov"
TABLES = {
    "tags": ("object", "kind", "name", "value"),
    "grants": ("object", "principal", "permission"),
    "labels": ("object", "column_name", "label"),
    "masks": ("object", "column_name", "strategy"),
}


class GovDuckConfig(DuckDBConfig):
    type: Literal["govduck"] = "govduck"  # type: ignore[assignment,unused-ignore]


class GovDuckAdapter(DuckDBAdapter):
    type_name: ClassVar[str] = "govduck"
    capabilities: ClassVar[frozenset[Capability]] = GOVERNED


@dataclass(frozen=True)
class Changes:
    to_grant: list[tuple[str, str]] = field(default_factory=list)
    to_revoke: list[tuple[str, str]] = field(default_factory=list)


def _table(name: str) -> exp.Table:
    return exp.table_(name, db=SCHEMA, quoted=True)


class TableGovernance:
    def __init__(self, adapter: Adapter) -> None:
        self.adapter = adapter
        adapter.create_schema(None, SCHEMA)
        for name, columns in TABLES.items():
            defs = [exp.ColumnDef(this=exp.to_identifier(c), kind=exp.DataType.build("VARCHAR"))
                    for c in columns]  # fmt: skip
            create = exp.Create(
                kind="TABLE", exists=True, this=exp.Schema(this=_table(name), expressions=defs)
            )
            adapter.execute(create.sql(dialect="duckdb"))

    def _run(self, statements: list[exp.Expression]) -> list[str]:
        sqls = [s.sql(dialect="duckdb") for s in statements]
        for sql in sqls:
            self.adapter.execute(sql)
        return sqls

    def _upsert(self, name: str, key: dict[str, str], values: dict[str, str]) -> list[str]:
        where = exp.and_(*(exp.column(k).eq(exp.Literal.string(v)) for k, v in key.items()))
        row = {**key, **values}
        line = exp.Tuple(expressions=[exp.Literal.string(v) for v in row.values()])
        insert = exp.insert(exp.Values(expressions=[line]), _table(name), columns=list(row))
        return self._run([exp.delete(_table(name), where), insert])

    def securable(self, key: str, kind: str | None = None) -> tuple[str, str]:
        parts = key.split(".")
        return kind or ("DATABASE", "SCHEMA", "TABLE")[min(len(parts), 3) - 1], key

    def _handle(self, target: Any) -> tuple[str, str]:
        if isinstance(target, TableRef):
            return self.securable(target.key, "TABLE")
        if isinstance(target, str):
            return self.securable(target)
        return (str(target[0]), str(target[1]))

    def set_tags(self, ref: TableRef, tags: dict[str, str]) -> list[str]:
        return self.set_object_tags(ref, tags)

    def set_object_tags(self, target: Any, tags: Mapping[str, str]) -> list[str]:
        kind, key = self._handle(target)
        out: list[str] = []
        for name, value in sorted(tags.items()):
            where = {"object": key, "kind": kind, "name": name}
            out += self._upsert("tags", where, {"value": value})
        return out

    def get_grants(self, securable: Any) -> set[tuple[str, str]]:
        _, key = self._handle(securable)
        query = exp.select("principal", "permission").from_(_table("grants"))
        query = query.where(exp.column("object").eq(exp.Literal.string(key)))
        return {(str(p), str(m)) for p, m in self.adapter.query_rows(query.sql(dialect="duckdb"))}

    def _desired(self, grants: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
        wanted = {(p, m.upper()) for p, m in grants}
        unknown = sorted(m for _, m in wanted if m not in MANAGED)
        if unknown:
            raise ConfigError(f"'{unknown[0]}' is not a permission this warehouse manages")
        return wanted

    def apply_grants(self, securable: Any, grants: set[tuple[str, str]]) -> list[str]:
        _, key = self._handle(securable)
        out: list[str] = []
        for principal, permission in sorted(self._desired(grants)):
            out += self._upsert("grants", {"object": key, "principal": principal,
                                           "permission": permission}, {})  # fmt: skip
        return out

    def revoke_grants(self, securable: Any, grants: set[tuple[str, str]]) -> list[str]:
        _, key = self._handle(securable)
        deletes: list[exp.Expression] = [
            exp.delete(_table("grants"), exp.and_(
                exp.column("object").eq(exp.Literal.string(key)),
                exp.column("principal").eq(exp.Literal.string(p)),
                exp.column("permission").eq(exp.Literal.string(m)),
            ))
            for p, m in sorted(grants)
        ]  # fmt: skip
        return self._run(deletes)

    def reconcile_grants(self, securable: Any, desired: Iterable[tuple[str, str]]) -> Changes:
        current = self.get_grants(securable)
        wanted = self._desired(desired)
        changes = Changes(
            sorted(wanted - current), sorted(p for p in current - wanted if p[1] in MANAGED)
        )
        self.apply_grants(securable, set(changes.to_grant))
        self.revoke_grants(securable, set(changes.to_revoke))
        return changes

    def _columns(self, ref: TableRef) -> set[str]:
        described = self.adapter.describe_table(ref)
        if described is None:
            raise AdapterError(f"cannot govern {ref.key}: the table does not exist")
        return {c.name for c in described}

    def apply_column_tags(self, ref: TableRef, classification: Mapping[str, str]) -> list[str]:
        columns = self._columns(ref)
        out: list[str] = []
        for column, label in sorted(classification.items()):
            if column not in columns:
                raise AdapterError(
                    f"cannot classify column '{column}' of {ref.key}: no such column"
                )
            where = {"object": ref.key, "column_name": column}
            out += self._upsert("labels", where, {"label": label})
        return out

    def apply_masking_policy(
        self,
        ref: TableRef,
        classification: Mapping[str, str],
        mask: Mapping[str, Any],
        env: str = "default",
    ) -> list[str]:
        out = self.apply_column_tags(ref, classification)
        found = mask.get(env)
        scoped: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
        for column, label in sorted(classification.items()):
            strategy = scoped.get(label, mask.get(label))
            if isinstance(strategy, str):
                out += self._upsert("masks", {"object": ref.key, "column_name": column},
                                    {"strategy": strategy})  # fmt: skip
        return out


class GovDuckPlugin:
    """Registers ``govduck``; its governance is :class:`TableGovernance`.
    ``capabilities`` narrows what the adapter declares (tests of gating)."""

    def __init__(self, capabilities: frozenset[Capability] = GOVERNED) -> None:
        self.capabilities = capabilities

    @hookimpl
    def rocky_register_adapters(self, register: Callable[[AdapterSpec], None]) -> None:
        declared = self.capabilities

        class Narrowed(GovDuckAdapter):
            capabilities: ClassVar[frozenset[Capability]] = declared

        def factory(config: AdapterConfig, project_dir: Path) -> Adapter:
            return Narrowed(config, project_dir=project_dir)

        register(AdapterSpec("govduck", GovDuckConfig, factory, "duckdb", declared,
                             package="rocky-govduck-tests"))  # fmt: skip

    @hookimpl
    def rocky_governance(self, adapter: Adapter) -> TableGovernance | None:
        return TableGovernance(adapter) if isinstance(adapter, GovDuckAdapter) else None
