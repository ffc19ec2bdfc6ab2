"""Retries with capped exponential backoff that honour the server's Retry-After.

Only errors marked ``retryable`` (rate limits, server overload) are retried, on the
same provider. The wait before retry *n* is ``base_delay * 2**(n-1)``, raised to the
server's Retry-After when it asks for longer, and never above ``max_delay``; when the
server asks for more than ``max_delay`` the error is raised at once (waiting less would
be refused again), so a caller or the fallback chain can act on it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Callable, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry a retryable failure."""

    max_attempts: int = 3
    """Requests in all, the first included; 1 never retries."""
    base_delay: float = 0.5
    """Seconds before the first retry; doubled for each next one."""
    max_delay: float = 20.0
    """No wait is longer than this, whatever the server asks."""

    def delay(self, retry: int, retry_after: float | None) -> float | None:
        """Seconds to wait before retry number ``retry`` (1-based); None when the server asks too much."""
        if retry_after is not None and retry_after > self.max_delay:
            return None
        backoff = self.base_delay * (2 ** (retry - 1))
        return min(self.max_delay, max(backoff, retry_after or 0.0))


def call_with_retries(call: Callable[[], T], policy: RetryPolicy,
                      sleep: Callable[[float], None] = time.sleep) -> tuple[T, int]:
    """Run ``call`` until it succeeds or fails for good; return (result, attempts made)."""
    attempt = 1
    while True:
        try:
            return call(), attempt
        except Exception as error:
            if not getattr(error, "retryable", False) or attempt >= policy.max_attempts:
                raise
            wait = policy.delay(attempt, getattr(error, "retry_after", None))
            if wait is None:
                raise
            log.info("%s; retry %d of %d in %.1fs", error, attempt, policy.max_attempts - 1, wait)
            sleep(wait)
            attempt += 1
