"""The files a new workspace or a new run starts from: the reference's templates, byte for byte, so that a
default `init` gives the reference's replayId."""

from __future__ import annotations

from small_git import PROTOCOL_VERSION

_VERSION = f'small_version: "{PROTOCOL_VERSION}"\n'
INTENT_TEMPLATE = (
    _VERSION
    + 'owner: "human"\nintent: "Define project intent"\nscope:\n  include: []\n  exclude: []\nsuccess_criteria: []\n'
).encode()
CONSTRAINTS_TEMPLATE = (
    _VERSION + 'owner: "human"\nconstraints:\n  - id: "no-secrets"\n    rule: "No secrets in .small artifacts"\n'
    '    severity: "error"\n  - id: "no-prod-writes"\n    rule: "No writes to production by default"\n'
    '    severity: "error"\n'
).encode()
PLAN_TEMPLATE = (
    _VERSION
    + 'owner: "agent"\ntasks:\n  - id: "task-1"\n    title: "Initial task"\n    steps: []\n    acceptance: []\n'
).encode()
