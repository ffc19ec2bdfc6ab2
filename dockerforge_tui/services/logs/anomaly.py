"""Error bursts: a second in which a container logs far more errors than it usually does.

Each container's error lines are counted per second of engine time. When a second is
over (a line of a later second arrives) its count feeds the container's *baseline*, an
exponentially weighted moving average (EWMA) of errors per second; seconds in which
nothing was logged count as zero. A second is a burst once its count reaches both an
absolute minimum and a multiple of the baseline (defaults in ``anomaly.yaml``).

The count fed to the baseline is capped at the burst threshold, so one spike barely
moves it (the next spike is still seen), while a rate that stays high raises the
baseline a little every second until it is the new normal.

Pure code: no I/O after the YAML defaults are read, no threads, no UI.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Sequence


from dockerforge_tui.core.yaml_data import load_yaml

if TYPE_CHECKING:
    from dockerforge_tui.services.logs.collector import LogLine

ANOMALY_SETTINGS_FILE = Path(__file__).with_name("anomaly.yaml")
NANOSECONDS = 1_000_000_000


@dataclass(frozen=True, slots=True)
class BurstSettings:
    """The thresholds of :class:`ErrorBurstDetector` (see ``anomaly.yaml``)."""

    min_errors: int
    """Error lines a second needs at least to be a burst."""
    ratio: float
    """How many times the baseline a second's count must reach to be a burst."""
    smoothing: float
    """Weight of the newest second in the baseline average."""
    error_levels: frozenset[str]
    """Parsed levels (lower case) that make a line an error."""
    error_heuristic: re.Pattern[str]
    """Matched against lines without a parsed level."""
    error_heuristic_gates: tuple[str, ...] = ()
    """Lower-case substrings: the heuristic runs only on lines containing one (none: always runs)."""


@lru_cache(maxsize=1)
def default_burst_settings() -> BurstSettings:
    """The packaged thresholds from ``anomaly.yaml``."""
    data = load_yaml(ANOMALY_SETTINGS_FILE.read_text(encoding="utf-8"))
    return BurstSettings(
        min_errors=int(data["min_errors"]),
        ratio=float(data["ratio"]),
        smoothing=float(data["smoothing"]),
        error_levels=frozenset(str(level).lower() for level in data["error_levels"]),
        error_heuristic=re.compile(data["error_heuristic"]),
        error_heuristic_gates=tuple(str(gate).lower() for gate in data.get("error_heuristic_gates", ())),
    )


@dataclass(frozen=True, slots=True)
class Burst:
    """One second in which one container logged far more errors than its baseline."""

    container_id: str
    container_name: str
    second: int
    """The second (Unix time of the engine's timestamps) the burst happened in."""
    errors: int
    """Error lines counted in that second so far."""
    baseline: float
    """The container's usual errors per second before that second."""


class _ErrorRate:
    """One container's running count for the current second and its baseline."""

    __slots__ = ("second", "errors", "baseline")

    def __init__(self, second: int) -> None:
        self.second = second
        self.errors = 0
        self.baseline: float | None = None


class ErrorBurstDetector:
    """Counts error lines per container and second, and reports the seconds that burst.

    Feed it every line shown, in arrival order, with :meth:`observe`. Lines of one
    container are expected in time order (the engine sends them so); a line older than
    that container's current second is counted in the current second.
    """

    def __init__(self, settings: BurstSettings | None = None) -> None:
        self.settings = settings or default_burst_settings()
        if not 0 < self.settings.smoothing <= 1:
            raise ValueError(f"smoothing must be in (0, 1], not {self.settings.smoothing}")
        self._rates: dict[str, _ErrorRate] = {}
        self._level_spellings = self.settings.error_levels | {level.upper() for level in self.settings.error_levels}

    def is_error(self, line: LogLine) -> bool:
        """True when the line counts as an error: by its parsed level, or by the heuristic."""
        if line.level is not None:
            return line.level.lower() in self.settings.error_levels
        gates = self.settings.error_heuristic_gates
        if gates:
            lowered = line.text.lower()
            for gate in gates:  # a plain loop: any() with a generator costs twice as much here
                if gate in lowered:
                    break
            else:
                return False
        return self.settings.error_heuristic.search(line.text) is not None

    def threshold(self, baseline: float | None) -> float:
        """Errors a second needs to be a burst against ``baseline`` (``None``: no history yet)."""
        if baseline is None:
            return float(self.settings.min_errors)
        return max(float(self.settings.min_errors), self.settings.ratio * baseline)

    def baseline(self, container_id: str) -> float | None:
        """The container's baseline in errors per second, or ``None`` before its first full second."""
        rate = self._rates.get(container_id)
        return rate.baseline if rate is not None else None

    def observe(self, lines: Sequence[LogLine]) -> tuple[Burst, ...]:
        """Count ``lines``; return the bursts whose count grew in this call.

        A burst second that keeps growing over several calls is reported again each
        time with its larger count (one :class:`Burst` per container and second per
        call), so a caller can show the latest figure.

        Only error lines are walked one by one. A line that is not an error matters only
        through its second, and the seconds between two error lines of a container are
        closed with no errors either way, so each container just moves on to its last
        line's second at the end. That keeps the cost per ordinary line to a few
        C-level passes over the batch.
        """
        if not lines:
            return ()
        rates = self._rates
        for container_id, first_ts in {line.container_id: line.engine_ts_ns for line in reversed(lines)}.items():
            if container_id not in rates:
                rates[container_id] = _ErrorRate(first_ts // NANOSECONDS)
        grown: dict[tuple[str, int], Burst] = {}
        for line in self._errors_in(lines):
            rate = rates[line.container_id]
            second = line.engine_ts_ns // NANOSECONDS
            if second > rate.second:
                self._close_seconds(rate, second)
            rate.errors += 1
            if rate.errors >= self.threshold(rate.baseline):
                grown[(line.container_id, rate.second)] = Burst(
                    line.container_id, line.container_name, rate.second, rate.errors,
                    rate.baseline if rate.baseline is not None else 0.0)
        for container_id, last_ts in {line.container_id: line.engine_ts_ns for line in lines}.items():
            rate = rates[container_id]
            if last_ts // NANOSECONDS > rate.second:
                self._close_seconds(rate, last_ts // NANOSECONDS)
        return tuple(grown.values())

    def _errors_in(self, lines: Sequence[LogLine]) -> list[LogLine]:
        """The error lines of a batch, in order (what :meth:`is_error` says, computed in bulk)."""
        levels = self._level_spellings
        unleveled = [line for line in lines if line.level is None]
        heuristic: set[int] = set()
        if unleveled:
            gates = self.settings.error_heuristic_gates
            lowered = "\n".join([line.text for line in unleveled]).lower()
            if not gates or any(gate in lowered for gate in gates):
                search = self.settings.error_heuristic.search
                heuristic = {id(line) for line in unleveled if search(line.text) is not None}
        if heuristic:
            return [line for line in lines
                    if (line.level in levels or line.level.lower() in levels if line.level is not None
                        else id(line) in heuristic)]
        return [line for line in lines
                if line.level is not None and (line.level in levels or line.level.lower() in levels)]

    def forget(self, container_id: str) -> None:
        """Drop one container's history (its stream was restarted or it is no longer shown)."""
        self._rates.pop(container_id, None)

    def _close_seconds(self, rate: _ErrorRate, new_second: int) -> None:
        """Fold the finished second, and the silent seconds after it, into the baseline."""
        capped = min(float(rate.errors), self.threshold(rate.baseline))
        smoothing = self.settings.smoothing
        if rate.baseline is None:
            rate.baseline = capped
        else:
            rate.baseline += smoothing * (capped - rate.baseline)
        silent = new_second - rate.second - 1
        if silent > 0:
            rate.baseline *= (1.0 - smoothing) ** min(silent, 10_000)
        rate.second = new_second
        rate.errors = 0
