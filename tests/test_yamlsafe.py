"""The safe YAML loader (spec §2): values, limits and the text of every error."""

from __future__ import annotations

import codecs
import math
from typing import Any

import pytest
import yaml

from small_git.errors import EXIT_USAGE
from small_git.protocol import yaml_events, yamlsafe
from small_git.protocol.yamlsafe import DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH, Limits, YamlError, load_yaml

SOURCE = ".small/plan.small.yml"


def load(text: str | bytes, limits: Limits = yamlsafe.DEFAULT_LIMITS) -> Any:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return load_yaml(data, SOURCE, limits).data


def error_of(text: str | bytes, limits: Limits = yamlsafe.DEFAULT_LIMITS) -> YamlError:
    with pytest.raises(YamlError) as caught:
        load(text, limits)
    assert caught.value.exit_code == EXIT_USAGE
    assert caught.value.file == SOURCE
    return caught.value


def assert_points_at(error: YamlError, line: int, column: int, shown: str) -> None:
    """`file:line:column` first, then the offending line, then a caret under the column."""
    head, *rest = error.message.split("\n")
    assert head.startswith(f"{SOURCE}:{line}:{column}: "), error.message
    assert (error.line, error.column) == (line, column)
    assert rest[0] == "    " + shown, error.message
    assert rest[1] == "    " + " " * (column - 1) + "^", error.message


# --- YAML 1.2 core scalars -------------------------------------------------------------------------------


@pytest.mark.parametrize("spelling", ["true", "True", "TRUE"])
def test_true_spellings_are_booleans(spelling: str) -> None:
    assert load(f"a: {spelling}\n") == {"a": True}


@pytest.mark.parametrize("spelling", ["false", "False", "FALSE"])
def test_false_spellings_are_booleans(spelling: str) -> None:
    assert load(f"a: {spelling}\n") == {"a": False}


@pytest.mark.parametrize("word", ["yes", "no", "on", "off", "Yes", "NO", "On", "OFF", "y", "n", "tRUE"])
def test_yaml_1_1_booleans_stay_strings(word: str) -> None:
    assert load(f"a: {word}\n") == {"a": word}


@pytest.mark.parametrize(
    "stamp", ["2025-01-04", "2025-01-04T10:00:00Z", "2025-01-04 10:00:00.5 +01:00", "2025-01-04T10:00:00.000000000Z"]
)
def test_timestamp_looking_plain_scalars_stay_strings(stamp: str) -> None:
    assert load(f"a: {stamp}\n") == {"a": stamp}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("~", None),
        ("null", None),
        ("Null", None),
        ("NULL", None),
        ("", None),
        ("0", 0),
        ("-12", -12),
        ("+7", 7),
        ("012", 12),
        ("0o17", 15),
        ("0x1F", 31),
        ("1.5", 1.5),
        ("-0.5", -0.5),
        ("1e3", 1000.0),
        (".5", 0.5),
        (".inf", math.inf),
        ("1234e5678901", "1234e5678901"),  # past float range: a short commit id, not infinity
        ("-9e999", "-9e999"),
        ("-.Inf", -math.inf),
        ("0b101", "0b101"),
        ("1_000", "1_000"),
        ("0x", "0x"),
        ("nULL", "nULL"),
        ("abc", "abc"),
    ],
)
def test_core_schema_resolution(text: str, value: Any) -> None:
    assert load(f"a: {text}\n") == {"a": value}


def test_nan_is_a_float() -> None:
    assert math.isnan(load("a: .NaN\n")["a"])


def test_quoted_scalars_are_always_strings() -> None:
    assert load("a: 'true'\nb: \"1\"\nc: '~'\nd: \"2025-01-04\"\n") == {
        "a": "true",
        "b": "1",
        "c": "~",
        "d": "2025-01-04",
    }


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("!!str 1", "1"),
        ("!!str true", "true"),
        ("!!str ~", "~"),
        ("!!int '7'", 7),
        ("!!int 0x10", 16),
        ("!!float 1", 1.0),
        ("!!float '2.5'", 2.5),
        ("!!bool 'false'", False),
        ("!!null ''", None),
        ("!!binary aGk=", "aGk="),
        ("!!timestamp 2025-01-01", "2025-01-01"),
        ("! 12", "12"),
        ("!!seq [1]", [1]),
        ("!!map {b: 1}", {"b": 1}),
    ],
)
def test_standard_tags(text: str, value: Any) -> None:
    assert load(f"a: {text}\n") == {"a": value}


def test_a_value_that_does_not_fit_its_standard_tag_is_an_error() -> None:
    error = error_of("a: 1\nb: !!int abc\n")
    assert "'abc' is not a valid !!int" in error.message
    assert_points_at(error, 2, 4, "b: !!int abc")


@pytest.mark.parametrize("tag", ["!custom", "!!python/object:os.system", "!!set", "!<tag:example.com:x>"])
def test_unknown_and_unsupported_tags_are_errors(tag: str) -> None:
    error = error_of(f"a: 1\nb: {tag} x\n")
    assert "tag" in error.reason
    assert_points_at(error, 2, 4, f"b: {tag} x")


def test_a_local_tag_on_a_collection_is_an_error() -> None:
    error = error_of("a:\n  - 1\nb: !thing\n  c: 1\n")
    assert "unsupported tag '!thing'" in error.message
    assert error.line == 3


def test_huge_integers_are_refused_with_a_position_not_a_crash() -> None:
    error = error_of("a: 1\nb: " + "9" * 5000 + "\n")
    assert "number too large" in error.message
    assert (error.line, error.column) == (2, 4)
    assert error_of("a: 0x" + "f" * 4000 + "\n").line == 1
    assert error_of("a: !!float " + "9" * 400 + "\n").line == 1


def test_integers_that_python_can_print_still_load() -> None:
    assert load("a: " + "9" * 4000 + "\n") == {"a": int("9" * 4000)}


# --- structure errors ------------------------------------------------------------------------------------


def test_duplicate_key_names_the_second_occurrence() -> None:
    error = error_of("a: 1\nb: 2\na: 3\n")
    assert "duplicate key 'a'" in error.message
    assert_points_at(error, 3, 1, "a: 3")


def test_duplicate_key_in_a_nested_flow_mapping() -> None:
    error = error_of("tasks:\n  - {id: x, id: y}\n")
    assert "duplicate key 'id'" in error.message
    assert (error.line, error.column) == (2, 13)


def test_the_same_key_in_different_mappings_is_fine() -> None:
    assert load("a: {x: 1}\nb: {x: 2}\n") == {"a": {"x": 1}, "b": {"x": 2}}


@pytest.mark.parametrize(
    ("key", "kind"), [("1", "an integer"), ("1.5", "a number"), ("true", "a boolean"), ("~", "null")]
)
def test_non_string_scalar_keys_are_errors(key: str, kind: str) -> None:
    error = error_of(f"a: 1\n{key}: x\n")
    assert f"a mapping key must be a string, not {kind}" in error.message
    assert_points_at(error, 2, 1, f"{key}: x")


@pytest.mark.parametrize(("text", "kind"), [("? [a]\n: 1\n", "sequence"), ("? {a: 1}\n: 1\n", "mapping")])
def test_collection_keys_are_errors(text: str, kind: str) -> None:
    assert f"a mapping key must be a string, not a {kind}" in error_of(text).message


def test_quoted_number_keys_are_strings() -> None:
    assert load("'1': x\n") == {"1": "x"}


def test_second_document_with_content_is_an_error_at_its_start() -> None:
    error = error_of("a: 1\n---\nb: 2\n")
    assert "second YAML document" in error.message
    assert_points_at(error, 2, 1, "---")


@pytest.mark.parametrize("text", ["---\na: 1\n", "---\na: 1\n...\n", "a: 1\n...\n", "---\na: 1\n...\n---\n"])
def test_explicit_markers_around_one_document_are_fine(text: str) -> None:
    assert load(text) == {"a": 1}


@pytest.mark.parametrize("text", ["", "---\n", "--- ~\n", "# only a comment\n"])
def test_empty_documents_load_as_none(text: str) -> None:
    assert load(text) is None


def test_syntax_error_at_end_of_file_says_so() -> None:
    error = error_of("a: 1\nb: [\n")
    assert error.message.startswith(f"{SOURCE}:3:1: ")
    assert error.message.endswith("\n    (end of file)")


@pytest.mark.parametrize(
    ("text", "line", "column", "shown", "quote", "runs_to"),
    [
        (
            'a: 1\nb: 2\nc: 3\nd: 4\ne: "unterminated\nf: 6\ng: 7\n',
            5,
            4,
            'e: "unterminated',
            '"',
            "the end of the file",
        ),
        ("a: 1\nb: 2\nc: 3\nd: 4\ne: 'open\nf: 6\n", 5, 4, "e: 'open", "'", "the end of the file"),
        ('entries:\n  - task_id: "a\n    status: x\n---\nb: 1\n', 2, 14, '  - task_id: "a', '"', "line 4"),
        ("\u00e4: \u00e9\u00e9\n\u00e9\u00e9: 'x\n", 2, 5, "\u00e9\u00e9: 'x", "'", "the end of the file"),
    ],
)
def test_an_unclosed_quote_is_reported_where_it_opened(
    text: str, line: int, column: int, shown: str, quote: str, runs_to: str
) -> None:
    error = error_of(text)
    assert_points_at(error, line, column, shown)
    assert f"the {quote} quote opened here is never closed (the string runs on to {runs_to})" in error.message
    assert f"close the string with a {quote} on this line" in (error.hint or "")


def test_syntax_error_names_line_column_and_shows_the_line() -> None:
    error = error_of("a: 1\nb: x: y\n")
    assert_points_at(error, 2, 5, "b: x: y")


# --- anchors, aliases, merge keys ------------------------------------------------------------------------


def test_anchors_and_aliases() -> None:
    assert load("a: &x [1, 2]\nb: *x\nc: &s hi\nd: *s\n") == {"a": [1, 2], "b": [1, 2], "c": "hi", "d": "hi"}


def test_undefined_and_self_referencing_aliases_are_errors() -> None:
    assert_points_at(error_of("a: 1\nb: *nope\n"), 2, 4, "b: *nope")
    assert "undefined (or enclosing) anchor" in error_of("a: &a [*a]\n").message


def test_merge_keys_are_honoured_and_explicit_keys_win() -> None:
    data = load("base: &b {x: 1, y: 2}\nd:\n  <<: *b\n  y: 3\n")
    assert data["d"] == {"x": 1, "y": 3}


def test_merge_key_with_a_list_of_mappings() -> None:
    data = load("a: &a {x: 1}\nb: &b {x: 9, y: 2}\nc:\n  <<: [*a, *b]\n")
    assert data["c"] == {"x": 1, "y": 2}


def test_merge_key_must_merge_mappings() -> None:
    error = error_of("a: &a 1\nc:\n  <<: *a\n")
    assert "merge key (<<) needs a mapping" in error.message
    assert error.line == 3


@pytest.mark.parametrize(
    "text",
    [
        "a: &a {x: 1}\nb: &b {x: 2}\nc:\n  <<: *a\n  <<: *b\n",
        "a: &a {x: 1}\nb: &b {x: 2}\nc:\n  <<: *a\n  y: 0\n  <<: *b\n",
        "a: &a {x: 1}\nb: &b {x: 2}\nc: {<<: *a, <<: [*b]}\n",
    ],
)
def test_a_second_merge_key_is_a_duplicate_key(text: str) -> None:
    """Spec §2: `<<` is a key like any other; which of two wins differs between readers."""
    error = error_of(text)
    assert "duplicate merge key" in error.message
    assert error.rule == "yaml"
    assert "<<: [*first, *second]" in (error.hint or "")


def test_quoted_merge_key_is_an_ordinary_key() -> None:
    assert load("'<<': 1\n") == {"<<": 1}


def billion_laughs(levels: int = 9) -> str:
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels + 1):
        refs = ", ".join([f"*l{level - 1}"] * 9)
        lines.append(f"l{level}: &l{level} [{refs}]")
    return "\n".join(lines) + "\n"


def test_alias_bomb_fails_with_the_default_budget() -> None:
    error = error_of(billion_laughs())
    assert "alias bomb" in error.message
    assert error.line is not None and error.line <= 10


def test_alias_budget_counts_expanded_nodes() -> None:
    limits = Limits(max_alias_nodes=5)
    assert load("a: &a [1, 2, 3]\nb: *a\n", limits)["b"] == [1, 2, 3]  # 4 nodes: within the budget
    error = error_of("a: &a [1, 2, 3]\nb: *a\nc: *a\n", limits)  # 8 nodes
    assert "more than 5 nodes" in error.message
    assert_points_at(error, 3, 4, "c: *a")


def test_merge_keys_count_against_the_alias_budget() -> None:
    text = "big: &big {a: 1, b: 2, c: 3, d: 4}\nx:\n  <<: *big\ny:\n  <<: *big\n"
    assert load(text, Limits(max_alias_nodes=20))["y"] == {"a": 1, "b": 2, "c": 3, "d": 4}
    assert error_of(text, Limits(max_alias_nodes=12)).line == 5


# --- encodings and odd bytes -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bom", "codec"),
    [
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
    ],
)
def test_utf16_and_utf32_with_a_bom(bom: bytes, codec: str) -> None:
    assert load(bom + "a: ünï\nb: [1, ✓]\n".encode(codec)) == {"a": "ünï", "b": [1, "✓"]}


def test_utf8_bom_is_skipped() -> None:
    assert load(codecs.BOM_UTF8 + b"a: 1\n") == {"a": 1}


def test_utf16_without_a_bom_is_an_error() -> None:
    error = error_of("a: x\n".encode("utf-16-le"))
    assert error.line == 1


def test_invalid_utf8_names_the_byte_and_its_position() -> None:
    error = error_of(b"a: 1\nb: \xc3\xa9\xff!\n")
    assert "invalid UTF-8 byte 0xff" in error.message
    # the column counts characters: 'é' is two bytes but one column
    assert_points_at(error, 2, 5, "b: é\ufffd!")


def test_invalid_utf8_at_the_start() -> None:
    assert (error_of(b"\x80a: 1\n").line, error_of(b"\x80a: 1\n").column) == (1, 1)


def test_invalid_utf16_is_an_error() -> None:
    error = error_of(codecs.BOM_UTF16_LE + b"a\x00:\x00 \x00\x00\xd8")  # a lone surrogate
    assert "invalid UTF-16" in error.message
    assert error.line == 1


def test_nul_byte_names_its_position() -> None:
    error = error_of(b'a: 1\nowner: "hu\x00man"\n')
    assert "NUL byte" in error.message
    assert (error.line, error.column) == (2, 11)
    assert '    owner: "hu\ufffdman"' in error.message


def test_other_control_characters_are_errors() -> None:
    error = error_of(b"a: 1\nb: x\x07y\n")
    assert "control character U+0007" in error.message
    assert_points_at(error, 2, 5, "b: x\ufffdy")


def test_crlf_line_endings() -> None:
    doc = load_yaml(b"a: 1\r\nb:\r\n  - x\r\n  - y\r\n", SOURCE)
    assert doc.data == {"a": 1, "b": ["x", "y"]}
    assert doc.line_of(("b", 1)) == 4


def test_lone_cr_line_endings() -> None:
    doc = load_yaml(b"a: 1\rb: 2\rc: three\r", SOURCE)
    assert doc.data == {"a": 1, "b": 2, "c": "three"}
    assert doc.line_of(("c",)) == 3


def test_crlf_error_position() -> None:
    error = error_of(b"a: 1\r\nb: x: y\r\n")
    assert_points_at(error, 2, 5, "b: x: y")


def test_tab_indentation_is_an_error_with_position() -> None:
    error = error_of("a:\n\tb: 1\n")
    assert error.message.startswith(f"{SOURCE}:2:1: ")
    assert "\n    \tb: 1\n    ^" in error.message


def test_tabs_as_separators_are_fine() -> None:
    assert load("a:\t1\nb: x\t# comment\n") == {"a": 1, "b": "x"}


def test_long_offending_lines_are_cut_around_the_column() -> None:
    error = error_of("a: '" + "x" * 100_000 + "\n")
    shown = error.message.split("\n")[1]
    assert len(shown) < 300


# --- limits ----------------------------------------------------------------------------------------------


class ExplodingLoader:
    def __init__(self, *args: object) -> None:
        raise AssertionError("the parser must not be constructed for an input over the size limit")


def test_size_limit_is_checked_before_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yaml_events, "_EventLoader", ExplodingLoader)
    error = error_of(b"a: 1\n" * 10, Limits(max_bytes=49))
    assert "50 bytes, over the 49-byte limit" in error.message


def test_default_size_limit_is_64_mib(monkeypatch: pytest.MonkeyPatch) -> None:
    assert DEFAULT_MAX_BYTES == 64 * 1024 * 1024
    monkeypatch.setattr(yaml_events, "_EventLoader", ExplodingLoader)
    error = error_of(b"#" * (DEFAULT_MAX_BYTES + 1))
    assert f"over the {DEFAULT_MAX_BYTES}-byte limit" in error.message


def test_exactly_at_the_size_limit_is_parsed() -> None:
    assert load(b"a: 1\n", Limits(max_bytes=5)) == {"a": 1}


def test_nesting_at_the_depth_limit_loads() -> None:
    data = load("[" * DEFAULT_MAX_DEPTH + "]" * DEFAULT_MAX_DEPTH)
    for _ in range(DEFAULT_MAX_DEPTH - 1):
        data = data[0]
    assert data == []


@pytest.mark.parametrize("opening", ["[", "{a: "])
def test_nesting_over_the_depth_limit_is_refused(opening: str) -> None:
    error = error_of("x: " + opening * 10_000)
    assert f"nesting deeper than {DEFAULT_MAX_DEPTH} levels" in error.message
    assert error.line == 1


def _block(depth: int) -> str:
    return "".join("  " * level + "k:\n" for level in range(depth - 1)) + "  " * (depth - 1) + "k: 1\n"


def _flow(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("shape", [_block, _flow])
@pytest.mark.parametrize("limit", [5, 999, DEFAULT_MAX_DEPTH, 1001, 3000])
def test_the_configured_depth_holds_in_both_directions(shape: Any, limit: int) -> None:
    """libyaml has a nesting limit of its own (about 1,000 levels); small-git's limit is the one that holds,
    whether it is set lower or higher, and the refusal is small-git's own."""
    assert load(shape(limit), Limits(max_depth=limit)) is not None
    error = error_of(shape(limit + 1), Limits(max_depth=limit))
    assert error.reason == f"nesting deeper than {limit} levels"
    assert error.rule == "yaml" and error.line is not None and error.column is not None
    assert error.message.startswith(f"{SOURCE}:{error.line}:{error.column}: nesting deeper than {limit} levels")


@pytest.mark.skipif(yaml_events._LIBYAML_NEST_LEVEL is None, reason="this PyYAML's parser has no nesting limit")
def test_the_parsers_own_nesting_refusal_reads_as_small_gits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where libyaml's limit cannot be raised (its setter does nothing), its refusal still reads as
    small-git's: file:line:column, rule and the offending line, never PyYAML's wording."""
    assert yaml_events._LIBYAML_NEST_LEVEL is not None
    getter, setter = yaml_events._LIBYAML_NEST_LEVEL
    setter(10)
    monkeypatch.setattr(yaml_events, "_LIBYAML_NEST_LEVEL", (getter, lambda level: None))
    try:
        error = error_of("x: " + "[" * 50)
    finally:
        setter(DEFAULT_MAX_DEPTH + 2)
    assert error.reason == "nesting deeper than the YAML parser allows"
    assert (error.rule, error.line) == ("yaml", 1) and error.column is not None
    assert error.message.startswith(f"{SOURCE}:1:{error.column}: nesting deeper than the YAML parser allows\n")


def test_block_nesting_over_a_small_limit() -> None:
    text = "".join("  " * level + "k:\n" for level in range(5)) + "  " * 5 + "k: 1\n"
    assert load(text, Limits(max_depth=6))
    error = error_of(text, Limits(max_depth=5))
    assert (error.line, error.column) == (6, 11)


# --- Document.line_of ------------------------------------------------------------------------------------

LINES = "a: 1\nb:\n  c: [1,\n    2]\n  d:\n    - x\n    - y: 1\n      z: 2\n"


@pytest.mark.parametrize(
    ("path", "line"),
    [
        ((), 1),
        (("a",), 1),
        (("b",), 2),
        (("b", "c"), 3),
        (("b", "c", 1), 4),
        (("b", "d"), 5),
        (("b", "d", 0), 6),
        (("b", "d", 1, "z"), 8),
        # absent paths fall back to the nearest known ancestor
        (("nope",), 1),
        (("b", "d", 5), 5),
        (("b", "d", 1, "missing"), 7),
        (("a", "deeper"), 1),
    ],
)
def test_line_of(path: tuple[str | int, ...], line: int) -> None:
    assert load_yaml(LINES.encode(), SOURCE).line_of(path) == line


def test_line_of_an_empty_document() -> None:
    assert load_yaml(b"", SOURCE).line_of(("a",)) is None


def test_line_of_merged_keys_points_at_the_mapping() -> None:
    doc = load_yaml(b"base: &b {x: 1}\nd:\n  y: 2\n  <<: *b\n", SOURCE)
    assert doc.line_of(("d", "y")) == 3
    assert doc.line_of(("d", "x")) in (1, 2, 4)


# --- the pure-Python parser gives the same values as libyaml --------------------------------------------

SAMPLES = [
    "a: yes\nb: 2025-01-04\nc: [1, 0x1F, 0o17, .inf, ~, TRUE]\nd: {e: 'q', f: \"\\u00e9\"}\n",
    "base: &b {x: 1}\nd:\n  <<: *b\n  y: |\n    literal\n    text\n  z: >\n    folded\n    text\n",
    "---\nlist:\n- !!str 1\n- !!float 2\n- ! 3\n- 'it''s'\n...\n",
    "a: 1\r\nb: [x,\r\n  y]\r\n",
]


@pytest.mark.skipif(not hasattr(yaml, "CSafeLoader"), reason="PyYAML built without libyaml")
@pytest.mark.parametrize("text", SAMPLES)
def test_pure_python_parser_matches_libyaml(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = load_yaml(text.encode(), SOURCE)
    monkeypatch.setattr(yaml_events, "_EventLoader", yaml.SafeLoader)
    slow = load_yaml(text.encode(), SOURCE)
    assert slow.data == fast.data
    assert [slow.line_of(p) for p in (("a",), ("b",), ("d",), ("list", 2))] == [
        fast.line_of(p) for p in (("a",), ("b",), ("d",), ("list", 2))
    ]


@pytest.mark.skipif(not hasattr(yaml, "CSafeLoader"), reason="PyYAML built without libyaml")
@pytest.mark.parametrize(
    "text", ["a: 1\na: 2\n", "a: [1,\n", "a: !x 1\n", "a: 1\n---\nb: 2\n", 'a: 1\nb: "é€\x1b"\n', "a: 1\nb: 'x\nc: 2\n"]
)
def test_pure_python_parser_reports_the_same_line(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = error_of(text)
    monkeypatch.setattr(yaml_events, "_EventLoader", yaml.SafeLoader)
    slow = error_of(text)
    assert (slow.line, slow.column) == (fast.line, fast.column)


def test_libyaml_is_used_when_present() -> None:
    if hasattr(yaml, "CSafeLoader"):
        assert yaml_events._EventLoader is yaml.CSafeLoader
