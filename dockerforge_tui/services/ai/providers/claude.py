"""Claude through the ``anthropic`` SDK: the Messages API, server-sent-event streaming, ``count_tokens``.

The base URL comes from ``ai.base_urls.claude`` or ``ANTHROPIC_BASE_URL`` (the SDK reads
it too), so a proxy or a local gateway works. The SDK's own retries are off: the
provider's retry policy decides, the same way for every provider.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, Iterator

from ..base import (
    AIContentRefusedError,
    AIProvider,
    AIProviderError,
    CancelToken,
    Capabilities,
    CompletionRequest,
    StreamEnd,
    Usage,
    status_error,
    transport_error,
)

CONTEXT_TOKENS = 200_000


class ClaudeProvider(AIProvider):
    """Anthropic's Claude models."""

    name = "claude"

    def capabilities(self) -> Capabilities:
        return Capabilities(streaming=True, token_counting=True, max_context_tokens=CONTEXT_TOKENS,
                            json_output=False, local=False)

    @cached_property
    def client(self) -> Any:
        try:
            import anthropic
        except ImportError:
            raise self.sdk_missing("anthropic") from None
        self.require_api_key("ANTHROPIC_API_KEY")
        return anthropic.Anthropic(api_key=self.config.api_key, base_url=self.config.base_url,
                                   timeout=self.config.timeout_s, max_retries=0)

    def _arguments(self, request: CompletionRequest) -> dict[str, Any]:
        arguments: dict[str, Any] = {
            "model": self.model,
            "max_tokens": request.max_tokens,
            "messages": [{"role": message.role, "content": message.content} for message in request.messages],
        }
        if request.system:
            arguments["system"] = request.system
        if request.temperature is not None:
            arguments["temperature"] = request.temperature
        return arguments

    def _complete(self, request: CompletionRequest) -> tuple[str, Usage, str | None]:
        message = self.client.messages.create(**self._arguments(request))
        _check_refusal(message.stop_reason, self.name)
        text = "".join(block.text for block in message.content if getattr(block, "type", "") == "text")
        return text, Usage(message.usage.input_tokens, message.usage.output_tokens), message.stop_reason

    def _stream_parts(self, request: CompletionRequest, token: CancelToken) -> Iterator[str | StreamEnd]:
        stream = self.client.messages.create(**self._arguments(request), stream=True)
        token.on_cancel(stream.close)  # closes the HTTP response; a read already blocked ends with its chunk
        input_tokens = output_tokens = 0
        stop_reason: str | None = None
        try:
            for event in stream:
                if event.type == "message_start":
                    input_tokens = event.message.usage.input_tokens
                    output_tokens = event.message.usage.output_tokens
                elif event.type == "content_block_delta" and getattr(event.delta, "type", "") == "text_delta":
                    yield event.delta.text
                elif event.type == "message_delta":
                    stop_reason = event.delta.stop_reason
                    output_tokens = event.usage.output_tokens
            _check_refusal(stop_reason, self.name)
            yield StreamEnd(Usage(input_tokens, output_tokens), stop_reason)
        finally:
            stream.close()

    def _count_tokens(self, request: CompletionRequest) -> int:
        arguments = self._arguments(request)
        arguments.pop("max_tokens")
        arguments.pop("temperature", None)
        return self.client.messages.count_tokens(**arguments).input_tokens

    def _translate(self, error: BaseException) -> AIProviderError | None:
        import anthropic

        if isinstance(error, anthropic.APIStatusError):
            body = error.body if isinstance(error.body, dict) else {}
            detail = body.get("error", {}) if isinstance(body.get("error"), dict) else {}
            return status_error(self.name, error.status_code, str(detail.get("message") or error.message),
                                retry_after=_retry_after(error.response.headers), kind=str(detail.get("type", "")))
        if isinstance(error, anthropic.APIConnectionError):
            return transport_error(self.name, error)
        return None


def _check_refusal(stop_reason: str | None, provider: str) -> None:
    if stop_reason == "refusal":
        raise AIContentRefusedError(f"{provider}: the model refused to answer",
                                    "rephrase the request; DockerForge does not send it to another provider",
                                    provider=provider)


def _retry_after(headers: Any) -> float | None:
    """Seconds from ``retry-after-ms`` or ``retry-after`` (seconds); None when absent or a date."""
    try:
        if headers.get("retry-after-ms"):
            return float(headers["retry-after-ms"]) / 1000
        if headers.get("retry-after"):
            return float(headers["retry-after"])
    except (TypeError, ValueError):
        return None
    return None
