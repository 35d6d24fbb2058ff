"""Built-in lint plugin: contracts (E010-E013, W010, W011) and portability
(P001), run at the end of every compile through ``rocky_diagnostics``.

Registered under the entry-point group ``rocky`` as ``lint``, like any
third-party plugin (``ROCKY_DISABLED_PLUGINS=lint`` turns both off).

``options`` keys read (each optional; a missing key skips what needs it):

- ``project``: the loaded rocky.project.Project (contracts, model sources,
  ``[portability]``). Without it, only ``contracts_dir`` contracts are checked.
- ``contracts_dir``: a directory of ``<model>.contract.toml`` files that wins
  over the contracts the project found beside its models.
- ``target_dialect``: overrides ``[portability] target_dialect``; neither set
  means no portability lint.
- ``allow``: construct names added to ``[portability] allow``.
- ``model``: the one model being compiled; other contracts are not checked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from rocky.contracts import ContractLike, check_contracts
from rocky.diagnostics import Diagnostic
from rocky.errors import ConfigError
from rocky.hookspecs import hookimpl
from rocky.ir import ModelIR, ProjectIR
from rocky.portability import CATALOG, check_call, detect, lint, normalize_dialect, parse_pragmas

__all__ = ["rocky_diagnostics"]


@hookimpl
def rocky_diagnostics(project_ir: ProjectIR, options: dict[str, Any]) -> list[Diagnostic]:
    project = options.get("project")
    return [
        *_contract_diagnostics(project_ir, project, options),
        *_portability_diagnostics(project_ir, project, options),
    ]


def _contract_diagnostics(
    ir: ProjectIR, project: Any, options: Mapping[str, Any]
) -> list[Diagnostic]:
    contracts: dict[str, ContractLike] = dict(getattr(project, "contracts", None) or {})
    directory = options.get("contracts_dir")
    if directory:
        from rocky.contract_files import load_contract_dir

        path = Path(directory)
        if not path.is_dir():
            raise ConfigError(f"contracts directory {directory} does not exist")
        contracts.update(load_contract_dir(path, str(directory).rstrip("/")))
    if not contracts:
        return []
    root = getattr(project, "root", None)
    return check_contracts(ir, contracts, only=options.get("model"), root=root)


def _portability_diagnostics(
    ir: ProjectIR, project: Any, options: Mapping[str, Any]
) -> list[Diagnostic]:
    settings = getattr(getattr(project, "config", None), "portability", None)
    target = options.get("target_dialect") or getattr(settings, "target_dialect", None)
    if not target:
        return []
    target = normalize_dialect(str(target))
    allow = [*(getattr(settings, "allow", None) or []), *(options.get("allow") or [])]
    sources = getattr(project, "models", None) or {}
    only = options.get("model")
    out: list[Diagnostic] = []
    for name, model in ir.models.items():
        if only is not None and name != only:
            continue
        out.extend(_lint_model(ir, model, sources.get(name), target, allow))
    return out


def _lint_model(
    ir: ProjectIR, model: ModelIR, source: Any, target: str, allow: Iterable[str]
) -> list[Diagnostic]:
    if source is not None and source.kind == "sql":
        return lint(
            source.text,
            ir.dialect,
            target,
            allow,
            file=source.rel_path,
            line_offset=source.line_offset,
            model=model.name,
        )
    if source is None:
        return lint(model.sql, ir.dialect, target, allow, file=model.file, model=model.name)
    return _lint_dsl(ir, model, source, target, allow)


def _lint_dsl(
    ir: ProjectIR, model: ModelIR, source: Any, target: str, allow: Iterable[str]
) -> list[Diagnostic]:
    """A DSL model: catalog functions are found by name in the DSL text (the
    lowering may rename them), everything else in the SQL it lowers to."""
    from rocky.dsl import DslSyntaxError
    from rocky.dsl.tokens import IDENT, tokenize

    allowed = {a.strip().upper() for a in allow} | parse_pragmas(source.text)
    try:
        tokens = tokenize(source.text, source.rel_path)
    except DslSyntaxError:
        return []  # the compiler reports E006
    found: list[Diagnostic] = []
    for i, tok in enumerate(tokens[:-1]):
        name = tok.text.upper()
        if tok.kind != IDENT or tokens[i + 1].kind != "(" or name not in CATALOG:
            continue
        if name in allowed:
            continue
        issue = check_call(tok.text, _lowered_call(source.text, tokens, i), target)
        if issue is not None:
            line = source.line_offset + tok.line
            found.append(issue.diagnostic(source.rel_path, line, tok.col, model.name))
    for issue in detect(model.sql, ir.dialect, target):
        if issue.construct in CATALOG or issue.construct in allowed:
            continue
        line, col = _dsl_position(source.text, issue.construct, 0)
        found.append(issue.diagnostic(source.rel_path, source.line_offset + line, col, model.name))
    return sorted(found, key=lambda d: (d.span.line, d.span.col) if d.span else (0, 0))


def _lowered_call(text: str, tokens: list[Any], index: int) -> str | None:
    """The DSL call starting at ``tokens[index]``, lowered to SQL."""
    from sqlglot import exp

    from rocky.dsl import DslSyntaxError, compile_dsl

    depth = 0
    for tok in tokens[index + 1 :]:
        depth += 1 if tok.kind == "(" else -1 if tok.kind == ")" else 0
        if depth == 0:
            call = text[tokens[index].start : tok.end]
            break
    else:
        return None
    try:
        select = compile_dsl(f"from t\nderive {{ x: {call} }}")
    except DslSyntaxError:
        return None
    last = select.expressions[-1]
    return str((last.this if isinstance(last, exp.Alias) else last).sql())


def _dsl_position(text: str, construct: str, nth: int) -> tuple[int, int]:
    """Line and column of the ``nth`` use of ``construct`` in DSL text,
    skipping comments and string literals; (1, 1) when not found."""
    pattern = re.compile(rf"(?<![A-Za-z0-9_]){re.escape(construct)}(?![A-Za-z0-9_])", re.I)
    count = 0
    for number, line in enumerate(text.splitlines(), start=1):
        code = _strip_strings(line).split("--", 1)[0]
        for match in pattern.finditer(code):
            if count == nth:
                return number, match.start() + 1
            count += 1
    return 1, 1


def _strip_strings(line: str) -> str:
    """Blank out string literals, keeping offsets."""
    return re.sub(r"'[^']*'|\"[^\"]*\"", lambda m: " " * len(m.group(0)), line)
