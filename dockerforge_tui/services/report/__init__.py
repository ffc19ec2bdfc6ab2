"""The headless report (``dockerforge report``, ``dockerforge --report``): no dashboard, no Textual.

Typical use::

    from dockerforge_tui.services.report import build_report, collect_analysis, track_issues
    from dockerforge_tui.services.report.render import render

    collected = collect_analysis(connection, ContainerScope(project="shop"), since=since, tail=500)
    tracked = track_issues(store, collected.analysis.observations)
    report = build_report(collected.analysis, now=now, scope=scope, engine=collected.engine,
                          tracked=tracked, redactor=redactor, fail_on="error")
    print(render(report, "text"))

:mod:`.collect` does the engine I/O, :mod:`.build` is pure (what the golden files pin),
:mod:`.render` turns a report into text, Markdown or JSON (``report.schema.json``).

The names below are imported on first use: the CLI builds its parser from
:mod:`.model` and :mod:`.settings` without loading the analyzers and the pattern engine.
``render`` is not among them: once the :mod:`.render` module is imported, the package
attribute of that name is the module, so import the function from the module.
"""

from __future__ import annotations

import importlib
from typing import Any

SCHEMA_FILE_NAME = "report.schema.json"

_LAZY = {
    "build_report": "build", "issues_from_observations": "build",
    "Collected": "collect", "collect_analysis": "collect", "track_issues": "collect",
    "FORMATS": "model", "SCHEMA_NAME": "model", "SCHEMA_VERSION": "model", "Report": "model", "ReportScope": "model",
    "report_data": "render",
}

__all__ = ["SCHEMA_FILE_NAME", *sorted(_LAZY)]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
