"""Time small-git against the Go reference CLI's recorded timings (../shared/reference/timings.tsv).

    python bench/run.py                 # every size in the baseline
    python bench/run.py --sizes 10,1000 --repeat 5

Prints one row per (entries, command): small-git's median wall seconds and peak RSS next to the reference's,
and the ratio (reference / small-git; above 1 means small-git is faster). The workspace is the one the
baseline describes (bench/workspace.py). Benchmarks are not tests: nothing here asserts.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from workspace import write  # noqa: E402

DEFAULT_BASELINE = HERE.parent.parent / "shared" / "reference" / "timings.tsv"


def run_once(argv: list[str], cwd: Path) -> tuple[float, float, int]:
    """(wall seconds, peak RSS MiB, exit code) of one child process."""
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        os.chdir(cwd)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        os.execvp(argv[0], argv)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    return wall, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def load_baseline(path: Path) -> dict[tuple[int, str], tuple[float, float]]:
    rows = {}
    for line in path.read_text().splitlines()[1:]:
        cells = line.split("\t")
        if len(cells) >= 4:
            rows[(int(cells[0]), cells[1])] = (float(cells[2]), float(cells[3]))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", type=Path, default=Path(os.environ.get("SMALL_BENCH_BASELINE", DEFAULT_BASELINE)))
    parser.add_argument("--sizes", default="", help="comma-separated entry counts (default: the baseline's)")
    parser.add_argument("--repeat", type=int, default=0, help="runs per row (default: 7, 3 at 10k, 1 at 100k)")
    parser.add_argument("--small", default=shutil.which("small") or str(Path(sys.executable).parent / "small"))
    args = parser.parse_args()
    if not args.baseline.exists():
        print(f"baseline not found: {args.baseline} (set SMALL_BENCH_BASELINE)", file=sys.stderr)
        return 2
    baseline = load_baseline(args.baseline)
    sizes = sorted({n for n, _ in baseline}) if not args.sizes else [int(s) for s in args.sizes.split(",")]
    print(
        f"{'entries':>8}  {'command':<16} {'small-git s':>11} {'ref s':>8} {'ratio':>6}  "
        f"{'small-git MiB':>13} {'ref MiB':>8}"
    )
    with tempfile.TemporaryDirectory(prefix="small-bench-") as scratch:
        for size in sizes:
            root = write(Path(scratch) / f"ws{size}", size)
            repeat = args.repeat or (7 if size < 10_000 else 3 if size < 100_000 else 1)
            for command in [c for n, c in baseline if n == size]:
                samples = []
                for _ in range(1 if command == "progress add" else repeat):
                    argv = [args.small, *command.split(), "--dir", str(root)]
                    if command == "progress add":
                        argv += [
                            "--task",
                            "task-1",
                            "--status",
                            "in_progress",
                            "--evidence",
                            "benchmark step",
                            "--no-commit-evidence",
                        ]
                    samples.append(run_once(argv, root))
                wall = statistics.median(s[0] for s in samples)
                rss = max(s[1] for s in samples)
                codes = sorted({s[2] for s in samples})
                ref_wall, ref_rss = baseline[(size, command)]
                print(
                    f"{size:>8}  {command:<16} {wall:>11.4f} {ref_wall:>8.4f} {ref_wall / wall:>6.2f}  "
                    f"{rss:>13.1f} {ref_rss:>8.1f}" + ("" if codes == [0] else f"  exit {codes}")
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
