"""Console entry point. ``rocky --version`` answers before typer, sqlglot or
any plugin is imported, so a sensor polling it stays cheap."""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:] in (["--version"], ["-V"]):
        from rocky import __version__

        print(f"rocky {__version__}")
        return
    from rocky.cli.app import run

    run()


if __name__ == "__main__":
    main()
