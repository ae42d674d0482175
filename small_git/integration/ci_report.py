"""`git small audit --json` as CI systems show it: GitHub workflow annotations and a job summary, GitLab's
code-quality report. The CI templates (action.yml, ci/gitlab/small-git.gitlab-ci.yml) run it:

    python -m small_git.integration.ci_report github audit.json [--summary FILE] [--output FILE]
    python -m small_git.integration.ci_report gitlab audit.json --codequality FILE

It never changes the verdict: the audit's exit code is the job's; this only presents the findings. The
exit code here is the audit's (0, 1, 2 or 3) so a step can pass it on.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

TITLE = "small-git audit"


def load(path: Path) -> dict[str, Any]:
    """The audit's document; anything unreadable becomes an internal-error document (the job fails)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return {"exit_code": 3, "error": {"message": f"the audit wrote no readable JSON ({exc})"}, "findings": []}
    if not isinstance(document, dict):
        return {"exit_code": 3, "error": {"message": "the audit's JSON is not an object"}, "findings": []}
    return document


def findings(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in document.get("findings") or [] if isinstance(f, dict)]


def exit_code(document: dict[str, Any]) -> int:
    code = document.get("exit_code")
    return code if isinstance(code, int) and 0 <= code <= 3 else 3


# --- GitHub ------------------------------------------------------------------------------------------------


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotations(document: dict[str, Any], workdir: Path) -> list[str]:
    """`::error file=…,line=…,title=…::message` per finding; findings about a ref (not a file in the
    checkout) are annotations without a file."""
    lines = []
    for finding in findings(document):
        level = "warning" if finding.get("severity") == "warning" else "error"
        where = str(finding.get("file") or "")
        properties = []
        if where and (workdir / where).exists():
            properties.append(f"file={_property(where)}")
            if isinstance(finding.get("line"), int):
                properties.append(f"line={finding['line']}")
        title = f"{TITLE}: {finding.get('rule', 'finding')}"
        properties.append(f"title={_property(title)}")
        message = str(finding.get("message") or "")
        if where and f"file={_property(where)}" not in properties:
            message = f"{where}: {message}"
        if finding.get("hint"):
            message += f"\nfix: {finding['hint']}"
        lines.append(f"::{level} {','.join(properties)}::{_data(message)}")
    error = document.get("error")
    if isinstance(error, dict) and error.get("message"):
        message = str(error["message"]) + (f"\nfix: {error['hint']}" if error.get("hint") else "")
        lines.append(f"::error title={_property(TITLE)}::{_data(message)}")
    return lines


def _cell(text: object) -> str:
    return str(text or "").replace("|", "\\|").replace("\n", " ")


def github_summary(document: dict[str, Any]) -> str:
    """The job summary: the verdict, what was judged, and a table of findings."""
    code = exit_code(document)
    verdict = {0: "passed", 1: "failed"}.get(code, "could not judge")
    shown = document.get("range") or document.get("new") or "HEAD"
    out = [f"### {TITLE}: {verdict}", ""]
    commits = document.get("commits")
    facts = [f"update `{_cell(shown)}`"]
    if document.get("ref"):
        facts.append(f"ref `{_cell(document['ref'])}`")
    if isinstance(commits, int):
        facts.append(f"{commits} commit{'s' if commits != 1 else ''} judged")
    if document.get("forced"):
        facts.append("not a fast-forward (every entry the old tip held was checked)")
    out += [", ".join(facts), ""]
    error = document.get("error")
    if isinstance(error, dict) and error.get("message"):
        out += [f"**{_cell(error['message'])}**", ""]
        if error.get("hint"):
            out += [f"fix: {_cell(error['hint'])}", ""]
    rows = findings(document)
    if rows:
        out += ["| rule | where | what | fix |", "|---|---|---|---|"]
        for finding in rows:
            where = str(finding.get("file") or "") + (f":{finding['line']}" if finding.get("line") else "")
            cells = (finding.get("rule"), f"`{where}`", finding.get("message"), finding.get("hint"))
            out.append("| " + " | ".join(_cell(c) for c in cells) + " |")
        out.append("")
    return "\n".join(out) + "\n"


# --- GitLab ------------------------------------------------------------------------------------------------


def gitlab_codequality(document: dict[str, Any]) -> list[dict[str, Any]]:
    """GitLab's code-quality report (a Code Climate subset): merge requests show each finding at its line."""
    report = []
    for finding in findings(document):
        path = str(finding.get("file") or ".")
        line = finding.get("line") if isinstance(finding.get("line"), int) else 1
        description = f"[{finding.get('rule')}] {finding.get('message')}"
        if finding.get("hint"):
            description += f" (fix: {finding['hint']})"
        fingerprint = hashlib.sha256(f"{finding.get('rule')}\0{path}\0{finding.get('message')}".encode()).hexdigest()
        report.append(
            {
                "description": description,
                "check_name": str(finding.get("rule") or "small-git"),
                "fingerprint": fingerprint,
                "severity": "minor" if finding.get("severity") == "warning" else "blocker",
                "location": {"path": path, "lines": {"begin": line}},
            }
        )
    return report


# --- entry point --------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) < 2 or args[0] not in ("github", "gitlab"):
        print(__doc__, file=sys.stderr)
        return 2
    system, path, rest = args[0], Path(args[1]), args[2:]
    options = dict(zip(rest[::2], rest[1::2], strict=False))
    document = load(path)
    if system == "github":
        for line in github_annotations(document, Path(options.get("--workdir", "."))):
            print(line)
        if "--summary" in options:
            with open(options["--summary"], "a", encoding="utf-8") as handle:
                handle.write(github_summary(document))
        if "--output" in options:
            with open(options["--output"], "a", encoding="utf-8") as handle:
                handle.write(f"exit-code={exit_code(document)}\nfindings={len(findings(document))}\n")
    else:
        target = Path(options.get("--codequality", "gl-code-quality-report.json"))
        target.write_text(json.dumps(gitlab_codequality(document), indent=2) + "\n", encoding="utf-8")
        for finding in findings(document):
            where = str(finding.get("file") or "") + (f":{finding['line']}" if finding.get("line") else "")
            print(f"{where}: [{finding.get('rule')}] {finding.get('message')}")
    return exit_code(document)


if __name__ == "__main__":
    sys.exit(main())
