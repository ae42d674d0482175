"""Human authority over intent and constraints (spec §6.3): who may change the human-owned files.

Levels (git config `small.humanLevel`, a comma-separated list; `identity` always applies):
- identity: no agent signal in author, committer, co-author trailers or (local hooks only) the environment;
- signed: also a good signature by a key in the humans' allowed-signers file, judged once a commit exists
  (pre-push, pre-receive, audit);
- pusher: also, on a server, the pushing account is on the humans list (`small.human`).
The policy is read from the git configuration of the repository doing the judging, never from the commits
being judged.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from small_git.errors import EXIT_USAGE, SmallError
from small_git.gates.context import COMMIT_STAGES
from small_git.git import runner
from small_git.git.plumbing import CommitMeta, short_sha
from small_git.protocol.findings import Finding

LEVELS = ("identity", "signed", "pusher")

# `NAME` (set and non-empty), `NAME=value` (exact value), or a glob over names (`CODEX_*`).
BUILTIN_AGENT_MARKERS = (
    "SMALL_ACTOR=agent",
    "CLAUDECODE",
    "CODEX_*",
    "GEMINI_CLI",
    "CURSOR_AGENT",
    "CLINE_ACTIVE",
    "OPENCODE",
    "AI_AGENT",
)
# Regular expressions over "Name <email>", case-insensitive.
BUILTIN_AGENT_IDENTITIES = (
    r"\(aider\)\s*<",  # aider suffixes the author name: "Jane Doe (aider)"
    r"<[^>]*@aider\.chat>",
    r"<noreply@anthropic\.com>",
    r"\[bot\]\s*<",  # GitHub App accounts: "name[bot]"
    r"<[^>]*\[bot\]@users\.noreply\.github\.com>",
    r"<cursoragent@cursor\.com>",
    r"<[^>]*\+copilot@users\.noreply\.github\.com>",
)
BUILTIN_PUSHER_VARIABLES = ("GL_USERNAME", "GITEA_PUSHER_NAME", "GITHUB_USER_LOGIN", "REMOTE_USER")
_CO_AUTHOR_RE = re.compile(r"^co-authored-by:\s*(.+?)\s*$", re.IGNORECASE | re.MULTILINE)
_GOOD_SIGNATURE = "G"
_SIGNATURE_WORDS = {
    "G": "a good signature",
    "B": "a bad signature",
    "U": "a good signature by a key not in the allowed signers",
    "X": "an expired signature",
    "Y": "a signature by an expired key",
    "R": "a signature by a revoked key",
    "E": "a signature that cannot be checked (missing key or tool)",
    "N": "no signature",
}
RULE_AGENT = "human-file-agent-change"
RULE_UNSIGNED = "human-file-unsigned"
RULE_PUSHER = "human-file-pusher"
RULE_POLICY = "authority-policy"


@dataclass
class Policy:
    levels: tuple[str, ...] = ("identity",)
    agent_markers: tuple[str, ...] = BUILTIN_AGENT_MARKERS
    agent_identities: tuple[str, ...] = BUILTIN_AGENT_IDENTITIES
    allowed_signers_file: Path | None = None
    humans: tuple[str, ...] = ()
    pusher_variables: tuple[str, ...] = BUILTIN_PUSHER_VARIABLES
    _compiled: list[re.Pattern[str]] = field(default_factory=list, repr=False)

    def identity_patterns(self) -> list[re.Pattern[str]]:
        if not self._compiled:
            self._compiled = [re.compile(p, re.IGNORECASE) for p in self.agent_identities]
        return self._compiled


def _config_values(repo: Path, key: str) -> list[str]:
    result = runner.run(["config", "--get-all", key], repo, check=False)
    if result.returncode == 1:  # the key is not set
        return []
    if not result.ok:
        raise SmallError(f"cannot read git config {key} in {repo}: {result.error_text.strip()}", exit_code=EXIT_USAGE)
    return [line.strip() for line in result.text.splitlines() if line.strip()]


def _config_path(repo: Path, key: str) -> Path | None:
    result = runner.run(["config", "--type=path", "--get", key], repo, check=False)
    if not result.ok or not result.text.strip():
        return None
    path = Path(result.text.strip())
    if not path.is_absolute():
        # Relative paths are relative to the repository (its top level, or the git dir when bare).
        top = runner.run(["rev-parse", "--show-toplevel"], repo, check=False)
        base = (
            top.text.strip()
            if top.ok and top.text.strip()
            else runner.run(["rev-parse", "--absolute-git-dir"], repo).text.strip()
        )
        path = Path(base) / path
    return path


def load_policy(repo: Path) -> Policy:
    """The authority policy from git config `small.*` of `repo` (the judging repository)."""
    raw_levels = _config_values(repo, "small.humanLevel")
    levels = ["identity"]
    for raw in raw_levels[-1:]:  # the last value wins, as for any single-valued git setting
        for word in (w.strip().lower() for w in raw.split(",")):
            if word not in LEVELS:
                raise SmallError(
                    f"git config small.humanLevel has an unknown level {word!r}",
                    exit_code=EXIT_USAGE,
                    hint="use identity, signed, pusher, or a list such as signed,pusher",
                    rule=RULE_POLICY,
                )
            if word not in levels:
                levels.append(word)
    identities = list(BUILTIN_AGENT_IDENTITIES)
    for pattern in _config_values(repo, "small.agentIdentity"):
        try:
            re.compile(pattern)
        except re.error as exc:
            raise SmallError(
                f"git config small.agentIdentity {pattern!r} is not a valid regular expression: {exc}",
                exit_code=EXIT_USAGE,
                rule=RULE_POLICY,
            ) from None
        identities.append(pattern)
    signers = _config_path(repo, "small.allowedSignersFile") or _config_path(repo, "gpg.ssh.allowedSignersFile")
    return Policy(
        levels=tuple(levels),
        agent_markers=BUILTIN_AGENT_MARKERS + tuple(_config_values(repo, "small.agentMarker")),
        agent_identities=tuple(identities),
        allowed_signers_file=signers,
        humans=tuple(_config_values(repo, "small.human")),
        pusher_variables=BUILTIN_PUSHER_VARIABLES + tuple(_config_values(repo, "small.pusherVariable")),
    )


def agent_markers_present(env: Mapping[str, str], markers: tuple[str, ...]) -> list[str]:
    """The markers that the environment carries, as `NAME` or `NAME=value`."""
    found: list[str] = []
    for marker in markers:
        name, has_value, value = marker.partition("=")
        for key in sorted(env):
            if not fnmatch.fnmatchcase(key, name):
                continue
            actual = env[key]
            if (has_value and actual.strip().lower() == value.strip().lower()) or (not has_value and actual):
                found.append(f"{key}={actual}" if has_value else key)
    return sorted(set(found))


def agent_identity_signals(meta: CommitMeta, policy: Policy) -> list[str]:
    """Descriptions of every agent signal in the commit's identities and co-author trailers."""
    people = [
        ("author", f"{meta.author_name} <{meta.author_email}>"),
        ("committer", f"{meta.committer_name} <{meta.committer_email}>"),
    ]
    people += [("co-author", value) for value in _CO_AUTHOR_RE.findall(meta.message or "")]
    signals = []
    for role, who in people:
        if any(pattern.search(who) for pattern in policy.identity_patterns()):
            signals.append(f"{role} {who} is an agent identity")
    return signals


def _signature_letter(repo: Path, sha: str, policy: Policy) -> str:
    args = ["log", "-1", "--format=%G?", sha]
    if policy.allowed_signers_file is not None:
        args = ["-c", f"gpg.ssh.allowedSignersFile={policy.allowed_signers_file}", *args]
    result = runner.run(args, repo, check=False)
    letter = result.text.strip()[:1]
    return letter or "E"


def authority_findings(
    changed_human_files: list[str],
    meta: CommitMeta,
    *,
    env: Mapping[str, str] | None,
    repo: Path,
    stage: str,
    policy: Policy | None = None,
    pusher: str | None = None,
) -> list[Finding]:
    """Findings when the change to `changed_human_files` does not come from a human at the policy's level.

    `env` is the environment of the process making the change (local hooks); pass None where it is not the
    author's (pre-push, pre-receive, audit). Signatures are judged only once the commit exists. `pusher` is the
    pushing account when the server knows it (else it is read from the policy's pusher variables).
    """
    if not changed_human_files:
        return []
    policy = policy or load_policy(repo)
    what = ", ".join(changed_human_files)
    where = changed_human_files[0]
    commit = f"commit {short_sha(meta.sha)}" if meta.sha else "this commit"
    draft_hint = (
        "agents propose changes with `git small draft`; a human reviews and runs `git small accept` in their own commit"
    )
    findings: list[Finding] = []
    signals = agent_identity_signals(meta, policy)
    if env is not None and stage not in COMMIT_STAGES:
        signals += [
            f"the environment has the agent marker {m}" for m in agent_markers_present(env, policy.agent_markers)
        ]
    if signals:
        message = f"{commit} changes human-owned {what}, but " + "; and ".join(signals)
        findings.append(Finding(RULE_AGENT, where, message, hint=draft_hint, stage="git"))
    if "signed" in policy.levels and stage in COMMIT_STAGES and meta.sha:
        findings += _signature_findings(meta.sha, what, where, commit, repo, policy)
    if "pusher" in policy.levels and stage == "pre-receive":
        findings += _pusher_findings(pusher, env if env is not None else os.environ, what, where, commit, policy)
    return findings


def _signature_findings(sha: str, what: str, where: str, commit: str, repo: Path, policy: Policy) -> list[Finding]:
    if policy.allowed_signers_file is None or not policy.allowed_signers_file.is_file():
        missing = (
            "is not configured"
            if policy.allowed_signers_file is None
            else f"{policy.allowed_signers_file} does not exist"
        )
        return [
            Finding(
                RULE_POLICY,
                where,
                f"small.humanLevel is signed but the allowed-signers file {missing}",
                hint="git config small.allowedSignersFile /path/to/allowed_signers (see docs/authority.md)",
                stage="git",
            )
        ]
    letter = _signature_letter(repo, sha, policy)
    if letter == _GOOD_SIGNATURE:
        return []
    described = _SIGNATURE_WORDS.get(letter, f"signature status {letter!r}")
    return [
        Finding(
            RULE_UNSIGNED,
            where,
            f"{commit} changes human-owned {what} with {described}; the human level "
            "is signed, so it needs a good signature by a key in the allowed-signers file",
            hint="a human re-creates the commit signed: git commit --amend -S --no-edit (then push again)",
            stage="git",
        )
    ]


def _pusher_findings(
    pusher: str | None, env: Mapping[str, str], what: str, where: str, commit: str, policy: Policy
) -> list[Finding]:
    if pusher is None:
        pusher = next((env[v] for v in policy.pusher_variables if env.get(v)), None)
    if pusher is not None and pusher in policy.humans:
        return []
    who = f"the pusher {pusher!r} is not" if pusher else "no pusher account is known, so the pusher is not"
    return [
        Finding(
            RULE_PUSHER,
            where,
            f"{commit} changes human-owned {what}, but {who} on the humans list",
            hint="a human pushes it, or the server adds the account: git config --add small.human <account>",
            stage="git",
        )
    ]
