"""The benchmark harness: measurement of real processes, and the report."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / f"benchmarks/{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


measure = _load("measure")
report = _load("report")

# Touch every page so that the memory is really resident.
_HOLD = (
    "import time; block = bytearray({mb} * 2**20); "
    "block[::4096] = b'x' * len(block[::4096]); time.sleep({s})"
)


def test_measure_reads_wall_time_and_peak_memory(tmp_path: Path) -> None:
    sample = measure.measure([sys.executable, "-c", _HOLD.format(mb=80, s=0.2)], cwd=tmp_path)
    assert sample.wall_s >= 0.2
    assert sample.peak_rss_mb >= 80
    assert sample.user_s > 0


def test_measure_sums_a_process_tree(tmp_path: Path) -> None:
    child = _HOLD.format(mb=60, s=0.5)
    parent = (
        "import subprocess, sys\n"
        f"keep = bytearray(60 * 2**20); keep[::4096] = b'x' * len(keep[::4096])\n"
        f"subprocess.run([sys.executable, '-c', {child!r}], check=True)\n"
    )
    sample = measure.measure([sys.executable, "-c", parent], cwd=tmp_path)
    # Either process alone stays well under 100 MB; together they exceed it.
    assert sample.peak_rss_mb >= 110


def test_a_failing_command_names_its_exit_code_and_error(tmp_path: Path) -> None:
    argv = [sys.executable, "-c", "import sys; sys.exit('broken model')"]
    with pytest.raises(measure.CommandFailed, match="exited 1: broken model") as info:
        measure.measure(argv, cwd=tmp_path, log_stem=tmp_path / "logs" / "case")
    assert info.value.code == 1
    assert (tmp_path / "logs" / "case.err").read_text().strip() == "broken model"


def test_summary_is_the_median_and_the_highest_peak() -> None:
    samples = [measure.Sample(w, m, 0.1, 0.0) for w, m in ((3.0, 10), (1.0, 30), (2.0, 20))]
    summary = measure.summarize(samples)
    assert summary["median_s"] == 2.0
    assert summary["min_s"] == 1.0
    assert summary["peak_rss_mb"] == 30
    assert len(summary["runs"]) == 3


def _result(tool: str, case: str, scale: int | None, median: float, rss: float) -> dict[str, Any]:
    return {
        "tool": tool,
        "case": case,
        "scale": scale,
        "ok": True,
        "error": None,
        "median_s": median,
        "peak_rss_mb": rss,
    }


def test_targets_are_checked_and_unmeasured_ones_say_so() -> None:
    results = [
        _result("rocky", "compile_cold", 10_000, 4.0, 250),
        _result("dbt", "compile_cold", 10_000, 100.0, 400),
        _result("rocky", "compile_warm_1", 10_000, 0.7, 120),
        _result("rocky", "startup", None, 0.05, 20),
    ]
    by_name = {t["name"]: t for t in report.targets(results)}
    assert by_name["cold compile, 10,000 models"]["met"] is True
    assert by_name["dbt compile ÷ rocky compile, 10,000"]["measured"] == "25 x"
    assert by_name["dbt compile ÷ rocky compile, 10,000"]["met"] is False
    assert by_name["warm compile after 1 edit, 10,000"]["met"] is False
    assert by_name["peak RSS, 10,000 models"]["met"] is True
    assert by_name["`rocky --version`"]["measured"] == "50 ms"
    assert by_name["column lineage, 10,000 (warm)"]["met"] is None
    assert by_name["dbt run ÷ rocky run, 1,000"]["measured"] == "—"


def test_markdown_puts_both_tools_side_by_side_and_lists_failures() -> None:
    results = [
        _result("rocky", "compile_cold", 1000, 0.5, 100),
        _result("dbt", "compile_cold", 1000, 15.0, 200),
        {"tool": "rocky", "case": "run", "scale": 1000, "ok": False, "error": "exited 1: boom"},
    ]
    text = report.markdown({"results": results, "targets": report.targets(results)})
    row = "| cold compile (dbt: `dbt compile`) | 1,000 | 0.5 s · 100 MB | 15 s · 200 MB | 30.0x |"
    assert row in text
    assert "- rocky run at 1000: exited 1: boom" in text


def test_update_doc_replaces_only_the_marked_block(tmp_path: Path) -> None:
    doc = tmp_path / "bench.md"
    doc.write_text(f"intro\n{report.DOC_START}\nold\n{report.DOC_END}\noutro\n")
    report.update_doc(doc, "new table\n")
    assert doc.read_text() == f"intro\n{report.DOC_START}\nnew table\n{report.DOC_END}\noutro\n"
    (tmp_path / "plain.md").write_text("no markers")
    with pytest.raises(ValueError, match="no <!-- bench:start -->"):
        report.update_doc(tmp_path / "plain.md", "x")
