"""The ``echo`` provider: answers offline with a summary of the prompt it was given.

No network, no key, no cost. It streams the summary word by word like a real model, so
the CLI and the chat pane behave as they would with one, and it shows what DockerForge
would have sent: the prompt's size, its sections, and the placeholders the redaction
layer put where secrets were.

This module is loaded by DockerForge's plugin loader as part of a package made for this
folder, hence the relative import of ``summary``.
"""

from __future__ import annotations

from typing import Iterator

from dockerforge_tui.services.ai.base import (
    AIProvider,
    CancelToken,
    Capabilities,
    CompletionRequest,
    ProviderConfig,
    StreamEnd,
    Usage,
    estimate_tokens,
)

from .summary import summarize

DEFAULT_MODEL = "echo-1"


class EchoProvider(AIProvider):
    """Echoes a summary of the request; see the module docstring."""

    name = "echo"

    def __init__(self, config: ProviderConfig) -> None:
        super().__init__(config)
        self.model = config.model or DEFAULT_MODEL

    def capabilities(self) -> Capabilities:
        return Capabilities(streaming=True, token_counting=False, max_context_tokens=1_000_000,
                            json_output=False, local=True)

    def _answer(self, request: CompletionRequest) -> tuple[str, Usage]:
        input_tokens = estimate_tokens(request.prompt_text())
        text = "\n".join(summarize(request.system, [(m.role, m.content) for m in request.messages], input_tokens))
        words = text.split(" ")
        if len(words) > request.max_tokens:  # honour the output limit like a model would
            text = " ".join(words[:request.max_tokens])
        return text, Usage(input_tokens, estimate_tokens(text))

    def _complete(self, request: CompletionRequest) -> tuple[str, Usage, str | None]:
        text, usage = self._answer(request)
        return text, usage, "end_turn"

    def _stream_parts(self, request: CompletionRequest, token: CancelToken) -> Iterator[str | StreamEnd]:
        text, usage = self._answer(request)
        words = text.split(" ")
        for number, word in enumerate(words):
            if token.cancelled:
                return
            yield word if number == len(words) - 1 else word + " "
        yield StreamEnd(usage, "end_turn")
