"""git small audit [OLD..NEW]: a ref update judged by the gates' engine (CI and servers).

`OLD..NEW` means "the ref moved from OLD to NEW", as a push does: every commit NEW brings is judged, and when
the move is not a fast-forward (a force push, a rewind) every entry OLD's logs held must still be at NEW. A
single revision (or nothing: HEAD) is a creation, judged over its whole history.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from small_git.errors import EXIT_USAGE, SmallError
from small_git.gates.context import AuditContext, AuditResult
from small_git.gates.refupdate import RefUpdate, judge_ref_update, object_id_or_none
from small_git.git import plumbing as git
from small_git.report import console, json_report
from small_git.report.colour import error_palette
from small_git.report.progress import Progress
from small_git.report.text import format_finding, plural

CI_SYSTEMS = ("github", "gitlab")
_OBJECT_ID = re.compile(r"[0-9a-fA-F]{4,64}\Z")
EXAMPLE = "example: git small audit origin/main..HEAD"


@dataclass(frozen=True)
class AuditRequest:
    rev_range: str | None = None
    old: str | None = None
    new: str | None = None
    ref: str | None = None
    forced: bool | None = None  # what CI reported; the engine decides for itself, this is only shown
    from_ci: str | None = None
    as_json: bool = False
    directory: str | None = None


def run(request: AuditRequest) -> int:
    cwd = Path(request.directory or ".").absolute()
    repo = git.top_level(cwd) or cwd
    old, new, ref, reported_forced = _update_names(request, os.environ)
    update = RefUpdate(ref, _resolve(repo, old, "old"), _resolve(repo, new, "new"))
    if update.new is None:
        raise SmallError("audit needs a new tip to judge", exit_code=EXIT_USAGE, hint=EXAMPLE)
    with Progress("auditing") as progress:
        context = AuditContext(
            repo, stage="audit", fetch_hint=f"git fetch origin {update.old or ''}".strip(), progress=progress
        )
        result = judge_ref_update(repo, update, context)
    shown = f"{old}..{new}" if old else new
    if request.as_json:
        _print_json(result, shown, update, reported_forced)
    else:
        _print_text(result, shown)
    return result.exit_code


def _update_names(request: AuditRequest, env: Any) -> tuple[str | None, str, str, bool | None]:
    """(old or None, new, ref, forced as reported) from a range, --old/--new/--ref, or a CI system's event."""
    explicit = request.old is not None or request.new is not None
    sources = sum(bool(x) for x in (request.rev_range, explicit, request.from_ci))
    if sources > 1:
        raise SmallError("give a range, or --old/--new, or --from-ci, not several", exit_code=EXIT_USAGE, hint=EXAMPLE)
    if request.from_ci:
        old, new, ref, forced = _from_ci(request.from_ci, env)
        return old, new, request.ref or ref, forced if request.forced is None else request.forced
    if explicit:
        old, new = request.old, request.new or "HEAD"
    else:
        old, new = _split_range(request.rev_range or "HEAD")
    return object_id_or_none(old), new, request.ref or _ref_name(new), request.forced


def _split_range(spec: str) -> tuple[str | None, str]:
    if "..." in spec:
        raise SmallError(f"{spec!r}: use a two-dot range OLD..NEW", exit_code=EXIT_USAGE, hint=EXAMPLE)
    old, dots, new = spec.partition("..")
    if not dots:
        return None, spec
    if not old:
        raise SmallError(f"{spec!r}: the range needs an old tip", exit_code=EXIT_USAGE, hint=EXAMPLE)
    return old, new or "HEAD"


def _ref_name(new: str) -> str:
    return new if new.startswith("refs/") else "HEAD" if new == "HEAD" else f"refs/heads/{new}"


def _from_ci(system: str, env: Any) -> tuple[str | None, str, str, bool | None]:
    if system == "gitlab":
        # A merge request pipeline judges the branch from where it left its target; a push pipeline the push.
        before = env.get("CI_MERGE_REQUEST_DIFF_BASE_SHA") or env.get("CI_COMMIT_BEFORE_SHA")
        branch = env.get("CI_COMMIT_REF_NAME") or ""
        return object_id_or_none(before), env.get("CI_COMMIT_SHA") or "HEAD", _ref_name(branch or "HEAD"), None
    if system != "github":
        raise SmallError(f"--from-ci takes {' or '.join(CI_SYSTEMS)}", exit_code=EXIT_USAGE)
    path = env.get("GITHUB_EVENT_PATH")
    if not path:
        raise SmallError("--from-ci github needs GITHUB_EVENT_PATH (set by GitHub Actions)", exit_code=EXIT_USAGE)
    try:
        event = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SmallError(f"cannot read the GitHub event {path}: {exc}", exit_code=EXIT_USAGE) from None
    if not isinstance(event, dict):
        raise SmallError(f"the GitHub event {path} is not a JSON object", exit_code=EXIT_USAGE)
    pull = event.get("pull_request")
    if isinstance(pull, dict):
        # A pull request is not a move of its base: judge what the branch added since it left the base.
        base, head = _sha(pull.get("base")), _sha(pull.get("head")) or "HEAD"
        fork = git.run_git(["merge-base", base, head], check=False).strip() if base else ""
        if base and not fork:
            raise SmallError(
                f"the pull request's base {git.short_sha(base)} is not in this clone",
                exit_code=EXIT_USAGE,
                rule="missing-history",
                hint=f"fetch it first: git fetch origin {base} (actions/checkout with fetch-depth: 0)",
            )
        head_ref = pull.get("head", {}).get("ref") if isinstance(pull.get("head"), dict) else None
        return fork or None, head, _ref_name(str(head_ref or "HEAD")), None
    forced = event.get("forced")
    ref = str(event.get("ref") or env.get("GITHUB_REF") or "HEAD")
    after = event.get("after") if isinstance(event.get("after"), str) else None
    before = event.get("before") if isinstance(event.get("before"), str) else None
    reported = forced if isinstance(forced, bool) else None
    return object_id_or_none(before), object_id_or_none(after) or "HEAD", ref, reported


def _sha(side: Any) -> str | None:
    value = side.get("sha") if isinstance(side, dict) else None
    return value if isinstance(value, str) else None


def _resolve(repo: Path, name: str | None, which: str) -> str | None:
    """An object id for `name`. An object id this clone lacks is kept as it is (the engine then says what
    to fetch); any other name must resolve here."""
    if name is None:
        return None
    found = git.rev_parse(f"{name}^{{object}}", repo)  # `^{object}`: it must exist, not only look like an id
    if found is not None:
        return found
    if _OBJECT_ID.match(name) and len(name) >= 7:
        return name
    if which == "old":
        raise SmallError(
            f"the old tip {name!r} is not in this clone, so the update cannot be audited",
            exit_code=EXIT_USAGE,
            rule="missing-history",
            hint=f"fetch it first: git fetch origin {name} (CI: actions/checkout with fetch-depth: 0)",
        )
    raise SmallError(
        f"{name!r} is not a commit in this repository",
        exit_code=EXIT_USAGE,
        hint="name a branch, tag or commit: git small audit origin/main..HEAD",
    )


def _print_json(result: AuditResult, shown: str, update: RefUpdate, forced: bool | None) -> None:
    document = {
        "command": "audit",
        "range": shown,
        "ref": update.ref,
        "old": update.old,
        "new": update.new,
        "forced": result.forced,
        "reported_forced": forced,
        "commits": len(result.commits),
        "exit_code": result.exit_code,
        "missing": result.missing,
        "findings": [f.to_dict() for f in result.findings],
    }
    json_report.emit(document)


def _print_text(result: AuditResult, shown: str) -> None:
    colours = error_palette()
    for finding in result.findings:
        console.err(format_finding(finding, colours=colours))
    checked = plural(len(result.commits), "commit")
    kind = " (not a fast-forward)" if result.forced else ""
    if result.missing:
        console.err(f"audit cannot judge {shown}: history is missing (see above)")
    elif result.exit_code:
        console.err(f"audit failed: {plural(len(result.findings), 'finding')} in {checked}{kind}")
    else:
        console.out(f"audit passed: {checked} checked ({shown}){kind}")
