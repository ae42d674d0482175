"""A scripted history for the log and review tests (no tests here): init, plan, checkpoints, a reset, a human
edit of intent, an agent's refused attempt, a redaction, a merge, and a rebase with reconcile entries, every
commit made by real git through the installed hooks.

Commit and author dates are fixed, so the text is stable; entry timestamps come from the clock and commit ids
follow from them, so `normalise` replaces both by stable placeholders before a golden file compares them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .repo import Repo

AGENT = {
    "GIT_AUTHOR_NAME": "Claude",
    "GIT_AUTHOR_EMAIL": "noreply@anthropic.com",
    "GIT_COMMITTER_NAME": "Claude",
    "GIT_COMMITTER_EMAIL": "noreply@anthropic.com",
}
PHONE = "call Ada on 555-0100"


@dataclass
class Scripted:
    repo: Repo
    base: str  # the commit after init and plan (the review's base)
    commits: dict[str, str] = field(default_factory=dict)  # step name -> commit id
    refused_stderr: str = ""

    def record(self) -> dict[str, Any]:
        """What `found` needs to take a copy of the repository's folder for this history."""
        return {
            "name": self.repo.path.name,
            "env": self.repo.env,
            "base": self.base,
            "commits": self.commits,
            "refused_stderr": self.refused_stderr,
        }

    @classmethod
    def found(cls, folder: Path, record: dict[str, Any]) -> Scripted:
        """The history in `folder`, a copy of the folder `build` made it in (see `record`)."""
        repo = Repo(folder / record["name"], record["env"])
        return cls(repo, record["base"], dict(record["commits"]), record["refused_stderr"])


class _Clock:
    def __init__(self, repo: Repo) -> None:
        self.repo = repo
        self.minute = 0

    def tick(self) -> None:
        self.minute += 1
        stamp = f"2025-03-01T10:{self.minute:02d}:00+00:00"
        self.repo.env["GIT_AUTHOR_DATE"] = stamp
        self.repo.env["GIT_COMMITTER_DATE"] = stamp


def _small(repo: Repo, *args: str) -> str:
    proc = repo.small(*args)
    assert proc.returncode == 0, f"small {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def build(tmp_path: Path) -> Scripted:
    repo = Repo.create(tmp_path, "catalogue")
    clock = _Clock(repo)
    done = Scripted(repo, base="")

    def commit(step: str, message: str, *args: str) -> None:
        clock.tick()
        repo.commit(message, *args)
        done.commits[step] = repo.head()

    _small(repo, "init", "--intent", "Import CSV files into the catalogue")
    _small(repo, "install")
    commit("init", "Start the importer workspace")
    _small(repo, "plan", "--add", "Parse the CSV header", "--add", "Import the rows")
    _small(repo, "plan", "--depends", "task-3:task-2", "--remove", "task-1")
    commit("plan", "Plan the importer")
    done.base = repo.head()

    # checkpoints
    repo.write("src/header.py", "def header(line): return line.split(',')\n")
    commit("code", "Header parser")
    _small(repo, "checkpoint", "--task", "task-2", "--status", "in_progress")
    commit("start", "Start the header parser")
    clock.tick()
    _small(
        repo, "checkpoint", "--task", "task-2", "--status", "completed", "--evidence", "header tests pass", "--commit"
    )
    done.commits["checkpoint"] = repo.head()

    # a reset: a new run with a new plan (task ids are per workspace: the old run's task-2 stays completed)
    _small(repo, "reset", "--yes")
    _small(repo, "plan", "--add", "Parse the CSV header", "--add", "Import the rows")
    _small(repo, "plan", "--status", "task-2=completed")
    commit("reset", "Start a new run for the rows")

    # a human edits intent
    intent = repo.read(".small/intent.small.yml")
    repo.write(".small/intent.small.yml", intent.replace("Import CSV files into the catalogue", "Import CSV rows"))
    commit("intent", "Narrow the intent to rows")

    # an agent tries to relax a constraint: the pre-commit gate refuses; it bypasses the hook
    constraints = repo.read(".small/constraints.small.yml")
    repo.write(".small/constraints.small.yml", constraints.replace('severity: "error"', 'severity: "warn"'))
    clock.tick()
    repo.git("add", "-A")
    refused = repo.git("commit", "-q", "-m", "Relax the secrets constraint", check=False, env=AGENT)
    assert refused.returncode != 0, "the gate let an agent change constraints"
    done.refused_stderr = refused.stderr
    repo.git("commit", "-q", "--no-verify", "-m", "Relax the secrets constraint", env=AGENT)
    done.commits["agent"] = repo.head()

    # a redaction
    _small(
        repo,
        "progress",
        "add",
        "--task",
        "task-3",
        "--status",
        "in_progress",
        "--evidence",
        "asked about the format",
        "--notes",
        PHONE,
    )
    commit("datum", "Note who to call")
    log = repo.read(".small/progress.small.yml")
    entry = log.count("  - task_id:") - 1
    _small(repo, "redact", "--entry", str(entry), "--field", "notes")
    commit("redact", "Redact a phone number\n\nSmall-Redact: personal data")

    # a merge
    repo.git("checkout", "-q", "-b", "rows")
    _small(repo, "checkpoint", "--task", "task-3", "--status", "in_progress")
    commit("branch", "Start the rows importer")
    repo.git("checkout", "-q", "main")
    repo.write("docs/notes.md", "Rows come next.\n")
    _small(repo, "progress", "add", "--task", "task-3", "--status", "in_progress", "--evidence", "notes written")
    commit("main", "Write notes")
    clock.tick()
    repo.git("merge", "-q", "--no-ff", "-m", "Merge the rows branch", "rows")
    done.commits["merge"] = repo.head()

    # a rebase with reconcile entries
    repo.git("checkout", "-q", "-b", "fix")
    repo.write("src/rows.py", "def rows(lines): return [l.split(',') for l in lines]\n")
    commit("rows", "Rows importer")
    clock.tick()
    _small(repo, "checkpoint", "--task", "task-3", "--status", "completed", "--evidence", "rows import", "--commit")
    done.commits["cites"] = repo.head()
    repo.git("checkout", "-q", "main")
    repo.write("README.md", "The catalogue importer.\n")
    commit("readme", "Readme")
    repo.git("checkout", "-q", "fix")
    clock.tick()
    repo.git("rebase", "-q", "main")
    done.commits["rebased"] = repo.head()  # the checkpoint commit, replayed
    commit("reconcile", "Reconcile rewritten commits")
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--ff-only", "fix")
    done.commits["head"] = repo.head()
    return done


_HEX_RE = re.compile(r"\b[0-9a-f]{64}\b|\b[0-9a-f]{40}\b|\b[0-9a-f]{12}\b")
_TIME_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z")


def normalise(text: str, scripted: Scripted) -> str:
    """Commit ids as <commit-N> (N in order of first appearance, a 12-digit abbreviation as its commit),
    other 64-digit ids as <id-N>, entry timestamps as <time>, the repository's path as <repo>."""
    names: dict[str, str] = {}
    shas = scripted.repo.git("rev-list", "--all", "--reflog").stdout.split()

    def name(match: re.Match[str]) -> str:
        value = match.group(0)
        full = value if len(value) != 12 else next((s for s in shas if s.startswith(value)), value)
        if full not in names:
            kind = "commit" if full in shas else "id"
            names[full] = f"<{kind}-{sum(1 for n in names.values() if n.startswith(f'<{kind}-')) + 1}>"
        return names[full]

    text = text.replace(str(scripted.repo.path), "<repo>")
    text = _TIME_RE.sub("<time>", text)
    return _HEX_RE.sub(name, text)
