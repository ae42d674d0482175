"""`apply --task T -- COMMAND…` (or `--cmd STRING`): run one command and record it as evidence.

- The command runs without a shell (argv after `--`), or with `sh -c` for `--cmd` (not a login shell), in the
  workspace root, in its own process group, with a time limit; on expiry (or Ctrl-C) the whole group is
  stopped and that is recorded.
- Output is streamed to the user (stdout and stderr kept apart) and to the full log
  `.small-cache/logs/apply.<timestamp>.log`.
- Two progress entries: one when the command starts and one with its outcome (exit code and a bounded summary
  of the output's last lines). Neither carries a `status` unless `--checkpoint` is given, in which case the
  outcome entry is the checkpoint (completed on exit 0, blocked otherwise) and the plan is updated. A command
  that succeeds is evidence, not by itself the end of a task.
- Anything in the recorded command or output that looks like a secret becomes `[REDACTED]`, and `http://`
  links to non-loopback hosts are defanged (`hxxp://`), so the entry never fails `check --strict`.
- The workspace lock is held only while an entry is written, never while the command runs (which may itself
  call small-git). apply exits with the command's exit code.
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import signal
import subprocess
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from small_git.commands import run_writer
from small_git.errors import EXIT_USAGE, SmallError
from small_git.protocol import lifecycle
from small_git.protocol.artifacts import CACHE_DIR, display_path
from small_git.protocol.secrets import find_insecure_links, find_secrets, secret_in_text
from small_git.protocol.timestamps import format_ns, now_ns
from small_git.report import console
from small_git.store.lock import workspace_lock
from small_git.store.plan_edit import PlanEditor
from small_git.store.progress_log import append_entries
from small_git.store.reader import resolve_root, small_dir
from small_git.store.workspace_file import enforce_scope
from small_git.workflow.plan import read_plan, record, transition
from small_git.workflow.written import Written

DEFAULT_TASK = "meta/apply"  # meta/: exempt from S2, and views hide it from "recent"
TIMEOUT_EXIT = 124  # what coreutils `timeout` returns
INTERRUPT_EXIT = 130
KILL_GRACE_SECONDS = 5.0
SUMMARY_LINES = 20
SUMMARY_BYTES = 2048
COMMAND_CHARS = 1000
_TAIL_KEEP = 64 * 1024  # bytes of output kept in memory for the summary


@dataclass(frozen=True)
class ApplyRequest:
    directory: str | None = None
    task_id: str | None = None
    argv: tuple[str, ...] = ()
    shell_command: str | None = None
    timeout: float = 3600.0
    checkpoint: bool = False
    dry_run: bool = False
    scope: str = "root"
    json: bool = False  # one document on stdout; the command's own stdout then goes to stderr


@dataclass
class Outcome:
    exit_code: int
    seconds: float
    timed_out: bool = False
    interrupted: bool = False
    output_lines: int = 0
    tail: bytes = b""

    @property
    def succeeded(self) -> bool:
        return self.exit_code == 0 and not self.timed_out and not self.interrupted


@dataclass
class _Capture:
    log: IO[bytes]
    lock: threading.Lock = field(default_factory=threading.Lock)
    tail: deque[bytes] = field(default_factory=deque)
    tail_size: int = 0
    newlines: int = 0
    last_byte: bytes = b"\n"

    def feed(self, chunk: bytes) -> None:
        with self.lock:
            self.log.write(chunk)
            self.newlines += chunk.count(b"\n")
            self.last_byte = chunk[-1:]
            self.tail.append(chunk)
            self.tail_size += len(chunk)
            while self.tail_size - len(self.tail[0]) >= _TAIL_KEEP:
                self.tail_size -= len(self.tail.popleft())

    def lines_seen(self) -> int:
        return self.newlines + (0 if self.last_byte == b"\n" else 1)


# ------------------------------------------------------------------------------------------ preparation


def command_text(request: ApplyRequest) -> tuple[list[str], str]:
    """(argv to execute, the exact command text that is hashed and recorded)."""
    if request.shell_command is not None and request.argv:
        raise SmallError("give the command either after -- or with --cmd, not both", exit_code=EXIT_USAGE)
    if request.shell_command is not None:
        if not request.shell_command.strip():
            raise SmallError("--cmd is empty", exit_code=EXIT_USAGE, hint='example: --cmd "make test"')
        return ["sh", "-c", request.shell_command], request.shell_command
    if not request.argv:
        raise SmallError(
            "no command to run", exit_code=EXIT_USAGE, hint="example: small apply --task task-1 -- pytest -q"
        )
    return list(request.argv), shlex.join(request.argv)


def _plan_task_status(root: Path, task_id: str, need_task: bool) -> str | None:
    """The task's plan status; refuses unknown tasks (they would fail strict S2 forever, the log being
    append-only) unless the id is meta/ or there is no plan to compare with."""
    raw = read_plan(root)
    if raw is None:
        if need_task:
            raise SmallError(
                f"--checkpoint needs {display_path('plan')}",
                exit_code=EXIT_USAGE,
                hint="run: small init --force   (it creates only missing files)",
            )
        return None
    editor = PlanEditor(raw)
    if task_id.startswith("meta/") and not need_task:
        return None
    if not editor.tasks and not need_task:
        return None
    return lifecycle.normalise(editor.task(task_id).get("status"))


def _log_file(root: Path) -> tuple[Path, IO[bytes]]:
    folder = root / CACHE_DIR / "logs"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SmallError(f"cannot create {folder}: {exc.strerror}", exit_code=EXIT_USAGE) from None
    # apply.20260102T030405.123456789Z: the dot after "apply" matters. The secret detector reads runs of
    # [A-Za-z0-9+/=_-]; without it ".small-cache/logs/20260102T030405" is one 32-character run that can score
    # as a high-entropy token, and the entry's command_ref would be withheld.
    base = "apply." + format_ns(now_ns()).replace("-", "").replace(":", "")
    for attempt in range(100):
        path = folder / (f"{base}.log" if attempt == 0 else f"{base}-{attempt}.log")
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        except FileExistsError:
            continue
        except OSError as exc:
            raise SmallError(f"cannot create {path}: {exc.strerror}", exit_code=EXIT_USAGE) from None
        return path, os.fdopen(fd, "wb")
    raise SmallError(f"cannot find a free log name in {folder}", exit_code=EXIT_USAGE)


# ------------------------------------------------------------------------------------------ running


def _pump(stream: IO[bytes], echo: IO[bytes], capture: _Capture) -> None:
    fd = stream.fileno()
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        capture.feed(chunk)
        try:
            echo.write(chunk)
            echo.flush()
        except (OSError, ValueError):
            pass  # the user's terminal went away; the log still gets everything
    stream.close()


def _stop_group(process: subprocess.Popen[bytes], first: signal.Signals) -> None:
    for sig, grace in ((first, KILL_GRACE_SECONDS), (signal.SIGKILL, None)):
        try:
            os.killpg(process.pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        try:
            process.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


def execute(argv: list[str], cwd: Path, timeout: float, log: IO[bytes], stdout_to_stderr: bool = False) -> Outcome:
    capture = _Capture(log)
    started = time.monotonic()
    try:
        process = subprocess.Popen(
            argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
        )
    except FileNotFoundError:
        message = f"small apply: command not found: {argv[0]}\n".encode()
        capture.feed(message)
        console.err_bytes(message)
        return Outcome(127, 0.0, output_lines=1, tail=message)
    except PermissionError:
        message = f"small apply: permission denied: {argv[0]}\n".encode()
        capture.feed(message)
        console.err_bytes(message)
        return Outcome(126, 0.0, output_lines=1, tail=message)
    assert process.stdout is not None and process.stderr is not None
    echo_out, echo_err = console.binary_streams()
    if stdout_to_stderr:
        echo_out = echo_err
    pumps = [
        threading.Thread(target=_pump, args=(process.stdout, echo_out, capture), daemon=True),
        threading.Thread(target=_pump, args=(process.stderr, echo_err, capture), daemon=True),
    ]
    for pump in pumps:
        pump.start()
    timed_out = interrupted = False
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _stop_group(process, signal.SIGTERM)
    except KeyboardInterrupt:
        interrupted = True
        _stop_group(process, signal.SIGINT)
    for pump in pumps:
        # A background grandchild may keep a pipe open; do not wait for it forever.
        pump.join(timeout=KILL_GRACE_SECONDS)
    seconds = time.monotonic() - started
    code = process.returncode if process.returncode is not None else 1
    if code < 0:
        code = 128 - code  # killed by a signal, as a shell reports it
    if timed_out:
        code = TIMEOUT_EXIT
    elif interrupted:
        code = INTERRUPT_EXIT
    with capture.lock:
        tail = b"".join(capture.tail)
    return Outcome(code, seconds, timed_out, interrupted, capture.lines_seen(), tail)


# ------------------------------------------------------------------------------------------ redaction
# Generous on purpose: over-redacting a line of output costs little, a secret in the append-only log a lot.

REDACTED = "[REDACTED]"
_SENSITIVE = (
    r"(?:password|passwd|passphrase|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|"
    r"auth|authorization|bearer|credentials?|cookie|session)"
)
_SENSITIVE_WORD = re.compile(rf"(?i)^[\"'(\[-]*{_SENSITIVE}[\"')\]]*[:=]?$")
_SENSITIVE_ASSIGNMENT = re.compile(
    rf"(?i)^(?P<name>[^=:\s]*{_SENSITIVE}[^=:\s]*?)(?P<sep>[=:])(?P<value>[^;&|)'\"`]+)(?P<rest>.*)$"
)
_PEM_BEGIN = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY")
_PEM_END = re.compile(r"-----END [A-Z0-9 ]*PRIVATE KEY")
_INSECURE_HTTP = re.compile(r"(?i)http://(?!(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\])(?:[:/?#\s\"'<>]|$))")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-_]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_WHOLE_TOKEN = re.compile(r"[A-Za-z0-9+/]{32,}={0,2}")  # the reference's strict "secret" shape
MAX_LINE_CHARS = 200


def redact_line(line: str) -> str:
    """`line` with every word that is or follows something secret-looking replaced by [REDACTED], and
    non-loopback http:// links defanged to hxxp://."""
    parts = re.split(r"(\s+)", line)
    previous = ""
    for index, part in enumerate(parts):
        if not part or part.isspace():
            continue
        assignment = _SENSITIVE_ASSIGNMENT.match(part)
        if assignment and assignment.group("value").strip("\"'"):
            # shell punctuation after the value (`;`, `&&`, a closing quote) stays, so the command still reads
            parts[index] = f"{assignment.group('name')}{assignment.group('sep')}{REDACTED}{assignment.group('rest')}"
        elif _SENSITIVE_WORD.match(previous) or secret_in_text(part) or _WHOLE_TOKEN.fullmatch(part):
            parts[index] = REDACTED
        previous = part
    cleaned = "".join(parts)
    if secret_in_text(cleaned):
        cleaned = REDACTED
    return _INSECURE_HTTP.sub("hxxp://", cleaned)


def clean_text(text: str) -> str:
    """A command or line made safe for the log: no control characters, no secrets, no http:// links."""
    return redact_line(_CONTROL.sub(" ", _ANSI.sub("", text)))


def _screen_lines(raw: bytes) -> list[str]:
    """The output as display lines: terminal escapes removed, carriage-return redraws collapsed."""
    text = raw.decode("utf-8", "replace")
    lines = []
    for line in text.split("\n"):
        line = _ANSI.sub("", line.rstrip("\r")).rsplit("\r", 1)[-1]
        lines.append(_CONTROL.sub(" ", line).rstrip())
    while lines and not lines[-1]:
        lines.pop()
    return lines


def summarise_output(raw: bytes, max_lines: int, max_bytes: int) -> tuple[str, int]:
    """(the last lines of the output, redacted and bounded; how many lines that is)."""
    lines = []
    in_key = False
    for line in _screen_lines(raw):
        if _PEM_BEGIN.search(line):
            in_key = True
        lines.append(REDACTED if in_key else line)
        if _PEM_END.search(line):
            in_key = False
    shown = []
    size = 0
    for line in reversed(lines[-max_lines:]):
        if len(line) > MAX_LINE_CHARS:
            line = line[: MAX_LINE_CHARS - 3] + "..."
        line = redact_line(line)
        size += len(line.encode()) + 1
        if size > max_bytes:
            break
        shown.append(line)
    shown.reverse()
    return "\n".join(shown), len(shown)


def guard_entry(entry: dict[str, Any]) -> dict[str, Any]:
    """Last line of defence: whatever the strict checker would still flag is withheld outright."""
    guarded = dict(entry)
    hits = find_secrets(guarded) + find_insecure_links(guarded, allow_loopback=True)
    flagged = {path[0] for path, _ in hits if path}
    flagged |= {k for k, v in guarded.items() if isinstance(v, str) and _WHOLE_TOKEN.fullmatch(v)}
    for key in flagged:
        if key == "evidence":
            head = str(guarded[key]).split("\n", 1)[0]
            guarded[key] = f"{head}\n{REDACTED} (output withheld: see the full log)"
        elif key in ("command", "notes"):
            guarded[key] = f"{REDACTED} (see the full log)"
    return guarded


# ------------------------------------------------------------------------------------------ recording


def _command_fields(text: str, log_ref: str) -> dict[str, Any]:
    shown = clean_text(text[: 2 * COMMAND_CHARS])  # bounded work on a huge --cmd; the tail is cut anyway
    if len(shown) > COMMAND_CHARS:
        shown = shown[: COMMAND_CHARS - 3] + "..."
    digest = hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()
    return {"command": shown, "command_sha256": digest, "command_ref": log_ref}


def outcome_evidence(outcome: Outcome, log_ref: str) -> str:
    if outcome.timed_out:
        head = f"timed out after {outcome.seconds:.1f}s (process group stopped; exit {outcome.exit_code})"
    elif outcome.interrupted:
        head = f"interrupted after {outcome.seconds:.1f}s (exit {outcome.exit_code})"
    else:
        head = f"exit {outcome.exit_code} after {outcome.seconds:.1f}s"
    summary, shown = summarise_output(outcome.tail, SUMMARY_LINES, SUMMARY_BYTES)
    if not shown:
        return f"{head}; no output"
    return f"{head}; last {shown} of {outcome.output_lines} output line(s) below (full log: {log_ref})\n{summary}"


def _checkpoint(root: Path, task_id: str, entry: dict[str, Any]) -> dict[str, Any]:
    """Append the outcome entry and move the plan task, as `checkpoint` does: progress first, then the plan
    (an interruption in between is what `fix` repairs)."""
    with workspace_lock(root):
        raw = read_plan(root, required=True)
        editor = PlanEditor(raw)
        transition(editor, task_id, entry["status"], False)
        return record(root, raw, editor, [entry])[0]


def run(request: ApplyRequest) -> int:
    return run_writer("apply", request.json, lambda written: _run(request, written))


def _run(request: ApplyRequest, written: Written) -> int:
    root = resolve_root(request.directory)
    small_dir(root)
    written.start(root)
    enforce_scope(root, request.scope, "apply", allow_examples=False)
    # as the reference: a dry run without a command says so and succeeds (its own CI flow runs exactly that)
    nothing = request.dry_run and not request.argv and request.shell_command is None
    argv, text = ([], "") if nothing else command_text(request)
    if not request.timeout > 0:  # also refuses NaN
        raise SmallError(f"--timeout must be a positive number of seconds, not {request.timeout}", exit_code=EXIT_USAGE)
    task_id = (request.task_id or DEFAULT_TASK).strip()
    if not task_id:
        raise SmallError("--task is empty", exit_code=EXIT_USAGE)
    current = _plan_task_status(root, task_id, need_task=request.checkpoint)
    if request.checkpoint and lifecycle.is_final(current):
        raise SmallError(
            f"{task_id} is {current}; a checkpoint cannot move a final task",
            exit_code=EXIT_USAGE,
            hint=f"reopen it first: small checkpoint --task {task_id} "
            "--status in_progress --reopen (or drop --checkpoint)",
        )
    if request.dry_run:
        also = " and checkpoint the task" if request.checkpoint else ""
        lines = [
            "No command specified" if nothing else f"Would run in {root}: {clean_text(text)}",
            f"Would record it for task {task_id}{also}",
            "Dry run: nothing was run or recorded.",
        ]
        written.messages += lines
        written.details.update(dry_run=True, task_id=task_id)
        if not request.json:
            for line in lines:
                console.out(line)
        return 0
    log_path, log = _log_file(root)
    log_ref = log_path.relative_to(root).as_posix()
    fields = _command_fields(text, log_ref)
    with log:
        log.write(
            f"# small apply: task {task_id}\n# command: {text}\n# cwd: {root}\n".encode("utf-8", "surrogateescape")
        )
        log.flush()
        written.extra_paths.append(log_ref)
        written.entries += append_entries(
            root, [{"task_id": task_id, **fields, "notes": f"apply: started (time limit {request.timeout:g}s)"}]
        )
        console.err(f"small apply: running {fields['command']}")
        outcome = execute(argv, root, request.timeout, log, stdout_to_stderr=request.json)
        log.write(
            f"\n# exit {outcome.exit_code} after {outcome.seconds:.3f}s"
            f"{' (timed out)' if outcome.timed_out else ''}\n".encode()
        )
    entry: dict[str, Any] = {
        "task_id": task_id,
        **fields,
        "evidence": outcome_evidence(outcome, log_ref),
        "notes": f"apply: exit code {outcome.exit_code}",
    }
    entry = guard_entry(entry)
    if request.checkpoint:
        entry["status"] = "completed" if outcome.succeeded else "blocked"
        done = _checkpoint(root, task_id, entry)
        written.entries.append(done)
        console.err(f"checkpoint: {task_id} -> {entry['status']} at {done['timestamp']}")
    else:
        written.entries += append_entries(root, [entry])
    verdict = "timed out" if outcome.timed_out else f"exited {outcome.exit_code}"
    console.err(f"small apply: {verdict}; recorded for {task_id} (log: {log_ref})")
    written.details.update(
        dry_run=False,
        task_id=task_id,
        log=log_ref,
        outcome={
            "exit_code": outcome.exit_code,
            "seconds": round(outcome.seconds, 3),
            "timed_out": outcome.timed_out,
            "interrupted": outcome.interrupted,
            "output_lines": outcome.output_lines,
        },
    )
    return outcome.exit_code
