"""What each git hook does. The installed shims (and the pre-commit framework) call `git-small hook <name>`.

Every gate asks the audit engine; none re-implements a rule. Each hook first lists the paths its commit
changes and returns at once when none is under a `.small/`.

post-commit, post-merge and post-checkout are not gates: they render the `.small/` versions the commit, the
merge or the switch brought into git's textconv cache (integration/textconv_cache.py), as post-rewrite also
does after its own work. A problem there is one line of notes; they never fail the git command.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from small_git.errors import EXIT_USAGE, SmallError
from small_git.git import plumbing as git
from small_git.integration import textconv_cache
from small_git.integration.hook_names import HOOK_NAMES
from small_git.protocol.artifacts import display_path
from small_git.protocol.findings import ERROR, Finding

if TYPE_CHECKING:
    from small_git.gates.refupdate import RefUpdate

# The gates (and what they import) are imported by the hooks that judge: post-commit, post-merge and
# post-checkout run after every commit, merge and switch that changes .small/, and only fill the cache.

CACHE_HOOKS = (
    "post-commit",
    "post-merge",
    "post-checkout",
    "reference-transaction",
)  # the textconv cache only: never a refusal


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
        "post-commit": _post_commit,
        "post-merge": _post_merge,
        "post-checkout": _post_checkout,
        "reference-transaction": _reference_transaction,
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


def _judge_staged(outcome: HookOutcome, repo: Path, env: Mapping[str, str], message: str) -> list[str]:
    """Judge the staged change as the commit being made; returns its parents."""
    from small_git.gates.audit import judge_commit
    from small_git.gates.context import AuditContext

    parents, label = staged_parents(repo, env)
    meta = git.pending_meta(repo, parents, message)
    context = AuditContext(repo, stage=outcome.hook, env=env, label=label)
    outcome.findings += judge_commit(repo, parents, None, meta, context)
    return parents


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
    parents = _judge_staged(outcome, repo, env, "\n".join(lines) + "\n")
    if outcome.exit_code == 0 and len(parents) == 1:
        _render_ahead(outcome, repo, parents[0])


def _render_ahead(outcome: HookOutcome, repo: Path, parent: str) -> None:
    """The commit will be written next: render its `.small/` versions now, so post-commit has nothing to do."""
    try:
        textconv_cache.render_ahead(repo, parent)
    except Exception as exc:  # the cache is not a gate: nothing here may refuse the commit
        reason = exc.message if isinstance(exc, SmallError) else f"{type(exc).__name__}: {exc}"
        outcome.notes.append(f"small-git: the textconv cache was not updated ({reason.splitlines()[0]})")


def amending(env: Mapping[str, str]) -> bool:
    """Whether the running `git commit` has --amend. Git tells hooks nothing about it, so read the arguments
    of the `git commit` process that started us (the pre-commit framework adds levels) as git reads them:
    `git commit -m tidy -m --amend` is a message, not an amend."""
    from small_git.git.processes import COMMIT, nearest_command, option_in_effect

    if env.get("SMALL_GIT_AMEND"):
        return env["SMALL_GIT_AMEND"] not in ("0", "")
    found = nearest_command(("commit",))
    return found is not None and option_in_effect(found[1], COMMIT, "amend")


# --- post-rewrite -------------------------------------------------------------------------------------------


def _post_rewrite(
    outcome: HookOutcome, args: list[str], repo: Path, stdin_text: str | None, env: Mapping[str, str]
) -> None:
    """After amend or rebase: map cited commits to their new SHAs, and warn about replays pre-push refuses."""
    from small_git.gates.audit import judge_commit
    from small_git.gates.context import AuditContext
    from small_git.integration.reconcile import parse_rewrite_lines

    pairs = parse_rewrite_lines(stdin_text or "")
    if not pairs:
        # the pre-commit framework passes no input: the new HEAD at least (what an amend rewrote)
        refresh_textconv_cache(outcome, repo, ["-1", "HEAD"])
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
    refresh_textconv_cache(outcome, repo, ["--no-walk", *dict.fromkeys(new for _, new in pairs)])


def _reconcile(outcome: HookOutcome, repo: Path, pairs: list[tuple[str, str]]) -> None:
    from small_git.git.states import workspaces_in
    from small_git.integration.reconcile import reconcile_after_rewrite

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


# --- the textconv cache: post-commit, post-merge, post-checkout (and post-rewrite above) -----------------------


def refresh_textconv_cache(outcome: HookOutcome, repo: Path, rev_args: Sequence[str]) -> None:
    """Render the `.small/` versions the commits of `rev_args` show into git's textconv cache. Whatever goes
    wrong is one note: the git command that ran the hook has already done its work."""
    try:
        filled = textconv_cache.refresh(repo, rev_args)
    except Exception as exc:  # not a gate: nothing here may fail the git command
        reason = exc.message if isinstance(exc, SmallError) else f"{type(exc).__name__}: {exc}"
        outcome.notes.append(f"small-git: the textconv cache was not updated ({reason.splitlines()[0]})")
        return
    note = textconv_cache.left_out_note(filled) if filled is not None else None
    if note:
        outcome.notes.append(note)


def _post_commit(
    outcome: HookOutcome, args: list[str], repo: Path, stdin_text: str | None, env: Mapping[str, str]
) -> None:
    """The new commit; for a merge concluded by `git commit`, also the commits it brings from the other side."""
    parent = git.rev_parse("HEAD^1^{commit}", repo)
    refresh_textconv_cache(outcome, repo, ["HEAD", f"^{parent}"] if parent else ["-1", "HEAD"])


def _post_merge(
    outcome: HookOutcome, args: list[str], repo: Path, stdin_text: str | None, env: Mapping[str, str]
) -> None:
    """After `git merge` or `git pull`: every commit the merge brought (ORIG_HEAD..HEAD). A squash merge
    moves nothing; the commit that follows it runs post-commit."""
    squash = args[0] if args else env.get("PRE_COMMIT_IS_SQUASH_MERGE", "0")
    if squash == "1":
        return
    before = git.rev_parse("ORIG_HEAD^{commit}", repo)
    refresh_textconv_cache(outcome, repo, ["HEAD", f"^{before}"] if before else ["-1", "HEAD"])


def _post_checkout(
    outcome: HookOutcome, args: list[str], repo: Path, stdin_text: str | None, env: Mapping[str, str]
) -> None:
    """After a branch switch (or a clone, whose previous HEAD is all zeros): the commits the new HEAD has and
    the old one lacked. A checkout of files (flag 0) changes no history."""
    if len(args) >= 3:
        before, after, flag = args[0], args[1], args[2]
    else:  # the pre-commit framework names them in variables
        before = env.get("PRE_COMMIT_FROM_REF", "")
        after = env.get("PRE_COMMIT_TO_REF", "")
        flag = env.get("PRE_COMMIT_CHECKOUT_TYPE", "")
    if flag != "1" or not after or before == after or git.is_zero_sha(after):
        return
    known = before and not git.is_zero_sha(before) and git.rev_parse(f"{before}^{{commit}}", repo)
    refresh_textconv_cache(outcome, repo, [after, f"^{before}"] if known else [after])


def _reference_transaction(
    outcome: HookOutcome, args: list[str], repo: Path, stdin_text: str | None, env: Mapping[str, str]
) -> None:
    """After `git fetch` (a committed transaction that moved refs/remotes/): what the fetch brought, so that
    `git log -p origin/main` finds it rendered. Any other transaction (a commit, a switch, this cache's own
    notes) has its own hook or nothing to render."""
    if not args or args[0] != "committed":
        return
    wanted: list[str] = []
    known: list[str] = []
    created = False
    for line in (stdin_text or "").splitlines():
        words = line.split()
        if len(words) != 3 or not words[2].startswith("refs/remotes/") or words[0] == words[1]:
            continue
        before, after = words[0], words[1]
        if git.is_zero_sha(after) or not git.rev_parse(f"{after}^{{commit}}", repo):
            continue  # a deleted ref, or one that names no commit (a tag object, say)
        wanted.append(after)
        if git.is_zero_sha(before) or not git.rev_parse(f"{before}^{{commit}}", repo):
            created = True
        else:
            known.append(f"^{before}")
    if wanted:
        # a new remote branch: what the local branches already have was rendered when it came
        refresh_textconv_cache(outcome, repo, [*wanted, *known, *(["--not", "--branches"] if created else [])])


# --- pre-push -----------------------------------------------------------------------------------------------


def _pre_push(
    outcome: HookOutcome, args: list[str], repo: Path, stdin_text: str | None, env: Mapping[str, str]
) -> None:
    from small_git.gates.context import AuditContext
    from small_git.gates.refupdate import configured_protection, judge_ref_update

    remote = args[0] if args else env.get("PRE_COMMIT_REMOTE_NAME", "")
    tracked = bool(remote) and remote in git.run_git(["remote"], repo, check=False).split()
    context = AuditContext(
        repo,
        stage="pre-push",
        # commits on the remote's tracking refs were judged when they were pushed there
        known=(f"--remotes={remote}",) if tracked else (),
        fetch_hint=f"git fetch {remote if tracked else '<remote>'}",
    )
    protected = configured_protection(repo)
    for update in _push_updates(stdin_text, env, repo):
        outcome.findings += judge_ref_update(repo, update, context, protected).findings


def _push_updates(stdin_text: str | None, env: Mapping[str, str], repo: Path) -> list[RefUpdate]:
    """git's pre-push input: `<local ref> <local sha> <remote ref> <remote sha>` per line."""
    from small_git.gates.refupdate import ref_update

    updates = []
    for line in (stdin_text or "").splitlines():
        fields = line.split()
        if len(fields) == 4:
            updates.append(ref_update(fields[2], fields[3], fields[1]))
    if updates:
        return updates
    # The pre-commit framework does not pass stdin; it names the range in variables instead (and only
    # the local branch when the push includes a root commit).
    local = env.get("PRE_COMMIT_LOCAL_BRANCH", "")
    target = env.get("PRE_COMMIT_TO_REF") or (git.rev_parse(f"{local}^{{commit}}", repo) if local else None)
    if target:
        updates.append(ref_update(env.get("PRE_COMMIT_REMOTE_BRANCH", ""), env.get("PRE_COMMIT_FROM_REF"), target))
    return updates
