"""git small review <base>..<head>: one summary of what a range of commits did to `.small/`, for a reviewer, a
pull-request comment or a CI job summary (`--format markdown >> "$GITHUB_STEP_SUMMARY"`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from small_git.errors import EXIT_OK, EXIT_USAGE, SmallError
from small_git.gates.review import build_review
from small_git.git.plumbing import top_level
from small_git.report import console, json_report
from small_git.report.colour import palette
from small_git.report.progress import Progress
from small_git.report.review_report import format_markdown, format_text, review_document

FORMATS = ("text", "markdown", "json")


@dataclass(frozen=True)
class ReviewRequest:
    rev_range: str
    format: str = "text"
    directory: str | None = None


def run(request: ReviewRequest) -> int:
    """Exit 0 once the summary is printed, whatever the audit found (`git small audit` is the gate)."""
    if request.format not in FORMATS:
        raise SmallError(f"unknown format {request.format!r}", exit_code=EXIT_USAGE, hint="text, markdown or json")
    cwd = Path(request.directory or ".").absolute()
    if not cwd.is_dir():
        raise SmallError(f"{cwd} is not a folder", exit_code=EXIT_USAGE)
    repo = top_level(cwd) or cwd
    with Progress("reviewing") as progress:
        review = build_review(repo, request.rev_range, progress=progress)
    if request.format == "json":
        json_report.emit(review_document(review))
    elif request.format == "markdown":
        console.write(format_markdown(review))
    else:
        console.write(format_text(review, palette()))
    return EXIT_OK
