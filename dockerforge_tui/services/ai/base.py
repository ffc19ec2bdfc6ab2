"""The abstract AI provider, its records and its errors.

A provider is an adapter around one vendor's SDK. Callers use five verbs:
:meth:`AIProvider.complete`, :meth:`AIProvider.stream` (a :class:`TextStream` of text
chunks that another thread may cancel), :meth:`AIProvider.count_tokens`,
:meth:`AIProvider.estimate_cost` and :meth:`AIProvider.capabilities`. Requests, answers
and usage are frozen dataclasses; no SDK object leaves a provider.

Every SDK failure is translated into one of the :class:`AIProviderError` classes below, so
the retry policy (:mod:`.retry`) and the fallback chain (:mod:`.chain`) can decide
without knowing the vendor: ``retryable`` errors are tried again on the same provider,
``fallback`` errors let the chain move on to the next one.

Subclasses implement the underscored hooks (``_complete``, ``_stream_parts``,
``_count_tokens``, ``_translate``); the public verbs add retries, error translation and
cost. SDKs are imported inside the hooks, never at module level, so listing or
configuring providers costs nothing.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field, replace
from typing import Callable, Iterator, Literal

from dockerforge_tui.core.errors import DockerForgeError, ExitCode

from .pricing import Price, PriceTable
from .retry import RetryPolicy, call_with_retries

Role = Literal["user", "assistant"]


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class Message:
    """One turn of the conversation."""

    role: Role
    content: str


@dataclass(frozen=True)
class CompletionRequest:
    """What to ask: the conversation, an optional system prompt and the output limit."""

    messages: tuple[Message, ...]
    system: str | None = None
    max_tokens: int = 1024
    """Most tokens the answer may have (also the upper bound of a cost estimate)."""
    temperature: float | None = None
    json_output: bool = False
    """Ask for a JSON answer where the provider supports it."""

    @classmethod
    def ask(cls, question: str, *, system: str | None = None, max_tokens: int = 1024) -> "CompletionRequest":
        """A one-question request."""
        return cls((Message("user", question),), system=system, max_tokens=max_tokens)

    def prompt_text(self) -> str:
        """Every word the model reads, for a local token estimate."""
        return "\n".join(([self.system] if self.system else []) + [message.content for message in self.messages])


@dataclass(frozen=True)
class Usage:
    """Tokens one request used, as the provider reported them."""

    input_tokens: int = 0
    output_tokens: int = 0


@dataclass(frozen=True)
class Completion:
    """One answer, and who gave it at what cost."""

    text: str
    provider: str
    """Name of the provider that answered (after a fallback, not the first one tried)."""
    model: str
    usage: Usage
    cost_usd: float | None
    """Cost from the price table; None when the model has no price."""
    stop_reason: str | None = None
    latency_s: float = 0.0
    attempts: int = 1
    """Requests made to this provider for this answer (more than one after retries)."""


@dataclass(frozen=True)
class CostEstimate:
    """What a request will cost at most, before it is sent."""

    provider: str
    model: str
    input_tokens: int
    max_output_tokens: int
    input_cost_usd: float | None
    max_output_cost_usd: float | None

    @property
    def max_cost_usd(self) -> float | None:
        """Input cost plus the cost of the longest answer allowed; None when the model has no price."""
        if self.input_cost_usd is None or self.max_output_cost_usd is None:
            return None
        return self.input_cost_usd + self.max_output_cost_usd


@dataclass(frozen=True)
class Capabilities:
    """What a provider can do; the UI and the context builder read these flags."""

    streaming: bool
    token_counting: bool
    """The provider counts tokens itself; otherwise :meth:`AIProvider.count_tokens` estimates."""
    max_context_tokens: int
    json_output: bool
    local: bool
    """Runs on this machine or network (no data leaves it, no cost)."""


@dataclass(frozen=True)
class ProviderConfig:
    """Everything a provider needs to be built; the registry fills it from the ``ai`` config section."""

    name: str
    model: str
    base_url: str | None = None
    api_key: str | None = None
    timeout_s: float = 60.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    prices: PriceTable = field(default_factory=PriceTable)


@dataclass(frozen=True)
class StreamEnd:
    """The last part a provider's stream yields: the usage and why it stopped."""

    usage: Usage
    stop_reason: str | None = None


# --------------------------------------------------------------------------- errors


class AIProviderError(DockerForgeError):
    """An AI provider failed; ``provider`` names it. The subclass says why."""

    exit_code = ExitCode.AI_PROVIDER
    retryable = False
    """Trying the same provider again soon may work (rate limit, overload)."""
    fallback = True
    """The fallback chain may try the next provider."""

    def __init__(self, message: str, hint: str | None = None, *, provider: str = "",
                 status: int | None = None) -> None:
        super().__init__(message, hint)
        self.provider = provider
        self.status = status


class AINotConfiguredError(AIProviderError):
    """No provider is chosen, its SDK is missing or it has no API key."""

    exit_code = ExitCode.USAGE


class AIAuthenticationError(AIProviderError):
    """The provider rejected the API key (HTTP 401/403)."""


class AIRateLimitError(AIProviderError):
    """Too many requests (HTTP 429); ``retry_after`` is the server's Retry-After in seconds, if sent."""

    retryable = True

    def __init__(self, message: str, hint: str | None = None, *, provider: str = "",
                 status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message, hint, provider=provider, status=status)
        self.retry_after = retry_after


class AIServerError(AIProviderError):
    """The provider failed on its side (HTTP 5xx, overloaded)."""

    retryable = True


class AIConnectionError(AIProviderError):
    """The provider could not be reached (refused, DNS, TLS, reset)."""


class AITimeoutError(AIProviderError):
    """The provider did not answer in time."""


class AIContextTooLongError(AIProviderError):
    """The prompt does not fit the model's context window."""


class AIContentRefusedError(AIProviderError):
    """The model or its safety filter refused the request; another provider is not asked."""

    fallback = False


class AIRequestError(AIProviderError):
    """The provider rejected the request for another reason (unknown model, bad parameter)."""


# --------------------------------------------------------------------------- streams


class CancelToken:
    """Set by :meth:`TextStream.cancel`; providers register closers that interrupt a blocking read."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._closers: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def on_cancel(self, closer: Callable[[], None]) -> None:
        """Run ``closer`` on cancel (at once if already cancelled); it may be called from another thread."""
        with self._lock:
            if not self._event.is_set():
                self._closers.append(closer)
                return
        _quietly(closer)

    def cancel(self) -> None:
        with self._lock:
            self._event.set()
            closers, self._closers = self._closers, []
        for closer in closers:
            _quietly(closer)


def _quietly(closer: Callable[[], None]) -> None:
    try:
        closer()
    except Exception:  # closing a half-read response may complain; the stream is over anyway
        pass


class TextStream:
    """An iterator of text chunks from one provider.

    ``cancel()`` may be called from any thread: iteration stops at the next chunk at the
    latest (a read already waiting for the server is not interrupted), the connection is
    closed and no error is raised. After the last chunk, :attr:`completion` holds the whole answer with
    its usage and cost; after a cancel it holds what arrived.
    """

    def __init__(self, provider: "AIProvider", model: str, parts: Iterator[str | StreamEnd], token: CancelToken,
                 attempts: int = 1, on_finish: Callable[[Completion, BaseException | None], None] | None = None) -> None:
        self.provider_name = provider.name
        self.model = model
        self._provider = provider
        self._parts = parts
        self._token = token
        self._started = time.monotonic()
        self._attempts = attempts
        self._chunks: list[str] = []
        self._end: StreamEnd | None = None
        self._on_finish = on_finish
        self.completion: Completion | None = None
        """The whole answer once the stream has ended or was cancelled."""

    @property
    def cancelled(self) -> bool:
        return self._token.cancelled

    def cancel(self) -> None:
        """Stop the stream; safe from any thread and more than once."""
        self._token.cancel()

    def __iter__(self) -> "TextStream":
        return self

    def __next__(self) -> str:
        while True:
            if self._token.cancelled or self.completion is not None:
                self._finish(None)
                raise StopIteration
            try:
                part = next(self._parts)
            except StopIteration:
                self._finish(None)
                raise
            except Exception as error:
                if self._token.cancelled:  # the read was interrupted by cancel()
                    self._finish(None)
                    raise StopIteration from None
                translated = self._provider.translate_error(error)
                self._finish(translated)
                raise translated from error
            if isinstance(part, StreamEnd):
                self._end = part
                continue
            if part:
                self._chunks.append(part)
                return part

    def text(self) -> str:
        """Read the rest of the stream and return the whole answer."""
        for _ in self:
            pass
        return "".join(self._chunks)

    def close(self) -> None:
        self.cancel()
        self._finish(None)

    def _finish(self, error: BaseException | None) -> None:
        if self.completion is not None:
            return
        close = getattr(self._parts, "close", None)
        if close is not None:
            _quietly(close)
        usage = self._end.usage if self._end else Usage()
        self.completion = Completion(
            text="".join(self._chunks), provider=self.provider_name, model=self.model, usage=usage,
            cost_usd=self._provider.cost_of(usage), stop_reason=(self._end.stop_reason if self._end else
                                                                 ("cancelled" if self.cancelled else None)),
            latency_s=time.monotonic() - self._started, attempts=self._attempts)
        if self._on_finish is not None:
            self._on_finish(self.completion, error)


# --------------------------------------------------------------------------- the provider


class AIProvider(ABC):
    """One AI backend behind the common verbs; see the module docstring."""

    name: str = ""
    """Registry name (``claude``, ``gemini``, ``ollama``, ``none``)."""

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config
        self.model = config.model

    # ---------------------------------------------------------------- the verbs

    def sdk_missing(self, package: str) -> "AINotConfiguredError":
        """The error for a provider whose SDK is not installed (raise it ``from None``)."""
        return AINotConfiguredError(f"{self.name}: the {package} package is not installed",
                                    "install it with: pip install 'dockerforge[ai]'", provider=self.name)

    def require_api_key(self, where: str) -> str:
        """The configured API key; without one, a one-line error saying ``where`` to set it."""
        if not self.config.api_key:
            raise AINotConfiguredError(f"{self.name}: no API key",
                                       f"set {where} or store one in the keyring (docs/AI.md, keys)",
                                       provider=self.name)
        return self.config.api_key

    @abstractmethod
    def capabilities(self) -> Capabilities:
        """What this provider (and its configured model) can do."""

    def complete(self, request: CompletionRequest) -> Completion:
        """Ask and wait for the whole answer; raises an :class:`AIProviderError`."""
        started = time.monotonic()
        (text, usage, stop_reason), attempts = self._retrying(lambda: self._complete(request))
        return Completion(text=text, provider=self.name, model=self.model, usage=usage, cost_usd=self.cost_of(usage),
                          stop_reason=stop_reason, latency_s=time.monotonic() - started, attempts=attempts)

    def stream(self, request: CompletionRequest,
               on_finish: Callable[[Completion, BaseException | None], None] | None = None) -> TextStream:
        """Ask and return the answer as a :class:`TextStream` of chunks.

        The request is sent, and retried if need be, before this returns: an error the
        server answers with at once (a rejected key, a rate limit) is raised here, so a
        fallback chain can move on before any text was shown.
        """

        def open_stream() -> tuple[CancelToken, Iterator[str | StreamEnd]]:
            token = CancelToken()
            parts = self._stream_parts(request, token)
            try:
                first = next(parts)
            except StopIteration:
                return token, iter(())
            return token, _prepend(first, parts)

        (token, parts), attempts = self._retrying(open_stream)
        return TextStream(self, self.model, parts, token, attempts=attempts, on_finish=on_finish)

    def count_tokens(self, request: CompletionRequest) -> int:
        """Input tokens of ``request``: the provider's own count where it has one, else a local estimate."""
        if not self.capabilities().token_counting:
            return estimate_tokens(request.prompt_text())
        count, _ = self._retrying(lambda: self._count_tokens(request))
        return count

    def estimate_cost(self, request: CompletionRequest, input_tokens: int | None = None) -> CostEstimate:
        """The most ``request`` can cost: its input tokens (counted unless given) and ``max_tokens`` of output."""
        tokens = self.count_tokens(request) if input_tokens is None else input_tokens
        price = self.price()
        return CostEstimate(
            provider=self.name, model=self.model, input_tokens=tokens, max_output_tokens=request.max_tokens,
            input_cost_usd=None if price is None else price.input_cost(tokens),
            max_output_cost_usd=None if price is None else price.output_cost(request.max_tokens))

    # ---------------------------------------------------------------- shared helpers

    def price(self) -> Price | None:
        """This model's price; local providers are free."""
        if self.capabilities().local:
            return Price(0.0, 0.0)
        return self.config.prices.lookup(self.name, self.model)

    def cost_of(self, usage: Usage) -> float | None:
        price = self.price()
        return None if price is None else price.cost(usage.input_tokens, usage.output_tokens)

    def translate_error(self, error: BaseException) -> AIProviderError:
        """``error`` as an :class:`AIProviderError` of the right class, naming this provider."""
        if isinstance(error, AIProviderError):
            return error
        translated = self._translate(error)
        if translated is None:
            translated = transport_error(self.name, error)
        if translated is None:
            translated = AIProviderError(f"{self.name}: unexpected error: {type(error).__name__}: {error}",
                                         provider=self.name)
        return translated

    def _retrying(self, call: Callable[[], object]) -> tuple:
        def translated_call() -> object:
            try:
                return call()
            except Exception as error:
                raise self.translate_error(error) from error

        return call_with_retries(translated_call, self.config.retry)

    # ---------------------------------------------------------------- hooks

    @abstractmethod
    def _complete(self, request: CompletionRequest) -> tuple[str, Usage, str | None]:
        """Send ``request`` once; return (text, usage, stop reason). SDK errors may escape."""

    @abstractmethod
    def _stream_parts(self, request: CompletionRequest, token: CancelToken) -> Iterator[str | StreamEnd]:
        """Yield text chunks then one :class:`StreamEnd`; register a closer on ``token`` where possible."""

    def _count_tokens(self, request: CompletionRequest) -> int:
        return estimate_tokens(request.prompt_text())

    def _translate(self, error: BaseException) -> AIProviderError | None:
        """Map an SDK error to ours; None leaves it to the common transport mapping."""
        return None

    def with_model(self, model: str) -> "AIProvider":
        """The same provider for another model."""
        return type(self)(replace(self.config, model=model))


def _prepend(first: str | StreamEnd, rest: Iterator[str | StreamEnd]) -> Iterator[str | StreamEnd]:
    yield first
    yield from rest


def estimate_tokens(text: str) -> int:
    """A local token estimate: about four characters a token, never under the word count."""
    return max(len(text.split()), (len(text) + 3) // 4)


CONTEXT_TOO_LONG_MARKERS = ("prompt is too long", "too many tokens", "context length", "context window",
                            "exceeds the maximum number of tokens", "maximum context", "input token count")


def looks_like_context_too_long(message: str) -> bool:
    lowered = message.lower()
    return any(marker in lowered for marker in CONTEXT_TOO_LONG_MARKERS)


def status_error(provider: str, status: int, message: str, retry_after: float | None = None,
                 kind: str = "") -> AIProviderError:
    """The error class for an HTTP error status and the provider's message."""
    detail = f"{provider}: {message}" if message else f"{provider}: HTTP {status}"
    lowered = f"{kind} {message}".lower()
    if status in (401, 403) or "authentication" in lowered or "api key not valid" in lowered \
            or "api_key_invalid" in lowered:
        return AIAuthenticationError(detail, f"check the {provider} API key (docs/AI.md, keys)",
                                     provider=provider, status=status)
    if status == 429 or "rate_limit" in lowered or "resource_exhausted" in lowered:
        wait = f"; the server asks to wait {retry_after:g}s" if retry_after else ""
        return AIRateLimitError(f"{detail}{wait}", "wait and try again, or configure a fallback provider",
                                provider=provider, status=status, retry_after=retry_after)
    if looks_like_context_too_long(message) or status == 413:
        return AIContextTooLongError(detail, "lower ai.input_token_budget or choose a model with a larger context",
                                     provider=provider, status=status)
    if status >= 500 or "overloaded" in lowered:
        return AIServerError(detail, "the provider failed on its side; try again later",
                             provider=provider, status=status)
    return AIRequestError(detail, "check the model name and the request", provider=provider, status=status)


def transport_error(provider: str, error: BaseException) -> AIProviderError | None:
    """Map connection and timeout errors of httpx, httpx2, urllib3 or the socket layer; None if not one."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and len(chain) < 5:
        chain.append(current)
        current = current.__cause__ or current.__context__
    for item in chain:
        names = {klass.__name__ for klass in type(item).__mro__}
        if names & {"TimeoutException", "TimeoutError", "ReadTimeout", "ConnectTimeout", "APITimeoutError"}:
            return AITimeoutError(f"{provider}: no answer in time ({type(item).__name__})",
                                  "raise ai.timeout, or check the provider's load", provider=provider)
    for item in chain:
        names = {klass.__name__ for klass in type(item).__mro__}
        if names & {"ConnectError", "NetworkError", "TransportError", "ConnectionError", "APIConnectionError",
                    "RemoteProtocolError"}:
            return AIConnectionError(f"{provider}: cannot connect: {item}",
                                     "check the base URL and that the server runs (docs/AI.md)", provider=provider)
    return None
