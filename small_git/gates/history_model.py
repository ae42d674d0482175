"""What `read_history` finds: plain data, free of git, so reporters can print it (text, JSON, Markdown)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from small_git.git.evidence import SHORT_SHA_LENGTH
from small_git.protocol.findings import Finding

SIGNATURE_WORDS = {
    "G": "good",
    "B": "bad",
    "U": "good, key not in the allowed signers",
    "X": "expired",
    "Y": "expired key",
    "R": "revoked key",
    "E": "cannot be checked",
    "N": "none",
}
SHORT = SHORT_SHA_LENGTH  # how history and review name a commit


@dataclass(frozen=True)
class Person:
    name: str
    email: str

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "email": self.email}


@dataclass
class CommitInfo:
    sha: str
    parents: list[str]
    author: Person
    committer: Person
    author_date: str  # ISO 8601 with the author's offset
    commit_date: str
    message: str
    signature: str = "N"  # git's %G? letter

    @property
    def subject(self) -> str:
        return self.message.split("\n", 1)[0].strip()

    @property
    def short(self) -> str:
        return self.sha[:SHORT]

    def to_dict(self) -> dict[str, Any]:
        return {
            "sha": self.sha,
            "parents": self.parents,
            "author": self.author.to_dict(),
            "committer": self.committer.to_dict(),
            "author_date": self.author_date,
            "commit_date": self.commit_date,
            "subject": self.subject,
            "signature": {"status": self.signature, "meaning": SIGNATURE_WORDS.get(self.signature, "unknown")},
        }


@dataclass
class EntryAdded:
    index: int  # entries[N] at this commit, from 0: the number check and redact use
    kind: str  # checkpoint | entry | reconcile | redaction | reset | init | accept | apply | meta
    entry: Any

    @property
    def task_id(self) -> str | None:
        value = self.entry.get("task_id") if isinstance(self.entry, dict) else None
        return value if isinstance(value, str) else None

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "kind": self.kind, "task_id": self.task_id, "entry": self.entry}


@dataclass
class TaskChange:
    task_id: str
    change: str  # added | removed | status | title
    before: str | None = None
    after: str | None = None
    title: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class HumanChange:
    file: str
    fields: list[str]  # the top-level keys that differ
    verdict: str  # accepted | refused
    reasons: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Redaction:
    entry: int
    field: str
    digest: str
    reason: str | None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Reconcile:
    index: int
    old: str
    new: str

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "from": self.old, "to": self.new}


@dataclass
class WorkspaceStory:
    workspace: str  # the `.small` folder's path in the repository
    run: str | None = None  # run.replay_id at this commit
    run_started: bool = False
    entries: list[EntryAdded] = field(default_factory=list)
    tasks: list[TaskChange] = field(default_factory=list)
    human: list[HumanChange] = field(default_factory=list)
    redactions: list[Redaction] = field(default_factory=list)
    reconciles: list[Reconcile] = field(default_factory=list)
    rewritten: list[int] = field(default_factory=list)  # old entries this commit changed (not a redaction)
    merged: list[int] = field(default_factory=list)  # a merge: entries that came from a parent other than the first
    is_merge: bool = False
    findings: list[Finding] = field(default_factory=list)
    unreadable: str | None = None

    def empty(self) -> bool:
        return not (
            self.run_started
            or self.entries
            or self.tasks
            or self.human
            or self.redactions
            or self.rewritten
            or self.is_merge
            or self.findings
            or self.unreadable
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "workspace": self.workspace,
            "run": self.run,
            "run_started": self.run_started,
            "entries": [e.to_dict() for e in self.entries],
            "tasks": [t.to_dict() for t in self.tasks],
            "human_changes": [h.to_dict() for h in self.human],
            "redactions": [r.to_dict() for r in self.redactions],
            "reconciles": [r.to_dict() for r in self.reconciles],
            "rewritten_entries": self.rewritten,
            "merged_entries": self.merged,
            "findings": [f.to_dict() for f in self.findings],
            "unreadable": self.unreadable,
        }


@dataclass
class CommitStory:
    commit: CommitInfo
    workspaces: list[WorkspaceStory] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {**self.commit.to_dict(), "workspaces": [w.to_dict() for w in self.workspaces]}


@dataclass
class Run:
    replay_id: str
    workspace: str
    started_by: str
    started_at: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class BlameLine:
    workspace: str
    index: int
    entry: Any
    commit: CommitInfo | None  # None: added before the range

    def to_dict(self) -> dict[str, Any]:
        task = self.entry.get("task_id") if isinstance(self.entry, dict) else None
        return {
            "workspace": self.workspace,
            "index": self.index,
            "task_id": task,
            "commit": self.commit.sha if self.commit else None,
            "author": self.commit.author.to_dict() if self.commit else None,
            "author_date": self.commit.author_date if self.commit else None,
            "subject": self.commit.subject if self.commit else None,
            "entry": self.entry,
        }


@dataclass
class History:
    repo: Path
    head: str
    commits: list[CommitStory] = field(default_factory=list)  # oldest first; only commits that touch .small/
    runs: list[Run] = field(default_factory=list)
    blame: list[BlameLine] = field(default_factory=list)  # every entry of every workspace at the head
    walked: int = 0  # commits in the range, touching .small/ or not


@dataclass
class PlanTask:
    """One task of a plan, as a graph shows it."""

    task_id: str
    title: str
    status: str
    depends_on: list[str]


# --- review ---------------------------------------------------------------------------------------------


@dataclass
class TaskMoves:
    workspace: str
    task_id: str
    title: str | None
    added: bool
    statuses: list[str]  # the status at the base (or when added), then each one it moved to, in order

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Citation:
    value: str
    state: str  # reachable | reconciled | not-in-history | unknown | ambiguous
    via: str | None = None  # reconciled: the commit it maps to

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class AppendedEntry:
    workspace: str
    index: int
    kind: str
    task_id: str | None
    status: str | None
    evidence: dict[str, Any]  # the entry's evidence fields, as written
    commit: CommitInfo  # the commit that added it
    citation: Citation | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "workspace": self.workspace,
            "index": self.index,
            "kind": self.kind,
            "task_id": self.task_id,
            "status": self.status,
            "evidence": self.evidence,
            "added_by": self.commit.sha,
            "cited_commit": self.citation.to_dict() if self.citation else None,
        }


@dataclass
class HumanFileChange:
    change: HumanChange
    commit: CommitInfo

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.change.to_dict(),
            "commit": self.commit.sha,
            "author": self.commit.author.to_dict(),
            "committer": self.commit.committer.to_dict(),
            "signature": self.commit.signature,
        }


@dataclass
class Freshness:
    workspace: str
    state: str  # fresh | stale | unknown | none
    commit: str | None = None
    reason: str | None = None
    changed: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Review:
    rev_range: str
    head: str
    commits: int
    tasks: list[TaskMoves] = field(default_factory=list)
    entries: list[AppendedEntry] = field(default_factory=list)
    human: list[HumanFileChange] = field(default_factory=list)
    handoffs: list[Freshness] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    plans: dict[str, list[PlanTask]] = field(default_factory=dict)  # workspace -> the head's plan

    @property
    def audit_passed(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)
