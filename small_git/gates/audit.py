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
from small_git.gates.content import added_content_findings
from small_git.gates.context import AuditContext, AuditResult, deadline_finding, restore_hint
from small_git.gates.fastpath import facts_cache, fast_accept
from small_git.gates.redaction import Record
from small_git.gates.tipcheck import citations_pass, tip_findings
from small_git.git import plumbing as git
from small_git.git.objects import MissingObject, ObjectReader
from small_git.git.plumbing import CommitMeta
from small_git.git.states import (
    DUPLICATE_FOLDER_PROBLEM,
    SMALL_SYMLINK_PROBLEM,
    changed_workspaces,
    is_duplicate_problem,
    is_symlink_problem,
    state_at,
    workspace_prefixes,
    workspaces_in,
)
from small_git.protocol.artifacts import HUMAN_OWNED
from small_git.protocol.findings import ERROR, Finding
from small_git.protocol.state import State

RULE_DUPLICATE = "tree-duplicate-path"


# ---------------------------------------------------------------------------------------------------------
# One workspace, one transition


def judge_transition(
    old: State | None,
    new: State | None,
    meta: CommitMeta | None,
    parents_states: Sequence[State | None] | None = None,
    context: AuditContext | None = None,
    bases: Sequence[State | None] | None = None,
    redactions: set[Record] | None = None,
) -> list[Finding]:
    """Findings for the change from `old` (or, for a merge, every parent in `parents_states`) to `new`.

    `bases` are the workspace at each merge base of a merge (None where it had none), so that a merge that
    discards a parent's change to a human-owned file is judged as the change it is. The records of a
    redaction the commit makes, once accepted, are added to `redactions` when given."""
    ctx = context or AuditContext(Path("."))
    parents = list(parents_states) if parents_states is not None and len(parents_states) > 1 else [old]
    sample = new or next((p for p in parents if p is not None), None)
    if sample is None:
        return []
    if fast_accept(parents, new, ctx):
        return []  # an append the full judgement would accept, proven from the added entries alone
    findings = _structure_findings(parents[0], new, ctx)
    log_findings, redacted = progress_findings(parents, new, meta, ctx, sample, redactions)
    findings += log_findings
    findings += _human_findings(parents, new, meta, ctx, redacted, bases)
    if ctx.judge_validity and new is not None and not findings:
        findings += _validity_findings(parents, new, ctx)
        findings += added_content_findings(parents, new, ctx)
    return findings


def _structure_findings(old: State | None, new: State | None, ctx: AuditContext) -> list[Finding]:
    """Canonical files git records as something other than one regular file: symlinks, and names a tree
    lists twice."""
    if new is None:
        return []
    findings = []
    for kind, entry in new.files.items():
        if is_duplicate_problem(entry):
            if old is not None and old.files[kind].problem == entry.problem:
                continue
            where = new.small_dir if entry.problem == DUPLICATE_FOLDER_PROBLEM else entry.path
            findings.append(
                Finding(
                    RULE_DUPLICATE,
                    where,
                    f"{ctx.label}: {entry.path} {entry.problem}",
                    hint="rewrite the commit so that every folder lists each name once (git fsck names the tree)",
                    stage="git",
                )
            )
            if entry.problem == DUPLICATE_FOLDER_PROBLEM:
                return findings
            continue
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
        f.replace(message=f"{ctx.label}: {f.message}")
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
    prefixes: Sequence[str] | None = None,
    objects: ObjectReader | None = None,
    redactions: set[Record] | None = None,
) -> list[Finding]:
    """Judge every workspace the commit (`new_rev`, or the index when None) touches against its parents.

    A root commit has no parents; a merge has several. Workspaces are found from what changed (pass their
    prefixes when already known), so a commit that touches no `.small/` reads no YAML at all.
    """
    if objects is None:
        with ObjectReader(repo) as reader:
            return judge_commit(repo, parents, new_rev, meta, context, prefixes, reader, redactions)
    if prefixes is None:
        prefixes = touched_workspaces(repo, parents, new_rev, objects)
    findings: list[Finding] = []
    deleted: dict[str, State] = {}
    created: dict[str, State] = {}
    merge_bases: list[str] | None = None
    for prefix in prefixes:
        new_state = state_at(new_rev, prefix, repo, objects)
        parent_states = [state_at(parent, prefix, repo, objects) for parent in parents] or [None]
        base_states: list[State | None] | None = None
        if len(parent_states) > 1 and any(changed(p, new_state, k) for p in parent_states for k in HUMAN_OWNED):
            if merge_bases is None:
                merge_bases = git.merge_bases(list(parents), repo)
            base_states = [state_at(base, prefix, repo, objects) for base in merge_bases]
        found = judge_transition(parent_states[0], new_state, meta, parent_states, context, base_states, redactions)
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


def touched_workspaces(repo: Path, parents: Sequence[str], new_rev: str | None, objects: ObjectReader) -> list[str]:
    """The workspaces whose `.small` differs from any parent's (every workspace of a root commit)."""
    bases: list[str | None] = list(parents) or [None]
    if new_rev is None:  # the index: git compares it with each parent
        return workspace_prefixes(touched_paths(repo, parents, None))
    tree = objects.commit(new_rev).tree
    found: set[str] = set()
    for parent in bases:
        found.update(changed_workspaces(objects, objects.commit(parent).tree if parent else None, tree))
    return sorted(found)


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
    """Judge every commit `git rev-list <rev_args>` names, parent -> child, oldest first (topological order).

    One `rev-list` walk names the commits; one `cat-file --batch` process reads every object."""
    commits = git.rev_list(rev_args, repo)
    result = AuditResult(commits=[sha for sha, _ in commits])
    facts_cache(context)  # made once, so every commit's context shares what is learnt of the logs
    cut = _cut_history(repo, commits)
    if cut is not None:
        result.missing.append(cut)
        result.findings.append(_shallow_finding(cut))
        return result
    touched: set[str] = set()
    with ObjectReader(repo) as objects:
        objects.newest = commits[-1][0] if len(commits) > 1 else None  # appends: each version starts the tip's
        for number, (sha, _) in enumerate(commits, start=1):
            if context.progress is not None:
                context.progress(number, len(commits))
            if context.out_of_time():
                result.findings.append(deadline_finding(context, ref or "the update"))
                return result
            try:
                commit = objects.commit(sha)
                prefixes = touched_workspaces(repo, commit.parents, sha, objects)
                if not prefixes:
                    continue
                touched.update(prefixes)
                commit_context = replace(context, label=f"commit {git.short_sha(sha)}", env=None)
                meta = git.meta_of(commit)
                result.findings += judge_commit(
                    repo, commit.parents, sha, meta, commit_context, prefixes, objects, result.redactions
                )
            except MissingObject as missing:
                result.missing.append(missing.oid)
                rule = missing.rule or "missing-history"
                result.findings.append(Finding(rule, ref or ".", missing.message, hint=missing.hint, stage="git"))
                return result
    result.touched = sorted(touched)
    return result


def kept_entries_findings(
    repo: Path, old_tip: str, new_tip: str, ref: str, context: AuditContext, redactions: set[Record] | None = None
) -> list[Finding]:
    """An update that is not a fast-forward: every entry of the old tip's logs must still be at the new tip,
    in order, others possibly between them (spec §6.2). `redactions` are those the update's commits made."""
    findings: list[Finding] = []
    label = f"the update of {ref or 'a ref'} ({git.short_sha(old_tip)} -> {git.short_sha(new_tip)})"
    force_context = replace(context, label=label, judge_validity=False, env=None)
    with ObjectReader(repo) as objects:
        for prefix in workspaces_in(old_tip, repo):
            old_state = state_at(old_tip, prefix, repo, objects)
            new_state = state_at(new_tip, prefix, repo, objects)
            findings += subsequence_findings(old_state, new_state, force_context, redactions)
    return findings


def tip_level_findings(
    repo: Path, tip: str, prefixes: Sequence[str], context: AuditContext | None = None
) -> list[Finding]:
    """The tip-level evidence check (spec §6.4) on the workspaces at `prefixes` of commit `tip`. A log whose
    facts the judgement already knows is checked from them when every citation passes directly; anything
    else is read and checked in full."""
    findings: list[Finding] = []
    with ObjectReader(repo) as objects:
        states = [state_at(tip, prefix, repo, objects) for prefix in prefixes]
    cache = facts_cache(context) if context is not None and context.fast_path else None
    for state in states:
        if state is None or state.files["progress"].size is None:
            continue
        known = cache.known(state) if cache is not None else None
        if known is not None and citations_pass(repo, tip, [value for _, value in known.cited]):
            if cache is not None:
                # the next update of this ref starts from here (in a quarantine, once the push is accepted)
                cache.remember(known, persist=True)
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


def _shallow_finding(cut: str) -> Finding:
    return Finding(
        "shallow-history",
        ".",
        f"the history is cut at commit {git.short_sha(cut)} (a shallow clone), so its parent cannot be compared",
        hint="fetch the missing history: git fetch --unshallow (CI: actions/checkout with fetch-depth: 0)",
        stage="git",
    )
