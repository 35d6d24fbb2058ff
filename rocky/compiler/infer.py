"""Type inference over a model's query: FROM/JOIN scopes, CTEs, subqueries,
set operations and the SELECT list (with ``*`` expansion).

The output is a :class:`Rel`: the model's typed columns, each carrying its
lineage. Base tables are resolved by a callback so this module stays pure
(query + upstream schemas in, relation and findings out).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Final

from sqlglot import exp

from rocky.compiler import lineage as lin
from rocky.compiler.functions import fold_supertype
from rocky.compiler.joins import JoinInferrer, conjuncts
from rocky.compiler.results import RawDiag
from rocky.compiler.scope import Entry, Rel, Scope, Typed, unknown_rel

__all__ = ["Inferrer", "TableResolver", "top_level_star"]

_ALIAS: Final = exp.Alias

# Resolves a base table to its relation; None means "no such table" in a
# catalog known to be complete (reported as E003).
TableResolver = Callable[[tuple[str, ...], exp.Table], Rel | None]

_NONNULL_TESTS: Final = (
    exp.EQ,
    exp.NEQ,
    exp.GT,
    exp.GTE,
    exp.LT,
    exp.LTE,
    exp.Like,
    exp.ILike,
    exp.In,
    exp.Between,
)

_ORDERINGS: Final = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)


def top_level_star(query: exp.Expr) -> bool:
    """Whether the model's own SELECT list (any branch of a top-level set
    operation) contains ``*`` or ``t.*``."""
    if isinstance(query, exp.Subquery):
        return top_level_star(query.this)
    if isinstance(query, exp.SetOperation):
        return top_level_star(query.this) or top_level_star(query.expression)
    if isinstance(query, exp.Select):
        for p in query.expressions:
            if isinstance(p, exp.Star) or (
                isinstance(p, exp.Column) and isinstance(p.this, exp.Star)
            ):
                return True
    return False


class Inferrer(JoinInferrer):
    """Infers one model. ``star_known`` / ``star_unknown`` record whether a
    ``*`` was expanded or could not be; ``join_ns`` times join-key checks."""

    def __init__(self, dialect: str, diags: list[RawDiag], tables: TableResolver) -> None:
        super().__init__(dialect, diags)
        self.tables = tables
        self.star_known = False
        self.star_unknown = False
        self.join_ns = 0

    # -- queries ----------------------------------------------------------------
    def model_rel(self, query: exp.Expr) -> Rel:
        return self._query(query, None, {})

    def query_rel(self, query: exp.Expr, outer: Scope | None) -> Rel:
        """A subquery inside an expression; the columns that decide its rows
        decide the enclosing SELECT's too."""
        rel = self._query(query, outer, outer.ctes if outer is not None else {})
        if outer is not None:
            if rel.keys:
                outer.keys.append(rel.keys)
            if rel.filters:
                outer.filters.append(rel.filters)
        return rel

    def _query(self, q: exp.Expr, outer: Scope | None, ctes: Mapping[str, Rel]) -> Rel:
        with_ = q.args.get("with_") if isinstance(q, exp.Query) else None
        if isinstance(with_, exp.With):
            ctes = dict(ctes)
            for cte in with_.expressions:
                self._cte(cte, outer, ctes, bool(with_.args.get("recursive")))
        if isinstance(q, exp.Select):
            return self._select(q, outer, ctes)
        if isinstance(q, exp.SetOperation):
            left = self._query(q.this, outer, ctes)
            right = self._query(q.expression, outer, ctes)
            return self._set_op(q, left, right)
        if isinstance(q, exp.Subquery):
            return self._query(q.this, outer, ctes)
        if isinstance(q, exp.Values):
            return self._values(q, outer, ctes)
        return unknown_rel(None)

    def _cte(
        self, cte: exp.CTE, outer: Scope | None, ctes: dict[str, Rel], recursive: bool
    ) -> None:
        key = cte.alias.lower()
        body = cte.this
        if recursive and isinstance(body, exp.SetOperation):
            ctes[key] = self._renamed(self._query(body.this, outer, ctes), cte.args.get("alias"))
        ctes[key] = self._renamed(self._query(body, outer, ctes), cte.args.get("alias"))

    @staticmethod
    def _renamed(rel: Rel, alias: exp.Expression | None) -> Rel:
        if alias is None:  # the usual case: no alias, or no column list
            return rel
        names = [c.name for c in alias.columns] if isinstance(alias, exp.TableAlias) else []
        if not names:
            return rel
        cols = [(names[i] if i < len(names) else n, t) for i, (n, t) in enumerate(rel.columns)]
        return Rel.of(cols, rel.known, rel.star_sources, rel.keys, rel.filters)

    def _set_op(self, q: exp.SetOperation, left: Rel, right: Rel) -> Rel:
        if q.args.get("by_name"):
            names = [n for n, _ in left.columns]
            names += [n for n, _ in right.columns if n.lower() not in left.index]
            pairs = [(n, left.get(n), right.get(n)) for n in names]
        else:
            pairs = [
                (ln, lt, rt) for (ln, lt), (_, rt) in zip(left.columns, right.columns, strict=False)
            ]
        cols: list[tuple[str, Typed]] = []
        for name, lt, rt in pairs:
            present = [t for t in (lt, rt) if t is not None]
            if isinstance(q, exp.Except):
                nullable = present[0].nullable
            elif isinstance(q, exp.Intersect):
                nullable = all(t.nullable for t in present)
            else:
                nullable = len(present) < 2 or any(t.nullable for t in present)
            lineage = lin.merge(t.lineage for t in present)
            null_lit = all(t.null_lit for t in present)
            cols.append((name, Typed(fold_supertype(present), nullable, lineage, null_lit)))
        known = left.known and right.known
        return Rel.of(
            cols,
            known,
            tuple(dict.fromkeys(left.star_sources + right.star_sources)),
            lin.rows(lin.JOIN_KEY, (left.keys, right.keys)),
            lin.rows(lin.FILTER, (left.filters, right.filters)),
        )

    def _values(self, node: exp.Values, outer: Scope | None, ctes: Mapping[str, Rel]) -> Rel:
        scope = Scope(parent=outer, ctes=ctes)
        rows = [r.expressions if isinstance(r, exp.Tuple) else [r] for r in node.expressions]
        width = max((len(r) for r in rows), default=0)
        cols: list[tuple[str, Typed]] = []
        for i in range(width):
            vals = [self.expr(r[i], scope, self.base_fc) for r in rows if i < len(r)]
            cols.append(
                (
                    f"col{i}",
                    Typed(
                        fold_supertype(vals),
                        any(v.nullable for v in vals),
                        lin.merge(v.lineage for v in vals),
                    ),
                )
            )
        return self._renamed(Rel.of(cols, True), node.args.get("alias"))

    # -- FROM / JOIN ----------------------------------------------------------------
    def _from_item(self, node: exp.Expression, scope: Scope) -> Entry:
        alias_node = node.args.get("alias")
        alias = node.alias
        if isinstance(node, exp.Table) and isinstance(node.this, exp.Identifier):
            name = node.this.this
            args = node.args
            catalog, db = args.get("catalog"), args.get("db")
            parts: tuple[str, ...]
            if catalog is None and db is None:  # the usual one-part name
                parts = (name,)
            else:
                parts = tuple(
                    p.this for p in (catalog, db, node.this) if isinstance(p, exp.Identifier)
                )
            cte = scope.ctes.get(name.lower()) if len(parts) == 1 else None
            rel = cte if cte is not None else self.tables(parts, node)
            if rel is None:
                dotted = ".".join(parts)
                self.report(
                    "E003",
                    f"unknown table '{dotted}': no model, seed or source has that name",
                    node,
                    "check the spelling, or add the table to data/seed.sql or seeds/",
                )
                rel = unknown_rel(dotted)
            return Entry(alias or name, self._renamed(rel, alias_node))
        if isinstance(node, exp.Subquery):
            rel = self._query(node.this, None, scope.ctes)
            return Entry(alias or "", self._renamed(rel, alias_node))
        if isinstance(node, exp.Lateral) and isinstance(node.this, exp.Subquery):
            rel = self._query(node.this.this, scope, scope.ctes)
            return Entry(alias or "", self._renamed(rel, alias_node))
        if isinstance(node, exp.Values):
            return Entry(alias or "", self._values(node, None, scope.ctes))
        # table functions, UNNEST, PIVOT: columns not known
        return Entry(alias or "", unknown_rel(None))

    # -- SELECT ------------------------------------------------------------------
    def _select(self, sel: exp.Select, outer: Scope | None, ctes: Mapping[str, Rel]) -> Rel:
        scope = Scope(parent=outer, ctes=ctes)
        from_ = sel.args.get("from_")
        if isinstance(from_, exp.From):
            entry = self._from_item(from_.this, scope)
            scope.entries[(entry.alias or "__from").lower()] = entry
        for join in sel.args.get("joins") or []:
            self._join(join, scope)
        where = sel.args.get("where")
        if isinstance(where, exp.Where):
            self._nonnull_from(where.this, scope)
        group = sel.args.get("group")
        if isinstance(group, exp.Group):
            scope.grouped = True
            scope.rollup = bool(
                group.args.get("rollup")
                or group.args.get("cube")
                or group.args.get("grouping_sets")
                or any(
                    isinstance(g, exp.Rollup | exp.Cube | exp.GroupingSets)
                    for g in group.expressions
                )
            )
        cols: list[tuple[str, Typed]] = []
        known = True
        sources: list[str] = []
        base_fc = self.base_fc
        infer = self.expr
        aliases = scope.aliases
        rollup = scope.rollup
        for proj in sel.expressions:
            kind = type(proj)
            if kind is _ALIAS:  # the usual case: named by its alias, never a star
                typed = infer(proj, scope, base_fc)
                name = proj.alias
            elif isinstance(proj, exp.Star) or (
                isinstance(proj, exp.Column) and isinstance(proj.this, exp.Star)
            ):
                ok = self._expand_star(proj, scope, cols, sources)
                known = known and ok
                continue
            else:
                typed = infer(proj, scope, base_fc)
                name = self._output_name(proj, scope)
            if rollup and typed.nullable is False:
                typed = Typed(typed.type, True, typed.lineage)
            cols.append((name, typed))
            lowered = name.lower()
            if lowered not in aliases:
                aliases[lowered] = typed
        args = sel.args
        for key in ("where", "having", "qualify"):
            clause = args.get(key)
            if isinstance(clause, exp.Expression):
                typed = infer(clause.this, scope, base_fc)
                if typed.lineage:
                    scope.filters.append(typed.lineage)
        if isinstance(group, exp.Group):
            for g in group.expressions:
                infer(g, scope, base_fc)
        order = args.get("order")
        if isinstance(order, exp.Order):
            for o in order.expressions:
                infer(o.this if isinstance(o, exp.Ordered) else o, scope, base_fc)
        entries = scope.entries.values()
        keys = lin.rows(lin.JOIN_KEY, [*(e.rel.keys for e in entries), *scope.keys])
        filters = lin.rows(lin.FILTER, [*(e.rel.filters for e in entries), *scope.filters])
        return Rel.of(cols, known, tuple(dict.fromkeys(sources)), keys, filters)

    def _nonnull_from(self, cond: exp.Expression, scope: Scope) -> None:
        for c in conjuncts(cond):
            target: exp.Expression | None = None
            if isinstance(c, exp.Not) and isinstance(c.this, exp.Is):
                if isinstance(c.this.expression, exp.Null):
                    target = c.this.this
            elif isinstance(c, _NONNULL_TESTS):
                target = c.this
                if isinstance(c, _ORDERINGS):
                    other = c.expression
                    if isinstance(other, exp.Column):
                        key = self._column_key(other, scope)
                        if key is not None:
                            scope.nonnull.add(key)
            if isinstance(target, exp.Column):
                key = self._column_key(target, scope)
                if key is not None:
                    scope.nonnull.add(key)

    def _output_name(self, proj: exp.Expression, scope: Scope) -> str:
        if isinstance(proj, exp.Alias):
            return proj.alias
        if isinstance(proj, exp.Column):
            name = proj.name
            lowered = name.lower()
            qual = proj.table.lower()
            for key, entry in scope.entries.items():
                if qual and key != qual:
                    continue
                i = entry.rel.index.get(lowered)
                if i is not None:
                    return entry.rel.columns[i][0]
            return name
        return proj.sql(dialect=self.dialect)

    def _expand_star(
        self, proj: exp.Expression, scope: Scope, cols: list[tuple[str, Typed]], sources: list[str]
    ) -> bool:
        star = proj if isinstance(proj, exp.Star) else proj.this
        if isinstance(proj, exp.Column):
            entry = scope.entries.get(proj.table.lower())
            entries = [entry] if entry is not None else []
            if entry is None and scope.all_known():
                self.report(
                    "E005", f"unknown table or alias '{proj.table}' in {proj.table}.*", proj
                )
        else:
            entries = [e for e in scope.entries.values() if not e.hidden]
        excluded = {
            e.name.lower() for e in (star.args.get("except_") or star.args.get("except") or [])
        }
        replaced: dict[str, exp.Expression] = {}
        for r in star.args.get("replace") or []:
            if isinstance(r, exp.Alias):
                replaced[r.alias.lower()] = r.this
        known = True
        for idx, entry in enumerate(entries):
            for name, typed in entry.rel.columns:
                key = name.lower()
                if key in excluded:
                    continue
                if key in entry.using and any(key in e.rel.index for e in entries[:idx]):
                    continue  # a USING key appears once
                if key in replaced:
                    typed = self.expr(replaced[key], scope, self.base_fc)
                else:
                    typed = self._adjust(typed, entry, name, scope)
                cols.append((name, typed))
            if not entry.rel.known:
                known = False
                sources.extend(entry.rel.star_sources)
        if known:
            self.star_known = True
        else:
            self.star_unknown = True
        return known
