"""A rolling window of one container's stats samples, turned into plottable series.

Network and block I/O arrive as running totals; the series hold per-second rates
computed between consecutive samples (a counter that goes backwards, as after a
restart, starts over instead of giving a negative rate).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from dockerforge_tui.services.docker.models import StatsSample


@dataclass(frozen=True)
class SeriesView:
    """Immutable copy of the window, ready to draw."""

    cpu_percent: tuple[float, ...]
    mem_bytes: tuple[float, ...]
    net_rx_rate: tuple[float, ...]
    net_tx_rate: tuple[float, ...]
    block_read_rate: tuple[float, ...]
    block_write_rate: tuple[float, ...]
    mem_limit: int | None
    latest: StatsSample | None


class StatsSeries:
    """Keeps the last ``window`` samples of one container."""

    def __init__(self, window: int = 120) -> None:
        self.window = window
        self._cpu: deque[float] = deque(maxlen=window)
        self._mem: deque[float] = deque(maxlen=window)
        self._rates: dict[str, deque[float]] = {name: deque(maxlen=window)
                                                for name in ("net_rx", "net_tx", "block_read", "block_write")}
        self._previous: StatsSample | None = None

    def add(self, sample: StatsSample) -> None:
        """Append one sample (samples older than the last one are ignored)."""
        previous = self._previous
        if previous is not None and sample.read_at <= previous.read_at:
            return
        self._cpu.append(sample.cpu_percent or 0.0)
        self._mem.append(float(sample.mem_usage))
        for name, rates in self._rates.items():
            if previous is None:
                rates.append(0.0)
                continue
            elapsed = max(1e-6, sample.read_at - previous.read_at)
            delta = getattr(sample, name) - getattr(previous, name)
            rates.append(delta / elapsed if delta >= 0 else 0.0)
        self._previous = sample

    def view(self, mem_limit: int | None = None) -> SeriesView:
        """A frozen copy of the window; ``mem_limit`` is the configured limit, if any."""
        return SeriesView(
            cpu_percent=tuple(self._cpu),
            mem_bytes=tuple(self._mem),
            net_rx_rate=tuple(self._rates["net_rx"]),
            net_tx_rate=tuple(self._rates["net_tx"]),
            block_read_rate=tuple(self._rates["block_read"]),
            block_write_rate=tuple(self._rates["block_write"]),
            mem_limit=mem_limit,
            latest=self._previous,
        )
