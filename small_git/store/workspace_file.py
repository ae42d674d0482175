"""`workspace.small.yml`: the workspace kind and the current run's replayId.

The file is rewritten only when its content changes (no `updated_at` touched on every command, spec §1), so
commits do not churn. Keys small-git does not know are kept.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from small_git import PROTOCOL_VERSION
from small_git.errors import EXIT_USAGE, SmallError
from small_git.protocol.artifacts import SCOPE_KIND, SCOPES, SMALL_DIR, display_path, filename
from small_git.protocol.emitter import emit_document
from small_git.store.atomic import atomic_write
from small_git.store.reader import parse_yaml, read_artifact

_ORDER = ("small_version", "owner", "kind", "created_at", "updated_at", "run")


def workspace_path(root: Path) -> Path:
    return root / SMALL_DIR / filename("workspace")


def read_workspace(root: Path) -> dict[str, Any] | None:
    """The parsed workspace file, or None when it is absent. SmallError (exit 2) when it cannot be read."""
    raw = read_artifact(root, "workspace")
    where = display_path("workspace")
    if raw is None:
        return None
    data = parse_yaml(raw, where).data
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SmallError(
            f"{where} must hold a mapping (kind, run)",
            exit_code=EXIT_USAGE,
            file=where,
            hint="run: small init --force after moving the file aside",
        )
    return data


def run_replay_id(root: Path) -> str | None:
    """The current run's replayId (`run.replay_id`), or None when no run has started."""
    try:
        data = read_workspace(root)
    except SmallError:
        return None
    run = data.get("run") if data else None
    value = run.get("replay_id") if isinstance(run, dict) else None
    return value.lower() if isinstance(value, str) and _is_hex64(value) else None


def _is_hex64(value: str) -> bool:
    return len(value) == 64 and all(c in "0123456789abcdefABCDEF" for c in value)


def new_workspace(kind: str, created_at: str) -> dict[str, Any]:
    return {"small_version": PROTOCOL_VERSION, "owner": "agent", "kind": kind, "created_at": created_at}


def write_workspace(root: Path, data: dict[str, Any]) -> bool:
    """Write the workspace file when its content differs from what is on disk. True when it was written."""
    current = read_workspace(root)
    if current == data:
        return False
    ordered = {k: data[k] for k in _ORDER if k in data}
    ordered.update({k: v for k, v in data.items() if k not in ordered})
    atomic_write(workspace_path(root), emit_document(ordered))
    return True


def set_run_replay_id(root: Path, replay_id: str) -> bool:
    """Record the current run's replayId. A no-op when it is already recorded or there is no workspace file
    (as in the reference, the id is then computed but not kept). Caller holds the workspace lock."""
    data = read_workspace(root)
    if data is None:
        return False
    run = data.get("run")
    updated = dict(data)
    updated["run"] = {**(run if isinstance(run, dict) else {}), "replay_id": replay_id.lower()}
    return write_workspace(root, updated)


def enforce_scope(root: Path, scope: str, command: str, allow_examples: bool = True) -> None:
    """The reference's `--workspace root|examples|any` check for a writing command."""
    value = scope.strip().lower()
    if value not in SCOPES:
        raise SmallError(f"invalid --workspace value {scope!r}; use one of: {', '.join(SCOPES)}", exit_code=EXIT_USAGE)
    if value == "examples" and not allow_examples:
        raise SmallError(
            f"--workspace examples is not supported for {command} (use --workspace any to bypass)",
            exit_code=EXIT_USAGE,
        )
    if value == "any":
        return
    where = display_path("workspace")
    data = read_workspace(root)
    if data is None:
        raise SmallError(
            f"{where} is missing",
            exit_code=EXIT_USAGE,
            file=where,
            hint=f"run: small init --force --dir {root}   (it creates only the missing files)",
        )
    kind = data.get("kind")
    if kind != SCOPE_KIND[value]:
        raise SmallError(
            f"workspace kind {kind!r} is not allowed for --workspace {value}",
            exit_code=EXIT_USAGE,
            file=where,
            hint="pass --workspace any, or run in the right workspace",
        )
