"""Shell completion scripts for `small` and `git small` (bash, zsh, fish), from click's completion.

The scripts call the program back with `_SMALL_COMPLETE=<shell>_complete` set; `main()` passes that variable
name to click whatever the program is called, so `small` and `git-small` answer alike. On top of click's
script, bash gets `_git_small` and zsh `_git-small`, the functions git's own completion calls for
`git small <TAB>`.
"""

from __future__ import annotations

import click
from click.shell_completion import BashComplete, FishComplete, ShellComplete, ZshComplete

COMPLETE_VAR = "_SMALL_COMPLETE"
SHELLS: dict[str, type[ShellComplete]] = {"bash": BashComplete, "zsh": ZshComplete, "fish": FishComplete}

_BASH_GIT = r"""
complete -o nosort -F _small_completion git-small

# `git small <TAB>`: git's completion (git-completion.bash) calls _git_small with its own words and cword.
_git_small() {
    local IFS=$'\n'
    local response completion type value
    response=$(env COMP_WORDS="small ${words[*]:2}" COMP_CWORD=$((cword - 1)) _SMALL_COMPLETE=bash_complete small)
    for completion in $response; do
        IFS=',' read -r type value <<< "$completion"
        if [[ $type == 'plain' ]]; then
            COMPREPLY+=("$value")
        elif [[ $type == 'dir' ]]; then
            COMPREPLY+=($(compgen -d -- "${words[cword]}"))
        elif [[ $type == 'file' ]]; then
            COMPREPLY+=($(compgen -f -- "${words[cword]}"))
        fi
    done
}
"""

_ZSH_GIT = r"""
compdef _small_completion git-small 2>/dev/null

# `git small <TAB>`: zsh's _git calls _git-small with words starting at "small".
_git-small() {
    _small_completion "$@"
}
"""

_FISH_GIT = r"""
complete --no-files --command git-small --arguments "(_small_completion)"
"""

_EXTRA = {"bash": _BASH_GIT, "zsh": _ZSH_GIT, "fish": _FISH_GIT}


def script(cli: click.Command, shell: str) -> str:
    """The completion script for `shell` (bash, zsh or fish)."""
    source = SHELLS[shell](cli, {}, "small", COMPLETE_VAR).source()
    return source.rstrip() + "\n" + _EXTRA[shell]
