"""Time `git log -p -- .small/` with and without small-git's textconv diff driver, side by side.

    python bench/textconv_log.py                  # 200 commits, 3 runs per row
    python bench/textconv_log.py --commits 500 --repeat 5

The repository is made with `git fast-import`: a workspace whose every commit appends one progress entry,
and every tenth also moves a plan task and regenerates the handoff (what an agent's commits look like). The
diff driver is registered as `git small install` registers it (`diff.small.textconv`, `cachetextconv`).

Rows: `--no-textconv` (the baseline), textconv with an empty cache (the first `git log -p` after a fetch:
one conversion per blob), textconv with the cache filled (every later run), `git small textconv-cache` (one
process renders every blob into the cache) followed by `git log -p`, and textconv without the cache (git
before `cachetextconv`), and the last two again with `cat` as the driver: git starts one process per blob it
converts, and `cat` is what that costs with no rendering at all (the floor of any external driver). The ratio
is each row's median over the baseline's.

Then the normal flow, each against `--no-textconv` in the same clone: a fresh `git clone` and `git small
install` (which fills the cache), then `git log -p`; and in that clone `--hook-commits` more commits made
with `git commit` (the post-commit hook renders each one's new versions), then `git log -p`. The install's
own time and a commit's time with the hooks are printed beside them. Benchmarks are not tests: nothing here
asserts.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from workspace import FILES  # noqa: E402

CACHE_REF = "refs/notes/textconv/small"


def entry(i: int) -> str:
    stamp = f"2025-02-{1 + i // 86400:02d}T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}.000000000Z"
    return (
        f'  - task_id: "task-{1 + i // 10}"\n    timestamp: "{stamp}"\n    status: "in_progress"\n'
        f'    evidence: "Step {i}: ran the unit tests and they passed"\n    commit: "{i:012x}"\n'
        '    replayId: "46311ca6450b7e168171e919f8a39de8f980ca0c98870f0e35f2bcc608fe32a0"\n'
    )


def plan(done: int) -> str:
    tasks = "".join(
        f'  - id: "task-{n}"\n    title: "Task {n}"\n    status: "{"completed" if n <= done else "pending"}"\n'
        for n in range(1, 2 + done)
    )
    return 'small_version: "1.0.0"\nowner: "agent"\ntasks:\n' + tasks


def fast_import_stream(commits: int) -> bytes:
    out: list[bytes] = []

    def blob(path: str, text: str) -> None:
        data = text.encode()
        out.append(f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n")

    log = 'small_version: "1.0.0"\nowner: "agent"\nentries:\n'
    for i in range(commits):
        message = f"step {i}".encode()
        out.append(f"commit refs/heads/main\ncommitter Ada <ada@example.com> {1_700_000_000 + i} +0000\n".encode())
        out.append(f"data {len(message)}\n".encode() + message + b"\n")
        if i == 0:
            for kind in ("intent", "constraints", "workspace", "handoff"):
                blob(f".small/{kind}.small.yml", FILES[kind])
            blob("src/app.py", "print('hi')\n")
        log += entry(i)
        blob(".small/progress.small.yml", log)
        if i % 10 == 0:
            blob(".small/plan.small.yml", plan(i // 10))
            blob(".small/handoff.small.yml", FILES["handoff"].replace("Benchmark run.", f"After step {i}."))
    return b"".join(out)


def make_repo(root: Path, commits: int, driver: str) -> Path:
    repo = root / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    subprocess.run(["git", "fast-import", "--quiet"], cwd=repo, input=fast_import_stream(commits), check=True)
    subprocess.run(["git", "reset", "-q", "--hard", "main"], cwd=repo, check=True)
    for key, value in (("diff.small.textconv", driver), ("diff.small.cachetextconv", "true")):
        subprocess.run(["git", "config", key, value], cwd=repo, check=True)
    (repo / ".git" / "info" / "attributes").write_text("**/.small/*.small.yml diff=small\n")
    return repo


def timed(repo: Path, args: list[str], before: list[str] | None = None, program: str = "git") -> float:
    if before:
        subprocess.run(before, cwd=repo, check=False, capture_output=True)
    start = time.perf_counter()
    subprocess.run([program, *args], cwd=repo, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def clone_and_install(repo: Path, scratch: Path, git_small: str, number: int) -> tuple[Path, float]:
    """A fresh clone with small-git installed as a user installs it; returns it and the install's time."""
    clone = scratch / f"clone-{number}"
    subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)
    for key, value in (("user.name", "Ada"), ("user.email", "ada@example.com")):
        git(clone, "config", key, value)
    return clone, timed(clone, ["install"], program=git_small)


def hook_commits(clone: Path, count: int, hooks: bool = True) -> float:
    """`count` commits that append a progress entry, through the installed hooks (--no-verify skips only the
    gates, whose cost is not this benchmark's; post-commit still runs). Returns the mean seconds per commit."""
    progress = clone / ".small" / "progress.small.yml"
    start = time.perf_counter()
    for i in range(count):
        with progress.open("a", encoding="utf-8") as handle:
            handle.write(entry(100_000 + i))
        git(clone, "add", "-A")
        git(clone, *([] if hooks else ["-c", "core.hooksPath=/dev/null"]), "commit", "-q", "--no-verify", "-m", f"{i}")
    return (time.perf_counter() - start) / count


def normal_flow(repo: Path, scratch: Path, git_small: str, repeat: int, hook_count: int) -> None:
    log = ["log", "-p", "--", ".small/"]
    plain = ["log", "-p", "--no-textconv", "--", ".small/"]
    rows: dict[str, list[float]] = {}
    for number in range(repeat):
        clone, install = clone_and_install(repo, scratch, git_small, number)
        rows.setdefault("install (fills the cache)", []).append(install)
        rows.setdefault("clone + install: --no-textconv", []).append(timed(clone, plain))
        rows.setdefault("clone + install: git log -p", []).append(timed(clone, log))
        rows.setdefault(f"{hook_count} commits: one commit, hooks", []).append(hook_commits(clone, hook_count))
        rows.setdefault(f"{hook_count} commits: --no-textconv", []).append(timed(clone, plain))
        rows.setdefault(f"{hook_count} commits: git log -p", []).append(timed(clone, log))
        rows.setdefault("one commit, without the hooks", []).append(hook_commits(clone, hook_count, hooks=False))
        # commits made elsewhere, then `git fetch` (the reference-transaction hook renders what it brings)
        upstream = scratch / f"upstream-{number}"
        subprocess.run(["git", "clone", "-q", str(repo), str(upstream)], check=True)
        for key, value in (("user.name", "Ada"), ("user.email", "ada@example.com")):
            git(upstream, "config", key, value)
        hook_commits(upstream, hook_count, hooks=False)
        tracking = "refs/remotes/upstream/main"
        fetched = timed(clone, ["fetch", "-q", str(upstream), f"main:{tracking}"])
        rows.setdefault(f"git fetch of {hook_count} commits, hooks", []).append(fetched)
        rows.setdefault("after the fetch: --no-textconv", []).append(
            timed(clone, [*plain[:-2], tracking, "--", ".small/"])
        )
        rows.setdefault("after the fetch: git log -p", []).append(timed(clone, [*log[:-2], tracking, "--", ".small/"]))
        shutil.rmtree(clone)
        shutil.rmtree(upstream)
    medians = {label: statistics.median(values) for label, values in rows.items()}
    print(f"\n# the normal flow (a fresh clone each run), median of {repeat}")
    print(f"{'what':<42} {'seconds':>9} {'ratio':>8}")
    base = None
    for label, wall in medians.items():
        if label.endswith("--no-textconv"):
            base = wall
        ratio = f"{wall / base:>7.1f}x" if base and label.endswith("git log -p") else ""
        if label.startswith(("one commit", "git fetch")):
            ratio = ""
        print(f"{label:<42} {wall:>9.3f} {ratio:>8}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--commits", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--hook-commits", type=int, default=20, help="commits made through the hooks")
    parser.add_argument("--flow-only", action="store_true", help="only the normal flow's rows")
    parser.add_argument(
        "--driver",
        default=f"{sys.executable} -m small_git.commands.textconv",
        help="the textconv command (default: what git small install registers for this interpreter)",
    )
    args = parser.parse_args()
    log = ["log", "-p", "--", ".small/"]
    git_small = str(Path(sys.executable).parent / "git-small")
    drop_cache = ["git", "update-ref", "-d", CACHE_REF]
    with tempfile.TemporaryDirectory(prefix="small-bench-log-") as scratch:
        repo = make_repo(Path(scratch), args.commits, args.driver)
        env_note = f"{args.commits} commits, driver: {args.driver}"
        rows = [
            ("git log -p --no-textconv", lambda: timed(repo, ["log", "-p", "--no-textconv", "--", ".small/"])),
            ("textconv, empty cache", lambda: timed(repo, log, drop_cache)),
            ("textconv, cache filled", lambda: timed(repo, log)),
            (
                "textconv-cache, then git log -p",
                lambda: timed(repo, ["textconv-cache"], drop_cache, program=git_small) + timed(repo, log),
            ),
            (
                "textconv, no cache",
                lambda: timed(repo, ["-c", "diff.small.cachetextconv=false", *log]),
            ),
            # git's own floor: the same rows with `cat` as the driver, a conversion that does nothing
            ("driver `cat`, empty cache", lambda: timed(repo, ["-c", "diff.small.textconv=cat", *log], drop_cache)),
            (
                "driver `cat`, no cache",
                lambda: timed(repo, ["-c", "diff.small.textconv=cat", "-c", "diff.small.cachetextconv=false", *log]),
            ),
        ]
        print(f"# {env_note}, median of {args.repeat}")
        print(f"{'what':<34} {'seconds':>9} {'ratio':>8}")
        base = None
        for label, measure in rows if not args.flow_only else rows[:1]:
            runs = 1 if label == "textconv, no cache" else args.repeat
            if label == "textconv, cache filled":
                measure()  # fill the cache first
            wall = statistics.median(measure() for _ in range(runs))
            base = base or wall
            print(f"{label:<34} {wall:>9.3f} {wall / base:>7.1f}x")
        git(repo, "update-ref", "-d", CACHE_REF)  # the clones start without it (git clone copies no notes)
        normal_flow(repo, Path(scratch), git_small, args.repeat, args.hook_commits)
        if os.environ.get("SMALL_BENCH_KEEP"):
            print(f"kept: {shutil.copytree(repo, Path(os.environ['SMALL_BENCH_KEEP']))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
