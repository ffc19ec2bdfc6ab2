"""Container log services: the pattern engine that recognises known failures.

Public entry points::

    from dockerforge_tui.services.logs import detect, load_patterns

    findings = detect(lines)                       # packaged patterns, fastest engine
    findings = detect(lines, load_patterns(user_dir), engine="python")
"""

from __future__ import annotations

from dockerforge_tui.services.logs.detect import (
    ENGINES,
    Finding,
    available_engines,
    detect,
    prepare,
    resolve_engine,
)
from dockerforge_tui.services.logs.pattern_set import (
    Pattern,
    PatternSet,
    default_patterns,
    load_patterns,
)
from dockerforge_tui.services.logs.settings import detection_settings

__all__ = [
    "ENGINES",
    "Finding",
    "Pattern",
    "PatternSet",
    "available_engines",
    "default_patterns",
    "detect",
    "detection_settings",
    "load_patterns",
    "prepare",
    "resolve_engine",
]
