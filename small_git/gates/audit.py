"""The audit engine (spec §6.1): one judgement of a transition, used by every gate.

`judge_transition(old, new, meta, parents_states, context)` judges one workspace across one commit (or the
staged commit): the append-only progress log (§6.2), canonical files that became symlinks, human-owned files
(§6.3, through `authority`), redaction (§6.6, through `redaction`), and that the commit adds no new invalid
state. `judge_commit` finds the workspaces a commit touches and judges each; `audit_revisions` walks a range
of commits in topological order and adds the tip-level evidence check (§6.4, through `tipcheck`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from small_git.errors import SmallError
from small_git.gates.append_only import changed, progress_findings, subsequence_findings
from small_git.gates.authority import authority_findings
from small_git.gates.context import AuditContext, AuditResult, deadline_finding, restore_hint
from small_git.gates.tipcheck import tip_findings
from small_git.git import plumbing as git
from small_git.git.plumbing import CommitMeta
from small_git.git.states import (
    SMALL_SYMLINK_PROBLEM,
    is_symlink_problem,
    state_at,
    touches_workspace,
    workspace_prefixes,
    workspaces_in,
)
from small_git.protocol.artifacts import HUMAN_OWNED
from small_git.protocol.findings import ERROR, Finding
from small_git.protocol.state import State

INDEX = None  # the "revision" that means the staged commit
WORKSPACE_PATHSPEC = (":(glob)**/.small", ":(glob)**/.small/**")


# ---------------------------------------------------------------------------------------------------------
# One workspace, one transition


def judge_transition(
    old: State | None,
    new: State | None,
    meta: CommitMeta | None,
    parents_states: Sequence[State | None] | None = None,
    context: AuditContext | None = None,
    bases: Sequence[State | None] | None = None,
) -> list[Finding]:
    """Findings for the change from `old` (or, for a merge, every parent in `parents_states`) to `new`.

    `bases` are the workspace at each merge base of a merge (None where it had none), so that a merge that
    discards a parent's change to a human-owned file is judged as the change it is."""
    ctx = context or AuditContext(Path("."))
    parents = list(parents_states) if parents_states is not None and len(parents_states) > 1 else [old]
    sample = new or next((p for p in parents if p is not None), None)
    if sample is None:
        return []
    findings = _symlink_findings(parents[0], new, ctx)
    log_findings, redacted = progress_findings(parents, new, meta, ctx, sample)
    findings += log_findings
    findings += _human_findings(parents, new, meta, ctx, redacted, bases)
    if ctx.judge_validity and new is not None and not findings:
        findings += _validity_findings(parents, new, ctx)
    return findings


def _symlink_findings(old: State | None, new: State | None, ctx: AuditContext) -> list[Finding]:
    if new is None:
        return []
    findings = []
    for kind, entry in new.files.items():
        if not is_symlink_problem(entry):
            continue
        if old is not None and is_symlink_problem(old.files[kind]):
            continue  # already a symlink before this commit: reported when it was introduced
        if entry.problem == SMALL_SYMLINK_PROBLEM:
            return [
                Finding(
                    "canonical-symlink",
                    new.small_dir,
                    f"{ctx.label}: {new.small_dir} is a symlink (git mode 120000), not a folder",
                    hint=restore_hint(ctx, new.small_dir, "replace the symlink by the folder itself"),
                    stage="git",
                )
            ]
        findings.append(
            Finding(
                "canonical-symlink",
                entry.path,
                f"{ctx.label}: {entry.path} {entry.problem}",
                hint=restore_hint(ctx, entry.path, "replace the symlink by the file itself"),
                stage="git",
            )
        )
    return findings


# --- human-owned files and validity ----------------------------------------------------------------------


def _human_findings(
    parents: list[State | None],
    new: State | None,
    meta: CommitMeta | None,
    ctx: AuditContext,
    redacted: bool,
    bases: Sequence[State | None] | None,
) -> list[Finding]:
    sample = new or next(p for p in parents if p is not None)
    touched = [sample.path(kind) for kind in HUMAN_OWNED if human_change(parents, new, kind, bases)]
    if redacted:
        touched.append(sample.path("progress"))  # a redaction needs the same human authority (§6.6)
    if not touched or meta is None:
        return []
    return authority_findings(
        touched,
        meta,
        env=ctx.env if ctx.local else None,
        repo=ctx.repo,
        stage=ctx.stage,
        policy=ctx.policy,
        pusher=ctx.pusher,
    )


def human_change(
    parents: Sequence[State | None], new: State | None, kind: str, bases: Sequence[State | None] | None
) -> bool:
    """Whether the commit changes human-owned file `kind` (spec §6.3): it differs from every parent, or (a
    merge) it discards what some parent changed since the merge base (the parent's version is not the
    result's, and no merge base had it). `-s ours` over a human's edit is a change; taking it is not."""
    if all(changed(p, new, kind) for p in parents):
        return True
    if len(parents) < 2:
        return False
    versions = list(bases) if bases else [None]
    return any(changed(p, new, kind) and all(changed(b, p, kind) for b in versions) for p in parents)


def _validity_findings(parents: list[State | None], new: State, ctx: AuditContext) -> list[Finding]:
    """Errors `check` reports for the new state that it reported for no parent: a commit may not make the
    workspace worse, and is not blamed for what it inherited."""
    from small_git.protocol.checker import CheckOptions, check_state

    options = CheckOptions(scope="any")
    try:
        after = check_state(new, options=options).findings
    except SmallError as exc:
        if any(_same_error(parent, exc, options) for parent in parents):
            return []  # inherited unchanged
        return [
            Finding(
                exc.rule or "unreadable",
                exc.file or new.small_dir,
                f"{ctx.label}: {exc.message}",
                exc.line,
                exc.hint or "fix the file so it can be read",
                stage="git",
            )
        ]
    if not after:
        return []
    before: set[tuple[str, str, str]] = set()
    for parent in parents:
        if parent is None:
            continue
        try:
            before |= {(f.rule, f.file, f.message) for f in check_state(parent, options=options).findings}
        except SmallError:
            continue
    return [
        replace(f, message=f"{ctx.label}: {f.message}")
        for f in after
        if f.severity == ERROR and (f.rule, f.file, f.message) not in before
    ]


def _same_error(parent: State | None, error: SmallError, options: Any) -> bool:
    from small_git.protocol.checker import check_state

    if parent is None:
        return False
    try:
        check_state(parent, options=options)
    except SmallError as exc:
        return exc.message == error.message
    return False


# ---------------------------------------------------------------------------------------------------------
# Commits


def judge_commit(
    repo: Path,
    parents: Sequence[str],
    new_rev: str | None,
    meta: CommitMeta | None,
    context: AuditContext,
    paths: set[str] | None = None,
) -> list[Finding]:
    """Judge every workspace the commit (`new_rev`, or the index when None) touches against its parents.

    A root commit has no parents; a merge has several. Workspaces are found from the changed paths (pass
    them when already known), so a commit that touches no `.small/` reads no YAML at all.
    """
    bases: list[str | None] = list(parents) or [None]
    if paths is None:
        paths = touched_paths(repo, parents, new_rev)
    if not touches_workspace(paths):
        return []
    findings: list[Finding] = []
    deleted: dict[str, State] = {}
    created: dict[str, State] = {}
    merge_bases: list[str] | None = None
    for prefix in workspace_prefixes(paths):
        new_state = state_at(new_rev, prefix, repo)
        parent_states = [state_at(base, prefix, repo) if base is not None else None for base in bases]
        base_states: list[State | None] | None = None
        if len(parent_states) > 1 and any(changed(p, new_state, k) for p in parent_states for k in HUMAN_OWNED):
            if merge_bases is None:
                merge_bases = git.merge_bases(list(parents), repo)
            base_states = [state_at(base, prefix, repo) for base in merge_bases]
        found = judge_transition(parent_states[0], new_state, meta, parent_states, context, base_states)
        if new_state is None and parent_states[0] is not None:
            deleted[prefix] = parent_states[0]
        if new_state is not None and all(p is None for p in parent_states):
            created[prefix] = new_state
        findings += found
    return _moved(findings, deleted, created, context)


def touched_paths(repo: Path, parents: Sequence[str], new_rev: str | None) -> set[str]:
    """Paths that differ from any parent (all paths of a root commit)."""
    bases: list[str | None] = list(parents) or [None]
    paths: set[str] = set()
    for base in bases:
        paths.update(git.changed_paths(base, new_rev, repo))
    return paths


def _moved(
    findings: list[Finding], deleted: dict[str, State], created: dict[str, State], ctx: AuditContext
) -> list[Finding]:
    """A deletion whose log reappears elsewhere is reported as the move it is."""
    for old_state in deleted.values():
        for new_state in created.values():
            if (
                old_state.files["progress"].raw is None
                or old_state.files["progress"].raw != new_state.files["progress"].raw
            ):
                continue
            source, target = old_state.small_dir, new_state.small_dir
            findings = [f for f in findings if not (f.rule == "progress-deleted" and f.file.startswith(source + "/"))]
            findings.append(
                Finding(
                    "workspace-moved",
                    source,
                    f"{ctx.label}: moves {source}/ to {target}/; a workspace's history stays where it is",
                    hint=_move_hint(ctx, source, target),
                    stage="git",
                )
            )
    return findings


def _move_hint(ctx: AuditContext, source: str, target: str) -> str:
    if ctx.local:
        return f"move it back: git mv {target} {source}, then commit again"
    return restore_hint(ctx, source, "keep the workspace where it was")


def judge_commits(repo: Path, rev_args: Sequence[str], context: AuditContext, ref: str = "") -> AuditResult:
    """Judge every commit `git rev-list <rev_args>` names, parent -> child, oldest first (topological order)."""
    commits = git.rev_list(rev_args, repo)
    result = AuditResult(commits=[sha for sha, _ in commits])
    cut = _cut_history(repo, commits)
    if cut is not None:
        result.missing.append(cut)
        result.findings.append(_shallow_finding(cut, context))
        return result
    touched: set[str] = set()
    # One walk finds the commits that touch any workspace (--full-history keeps a merge that differs from
    # any parent there); the others cost nothing more.
    candidates = set(git.run_git(["rev-list", "--full-history", *rev_args, "--", *WORKSPACE_PATHSPEC], repo).split())
    for number, (sha, parents) in enumerate(commits, start=1):
        if context.progress is not None:
            context.progress(number, len(commits))
        if sha not in candidates:
            continue
        if context.out_of_time():
            result.findings.append(deadline_finding(context, ref or "the update"))
            return result
        paths = touched_paths(repo, parents, sha)
        if not touches_workspace(paths):
            continue
        touched.update(workspace_prefixes(paths))
        commit_context = replace(context, label=f"commit {git.short_sha(sha)}", env=None)
        meta = git.commit_meta(sha, repo)
        result.findings += judge_commit(repo, parents, sha, meta, commit_context, paths)
    result.touched = sorted(touched)
    return result


def kept_entries_findings(repo: Path, old_tip: str, new_tip: str, ref: str, context: AuditContext) -> list[Finding]:
    """An update that is not a fast-forward: every entry of the old tip's logs must still be at the new tip,
    in order, others possibly between them (spec §6.2)."""
    findings: list[Finding] = []
    label = f"the update of {ref or 'a ref'} ({git.short_sha(old_tip)} -> {git.short_sha(new_tip)})"
    force_context = replace(context, label=label, judge_validity=False, env=None)
    for prefix in workspaces_in(old_tip, repo):
        old_state, new_state = state_at(old_tip, prefix, repo), state_at(new_tip, prefix, repo)
        findings += subsequence_findings(old_state, new_state, force_context)
    return findings


def tip_level_findings(repo: Path, tip: str, prefixes: Sequence[str]) -> list[Finding]:
    """The tip-level evidence check (spec §6.4) on the workspaces at `prefixes` of commit `tip`."""
    findings: list[Finding] = []
    for prefix in prefixes:
        state = state_at(tip, prefix, repo)
        if state is None or state.files["progress"].raw is None:
            continue
        try:
            findings += tip_findings(repo, tip, state)
        except SmallError as exc:
            findings.append(
                Finding(
                    exc.rule or "unreadable", exc.file or state.small_dir, exc.message, exc.line, exc.hint, stage="git"
                )
            )
    return findings


def _cut_history(repo: Path, commits: list[tuple[str, list[str]]]) -> str | None:
    """A shallow clone's boundary commits look like root commits: judging them would miss rewrites."""
    if not git.is_shallow(repo):
        return None
    shallow_file = git.git_path("shallow", repo)
    boundary = set(shallow_file.read_text().split()) if shallow_file.is_file() else set()
    return next((sha for sha, _ in commits if sha in boundary), None)


def _shallow_finding(cut: str, context: AuditContext) -> Finding:
    return Finding(
        "shallow-history",
        ".",
        f"the history is cut at commit {git.short_sha(cut)} (a shallow clone), so its parent cannot be compared",
        hint="fetch the missing history: git fetch --unshallow (CI: actions/checkout with fetch-depth: 0)",
        stage="git",
    )
