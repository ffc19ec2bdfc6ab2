"""The redaction layer: no secret from the corpus survives, no ordinary line changes."""

from __future__ import annotations

import re
import threading
from collections import namedtuple
from pathlib import Path

import pytest
import yaml

from dockerforge_tui.core.errors import ConfigError
from dockerforge_tui.core.redaction import (
    PLACEHOLDER_PATTERN,
    Redactor,
    is_secret_key,
    load_redaction_rules,
    normalize_key_name,
)

CORPUS = yaml.safe_load((Path(__file__).parent / "data" / "redaction_corpus.yaml").read_text(encoding="utf-8"))
SECRET_CASES = CORPUS["secrets"]
BENIGN_CASES = CORPUS["benign"]


def test_corpus_is_big_enough_and_well_formed():
    assert len(SECRET_CASES) >= 50
    assert len(BENIGN_CASES) >= 20
    names = [case["name"] for case in SECRET_CASES + BENIGN_CASES]
    assert len(names) == len(set(names)), "corpus case names must be unique"
    for case in SECRET_CASES:
        assert case["gone"], case["name"]
        for secret in case["gone"]:
            assert secret in case["text"], f"{case['name']}: {secret!r} is not in its own text"


@pytest.mark.parametrize("case", SECRET_CASES, ids=[case["name"] for case in SECRET_CASES])
def test_corpus_secret_never_survives(case):
    redacted = Redactor().redact(case["text"])
    leaked = [secret for secret in case["gone"] if secret in redacted]
    assert not leaked, f"leaked {leaked} in {redacted!r}"
    assert PLACEHOLDER_PATTERN.search(redacted), redacted
    lost = [context for context in case.get("kept", []) if context not in redacted]
    assert not lost, f"context {lost} was mangled in {redacted!r}"


@pytest.mark.parametrize("case", BENIGN_CASES, ids=[case["name"] for case in BENIGN_CASES])
def test_corpus_benign_text_is_unchanged(case):
    assert Redactor().redact(case["text"]) == case["text"]


def test_whole_corpus_in_one_text_one_session():
    """All cases joined, as an AI prompt or a report would carry them."""
    text = "\n".join(case["text"] for case in SECRET_CASES + BENIGN_CASES)
    redacted = Redactor().redact(text)
    for case in SECRET_CASES:
        for secret in case["gone"]:
            assert secret not in redacted, (case["name"], secret)
    for case in BENIGN_CASES:
        assert case["text"] in redacted, case["name"]


@pytest.mark.parametrize("case", SECRET_CASES, ids=[case["name"] for case in SECRET_CASES])
def test_redacting_twice_changes_nothing_more(case):
    redactor = Redactor()
    once = redactor.redact(case["text"])
    assert redactor.redact(once) == once


@pytest.mark.parametrize("case", SECRET_CASES + BENIGN_CASES, ids=[c["name"] for c in SECRET_CASES + BENIGN_CASES])
def test_pre_checks_do_not_change_results(case):
    """With a user key pattern every rule runs everywhere; the hint-driven fast path must agree."""
    thorough = Redactor(key_patterns=["^NO_SUCH_KEY_EVER$"])
    assert Redactor().redact(case["text"]) == thorough.redact(case["text"])


def test_text_whose_lower_case_changes_length_is_still_redacted():
    text = "İstanbul office: password=Unicode-Pw-1 and token: Tok-2-x"
    assert "İ".lower() != "i"  # two code points: the fast path's positions would be off
    assert Redactor().redact(text) == ("İstanbul office: password=[REDACTED:password:1] "
                                       "and token: [REDACTED:token:1]")


# ---------------------------------------------------------------------------
# Placeholders
# ---------------------------------------------------------------------------

def test_same_secret_gets_same_placeholder_within_a_session():
    redactor = Redactor()
    first = redactor.redact("password=Alpha-111 token=Beta-222")
    second = redactor.redact('{"db_password": "Alpha-111"} and Authorization: Bearer Gamma-333-xyz')
    assert first == "password=[REDACTED:password:1] token=[REDACTED:token:1]"
    assert second == '{"db_password": "[REDACTED:password:1]"} and Authorization: Bearer [REDACTED:authorization:1]'


def test_different_secrets_get_different_numbers_per_label():
    redactor = Redactor()
    redacted = redactor.redact("password=one-1 password=two-2 password=one-1 api_key=k-3")
    assert redacted == ("password=[REDACTED:password:1] password=[REDACTED:password:2] "
                        "password=[REDACTED:password:1] api_key=[REDACTED:api_key:1]")


def test_reset_forgets_numbering_and_sessions_are_independent():
    redactor = Redactor()
    redactor.redact("password=first-1")
    assert redactor.redact("password=second-2") == "password=[REDACTED:password:2]"
    redactor.reset()
    assert redactor.redact("password=second-2") == "password=[REDACTED:password:1]"
    assert Redactor().redact("password=other-3") == "password=[REDACTED:password:1]"


def test_placeholders_survive_a_second_redactor():
    """Text redacted once (a log line later put in an AI prompt) is not re-numbered."""
    text = Redactor().redact("postgres://u:pw-1@db/x password=pw-2 ghp_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8d")
    assert Redactor().redact(text) == text


def test_thread_safe_placeholder_map():
    redactor = Redactor()
    secrets = [f"s3cret-{n:03d}" for n in range(200)]
    results: dict[int, list[str]] = {}

    def work(worker: int) -> None:
        results[worker] = [redactor.redact(f"password={secret}") for secret in secrets]

    threads = [threading.Thread(target=work, args=(worker,)) for worker in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    reference = results[0]
    assert all(result == reference for result in results.values()), "threads saw different placeholders"
    assert len(set(reference)) == len(secrets), "two secrets shared a placeholder"
    assert {int(line.rsplit(":", 1)[1].rstrip("]")) for line in reference} == set(range(1, 201))


# ---------------------------------------------------------------------------
# Configured values and key patterns
# ---------------------------------------------------------------------------

def test_configured_values_are_redacted_anywhere():
    redactor = Redactor(values=["corp-Internal-42", "", "second.value"])
    redacted = redactor.redact("banner: corp-Internal-42 in text; url=/x?y=second.value")
    assert "corp-Internal-42" not in redacted and "second.value" not in redacted
    assert redacted == "banner: [REDACTED:value:1] in text; url=/x?y=[REDACTED:value:2]"


def test_configured_values_never_rewrite_placeholders():
    redactor = Redactor(values=["REDACTED", "password"])
    redacted = redactor.redact("password=hunter2-x")
    assert PLACEHOLDER_PATTERN.fullmatch(redacted.split("=", 1)[1]), redacted
    assert redactor.redact("the word password") == "the word [REDACTED:value:1]"


def test_user_key_patterns_extend_secret_names():
    text = "set MYAPP_PIN=4242 other=1"
    assert Redactor().redact(text) == text
    redactor = Redactor(key_patterns=[r"^MYAPP_.*PIN$"])
    assert redactor.redact(text) == "set MYAPP_PIN=[REDACTED:secret:1] other=1"
    assert redactor.is_secret_key("myapp_pin")
    assert redactor.redact_env({"MYAPP_PIN": "4242"}) == {"MYAPP_PIN": "[REDACTED:secret:1]"}
    # the built-in names still count
    assert redactor.redact("password=pw-99") == "password=[REDACTED:password:1]"


def test_invalid_user_key_pattern_is_a_config_error():
    with pytest.raises(ConfigError) as raised:
        Redactor(key_patterns=["(unclosed"])
    assert "redaction.key_patterns" in raised.value.message
    assert raised.value.hint


# ---------------------------------------------------------------------------
# Mappings and environments
# ---------------------------------------------------------------------------

def test_redact_mapping_copies_and_redacts_by_key():
    Point = namedtuple("Point", "x y")
    marker = object()
    source = {
        "name": "web",
        "password": "pw-mapping-1",
        "pin_secret": 1234,
        "apiKey": "",
        "token": None,
        "session_token": True,
        "replicas": 3,
        "object": marker,
        "nested": [{"DB_PASSWORD": "pw-mapping-2"}, ("keep me", "url=postgres://u:pw-mapping-3@db/x")],
        "point": Point("a", "password=pw-mapping-4"),
        "credentials": {"user": "alice", "extra": ["k1-aaaa", 7]},
        "tags": {"tokenizer", "token=inset-5"},
    }
    redacted = Redactor().redact_mapping(source)

    assert redacted["name"] == "web"
    assert redacted["password"] == "[REDACTED:password:1]"
    assert redacted["pin_secret"] == "[REDACTED:secret:1]"
    assert redacted["apiKey"] == "" and redacted["token"] is None and redacted["session_token"] is True
    assert redacted["replicas"] == 3 and redacted["object"] is marker
    assert redacted["nested"][0] == {"DB_PASSWORD": "[REDACTED:password:2]"}
    assert isinstance(redacted["nested"][1], tuple)
    assert redacted["nested"][1] == ("keep me", "url=postgres://u:[REDACTED:password:3]@db/x")
    assert isinstance(redacted["point"], Point) and redacted["point"].y == "password=[REDACTED:password:4]"
    # everything under a secret key is secret, however deep
    assert redacted["credentials"] == {"user": "[REDACTED:credential:1]",
                                       "extra": ["[REDACTED:credential:2]", "[REDACTED:credential:3]"]}
    assert redacted["tags"] == {"tokenizer", "token=[REDACTED:token:1]"}
    # the input is untouched
    assert source["password"] == "pw-mapping-1" and source["nested"][0]["DB_PASSWORD"] == "pw-mapping-2"


def test_redact_mapping_handles_docker_inspect_env_lists():
    inspect = {"Id": "9b2f4c1e7d3a" * 5 + "abcd",
               "Config": {"Env": ["PATH=/usr/bin", "DB_PASSWORD=my pass phrase", "LEVEL=info"],
                          "Image": "sha256:" + "4c0fdaa8b6341bfd" * 4}}
    redacted = Redactor().redact_mapping(inspect)
    assert redacted["Id"] == inspect["Id"]
    assert redacted["Config"]["Image"] == inspect["Config"]["Image"]
    assert redacted["Config"]["Env"] == ["PATH=/usr/bin", "DB_PASSWORD=[REDACTED:password:1]", "LEVEL=info"]


def test_redact_env_keeps_shape():
    redactor = Redactor()
    as_list = ["POSTGRES_PASSWORD=pw=with=equals", "PWD=/home/app", "DATABASE_URL=postgres://app:pw-env-1@db/app",
               "EMPTY_TOKEN=", "NOEQUALS", "MAX_TOKENS=100"]
    redacted = redactor.redact_env(as_list)
    assert isinstance(redacted, list)
    assert redacted == ["POSTGRES_PASSWORD=[REDACTED:password:1]", "PWD=/home/app",
                        "DATABASE_URL=postgres://app:[REDACTED:password:2]@db/app", "EMPTY_TOKEN=", "NOEQUALS",
                        "MAX_TOKENS=100"]
    assert redactor.redact_env(tuple(as_list[:2])) == ("POSTGRES_PASSWORD=[REDACTED:password:1]", "PWD=/home/app")
    as_dict = {"GITHUB_TOKEN": "ghp_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8d", "HOME": "/root"}
    assert redactor.redact_env(as_dict) == {"GITHUB_TOKEN": "[REDACTED:token:1]", "HOME": "/root"}


def test_secrets_learned_from_env_are_redacted_in_later_text():
    redactor = Redactor()
    redactor.redact_env(["API_SECRET=Xq7-distinctive-99", "POSTGRES_PASSWORD=postgres"])
    redacted = redactor.redact("startup: using Xq7-distinctive-99 to sign; connecting to postgres")
    assert redacted == "startup: using [REDACTED:secret:1] to sign; connecting to postgres"
    redactor.reset()
    assert "Xq7-distinctive-99" in redactor.redact("again Xq7-distinctive-99")


# ---------------------------------------------------------------------------
# Key names
# ---------------------------------------------------------------------------

SECRET_NAMES = [
    "PASSWORD", "DB_PASSWORD", "MYSQL_ROOT_PASSWORD", "PGPASSWORD", "passwd", "pwd", "DB_PWD", "SMTP_PASS",
    "GPG_PASSPHRASE", "SECRET", "CLIENT_SECRET", "secretAccessKey", "SECRET_KEY_BASE", "TOKEN", "GITHUB_TOKEN",
    "accessToken", "x-auth-token", "_authToken", "API_KEY", "apiKey", "X-Api-Key", "APIKEY", "ACCESS_KEY",
    "AccountKey", "SharedAccessKey", "ENCRYPTION_KEY", "KEY", "private_key", "PRIVATE_KEY_PEM", "CREDENTIALS",
    "AWS_CREDENTIAL", "Authorization", "Proxy-Authorization", "auth", "BASIC_AUTH", "Cookie", "Set-Cookie",
    "SESSION_ID", "sessionToken", "sig", "X-Amz-Signature", "SENTRY_DSN", "PASSWORD_SALT", "DOCKER_AUTH_CONFIG",
]
NOT_SECRET_NAMES = [
    "PWD", "OLDPWD", "PATH", "HOME", "USER", "POSTGRES_PASSWORD_FILE", "TOKEN_TTL", "MAX_TOKENS", "max_tokens",
    "prompt_tokens", "tokenizer", "keyboard", "monkey", "KEY_ID", "AWS_ACCESS_KEY_ID", "private_key_id",
    "PUBLIC_KEY", "GPG_KEY", "routing_key", "cache_key", "SECRETS_DIR", "PASSWORD_MIN_LENGTH", "token_type",
    "auth-service", "AUTH_URL", "author", "oauth", "COOKIE_NAME", "session", "signal", "sacred", "passenger",
    "compass", "GOOGLE_APPLICATION_CREDENTIALS", "password-stdin", "botocore.credentials_provider", "",
]


@pytest.mark.parametrize("name", SECRET_NAMES)
def test_is_secret_key_true(name):
    assert is_secret_key(name)


@pytest.mark.parametrize("name", NOT_SECRET_NAMES)
def test_is_secret_key_false(name):
    assert not is_secret_key(name)


def test_every_secret_name_contains_a_pre_check_hint():
    """The key_value rules only run when a hint word occurs, so every secret name must contain one."""
    rules = load_redaction_rules()
    hints = next(rule.literals for rule in rules.rules if rule.name == "key_value")
    for name in SECRET_NAMES:
        assert any(hint in name.lower() for hint in hints), name


@pytest.mark.parametrize(("name", "normalized"), [
    ("x-api-key", "X_API_KEY"), ("secretAccessKey", "SECRET_ACCESS_KEY"), ("APIKey", "API_KEY"),
    ("spring.datasource.password", "SPRING_DATASOURCE_PASSWORD"), ("OAuth2Token", "O_AUTH2_TOKEN"),
])
def test_normalize_key_name(name, normalized):
    assert normalize_key_name(name) == normalized


# ---------------------------------------------------------------------------
# Specific shapes
# ---------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("Authorization: Basic setup", "Authorization: Basic [REDACTED:authorization:1]"),
    ("Basic setup complete", "Basic setup complete"),
    ("sent Basic ZGVwbG95OlRyMHViNGRvciYz", "sent Basic [REDACTED:basic_auth:1]"),
    ("Bearer token required", "Bearer token required"),
    ("password: ${DB_PASSWORD}", "password: ${DB_PASSWORD}"),
    ("password: ${DB_PASSWORD:-fallback1}", "password: [REDACTED:password:1]"),
    ("Invalid token: expired", "Invalid token: expired"),
    ("botocore.credentials: Found credentials in env", "botocore.credentials: Found credentials in env"),
    ('"spring.datasource.password": "q1"', '"spring.datasource.password": "[REDACTED:password:1]"'),
    ("pulling secret-app:1.0", "pulling secret-app:1.0"),
    ("PWD=/srv/app", "PWD=/srv/app"),
    ("Server=x;PWD=Odbc!1;", "Server=x;PWD=[REDACTED:password:1];"),
    ("sk-this-is-only-words-and-dashes", "sk-this-is-only-words-and-dashes"),
])
def test_precision_edges(text, expected):
    assert Redactor().redact(text) == expected


def test_multi_line_env_file():
    text = "PATH=/usr/bin\nAPI_TOKEN=line two token\nexport DB_PASSWORD=p w d\nLEVEL=debug\n"
    assert Redactor().redact(text) == (
        "PATH=/usr/bin\nAPI_TOKEN=[REDACTED:token:1]\nexport DB_PASSWORD=[REDACTED:password:1]\nLEVEL=debug\n")


def test_non_string_and_empty_input_pass_through():
    redactor = Redactor()
    assert redactor.redact("") == ""
    assert redactor.redact(None) is None  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# The rule file
# ---------------------------------------------------------------------------

def test_packaged_rules_compile_with_unique_names_and_valid_labels():
    rules = load_redaction_rules()
    names = [rule.name for rule in rules.rules]
    assert len(names) == len(set(names))
    labels = [rule.label for rule in rules.rules if rule.label] + [p.label for p in rules.secret_names]
    for label in labels:
        assert PLACEHOLDER_PATTERN.fullmatch(f"[REDACTED:{label}:1]"), label


def test_packaged_rules_are_loaded_once():
    assert load_redaction_rules() is load_redaction_rules()


@pytest.mark.parametrize(("rule", "message"), [
    ({"name": "broken", "label": "x", "pattern": "(unclosed"}, "rule 'broken': invalid regular expression"),
    ({"name": "no_key", "kind": "key_value", "pattern": "a=(?P<secret>b)"}, "needs a group named 'key'"),
    ({"name": "odd", "label": "x", "pattern": "a", "validator": "nope"}, "unknown validator 'nope'"),
    ({"name": "where", "label": "x", "pattern": "a", "scan": "sideways"}, "scan must be one of"),
])
def test_malformed_rule_files_name_the_rule(tmp_path, rule, message):
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "auth_schemes": ["Bearer"], "rules": [rule]}), encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape(message)):
        load_redaction_rules(path)


def test_a_custom_rule_file_is_used_as_written(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "auth_schemes": ["Bearer"], "rules": [
        {"name": "ticket", "label": "ticket", "literals": ["TKT-"], "pattern": r"TKT-(?P<secret>\d{6})"},
    ]}), encoding="utf-8")
    rules = load_redaction_rules(path)
    assert [rule.name for rule in rules.rules] == ["ticket"]
    assert rules.rules[0].secret_groups == ("secret",)
