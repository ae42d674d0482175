"""What a reviewer of `base..head` needs on one screen (spec §6.5), gathered from git and the gates' engine:
tasks added and moved with their transitions, entries appended with their evidence and whether each cited
commit is in the head's history, human-owned files changed and by whom with the verdict, handoff freshness at
the head, every finding of the audit, and the head's plan (for the graph)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from small_git.gates.context import AuditContext
from small_git.gates.history import entry_key, parse_range, read_history
from small_git.gates.history_model import (
    AppendedEntry,
    Citation,
    Freshness,
    History,
    HumanFileChange,
    PlanTask,
    Review,
    TaskMoves,
)
from small_git.gates.refupdate import RefUpdate, judge_ref_update
from small_git.gates.tipcheck import ancestors_among, resolve_commits, rewrite_of, same_commit
from small_git.git import plumbing as git
from small_git.git.states import state_at, workspaces_in
from small_git.protocol.artifacts import CACHE_DIR, EVIDENCE_FIELDS

COMMIT_LINK_PREFIX = "git:"  # how `handoff` records the commit it was generated at (docs/commands.md)


def build_review(repo: Path, rev_range: str, progress: Callable[[int, int], None] | None = None) -> Review:
    span = parse_range(repo, rev_range, example="git small review origin/main..HEAD")
    head = span.head
    history = read_history(repo, rev_range, progress=progress)
    review = Review(rev_range, head, history.walked)
    # A pull request is not a move of its base: the audit judges what head added since it left the base, as
    # `git small audit --from-ci github` does, so a branch behind its base is not taken for a rewind.
    fork = None
    if span.base is not None:
        fork = git.run_git(["merge-base", span.base, head], repo, check=False).strip() or None
    context = AuditContext(repo, stage="audit")
    review.findings = judge_ref_update(repo, RefUpdate("HEAD", fork, head), context).findings
    review.tasks = _task_moves(history)
    review.entries = _appended(repo, head, history)
    review.human = [HumanFileChange(h, s.commit) for s in history.commits for w in s.workspaces for h in w.human]
    for prefix in workspaces_in(head, repo):
        state = state_at(head, prefix, repo)
        if state is None:
            continue
        review.handoffs.append(_freshness(repo, head, state.small_dir, _data(state, "handoff")))
        review.plans[state.small_dir] = plan_tasks(_data(state, "plan"))
    return review


def _data(state: Any, kind: str) -> Any:
    try:
        return state.data(kind)
    except Exception:  # noqa: BLE001 - an unreadable file is the audit's finding; the view shows what it can
        return None


def plan_tasks(plan: Any) -> list[PlanTask]:
    tasks = plan.get("tasks") if isinstance(plan, dict) else None
    out = []
    for task in tasks if isinstance(tasks, list) else []:
        if not isinstance(task, dict) or not isinstance(task.get("id"), str):
            continue
        needs = task.get("depends_on", task.get("dependencies"))
        depends = [d for d in needs if isinstance(d, str)] if isinstance(needs, list) else []
        status, title = task.get("status"), task.get("title")
        out.append(
            PlanTask(
                task["id"],
                title if isinstance(title, str) else "",
                status if isinstance(status, str) else "pending",
                depends,
            )
        )
    return out


def _task_moves(history: History) -> list[TaskMoves]:
    moves: dict[tuple[str, str], TaskMoves] = {}
    for story in history.commits:
        for ws in story.workspaces:
            for change in ws.tasks:
                key = (ws.workspace, change.task_id)
                if change.change == "added":
                    first = [change.after or "pending"]
                    moves[key] = TaskMoves(ws.workspace, change.task_id, change.title, True, first)
                elif change.change == "status":
                    found = moves.setdefault(
                        key, TaskMoves(ws.workspace, change.task_id, change.title, False, [change.before or "pending"])
                    )
                    found.statuses.append(change.after or "pending")
                    found.title = change.title or found.title
                elif change.change == "removed":
                    moves.setdefault(key, TaskMoves(ws.workspace, change.task_id, None, False, [change.before or "?"]))
                    moves[key].statuses.append("removed")
    return list(moves.values())


def _evidence(entry: Any) -> dict[str, Any]:
    if not isinstance(entry, dict):
        return {}
    return {k: entry[k] for k in EVIDENCE_FIELDS if k in entry and k != "commit"}


def _appended(repo: Path, head: str, history: History) -> list[AppendedEntry]:
    found: list[AppendedEntry] = []
    for story in history.commits:
        for ws in story.workspaces:
            for added in ws.entries:
                entry = added.entry if isinstance(added.entry, dict) else {}
                status = entry.get("status")
                found.append(
                    AppendedEntry(
                        ws.workspace,
                        added.index,
                        added.kind,
                        added.task_id,
                        status if isinstance(status, str) else None,
                        _evidence(entry),
                        story.commit,
                        None,
                    )
                )
    _cite(repo, head, found, history)
    # Numbered as at the head (a merge renumbers what a branch appended); an entry the head no longer has keeps
    # the number it had when it was added, after the others.
    at_head = {(line.workspace, entry_key(line.entry)): line.index for line in history.blame}
    for appended, added in zip(found, _added(history), strict=True):
        appended.index = at_head.get((appended.workspace, entry_key(added)), appended.index)
    found.sort(key=lambda a: (a.workspace, a.index))
    return found


def _added(history: History) -> list[Any]:
    return [added.entry for story in history.commits for ws in story.workspaces for added in ws.entries]


def _cite(repo: Path, head: str, entries: list[AppendedEntry], history: History) -> None:
    """Whether each cited commit is in the head's history, directly or through a reconcile entry of the head."""
    cited: dict[tuple[str, int, str], str] = {}
    for story in history.commits:
        for ws in story.workspaces:
            for added in ws.entries:
                value = added.entry.get("commit") if isinstance(added.entry, dict) else None
                if isinstance(value, str) and value.strip():
                    cited[(ws.workspace, added.index, story.commit.sha)] = value.strip()
    rewrites = [r for line in history.blame if (r := rewrite_of(line.entry)) is not None]
    names = sorted(set(cited.values()) | {new for _, new in rewrites})
    resolved = resolve_commits(repo, names)
    reachable = ancestors_among(repo, head, {sha for sha in resolved.values() if sha})

    def judge(value: str, depth: int = 0) -> Citation:
        sha = resolved.get(value)
        if sha and sha in reachable:
            return Citation(value, "reachable")
        if depth < 16:
            for old, new in rewrites:
                if same_commit(old, value) and judge(new, depth + 1).state in ("reachable", "reconciled"):
                    return Citation(value, "reconciled", new)
        if sha == "":
            return Citation(value, "ambiguous")
        return Citation(value, "unknown" if sha is None else "not-in-history")

    for appended in entries:
        value = cited.get((appended.workspace, appended.index, appended.commit.sha))
        if value is not None:
            appended.citation = judge(value)


def _freshness(repo: Path, head: str, small_dir: str, handoff: Any) -> Freshness:
    """The handoff at the head against the commit it records: stale when code or `.small/` changed after it
    (not the handoff itself, the workspace metadata or runtime scratch), as `status` judges it."""
    if not isinstance(handoff, dict):
        return Freshness(small_dir, "none", reason="no handoff")
    recorded = None
    for link in handoff.get("links") or []:
        url = link.get("url") if isinstance(link, dict) else None
        if isinstance(url, str) and url.startswith(COMMIT_LINK_PREFIX):
            recorded = url[len(COMMIT_LINK_PREFIX) :].strip()
            break
    if recorded is None:
        return Freshness(small_dir, "unknown", reason="the handoff does not record its commit")
    full = git.rev_parse(f"{recorded}^{{commit}}", repo) if _hex(recorded) else None
    if full is None:
        return Freshness(small_dir, "unknown", recorded, f"the recorded commit {recorded} is not in this repository")
    ignored = {f"{small_dir}/handoff.small.yml", f"{small_dir}/workspace.small.yml"}
    out = git.run_git(["diff", "--name-only", "-z", "--no-renames", full, head, "--"], repo)
    changed = sorted(p for p in out.split("\0") if p and p not in ignored and CACHE_DIR not in p.split("/"))
    if changed:
        return Freshness(small_dir, "stale", recorded, f"{len(changed)} path(s) changed since", changed[:20])
    return Freshness(small_dir, "fresh", recorded)


def _hex(value: str) -> bool:
    return 7 <= len(value) <= 64 and all(c in "0123456789abcdef" for c in value.lower())
