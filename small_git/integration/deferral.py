"""When pre-commit leaves its judgement to commit-msg.

pre-commit judges the staged change before its message exists; commit-msg judges the same change with the
message. A message only adds to what the gates see (a `Co-authored-by:` trailer can name an agent; the
`Small-Redact:` trailer that a redaction needs is what pre-commit leaves to commit-msg), so everything
pre-commit refuses, commit-msg refuses too. pre-commit's own run only says it sooner, before an editor opens
on the message. When no editor will open (`git commit -m`, `-F`, `-C`, `--no-edit`) and small-git's native
commit-msg shim runs right after (the pre-commit shim beside it says so in `COMMIT_MSG_FOLLOWS`), judging
twice would only double the wait, so pre-commit returns at once.

This module is read before anything else a hook imports, so it imports only the process reader.
"""

from __future__ import annotations

from collections.abc import Mapping

COMMIT_MSG_FOLLOWS = "SMALL_GIT_COMMIT_MSG_FOLLOWS"  # set to 1 by the pre-commit shim, unset otherwise


def left_to_commit_msg(hook: str, env: Mapping[str, str]) -> bool:
    """Whether hook `hook` leaves its judgement to the commit-msg hook that follows it."""
    if hook != "pre-commit" or env.get(COMMIT_MSG_FOLLOWS) != "1":
        return False
    from small_git.git.processes import commit_opens_editor, nearest_command

    found = nearest_command(("commit",))
    return found is not None and not commit_opens_editor(found[1])
