"""Splitting the engine's log stream into lines, fed from memory in awkward pieces."""

from __future__ import annotations

import random
import struct

import pytest

from dockerforge_tui.core.errors import DockerAPIError
from dockerforge_tui.services.docker.logs import LogStream

TS = b"2026-11-25T02:40:14.123456789Z "


def frame(stream: int, payload: bytes) -> bytes:
    return struct.pack(">BxxxL", stream, len(payload)) + payload


class Pieces:
    """A byte source that hands out ``data`` in pieces of the given sizes (then the rest)."""

    def __init__(self, data: bytes, sizes: list[int] | None = None, seed: int | None = None) -> None:
        self.data = data
        self.pos = 0
        self.sizes = list(sizes or [])
        self.random = random.Random(seed) if seed is not None else None
        self.closed = False

    def read(self) -> bytes:
        if self.pos >= len(self.data):
            return b""
        if self.sizes:
            size = self.sizes.pop(0)
        elif self.random is not None:
            size = self.random.randint(1, 64)
        else:
            size = len(self.data)
        piece = self.data[self.pos:self.pos + size]
        self.pos += len(piece)
        return piece

    def close(self) -> None:
        self.closed = True


def read_all(data: bytes, **options) -> list[tuple[str, bytes]]:
    sizes = options.pop("sizes", None)
    seed = options.pop("seed", None)
    options.setdefault("tty", None)
    options.setdefault("timestamps", True)
    return list(LogStream(Pieces(data, sizes, seed), "c" * 64, **options))


def test_frames_become_lines_with_their_stream():
    data = frame(1, TS + b"out 1\n") + frame(2, TS + b"err 1\n") + frame(1, TS + b"crlf\r\n") + frame(1, TS + b"\n")
    expected = [("stdout", TS + b"out 1"), ("stderr", TS + b"err 1"), ("stdout", TS + b"crlf"), ("stdout", TS)]
    assert read_all(data) == expected
    for seed in range(20):  # any split of the bytes gives the same lines
        assert read_all(data, seed=seed) == expected


def test_long_lines_are_joined_without_the_repeated_timestamps():
    # The engine splits long lines into 16 KB messages, each with the line's timestamp.
    pieces = [b"a" * 16384, b"b" * 16384, b"c" * 100 + b"\n"]
    data = frame(1, TS + pieces[0]) + frame(2, TS + b"interleaved\n") + frame(1, TS + pieces[1]) \
        + frame(1, TS + pieces[2])
    lines = read_all(data, seed=3)
    assert lines == [("stderr", TS + b"interleaved"), ("stdout", TS + b"a" * 16384 + b"b" * 16384 + b"c" * 100)]


def test_a_last_line_without_newline_is_kept_and_a_cut_frame_dropped():
    assert read_all(frame(1, TS + b"done\n") + frame(1, TS + b"no newline")) == \
        [("stdout", TS + b"done"), ("stdout", TS + b"no newline")]
    assert read_all(frame(1, TS + b"done\n") + frame(1, TS + b"cut short")[:-3]) == [("stdout", TS + b"done")]


def test_binary_junk_passes_through_undecoded():
    junk = bytes(range(256)).replace(b"\n", b"")
    assert read_all(frame(1, TS + junk + b"\n"), seed=1) == [("stdout", TS + junk)]


def test_runaway_line_is_cut_at_the_limit():
    data = b"".join(frame(1, TS + b"x" * 1000) for _ in range(10)) + frame(1, TS + b"end\n")
    lines = read_all(data, max_line_bytes=4000)
    assert [len(line) - len(TS) for _, line in lines] == [4000, 4000, 2003]
    assert all(line.startswith(TS) for _, line in lines)


def test_engine_error_frame_raises():
    data = frame(1, TS + b"fine\n") + frame(3, b"error from daemon in stream: log file gone\n")
    stream = LogStream(Pieces(data), "c" * 64, tty=None, timestamps=True)
    batches = stream.batches()
    with pytest.raises(DockerAPIError, match="log file gone"):
        list(batches)


def test_tty_stream_is_split_on_newlines():
    data = TS + b"one\r\n" + TS + b"two\r\n" + TS + b"no end"
    assert read_all(data, seed=5) == [("stdout", TS + b"one"), ("stdout", TS + b"two"), ("stdout", TS + b"no end")]
    assert LogStream(Pieces(b""), "c", tty=None, timestamps=True).tty is None


def test_tty_long_line_loses_the_timestamps_of_its_pieces():
    line = b"z" * 40000
    data = TS + line[:16384] + TS + line[16384:32768] + TS + line[32768:] + b"\r\n"
    stream = LogStream(Pieces(data, seed=9), "c", tty=None, timestamps=True)
    assert list(stream) == [("stdout", TS + line)]
    assert stream.tty is True


def test_tty_without_timestamps():
    assert read_all(b"plain\r\nlines\n", tty=True, timestamps=False) == [("stdout", b"plain"), ("stdout", b"lines")]


def test_close_stops_the_source():
    source = Pieces(frame(1, TS + b"a\n") * 3, sizes=[8])
    stream = LogStream(source, "c", tty=None, timestamps=True)
    stream.close()
    assert list(stream) == [] and source.closed and stream.closed
