"""The report's defaults and limits, read once from ``report.yaml``."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path


from dockerforge_tui.core.config.units import parse_duration
from dockerforge_tui.core.yaml_data import load_yaml

REPORT_SETTINGS_FILE = Path(__file__).with_name("report.yaml")


@dataclass(frozen=True)
class ReportSettings:
    """The whole ``report.yaml`` (durations in seconds)."""

    report_since: float
    report_tail: int
    analyze_tail: int
    events_without_since: float
    inspect_workers: int
    log_workers: int
    evidence_lines: int
    max_next_steps: int
    max_line_chars: int
    next_step_actions: frozenset[str]


@lru_cache(maxsize=1)
def report_settings() -> ReportSettings:
    """The packaged report settings (a malformed file is a packaging bug: ``RuntimeError``)."""
    data = load_yaml(REPORT_SETTINGS_FILE.read_text(encoding="utf-8"))
    try:
        collect, render = data["collect"], data["render"]
        return ReportSettings(
            report_since=parse_duration(collect["report_since"]),
            report_tail=int(collect["report_tail"]),
            analyze_tail=int(collect["analyze_tail"]),
            events_without_since=parse_duration(collect["events_without_since"]),
            inspect_workers=int(collect["inspect_workers"]),
            log_workers=int(collect["log_workers"]),
            evidence_lines=int(render["evidence_lines"]),
            max_next_steps=int(render["max_next_steps"]),
            max_line_chars=int(render["max_line_chars"]),
            next_step_actions=frozenset(render["next_step_actions"]),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise RuntimeError(f"{REPORT_SETTINGS_FILE}: {error}") from error
