"""Names, owners and allowed keys of the SMALL v1.0.0 artifacts (spec §1)."""

from __future__ import annotations

SMALL_DIR = ".small"
DRAFTS_DIR = ".small-drafts"
CACHE_DIR = ".small-cache"

# The order matters: it is the order in which artifacts are loaded and reported.
CANONICAL = ("intent", "constraints", "plan", "progress", "handoff")
WORKSPACE = "workspace"
ALL_FILES = CANONICAL + (WORKSPACE,)

OWNERS = {
    "intent": "human",
    "constraints": "human",
    "plan": "agent",
    "progress": "agent",
    "handoff": "agent",
    "workspace": "agent",
}
HUMAN_OWNED = ("intent", "constraints")

ALLOWED_TOP_LEVEL = {
    "intent": ("small_version", "owner", "intent", "scope", "success_criteria"),
    "constraints": ("small_version", "owner", "constraints"),
    "plan": ("small_version", "owner", "tasks"),
    "progress": ("small_version", "owner", "entries"),
    "handoff": ("small_version", "owner", "summary", "resume", "links", "replayId", "run"),
}

WORKSPACE_KINDS = ("repo-root", "examples")
SCOPES = ("root", "examples", "any")
SCOPE_KIND = {"root": "repo-root", "examples": "examples"}

EVIDENCE_FIELDS = ("evidence", "verification", "command", "test", "link", "commit")
STATUSES = ("pending", "in_progress", "completed", "blocked", "cancelled")


def filename(kind: str) -> str:
    return f"{kind}.small.yml"


def display_path(kind: str) -> str:
    return f"{SMALL_DIR}/{filename(kind)}"


KIND_BY_FILENAME = {filename(k): k for k in ALL_FILES}

# A progress log this long is worth reading in parts: the gates read a packed one through its deltas, and
# `check` answers from its memo after an append. Shorter logs are read whole, which is as fast.
LONG_LOG_BYTES = 64 * 1024
