"""The engine's targets (cost proportional to the change), side by side with the reference CLI in the same run.

    python bench/engine.py                       # every row
    python bench/engine.py --rows check10,cold   # some rows (names below)
    python bench/engine.py --large-mb 60         # size of the large-log row (0 skips it)

Rows (`name`: what is timed; the target is the one the engine is held to):
- `precommit`: `git small hook pre-commit` of one appended entry on a 100,000-entry log, against the
  reference's `check --strict` of that log (target: at most 0.05x);
- `audit`: `git small audit BASE..HEAD` of 300 commits, each appending one entry, on a 20,000-entry log,
  against the same on a 200-entry log (target: at most 1.5x);
- `push`: `git push` of 100 such commits onto a 100,000-entry log, through small-git's pre-push hook
  (target: at most 5 s);
- `cold`: `check --strict` of a 100,000-entry log, against the reference (target: at most 0.2x);
- `check10`: `check` of a 10-entry workspace, against the reference (target: at most 4x);
- `large`: `check --strict` of a log of about 60 MB of valid entries: time, peak RSS and RSS over file size
  (target: RSS well under 10x the file).

Each time is the median of `--repeat` runs (fewer for the slow rows); peak RSS is the largest resident size
of any process of the run (`wait4`). The reference is ../shared/reference/bin/small-ref, or $SMALL_REF; its
columns say why when it is absent. Ratios are small-git over the comparison: below 1 is faster. Benchmarks
are not tests: nothing here asserts.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from workspace import FILES, progress, write  # noqa: E402

DEFAULT_REF = HERE.parent.parent / "shared" / "reference" / "bin" / "small-ref"
HEADER = 'small_version: "1.0.0"\nowner: "agent"\nentries:\n'
ROWS = ("precommit", "audit", "push", "cold", "check10", "large")


@dataclass
class Sample:
    wall: float
    rss_mib: float
    code: int


@dataclass
class Row:
    workload: str
    small: Sample | None
    other: Sample | None  # the comparison: the reference, or small-git on a smaller input
    other_label: str
    target: str
    note: str = ""


def run_once(argv: list[str], cwd: Path, env: dict[str, str]) -> Sample:
    """Wall time, peak RSS (the largest process of the tree, in MiB) and exit code of one run."""
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        try:
            os.chdir(cwd)
            devnull = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(devnull, fd)
            os.execvpe(argv[0], argv, env)
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    return Sample(time.perf_counter() - start, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status))


def median(samples: list[Sample]) -> Sample:
    codes = sorted({s.code for s in samples})
    return Sample(statistics.median(s.wall for s in samples), max(s.rss_mib for s in samples), codes[-1])


def timed(
    argv: list[str], cwd: Path, env: dict[str, str], repeat: int, before: Callable[[], None] | None = None
) -> Sample:
    samples = []
    for _ in range(repeat):
        if before is not None:
            before()
        samples.append(run_once(argv, cwd, env))
    return median(samples)


def entry(index: int) -> str:
    """Entry `index` in the benchmark workspace's shape, without a cited commit (a commit the history has not)."""
    text = progress(1).split("entries:\n", 1)[1].replace("Step 0:", f"Step {index}:")
    stamp = (
        f"2025-01-{1 + index // 86400:02d}T{index // 3600 % 24:02d}:{index // 60 % 60:02d}:"
        f"{index % 60:02d}.{index % 1000:03d}000000Z"
    )
    text = re.sub(r'timestamp: "[^"]*"', f'timestamp: "{stamp}"', text)
    return "".join(line + "\n" for line in text.splitlines() if "commit:" not in line and "command:" not in line)


def entries_text(start: int, stop: int) -> str:
    return "".join(entry(i) for i in range(start, stop))


class Bench:
    def __init__(self, scratch: Path, small: str, reference: str | None, repeat: int) -> None:
        self.scratch = scratch
        self.small = small
        self.reference = reference
        self.repeat = repeat
        bindir = str(Path(small).parent)
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
            "PATH": bindir + os.pathsep + os.environ.get("PATH", ""),
            "HOME": str(scratch),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "Ada Human",
            "GIT_AUTHOR_EMAIL": "ada@example.com",
            "GIT_COMMITTER_NAME": "Ada Human",
            "GIT_COMMITTER_EMAIL": "ada@example.com",
            "SMALL_NO_UPDATE_CHECK": "1",
        }
        (scratch / ".gitconfig").write_text("[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n")

    def git(self, cwd: Path, *args: str, data: bytes | None = None) -> str:
        proc = subprocess.run(["git", *args], cwd=cwd, env=self.env, input=data, capture_output=True, check=False)
        if proc.returncode != 0:
            raise SystemExit(f"git {' '.join(args)} failed:\n{proc.stderr.decode(errors='replace')}")
        return proc.stdout.decode()

    def ref_sample(self, args: list[str], cwd: Path, repeat: int) -> Sample | None:
        if self.reference is None:
            return None
        return timed([self.reference, *args], cwd, self.env, repeat)

    def repo_with_log(self, name: str, entries: int, commits: int) -> tuple[Path, str]:
        """A repository whose first commit holds an `entries`-entry workspace and whose `commits` later commits
        each append one entry (made with git fast-import). Returns (repo, first commit)."""
        repo = self.scratch / name
        self.git(self.scratch, "init", "-q", str(repo))
        out: list[bytes] = []
        log = HEADER + entries_text(0, entries)

        def blob(path: str, text: str) -> None:
            data = text.encode()
            out.append(f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n")

        for number in range(commits + 1):
            message = f"step {number}".encode()
            out.append(f"commit refs/heads/main\nmark :{number + 1}\n".encode())
            out.append(f"committer Ada Human <ada@example.com> {1_700_000_000 + number} +0000\n".encode())
            out.append(f"data {len(message)}\n".encode() + message + b"\n")
            if number == 0:
                for kind, text in FILES.items():
                    blob(f".small/{kind}.small.yml", text)
                blob("src/app.py", "print('hi')\n")
            else:
                log += entry(entries + number - 1)
            blob(".small/progress.small.yml", log)
        self.git(repo, "fast-import", "--quiet", data=b"".join(out))
        self.git(repo, "reset", "-q", "--hard", "main")
        first = self.git(repo, "rev-list", "--max-parents=0", "main").split()[0]
        return repo, first

    # --- rows --------------------------------------------------------------------------------------------------

    def precommit(self) -> Row:
        repo, _ = self.repo_with_log("precommit", 100_000, 0)
        log = repo / ".small/progress.small.yml"
        base = log.read_bytes()

        def stage() -> None:
            log.write_bytes(base + entry(100_000).encode())
            self.git(repo, "add", ".small/progress.small.yml")

        small = timed([self.small, "hook", "pre-commit"], repo, self.env, self.repeat, stage)
        reference = self.ref_sample(["check", "--strict", "--dir", str(repo)], repo, max(1, self.repeat // 2))
        return Row("pre-commit, 1 append, 100k-entry log", small, reference, "ref check --strict", "<= 0.05x")

    def audit(self) -> Row:
        big, big_base = self.repo_with_log("audit20k", 20_000, 300)
        small_repo, small_base = self.repo_with_log("audit200", 200, 300)
        repeat = max(1, self.repeat // 2)
        large = timed([self.small, "audit", f"{big_base}..main"], big, self.env, repeat)
        little = timed([self.small, "audit", f"{small_base}..main"], small_repo, self.env, repeat)
        return Row("audit, 300 appends, 20k-entry log", large, little, "same, 200 entries", "<= 1.5x")

    def push(self) -> Row:
        client, _ = self.repo_with_log("push-client", 100_000, 0)
        server = self.scratch / "push-server.git"
        self.git(self.scratch, "init", "-q", "--bare", str(server))
        self.git(client, "remote", "add", "origin", str(server))
        self.git(client, "push", "-q", "origin", "main")
        self.git(client, "fetch", "-q", "origin")
        installed = subprocess.run(
            [self.small, "install", "--dir", str(client)], env=self.env, capture_output=True, check=False, cwd=client
        )
        if installed.returncode != 0:
            return Row("git push, 100 commits, 100k-entry log", None, None, "", "<= 5 s", "install failed")
        log = client / ".small/progress.small.yml"
        for index in range(100_000, 100_100):
            with log.open("a") as handle:
                handle.write(entry(index))
            self.git(client, "commit", "-q", "--no-verify", "-a", "-m", f"step {index}")
        sample = run_once(["git", "push", "-q", "origin", "main"], client, self.env)
        return Row("git push, 100 commits, 100k-entry log", sample, None, "(none: absolute)", "<= 5 s")

    def cold(self) -> Row:
        root = write(self.scratch / "cold", 100_000)
        repeat = max(1, self.repeat // 2)
        small = timed([self.small, "check", "--strict", "--dir", str(root)], root, self.env, repeat)
        reference = self.ref_sample(["check", "--strict", "--dir", str(root)], root, repeat)
        return Row("cold check --strict, 100k entries", small, reference, "ref check --strict", "<= 0.2x")

    def check10(self) -> Row:
        root = write(self.scratch / "ten", 10)
        repeat = self.repeat * 3
        small = timed([self.small, "check", "--dir", str(root)], root, self.env, repeat)
        reference = self.ref_sample(["check", "--dir", str(root)], root, repeat)
        return Row("check, 10-entry workspace", small, reference, "ref check", "<= 4x")

    def large(self, megabytes: int) -> Row:
        per_entry = len(progress(3)) // 3
        root = write(self.scratch / "large", megabytes * 1_000_000 // per_entry)
        size = (root / ".small/progress.small.yml").stat().st_size
        small = run_once([self.small, "check", "--strict", "--dir", str(root)], root, self.env)
        note = f"file {size / 1e6:.1f} MB; RSS/file {small.rss_mib * 1048576 / size:.1f}x"
        return Row(f"check --strict, {size / 1e6:.0f} MB log", small, None, "(none: absolute)", "RSS < 10x file", note)


def cell(sample: Sample | None, what: str) -> str:
    if sample is None:
        return "-"
    value = f"{sample.wall:.3f}" if what == "wall" else f"{sample.rss_mib:.0f}"
    return value + ("" if sample.code == 0 or what != "wall" else f" (exit {sample.code})")


def show(rows: list[Row], reference_note: str) -> None:
    headers = ("workload", "small-git s", "MiB", "compared with", "s", "MiB", "ratio", "target", "note")
    table = []
    for row in rows:
        ratio = f"{row.small.wall / row.other.wall:.3f}x" if row.small and row.other else "-"
        note = row.note or (reference_note if row.other is None and row.other_label.startswith("ref") else "")
        table.append(
            (
                row.workload,
                cell(row.small, "wall"),
                cell(row.small, "rss"),
                row.other_label,
                cell(row.other, "wall"),
                cell(row.other, "rss"),
                ratio,
                row.target,
                note,
            )
        )
    widths = [max(len(str(line[i])) for line in [headers, *table]) for i in range(len(headers))]
    for line in [headers, *table]:
        print("  ".join(str(value).ljust(width) for value, width in zip(line, widths, strict=True)).rstrip())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", default=",".join(ROWS), help=f"comma-separated, of: {', '.join(ROWS)}")
    parser.add_argument("--repeat", type=int, default=3, help="runs per fast row (slow rows run fewer)")
    parser.add_argument("--large-mb", type=int, default=60)
    parser.add_argument("--small", default=str(Path(sys.executable).parent / "git-small"))
    parser.add_argument("--reference", default=os.environ.get("SMALL_REF", str(DEFAULT_REF)))
    args = parser.parse_args()
    wanted = [name.strip() for name in args.rows.split(",") if name.strip()]
    unknown = [name for name in wanted if name not in ROWS]
    if unknown:
        parser.error(f"unknown rows: {', '.join(unknown)}")
    reference: str | None = args.reference
    reference_note = ""
    if not reference or not Path(reference).is_file() or not os.access(reference, os.X_OK):
        reference_note = f"reference skipped: {args.reference} is absent (set SMALL_REF)"
        reference = None
    rows = []
    with tempfile.TemporaryDirectory(prefix="small-bench-engine-") as scratch:
        bench = Bench(Path(scratch), args.small, reference, args.repeat)
        for name in wanted:
            if name == "large":
                if args.large_mb > 0:
                    rows.append(bench.large(args.large_mb))
                continue
            rows.append(getattr(bench, name)())
            print(f"# {name} done", file=sys.stderr, flush=True)
    if reference_note:
        print(f"# {reference_note}")
    show(rows, reference_note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
