"""git small help [TOPIC]: what the gates check and what to do about a refusal, where a refusal can point
(the installed tool, not a docs folder the user's repository does not have)."""

from __future__ import annotations

from dataclasses import dataclass

from small_git.errors import EXIT_USAGE, SmallError
from small_git.report import console

GATES = """\
The gates: what small-git refuses, and where

Every gate asks one engine. Entries are numbered from 0, as check, check --json and redact number
them: entries[N].

  pre-commit, commit-msg     the staged commit against HEAD (an amend: against HEAD's parents)
  pre-merge-commit           a merge result against every parent
  pre-push, pre-receive,     a ref update as a whole: every new commit, parent -> child; unless it is a
  git small audit OLD..NEW   fast-forward, every entry of the old tip still at the new tip, in order; the
                             commits cited in progress are in the new tip's history

What is refused: changing, removing, reordering or re-timestamping an old progress entry (values
compare by value and type); a new entry not later than the one before it; a merge that drops a
parent's entry; deleting the log or moving .small/; a canonical file that is a symlink or that a
tree lists twice; secrets and http:// links in what a commit adds; an error check would report that
the parent did not have; intent or constraints changed without human authority; deleting a
protected ref; history the judgement needs but the repository lacks (fetch it, then try again).

Recovering: see `git small help recovering`. Redaction: `git small help redaction`.
--no-verify skips the local hooks only: pre-push, the server and CI judge the same commits.
"""

RECOVERING = """\
Recovering from a refusal

  a refused commit     restore the file (git checkout HEAD -- .small/progress.small.yml) and append a
                       correction as a new entry (git small progress add); nothing was committed
  a refused merge      keep every entry of both sides in timestamp order (git small install sets up
                       the merge driver that does this), git add, git commit
  a refused push       rewrite the unpushed commits so that each one only appends (git rebase -i
                       <upstream>), then push again; git small audit <upstream>..HEAD shows what is left
  a force push         rebuild the branch on the remote one (git pull --rebase): the remote's entries
                       must all stay
  missing history      fetch what the message names (git fetch origin, git fetch --unshallow)
  intent/constraints   an agent proposes with git small draft; a human runs git small accept and commits
"""

REDACTION = """\
Redaction: taking a secret out of the append-only log

  git small redact --entry N --field F     replaces the value by [REDACTED sha256:<digest>] and appends a
                                           meta/redact entry recording it
  git commit -m "Redact a token" -m "Small-Redact: <why>" -- .small/progress.small.yml

The gates accept a change to old entries only when it is exactly such a replacement, in a commit with a
Small-Redact: trailer, made at the policy's human level. Rotate the secret too: git history still has it
until the commits that hold it are rewritten. Later merges of branches that forked before the redaction
keep it.
"""

AUTHORITY = """\
Human authority over intent and constraints

git config small.humanLevel identity|signed|pusher (a comma-separated list; identity always applies).
  identity   no agent signal in author, committer, Co-authored-by trailers or (local hooks) the
             environment (SMALL_ACTOR=agent, CLAUDECODE, CODEX_*, ...; add your own: small.agentMarker)
  signed     also a good signature by a key in small.allowedSignersFile (judged at push, server, CI)
  pusher     also, on a server, the pushing account is in small.human
A merge that discards what a parent changed in these files since the merge base needs the same
authority. Agents propose with git small draft; a human runs git small accept.
"""

TOPICS = {"gates": GATES, "recovering": RECOVERING, "redaction": REDACTION, "authority": AUTHORITY}


@dataclass(frozen=True)
class HelpRequest:
    topic: str | None = None


def run(request: HelpRequest) -> int:
    topic = (request.topic or "gates").strip().lower()
    text = TOPICS.get(topic)
    if text is None:
        raise SmallError(
            f"no help topic {request.topic!r}",
            exit_code=EXIT_USAGE,
            hint=f"topics: {', '.join(TOPICS)} (git small --help lists the commands)",
        )
    console.write(text)
    return 0
