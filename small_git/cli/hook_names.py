"""The hooks `git small hook` runs: integration/hooks.py's, and the server's pre-receive. Apart from the
commands so that a hook starts without click."""

HOOK_NAMES = (
    "pre-commit",
    "pre-merge-commit",
    "commit-msg",
    "post-rewrite",
    "pre-push",
    "post-commit",
    "post-merge",
    "post-checkout",
    "pre-receive",
)
