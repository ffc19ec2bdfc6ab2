"""Waiting for the app without sleeping blindly: poll a condition between pilot pauses."""

from __future__ import annotations

import asyncio
import time
from typing import Callable


async def wait_until(pilot, condition: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> float:
    """Let the app run until ``condition()`` holds; return the seconds it took, or fail."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if condition():
            return time.monotonic() - start
        await pilot.pause(0.02)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


async def in_thread(function, *args, **kwargs):
    """Run blocking Docker calls off the event loop, so the app keeps processing messages."""
    return await asyncio.to_thread(function, *args, **kwargs)
