"""Gemini through ``google-genai`` (not the deprecated ``google-generativeai``).

``models.generate_content``, ``generate_content_stream`` (``:streamGenerateContent?alt=sse``)
and ``count_tokens``. The base URL comes from ``ai.base_urls.gemini`` or
``GOOGLE_GEMINI_BASE_URL`` and is passed as the SDK's ``http_options.base_url``. The
SDK's own retries stay off (its default); the provider's retry policy decides.
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
)

CONTEXT_TOKENS = 1_048_576
REFUSED_FINISH_REASONS = {"SAFETY", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "RECITATION"}


class GeminiProvider(AIProvider):
    """Google's Gemini models."""

    name = "gemini"

    def capabilities(self) -> Capabilities:
        return Capabilities(streaming=True, token_counting=True, max_context_tokens=CONTEXT_TOKENS,
                            json_output=True, local=False)

    @cached_property
    def client(self) -> Any:
        try:
            from google import genai
            from google.genai import types
        except ImportError:
            raise self.sdk_missing("google-genai") from None
        self.require_api_key("GEMINI_API_KEY (or GOOGLE_API_KEY)")
        options = types.HttpOptions(base_url=self.config.base_url, timeout=int(self.config.timeout_s * 1000))
        return genai.Client(api_key=self.config.api_key, http_options=options)

    def _arguments(self, request: CompletionRequest) -> dict[str, Any]:
        from google.genai import types

        contents = [types.Content(role="model" if message.role == "assistant" else "user",
                                  parts=[types.Part(text=message.content)]) for message in request.messages]
        config = types.GenerateContentConfig(
            max_output_tokens=request.max_tokens, system_instruction=request.system,
            temperature=request.temperature,
            response_mime_type="application/json" if request.json_output else None)
        return {"model": self.model, "contents": contents, "config": config}

    def _complete(self, request: CompletionRequest) -> tuple[str, Usage, str | None]:
        response = self.client.models.generate_content(**self._arguments(request))
        reason = _finish_reason(response)
        self._check_refusal(response, reason)
        return _text(response), _usage(response) or Usage(), reason

    def _stream_parts(self, request: CompletionRequest, token: CancelToken) -> Iterator[str | StreamEnd]:
        chunks = self.client.models.generate_content_stream(**self._arguments(request))
        usage, reason = Usage(), None
        try:
            for chunk in chunks:
                if token.cancelled:
                    return
                reason = _finish_reason(chunk) or reason
                self._check_refusal(chunk, reason)
                usage = _usage(chunk) or usage
                text = _text(chunk)
                if text:
                    yield text
            yield StreamEnd(usage, reason)
        finally:
            chunks.close()  # closes the response when a cancelled stream stops early

    def _count_tokens(self, request: CompletionRequest) -> int:
        arguments = self._arguments(request)
        contents = arguments["contents"]
        if request.system:  # the Gemini API counts a system instruction only through generate config
            from google.genai import types

            contents = [types.Content(role="user", parts=[types.Part(text=request.system)])] + contents
        return int(self.client.models.count_tokens(model=self.model, contents=contents).total_tokens or 0)

    def _check_refusal(self, response: Any, reason: str | None) -> None:
        feedback = getattr(response, "prompt_feedback", None)
        blocked = getattr(feedback, "block_reason", None) if feedback else None
        if blocked or (reason in REFUSED_FINISH_REASONS):
            why = _enum_text(blocked) if blocked else reason
            raise AIContentRefusedError(f"{self.name}: the model refused to answer ({why})",
                                        "rephrase the request; DockerForge does not send it to another provider",
                                        provider=self.name)

    def _translate(self, error: BaseException) -> AIProviderError | None:
        from google.genai import errors

        if isinstance(error, errors.APIError):
            response = getattr(error, "response", None)
            headers = getattr(response, "headers", None) or {}
            retry_after = None
            try:
                retry_after = float(headers.get("retry-after")) if headers.get("retry-after") else None
            except (TypeError, ValueError):
                retry_after = None
            return status_error(self.name, int(error.code or 0), str(error.message or ""), retry_after=retry_after,
                                kind=str(error.status or ""))
        return None


def _enum_text(value: Any) -> str:
    return str(getattr(value, "value", value))


def _finish_reason(response: Any) -> str | None:
    candidates = getattr(response, "candidates", None) or []
    if candidates and candidates[0].finish_reason:
        return _enum_text(candidates[0].finish_reason)
    return None


def _text(response: Any) -> str:
    parts = []
    for candidate in (getattr(response, "candidates", None) or [])[:1]:
        content = candidate.content
        for part in (content.parts if content and content.parts else []):
            if part.text and not getattr(part, "thought", False):
                parts.append(part.text)
    return "".join(parts)


def _usage(response: Any) -> Usage | None:
    metadata = getattr(response, "usage_metadata", None)
    if metadata is None or metadata.prompt_token_count is None:
        return None
    output = (metadata.candidates_token_count or 0) + (getattr(metadata, "thoughts_token_count", None) or 0)
    return Usage(metadata.prompt_token_count, output)
