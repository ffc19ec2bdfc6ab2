"""Find known failures in container log lines, with no AI involved.

:func:`detect` runs a :class:`PatternSet` over lines with one of two engines that
give identical results (Hyperscan when installed, pure Python otherwise), then
applies what a single regex cannot express:

- ``unless`` regexes and ``context`` rules (a follow-up line confirms or cancels);
- multi-line units: a Python traceback, Java stack trace, Go panic or .NET
  exception block is one finding per category, and a specific root cause (a
  ``ModuleNotFoundError`` at the end of a traceback) replaces the generic
  ``crash``; a pattern may also name categories it ``supersedes`` in its unit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from dockerforge_tui.core.errors import UsageError
from dockerforge_tui.services.logs import engine_hyperscan, engine_python
from dockerforge_tui.services.logs.pattern_set import Pattern, PatternSet, default_patterns
from dockerforge_tui.services.logs.prefixes import prefix_length
from dockerforge_tui.services.logs.settings import detection_settings

EngineName = Literal["hyperscan", "python"]
ENGINES: tuple[EngineName, ...] = ("hyperscan", "python")


@dataclass(frozen=True)
class Finding:
    """One recognised failure in a sequence of log lines."""

    category: str
    """Category id from ``detection.yaml`` (``port_in_use``, ``crash``...)."""
    severity: str
    """``info``, ``warning``, ``error`` or ``critical``."""
    pattern_id: str
    """Id of the pattern that recognised it."""
    line_index: int
    """0-based index, into the lines given to :func:`detect`, of the line that matched."""
    message: str
    """That line without its container-log prefix, trimmed."""
    explanation: str
    """What the failure means, in a sentence or two."""
    recommendations: tuple[str, ...]
    """Steps that usually fix it."""
    block_start: int
    """First line of the multi-line unit (traceback, stack trace) the finding belongs to."""
    block_end: int
    """Last line of that unit (inclusive); equal to ``block_start`` for a one-line unit."""


def available_engines() -> tuple[EngineName, ...]:
    """The engines usable on this machine, fastest first."""
    return ENGINES if engine_hyperscan.is_available() else ("python",)


def resolve_engine(engine: str | None) -> EngineName:
    """Return the engine to use: ``engine`` when given and usable, else the fastest one available."""
    if engine is None:
        return available_engines()[0]
    if engine not in ENGINES:
        raise UsageError(f"unknown pattern engine {engine!r}", hint="use 'hyperscan' or 'python'")
    if engine == "hyperscan" and not engine_hyperscan.is_available():
        raise UsageError(
            "the 'hyperscan' pattern engine is not available: the hyperscan package is not installed",
            hint="pip install hyperscan, or use the 'python' engine",
        )
    return engine  # type: ignore[return-value]


def detect(
    lines: Iterable[str],
    patterns: PatternSet | None = None,
    *,
    engine: str | None = None,
) -> list[Finding]:
    """Return the failures the patterns recognise in ``lines``, in line order.

    ``lines`` are log lines without trailing newlines (a trailing ``\\n`` is
    tolerated); Compose, ``docker logs -t``, kubectl and BuildKit prefixes are
    ignored. ``patterns`` defaults to the packaged set. ``engine`` forces
    ``"hyperscan"`` or ``"python"``; by default the fastest available one runs.
    Both engines return the same findings.
    """
    if isinstance(lines, Sequence) and not isinstance(lines, str):
        line_list: Sequence[str] = lines
    else:
        line_list = list(lines)
    pattern_set = patterns if patterns is not None else default_patterns()
    chosen = resolve_engine(engine)
    if not line_list or not pattern_set.units:
        return []
    scanner = engine_hyperscan.scan if chosen == "hyperscan" else engine_python.scan
    matches = scanner(line_list, pattern_set)
    return _findings(line_list, pattern_set, matches)


class _Lines:
    """Lazy per-line facts the post-processing needs (only near matches are computed)."""

    def __init__(self, lines: Sequence[str]) -> None:
        self.lines = lines
        self._messages: dict[int, str] = {}
        self._joins: dict[int, bool] = {}
        rules = detection_settings().blocks
        self._continuation = rules.continuation.match
        self._closing = rules.closing.match
        self.max_block = rules.max_lines

    def message(self, index: int) -> str:
        """The line after its prefix (trailing newline removed)."""
        message = self._messages.get(index)
        if message is None:
            line = self.lines[index].rstrip("\r\n")
            message = line[prefix_length(line) :]
            self._messages[index] = message
        return message

    def _is_continuation(self, index: int) -> bool:
        return self._continuation(self.message(index)) is not None

    def joins_previous(self, index: int) -> bool:
        """True when line ``index`` continues the unit of line ``index - 1``."""
        if index <= 0 or index >= len(self.lines):
            return False
        joined = self._joins.get(index)
        if joined is None:
            joined = self._is_continuation(index) or (
                self._closing(self.message(index)) is not None and self._is_continuation(index - 1)
            )
            self._joins[index] = joined
        return joined

    def block(self, index: int) -> tuple[int, int]:
        """First and last line of the unit holding line ``index``."""
        start = index
        while start > 0 and index - start < self.max_block and self.joins_previous(start):
            start -= 1
        end = index
        while end + 1 < len(self.lines) and end - index < self.max_block and self.joins_previous(end + 1):
            end += 1
        return start, end


def _context_holds(pattern: Pattern, index: int, view: _Lines) -> bool:
    message = view.message(index)
    if any(regex.search(message) for regex in pattern.unless):
        return False
    if pattern.confirm and not any(_rule_matches(rule, index, view) for rule in pattern.confirm):
        return False
    if any(_rule_matches(rule, index, view) for rule in pattern.cancel):
        return False
    return True


def _rule_matches(rule, index: int, view: _Lines) -> bool:
    first = max(0, index - rule.before)
    last = min(len(view.lines) - 1, index + rule.after)
    for other in range(first, last + 1):
        if other != index and rule.regex.search(view.message(other)):
            return True
    return False


def _findings(lines: Sequence[str], pattern_set: PatternSet, matches: list[tuple[int, int]]) -> list[Finding]:
    patterns = pattern_set.patterns
    units = pattern_set.units
    view = _Lines(lines)
    settings = detection_settings()

    # 1. Per line: patterns whose regex matched and whose context holds; one per category.
    per_line: dict[int, dict[str, int]] = {}
    checked: set[tuple[int, int]] = set()
    for line_index, unit_index in matches:
        pattern_index = units[unit_index].pattern_index
        if (line_index, pattern_index) in checked:
            continue
        checked.add((line_index, pattern_index))
        pattern = patterns[pattern_index]
        if not _context_holds(pattern, line_index, view):
            continue
        kept = per_line.setdefault(line_index, {})
        current = kept.get(pattern.category)
        if current is None or _better(pattern_index, current, patterns):
            kept[pattern.category] = pattern_index

    # 2. Per multi-line unit: specific causes replace generic and superseded ones; one per category.
    blocks: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for line_index in sorted(per_line):
        block = view.block(line_index)
        for pattern_index in per_line[line_index].values():
            blocks.setdefault(block, []).append((line_index, pattern_index))

    findings: list[Finding] = []
    for (start, end), members in blocks.items():
        categories = {patterns[p].category for _, p in members}
        dropped: set[str] = set()
        for _, pattern_index in members:
            own = patterns[pattern_index].category
            dropped |= {category for category in patterns[pattern_index].supersedes if category != own}
        if categories - settings.generic_categories:
            dropped |= settings.generic_categories
        if not categories - dropped:
            dropped = set()  # patterns that supersede each other: keep them all rather than nothing
        best: dict[str, tuple[int, int]] = {}
        for line_index, pattern_index in members:
            category = patterns[pattern_index].category
            if category in dropped:
                continue
            current = best.get(category)
            if current is None or patterns[pattern_index].priority > patterns[current[1]].priority:
                best[category] = (line_index, pattern_index)
        for line_index, pattern_index in best.values():
            pattern = patterns[pattern_index]
            findings.append(
                Finding(
                    category=pattern.category,
                    severity=pattern.severity,
                    pattern_id=pattern.id,
                    line_index=line_index,
                    message=view.message(line_index).strip(),
                    explanation=pattern.explanation,
                    recommendations=pattern.recommendations,
                    block_start=start,
                    block_end=end,
                )
            )
    findings.sort(key=lambda finding: (finding.line_index, finding.block_start, finding.category))
    return findings


def _better(candidate: int, current: int, patterns: tuple[Pattern, ...]) -> bool:
    """Between two patterns of one category on one line: higher priority, then earlier in the set."""
    a, b = patterns[candidate], patterns[current]
    return (a.priority, -candidate) > (b.priority, -current)
