"""``rocky playground``: write a sample project that runs without credentials."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    app.command("playground")(playground)


def playground(
    directory: Annotated[
        Path, typer.Argument(help="Where to write the project (created; must be empty).")
    ] = Path("rocky-playground"),
    no_seed: Annotated[
        bool, typer.Option("--no-seed", help="Write the files only; load no seeds.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Write into a directory that is not empty.")
    ] = False,
) -> None:
    """Write a runnable DuckDB project (seeds, models, a contract) and load its seeds."""
    from rocky.playground import create_playground

    result = create_playground(directory, seed=not no_seed, force=force)
    print(f"created {directory} ({len(result.files)} files)")
    for line in result.seeded:
        print(f"  seeded {line}")
    print(f"next: cd {directory} && rocky run")
