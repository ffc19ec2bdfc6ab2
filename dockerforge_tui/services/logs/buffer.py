"""A per-container ring buffer of log lines, bounded by a number of lines and a number of bytes.

One thread writes (the container's log reader), any number read: a reader takes a
snapshot (:meth:`LogBuffer.lines`) or only what arrived since its last look
(:meth:`LogBuffer.since`, by sequence number), so no mutable collection is ever shared.
Appending is O(1): a deque plus a running byte count; the oldest lines make room.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from itertools import islice
from operator import attrgetter
from typing import TYPE_CHECKING, Iterable, Sequence

if TYPE_CHECKING:
    from dockerforge_tui.services.logs.collector import LogLine

_text = attrgetter("text")


@dataclass(frozen=True, slots=True)
class BufferSlice:
    """What :meth:`LogBuffer.since` returns: the new lines and where the reader is now."""

    lines: tuple["LogLine", ...]
    end_seq: int
    """Sequence number of the newest line; pass it to the next ``since`` call."""
    missed: int
    """Lines that arrived after the reader's sequence number but were already dropped."""


class LogBuffer:
    """The newest lines of one container, at most ``max_lines`` lines and ``max_bytes`` bytes of text.

    Bytes are counted as the length of each line's text (the UTF-8 size for ASCII text;
    every line also costs about 150 bytes of Python objects not counted here). The newest
    line is always kept, even when it alone is larger than ``max_bytes``.

    Every appended line gets the next sequence number, starting at 1, so a reader can ask
    for what it has not seen yet.
    """

    def __init__(self, max_lines: int, max_bytes: int) -> None:
        if max_lines < 1 or max_bytes < 1:
            raise ValueError("a log buffer holds at least one line and one byte")
        self.max_lines = max_lines
        self.max_bytes = max_bytes
        # maxlen makes the deque drop the oldest lines itself (in C); their bytes are
        # subtracted just before, from the same number of lines at its left end.
        self._lines: deque[LogLine] = deque(maxlen=max_lines)
        self._bytes = 0
        self._appended = 0
        self._dropped = 0
        self._lock = threading.Lock()

    def append(self, line: "LogLine") -> None:
        """Add one line, dropping the oldest ones beyond the bounds."""
        self.extend((line,))

    def extend(self, lines: Sequence["LogLine"] | Iterable["LogLine"]) -> None:
        """Add many lines at once (one lock round-trip), dropping the oldest beyond the bounds."""
        if not isinstance(lines, (list, tuple)):
            lines = list(lines)
        if not lines:
            return
        with self._lock:
            held = self._lines
            count = len(lines)
            if count >= self.max_lines:
                # Everything already held, and the start of this batch, falls out: skip the churn.
                self._dropped += len(held) + count - self.max_lines
                held.clear()
                self._bytes = 0
                lines = lines[count - self.max_lines:]
            else:
                excess = len(held) + count - self.max_lines
                if excess > 0:
                    self._bytes -= sum(map(len, map(_text, islice(held, excess))))
                    self._dropped += excess
            held.extend(lines)
            self._bytes += sum(map(len, map(_text, lines)))
            self._appended += count
            if self._bytes > self.max_bytes:
                self._trim_bytes()

    def _trim_bytes(self) -> None:
        held = self._lines
        popleft = held.popleft
        dropped = 0
        while self._bytes > self.max_bytes and len(held) > 1:
            self._bytes -= len(popleft().text)
            dropped += 1
        self._dropped += dropped

    def lines(self) -> tuple["LogLine", ...]:
        """A snapshot of every line held, oldest first."""
        with self._lock:
            return tuple(self._lines)

    def since(self, seq: int) -> BufferSlice:
        """The lines appended after sequence number ``seq`` that are still held (0: everything)."""
        with self._lock:
            end = self._appended
            held = len(self._lines)
            first = end - held + 1
            start = max(seq + 1, first)
            count = end - start + 1
            if count <= 0:
                return BufferSlice((), end, 0)
            newest_first = tuple(islice(reversed(self._lines), count))
            return BufferSlice(newest_first[::-1], end, start - (seq + 1))

    def clear(self) -> None:
        """Forget every line (sequence numbers keep counting)."""
        with self._lock:
            self._dropped += len(self._lines)
            self._lines.clear()
            self._bytes = 0

    @property
    def byte_size(self) -> int:
        """Bytes of text held."""
        return self._bytes

    @property
    def end_seq(self) -> int:
        """Sequence number of the newest line (0 before the first)."""
        return self._appended

    @property
    def first_seq(self) -> int:
        """Sequence number of the oldest line held (``end_seq + 1`` when empty)."""
        with self._lock:
            return self._appended - len(self._lines) + 1

    @property
    def dropped(self) -> int:
        """Lines dropped so far to keep within the bounds."""
        return self._dropped

    def __len__(self) -> int:
        return len(self._lines)

    def __repr__(self) -> str:
        return (f"LogBuffer({len(self._lines)}/{self.max_lines} lines, {self._bytes}/{self.max_bytes} bytes, "
                f"dropped={self._dropped})")
