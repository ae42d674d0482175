"""`fix`: repair what can be repaired without rewriting history.

- a workspace left by an interrupted `init` (files missing, nothing logged but the init entry) is completed;
- an incomplete final progress entry left by an interrupted write is set aside (its bytes are saved under
  `.small-cache/torn/` and the command shows them); every complete entry is kept byte for byte. Whether the
  end of the log is such an entry is the real parser's judgement; a log that does not parse for any other
  reason is left alone, and fix says so (exit 1);
- a plan that lags its progress (a checkpoint interrupted between its two writes) is brought up to date from
  the log — the log itself is never changed;
- a handoff that belongs to an earlier run than the workspace's is regenerated;
- `small_version` written unquoted is quoted (one-line text edit);
- temporary files left in `.small/` by a process that died mid-write are removed.

Missing files in a workspace that has been worked in are named (with `small init --force`), not created.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from small_git.commands import run_writer
from small_git.errors import EXIT_INVALID, EXIT_OK, EXIT_USAGE, SmallError
from small_git.protocol import lifecycle
from small_git.protocol.artifacts import ALL_FILES, CACHE_DIR, SMALL_DIR, display_path
from small_git.protocol.timestamps import format_ns, now_ns
from small_git.protocol.yamlsafe import YamlError
from small_git.report import console
from small_git.report.text import plural
from small_git.store.atomic import atomic_write, is_temp_file
from small_git.store.lock import workspace_lock
from small_git.store.plan_edit import PlanEditor
from small_git.store.progress_log import drop_torn_tail, find_torn_tail, log_path
from small_git.store.reader import parse_yaml, read_artifact, resolve_root, small_dir
from small_git.store.workspace_file import enforce_scope, run_replay_id
from small_git.workflow.handoff import existing_handoff, handoff_replay_id, write_handoff
from small_git.workflow.init import create_missing, interrupted_init
from small_git.workflow.written import Written

_VERSION_LINE = re.compile(r"^(\s*small_version:)[ \t]*([^#\r\n]*?)([ \t]+#.*)?(\r?)$", re.MULTILINE)
PROGRESS = display_path("progress")


@dataclass(frozen=True)
class FixRequest:
    directory: str | None = None
    versions: bool = False  # only the quoting repair
    all: bool = False  # every repair (the default)
    orphan_progress: bool = False  # the reference's flag; refused
    scope: str = "root"
    json: bool = False


def run(request: FixRequest) -> int:
    """With no selection (or --all), every repair; --versions selects only the quoting repair. Exit 0 when
    nothing is left that fix may not repair, 1 when something is (it is named, with what to do)."""
    return run_writer("fix", request.json, lambda written: _run(request, written))


def _run(request: FixRequest, written: Written) -> int:
    if request.orphan_progress:
        raise SmallError(
            "--orphan-progress would rewrite existing progress entries; small-git never does that",
            exit_code=EXIT_USAGE,
            hint="add the missing tasks to the plan (small plan --add), or "
            "start a new run (small reset) so that old entries keep their own replayId",
        )
    root = resolve_root(request.directory)
    small_dir(root)
    written.start(root)
    everything = request.all or not request.versions
    done: list[str] = []
    left: list[str] = []
    with workspace_lock(root):
        if everything:
            done += _remove_temp_files(root)
            # an interrupted init (killed before it wrote its workspace file, too) is completed first
            if request.scope != "examples" and interrupted_init(root):
                done += [f"created {path} (completing an interrupted init)" for path in create_missing(root)]
        enforce_scope(root, request.scope, "fix")
        if everything:
            left += _missing_files(root)
            fixed, unfixed = _torn_tail(root)
            done, left = done + fixed, left + unfixed
        done += _quote_versions(root)
        if everything:
            done += _plan_lags(root)
            done += _stale_run_handoff(root)
    lines = done + [f"left alone: {line}" for line in left]
    repairs = [line for line in done if not line.startswith(" ")]  # an indented line details the one above
    lines += [f"Fixed {plural(len(repairs), 'problem')}" if repairs else "Nothing to fix", "Next: small check --strict"]
    written.messages += lines
    written.details.update(fixed=repairs, left_alone=left)
    if not request.json:
        for line in lines:
            console.out(line)
    return EXIT_INVALID if left else EXIT_OK


def _remove_temp_files(root: Path) -> list[str]:
    out = []
    for name in sorted(os.listdir(root / SMALL_DIR)):
        if is_temp_file(name):
            os.unlink(root / SMALL_DIR / name)
            out.append(f"removed {SMALL_DIR}/{name} (left by an interrupted write)")
    return out


def _missing_files(root: Path) -> list[str]:
    missing = [display_path(k) for k in ALL_FILES if not os.path.lexists(root / display_path(k))]
    if not missing:
        return []
    return [
        f"missing {', '.join(missing)}: run small init --force (it creates only the missing files and never "
        "touches the others)"
    ]


def _preview(data: bytes, limit: int = 120) -> str:
    text = repr(data.decode("utf-8", "replace"))
    return text if len(text) <= limit else text[: limit - 4] + "...'"


def _torn_tail(root: Path) -> tuple[list[str], list[str]]:
    """(what was repaired, what was left alone): only an incomplete last entry may be set aside."""
    torn = find_torn_tail(root)
    if torn is None:
        raw = read_artifact(root, "progress")
        try:
            if raw is not None:
                parse_yaml(raw, PROGRESS)
        except YamlError as exc:
            return [], [
                f"{exc.message.splitlines()[0]}: the log does not parse and its end is no interrupted append, so "
                f"fix changes nothing in it; repair it by hand, or restore it from git (git show HEAD:{PROGRESS})"
            ]
        return [], []
    keep = root / CACHE_DIR / "torn" / f"progress-{format_ns(now_ns()).replace(':', '')}.yml"
    keep.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(keep, torn.data)
    drop_torn_tail(root, torn)
    return [
        f"{PROGRESS}: set aside the incomplete last entry ({len(torn.data)} bytes from byte {torn.offset}; "
        f"{torn.reason}); saved to {keep.relative_to(root)}",
        f"  dropped: {_preview(torn.data)}",
    ], []


def _quote_versions(root: Path) -> list[str]:
    out = []
    for kind in ALL_FILES:
        raw = read_artifact(root, kind)
        if raw is None:
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
            before = parse_yaml(raw, display_path(kind)).data
            after = parse_yaml(fixed.encode("utf-8"), display_path(kind)).data
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
    plan_raw, progress_raw = read_artifact(root, "plan"), read_artifact(root, "progress")
    if plan_raw is None or progress_raw is None:
        return []
    try:
        editor = PlanEditor(plan_raw)
        progress = parse_yaml(progress_raw, display_path("progress")).data
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
