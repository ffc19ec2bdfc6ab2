"""Engine timestamps and the timestamps programs print, normalised to UTC."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from dockerforge_tui.services.logs.timestamps import (
    engine_time,
    find_app_timestamp,
    format_engine_since,
    parse_engine_timestamp,
    split_engine_line,
)

UTC = timezone.utc
NS = 1_000_000_000
# 2026-11-25T02:40:14Z
T0 = int(datetime(2026, 11, 25, 2, 40, 14, tzinfo=UTC).timestamp())
REFERENCE = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


class TestEngineTimestamps:
    def test_fixed_layout_to_the_nanosecond(self):
        assert parse_engine_timestamp(b"2026-11-25T02:40:14.123456789Z") == T0 * NS + 123_456_789
        assert parse_engine_timestamp("2026-11-25T02:40:14.000000001Z") == T0 * NS + 1

    def test_shorter_fractions_and_offsets(self):
        assert parse_engine_timestamp("2026-11-25T02:40:14.5Z") == T0 * NS + 500_000_000
        assert parse_engine_timestamp("2026-11-25T02:40:14Z") == T0 * NS
        assert parse_engine_timestamp("2026-11-25T03:40:14.25+01:00") == T0 * NS + 250_000_000
        assert parse_engine_timestamp("2026-11-24T21:40:14-05:00") == T0 * NS

    def test_seconds_cache_gives_the_same_answers_across_days(self):
        assert parse_engine_timestamp(b"1970-01-01T00:00:00.000000000Z") == 0
        assert parse_engine_timestamp(b"2024-02-29T23:59:59.999999999Z") == \
            int(datetime(2024, 2, 29, 23, 59, 59, tzinfo=UTC).timestamp()) * NS + 999_999_999
        assert parse_engine_timestamp(b"2026-11-25T02:40:14.000000000Z") == T0 * NS

    @pytest.mark.parametrize("bad", [b"", b"hello", b"2026-13-25T02:40:14.123456789Z", b"2026-11-25 02:40:14Z",
                                     b"2026-11-25T02:40:14.12345678xZ", "2026-11-25T02:40:1\ufffd.1Z"])
    def test_rejects_what_is_not_a_timestamp(self, bad):
        with pytest.raises(ValueError):
            parse_engine_timestamp(bad)

    def test_split_engine_line(self):
        assert split_engine_line(b"2026-11-25T02:40:14.000000007Z hello world") == (T0 * NS + 7, 31)
        with pytest.raises(ValueError):
            split_engine_line(b"no timestamp here at all, none")

    def test_since_parameter_is_exact(self):
        assert format_engine_since(T0 * NS + 7) == f"{T0}.000000007"
        assert engine_time(T0 * NS + 123_456_789) == datetime(2026, 11, 25, 2, 40, 14, 123456, tzinfo=UTC)


@pytest.mark.parametrize(("line", "expected"), [
    # ISO 8601 with and without offsets, Python logging / log4j comma fractions
    ("2026-11-25T02:40:14Z GET /", datetime(2026, 11, 25, 2, 40, 14, tzinfo=UTC)),
    ("2026-11-25T03:40:14.123456789+01:00 started", datetime(2026, 11, 25, 2, 40, 14, 123456, tzinfo=UTC)),
    ("2026-11-24T21:40:14-0500 started", datetime(2026, 11, 25, 2, 40, 14, tzinfo=UTC)),
    ("2026-11-25 02:40:14,123 ERROR [main] x", datetime(2026, 11, 25, 2, 40, 14, 123000, tzinfo=UTC)),
    ("2026-11-25 02:40:14.123 UTC [1] LOG:  database system is ready", datetime(2026, 11, 25, 2, 40, 14, 123000,
                                                                                tzinfo=UTC)),
    # java.util.logging's default (12-hour clock), Tomcat's default
    ("Nov 25, 2026 2:40:14 AM org.example.Main main", datetime(2026, 11, 25, 2, 40, 14, tzinfo=UTC)),
    ("Nov 25, 2026 2:40:14 PM org.example.Main main", datetime(2026, 11, 25, 14, 40, 14, tzinfo=UTC)),
    ("Nov 25, 2026 12:05:00 AM org.example.Main main", datetime(2026, 11, 25, 0, 5, 0, tzinfo=UTC)),
    ("25-Nov-2026 02:40:14.123 INFO [main] org.apache.catalina.startup.Catalina.start Server startup",
     datetime(2026, 11, 25, 2, 40, 14, 123000, tzinfo=UTC)),
    # Go's log package, nginx error log
    ("2026/11/25 02:40:14 [error] 29#29: open() failed", datetime(2026, 11, 25, 2, 40, 14, tzinfo=UTC)),
    # syslog (no year: the reference's)
    ("Nov 25 02:40:14 host app[12]: hello", datetime(2026, 11, 25, 2, 40, 14, tzinfo=UTC)),
    ("Nov  5 02:40:14 host app[12]: hello", datetime(2026, 11, 5, 2, 40, 14, tzinfo=UTC)),
    # glog / klog
    ("I1125 02:40:14.123456       1 main.go:12] starting", datetime(2026, 11, 25, 2, 40, 14, 123456, tzinfo=UTC)),
    # nginx / Apache common and combined log, anywhere in the head
    ('10.0.0.1 - frank [25/Nov/2026:03:40:14 +0100] "GET / HTTP/1.1" 200 612 "-" "curl/8.0"',
     datetime(2026, 11, 25, 2, 40, 14, tzinfo=UTC)),
    # Rust env_logger, Redis
    ("[2026-11-25T02:40:14Z INFO app] ready", datetime(2026, 11, 25, 2, 40, 14, tzinfo=UTC)),
    ("1:M 25 Nov 2026 02:40:14.123 * Ready to accept connections", datetime(2026, 11, 25, 2, 40, 14, 123000,
                                                                              tzinfo=UTC)),
    # JSON: epoch seconds, milliseconds, microseconds, nanoseconds, ISO strings
    ('{"ts":1795574414.5,"msg":"x"}', datetime(2026, 11, 25, 2, 40, 14, 500000, tzinfo=UTC)),
    ('{"msg":"x","time":1795574414123}', datetime(2026, 11, 25, 2, 40, 14, 123000, tzinfo=UTC)),
    ('{"timestamp":1795574414123456}', datetime(2026, 11, 25, 2, 40, 14, 123456, tzinfo=UTC)),
    ('{"t":1795574414123456789}', datetime(2026, 11, 25, 2, 40, 14, 123457, tzinfo=UTC)),
    ('{"@timestamp":"2026-11-25T02:40:14.250Z","message":"x"}', datetime(2026, 11, 25, 2, 40, 14, 250000,
                                                                         tzinfo=UTC)),
    # logfmt
    ('time="2026-11-25T02:40:14Z" level=info msg=hi', datetime(2026, 11, 25, 2, 40, 14, tzinfo=UTC)),
    ("level=info ts=1795574414 msg=hi", datetime(2026, 11, 25, 2, 40, 14, tzinfo=UTC)),
])
def test_finds_what_programs_print(line, expected):
    found = find_app_timestamp(line, reference=REFERENCE)
    assert found == expected
    assert found.tzinfo is not None and found.utcoffset() == timedelta(0)


@pytest.mark.parametrize("line", [
    "", "hello world", "12345 apples", "2026-13-45T99:99:99Z impossible date", '{"ts": 42, "msg": "a counter"}',
    '{"msg": "no time here"}', "Nov 31 02:40:14 not a day", "level=info msg=no-time",
    "\x00\x01binary\ufffd junk",
])
def test_returns_none_when_there_is_no_timestamp(line):
    assert find_app_timestamp(line, reference=REFERENCE) is None


def test_yearless_dates_never_land_in_the_future():
    # A December line read in January belongs to the year before.
    found = find_app_timestamp("Dec 31 23:59:59 host app: bye", reference=datetime(2027, 1, 1, 0, 5, tzinfo=UTC))
    assert found == datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)


def test_original_text_is_untouched():
    line = "2026-11-25 02:40:14,123 INFO kept as is"
    find_app_timestamp(line)
    assert line == "2026-11-25 02:40:14,123 INFO kept as is"


def test_the_collectors_fast_path_agrees_with_the_parser():
    from dockerforge_tui.services.logs.collector import LineDecoder

    stamps = [b"2026-11-25T02:40:14.000000001Z", b"2026-11-25T02:40:14.999999999Z", b"2026-11-25T02:40:15.000000000Z",
              b"2026-11-25T02:40:15.5Z", b"2026-11-25T02:40:15.123456789Z", b"2026-11-26T00:00:00.000000000Z"]
    raw = [("stdout", stamp + b" line %d" % number) for number, stamp in enumerate(stamps)]
    raw.append(("stderr", b"2026-11-26T00:00:00.12345678xZ odd fraction"))
    raw.append(("stderr", b"no timestamp at all \xff"))
    decoder = LineDecoder("c" * 64, "web")
    lines = decoder.decode(raw[:3]) + decoder.decode(raw[3:])
    assert [line.engine_ts_ns for line in lines[:6]] == [parse_engine_timestamp(stamp) for stamp in stamps]
    assert [line.text for line in lines[:6]] == [f"line {number}" for number in range(6)]
    # Garbage never crashes: an unreadable stamp keeps the previous time and the whole text.
    assert lines[6].engine_ts_ns == lines[5].engine_ts_ns and lines[6].text.endswith("odd fraction")
    assert lines[7].text == "no timestamp at all \ufffd" and lines[7].stream == "stderr"
    decoder.container_name = "renamed"
    assert decoder.decode(raw[:1])[0].container_name == "renamed"
