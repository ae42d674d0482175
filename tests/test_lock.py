"""The lock file pins every requirement pyproject.toml names, inside the range pyproject allows."""

from __future__ import annotations

import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from support.paths import PROJECT

ROOT = PROJECT


def locked() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (ROOT / "requirements" / "lock.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"lock.txt: {line!r} is not an exact pin"
            pins[canonicalize_name(name)] = version.strip()
    return pins


def declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    texts = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        texts += [text for text in extra if not text.startswith("small-git")]
    return [Requirement(text) for text in texts]


def test_every_requirement_is_pinned_inside_its_range() -> None:
    pins = locked()
    for requirement in declared():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is not in requirements/lock.txt: run scripts/lock.sh"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"lock.txt pins {requirement.name}=={pins[name]} outside {requirement.specifier}: run scripts/lock.sh"
        )


def test_every_range_has_an_upper_bound() -> None:
    """A new major release is met on purpose (SMALL_DEPS=newest), not by a fresh install."""
    for requirement in declared():
        assert any(spec.operator in ("<", "<=", "==", "~=") for spec in requirement.specifier), (
            f"{requirement} has no upper bound"
        )
