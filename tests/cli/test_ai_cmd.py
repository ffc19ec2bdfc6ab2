"""``dockerforge ai``: the real CLI against local servers speaking Anthropic's and Ollama's wire protocols.

The container tests run a real busybox container whose environment and logs hold secrets,
and check every request body the server received: no secret may reach it.
"""

from __future__ import annotations

import io
import json

import pytest

from tests.support.ai_servers import AnthropicServer, OllamaServer
from tests.support.leaky import DB_PASSWORD, SECRETS, run_leaky


@pytest.fixture
def leaky(containers):
    """An exited container whose environment and logs hold secrets."""
    return run_leaky(containers)


@pytest.fixture
def env(monkeypatch):
    """No real keys, keyring or endpoints: the file key store with a passphrase, nothing from the host."""
    for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "GEMINI_API_KEY", "GOOGLE_API_KEY", "OLLAMA_HOST"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.setenv("DOCKERFORGE_AI_PASSPHRASE", "test passphrase")
    return monkeypatch


def write_config(tmp_path, **ai) -> str:
    import yaml

    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"ai": {"max_attempts": 1, **ai}}))
    return str(path)


def sent_text(server) -> str:
    return json.dumps([request.body for request in server.requests]) + json.dumps(
        [request.query for request in server.requests])


def sent_key(server) -> str:
    """The key of the last request, however the SDK sent it (x-api-key or a bearer token)."""
    headers = server.posts()[-1].headers
    return headers.get("x-api-key", "") + headers.get("authorization", "")


def assert_no_secret(server) -> None:
    text = sent_text(server)
    leaked = [secret for secret in SECRETS if secret in text]
    assert not leaked, f"leaked to the server: {leaked}"


def test_providers_lists_capabilities_keys_and_the_ollama_found(run_cli, env, tmp_path):
    env.setenv("ANTHROPIC_API_KEY", "sk-ant-local-test")
    with OllamaServer() as ollama:
        url = ollama.url
        env.setenv("OLLAMA_HOST", url)
        result = run_cli("ai", "providers", "--format", "json", "-c", write_config(tmp_path, provider="claude",
                                                                                    fallback=["ollama"]))
    assert result.exit_code == 0, result.stderr
    rows = {row["name"]: row for row in json.loads(result.stdout)["providers"]}
    assert {"claude", "gemini", "ollama", "none"} <= set(rows)
    assert rows["claude"]["key"] == "env ANTHROPIC_API_KEY" and rows["claude"]["in_chain"] == 1
    assert rows["claude"]["capabilities"]["token_counting"] and not rows["claude"]["capabilities"]["local"]
    assert rows["gemini"]["key"] == "missing"
    assert rows["ollama"]["in_chain"] == 2 and rows["ollama"]["key"] == "not needed"
    assert rows["ollama"]["discovery"]["found"] == url
    assert rows["ollama"]["discovery"]["model"] == "llama3.2:latest"
    text = run_cli("ai", "providers", "--no-discovery")
    assert text.exit_code == 0 and "claude" in text.stdout and "key: missing" in text.stdout


def test_key_set_stores_after_a_test_request_and_key_test_uses_it(run_cli, env, tmp_path, monkeypatch):
    with AnthropicServer() as server:
        env.setenv("ANTHROPIC_BASE_URL", server.url)
        monkeypatch.setattr("sys.stdin", io.StringIO("sk-ant-stored-key\n"))
        stored = run_cli("ai", "key", "set", "claude")
        assert stored.exit_code == 0, stored.stderr
        assert stored.stdout.strip() == "claude: key stored in the encrypted file after a test request succeeded"
        assert "sk-ant-stored-key" in sent_key(server)
        assert server.posts()[-1].body["max_tokens"] == 1
        tested = run_cli("ai", "key", "test", "claude")
        assert tested.exit_code == 0, tested.stderr
        assert "the key from encrypted file works" in tested.stdout
        assert "sk-ant-stored-key" in sent_key(server)

        server.fail_next(401, "authentication_error", "invalid x-api-key")
        monkeypatch.setattr("sys.stdin", io.StringIO("sk-ant-bad-key\n"))
        refused = run_cli("ai", "key", "set", "claude")
        assert refused.exit_code == 7 and refused.stderr.startswith("dockerforge: error: claude: invalid x-api-key")
        assert "sk-ant-bad-key" not in refused.stderr
        # the key that failed its test did not replace the stored one
        assert run_cli("ai", "key", "test", "claude").exit_code == 0
        assert "sk-ant-stored-key" in sent_key(server)


def test_key_set_reads_stdin_and_refuses_nothing(run_cli, env, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    result = run_cli("ai", "key", "set", "claude", "--no-test")
    assert result.exit_code == 2 and "no key for claude on stdin" in result.stderr
    unknown = run_cli("ai", "key", "test", "nosuch")
    assert unknown.exit_code == 2 and "unknown AI provider: nosuch" in unknown.stderr


def test_analyze_with_claude_streams_the_answer_and_sends_no_secret(run_cli, env, tmp_path, leaky):
    env.setenv("ANTHROPIC_API_KEY", "sk-ant-local-test")
    with AnthropicServer(reply_text="The JVM ran out of heap; raise -Xmx or the memory limit.") as server:
        env.setenv("ANTHROPIC_BASE_URL", server.url)
        config = write_config(tmp_path, provider="claude", models={"claude": "claude-test-1"},
                              prices={"claude/claude-test-1": {"input": 3.0, "output": 15.0}})
        result = run_cli("ai", "analyze", leaky.name, "-c", config)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "The JVM ran out of heap; raise -Xmx or the memory limit."
    assert "estimate:" in result.stderr and "at most $" in result.stderr
    assert "answered by claude (claude-test-1)" in result.stderr
    assert_no_secret(server)
    paths = [request.path for request in server.posts()]
    assert paths == ["/v1/messages/count_tokens", "/v1/messages"]
    prompt = server.posts()[-1].body["messages"][0]["content"]
    assert prompt.startswith(f"Container {leaky.name} has problems")
    assert "OutOfMemoryError" in prompt and "(x2)" in prompt and "exit code 1" in prompt
    assert "[REDACTED:" in prompt
    assert "[REDACTED:" in server.posts()[-1].body["system"]  # the template tells the model about placeholders


def test_analyze_with_a_json_provider_asks_for_json_and_shows_the_parts(run_cli, env, tmp_path, leaky):
    answer = {"summary": "The JVM runs out of heap.", "root_cause": "Heap too small for the load (high).",
              "evidence": ["java.lang.OutOfMemoryError: Java heap space"],
              "fixes": ["Raise -Xmx to 512m", "Raise the memory limit (risky)"]}
    with OllamaServer(reply_text=json.dumps(answer)) as server:
        env.setenv("OLLAMA_HOST", server.url)
        result = run_cli("ai", "analyze", "--provider", "ollama", leaky.name)
        as_object = run_cli("ai", "analyze", "--provider", "ollama", "--format", "json", leaky.name)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == ("Summary: The JVM runs out of heap.\n\n"
                                     "Root cause: Heap too small for the load (high).\n\n"
                                     "Evidence:\n- java.lang.OutOfMemoryError: Java heap space\n\n"
                                     "Fixes:\n1. Raise -Xmx to 512m\n2. Raise the memory limit (risky)")
    body = server.posts()[-1].body
    assert body["format"] == "json"  # the provider was asked for JSON, and the prompt says which keys
    assert '"root_cause"' in body["messages"][-1]["content"] and "## Root cause" not in body["messages"][-1]["content"]
    assert_no_secret(server)
    assert as_object.exit_code == 0, as_object.stderr
    printed = json.loads(as_object.stdout)
    assert (printed["summary"], printed["fixes"], printed["structured"]) == (answer["summary"], answer["fixes"], True)
    assert printed["answered_by"] == "ollama" and printed["call_id"]


def test_ask_with_ollama_and_a_container_sends_no_secret(run_cli, env, tmp_path, leaky):
    with OllamaServer(reply_text="It exits after printing its config.") as server:
        env.setenv("OLLAMA_HOST", server.url)
        result = run_cli("ai", "ask", "--provider", "ollama", "--container", leaky.name,
                         f"why does it stop? my password={DB_PASSWORD}")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "It exits after printing its config."
    assert "answered by ollama" in result.stderr and "at most $0.0000" in result.stderr
    assert_no_secret(server)
    content = server.posts()[-1].body["messages"][-1]["content"]
    assert content.startswith("why does it stop? my password=[REDACTED:")
    assert "## Container" in content and leaky.name in content


def test_a_failing_provider_falls_back_and_the_cost_needs_confirmation(run_cli, env, tmp_path):
    env.setenv("ANTHROPIC_API_KEY", "sk-ant-local-test")
    with AnthropicServer() as claude, OllamaServer(reply_text="from ollama") as ollama:
        env.setenv("ANTHROPIC_BASE_URL", claude.url)
        env.setenv("OLLAMA_HOST", ollama.url)
        config = write_config(tmp_path, provider="claude", fallback=["ollama"], models={"claude": "claude-test-1"},
                              prices={"claude/claude-test-1": {"input": 3000.0, "output": 15000.0}})
        refused = run_cli("ai", "ask", "hello", "-c", config)
        assert refused.exit_code == 2 and "above ai.confirm_above ($0.05); not sent" in refused.stderr
        assert [request.path for request in claude.posts()] == ["/v1/messages/count_tokens"]
        claude.fail_next(401, "authentication_error", "invalid x-api-key", times=2)
        answered = run_cli("ai", "ask", "hello", "-c", config, "--yes")
    assert answered.exit_code == 0, answered.stderr
    assert answered.stdout.strip() == "from ollama" and "answered by ollama" in answered.stderr


def test_no_provider_is_a_one_line_usage_error(run_cli, env):
    result = run_cli("ai", "ask", "hello")
    assert result.exit_code == 2
    assert "no AI provider is configured (ai.provider is none)" in result.stderr.splitlines()[0]


def test_fix_propose_ai_turns_the_answer_into_typed_operations_and_advice(run_cli, env, tmp_path, leaky):
    answer = {"summary": "Give it more memory.", "operations": [
        {"kind": "update_resources", "container": leaky.name, "memory": "512m"},
        {"kind": "exec", "command": "rm -rf /data"}],  # no such operation: advice, never run
        "advice": ["docker system prune -af"]}
    with OllamaServer(reply_text=json.dumps(answer)) as server:
        env.setenv("OLLAMA_HOST", server.url)
        result = run_cli("fix", "propose", leaky.name, "--ai", "--provider", "ollama", "--format", "json")
    assert result.exit_code == 0, result.stderr
    proposal = json.loads(result.stdout)["fixes"][-1]
    assert proposal["source"]["kind"] == "ai" and proposal["source"]["template"] == "fix"
    assert proposal["summary"] == "Give it more memory." and proposal["container"] == leaky.name
    assert [(item["kind"], item["params"]["memory"]) for item in proposal["operations"]] == [
        ("update_resources", 512 * 1024 * 1024)]
    assert "docker system prune -af" in proposal["advice"] and any("rm -rf /data" in item for item in proposal["advice"])
    body = server.posts()[-1].body
    assert body["format"] == "json" and "`update_resources`" in body["messages"][-1]["content"]
    assert_no_secret(server)
    assert "estimate:" in result.stderr and "asked ai fix" in result.stderr


def test_fix_propose_ai_reads_operation_lines_from_a_provider_without_json(run_cli, env, tmp_path, leaky):
    env.setenv("ANTHROPIC_API_KEY", "sk-ant-local-test")
    reply = (f"The process exits at start.\n- restart {leaky.name}\n- docker system prune -af\n"
             "Advice: check MODE in the environment")
    with AnthropicServer(reply_text=reply) as server:
        env.setenv("ANTHROPIC_BASE_URL", server.url)
        config = write_config(tmp_path, provider="claude", models={"claude": "claude-test-1"},
                              prices={"claude/claude-test-1": {"input": 3.0, "output": 15.0}})
        result = run_cli("fix", "propose", leaky.name, "--ai", "--format", "json", "-c", config)
        refused = run_cli("fix", "propose", leaky.name, "--provider", "claude", "-c", config)
    assert result.exit_code == 0, result.stderr
    proposal = json.loads(result.stdout)["fixes"][-1]
    assert [item["kind"] for item in proposal["operations"]] == ["restart"]
    assert "docker system prune -af" in proposal["advice"]  # shell text from an AI is only shown
    assert "## Summary" not in server.posts()[-1].body["messages"][0]["content"]
    assert_no_secret(server)
    assert refused.exit_code == 2 and "--provider and --yes go with --ai" in refused.stderr


def test_fix_propose_ai_without_a_provider_still_shows_the_rules_fixes_then_says_why(run_cli, env, leaky):
    result = run_cli("fix", "propose", leaky.name, "--ai")
    assert result.exit_code == 2
    assert "Apply with: dockerforge fix apply" in result.stdout and "rule exited.restart" in result.stdout
    assert result.stderr.startswith("dockerforge: error: no AI provider is configured")
