"""Contract files (``<model>.contract.toml``): parsing only.

A contract lists the columns a model promises (``[[columns]] name type?
nullable? description?``) and rules (``[rules] required protected
no_new_nullable``). Checking a contract against a compiled model is
:mod:`rocky.contracts`' job. Types use rocky's spelling (``Int64``,
``Decimal(38,2)``, ``String``); warehouse spellings (``BIGINT``) work too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ConfigDict, Field

from rocky.errors import ConfigError
from rocky.schema_check import Located, StrictModel, validate
from rocky.tomlio import decode, parse
from rocky.types import RockyType, parse_type

__all__ = [
    "SUFFIX",
    "ContractColumn",
    "ContractFile",
    "load_contract",
    "load_contract_dir",
    "load_contracts",
]

SUFFIX = ".contract.toml"


@dataclass(frozen=True)
class ContractColumn:
    """``type`` is None when the contract declares none, or a spelling rocky
    does not know (``type_name`` keeps what was written, so a checker can
    report it instead of the load failing)."""

    name: str
    type: RockyType | None = None
    nullable: bool | None = None
    description: str | None = None
    type_name: str | None = None


@dataclass(frozen=True)
class ContractFile:
    """A parsed contract. ``model`` is the model it belongs to (the file
    name without ``.contract.toml``, or the model it sits beside)."""

    model: str
    path: Path
    rel_path: str
    columns: list[ContractColumn] = field(default_factory=list)
    required: list[str] = field(default_factory=list)
    protected: list[str] = field(default_factory=list)
    no_new_nullable: bool = False


# Built on first use (most projects have no contracts); default factories
# are plain functions, which pydantic inspects cheaply.
_ON_FIRST_USE = ConfigDict(defer_build=True)


def _list() -> list[Any]:
    return []


def _rules() -> _Rules:
    return _Rules()


class _Column(StrictModel):
    model_config = _ON_FIRST_USE

    name: str
    type: str | None = None
    nullable: bool | None = None
    description: str | None = None


class _Rules(StrictModel):
    model_config = _ON_FIRST_USE

    required: list[str] = Field(default_factory=_list)
    protected: list[str] = Field(default_factory=_list)
    no_new_nullable: bool = False


class _Contract(StrictModel):
    model_config = _ON_FIRST_USE

    columns: list[_Column] = Field(default_factory=_list)
    rules: _Rules = Field(default_factory=_rules)


def load_contract(path: Path, model: str, shown: str) -> ContractFile:
    """Parse one contract file. ``shown`` is the path used in errors.
    Contracts are not environment-substituted: they describe data, not
    deployments."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{shown}: cannot read ({exc.strerror or exc})") from None
    text = decode(raw, file=shown)
    where = Located(shown, text)
    data = validate(_Contract, parse(text, file=shown), where)
    columns = []
    for column in data.columns:
        rocky_type = None
        if column.type is not None:
            try:
                rocky_type = parse_type(column.type)
            except ValueError:
                rocky_type = None
        columns.append(
            ContractColumn(
                column.name, rocky_type, column.nullable, column.description, column.type
            )
        )
    return ContractFile(
        model=model,
        path=path.absolute(),
        rel_path=shown,
        columns=columns,
        required=list(data.rules.required),
        protected=list(data.rules.protected),
        no_new_nullable=data.rules.no_new_nullable,
    )


def load_contract_dir(directory: Path, shown_dir: str) -> dict[str, ContractFile]:
    """Every ``*.contract.toml`` directly in ``directory``, by model name."""
    out: dict[str, ContractFile] = {}
    if not directory.is_dir():
        return out
    for path in sorted(directory.iterdir()):
        if path.name.endswith(SUFFIX) and path.is_file():
            model = path.name[: -len(SUFFIX)]
            out[model] = load_contract(path, model, f"{shown_dir}/{path.name}")
    return out


def load_contracts(
    beside: Mapping[str, tuple[Path, str]], directory: Path | None, shown_dir: str
) -> dict[str, ContractFile]:
    """Contracts beside models (``beside``: model -> (path, shown)), then
    the contracts directory, which wins for a model named in both."""
    out = {model: load_contract(path, model, shown) for model, (path, shown) in beside.items()}
    if directory is not None:
        out.update(load_contract_dir(directory, shown_dir))
    return out
