"""Error bursts against a container's own baseline: pure code, fed lines second by second."""

from __future__ import annotations

import random
import re

import pytest

from dockerforge_tui.services.logs.anomaly import BurstSettings, ErrorBurstDetector, default_burst_settings
from tests.support.log_lines import SECOND, T0, log_line


def second_of(offset_s: int, count: int, *, name: str = "web", errors: int = 0, level: str | None = None):
    """``count`` lines in second ``offset_s`` of container ``name``, the first ``errors`` of them errors."""
    return [log_line(name=name, ts=T0 + offset_s * SECOND + index * (SECOND // max(count, 1)),
                     text=f"request {index}", level="error" if index < errors else level)
            for index in range(count)]


def test_packaged_settings_come_from_the_yaml_file():
    settings = default_burst_settings()
    assert settings.min_errors == 5 and settings.ratio == 4.0
    assert 0 < settings.smoothing <= 1
    assert {"error", "critical", "fatal"} <= settings.error_levels
    assert settings.error_heuristic.search("Traceback (most recent call last):")


def test_a_steady_error_rate_is_not_a_burst_but_a_spike_is():
    detector = ErrorBurstDetector()
    bursts = []
    for second in range(20):  # two errors a second: the container's normal
        bursts += detector.observe(second_of(second, 10, errors=2))
    assert bursts == []
    assert detector.baseline("webid") == pytest.approx(2.0, abs=0.3)

    spike = detector.observe(second_of(20, 150, errors=120))
    assert len(spike) == 1
    burst = spike[0]
    assert (burst.container_name, burst.second, burst.errors) == ("web", T0 // SECOND + 20, 120)
    assert burst.baseline == pytest.approx(2.0, abs=0.3)


def test_minimum_absolute_count_applies_when_the_baseline_is_zero():
    detector = ErrorBurstDetector()
    for second in range(10):
        assert detector.observe(second_of(second, 5)) == ()
    assert detector.observe(second_of(10, 4, errors=4)) == ()  # 4 errors: below the minimum of 5
    assert len(detector.observe(second_of(11, 5, errors=5))) == 1


@pytest.mark.parametrize(("errors", "is_burst"), [(30, False), (39, False), (45, True)])
def test_four_times_the_baseline_is_needed_above_the_minimum(errors, is_burst):
    detector = ErrorBurstDetector()
    for second in range(30):
        detector.observe(second_of(second, 20, errors=10))
    assert detector.baseline("webid") == pytest.approx(10.0, abs=0.5)
    assert bool(detector.observe(second_of(30, 60, errors=errors))) is is_burst


def test_a_growing_burst_is_reported_again_with_its_latest_count():
    detector = ErrorBurstDetector()
    lines = second_of(0, 40, errors=40)
    first = detector.observe(lines[:6])
    later = detector.observe(lines[6:])
    assert [burst.errors for burst in first] == [6]
    assert [burst.errors for burst in later] == [40]
    assert first[0].second == later[0].second


def test_containers_have_separate_baselines():
    detector = ErrorBurstDetector()
    for second in range(20):
        detector.observe(second_of(second, 30, name="noisy", errors=25) + second_of(second, 5, name="quiet"))
    bursts = detector.observe(second_of(20, 30, name="noisy", errors=25) + second_of(20, 8, name="quiet", errors=8))
    assert [burst.container_name for burst in bursts] == ["quiet"]


def test_one_spike_barely_moves_the_baseline_so_the_next_spike_is_seen():
    detector = ErrorBurstDetector()
    for second in range(20):
        detector.observe(second_of(second, 4, errors=1))
    assert detector.observe(second_of(20, 500, errors=500))
    for second in range(21, 25):
        detector.observe(second_of(second, 4, errors=1))
    assert detector.baseline("webid") < 3
    assert detector.observe(second_of(25, 100, errors=100))


def test_a_rate_that_stays_high_becomes_the_new_baseline():
    detector = ErrorBurstDetector()
    for second in range(20):
        detector.observe(second_of(second, 4, errors=1))
    flagged = [second for second in range(20, 60) if detector.observe(second_of(second, 60, errors=60))]
    assert flagged[0] == 20
    assert len(flagged) < 10, flagged  # adapts within a few seconds
    assert detector.baseline("webid") > 40


def test_silent_seconds_count_as_zero_errors():
    detector = ErrorBurstDetector()
    for second in range(20):
        detector.observe(second_of(second, 10, errors=10))
    high = detector.baseline("webid")
    detector.observe(second_of(80, 1))  # a minute of silence in between
    assert detector.baseline("webid") < high / 100


def test_levels_decide_and_the_heuristic_only_covers_lines_without_one():
    detector = ErrorBurstDetector()
    assert detector.is_error(log_line(text="all good", level="error"))
    assert detector.is_error(log_line(text="boom", level="FATAL"))
    assert not detector.is_error(log_line(text="error count: 0", level="info"))
    assert detector.is_error(log_line(text="ERROR: disk full", level=None))
    assert detector.is_error(log_line(text="java.lang.NullPointerException at Foo", level=None))
    assert detector.is_error(log_line(text="ValueError: bad value", level=None))
    assert not detector.is_error(log_line(text="ErrorHandler registered", level=None))
    assert detector.is_error(log_line(text="Unhandled exception in worker", level=None))
    assert not detector.is_error(log_line(text="GET /errors-page 200", level=None))
    assert not detector.is_error(log_line(text="stderr closed", level=None))


def test_custom_settings_and_validation():
    settings = BurstSettings(min_errors=2, ratio=2.0, smoothing=1.0, error_levels=frozenset({"error"}),
                             error_heuristic=re.compile("BAD"))
    detector = ErrorBurstDetector(settings)
    assert detector.observe([log_line(text="BAD"), log_line(text="BAD")])
    with pytest.raises(ValueError):
        ErrorBurstDetector(BurstSettings(5, 4.0, 0.0, frozenset(), re.compile("x")))


def test_forget_drops_a_containers_history():
    detector = ErrorBurstDetector()
    detector.observe(second_of(0, 5, errors=5) + second_of(1, 1))
    assert detector.baseline("webid") is not None
    detector.forget("webid")
    assert detector.baseline("webid") is None


class LineByLineDetector:
    """The detector's rule written the obvious way, one line at a time, to check the bulk version against."""

    def __init__(self, detector: ErrorBurstDetector) -> None:
        self.rules = detector  # for is_error, threshold and the settings only
        self.rates: dict[str, list] = {}  # container -> [second, errors, baseline]

    def observe(self, lines):
        grown = {}
        for line in lines:
            second = line.engine_ts_ns // SECOND
            rate = self.rates.setdefault(line.container_id, [second, 0, None])
            if second > rate[0]:
                capped = min(float(rate[1]), self.rules.threshold(rate[2]))
                alpha = self.rules.settings.smoothing
                rate[2] = capped if rate[2] is None else rate[2] + alpha * (capped - rate[2])
                rate[2] *= (1 - alpha) ** max(0, second - rate[0] - 1)
                rate[0], rate[1] = second, 0
            if self.rules.is_error(line):
                rate[1] += 1
                if rate[1] >= self.rules.threshold(rate[2]):
                    grown[(line.container_id, rate[0])] = (line.container_name, rate[0], rate[1],
                                                           rate[2] if rate[2] is not None else 0.0)
        return list(grown.values())


@pytest.mark.parametrize("seed", range(8))
def test_bulk_counting_equals_line_by_line_counting(seed):
    randomiser = random.Random(seed)
    detector = ErrorBurstDetector()
    reference = LineByLineDetector(ErrorBurstDetector())
    clocks = {"web": T0, "db": T0 + 3 * SECOND, "cache": T0}
    texts = ["ok", "GET / 200", "ERROR boom", "Traceback (most recent call last):", "errors=0", "fine"]
    reported = 0
    for step in range(120):
        batch = []
        if step % 30 == 29:  # a spike now and then, split over this batch and the next
            name = randomiser.choice(list(clocks))
            batch += [log_line("ERROR spike", name=name, ts=clocks[name], level="error") for _ in range(12)]
        for _ in range(randomiser.randint(0, 40)):
            name = randomiser.choice(list(clocks))
            clocks[name] += randomiser.choice([0, SECOND // 50, SECOND // 3, SECOND, 4 * SECOND])
            spiky = randomiser.random() < 0.1
            batch.append(log_line(randomiser.choice(texts), name=name, ts=clocks[name],
                                  level=randomiser.choice([None, None, "info", "error" if spiky else "warn", "ERROR"])))
        got = [(b.container_name, b.second, b.errors, round(b.baseline, 9)) for b in detector.observe(batch)]
        want = [(name, second, errors, round(baseline, 9))
                for name, second, errors, baseline in reference.observe(batch)]
        assert got == want
        reported += len(got)
    assert reported, "the random streams should contain some bursts"
