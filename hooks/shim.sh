#!/bin/sh
# small-git hook shim (installed by `git small install`; `git small uninstall` removes it and restores
# the hook that was here before, kept beside it as <hook>.small-git-prev).
# It runs that previous hook first, then small-git's gate for this hook.
hook=@HOOK@
small_git=@EXE@
reads_stdin=@STDIN@
previous="$(dirname -- "$0")/$hook.small-git-prev"

input=/dev/null
if [ "$reads_stdin" = yes ]; then
    # pre-push and post-rewrite read their input once; both hooks need it.
    input=$(mktemp "${TMPDIR:-/tmp}/small-git-hook.XXXXXX") || exit 1
    trap 'rm -f "$input"' EXIT
    cat >"$input"
fi

if [ -x "$previous" ]; then
    "$previous" "$@" <"$input" || {
        status=$?
        [ "$hook" = post-rewrite ] || exit "$status"
    }
fi

case "$hook" in
pre-commit | commit-msg)
    # Fast path, without starting Python: nothing staged under a .small/ folder, and not a merge (whose
    # other parents may differ there; pre-merge-commit always runs). small-git makes the same test itself
    # when run another way.
    # The test reads what git shows people: no replace objects, and the pathspec means what it says
    # whatever pathspec switches the caller exported.
    if ! git rev-parse -q --verify MERGE_HEAD >/dev/null 2>&1 &&
        base=$(git rev-parse -q --verify HEAD 2>/dev/null) &&
        (
            unset GIT_LITERAL_PATHSPECS GIT_GLOB_PATHSPECS GIT_NOGLOB_PATHSPECS GIT_ICASE_PATHSPECS
            GIT_NO_REPLACE_OBJECTS=1 git diff-index --cached --quiet --no-renames "$base" -- \
                ':(glob)**/.small' ':(glob)**/.small/**'
        ) 2>/dev/null
    then
        exit 0
    fi
    ;;
esac

if [ -x "$small_git" ]; then
    @RUN@ hook "$hook" "$@" <"$input"
elif command -v git-small >/dev/null 2>&1; then
    git-small hook "$hook" "$@" <"$input"
else
    echo "small-git: $small_git is gone, so the $hook gate cannot run." >&2
    echo "    fix: reinstall small-git and run: git small install   (or remove the hooks: git small uninstall)" >&2
    exit 1
fi
