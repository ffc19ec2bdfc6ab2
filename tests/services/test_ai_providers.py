"""Each AI provider end to end: its real SDK against a local server that speaks its wire protocol.

The servers (tests/support/ai_servers.py) record every request, so these tests check
what the SDK really sent (model, messages, output limit), what came back (text, chunks,
token counts, cost) and how HTTP failures are mapped to DockerForge's errors.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from dockerforge_tui.core.config.models import AISettings
from dockerforge_tui.core.errors import ExitCode
from dockerforge_tui.services.ai import (
    AIAuthenticationError,
    AIConnectionError,
    AIContextTooLongError,
    AIRateLimitError,
    AITimeoutError,
    CompletionRequest,
    KeyStore,
    Message,
    build_provider,
)
from tests.support.ai_servers import AnthropicServer, GeminiServer, OllamaServer, WireServer, count_words, free_port

SERVERS = {"claude": AnthropicServer, "gemini": GeminiServer, "ollama": OllamaServer}
MODELS = {"claude": "claude-test-1", "gemini": "gemini-test-1", "ollama": "llama3.2"}
KEY_ENV = {"ANTHROPIC_API_KEY": "sk-ant-local-test", "GEMINI_API_KEY": "gemini-local-test"}
PRICES = {"claude/claude-test-1": {"input": 3.0, "output": 15.0}, "gemini/gemini-test-1": {"input": 0.3, "output": 2.5}}

REQUEST = CompletionRequest(
    messages=(Message("user", "why does web-1 restart every minute"),),
    system="You explain Docker failures briefly.", max_tokens=321)


def make_provider(name: str, base_url: str, tmp_path: Path, **settings):
    ai = AISettings(base_urls={name: base_url}, models=MODELS, prices=PRICES, **settings)
    return build_provider(name, ai, KeyStore(tmp_path, env=KEY_ENV), env={})


@pytest.fixture(params=sorted(SERVERS))
def served(request, tmp_path):
    """(provider, server) for each provider, the server on 127.0.0.1 with its real protocol."""
    server: WireServer = SERVERS[request.param]()
    with server:
        yield make_provider(request.param, server.url, tmp_path, max_attempts=3, max_retry_delay="5s"), server


def prompt_tokens(name: str) -> int:
    # Each server counts the words of everything the model reads (system prompt included).
    return count_words(REQUEST.system) + count_words(REQUEST.messages[0].content)


def check_request_body(name: str, server: WireServer, *, streaming: bool) -> None:
    sent = server.posts()[-1]
    if name == "claude":
        assert sent.path == "/v1/messages"
        assert sent.body["model"] == "claude-test-1"
        assert sent.body["max_tokens"] == 321
        assert sent.body["system"] == REQUEST.system
        assert sent.body["messages"] == [{"role": "user", "content": REQUEST.messages[0].content}]
        assert bool(sent.body.get("stream")) is streaming
        assert KEY_ENV["ANTHROPIC_API_KEY"] in (sent.headers.get("x-api-key", "") + sent.headers.get("authorization", ""))
    elif name == "gemini":
        method = "streamGenerateContent" if streaming else "generateContent"
        assert sent.path.endswith(f"/models/gemini-test-1:{method}")
        assert (sent.query.get("alt") == ["sse"]) is streaming
        assert sent.body["contents"] == [{"role": "user", "parts": [{"text": REQUEST.messages[0].content}]}]
        assert sent.body["systemInstruction"]["parts"] == [{"text": REQUEST.system}]
        assert sent.body["generationConfig"]["maxOutputTokens"] == 321
        assert sent.headers["x-goog-api-key"] == KEY_ENV["GEMINI_API_KEY"]
    else:
        assert sent.path == "/api/chat"
        assert sent.body["model"] == "llama3.2"
        assert sent.body["messages"] == [{"role": "system", "content": REQUEST.system},
                                         {"role": "user", "content": REQUEST.messages[0].content}]
        assert sent.body["options"]["num_predict"] == 321
        assert sent.body["stream"] is streaming


def test_complete_sends_the_request_and_returns_text_usage_and_cost(served):
    provider, server = served
    answer = provider.complete(REQUEST)
    check_request_body(provider.name, server, streaming=False)
    assert answer.text == server.reply_text
    assert answer.provider == provider.name and answer.model == MODELS[provider.name]
    assert answer.usage.input_tokens == prompt_tokens(provider.name)
    assert answer.usage.output_tokens == count_words(server.reply_text)
    assert answer.attempts == 1
    expected = {"claude": (3.0, 15.0), "gemini": (0.3, 2.5), "ollama": (0.0, 0.0)}[provider.name]
    cost = (answer.usage.input_tokens * expected[0] + answer.usage.output_tokens * expected[1]) / 1_000_000
    assert answer.cost_usd == pytest.approx(cost)


def test_stream_yields_the_servers_chunks_in_order(served):
    provider, server = served
    stream = provider.stream(REQUEST)
    chunks = list(stream)
    check_request_body(provider.name, server, streaming=True)
    assert chunks == server.words()
    assert stream.completion.text == server.reply_text
    assert stream.completion.usage.input_tokens == prompt_tokens(provider.name)
    assert stream.completion.usage.output_tokens == count_words(server.reply_text)
    assert provider.capabilities().streaming


def test_count_tokens_asks_the_provider_or_estimates_locally(served):
    provider, server = served
    count = provider.count_tokens(REQUEST)
    if provider.name == "ollama":  # Ollama has no count endpoint: a local estimate, no request
        assert not provider.capabilities().token_counting
        assert server.requests == []
        assert count >= count_words(REQUEST.prompt_text())
        return
    assert provider.capabilities().token_counting
    assert count == prompt_tokens(provider.name)
    sent = server.posts()[-1]
    if provider.name == "claude":
        assert sent.path == "/v1/messages/count_tokens"
        assert sent.body["model"] == "claude-test-1" and sent.body["system"] == REQUEST.system
    else:
        assert sent.path.endswith("/models/gemini-test-1:countTokens")


def test_estimate_cost_uses_counted_tokens_and_max_output(served):
    provider, _ = served
    estimate = provider.estimate_cost(REQUEST)
    assert estimate.max_output_tokens == 321
    if provider.name == "claude":
        assert estimate.input_tokens == prompt_tokens("claude")
        assert estimate.max_cost_usd == pytest.approx((estimate.input_tokens * 3.0 + 321 * 15.0) / 1_000_000)
    elif provider.name == "ollama":
        assert estimate.max_cost_usd == 0.0


ERRORS = {
    # provider: (status, kind, message) the real API answers with
    "auth": {"claude": (401, "authentication_error", "invalid x-api-key"),
             "gemini": (401, "UNAUTHENTICATED", "API key not valid. Please pass a valid API key."),
             "ollama": (401, "", "unauthorized")},
    "rate": {"claude": (429, "rate_limit_error", "Number of request tokens has exceeded your rate limit"),
             "gemini": (429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."),
             "ollama": (429, "", "too many requests")},
    "context": {"claude": (400, "invalid_request_error", "prompt is too long: 212345 tokens > 200000 maximum"),
                "gemini": (400, "INVALID_ARGUMENT", "The input token count (1200000) exceeds the maximum "
                                                    "number of tokens allowed (1048576)."),
                "ollama": (400, "", "the input length exceeds the context length")},
}


def test_401_is_an_authentication_error_in_one_line(served):
    provider, server = served
    server.fail_next(*ERRORS["auth"][provider.name])
    with pytest.raises(AIAuthenticationError) as caught:
        provider.complete(REQUEST)
    assert caught.value.provider == provider.name and caught.value.status == 401
    assert caught.value.exit_code == ExitCode.AI_PROVIDER
    assert "\n" not in caught.value.message and caught.value.hint
    assert len(server.posts()) == 1  # a rejected key is not retried


def test_429_with_retry_after_is_retried_after_the_wait_then_succeeds(served):
    provider, server = served
    server.fail_next(*ERRORS["rate"][provider.name], headers={"Retry-After": "1"})
    answer = provider.complete(REQUEST)
    assert answer.text == server.reply_text and answer.attempts == 2
    first, second = server.posts()
    # Anthropic and Gemini expose the header: the wait is at least Retry-After. Ollama's
    # client hides headers, so the backoff's first step (0.5 s) applies.
    assert second.received_at - first.received_at >= (0.45 if provider.name == "ollama" else 0.95)


def test_429_asking_longer_than_the_cap_is_raised_at_once(served):
    provider, server = served
    server.fail_next(*ERRORS["rate"][provider.name], headers={"Retry-After": "60"})
    if provider.name == "ollama":
        # Ollama's client hides response headers, so the 60 s can't be seen: the request
        # is retried on the backoff's own schedule and the second attempt answers.
        answer = provider.complete(REQUEST)
        assert answer.attempts == 2 and len(server.posts()) == 2
        return
    started = time.monotonic()
    with pytest.raises(AIRateLimitError) as caught:
        provider.complete(REQUEST)
    assert time.monotonic() - started < 2
    assert caught.value.retry_after == 60 and "60s" in caught.value.message
    assert len(server.posts()) == 1


def test_rate_limit_that_persists_stops_after_max_attempts(served):
    provider, server = served
    server.fail_next(*ERRORS["rate"][provider.name], headers={"Retry-After": "0"}, times=5)
    with pytest.raises(AIRateLimitError):
        provider.complete(REQUEST)
    assert len(server.posts()) == 3


def test_context_length_error_is_context_too_long(served):
    provider, server = served
    server.fail_next(*ERRORS["context"][provider.name])
    with pytest.raises(AIContextTooLongError):
        provider.complete(REQUEST)


def test_stream_errors_are_raised_before_any_text(served):
    provider, server = served
    server.fail_next(*ERRORS["auth"][provider.name])
    with pytest.raises(AIAuthenticationError):
        provider.stream(REQUEST)


@pytest.mark.parametrize("name", sorted(SERVERS))
def test_connection_refused_is_a_connection_error(name, tmp_path):
    provider = make_provider(name, f"http://127.0.0.1:{free_port()}", tmp_path)
    with pytest.raises(AIConnectionError) as caught:
        provider.complete(REQUEST)
    assert caught.value.provider == name and "\n" not in caught.value.message


def test_a_slow_server_is_a_timeout(served, tmp_path):
    provider, server = served
    server.delay = 1.5
    slow = make_provider(provider.name, server.url, tmp_path, timeout="0.4s")
    started = time.monotonic()
    with pytest.raises(AITimeoutError):
        slow.complete(REQUEST)
    assert time.monotonic() - started < 1.4


def test_cancel_from_another_thread_stops_the_stream_and_closes_the_connection(served):
    provider, server = served
    server.reply_text = " ".join(f"word{number}" for number in range(40))
    server.chunk_delay = 0.1
    stream = provider.stream(REQUEST)
    received: list[str] = []
    for chunk in stream:
        received.append(chunk)
        if len(received) == 3:
            threading.Thread(target=stream.cancel).start()
    assert 3 <= len(received) <= 5
    assert received == server.words()[:len(received)]
    assert list(stream) == []
    assert stream.cancelled and stream.completion.stop_reason == "cancelled"
    assert stream.completion.text == "".join(received)
    deadline = time.monotonic() + 5
    while server.cut_streams == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.cut_streams == 1  # the server saw the client go away mid-stream


def test_ollama_lists_its_models(tmp_path):
    with OllamaServer(models=("llama3.2:latest", "qwen2.5:0.5b")) as server:
        provider = make_provider("ollama", server.url, tmp_path)
        assert provider.list_models() == ("llama3.2:latest", "qwen2.5:0.5b")
        assert server.requests[-1].path == "/api/tags"
