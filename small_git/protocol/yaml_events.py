"""The full YAML loader: PyYAML's parser (libyaml's C parser where present) and our own builder.

PyYAML is YAML 1.1 and its constructors resolve `yes` to a boolean, timestamps to datetimes and silently
accept duplicate keys. So only its *parser* is used, and the Python values are built from the event stream
here, iteratively, which gives us:

- YAML 1.2 core-schema scalars (protocol/yaml_scalars.py);
- errors for duplicate keys, non-string keys, unknown tags and a second document with content;
- bounded alias expansion (counted as expanded nodes, so an alias bomb fails after a fixed budget) and
  bounded nesting depth;
- the line of every mapping key and sequence item, for findings that name a line;
- `file:line:column` plus the offending line in every error.

`yamlsafe.load_yaml` is the entry point; it imports this module only when it needs it.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml import events as ev

from small_git.protocol.go_time import reads_as_time
from small_git.protocol.yaml_scalars import BOOL, NULL_RE, parse_float, parse_int, resolve_plain, type_name
from small_git.protocol.yamlsafe import Document, Limits, YamlError

try:  # libyaml's parser is an order of magnitude faster than the pure-Python one
    from yaml import CSafeLoader as _EventLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _EventLoader  # type: ignore[assignment]

# libyaml 0.2.6 and later stop at a nesting limit of their own (1,000 flow levels, 999 block levels) with
# "exceeded maximum nesting depth". small-git's limit is the one users configure, so libyaml's is raised to
# just above it (the builder below then always refuses first, with its own message) and, should libyaml still
# refuse, its error is reported as small-git's depth error.
_LIBYAML_NESTING_PROBLEM = "exceeded maximum nesting depth"

_YAML = "tag:yaml.org,2002:"


def build(text: str, source: str, limits: Limits) -> Document:
    """Load `text` (decoded, size and NUL already checked by load_yaml)."""
    return _Builder(text, source, limits).build()


def _libyaml_nest_level_functions() -> tuple[Any, Any] | None:
    """libyaml's (`yaml_get_max_nest_level`, `yaml_set_max_nest_level`), or None where the parser has no such
    limit (libyaml before 0.2.6, or the pure-Python parser)."""
    if not getattr(yaml, "__with_libyaml__", False) or _EventLoader is yaml.SafeLoader:
        return None
    try:
        import ctypes

        from yaml import _yaml  # type: ignore[attr-defined]

        library = ctypes.CDLL(_yaml.__file__)
        getter, setter = library.yaml_get_max_nest_level, library.yaml_set_max_nest_level
    except (ImportError, OSError, AttributeError):
        return None
    getter.argtypes, getter.restype = [], ctypes.c_int
    setter.argtypes, setter.restype = [ctypes.c_int], None
    return getter, setter


_LIBYAML_NEST_LEVEL = _libyaml_nest_level_functions()


def _allow_nesting(depth: int) -> None:
    """Set libyaml's limit above `depth` (libyaml counts block levels one higher than the builder does)."""
    if _LIBYAML_NEST_LEVEL is not None:
        getter, setter = _LIBYAML_NEST_LEVEL
        wanted = min(depth + 2, 2**31 - 1)
        if getter() != wanted:
            setter(wanted)


def _libyaml_refusal_exceeds(depth: int) -> bool:
    """Whether libyaml refusing to nest further proves the document is deeper than `depth` (its count of
    levels is never below the builder's)."""
    return _LIBYAML_NEST_LEVEL is not None and _LIBYAML_NEST_LEVEL[0]() > depth


def _open_parser(text: str, source: str) -> Any:
    try:
        return _EventLoader(text)  # the pure-Python reader checks for control characters right here
    except yaml.reader.ReaderError as exc:
        raise _reader_error(exc, text, source) from None


def _parse_error(exc: yaml.YAMLError, text: str, source: str) -> YamlError:
    if isinstance(exc, yaml.reader.ReaderError):
        return _reader_error(exc, text, source)
    if isinstance(exc, yaml.MarkedYAMLError):
        unclosed = _unclosed_quote(exc, text, source)
        if unclosed is not None:
            return unclosed
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem:
            problem = f"{exc.problem} ({exc.context})"
        return YamlError(
            source,
            problem,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
            text=text,
            hint="fix the YAML at the marked position: consistent indentation with spaces (no "
            "tabs), quotes around text containing ': ' or '#'",
            at_end=_gave_up_at_end(exc, text),
        )
    return YamlError(source, str(exc).splitlines()[0] if str(exc) else "invalid YAML", text=text)


def _gave_up_at_end(exc: yaml.MarkedYAMLError, text: str) -> bool:
    found = exc.problem_mark
    if found is None:
        return False
    lines = text.splitlines()
    # an escape cut short (`\`, `\u00`) is reported at its start, with its few characters after the mark
    skip = 10 if "escape" in (exc.problem or "") or "hexdecimal" in (exc.problem or "") else 0
    rest = lines[found.line][found.column :] if found.line < len(lines) else ""
    return len(rest.strip()) <= skip and " " not in rest.strip() and not "".join(lines[found.line + 1 :]).strip()


def _unclosed_quote(exc: yaml.MarkedYAMLError, text: str, source: str) -> YamlError | None:
    """A quoted string that never closes is found where the scan gives up (often the end of the file, or a
    `---` far below); the place to fix is where the quote opened, so report that."""
    opened = exc.context_mark
    if exc.context != "while scanning a quoted scalar" or opened is None:
        return None
    # by line and column: libyaml's character index is not always an index into this str
    lines = text.splitlines()
    line = lines[opened.line] if opened.line < len(lines) else ""
    quote = "'" if line[opened.column : opened.column + 1] == "'" else '"'
    found = exc.problem_mark
    at_end = _gave_up_at_end(exc, text)
    if found is None or at_end:
        where = "the end of the file"
    else:
        where = f"line {found.line + 1}"
    return YamlError(
        source,
        f"the {quote} quote opened here is never closed (the string runs on to {where})",
        line=opened.line + 1,
        column=opened.column + 1,
        text=text,
        hint=f"close the string with a {quote} on this line"
        + (' (write \\" for a quote inside it)' if quote == '"' else " (write '' for a quote inside it)"),
        at_end=at_end,
    )


def _reader_error(exc: yaml.reader.ReaderError, text: str, source: str) -> YamlError:
    """A control character. The reader's offset counts bytes in libyaml but characters in the pure-Python
    reader; both stop at the first such character, so find that instead."""
    offset = text.find(chr(exc.character)) if isinstance(exc.character, int) else -1
    offset = offset if offset >= 0 else min(max(exc.position, 0), len(text))
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    what = f"U+{exc.character:04X}" if isinstance(exc.character, int) else repr(exc.character)
    return YamlError(
        source,
        f"control character {what} is not allowed in YAML",
        line=line,
        column=column,
        text=text,
        hint="remove it, or write it as an escape in a double-quoted string (\\u0007)",
    )


class _Frame:
    __slots__ = ("value", "lines", "is_map", "key", "key_line", "merges", "anchor", "size")

    def __init__(self, value: Any, is_map: bool, anchor: str | None) -> None:
        self.value = value
        self.is_map = is_map
        self.lines: Any = {} if is_map else []
        self.key: Any = _NO_KEY
        self.key_line = 0
        self.merges: list[dict[str, Any]] | None = None
        self.anchor = anchor
        self.size = 1


_NO_KEY = object()
_MERGE = object()


class _Builder:
    def __init__(self, text: str, source: str, limits: Limits) -> None:
        self.text = text
        self.source = source
        self.limits = limits
        self.lines: dict[int, Any] = {}
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.alias_nodes = 0
        self.reference_times: list[tuple[int, int]] = []

    def fail(self, message: str, mark: Any, hint: str | None = None) -> YamlError:
        return YamlError(
            self.source,
            message,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
            text=self.text,
            hint=hint,
        )

    def too_deep(self, mark: Any) -> YamlError:
        return self.fail(
            f"nesting deeper than {self.limits.max_depth} levels",
            mark,
            hint="flatten the document (SMALL_MAX_DEPTH sets the limit)",
        )

    def build(self) -> Document:
        stack: list[_Frame] = []
        self.documents = 0
        self.document_mark: Any = None
        self.result: Any = None
        _allow_nesting(self.limits.max_depth)
        parser = _open_parser(self.text, self.source)
        try:
            self.consume(parser.get_event, stack)
        except yaml.YAMLError as exc:
            if isinstance(exc, yaml.MarkedYAMLError) and exc.problem == _LIBYAML_NESTING_PROBLEM:
                if _libyaml_refusal_exceeds(self.limits.max_depth):
                    raise self.too_deep(exc.problem_mark) from None
                raise self.fail(
                    "nesting deeper than the YAML parser allows", exc.problem_mark, hint="flatten the document"
                ) from None
            raise _parse_error(exc, self.text, self.source) from None
        finally:
            parser.dispose()
        return Document(self.result, self.source, self.lines, self.text, self.reference_times)

    def consume(self, next_event: Any, stack: list[_Frame]) -> None:
        scalar_event = ev.ScalarEvent
        while (event := next_event()) is not None:
            kind = type(event)
            if kind is scalar_event:
                try:
                    if event.tag is None and event.anchor is None:  # the common case, kept cheap
                        if event.style:
                            value = event.value
                        else:
                            value = resolve_plain(event.value)
                            if type(value) is str and len(value) > 7 and value[4] == "-":
                                self.note_time(event)
                    else:
                        value = self.scalar(event)
                except (ValueError, OverflowError):  # an integer too long to print, or to make a float of
                    raise self.fail(
                        "number too large to load", event.start_mark, hint="quote it to keep it as a string"
                    ) from None
                if event.anchor:
                    self.anchors[event.anchor] = (value, 1)
                elif stack and self.add_plain(stack[-1], value, event):
                    continue
                self.add(stack, value, 1, event)
            elif kind is ev.MappingStartEvent or kind is ev.SequenceStartEvent:
                is_map = kind is ev.MappingStartEvent
                self.check_collection_tag(event, is_map)
                if len(stack) >= self.limits.max_depth:
                    raise self.too_deep(event.start_mark)
                frame = _Frame({} if is_map else [], is_map, event.anchor)
                if stack:
                    parent = stack[-1]
                    if parent.is_map and parent.key is _NO_KEY:
                        raise self.fail(
                            "a mapping key must be a string, not a " + ("mapping" if is_map else "sequence"),
                            event.start_mark,
                            hint="quote the key",
                        )
                    self.record_line(parent, event)
                stack.append(frame)
                frame.key_line = event.start_mark.line + 1
            elif kind is ev.MappingEndEvent or kind is ev.SequenceEndEvent:
                frame = stack.pop()
                if frame.merges:
                    for merged in frame.merges:
                        for key, val in merged.items():
                            frame.value.setdefault(key, val)
                self.lines[id(frame.value)] = frame.lines
                if frame.anchor:
                    self.anchors[frame.anchor] = (frame.value, frame.size)
                if stack:
                    stack[-1].size += frame.size
                    self.finish_value(stack[-1], frame.value, event)
                else:
                    self.top(frame.value, event)
            elif kind is ev.AliasEvent:
                target = self.anchors.get(event.anchor)
                if target is None:
                    raise self.fail(
                        f"alias *{event.anchor} refers to an undefined (or enclosing) anchor", event.start_mark
                    )
                value, size = target
                self.alias_nodes += size
                if self.alias_nodes > self.limits.max_alias_nodes:
                    raise self.fail(
                        f"aliases expand to more than {self.limits.max_alias_nodes} nodes (alias bomb?)",
                        event.start_mark,
                    )
                self.add(stack, value, size, event, alias=True)
            elif kind is ev.DocumentStartEvent:
                self.documents += 1
                self.document_mark = event.start_mark

    def top(self, value: Any, event: Any) -> None:
        if self.documents <= 1:
            self.result = value
        elif value is not None:
            # point at the second document's '---', not at its end (which may lie past the last line)
            raise self.fail(
                "a second YAML document; a SMALL file holds exactly one",
                self.document_mark,
                hint="remove the '---' line and everything after it, or merge the documents",
            )

    def record_line(self, parent: _Frame, event: Any) -> None:
        if not parent.is_map:
            parent.lines.append(event.start_mark.line + 1)
        elif parent.key is not _MERGE:
            parent.lines[parent.key] = parent.key_line

    def check_collection_tag(self, event: Any, is_map: bool) -> None:
        tag = event.tag
        if tag is None or tag == "!":
            return
        expected = _YAML + ("map" if is_map else "seq")
        if tag != expected:
            raise self.fail(
                f"unsupported tag {tag!r}", event.start_mark, hint="SMALL files hold plain data; remove the tag"
            )

    def add_plain(self, parent: _Frame, value: Any, event: Any) -> bool:
        """`add` for a scalar in the usual places, inlined for speed (a progress log has about ten scalars per
        entry). False when the general path must decide: a merge key, a duplicate, a non-string key."""
        if parent.is_map:
            key = parent.key
            if key is _NO_KEY:
                if type(value) is not str or value == "<<" or value in parent.value:
                    return False
                parent.key = value
                parent.key_line = event.start_mark.line + 1
            elif key is _MERGE:
                return False
            else:
                parent.lines[key] = parent.key_line
                parent.value[key] = value
                parent.key = _NO_KEY
        else:
            parent.lines.append(event.start_mark.line + 1)
            parent.value.append(value)
        parent.size += 1
        return True

    def add(self, stack: list[_Frame], value: Any, size: int, event: Any, alias: bool = False) -> None:
        if not stack:
            self.top(value, event)
            return
        parent = stack[-1]
        parent.size += size
        if parent.is_map and parent.key is _NO_KEY:
            self.set_key(parent, value, event, alias)
            return
        self.record_line(parent, event)
        self.finish_value(parent, value, event)

    def set_key(self, parent: _Frame, key: Any, event: Any, alias: bool) -> None:
        if not isinstance(key, str):
            raise self.fail(
                f"a mapping key must be a string, not {type_name(key)}" + ("" if key is None else f" ({key!r})"),
                event.start_mark,
                hint="quote the key",
            )
        if not alias and key == "<<" and not event.style and event.tag in (None, _YAML + "merge"):
            if parent.merges is not None:
                # spec §2: a key appears once, and `<<` is a key; readers disagree on which of two wins
                raise self.fail(
                    "duplicate merge key '<<' in this mapping",
                    event.start_mark,
                    hint="merge several mappings with one key: <<: [*first, *second]",
                )
            parent.key = _MERGE
            return
        if key in parent.value:
            raise self.fail(
                f"duplicate key {key!r} in this mapping",
                event.start_mark,
                hint="each key may appear once; remove or rename one of them",
            )
        parent.key = key
        parent.key_line = event.start_mark.line + 1

    def finish_value(self, parent: _Frame, value: Any, event: Any) -> None:
        if parent.is_map:
            key = parent.key
            if key is _MERGE:
                sources = value if isinstance(value, list) else [value]
                if not sources or not all(isinstance(s, dict) for s in sources):
                    raise self.fail("a merge key (<<) needs a mapping or a list of mappings", event.start_mark)
                parent.merges = (parent.merges or []) + sources
            else:
                parent.value[key] = value
            parent.key = _NO_KEY
        else:
            parent.value.append(value)

    def note_time(self, event: Any) -> None:
        """Remember a plain scalar that the reference CLI would read as a time, not a string."""
        if reads_as_time(event.value):
            self.reference_times.append((event.start_mark.line + 1, event.start_mark.column + 1))

    def scalar(self, event: Any) -> Any:
        value: str = event.value
        tag = event.tag
        if tag is None or tag == "!":
            # a non-specific tag: plain scalars resolve by the core schema, quoted ones (and "!") are strings
            if tag is None and not event.style and event.implicit[0]:
                resolved = resolve_plain(value)
                if type(resolved) is str:
                    self.note_time(event)
                return resolved
            return value
        if not tag.startswith(_YAML):
            raise self.fail(
                f"unknown tag {tag!r}", event.start_mark, hint="SMALL files hold plain data; remove the tag"
            )
        name = tag[len(_YAML) :]
        if name == "timestamp":
            self.reference_times.append((event.start_mark.line + 1, event.start_mark.column + 1))
        if name in ("str", "binary", "timestamp"):
            return value
        if name == "null":
            if NULL_RE.match(value):
                return None
        elif name == "bool":
            if value in BOOL:
                return BOOL[value]
        elif name == "int":
            integer = parse_int(value)
            if integer is not None:
                return integer
        elif name == "float":
            real = parse_float(value)
            if real is None:
                as_int = parse_int(value)
                real = float(as_int) if as_int is not None else None
            if real is not None:
                return real
        else:
            raise self.fail(
                f"unsupported tag {tag!r}", event.start_mark, hint="SMALL files hold plain data; remove the tag"
            )
        raise self.fail(f"{value!r} is not a valid !!{name}", event.start_mark)
