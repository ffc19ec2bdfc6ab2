"""Recognise a log line's level (error, warn, info, debug) from the common ways programs print it.

:func:`detect_level` runs once per collected line, so it is built for speed: a few
small regular expressions (made from the words in ``levels.yaml``), each searched over
the line's first ``head_chars`` characters only when a character its form needs is
there (``=`` for ``level=warn``, ``"`` for JSON, a bracket, an uppercase letter). The
words themselves are data, in ``levels.yaml``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path


from dockerforge_tui.core.yaml_data import load_yaml

LEVELS_FILE = Path(__file__).with_name("levels.yaml")
LEVELS = ("error", "warn", "info", "debug")
"""Every level :func:`detect_level` returns, most severe first."""


@dataclass(frozen=True)
class LevelRules:
    """``levels.yaml``, compiled: one small regular expression per place a level is expected."""

    words: dict[str, str]
    """Lowercase word -> level."""
    numeric: tuple[tuple[int, str], ...]
    """(threshold, level), highest threshold first."""
    glog: dict[str, str]
    """glog header letter -> level."""
    head_chars: int
    upper: re.Pattern[str]
    """Uppercase level words (boundaries are checked in code: a leading ``\\b`` would stop the
    regex engine from skipping ahead by first character)."""
    json: re.Pattern[str]
    pair: re.Pattern[str]
    bracket: re.Pattern[str]
    start: re.Pattern[str]


def _alternation(words: list[str]) -> str:
    # Longest first, so "warning" is preferred to "warn" when both could match.
    return "|".join(re.escape(word) for word in sorted(set(words), key=lambda w: (-len(w), w)))


@lru_cache(maxsize=1)
def level_rules() -> LevelRules:
    """Load and compile ``levels.yaml`` (cached: the file ships with the package)."""
    data = load_yaml(LEVELS_FILE.read_text(encoding="utf-8"))
    words: dict[str, str] = {}
    for level, names in data["levels"].items():
        if level not in LEVELS:
            raise ValueError(f"{LEVELS_FILE}: unknown level {level!r}; use one of {', '.join(LEVELS)}")
        for name in names:
            words[str(name).lower()] = level
    context_only = {str(word).lower() for word in data.get("context_only", ())}
    every_word = _alternation(list(words))
    keys = _alternation([str(key).lower() for key in data["keys"]])
    numeric = tuple(sorted(((int(k), str(v)) for k, v in data["numeric"].items()), reverse=True))
    # All but ``upper`` run on the lowercased head, so they need no case-insensitive flag.
    return LevelRules(
        words=words, numeric=numeric, glog={str(k): str(v) for k, v in data["glog"].items()},
        head_chars=int(data["head_chars"]),
        upper=re.compile(_alternation([word.upper() for word in words if word not in context_only])),
        json=re.compile(rf'"(?:{keys})"\s*:\s*(?:"({every_word})"|(\d+)\b)'),
        pair=re.compile(rf'(?:{keys})="?({every_word})\b'),
        bracket=re.compile(rf'[\[<](?:\w+:)?({every_word})[\]>]'),
        start=re.compile(rf'({every_word}):'),
    )


def _number_level(number: int, numeric: tuple[tuple[int, str], ...]) -> str | None:
    for threshold, level in numeric:
        if number >= threshold:
            return level
    return None


def _is_glog_header(text: str) -> bool:
    # "E1125 02:40:14.123456" : level letter, MMDD, space, hh:
    return len(text) > 8 and text[1:5].isdigit() and text[5] == " " and text[8] == ":"


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def detect_level(text: str) -> str | None:
    """Return ``"error"``, ``"warn"``, ``"info"``, ``"debug"`` or None for one log line.

    The earliest level in the line's head wins, in any of the forms ``levels.yaml``
    describes: an uppercase word (``2026-11-25 02:40:14,123 ERROR ...``), JSON
    (``"level":"warn"``, pino's ``"level":50``; the whole object is searched), logfmt
    (``level=warn``), brackets (``[error]``, ``[core:error]``), ``error:`` at the start, or
    a glog header (``E1125 02:40:14...``).

    Each form costs a regex search only when a character it needs is present, so a line
    without ``=``, ``"``, brackets or uppercase letters is answered by a few ``in`` tests.
    """
    rules = _RULES
    first = text[:1]
    if first in rules.glog and _is_glog_header(text):
        return rules.glog[first]
    head = text[:rules.head_chars]
    lower = head.lower()
    words = rules.words
    level = None
    position = len(head)
    if lower != head:  # some uppercase letter: maybe ERROR, WARN...
        upper = rules.upper
        match = upper.search(head)
        while match is not None:
            start, end = match.span()
            if (start == 0 or not _is_word_char(head[start - 1])) and (end == len(head)
                                                                         or not _is_word_char(head[end])):
                if start == 0:
                    return words[match.group().lower()]
                position, level = start, words[match.group().lower()]
                break
            match = upper.search(head, start + 1)
    if '"' in head:
        if first == "{":  # JSON: the level key may come after a long message
            match = rules.json.search(text[:1024].lower())
            if match is not None:
                word, number = match.groups()
                return words[word] if word else _number_level(int(number), rules.numeric)
        else:
            match = rules.json.search(lower, 0, position)
            if match is not None:
                word, number = match.groups()
                position, level = match.start(), words[word] if word else _number_level(int(number), rules.numeric)
    if "=" in head:
        match = rules.pair.search(lower, 0, position)
        if match is not None:
            position, level = match.start(), words[match.group(1)]
    if "[" in head or "<" in head:
        match = rules.bracket.search(lower, 0, position)
        if match is not None:
            position, level = match.start(), words[match.group(1)]
    if ":" in head[:16]:
        match = rules.start.match(lower)
        if match is not None:
            return words[match.group(1)]
    return level


_RULES: LevelRules = level_rules()  # loaded at import: the per-line path makes no cache lookup
