"""Strict-mode secret (D3) and insecure-link (D4) detectors over parsed artifact data."""

from __future__ import annotations

import base64
import random
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from small_git.protocol.secrets import find_insecure_links, find_secrets, format_path, is_sensitive_name

# Credential-shaped values are assembled at run time so that the source file itself holds no string that a
# secret scanner (or a push-protection hook) would mistake for a real credential.
AWS_KEY_ID = "AK" + "IA" + "IOSFODNN7EXAMPLE"
AWS_SESSION_KEY_ID = "AS" + "IA" + "Y34FZKBOKMUTVV7A"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY"
GITHUB_BODY = "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9"
SLACK_BODY = "-1234567890-0987654321-" + "AbCdEfGhIjKlMnOpQrStUvWx"
SHA40 = "3f786850e387550fdab836ed7e6dc881de23001b"
SHA256 = "46311ca6450b7e168171e919f8a39de8f980ca0c98870f0e35f2bcc608fe32a0"
REDACTED = f"[REDACTED sha256:{SHA256}]"


def random_token(length: int, alphabet: str, seed: int) -> str:
    rng = random.Random(seed)
    while True:
        token = "".join(rng.choice(alphabet) for _ in range(length))
        if any(c.isdigit() for c in token) and any(c.isalpha() for c in token):
            return token


def kinds(data: object) -> list[str]:
    return [message for _path, message in find_secrets(data)]


def paths(hits: list[tuple[tuple[str | int, ...], str]]) -> list[tuple[str | int, ...]]:
    return [path for path, _message in hits]


# --- secrets found ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (f"deployed with {AWS_KEY_ID} yesterday", "AWS access key id"),
        (f"AWS_ACCESS_KEY_ID={AWS_SESSION_KEY_ID}", "AWS access key id"),
        (AWS_SECRET, "AWS secret access key"),
        (f"the key is {AWS_SECRET}.", "AWS secret access key"),
        ("-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----", "PEM private key"),
        ("-----BEGIN PRIVATE KEY-----", "PEM private key"),
        ("key: -----BEGIN OPENSSH PRIVATE KEY----- b3BlbnNzaC1rZXk", "PEM private key"),
        ("-----BEGIN EC PRIVATE KEY-----", "PEM private key"),
        ("-----BEGIN ENCRYPTED PRIVATE KEY-----", "PEM private key"),
        ("-----BEGIN PGP PRIVATE KEY BLOCK-----", "PEM private key"),
        ("gh" + "p_" + GITHUB_BODY, "GitHub token"),
        ("push with gh" + "o_" + GITHUB_BODY + " then", "GitHub token"),
        ("gh" + "u_" + GITHUB_BODY, "GitHub token"),
        ("gh" + "s_" + GITHUB_BODY, "GitHub token"),
        ("gh" + "r_" + GITHUB_BODY, "GitHub token"),
        ("github" + "_pat_11ABCDEFG0abcdefghijkl_" + GITHUB_BODY, "GitHub token"),
        ("xo" + "xb" + SLACK_BODY, "Slack token"),
        ("xo" + "xp" + SLACK_BODY, "Slack token"),
        ("xo" + "xa" + SLACK_BODY, "Slack token"),
        ("xo" + "xr" + SLACK_BODY, "Slack token"),
        ("xo" + "xs" + SLACK_BODY, "Slack token"),
        ("clone https://deploy:s3cr3tPass@git.example.com/repo.git", "password in a URL"),
        ("postgres://app:hunter2@db.internal:5432/app", "password in a URL"),
        ("db password=hunter2", "'password' assignment"),
        ("passwd: hunter2", "'passwd' assignment"),
        ("api_key=abc123", "'api_key' assignment"),
        ("secret=swordfish", "'secret' assignment"),
        ("token=abc", "'token' assignment"),
        ("export DB_PASSWORD=correct-horse", "'DB_PASSWORD' assignment"),
        ("curl -H 'x' --data apiKey=Zx81 https://api.example.com", "'apiKey' assignment"),
        ('{"password": "hunter2"}', "'password' assignment"),
        ("client_secret: 'Q1w2e3'", "'client_secret' assignment"),
        ("https://example.com/cb?access_token=abc123&x=1", "'access_token' assignment"),
        ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef0123456789", "high-entropy token"),
    ],
)
def test_secret_formats_are_found_inside_text(text: str, kind: str) -> None:
    assert kinds({"notes": text}) == [f"potential secret ({kind}) at notes"]


@pytest.mark.parametrize(
    ("alphabet", "length", "minimum"),
    [
        (string.ascii_letters + string.digits, 32, 50),
        (string.ascii_letters + string.digits, 36, 50),
        (string.ascii_letters + string.digits, 48, 50),
        (string.ascii_letters + string.digits + "+/", 44, 50),
        (string.ascii_letters + string.digits + "-_", 43, 50),
        (string.ascii_letters + string.digits, 200, 50),
        # One-case alphabets are smaller, so a random draw can fall below the bar now and then.
        (string.ascii_lowercase + string.digits, 32, 48),
        (string.ascii_lowercase + string.digits, 40, 48),
        (string.ascii_uppercase + "234567", 32, 48),
    ],
)
def test_random_tokens_are_found(alphabet: str, length: int, minimum: int) -> None:
    found = 0
    for seed in range(50):
        hits = kinds({"evidence": f"set the CI credential to {random_token(length, alphabet, seed)} today"})
        assert len(hits) <= 1
        if hits:
            assert "(high-entropy token)" in hits[0] or "(AWS secret access key)" in hits[0]
            found += 1
    assert found >= minimum


def test_base64_text_is_judged_by_what_it_decodes_to() -> None:
    source = b'package main\n\nfunc main() {\n\tprintln("hello from a plain Go file")\n}\n' * 3
    key_body = bytes(range(48)).hex().encode()
    key_file = b"-----BEGIN RSA PRIVATE KEY-----\n" + key_body + b"\n-----END RSA PRIVATE KEY-----\n"
    config = b"export DB_PASSWORD=correct-horse-battery  # the staging database, rotated monthly"
    rng = random.Random(3)
    binary = bytes(rng.randrange(256) for _ in range(96))
    assert kinds({"command": f'python3 -c "decode(\\"{base64.b64encode(source).decode()}\\")"'}) == []
    assert kinds({"command": f"echo {base64.b64encode(key_file).decode()} | base64 -d"}) == [
        "potential secret (PEM private key, base64-encoded) at command"
    ]
    assert kinds({"notes": base64.b64encode(config).decode()}) == [
        "potential secret ('DB_PASSWORD' assignment, base64-encoded) at notes"
    ]
    assert kinds({"notes": base64.urlsafe_b64encode(binary).decode()}) == [
        "potential secret (high-entropy token) at notes"
    ]


def test_secrets_are_found_in_list_items_at_any_depth_and_in_keys() -> None:
    data = {
        "resume": {"next_steps": ["Implement loader", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef0123456789"]},
        "deep": [[["fine", f"use {AWS_KEY_ID}"]]],
        "tasks": [{"id": "t1", AWS_KEY_ID: "value"}],
    }
    assert find_secrets(data) == [
        (("resume", "next_steps", 1), "potential secret (high-entropy token) at resume.next_steps[1]"),
        (("deep", 0, 0, 1), "potential secret (AWS access key id) at deep[0][0][1]"),
        (("tasks", 0, AWS_KEY_ID), f"potential secret (AWS access key id in a key name) at tasks[0].{AWS_KEY_ID}"),
    ]


def test_a_secret_as_the_whole_document_is_reported_at_the_root() -> None:
    assert find_secrets("password=hunter2") == [((), "potential secret ('password' assignment) at the document root")]


def test_one_finding_per_string() -> None:
    hits = find_secrets({"notes": f"{AWS_KEY_ID} and password=hunter2 and {AWS_SECRET}"})
    assert paths(hits) == [("notes",)]


# --- sensitive key names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        "password",
        "db_password",
        "DB_PASSWORD",
        "passwd",
        "passphrase",
        "secret",
        "client_secret",
        "clientSecret",
        "token",
        "accessToken",
        "access_token",
        "auth.token",
        "x-auth-token",
        "apikey",
        "api_key",
        "apiKey",
        "API_KEY",
        "APIKey",
        "x-api-key",
        "private_key",
        "privateKey",
        "secret_santa",
    ],
)
def test_sensitive_key_names_with_a_value_are_found(key: str) -> None:
    assert is_sensitive_name(key)
    assert kinds({"tasks": [{key: "plain"}]}) == [
        f"potential secret (value of the key '{key}') at tasks[0]{format_path(('x', key))[1:]}"
    ]


@pytest.mark.parametrize(
    "key",
    [
        "tokenizer",
        "max_tokens",
        "tokens",
        "secrets",
        "passwords",
        "keys",
        "monkey",
        "key",
        "turkey_id",
        "passage",
        "secretary",
        "detokenize",
        "api",
        "private",
    ],
)
def test_key_names_match_whole_words_only(key: str) -> None:
    assert not is_sensitive_name(key)
    assert find_secrets({key: "bpe"}) == []


@pytest.mark.parametrize(
    "value",
    [
        True,
        False,
        None,
        8000,
        0.5,
        "",
        "   ",
        "${DB_PASSWORD}",
        "$DB_PASSWORD",
        "<set me>",
        "%PASSWORD%",
        "***",
        REDACTED,
        [],
        {},
    ],
)
def test_sensitive_keys_without_a_real_value_are_fine(value: object) -> None:
    assert find_secrets({"password": value, "token_limit": value}) == []


def test_secrets_below_a_sensitive_key_mapping_are_still_examined() -> None:
    data = {"secret": {"note": "password=hunter2", "fine": "ok"}}
    assert paths(find_secrets(data)) == [("secret", "note")]


# --- never flagged ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        SHA40,
        SHA40[:7],
        SHA40[:12],
        SHA40.upper(),
        SHA256,
        f"sha256:{SHA256}",
        f"Merged {SHA40} into main",
        REDACTED,
        f"notes were {REDACTED} before",
        "550e8400-e29b-41d4-a716-446655440000",
        "550E8400-E29B-41D4-A716-446655440000",
        "Implement SMALL protocol for agent-legible project continuity",
        "No secrets in .small artifacts",
        "Rotate the password: see the runbook",
        "The token: it is computed from the plan",
        "max_tokens=4096 and tokens used: 1234",
        "Refactored the loader so that duplicate keys raise a YamlError naming file:line:column.",
        "Ran pytest tests/test_module_5.py -q: 42 passed in 1.2s",
        "/var/folders/93/_vxgpzjd6ks13t426qyxd03r0000gn/T/tmp",
        "src/small_git/protocol/secrets.py",
        "src/components/AuthenticationProviderWrapper/index",
        "objects/3f/786850e387550fdab836ed7e6dc881de23001b",
        "buildStrictS2ReportFromViolations",
        "SmallGitProtocolSecretsModuleVersion2Draft",
        "test_find_insecure_links_allows_loopback_in_progress_only",
        "feature/ADD-1234-Implement-Secret-Scanning-v2",
        "release-2024-11-21-build-42-final-candidate",
        "https://github.com/example/small-protocol/blob/main/internal/small/invariants.go",
        "ssh://git@github.com/org/repo.git",
        "git@github.com:org/repo.git",
        "mail dev@example.com about it",
        "2025-01-04T10:00:00.000000000Z",
        "password=${DB_PASSWORD}",
        "token=<your token>",
        "secret=***",
        f"password={REDACTED}",
        "https://user:****@example.com/",
        "AKIA is the prefix of AWS access key ids",
    ],
)
def test_ordinary_values_are_never_flagged(text: str) -> None:
    assert find_secrets({"notes": text, "list": [text]}) == []


@pytest.mark.parametrize("key", ["replayId", "replay_id", "previous_replay_id", "command_sha256", "commit"])
def test_values_of_id_and_digest_keys_are_never_flagged(key: str) -> None:
    token = random_token(40, string.ascii_letters + string.digits, 7)
    assert find_secrets({"entries": [{key: token}], "run": {key: {"value": token}}}) == []


def test_handoff_replay_ids_are_not_secrets() -> None:
    handoff = {
        "replayId": {"value": SHA256, "source": "auto"},
        "run": {"replay_id": SHA256, "previous_replay_id": SHA256, "transition_reason": "reset"},
    }
    assert find_secrets(handoff) == []


# --- examples modelled on the conformance corpus ----------------------------------------------------------


def test_aws_secret_key_as_evidence_value_is_found() -> None:
    progress = {
        "small_version": "1.0.0",
        "owner": "agent",
        "entries": [
            {
                "task_id": "task-1",
                "timestamp": "2025-01-04T10:00:00.000000000Z",
                "status": "completed",
                "evidence": AWS_SECRET,
                "commit": "abc1234",
            }
        ],
    }
    assert find_secrets(progress) == [
        (("entries", 0, "evidence"), "potential secret (AWS secret access key) at entries[0].evidence")
    ]


def test_password_assignment_in_notes_is_found() -> None:
    entry = {
        "task_id": "task-1",
        "evidence": "Created .small directory",
        "commit": "abc1234",
        "notes": "db password=hunter2",
    }
    assert paths(find_secrets({"entries": [entry]})) == [("entries", 0, "notes")]


def test_token_inside_a_handoff_next_steps_item_is_found() -> None:
    handoff = {
        "summary": "Project initialized. Ready to implement core functionality.",
        "resume": {
            "current_task_id": "task-2",
            "next_steps": [
                "Implement loader module",
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef0123456789",
                "Implement validator module",
            ],
        },
        "links": [{"url": "https://github.com/example/small-protocol", "description": "Project repository"}],
        "replayId": {"value": SHA256, "source": "auto"},
    }
    assert paths(find_secrets(handoff)) == [("resume", "next_steps", 1)]


def test_a_tokenizer_key_in_a_plan_task_is_fine() -> None:
    plan = {
        "small_version": "1.0.0",
        "owner": "agent",
        "tasks": [
            {
                "id": "task-2",
                "title": "Implement core functionality",
                "status": "pending",
                "tokenizer": "bpe",
                "steps": ["Implement loader"],
                "acceptance": ["Unit tests pass"],
            }
        ],
    }
    assert find_secrets(plan) == []


def test_localhost_lookalike_in_progress_is_insecure() -> None:
    progress = {"entries": [{"task_id": "task-1", "evidence": "see http://localhost.evil.com/x"}]}
    assert find_insecure_links(progress, allow_loopback=True) == [
        (
            ("entries", 0, "evidence"),
            "insecure link http://localhost.evil.com/x at entries[0].evidence: use https:// "
            "(http:// is accepted only for localhost, 127.0.0.1, 0.0.0.0 and [::1])",
        )
    ]


def test_localhost_link_in_progress_is_allowed() -> None:
    progress = {"entries": [{"task_id": "task-1", "link": "http://localhost:8080/report"}]}
    assert find_insecure_links(progress, allow_loopback=True) == []


def test_localhost_link_in_handoff_is_insecure() -> None:
    handoff = {"links": [{"url": "http://localhost:3000", "description": "dev server"}]}
    assert find_insecure_links(handoff, allow_loopback=False) == [
        (
            ("links", 0, "url"),
            "insecure link http://localhost:3000 at links[0].url: use https:// "
            "(http:// to a loopback host is accepted only in progress)",
        )
    ]


def test_bare_scheme_without_a_host_is_fine() -> None:
    intent = {"intent": "Implement SMALL protocol for agent-legible project continuity http:// "}
    assert find_insecure_links(intent, allow_loopback=False) == []


# --- insecure links --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "see http://example.com",
        "HTTP://EXAMPLE.COM/x",
        "Http://example.com",
        "docs at http://docs.example.com:80/a",
        "http://localhost.evil.com",
        "http://127.0.0.1.nip.io/",
        "http://localhost:8080@evil.com/",
        "http://user@localhost/",
        "http://localhostx:80",
        "http://[::1].evil.com",
        "http://0.0.0.0.evil.com",
        "http://127.0.0.2/",
        "git+http://example.com/pkg",
    ],
)
def test_http_links_are_insecure_even_in_progress(text: str) -> None:
    assert paths(find_insecure_links({"evidence": text}, allow_loopback=True)) == [("evidence",)]
    assert paths(find_insecure_links({"evidence": text}, allow_loopback=False)) == [("evidence",)]


@pytest.mark.parametrize(
    "text",
    [
        "http://localhost",
        "http://localhost/",
        "http://localhost:8080/report?x=1",
        "http://LOCALHOST:3000",
        "http://127.0.0.1:8000/health",
        "http://0.0.0.0:5000",
        "http://[::1]:8080/path",
        "http://[::1]",
        "(see http://localhost:8080).",
        "served at http://127.0.0.1:8000, then http://[::1].",
    ],
)
def test_loopback_links_are_allowed_only_in_progress(text: str) -> None:
    assert find_insecure_links({"evidence": text}, allow_loopback=True) == []
    assert paths(find_insecure_links({"evidence": text}, allow_loopback=False)) == [("evidence",)]


@pytest.mark.parametrize(
    "text",
    [
        "https://example.com",
        "http://",
        "see http:// for nothing",
        "http:///path",
        "ftp://example.com",
        "no links here",
        "https://example.com/?next=http%3A%2F%2Fx",
    ],
)
def test_strings_without_an_http_host_are_fine(text: str) -> None:
    assert find_insecure_links({"a": [text]}, allow_loopback=False) == []


def test_one_finding_per_string_naming_the_first_offending_url() -> None:
    text = "local http://localhost:1/ then http://evil.example/a and http://other.example/b"
    hits = find_insecure_links({"notes": text}, allow_loopback=True)
    assert paths(hits) == [("notes",)]
    assert "http://evil.example/a" in hits[0][1]
    assert "other.example" not in hits[0][1]


def test_links_in_list_items_at_any_depth_are_found_and_keys_are_not_examined() -> None:
    data = {"http://example.com": "fine", "steps": [["ok", ["see http://example.com"]]]}
    assert paths(find_insecure_links(data, allow_loopback=False)) == [("steps", 0, 1, 0)]


# --- paths and robustness --------------------------------------------------------------------------------


def test_format_path() -> None:
    assert format_path(("entries", 3, "evidence")) == "entries[3].evidence"
    assert format_path(("tasks", 0, "a.b")) == 'tasks[0]["a.b"]'
    assert format_path((0,)) == "[0]"
    assert format_path(()) == "the document root"


@pytest.mark.parametrize(
    "text",
    [
        "x" * 200_000,
        "a" * 100_000 + "=",
        "password" * 20_000 + "=x",
        "http://" * 30_000,
        "https://a:" * 20_000,
        "Ab1" * 50_000,
    ],
)
def test_very_long_strings_are_handled(text: str) -> None:
    # These once took quadratic time; the assertions pin the verdicts.
    found = find_secrets({"intent": text})
    assert paths(found) in ([], [("intent",)])
    assert paths(find_insecure_links({"intent": text}, allow_loopback=True)) in ([], [("intent",)])


FRAGMENTS = st.sampled_from(
    [
        AWS_KEY_ID,
        AWS_SECRET,
        "password=hunter2",
        "http://",
        "http://localhost:1",
        "http://evil.example",
        "-----BEGIN PRIVATE KEY-----",
        "gh" + "p_" + GITHUB_BODY,
        SHA40,
        REDACTED,
        "token: Ab1",
        "://u:p@h",
    ]
)
TEXT = st.one_of(
    st.text(max_size=60),
    st.lists(st.one_of(st.text(max_size=20), FRAGMENTS), max_size=4).map(" ".join),
)
VALUES = st.recursive(
    st.one_of(TEXT, st.integers(), st.booleans(), st.none(), st.floats(allow_nan=False)),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.text(max_size=12), FRAGMENTS), children, max_size=4),
    ),
    max_leaves=20,
)


def resolve(data: object, path: tuple[str | int, ...]) -> object:
    for step in path:
        assert isinstance(data, dict | list)
        data = data[step]  # type: ignore[index]
    return data


@settings(max_examples=300, deadline=None)
@given(VALUES, st.booleans())
def test_detectors_never_raise_and_report_existing_paths(data: object, allow_loopback: bool) -> None:
    for found in (find_secrets(data), find_insecure_links(data, allow_loopback=allow_loopback)):
        assert len({path for path, _ in found}) == len(found)
        for path, message in found:
            resolve(data, path)
            assert message.endswith(format_path(path)) or f" at {format_path(path)}: " in message


@pytest.mark.parametrize(
    "text",
    [
        "git checkout refs/heads/feature/add-the-new-importer-for-csv-2024",
        "release_2024_11_21_build_42_candidate_for_production",
        "docs/Getting-Started-With-The-Importer-2025-01-04.md",
    ],
)
def test_branch_names_and_slugs_are_not_secrets(text: str) -> None:
    assert find_secrets({"evidence": text}) == []


# --- the walk hands flat mappings over whole: the same findings, in the same order -------------------------


def _every_node(data: object, skip: frozenset[str]) -> list[tuple[tuple[str | int, ...], str | None, object]]:
    """(path, key name or None, value) of every node below the root, in document order: the plain recursive
    walk that `secrets._walk` (iterative, with flat mappings given whole) must agree with."""
    nodes: list[tuple[tuple[str | int, ...], str | None, object]] = []

    def visit(path: tuple[str | int, ...], value: object) -> None:
        members: list[tuple[str | int, str | None, object]] = []
        if isinstance(value, list):
            members = [(index, None, item) for index, item in enumerate(value)]
        elif isinstance(value, dict):
            for key, item in value.items():
                step: str | int = key if isinstance(key, str | int) else str(key)
                members.append((step, key if isinstance(key, str) else str(key), item))
        for step, name, item in members:
            if name is not None and name in skip:
                continue
            nodes.append(((*path, step), name, item))
            visit((*path, step), item)

    visit((), data)
    return nodes


def _expected_secrets(data: object) -> list[tuple[tuple[str | int, ...], str]]:
    from small_git.protocol import secrets

    hits = []
    for path, key, value in [((), None, data), *_every_node(data, secrets.EXEMPT_KEYS)]:
        kind = None
        if key is not None:
            kind = secrets._secret_in_key(key)
            if kind is not None:
                kind = f"{kind} in a key name"
            elif isinstance(value, str) and is_sensitive_name(key) and not secrets._is_placeholder(value.strip()):
                kind = f"value of the key '{key}'"
        if kind is None and isinstance(value, str):
            kind = secrets.secret_in_text(value)
        if kind is not None:
            hits.append((path, f"potential secret ({kind}) at {format_path(path)}"))
    return hits


_SCALAR_TEXT = st.sampled_from(
    [
        "ran the tests",
        "password=hunter2hunter2",
        "http://example.com/x",
        "HTTP://localhost:8080/",
        "ghp_" + "a1B2" * 9,
        "AKIA" + "ABCDEFGHIJKLMNOP",
        "https://user:pa55word@host.example/",
        "",
    ]
) | st.text(max_size=12)
_KEYS = st.sampled_from(["evidence", "token", "commit", "replayId", "api_key", "notes", "a.b", "x"]) | st.text(
    max_size=6
)
_NESTED = st.recursive(
    _SCALAR_TEXT | st.integers() | st.booleans() | st.none(),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(_KEYS | st.integers(-3, 3), inner, max_size=4)
        | st.dictionaries(_KEYS, _SCALAR_TEXT | st.integers(), max_size=5)
    ),  # flat mappings, as entries are
    max_leaves=24,
)


@settings(max_examples=100, deadline=None)
@given(_NESTED)
def test_findings_are_those_of_a_plain_walk_in_document_order(data: object) -> None:
    assert find_secrets(data) == _expected_secrets(data)
    for loopback in (True, False):
        expected = []
        for path, _key, value in [((), None, data), *_every_node(data, frozenset())]:
            if isinstance(value, str):  # the string alone is reported at the root: moved to its own path
                for _, message in find_insecure_links(value, allow_loopback=loopback):
                    expected.append((path, message.replace(" at the document root:", f" at {format_path(path)}:")))
        assert find_insecure_links(data, allow_loopback=loopback) == expected
