"""`fix`: repair what can be repaired without rewriting history.

- an incomplete final progress entry left by an interrupted write is set aside (its bytes are saved under
  `.small-cache/torn/` and the command says so); every complete entry is kept byte for byte;
- a plan that lags its progress (a checkpoint interrupted between its two writes) is brought up to date from
  the log — the log itself is never changed;
- a handoff that belongs to an earlier run than the workspace's is regenerated;
- `small_version` written unquoted is quoted (one-line text edit);
- temporary files left in `.small/` by a process that died mid-write are removed.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from small_git.errors import EXIT_OK, EXIT_USAGE, SmallError
from small_git.protocol import lifecycle
from small_git.protocol.artifacts import ALL_FILES, CACHE_DIR, SMALL_DIR, display_path
from small_git.protocol.timestamps import format_ns, now_ns
from small_git.protocol.yamlsafe import YamlError, load_yaml
from small_git.report import console
from small_git.store.atomic import atomic_write, is_temp_file
from small_git.store.lock import workspace_lock
from small_git.store.plan_edit import PlanEditor
from small_git.store.progress_log import drop_torn_tail, find_torn_tail, log_path
from small_git.store.reader import read_file, resolve_root, small_dir
from small_git.store.workspace_file import enforce_scope, run_replay_id
from small_git.workflow.handoff import existing_handoff, handoff_replay_id, write_handoff

_VERSION_LINE = re.compile(r"^(\s*small_version:)[ \t]*([^#\r\n]*?)([ \t]+#.*)?(\r?)$", re.MULTILINE)
_MAX = 64 * 1024 * 1024


@dataclass(frozen=True)
class FixRequest:
    directory: str | None = None
    versions: bool = False  # only the quoting repair
    all: bool = False  # every repair (the default)
    orphan_progress: bool = False  # the reference's flag; refused
    scope: str = "root"


def run(request: FixRequest) -> int:
    """With no selection (or --all), every repair; --versions selects only the quoting repair."""
    if request.orphan_progress:
        raise SmallError(
            "--orphan-progress would rewrite existing progress entries; small-git never does that",
            exit_code=EXIT_USAGE,
            hint="add the missing tasks to the plan (small plan --add), or "
            "start a new run (small reset) so that old entries keep their own replayId",
        )
    root = resolve_root(request.directory)
    small_dir(root)
    enforce_scope(root, request.scope, "fix")
    everything = request.all or not request.versions
    done: list[str] = []
    with workspace_lock(root):
        if everything:
            done += _remove_temp_files(root)
            done += _torn_tail(root)
        done += _quote_versions(root)
        if everything:
            done += _plan_lags(root)
            done += _stale_run_handoff(root)
    for line in done:
        console.out(line)
    console.out("Nothing to fix" if not done else f"Fixed {len(done)} problem{'s' if len(done) != 1 else ''}")
    console.out("Next: small check --strict")
    return EXIT_OK


def _remove_temp_files(root: Path) -> list[str]:
    out = []
    for name in sorted(os.listdir(root / SMALL_DIR)):
        if is_temp_file(name):
            os.unlink(root / SMALL_DIR / name)
            out.append(f"removed {SMALL_DIR}/{name} (left by an interrupted write)")
    return out


def _torn_tail(root: Path) -> list[str]:
    torn = find_torn_tail(root)
    if torn is None:
        return []
    keep = root / CACHE_DIR / "torn" / f"progress-{format_ns(now_ns()).replace(':', '')}.yml"
    keep.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(keep, torn.data)
    drop_torn_tail(root, torn)
    return [
        f"{display_path('progress')}: set aside the incomplete last entry ({len(torn.data)} bytes from byte "
        f"{torn.offset}; {torn.reason}); saved to {keep.relative_to(root)}"
    ]


def _quote_versions(root: Path) -> list[str]:
    out = []
    for kind in ALL_FILES:
        raw, problem = read_file(root, display_path(kind), _MAX)
        if raw is None or problem is not None:
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            continue
        match = _VERSION_LINE.search(text)
        if not match or match.group(2).startswith('"'):
            continue
        value = match.group(2).strip().strip("'")
        line = f'{match.group(1)} "{value}"{match.group(3) or ""}{match.group(4)}'
        fixed = text[: match.start()] + line + text[match.end() :]
        try:
            before = load_yaml(raw, display_path(kind)).data
            after = load_yaml(fixed.encode("utf-8"), display_path(kind)).data
        except YamlError:
            continue
        if (
            isinstance(before, dict)
            and isinstance(after, dict)
            and after.get("small_version") == value
            and {k: v for k, v in before.items() if k != "small_version"}
            == {k: v for k, v in after.items() if k != "small_version"}
        ):
            atomic_write(root / display_path(kind), fixed.encode("utf-8"))
            out.append(f"{display_path(kind)}: small_version quoted")
    return out


def _plan_lags(root: Path) -> list[str]:
    plan_raw, _ = read_file(root, display_path("plan"), _MAX)
    progress_raw, _ = read_file(root, display_path("progress"), _MAX)
    if plan_raw is None or progress_raw is None:
        return []
    try:
        editor = PlanEditor(plan_raw)
        progress = load_yaml(progress_raw, display_path("progress")).data
    except (YamlError, SmallError):
        return []
    out = []
    for _index, task_id, plan_status, last in lifecycle.lagging_tasks(editor.data, progress):
        editor.set_status(task_id, last)
        out.append(f"{display_path('plan')}: {task_id} {plan_status} -> {last} (from its last progress entry)")
    if out:
        atomic_write(root / display_path("plan"), editor.result())
    return out


def _stale_run_handoff(root: Path) -> list[str]:
    current = run_replay_id(root)
    handoff = existing_handoff(root)
    if current is None or not log_path(root).exists():
        return []
    if handoff_replay_id(handoff) == current:
        return []
    write_handoff(root)
    return [f"{display_path('handoff')}: regenerated for the current run {current[:16]}..."]
