"""The tip-level evidence check (spec §6.4): every commit that progress cites is in the tip's history.

A cited commit passes when it resolves to an ancestor of the tip, or when a later reconcile entry
(`meta/reconcile-commits`, written after a rebase or amend) maps it to a commit that passes.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from small_git.errors import EXIT_USAGE, SmallError
from small_git.git import runner
from small_git.git.evidence import SHORT_SHA_LENGTH
from small_git.git.plumbing import is_shallow, short_sha
from small_git.protocol.findings import Finding
from small_git.protocol.state import State

RECONCILE_TASK_ID = "meta/reconcile-commits"
REWRITE_TYPE = "commit-rewrite"
RULE_UNKNOWN = "evidence-commit-unknown"
RULE_AMBIGUOUS = "evidence-commit-ambiguous"
RULE_NOT_ANCESTOR = "evidence-commit-not-ancestor"
_HEX_RE = re.compile(r"^[0-9a-fA-F]{4,64}\Z")
# Above this many distinct cited commits one walk of the tip's history beats one merge-base per commit.
_WALK_THRESHOLD = 64


def same_commit(a: str, b: str) -> bool:
    """Two abbreviations name the same commit when the shorter is a prefix of the longer (7+ digits)."""
    a, b = a.lower(), b.lower()
    return min(len(a), len(b)) >= 7 and (a.startswith(b) or b.startswith(a))


def rewrite_of(entry: Any) -> tuple[str, str] | None:
    """(from, to) of a reconcile entry that maps a rewritten commit, else None."""
    if not isinstance(entry, dict) or entry.get("task_id") != RECONCILE_TASK_ID:
        return None
    evidence = entry.get("evidence")
    if not isinstance(evidence, dict) or evidence.get("type") != REWRITE_TYPE:
        return None
    old, new = evidence.get("from"), evidence.get("to")
    if isinstance(old, str) and isinstance(new, str) and _HEX_RE.match(old) and _HEX_RE.match(new):
        return old, new
    return None


def cited_commits(entries: list[Any]) -> list[tuple[int, str]]:
    """(entry index, cited value) for every entry with a string `commit` field."""
    return [
        (i, e["commit"])
        for i, e in enumerate(entries)
        if isinstance(e, dict) and isinstance(e.get("commit"), str) and e["commit"].strip()
    ]


def resolve_commits(repo: Path, names: list[str]) -> dict[str, str | None]:
    """name -> full commit id, None when unknown, "" when ambiguous. One `git cat-file --batch-check` for all.

    A citation names an object, never a ref: git resolves `abcdef123456` through a tag or branch of that
    name first, so an answer that does not begin with the cited digits is set aside and the digits are looked
    up as an object id prefix."""
    if not names:
        return {}
    names = [name for name in names if _HEX_RE.match(name)]  # a ref name or revision is not a citation
    if not names:
        return {}
    query = "".join(f"{name}^{{commit}}\n" for name in names)
    result = runner.run(["cat-file", "--batch-check=%(objectname)"], repo, input=query.encode(), check=False)
    if not result.ok:
        raise SmallError(f"cannot look up cited commits in {repo}: {result.error_text.strip()}", exit_code=EXIT_USAGE)
    resolved: dict[str, str | None] = {}
    for name, line in zip(names, result.text.splitlines(), strict=False):
        line = line.strip()
        if _HEX_RE.match(line) and line.lower().startswith(name.lower()):
            resolved[name] = line
        elif _HEX_RE.match(line) or len(name) < SHORT_SHA_LENGTH:
            # a ref of that name answered, or an abbreviation several objects may share (git reports it as
            # missing): look the digits up as an object id prefix
            candidates = _commits_with_prefix(repo, name)
            resolved[name] = candidates[0] if len(candidates) == 1 else ("" if candidates else None)
        else:  # 12+ digits unknown to git: never shared in practice, so no lookup per unknown citation
            resolved[name] = None
    return resolved


def _commits_with_prefix(repo: Path, prefix: str) -> list[str]:
    """The commits (not tags, trees or blobs) whose id begins with `prefix`."""
    candidates = runner.run(["rev-parse", f"--disambiguate={prefix}"], repo, check=False).text.split()
    if not candidates:
        return []
    query = "".join(c + "\n" for c in candidates).encode()
    types = runner.run(["cat-file", "--batch-check=%(objectname) %(objecttype)"], repo, input=query, check=False)
    return [oid for oid, _, kind in (line.partition(" ") for line in types.text.splitlines()) if kind == "commit"]


def ancestors_among(repo: Path, tip: str, commits: set[str]) -> set[str]:
    """The members of `commits` that are ancestors of `tip` (or the tip itself)."""
    if len(commits) <= _WALK_THRESHOLD:
        return {c for c in commits if runner.run(["merge-base", "--is-ancestor", c, tip], repo, check=False).ok}
    history = set(runner.run(["rev-list", tip], repo).text.split())
    return commits & history


def citations_pass(repo: Path, tip: str, cited: list[str]) -> bool:
    """Whether every cited value resolves directly to an ancestor of `tip` (what `tip_findings` accepts
    without a reconcile entry). False says nothing: `tip_findings` decides then."""
    if not cited:
        return True
    names = sorted(set(cited))
    if any(not _HEX_RE.match(name) for name in names):
        return False
    resolved = resolve_commits(repo, names)
    shas = {resolved.get(name) for name in names}
    if None in shas or "" in shas:
        return False
    found = {sha for sha in shas if sha}
    return ancestors_among(repo, tip, found) == found


def tip_findings(repo: Path, tip: str, state: State) -> list[Finding]:
    """Every `commit` cited in progress resolves (directly or via a later reconcile entry that maps it) to an
    ancestor of `tip`. Raises SmallError (exit 2) when a shallow clone hides the history needed to decide."""
    doc = state.load("progress")
    data = doc.data if doc is not None else None
    entries = data.get("entries") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        return []  # the schema and lint rules report a malformed log
    cited = cited_commits(entries)
    if not cited:
        return []
    rewrites = [(i, rewrite) for i, e in enumerate(entries) if (rewrite := rewrite_of(e)) is not None]
    names = sorted({value for _, value in cited} | {new for _, (_, new) in rewrites})
    resolved = resolve_commits(repo, names)
    reachable = ancestors_among(repo, tip, {sha for sha in resolved.values() if sha})

    memo: dict[tuple[str, int], bool] = {}

    def passes(value: str, after: int) -> bool:
        # Only later reconcile entries count, so every step moves forward in the log and the walk ends.
        key = (value, after)
        if key not in memo:
            sha = resolved.get(value)
            memo[key] = bool(sha and sha in reachable) or any(
                passes(new, j) for j, (old, new) in rewrites if j > after and same_commit(old, value)
            )
        return memo[key]

    findings: list[Finding] = []
    path = state.path("progress")
    for index, value in cited:
        if passes(value, index):
            continue
        sha = resolved.get(value)
        line = doc.line_of(("entries", index, "commit")) if doc is not None else None
        if sha == "":
            findings.append(
                Finding(
                    RULE_AMBIGUOUS,
                    path,
                    f"entries[{index}].commit {value!r} is ambiguous: several commits start with it",
                    line,
                    hint="cite at least 12 hex digits",
                    stage="git",
                )
            )
        elif sha is None:
            findings.append(
                Finding(
                    RULE_UNKNOWN,
                    path,
                    f"entries[{index}].commit {value!r} names no commit in this repository",
                    line,
                    hint="push the cited commit too, or, if it was rewritten, "
                    "append a reconcile entry (the post-rewrite hook of `git small install` writes "
                    "them)",
                    stage="git",
                )
            )
        else:
            findings.append(
                Finding(
                    RULE_NOT_ANCESTOR,
                    path,
                    f"entries[{index}].commit {value!r} is not in the history of {short_sha(tip)}",
                    line,
                    hint="the cited work is not part of this branch: "
                    "merge it, or, if it was rewritten, append a reconcile entry mapping it "
                    "(the post-rewrite hook writes them)",
                    stage="git",
                )
            )
    if findings and is_shallow(repo):
        raise SmallError(
            f"{path} cites commits that this shallow clone cannot see",
            exit_code=EXIT_USAGE,
            file=path,
            hint="run: git fetch --unshallow",
        )
    return findings


def head_findings(root: Path, state: State) -> list[Finding]:
    """`check --git`: the workspace at `root` (as on disk) judged against the HEAD of its repository."""
    inside = runner.run(["rev-parse", "--is-inside-work-tree"], root, check=False)
    if not inside.ok or inside.text.strip() != "true":
        raise SmallError(
            f"--git needs a git work tree, and {root} is not in one",
            exit_code=EXIT_USAGE,
            hint="drop --git, or run it inside the repository",
        )
    return tip_findings(root, "HEAD", state)
