"""git small hook pre-receive: the server gate (what `git small install --server` installs).

git runs it in the receiving repository's git dir with the push's `<old> <new> <ref>` lines on stdin. Exit 0
accepts the push; anything else refuses all of it. It fails closed: a policy it cannot read, input it cannot
parse, an internal error or the deadline refuse the push with one line for the pusher (details go to the
server-side log, never a traceback to the pusher).
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path

from small_git.errors import EXIT_INTERNAL, EXIT_USAGE, SmallError
from small_git.integration.server import messages
from small_git.integration.server import policy as server_policy
from small_git.integration.server.failsafe import ServerLog, Watchdog, process_age
from small_git.integration.server.receive import judge_push, parse_updates


def run(args: Sequence[str], stdin_text: str, env: Mapping[str, str], repo: Path | None = None) -> int:
    started = time.monotonic() - process_age()  # the forge's clock started with the hook's process
    prefix = messages.prefix_for(env)
    # git runs the hook in the git dir (GIT_DIR="."); GitHub Enterprise Server names the repository in GIT_DIR
    repo = repo or Path(env.get("GIT_DIR") or ".").absolute()
    log = ServerLog(None)
    watchdog: Watchdog | None = None
    try:
        named = _policy_argument(args)
        files, git_env = server_policy.policy_files(repo, named, env)
        os.environ.update(git_env)  # every git process of this hook (the engine's too) sees the policy files
        policy = server_policy.load(repo, files)
        log = ServerLog(policy.log)
        deadline = None
        if policy.timeout is not None:
            deadline = started + policy.timeout - server_policy.REPORT_MARGIN
            watchdog = Watchdog(started + policy.timeout, lambda: _too_slow(started, prefix, log))
            watchdog.start()
        updates = parse_updates(stdin_text)
        outcome = judge_push(repo, updates, policy, env, deadline)
        _stop(watchdog)
        seconds = time.monotonic() - started
        lines = messages.render(outcome, seconds)
        _say(lines if not outcome.refused else messages.with_prefix(lines, prefix))
        verdict = "refused" if outcome.refused else "accepted"
        refs = " ".join(v.update.ref for v in outcome.verdicts)
        log.write(f"{verdict} pusher={outcome.pusher or '-'} seconds={seconds:.2f} refs={refs}")
        return outcome.exit_code
    except SmallError as exc:
        _stop(watchdog)
        _say(messages.with_prefix(messages.policy_error(exc.message, exc.hint), prefix))
        log.write(f"refused: {exc.message}")
        return exc.exit_code or EXIT_USAGE
    except Exception as exc:  # noqa: BLE001 - fail closed: any defect refuses the push
        _stop(watchdog)
        _say(messages.with_prefix(messages.internal_error(type(exc).__name__), prefix))
        log.write(f"internal error, push refused: {type(exc).__name__}: {exc}\n{traceback.format_exc()}")
        return EXIT_INTERNAL


def _policy_argument(args: Sequence[str]) -> Path | None:
    """`--policy FILE`, which the installed hook script passes (git itself passes pre-receive no arguments)."""
    items = list(args)
    if not items:
        return None
    if len(items) == 2 and items[0] == "--policy" and items[1]:
        return Path(items[1]).absolute()
    if len(items) == 1 and items[0].startswith("--policy=") and len(items[0]) > len("--policy="):
        return Path(items[0].partition("=")[2]).absolute()
    raise SmallError(
        f"unexpected arguments for the pre-receive gate: {' '.join(items)}",
        hint="the hook script passes at most: --policy FILE",
    )


def _stop(watchdog: Watchdog | None) -> None:
    """Only one of the watchdog and the main thread speaks: when the watchdog has fired, it is already
    refusing the push and ending the process."""
    if watchdog is not None and not watchdog.cancel():
        time.sleep(60)


def _too_slow(started: float, prefix: str, log: ServerLog) -> int:
    seconds = time.monotonic() - started
    _say(messages.with_prefix(messages.too_slow(seconds), prefix))
    log.write(f"refused: not judged within the deadline ({seconds:.2f} s)")
    return 1


def _say(lines: list[str]) -> None:
    # git forwards both streams to the pusher; GitHub Enterprise Server documents stdout.
    sys.stdout.write("".join(line + "\n" for line in lines))
    sys.stdout.flush()
