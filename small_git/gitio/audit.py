"""The audit engine (spec §6.1): one judgement of a transition, used by every gate.

`judge_transition(old, new, meta, parents_states, context)` judges one workspace across one commit (or the
staged commit): the append-only progress log (§6.2), canonical files that became symlinks, human-owned files
(§6.3, through `authority`), redaction (§6.6, through `redaction`), and that the commit adds no new invalid
state. `judge_commit` finds the workspaces a commit touches and judges each; `audit_revisions` walks a range
of commits in topological order and adds the tip-level evidence check (§6.4, through `tipcheck`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from small_git.errors import EXIT_USAGE, SmallError
from small_git.gitio import git
from small_git.gitio.authority import CommitMeta
from small_git.gitio.states import (
    SMALL_SYMLINK_PROBLEM,
    is_symlink_problem,
    state_at,
    touches_workspace,
    workspace_prefixes,
)
from small_git.protocol.artifacts import HUMAN_OWNED
from small_git.protocol.findings import ERROR, Finding
from small_git.protocol.state import State
from small_git.protocol.timestamps import TimestampError, parse_ns

LOCAL_STAGES = ("pre-commit", "pre-merge-commit", "commit-msg")
INDEX = None  # the "revision" that means the staged commit
WORKSPACE_PATHSPEC = (":(glob)**/.small", ":(glob)**/.small/**")


@dataclass
class AuditContext:
    repo: Path
    stage: str = "audit"  # pre-commit | pre-merge-commit | commit-msg | pre-push | pre-receive | audit
    env: Mapping[str, str] | None = None  # the committing process's environment (local hooks only)
    label: str = "the staged commit"
    judge_validity: bool = True   # refuse a commit that adds findings `check` would report

    @property
    def local(self) -> bool:
        return self.stage in LOCAL_STAGES


@dataclass
class AuditResult:
    commits: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 1 if any(f.severity == ERROR for f in self.findings) else 0


# ---------------------------------------------------------------------------------------------------------
# One workspace, one transition


def judge_transition(old: State | None, new: State | None, meta: CommitMeta | None,
                     parents_states: Sequence[State | None] | None = None,
                     context: AuditContext | None = None) -> list[Finding]:
    """Findings for the change from `old` (or, for a merge, every parent in `parents_states`) to `new`."""
    ctx = context or AuditContext(Path("."))
    parents = list(parents_states) if parents_states is not None and len(parents_states) > 1 else [old]
    sample = new or next((p for p in parents if p is not None), None)
    if sample is None:
        return []
    findings = _symlink_findings(parents[0], new, ctx)
    progress_findings, redacted = _progress_findings(parents, new, meta, ctx, sample)
    findings += progress_findings
    findings += _human_findings(parents, new, meta, ctx, redacted)
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
            return [Finding("canonical-symlink", new.small_dir, f"{ctx.label}: {new.small_dir} is a symlink "
                            "(git mode 120000), not a folder", hint=_restore_hint(
                                ctx, new.small_dir, "replace the symlink by the folder itself"), stage="git")]
        findings.append(Finding(
            "canonical-symlink", entry.path, f"{ctx.label}: {entry.path} {entry.problem}",
            hint=_restore_hint(ctx, entry.path, "replace the symlink by the file itself"), stage="git"))
    return findings


def _restore_hint(ctx: AuditContext, path: str, what: str) -> str:
    if ctx.local:
        return f"{what}: git checkout HEAD -- {path}, then commit again"
    return (f"{what} in that commit: rewrite the unpushed commits (git rebase -i <base>) so every commit "
            "keeps the log append-only, then push again")


# --- progress -----------------------------------------------------------------------------------------------


@dataclass
class _Log:
    entries: list[Any] | None  # None: absent
    state: State


def _read_log(state: State | None) -> tuple[_Log | None, Finding | None]:
    """The parsed entries, or a finding when they cannot be read (a problem the new side must not have)."""
    if state is None:
        return None, None
    entry = state.files["progress"]
    if entry.raw is None and entry.problem is None:
        return _Log(None, state), None
    if is_symlink_problem(entry):
        return _Log(None, state), None  # reported as canonical-symlink
    try:
        data = state.data("progress")
    except SmallError as exc:
        return None, Finding("progress-unreadable", entry.path, exc.message, exc.line,
                             "fix the YAML so the log can be read", stage="git")
    entries = data.get("entries") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        entries = [] if isinstance(data, dict) and data.get("entries") is None else None
        if entries is None:
            return None, Finding("progress-unreadable", entry.path, f"{entry.path}: entries must be a list",
                                 1, "restore the file from the previous commit", stage="git")
    return _Log(entries, state), None


def _describe(log: _Log, index: int) -> str:
    entry = log.entries[index] if log.entries is not None and index < len(log.entries) else None
    parts = []
    if isinstance(entry, dict):
        for key in ("task_id", "timestamp"):
            if entry.get(key) is not None:
                parts.append(f"{key} {entry[key]}")
    return f"entry {index + 1}" + (f" ({', '.join(parts)})" if parts else "")


def _line(log: _Log, index: int) -> int | None:
    doc = log.state.load("progress") if log.entries is not None else None
    return doc.line_of(("entries", index)) if doc is not None else None


def _progress_findings(parents: list[State | None], new: State | None, meta: CommitMeta | None,
                       ctx: AuditContext, sample: State) -> tuple[list[Finding], bool]:
    """(findings, whether the change is an accepted redaction)."""
    path = sample.path("progress")
    new_log, problem = _read_log(new)
    if problem is not None:
        if new is not None and any(p is not None and not _changed(p, new, "progress") for p in parents):
            return [], False  # inherited unchanged: the commit that broke it was judged (or bypassed) before
        return [replace(problem, message=f"{ctx.label}: {problem.message}")], False
    old_logs = []
    for parent in parents:
        log, _ = _read_log(parent)  # an unreadable parent was judged when it was committed
        old_logs.append(log if log is not None and log.entries is not None else None)
    if all(log is None for log in old_logs):
        if new_log is None or new_log.entries is None:
            return [], False
        return _order_findings(new_log, [], ctx), False
    if new is not None and is_symlink_problem(new.files["progress"]):
        return [], False  # reported as canonical-symlink
    if new_log is None or new_log.entries is None:
        count = max(len(log.entries or []) for log in old_logs if log is not None)
        gone = "the whole workspace" if new is None else path
        return [Finding("progress-deleted", path,
                        f"{ctx.label}: deletes {gone}; {path} is append-only and held {count} entries",
                        hint=_restore_hint(ctx, path, "restore the log"), stage="git")], False
    present = [log for log in old_logs if log is not None]
    if len(parents) == 1:
        assert present[0].entries is not None
        found = _prefix_findings(present[0], new_log, ctx)
        if found and _is_redaction(present[0], new_log, meta, ctx):
            return [], True
        matched = [list(range(len(present[0].entries)))] if not found else []
    else:
        found, matched = _merge_findings(present, new_log, ctx)
    if found:
        return found, False
    return _order_findings(new_log, matched, ctx), False


def _fix_hint(ctx: AuditContext, path: str) -> str:
    if ctx.local:
        return (f"restore the entry: git checkout HEAD -- {path}, then append a correction with "
                "git small progress add (redact a secret with git small redact)")
    return ("rewrite the unpushed commits so the log only grows (git rebase -i <base>, restoring the old "
            "entries), then push again; corrections are new entries (git small progress add)")


def _prefix_findings(old: _Log, new: _Log, ctx: AuditContext) -> list[Finding]:
    assert old.entries is not None and new.entries is not None
    path = new.state.path("progress")
    for index, entry in enumerate(old.entries):
        if index < len(new.entries) and new.entries[index] == entry:
            continue
        described = _describe(old, index)
        if entry in new.entries:
            rule, what = "progress-reorder", f"moves {described} to position {new.entries.index(entry) + 1}"
        elif index < len(new.entries) and new.entries[index] in old.entries:
            rule, what = "progress-entry-removed", f"removes {described}"
        elif index < len(new.entries) and _same_identity(entry, new.entries[index]):
            changed = _changed_keys(entry, new.entries[index])
            retimed = changed == ["timestamp"]
            rule = "progress-rewrite"
            what = (f"re-timestamps {described}" if retimed
                    else f"changes {described}" + (f" (fields: {', '.join(changed)})" if changed else ""))
        else:
            rule, what = "progress-entry-removed", f"removes {described}"
            lost = len(old.entries) - len(new.entries)
            if lost > 1:
                what += f" and {lost - 1} later entries"
        line = _line(new, index) if index < len(new.entries) else None
        return [Finding(rule, path, f"{ctx.label}: {what} of the append-only {path}; old entries must stay "
                        "exactly as they are, new ones go at the end", line, _fix_hint(ctx, path),
                        stage="git")]
    return []


def _same_identity(old: Any, new: Any) -> bool:
    """Whether `new` reads as an edit of `old` (same task or same instant) rather than another entry."""
    if not isinstance(old, dict) or not isinstance(new, dict):
        return False
    return any(old.get(key) is not None and old.get(key) == new.get(key) for key in ("task_id", "timestamp"))


def _changed_keys(old: Any, new: Any) -> list[str]:
    if not isinstance(old, dict) or not isinstance(new, dict):
        return []
    return sorted(k for k in set(old) | set(new) if old.get(k, _MISSING) != new.get(k, _MISSING))


_MISSING = object()


def _merge_findings(parents: list[_Log], result: _Log,
                    ctx: AuditContext) -> tuple[list[Finding], list[list[int]]]:
    """Each parent's entries must be a subsequence of the result; entries of no parent only at the end."""
    assert result.entries is not None
    path = result.state.path("progress")
    matched: list[list[int]] = []
    for number, parent in enumerate(parents, start=1):
        assert parent.entries is not None
        positions: list[int] = []
        cursor = 0
        for index, entry in enumerate(parent.entries):
            while cursor < len(result.entries) and result.entries[cursor] != entry:
                cursor += 1
            if cursor == len(result.entries):
                how = "puts out of order" if entry in result.entries else "loses or changes"
                return [Finding("progress-merge-lost-entry", path,
                                f"{ctx.label}: the merge {how} {_describe(parent, index)} "
                                f"of parent {number}; "
                                f"the merged {path} must keep every parent's entries, in order",
                                None, _merge_hint(ctx, path), stage="git")], []
            positions.append(cursor)
            cursor += 1
        matched.append(positions)
    from_parents = {p for positions in matched for p in positions}
    last = max(from_parents, default=-1)
    for index in range(last):
        if index not in from_parents:
            return [Finding("progress-merge-inserted-entry", path,
                            f"{ctx.label}: the merge inserts {_describe(result, index)}, "
                            "which no parent has, "
                            f"between existing entries of {path}; new entries go at the end",
                            _line(result, index), _merge_hint(ctx, path), stage="git")], []
    return [], matched


def subsequence_findings(old: State | None, new: State | None, ctx: AuditContext) -> list[Finding]:
    """A force push: every entry of the old tip must stay in the new tip, in order (others may interleave)."""
    old_log, _ = _read_log(old)
    if old is None or old_log is None or not old_log.entries:
        return []
    path = old.path("progress")
    new_log, problem = _read_log(new)
    if problem is not None:
        return [replace(problem, message=f"{ctx.label}: {problem.message}")]
    if new_log is None or new_log.entries is None:
        return [Finding("progress-deleted", path, f"{ctx.label}: the new tip has no {path}; it held "
                        f"{len(old_log.entries)} entries", hint=_restore_hint(ctx, path, "restore the log"),
                        stage="git")]
    cursor = 0
    for index, entry in enumerate(old_log.entries):
        while cursor < len(new_log.entries) and new_log.entries[cursor] != entry:
            cursor += 1
        if cursor == len(new_log.entries):
            return [Finding("progress-force-push-lost-entry", path,
                            f"{ctx.label}: the new tip loses or changes {_describe(old_log, index)} "
                            f"of {path} "
                            "that the remote already has", None,
                            "keep every pushed entry: rebuild the branch on top of the remote one "
                            "(git pull --rebase), or push without rewriting the log", stage="git")]
        cursor += 1
    return []


def _merge_hint(ctx: AuditContext, path: str) -> str:
    return (f"merge {path} so it holds every entry of both sides in timestamp order "
            "(the small-git merge driver does this: git small install), then commit the merge again")


def _order_findings(log: _Log, parent_positions: list[list[int]], ctx: AuditContext) -> list[Finding]:
    """New adjacent pairs (not adjacent in some parent already) must have strictly increasing timestamps."""
    assert log.entries is not None
    known = {(a, b) for positions in parent_positions for a, b in zip(positions, positions[1:], strict=False)
             if b == a + 1}
    from_parents = {p for positions in parent_positions for p in positions}
    path = log.state.path("progress")
    for index in range(len(log.entries)):
        if index in from_parents and (index == 0 or (index - 1, index) in known):
            continue
        instant = _instant(log.entries[index])
        if instant is None:
            if index not in from_parents and not ctx.judge_validity:
                return [Finding("progress-timestamp", path, f"{ctx.label}: {_describe(log, index)} of {path} "
                                "has no valid RFC 3339 timestamp", _line(log, index),
                                "write timestamps as YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ", stage="git")]
            continue
        previous = _instant(log.entries[index - 1]) if index > 0 else None
        if previous is not None and instant <= previous:
            return [Finding("progress-timestamp-order", path,
                            f"{ctx.label}: {_describe(log, index)} of {path} is not later than the "
                            "entry before it; timestamps must strictly increase", _line(log, index),
                            "append with git small progress add (it stamps a later time)", stage="git")]
    return []


def _instant(entry: Any) -> int | None:
    try:
        return parse_ns(entry.get("timestamp")) if isinstance(entry, dict) else None
    except TimestampError:
        return None


def _is_redaction(old: _Log, new: _Log, meta: CommitMeta | None, ctx: AuditContext) -> bool:
    try:
        from small_git.gitio.redaction import TRAILER, is_exact_redaction
    except ImportError:
        return False
    message = meta.message if meta is not None else ""
    if ctx.stage == "pre-commit" and not message:
        # The message does not exist yet; commit-msg judges the same change again with the trailer.
        message = f"\n\n{TRAILER}: judged at commit-msg\n"
    assert old.entries is not None and new.entries is not None
    return is_exact_redaction(old.entries, new.entries, message)


# --- human-owned files and validity ----------------------------------------------------------------------


def _changed(old: State | None, new: State | None, kind: str) -> bool:
    before = old.files[kind] if old is not None else None
    after = new.files[kind] if new is not None else None
    key_before = (before.raw, before.problem) if before is not None else (None, None)
    key_after = (after.raw, after.problem) if after is not None else (None, None)
    return key_before != key_after


def _human_findings(parents: list[State | None], new: State | None, meta: CommitMeta | None,
                    ctx: AuditContext, redacted: bool) -> list[Finding]:
    sample = new or next(p for p in parents if p is not None)
    changed = [sample.path(kind) for kind in HUMAN_OWNED if all(_changed(p, new, kind) for p in parents)]
    if redacted:
        changed.append(sample.path("progress"))  # a redaction needs the same human authority (§6.6)
    if not changed or meta is None:
        return []
    from small_git.gitio.authority import authority_findings

    found = authority_findings(changed, meta, env=ctx.env if ctx.local else None, repo=ctx.repo,
                               stage=ctx.stage)
    return found


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
        return [Finding(exc.rule or "unreadable", exc.file or new.small_dir, f"{ctx.label}: {exc.message}",
                        exc.line, exc.hint or "fix the file so it can be read", stage="git")]
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
    return [replace(f, message=f"{ctx.label}: {f.message}") for f in after
            if f.severity == ERROR and (f.rule, f.file, f.message) not in before]


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


def judge_commit(repo: Path, parents: Sequence[str], new_rev: str | None, meta: CommitMeta | None,
                 context: AuditContext, paths: set[str] | None = None) -> list[Finding]:
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
    for prefix in workspace_prefixes(paths):
        new_state = state_at(new_rev, prefix, repo)
        parent_states = [state_at(base, prefix, repo) if base is not None else None for base in bases]
        found = judge_transition(parent_states[0], new_state, meta, parent_states, context)
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


def _moved(findings: list[Finding], deleted: dict[str, State], created: dict[str, State],
           ctx: AuditContext) -> list[Finding]:
    """A deletion whose log reappears elsewhere is reported as the move it is."""
    for old_state in deleted.values():
        for new_state in created.values():
            if old_state.files["progress"].raw is None or \
                    old_state.files["progress"].raw != new_state.files["progress"].raw:
                continue
            source, target = old_state.small_dir, new_state.small_dir
            findings = [f for f in findings
                        if not (f.rule == "progress-deleted" and f.file.startswith(source + "/"))]
            findings.append(Finding("workspace-moved", source,
                                    f"{ctx.label}: moves {source}/ to {target}/; a workspace's history stays "
                                    "where it is", hint=_move_hint(ctx, source, target), stage="git"))
    return findings


def _move_hint(ctx: AuditContext, source: str, target: str) -> str:
    if ctx.local:
        return f"move it back: git mv {target} {source}, then commit again"
    return _restore_hint(ctx, source, "keep the workspace where it was")


def audit_revisions(repo: Path, rev_args: Sequence[str], stage: str = "audit",
                    tips: Sequence[str] = ()) -> AuditResult:
    """Judge every commit `git rev-list <rev_args>` names, oldest first, then the tip-level checks."""
    commits = git.rev_list(rev_args, repo)
    _require_history(repo, commits)
    result = AuditResult(commits=[sha for sha, _ in commits])
    touched: set[str] = set()
    # One walk finds the commits that touch any workspace (--full-history keeps a merge that differs from
    # any parent there); the others cost nothing more.
    candidates = set(git.run_git(["rev-list", "--full-history", *rev_args, "--", *WORKSPACE_PATHSPEC],
                                 repo).split())
    for sha, parents in commits:
        if sha not in candidates:
            continue
        paths = touched_paths(repo, parents, sha)
        if not touches_workspace(paths):
            continue
        touched.update(workspace_prefixes(paths))
        context = AuditContext(repo, stage=stage, env=None, label=f"commit {git.short_sha(sha)}")
        meta = git.commit_meta(sha, repo)
        result.findings += judge_commit(repo, parents, sha, meta, context, paths)
    for tip in tips:
        result.findings += tip_level_findings(repo, tip, sorted(touched))
    return result


def tip_level_findings(repo: Path, tip: str, prefixes: Sequence[str]) -> list[Finding]:
    try:
        from small_git.gitio.tipcheck import tip_findings
    except ImportError:
        return []
    findings: list[Finding] = []
    for prefix in prefixes:
        state = state_at(tip, prefix, repo)
        if state is None or state.files["progress"].raw is None:
            continue
        try:
            findings += tip_findings(repo, tip, state)
        except SmallError as exc:
            findings.append(Finding(exc.rule or "unreadable", exc.file or state.small_dir, exc.message,
                                    exc.line, exc.hint, stage="git"))
    return findings


def _require_history(repo: Path, commits: list[tuple[str, list[str]]]) -> None:
    """A shallow clone's boundary commits look like root commits: judging them would miss rewrites."""
    if not git.is_shallow(repo):
        return
    shallow_file = git.git_path("shallow", repo)
    boundary = set(shallow_file.read_text().split()) if shallow_file.is_file() else set()
    cut = [sha for sha, _ in commits if sha in boundary]
    if cut:
        raise SmallError(f"the history is cut at commit {git.short_sha(cut[0])} (a shallow clone), so its "
                         "parent cannot be compared", exit_code=EXIT_USAGE,
                         hint="fetch the missing history: git fetch --unshallow (CI: actions/checkout with "
                              "fetch-depth: 0)", rule="shallow-history")


def range_args(repo: Path, rev_range: str | None) -> tuple[list[str], list[str]]:
    """(rev-list arguments, tips) for `base..head`, `head`, or the whole history of HEAD by default."""
    spec = rev_range or "HEAD"
    if "..." in spec:
        raise SmallError(f"{spec!r}: use a two-dot range base..head", exit_code=EXIT_USAGE,
                         hint="example: git small audit origin/main..HEAD")
    base, dots, head = spec.partition("..")
    head = (head or "HEAD") if dots else base
    if dots and not base:
        raise SmallError(f"{spec!r}: the range needs a base", exit_code=EXIT_USAGE,
                         hint="example: git small audit origin/main..HEAD")
    head_sha = git.rev_parse(f"{head}^{{commit}}", repo)
    if head_sha is None:
        raise SmallError(f"{head!r} is not a commit in this repository", exit_code=EXIT_USAGE,
                         hint="name a branch, tag or commit: git small audit origin/main..HEAD")
    if not dots or git.is_zero_sha(base):  # CI on a new branch passes an all-zero "before"
        return [head_sha], [head_sha]
    base_sha = git.rev_parse(f"{base}^{{commit}}", repo)
    if base_sha is None:
        raise SmallError(f"the base {base!r} is not in this clone, so the range cannot be audited",
                         exit_code=EXIT_USAGE, rule="shallow-history",
                         hint=f"fetch it first: git fetch origin {base} "
                              "(CI: actions/checkout with fetch-depth: 0)")
    return [head_sha, f"^{base_sha}"], [head_sha]


def audit_range(repo: Path, rev_range: str | None, stage: str = "audit") -> list[Finding]:
    args, tips = range_args(repo, rev_range)
    return audit_revisions(repo, args, stage, tips).findings
