"""git small completion bash|zsh|fish: each script is sourced in the real shell, registers its functions, and
completes commands and options by calling the installed program back."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

VENV_BIN = Path(sys.executable).parent


def shell_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "BASH_", "ZDOTDIR"))}
    env.update({"HOME": str(home), "PATH": f"{VENV_BIN}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}"})
    return env


def run_shell(argv: list[str], script: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*argv, script], env=shell_env(home), capture_output=True, text=True, timeout=120)


def need(shell: str) -> str:
    found = shutil.which(shell)
    if found is None:
        pytest.skip(f"{shell} is not installed here (Debian: apt-get install -y {shell}); its script is not loaded")
    return found


BASH_COMPLETES = r"""
set -e
source <(small completion bash)
complete -p small git-small
ask() {
    COMPREPLY=(); COMP_WORDS=("${@:2}"); COMP_CWORD=$(( $# - 2 ))
    _small_completion "$2"; echo "$1: ${COMPREPLY[*]}"
}
ask commands small lo
ask options git-small log --ta
ask values small review --format ma
words=(git small rev); cword=2; COMPREPLY=(); _git_small; echo "git: ${COMPREPLY[*]}"
"""


def test_bash_script_loads_and_completes(tmp_path: Path) -> None:
    proc = run_shell([need("bash"), "--norc", "--noprofile", "-c"], BASH_COMPLETES, tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert "complete -o nosort -F _small_completion small" in lines
    assert "complete -o nosort -F _small_completion git-small" in lines
    assert "commands: log" in lines
    assert "options: --task" in lines
    assert "values: markdown" in lines
    assert "git: review" in lines


ZSH_LOADS = r"""
autoload -Uz compinit && compinit -u -d "$HOME/.zcompdump"
source <(small completion zsh) || exit 1
print -r -- "small: ${_comps[small]}"
print -r -- "git-small: ${_comps[git-small]}"
(( $+functions[_git-small] )) && print -r -- "git: _git-small"
response=("${(@f)$(env COMP_WORDS="small bla" COMP_CWORD=1 _SMALL_COMPLETE=zsh_complete small)}")
print -r -- "answers: ${response[2]}"
"""


def test_zsh_script_loads_and_registers_its_functions(tmp_path: Path) -> None:
    proc = run_shell([need("zsh"), "-f", "-c"], ZSH_LOADS, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    lines = proc.stdout.splitlines()
    assert lines[:3] == ["small: _small_completion", "git-small: _small_completion", "git: _git-small"]
    assert lines[3] == "answers: blame"


def test_fish_script_loads(tmp_path: Path) -> None:
    fish = need("fish")
    proc = run_shell([fish, "--no-config", "-c"], "small completion fish | source; and complete -c small", tmp_path)
    assert proc.returncode == 0 and "_small_completion" in proc.stdout, proc.stderr


def test_an_unknown_shell_is_a_usage_error(tmp_path: Path) -> None:
    proc = subprocess.run(
        [str(VENV_BIN / "small"), "completion", "tcsh"], env=shell_env(tmp_path), capture_output=True, text=True
    )
    assert proc.returncode == 2 and "tcsh" in proc.stderr


def test_help_says_how_to_load_it(tmp_path: Path) -> None:
    proc = subprocess.run(
        [str(VENV_BIN / "small"), "completion", "--help"], env=shell_env(tmp_path), capture_output=True, text=True
    )
    assert proc.returncode == 0 and "source <(small completion bash)" in proc.stdout
