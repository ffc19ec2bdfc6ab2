"""Fixed log lines for tests that need no engine: the records the log collector yields."""

from __future__ import annotations

from dockerforge_tui.services.logs.collector import LogLine

SECOND = 1_000_000_000
T0 = 1_795_608_000 * SECOND
"""2026-11-25 12:00:00 UTC in engine nanoseconds."""


def log_line(text: str = "hello", *, name: str = "web", ts: int = T0, level: str | None = None,
             stream: str = "stdout", container_id: str | None = None) -> LogLine:
    """One line of container ``name`` (its id is ``name + "id"`` unless given)."""
    return LogLine(container_id or f"{name}id", name, stream, ts, text, level)


def numbered(count: int, *, name: str = "web", start: int = 0, step_ns: int = SECOND // 100,
             t0: int = T0, text: str = "line {n}") -> list[LogLine]:
    """``count`` lines ``line 0``, ``line 1`` ... of one container, ``step_ns`` apart."""
    return [log_line(text.format(n=n), name=name, ts=t0 + n * step_ns) for n in range(start, start + count)]
