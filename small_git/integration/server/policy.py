"""The server's policy: read from the server only, never from the commits being pushed (spec §6.3).

Every setting is git config `small.*` of the receiving repository (its own config, and the system and global
config of the account the server runs as), optionally followed by server-side policy files: one the hook
script names (`--policy FILE`, for GitHub Enterprise Server and server-wide hooks) and one the repository's
config names (`small.policyFile`). The files are git config files, included as git includes them, after the
repository's own settings: a single-valued setting in a file wins, a list adds up. Nothing in a pushed tree is
ever read as policy: a commit that adds `.gitconfig`, `.small/policy*` or an allowed-signers file changes
nothing.
"""

from __future__ import annotations

import fnmatch
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from small_git.errors import EXIT_USAGE, SmallError
from small_git.gates.authority import Policy, load_policy
from small_git.git import plumbing as git

RULE_SERVER_POLICY = "server-policy"
DEFAULT_TIMEOUT = 4.5  # seconds for the whole hook; GitHub Enterprise Server kills a pre-receive hook at 5
REPORT_MARGIN = 0.5  # judging stops this long before the deadline, to leave time to say why
DEFAULT_LOG = "small-git/pre-receive.log"  # below the git dir, unless small.log says otherwise
# Commits reachable from these refs were judged when they were pushed (or predate the gate), so a new push
# is judged only for the commits it brings. Refs a forge writes without running hooks (merge-request and
# pull-request heads, keep-around refs) are not trusted this way.
TRUSTED_NAMESPACES = ("refs/heads/", "refs/tags/")
MAX_KNOWN_TIPS = 5000  # beyond this, custom ref rules cost a full walk rather than an over-long command line


@dataclass
class ServerPolicy:
    authority: Policy
    files: tuple[Path, ...] = ()
    judged: tuple[str, ...] = ("*",)  # small.judgeRef globs: the refs whose updates are judged
    protected: tuple[str, ...] = ()  # small.protectedRef globs: never deleted, always judged
    timeout: float | None = DEFAULT_TIMEOUT  # small.timeout seconds; None: no deadline
    log: Path | None = None
    _known: tuple[str, ...] | None = field(default=None, repr=False)

    def judges(self, ref: str) -> bool:
        return self.protects(ref) or any(fnmatch.fnmatchcase(ref, p) for p in self.judged)

    def protects(self, ref: str) -> bool:
        return any(fnmatch.fnmatchcase(ref, p) for p in self.protected)

    def pusher(self, env: Mapping[str, str]) -> str | None:
        """The pushing account: the first variable of the policy's list that the server set."""
        return next((env[name] for name in self.authority.pusher_variables if env.get(name)), None)

    def known(self, repo: Path) -> tuple[str, ...]:
        """rev-list arguments naming history that earlier pushes brought: the tips of trusted, judged refs."""
        if self._known is None:
            self._known = self._trusted_tips(repo)
        return self._known

    def _trusted_tips(self, repo: Path) -> tuple[str, ...]:
        if self.judged == ("*",):
            return ("--branches", "--tags")
        out = git.run_git(["for-each-ref", "--format=%(objectname) %(refname)", *TRUSTED_NAMESPACES], repo)
        tips: dict[str, None] = {}
        for line in out.splitlines():
            oid, _, ref = line.partition(" ")
            if self.judges(ref):
                tips[oid] = None
        return tuple(tips) if len(tips) <= MAX_KNOWN_TIPS else ()


def policy_files(repo: Path, named: Path | None, env: Mapping[str, str]) -> tuple[list[Path], dict[str, str]]:
    """The policy files (the one the hook script names, then the repository's `small.policyFile`), and the
    variables that make git include them. The caller sets those in the hook's environment before `load`, so
    every git process of the hook, the engine's own reads of `small.*` included, sees the same policy."""
    files = [named] if named is not None else []
    own = _config(repo).get("small.policyfile", [])
    files += [_resolve(repo, value) for value in own[-1:]]
    for file in files:
        if not file.is_file() or not os.access(file, os.R_OK):
            raise SmallError(
                f"the server's policy file {file} cannot be read, so nothing can be judged",
                rule=RULE_SERVER_POLICY,
                hint="the server admin restores it, or removes it from small.policyFile or the hook script",
            )
    return files, _include_env(env, files)


def load(repo: Path, files: list[Path] | None = None) -> ServerPolicy:
    """The policy of the repository at `repo`, as its git config (with the policy files included) says."""
    config = _config(repo)
    return ServerPolicy(
        authority=load_policy(repo),
        files=tuple(files or ()),
        judged=tuple(config.get("small.judgeref", [])) or ("*",),
        protected=tuple(config.get("small.protectedref", [])),
        timeout=_timeout(config.get("small.timeout", [])),
        log=_log_path(repo, config.get("small.log", [])),
    )


def _config(repo: Path) -> dict[str, list[str]]:
    """Every `small.*` setting git sees for `repo` (keys lowercased, as git compares them), in order.
    A config git cannot parse is an error, never an empty policy."""
    try:
        raw = git.run_git_bytes(["config", "--list", "-z"], repo)
    except SmallError as exc:
        raise SmallError(
            f"the server's git config cannot be read: {exc.message}",
            exit_code=EXIT_USAGE,
            rule=RULE_SERVER_POLICY,
            hint="the server admin fixes the repository's config or the policy file",
        ) from None
    values: dict[str, list[str]] = {}
    for record in raw.split(b"\0"):
        key, _, value = record.decode("utf-8", "surrogateescape").partition("\n")
        if key.startswith("small."):
            values.setdefault(key, []).append(value.strip())
    return values


def _include_env(env: Mapping[str, str], files: list[Path]) -> dict[str, str]:
    if not files:
        return {}
    raw = env.get("GIT_CONFIG_COUNT", "0") or "0"
    start = int(raw) if raw.isascii() and raw.isdigit() else 0
    out = {"GIT_CONFIG_COUNT": str(start + len(files))}
    for index, file in enumerate(files, start):
        out[f"GIT_CONFIG_KEY_{index}"] = "include.path"
        out[f"GIT_CONFIG_VALUE_{index}"] = str(file)
    return out


def _timeout(values: list[str]) -> float | None:
    if not values:
        return DEFAULT_TIMEOUT
    raw = values[-1].strip().lower()
    if raw in ("0", "none", "off"):
        return None
    try:
        seconds = float(raw.removesuffix("s"))
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        raise SmallError(
            f"the server's small.timeout {values[-1]!r} is not a number of seconds",
            rule=RULE_SERVER_POLICY,
            hint="git config small.timeout 4.5 (or 0 for no deadline)",
        )
    return seconds


def _resolve(repo: Path, value: str) -> Path:
    """A configured path: `~` is the server account's home; a relative path is below the git dir."""
    path = Path(value).expanduser()
    if path.is_absolute():
        return path
    return Path(git.run_git(["rev-parse", "--absolute-git-dir"], repo).strip()) / path


def _log_path(repo: Path, values: list[str]) -> Path | None:
    if values and values[-1].lower() in ("none", "off", ""):
        return None
    return _resolve(repo, values[-1] if values else DEFAULT_LOG)
