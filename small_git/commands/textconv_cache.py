"""git small textconv-cache [RANGE]: render every `.small/` blob of a range once, into git's textconv cache."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from small_git.errors import EXIT_OK
from small_git.gates.history import parse_range
from small_git.git.plumbing import top_level
from small_git.integration.textconv_cache import fill
from small_git.report import console
from small_git.report.text import plural


@dataclass(frozen=True)
class TextconvCacheRequest:
    rev_range: str | None = None
    directory: str | None = None


def run(request: TextconvCacheRequest) -> int:
    cwd = Path(request.directory or ".").absolute()
    repo = top_level(cwd) or cwd
    span = parse_range(repo, request.rev_range, example="git small textconv-cache origin/main..HEAD")
    filled = fill(repo, span.rev_args)
    console.out(f"textconv cache: {plural(filled.rendered, 'blob')} rendered, {filled.cached} already cached")
    return EXIT_OK
