"""Durations and byte sizes as written in config files."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from dockerforge_tui.core.config.units import (
    ByteSize,
    Duration,
    format_duration,
    parse_byte_size,
    parse_duration,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("500ms", 0.5),
        ("10s", 10.0),
        ("1m", 60.0),
        ("1h30m", 5400.0),
        ("1h 30m 15s", 5415.0),
        ("1.5s", 1.5),
        (".5s", 0.5),
        ("2d", 172800.0),
        ("10S", 10.0),
        ("5min", 300.0),
        ("2 hours", 7200.0),
        ("10", 10.0),
        (" 2.5 ", 2.5),
        (10, 10.0),
        (0.25, 0.25),
        ("0s", 0.0),
    ],
)
def test_parse_duration_accepts_units_and_plain_seconds(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("bad", ["fast", "", "10x", "s10", "1h30", "-5s", -1, "1.2.3s", "10 s s", True, None, [1], "nan", float("inf")])
def test_parse_duration_rejects_everything_else(bad):
    with pytest.raises(ValueError, match="expected a duration like 10s"):
        parse_duration(bad)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.5, "500ms"), (0, "0ms"), (10, "10s"), (60, "1m"), (5400, "1h30m"), (3601.5, "1h1.5s"), (90, "1m30s")],
)
def test_format_duration_writes_what_parse_reads(seconds, text):
    assert format_duration(seconds) == text
    assert parse_duration(text) == pytest.approx(seconds)


def test_format_duration_keeps_sub_millisecond_precision():
    assert parse_duration(format_duration(0.0001)) == pytest.approx(0.0001)


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("10MB", 10_000_000),
        ("512KiB", 524_288),
        ("1.5GB", 1_500_000_000),
        ("1GiB", 1024**3),
        ("8mb", 8_000_000),
        ("10m", 10_000_000),
        ("100", 100),
        ("100B", 100),
        ("2 TiB", 2 * 1024**4),
        (4096, 4096),
        (4096.0, 4096),
        (0, 0),
    ],
)
def test_parse_byte_size_accepts_units_and_plain_bytes(text, size):
    assert parse_byte_size(text) == size


@pytest.mark.parametrize("bad", ["big", "10XB", "MB", "1.5", 1.5, -1, "-1MB", True, None, {}, "10 MB MB"])
def test_parse_byte_size_rejects_everything_else(bad):
    with pytest.raises(ValueError, match="expected a size like 10MB"):
        parse_byte_size(bad)


class _Sample(BaseModel):
    wait: Duration
    size: ByteSize


def test_pydantic_types_parse_and_report_their_own_error_type():
    sample = _Sample(wait="1m", size="1KiB")
    assert (sample.wait, sample.size) == (60.0, 1024)
    assert sample.model_dump(mode="json") == {"wait": "1m", "size": 1024}
    assert sample.model_dump() == {"wait": 60.0, "size": 1024}
    with pytest.raises(ValidationError) as caught:
        _Sample(wait="fast", size="huge")
    kinds = [(error["type"], error["msg"]) for error in caught.value.errors()]
    assert kinds == [("duration", "expected a duration like 10s"), ("byte_size", "expected a size like 10MB")]
