"""Container-log line prefixes (compose service names, ``docker logs -t`` stamps, BuildKit steps).

Patterns are written against what the program printed; these helpers let them
ignore what Docker, Compose, kubectl or BuildKit put in front of it. The prefix
shapes themselves are data, in ``detection.yaml``.
"""

from __future__ import annotations

import re
from functools import lru_cache

from dockerforge_tui.services.logs.settings import detection_settings


@lru_cache(maxsize=1)
def prefix_regex_source() -> str:
    """The regex (Python and Hyperscan syntax) of all optional prefixes, in order."""
    parts = [f"(?:{part.regex})?" for part in detection_settings().line_prefixes]
    return "".join(parts)


@lru_cache(maxsize=1)
def _prefix_re() -> re.Pattern[str]:
    return re.compile(prefix_regex_source(), re.ASCII)


def prefix_length(line: str) -> int:
    """Length of the container-log prefix at the start of ``line`` (0 when there is none)."""
    match = _prefix_re().match(line)
    return match.end() if match else 0


def strip_prefix(line: str) -> str:
    """Return ``line`` without its container-log prefix."""
    return line[prefix_length(line) :]


def anchor_to_message(regex: str) -> str:
    """Rewrite every ``^`` outside a character class to mean "start of the message".

    ``^Killed$`` becomes ``^(?:prefixes)?Killed$``, so it also matches
    ``api-1  | Killed``. Both engines compile the rewritten form, with multi-line
    semantics, which keeps their results identical.
    """
    prefix = prefix_regex_source()
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(regex):
        char = regex[i]
        if char == "\\":
            out.append(regex[i : i + 2])
            i += 2
            continue
        if in_class:
            if char == "]" and not _class_just_opened(regex, i):
                in_class = False
            out.append(char)
        elif char == "[":
            in_class = True
            out.append(char)
        elif char == "^":
            out.append("^" + prefix)
        else:
            out.append(char)
        i += 1
    return "".join(out)


def _class_just_opened(regex: str, index: int) -> bool:
    """True when the ``]`` at ``index`` is a literal right after ``[`` or ``[^``."""
    before = regex[:index]
    return before.endswith("[") and not before.endswith("\\[") or before.endswith("[^") and not before.endswith("\\[^")
