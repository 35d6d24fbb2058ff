"""JOIN clauses: the joined relation's nullability, key type checks (W001 /
E001), keys proven non-null by an inner equi-join, and the join keys that
become row lineage."""

from __future__ import annotations

import time
from typing import Final

from sqlglot import exp

from rocky.compiler.exprs import ExprInferrer
from rocky.compiler.scope import Entry, Rel, Scope, Typed
from rocky.types import RockyType

__all__ = ["JoinInferrer", "conjuncts"]

_FAMILIES: Final = {
    "Int32": "number",
    "Int64": "number",
    "Float32": "number",
    "Float64": "number",
    "Decimal": "number",
    "String": "string",
    "Date": "time",
    "Timestamp": "time",
    "TimestampNtz": "time",
    "Boolean": "boolean",
    "Binary": "binary",
}


def conjuncts(node: exp.Expression) -> list[exp.Expression]:
    out: list[exp.Expression] = []
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, exp.And):
            stack.append(n.this)
            stack.append(n.expression)
        elif isinstance(n, exp.Paren):
            stack.append(n.this)
        else:
            out.append(n)
    return out


def _family(t: RockyType) -> str | None:
    return _FAMILIES.get(t.kind)


class JoinInferrer(ExprInferrer):
    """The JOIN half of :class:`rocky.compiler.infer.Inferrer`."""

    join_ns: int

    def _from_item(self, node: exp.Expression, scope: Scope) -> Entry:
        raise NotImplementedError

    def _join(self, join: exp.Join, scope: Scope) -> None:
        entry = self._from_item(join.this, scope)
        side = (join.side or "").upper()
        kind = (join.kind or "").upper()
        if kind in ("SEMI", "ANTI"):
            entry.hidden = True
        using = join.args.get("using") or []
        using_names = [u.name for u in using if isinstance(u, exp.Expression)]
        entry.using = frozenset(n.lower() for n in using_names)
        if side == "LEFT":
            entry.nullable = True
        elif side == "RIGHT":
            for e in scope.entries.values():
                e.nullable = True
        elif side == "FULL":
            entry.nullable = True
            for e in scope.entries.values():
                e.nullable = True
        before = list(scope.entries.values())
        key = (entry.alias or f"__join{len(scope.entries)}").lower()
        scope.entries[key] = entry
        inner = side == "" and kind in ("", "INNER", "SEMI")
        start = time.perf_counter_ns()
        for name in using_names:
            left = next((e for e in before if name.lower() in e.rel.index), None)
            if left is None:
                left = next((e for e in before if not e.rel.known), None)
            lt = self._key_side(left.rel, name) if left else None
            rt = self._key_side(entry.rel, name)
            scope.keys.extend(t.lineage for t in (lt, rt) if t is not None and t.lineage)
            if lt is not None and rt is not None:
                self._compare_keys(
                    f"{left.alias}.{name}" if left else name,
                    lt.type,
                    f"{entry.alias}.{name}",
                    rt.type,
                    join.this,
                )
        self.join_ns += time.perf_counter_ns() - start
        on = join.args.get("on")
        if isinstance(on, exp.Expression):
            typed = self.expr(on, scope, self.base_fc)
            if typed.lineage:
                scope.keys.append(typed.lineage)
            start = time.perf_counter_ns()
            for cond in conjuncts(on):
                if isinstance(cond, exp.EQ):
                    self._join_key(cond, scope, inner)
            self.join_ns += time.perf_counter_ns() - start

    @staticmethod
    def _key_side(rel: Rel, name: str) -> Typed | None:
        found = rel.get(name)
        if found is None and not rel.known:
            return rel.fallback(name)
        return found

    def _join_key(self, cond: exp.EQ, scope: Scope, inner: bool) -> None:
        a, b = cond.this, cond.expression
        if not (isinstance(a, exp.Column) and isinstance(b, exp.Column)):
            return
        ka, kb = self._column_key(a, scope), self._column_key(b, scope)
        if ka is None or kb is None or ka[0] == kb[0]:
            return
        if inner:
            scope.nonnull.add(ka)
            scope.nonnull.add(kb)
        ta = scope.entries[ka[0]].rel.get(a.name)
        tb = scope.entries[kb[0]].rel.get(b.name)
        if ta is not None and tb is not None:
            self._compare_keys(a, ta.type, b, tb.type, a)

    def _compare_keys(
        self,
        a_key: str | exp.Expression,
        a: RockyType,
        b_key: str | exp.Expression,
        b: RockyType,
        node: exp.Expression,
    ) -> None:
        if a.is_unknown or b.is_unknown or a.kind == b.kind:
            return
        fa, fb = _family(a), _family(b)
        if fa is None or fb is None:
            return
        # keys are rendered only for a finding: rendering costs more than checking
        a_name = a_key if isinstance(a_key, str) else a_key.sql()
        b_name = b_key if isinstance(b_key, str) else b_key.sql()
        if fa == fb:
            self.report(
                "W001",
                f"join keys need a coercion: {a_name} is {a}, {b_name} is {b}",
                node,
                "CAST one side so both keys have the same type",
            )
        else:
            self.report(
                "E001",
                f"join keys have incompatible types: {a_name} is {a}, {b_name} is {b}",
                node,
                f"CAST {b_name} to {a} (or {a_name} to {b})",
            )

    @staticmethod
    def _column_key(col: exp.Column, scope: Scope) -> tuple[str, str] | None:
        name = col.name.lower()
        qual = col.table
        if qual:
            return (qual.lower(), name) if qual.lower() in scope.entries else None
        for key, entry in scope.entries.items():
            if name in entry.rel.index or not entry.rel.known:
                return key, name
        return None
