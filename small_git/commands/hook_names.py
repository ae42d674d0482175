"""The hooks `git small hook NAME` runs: a clone's, and the server's pre-receive. Light, so that the CLI can
tell a hook's call without importing click or the gates."""

from small_git.integration.hook_names import HOOK_NAMES as CLIENT_HOOKS

HOOK_NAMES = (*CLIENT_HOOKS, "pre-receive")
