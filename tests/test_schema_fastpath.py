"""The compiled yes/no schema check must agree with jsonschema on every document, valid or not."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.workspace import FIRST_ENTRY, WORKSPACE_FILES, progress_yaml

from small_git.protocol.schema_fastpath import compile_schema
from small_git.protocol.schemas import fast_check, validator
from small_git.protocol.yamlsafe import load_yaml

KINDS = ("intent", "constraints", "plan", "progress", "handoff", "workspace")
VALID: dict[str, Any] = {kind: load_yaml(text.encode(), kind).data for kind, text in WORKSPACE_FILES.items()}
VALID["progress"] = load_yaml(
    progress_yaml(
        [
            FIRST_ENTRY,
            {**FIRST_ENTRY, "timestamp": "2025-01-05T00:00:00.1Z", "evidence": [{"type": "commit", "ref": "abc"}]},
        ]
    ).encode(),
    "progress",
).data
VALID["constraints"] = load_yaml(WORKSPACE_FILES["constraints"].encode(), "c").data
VALID["intent"] = load_yaml(WORKSPACE_FILES["intent"].encode(), "i").data

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 5)
    | st.floats(allow_nan=False, width=16)
    | st.sampled_from(
        [
            "",
            " ",
            "1.0.0",
            "human",
            "agent",
            "task-1",
            "completed",
            "warn",
            "auto",
            "a" * 64,
            "2025-01-04T10:00:00.0Z",
            "abc1234",
            "ABC1234",
            "x",
        ]
    ),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(["id", "title", "task_id", "evidence", "status", "value", "source", "url", "extra"]),
            inner,
            max_size=3,
        )
    ),
    max_leaves=8,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*prefix, index))
    return found


def _replace(document: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    copied = copy.deepcopy(document)
    target = copied
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = new
    return copied


@pytest.mark.parametrize("kind", KINDS)
def test_every_shipped_schema_compiles_and_accepts_a_valid_document(kind: str) -> None:
    assert fast_check(kind)(VALID[kind])
    assert validator(kind).is_valid(VALID[kind])


def test_keywords_outside_the_subset_refuse_to_compile() -> None:
    with pytest.raises(NotImplementedError):
        compile_schema({"type": "string", "maxLength": 3})


INTERESTING: list[Any] = [
    None,
    "",
    " ",
    "x",
    "1.0.0",
    "human",
    "agent",
    "completed",
    "warn",
    "auto",
    "a" * 64,
    "abc1234",
    "ABC1234",
    0,
    1,
    -1,
    1.5,
    True,
    False,
    [],
    [""],
    ["x"],
    [{}],
    [1],
    {},
    {"extra": 1},
    {"id": "t"},
]


def _deleted(document: Any, path: tuple[Any, ...]) -> Any:
    copied = copy.deepcopy(document)
    target = copied
    for step in path[:-1]:
        target = target[step]
    del target[path[-1]]
    return copied


def _single_mutations(document: Any) -> list[Any]:
    mutations = []
    for path in _paths(document):
        mutations += [_replace(document, path, value) for value in INTERESTING]
        if path:
            mutations.append(_deleted(document, path))
        parent = document
        for step in path:
            parent = parent[step]
        if isinstance(parent, dict):
            mutations.append(_replace(document, path, {**parent, "unexpected": "x"}))
    return mutations


@pytest.mark.parametrize("kind", KINDS)
def test_compiled_check_agrees_with_jsonschema_on_every_single_mutation(kind: str) -> None:
    check, reference = fast_check(kind), validator(kind)
    for mutated in _single_mutations(VALID[kind]):
        assert check(mutated) == reference.is_valid(mutated), mutated


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(KINDS), data=st.data(), replacement=json_values)
def test_compiled_check_agrees_with_jsonschema(kind: str, data: st.DataObject, replacement: Any) -> None:
    document = VALID[kind]
    path = data.draw(st.sampled_from(_paths(document)))
    mutated = _replace(document, path, replacement)
    assert fast_check(kind)(mutated) == validator(kind).is_valid(mutated), (path, replacement)
