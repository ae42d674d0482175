"""git small install / uninstall: where hooks go, chaining the hooks that were there, restoring them."""

from __future__ import annotations

import os
from pathlib import Path

from support.repo import Repo, seeded_repo
from support.workspace import FIRST_ENTRY, entry

from small_git.integration.install import HOOKS, PREVIOUS_SUFFIX

PROGRESS = ".small/progress.small.yml"
OLD_HOOK = '#!/bin/sh\necho "$0 ran" >> "$(git rev-parse --git-dir)/../old-hook.log"\n'


def write_hook(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)


def rewrite_first_entry(repo: Repo) -> None:
    repo.write_progress([dict(FIRST_ENTRY, evidence="rewritten")])


def test_install_keeps_an_existing_hook_running_and_uninstall_restores_it(tmp_path: Path) -> None:
    repo = seeded_repo(tmp_path, install=False)
    old = repo.path / ".git/hooks/pre-commit"
    write_hook(old, OLD_HOOK)
    repo.install()
    assert (repo.path / f".git/hooks/pre-commit{PREVIOUS_SUFFIX}").read_text() == OLD_HOOK
    for hook in HOOKS:
        assert os.access(repo.path / ".git/hooks" / hook, os.X_OK)

    rewrite_first_entry(repo)
    refused = repo.commit("rewrite", check=False)
    assert refused.returncode != 0 and "[progress-rewrite]" in refused.stderr
    assert repo.read("old-hook.log").count("ran") == 1  # the old hook ran first
    repo.git("reset", "-q", "--hard")

    result = repo.small("uninstall")
    assert result.returncode == 0 and "previous hook is back" in result.stdout
    assert old.read_text() == OLD_HOOK and os.access(old, os.X_OK)
    assert not (repo.path / f".git/hooks/pre-commit{PREVIOUS_SUFFIX}").exists()
    assert not (repo.path / ".git/hooks/pre-push").exists()
    rewrite_first_entry(repo)
    repo.commit("no gate any more")  # only the old hook runs now
    assert repo.read("old-hook.log").count("ran") == 2


def test_install_is_idempotent(tmp_path: Path) -> None:
    repo = seeded_repo(tmp_path, install=False)
    write_hook(repo.path / ".git/hooks/pre-commit", OLD_HOOK)
    repo.install()
    first = {hook: (repo.path / ".git/hooks" / hook).read_text() for hook in HOOKS}
    repo.install()
    assert {hook: (repo.path / ".git/hooks" / hook).read_text() for hook in HOOKS} == first
    assert (repo.path / f".git/hooks/pre-commit{PREVIOUS_SUFFIX}").read_text() == OLD_HOOK
    repo.write("src/app.py", "print('x')\n")
    repo.commit("code")
    assert repo.read("old-hook.log").count("ran") == 1  # chained once, not twice


def test_a_failing_previous_hook_still_blocks_the_commit(tmp_path: Path) -> None:
    repo = seeded_repo(tmp_path, install=False)
    write_hook(repo.path / ".git/hooks/pre-commit", "#!/bin/sh\necho 'lint failed' >&2\nexit 3\n")
    repo.install()
    repo.write("src/app.py", "print('x')\n")
    proc = repo.commit("code", check=False)
    assert proc.returncode != 0 and "lint failed" in proc.stderr


def test_pre_push_input_reaches_both_hooks(tmp_path: Path) -> None:
    repo = seeded_repo(tmp_path, install=False)
    write_hook(repo.path / ".git/hooks/pre-push", '#!/bin/sh\ncat > "$(git rev-parse --git-dir)/../push.log"\n')
    repo.install()
    remote = Repo.create(tmp_path, "remote.git", bare=True)
    repo.git("remote", "add", "origin", remote.path)
    rewrite_first_entry(repo)
    repo.git("commit", "-q", "--no-verify", "-a", "-m", "rewrite (bypassed)")
    proc = repo.git("push", "origin", "main", check=False)
    assert proc.returncode != 0 and "[progress-rewrite]" in proc.stderr
    assert repo.read("push.log").startswith("refs/heads/main ")


def test_install_honours_core_hooks_path(tmp_path: Path) -> None:
    repo = seeded_repo(tmp_path, install=False)
    repo.git("config", "core.hooksPath", ".githooks")
    repo.install()
    assert (repo.path / ".githooks/pre-commit").is_file()
    assert not (repo.path / ".git/hooks/pre-commit").exists()
    rewrite_first_entry(repo)
    assert "[progress-rewrite]" in repo.commit("rewrite", check=False).stderr


def test_install_from_a_worktree_gates_the_worktree(tmp_path: Path) -> None:
    repo = seeded_repo(tmp_path, install=False)
    worktree = tmp_path / "wt"
    repo.git("worktree", "add", "-q", "-b", "wt", worktree)
    other = Repo(worktree)
    other.install()
    assert (repo.path / ".git/hooks/pre-commit").is_file()  # worktrees share the common hooks folder
    other.append_progress(entry("task-2", 1))
    other.commit("append in the worktree")
    rewrite_first_entry(other)
    assert "[progress-rewrite]" in other.commit("rewrite", check=False).stderr


def test_uninstall_leaves_foreign_hooks_alone(tmp_path: Path) -> None:
    repo = seeded_repo(tmp_path, install=False)
    write_hook(repo.path / ".git/hooks/pre-commit", OLD_HOOK)
    result = repo.small("uninstall")
    assert result.returncode == 0 and "not small-git's" in result.stdout
    assert (repo.path / ".git/hooks/pre-commit").read_text() == OLD_HOOK


def test_install_on_a_bare_repository_takes_the_pre_receive_gate_only(tmp_path: Path) -> None:
    bare = Repo.create(tmp_path, "bare.git", bare=True)
    result = bare.small("install")
    assert result.returncode == 0 and "pre-receive gate" in result.stdout
    assert (bare.path / "hooks/pre-receive").is_file()
    assert not any((bare.path / "hooks" / hook).exists() for hook in HOOKS)  # they need a work tree


def test_shim_reports_a_missing_executable(tmp_path: Path) -> None:
    repo = seeded_repo(tmp_path)
    shim = repo.path / ".git/hooks/pre-commit"
    text = shim.read_text()
    lines = [line for line in text.splitlines() if line.startswith("small_git=")]
    shim.write_text(text.replace(lines[0], "small_git=/nonexistent/git-small"))
    env = {"PATH": "/usr/bin:/bin"}  # no git-small on PATH either
    repo.append_progress(entry("task-2", 1))
    repo.git("add", "-A")
    proc = repo.git("commit", "-m", "x", check=False, env=env)
    assert proc.returncode != 0 and "git small install" in proc.stderr


def test_cache_hooks_chain_a_previous_hook_and_keep_its_status(tmp_path: Path) -> None:
    """post-commit, post-merge and post-checkout are installed like the gates (a hook already there, git-lfs's
    say, runs first and its status stays git's), and uninstall puts the previous one back."""
    repo = seeded_repo(tmp_path, install=False)
    old = repo.path / ".git/hooks/post-checkout"
    previous = '#!/bin/sh\necho ran >> "$(git rev-parse --git-dir)/old-hook.log"\nexit 5\n'
    write_hook(old, previous)
    repo.git("switch", "-q", "-c", "side", check=False)
    repo.append_progress(entry("task-2", 1))
    repo.commit("append on side")
    before = repo.git("switch", "-q", "main", check=False).returncode
    assert before != 0
    install = repo.small("install")
    assert install.returncode == 0 and "post-checkout: the hook that was there runs first" in install.stdout
    for hook in ("post-commit", "post-merge", "post-checkout"):
        assert hook in HOOKS and os.access(repo.path / ".git/hooks" / hook, os.X_OK)
    repo.git("update-ref", "-d", "refs/notes/textconv/small")
    proc = repo.git("switch", "-q", "side", check=False)
    assert proc.returncode == before  # what the previous hook made of it, as before small-git was installed
    assert repo.read(".git/old-hook.log").count("ran") == 3
    blob = repo.git("rev-parse", f"side:{PROGRESS}").stdout.strip()
    assert repo.git("notes", "--ref=textconv/small", "list", blob, check=False).returncode == 0

    removed = repo.small("uninstall")
    assert "post-checkout: the previous hook is back in place" in removed.stdout
    assert old.read_text() == previous
    assert not (repo.path / ".git/hooks/post-commit").exists()


def test_a_previous_reference_transaction_hook_keeps_its_input_and_its_veto(tmp_path: Path) -> None:
    """reference-transaction runs for every ref update: the hook that was there still sees each state with its
    lines, and its refusal while the transaction is prepared still aborts it."""
    repo = seeded_repo(tmp_path, install=False)
    seen = repo.path.parent / "transactions.log"
    write_hook(
        repo.path / ".git/hooks/reference-transaction",
        f'#!/bin/sh\n{{ echo "state $1"; cat; }} >> "{seen}"\n'
        '[ "$1" = prepared ] && [ -e "$(git rev-parse --git-dir)/veto" ] && exit 1\nexit 0\n',
    )
    repo.install()
    repo.write("src/app.py", "print('one')\n")
    repo.commit("code")
    log = seen.read_text()
    assert "state prepared" in log and "state committed" in log and " refs/heads/main" in log
    (repo.path / ".git/veto").touch()
    repo.write("src/app.py", "print('two')\n")
    before = repo.head()
    refused = repo.commit("vetoed", check=False)
    assert refused.returncode != 0 and repo.head() == before
