"""Deliver a rendered message to a channel through apprise: retries, Retry-After, fallback, rate limits.

A fresh apprise plugin object is made for every attempt from the channel's URL with its
references resolved, so a secret lives only for the length of one send. A plugin whose
own format is HTML (email) gets the HTML body, every other one the text. Timeouts are
apprise's (``?cto=`` and ``?rto=`` in the URL change them).

apprise tells its caller only whether a send worked. To honour a server's ``Retry-After``
(HTTP 429 or 503), :func:`recording_http_answers` notes the status and ``Retry-After`` of
each HTTP answer made on this thread while a send runs, through a pass-through wrapper
around ``requests``' ``HTTPAdapter.send`` installed once (apprise creates a new
``requests`` session per request, so no session hook can reach it).
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from dockerforge_tui.core.config.models import NotifyChannelSettings
from dockerforge_tui.core.errors import DockerForgeError, NotFoundError
from dockerforge_tui.services.notify.clock import Clock
from dockerforge_tui.services.notify.credentials import CredentialResolver
from dockerforge_tui.services.notify.templates import RenderedMessage

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 503})
"""HTTP answers whose Retry-After is honoured."""

_answers = threading.local()
_install_lock = threading.Lock()
_installed = False


@dataclass(frozen=True)
class HttpAnswer:
    """The status of one HTTP answer and the delay its Retry-After asked for (seconds)."""

    status: int
    retry_after: float | None


def _install_answer_recorder() -> None:
    global _installed
    with _install_lock:
        if _installed:
            return
        from requests.adapters import HTTPAdapter

        original = HTTPAdapter.send

        def send(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
            response = original(self, request, *args, **kwargs)
            record = getattr(_answers, "record", None)
            if record is not None:
                record.append(HttpAnswer(response.status_code, parse_retry_after(response.headers.get("Retry-After"))))
            return response

        send.__wrapped__ = original  # type: ignore[attr-defined]
        HTTPAdapter.send = send  # type: ignore[method-assign]
        _installed = True


@contextmanager
def recording_http_answers() -> Iterator[list[HttpAnswer]]:
    """Collect the HTTP answers received on this thread inside the block."""
    _install_answer_recorder()
    previous = getattr(_answers, "record", None)
    record: list[HttpAnswer] = []
    _answers.record = record
    try:
        yield record
    finally:
        _answers.record = previous


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delay-seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment is None:
        return None
    reference = now or datetime.now(moment.tzinfo)
    return max(0.0, (moment - reference).total_seconds())


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to wait: ``attempts`` sends, ``backoff`` doubling, capped by ``max_delay``."""

    attempts: int = 3
    backoff: float = 2.0
    max_delay: float = 60.0

    def delay(self, failed_attempt: int, retry_after: float | None) -> float | None:
        """Seconds before the next attempt after attempt number ``failed_attempt`` (1-based) failed.

        A server's Retry-After wins over the backoff; None when the server asks for more than ``max_delay``.
        """
        if retry_after is not None:
            return retry_after if retry_after <= self.max_delay else None
        return min(self.max_delay, self.backoff * 2 ** (failed_attempt - 1))


@dataclass(frozen=True)
class DeliveryResult:
    """What happened when one message was sent to one channel."""

    channel: str
    delivered: bool
    """True when the channel or its fallback took the message."""
    via: str | None
    """The channel that took it: the channel itself or its fallback; None when none did."""
    attempts: int
    """Sends made, retries and fallback included."""
    error: str | None = None
    """Why the channel (not its fallback) failed, when it did."""

    @property
    def fell_back(self) -> bool:
        """True when the fallback channel took the message."""
        return self.delivered and self.via != self.channel


class DeliveryError(DockerForgeError):
    """A channel's URL cannot be used (unknown scheme, a reference with no value)."""


class RateLimiter:
    """At most ``limit`` messages per ``period`` seconds per channel (a sliding window)."""

    def __init__(self, channels: Mapping[str, NotifyChannelSettings]) -> None:
        self._limits = {name: (channel.rate_limit, channel.rate_period) for name, channel in channels.items()
                        if channel.rate_limit > 0}
        self._sent: dict[str, deque[datetime]] = {}

    def next_free(self, channel: str, now: datetime) -> datetime | None:
        """None when ``channel`` may send now, else the moment it may."""
        if channel not in self._limits:
            return None
        limit, period = self._limits[channel]
        sent = self._sent.setdefault(channel, deque())
        while sent and sent[0] <= now - timedelta(seconds=period):
            sent.popleft()
        if len(sent) < limit:
            return None
        return sent[0] + timedelta(seconds=period)

    def record(self, channel: str, now: datetime) -> None:
        """Count one message sent on ``channel``."""
        if channel in self._limits:
            self._sent.setdefault(channel, deque()).append(now)


@dataclass
class ChannelSender:
    """Sends messages to the configured channels with retries and fallback."""

    channels: Mapping[str, NotifyChannelSettings]
    resolver: CredentialResolver
    retry: RetryPolicy
    clock: Clock

    def send(self, channel: str, message: RenderedMessage) -> DeliveryResult:
        """Send ``message`` to ``channel``, retrying; on failure to its fallback (one hop)."""
        if channel not in self.channels:
            raise NotFoundError(f"no notification channel named {channel!r}",
                                hint=f"defined channels: {', '.join(sorted(self.channels)) or 'none'} "
                                     "(notifications.channels in config.yaml)")
        ok, attempts, error = self._send_with_retries(channel, message)
        if ok:
            return DeliveryResult(channel, True, channel, attempts)
        fallback = self.channels[channel].fallback
        if fallback and fallback in self.channels:
            log.warning("notification channel %s failed (%s); trying its fallback %s", channel, error, fallback)
            fallback_ok, more, _ = self._send_with_retries(fallback, message)
            return DeliveryResult(channel, fallback_ok, fallback if fallback_ok else None, attempts + more, error)
        return DeliveryResult(channel, False, None, attempts, error)

    def _send_with_retries(self, channel: str, message: RenderedMessage) -> tuple[bool, int, str]:
        error = "not sent"
        for attempt in range(1, self.retry.attempts + 1):
            try:
                ok, retry_after, error = self._send_once(channel, message)
            except DockerForgeError as problem:  # a URL that cannot work: retrying will not help
                return False, attempt, problem.message
            if ok:
                return True, attempt, ""
            if attempt == self.retry.attempts:
                break
            delay = self.retry.delay(attempt, retry_after)
            if delay is None:
                error += f" (the server asked to wait {retry_after:.0f}s, more than retry_max_delay)"
                return False, attempt, error
            self.clock.sleep(delay)
        return False, self.retry.attempts, error

    def _send_once(self, channel: str, message: RenderedMessage) -> tuple[bool, float | None, str]:
        """(sent, the server's Retry-After when it gave one, why it failed)."""
        from apprise import Apprise, NotifyFormat

        url = self.resolver.resolve(channel, self.channels[channel].url)
        plugin = Apprise.instantiate(url, suppress_exceptions=True)
        if plugin is None:
            raise DeliveryError(f"notification channel {channel}: apprise cannot use its URL",
                                hint="check the URL's scheme and parts (`dockerforge notify test "
                                     f"{channel}` tries it); see docs/NOTIFICATIONS.md")
        # The plugin's own format decides (email: HTML; webhooks and chats: text), or ?format= in the URL.
        resolve_format = getattr(plugin, "resolve_format", None)
        if resolve_format is not None:
            native = resolve_format(None)
        else:  # apprise before 2.0
            formats = plugin.notify_format
            native = formats[0] if isinstance(formats, (tuple, list)) else formats
        html = native == NotifyFormat.HTML
        warnings = _ThreadWarnings()
        apprise_log = logging.getLogger("apprise")
        apprise_log.addHandler(warnings)
        try:
            with recording_http_answers() as answers:
                ok = plugin.notify(title=message.subject, body=message.html if html else message.text,
                                   body_format=NotifyFormat.HTML if html else NotifyFormat.TEXT)
        finally:
            apprise_log.removeHandler(warnings)
        if ok:
            return True, None, ""
        retry_after = next((answer.retry_after for answer in reversed(answers)
                            if answer.status in RETRY_STATUSES and answer.retry_after is not None), None)
        if warnings.messages:
            reason = warnings.messages[-1].rstrip(".")
        elif answers:
            reason = f"HTTP {answers[-1].status}"
        else:
            reason = "apprise reported a failure"
        return False, retry_after, reason


class _ThreadWarnings(logging.Handler):
    """Collects apprise's warnings logged on the thread that made it: why a send failed."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self._thread = threading.get_ident()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self._thread:
            self.messages.append(record.getMessage())
