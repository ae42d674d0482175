"""The loader's limits can be configured from the environment (spec §2: "configurable")."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.repo import Repo

from small_git.errors import SmallError
from small_git.protocol.yamlsafe import DEFAULT_LIMITS, Limits
from small_git.store.reader import configured_limits


def test_defaults_without_overrides() -> None:
    limits = configured_limits({})
    assert (limits.max_bytes, limits.max_depth) == (64 * 1024 * 1024, 1000)


def test_overrides_apply() -> None:
    limits = configured_limits({"SMALL_MAX_FILE_BYTES": "4096", "SMALL_MAX_DEPTH": "50"})
    assert (limits.max_bytes, limits.max_depth) == (4096, 50)


@pytest.mark.parametrize("value", ["abc", "-1", "0", "1.5"])
def test_bad_override_is_a_usage_error(value: str) -> None:
    with pytest.raises(SmallError) as caught:
        configured_limits({"SMALL_MAX_DEPTH": value})
    assert caught.value.exit_code == 2 and "SMALL_MAX_DEPTH" in caught.value.message


def test_file_over_configured_size_is_refused_before_parsing(tmp_path: Path) -> None:
    repo = Repo.create(tmp_path, "ws")
    repo.write_workspace()
    proc = repo.small("check", env={"SMALL_MAX_FILE_BYTES": "200"})
    assert proc.returncode == 2
    assert "over the 200-byte limit" in proc.stderr and ".small/" in proc.stderr


def test_configured_depth_is_enforced(tmp_path: Path) -> None:
    repo = Repo.create(tmp_path, "ws")
    repo.write_workspace()
    repo.write(
        ".small/intent.small.yml",
        'small_version: "1.0.0"\nowner: "human"\nintent: "x"\n'
        "scope: {include: [[[[[[[[x]]]]]]]], exclude: []}\nsuccess_criteria: []\n",
    )
    proc = repo.small("check", env={"SMALL_MAX_DEPTH": "5"})
    assert proc.returncode == 2
    assert "nesting deeper than 5 levels" in proc.stderr and "intent.small.yml:4:" in proc.stderr


def test_limits_are_values_that_cannot_be_changed_in_place() -> None:
    limits = configured_limits({"SMALL_MAX_DEPTH": "50"})
    assert limits == Limits(max_depth=50) and hash(limits) == hash(Limits(max_depth=50))
    assert limits != DEFAULT_LIMITS and limits.replace(max_depth=1000) == DEFAULT_LIMITS
    assert repr(limits) == f"Limits(max_bytes={64 * 1024 * 1024}, max_depth=50, max_alias_nodes=1000000)"
    with pytest.raises(AttributeError):
        limits.max_depth = 7  # type: ignore[misc]
    assert DEFAULT_LIMITS.max_depth == 1000
