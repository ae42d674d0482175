"""The reference's recorded verdicts: every case, every command, through small-git's CLI (in-process).

Each command's exit-code class (zero / non-zero) must equal the reference's, except the (case, command) pairs
listed in docs/conformance.md; for those the class is the opposite and the --json output must name the rule
id of the deviation that flips it. The corpus is reference data outside the project: set
SMALL_CONFORMANCE_DIR, or keep it at ../shared/conformance.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest
from support.cli import small
from support.paths import CONFORMANCE as CORPUS
from support.paths import PROJECT, needs_conformance

DOC = PROJECT / "docs" / "conformance.md"
ROW = re.compile(r"^\|\s*`?(\d{3}-[^|`]+?)`?\s*\|\s*([^|]+?)\s*\|\s*(D\d)\s*\|\s*`?([^|`]+?)`?\s*\|")


def _commands() -> list[tuple[str, list[str]]]:
    rows = []
    for line in (CORPUS / "COMMANDS.tsv").read_text().splitlines()[1:]:
        if line.strip() and not line.startswith("#"):
            name, args = line.split("\t", 1)
            rows.append((name, args.split()))
    return rows


def _cases() -> list[str]:
    if not (CORPUS / "cases").is_dir():
        return []
    return sorted(p.name for p in (CORPUS / "cases").iterdir() if (p / "expected").is_dir())


def listed_flips() -> dict[tuple[str, str], tuple[str, str]]:
    """(case, command) -> (deviation, rule id), from the table in docs/conformance.md."""
    flips: dict[tuple[str, str], tuple[str, str]] = {}
    for line in DOC.read_text().splitlines():
        match = ROW.match(line)
        if not match:
            continue
        case, commands, deviation, rule = match.groups()
        for command in (c.strip() for c in commands.replace("`", "").split(",")):
            flips[(case.strip(), command)] = (deviation, rule.strip())
    return flips


def corpus_repairs() -> dict[str, str]:
    """case -> empty directory the corpus lost (git stores no empty directories)."""
    repairs = {}
    in_section = False
    for line in DOC.read_text().splitlines():
        if line.startswith("## "):
            in_section = line.strip() == "## Corpus repairs"
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if in_section and len(cells) == 2 and re.match(r"^\d{3}-", cells[0]):
            repairs[cells[0]] = cells[1]
    return repairs


def _digest(folder: Path) -> str:
    sha = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        sha.update(str(path.relative_to(folder)).encode())
        if path.is_file() and not path.is_symlink():
            sha.update(path.read_bytes())
    return sha.hexdigest()


pytestmark = needs_conformance


def test_listed_flips_name_real_cases_and_commands() -> None:
    names = {name for name, _ in _commands()}
    cases = set(_cases())
    flips = listed_flips()
    assert flips, "docs/conformance.md lists no deviations"
    for case, command in flips:
        assert case in cases, f"docs/conformance.md names unknown case {case}"
        assert command in names, f"docs/conformance.md names unknown command {command}"


@pytest.mark.parametrize("case", _cases())
def test_case_agrees_with_reference(case: str, tmp_path: Path) -> None:
    source = CORPUS / "cases" / case
    workspace = tmp_path / "ws"
    workspace.mkdir()
    if (source / ".small").exists():
        shutil.copytree(source / ".small", workspace / ".small", symlinks=True)
        for path in [workspace / ".small", *(workspace / ".small").rglob("*")]:
            if not path.is_symlink():
                path.chmod(path.stat().st_mode | 0o200)  # the corpus is read-only; the copy need not be
    repair = corpus_repairs().get(case)
    if repair and not (workspace / repair).exists():
        (workspace / repair).mkdir(parents=True)
    before = _digest(workspace)
    flips = listed_flips()
    runs: list[tuple[str, bool, list[str]]] = []
    for name, template in _commands():
        expected_file = source / "expected" / f"{name}.rc"
        if expected_file.exists():
            args = [str(workspace) if a == "{DIR}" else a for a in template]
            runs.append((name, expected_file.read_text().strip() == "0", args))
    results = [small(tmp_path, *run[2]) for run in runs]
    flipped = [(run, flips[(case, run[0])]) for run in runs if (case, run[0]) in flips]
    as_json = [small(tmp_path, *(run[2] if "--json" in run[2] else [*run[2], "--json"])) for run, _ in flipped]
    json_of = {run[0]: out for (run, _), out in zip(flipped, as_json, strict=True)}
    problems = []
    for (name, expected_zero, _), proc in zip(runs, results, strict=True):
        assert "Traceback" not in proc.stderr, proc.stderr
        assert proc.returncode in (0, 1, 2), f"{name}: exit {proc.returncode}\n{proc.stderr}"
        flip = flips.get((case, name))
        want_zero = expected_zero if flip is None else not expected_zero
        if (proc.returncode == 0) != want_zero:
            problems.append(
                f"{name}: reference {'0' if expected_zero else 'non-zero'}, got {proc.returncode}"
                f"{' (listed as flipped by ' + flip[0] + ')' if flip else ''}\n{proc.stderr[-800:]}"
            )
            continue
        if flip is not None:
            document = json.loads(json_of[name].stdout)
            rules = {f.get("rule") for key in ("findings", "warnings", "notices") for f in document.get(key, [])}
            if isinstance(document.get("error"), dict):
                rules.add(document["error"].get("rule"))
            if flip[1] not in rules:
                problems.append(
                    f"{name}: flipped by {flip[0]} but --json names rules {sorted(map(str, rules))}, not {flip[1]!r}"
                )
    assert _digest(workspace) == before, "a check command changed the workspace"
    assert not problems, f"{case}:\n" + "\n".join(problems)
