"""rocky.lifetime: objects are kept until the process ends only once armed
(``rocky compile`` and ``rocky lineage`` from the command line)."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import gc, sys, weakref
from rocky import lifetime

class Big:
    pass

def freed_after_keep(arm):
    if arm:
        lifetime.arm()
    obj = Big()
    ref = weakref.ref(obj)
    lifetime.keep_until_exit(obj)
    del obj
    gc.collect()
    return ref() is None

print(freed_after_keep(arm=sys.argv[1] == "arm"))
"""


def _run(mode: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, mode], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_objects_are_freed_as_usual_unless_armed() -> None:
    assert _run("plain") == "True"


def test_armed_objects_stay_until_the_process_ends() -> None:
    assert _run("arm") == "False"
