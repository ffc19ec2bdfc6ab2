"""Issue 5's "what must hold", through the real CLI, for Claude's and Gemini's wire protocols.

``dockerforge ai ask --provider P --container C "why?"`` with the provider's base URL
pointing at a local server (tests/support/ai_servers.py) streams the server's answer to
stdout, and no secret of C's environment or logs is in anything the server received.
C is a real container. (Ollama's case is in test_ai_cmd.py; the echo plugin's in
test_ai_plugins_cmd.py.)
"""

from __future__ import annotations

import json

import pytest
import yaml

from tests.support.ai_servers import AnthropicServer, GeminiServer
from tests.support.leaky import SECRETS, run_leaky

ANSWER = "The JVM ran out of heap; raise -Xmx or the memory limit."
PROVIDERS = {
    # name: (server class, base URL variable, key variable, model)
    "claude": (AnthropicServer, "ANTHROPIC_BASE_URL", "ANTHROPIC_API_KEY", "claude-test-1"),
    "gemini": (GeminiServer, "GOOGLE_GEMINI_BASE_URL", "GEMINI_API_KEY", "gemini-test-1"),
}


@pytest.fixture
def leaky(containers):
    """An exited container whose environment and logs hold secrets."""
    return run_leaky(containers)


@pytest.fixture
def env(monkeypatch):
    """No real keys, keyring or endpoints."""
    for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "GEMINI_API_KEY", "GOOGLE_API_KEY",
                 "GOOGLE_GEMINI_BASE_URL", "OLLAMA_HOST"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    return monkeypatch


def write_config(tmp_path, name: str, **ai) -> str:
    """A config with ``name``'s test model and a price for it (so no confirmation is asked)."""
    model = PROVIDERS[name][3]
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"ai": {"max_attempts": 1, "models": {name: model},
                                           "prices": {f"{name}/{model}": {"input": 1.0, "output": 2.0}}, **ai}}))
    return str(path)


def received(server) -> str:
    """Everything the server was sent: bodies, queries and headers other than the API key."""
    return json.dumps([{"body": request.body, "query": request.query, "path": request.path,
                        "headers": {name: value for name, value in request.headers.items()
                                    if name not in ("x-api-key", "x-goog-api-key", "authorization")}}
                       for request in server.requests])


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_ask_about_a_container_streams_the_answer_and_sends_no_secret(run_cli, env, tmp_path, leaky, provider):
    server_class, url_variable, key_variable, model = PROVIDERS[provider]
    env.setenv(key_variable, f"local-test-key-{provider}")
    with server_class(reply_text=ANSWER) as server:
        env.setenv(url_variable, server.url)
        result = run_cli("ai", "ask", "--provider", provider, "--container", leaky.name, "why?",
                         "-c", write_config(tmp_path, provider))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == ANSWER
    assert f"answered by {provider} ({model})" in result.stderr
    text = received(server)
    assert not [secret for secret in SECRETS if secret in text]
    assert not [secret for secret in SECRETS if secret in result.stdout + result.stderr]
    streamed = server.posts()[-1]
    prompt = json.dumps(streamed.body)
    assert "why?" in prompt and leaky.name in prompt and "OutOfMemoryError" in prompt and "[REDACTED:" in prompt
    if provider == "gemini":
        assert streamed.path.endswith(f"/models/{model}:streamGenerateContent") and streamed.query["alt"] == ["sse"]
        assert streamed.headers["x-goog-api-key"] == "local-test-key-gemini"
    else:
        assert streamed.path == "/v1/messages" and streamed.body["stream"] is True


def test_analyze_with_gemini_at_the_configured_base_url(run_cli, env, tmp_path, leaky):
    env.setenv("GOOGLE_API_KEY", "local-test-key")  # the second variable the Gemini key is read from
    with GeminiServer(reply_text=ANSWER) as server:
        config = write_config(tmp_path, "gemini", provider="gemini", base_urls={"gemini": server.url})
        result = run_cli("ai", "analyze", leaky.name, "-c", config)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == ANSWER and "answered by gemini (gemini-test-1)" in result.stderr
    assert [request.path.rpartition(":")[2] for request in server.posts()] == ["countTokens", "streamGenerateContent"]
    assert not [secret for secret in SECRETS if secret in received(server)]
    prompt = json.dumps(server.posts()[-1].body)
    assert "OutOfMemoryError" in prompt and "exit code 1" in prompt
