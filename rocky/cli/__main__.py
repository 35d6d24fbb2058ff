"""Console entry point. ``rocky --version`` answers before typer, sqlglot or
any plugin is imported, so a sensor polling it stays cheap.

``rocky compile`` and ``rocky lineage`` leave without tearing the
interpreter down: after a large compile that frees millions of objects one
by one (a third of a second at 10,000 models) for nothing. They hold no
connection, lock or temporary file by then (caches are written atomically
before the report is printed), so output is flushed and the process ends;
what they are done with stays allocated until then (:mod:`rocky.lifetime`).
"""

from __future__ import annotations

import os
import sys

# Commands whose process may end without the interpreter's teardown.
_QUICK_EXIT = frozenset({"compile", "lineage"})


def main() -> None:
    args = sys.argv[1:]
    if args in (["--version"], ["-V"]):
        from rocky import __version__

        print(f"rocky {__version__}")
        return
    from rocky.cli.app import command_name, run

    if command_name(args) not in _QUICK_EXIT or "--debug" in args:
        run()
        return
    from rocky import lifetime

    lifetime.arm()
    try:
        run()
        code = 0
    except SystemExit as done:
        if isinstance(done.code, str):  # what the interpreter would print
            print(done.code, file=sys.stderr)
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # a closed pipe: nothing more can be said
        code = code or 1
    os._exit(code)


if __name__ == "__main__":
    main()
