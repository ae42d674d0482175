"""Handoff freshness (spec §6.4): whether anything changed after the commit a handoff was generated at."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from small_git.git import plumbing as git
from small_git.protocol.artifacts import CACHE_DIR, display_path
from small_git.workflow.handoff import COMMIT_LINK_PREFIX


def handoff_commit(handoff: Any) -> str | None:
    """The commit a handoff was generated at: `handoff` records it as a `links` item whose url is
    `git:<sha>` (reference-valid: links are free-form url/description pairs)."""
    if not isinstance(handoff, dict) or not isinstance(handoff.get("links"), list):
        return None
    for link in handoff["links"]:
        url = link.get("url") if isinstance(link, dict) else None
        if isinstance(url, str) and url.startswith(COMMIT_LINK_PREFIX):
            sha = url[len(COMMIT_LINK_PREFIX) :].strip()
            if 7 <= len(sha) <= 64 and all(c in "0123456789abcdef" for c in sha.lower()):
                return sha
    return None


def handoff_freshness(root: Path, handoff: Any) -> dict[str, Any]:
    """`{"state": fresh|stale|unknown, "commit", "reason", "changed": [paths…], "changed_count"}`.

    Stale means code or `.small/` changed after the recorded commit (committed or not, untracked files
    included); the handoff file itself, the workspace metadata and runtime scratch (`.small-cache/`) do not
    count, so the commit that only adds the handoff keeps it fresh."""
    result: dict[str, Any] = {"state": "unknown", "commit": None, "reason": None, "changed": [], "changed_count": 0}
    if handoff is None:
        result["reason"] = "no handoff"
        return result
    commit = handoff_commit(handoff)
    result["commit"] = commit
    top_path = git.top_level(root) if root.is_dir() else None
    if top_path is None:
        result["reason"] = "not a git work tree"
        return result
    if commit is None:
        result["reason"] = "the handoff does not record its commit (regenerate it: small handoff)"
        return result
    full = git.rev_parse(f"{commit}^{{commit}}", top_path)
    if full is None:
        result["reason"] = f"the recorded commit {commit} is not in this repository"
        return result
    ignored = set()
    for kind in ("handoff", "workspace"):
        try:
            ignored.add((root / display_path(kind)).resolve().relative_to(top_path.resolve()).as_posix())
        except ValueError:
            pass
    # Against the work tree (committed and uncommitted changes alike), plus untracked files.
    changed_out = git.run_git(["diff", "--name-only", "-z", "--no-renames", full, "--"], top_path, check=False)
    untracked_out = git.run_git(["ls-files", "--others", "--exclude-standard", "-z"], top_path, check=False)
    changed = sorted(
        {
            p
            for p in (changed_out + "\0" + untracked_out).split("\0")
            if p and p not in ignored and CACHE_DIR not in Path(p).parts
        }
    )
    result.update(state="stale" if changed else "fresh", changed=changed[:20], changed_count=len(changed))
    if changed:
        result["reason"] = f"{len(changed)} path(s) changed since the handoff was generated"
    return result
