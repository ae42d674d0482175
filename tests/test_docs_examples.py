"""The documented sessions are true: every ```console block with `$ ` prompts in docs/walkthrough.md and README.md
is run, command by command, in a shell in a new folder (with the installed `small` and `git-small` first on
PATH, as a user who followed the README has them), and what each command prints is compared with what the
block shows.

How a block reads (docs/development.md says the same):
- `$ command` is run with bash; the lines after it, up to a blank line or the next `$ `, are what it prints
  (stdout and stderr, as a terminal shows them). A command shown without output must succeed; what it
  prints is then not compared. A line `...` stands for any number of lines.
- After a blank line, lines up to the next `$ ` are comments (`# ...`).
- A command exits 0 unless the output shown has a line starting with `error:`.
- Timestamps, commit ids, replayIds and the folder the session runs in differ from run to run; they are
  compared by shape.

The walkthrough is one session across all its blocks; each README block is a session of its own.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from support.cli import run
from support.paths import PROJECT, VENV_BIN

pytestmark = pytest.mark.slow  # each test takes seconds: they start first

DOC_FOLDER = "/tmp/catalogue"  # where the documented sessions say they run
ELLIPSIS = "..."
_FENCE = re.compile(r"^```console\n(.*?)^```", re.MULTILINE | re.DOTALL)
_SHAPES = (
    (re.compile(r"\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z"), "<time>"),
    (re.compile(r"\bapply\.\d{8}T\d{6}\.\d+Z(?:-\d+)?\.log"), "apply.<time>.log"),
    (re.compile(r"\b[0-9a-f]{64}\b"), "<replay-id>"),
    (re.compile(r"\b[0-9a-f]{16}\.\.\."), "<replay-id>..."),
    (re.compile(r"\b[0-9a-f]{12}\b"), "<commit>"),
)


@dataclass
class Step:
    command: str
    shown: list[str] = field(default_factory=list)
    line: int = 0  # in the doc

    @property
    def fails(self) -> bool:
        return any(s.startswith("error:") for s in self.shown)


def blocks(doc: Path) -> list[list[Step]]:
    """The doc's sessions blocks, as steps."""
    text = doc.read_text(encoding="utf-8")
    found = []
    for match in _FENCE.finditer(text):
        first_line = text[: match.start(1)].count("\n") + 1
        lines = match.group(1).splitlines()
        if not any(line.startswith("$ ") for line in lines):
            continue
        steps: list[Step] = []
        commentary = True  # before the first command, only comments
        for offset, line in enumerate(lines):
            if line.startswith("$ "):
                steps.append(Step(line[2:], line=first_line + offset))
                commentary = False
            elif not line.strip():
                commentary = True
            elif commentary:
                assert line.startswith("#"), f"{doc.name}:{first_line + offset}: not a command, output or comment"
            else:
                steps[-1].shown.append(line)
        found.append(steps)
    return found


def shape(text: str, folder: Path) -> str:
    text = text.replace(str(folder), DOC_FOLDER)
    for pattern, replacement in _SHAPES:
        text = pattern.sub(replacement, text)
    return text.rstrip()


def matches(shown: list[str], printed: list[str]) -> bool:
    """Whether the lines printed are the lines shown, `...` standing for any number of lines."""
    if not shown:
        return not printed
    if shown[0].strip() == ELLIPSIS:
        return any(matches(shown[1:], printed[start:]) for start in range(len(printed) + 1))
    return bool(printed) and shown[0] == printed[0] and matches(shown[1:], printed[1:])


def run_session(doc: Path, steps: list[Step], folder: Path) -> None:
    folder.mkdir()
    for step in steps:
        # one shell per command, stderr into stdout in the order written, as a terminal shows them
        done = run(folder, "bash", "-c", f"exec 2>&1\n{step.command}")
        printed = shape(done.stdout, folder)
        where = f"{doc.relative_to(PROJECT)}:{step.line}: $ {step.command}"
        if step.fails:
            assert done.returncode != 0, f"{where}\nthe doc shows an error; it succeeded:\n{printed}"
        else:
            assert done.returncode == 0, f"{where}\nexited {done.returncode}:\n{printed}"
        if step.shown:
            expected = [shape(line, folder) for line in step.shown]
            assert matches(expected, printed.splitlines()), (
                f"{where}\nthe doc shows:\n" + "\n".join(expected) + "\nit prints:\n" + printed
            )


WALKTHROUGH = PROJECT / "docs" / "walkthrough.md"
README = PROJECT / "README.md"


def test_the_walkthrough_is_one_true_session(tmp_path: Path) -> None:
    steps = [step for block in blocks(WALKTHROUGH) for step in block]
    assert len(steps) > 20
    run_session(WALKTHROUGH, steps, tmp_path / "catalogue")


@pytest.mark.parametrize("index", range(len(blocks(README))))
def test_each_readme_session_is_true(tmp_path: Path, index: int) -> None:
    # as a user who put .venv/bin first on PATH: its python3 is the one `python3` names in the examples
    assert os.environ["PATH"].split(os.pathsep)[0] == str(VENV_BIN)
    run_session(README, blocks(README)[index], tmp_path / "catalogue")


def test_the_readme_has_the_sessions_this_test_runs() -> None:
    sessions = blocks(README)
    assert len(sessions) == 2
    assert any("apply" in step.command for session in sessions for step in session)


def test_the_matcher() -> None:
    assert matches(["a", "...", "d"], ["a", "b", "c", "d"])
    assert matches(["...", "c"], ["c"]) and not matches(["a"], ["a", "b"]) and not matches(["a", "b"], ["a"])
    assert shape("at 2026-11-21T23:19:39.938394371Z in /x/y", Path("/x/y")) == f"at <time> in {DOC_FOLDER}"
