#!/bin/sh
# small-git hook shim: the pre-receive gate (installed by `git small install --server`; `git small
# uninstall` removes it and restores the hook that was here before, kept beside it as
# pre-receive.small-git-prev). The previous hook runs first, on the same input, then small-git judges
# every ref update. Anything that goes wrong refuses the push: a server gate fails closed.
small_git=@EXE@
previous="$(dirname -- "$0")/pre-receive.small-git-prev"
say() { echo "@PREFIX@small-git: $*"; }

if [ -x "$previous" ]; then
    input=$(mktemp "${TMPDIR:-/tmp}/small-git-pre-receive.XXXXXX") || {
        say "cannot create a temporary file, so the push is refused (the server's TMPDIR is full or read-only)"
        exit 1
    }
    trap 'rm -f "$input"' EXIT
    cat >"$input" || exit 1
    "$previous" "$@" <"$input" || exit $?
    exec <"$input"
fi

if [ -x "$small_git" ]; then
    @RUN@ hook pre-receive @ARGS@
else
    say "$small_git is gone, so the gate cannot run and the push is refused"
    say "    fix (server admin): reinstall small-git, then run: git small install --server"
    exit 1
fi
