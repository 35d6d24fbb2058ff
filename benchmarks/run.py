"""Benchmark rocky against dbt-core + dbt-duckdb on the generated workload.

For each scale it generates the twin projects, seeds their DuckDB files, and
measures, median of several runs, wall time and peak RSS of: cold compile,
warm compile after editing 1 and 10 models, column lineage, start-up, and a
full run on DuckDB; every tool is called as a subprocess, as a user would.
It writes ``results/<date>.json``, ``results/<date>.md`` and ``results/<date>.png``.

Usage::

    python benchmarks/run.py --rocky .venv/bin/rocky --dbt .venv-dbt/bin/dbt
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import generate
import report
from measure import CommandFailed, Sample, measure, summarize

__all__ = ["Harness", "main"]

HERE = Path(__file__).resolve().parent
DBT_ENV = {"DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DO_NOT_TRACK": "1"}
LINEAGE_COLUMN = "total_amount"
_VERSIONS = (
    "import importlib.metadata as m, json, sys\n"
    "out = {}\n"
    "for name in sys.argv[1:]:\n"
    "    try: out[name] = m.version(name)\n"
    "    except m.PackageNotFoundError: pass\n"
    "print(json.dumps(out))\n"
)
_SEED = (
    "import duckdb, sys\n"
    "con = duckdb.connect(sys.argv[1])\n"
    "con.execute(open(sys.argv[2]).read())\n"
    "con.close()\n"
)


def interpreter_of(script: Path) -> Path:
    """The Python a console script runs with (its shebang), else this one."""
    try:
        first = script.read_bytes().split(b"\n", 1)[0].decode()
    except (OSError, UnicodeDecodeError):
        return Path(sys.executable)
    if first.startswith("#!") and "python" in first:
        return Path(first[2:].strip().split()[0])
    return Path(sys.executable)


def _edit_targets(models: Sequence[generate.ModelSpec], n: int) -> list[str]:
    """``n`` SQL staging models spread across the project (schema-preserving edits)."""
    pool = [m.name for m in models if m.layer == "staging" and not m.dsl]
    step = max(len(pool) // n, 1)
    return pool[::step][:n]


_THRESHOLD = re.compile(r"amount > (\d+)")


def _edit(path: Path) -> None:
    """Change a filter constant: new content, same output schema."""
    text = path.read_text()
    new = _THRESHOLD.sub(lambda mt: f"amount > {int(mt.group(1)) + 1}", text, count=1)
    if new == text:
        raise RuntimeError(f"{path}: no filter constant to edit")
    path.write_text(new)


class Harness:
    """Measures cases and collects results as plain dicts."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.rocky = Path(args.rocky)
        self.dbt = Path(args.dbt) if args.dbt else None
        self.work = Path(args.work).resolve()
        self.logs = self.work / "logs"
        self.results: list[dict[str, Any]] = []
        # Bytecode caches are written as on a user's machine, whatever the
        # calling shell says (an editable rocky would otherwise be compiled
        # from source on every run).
        inherited = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        self.env = {**inherited, "NO_COLOR": "1", **DBT_ENV}

    # -- bookkeeping ----------------------------------------------------------

    def wanted(self, case: str) -> bool:
        return not self.args.cases or case in self.args.cases

    def case(
        self,
        tool: str,
        case: str,
        scale: int | None,
        argv: Sequence[str],
        cwd: Path,
        repeats: int,
        setup: Callable[[], None] | None = None,
    ) -> bool:
        """Measure ``argv`` ``repeats`` times; record the summary or the failure."""
        entry: dict[str, Any] = {
            "tool": tool,
            "case": case,
            "scale": scale,
            "command": " ".join([Path(argv[0]).name, *argv[1:]]),
        }
        samples: list[Sample] = []
        stem = self.logs / f"{tool}-{case}-{scale}"
        try:
            for _ in range(repeats):
                # A slow case stops repeating once it has used its time budget.
                if samples and sum(s.wall_s for s in samples) > self.args.budget_s:
                    break
                if setup is not None:
                    setup()
                samples.append(measure(argv, cwd=cwd, env=self.env, log_stem=stem))
        except CommandFailed as exc:
            entry.update(ok=False, error=str(exc)[-400:])
        else:
            entry.update(ok=True, error=None, **summarize(samples))
        self.results.append(entry)
        shown = "FAILED"
        if entry["ok"]:
            shown = f"{entry['median_s']:.3f} s (cpu {entry['median_cpu_s']:.3f} s)"
            shown += f", {entry['peak_rss_mb']:.0f} MB"
        print(f"  {tool:5} {case:16} {scale or '':>6}  {shown}", flush=True)
        return bool(entry["ok"])

    # -- preparation -----------------------------------------------------------

    def prepare(self, scale: int) -> tuple[list[generate.ModelSpec], Path]:
        pristine = self.work / "pristine"
        pristine.mkdir(parents=True, exist_ok=True)
        tool = "both" if self.dbt else "rocky"
        wl = generate.write_workload(
            scale,
            pristine,
            tool=tool,
            dsl=not self.args.no_dsl,
            rows=self.args.rows,
            threads=self.args.threads,
        )
        for project, exe in ((wl.rocky_dir, self.rocky), (wl.dbt_dir, self.dbt)):
            if project is not None and exe is not None:
                db, seed = project / generate.DB_FILE, project / "data" / "seed.sql"
                subprocess.run([interpreter_of(exe), "-c", _SEED, db, seed], check=True)
        return list(wl.models), pristine

    def fresh(self, pristine: Path, name: str) -> Path:
        """A new copy of a seeded project: no caches, no state, no built tables."""
        dest = self.work / "active" / name
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(pristine / name, dest)
        return dest

    # -- the cases ---------------------------------------------------------------

    def _reset(self, pristine: Path, name: str) -> Callable[[], None]:
        def reset() -> None:
            self.fresh(pristine, name)

        return reset

    @staticmethod
    def _editor(files: Sequence[Path]) -> Callable[[], None]:
        def edit() -> None:
            for f in files:
                _edit(f)

        return edit

    def rocky_cases(self, scale: int, models: list[generate.ModelSpec], pristine: Path) -> None:
        name, reps, exe = f"rocky_{scale}", self.args.repeats, str(self.rocky)
        active = self.work / "active" / name
        reset = self._reset(pristine, name)
        ok = False
        if self.wanted("compile_cold"):
            ok = self.case("rocky", "compile_cold", scale, [exe, "compile"], active, reps, reset)
        if ok:
            # The copy is now warm: each repeat edits and recompiles.
            for n in (1, 10):
                files = [active / "models" / f"{t}.sql" for t in _edit_targets(models, n)]
                if self.wanted(f"compile_warm_{n}"):
                    edit = self._editor(files)
                    argv = [exe, "compile"]
                    self.case("rocky", f"compile_warm_{n}", scale, argv, active, reps, edit)
            if self.wanted("lineage_column"):
                mart = next(m.name for m in models if m.layer == "marts")
                argv = [exe, "lineage", mart, "--column", LINEAGE_COLUMN]
                self.case("rocky", "lineage_column", scale, argv, active, reps)
        if scale in self.args.run_scales and self.wanted("run"):
            self.case("rocky", "run", scale, [exe, "run"], active, self.args.run_repeats, reset)

    def dbt_cases(self, scale: int, models: list[generate.ModelSpec], pristine: Path) -> None:
        assert self.dbt is not None
        name, reps = f"dbt_{scale}", self.args.dbt_repeats
        active = self.work / "active" / name
        reset = self._reset(pristine, name)
        # dbt reads its project from the working directory: cwd is the copy.
        base, prof = [str(self.dbt), "--no-use-colors"], ["--profiles-dir", "."]
        if self.wanted("parse_cold"):
            self.case("dbt", "parse_cold", scale, [*base, "parse", *prof], active, reps, reset)
        ok = False
        if self.wanted("compile_cold"):
            argv = [*base, "compile", *prof]
            ok = self.case("dbt", "compile_cold", scale, argv, active, reps, reset)
        if ok:
            for n in (1, 10):
                staging = active / "models" / "staging"
                files = [staging / f"{t}.sql" for t in _edit_targets(models, n)]
                if self.wanted(f"compile_warm_{n}"):
                    edit = self._editor(files)
                    argv = [*base, "compile", *prof]
                    self.case("dbt", f"compile_warm_{n}", scale, argv, active, reps, edit)
        if scale in self.args.run_scales and self.wanted("run"):
            argv = [*base, "run", *prof]
            self.case("dbt", "run", scale, argv, active, self.args.run_dbt_repeats, reset)

    def warm_up(self) -> None:
        """One untimed call of each tool, so that bytecode caches exist as on
        a user's machine (an editable install has none until first use)."""
        for exe in (self.rocky, self.dbt):
            if exe is not None:
                subprocess.run([exe, "--help"], capture_output=True, env=self.env, check=False)

    def startup(self) -> None:
        """``--version`` (rocky answers it before importing anything) and
        ``--help`` (the whole command line is imported, as for any command)."""
        n = self.args.startup_repeats
        here = self.work
        here.mkdir(parents=True, exist_ok=True)
        for flag, case in (("--version", "startup"), ("--help", "startup_help")):
            if not self.wanted(case):
                continue
            self.case("rocky", case, None, [str(self.rocky), flag], here, n)
            if self.dbt is not None:
                argv = [str(self.dbt), flag]
                self.case("dbt", case, None, argv, here, max(n // 3, 1))

    def profile(self, scale: int, models: list[generate.ModelSpec], pristine: Path) -> None:
        """pyinstrument profiles (self time per function) of a cold compile, a
        warm compile after one edit and a column lineage, beside the logs."""
        name = f"rocky_{scale}"
        active = self.fresh(pristine, name)
        python = str(interpreter_of(self.rocky))
        mart = next(m.name for m in models if m.layer == "marts")
        edit = self._editor([active / "models" / f"{_edit_targets(models, 1)[0]}.sql"])
        steps: list[tuple[str, list[str], Callable[[], None] | None]] = [
            ("compile-cold", ["compile"], None),
            ("compile-warm-1", ["compile"], edit),
            ("lineage-column", ["lineage", mart, "--column", LINEAGE_COLUMN], None),
        ]
        out_dir = self.work / "profiles"
        out_dir.mkdir(parents=True, exist_ok=True)
        for label, args, setup in steps:
            if setup is not None:
                setup()
            out = out_dir / f"{label}-{scale}.txt"
            argv = [python, "-m", "pyinstrument", "-r", "text", "-p", "flat=true"]
            # --debug: rocky then exits normally, so the profiler can write
            argv += ["-p", "flat_time=self", "-o", str(out), "-m", "rocky.cli", "--debug", *args]
            done = subprocess.run(argv, cwd=active, env=self.env, capture_output=True, text=True)
            print(
                f"  profile: {out}" if done.returncode == 0 else f"  profile failed: {done.stderr}"
            )

    # -- environment ---------------------------------------------------------------

    def versions(self) -> dict[str, Any]:
        def of(exe: Path | None, names: Sequence[str]) -> dict[str, str]:
            if exe is None:
                return {}
            python = interpreter_of(exe)
            done = subprocess.run(
                [python, "-c", _VERSIONS, *names], capture_output=True, text=True, check=False
            )
            return dict(json.loads(done.stdout)) if done.returncode == 0 else {}

        return {
            "rocky": of(self.rocky, ["rocky", "rocky-duckdb", "sqlglot", "sqlglotc", "duckdb"]),
            "dbt": of(self.dbt, ["dbt-core", "dbt-duckdb", "duckdb"]),
        }


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {
        "platform": platform.platform(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
    }
    try:
        cpu = Path("/proc/cpuinfo").read_text()
        found = re.search(r"^model name\s*:\s*(.+)$", cpu, re.M)
        info["cpu"] = found.group(1).strip() if found else platform.processor()
        mem = re.search(r"^MemTotal:\s*(\d+) kB", Path("/proc/meminfo").read_text(), re.M)
        info["memory_gb"] = round(int(mem.group(1)) / 2**20, 1) if mem else None
    except OSError:
        pass
    return info


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rocky", default=shutil.which("rocky"), help="the rocky executable")
    p.add_argument(
        "--dbt", default=shutil.which("dbt"), help="the dbt executable (omit: rocky only)"
    )
    p.add_argument("--scales", type=int, nargs="+", default=[1000, 10000])
    p.add_argument("--run-scales", type=int, nargs="*", default=[1000])
    p.add_argument("--repeats", type=int, default=5, help="runs per rocky case")
    p.add_argument("--dbt-repeats", type=int, default=3, help="runs per dbt parse/compile case")
    p.add_argument("--run-repeats", type=int, default=3, help="runs of `rocky run`")
    p.add_argument("--run-dbt-repeats", type=int, default=3, help="runs of `dbt run`")
    p.add_argument("--startup-repeats", type=int, default=15)
    p.add_argument(
        "--budget-s",
        type=float,
        default=300.0,
        help="stop repeating a case once its runs took this long (at least one run)",
    )
    p.add_argument("--cases", nargs="*", help="only these cases (e.g. compile_cold run)")
    p.add_argument("--no-dbt", action="store_true", help="measure rocky only")
    p.add_argument("--no-dsl", action="store_true", help="write every model as SQL")
    p.add_argument("--rows", type=int, default=generate.DEFAULT_ROWS)
    p.add_argument("--threads", type=int, default=4, help="dbt threads / rocky concurrency")
    p.add_argument("--work", default=str(HERE / "workloads"))
    p.add_argument("--results", default=str(HERE / "results"))
    p.add_argument("--profile", action="store_true", help="also profile a cold compile")
    p.add_argument("--update-doc", type=Path, help="replace the results block of this doc")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.no_dbt:
        args.dbt = None
    if not args.rocky or not Path(args.rocky).exists():
        print("error: no rocky executable; pass --rocky PATH", file=sys.stderr)
        return 1
    harness = Harness(args)
    started = dt.datetime.now(dt.UTC)
    load_at_start = [round(x, 2) for x in os.getloadavg()]
    harness.warm_up()
    harness.startup()
    for scale in args.scales:
        print(f"{scale:,} models", flush=True)
        models, pristine = harness.prepare(scale)
        harness.rocky_cases(scale, models, pristine)
        if harness.dbt is not None:
            harness.dbt_cases(scale, models, pristine)
        if args.profile:
            harness.profile(scale, models, pristine)
    data: dict[str, Any] = {
        "date": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": {**machine(), "load_average_at_start": load_at_start},
        "versions": harness.versions(),
        "settings": {
            k: getattr(args, k)
            for k in (
                "scales",
                "run_scales",
                "repeats",
                "dbt_repeats",
                "run_repeats",
                "run_dbt_repeats",
                "startup_repeats",
                "budget_s",
                "rows",
                "threads",
                "no_dsl",
            )
        },
        "results": harness.results,
    }
    data["targets"] = report.targets(harness.results)
    out = Path(args.results)
    out.mkdir(parents=True, exist_ok=True)
    stem = out / started.strftime("%Y-%m-%d")
    stem.with_suffix(".json").write_text(json.dumps(data, indent=2) + "\n")
    table = report.markdown(data)
    stem.with_suffix(".md").write_text(table)
    has_chart = report.chart(data, stem.with_suffix(".png"))
    print(table)
    if args.update_doc:
        block = table
        if has_chart:
            block += f"\n![time against model count](../benchmarks/results/{stem.name}.png)\n"
        report.update_doc(args.update_doc, block)
    print(f"wrote {stem}.json, .md" + (", .png" if has_chart else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
