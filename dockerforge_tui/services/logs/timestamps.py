"""Timestamps of log lines, normalised to UTC: the engine's own, and those programs print.

The engine prefixes every line it serves (``timestamps=True``) with RFC 3339 time to the
nanosecond, always in the same fixed layout; :func:`parse_engine_timestamp` reads it with
a cache of the seconds part, so consecutive lines of one second cost two slices and an
``int``. :func:`find_app_timestamp` recognises what programs print themselves (ISO 8601,
syslog, nginx/Apache common log, glog, Redis, epoch numbers in JSON or logfmt); the
formats are data, in ``timestamps.yaml``, and each line only tries the few whose first
character fits. The line's text is never rewritten: these functions only read it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path


from dockerforge_tui.core.yaml_data import load_yaml

FORMATS_FILE = Path(__file__).with_name("timestamps.yaml")

NANOS_PER_SECOND = 1_000_000_000
_EPOCH = datetime(1970, 1, 1)
_ONE_SECOND = timedelta(seconds=1)
_MONTHS = {name: number for number, name in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), start=1)}
# Epoch numbers outside 2000..2100 are counters or durations, not times.
_EPOCH_MIN, _EPOCH_MAX = 946_684_800, 4_102_444_800

# The engine's layout (Go's RFC3339NanoFixed): 2026-11-25T02:40:14.123456789Z
ENGINE_TIMESTAMP_LENGTH = 30
_ENGINE_GENERAL = re.compile(
    rb"(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?([Zz]|[+-]\d\d:\d\d)")

_seconds_cache: dict[bytes, int] = {}
_SECONDS_CACHE_LIMIT = 4096


def _epoch_seconds(key: bytes) -> int:
    """Seconds since the epoch of ``YYYY-MM-DDTHH:MM:SS`` (UTC), cached."""
    seconds = _seconds_cache.get(key)
    if seconds is None:
        if len(key) != 19 or key[4] != 45 or key[7] != 45 or key[10] not in (84, 116) \
                or key[13] != 58 or key[16] != 58:  # - - T : :
            raise ValueError(f"not an engine timestamp: {key!r}")
        moment = datetime(int(key[0:4]), int(key[5:7]), int(key[8:10]),
                          int(key[11:13]), int(key[14:16]), int(key[17:19]))
        seconds = (moment - _EPOCH) // _ONE_SECOND
        if len(_seconds_cache) >= _SECONDS_CACHE_LIMIT:
            _seconds_cache.clear()
        _seconds_cache[key] = seconds
    return seconds


def parse_engine_timestamp(prefix: bytes | str) -> int:
    """Nanoseconds since the epoch (UTC) of the engine's line prefix ``2026-11-25T02:40:14.123456789Z``.

    Shorter fractions and explicit offsets (``+01:00``) are accepted too. Raises
    ``ValueError`` when ``prefix`` is not an RFC 3339 timestamp.
    """
    raw = prefix.encode("ascii", "replace") if isinstance(prefix, str) else bytes(prefix)
    raw = raw.strip()
    if len(raw) == ENGINE_TIMESTAMP_LENGTH and raw[19] == 46 and raw[29] in (90, 122):  # "." and "Z"
        fraction = raw[20:29]
        if fraction.isdigit():
            return _epoch_seconds(raw[:19]) * NANOS_PER_SECOND + int(fraction)
    match = _ENGINE_GENERAL.fullmatch(raw)
    if match is None:
        raise ValueError(f"not an engine timestamp: {prefix!r}")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    seconds = _epoch_seconds(b"%s-%s-%sT%s:%s:%s" % (year, month, day, hour, minute, second))
    if zone not in (b"Z", b"z"):
        sign = -1 if zone[:1] == b"-" else 1
        seconds -= sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
    nanos = int(fraction.ljust(9, b"0")) if fraction else 0
    return seconds * NANOS_PER_SECOND + nanos


def split_engine_line(raw: bytes) -> tuple[int, int]:
    """Parse the timestamp a line from the engine starts with: ``(nanoseconds, index where the text starts)``.

    Raises ``ValueError`` when the line does not start with a timestamp and a space.
    """
    space = raw.find(b" ", 0, 40)
    if space < 0:
        raise ValueError(f"no engine timestamp at the start of {raw[:40]!r}")
    return parse_engine_timestamp(raw[:space]), space + 1


def engine_time(nanos: int) -> datetime:
    """An aware UTC datetime (microsecond precision) for nanoseconds since the epoch."""
    return datetime.fromtimestamp(nanos // 1000 / 1_000_000, tz=timezone.utc)


def format_engine_since(nanos: int) -> str:
    """``nanos`` as the engine's ``since`` parameter (``seconds.nanoseconds``, exact)."""
    return f"{nanos // NANOS_PER_SECOND}.{nanos % NANOS_PER_SECOND:09d}"


# --- timestamps programs print ------------------------------------------------------------


@dataclass(frozen=True)
class TimestampFormat:
    """One layout from ``timestamps.yaml``."""

    name: str
    regex: re.Pattern[str]
    first: str = ""
    """Characters a line must start with for this format to be tried."""
    marker: str | None = None
    """For formats found anywhere in the head: a substring the head must contain."""


@dataclass(frozen=True)
class TimestampRules:
    """``timestamps.yaml``, compiled."""

    head_chars: int
    by_first: dict[str, tuple[TimestampFormat, ...]]
    anywhere: tuple[TimestampFormat, ...]
    formats: tuple[TimestampFormat, ...]
    json_regex: re.Pattern[str]
    logfmt_regex: re.Pattern[str]


@lru_cache(maxsize=1)
def timestamp_rules() -> TimestampRules:
    """Load and compile ``timestamps.yaml`` (cached: the file ships with the package)."""
    data = load_yaml(FORMATS_FILE.read_text(encoding="utf-8"))
    formats = []
    for item in data["formats"]:
        formats.append(TimestampFormat(name=item["name"], regex=re.compile(item["regex"]),
                                       first=str(item.get("first", "")),
                                       marker=item.get("marker") if item.get("anywhere") else None))
    by_first: dict[str, list[TimestampFormat]] = {}
    for layout in formats:
        for char in layout.first:
            by_first.setdefault(char, []).append(layout)
    json_keys = "|".join(re.escape(key) for key in data["json_keys"])
    logfmt_keys = "|".join(re.escape(key) for key in data["logfmt_keys"])
    value = r'(?:"(?P<text>[^"]{1,64})"|(?P<number>-?\d+(?:\.\d+)?))'
    return TimestampRules(
        head_chars=int(data["head_chars"]),
        by_first={char: tuple(layouts) for char, layouts in by_first.items()},
        anywhere=tuple(layout for layout in formats if layout.marker is not None),
        formats=tuple(formats),
        json_regex=re.compile(rf'"(?:{json_keys})"\s*:\s*{value}'),
        logfmt_regex=re.compile(
            rf'(?<![\w.@-])(?:{logfmt_keys})=(?:"(?P<text>[^"]{{1,64}})"|(?P<bare>[^\s"]{{1,40}}))'),
    )


def _zone(text: str | None) -> timezone:
    if not text or text in ("Z", "UTC", "GMT"):
        return timezone.utc
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _build(match: re.Match[str], reference: datetime | None) -> datetime | None:
    parts = match.groupdict()
    month_name = parts.get("month_name")
    try:
        month = _MONTHS[month_name] if month_name else int(parts["month"])
        fraction = parts.get("fraction") or ""
        year_text = parts.get("year")
        year = int(year_text) if year_text else (reference or datetime.now(timezone.utc)).year
        hour = int(parts["hour"])
        if parts.get("ampm"):  # 12-hour clock: 12:xx AM is 00:xx, 12:xx PM stays 12:xx
            hour = hour % 12 + (12 if parts["ampm"] == "PM" else 0)
        moment = datetime(year, month, int(parts["day"]), hour, int(parts["minute"]),
                          int(parts["second"]), int(fraction[:6].ljust(6, "0")) if fraction else 0,
                          tzinfo=_zone(parts.get("zone")))
    except (ValueError, KeyError, TypeError):
        return None
    if not year_text:
        # No year printed: the reference's year, or the one before when that lands in the future
        # (a December line read in January).
        now = reference or datetime.now(timezone.utc)
        if moment - now > timedelta(days=1):
            try:
                moment = moment.replace(year=moment.year - 1)
            except ValueError:  # 29 February
                return None
    return moment.astimezone(timezone.utc)


def _from_epoch(number: str) -> datetime | None:
    value = float(number)
    for scale in (1, 1_000, 1_000_000, 1_000_000_000):
        seconds = value / scale
        if _EPOCH_MIN <= seconds <= _EPOCH_MAX:
            return datetime.fromtimestamp(seconds, tz=timezone.utc)
        if seconds < _EPOCH_MIN:
            return None
    return None


def _from_text(text: str, reference: datetime | None) -> datetime | None:
    """A timestamp that is the whole of ``text`` (a JSON or logfmt value)."""
    rules = timestamp_rules()
    if text[:1].isdigit() and text.replace(".", "", 1).isdigit():
        return _from_epoch(text)
    for layout in rules.by_first.get(text[:1], ()):
        match = layout.regex.match(text)
        if match is not None:
            return _build(match, reference)
    return None


def find_app_timestamp(text: str, reference: datetime | None = None) -> datetime | None:
    """The time a program printed in its own line, as an aware UTC datetime, or None.

    Recognised: ISO 8601 (``2026-11-25T02:40:14.123+01:00``, ``2026-11-25 02:40:14,123``
    from Python's logging and log4j), ``2026/11/25 02:40:14``, syslog ``Nov 25 02:40:14``,
    glog ``I1125 02:40:14.123456``, Redis, nginx/Apache ``[25/Nov/2026:02:40:14 +0000]``
    anywhere in the head, and JSON or logfmt keys (``"ts": 1764038414.5``,
    ``"time": "2026-..."``, ``ts=...``) whose numbers are epoch seconds, milliseconds,
    microseconds or nanoseconds. Formats without a year take ``reference``'s (default: now);
    formats without a zone are read as UTC.
    """
    rules = timestamp_rules()
    first = text[:1]
    if first == "{":
        match = rules.json_regex.search(text, 0, 1024)
        if match is not None:
            value = match.group("text")
            return _from_text(value, reference) if value is not None else _from_epoch(match.group("number"))
        return None
    head = text[:rules.head_chars]
    for layout in rules.by_first.get(first, ()):
        match = layout.regex.match(head)
        if match is not None:
            return _build(match, reference)
    for layout in rules.anywhere:
        if layout.marker in head:
            match = layout.regex.search(head)
            if match is not None:
                return _build(match, reference)
    if "=" in head:
        match = rules.logfmt_regex.search(head)
        if match is not None:
            return _from_text(match.group("text") or match.group("bare"), reference)
    return None
