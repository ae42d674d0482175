"""`small draft intent|constraints --from FILE|-`: proposals land in .small-drafts/, never in .small/."""

from __future__ import annotations

from pathlib import Path

from support.repo import Repo, plain_workspace

GOOD_INTENT = """small_version: "1.0.0"
owner: "human"
intent: "Ship the parser and the formatter"
scope:
  include:
    - "src/"
  exclude: []
success_criteria:
  - "Round trips are lossless"
"""


def snapshot(repo: Repo) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((repo.path / ".small").iterdir())}


def test_draft_from_file_is_saved_verbatim_and_small_is_untouched(tmp_path: Path) -> None:
    repo = plain_workspace(tmp_path)
    before = snapshot(repo)
    source = repo.write("proposal.yml", GOOD_INTENT)
    done = repo.small("draft", "intent", "--from", str(source))
    assert done.returncode == 0, done.stderr
    assert "small accept intent" in done.stdout
    assert (repo.path / ".small-drafts/intent.small.yml").read_bytes() == source.read_bytes()
    assert snapshot(repo) == before


def test_draft_from_stdin(tmp_path: Path) -> None:
    repo = plain_workspace(tmp_path)
    constraints = (
        'small_version: "1.0.0"\nowner: "human"\nconstraints:\n  - id: "x"\n    rule: "y"\n    severity: "warn"\n'
    )
    done = repo.small("draft", "constraints", "--from", "-", input=constraints)
    assert done.returncode == 0, done.stderr
    assert (repo.path / ".small-drafts/constraints.small.yml").read_text() == constraints


def test_invalid_draft_is_saved_but_reported(tmp_path: Path) -> None:
    repo = plain_workspace(tmp_path)
    bad = GOOD_INTENT.replace('owner: "human"', 'owner: "agent"')
    done = repo.small("draft", "intent", "--from", "-", input=bad)
    assert done.returncode == 1
    assert ".small-drafts/intent.small.yml" in done.stderr and "accept refuses" in done.stderr
    assert (repo.path / ".small-drafts/intent.small.yml").read_text() == bad
    unparseable = repo.small("draft", "intent", "--from", "-", input="intent: [unclosed\n")
    assert unparseable.returncode == 1 and "does not parse" in unparseable.stderr


def test_draft_usage_errors(tmp_path: Path) -> None:
    repo = plain_workspace(tmp_path)
    assert repo.small("draft", "intent", "--from", "-", input="  \n").returncode == 2
    assert repo.small("draft", "intent", "--from", "missing.yml").returncode == 2
    assert repo.small("draft", "plan", "--from", "-", input=GOOD_INTENT).returncode == 2
    assert repo.small("draft", "intent").returncode == 2  # --from is required
    bare = Repo(tmp_path / "bare")
    bare.path.mkdir()
    no_workspace = bare.small("draft", "intent", "--from", "-", input=GOOD_INTENT)
    assert no_workspace.returncode == 2 and "small init" in no_workspace.stderr
    assert not (repo.path / ".small-drafts").exists()


def test_help_has_an_example(tmp_path: Path) -> None:
    assert "Example:" in plain_workspace(tmp_path).small("draft", "--help").stdout
