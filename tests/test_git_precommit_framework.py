"""`.pre-commit-hooks.yaml` with the real pre-commit tool: the same refusals as the native hooks.

The published manifest says `language: python`, which makes pre-commit build a virtualenv from the package
index. Tests must not download anything, so the hook repository used here is a copy of this project whose
manifest says `language: system` instead (every other field unchanged): `git-small` then comes from the test
virtualenv on PATH, and what is tested is the manifest's stages and options and the hooks' behaviour.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from support.paths import PROJECT, VENV_BIN
from support.repo import Repo, seeded_repo
from support.workspace import FIRST_ENTRY, entry

MANIFEST = PROJECT / ".pre-commit-hooks.yaml"
PROGRESS = ".small/progress.small.yml"
HOOK_TYPES = ("pre-commit", "pre-merge-commit", "commit-msg", "pre-push")

pytestmark = pytest.mark.skipif(not (VENV_BIN / "pre-commit").exists(), reason="pre-commit is not installed")


def test_manifest_declares_every_gate_as_always_run_without_file_names() -> None:
    hooks = yaml.safe_load(MANIFEST.read_text())
    by_id = {hook["id"]: hook for hook in hooks}
    assert set(by_id) == {
        "small-git-pre-commit",
        "small-git-pre-merge-commit",
        "small-git-commit-msg",
        "small-git-pre-push",
        "small-git-post-rewrite",
        "small-git-post-commit",
        "small-git-post-merge",
        "small-git-post-checkout",
    }
    for hook_id, hook in by_id.items():
        stage = hook_id.removeprefix("small-git-")
        assert hook["stages"] == [stage]
        assert hook["entry"] == f"git-small hook {stage}"
        assert hook["always_run"] is True and hook["pass_filenames"] is False
        assert hook["require_serial"] is True
        assert hook["language"] == "python" and hook["minimum_pre_commit_version"] == "3.2.0"


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Repo:
    base = tmp_path_factory.mktemp("hookrepo")
    repo = Repo.create(base, "small-git")
    text = MANIFEST.read_text().replace("language: python", "language: system")
    repo.write(".pre-commit-hooks.yaml", text)
    shutil.copy(PROJECT / "pyproject.toml", repo.path / "pyproject.toml")
    repo.commit("the hooks")
    return repo


def framework_repo(tmp_path: Path, hook_repo: Repo) -> Repo:
    repo = seeded_repo(tmp_path, install=False)
    ids = "".join(f"      - id: small-git-{hook}\n" for hook in HOOK_TYPES)
    repo.write(
        ".pre-commit-config.yaml", f"repos:\n  - repo: {hook_repo.path}\n    rev: {hook_repo.head()}\n    hooks:\n{ids}"
    )
    repo.commit("use the pre-commit framework")
    repo.run(VENV_BIN / "pre-commit", "install", *[arg for h in HOOK_TYPES for arg in ("-t", h)])
    repo.append_progress(entry("task-2", 1))
    repo.commit("append")  # a valid append passes through the framework
    return repo


@pytest.mark.slow
def test_framework_hooks_refuse_what_the_native_hooks_refuse(tmp_path: Path, hook_repo: Repo) -> None:
    repo = framework_repo(tmp_path, hook_repo)
    # --amend is seen through the framework's processes too: the amended commit may reword its own entry
    repo.write_progress([FIRST_ENTRY, dict(entry("task-2", 1), evidence="reworded")])
    repo.git("commit", "-a", "--amend", "-m", "append, reworded")
    head = repo.head()

    reworded = dict(entry("task-2", 1), evidence="reworded")
    repo.write_progress([dict(FIRST_ENTRY, evidence="rewritten"), reworded])
    proc = repo.commit("rewrite", check=False)
    assert proc.returncode != 0 and "[progress-rewrite]" in proc.stdout + proc.stderr
    repo.git("reset", "-q", "--hard")

    # The framework lists staged files without deletions; the hook still sees this one.
    repo.git("rm", "-q", PROGRESS)
    proc = repo.git("commit", "-m", "delete the log", check=False)
    assert proc.returncode != 0 and "[progress-deleted]" in proc.stdout + proc.stderr
    repo.git("reset", "-q", "--hard")

    repo.write(".small/intent.small.yml", repo.read(".small/intent.small.yml").replace("Ship", "Drop"))
    proc = repo.commit("edit\n\nCo-authored-by: Claude <noreply@anthropic.com>", check=False)
    assert proc.returncode != 0 and "[human-file-agent-change]" in proc.stdout + proc.stderr
    repo.git("reset", "-q", "--hard")
    assert repo.head() == head

    remote = Repo.create(tmp_path, "remote.git", bare=True)
    repo.git("remote", "add", "origin", remote.path)
    repo.git("push", "-q", "origin", "main")
    repo.write_progress([dict(FIRST_ENTRY, evidence="rewritten"), entry("task-2", 1)])
    repo.git("commit", "-q", "--no-verify", "-a", "-m", "rewrite (bypassed)")
    proc = repo.git("push", "origin", "main", check=False)
    assert proc.returncode != 0 and "[progress-rewrite]" in proc.stdout + proc.stderr


def test_try_repo_refuses_a_staged_deletion(tmp_path: Path, hook_repo: Repo) -> None:
    repo = seeded_repo(tmp_path, install=False)
    repo.git("rm", "-q", PROGRESS)
    proc = repo.run(VENV_BIN / "pre-commit", "try-repo", hook_repo.path, "small-git-pre-commit", check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "[progress-deleted]" in proc.stdout
    repo.git("reset", "-q", "--hard")
    repo.append_progress(entry("task-2", 1))
    repo.git("add", PROGRESS)
    ok = repo.run(VENV_BIN / "pre-commit", "try-repo", hook_repo.path, "small-git-pre-commit", check=False)
    assert ok.returncode == 0, ok.stdout + ok.stderr
