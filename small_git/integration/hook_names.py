"""The git hooks small-git installs in a clone, apart from what runs them: importing this starts nothing."""

HOOK_NAMES = (
    "pre-commit",
    "pre-merge-commit",
    "commit-msg",
    "post-rewrite",
    "pre-push",
    "post-commit",
    "post-merge",
    "post-checkout",
)
