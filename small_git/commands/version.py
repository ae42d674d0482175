"""small version: the tool's version and the protocol versions it speaks."""

from __future__ import annotations

from dataclasses import dataclass

from small_git import PROTOCOL_VERSION, __version__
from small_git.report import console, json_report


@dataclass(frozen=True)
class VersionRequest:
    json: bool = False


def run(request: VersionRequest) -> int:
    if request.json:
        json_report.emit({"version": __version__, "spec_versions": [PROTOCOL_VERSION], "exit_code": 0})
    else:
        console.out(f'small-git {__version__}\nSupported spec versions: ["{PROTOCOL_VERSION}"]')
    return 0
