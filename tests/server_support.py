"""Real servers for the pre-receive tests: bare repositories with the gate installed, reached over file://,
over the git protocol (`git daemon --enable=receive-pack`) and over smart HTTP (`git http-backend` behind
lighttpd with Basic auth, so REMOTE_USER is the pusher). Servers listen on free loopback ports and stop when
the test ends; where lighttpd is missing, the HTTP tests skip and say why.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from gitrepo import VENV_BIN, Repo, clean_env, entry

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
    exec_path = subprocess.run(["git", "--exec-path"], capture_output=True, text=True, check=False).stdout.strip()
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
def git_daemon(base: Path, home: Path, extra_env: Mapping[str, str] | None = None) -> Iterator[str]:
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
    with running(command, port, base.parent / f"daemon-{port}.log", clean_env(home, extra_env)):
        yield f"git://127.0.0.1:{port}"


@contextlib.contextmanager
def web_server(base: Path, home: Path) -> Iterator[str]:
    """lighttpd running git http-backend for every repository below `base`, Basic auth for two accounts
    (one human, one agent); yields the URL prefix without credentials."""
    server, backend = require_web_server()
    port = free_port()
    state = base.parent / f"lighttpd-{port}"
    state.mkdir()
    users = state / "users"
    users.write_text("".join(f"{name}:{password}\n" for name, password in PASSWORDS.items()))
    env = clean_env(home)
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
    check = subprocess.run([server, "-tt", "-f", str(config)], capture_output=True, text=True, check=False)
    if check.returncode != 0:
        raise AssertionError(f"lighttpd refused its configuration:\n{check.stdout}{check.stderr}")
    with running([server, "-D", "-f", str(config)], port, state / "error.log", env):
        yield f"http://127.0.0.1:{port}/git"


def with_account(url: str, account: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{account}:{PASSWORDS[account]}@{rest}"


# --- server repositories ------------------------------------------------------------------------------------


def install_gate(bare: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [str(VENV_BIN / "git-small"), "install", "--dir", str(bare), *args],
        capture_output=True,
        text=True,
        env=clean_env(home),
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


@dataclass
class Server:
    """A bare repository holding the seeded workspace, with the gate installed."""

    path: Path
    home: Path

    def git(self, *args: str, check: bool = True) -> str:
        proc = subprocess.run(
            ["git", *args], cwd=self.path, capture_output=True, text=True, env=clean_env(self.home), check=False
        )
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
    installed; returns it and that client (with the server as `origin`)."""
    client = Repo(tmp_path / f"{name}-seed", tmp_path / "home")
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
    server = Server(bare, client.home)
    if install:
        install_gate(bare, client.home)
    return server, client


def as_agent() -> dict[str, str]:
    return {
        "GIT_AUTHOR_NAME": AGENT[0],
        "GIT_AUTHOR_EMAIL": AGENT[1],
        "GIT_COMMITTER_NAME": AGENT[0],
        "GIT_COMMITTER_EMAIL": AGENT[1],
    }


def intent_text(what: str) -> str:
    return f"""small_version: "1.0.0"
owner: "human"
intent: "{what}"
scope:
  include:
    - "src/"
  exclude: []
success_criteria:
  - "The parser parses"
"""


def append(client: Repo, second: int, message: str | None = None, **extra: str) -> str:
    client.append_progress(entry("task-2", second, **extra))
    client.commit(message or f"progress at second {second}")
    return client.head()


def push(
    client: Repo, remote: str, *refspecs: str, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`git push` (nothing installed in the client: an agent skips local hooks anyway)."""
    return client.git("push", "--porcelain", remote, *refspecs, check=False, env=env)


def remote_lines(proc: subprocess.CompletedProcess[str]) -> str:
    """What the hook said, as the pusher sees it (git prefixes each line with `remote: `)."""
    return "\n".join(line for line in (proc.stdout + proc.stderr).splitlines() if line.startswith("remote:"))
