"""The headless report (``dockerforge report``, ``dockerforge --report``): no dashboard, no Textual.

Typical use::

    from dockerforge_tui.services.report import build_report, collect_analysis, render

    collected = collect_analysis(connection, ContainerScope(project="shop"), since=since, tail=500)
    tracked = track_issues(store, collected.analysis.observations)
    report = build_report(collected.analysis, now=now, scope=scope, engine=collected.engine,
                          tracked=tracked, redactor=redactor, fail_on="error")
    print(render(report, "text"))

:mod:`.collect` does the engine I/O, :mod:`.build` is pure (what the golden files pin),
:mod:`.render` turns a report into text, Markdown or JSON (``report.schema.json``).
"""

from __future__ import annotations

from dockerforge_tui.services.report.build import build_report, issues_from_observations
from dockerforge_tui.services.report.collect import Collected, collect_analysis, track_issues
from dockerforge_tui.services.report.model import SCHEMA_NAME, SCHEMA_VERSION, Report, ReportScope
from dockerforge_tui.services.report.render import FORMATS, render, report_data

SCHEMA_FILE_NAME = "report.schema.json"

__all__ = [
    "Collected", "FORMATS", "Report", "ReportScope", "SCHEMA_FILE_NAME", "SCHEMA_NAME", "SCHEMA_VERSION",
    "build_report", "collect_analysis", "issues_from_observations", "render", "report_data", "track_issues",
]
