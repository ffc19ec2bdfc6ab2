"""The fallback chain: ask the configured provider, and the next one when it fails for good.

Each provider first retries what a retry can fix (rate limits, overload; see :mod:`.retry`).
When it still fails and the error allows a fallback (``AIProviderError.fallback``: a
rejected or missing key, unreachable, timeout, a prompt too long for it, retries used up),
the next provider is asked. A refusal stops the chain: a refused prompt is not shopped
around. The answer's ``provider`` says which one answered, and every attempt is recorded
in the usage log.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Mapping, Sequence

from .base import AIProvider, AIProviderError, Completion, CompletionRequest, TextStream
from .registry import build_provider
from .usage import UsageLog

if TYPE_CHECKING:
    from dockerforge_tui.core.config.models import AISettings

    from .keys import KeyStore

log = logging.getLogger(__name__)


class AllProvidersFailedError(AIProviderError):
    """Every provider in the chain failed; ``errors`` holds each one's error, in order."""

    def __init__(self, errors: Sequence[AIProviderError]) -> None:
        summary = "; ".join(error.message for error in errors)
        super().__init__(f"every AI provider failed: {summary}", errors[-1].hint, provider=errors[-1].provider)
        self.errors = tuple(errors)


class FallbackChain:
    """Providers in the order they are asked."""

    def __init__(self, providers: Sequence[AIProvider], usage_log: UsageLog | None = None) -> None:
        if not providers:
            raise ValueError("a fallback chain needs at least one provider")
        self.providers = tuple(providers)
        self.usage_log = usage_log

    @classmethod
    def from_settings(cls, settings: "AISettings", keys: "KeyStore | None" = None,
                      env: Mapping[str, str] | None = None, usage_log: UsageLog | None = None) -> "FallbackChain":
        """``ai.provider`` then ``ai.fallback``, each named once."""
        names = list(dict.fromkeys([settings.provider, *settings.fallback]))
        return cls([build_provider(name, settings, keys, env) for name in names], usage_log)

    def complete(self, request: CompletionRequest) -> Completion:
        """The first answer any provider gives; raises the error that stopped the chain."""
        errors: list[AIProviderError] = []
        for provider in self.providers:
            started = time.monotonic()
            try:
                completion = provider.complete(request)
            except AIProviderError as error:
                self._record_failure(provider, error, started)
                errors.append(error)
                if not self._may_continue(provider, error):
                    break
                continue
            self._record(completion, "ok")
            return completion
        raise self._failure(errors)

    def stream(self, request: CompletionRequest) -> TextStream:
        """A stream from the first provider that accepts the request; it is not switched once text flows."""
        errors: list[AIProviderError] = []
        for provider in self.providers:
            started = time.monotonic()
            try:
                return provider.stream(request, on_finish=self._stream_finished)
            except AIProviderError as error:
                self._record_failure(provider, error, started)
                errors.append(error)
                if not self._may_continue(provider, error):
                    break
        raise self._failure(errors)

    def _may_continue(self, provider: AIProvider, error: AIProviderError) -> bool:
        more = provider is not self.providers[-1]
        if error.fallback and more:
            log.info("AI provider %s failed (%s); trying the next one", provider.name, error)
        return error.fallback

    @staticmethod
    def _failure(errors: list[AIProviderError]) -> AIProviderError:
        return errors[0] if len(errors) == 1 else AllProvidersFailedError(errors)

    def _stream_finished(self, completion: Completion, error: BaseException | None) -> None:
        if error is not None:
            outcome = type(error).__name__
        else:
            outcome = "cancelled" if completion.stop_reason == "cancelled" else "ok"
        self._record(completion, outcome)

    def _record(self, completion: Completion, outcome: str) -> None:
        if self.usage_log is not None:
            self.usage_log.append(UsageLog.record(
                completion.provider, completion.model, completion.usage.input_tokens, completion.usage.output_tokens,
                completion.cost_usd, completion.latency_s, outcome))

    def _record_failure(self, provider: AIProvider, error: AIProviderError, started: float) -> None:
        if self.usage_log is not None:
            self.usage_log.append(UsageLog.record(provider.name, provider.model, latency_s=time.monotonic() - started,
                                                  outcome=type(error).__name__))
