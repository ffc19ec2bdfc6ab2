"""The engine's own data (categories, prefixes, block rules), read from ``detection.yaml``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path


from dockerforge_tui.core.yaml_data import load_yaml

SETTINGS_FILE = Path(__file__).with_name("detection.yaml")


@dataclass(frozen=True)
class LinePrefix:
    """One optional thing Docker or a tool puts in front of a log line."""

    name: str
    regex: str


@dataclass(frozen=True)
class BlockRules:
    """How consecutive lines join into one multi-line unit (traceback, stack trace)."""

    max_lines: int
    continuation: re.Pattern[str]
    closing: re.Pattern[str]


@dataclass(frozen=True)
class DetectionSettings:
    """Everything in ``detection.yaml``."""

    categories: dict[str, str]
    """Category id -> one-line description."""
    severities: tuple[str, ...]
    """Severity names, lowest first."""
    generic_categories: frozenset[str]
    """Categories that yield to any more specific finding in the same unit."""
    line_prefixes: tuple[LinePrefix, ...]
    ignore_lines: re.Pattern[str]
    """Messages never reported (passing test names, access-log lines)."""
    blocks: BlockRules


def _alternation(regexes: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{regex})" for regex in regexes), re.ASCII)


@lru_cache(maxsize=1)
def detection_settings() -> DetectionSettings:
    """Load and return the packaged engine settings (cached; the file ships with the package)."""
    data = load_yaml(SETTINGS_FILE.read_text(encoding="utf-8"))
    blocks = data["blocks"]
    return DetectionSettings(
        categories=dict(data["categories"]),
        severities=tuple(data["severities"]),
        generic_categories=frozenset(data["generic_categories"]),
        line_prefixes=tuple(LinePrefix(item["name"], item["regex"]) for item in data["line_prefixes"]),
        ignore_lines=_alternation(data["ignore_lines"]),
        blocks=BlockRules(
            max_lines=int(blocks["max_lines"]),
            continuation=_alternation(blocks["continuation"]),
            closing=_alternation(blocks["closing"]),
        ),
    )
