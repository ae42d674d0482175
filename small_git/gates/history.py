"""The story of a workspace, read from git history alone (spec §5 `log`, §6.4, §6.5).

One walk over the commits of a range, oldest first in topological order, reads the workspace at each commit
that touches `.small/` and at its parents, and says what the commit did: the run it started (a new
`run.replay_id` in `workspace.small.yml`), the progress entries it appended (checkpoints, reconcile entries,
redaction records, ...), the plan tasks it added, removed or moved, the human-owned files it changed and the
engine's verdict on them, the redactions it made, and every finding the gates' engine has for it. Each entry is
attributed to the commit that first added it, so `blame` can say which commit added each entry of the tip.

Nothing outside git is read: no work tree, no `.small-cache/`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from small_git.errors import EXIT_USAGE, SmallError
from small_git.gates.audit import human_change, judge_transition, touched_paths, touched_workspaces
from small_git.gates.authority import RULE_AGENT, RULE_POLICY, RULE_PUSHER, RULE_UNSIGNED, load_policy
from small_git.gates.context import AuditContext
from small_git.gates.history_model import (
    BlameLine,
    CommitInfo,
    CommitStory,
    EntryAdded,
    History,
    HumanChange,
    Person,
    Reconcile,
    Redaction,
    Run,
    TaskChange,
    WorkspaceStory,
)
from small_git.gates.redaction import REDACT_TASK_ID, TRAILER, is_exact_redaction, redaction_marker
from small_git.gates.tipcheck import RECONCILE_TASK_ID, rewrite_of
from small_git.git import plumbing as git
from small_git.git.objects import ObjectReader
from small_git.git.plumbing import CommitMeta
from small_git.git.states import state_at, workspace_prefixes, workspaces_in
from small_git.protocol.artifacts import HUMAN_OWNED
from small_git.protocol.state import State

AUTHORITY_RULES = (RULE_AGENT, RULE_UNSIGNED, RULE_PUSHER, RULE_POLICY)
# [0-9], not \d: a crafted commit's "١٧٠٠٠٠٠٠٠٠" must not read as a date (git writes ASCII digits)
_IDENT_RE = re.compile(r"^(?P<name>.*?) ?<(?P<email>[^<>]*)> (?P<time>-?[0-9]+) (?P<tz>[+-][0-9]{4})$")
_HEX_RE = re.compile(r"^[0-9a-f]{40}(?:[0-9a-f]{24})?$")
_TRAILER_VALUE_RE = re.compile(rf"^{TRAILER}:[ \t]*(.*\S)", re.IGNORECASE | re.MULTILINE)


def commit_meta(info: CommitInfo) -> CommitMeta:
    """What the engine judges a commit by."""
    return CommitMeta(
        info.sha,
        list(info.parents),
        info.author.name,
        info.author.email,
        info.committer.name,
        info.committer.email,
        info.message,
        info.signature,
    )


# --- reading commits --------------------------------------------------------------------------------------


def _iso(seconds: str, offset: str) -> str:
    sign = -1 if offset.startswith("-") else 1
    delta = timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5])) * sign
    return datetime.fromtimestamp(int(seconds), timezone(delta)).isoformat()


def _person(ident: str) -> tuple[Person, str]:
    match = _IDENT_RE.match(ident)
    if match is None:  # git accepts odd identities; show what is there rather than fail
        return Person(ident, ""), ""
    return Person(match["name"], match["email"]), _iso(match["time"], match["tz"])


def parse_commit(sha: str, raw: bytes) -> CommitInfo:
    """A commit object's headers and message, exactly as stored (no mailmap, no encoding guesses)."""
    text = raw.decode("utf-8", "replace")
    head, _, message = text.partition("\n\n")
    parents: list[str] = []
    author = committer = Person("", "")
    author_date = commit_date = ""
    for line in head.split("\n"):
        key, _, value = line.partition(" ")
        if key == "parent":
            parents.append(value.strip())
        elif key == "author":
            author, author_date = _person(value)
        elif key == "committer":
            committer, commit_date = _person(value)
    return CommitInfo(sha, parents, author, committer, author_date, commit_date, message)


def read_commits(repo: Path, shas: Sequence[str]) -> dict[str, CommitInfo]:
    """The commits: parents and message from the objects (the object reader), and who, when and the
    signature as git itself reads them (one `git log`), so the story names the people the gates judged."""
    with ObjectReader(repo) as objects:
        raws = {sha: objects.require(sha, "commit") for sha in shas}
    infos = {sha: parse_commit(sha, raws[sha]) for sha in shas}
    for sha, fields in _identities(repo, shas).items():
        an, ae, ad, cn, ce, cd, letter = fields
        info = infos[sha]
        info.author, info.author_date = Person(an, ae), ad
        info.committer, info.commit_date = Person(cn, ce), cd
        info.signature = letter or "N"
    return infos


_IDENTITY_FORMAT = "%x00".join(["%H", "%an", "%ae", "%aI", "%cn", "%ce", "%cI", "%G?"])


def _identities(repo: Path, shas: Sequence[str]) -> dict[str, list[str]]:
    """sha -> [author name, email, date, committer name, email, date, %G?]: one line per commit, fields
    split at NUL, which no identity can hold."""
    if not shas:
        return {}
    args = [
        "log",
        "--no-walk=unsorted",
        "--stdin",
        "--no-show-signature",
        "--no-mailmap",
        f"--format={_IDENTITY_FORMAT}",
    ]
    signers = load_policy(repo).allowed_signers_file
    if signers is not None:
        args = ["-c", f"gpg.ssh.allowedSignersFile={signers}", *args]
    out = git.run_git(args, repo, input=("\n".join(shas) + "\n").encode())
    found = {}
    for line in out.splitlines():
        fields = line.split("\0")
        if len(fields) == 8 and _HEX_RE.match(fields[0]):
            found[fields[0]] = fields[1:]
    return found


# --- comparing states -------------------------------------------------------------------------------------


def entry_key(entry: Any) -> str:
    """Entries compare by value and type (1, "1" and true differ), as the gates compare them."""
    return json.dumps(entry, sort_keys=True, ensure_ascii=False, default=repr)


def keyed(entries: Sequence[Any]) -> list[str]:
    """One key per entry; a repeated entry gets its occurrence number, so it is not mistaken for the first."""
    seen: dict[str, int] = {}
    keys = []
    for entry in entries:
        base = entry_key(entry)
        seen[base] = seen.get(base, 0) + 1
        keys.append(base if seen[base] == 1 else f"{base}#{seen[base]}")
    return keys


def entry_kind(entry: Any) -> str:
    if not isinstance(entry, dict):
        return "entry"
    task = entry.get("task_id")
    task = task if isinstance(task, str) else ""
    if task == RECONCILE_TASK_ID:
        return "reconcile"
    if task == REDACT_TASK_ID:
        return "redaction"
    if task == "meta/reset":
        return "reset"
    if task == "meta/init":
        return "init"
    if task.startswith("meta/accept"):
        return "accept"
    if task.startswith("meta/apply") or "command" in entry:
        return "apply"
    if task.startswith("meta/"):
        return "meta"
    return "checkpoint" if entry.get("status") is not None else "entry"


def _entries(state: State | None) -> list[Any] | None:
    """The log's entries, [] when there is no log, None when it cannot be read."""
    if state is None:
        return []
    try:
        data = state.data("progress")
    except SmallError:
        return None
    if data is None:
        return []
    entries = data.get("entries") if isinstance(data, dict) else None
    return entries if isinstance(entries, list) else ([] if isinstance(data, dict) else None)


def _data(state: State | None, kind: str) -> Any:
    if state is None:
        return None
    try:
        return state.data(kind)
    except SmallError:
        return None


def run_of(state: State | None) -> str | None:
    workspace = _data(state, "workspace")
    run = workspace.get("run") if isinstance(workspace, dict) else None
    value = run.get("replay_id") if isinstance(run, dict) else None
    return value.lower() if isinstance(value, str) and value.strip() else None


def _tasks(state: State | None) -> dict[str, dict[str, Any]]:
    plan = _data(state, "plan")
    tasks = plan.get("tasks") if isinstance(plan, dict) else None
    if not isinstance(tasks, list):
        return {}
    return {t["id"]: t for t in tasks if isinstance(t, dict) and isinstance(t.get("id"), str)}


def _status(task: dict[str, Any] | None) -> str | None:
    value = task.get("status") if task is not None else None
    return value if isinstance(value, str) else (None if value is None else json.dumps(value))


def _title(task: dict[str, Any] | None) -> str | None:
    value = task.get("title") if task is not None else None
    return value if isinstance(value, str) else None


def task_changes(parents: Sequence[State | None], new: State | None) -> list[TaskChange]:
    """Tasks added, removed, moved to another status or retitled, against every parent: a merge is credited
    only with what differs from all of its parents (the rest was done on a branch, by its own commits)."""
    after = _tasks(new)
    befores = [_tasks(p) for p in parents] or [{}]
    changes: list[TaskChange] = []
    ids = list(after) + [t for t in befores[0] if t not in after]
    for task_id in ids:
        now = after.get(task_id)
        if all(task_id not in before for before in befores):
            changes.append(TaskChange(task_id, "added", after=_status(now), title=_title(now)))
            continue
        if now is None:
            if all(task_id in before for before in befores):
                changes.append(TaskChange(task_id, "removed", before=_status(befores[0][task_id])))
            continue
        olds = [before.get(task_id) for before in befores]
        if all(_status(old) != _status(now) for old in olds):
            changes.append(TaskChange(task_id, "status", _status(olds[0]), _status(now), _title(now)))
        if all(_title(old) != _title(now) for old in olds):
            changes.append(TaskChange(task_id, "title", _title(olds[0]), _title(now)))
    return changes


def _changed_fields(parents: Sequence[State | None], new: State | None, kind: str) -> list[str]:
    """The top-level keys of a human-owned file that differ from the first parent whose version differs (for a
    merge that discards a parent's change, that parent's)."""
    raw_new = new.files[kind].raw if new is not None else None
    raws = [p.files[kind].raw if p is not None else None for p in parents] or [None]
    other = next((p for p, raw in zip(parents, raws, strict=True) if raw != raw_new), parents[0] if parents else None)
    after = _data(new, kind)
    before = _data(other, kind)
    after = after if isinstance(after, dict) else {}
    before = before if isinstance(before, dict) else {}
    keys = [k for k in list(after) + [k for k in before if k not in after] if after.get(k) != before.get(k)]
    if raw_new is None:
        return ["(deleted)"]
    if all(raw is None for raw in raws):
        return ["(created)"]
    return keys or ["(formatting)"]


def _trailer(message: str) -> str | None:
    match = _TRAILER_VALUE_RE.search(message or "")
    return match.group(1) if match else None


# --- the range ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Range:
    rev_args: list[str]  # for git rev-list
    head: str
    base: str | None  # None: the whole history of head


def parse_range(repo: Path, rev_range: str | None, example: str = "git small log origin/main..HEAD") -> Range:
    """`base..head` (the commits head has and base lacks), one revision (its whole history), or all of HEAD."""
    spec = rev_range or "HEAD"
    if "..." in spec:
        raise SmallError(f"{spec!r}: use a two-dot range base..head", exit_code=EXIT_USAGE, hint=f"example: {example}")
    base, dots, head = spec.partition("..")
    head = (head or "HEAD") if dots else base
    if dots and not base:
        raise SmallError(f"{spec!r}: the range needs a base", exit_code=EXIT_USAGE, hint=f"example: {example}")
    head_sha = git.rev_parse(f"{head}^{{commit}}", repo)
    if head_sha is None:
        raise SmallError(
            f"{head!r} is not a commit in this repository",
            exit_code=EXIT_USAGE,
            hint=f"name a branch, tag or commit: {example}",
        )
    if not dots or git.is_zero_sha(base):  # CI on a new branch passes an all-zero "before"
        return Range([head_sha], head_sha, None)
    base_sha = git.rev_parse(f"{base}^{{commit}}", repo)
    if base_sha is None:
        raise SmallError(
            f"the base {base!r} is not in this clone",
            exit_code=EXIT_USAGE,
            rule="missing-history",
            hint=f"fetch it first: git fetch origin {base} (CI: actions/checkout with fetch-depth: 0)",
        )
    return Range([head_sha, f"^{base_sha}"], head_sha, base_sha)


# --- the walk ---------------------------------------------------------------------------------------------


class _States:
    """Each (commit, workspace) state read once and dropped when no later commit of the walk needs it."""

    def __init__(self, repo: Path, uses: dict[str, int]) -> None:
        self.repo = repo
        self.uses = uses  # commit -> how many commits of the walk still have it as a parent
        self.cache: dict[tuple[str, str], State | None] = {}

    def get(self, rev: str, prefix: str) -> State | None:
        key = (rev, prefix)
        if key not in self.cache:
            self.cache[key] = state_at(rev, prefix, self.repo)
        return self.cache[key]

    def release(self, parents: Iterable[str]) -> None:
        for parent in parents:
            self.uses[parent] = self.uses.get(parent, 1) - 1
            if self.uses[parent] <= 0:
                for key in [k for k in self.cache if k[0] == parent]:
                    del self.cache[key]


def read_history(
    repo: Path,
    rev_range: str | None = None,
    *,
    with_findings: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> History:
    """Walk `rev_range` (`base..head`, a revision, or all of HEAD) and tell the story of every workspace."""
    span = parse_range(repo, rev_range)
    args, head = span.rev_args, span.head
    commits = git.rev_list(args, repo)
    history = History(repo, head, walked=len(commits))
    with ObjectReader(repo) as objects:
        touching = [(sha, parents) for sha, parents in commits if touched_workspaces(repo, parents, sha, objects)]
    infos = read_commits(repo, [sha for sha, _ in touching])
    in_walk = {sha for sha, _ in touching}
    uses: dict[str, int] = {}
    for _, parents in touching:
        for parent in parents:
            uses[parent] = uses.get(parent, 0) + 1
    states = _States(repo, uses)
    origin: dict[tuple[str, str], str | None] = {}  # (workspace, entry key) -> the commit that added it
    runs_seen: set[tuple[str, str]] = set()
    for number, (sha, parents) in enumerate(touching, start=1):
        if progress is not None:
            progress(number, len(touching))
        paths = touched_paths(repo, parents, sha)
        info = infos[sha]
        story = CommitStory(info)
        for prefix in workspace_prefixes(paths):
            new = states.get(sha, prefix)
            olds = [states.get(p, prefix) for p in parents]
            for parent, old in zip(parents, olds, strict=True):
                if parent not in in_walk:  # before the range: its entries were added by no commit we show
                    for key in keyed(_entries(old) or []):
                        origin.setdefault((prefix, key), None)
            ws = _workspace_story(repo, info, prefix, olds, new, origin, with_findings)
            if ws.run is not None and ws.run_started and (prefix, ws.run) not in runs_seen:
                runs_seen.add((prefix, ws.run))
                history.runs.append(Run(ws.run, ws.workspace, sha, info.author_date))
            if not ws.empty():
                story.workspaces.append(ws)
        if story.workspaces:
            history.commits.append(story)
        states.release(parents)
    history.blame = _blame(repo, head, origin, infos)
    _hide_redacted(history)
    return history


def _hide_redacted(history: History) -> None:
    """A value redacted later in the history is shown as its marker, wherever an older commit still holds it:
    the history cannot be changed, but the story need not repeat the secret."""
    digests = {r.digest for story in history.commits for ws in story.workspaces for r in ws.redactions}
    if not digests:
        return

    def scrub(value: Any) -> Any:
        if isinstance(value, str):
            digest = "sha256:" + hashlib.sha256(value.encode("utf-8")).hexdigest()
            return redaction_marker(value) if digest in digests else value
        if isinstance(value, dict):
            return {k: scrub(v) for k, v in value.items()}
        if isinstance(value, list):
            return [scrub(v) for v in value]
        return value

    for story in history.commits:
        for ws in story.workspaces:
            for added in ws.entries:
                added.entry = scrub(added.entry)
    for line in history.blame:
        line.entry = scrub(line.entry)


def _workspace_story(
    repo: Path,
    info: CommitInfo,
    prefix: str,
    olds: list[State | None],
    new: State | None,
    origin: dict[tuple[str, str], str | None],
    with_findings: bool,
) -> WorkspaceStory:
    sample = new or next((s for s in olds if s is not None), None)
    ws = WorkspaceStory(sample.small_dir if sample is not None else prefix + ".small")
    ws.run = run_of(new)
    parent_runs = {run_of(old) for old in olds}
    ws.run_started = ws.run is not None and ws.run not in parent_runs
    context = AuditContext(repo, stage="audit", env=None, label=f"commit {info.short}")
    bases = [state_at(b, prefix, repo) for b in git.merge_bases(info.parents, repo)] if len(olds) > 1 else None
    if with_findings:
        meta = commit_meta(info)
        ws.findings = judge_transition(olds[0] if olds else None, new, meta, olds or [None], context, bases)
    _entry_story(ws, info, prefix, olds, new, origin)
    ws.tasks = task_changes(olds or [None], new)
    for kind in HUMAN_OWNED:
        if not human_change(olds or [None], new, kind, bases):
            continue
        fields = _changed_fields(olds or [None], new, kind)
        path = (sample.path(kind)) if sample is not None else kind
        reasons = [f.message for f in ws.findings if f.rule in AUTHORITY_RULES and f.file == path]
        ws.human.append(HumanChange(path, fields, "refused" if reasons else "accepted", reasons))
    return ws


def _entry_story(
    ws: WorkspaceStory,
    info: CommitInfo,
    prefix: str,
    olds: list[State | None],
    new: State | None,
    origin: dict[tuple[str, str], str | None],
) -> None:
    entries = _entries(new)
    if entries is None:
        ws.unreadable = f"{new.path('progress') if new else 'progress'} cannot be read at this commit"
        return
    parent_entries = [_entries(old) or [] for old in olds] or [[]]
    parent_keys = [set(keyed(p)) for p in parent_entries]
    keys = keyed(entries)
    first = parent_entries[0]
    redaction = len(olds) == 1 and is_exact_redaction(first, entries, info.message)
    first_keys = keyed(first)
    ws.is_merge = len(olds) > 1
    for index, (key, entry) in enumerate(zip(keys, entries, strict=True)):
        if key in parent_keys[0]:
            continue
        if any(key in known for known in parent_keys[1:]):
            ws.merged.append(index)
            continue
        if len(olds) == 1 and index < len(first):  # an old position that now holds another value
            if redaction:
                origin.setdefault((prefix, key), origin.get((prefix, first_keys[index])))
                continue
            ws.rewritten.append(index)
        origin.setdefault((prefix, key), info.sha)
        ws.entries.append(EntryAdded(index, entry_kind(entry), entry))
        rewrite = rewrite_of(entry)
        if rewrite is not None:
            ws.reconciles.append(Reconcile(index, *rewrite))
        if redaction and entry_kind(entry) == "redaction" and isinstance(entry.get("evidence"), dict):
            record = entry["evidence"]
            number = record.get("entry")
            ws.redactions.append(
                Redaction(
                    number if isinstance(number, int) else -1,
                    str(record.get("field")),
                    str(record.get("digest")),
                    _trailer(info.message),
                )
            )


def _blame(
    repo: Path, head: str, origin: dict[tuple[str, str], str | None], infos: dict[str, CommitInfo]
) -> list[BlameLine]:
    lines: list[BlameLine] = []
    for prefix in workspaces_in(head, repo):
        state = state_at(head, prefix, repo)
        entries = _entries(state) or []
        for index, (key, entry) in enumerate(zip(keyed(entries), entries, strict=True)):
            sha = origin.get((prefix, key))
            small_dir = state.small_dir if state is not None else prefix + ".small"
            lines.append(BlameLine(small_dir, index, entry, infos.get(sha) if sha else None))
    return lines
