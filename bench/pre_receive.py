"""Time the pre-receive gate: a push of many commits, each appending one entry, onto a long progress log.

    python bench/pre_receive.py                      # 100 commits onto a 100,000-entry log
    python bench/pre_receive.py --entries 20000 --commits 300 --timeout 0
    python bench/pre_receive.py --warm               # after one accepted push (the server knows its tip)

A bare repository holds a workspace whose log has ENTRIES entries (history that predates the gate: the
server fetched it itself); the gate is installed with the default deadline (small.timeout, 4.5 s, which
fits GitHub Enterprise Server's 5 s) unless --timeout says otherwise. A client makes COMMITS commits, each
appending one entry, and pushes them over file://. Prints the push's wall time, the hook's own time (from the
server-side log) and the verdict: accepted, or refused because the deadline passed. Benchmarks are not tests:
nothing here asserts.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from workspace import entry_text, write  # noqa: E402


def git(cwd: Path, *args: str, env: dict[str, str]) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"git {' '.join(args)} failed:\n{proc.stderr}")
    return proc.stdout


def entry(index: int) -> str:
    """The log's entry number `index`, in the benchmark workspace's shape, without a cited commit (a push
    must cite commits its history has)."""
    return "".join(line + "\n" for line in entry_text(index).splitlines() if "commit:" not in line)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--commits", type=int, default=100)
    parser.add_argument("--warm", action="store_true", help="push one commit first (the server's steady state)")
    parser.add_argument("--timeout", default="", help="small.timeout for the server (default: the gate's own)")
    parser.add_argument("--small", default=shutil.which("git-small") or str(Path(sys.executable).parent / "git-small"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="small-bench-receive-") as scratch:
        root = Path(scratch)
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
            "HOME": str(root),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "Ada Human",
            "GIT_AUTHOR_EMAIL": "ada@example.com",
            "GIT_COMMITTER_NAME": "Ada Human",
            "GIT_COMMITTER_EMAIL": "ada@example.com",
        }
        client = write(root / "client", 0)
        log = client / ".small/progress.small.yml"
        log.write_text(
            'small_version: "1.0.0"\nowner: "agent"\nentries:\n' + "".join(entry(i) for i in range(args.entries))
        )
        git(client, "init", "-q", "-b", "main", env=env)
        git(client, "add", "-A", env=env)
        git(client, "commit", "-q", "-m", "seed", env=env)
        server = root / "server.git"
        git(root, "init", "-q", "--bare", str(server), env=env)
        git(server, "fetch", "-q", str(client), "main:refs/heads/main", env=env)  # predates the gate
        subprocess.run([args.small, "install", "--dir", str(server)], env=env, capture_output=True, check=True)
        if args.timeout:
            git(server, "config", "small.timeout", args.timeout, env=env)
        first = args.entries
        if args.warm:  # one accepted push first: the server then knows its tip's log (as after any push)
            with log.open("a") as handle:
                handle.write(entry(first))
            git(client, "commit", "-q", "-a", "-m", "warm-up", env=env)
            subprocess.run(["git", "push", "-q", str(server), "main"], cwd=client, env=env, capture_output=True)
            first += 1
        for index in range(first, first + args.commits):
            with log.open("a") as handle:
                handle.write(entry(index))
            git(client, "commit", "-q", "-a", "-m", f"step {index}", env=env)
        start = time.perf_counter()
        proc = subprocess.run(
            ["git", "push", str(server), "main"], cwd=client, env=env, capture_output=True, text=True, check=False
        )
        wall = time.perf_counter() - start
        said = [line.removeprefix("remote: ").rstrip() for line in proc.stderr.splitlines() if "small-git" in line]
        hook_log = (server / "small-git/pre-receive.log").read_text().splitlines()
        seconds = re.search(r"seconds=([0-9.]+)", hook_log[-1]) if hook_log else None
        timeout = args.timeout or "default"
        print(f"{'entries':>8} {'commits':>8} {'timeout':>8} {'push s':>7} {'hook s':>7}  verdict")
        summary = [line for line in said if line.startswith(("small-git: push refused", "small-git: accepted"))]
        verdict = summary[-1].removeprefix("small-git: ") if summary else proc.stderr[-200:]
        hook = seconds.group(1) if seconds else "-"
        print(f"{args.entries:>8} {args.commits:>8} {timeout:>8} {wall:>7.2f} {hook:>7}  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
