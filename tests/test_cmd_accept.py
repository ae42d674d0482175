"""`small accept intent|constraints`: a valid draft replaces the canonical file, is recorded, is removed."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from support.cli import run_reference
from support.paths import needs_reference
from support.repo import Repo, plain_workspace, seeded_repo

from small_git.protocol.yamlsafe import load_yaml

NEW_INTENT = """small_version: "1.0.0"
owner: "human"
intent: "Ship the parser and the formatter"  # comments survive: the bytes are copied
scope:
  include:
    - "src/"
  exclude: []
success_criteria:
  - "Round trips are lossless"
"""


def last_entry(repo: Repo) -> dict[str, object]:
    data = load_yaml((repo.path / ".small/progress.small.yml").read_bytes(), "progress").data
    return dict(data["entries"][-1])


def test_accept_replaces_records_and_removes_the_draft(tmp_path: Path) -> None:
    repo = plain_workspace(tmp_path)
    old_intent = (repo.path / ".small/intent.small.yml").read_bytes()
    old_log = (repo.path / ".small/progress.small.yml").read_bytes()
    assert repo.small("draft", "intent", "--from", "-", input=NEW_INTENT).returncode == 0
    done = repo.small("accept", "intent")
    assert done.returncode == 0, done.stderr
    assert (repo.path / ".small/intent.small.yml").read_text() == NEW_INTENT
    assert not (repo.path / ".small-drafts/intent.small.yml").exists()
    assert (repo.path / ".small/progress.small.yml").read_bytes().startswith(old_log)
    entry = last_entry(repo)
    assert entry["task_id"] == "meta/accept-intent" and entry["status"] == "completed"
    evidence = str(entry["evidence"])
    assert hashlib.sha256(NEW_INTENT.encode()).hexdigest()[:12] in evidence
    assert hashlib.sha256(old_intent).hexdigest()[:12] in evidence
    strict = repo.small("check", "--strict")
    assert strict.returncode == 0, strict.stdout + strict.stderr


def test_invalid_draft_is_refused_and_nothing_changes(tmp_path: Path) -> None:
    repo = plain_workspace(tmp_path)
    before = {p.name: p.read_bytes() for p in (repo.path / ".small").iterdir()}
    bad = NEW_INTENT.replace("success_criteria:", "success_criteria: 3\nunknown_key:")
    repo.small("draft", "intent", "--from", "-", input=bad)
    done = repo.small("accept", "intent", "--json")
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert report["accepted"] is False and report["findings"]
    assert all(f["file"] == ".small-drafts/intent.small.yml" for f in report["findings"])
    assert {p.name: p.read_bytes() for p in (repo.path / ".small").iterdir()} == before
    assert (repo.path / ".small-drafts/intent.small.yml").read_text() == bad


def test_draft_with_a_secret_is_refused(tmp_path: Path) -> None:
    repo = plain_workspace(tmp_path)
    leaky = NEW_INTENT.replace("Round trips are lossless", "deploy with AKIAIOSFODNN7EXAMPLE")
    repo.small("draft", "intent", "--from", "-", input=leaky)
    done = repo.small("accept", "intent")
    assert done.returncode == 1 and "secret" in done.stderr


def test_missing_draft_and_agent_environment_are_refused(tmp_path: Path) -> None:
    repo = plain_workspace(tmp_path)
    missing = repo.small("accept", "constraints")
    assert missing.returncode == 2 and "small draft constraints" in missing.stderr
    repo.small("draft", "intent", "--from", "-", input=NEW_INTENT)
    as_agent = repo.small("accept", "intent", env={"SMALL_ACTOR": "agent"})
    assert as_agent.returncode == 2 and "human" in as_agent.stderr
    assert (repo.path / ".small-drafts/intent.small.yml").exists()


def test_accept_in_git_then_commit_as_a_human(tmp_path: Path) -> None:
    repo = seeded_repo(tmp_path, install=False)
    repo.small("draft", "intent", "--from", "-", input=NEW_INTENT)
    assert repo.small("accept", "intent").returncode == 0
    status = repo.git("status", "--porcelain").stdout
    assert " M .small/intent.small.yml" in status and " M .small/progress.small.yml" in status
    assert ".small-drafts" not in status


def test_accept_honours_the_agent_markers_the_hooks_honour(tmp_path: Path) -> None:
    """`git config small.agentMarker` names a marker the commit gates refuse; accept refuses it too."""
    repo = seeded_repo(tmp_path)
    repo.git("config", "--add", "small.agentMarker", "BUILD_BOT=yes")
    repo.small("draft", "intent", "--from", "-", input=NEW_INTENT)
    as_bot = repo.small("accept", "intent", env={"BUILD_BOT": "yes"})
    assert as_bot.returncode == 2 and "BUILD_BOT=yes" in as_bot.stderr
    assert (repo.path / ".small-drafts/intent.small.yml").exists()
    assert "Ship the parser and the formatter" not in repo.read(".small/intent.small.yml")


def _follow_the_hint(repo: Repo, kind: str) -> None:
    """`accept` names the reference's draft and says what to do; doing exactly that accepts it."""
    before = (repo.path / f".small/{kind}.small.yml").read_bytes()
    code, out, err = repo.small("accept", kind)
    assert code == 2 and out == ""
    assert f"the reference CLI's draft .small-cache/drafts/{kind}.small.yml does" in err
    assert (repo.path / f".small/{kind}.small.yml").read_bytes() == before  # not accepted as it is
    hint = err.split("fix: ", 1)[1].strip()
    assert hint.endswith(f"small draft {kind} --from .small-cache/drafts/{kind}.small.yml && small accept {kind}")
    command = hint.split("review it, then make it small-git's draft and accept that: ", 1)[1]
    for step in command.split(" && "):
        words = step.split()
        assert words[0] == "small"
        done = repo.small(*words[1:])
        assert done.returncode == 0, done.stderr
    assert (repo.path / f".small/{kind}.small.yml").read_text() == NEW_INTENT
    assert last_entry(repo)["task_id"] == f"meta/accept-{kind}"


def test_a_reference_draft_is_named_with_what_to_do(tmp_path: Path) -> None:
    repo = plain_workspace(tmp_path)
    (repo.path / ".small-cache/drafts").mkdir(parents=True)
    (repo.path / ".small-cache/drafts/intent.small.yml").write_text(NEW_INTENT)  # where the reference writes it
    _follow_the_hint(repo, "intent")
    json_refusal = repo.small("accept", "intent", "--json")  # the small-git draft is gone; the reference's is not
    assert json_refusal.returncode == 2 and ".small-cache/drafts" in json.loads(json_refusal.stdout)["error"]["message"]


@needs_reference
def test_the_reference_clis_own_draft(tmp_path: Path) -> None:
    repo = plain_workspace(tmp_path)
    (repo.path / "new-intent.yml").write_text(NEW_INTENT)
    made = run_reference(repo.path, "draft", "intent", "--from", "new-intent.yml")
    assert made.returncode == 0 and ".small-cache/drafts/intent.small.yml" in made.stdout
    _follow_the_hint(repo, "intent")
