"""LogScanner: the live monitor's pattern detection over batches cut wherever the collector cut them."""

from __future__ import annotations

import random

import pytest

from dockerforge_tui.services.issues.monitor import LogScanner
from dockerforge_tui.services.logs import detect
from dockerforge_tui.services.logs.collector import LogLine
from tests.unit.test_detection_quality import load_sample

TRACEBACK = [
    "Traceback (most recent call last):",
    '  File "/app/worker.py", line 41, in <module>',
    "    conn = connect(host)",
    '  File "/usr/lib/python3.12/socket.py", line 852, in create_connection',
    "    raise exceptions[0]",
    "ConnectionRefusedError: [Errno 111] Connection refused",
]
NOISE = [f'level=info msg="tick" seq={number}' for number in range(8)]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def lines_of(texts: list[str], container: str = "c1", first: int = 0) -> list[LogLine]:
    return [LogLine(container, f"name-{container}", "stdout", 1_700_000_000_000_000_000 + (first + index) * 1000,
                    text, None) for index, text in enumerate(texts)]


def feed(scanner: LogScanner, texts: list[str], cuts: list[int], container: str = "c1") -> list:
    """Scan ``texts`` in batches cut at ``cuts``, then flush; every observation, in order."""
    found, previous = [], 0
    for cut in [*cuts, len(texts)]:
        found += scanner.scan(lines_of(texts[previous:cut], container, previous))
        previous = cut
    return found + scanner.flush(everything=True)


@pytest.mark.parametrize("cut", range(len(NOISE), len(NOISE) + len(TRACEBACK) + 1))
def test_a_traceback_split_between_batches_is_one_finding_with_its_cause(cut):
    texts = NOISE + TRACEBACK + NOISE
    found = feed(LogScanner(), texts, [cut])
    assert [observation.category for observation in found] == ["connection_refused"]
    assert found[0].evidence[-1].text == TRACEBACK[-1]


def test_a_traceback_that_ends_the_output_is_reported_after_the_quiet_spell():
    clock = Clock()
    scanner = LogScanner(hold=1.0, clock=clock)
    assert scanner.scan(lines_of(NOISE + TRACEBACK)) == []  # more lines could still belong to it
    clock.now += 0.5
    assert scanner.flush() == []
    clock.now += 0.6
    assert [observation.category for observation in scanner.flush()] == ["connection_refused"]
    assert scanner.flush(everything=True) == []  # reported once


def test_a_context_rule_that_looks_past_the_batch_waits_for_the_next_lines():
    # A bare exception line counts as a crash only with a stack frame within two lines after it
    # (crash.stack_trace); scanned alone at the end of a batch it is nothing, and the old monitor
    # then lost it for good when the frames came in the next batch.
    header = "java.lang.IllegalStateException: Queue full"
    frames = ["\tat com.acme.Worker.run(Worker.java:42)", "\tat java.base/java.lang.Thread.run(Thread.java:833)"]
    texts = NOISE + [header] + frames + NOISE
    whole = [(f.category, f.line_index) for f in detect(texts)]
    assert whole == [("crash", len(NOISE))]
    assert detect(NOISE + [header]) == []
    cut = len(NOISE) + 1  # the header ends the first batch, its frames start the next
    found = feed(LogScanner(), texts, [cut])
    assert [observation.category for observation in found] == [category for category, _ in whole]


def test_findings_are_reported_once_and_in_their_container():
    scanner = LogScanner()
    line = "Error: listen EADDRINUSE: address already in use :::3000"
    first = scanner.scan(lines_of(NOISE + [line] + NOISE, "a") + lines_of([line], "b"))
    assert [(o.category, o.container.id) for o in first] == [("port_in_use", "a")]  # b's line may have a follow-up
    second = scanner.scan(lines_of(NOISE, "a", 17) + lines_of(NOISE, "b", 1))
    assert [(o.category, o.container.id) for o in second] == [("port_in_use", "b")]
    assert scanner.flush(everything=True) == []
    assert first[0].timestamp == lines_of(NOISE + [line], "a")[-1].engine_time  # the line's own time
    assert second[0].timestamp == lines_of([line], "b")[0].engine_time


def test_any_batching_of_the_sample_gives_the_findings_of_the_whole_snippet():
    """Every labelled snippet, cut into random batches, gives what detect() finds in it at once."""
    chance = random.Random(4)
    for entry in load_sample():
        texts = NOISE + entry["lines"] + NOISE
        whole = sorted((f.category, f.pattern_id) for f in detect(texts))
        for _ in range(3):
            cuts = sorted(chance.sample(range(1, len(texts)), k=min(len(texts) - 1, chance.randint(1, 6))))
            found = sorted((o.category, o.pattern_id) for o in feed(LogScanner(), texts, cuts))
            assert found == whole, f"{entry['id']} cut at {cuts}"
        one_by_one = sorted((o.category, o.pattern_id) for o in feed(LogScanner(), texts, list(range(1, len(texts)))))
        assert one_by_one == whole, f"{entry['id']} one line at a time"


def test_a_unit_longer_than_the_hold_limit_is_reported_as_it_stands():
    scanner = LogScanner(max_held_lines=30)
    trace = ["Traceback (most recent call last):"] + ['  File "/app/x.py", line 1, in f'] * 60
    found = scanner.scan(lines_of(trace))
    assert [observation.category for observation in found] == ["crash"]
    assert scanner.flush(everything=True) == []


@pytest.mark.parametrize("cut", range(1, len(TRACEBACK)))
def test_a_big_batch_ending_inside_a_traceback_still_waits_for_its_cause(cut):
    # A slow consumer gets big batches: 600 lines of one container, the last few the start
    # of a traceback. The open unit is short, so it waits; the batch's size is no reason to cut it.
    ticks = [f'level=info msg="tick" seq={number}' for number in range(600)]
    texts = ticks + TRACEBACK + NOISE
    found = feed(LogScanner(max_held_lines=500), texts, [len(ticks) + cut])
    assert [observation.category for observation in found] == ["connection_refused"]


def test_containers_silent_for_long_are_forgotten():
    clock = Clock()
    scanner = LogScanner(forget_after=600, clock=clock)
    scanner.scan(lines_of(NOISE, "old") + lines_of(NOISE, "busy"))
    scanner.flush(everything=True)
    assert len(scanner) == 2
    clock.now += 400
    scanner.scan(lines_of(NOISE, "busy", len(NOISE)))
    clock.now += 300
    scanner.flush()
    assert len(scanner) == 1  # "old" printed nothing for 700 s; "busy" 300 s ago
