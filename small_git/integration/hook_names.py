"""The git hooks small-git installs in a clone, apart from what runs them: importing this starts nothing."""

HOOK_NAMES = (
    "pre-commit",
    "pre-merge-commit",
    "commit-msg",
    "post-rewrite",
    "pre-push",
    "post-commit",  # these four keep the textconv cache filled; they are not gates
    "post-merge",
    "post-checkout",
    "reference-transaction",  # after `git fetch` moved refs/remotes/
)
STDIN_HOOKS = ("pre-push", "post-rewrite", "reference-transaction")  # git writes their input on stdin
