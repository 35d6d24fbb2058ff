"""``emit_sql``: the SQL one model compiles to, in any dialect."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rocky.compiler.model import ModelInput, front_end
from rocky.compiler.parse import dialect_for, get_dialect, normalize_dialect
from rocky.compiler.vars import restore_placeholders
from rocky.errors import RockyError

__all__ = ["emit_sql"]


def emit_sql(
    project: Any,
    model: str,
    *,
    dialect: str | None = None,
    variables: Mapping[str, str] | None = None,
    pretty: bool = True,
) -> str:
    """The model's query after ``@var`` substitution (DSL lowered), rendered
    in ``dialect`` (default: the project's). ``@start_date`` / ``@end_date``
    stay as placeholders. Raises RockyError when the model does not compile."""
    src = project.models.get(model)
    if src is None:
        known = ", ".join(sorted(project.models)[:10]) or "none"
        raise RockyError(f"no model named '{model}'", hint=f"models: {known}")
    source_dialect = dialect_for(project.adapter_type)
    target = normalize_dialect(dialect) if dialect else source_dialect
    get_dialect(target)  # an unknown dialect is one clear error
    front, query, _ = front_end(ModelInput.of(src), source_dialect, dict(variables or {}))
    errors = [d for d in front.diags if d[0] in ("E002", "E006", "E028")]
    if errors or query is None:
        code, message, line, col, _ = (
            errors[0] if errors else ("E002", "does not compile", None, None, None)
        )
        raise RockyError(f"{message} [{code}]", file=src.rel_path, line=line, col=col)
    return restore_placeholders(query.sql(dialect=target, pretty=pretty))
