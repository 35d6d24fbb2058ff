"""Applying a project's declared governance after a run's DAG has executed.

What is declared (docs/governance.md):

- the pipeline's ``target.governance``: ``tags`` for every catalog and schema
  that holds a model the run built, ``grants`` reconciled on each such
  catalog and ``schema_grants`` on each such schema;
- per model: ``[governance.tags]`` on its table or view, and
  ``[classification]`` column labels, masked by the project's ``[mask]``
  table (``[mask.<env>]`` winning; a run uses env ``default``).

It goes through the adapter's GovernanceAdapter (the ``rocky_governance``
hook), only for what the adapter declares (``tags``, ``grants``,
``masking`` capabilities). It is best-effort: each action that fails is
recorded with its one-line error and the rest carry on; nothing is rolled
back. Only models this run built successfully are governed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from rocky.adapters import Capability

if TYPE_CHECKING:
    from rocky.adapters import Adapter
    from rocky.governance import GovernanceAdapter, SecurableKind
    from rocky.plan import ModelPlan, Plan
    from rocky.records import RunRecord

__all__ = [
    "DeclaredGovernance",
    "GovernanceAction",
    "GovernanceOutcome",
    "apply_governance",
    "declares_governance",
    "statement_kind",
]

RUN_ENV = "default"
VIEW_STRATEGIES = frozenset({"view"})

# Words a statement's kind is made of; anything else (names, values, the
# body of a policy) never reaches the output.
_KIND_WORDS = frozenset({
    "ALTER", "CREATE", "DROP", "GRANT", "REVOKE", "SHOW", "GRANTS", "SET", "UNSET", "TAG",
    "TAGS", "TABLE", "VIEW", "SCHEMA", "DATABASE", "CATALOG", "COLUMN", "MODIFY", "MASKING",
    "POLICY", "MASK", "FUNCTION", "MATERIALIZED", "OR", "REPLACE", "OPTIONS",
})  # fmt: skip
_QUOTED = re.compile(r"\"(?:[^\"]|\"\")*\"|'(?:[^'\\]|''|\\.)*'|`(?:[^`]|``)*`")
_DOTTED = re.compile(r"[\w$]+(?:\.[\w$]+)+")
_BODY = re.compile(r"\s(?:AS|TO|FROM)\s|[(=]|->")


def statement_kind(sql: str) -> str:
    """What a governance statement does, in its keywords only:
    ``CREATE TAG``, ``ALTER TABLE SET TAG``, ``GRANT``... Quoted names,
    values and bodies are left out."""
    text = _BODY.split(_DOTTED.sub(" ", _QUOTED.sub(" ", sql)), maxsplit=1)[0]
    words = [w for w in re.findall(r"[A-Za-z_]+", text) if w in _KIND_WORDS]
    if words and words[0] in ("GRANT", "REVOKE"):
        return str(words[0])
    return " ".join(words) or "statement"


@dataclass(frozen=True)
class DeclaredGovernance:
    """What the project asks for, independent of any warehouse."""

    tags: Mapping[str, str] = field(default_factory=dict)
    grants: list[tuple[str, str]] = field(default_factory=list)
    schema_grants: list[tuple[str, str]] = field(default_factory=list)
    mask: Mapping[str, Any] = field(default_factory=dict)
    env: str = RUN_ENV

    @classmethod
    def from_config(cls, pipeline_governance: Any, mask: Mapping[str, Any]) -> DeclaredGovernance:
        """From a pipeline's ``target.governance`` (None: nothing declared
        there) and the project's raw ``[mask]`` table."""
        if pipeline_governance is None:
            return cls(mask=dict(mask))

        def pairs(grants: Any) -> list[tuple[str, str]]:
            return [(g.principal, p) for g in grants for p in g.permissions]

        return cls(
            tags=dict(pipeline_governance.tags),
            grants=pairs(pipeline_governance.grants),
            schema_grants=pairs(pipeline_governance.schema_grants),
            mask=dict(mask),
        )


@dataclass
class GovernanceAction:
    """One call on the governance adapter: ``action`` names what it does,
    ``target`` the object (its key as stored), ``statements`` the kinds of
    the statements it executed."""

    action: str
    target: str
    kind: str
    asset_key: list[str]
    statements: list[str] = field(default_factory=list)
    granted: int = 0
    revoked: int = 0
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "action": self.action,
            "target": self.target,
            "kind": self.kind,
            "statements": self.statements,
        }
        if self.action.endswith("grants"):
            data["granted"], data["revoked"] = self.granted, self.revoked
        data["ok"] = self.error is None
        if self.error is not None:
            data["error"] = self.error
        return data


@dataclass
class GovernanceOutcome:
    """Everything governance did in one run. ``supported`` is None when the
    plugin was not asked (nothing declared for what the run built)."""

    adapter_type: str
    supported: bool | None
    env: str = RUN_ENV
    actions: list[GovernanceAction] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def grants_added(self) -> int:
        return sum(a.granted for a in self.actions)

    @property
    def grants_revoked(self) -> int:
        return sum(a.revoked for a in self.actions)

    @property
    def failed(self) -> list[GovernanceAction]:
        return [a for a in self.actions if a.error is not None]

    def errors(self) -> list[dict[str, Any]]:
        """Entries for the run output's ``errors[]``."""
        return [
            {"asset_key": a.asset_key, "error": f"governance {a.action} on {a.target}: {a.error}"}
            for a in self.failed
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "adapter_type": self.adapter_type,
            "supported": self.supported,
            "env": self.env,
            "actions": [a.to_json() for a in self.actions],
            "statements": sum(len(a.statements) for a in self.actions),
            "failed": len(self.failed),
            "notes": self.notes,
        }


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def _built(plan: Plan, record: RunRecord) -> list[ModelPlan]:
    """Models this run built successfully, in plan order."""
    ok = {m.model_name for m in record.models_executed if m.status == "success"}
    return [p for name, p in plan.models.items() if name in ok]


def declares_governance(declared: DeclaredGovernance, plan: Plan, record: RunRecord) -> bool:
    """Is there anything to apply to what this run built?"""
    models = _built(plan, record)
    if not models:
        return False
    if declared.tags or declared.grants or declared.schema_grants:
        return True
    return any(_model_tags(m) or _classification(m) for m in models)


def _model_tags(plan: ModelPlan) -> dict[str, str]:
    governance = plan.model.config.get("governance") or {}
    return dict(governance.get("tags") or {})


def _classification(plan: ModelPlan) -> dict[str, str]:
    return dict(plan.model.config.get("classification") or {})


class _Applier:
    def __init__(
        self, adapter: Adapter, governance: GovernanceAdapter, outcome: GovernanceOutcome
    ) -> None:
        self.adapter = adapter
        self.gov = governance
        self.outcome = outcome

    def run(
        self,
        action: str,
        parts: list[str],
        kind: SecurableKind,
        call: Callable[..., Any],
        *,
        on_handle: bool = True,
    ) -> None:
        """Call ``call`` (with the object's handle when ``on_handle``) and
        record what it did."""
        key = ".".join(parts)
        record = GovernanceAction(action, key, kind, list(parts))
        self.outcome.actions.append(record)
        try:
            result = call(self.gov.securable(key, kind)) if on_handle else call()
        except Exception as exc:  # best-effort: recorded, the rest carry on
            record.error = _one_line(exc)
            return
        if isinstance(result, list):
            record.statements = [statement_kind(s) for s in result]
        else:  # a grant reconciliation
            granted, revoked = list(result.to_grant), list(result.to_revoke)
            record.granted, record.revoked = len(granted), len(revoked)
            record.statements = ["GRANT"] * len(granted) + ["REVOKE"] * len(revoked)


def apply_governance(
    adapter: Adapter,
    governance: GovernanceAdapter | None,
    plan: Plan,
    record: RunRecord,
    declared: DeclaredGovernance,
) -> GovernanceOutcome:
    """Apply ``declared`` to what this run built. Never raises for a
    warehouse or configuration error: each lands in its action."""
    outcome = GovernanceOutcome(adapter.type_name, governance is not None, declared.env)
    models = _built(plan, record)
    if governance is None:
        if declares_governance(declared, plan, record):
            outcome.notes.append(
                f"the {adapter.type_name} adapter has no governance (grants, tags, masking): "
                "the declared governance was not applied"
            )
        return outcome
    can = adapter.supports
    for capability, wanted in (
        (Capability.TAGS, bool(declared.tags) or any(_model_tags(m) for m in models)),
        (Capability.GRANTS, bool(declared.grants or declared.schema_grants)),
        (Capability.MASKING, any(_classification(m) for m in models)),
    ):
        if wanted and not can(capability):
            outcome.notes.append(
                f"the {adapter.type_name} adapter does not declare '{capability.value}': "
                "that part of the declared governance was not applied"
            )
    applier = _Applier(adapter, governance, outcome)
    try:
        _apply_containers(applier, declared, models)
        _apply_models(applier, declared, models)
    except KeyboardInterrupt:
        # The step in progress may be half done: it counts as failed.
        if outcome.actions and outcome.actions[-1].error is None:
            outcome.actions[-1].error = "interrupted"
        outcome.notes.append("interrupted: the remaining governance was not applied")
    return outcome


def _containers(adapter: Adapter, models: list[ModelPlan]) -> tuple[list[str], list[list[str]]]:
    """The catalogs and schemas (as name parts) holding the built models."""
    catalogs: list[str] = []
    schemas: list[list[str]] = []
    for model in models:
        catalog = model.target.catalog or adapter.default_catalog()
        if catalog is None:
            continue
        if catalog not in catalogs:
            catalogs.append(catalog)
        if model.target.schema is not None and [catalog, model.target.schema] not in schemas:
            schemas.append([catalog, model.target.schema])
    return catalogs, schemas


def _apply_containers(
    applier: _Applier, declared: DeclaredGovernance, models: list[ModelPlan]
) -> None:
    can = applier.adapter.supports
    gov = applier.gov
    tag = partial(gov.set_object_tags, tags=declared.tags)
    catalogs, schemas = _containers(applier.adapter, models)
    for catalog in catalogs:
        if declared.tags and can(Capability.TAGS):
            applier.run("tags", [catalog], "DATABASE", tag)
        if declared.grants and can(Capability.GRANTS):
            grant = partial(gov.reconcile_grants, desired=declared.grants)
            applier.run("grants", [catalog], "DATABASE", grant)
    for parts in schemas:
        if declared.tags and can(Capability.TAGS):
            applier.run("tags", parts, "SCHEMA", tag)
        if declared.schema_grants and can(Capability.GRANTS):
            grant = partial(gov.reconcile_grants, desired=declared.schema_grants)
            applier.run("schema_grants", parts, "SCHEMA", grant)


def _apply_models(applier: _Applier, declared: DeclaredGovernance, models: list[ModelPlan]) -> None:
    """Per model, as the original orders it: classification (column tags
    and masking), then the model's tags."""
    can = applier.adapter.supports
    gov = applier.gov
    for model in models:
        target = model.target
        catalog = target.catalog or applier.adapter.default_catalog()
        parts = [p for p in (catalog, target.schema, target.table) if p is not None]
        kind: SecurableKind = "VIEW" if model.strategy in VIEW_STRATEGIES else "TABLE"
        labels = _classification(model)
        if labels and can(Capability.MASKING):
            mask = partial(gov.apply_masking_policy, target, labels, declared.mask, declared.env)
            applier.run("classification", parts, kind, mask, on_handle=False)
        elif labels and can(Capability.TAGS):
            label = partial(gov.apply_column_tags, target, labels)
            applier.run("classification", parts, kind, label, on_handle=False)
        tags = _model_tags(model)
        if tags and can(Capability.TAGS):
            applier.run("tags", parts, kind, partial(gov.set_object_tags, tags=tags))
