"""Resolving a model's configuration: sidecar > group > ``_defaults.toml``
> file-stem defaults.

- ``_defaults.toml`` applies to the models of its own directory only.
- A group is ``groups/<name>.toml`` in the model's directory, else in the
  models root. Its ``schema_template`` placeholders (``{region}``) are
  filled from the model's ``[args]``; ``enforce = true`` forbids a model
  from overriding the group's ``strategy`` or target schema.
- ``[[use_test]]`` names are resolved against ``test_definitions.toml``
  (the model's directory, else the models root).
- ``[strategy]`` is validated by the registered strategy's config model.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from collections.abc import Hashable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from rocky.envsubst import substitute
from rocky.model_config import (
    DirDefaults,
    Freshness,
    GroupConfig,
    ModelConfig,
    ModelGovernance,
    SidecarConfig,
    Target,
)
from rocky.plugins import get_registry
from rocky.schema_check import Located, validate
from rocky.strategies import StrategyConfig
from rocky.tomlio import decode, describe_value, parse

__all__ = ["DirContext", "Resolver"]

_M = TypeVar("_M", bound=BaseModel)

_PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_]+)(?::[^}]*)?\}")
_IDENTIFIER = re.compile(r"[A-Za-z0-9_]+")
_PER_MODEL = ("name", "depends_on", "sources")


class DirContext:
    """What one directory contributes: its ``_defaults.toml`` and where to
    look for groups and named tests."""

    __slots__ = ("defaults", "defaults_where", "directory")

    def __init__(
        self, directory: Path, defaults: DirDefaults | None, where: Located | None
    ) -> None:
        self.directory = directory
        self.defaults = defaults
        self.defaults_where = where


class Resolver:
    """Turns sidecars into :class:`ModelConfig`; caches what models share."""

    def __init__(self, root: Path, models_dir: Path, env: Mapping[str, str] | None) -> None:
        self.root = root
        self.models_dir = models_dir
        self.env = env
        self._groups: dict[Path, dict[str, tuple[GroupConfig, Located]]] = {}
        self._tests: dict[Path, dict[str, dict[str, Any]]] = {}
        self._strategies: dict[Hashable, StrategyConfig] = {}
        self._dumps: dict[int, tuple[BaseModel, dict[str, Any], bool]] = {}

    # -- files shared by many models -------------------------------------------------

    def _read_toml(self, path: Path) -> tuple[dict[str, Any], Located]:
        from rocky.model_files import read_bytes, rel

        shown = rel(path, self.root)
        raw = read_bytes(os.fspath(path), shown)
        text = substitute(decode(raw, file=shown), env=self.env, file=shown)
        return parse(text, file=shown), Located(shown, text)

    def context(self, directory: Path, files: Mapping[str, str]) -> DirContext:
        path = files.get("_defaults.toml")
        if path is None:
            return DirContext(directory, None, None)
        data, where = self._read_toml(Path(path))
        for key in _PER_MODEL:
            if key in data:
                raise where.error(
                    f"`{key}` is set per model and cannot be a directory default",
                    (key,),
                    hint="move it to the model's sidecar",
                )
        return DirContext(directory, validate(DirDefaults, data, where), where)

    def _group_files(self, directory: Path) -> dict[str, tuple[GroupConfig, Located]]:
        if directory not in self._groups:
            found: dict[str, tuple[GroupConfig, Located]] = {}
            groups_dir = directory / "groups"
            if groups_dir.is_dir():
                for path in sorted(groups_dir.glob("*.toml")):
                    data, where = self._read_toml(path)
                    found[path.stem] = (validate(GroupConfig, data, where), where)
            self._groups[directory] = found
        return self._groups[directory]

    def _group(
        self, name: str, ctx: DirContext, model: str, where: Located
    ) -> tuple[GroupConfig, Located]:
        for directory in (ctx.directory, self.models_dir):
            found = self._group_files(directory).get(name)
            if found is not None:
                return found
        known = sorted({*self._group_files(ctx.directory), *self._group_files(self.models_dir)})
        close = difflib.get_close_matches(name, known, n=1)
        raise where.error(
            f"model `{model}` names group `{name}`, but there is no groups/{name}.toml",
            ("group",),
            hint=f"did you mean `{close[0]}`?"
            if close
            else "create models/groups/" + name + ".toml",
        )

    def _test_definitions(self, directory: Path) -> dict[str, dict[str, Any]]:
        if directory not in self._tests:
            path = directory / "test_definitions.toml"
            definitions: dict[str, dict[str, Any]] = {}
            if path.is_file():
                data, where = self._read_toml(path)
                for name, definition in data.items():
                    if not isinstance(definition, dict) or not isinstance(
                        definition.get("type"), str
                    ):
                        raise where.error(
                            f"`[{name}]` must be a table with a `type` (such as `not_null`)",
                            (name,),
                        )
                    definitions[name] = definition
            self._tests[directory] = definitions
        return self._tests[directory]

    # -- strategy --------------------------------------------------------------------

    def strategy(self, table: dict[str, Any] | None, where: Located) -> StrategyConfig:
        """Validate a ``[strategy]`` table with its registered config model."""
        if table is None:
            table = {"type": "full_refresh"}
        key = _freeze(table)
        cached = self._strategies.get(key)
        if cached is not None:
            return cached
        kind = table.get("type")
        if not isinstance(kind, str):
            got = "nothing" if kind is None else describe_value(kind)
            raise where.error(
                f"`[strategy] type` must be a string, got {got}", ("strategy", "type")
            )
        strategies = get_registry().strategies
        spec = strategies.get(kind)
        if spec is None:
            close = difflib.get_close_matches(kind, list(strategies), n=1)
            known = ", ".join(sorted(strategies))
            raise where.error(
                f"unknown strategy type `{kind}` (known: {known})",
                ("strategy", "type"),
                hint=f"did you mean `{close[0]}`?" if close else None,
            )
        value = validate(spec.config_model, table, where, prefix=("strategy",), strict=True)
        self._strategies[key] = value
        return value

    # -- resolution ------------------------------------------------------------------

    def defaults_only(self, stem: str, ctx: DirContext) -> tuple[ModelConfig, dict[str, Any]]:
        """A ``.rocky`` model without sidecar: the directory defaults, else
        catalog ``warehouse`` and schema ``default``. Returns the config and
        its dump (see :meth:`resolve`)."""
        d = ctx.defaults
        where = ctx.defaults_where or _NOWHERE
        target = d.target if d is not None else None
        return self._build(
            stem,
            self.strategy(d.strategy if d else None, where),
            _target(
                (target.catalog if target else None) or "warehouse",
                (target.schema_ if target else None) or "default",
                stem,
            ),
            d.intent if d else None,
            d.freshness if d else None,
            _EMPTY,
            None,
            _NO_GOVERNANCE,
            None,
        )

    def resolve(
        self, side: SidecarConfig, stem: str, ctx: DirContext, where: Located
    ) -> tuple[ModelConfig, dict[str, Any]]:
        """The model's resolved config, and its dump: exactly
        ``config.model_dump(mode="json", by_alias=True)``, built from parts
        shared by many models where it can be."""
        name = side.name if side.name is not None else stem
        if not name:
            raise where.error("`name` must not be empty", ("name",))
        group: GroupConfig | None = None
        group_where: Located | None = None
        if side.group is not None:
            group, group_where = self._group(side.group, ctx, name, where)
        pinned_schema = side.target.schema_ if side.target else None
        if group is not None:
            _check_group(side, group, name, pinned_schema, where)
        d = ctx.defaults
        d_where = ctx.defaults_where or _NOWHERE
        if side.strategy is not None:
            strategy = self.strategy(side.strategy, where)
        elif group is not None and group.strategy is not None and group_where is not None:
            strategy = self.strategy(group.strategy, group_where)
        else:
            strategy = self.strategy(d.strategy if d else None, d_where)
        target = self._target(side, name, group, pinned_schema, d, where)
        tags = {**group.tags, **side.tags} if group else side.tags
        governance = side.governance
        if group is not None and group.governance.tags:
            governance = ModelGovernance(tags={**group.governance.tags, **side.governance.tags})
        elif not governance.__pydantic_fields_set__:
            governance = _NO_GOVERNANCE  # the sidecar's default: share one
        tests = side.tests
        if side.use_test:
            tests = list(tests) + self._use_tests(side, ctx, name, where)
        return self._build(
            name,
            strategy,
            target,
            side.intent if side.intent is not None else (d.intent if d else None),
            side.freshness if side.freshness is not None else (d.freshness if d else None),
            side,
            tags,
            governance,
            tests,
        )

    def _target(
        self,
        side: SidecarConfig,
        name: str,
        group: GroupConfig | None,
        pinned_schema: str | None,
        d: DirDefaults | None,
        where: Located,
    ) -> Target:
        dt = d.target if d is not None else None
        st = side.target
        catalog: str | None = None
        table = name
        if st is not None:
            catalog = st.catalog
            if st.table is not None:
                table = st.table
        if catalog is None and dt is not None:
            catalog = dt.catalog
        schema = pinned_schema
        if schema is None:
            if group is not None and group.schema_template is not None:
                schema = _fill_template(group.schema_template, side, name, where)
            if schema is None and dt is not None:
                schema = dt.schema_
        if catalog is None or schema is None:
            missing = "catalog" if catalog is None else "schema"
            raise where.error(
                f"model `{name}` has no target {missing} (MissingTarget)",
                ("target",),
                hint=f'add `[target] {missing} = "..."` to the sidecar, or a `_defaults.toml` '
                "with it beside the model",
            )
        # An empty catalog means the adapter's default one (DuckDB projects).
        if not schema.strip():
            raise where.error(f"model `{name}` has an empty target schema", ("target", "schema"))
        if not table.strip():
            raise where.error(f"model `{name}` has an empty target table", ("target", "table"))
        return _target(catalog, schema, table)

    def _build(
        self,
        name: str,
        strategy: StrategyConfig,
        target: Target,
        intent: str | None,
        freshness: Freshness | None,
        s: SidecarConfig,
        tags: dict[str, str] | None,
        governance: ModelGovernance,
        tests: list[dict[str, Any]] | None,
    ) -> tuple[ModelConfig, dict[str, Any]]:
        # What ``ModelConfig.model_validate`` returns for these (validated)
        # parts: containers copied, models kept.
        values: dict[str, Any] = {
            "name": name,
            "depends_on": list(s.depends_on),
            "strategy": strategy,
            "target": target,
            "sources": list(s.sources),
            "adapter": s.adapter,
            "intent": intent,
            "group": s.group,
            "args": dict(s.args),
            "retention": s.retention,
            "format": s.format,
            "format_options": s.format_options.model_dump(exclude_defaults=True)
            if s.format_options
            else {},
            "freshness": freshness,
            "budget": s.budget,
            "tags": dict(tags) if tags else {},
            "governance": governance,
            "classification": dict(s.classification),
            "skip": s.skip,
            "tests": [dict(t) for t in tests] if tests else [],
            "use_test": [u.model_dump() for u in s.use_test] if s.use_test else [],
            "test": [dict(t) for t in s.test],
            "surrogate_key": [k.model_dump() for k in s.surrogate_key] if s.surrogate_key else [],
            "columns": dict(s.columns),
        }
        config = _construct(ModelConfig, values)
        if (
            values["sources"]
            or values["format_options"]
            or values["budget"] is not None
            or values["skip"] is not None
            or values["tests"]
            or values["use_test"]
            or values["test"]
            or values["surrogate_key"]
            or values["columns"]
        ):
            return config, config.model_dump(mode="json", by_alias=True)
        # The common shape, dumped by hand: plain values copied, the shared
        # strategy and freshness dumped once each.
        data: dict[str, Any] = {
            "name": name,
            "depends_on": list(s.depends_on),
            "strategy": self._dump(strategy),
            "target": {"catalog": target.catalog, "schema": target.schema_, "table": target.table},
            "sources": [],
            "adapter": s.adapter,
            "intent": intent,
            "group": s.group,
            "args": dict(s.args),
            "retention": s.retention,
            "format": s.format,
            "format_options": {},
            "freshness": self._dump(freshness) if freshness is not None else None,
            "budget": None,
            "tags": dict(tags) if tags else {},
            "governance": {"tags": dict(governance.tags)},
            "classification": dict(s.classification),
            "skip": None,
            "tests": [],
            "use_test": [],
            "test": [],
            "surrogate_key": [],
            "columns": {},
        }
        return config, data

    def _dump(self, model: BaseModel) -> dict[str, Any]:
        """``model.model_dump(mode="json", by_alias=True)`` for a model many
        configs share (a strategy, a directory's freshness): dumped once,
        copied for each config."""
        found = self._dumps.get(id(model))
        if found is None:
            data = model.model_dump(mode="json", by_alias=True)
            flat = not any(type(v) in (dict, list) for v in data.values())
            # the model is kept with its dump, so its id is not reused
            found = self._dumps[id(model)] = (model, data, flat)
        if found[2]:
            return dict(found[1])
        return {k: _copy(v) for k, v in found[1].items()}

    def _use_tests(
        self, side: SidecarConfig, ctx: DirContext, name: str, where: Located
    ) -> list[dict[str, Any]]:
        resolved: list[dict[str, Any]] = []
        for ref in side.use_test:
            definition = self._test_definitions(ctx.directory).get(
                ref.name
            ) or self._test_definitions(self.models_dir).get(ref.name)
            if definition is None:
                raise where.error(
                    f"model `{name}` uses test `{ref.name}`, "
                    "which test_definitions.toml does not define",
                    ("use_test",),
                )
            test = {k: v for k, v in definition.items() if k != "column"}
            column = ref.column or definition.get("column")
            if column is not None:
                test["column"] = column
            test["severity"] = ref.severity
            if ref.filter is not None:
                test["filter"] = ref.filter
            resolved.append(test)
        return resolved


def _freeze(table: dict[str, Any]) -> Hashable:
    """A cache key for a strategy table (key order does not matter)."""
    try:
        key = tuple(sorted(table.items()))
        hash(key)
        return key
    except TypeError:  # a list value: unhashable
        return json.dumps(table, sort_keys=True, default=repr)


def _check_group(
    side: SidecarConfig, group: GroupConfig, name: str, pinned_schema: str | None, where: Located
) -> None:
    gname = side.group
    if group.enforce:
        if group.strategy is not None and side.strategy is not None:
            raise where.error(
                f"model `{name}` sets `strategy`, which its enforced group '{gname}' controls",
                ("strategy",),
                hint="remove the model's [strategy], or set `enforce = false` in the group",
            )
        if group.schema_template is not None and pinned_schema is not None:
            raise where.error(
                f"model `{name}` pins `target.schema`, which its enforced group '{gname}' controls",
                ("target", "schema"),
                hint="remove the pinned schema and route with [args], "
                "or set `enforce = false` in the group",
            )
    if group.schema_template is not None and side.args and pinned_schema is not None:
        raise where.error(
            f"model `{name}` pins `target.schema` and also gives [args] for group '{gname}'s "
            "schema_template; the pin wins, so the [args] are dead",
            ("target", "schema"),
            hint="drop the pinned schema to route with [args], or drop [args] to keep the pin",
        )


def _fill_template(template: str, side: SidecarConfig, name: str, where: Located) -> str:
    missing = [key for key in _PLACEHOLDER.findall(template) if key not in side.args]
    if missing:
        raise where.error(
            f"group '{side.group}' schema_template `{template}` needs "
            + ", ".join(f"`{m}`" for m in missing)
            + f" in the [args] of model `{name}`",
            ("args",) if side.args else ("group",),
        )
    schema = _PLACEHOLDER.sub(lambda m: side.args[m.group(1)], template)
    if not _IDENTIFIER.fullmatch(schema):
        raise where.error(
            f"group '{side.group}' schema_template resolves to `{schema}` for model `{name}`, "
            "which is not a valid identifier (letters, digits, underscores)",
            ("args",),
        )
    return schema


def _target(catalog: str, schema: str, table: str) -> Target:
    """``Target(catalog=..., schema=..., table=...)`` for values that are
    strings already (checked by the tables they come from)."""
    return _construct(Target, {"catalog": catalog, "schema_": schema, "table": table})


# Every field of a resolved config is always given, so each instance's
# ``model_fields_set`` holds the same names: one set per model class instead
# of one per model (a 2 KB set each, tens of MB in a large project). The
# models are frozen, so nothing adds to it; pydantic copies it for
# ``model_copy`` and ``copy.deepcopy``.
_FIELDS_SETS: dict[type[BaseModel], set[str]] = {}


def _fields_set(cls: type[BaseModel]) -> set[str]:
    shared = _FIELDS_SETS.get(cls)
    if shared is None:
        shared = _FIELDS_SETS[cls] = set(cls.model_fields)
    return shared


def _construct(cls: type[_M], values: dict[str, Any]) -> _M:
    """The instance ``cls.model_validate`` returns for ``values`` (every
    field, in declaration order, each already of its field's type), made
    without running the validator: the parts are validated where they are
    read, and this runs once per model."""
    model = cls.__new__(cls)
    _set = object.__setattr__
    _set(model, "__dict__", values)
    _set(model, "__pydantic_fields_set__", _fields_set(cls))
    _set(model, "__pydantic_extra__", None)
    _set(model, "__pydantic_private__", None)
    return model


def _copy(value: Any) -> Any:
    """A fresh copy of JSON-like data (dicts, lists and scalars)."""
    if type(value) is dict:
        return {k: _copy(v) for k, v in value.items()}
    if type(value) is list:
        return [_copy(v) for v in value]
    return value


_EMPTY = SidecarConfig()
_NO_GOVERNANCE = ModelGovernance()
_NOWHERE = Located(None)
