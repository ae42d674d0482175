"""A torn final progress entry (an interrupted write) is named as such by `check`, with `small fix` as the fix;
any other YAML error keeps the generic message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.repo import plain_workspace
from support.workspace import entry, progress_yaml

from small_git.protocol.emitter import emit_document
from small_git.protocol.state import State
from small_git.protocol.torn import last_entry_start, torn_entry
from small_git.protocol.yamlsafe import YamlError, load_yaml

SOURCE = ".small/progress.small.yml"
ENTRIES = [entry("task-1", 1), entry("task-2", 2), entry("task-2", 3, notes="a note: with # and é€")]
LOG = progress_yaml(ENTRIES)
LAST = last_entry_start(LOG)


def reference_style_log() -> str:
    """How the reference CLI writes a log: 4-space indentation, sorted keys, plain values where it can."""
    out = ['small_version: "1.0.0"\nowner: agent\nentries:\n']
    for item in ENTRIES:
        keys = sorted(item)
        out.append(f"    - {keys[0]}: {item[keys[0]]}\n")
        out += [f"      {k}: {json.dumps(item[k]) if k in ('timestamp', 'notes') else item[k]}\n" for k in keys[1:]]
    return "".join(out)


def load_error(text: str | bytes) -> YamlError | None:
    try:
        load_yaml(text.encode() if isinstance(text, str) else text, SOURCE)
    except YamlError as exc:
        return exc
    return None


def emitted_log() -> tuple[str, list[dict[str, str]]]:
    """What small-git's own writer emits, with escapes in the last entry (a cut can fall inside one)."""
    entries = [*ENTRIES[:-1], {**ENTRIES[-1], "notes": 'output:\n  "quoted" \\ tab\t é€ \U0001f600'}]
    return emit_document({"small_version": "1.0.0", "owner": "agent", "entries": entries}).decode(), entries


LOGS = {"test-fixture": (LOG, ENTRIES), "reference": (reference_style_log(), ENTRIES), "emitted": emitted_log()}


@pytest.mark.parametrize("style", sorted(LOGS))
def test_every_cut_inside_the_last_entry_that_does_not_parse_is_named_torn(style: str) -> None:
    log, entries = LOGS[style]
    last = last_entry_start(log)
    assert last is not None
    assert load_yaml(log.encode(), SOURCE).data["entries"] == entries
    complete = load_yaml(log[: last.offset].encode(), SOURCE).data["entries"]
    assert complete == entries[:-1]
    torn_cuts = 0
    data = log.encode()
    start = len(log[: last.offset].encode())
    for cut in range(start + 1, len(data)):
        error = load_error(data[:cut])
        if error is None:
            continue  # a shorter entry that still parses is complete to the parser (the rules judge it)
        assert error.text is not None
        found = torn_entry(error.text, error, SOURCE)
        assert found is not None and found.offset == last.offset, (cut, error.message)
        torn_cuts += 1
        with pytest.raises(YamlError) as caught:
            State.from_bytes({"progress": data[:cut]}).load("progress")
        assert caught.value.rule == "torn-entry"
        assert caught.value.hint is not None and "small fix" in caught.value.hint
        assert f"the last entry (from line {found.line}) is incomplete" in caught.value.message
    assert torn_cuts > 10


@pytest.mark.parametrize(
    "broken",
    [
        LOG.replace('    evidence: "step 1"\n', '    evidence: "step 1\n', 1),  # the first entry, not the last
        LOG.replace("entries:\n", "entries: [\n", 1),
        LOG + "owner: again\n",
        progress_yaml([entry("task-1", 1)]) + '   status: "completed"\n',  # hand-indented, not cut off
    ],
    ids=["middle-entry", "flow-start", "duplicate-key-after", "bad-indentation-in-the-last-entry"],
)
def test_other_yaml_errors_are_not_called_torn(broken: str) -> None:
    with pytest.raises(YamlError) as caught:
        State.from_bytes({"progress": broken.encode()}).load("progress")
    assert caught.value.rule == "yaml"
    assert "small fix" not in (caught.value.hint or "")


def test_the_only_entry_torn_is_named_too() -> None:
    text = progress_yaml([entry("task-1", 1)])
    with pytest.raises(YamlError) as caught:
        State.from_bytes({"progress": text[:-5].encode()}).load("progress")
    assert caught.value.rule == "torn-entry"


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.9])
def test_check_names_the_torn_entry_and_small_fix_repairs_it(tmp_path: Path, keep: float) -> None:
    assert LAST is not None
    repo = plain_workspace(tmp_path)
    cut = LAST.offset + int((len(LOG) - LAST.offset) * keep)
    while load_error(LOG[:cut]) is None:
        cut += 1
    repo.write(SOURCE, LOG[:cut])
    checked = repo.small("check", "--json")
    assert checked.returncode == 2
    error = json.loads(checked.stdout)["error"]
    assert error["rule"] == "torn-entry" and "run: small fix" in error["hint"]
    text = repo.small("check")
    assert "incomplete: a write was probably interrupted" in text.stderr and "small fix" in text.stderr
    assert repo.small("fix").returncode == 0
    assert load_yaml((repo.path / SOURCE).read_bytes(), SOURCE).data["entries"] == ENTRIES[:-1]
    after = repo.small("check")
    assert after.returncode == 0, after.stdout + after.stderr
