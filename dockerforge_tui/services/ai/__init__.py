"""AI providers behind one interface: Claude, Gemini, Ollama and the default ``none``.

No Textual or Rich here (an import-linter contract checks it), and no SDK is imported
until a provider makes its first request. See docs/AI.md.
"""

from __future__ import annotations

from .base import (
    AIAuthenticationError,
    AIConnectionError,
    AIContentRefusedError,
    AIContextTooLongError,
    AINotConfiguredError,
    AIProvider,
    AIProviderError,
    AIRateLimitError,
    AIRequestError,
    AIServerError,
    AITimeoutError,
    Capabilities,
    Completion,
    CompletionRequest,
    CostEstimate,
    Message,
    ProviderConfig,
    TextStream,
    Usage,
)
from .chain import AllProvidersFailedError, FallbackChain
from .keys import KeyStore
from .pricing import Price, PriceTable
from .registry import build_provider, list_providers, load_provider_class
from .retry import RetryPolicy
from .usage import UsageLog, UsageRecord

__all__ = [
    "AIAuthenticationError", "AIConnectionError", "AIContentRefusedError", "AIContextTooLongError",
    "AINotConfiguredError", "AIProvider", "AIProviderError", "AIRateLimitError", "AIRequestError", "AIServerError",
    "AITimeoutError", "AllProvidersFailedError", "Capabilities", "Completion", "CompletionRequest", "CostEstimate",
    "FallbackChain", "KeyStore", "Message", "Price", "PriceTable", "ProviderConfig", "RetryPolicy", "TextStream",
    "Usage", "UsageLog", "UsageRecord", "build_provider", "list_providers", "load_provider_class",
]
