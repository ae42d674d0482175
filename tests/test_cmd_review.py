"""git small review BASE..HEAD over the scripted history: Markdown for a pull request or a job summary, text,
and JSON carrying the same data. Golden files pin the text (SMALL_UPDATE_GOLDEN=1 rewrites them)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from mermaid_support import label, parse_all
from support.golden import matches_golden, writes_golden
from support.history import Scripted, normalise

pytestmark = writes_golden  # a missing golden file is written for review
_OUTPUTS: dict[tuple[str, ...], str] = {}


def review(scripted: Scripted, *args: str) -> str:
    key = (str(scripted.repo.path), *args)
    if key not in _OUTPUTS:
        proc = scripted.repo.small("review", f"{scripted.base}..HEAD", *args)
        assert proc.returncode == 0, proc.stderr
        assert proc.stderr == ""
        _OUTPUTS[key] = proc.stdout
    return _OUTPUTS[key]


def document(scripted: Scripted) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(review(scripted, "--format", "json"))
    return found


def test_markdown_review_of_the_scripted_history(scripted: Scripted) -> None:
    matches_golden(normalise(review(scripted, "--format", "markdown"), scripted), "history-review.md")


def test_text_review_of_the_scripted_history(scripted: Scripted) -> None:
    matches_golden(normalise(review(scripted), scripted), "history-review.txt")


def test_every_audit_finding_is_in_the_review(scripted: Scripted) -> None:
    audit = json.loads(scripted.repo.small("audit", f"{scripted.base}..HEAD", "--json").stdout)
    findings = document(scripted)["audit"]["findings"]
    assert findings == audit["findings"] and findings
    assert any(f["rule"] == "human-file-agent-change" for f in findings)
    markdown = review(scripted, "--format", "markdown")
    assert "**Audit failed**" in markdown and "human-file-agent-change" in markdown.replace("\\", "")


def test_tasks_carry_their_transitions(scripted: Scripted) -> None:
    moves = {m["task_id"]: m for m in document(scripted)["tasks"]}
    assert moves["task-2"]["statuses"][:3] == ["pending", "in_progress", "completed"]
    assert moves["task-3"]["statuses"] == ["pending", "in_progress", "completed"]


def test_entries_say_whether_their_cited_commit_is_in_the_head_history(scripted: Scripted) -> None:
    entries = document(scripted)["entries"]
    states = {e["index"]: (e["cited_commit"] or {}).get("state") for e in entries}
    assert states[9] == "reconciled"  # cites the commit the rebase rewrote; the reconcile entry maps it
    assert states[1] == "reachable"
    rows = next(e for e in entries if e["index"] == 9)
    assert (rows["task_id"], rows["status"], rows["evidence"]) == ("task-3", "completed", {"evidence": "rows import"})
    assert rows["added_by"] == scripted.commits["rebased"]


def test_human_owned_changes_name_who_and_the_verdict(scripted: Scripted) -> None:
    changes = {(c["file"], c["verdict"]): c for c in document(scripted)["human_changes"]}
    intent = changes[(".small/intent.small.yml", "accepted")]
    assert intent["author"] == {"name": "Ada Human", "email": "ada@example.com"}
    agent = changes[(".small/constraints.small.yml", "refused")]
    assert agent["commit"] == scripted.commits["agent"] and agent["author"]["email"] == "noreply@anthropic.com"


def test_handoff_freshness_at_the_head(scripted: Scripted) -> None:
    (handoff,) = document(scripted)["handoff"]
    assert handoff["state"] == "stale" and handoff["changed"]


def test_markdown_escapes_what_a_title_could_inject(tmp_path: Path) -> None:
    from support.repo import Repo

    repo = Repo.create(tmp_path)
    assert repo.small("init", "--intent", "x").returncode == 0
    repo.commit("start", "--no-verify")
    base = repo.head()
    title = "| **bold** <img src=x onerror=alert(1)> [link](http://evil)"
    assert repo.small("plan", "--add", title).returncode == 0
    repo.commit("plan", "--no-verify")
    markdown = repo.small("review", f"{base}..HEAD", "--format", "markdown").stdout
    row = next(line for line in markdown.splitlines() if line.startswith("| task-2 "))
    assert row.count(" | ") == 2  # the title's pipe did not add a column
    outside_graph = markdown.split("```mermaid")[0] + markdown.split("```mermaid")[1].split("```", 1)[1]
    assert "\\<img" in row and " <img" not in outside_graph  # CommonMark shows an escaped < as text, not a tag
    assert "**bold**" not in outside_graph and "](http" not in outside_graph
    graph = markdown.split("```mermaid")[1].split("```", 1)[0]
    assert "<img" not in graph and "[link]" not in graph and '"' not in graph.split('["', 2)[2].split('"]')[0]


def test_the_graph_in_the_review_parses_and_matches_the_head_plan(scripted: Scripted) -> None:
    plan = document(scripted)["plan"][".small"]
    markdown = review(scripted, "--format", "markdown")
    block = markdown.split("```mermaid\n")[1].split("```")[0]
    assert block == plan["mermaid"]
    (result,) = parse_all([block])
    assert result["ok"], result
    assert [label(v).split(":")[0] for v in result["vertices"]] == [t["task_id"] for t in plan["tasks"]]
    assert [v["classes"] for v in result["vertices"]] == [[t["status"]] for t in plan["tasks"]]


@pytest.mark.parametrize(
    ("args", "message"),
    [(("no-such..HEAD",), "is not in this clone"), (("HEAD", "--format", "yaml"), "Invalid value")],
)
def test_bad_input_is_a_usage_error(scripted: Scripted, args: tuple[str, ...], message: str) -> None:
    proc = scripted.repo.small("review", *args)
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr


def test_help_shows_the_job_summary_command_line(scripted: Scripted) -> None:
    proc = scripted.repo.small("review", "--help")
    assert proc.returncode == 0
    assert 'git small review "$BASE..$HEAD" --format markdown >> "$GITHUB_STEP_SUMMARY"' in proc.stdout
