"""Ollama through the ``ollama`` client: ``/api/chat`` (NDJSON when streaming) and ``/api/tags``.

The host comes from ``ai.base_urls.ollama`` or ``OLLAMA_HOST`` (the client's default,
http://localhost:11434 when neither is set). Ollama runs locally: it costs nothing and
has no token-count endpoint, so counts are local estimates.
"""

from __future__ import annotations

import os
from functools import cached_property
from typing import Any, Iterator

from ..base import (
    AINotConfiguredError,
    AIProvider,
    AIProviderError,
    CancelToken,
    Capabilities,
    CompletionRequest,
    StreamEnd,
    Usage,
    status_error,
)

CONTEXT_TOKENS = 8_192
DEFAULT_HOST = "http://localhost:11434"


class OllamaProvider(AIProvider):
    """Models served by a local or remote Ollama."""

    name = "ollama"

    def capabilities(self) -> Capabilities:
        return Capabilities(streaming=True, token_counting=False, max_context_tokens=CONTEXT_TOKENS,
                            json_output=True, local=True)

    @property
    def host(self) -> str:
        return self.config.base_url or os.environ.get("OLLAMA_HOST") or DEFAULT_HOST

    @cached_property
    def client(self) -> Any:
        try:
            import ollama
        except ImportError:
            raise self.sdk_missing("ollama") from None
        return ollama.Client(host=self.host, timeout=self.config.timeout_s)

    def list_models(self) -> tuple[str, ...]:
        """Names of the models this Ollama has pulled (``/api/tags``)."""
        response, _ = self._retrying(lambda: self.client.list())
        return tuple(model.model for model in response.models if model.model)

    def _arguments(self, request: CompletionRequest) -> dict[str, Any]:
        messages = ([{"role": "system", "content": request.system}] if request.system else []) + \
            [{"role": message.role, "content": message.content} for message in request.messages]
        options: dict[str, Any] = {"num_predict": request.max_tokens}
        if request.temperature is not None:
            options["temperature"] = request.temperature
        arguments: dict[str, Any] = {"model": self.model, "messages": messages, "options": options}
        if request.json_output:
            arguments["format"] = "json"
        return arguments

    def _complete(self, request: CompletionRequest) -> tuple[str, Usage, str | None]:
        response = self.client.chat(**self._arguments(request))
        return response.message.content or "", _usage(response), response.done_reason

    def _stream_parts(self, request: CompletionRequest, token: CancelToken) -> Iterator[str | StreamEnd]:
        chunks = self.client.chat(**self._arguments(request), stream=True)
        try:
            for chunk in chunks:
                if token.cancelled:
                    return
                if chunk.message and chunk.message.content:
                    yield chunk.message.content
                if chunk.done:
                    yield StreamEnd(_usage(chunk), chunk.done_reason)
        finally:
            chunks.close()  # leaves the client's `with stream` block, which closes the response

    def _translate(self, error: BaseException) -> AIProviderError | None:
        import ollama

        if isinstance(error, ollama.ResponseError):
            message = str(error.error)
            if error.status_code == 404 and "not found" in message:
                return AINotConfiguredError(f"ollama: {message} at {self.host}",
                                            f"pull it with: ollama pull {self.model}", provider=self.name)
            return status_error(self.name, error.status_code, message)
        return None


def _usage(response: Any) -> Usage:
    return Usage(response.prompt_eval_count or 0, response.eval_count or 0)
