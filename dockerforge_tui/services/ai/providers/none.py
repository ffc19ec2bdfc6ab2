"""The default provider: no model at all.

Everything in DockerForge that does not need a model keeps working with it: no key, no
network, no cost. Asking it for an answer raises one clear error that says how to
choose a real provider. Token counts are local estimates, so budgets can still be shown.
"""

from __future__ import annotations

from typing import Iterator

from ..base import (
    AINotConfiguredError,
    AIProvider,
    CancelToken,
    Capabilities,
    CompletionRequest,
    StreamEnd,
    Usage,
)

NOT_CONFIGURED = "no AI provider is configured (ai.provider is none)"
HINT = "set ai.provider to claude, gemini or ollama in config.yaml (docs/AI.md)"


class NoneProvider(AIProvider):
    """Answers nothing; see the module docstring."""

    name = "none"

    def capabilities(self) -> Capabilities:
        return Capabilities(streaming=False, token_counting=False, max_context_tokens=0, json_output=False, local=True)

    def _complete(self, request: CompletionRequest) -> tuple[str, Usage, str | None]:
        raise AINotConfiguredError(NOT_CONFIGURED, HINT, provider=self.name)

    def _stream_parts(self, request: CompletionRequest, token: CancelToken) -> Iterator[str | StreamEnd]:
        raise AINotConfiguredError(NOT_CONFIGURED, HINT, provider=self.name)
