"""The time the notification services read and wait on, passed in so tests control it exactly."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from typing import Protocol


class Clock(Protocol):
    """What the dispatcher and the sender need of time: the current moment and a way to wait."""

    def now(self) -> datetime:
        """The current moment, timezone-aware (UTC)."""

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (a retry's backoff)."""


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """``datetime.now(timezone.utc)``."""
        return datetime.now(timezone.utc)

    def sleep(self, seconds: float) -> None:
        """``time.sleep(seconds)``."""
        if seconds > 0:
            time.sleep(seconds)


class ManualClock:
    """A clock that moves only when told to: ``sleep`` and ``advance`` move it, nothing waits.

    Tests pass one to assert what is sent in which window; ``sleeps`` records every wait asked for.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 1, tzinfo=timezone.utc)
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        """The clock's current moment."""
        return self._now

    def sleep(self, seconds: float) -> None:
        """Record the wait and move the clock on by it."""
        self.sleeps.append(seconds)
        self._now += timedelta(seconds=seconds)

    def advance(self, seconds: float) -> datetime:
        """Move the clock on by ``seconds``; returns the new moment."""
        self._now += timedelta(seconds=seconds)
        return self._now
