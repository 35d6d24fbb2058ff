"""Turn benchmark results into a markdown table, a target check and a chart."""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["COMPARISONS", "chart", "find", "markdown", "targets", "update_doc"]

Result = Mapping[str, Any]

# (row label, rocky case, dbt case); None where one tool has no equivalent.
COMPARISONS: tuple[tuple[str, str | None, str | None], ...] = (
    ("cold compile (dbt: `dbt compile`)", "compile_cold", "compile_cold"),
    ("cold compile (dbt: `dbt parse`)", "compile_cold", "parse_cold"),
    ("warm compile, 1 model edited", "compile_warm_1", "compile_warm_1"),
    ("warm compile, 10 models edited", "compile_warm_10", "compile_warm_10"),
    ("lineage of one mart column (warm)", "lineage_column", None),
    ("run on DuckDB, fresh database", "run", "run"),
    ("start-up (`--version`)", "startup", "startup"),
    ("start-up of the whole CLI (`--help`)", "startup_help", "startup_help"),
)

DOC_START = "<!-- bench:start -->"
DOC_END = "<!-- bench:end -->"


def find(results: Sequence[Result], tool: str, case: str, scale: int | None) -> Result | None:
    """The successful result of ``case`` for ``tool`` at ``scale``, if measured."""
    for r in results:
        if r["tool"] == tool and r["case"] == case and r["scale"] == scale and r["ok"]:
            return r
    return None


def _cell(r: Result | None) -> str:
    if r is None:
        return "—"
    return f"{r['median_s']:.3g} s · {r['peak_rss_mb']:.0f} MB"


def _scales(results: Sequence[Result]) -> list[int]:
    return sorted({r["scale"] for r in results if r["scale"] is not None})


def markdown(data: Mapping[str, Any]) -> str:
    """The side-by-side table (median wall time · peak RSS) and the target check."""
    results: Sequence[Result] = data["results"]
    lines = []
    if "date" in data:
        machine = data.get("machine", {})
        versions = data.get("versions", {})
        rocky_v = versions.get("rocky", {})
        dbt_v = versions.get("dbt", {})
        lines += [
            f"Recorded {data['date']} on {machine.get('cores', '?')} cores "
            f"({machine.get('cpu', '?')}), load average "
            f"{machine.get('load_average_at_start', ['?'])[0]} at the start and "
            f"{machine.get('load_average_at_end', ['?'])[0]} at the end; "
            f"rocky {rocky_v.get('rocky', '?')} (sqlglot {rocky_v.get('sqlglot', '?')}, "
            f"sqlglotc {rocky_v.get('sqlglotc', 'absent')}), dbt-core {dbt_v.get('dbt-core', '?')}"
            f" with dbt-duckdb {dbt_v.get('dbt-duckdb', '?')}, DuckDB "
            f"{rocky_v.get('duckdb', '?')}. Each cell: median wall time · highest peak RSS.",
            "",
        ]
    lines += [
        "| what | models | rocky | dbt | dbt ÷ rocky |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, rocky_case, dbt_case in COMPARISONS:
        unscaled = rocky_case in ("startup", "startup_help")
        scales: list[int | None] = [None] if unscaled else list(_scales(results))
        for scale in scales:
            r = find(results, "rocky", rocky_case, scale) if rocky_case else None
            d = find(results, "dbt", dbt_case, scale) if dbt_case else None
            if r is None and d is None:
                continue
            ratio = f"{d['median_s'] / r['median_s']:.1f}x" if r and d else "—"
            shown = "—" if scale is None else f"{scale:,}"
            lines.append(f"| {label} | {shown} | {_cell(r)} | {_cell(d)} | {ratio} |")
    failures = [r for r in results if not r["ok"]]
    if failures:
        lines += ["", "Not measured (the command failed):", ""]
        for r in failures:
            lines.append(f"- {r['tool']} {r['case']} at {r['scale']}: {r['error']}")
    lines += ["", "| target | limit | measured | met |", "|---|---|---|---|"]
    for t in data.get("targets", []):
        met = {True: "yes", False: "**no**", None: "not measured"}[t["met"]]
        lines.append(f"| {t['name']} | {t['limit']} | {t['measured']} | {met} |")
    return "\n".join(lines) + "\n"


def _target(
    name: str, limit: str, value: float | None, good: Callable[[float], bool], unit: str
) -> dict[str, Any]:
    measured = "—" if value is None else f"{value:.3g} {unit}"
    met = None if value is None else good(value)
    return {"name": name, "limit": limit, "measured": measured, "met": met}


def _median(r: Result | None, scale: float = 1.0) -> float | None:
    return None if r is None else float(r["median_s"]) * scale


def _ratio(slow: Result | None, fast: Result | None) -> float | None:
    if slow is None or fast is None:
        return None
    return float(slow["median_s"]) / float(fast["median_s"])


def targets(
    results: Sequence[Result], big: int = 10_000, small: int = 1_000
) -> list[dict[str, Any]]:
    """Check the speed targets of the project against the measured results."""

    def rocky(case: str, scale: int | None) -> Result | None:
        return find(results, "rocky", case, scale)

    def dbt(case: str, scale: int | None) -> Result | None:
        return find(results, "dbt", case, scale)

    peaks = [
        float(r["peak_rss_mb"])
        for r in results
        if r["tool"] == "rocky" and r["scale"] == big and r["ok"]
    ]
    cold = rocky("compile_cold", big)
    return [
        _target(f"cold compile, {big:,} models", "< 5 s", _median(cold), lambda v: v < 5, "s"),
        _target(
            f"dbt compile ÷ rocky compile, {big:,}",
            ">= 30x",
            _ratio(dbt("compile_cold", big), cold),
            lambda v: v >= 30,
            "x",
        ),
        _target(
            f"warm compile after 1 edit, {big:,}",
            "< 0.5 s",
            _median(rocky("compile_warm_1", big)),
            lambda v: v < 0.5,
            "s",
        ),
        _target(
            f"peak RSS, {big:,} models",
            "< 300 MB",
            max(peaks) if peaks else None,
            lambda v: v < 300,
            "MB",
        ),
        _target(
            "`rocky --version`",
            "< 150 ms",
            _median(rocky("startup", None), 1000),
            lambda v: v < 150,
            "ms",
        ),
        _target(
            f"column lineage, {big:,} (warm)",
            "< 1 s",
            _median(rocky("lineage_column", big)),
            lambda v: v < 1,
            "s",
        ),
        _target(
            f"dbt run ÷ rocky run, {small:,}",
            ">= 3x",
            _ratio(dbt("run", small), rocky("run", small)),
            lambda v: v >= 3,
            "x",
        ),
    ]


_SERIES = (
    ("rocky", "compile_cold", "rocky compile (cold)", "-o"),
    ("rocky", "compile_warm_1", "rocky compile (warm, 1 edit)", "--o"),
    ("dbt", "compile_cold", "dbt compile (cold)", "-s"),
    ("dbt", "parse_cold", "dbt parse (cold)", ":s"),
    ("dbt", "compile_warm_1", "dbt compile (partial parse, 1 edit)", "--s"),
)


def chart(data: Mapping[str, Any], path: Path) -> bool:
    """Time against model count for both tools (PNG); False without matplotlib."""
    try:
        matplotlib: Any = importlib.import_module("matplotlib")
    except ImportError:
        return False
    matplotlib.use("Agg")
    plt: Any = importlib.import_module("matplotlib.pyplot")
    results: Sequence[Result] = data["results"]
    fig, ax = plt.subplots(figsize=(8, 5), dpi=120)
    for tool, case, label, style in _SERIES:
        points = [(s, find(results, tool, case, s)) for s in _scales(results)]
        xs = [s for s, r in points if r]
        ys = [r["median_s"] for _, r in points if r]
        if not xs:
            continue
        color = "tab:blue" if tool == "rocky" else "tab:orange"
        ax.plot(xs, ys, style, color=color, label=label)
        for x, y in zip(xs, ys, strict=True):
            ax.annotate(f"{y:.3g} s", (x, y), textcoords="offset points", xytext=(6, 4), fontsize=8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ticker: Any = importlib.import_module("matplotlib.ticker")
    plain = ticker.FuncFormatter(lambda v, _: f"{v:,g}")
    ax.xaxis.set_major_formatter(plain)
    ax.xaxis.set_minor_formatter(ticker.NullFormatter())
    ax.yaxis.set_major_formatter(plain)
    # Label the 2s and 5s between powers of ten, not every minor tick.
    some = ticker.FuncFormatter(lambda v, _: f"{v:,g}" if f"{v:g}"[0] in "25" else "")
    ax.yaxis.set_minor_formatter(some)
    ax.set_xticks(_scales(results))
    ax.set_xlabel("models in the project")
    ax.set_ylabel("median wall time (s)")
    machine = data.get("machine", {})
    ax.set_title(f"Compile time against model count ({machine.get('cores', '?')} cores)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return True


def update_doc(doc: Path, block: str) -> None:
    """Replace the generated block of ``doc`` (between the bench markers)."""
    text = doc.read_text()
    pattern = re.compile(re.escape(DOC_START) + ".*?" + re.escape(DOC_END), re.S)
    if not pattern.search(text):
        raise ValueError(f"{doc}: no {DOC_START} ... {DOC_END} block to replace")
    doc.write_text(pattern.sub(lambda _: f"{DOC_START}\n{block}{DOC_END}", text))
