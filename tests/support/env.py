"""The one environment every test runs in, and the one human identity that commits.

The machine running the tests may be inside a git hook (GIT_DIR, GIT_INDEX_FILE set), may have a global git
config, may set small-git's own limits (SMALL_MAX_DEPTH, ...), or may be an agent's shell carrying an agent
marker (CLAUDECODE, SMALL_ACTOR=agent, ...) or a forge's pusher variable. None of that may leak into a test: it
would change which commits the gates accept. Coverage's variables stay, so subprocesses are measured too.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from small_git.gates.authority import BUILTIN_AGENT_MARKERS, BUILTIN_PUSHER_VARIABLES

from .paths import VENV_BIN


class Identity(NamedTuple):
    name: str
    email: str


HUMAN = Identity("Ada Human", "ada@example.com")

AGENT_MARKER_PREFIXES = tuple(marker.partition("=")[0].rstrip("*") for marker in BUILTIN_AGENT_MARKERS)
DROPPED_PREFIXES = ("GIT_", "PRE_COMMIT", "SMALL_", *AGENT_MARKER_PREFIXES)
DROPPED = frozenset({*BUILTIN_PUSHER_VARIABLES, "VIRTUAL_ENV", "PYTHONPATH", "LANGUAGE"})


def clean_env(home: Path, base: Mapping[str, str] | None = None, **extra: str) -> dict[str, str]:
    """`base` (default: this process's environment) without what could change a result, with a private HOME,
    no system or global git config, the human identity, English messages, and the installed CLI first on PATH."""
    source = os.environ if base is None else base
    env = {key: value for key, value in source.items() if not key.startswith(DROPPED_PREFIXES) and key not in DROPPED}
    path = env.get("PATH", "/usr/bin:/bin")
    env.update(
        {
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_CACHE_HOME": str(home / ".cache"),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
            "PRE_COMMIT_HOME": str(home / ".cache" / "pre-commit"),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": HUMAN.name,
            "GIT_AUTHOR_EMAIL": HUMAN.email,
            "GIT_COMMITTER_NAME": HUMAN.name,
            "GIT_COMMITTER_EMAIL": HUMAN.email,
            "LC_ALL": "C.UTF-8",
            "PATH": path if path.split(os.pathsep)[0] == str(VENV_BIN) else f"{VENV_BIN}{os.pathsep}{path}",
        }
    )
    env.update(extra)
    return env
