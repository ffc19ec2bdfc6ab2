"""A usage record per AI request, appended as one JSON line to ``ai-usage.jsonl`` in the data directory.

Each line is written with a single ``write`` on a file opened for appending, so lines
from several threads or processes do not interleave (short lines, O_APPEND). Readers
skip a torn last line. This is the simple store until the usage ledger (budgets,
reports) replaces it.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator

USAGE_FILE_NAME = "ai-usage.jsonl"


@dataclass(frozen=True)
class UsageRecord:
    """One request to one provider."""

    timestamp: float
    provider: str
    model: str
    input_tokens: int
    output_tokens: int
    cost_usd: float | None
    latency_s: float
    outcome: str
    """``ok``, ``cancelled``, or the error class name (``AIRateLimitError``...)."""


class UsageLog:
    """Append and read :class:`UsageRecord` lines in ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> "UsageLog":
        return cls(Path(data_dir) / USAGE_FILE_NAME)

    def append(self, record: UsageRecord) -> None:
        line = json.dumps(asdict(record), separators=(",", ":")) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(descriptor, line.encode("utf-8"))
            finally:
                os.close(descriptor)

    def records(self) -> Iterator[UsageRecord]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return
        for line in text.splitlines():
            try:
                yield UsageRecord(**json.loads(line))
            except (ValueError, TypeError):
                continue  # a torn or foreign line

    @staticmethod
    def record(provider: str, model: str, input_tokens: int = 0, output_tokens: int = 0,
               cost_usd: float | None = None, latency_s: float = 0.0, outcome: str = "ok") -> UsageRecord:
        return UsageRecord(time.time(), provider, model, input_tokens, output_tokens, cost_usd, latency_s, outcome)
