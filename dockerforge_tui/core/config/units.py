"""Durations and byte sizes as people write them in a config file.

``parse_duration("1h30m")`` gives seconds as a float and ``parse_byte_size("10MB")``
gives bytes as an int. :data:`Duration` and :data:`ByteSize` wrap them as pydantic
field types, so a bad value fails validation with a message that says what was expected.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer
from pydantic_core import PydanticCustomError

DURATION_EXPECTED = "expected a duration like 10s"
BYTE_SIZE_EXPECTED = "expected a size like 10MB"

# Seconds per unit. Long spellings are accepted because people write "5min" and "2 hours".
_DURATION_UNITS: dict[str, float] = {
    "ms": 0.001, "msec": 0.001, "msecs": 0.001, "millisecond": 0.001, "milliseconds": 0.001,
    "s": 1.0, "sec": 1.0, "secs": 1.0, "second": 1.0, "seconds": 1.0,
    "m": 60.0, "min": 60.0, "mins": 60.0, "minute": 60.0, "minutes": 60.0,
    "h": 3600.0, "hr": 3600.0, "hrs": 3600.0, "hour": 3600.0, "hours": 3600.0,
    "d": 86400.0, "day": 86400.0, "days": 86400.0,
}
# Longest spellings first, so "ms" is never read as "m" followed by junk.
_UNIT_ALTERNATIVES = "|".join(sorted(map(re.escape, _DURATION_UNITS), key=len, reverse=True))
_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)"
_DURATION_PART = re.compile(rf"\s*({_NUMBER})\s*({_UNIT_ALTERNATIVES})(?![a-z])")
_PLAIN_NUMBER = re.compile(rf"\s*{_NUMBER}\s*")

# Bytes per unit: SI prefixes are powers of 1000 and IEC prefixes (KiB) powers of 1024,
# as in Docker's own size parser; a bare letter (10m) is SI like `docker --log-opt max-size`.
_BYTE_UNITS: dict[str, int] = {
    "": 1, "b": 1,
    "k": 1000, "kb": 1000, "m": 1000**2, "mb": 1000**2,
    "g": 1000**3, "gb": 1000**3, "t": 1000**4, "tb": 1000**4,
    "kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4,
}
_BYTE_SIZE = re.compile(rf"\s*({_NUMBER})\s*([a-z]*)\s*")


def parse_duration(value: Any) -> float:
    """Return ``value`` in seconds.

    Accepts a number of seconds (``10``, ``1.5``, ``"10"``) or a string of one or more
    number-unit parts (``"500ms"``, ``"10s"``, ``"1m"``, ``"1h30m"``, ``"2 hours"``);
    units are ms, s, m, h, d (case-insensitive). Raises :class:`ValueError` for anything
    else, negative values included.
    """
    if isinstance(value, bool):  # YAML's true is an int to Python, never a duration
        raise ValueError(DURATION_EXPECTED)
    if isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str):
        seconds = _parse_duration_text(value.lower())
    else:
        raise ValueError(DURATION_EXPECTED)
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(DURATION_EXPECTED)
    return seconds


def _parse_duration_text(text: str) -> float:
    if _PLAIN_NUMBER.fullmatch(text):
        return float(text)
    total = 0.0
    position = 0
    for match in _DURATION_PART.finditer(text):
        if match.start() != position:
            raise ValueError(DURATION_EXPECTED)
        total += float(match.group(1)) * _DURATION_UNITS[match.group(2)]
        position = match.end()
    if position == 0 or text[position:].strip():
        raise ValueError(DURATION_EXPECTED)
    return total


def format_duration(seconds: float) -> str:
    """Write ``seconds`` the way a config file would (``"1h30m"``, ``"500ms"``); inverse of :func:`parse_duration`."""
    milliseconds = round(seconds * 1000)
    if seconds < 0 or not math.isclose(milliseconds / 1000, seconds, abs_tol=1e-9):
        return f"{seconds!r}s"  # finer than a millisecond: keep every digit
    if milliseconds < 1000:
        return f"{milliseconds}ms"
    hours, rest = divmod(milliseconds, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    parts = []
    if hours:
        parts.append(f"{hours}h")
    if minutes:
        parts.append(f"{minutes}m")
    if rest:
        parts.append(f"{rest / 1000:g}s")
    return "".join(parts)


def parse_byte_size(value: Any) -> int:
    """Return ``value`` in bytes.

    Accepts a whole number of bytes (``1048576``) or a number with a unit
    (``"10MB"`` = 10,000,000, ``"512KiB"`` = 524,288, ``"1.5GB"``); units are B, KB, MB,
    GB, TB (powers of 1000), KiB, MiB, GiB, TiB (powers of 1024), case-insensitive.
    Raises :class:`ValueError` for anything else, negative or fractional byte counts included.
    """
    if isinstance(value, bool):
        raise ValueError(BYTE_SIZE_EXPECTED)
    if isinstance(value, int):
        size: float = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise ValueError(BYTE_SIZE_EXPECTED)
        size = value
    elif isinstance(value, str):
        match = _BYTE_SIZE.fullmatch(value.lower())
        if match is None or match.group(2) not in _BYTE_UNITS:
            raise ValueError(BYTE_SIZE_EXPECTED)
        size = float(match.group(1)) * _BYTE_UNITS[match.group(2)]
        if not match.group(2) and not size.is_integer():
            raise ValueError(BYTE_SIZE_EXPECTED)
    else:
        raise ValueError(BYTE_SIZE_EXPECTED)
    if size < 0 or not math.isfinite(size):
        raise ValueError(BYTE_SIZE_EXPECTED)
    return int(round(size))


def _validate_duration(value: Any) -> float:
    try:
        return parse_duration(value)
    except ValueError:
        raise PydanticCustomError("duration", DURATION_EXPECTED) from None


def _validate_byte_size(value: Any) -> int:
    try:
        return parse_byte_size(value)
    except ValueError:
        raise PydanticCustomError("byte_size", BYTE_SIZE_EXPECTED) from None


Duration = Annotated[
    float,
    BeforeValidator(_validate_duration),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
]
"""Seconds as a float; written in config as ``"10s"``, ``"1h30m"`` or a plain number of seconds.

JSON serialisation writes it back as a duration string, so ``config show`` output is valid config.
"""

ByteSize = Annotated[int, BeforeValidator(_validate_byte_size)]
"""Bytes as an int; written in config as ``"10MB"``, ``"512KiB"`` or a plain number of bytes."""
