"""Real servers for the pre-receive tests: bare repositories with the gate installed, reached over file://,
over the git protocol (`git daemon --enable=receive-pack`) and over smart HTTP (`git http-backend` behind
lighttpd with Basic auth, so REMOTE_USER is the pusher). Servers listen on free loopback ports and stop when
the test ends; where lighttpd is missing, the HTTP tests skip and say why.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from small_git.integration.server import layouts

from .cli import Result, run
from .prebuilt import copy_into
from .repo import Repo
from .workspace import FIRST_ENTRY, WORKSPACE_FILES, entry

AGENT = ("Claude", "noreply@anthropic.com")  # a built-in agent identity (spec §6.3)
HUMAN_ACCOUNT, AGENT_ACCOUNT = "alice", "agent-bot"
PASSWORDS = {HUMAN_ACCOUNT: "alice-secret", AGENT_ACCOUNT: "bot-secret"}
HTTP_BACKEND = Path("/usr/lib/git-core/git-http-backend")
INTENT = ".small/intent.small.yml"
PROGRESS = ".small/progress.small.yml"


def lighttpd_binary() -> str | None:
    return shutil.which("lighttpd") or next(
        (str(p) for p in (Path("/usr/sbin/lighttpd"), Path("/usr/local/sbin/lighttpd")) if p.is_file()), None
    )


def http_backend() -> Path | None:
    if HTTP_BACKEND.is_file():
        return HTTP_BACKEND
    exec_path = run(Path.cwd(), "git", "--exec-path").stdout.strip()
    candidate = Path(exec_path) / "git-http-backend"
    return candidate if candidate.is_file() else None


def require_web_server() -> tuple[str, Path]:
    server, backend = lighttpd_binary(), http_backend()
    if server is None:
        pytest.skip("lighttpd is not installed (apt-get install -y lighttpd; .ci/run installs it when it can)")
    if backend is None:
        pytest.skip("git-http-backend is not part of this git installation")
    return server, backend


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited with {process.returncode}:\n{_tail(log)}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.05)
    raise AssertionError(f"the server did not listen on 127.0.0.1:{port} within 20 s:\n{_tail(log)}")


def _tail(path: Path) -> str:
    try:
        return path.read_text(errors="replace")[-4000:]
    except OSError:
        return "(no log)"


@contextlib.contextmanager
def running(command: list[str], port: int, log: Path, env: Mapping[str, str]) -> Iterator[None]:
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=dict(env))
    try:
        wait_for_port(port, process, log)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def git_daemon(base: Path, extra_env: Mapping[str, str] | None = None) -> Iterator[str]:
    """`git daemon` serving every repository below `base`, pushes allowed; yields the URL prefix."""
    port = free_port()
    command = [
        "git",
        "daemon",
        "--reuseaddr",
        "--listen=127.0.0.1",
        f"--port={port}",
        f"--base-path={base}",
        "--export-all",
        "--enable=receive-pack",
        "--informative-errors",
        str(base),
    ]
    with running(command, port, base.parent / f"daemon-{port}.log", {**os.environ, **(extra_env or {})}):
        yield f"git://127.0.0.1:{port}"


@contextlib.contextmanager
def web_server(base: Path) -> Iterator[str]:
    """lighttpd running git http-backend for every repository below `base`, Basic auth for two accounts
    (one human, one agent); yields the URL prefix without credentials."""
    server, backend = require_web_server()
    port = free_port()
    state = base.parent / f"lighttpd-{port}"
    state.mkdir()
    users = state / "users"
    users.write_text("".join(f"{name}:{password}\n" for name, password in PASSWORDS.items()))
    env = dict(os.environ)
    setenv = {
        "GIT_PROJECT_ROOT": str(base),
        "GIT_HTTP_EXPORT_ALL": "1",
        "PATH": env["PATH"],
        "HOME": env["HOME"],
        "GIT_CONFIG_NOSYSTEM": "1",
        "LC_ALL": "C",
    }
    environment = ",\n".join(f'    "{key}" => "{value}"' for key, value in setenv.items())
    config = state / "lighttpd.conf"
    config.write_text(
        f"""server.modules = ("mod_alias", "mod_auth", "mod_authn_file", "mod_cgi", "mod_setenv")
server.document-root = "{state}"
server.bind = "127.0.0.1"
server.port = {port}
server.errorlog = "{state}/error.log"
alias.url = ("/git" => "{backend}")
auth.backend = "plain"
auth.backend.plain.userfile = "{users}"
$HTTP["url"] =~ "^/git" {{
  cgi.assign = ("" => "")
  setenv.add-environment = (
{environment}
  )
  auth.require = ("" => ("method" => "basic", "realm" => "git", "require" => "valid-user"))
}}
"""
    )
    check = run(state, server, "-tt", "-f", config)
    if check.returncode != 0:
        raise AssertionError(f"lighttpd refused its configuration:\n{check.stdout}{check.stderr}")
    with running([server, "-D", "-f", str(config)], port, state / "error.log", env):
        yield f"http://127.0.0.1:{port}/git"


def with_account(url: str, account: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{account}:{PASSWORDS[account]}@{rest}"


# --- server repositories ------------------------------------------------------------------------------------


@dataclass
class Server:
    """A bare repository holding the seeded workspace, with the gate installed."""

    path: Path

    def git(self, *args: str, check: bool = True) -> str:
        proc = run(self.path, "git", *args)
        if check and proc.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed:\n{proc.stderr}")
        return proc.stdout.strip()

    def config(self, key: str, *values: str) -> None:
        self.git("config", "--unset-all", key, check=False)
        for value in values:
            self.git("config", "--add", key, value)

    def ref(self, name: str) -> str | None:
        out = self.git("rev-parse", "-q", "--verify", name, check=False)
        return out or None


def seeded_server(
    tmp_path: Path, name: str = "server.git", object_format: str = "sha1", install: bool = True
) -> tuple[Server, Repo]:
    """A bare repository seeded from a fresh client (whose first commit is a valid workspace), the gate
    installed; returns it and that client (with the server as `origin`). Built once per run and copied
    (support.prebuilt)."""
    key = f"seeded-server-{name}-{object_format}-{'installed' if install else 'not-installed'}"
    copy_into(key, lambda folder: _seed_server(folder, name, object_format, install), tmp_path)
    return Server(tmp_path / "srv" / name), Repo(tmp_path / f"{name}-seed")


def _seed_server(tmp_path: Path, name: str, object_format: str, install: bool) -> None:
    client = Repo(tmp_path / f"{name}-seed")
    client.path.mkdir(parents=True)
    client.git("init", "-q", "-b", "main", f"--object-format={object_format}")
    client.write("src/app.py", "print('hi')\n")
    client.write_workspace()
    client.commit("seed")
    base = tmp_path / "srv"
    base.mkdir(exist_ok=True)
    bare = base / name
    client.git("init", "-q", "--bare", f"--object-format={object_format}", str(bare))
    client.git("remote", "add", "origin", str(bare))
    client.git("push", "-q", "origin", "main")
    client.git("fetch", "-q", "origin")
    server = Server(bare)
    # Tests assert behaviour, not speed: a deadline far away (the busy test machine is no GHES appliance);
    # tests/test_server_receive.py sets short ones on purpose.
    server.config("small.timeout", "300")
    if install:  # in this process: what `git small install --dir <bare>` does, without starting one more
        layouts.install_gate(layouts.LAYOUTS["plain"], bare, None)


def as_agent() -> dict[str, str]:
    return {
        "GIT_AUTHOR_NAME": AGENT[0],
        "GIT_AUTHOR_EMAIL": AGENT[1],
        "GIT_COMMITTER_NAME": AGENT[0],
        "GIT_COMMITTER_EMAIL": AGENT[1],
    }


def intent_text(what: str) -> str:
    return WORKSPACE_FILES["intent"].replace('intent: "Ship the parser"', f'intent: "{what}"')


def append(client: Repo, second: int, message: str | None = None, **extra: str) -> str:
    client.append_progress(entry("task-2", second, **extra))
    client.commit(message or f"progress at second {second}")
    return client.head()


def push(client: Repo, remote: str, *refspecs: str, env: Mapping[str, str] | None = None) -> Result:
    """`git push` (nothing installed in the client: an agent skips local hooks anyway)."""
    return client.git("push", "--porcelain", remote, *refspecs, check=False, env=env)


def remote_lines(proc: Result) -> str:
    """What the hook said, as the pusher sees it (git prefixes each line with `remote: `)."""
    return "\n".join(line.rstrip() for line in (proc.stdout + proc.stderr).splitlines() if line.startswith("remote:"))


# --- the updates of the engine issue, as pushes ---------------------------------------------------------------


@dataclass
class Stage:
    """A client clone of the server, reset to the seed commit before each scenario builds its commits."""

    client: Repo
    seed: str
    server: Server
    remote: str = "origin"
    colleagues: int = 0

    def fresh(self) -> None:
        self.client.git("checkout", "-q", "--detach", self.seed)
        self.client.git("reset", "-q", "--hard", self.seed)

    def setup_push(self, *refspecs: str) -> None:
        proc = push(self.client, self.remote, *refspecs)
        assert proc.returncode == 0, f"setup push {refspecs} refused:\n{proc.stdout}{proc.stderr}"

    def predating_the_gate(self, commit: str, ref: str) -> None:
        """Put `commit` on the server at `ref` the way history that predates the gate got there: the server
        fetches it itself (no pre-receive runs)."""
        self.server.git("fetch", "-q", str(self.client.path), f"{commit}:{ref}")

    def colleague(self) -> Repo:
        """Another clone of the server, made now: what it pushes, the client has not fetched."""
        self.colleagues += 1
        url = self.client.git("remote", "get-url", self.remote).stdout.strip()
        other = Repo(self.client.path.parent / f"colleague-{self.colleagues}")
        self.client.run("git", "clone", "-q", url, str(other.path))
        return other


def rewrite_entry(repo: Repo, message: str = "rewrite the first entry") -> None:
    text = repo.read(PROGRESS).replace("Created the .small directory", "quietly rewritten")
    repo.write(PROGRESS, text)
    repo.commit(message)


def agent_commit(repo: Repo, message: str) -> None:
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", message, env=as_agent())


def _rewrite(stage: Stage, ref: str) -> list[str]:
    stage.fresh()
    rewrite_entry(stage.client)
    return [f"HEAD:{ref}"]


def _force_replace(stage: Stage, ref: str) -> list[str]:
    stage.fresh()
    append(stage.client, 2)
    stage.setup_push(f"HEAD:{ref}")
    stage.fresh()
    append(stage.client, 2, evidence="a different step 2")
    return [f"+HEAD:{ref}"]


def _rewind(stage: Stage, ref: str) -> list[str]:
    stage.fresh()
    append(stage.client, 2)
    append(stage.client, 3)
    stage.setup_push(f"HEAD:{ref}")
    stage.client.git("reset", "-q", "--hard", "HEAD~1")
    return [f"+HEAD:{ref}"]


def _unfetched(stage: Stage, ref: str) -> list[str]:
    stage.fresh()
    stage.setup_push(f"HEAD:{ref}")
    other = stage.colleague()
    other.git("checkout", "-q", "-b", "work", f"origin/{ref.removeprefix('refs/heads/')}")
    append(other, 2, evidence="the colleague's step")
    assert push(other, "origin", f"HEAD:{ref}").returncode == 0
    stage.fresh()  # the client never fetches the colleague's entry
    append(stage.client, 3)
    return [f"+HEAD:{ref}"]


def _agent_intent(stage: Stage, ref: str) -> list[str]:
    stage.fresh()
    stage.client.write(INTENT, intent_text("Ship whatever the agent likes"))
    agent_commit(stage.client, "widen the intent")
    return [f"HEAD:{ref}"]


POLICY_LOOKING_FILES = {
    ".gitconfig": "[small]\n\thumanLevel = identity\n\thuman = agent-bot\n\tjudgeRef = refs/none/*\n",
    ".small/config": "[small]\n\thumanLevel = identity\n",
    ".small/policy.small.yml": 'humanLevel: "identity"\nhumans: ["agent-bot"]\n',
    ".small-git.toml": 'human_level = "identity"\n',
    "allowed_signers": 'agent-bot namespaces="git" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAgent\n',
    ".mailmap": "Ada Human <ada@example.com> Claude <noreply@anthropic.com>\n",
    ".gitattributes": ".small/* -diff merge=ours\n",
    ".github/CODEOWNERS": "* @agent-bot\n",
}


def _policy_files(stage: Stage, ref: str) -> list[str]:
    stage.fresh()
    for path, text in POLICY_LOOKING_FILES.items():
        stage.client.write(path, text)
    agent_commit(stage.client, "tune the project's policy")
    stage.client.write(INTENT, intent_text("Ship whatever the agent likes"))
    agent_commit(stage.client, "widen the intent")
    return [f"HEAD:{ref}"]


def _new_ref_at_a_commit_citing_outside_its_history(stage: Stage, ref: str) -> list[str]:
    """A new branch at an old commit whose log cites a commit that is not in its history: no commit is new,
    yet the tip-level check runs on every workspace at the new tip."""
    stage.fresh()
    stage.client.write("src/side.py", "print('side')\n")
    stage.client.commit("work on a side branch")
    side = stage.client.head()
    stage.setup_push(f"HEAD:{ref}-side")  # the server has the cited commit, just not in that history
    stage.fresh()
    append(stage.client, 2, commit=side[:12])  # cites the side commit, which this history never contains
    stage.predating_the_gate(stage.client.head(), f"{ref}-legacy")
    return [f"HEAD:{ref}"]


def _agent_merge_reverting_a_human_change(stage: Stage, ref: str) -> list[str]:
    """An agent merges main (where a human changed the intent) with `-s ours`: the merge puts the old intent
    back, a change to a human-owned file made by an agent."""
    stage.fresh()
    stage.client.write(INTENT, intent_text("Ship the parser, then the printer"))
    stage.client.commit("a human sharpens the intent")
    stage.setup_push(f"HEAD:{ref}")
    human = stage.client.head()
    stage.fresh()
    stage.client.write("src/agent.py", "print('agent')\n")
    agent_commit(stage.client, "agent code")
    stage.client.git("merge", "--no-edit", "-s", "ours", human, env=as_agent())
    return [f"HEAD:{ref}"]


def _tag_of_a_rewrite(stage: Stage, ref: str) -> list[str]:
    stage.fresh()
    rewrite_entry(stage.client)
    stage.client.git("tag", "-f", "-a", "-m", "release", "bad-release")
    return [f"refs/tags/bad-release:{ref}"]


def _delete(stage: Stage, ref: str) -> list[str]:
    return [f":{ref}"]


def _append(stage: Stage, ref: str) -> list[str]:
    stage.fresh()
    append(stage.client, 2)
    append(stage.client, 3)
    return [f"HEAD:{ref}"]


def _merge_of_appending_branches(stage: Stage, ref: str) -> list[str]:
    stage.fresh()
    mine = append(stage.client, 2)
    stage.setup_push(f"HEAD:{ref}")
    stage.fresh()
    theirs = append(stage.client, 3)
    stage.client.git("checkout", "-q", "--detach", mine)
    stage.client.git("merge", "--no-edit", "--no-commit", theirs, check=False)  # both appended: a conflict
    stage.client.write_progress([FIRST_ENTRY, entry("task-2", 2), entry("task-2", 3)])
    stage.client.commit("merge the two logs")
    return [f"HEAD:{ref}"]


def _squash_merge(stage: Stage, ref: str) -> list[str]:
    stage.fresh()
    theirs = append(stage.client, 3)
    stage.fresh()
    append(stage.client, 2)
    stage.setup_push(f"HEAD:{ref}")
    stage.client.git("merge", "--squash", theirs, check=False)
    stage.client.write_progress([FIRST_ENTRY, entry("task-2", 2), entry("task-2", 3)])
    stage.client.commit("squash the side branch")
    return [f"HEAD:{ref}"]


def _revert_code(stage: Stage, ref: str) -> list[str]:
    stage.fresh()
    stage.client.write("src/app.py", "print('changed')\n")
    stage.client.commit("change the code")
    stage.setup_push(f"HEAD:{ref}")
    stage.client.git("revert", "--no-edit", "HEAD")
    return [f"HEAD:{ref}"]


def _rebase_code(stage: Stage, ref: str) -> list[str]:
    stage.fresh()
    upstream = append(stage.client, 2)
    stage.setup_push(f"HEAD:{ref}")
    stage.fresh()
    stage.client.write("src/app.py", "print('one')\n")
    stage.client.commit("code one")
    stage.client.write("src/other.py", "print('two')\n")
    stage.client.commit("code two")
    stage.client.git("rebase", "-q", upstream)
    return [f"HEAD:{ref}"]


def _agent_merges_main(stage: Stage, ref: str) -> list[str]:
    stage.fresh()
    stage.client.write(INTENT, intent_text("Ship the parser, then the printer"))
    stage.client.commit("a human sharpens the intent")
    human = stage.client.head()
    stage.setup_push(f"HEAD:{ref}-main")
    stage.fresh()
    stage.client.write("src/agent.py", "print('agent')\n")
    agent_commit(stage.client, "agent code")
    stage.setup_push(f"HEAD:{ref}")
    stage.client.git("merge", "--no-edit", human, env=as_agent())
    return [f"HEAD:{ref}"]


def _human_intent(stage: Stage, ref: str) -> list[str]:
    stage.fresh()
    stage.client.write(INTENT, intent_text("Ship the parser, then the printer"))
    stage.client.commit("a human sharpens the intent")
    return [f"HEAD:{ref}"]


def _tags_and_notes(stage: Stage, ref: str) -> list[str]:
    stage.fresh()
    stage.client.git("tag", "-f", "-a", "-m", "first release", "v1")
    stage.client.git("notes", "add", "-f", "-m", "reviewed", "HEAD")
    return [f"refs/tags/v1:{ref}", "refs/notes/commits:refs/notes/commits"]


@dataclass(frozen=True)
class Scenario:
    name: str
    ref: str
    build: Callable[[Stage, str], list[str]]
    rules: tuple[str, ...] = ()  # what the refusal names; empty: the push is accepted


REFUSED = (
    Scenario("rewrite", "refs/heads/s-rewrite", _rewrite, ("progress-rewrite",)),
    Scenario("force-replace", "refs/heads/s-force", _force_replace, ("progress-force-push-lost-entry",)),
    Scenario("rewind", "refs/heads/s-rewind", _rewind, ("progress-force-push-lost-entry",)),
    Scenario("unfetched", "refs/heads/s-unfetched", _unfetched, ("progress-force-push-lost-entry",)),
    Scenario("agent-intent", "refs/heads/s-agent-intent", _agent_intent, ("human-file-agent-change",)),
    Scenario("policy-files", "refs/heads/s-policy", _policy_files, ("human-file-agent-change",)),
    Scenario(
        "new-ref-citing-outside",
        "refs/heads/s-release",
        _new_ref_at_a_commit_citing_outside_its_history,
        ("evidence-commit-not-ancestor",),
    ),
    Scenario(
        "agent-merge-reverts-human",
        "refs/heads/s-human-main",
        _agent_merge_reverting_a_human_change,
        ("human-file-agent-change",),
    ),
    Scenario("tag", "refs/tags/s-bad-release", _tag_of_a_rewrite, ("progress-rewrite",)),
    Scenario("other-ref", "refs/custom/s-rewrite", _rewrite, ("progress-rewrite",)),
    Scenario("delete-protected", "refs/heads/main", _delete, ("protected-ref-deleted",)),
)
ACCEPTED = (
    Scenario("append", "refs/heads/a-append", _append),
    Scenario("merge", "refs/heads/a-merge", _merge_of_appending_branches),
    Scenario("squash", "refs/heads/a-squash", _squash_merge),
    Scenario("revert", "refs/heads/a-revert", _revert_code),
    Scenario("rebase", "refs/heads/a-rebase", _rebase_code),
    Scenario("agent-merges-main", "refs/heads/a-agent", _agent_merges_main),
    Scenario("human-intent", "refs/heads/a-human-intent", _human_intent),
    Scenario("tag-and-notes", "refs/tags/a-v1", _tags_and_notes),
    Scenario("delete-unprotected", "refs/heads/a-delete-me", _delete),
)
PROTECTED = ("refs/heads/main",)


def prepare_server(server: Server) -> None:
    """The policy every scenario is judged by: identity level, main protected; refs to delete exist."""
    server.config("small.protectedRef", *PROTECTED)
    seed = server.git("rev-parse", "refs/heads/main")
    server.git("update-ref", "refs/heads/a-delete-me", seed)


def refusal_blocks(output: str) -> dict[str, str]:
    """The pusher's view of a refusal, split into one text per refused ref."""
    blocks: dict[str, str] = {}
    current: str | None = None
    for line in output.splitlines():
        text = line.removeprefix("remote:").strip().removeprefix("GL-HOOK-ERR:").strip()
        if text.startswith("small-git: refs/"):
            current = text.removeprefix("small-git: ").split(":", 1)[0]
            blocks[current] = text + "\n"
        elif text.startswith("small-git:"):
            current = None
        elif current is not None:
            blocks[current] += text + "\n"
    return blocks
