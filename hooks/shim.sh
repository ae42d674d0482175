#!/bin/sh
# small-git hook shim (installed by `git small install`; `git small uninstall` removes it and restores
# the hook that was here before, kept beside it as <hook>.small-git-prev).
# It runs that previous hook first, then small-git's gate for this hook.
hook=@HOOK@
small_git=@EXE@
reads_stdin=@STDIN@
case "$0" in
*/*) previous="${0%/*}/$hook.small-git-prev" ;; # git runs a hook by its path; no fork for dirname
*) previous="./$hook.small-git-prev" ;;
esac

# reference-transaction runs for every ref update (a commit: prepared, then committed). With no previous hook
# to run, only a committed transaction that moved a remote-tracking ref concerns small-git: leave at once
# otherwise, with one fork at most (git ignores input a hook does not read).
if [ "$hook" = reference-transaction ] && [ ! -x "$previous" ]; then
    [ "${1:-}" = committed ] || exit 0
    transaction=$(cat)
    case "$transaction" in
    *" refs/remotes/"*) ;;
    *) exit 0 ;;
    esac
fi

input=/dev/null
if [ "$reads_stdin" = yes ]; then
    # pre-push and post-rewrite read their input once; both hooks need it.
    input=$(mktemp "${TMPDIR:-/tmp}/small-git-hook.XXXXXX") || exit 1
    trap 'rm -f "$input"' EXIT
    if [ -n "${transaction+set}" ]; then
        printf '%s\n' "$transaction" >"$input"
    else
        cat >"$input"
    fi
fi

previous_status=0
if [ -x "$previous" ]; then
    "$previous" "$@" <"$input" || {
        previous_status=$?
        case "$hook" in
        post-rewrite | post-commit | post-merge | post-checkout) ;;
        *) exit "$previous_status" ;;
        esac
    }
fi

case "$hook" in
post-commit | post-merge | post-checkout | reference-transaction)
    # Not gates: they render the .small/ versions that the commit, merge or switch brought into git's
    # textconv cache, and never fail the git command (post-checkout's status is git checkout's: the previous
    # hook's is kept). Without starting Python: nothing to do when the cache is off here or no commit that
    # came in changes a .small/ file.
    case "$hook" in
    post-commit)
        # commit-msg has rendered the commit it let through and written down what it rendered (the parent,
        # then the .small/ lines of git diff-tree --raw): nothing is left when that is this commit
        ready=$(git rev-parse --git-path small-git/textconv-ready 2>/dev/null) || ready=
        if [ -n "$ready" ] && [ -f "$ready" ]; then
            rendered=$(cat -- "$ready")
            rm -f -- "$ready"
            if [ "$rendered" = "$(git rev-parse 'HEAD^@' 2>/dev/null &&
                unset GIT_LITERAL_PATHSPECS GIT_GLOB_PATHSPECS GIT_NOGLOB_PATHSPECS GIT_ICASE_PATHSPECS &&
                GIT_NO_REPLACE_OBJECTS=1 git diff-tree -r --raw --no-abbrev 'HEAD^' HEAD -- \
                    ':(glob)**/.small/*.small.yml' 2>/dev/null)" ]; then
                exit "$previous_status"
            fi
        fi
        # the commit, and for a merge concluded by git commit also what it brings from the other side
        range="HEAD --not HEAD^1"
        git rev-parse -q --verify "HEAD^1" >/dev/null 2>&1 || range="--no-walk HEAD"
        ;;
    post-merge)
        [ "${1:-0}" = 1 ] && exit "$previous_status" # a squash merge moves nothing
        range="HEAD --not ORIG_HEAD"
        git rev-parse -q --verify ORIG_HEAD >/dev/null 2>&1 || range="--no-walk HEAD"
        ;;
    post-checkout)
        [ "${3:-}" = 1 ] && [ "${1:-}" != "${2:-}" ] || exit "$previous_status"
        range="$2 --not $1"
        git rev-parse -q --verify "$1^{commit}" >/dev/null 2>&1 || range="$2"
        ;;
    reference-transaction)
        # Only what `git fetch` moved under refs/remotes/, once committed; every other transaction (a
        # commit, a switch, this cache's own notes) has its own hook or nothing to render. A previous hook
        # that failed while the transaction was being prepared has already aborted it above.
        [ "${1:-}" = committed ] || exit "$previous_status"
        range=$(awk '$3 ~ /^refs\/remotes\// && $1 != $2 && $2 !~ /^0+$/ {
            new = new " " $2; if ($1 ~ /^0+$/) created = 1; else old = old " ^" $1 }
            END { if (new != "") printf "%s%s%s", new, old, (created ? " --not --branches" : "") }' "$input")
        [ -n "$range" ] || exit "$previous_status"
        ;;
    esac
    # shellcheck disable=SC2086 # the range is words
    if [ "$(git config --type=bool --get small.textconvCache 2>/dev/null)" = false ] ||
        [ "$(git config --type=bool --get diff.small.cachetextconv 2>/dev/null)" != true ] ||
        ! git config --get diff.small.textconv >/dev/null 2>&1 ||
        [ -z "$(
            unset GIT_LITERAL_PATHSPECS GIT_GLOB_PATHSPECS GIT_NOGLOB_PATHSPECS GIT_ICASE_PATHSPECS
            git rev-list -n 1 --full-history $range -- ':(glob)**/.small/*.small.yml' 2>/dev/null
        )" ]; then
        exit "$previous_status"
    fi
    if [ -x "$small_git" ]; then
        @RUN@ hook "$hook" "$@" <"$input"
    elif command -v git-small >/dev/null 2>&1; then
        git-small hook "$hook" "$@" <"$input"
    else
        false
    fi || echo "small-git: $hook could not update the textconv cache of .small/ (git log -p renders it instead)" >&2
    exit "$previous_status"
    ;;
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
    # commit-msg judges the same change with its message right after. When that hook is small-git's shim too,
    # pre-commit judges only if an editor opens on the message first (small_git/integration/deferral.py).
    unset SMALL_GIT_COMMIT_MSG_FOLLOWS
    if [ "$hook" = pre-commit ] && [ -x "${previous%/*}/commit-msg" ] &&
        grep -qx 'hook=commit-msg' "${previous%/*}/commit-msg" 2>/dev/null; then
        SMALL_GIT_COMMIT_MSG_FOLLOWS=1
        export SMALL_GIT_COMMIT_MSG_FOLLOWS
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
