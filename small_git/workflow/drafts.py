"""Drafts: an agent's proposal for a human-owned file, in `.small-drafts/` beside `.small/` (spec §1). The
reference CLI keeps its drafts in `.small-cache/drafts/` (same file names); small-git reads them only to say
so (docs/conformance.md)."""

from __future__ import annotations

from pathlib import Path

from small_git.errors import EXIT_USAGE, SmallError
from small_git.protocol.artifacts import ALL_FILES, CACHE_DIR, DRAFTS_DIR, HUMAN_OWNED, display_path, filename
from small_git.protocol.checker import CheckOptions, check_state
from small_git.protocol.findings import Finding, sort_key
from small_git.protocol.state import FileEntry, State


def draft_display_path(kind: str) -> str:
    return f"{DRAFTS_DIR}/{filename(kind)}"


REFERENCE_DRAFTS_DIR = f"{CACHE_DIR}/drafts"


def reference_draft_display_path(kind: str) -> str:
    """Where the reference CLI's `draft` writes (`.small-cache/drafts/<kind>.small.yml`)."""
    return f"{REFERENCE_DRAFTS_DIR}/{filename(kind)}"


def reference_draft_exists(root: Path, kind: str) -> bool:
    return (root / reference_draft_display_path(kind)).is_file()


def draft_path(root: Path, kind: str) -> Path:
    return root / DRAFTS_DIR / filename(kind)


def check_kind(kind: str) -> None:
    if kind not in HUMAN_OWNED:
        raise SmallError(
            f"drafts are for the human-owned files only, not {kind!r}",
            exit_code=EXIT_USAGE,
            hint="use: intent or constraints",
        )


def draft_findings(kind: str, raw: bytes) -> list[Finding]:
    """What `check --strict` would say about `raw` as `.small/<kind>.small.yml` (schema, rules, secrets,
    links), reported against the draft's own path. Raises SmallError (exit 2) when it does not parse."""
    files = {k: FileEntry(k, display_path(k)) for k in ALL_FILES}
    files[kind] = FileEntry(kind, draft_display_path(kind), raw)
    state = State(files)
    result = check_state(state, options=CheckOptions(strict=True, scope="any", stages=("validate", "lint")))
    return sorted((f for f in result.findings if f.file == files[kind].path), key=sort_key)


def pending_drafts(root: Path) -> list[str]:
    return [draft_display_path(k) for k in HUMAN_OWNED if draft_path(root, k).is_file()]
