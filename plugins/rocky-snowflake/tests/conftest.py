"""The stand-in Snowflake for these tests: ``fakesnow`` running as an HTTP
server on 127.0.0.1, reached by the official connector exactly as a real
account is (only host, port and protocol differ).

fakesnow pins its own duckdb and sqlglot, so it lives in its own virtual
environment; ``ROCKY_FAKESNOW`` names that environment's ``fakesnow``
executable (``nox -s "conformance(snowflake)"`` sets it), else ``fakesnow``
is looked up on PATH. The server is started once per test session on a free
port and stopped by its PID. HOME and TMPDIR point into a fresh directory
for the whole run, so the connector's caches and the server's files never
touch the real home directory.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sfstandin import Endpoint

FAKESNOW_ENV = "ROCKY_FAKESNOW"
HOST = "127.0.0.1"
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0

_saved_env: dict[str, str | None] = {}
_run_dir: Path | None = None


def pytest_configure(config: pytest.Config) -> None:
    global _run_dir
    _run_dir = Path(tempfile.mkdtemp(prefix="rocky-snowflake-tests-"))
    for name in ("HOME", "TMPDIR"):
        _saved_env[name] = os.environ.get(name)
        target = _run_dir / name.lower()
        target.mkdir()
        os.environ[name] = str(target)
    tempfile.tempdir = None  # re-read TMPDIR


def pytest_unconfigure(config: pytest.Config) -> None:
    for name, value in _saved_env.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    tempfile.tempdir = None
    if _run_dir is not None:
        shutil.rmtree(_run_dir, ignore_errors=True)


def _executable() -> str:
    configured = os.environ.get(FAKESNOW_ENV)
    found = configured or shutil.which("fakesnow")
    if not found or not Path(found).exists():
        pytest.fail(
            f"no fakesnow server to test against: set {FAKESNOW_ENV} to the `fakesnow` "
            "executable of a virtual environment with fakesnow[server]==0.12.1 and "
            "snowflake-connector-python<5 (nox -s 'conformance(snowflake)' builds one)",
            pytrace=False,
        )
    return found


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _ready(process: subprocess.Popen[bytes], port: int) -> bool:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def _stop(pid: int, process: subprocess.Popen[bytes]) -> None:
    """SIGINT (fakesnow's own shutdown) by PID, then SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    os.kill(pid, signal.SIGINT)
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.kill(pid, signal.SIGKILL)
        process.wait(timeout=STOP_TIMEOUT_S)


@pytest.fixture(scope="session")
def fakesnow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoint]:
    executable = _executable()
    log_path = tmp_path_factory.mktemp("fakesnow") / "server.log"
    for _attempt in range(3):  # a port picked free can be taken before the bind
        port = _free_port()
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                [executable, "-s", "--host", HOST, "-p", str(port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=dict(os.environ),
            )
        # Stops the server even if the session ends without teardown.
        atexit.register(_stop, process.pid, process)
        if _ready(process, port):
            break
        _stop(process.pid, process)
    else:
        tail = log_path.read_text(errors="replace")[-2000:]
        pytest.fail(f"fakesnow did not start on {HOST}:\n{tail}", pytrace=False)
    try:
        yield Endpoint(HOST, port, process.pid)
    finally:
        _stop(process.pid, process)
