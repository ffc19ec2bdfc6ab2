"""The public entry point of the log pattern engine, for other code, tests and scripts.

::

    from dockerforge_tui.analysis import detect

    for finding in detect(lines):
        print(finding.line_index, finding.category, finding.severity, finding.pattern_id, finding.message)

The engine itself lives in :mod:`dockerforge_tui.services.logs`; this module only
re-exports what a caller needs, so the service layer can move without breaking them.
It imports no Textual and no Docker SDK.
"""

from __future__ import annotations

from dockerforge_tui.services.logs import (
    ENGINES,
    Finding,
    PatternSet,
    available_engines,
    default_patterns,
    detect,
    load_patterns,
    prepare,
)

__all__ = ["ENGINES", "Finding", "PatternSet", "available_engines", "default_patterns", "detect",
           "load_patterns", "prepare"]
