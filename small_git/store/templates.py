"""The files a new workspace or a new run starts from: the reference's templates, byte for byte, so that a
default `init` gives the reference's replayId."""

from __future__ import annotations

from small_git.store.plan_edit import TEMPLATE as PLAN_TEMPLATE

INTENT_TEMPLATE = (
    b'small_version: "1.0.0"\nowner: "human"\nintent: "Define project intent"\nscope:\n'
    b"  include: []\n  exclude: []\nsuccess_criteria: []\n"
)
CONSTRAINTS_TEMPLATE = (
    b'small_version: "1.0.0"\nowner: "human"\nconstraints:\n  - id: "no-secrets"\n'
    b'    rule: "No secrets in .small artifacts"\n    severity: "error"\n'
    b'  - id: "no-prod-writes"\n    rule: "No writes to production by default"\n'
    b'    severity: "error"\n'
)

__all__ = ["CONSTRAINTS_TEMPLATE", "INTENT_TEMPLATE", "PLAN_TEMPLATE"]
