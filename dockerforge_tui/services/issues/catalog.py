"""The packaged data of the issue services, read once: categories, exit codes, actions and defaults.

Everything here comes from YAML files beside this module (``categories.yaml``,
``recommend.yaml``, ``defaults.yaml``); a malformed file is a packaging bug, which the
unit tests catch, so loading raises a plain ``RuntimeError`` naming the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any


from dockerforge_tui.services.logs.settings import detection_settings
from dockerforge_tui.core.yaml_data import load_yaml

DATA_DIR = Path(__file__).parent
CATEGORIES_FILE = DATA_DIR / "categories.yaml"
RECOMMEND_FILE = DATA_DIR / "recommend.yaml"
DEFAULTS_FILE = DATA_DIR / "defaults.yaml"

STATE_CATEGORIES: tuple[str, ...] = ("container_exited", "restart_loop", "unhealthy", "never_healthy")
"""Categories only container state and engine events reveal (the log categories are in ``detection.yaml``)."""

ACTION_KINDS: tuple[str, ...] = ("restart", "recreate_with_memory", "free_port", "update_restart_policy")


@dataclass(frozen=True)
class RecommendationTemplate:
    """A recommendation as written in the catalog: ``command`` may hold ``{container}``-style placeholders."""

    text: str
    command: str | None = None


@dataclass(frozen=True)
class CategoryInfo:
    """What the catalog says about one category."""

    id: str
    title: str
    severity: str | None = None
    explanation: str = ""
    recommendations: tuple[RecommendationTemplate, ...] = ()
    actions: tuple[str, ...] = ()
    """Kinds of :class:`SuggestedAction` that can fix an issue of this category."""


@dataclass(frozen=True)
class ActionInfo:
    """How one kind of action is summarised, plus its tuning values from the catalog."""

    kind: str
    summary: str
    options: tuple[tuple[str, Any], ...] = ()

    def option(self, name: str, default: Any = None) -> Any:
        """One tuning value (``factor``, ``policy``...), or ``default``."""
        for key, value in self.options:
            if key == name:
                return value
        return default


@dataclass(frozen=True)
class Catalog:
    """The whole ``categories.yaml``."""

    categories: dict[str, CategoryInfo]
    exit_codes: dict[int, str]
    expected_exit_codes: frozenset[int]
    warning_exit_codes: frozenset[int]
    actions: dict[str, ActionInfo]

    def category(self, category_id: str) -> CategoryInfo:
        """The entry of ``category_id``; an unknown id gets a title made from it."""
        found = self.categories.get(category_id)
        return found if found is not None else CategoryInfo(category_id, category_id.replace("_", " ").capitalize())

    def exit_code_meaning(self, code: int | None) -> str | None:
        """What an exit code usually means, or None when the catalog does not know it."""
        if code is None:
            return None
        if code in self.exit_codes:
            return self.exit_codes[code]
        if 128 < code < 160:
            return f"the process was ended by signal {code - 128}"
        return None


def _fail(path: Path, problem: str) -> RuntimeError:
    return RuntimeError(f"{path}: {problem}")


def _load(path: Path) -> dict[str, Any]:
    data = load_yaml(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise _fail(path, "does not hold a mapping")
    return data


@lru_cache(maxsize=1)
def catalog() -> Catalog:
    """The packaged catalog (loaded once per process)."""
    data = _load(CATEGORIES_FILE)
    known_categories = set(detection_settings().categories) | set(STATE_CATEGORIES)
    severities = detection_settings().severities
    actions: dict[str, ActionInfo] = {}
    for kind, raw in (data.get("actions") or {}).items():
        if kind not in ACTION_KINDS or not isinstance(raw, dict) or not isinstance(raw.get("summary"), str):
            raise _fail(CATEGORIES_FILE, f"action {kind!r}: unknown kind or no 'summary'")
        options = tuple((key, value) for key, value in raw.items() if key != "summary")
        actions[kind] = ActionInfo(kind, raw["summary"], options)
    categories: dict[str, CategoryInfo] = {}
    for category_id, raw in (data.get("categories") or {}).items():
        if category_id not in known_categories:
            raise _fail(CATEGORIES_FILE, f"unknown category {category_id!r}")
        if not isinstance(raw, dict) or not isinstance(raw.get("title"), str):
            raise _fail(CATEGORIES_FILE, f"category {category_id!r} needs a 'title'")
        severity = raw.get("severity")
        if severity is not None and severity not in severities:
            raise _fail(CATEGORIES_FILE, f"category {category_id!r}: unknown severity {severity!r}")
        recommendations = []
        for item in raw.get("recommendations") or []:
            if not isinstance(item, dict) or not isinstance(item.get("text"), str):
                raise _fail(CATEGORIES_FILE, f"category {category_id!r}: each recommendation needs a 'text'")
            recommendations.append(RecommendationTemplate(item["text"].strip(), item.get("command")))
        kinds = tuple(raw.get("actions") or ())
        for kind in kinds:
            if kind not in actions:
                raise _fail(CATEGORIES_FILE, f"category {category_id!r}: unknown action {kind!r}")
        categories[category_id] = CategoryInfo(
            id=category_id,
            title=raw["title"],
            severity=severity,
            explanation=" ".join(str(raw.get("explanation") or "").split()),
            recommendations=tuple(recommendations),
            actions=kinds,
        )
    missing = known_categories - set(categories)
    if missing:
        raise _fail(CATEGORIES_FILE, f"no entry for categories: {', '.join(sorted(missing))}")
    for category_id in STATE_CATEGORIES:
        if not categories[category_id].recommendations or categories[category_id].severity is None:
            raise _fail(CATEGORIES_FILE, f"state category {category_id!r} needs a severity and recommendations")
    return Catalog(
        categories=categories,
        exit_codes={int(code): str(meaning) for code, meaning in (data.get("exit_codes") or {}).items()},
        expected_exit_codes=frozenset(int(code) for code in data.get("expected_exit_codes") or ()),
        warning_exit_codes=frozenset(int(code) for code in data.get("warning_exit_codes") or ()),
        actions=actions,
    )


@dataclass(frozen=True)
class RecommendSettings:
    """The whole ``recommend.yaml``."""

    command_programs: frozenset[str]
    port_patterns: tuple[re.Pattern[str], ...]


@lru_cache(maxsize=1)
def recommend_settings() -> RecommendSettings:
    """How prose recommendations are split into text and command, and how ports are read (loaded once)."""
    data = _load(RECOMMEND_FILE)
    return RecommendSettings(
        command_programs=frozenset(data.get("command_programs") or ()),
        port_patterns=tuple(re.compile(regex, re.IGNORECASE) for regex in data.get("port_patterns") or ()),
    )


@lru_cache(maxsize=1)
def packaged_defaults() -> dict[str, Any]:
    """``defaults.yaml`` as plain data."""
    return _load(DEFAULTS_FILE)


def _default(section: str, key: str, scale: float = 1.0) -> Any:
    """A dataclass default factory reading ``section.key`` from ``defaults.yaml``."""

    def factory() -> Any:
        value = packaged_defaults()[section][key]
        return value * scale if scale != 1.0 else value

    return field(default_factory=factory)


DAY = 86400.0


@dataclass(frozen=True)
class AnalyzerSettings:
    """Thresholds of the state and event analyzers; ``AnalyzerSettings()`` gives the packaged defaults."""

    restart_loop_min_restarts: int = _default("analyzers", "restart_loop_min_restarts")
    """Restarts after which a container that keeps restarting is in a loop."""
    restart_loop_window: float = _default("analyzers", "restart_loop_window_seconds")
    """Seconds in which those restarts must fall (events), or since the last start (snapshot)."""
    never_healthy_grace: float = _default("analyzers", "never_healthy_grace_seconds")
    """Seconds health may stay ``starting`` when the health check's timing is unknown."""
    requested_stop_window: float = _default("analyzers", "requested_stop_seconds")
    """A ``kill`` event this many seconds before a ``die`` marks the exit as requested."""
    evidence_lines: int = _default("analyzers", "evidence_lines")
    """Log lines kept as evidence of one log finding."""


@dataclass(frozen=True)
class IssueRetention:
    """How much the issue store keeps; ``IssueRetention()`` gives the packaged defaults."""

    max_issues: int = _default("retention", "max_issues")
    """Issues kept; beyond it resolved and ignored ones go first, then the oldest."""
    resolved_max_age: float = _default("retention", "resolved_max_age_days", DAY)
    """Seconds a resolved issue not seen again is kept."""
    ignored_max_age: float = _default("retention", "ignored_max_age_days", DAY)
    """Seconds an ignored issue not seen again is kept."""
    evidence_lines: int = _default("retention", "evidence_lines")
    """Evidence lines kept per issue (the most recent)."""
    occurrence_keys: int = _default("retention", "occurrence_keys")
    """Occurrences remembered per issue so the same one is never counted twice."""
