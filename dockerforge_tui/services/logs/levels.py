"""Recognise a log line's level (error, warn, info, debug) from the common ways programs print it.

:func:`detect_level` runs once per collected line, so it is built for speed: one
compiled regular expression (made from the words in ``levels.yaml``) searched over the
line's first ``head_chars`` characters, after cheap character checks that answer most
lines without it. The words themselves are data, in ``levels.yaml``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

LEVELS_FILE = Path(__file__).with_name("levels.yaml")
LEVELS = ("error", "warn", "info", "debug")
"""Every level :func:`detect_level` returns, most severe first."""


@dataclass(frozen=True)
class LevelRules:
    """``levels.yaml``, compiled."""

    words: dict[str, str]
    """Lowercase word -> level."""
    numeric: tuple[tuple[int, str], ...]
    """(threshold, level), highest threshold first."""
    glog: dict[str, str]
    """glog header letter -> level."""
    head_chars: int
    regex: re.Pattern[str]


def _alternation(words: list[str]) -> str:
    # Longest first, so "warning" is preferred to "warn" when both could match.
    return "|".join(re.escape(word) for word in sorted(set(words), key=lambda w: (-len(w), w)))


@lru_cache(maxsize=1)
def level_rules() -> LevelRules:
    """Load and compile ``levels.yaml`` (cached: the file ships with the package)."""
    data = yaml.safe_load(LEVELS_FILE.read_text(encoding="utf-8"))
    words: dict[str, str] = {}
    for level, names in data["levels"].items():
        if level not in LEVELS:
            raise ValueError(f"{LEVELS_FILE}: unknown level {level!r}; use one of {', '.join(LEVELS)}")
        for name in names:
            words[str(name).lower()] = level
    context_only = {str(word).lower() for word in data.get("context_only", ())}
    every_word = _alternation(list(words))
    upper_words = _alternation([word.upper() for word in words if word not in context_only])
    keys = _alternation([str(key) for key in data["keys"]])
    # One alternative per place a level is expected; each has exactly one named group
    # holding the level word (or number), so ``lastgroup`` says which one matched.
    regex = re.compile(
        "|".join([
            rf'"(?i:{keys})"\s*:\s*(?:"(?P<json>(?i:{every_word}))"|(?P<number>\d+)\b)',
            rf'(?<![\w.@-])(?i:{keys})="?(?P<pair>(?i:{every_word}))\b',
            rf'[\[<](?:\w+:)?(?P<bracket>(?i:{every_word}))[\]>]',
            rf'^(?P<start>(?i:{every_word})):',
            rf'\b(?P<upper>{upper_words})\b',
        ])
    )
    numeric = tuple(sorted(((int(k), str(v)) for k, v in data["numeric"].items()), reverse=True))
    return LevelRules(words=words, numeric=numeric, glog={str(k): str(v) for k, v in data["glog"].items()},
                      head_chars=int(data["head_chars"]), regex=regex)


def _number_level(number: int, numeric: tuple[tuple[int, str], ...]) -> str | None:
    for threshold, level in numeric:
        if number >= threshold:
            return level
    return None


def _is_glog_header(text: str) -> bool:
    # "E1125 02:40:14.123456" : level letter, MMDD, space, hh:
    return len(text) > 8 and text[1:5].isdigit() and text[5] == " " and text[8] == ":"


def detect_level(text: str) -> str | None:
    """Return ``"error"``, ``"warn"``, ``"info"``, ``"debug"`` or None for one log line.

    The first level found in the line's head wins, in any of the forms ``levels.yaml``
    describes: JSON (``"level":"warn"``, pino's ``"level":50``), logfmt (``level=warn``),
    brackets (``[ERROR]``, ``[core:error]``), ``error:`` at the start, an uppercase word
    (``2026-11-25 02:40:14,123 ERROR ...``), or a glog header (``E1125 02:40:14...``).
    """
    rules = _RULES or level_rules()
    first = text[:1]
    if first in rules.glog and _is_glog_header(text):
        return rules.glog[first]
    match = rules.regex.search(text, 0, rules.head_chars)
    if match is None:
        return None
    group = match.lastgroup
    if group == "number":
        return _number_level(int(match.group("number")), rules.numeric)
    return rules.words.get(match.group(group).lower())  # type: ignore[arg-type]


_RULES: LevelRules | None = None


def _preload() -> None:
    # Loading at import keeps the per-line path free of a cache lookup.
    global _RULES
    _RULES = level_rules()


_preload()
