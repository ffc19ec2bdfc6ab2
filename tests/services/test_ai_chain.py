"""The fallback chain, the none provider and the usage log, against local provider servers."""

from __future__ import annotations

import json

import pytest

from dockerforge_tui.core.config.models import AISettings
from dockerforge_tui.core.errors import ExitCode
from dockerforge_tui.services.ai import (
    AIAuthenticationError,
    AIContentRefusedError,
    AINotConfiguredError,
    AllProvidersFailedError,
    CompletionRequest,
    FallbackChain,
    KeyStore,
    UsageLog,
    build_provider,
)
from tests.support.ai_servers import AnthropicServer, GeminiServer, OllamaServer, free_port

KEY_ENV = {"ANTHROPIC_API_KEY": "sk-ant-local-test", "GEMINI_API_KEY": "gemini-local-test"}
REQUEST = CompletionRequest.ask("why is db-1 unhealthy", max_tokens=64)


def chain(tmp_path, settings: AISettings, env=None) -> FallbackChain:
    return FallbackChain.from_settings(settings, KeyStore(tmp_path, env=env if env is not None else KEY_ENV), env={},
                                       usage_log=UsageLog.in_data_dir(tmp_path / "data"))


def test_first_provider_rejects_the_key_the_second_answers_and_is_named(tmp_path):
    with AnthropicServer() as claude, OllamaServer(reply_text="Ollama says: out of memory.") as ollama:
        claude.fail_next(401, "authentication_error", "invalid x-api-key")
        settings = AISettings(provider="claude", fallback=["ollama"],
                              base_urls={"claude": claude.url, "ollama": ollama.url})
        ai = chain(tmp_path, settings)
        answer = ai.complete(REQUEST)
        assert answer.provider == "ollama" and answer.text == "Ollama says: out of memory."
        assert len(claude.posts()) == 1 and len(ollama.posts()) == 1
        records = list(ai.usage_log.records())
        assert [(r.provider, r.outcome) for r in records] == [("claude", "AIAuthenticationError"), ("ollama", "ok")]
        assert records[1].input_tokens == 4 and records[1].output_tokens == 5 and records[1].cost_usd == 0.0


def test_streams_fall_back_before_any_text(tmp_path):
    with GeminiServer() as gemini, AnthropicServer(reply_text="Claude answers.") as claude:
        gemini.fail_next(403, "PERMISSION_DENIED", "API key not valid")
        ai = chain(tmp_path, AISettings(provider="gemini", fallback=["claude"],
                                        base_urls={"gemini": gemini.url, "claude": claude.url}))
        stream = ai.stream(REQUEST)
        assert stream.provider_name == "claude"
        assert stream.text() == "Claude answers."
        last = list(ai.usage_log.records())[-1]
        assert (last.provider, last.outcome, last.output_tokens) == ("claude", "ok", 2)


def test_unreachable_then_missing_key_then_an_answer(tmp_path):
    with OllamaServer() as ollama:
        settings = AISettings(provider="claude", fallback=["gemini", "ollama"],
                              base_urls={"claude": f"http://127.0.0.1:{free_port()}", "ollama": ollama.url})
        answer = chain(tmp_path, settings, env={"ANTHROPIC_API_KEY": "k"}).complete(REQUEST)
        assert answer.provider == "ollama"


def test_every_provider_failing_names_each_failure(tmp_path):
    with AnthropicServer() as claude:
        claude.fail_next(401, "authentication_error", "invalid x-api-key")
        settings = AISettings(provider="claude", fallback=["ollama"],
                              base_urls={"claude": claude.url, "ollama": f"http://127.0.0.1:{free_port()}"})
        with pytest.raises(AllProvidersFailedError) as caught:
            chain(tmp_path, settings).complete(REQUEST)
        assert [type(error).__name__ for error in caught.value.errors] == ["AIAuthenticationError",
                                                                          "AIConnectionError"]
        assert "claude: invalid x-api-key" in caught.value.message and "ollama: cannot connect" in caught.value.message


def test_a_refusal_is_not_sent_to_the_next_provider(tmp_path):
    with GeminiServer() as gemini, OllamaServer() as ollama:
        settings = AISettings(provider="gemini", fallback=["ollama"],
                              base_urls={"gemini": gemini.url, "ollama": ollama.url})
        ai = chain(tmp_path, settings)
        original = gemini.answer

        def refuse(request):
            reply = original(request)
            body = json.loads(reply.body)
            body["candidates"][0]["finishReason"] = "SAFETY"
            reply.body = json.dumps(body).encode()
            reply.headers["Content-Length"] = str(len(reply.body))
            return reply

        gemini.answer = refuse
        with pytest.raises(AIContentRefusedError):
            ai.complete(REQUEST)
        assert ollama.requests == []


def test_none_is_the_default_and_refuses_in_one_line_without_network(tmp_path):
    settings = AISettings()
    assert settings.provider == "none" and settings.input_token_budget == 8000
    provider = build_provider("none", settings, KeyStore(tmp_path, env={}), env={})
    assert provider.count_tokens(REQUEST) >= 4
    assert provider.estimate_cost(REQUEST).max_cost_usd == 0.0
    with pytest.raises(AINotConfiguredError) as caught:
        chain(tmp_path, settings, env={}).complete(REQUEST)
    assert caught.value.message == "no AI provider is configured (ai.provider is none)"
    assert "ai.provider" in caught.value.hint and caught.value.exit_code == ExitCode.USAGE


def test_a_provider_without_a_key_says_where_to_put_it(tmp_path):
    provider = build_provider("claude", AISettings(), KeyStore(tmp_path, env={}), env={})
    with pytest.raises(AINotConfiguredError) as caught:
        provider.complete(REQUEST)
    assert "ANTHROPIC_API_KEY" in caught.value.hint


def test_usage_log_appends_json_lines_and_skips_a_torn_line(tmp_path):
    log = UsageLog(tmp_path / "u.jsonl")
    log.append(UsageLog.record("claude", "m", 10, 5, 0.001, 0.5))
    with open(log.path, "a") as stream:
        stream.write('{"timestamp": 1, "prov')
    log.append(UsageLog.record("gemini", "g", 1, 2, None, 0.1, "AITimeoutError"))
    records = list(log.records())
    assert [(r.provider, r.input_tokens, r.outcome) for r in records] == [("claude", 10, "ok")]
    assert (log.path.stat().st_mode & 0o777) == 0o600


def test_authentication_error_class_is_a_dockerforge_error():
    from dockerforge_tui.core.errors import DockerForgeError

    assert issubclass(AIAuthenticationError, DockerForgeError)
