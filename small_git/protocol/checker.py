"""The checker: every rule of spec §3 over one workspace's State, returning findings (no printing)."""

from __future__ import annotations

import re

from small_git.errors import EXIT_INVALID, EXIT_OK, EXIT_USAGE, SmallError
from small_git.protocol import cross_rules
from small_git.protocol.artifacts import ALL_FILES, CANONICAL, SCOPE_KIND, SCOPES, WORKSPACE, WORKSPACE_KINDS
from small_git.protocol.findings import ERROR, WARNING, Finding, sort_key
from small_git.protocol.lifecycle import lifecycle_findings
from small_git.protocol.rules import Reporter, artifact_findings
from small_git.protocol.schemas import schema_findings
from small_git.protocol.state import State
from small_git.protocol.values import Fields, Frozen
from small_git.protocol.yamlsafe import Document

STAGES = ("validate", "lint", "verify")


class CheckOptions(Frozen):
    __slots__ = ("strict", "scope", "stages", "format_strict", "notices")
    strict: bool
    scope: str  # root | examples | any (the workspace kind the caller expects)
    stages: tuple[str, ...]
    format_strict: bool  # small_version quoting is an error, not a warning
    notices: bool  # also compute interop notices (only the JSON report shows them)

    def __init__(
        self,
        strict: bool = False,
        scope: str = "root",
        stages: tuple[str, ...] = STAGES,
        format_strict: bool = False,
        notices: bool = False,
    ) -> None:
        field = object.__setattr__
        field(self, "strict", strict)
        field(self, "scope", scope)
        field(self, "stages", stages)
        field(self, "format_strict", format_strict)
        field(self, "notices", notices)


class CheckResult(Fields):
    __slots__ = ("findings", "warnings", "notices", "stages")
    findings: list[Finding]
    warnings: list[Finding]
    notices: list[Finding]  # where the reference CLI would judge differently
    stages: dict[str, str]

    def __init__(
        self,
        findings: list[Finding] | None = None,
        warnings: list[Finding] | None = None,
        notices: list[Finding] | None = None,
        stages: dict[str, str] | None = None,
    ) -> None:
        self.findings = [] if findings is None else findings
        self.warnings = [] if warnings is None else warnings
        self.notices = [] if notices is None else notices
        self.stages = {} if stages is None else stages

    @property
    def exit_code(self) -> int:
        return EXIT_INVALID if self.findings else EXIT_OK

    @property
    def ok(self) -> bool:
        return not self.findings


def check_scope(scope: str) -> str:
    value = scope.strip().lower()
    if value not in SCOPES:
        raise SmallError(f"invalid --workspace value {scope!r}; use one of: {', '.join(SCOPES)}", exit_code=EXIT_USAGE)
    return value


def check_state(state: State, strict: bool = False, options: CheckOptions | None = None) -> CheckResult:
    """Judge a workspace. Raises SmallError (exit 2) when a file cannot be read or parsed."""
    opts = options or CheckOptions(strict=strict)
    result = CheckResult()
    # Only verify parses the workspace file; lint reads its text for the small_version quoting, as the
    # reference's lint does (which never parses it, so a workspace file that does not parse fails only verify)
    needed = ALL_FILES if "verify" in opts.stages else CANONICAL
    docs: dict[str, Document | None] = {kind: state.load(kind) if kind in needed else None for kind in ALL_FILES}
    paths = {kind: state.path(kind) for kind in ALL_FILES}
    by_stage: dict[str, list[Finding]] = {stage: [] for stage in STAGES}

    for kind in CANONICAL:
        if docs[kind] is None:
            by_stage["validate"].append(
                Finding(
                    "missing-file",
                    paths[kind],
                    f"{paths[kind]} is missing",
                    None,
                    "run: small init --force (it creates only the missing files)",
                    stage="validate",
                )
            )
    if "validate" in opts.stages:
        for kind in CANONICAL:
            if docs[kind] is not None:
                by_stage["validate"] += schema_findings(kind, docs[kind], paths[kind])
    secret_paths: set[tuple[str, tuple[str | int, ...]]] = set()
    if "lint" in opts.stages:
        lint = by_stage["lint"]
        for kind in CANONICAL:
            if docs[kind] is not None:
                lint += artifact_findings(kind, docs[kind], paths[kind])
        lint += cross_rules.plan_graph(docs["plan"], paths["plan"])
        lint += cross_rules.evidence_gate(docs["plan"], docs["progress"], paths["plan"])
        if opts.strict:
            lint += cross_rules.strict_cross(docs["plan"], docs["progress"], docs["handoff"], paths)
            lint += _strict_content(docs, paths, secret_paths)
            lint += cross_rules.layout(state.layout, state.small_dir)
        quoting = [f for kind in ALL_FILES for f in version_format(_text(state, docs[kind], kind), paths[kind])]
        if opts.format_strict:
            lint += quoting
        else:
            result.warnings += [Finding(f.rule, f.file, f.message, f.line, f.hint, WARNING, f.stage) for f in quoting]
    if "verify" in opts.stages:
        verify = by_stage["verify"]
        verify += workspace_findings(docs[WORKSPACE], paths[WORKSPACE], opts.scope)
        verify += cross_rules.current_task(docs["plan"], docs["handoff"], paths["handoff"])
        verify += _lifecycle(docs)
    _drop_duplicates(by_stage)
    if opts.notices:
        from small_git.protocol import interop  # only the JSON report shows notices

        result.notices = interop.notices(docs, paths, opts.strict and "lint" in opts.stages, secret_paths)
    for stage in STAGES:
        if stage not in opts.stages and not (stage == "validate" and by_stage[stage]):
            result.stages[stage] = "skipped"
            continue
        found = sorted(by_stage[stage], key=sort_key)
        result.stages[stage] = "failed" if found else "ok"
        result.findings += [f if f.stage == stage else _restage(f, stage) for f in found]
    return result


def _drop_duplicates(by_stage: dict[str, list[Finding]]) -> None:
    """One problem, one finding: where the lint rules (or verify) name the same value as the schema, keep the
    more specific rule; S3 and the every-mode current-task rule name the same value too."""
    for keep, drop in (("lint", "validate"), ("verify", "validate"), ("lint", "verify")):
        taken = {(f.file, f.pointer) for f in by_stage[keep] if f.pointer is not None}
        by_stage[drop] = [f for f in by_stage[drop] if f.pointer is None or (f.file, f.pointer) not in taken]


def _restage(finding: Finding, stage: str) -> Finding:
    return Finding(
        finding.rule,
        finding.file,
        finding.message,
        finding.line,
        finding.hint,
        finding.severity,
        stage,
        finding.deviation,
        finding.pointer,
    )


def _strict_content(
    docs: dict[str, Document | None], paths: dict[str, str], secret_paths: set[tuple[str, tuple[str | int, ...]]]
) -> list[Finding]:
    from small_git.protocol.secrets import find_insecure_links, find_secrets

    findings: list[Finding] = []
    for kind in CANONICAL:
        doc = docs[kind]
        if doc is None or doc.data is None:
            continue
        out = Reporter(doc, paths[kind])
        for where, message in find_secrets(doc.data):
            secret_paths.add((kind, tuple(where)))
            out.add(
                "secret",
                message,
                where,
                hint="remove the secret (committed? rotate it, then: small redact)",
                deviation="D3",
            )
        for where, message in find_insecure_links(doc.data, allow_loopback=kind == "progress"):
            out.add("insecure-link", message, where, hint="use https://", deviation="D4")
        findings += out.findings
    return findings


def _lifecycle(docs: dict[str, Document | None]) -> list[Finding]:
    plan, progress = docs["plan"], docs["progress"]
    if plan is None or progress is None:
        return []
    return lifecycle_findings(plan, progress)


def workspace_findings(doc: Document | None, path: str, scope: str) -> list[Finding]:
    hint = "run: small init --force (it creates only the missing files)"
    if doc is None:
        return [Finding("workspace", path, f"{path} is missing", None, hint, stage="verify")]
    data = doc.data
    if not isinstance(data, dict):
        return [Finding("workspace", path, f"{path} must hold a mapping with a kind", 1, hint, stage="verify")]
    kind = data.get("kind")
    if kind not in WORKSPACE_KINDS:
        return [
            Finding(
                "workspace",
                path,
                f"workspace kind {kind!r} is not one of: {', '.join(WORKSPACE_KINDS)}",
                doc.line_of(("kind",)),
                "write kind: repo-root",
                stage="verify",
            )
        ]
    wanted = SCOPE_KIND.get(scope)
    if wanted is not None and kind != wanted:
        return [
            Finding(
                "workspace",
                path,
                f"workspace kind {kind!r} is not allowed for --workspace {scope}",
                doc.line_of(("kind",)),
                "pass --workspace any, or run in the right workspace",
                stage="verify",
            )
        ]
    return []


_VERSION_LINE = re.compile(r"^[ \t]*small_version:[ \t]*(.*)$", re.MULTILINE)


def _text(state: State, doc: Document | None, kind: str) -> str | None:
    if doc is not None:
        return doc.text
    entry = state.files[kind]
    if entry.problem is not None:
        # A file lint cannot read is refused even unparsed (a directory, a dangling link), as the reference does.
        raise SmallError(f"{entry.path}: {entry.problem}", exit_code=EXIT_USAGE, file=entry.path, rule="unreadable")
    raw = entry.raw
    return None if raw is None else raw.decode("utf-8", errors="replace")


def version_format(text: str | None, path: str) -> list[Finding]:
    """small_version must be written as a double-quoted string (the reference's --format-strict rule).

    Like the reference, the first line that looks like `small_version:` is judged, wherever it is, so a
    workspace that passes here passes there too.
    """
    if text is None:
        return []
    match = _VERSION_LINE.search(text)
    if not match:
        return []
    value = match.group(1).split("#", 1)[0].strip()
    if value.startswith('"') and value.endswith('"') and len(value) >= 2:
        return []
    line_no = text.count("\n", 0, match.start()) + 1
    return [
        Finding(
            "version-format",
            path,
            "small_version should be a double-quoted string",
            line_no,
            'write small_version: "1.0.0" (or run: small fix)',
            ERROR,
        )
    ]
