"""Provider registry (entry points, no SDK import), prices, retry delays and the API key store."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from dockerforge_tui.core.config.models import AISettings
from dockerforge_tui.services.ai import KeyStore, PriceTable, RetryPolicy, list_providers
from dockerforge_tui.services.ai.keys import PASSPHRASE_VARIABLE, KeyStoreError
from dockerforge_tui.services.ai.registry import BUILTIN_PROVIDERS, ENTRY_POINT_GROUP, base_url_for, load_provider_class

ROOT = Path(__file__).resolve().parents[2]


def test_pyproject_declares_every_builtin_provider_and_the_ai_extra():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["entry-points"][ENTRY_POINT_GROUP] == BUILTIN_PROVIDERS
    extra = " ".join(project["optional-dependencies"]["ai"])
    assert "anthropic" in extra and "google-genai" in extra and "ollama" in extra
    assert "google-generativeai" not in extra


def test_listing_and_loading_providers_imports_no_sdk():
    code = ("import sys\n"
            "from dockerforge_tui.services.ai.registry import list_providers, load_provider_class\n"
            "for name in list_providers(): load_provider_class(name).name\n"
            "print(sorted(m for m in ('anthropic', 'google.genai', 'ollama', 'textual', 'rich', 'httpx') "
            "if m in sys.modules))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert result.stdout.strip() == "[]"


def test_a_plugin_entry_point_is_listed_and_loaded(tmp_path, monkeypatch):
    dist = tmp_path / "dockerforge_echo-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: dockerforge-echo\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\necho = echo_provider:EchoProvider\n"
                                           "claude = echo_provider:EchoProvider\n")
    (tmp_path / "echo_provider.py").write_text(
        "from dockerforge_tui.services.ai.providers.none import NoneProvider\n"
        "class EchoProvider(NoneProvider):\n    name = 'echo'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    providers = list_providers()
    assert providers["echo"].target == "echo_provider:EchoProvider" and not providers["echo"].builtin
    assert providers["claude"].target == BUILTIN_PROVIDERS["claude"]  # a plugin cannot take a built-in's name
    assert load_provider_class("echo").name == "echo"


def test_unknown_provider_is_a_usage_error():
    from dockerforge_tui.core.errors import UsageError

    with pytest.raises(UsageError, match="unknown AI provider: nope"):
        load_provider_class("nope")


def test_base_url_from_config_then_the_usual_variable():
    settings = AISettings(base_urls={"claude": "http://proxy:8080"})
    assert base_url_for("claude", settings, {"ANTHROPIC_BASE_URL": "http://env"}) == "http://proxy:8080"
    assert base_url_for("gemini", settings, {"GOOGLE_GEMINI_BASE_URL": "http://g"}) == "http://g"
    assert base_url_for("ollama", settings, {"OLLAMA_HOST": "http://gpu:11434"}) == "http://gpu:11434"
    assert base_url_for("ollama", settings, {}) is None


def test_price_table_prefix_override_and_unknown():
    table = PriceTable.from_config(AISettings(prices={"claude/claude-x": {"input": 1, "output": 2}}).prices)
    assert table.lookup("claude", "claude-sonnet-4-5-20250929").input == 3.0
    assert table.lookup("claude", "claude-opus-4-5-20251101").input == 5.0  # longest prefix wins
    assert table.lookup("claude", "claude-x").cost(1_000_000, 500_000) == pytest.approx(2.0)
    assert table.lookup("gemini", "unknown-model") is None


def test_retry_delay_is_exponential_capped_and_honours_retry_after():
    policy = RetryPolicy(max_attempts=5, base_delay=0.5, max_delay=4)
    assert [policy.delay(n, None) for n in (1, 2, 3, 4, 5)] == [0.5, 1.0, 2.0, 4.0, 4.0]
    assert policy.delay(1, 3.0) == 3.0
    assert policy.delay(3, 1.0) == 2.0
    assert policy.delay(1, 10.0) is None  # the server asks for more than the cap: give up now


class MemoryKeyring:
    """A keyring backend's three methods, holding passwords in memory. Not a KeyringBackend
    subclass: those register themselves and would become every test's OS keyring."""

    def __init__(self) -> None:
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.store.get((service, username))

    def set_password(self, service, username, password):
        self.store[(service, username)] = password

    def delete_password(self, service, username):
        self.store.pop((service, username), None)


def test_keys_from_environment_first_then_keyring(tmp_path):
    backend = MemoryKeyring()
    keys = KeyStore(tmp_path, env={"GOOGLE_API_KEY": "from-env"}, keyring_backend=backend)
    assert keys.set("claude", "from-keyring") == "keyring"
    assert backend.store == {("dockerforge", "ai:claude"): "from-keyring"}
    assert keys.source_of("claude") == ("from-keyring", "keyring")
    assert keys.source_of("gemini") == ("from-env", "env GOOGLE_API_KEY")
    assert KeyStore(tmp_path, env={"GEMINI_API_KEY": "a", "GOOGLE_API_KEY": "b"}).get("gemini") == "a"
    keys.delete("claude")
    assert keys.get("claude") is None
    assert not (tmp_path / "ai-keys.enc").exists()


def test_no_keyring_and_no_passphrase_refuses_to_store(tmp_path):
    keys = KeyStore(tmp_path, env={})
    if keys.keyring() is not None:
        pytest.skip("this host has a working OS keyring")
    with pytest.raises(KeyStoreError, match="no OS keyring"):
        keys.set("claude", "sk-secret")
    assert not (tmp_path / "ai-keys.enc").exists()


def test_encrypted_file_round_trip_without_plain_text(tmp_path):
    keys = KeyStore(tmp_path, env={PASSPHRASE_VARIABLE: "correct horse"})
    if keys.keyring() is not None:
        pytest.skip("this host has a working OS keyring")
    assert keys.set("claude", "sk-ant-very-secret") == "encrypted file"
    keys.set("gemini", "gm-secret")
    stored = (tmp_path / "ai-keys.enc")
    assert b"very-secret" not in stored.read_bytes() and (stored.stat().st_mode & 0o777) == 0o600
    passphrase = tmp_path / "pass.txt"
    passphrase.write_text("correct horse\n")
    assert KeyStore(tmp_path, env={}, key_file=str(passphrase)).source_of("claude") == \
        ("sk-ant-very-secret", "encrypted file")
    with pytest.raises(KeyStoreError, match="passphrase does not open"):
        KeyStore(tmp_path, env={PASSPHRASE_VARIABLE: "wrong"}).get("gemini")
    keys.delete("claude")
    assert keys.get("claude") is None and keys.get("gemini") == "gm-secret"
