"""Strict-mode detectors: secrets in artifact values (spec §8 D3) and insecure http:// links (D4).

Pure functions over parsed YAML data; each returns ``(path, message)`` pairs in document order, at most one
per string, so the rules layer can turn them into findings with a line number (``Document.line_of(path)``).

Secrets (D3) are looked for everywhere: mapping values, list items at any depth and mapping keys. What counts:

- known formats inside any text: PEM private key blocks, AWS access key ids, GitHub and Slack tokens, URLs
  with ``user:password@``;
- ``name=value`` / ``name: value`` assignments inside text whose *name* is sensitive (see below);
- high-entropy tokens: a run of 32+ characters from ``[A-Za-z0-9+/=_-]`` that mixes letters and digits and
  whose Shannon entropy is close to that of random data (40-character base64 runs are reported as AWS secret
  access keys, which is what they usually are). A long base64 token that decodes to readable text is judged
  by that text (so an encoded source file is fine and an encoded key file is not); in a path
  (``/var/folders/93/_vx…/T/tmp``) each segment is judged on its own;
- a mapping key with a sensitive name and a non-blank string value.

A name is sensitive when its words (split on ``_ - .``, spaces and camelCase boundaries) include
``password``, ``passwd``, ``passphrase``, ``secret``, ``token`` or ``apikey``, or the word pairs ``api key`` /
``private key``. Whole words only, and no plurals: ``tokenizer``, ``max_tokens`` and ``secrets`` are
ordinary names, while ``secret_santa`` and ``token_budget`` do count (a whole word is the rule; renaming the
key is the fix). Numbers and booleans under a sensitive key are not reported: credentials are strings, and
such values are nearly always limits or flags (``token_limit: 8000``).

Never reported: hex-only strings (commit SHAs, SHA-256 digests, replayIds), UUIDs, the redaction marker
``[REDACTED sha256:<64 hex>]``, anything under the keys ``replayId``, ``replay_id``, ``previous_replay_id``,
``command_sha256`` and ``commit``, placeholders (``$VAR``, ``${VAR}``, ``<value>``, ``***``), prose, paths and
URLs without credentials. In the ``name: value`` form inside text the value must not read like a plain word
(``password: see the runbook`` is prose; ``passwd: hunter2`` is not).

Links (D4): every string value holding an ``http://`` URL (scheme in any case) whose host is not empty.
With ``allow_loopback`` (progress only) the hosts ``localhost``, ``127.0.0.1``, ``0.0.0.0`` and ``[::1]`` are
accepted with an optional port and any path: the host must match exactly, so ``http://localhost.evil.com`` is
insecure. Mapping keys are names, not links, and are not examined.
"""

from __future__ import annotations

import base64
import functools
import math
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

Path = tuple[str | int, ...]
Hit = tuple[Path, str]
Member = tuple[str | int, str | None, object]  # (step in the path, key name or None for list items, value)

# Keys whose values are digests or ids by construction (a commit SHA, a replayId), never credentials.
EXEMPT_KEYS = frozenset({"replayId", "replay_id", "previous_replay_id", "command_sha256", "commit"})

_SENSITIVE_WORDS = frozenset({"password", "passwd", "passphrase", "secret", "token", "apikey"})
_SENSITIVE_PAIRS = frozenset({("api", "key"), ("private", "key")})
_NAME_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")

_PEM = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")
_AWS_KEY_ID = re.compile(r"(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])")
_GITHUB = re.compile(r"(?<![A-Za-z0-9])(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})")
_SLACK = re.compile(r"(?<![A-Za-z0-9])xox[abprs]-(?=[A-Za-z0-9-]{10})[A-Za-z0-9]+(?:-[A-Za-z0-9]+)+")
# The look-behinds make a match start only where a name starts: without them a 200 KB run of letters costs
# quadratic time (each position would rescan the rest of the run).
_URL_CREDENTIALS = re.compile(r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]*://[^\s/:@]+:([^\s/@]+)@")
# The value is read in a bounded look-ahead so that `https://x/?token=abc` still reaches `token` (a consumed
# value would swallow it) and a long "a=a=a=..." stays linear.
_ASSIGNMENT = re.compile(r"(?<![A-Za-z0-9_.-])([A-Za-z][A-Za-z0-9_.-]*)[\"']?[ \t]*([:=])(?=[ \t]*(\S{0,256}))")
_ASSIGNMENT_GATE = re.compile(r"(?:pass|secret|token|key)[a-z0-9_.-]*[\"']?[ \t]*[:=]")
_RUN = re.compile(r"[A-Za-z0-9+/=_-]{32,}")
# Bytes of run characters become "a", all others a space: "a" * 32 in the translation means a run exists,
# found at C speed (five times faster than a regex search over prose).
_RUN_CHARS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_-")
_RUN_MARK = b"a"
_RUN_BYTES = bytes(0x61 if byte in _RUN_CHARS else 0x20 for byte in range(256))
_HEX = re.compile(r"[0-9a-fA-F]+")
_AWS_SECRET_SHAPE = re.compile(r"[A-Za-z0-9+/]{40}")
# A path segment that reads as a word or a hex object name; random base64 rarely has two of them.
_PATH_WORD = re.compile(r"[a-z]{3,}|[A-Z][a-z]{2,}|[0-9a-f]{7,}")
_SEPARATOR = re.compile(r"[-_/+=]")
# Shorter tokens decode to a handful of bytes: too few to tell text from a key.
_BASE64_TEXT_MIN = 64
_HAS_DIGIT = re.compile(r"[0-9]")
_HAS_LETTER = re.compile(r"[A-Za-z]")
_PLACEHOLDER_WORDS = frozenset({"none", "null", "nil", "true", "false", "undefined", "redacted"})

_HTTP_URL = re.compile(r"http://[^\s\"'<>`]*", re.IGNORECASE)
_LOOPBACK = re.compile(r"(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\])(?::[0-9]*)?", re.IGNORECASE)
_AUTHORITY_END = re.compile(r"[/?#\\]")
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+")


def find_secrets(data: object) -> list[Hit]:
    """Walk every value of a parsed artifact (dict keys and values, list items at any depth, strings inside
    lists included). Return (path, message) pairs, path = tuple of keys/indices from the root, message like
    "potential secret (AWS access key id) at entries[3].evidence". A secret in a key name is reported at the
    path of that key's value."""
    hits: list[Hit] = []
    for parent, step, key, value in _walk(data, skip_keys=EXEMPT_KEYS):
        if step is _FLAT:  # a mapping of plain keys to scalars (a progress entry): its members, in order
            assert isinstance(value, dict)
            for name, item in value.items():
                if name not in EXEMPT_KEYS:
                    _judge_member(parent, name, name, item, hits)
        else:
            _judge_member(parent, step, key, value, hits)
    return hits


def _judge_member(parent: Path, step: str | int | None, key: str | None, value: object, hits: list[Hit]) -> None:
    kind: str | None = None
    if key is not None:
        kind = _secret_in_key(key)
        if kind is not None:
            kind = f"{kind} in a key name"
        elif isinstance(value, str) and is_sensitive_name(key) and not _is_placeholder(value.strip()):
            kind = f"value of the key '{key}'"
    if kind is None and isinstance(value, str):
        kind = secret_in_text(value)
    if kind is not None:
        path = _path(parent, step)
        hits.append((path, f"potential secret ({kind}) at {format_path(path)}"))


def find_insecure_links(data: object, *, allow_loopback: bool) -> list[Hit]:
    """Every string value containing an http:// URL (scheme in any case: HTTP://, Http://).

    allow_loopback=True (used for progress only) allows exactly the hosts localhost, 127.0.0.1, 0.0.0.0 and
    [::1] with an optional port and path — exact host match, so http://localhost.evil.com is insecure. A bare
    'http://' with no host is ignored. One finding per offending string (its first offending URL), the message
    naming the URL."""
    hits: list[Hit] = []
    for parent, step, _key, value in _walk(data, skip_keys=frozenset()):
        if step is _FLAT:
            assert isinstance(value, dict)
            for name, item in value.items():
                if isinstance(item, str) and "://" in item:
                    _judge_link(parent, name, item, allow_loopback, hits)
        elif isinstance(value, str) and "://" in value:
            _judge_link(parent, step, value, allow_loopback, hits)
    return hits


def _judge_link(parent: Path, step: str | int | None, value: str, allow_loopback: bool, hits: list[Hit]) -> None:
    if "http://" not in value.lower():
        return
    url = _first_insecure_url(value, allow_loopback)
    if url is None:
        return
    if allow_loopback:
        advice = "use https:// (http:// is accepted only for localhost, 127.0.0.1, 0.0.0.0 and [::1])"
    elif _LOOPBACK.fullmatch(_authority(url)):
        advice = "use https:// (http:// to a loopback host is accepted only in progress)"
    else:
        advice = "use https://"
    path = _path(parent, step)
    hits.append((path, f"insecure link {url} at {format_path(path)}: {advice}"))


def secret_in_text(text: str, depth: int = 0) -> str | None:
    """The kind of the first secret found in `text` (e.g. "GitHub token"), or None.

    Each detector is gated by a plain substring test: this runs on every string of a 100,000-entry log, and
    `in` is far cheaper than a regex scan, so most strings never reach a regex."""
    if "-----BEGIN" in text and _PEM.search(text):
        return "PEM private key"
    if ("AKIA" in text or "ASIA" in text) and _AWS_KEY_ID.search(text):
        return "AWS access key id"
    if ("gh" in text) and _GITHUB.search(text):
        return "GitHub token"
    if "xox" in text and _SLACK.search(text):
        return "Slack token"
    if "@" in text:
        for match in _URL_CREDENTIALS.finditer(text):
            if not _is_placeholder(match.group(1)):
                return "password in a URL"
    lowered = text.lower()
    if ("pass" in lowered or "secret" in lowered or "token" in lowered or "key" in lowered) and _ASSIGNMENT_GATE.search(
        lowered
    ):
        assigned = _sensitive_assignment(text)
        if assigned is not None:
            return f"'{assigned}' assignment"
    if len(text) < 32 or _RUN_MARK * 32 not in text.encode("utf-8", "surrogatepass").translate(_RUN_BYTES):
        return None
    for match in _RUN.finditer(text):
        for token in _random_tokens(match.group()):
            decoded = _base64_text(token) if len(token) >= _BASE64_TEXT_MIN else None
            if decoded is None:
                return "AWS secret access key" if _AWS_SECRET_SHAPE.fullmatch(token) else "high-entropy token"
            # Encoded text (a file passed through a shell command) is judged by what it says.
            kind = secret_in_text(decoded, depth + 1) if depth < 2 else "high-entropy token"
            if kind is not None:
                return f"{kind}, base64-encoded"
    return None


@functools.lru_cache(maxsize=4096)
def is_sensitive_name(name: str) -> bool:
    """True when `name` holds one of the sensitive words (or word pairs) as a whole word."""
    words = [word.lower() for word in _NAME_WORD.findall(name)]
    if not _SENSITIVE_WORDS.isdisjoint(words):
        return True
    return any(pair in _SENSITIVE_PAIRS for pair in zip(words, words[1:], strict=False))


@functools.lru_cache(maxsize=4096)
def _secret_in_key(key: str) -> str | None:
    return secret_in_text(key)


def format_path(path: Path) -> str:
    """`entries[3].evidence`; keys that are not plain names are quoted: `tasks[0]["a.b"]`."""
    parts: list[str] = []
    for step in path:
        if isinstance(step, int) and not isinstance(step, bool):
            parts.append(f"[{step}]")
        elif isinstance(step, str) and _PLAIN_KEY.fullmatch(step):
            parts.append(f".{step}" if parts else step)
        else:
            quoted = str(step).replace("\\", "\\\\").replace('"', '\\"')
            parts.append(f'["{quoted}"]')
    return "".join(parts) or "the document root"


class _Flat:
    """The step `_walk` gives a flat mapping: see there."""


_FLAT: Any = _Flat()


def _walk(data: object, *, skip_keys: frozenset[str]) -> Iterator[tuple[Path, str | int | None, str | None, object]]:
    """(parent path, step, key name or None, value) for every mapping member and list item, in document order.

    A node's own path is built only for containers and findings: most nodes are strings, and this runs over
    logs with 100,000 entries. Iterative (a stack of iterators), so deep nesting cannot exhaust the Python
    stack; subtrees under `skip_keys` are left out. The root comes first, with step None.

    A mapping whose keys are all strings and whose values are all scalars (every entry of a usual progress
    log) is given whole, once, right after its own node: `(its path, _FLAT, None, mapping)`. The caller reads
    its members in order, leaving out `skip_keys`: the same members, in the same order, without a step of
    this generator for each."""
    yield (), None, None, data
    stack: list[tuple[Path, Iterator[Member]]] = []
    if isinstance(data, dict | list):
        if _flat(data):
            yield (), _FLAT, None, data
            return
        stack.append(((), _members(data)))
    while stack:
        parent, members = stack[-1]
        for step, key, value in members:
            if key is not None and key in skip_keys:
                continue
            yield parent, step, key, value
            if isinstance(value, dict | list):
                path = (*parent, step)
                if _flat(value):
                    yield path, _FLAT, None, value
                    continue
                stack.append((path, _members(value)))
                break
        else:
            stack.pop()


def _flat(container: object) -> bool:
    if not isinstance(container, dict):
        return False
    for key, value in container.items():
        if not isinstance(key, str) or isinstance(value, dict | list):
            return False
    return True


def _members(container: dict[object, object] | list[object]) -> Iterator[Member]:
    if isinstance(container, list):
        return ((index, None, item) for index, item in enumerate(container))
    return (
        (key, key, value) if isinstance(key, str) else (_step(key), str(key), value) for key, value in container.items()
    )


def _path(parent: Path, step: str | int | None) -> Path:
    return parent if step is None else (*parent, step)


def _step(key: object) -> str | int:
    return key if isinstance(key, int) else str(key)


def _sensitive_assignment(text: str) -> str | None:
    """The name of the first `name=value` / `name: value` in `text` with a sensitive name and a real value."""
    for match in _ASSIGNMENT.finditer(text):
        name, separator, raw = match.groups()
        if not is_sensitive_name(name):
            continue
        value = raw.strip("\"'`").rstrip(".,;:)]}\"'`")
        if not value or _is_placeholder(value):
            continue
        if separator == ":" and (value.isalpha() and (value.islower() or value[1:].islower())):
            continue  # "password: see the runbook" is prose, not an assignment
        return name
    return None


def _is_placeholder(value: str) -> bool:
    if not value:
        return True
    # $VAR, ${VAR}, %VAR%, <your password>, {{ vault }}, ***, the redaction marker (whole or cut at a space)
    if value[0] in "$<{%" or value.startswith("[REDACTED") or set(value) <= {"*", "x", "X", "."}:
        return True
    return value.lower() in _PLACEHOLDER_WORDS


def _random_tokens(run: str) -> Iterator[str]:
    """The parts of a 32+ character run that might be tokens: the run itself, or the segments of a path."""
    segments = run.split("/")
    words = sum(1 for segment in segments if _PATH_WORD.fullmatch(segment))
    if words >= 2 and 3 * words >= len(segments):
        # A path like /var/folders/93/_vx.../T/tmp: only a 32+ character segment can be a token.
        yield from (segment for segment in segments if len(segment) >= 32 and _looks_random(segment))
    elif _looks_random(run):
        yield run


def _looks_random(token: str) -> bool:
    """A candidate token is random-looking when it mixes letters and digits, is not hex (commit SHAs,
    digests, UUIDs) and has a Shannon entropy near that of random data of its length and alphabet. Mixed-case
    tokens must also change case or class every few characters: camelCase names (buildReportV2) do not."""
    if _HEX.fullmatch(token.replace("-", "").replace("_", "")):
        return False
    if not (_HAS_DIGIT.search(token) and _HAS_LETTER.search(token)):
        return False
    if _is_slug(token):
        return False
    entropy = _entropy(token)
    length = len(token)
    if token.lower() == token or token.upper() == token:
        # One case: base32/base36 tokens have a smaller alphabet, so a lower bar, unless separators show
        # words (release-2024-11-21-build-42).
        solid = _SEPARATOR.search(token) is None
        return entropy >= (min(3.7 + 0.02 * (length - 32), 4.4) if solid else _entropy_threshold(length))
    if entropy < _entropy_threshold(length):
        return False
    words = _NAME_WORD.findall(token)
    average_word = sum(map(len, words)) / max(len(words), 1)
    # Random mixed-case text averages under 2 characters per camelCase word (99th percentile < 3); names
    # average 4 or more. A token at the entropy ceiling (every character different) counts either way.
    return average_word <= 3.5 or entropy >= 0.95 * math.log2(min(length, 64))


_SLUG_PART = re.compile(r"[a-z]+|[A-Z]+|[0-9]+|[A-Z][a-z]+")


def _is_slug(token: str) -> bool:
    """Branch names, slugs and dates (feature/add-csv-import-2024, release_2024_11_21): three or more
    separated parts, each a plain word or number. Random tokens mix classes inside their parts."""
    parts = [p for p in _SEPARATOR.split(token) if p]
    return len(parts) >= 3 and all(_SLUG_PART.fullmatch(p) for p in parts)


def _base64_text(token: str) -> str | None:
    """The text a base64 token encodes, when it decodes to readable UTF-8; None for binary (keys, random)."""
    altchars = b"-_" if ("-" in token or "_" in token) else b"+/"
    body = token.rstrip("=")
    try:
        raw = base64.b64decode(body + "=" * (-len(body) % 4), altchars=altchars, validate=True)
        text = raw.decode("utf-8")
    except ValueError:  # binascii.Error and UnicodeDecodeError are both ValueErrors
        return None
    readable = sum(1 for char in text if char.isprintable() or char in "\t\n\r")
    return text if readable >= 0.95 * len(text) else None


def _entropy(text: str) -> float:
    length = len(text)
    return -sum(count / length * math.log2(count / length) for count in Counter(text).values())


def _entropy_threshold(length: int) -> float:
    # Random base64/alphanumeric strings of 32 chars score ~4.5 bits, identifiers and slugs of that length
    # ~3.9-4.2; the bar rises with length because longer random strings reach higher entropy.
    return min(4.0 + 0.03 * (length - 32), 4.6)


def _first_insecure_url(text: str, allow_loopback: bool) -> str | None:
    for match in _HTTP_URL.finditer(text):
        url = _trim_url(match.group())
        authority = _authority(url)
        if not authority:
            continue  # a bare "http://" names no host: nothing is fetched over it
        if allow_loopback and _LOOPBACK.fullmatch(authority):
            continue
        return url
    return None


def _trim_url(url: str) -> str:
    """Drop punctuation that ends the sentence around a URL (keeping the bracket of `[::1]`)."""
    while url and url[-1] in ".,;:!?)}]":
        if url[-1] == "]" and url.count("[") >= url.count("]"):
            break
        url = url[:-1]
    return url


def _authority(url: str) -> str:
    return _AUTHORITY_END.split(url[len("http://") :], maxsplit=1)[0]
