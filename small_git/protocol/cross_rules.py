"""Rules that look at more than one artifact: the evidence gate (D8), the plan graph (D1), S1–S3, the
handoff's current task, and the strict layout rule S4."""

from __future__ import annotations

from typing import Any

from small_git.protocol.findings import Finding
from small_git.protocol.rules import Reporter, blank, has_evidence
from small_git.protocol.run_boundary import current_run_entries, run_start
from small_git.protocol.state import LayoutEntry
from small_git.protocol.yamlsafe import Document

ALLOWED_IN_SMALL = frozenset(
    f"{k}.small.yml" for k in ("intent", "constraints", "plan", "progress", "handoff", "workspace")
)


def tasks_of(plan: Any) -> list[dict[str, Any]]:
    if not isinstance(plan, dict) or not isinstance(plan.get("tasks"), list):
        return []
    return [t for t in plan["tasks"] if isinstance(t, dict)]


def entries_of(progress: Any) -> list[dict[str, Any]]:
    if not isinstance(progress, dict) or not isinstance(progress.get("entries"), list):
        return []
    return [e for e in progress["entries"] if isinstance(e, dict)]


def run_entries_of(progress: Any) -> list[dict[str, Any]]:
    """The current run's entries (protocol/run_boundary.py): what the plan/progress rules read."""
    return [e for e in current_run_entries(progress) if isinstance(e, dict)]


def task_status(task: dict[str, Any]) -> str:
    status = task.get("status")
    return status.strip().lower() if isinstance(status, str) else ""


def _task_id(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def evidence_gate(plan: Document | None, progress: Document | None, plan_path: str) -> list[Finding]:
    """D8: every completed task has a progress entry with its task_id that carries an evidence field, in the
    current run (an earlier run's entry proves nothing about this run's task of the same id)."""
    if plan is None:
        return []
    proven = {
        _task_id(e.get("task_id")) for e in run_entries_of(progress.data if progress else None) if has_evidence(e)
    }
    out = Reporter(plan, plan_path)
    for i, task in enumerate(tasks_of(plan.data)):
        task_id = _task_id(task.get("id"))
        if task_id and task_status(task) == "completed" and task_id not in proven:
            out.add(
                "evidence-gate",
                f"task {task_id!r} is completed but no progress entry for it carries evidence",
                ("tasks", i, "status"),
                deviation="D8",
                hint=f'record it in this run: small checkpoint --task {task_id} --status completed --evidence "..."',
            )
    return out.findings


def plan_graph(plan: Document | None, plan_path: str) -> list[Finding]:
    """D1: unique task ids; dependencies are lists of known ids; no self-dependency; no cycle."""
    if plan is None:
        return []
    out = Reporter(plan, plan_path)
    tasks = tasks_of(plan.data)
    seen: dict[str, int] = {}
    for i, task in enumerate(tasks):
        task_id = _task_id(task.get("id"))
        if task_id is None:
            continue
        if task_id in seen:
            out.add(
                "plan-duplicate-id",
                f"task id {task_id!r} is used by tasks[{seen[task_id]}] and tasks[{i}]",
                ("tasks", i, "id"),
                deviation="D1",
                hint="give each task its own id",
            )
        else:
            seen[task_id] = i
    edges: dict[str, list[str]] = {}
    for i, task in enumerate(tasks):
        task_id = _task_id(task.get("id"))
        for key in ("depends_on", "dependencies"):
            if key not in task:
                continue
            deps = task[key]
            if deps is None:
                continue
            if not isinstance(deps, list) or not all(isinstance(d, str) for d in deps):
                out.add(
                    "plan-dependency", f"tasks[{i}].{key} must be a list of task ids", ("tasks", i, key), deviation="D1"
                )
                continue
            for j, dep in enumerate(deps):
                if dep not in seen:
                    out.add(
                        "plan-dependency",
                        f"task {task_id!r} depends on unknown task {dep!r}",
                        ("tasks", i, key, j),
                        deviation="D1",
                        hint="fix the id or remove the dependency",
                    )
                elif dep == task_id:
                    out.add(
                        "plan-dependency",
                        f"task {task_id!r} depends on itself",
                        ("tasks", i, key, j),
                        deviation="D1",
                        hint="remove the self-dependency",
                    )
                elif task_id is not None:
                    edges.setdefault(task_id, []).append(dep)
    cycle = _find_cycle(edges)
    if cycle:
        out.add(
            "plan-cycle",
            "dependency cycle: " + " -> ".join(cycle),
            ("tasks", seen.get(cycle[0], 0)),
            deviation="D1",
            hint="remove one of the dependencies in the cycle",
        )
    return out.findings


def _find_cycle(edges: dict[str, list[str]]) -> list[str] | None:
    """Iterative DFS (plans can be long; no recursion limit to hit)."""
    state: dict[str, int] = {}
    for start in sorted(edges):
        if state.get(start):
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        path: list[str] = []
        while stack:
            node, index = stack.pop()
            if index == 0:
                state[node] = 1
                path.append(node)
            children = edges.get(node, [])
            if index < len(children):
                stack.append((node, index + 1))
                child = children[index]
                if state.get(child) == 1:
                    return path[path.index(child) :] + [child]
                if not state.get(child):
                    stack.append((child, 0))
            else:
                state[node] = 2
                path.pop()
    return None


def strict_cross(
    plan: Document | None, progress: Document | None, handoff: Document | None, paths: dict[str, str]
) -> list[Finding]:
    """S1 (closed tasks have evidence or notes), S2 (progress task ids known to the plan), S3. S1 and S2 read
    the current run's entries only."""
    findings: list[Finding] = []
    if plan is None or progress is None:
        return findings
    tasks = tasks_of(plan.data)
    entries = run_entries_of(progress.data)
    plan_ids = {t for t in (_task_id(t.get("id")) for t in tasks) if t}
    noted: set[str] = set()
    mentioned: set[str] = set()
    for entry in entries:
        task_id = _task_id(entry.get("task_id"))
        if task_id is None:
            continue
        mentioned.add(task_id)
        if any(
            not blank(entry.get(k)) or isinstance(entry.get(k), dict | list) and entry.get(k)
            for k in ("evidence", "notes")
        ):
            noted.add(task_id)
    missing = []
    for task in tasks:
        task_id = _task_id(task.get("id"))
        if task_id and task_status(task) in ("completed", "blocked") and task_id not in noted:
            reason = "no progress entry" if task_id not in mentioned else "empty evidence/notes"
            missing.append(f"{task_id} ({task.get('title')}) [{reason}]")
    if missing:
        findings.append(
            Finding(
                "S1",
                paths["progress"],
                "strict invariant S1: completed or blocked tasks without evidence: " + "; ".join(sorted(missing)),
                None,
                'record it: small checkpoint --task ID --status completed --evidence "..."',
            )
        )
    handoff_data = handoff.data if handoff is not None else None
    scope = _s2_scope(handoff_data)
    if plan_ids:
        unknown: list[tuple[int, str]] = []
        raw_entries = progress.data.get("entries") if isinstance(progress.data, dict) else None
        raw_entries = raw_entries if isinstance(raw_entries, list) else []
        first = run_start(raw_entries)
        for i, entry in enumerate(raw_entries[first:], start=first):
            task_id = _s2_unknown(entry, plan_ids, scope)
            if task_id is not None:
                unknown.append((i, task_id))
        if unknown:
            line = progress.line_of(("entries", unknown[0][0]))
            names = sorted({t for _, t in unknown})
            findings.append(
                Finding(
                    "S2",
                    paths["progress"],
                    f"strict invariant S2 (replayId scope: "
                    f"{scope or 'unknown'}): progress entries name tasks that are not in the "
                    "plan: " + "; ".join(names),
                    line,
                    _s2_hint(names),
                )
            )
    if isinstance(handoff_data, dict) and isinstance(handoff_data.get("resume"), dict):
        current = handoff_data["resume"].get("current_task_id")
        if isinstance(current, str) and current.strip() and not current.startswith("meta/") and current not in plan_ids:
            line = handoff.line_of(("resume", "current_task_id")) if handoff else None
            findings.append(
                Finding(
                    "S3",
                    paths["handoff"],
                    f"strict invariant S3: resume.current_task_id {current!r} is not in the plan",
                    line,
                    "regenerate: small handoff",
                    pointer="/resume/current_task_id",
                )
            )
    return findings


def _s2_scope(handoff_data: Any) -> str:
    """The replayId S2 judges by: the handoff's ("" when it has none)."""
    if isinstance(handoff_data, dict) and isinstance(handoff_data.get("replayId"), dict):
        value = handoff_data["replayId"].get("value")
        return value.strip() if isinstance(value, str) else ""
    return ""


def _s2_unknown(entry: Any, plan_ids: set[str], scope: str) -> str | None:
    """The entry's task id when S2 flags it (a current-run entry naming a task the plan lacks), else None."""
    if not isinstance(entry, dict):
        return None
    task_id = _task_id(entry.get("task_id"))
    if task_id is None or task_id.startswith("meta/") or task_id in plan_ids:
        return None
    replay = entry.get("replayId")
    if scope and (not isinstance(replay, str) or replay.strip() != scope):
        return None
    return task_id


def s2_would_flag(plan_data: Any, handoff_data: Any, entry: dict[str, Any]) -> bool:
    """Whether `check --strict` flags `entry` under S2 once it is appended (the log's last entry, so in the
    current run) — now, or after the next `small handoff`, which moves S2's scope to the entry's own replayId:
    what appends refuse, the log being append-only. An entry without a replayId (no run has started) is judged
    by the handoff's scope, as check judges it."""
    plan_ids = {t for t in (_task_id(t.get("id")) for t in tasks_of(plan_data)) if t}
    replay = entry.get("replayId")
    scope = replay.strip() if isinstance(replay, str) and replay.strip() else _s2_scope(handoff_data)
    return bool(plan_ids) and _s2_unknown(entry, plan_ids, scope) is not None


def _s2_hint(names: list[str]) -> str:
    """What really fixes S2: no command adds a task under a given id (`plan --add` numbers its own), and
    entries cannot be renamed (the log is append-only), so the plan must name them, or a new run begin."""
    example = names[0].replace("\\", "\\\\").replace('"', '\\"')
    return (
        f'if they are this run\'s work, add them to .small/plan.small.yml by hand (- id: "{example}" with a '
        "title); if they belong to an earlier run, start a new run: small reset --yes (a new plan; the log keeps "
        "every entry, outside the new run)"
    )


def current_task(plan: Document | None, handoff: Document | None, handoff_path: str) -> list[Finding]:
    """In every mode (as the reference's verify): the handoff's current task is a plan task or meta/."""
    if handoff is None or not isinstance(handoff.data, dict) or not isinstance(handoff.data.get("resume"), dict):
        return []
    current = handoff.data["resume"].get("current_task_id")
    if not isinstance(current, str) or not current.strip() or current.startswith("meta/"):
        return []
    plan_ids = {t["id"] for t in tasks_of(plan.data if plan else None) if isinstance(t.get("id"), str)}
    if current in plan_ids:
        return []
    return [
        Finding(
            "current-task",
            handoff_path,
            f"resume.current_task_id {current!r} is not in the plan and does not use meta/",
            handoff.line_of(("resume", "current_task_id")),
            "regenerate the handoff: small handoff",
            stage="verify",
            pointer="/resume/current_task_id",
        )
    ]


def layout(entries: list[LayoutEntry] | None, small_dir: str) -> list[Finding]:
    """S4: `.small/` holds the six files and nothing else."""
    if entries is None:
        return []
    unexpected = sorted(
        (e.name + "/") if e.is_dir else e.name for e in entries if e.is_dir or e.name not in ALLOWED_IN_SMALL
    )
    if not unexpected:
        return []
    legacy = [n for n in unexpected if n in ("archive/", "runs/")]
    hint = "move them outside .small/ (runtime files belong in .small-cache/)"
    if legacy:
        hint = "legacy runtime folders: move them to .small-archive/ and .small-runs/; " + hint
    return [
        Finding(
            "S4",
            small_dir + "/",
            "strict invariant S4: unexpected paths under .small/: " + ", ".join(f".small/{n}" for n in unexpected),
            None,
            hint,
        )
    ]
