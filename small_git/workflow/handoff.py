"""Building and writing `handoff.small.yml`, deterministically (init, handoff, reset and fix write it).

The same state gives byte-identical output: nothing here reads the clock. The resume point is the task in
progress, else the first pending task whose dependencies are completed, else the first blocked task. Existing
`links` are kept; the commit the handoff was generated at is recorded as a `git:<sha>` link (spec §6.4).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from small_git import PROTOCOL_VERSION
from small_git.errors import EXIT_USAGE, SmallError
from small_git.git.evidence import head_commit_evidence
from small_git.protocol import lifecycle
from small_git.protocol.artifacts import display_path
from small_git.protocol.emitter import emit_document
from small_git.protocol.replayid import is_replay_id
from small_git.protocol.yamlsafe import YamlError
from small_git.store.atomic import atomic_write
from small_git.store.plan_edit import dependencies_of
from small_git.store.reader import parse_yaml, read_file
from small_git.store.runs import formula_id
from small_git.store.workspace_file import read_workspace, run_replay_id, set_run_replay_id
from small_git.workflow.plan import plan_data

COMMIT_LINK_PREFIX = "git:"
COMMIT_LINK_DESCRIPTION = "commit this handoff was generated at"
INIT_SUMMARY = "Project initialized."
INIT_STEPS = ["Fill intent.small.yml", "Fill constraints.small.yml", "Generate plan.small.yml"]
HANDOFF = display_path("handoff")
_NEXT_STEPS = 5


def _tasks(plan: Any) -> list[dict[str, Any]]:
    tasks = plan.get("tasks") if isinstance(plan, dict) else None
    return [t for t in tasks if isinstance(t, dict) and isinstance(t.get("id"), str)] if isinstance(tasks, list) else []


def resume_point(plan: Any) -> tuple[str, str | None, list[str]]:
    """(summary, current task id, next steps) from the plan alone."""
    tasks = _tasks(plan)
    status = {t["id"]: lifecycle.normalise(t.get("status")) for t in tasks}
    title = {t["id"]: str(t.get("title") or "").strip() for t in tasks}

    def label(task_id: str) -> str:
        return f"{task_id}: {title[task_id]}" if title[task_id] else task_id

    def ready(task: dict[str, Any]) -> bool:
        return status[task["id"]] == "pending" and all(status.get(d) == "completed" for d in dependencies_of(task))

    working = [t["id"] for t in tasks if status[t["id"]] == "in_progress"]
    actionable = [t["id"] for t in tasks if ready(t)]
    blocked = [t["id"] for t in tasks if status[t["id"]] == "blocked"]
    if not tasks:
        return "The plan has no tasks.", None, ['Add plan tasks: small plan --add "<title>"']
    if all(s in lifecycle.FINAL for s in status.values()):
        done = sum(1 for s in status.values() if s == "completed")
        summary = (
            "Run complete. All plan tasks completed."
            if done == len(tasks)
            else f"Run complete. All plan tasks closed ({done} completed, {len(tasks) - done} cancelled)."
        )
        return summary, None, []
    steps = [f"Continue {label(t)}" for t in working] + [f"Start {label(t)}" for t in actionable]
    steps += [f"Unblock {label(t)}" for t in blocked]
    current = (working or actionable or blocked or [None])[0]
    if working or actionable:
        summary = f"Run in progress. Next task: {current}."
    elif blocked:
        summary = f"Run blocked on {current}."
    else:
        summary = "Run waiting: no pending task has all its dependencies completed."
        steps = ["Review the dependencies of the pending tasks in plan.small.yml"]
    return summary, current, steps[:_NEXT_STEPS]


def _kept_links(existing: Any) -> list[dict[str, Any]]:
    links = existing.get("links") if isinstance(existing, dict) else None
    kept = []
    for link in links if isinstance(links, list) else []:
        if not isinstance(link, dict) or set(link) - {"url", "description"}:
            continue
        if isinstance(link.get("url"), str) and link["url"].startswith(COMMIT_LINK_PREFIX):
            continue  # the previous generation's commit
        kept.append(link)
    return kept


def build_handoff(
    plan: Any,
    existing: Any,
    replay_id: str,
    source: str,
    summary: str | None = None,
    commit: str | None = None,
    run: dict[str, Any] | None = None,
) -> bytes:
    """The handoff file's bytes: a pure function of its inputs."""
    computed, current, steps = resume_point(plan)
    resume: dict[str, Any] = {}
    if current:
        resume["current_task_id"] = current
    resume["next_steps"] = steps
    links = _kept_links(existing)
    if commit:
        links.append({"url": f"{COMMIT_LINK_PREFIX}{commit}", "description": COMMIT_LINK_DESCRIPTION})
    document: dict[str, Any] = {
        "small_version": PROTOCOL_VERSION,
        "owner": "agent",
        "summary": summary.strip() if summary and summary.strip() else computed,
        "resume": resume,
        "links": links,
        "replayId": {"value": replay_id, "source": source},
    }
    if run is None and isinstance(existing, dict) and isinstance(existing.get("run"), dict):
        previous = existing.get("replayId")
        if isinstance(previous, dict) and str(previous.get("value", "")).lower() == replay_id:
            run = existing["run"]  # same run: keep its metadata
    if run:
        document["run"] = run
    return emit_document(document)


def initial_handoff(replay_id: str) -> bytes:
    """init's handoff: it lists the setup steps (as the reference's does) instead of plan tasks."""
    data = parse_yaml(build_handoff({}, None, replay_id, "auto", INIT_SUMMARY), HANDOFF).data
    data["resume"] = {"next_steps": INIT_STEPS}
    return emit_document(data)


def existing_handoff(root: Path) -> Any:
    """The current handoff's data; an unreadable one is simply replaced."""
    raw, problem = read_file(root, HANDOFF)
    if problem is not None or raw is None:
        return None
    try:
        return parse_yaml(raw, HANDOFF).data
    except (YamlError, SmallError):
        return None


def handoff_replay_id(handoff: Any) -> str | None:
    """The replayId a handoff names (lowercase), or None when it names none that is valid."""
    replay = handoff.get("replayId") if isinstance(handoff, dict) else None
    value = replay.get("value") if isinstance(replay, dict) else None
    return value.lower() if isinstance(value, str) and is_replay_id(value) else None


def resolve_replay_id(root: Path, manual: str | None, existing: Any) -> tuple[str, str]:
    """(value, source): --replay-id, else the run's id (starting the run when there is none)."""
    if manual is not None:
        if not is_replay_id(manual):
            raise SmallError(f"invalid replayId {manual!r}: must be 64 hex digits", exit_code=EXIT_USAGE)
        return manual.lower(), "manual"
    current = run_replay_id(root)
    if current is None:
        current = formula_id(root)
        if read_workspace(root) is not None:
            set_run_replay_id(root, current)
    previous = existing.get("replayId") if isinstance(existing, dict) else None
    source = "auto"
    if isinstance(previous, dict) and str(previous.get("value", "")).lower() == current:
        source = "manual" if previous.get("source") == "manual" else "auto"
    return current, source


def head_commit(root: Path) -> str | None:
    return head_commit_evidence(root)[0]


def write_handoff(
    root: Path,
    *,
    summary: str | None = None,
    replay_id: str | None = None,
    record_commit: bool = True,
    run: dict[str, Any] | None = None,
) -> tuple[bytes, str, str]:
    """Regenerate the handoff (caller holds the lock). Returns (bytes, replayId, source)."""
    plan = plan_data(root, required=True)
    existing = existing_handoff(root)
    value, source = resolve_replay_id(root, replay_id, existing)
    if replay_id is not None:
        set_run_replay_id(root, value)
    commit = head_commit(root) if record_commit else None
    data = build_handoff(plan, existing, value, source, summary, commit, run)
    current, _ = read_file(root, HANDOFF)  # a handoff that must not be read is replaced
    if current != data:
        atomic_write(root / HANDOFF, data)
    return data, value, source
