"""Who ran what, where: identity, git state, host and trigger of a run.

Every lookup degrades to ``None`` (or ``"unknown"`` for the host) rather
than failing: a run outside a git checkout is still a run.
"""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

__all__ = [
    "CI_VARIABLES",
    "RunIdentity",
    "detect_identity",
    "git",
    "hostname",
    "trigger",
]

# Set by the CI services we know; any of them marks a run as triggered by CI.
CI_VARIABLES: Final = (
    "CI",
    "GITHUB_ACTIONS",
    "GITLAB_CI",
    "BUILDKITE",
    "CIRCLECI",
    "JENKINS_URL",
    "TF_BUILD",
    "TEAMCITY_VERSION",
    "BITBUCKET_BUILD_NUMBER",
)


def git(args: list[str], cwd: Path) -> str | None:
    """Output of ``git <args>`` in ``cwd`` (stripped), or None when git is
    absent, ``cwd`` is not in a repository, or the command fails."""
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.strip() or None


def hostname() -> str:
    try:
        return socket.gethostname() or "unknown"
    except OSError:
        return "unknown"


def trigger(env: Mapping[str, str]) -> str:
    """``Ci`` when a CI variable is set to something other than empty or
    ``false``, else ``Manual``."""
    for name in CI_VARIABLES:
        value = env.get(name, "")
        if value and value.lower() not in ("0", "false", "no"):
            return "Ci"
    return "Manual"


@dataclass(frozen=True, slots=True)
class RunIdentity:
    triggering_identity: str | None
    git_commit: str | None
    git_branch: str | None
    git_dirty: bool | None
    hostname: str
    trigger: str


def detect_identity(project_dir: Path, env: Mapping[str, str] | None = None) -> RunIdentity:
    """``triggering_identity`` is ``ROCKY_IDENTITY`` if set, else git's
    ``user.email``. ``git_dirty`` says whether tracked files under the
    project differ from ``git_commit`` (then the commit alone does not
    reproduce what ran)."""
    env = os.environ if env is None else env
    identity = env.get("ROCKY_IDENTITY") or git(["config", "--get", "user.email"], project_dir)
    commit = git(["rev-parse", "HEAD"], project_dir)
    branch = git(["symbolic-ref", "--short", "-q", "HEAD"], project_dir) if commit else None
    dirty: bool | None = None
    if commit is not None:
        status = git(["status", "--porcelain", "--untracked-files=no", "--", "."], project_dir)
        dirty = bool(status)
    return RunIdentity(
        triggering_identity=identity,
        git_commit=commit,
        git_branch=branch,
        git_dirty=dirty,
        hostname=hostname(),
        trigger=trigger(env),
    )
