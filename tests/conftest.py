"""Every test runs git in a clean, self-contained environment.

The machine running the tests may be inside a git hook (GIT_DIR, GIT_INDEX_FILE set), may have a global git
config, or may be an agent's shell carrying an agent marker (CLAUDECODE, SMALL_ACTOR=agent, ...). None of
that may leak into a test: it would change which commits the gates accept.
"""

from __future__ import annotations

import os

import pytest

from small_git.gates.authority import BUILTIN_AGENT_MARKERS

HUMAN = ("Hu Man", "human@example.org")
AGENT_MARKER_PREFIXES = tuple(marker.partition("=")[0].rstrip("*") for marker in BUILTIN_AGENT_MARKERS)


@pytest.fixture(autouse=True)
def clean_git_environment(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    for key in list(os.environ):
        if key.startswith(("GIT_", "PRE_COMMIT", *AGENT_MARKER_PREFIXES)):
            monkeypatch.delenv(key)
    home = tmp_path_factory.mktemp("home")  # not inside tmp_path: tests may list what they create there
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", HUMAN[0])
        monkeypatch.setenv(f"GIT_{role}_EMAIL", HUMAN[1])
