"""One primitive for every gate that sees a ref move (spec §6.1): pre-push, pre-receive and `audit OLD..NEW`.

A ref update is (ref, old tip, new tip): a creation (no old tip), a fast-forward, a force push (the old tip is
not an ancestor of the new one), a rewind (the new tip is an ancestor of the old one) or a deletion (no new
tip). Whatever the kind:
- every commit the new tip brings, parent -> child in topological order, is judged as a commit;
- unless the update is a fast-forward, every entry the old tip's log held must still be at the new tip, in
  order (a fast-forward keeps them through the commits just judged);
- the tip-level evidence check runs on every workspace at the new tip (after a fast-forward: on what the
  update added, as the old tip's citations were judged when it was pushed);
- deleting a protected ref is refused.
History the judgement needs but the repository lacks is never a pass: the result says what to fetch.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from small_git.gates.audit import judge_commits, kept_entries_findings, tip_level_findings
from small_git.gates.context import AuditContext, AuditResult
from small_git.git import plumbing as git
from small_git.git.states import workspaces_in
from small_git.protocol.findings import Finding

RULE_PROTECTED_DELETED = "protected-ref-deleted"
RULE_MISSING = "missing-history"
PROTECTED_REF_KEY = "small.protectedRef"


@dataclass(frozen=True)
class RefUpdate:
    ref: str  # full ref name: refs/heads/main, refs/tags/v1
    old: str | None  # None for a creation (all-zero ids are turned into None by the caller's parser)
    new: str | None  # None for a deletion


def object_id_or_none(value: str | None) -> str | None:
    """What git hands hooks and CI for "no object" (an all-zero id, or nothing) becomes None."""
    value = (value or "").strip()
    return None if not value or git.is_zero_sha(value) else value


def ref_update(ref: str, old: str | None, new: str | None) -> RefUpdate:
    return RefUpdate(ref, object_id_or_none(old), object_id_or_none(new))


def configured_protection(repo: Path) -> Callable[[str], bool]:
    """Refs the judging repository's `git config small.protectedRef <glob>` protects (repeatable)."""
    patterns = git.run_git(["config", "--get-all", PROTECTED_REF_KEY], repo, check=False).split()
    return lambda ref: any(fnmatch.fnmatchcase(ref, pattern) for pattern in patterns)


def judge_ref_update(
    repo: Path,
    update: RefUpdate,
    context: AuditContext,
    protected: Callable[[str], bool] | None = None,
) -> AuditResult:
    """Judge one ref update. The result's exit code is 0 (accept), 1 (refuse: findings) or 2 (the history it
    needs is missing: the findings say what to fetch)."""
    result = AuditResult()
    if update.new is None:
        is_protected = protected if protected is not None else configured_protection(repo)
        if update.old is not None and is_protected(update.ref):
            result.findings.append(_deleted(update.ref))
        return result
    new = _commit_of(repo, update.new, update.ref, "new", context, result)
    if new is None:
        return result  # missing (reported), or a tag of a tree or blob: no commits, no workspace history
    old = _commit_of(repo, update.old, update.ref, "old", context, result) if update.old is not None else None
    if result.missing:
        return result
    exclude = ([f"^{old}"] if old is not None else []) + (["--not", *context.known] if context.known else [])
    walked = judge_commits(repo, [new, *exclude], context, update.ref)
    result.extend(walked)
    if walked.missing or context.out_of_time():
        return result
    forward = old is None or old == new or git.is_ancestor(old, new, repo)
    if not forward:
        assert old is not None
        result.forced = True
        result.findings += kept_entries_findings(repo, old, new, update.ref, context, walked.redactions)
    if old is not None and forward:
        prefixes = walked.touched  # a fast-forward: only workspaces the new commits changed cite anything new
    else:
        prefixes = workspaces_in(new, repo)
    result.findings += tip_level_findings(repo, new, prefixes, context)
    return result


def _commit_of(
    repo: Path, name: str | None, ref: str, which: str, context: AuditContext, result: AuditResult
) -> str | None:
    """The commit an update's tip names (a tag is peeled). None when it names no commit: reported as
    missing history when the object is not in this repository."""
    assert name is not None
    if git.object_type(name, repo) is not None:
        commit = git.rev_parse(f"{name}^{{commit}}", repo)
        if commit is not None:
            return commit
        if git.rev_parse(f"{name}^{{object}}", repo) is not None:
            return None  # a tag of a tree or blob
    # `rev-parse` accepts any well-formed id without looking it up: only the object store can say
    result.missing.append(name)
    result.findings.append(_missing(ref, name, which, context))
    return None


def _missing(ref: str, name: str, which: str, context: AuditContext) -> Finding:
    short = git.short_sha(name)
    if which == "old":
        what = f"{ref} was at {short}, which this repository does not have, so the update cannot be judged"
        why = "; a push that drops entries it holds is refused once it is here"
    else:
        what = f"the new tip {short} of {ref} is not in this repository"
        why = ""
    fetch = context.fetch_hint or f"git fetch origin {name}"
    return Finding(RULE_MISSING, ref, what, hint=f"fetch it first ({fetch}), then try again{why}", stage="git")


def _deleted(ref: str) -> Finding:
    return Finding(
        RULE_PROTECTED_DELETED,
        ref,
        f"deleting {ref} is refused: the policy protects it",
        hint=f"push a new commit instead (protected refs: git config {PROTECTED_REF_KEY})",
        stage="git",
    )
