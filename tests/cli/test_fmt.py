"""rocky fmt rewrites .rocky files canonically, idempotently, and never
touches a file that does not parse."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

MESSY = 'from   orders\n|   where status != "x"\nsort amount desc\n'


def rocky(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rocky.cli", *args],
        capture_output=True, text=True, cwd=cwd, timeout=120,
    )


def test_check_then_format_then_idempotent(tmp_path: Path) -> None:
    models = tmp_path / "models"
    models.mkdir()
    (models / "a.rocky").write_text(MESSY)

    checked = rocky("-o", "json", "fmt", "--check", cwd=tmp_path)
    assert checked.returncode == 1
    assert json.loads(checked.stdout)["changed"] == [str(models / "a.rocky")]
    assert (models / "a.rocky").read_text() == MESSY

    formatted = rocky("-o", "json", "fmt", cwd=tmp_path)
    assert formatted.returncode == 0, formatted.stderr
    first = (models / "a.rocky").read_text()
    assert first != MESSY
    assert first.splitlines()[0] == "from orders"

    again = rocky("-o", "json", "fmt", "--check", cwd=tmp_path)
    assert again.returncode == 0
    assert json.loads(again.stdout)["changed"] == []
    assert (models / "a.rocky").read_text() == first


def test_broken_file_is_reported_and_left_alone(tmp_path: Path) -> None:
    broken = tmp_path / "b.rocky"
    broken.write_text("from orders\nwhere (x == \n")
    result = rocky("-o", "json", "fmt", str(broken), cwd=tmp_path)
    assert result.returncode == 1
    errors = json.loads(result.stdout)["errors"]
    assert len(errors) == 1 and errors[0].startswith(f"{broken}:3:")
    assert broken.read_text() == "from orders\nwhere (x == \n"


def test_missing_path_is_one_line(tmp_path: Path) -> None:
    result = rocky("fmt", str(tmp_path / "nope"), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().startswith("error: ")
    assert len(result.stderr.strip().splitlines()) == 1
