"""What each git hook does. The installed shims (and the pre-commit framework) call `git-small hook <name>`.

Every gate asks the audit engine; none re-implements a rule. Each hook first lists the paths its commit
changes and returns at once when none is under a `.small/`.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from small_git.errors import EXIT_USAGE, SmallError
from small_git.gates.append_only import subsequence_findings
from small_git.gates.audit import audit_revisions, judge_commit
from small_git.gates.context import AuditContext
from small_git.git import plumbing as git
from small_git.git.processes import git_ancestors
from small_git.git.states import state_at, workspace_prefix, workspaces_in
from small_git.protocol.artifacts import display_path
from small_git.protocol.findings import ERROR, Finding

HOOK_NAMES = ("pre-commit", "pre-merge-commit", "commit-msg", "post-rewrite", "pre-push")
STDIN_HOOKS = ("pre-push", "post-rewrite")


@dataclass
class HookOutcome:
    hook: str
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 1 if any(f.severity == ERROR for f in self.findings) else 0


def run_hook(name: str, args: Sequence[str], repo: Path, stdin_text: str | None, env: Mapping[str, str]) -> HookOutcome:
    """Run hook `name` in the repository at `repo` (git runs hooks at the top of the work tree)."""
    handlers = {
        "pre-commit": _pre_commit,
        "pre-merge-commit": _pre_commit,
        "commit-msg": _commit_msg,
        "post-rewrite": _post_rewrite,
        "pre-push": _pre_push,
    }
    handler = handlers.get(name)
    if handler is None:
        raise SmallError(
            f"unknown hook {name!r}", exit_code=EXIT_USAGE, hint=f"small-git handles: {', '.join(HOOK_NAMES)}"
        )
    outcome = HookOutcome(name)
    handler(outcome, list(args), repo, stdin_text, env)
    return outcome


# --- pre-commit, pre-merge-commit, commit-msg ---------------------------------------------------------------


def _merge_heads(repo: Path, env: Mapping[str, str]) -> list[str]:
    """The other parents of a merge being committed. `git merge` writes MERGE_HEAD only after
    pre-merge-commit has run; while it runs, the heads are in GITHEAD_<sha> variables."""
    try:
        heads = git.git_path("MERGE_HEAD", repo).read_text().split()
    except OSError:
        heads = []
    if not heads:
        heads = sorted(key[len("GITHEAD_") :] for key in env if key.startswith("GITHEAD_"))
        heads = [sha for sha in heads if git.rev_parse(f"{sha}^{{commit}}", repo)]
    return heads


def staged_parents(repo: Path, env: Mapping[str, str]) -> tuple[list[str], str]:
    """The parents the commit being made will have, and how findings name that commit."""
    head = git.head_sha(repo)
    merging = _merge_heads(repo, env)
    if head is not None and merging:
        return [head, *merging], "the merge commit"
    if head is not None and amending(env):
        return git.commit_meta(head, repo).parents, "the amended commit"
    return ([head] if head else []), "the staged commit"


def _judge_staged(outcome: HookOutcome, repo: Path, env: Mapping[str, str], message: str) -> None:
    parents, label = staged_parents(repo, env)
    meta = git.pending_meta(repo, parents, message)
    context = AuditContext(repo, stage=outcome.hook, env=env, label=label)
    outcome.findings += judge_commit(repo, parents, None, meta, context)


def _pre_commit(
    outcome: HookOutcome, args: list[str], repo: Path, stdin_text: str | None, env: Mapping[str, str]
) -> None:
    _judge_staged(outcome, repo, env, "")


def _commit_msg(
    outcome: HookOutcome, args: list[str], repo: Path, stdin_text: str | None, env: Mapping[str, str]
) -> None:
    # The pre-commit framework passes no file name with pass_filenames: false; it sets this variable.
    name = args[0] if args else env.get("PRE_COMMIT_COMMIT_MSG_FILENAME") or str(git.git_path("COMMIT_EDITMSG", repo))
    path = Path(name) if Path(name).is_absolute() else repo / name
    try:
        message = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise SmallError(f"cannot read the commit message {path}: {exc.strerror}", exit_code=EXIT_USAGE) from None
    lines = [line for line in message.splitlines() if not line.startswith("#")]
    _judge_staged(outcome, repo, env, "\n".join(lines) + "\n")


def amending(env: Mapping[str, str]) -> bool:
    """Whether the running `git commit` has --amend. Git tells hooks nothing about it, so look at the process
    that started us (or its ancestors: the pre-commit framework adds two levels)."""
    if env.get("SMALL_GIT_AMEND"):
        return env["SMALL_GIT_AMEND"] not in ("0", "")
    for argv in git_ancestors():
        if "commit" in argv[1:]:
            after = argv[argv.index("commit") + 1 :]
            return any(a == "--amend" or (len(a) >= 5 and "--amend".startswith(a)) for a in after if a.startswith("--"))
    return False


# --- post-rewrite -------------------------------------------------------------------------------------------


def _post_rewrite(
    outcome: HookOutcome, args: list[str], repo: Path, stdin_text: str | None, env: Mapping[str, str]
) -> None:
    """After amend or rebase: map cited commits to their new SHAs, and warn about replays pre-push refuses."""
    pairs = []
    for line in (stdin_text or "").splitlines():
        fields = line.split()
        if len(fields) >= 2:
            pairs.append((fields[0], fields[1]))
    if not pairs:
        return
    for new in dict.fromkeys(new for _, new in pairs):
        meta = git.commit_meta(new, repo)
        context = AuditContext(repo, stage="audit", label=f"rewritten commit {git.short_sha(new)}")
        found = judge_commit(repo, meta.parents, new, meta, context)
        outcome.notes += [f"warning: {f.location}: [{f.rule}] {f.message}" for f in found]
    if any(note.startswith("warning") for note in outcome.notes):
        outcome.notes.append(
            "warning: git push will refuse these commits; fix them before pushing "
            "(git rebase -i, keeping old progress entries unchanged)"
        )
    _reconcile(outcome, repo, pairs)


def _reconcile(outcome: HookOutcome, repo: Path, pairs: list[tuple[str, str]]) -> None:
    try:
        from small_git.integration.reconcile import reconcile_after_rewrite
    except ImportError:
        return
    top = git.top_level(repo)
    head = git.head_sha(repo)
    if top is None or head is None:
        return
    for prefix in workspaces_in(head, repo):
        appended = reconcile_after_rewrite(top / prefix if prefix else top, pairs)
        if appended:
            entries = "entry" if appended == 1 else "entries"
            outcome.notes.append(
                f"small-git: appended {appended} reconcile {entries} "
                f"to {prefix}{display_path('progress')} (rewritten commits it cites); "
                "commit it"
            )


# --- pre-push -----------------------------------------------------------------------------------------------


def _pre_push(
    outcome: HookOutcome, args: list[str], repo: Path, stdin_text: str | None, env: Mapping[str, str]
) -> None:
    remote = args[0] if args else env.get("PRE_COMMIT_REMOTE_NAME", "")
    updates = _push_updates(stdin_text, env, repo)
    for _local_ref, local_sha, remote_ref, remote_sha in updates:
        if git.is_zero_sha(local_sha):
            outcome.findings += _deletion_findings(repo, remote_ref)
            continue
        commit = git.rev_parse(f"{local_sha}^{{commit}}", repo)
        if commit is None:
            continue  # a tag of a tree or blob: no commits, no workspace history
        local_sha = commit
        known_remote = not git.is_zero_sha(remote_sha) and git.has_object(remote_sha, repo)
        if known_remote:
            rev_args = [local_sha, f"^{remote_sha}"]
        else:
            rev_args = [local_sha, "--not", f"--remotes={remote}"] if remote else [local_sha]
        result = audit_revisions(repo, rev_args, stage="pre-push", tips=[local_sha])
        outcome.findings += result.findings
        if known_remote and not git.is_ancestor(remote_sha, local_sha, repo):
            outcome.findings += force_push_findings(repo, remote_sha, local_sha, remote_ref)


def _push_updates(stdin_text: str | None, env: Mapping[str, str], repo: Path) -> list[tuple[str, str, str, str]]:
    updates = []
    for line in (stdin_text or "").splitlines():
        fields = line.split()
        if len(fields) == 4:
            updates.append((fields[0], fields[1], fields[2], fields[3]))
    if updates:
        return updates
    # The pre-commit framework does not pass stdin; it names the range in variables instead (and only
    # the local branch when the push includes a root commit).
    local = env.get("PRE_COMMIT_LOCAL_BRANCH", "")
    target = env.get("PRE_COMMIT_TO_REF") or (git.rev_parse(f"{local}^{{commit}}", repo) if local else None)
    if target:
        source = env.get("PRE_COMMIT_FROM_REF") or ""
        remote_sha = source if source and not git.is_zero_sha(source) else "0" * 40
        updates.append((local, target, env.get("PRE_COMMIT_REMOTE_BRANCH", ""), remote_sha))
    return updates


def _deletion_findings(repo: Path, remote_ref: str) -> list[Finding]:
    import fnmatch

    patterns = git.run_git(["config", "--get-all", "small.protectedRef"], repo, check=False).split()
    if any(fnmatch.fnmatchcase(remote_ref, p) for p in patterns):
        return [
            Finding(
                "protected-ref-deleted",
                remote_ref,
                f"deleting {remote_ref} is refused: the policy (git config small.protectedRef) protects it",
                hint="push a new commit instead",
                stage="git",
            )
        ]
    return []


def force_push_findings(repo: Path, old_tip: str, new_tip: str, ref: str) -> list[Finding]:
    """A non-fast-forward update: the old tip's entries must be a subsequence of the new tip's (§6.2)."""
    findings: list[Finding] = []
    label = f"the force push of {ref or 'a ref'} ({git.short_sha(old_tip)} -> {git.short_sha(new_tip)})"
    context = AuditContext(repo, stage="pre-push", label=label, judge_validity=False)
    for prefix in workspaces_in(old_tip, repo):
        old_state, new_state = state_at(old_tip, prefix, repo), state_at(new_tip, prefix, repo)
        findings += subsequence_findings(old_state, new_state, context)
    return findings


# --- output -------------------------------------------------------------------------------------------------


def report(outcome: HookOutcome, stream: TextIO | None = None) -> None:
    out = stream or sys.stderr
    for note in outcome.notes:
        print(note, file=out)
    errors = [f for f in outcome.findings if f.severity == ERROR]
    if not outcome.findings:
        return
    from small_git.report.text import format_finding

    verdict = "refused" if errors else "warnings"
    print(
        f"small-git {outcome.hook}: {verdict} ({len(outcome.findings)} finding"
        f"{'' if len(outcome.findings) == 1 else 's'})",
        file=out,
    )
    for finding in outcome.findings:
        print("  " + format_finding(finding).replace("\n", "\n  "), file=out)
    if errors:
        print("  see docs/git-gates.md; bypassing with --no-verify only moves the refusal to git push", file=out)


def is_workspace_path(path: str) -> bool:
    return workspace_prefix(path) is not None
