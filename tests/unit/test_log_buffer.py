"""The per-container ring buffer: bounded by lines and bytes, incremental reads by sequence number."""

from __future__ import annotations

import threading
import time

import pytest

from dockerforge_tui.services.logs.buffer import LogBuffer
from dockerforge_tui.services.logs.collector import LogLine, make_log_line


def line(number: int, text: str | None = None) -> LogLine:
    return LogLine("c" * 64, "web", "stdout", 1_000 + number, text if text is not None else f"line {number}", None)


def numbers(lines) -> list[int]:
    return [item.engine_ts_ns - 1_000 for item in lines]


def test_keeps_the_newest_lines_within_the_line_bound():
    buffer = LogBuffer(max_lines=5, max_bytes=1 << 20)
    for number in range(1, 13):
        buffer.append(line(number))
    assert numbers(buffer.lines()) == [8, 9, 10, 11, 12]
    assert len(buffer) == 5
    assert buffer.dropped == 7
    assert buffer.end_seq == 12 and buffer.first_seq == 8


def test_keeps_within_the_byte_bound():
    buffer = LogBuffer(max_lines=1000, max_bytes=100)
    buffer.extend([line(n, "x" * 30) for n in range(1, 11)])
    assert buffer.byte_size <= 100
    assert numbers(buffer.lines()) == [8, 9, 10]
    assert buffer.byte_size == 90
    assert buffer.dropped == 7


def test_a_line_larger_than_the_byte_bound_is_still_kept_alone():
    buffer = LogBuffer(max_lines=10, max_bytes=100)
    buffer.extend([line(1), line(2)])
    buffer.append(line(3, "y" * 1_000_000))
    assert numbers(buffer.lines()) == [3]
    assert buffer.byte_size == 1_000_000
    buffer.append(line(4))
    assert numbers(buffer.lines()) == [4]


def test_extend_larger_than_the_buffer_keeps_only_the_tail():
    buffer = LogBuffer(max_lines=100, max_bytes=1 << 20)
    buffer.extend([line(n) for n in range(1, 51)])
    buffer.extend([line(n) for n in range(51, 1001)])
    assert numbers(buffer.lines()) == list(range(901, 1001))
    assert buffer.dropped == 900
    assert buffer.end_seq == 1000
    assert buffer.byte_size == sum(len(item.text) for item in buffer.lines())


def test_extend_accepts_any_iterable_and_ignores_empty_input():
    buffer = LogBuffer(max_lines=10, max_bytes=1000)
    buffer.extend(line(n) for n in range(3))
    buffer.extend([])
    assert numbers(buffer.lines()) == [0, 1, 2]


def test_since_gives_only_what_a_reader_has_not_seen():
    buffer = LogBuffer(max_lines=10, max_bytes=1 << 20)
    buffer.extend([line(n) for n in range(1, 5)])
    first = buffer.since(0)
    assert numbers(first.lines) == [1, 2, 3, 4] and first.end_seq == 4 and first.missed == 0
    assert buffer.since(first.end_seq).lines == ()
    buffer.extend([line(5), line(6)])
    second = buffer.since(first.end_seq)
    assert numbers(second.lines) == [5, 6] and second.end_seq == 6


def test_since_reports_lines_dropped_before_the_reader_came_back():
    buffer = LogBuffer(max_lines=3, max_bytes=1 << 20)
    buffer.extend([line(n) for n in range(1, 3)])
    seen = buffer.since(0).end_seq
    buffer.extend([line(n) for n in range(3, 10)])
    late = buffer.since(seen)
    assert numbers(late.lines) == [7, 8, 9]
    assert late.missed == 4  # lines 3..6 came and went


def test_clear_keeps_counting_sequence_numbers():
    buffer = LogBuffer(max_lines=10, max_bytes=1000)
    buffer.extend([line(1), line(2)])
    buffer.clear()
    assert buffer.lines() == () and buffer.byte_size == 0
    buffer.append(line(3))
    assert buffer.since(2).lines == (line(3),)


def test_rejects_empty_bounds():
    with pytest.raises(ValueError):
        LogBuffer(0, 10)
    with pytest.raises(ValueError):
        LogBuffer(10, 0)


def test_fast_constructor_builds_the_same_frozen_record():
    made = make_log_line("id", "name", "stderr", 5, "text", "error")
    assert made == LogLine("id", "name", "stderr", 5, "text", "error")
    with pytest.raises(AttributeError):
        made.text = "changed"  # type: ignore[misc]


def test_one_writer_many_readers_never_see_a_torn_state():
    buffer = LogBuffer(max_lines=500, max_bytes=20_000)
    stop = threading.Event()
    problems: list[str] = []

    def read() -> None:
        seq = 0
        while not stop.is_set():
            snapshot = buffer.lines()
            if len(snapshot) > 500 or sum(len(item.text) for item in snapshot) > 20_000:
                problems.append(f"over bounds: {len(snapshot)}")
            got = numbers(snapshot)
            if got != sorted(got):
                problems.append("out of order")
            part = buffer.since(seq)
            if part.lines and numbers(part.lines)[0] != seq + 1 + part.missed:
                problems.append(f"since({seq}) started at {numbers(part.lines)[0]}")
            seq = part.end_seq

    readers = [threading.Thread(target=read) for _ in range(3)]
    for reader in readers:
        reader.start()
    deadline = time.monotonic() + 0.5
    number = 0
    while time.monotonic() < deadline:
        buffer.extend([line(n) for n in range(number + 1, number + 101)])
        number += 100
    stop.set()
    for reader in readers:
        reader.join()
    assert not problems, problems[:5]
    assert buffer.end_seq == number
