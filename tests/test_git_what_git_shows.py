"""The gates judge what git shows people (spec §6.1): literal paths, no replace objects, no tree that lists a
path twice. Real commits, real pushes and audits in a fresh clone."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.cli import Result
from support.repo import Repo, prebuilt_repo, seeded_repo
from support.workspace import FIRST_ENTRY, entry, progress_yaml

PROGRESS = ".small/progress.small.yml"
E2, E3 = entry("task-2", 1), entry("task-2", 2)


def appended_and_pushed(folder: Path) -> Repo:
    repo = seeded_repo(folder)
    remote = Repo.create(folder, "remote.git", bare=True)
    repo.git("remote", "add", "origin", remote.path)
    repo.append_progress(E2)
    repo.commit("append E2")
    repo.git("push", "-q", "origin", "main")
    return repo


@pytest.fixture
def pushed(tmp_path: Path) -> Repo:
    """A seeded repository and one more entry, pushed to tmp_path/remote.git (built once per run, copied)."""
    return prebuilt_repo(f"{__name__}.pushed", appended_and_pushed, tmp_path)


def rewrite_first_entry(repo: Repo, prefix: str = "") -> None:
    repo.write_progress([dict(FIRST_ENTRY, evidence="quietly rewritten"), E2], prefix)


def refused(proc: Result, rule: str) -> None:
    assert proc.returncode != 0, proc.stderr
    assert f"[{rule}]" in proc.stderr, proc.stderr


def audit_fresh_clone(repo: Repo, old: str, new: str = "origin/main") -> Result:
    clone = Repo(repo.path.parent / "ci")
    repo.run("git", "clone", "-q", "--no-local", repo.path.parent / "remote.git", clone.path)
    return clone.small("audit", f"{old}..{new}")


@pytest.mark.parametrize("folder", [":(exclude)x", ":weird", "*", "[ab]"])
def test_a_workspace_whose_folder_looks_like_pathspec_magic_is_judged(tmp_path: Path, folder: str) -> None:
    repo = seeded_repo(tmp_path)
    prefix = f"{folder}/"
    repo.write_workspace(prefix, entries=[FIRST_ENTRY, E2])
    repo.write(f"{prefix}.small/workspace.small.yml", 'small_version: "1.0.0"\nowner: "agent"\nkind: "examples"\n')
    repo.commit("a second workspace")
    rewrite_first_entry(repo, prefix)
    refused(repo.commit("rewrite it", check=False), "progress-rewrite")
    repo.commit("rewrite it (bypassed)", "--no-verify")
    audit = repo.small("audit", "HEAD~1..HEAD")
    refused(audit, "progress-rewrite")
    assert f"{folder}/.small/progress.small.yml" in audit.stderr


@pytest.mark.parametrize(
    "switch", ["GIT_LITERAL_PATHSPECS", "GIT_GLOB_PATHSPECS", "GIT_NOGLOB_PATHSPECS", "GIT_ICASE_PATHSPECS"]
)
def test_inherited_pathspec_switches_change_nothing(pushed: Repo, switch: str) -> None:
    rewrite_first_entry(pushed)
    refused(pushed.commit("rewrite", check=False, env={switch: "1"}), "progress-rewrite")
    pushed.commit("rewrite (bypassed)", "--no-verify")
    refused(pushed.git("push", "origin", "main", check=False, env={switch: "1"}), "progress-rewrite")
    audit = pushed.small("audit", "origin/main..HEAD", env={switch: "1"})
    refused(audit, "progress-rewrite")


def test_replace_objects_do_not_change_what_is_judged(pushed: Repo) -> None:
    old = pushed.head()
    rewrite_first_entry(pushed)
    pushed.commit("rewrite (bypassed)", "--no-verify")
    bad = pushed.head()
    # a clean-looking stand-in: the same parent, an honest append
    pushed.git("reset", "-q", "--hard", old)
    pushed.append_progress(E3)
    pushed.commit("append E3")
    pushed.git("replace", bad, pushed.head())
    pushed.git("reset", "-q", "--hard", bad)
    assert "quietly rewritten" not in pushed.git("show", "HEAD:" + PROGRESS).stdout  # what replace shows
    refused(pushed.git("push", "origin", "main", check=False), "progress-rewrite")
    refused(pushed.small("audit", f"{old}..HEAD"), "progress-rewrite")
    pushed.git("push", "-q", "--no-verify", "origin", "main", "refs/replace/*")  # the remote has the stand-in too
    clone = Repo(pushed.path.parent / "ci")
    pushed.run("git", "clone", "-q", "--no-local", pushed.path.parent / "remote.git", clone.path)
    clone.git("fetch", "-q", "origin", "refs/replace/*:refs/replace/*")
    refused(clone.small("audit", f"{old}..origin/main"), "progress-rewrite")


def _commit_with_tree(repo: Repo, tree: str, parent: str, message: str) -> str:
    return repo.git("commit-tree", tree, "-p", parent, "-m", message).stdout.strip()


def _mktree(repo: Repo, lines: list[str]) -> str:
    return repo.git("mktree", input="".join(line + "\n" for line in lines)).stdout.strip()


def test_a_tree_listing_the_log_twice_is_refused(pushed: Repo) -> None:
    old = pushed.head()
    small = {
        line.split("\t")[1]: line for line in pushed.git("ls-tree", "HEAD:.small").stdout.splitlines()
    }  # mode type id \t name
    honest = pushed.git("hash-object", "-w", "--stdin", input=progress_yaml([FIRST_ENTRY, E2, E3])).stdout.strip()
    forged = pushed.git(
        "hash-object", "-w", "--stdin", input=progress_yaml([dict(FIRST_ENTRY, evidence="forged"), E2, E3])
    ).stdout.strip()
    lines = [line for name, line in small.items() if name != "progress.small.yml"]
    lines += [f"100644 blob {honest}\tprogress.small.yml", f"100644 blob {forged}\tprogress.small.yml"]
    small_tree = _mktree(pushed, lines)
    root = [line for line in pushed.git("ls-tree", "HEAD").stdout.splitlines() if not line.endswith("\t.small")]
    root_tree = _mktree(pushed, [*root, f"040000 tree {small_tree}\t.small"])
    commit = _commit_with_tree(pushed, root_tree, old, "a log listed twice")
    pushed.git("update-ref", "refs/heads/main", commit)
    refused(pushed.git("push", "origin", "main", check=False), "tree-duplicate-path")
    refused(pushed.small("audit", f"{old}..HEAD"), "tree-duplicate-path")
    pushed.git("push", "-q", "--no-verify", "origin", "main")  # a plain remote accepts it
    refused(audit_fresh_clone(pushed, old), "tree-duplicate-path")


def test_a_tree_listing_the_workspace_folder_twice_is_refused(pushed: Repo) -> None:
    old = pushed.head()
    small_tree = pushed.git("rev-parse", "HEAD:.small").stdout.strip()
    root = [line for line in pushed.git("ls-tree", "HEAD").stdout.splitlines() if not line.endswith("\t.small")]
    other = _mktree(pushed, [])  # an empty .small beside the real one
    root_tree = _mktree(pushed, [*root, f"040000 tree {small_tree}\t.small", f"040000 tree {other}\t.small"])
    commit = _commit_with_tree(pushed, root_tree, old, ".small listed twice")
    pushed.git("update-ref", "refs/heads/main", commit)
    proc = pushed.git("push", "origin", "main", check=False)
    refused(proc, "tree-duplicate-path")
