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

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from operator import attrgetter
from pathlib import Path
from typing import Literal

from dockerforge_tui.core.errors import UsageError
from dockerforge_tui.services.logs import engine_hyperscan, engine_python
from dockerforge_tui.services.logs.literals import required_literals
from dockerforge_tui.services.logs.pattern_set import Pattern, PatternSet, default_patterns
from dockerforge_tui.services.logs.prefixes import prefix_regex_source
from dockerforge_tui.services.logs.settings import detection_settings

EngineName = Literal["hyperscan", "python"]
ENGINES: tuple[EngineName, ...] = ("hyperscan", "python")

SMALL_INPUT_LINES = 200_000
"""Up to this many lines, an unprepared Hyperscan engine is not worth compiling.

Compiling the packaged database takes 1-2 s of CPU; the pure-Python engine gets
ready in about 0.1 s and scans 200,000 lines in about 0.4 s, with the same findings.
So :func:`detect` without an explicit engine uses Hyperscan only once it is compiled
(:func:`prepare`, or an earlier large call) or for inputs larger than this.
"""


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


def prepare(
    patterns: PatternSet | None = None,
    *,
    engine: str | None = None,
    cache_dir: Path | None = None,
) -> EngineName:
    """Build the engine's compiled form of ``patterns`` now (Hyperscan compiles for a second or two).

    Call it from a worker thread at start-up so the first :func:`detect` is fast.
    With ``cache_dir`` (for example ``AppPaths.cache_dir``), the compiled Hyperscan
    database is saved there and loaded by later processes instead of compiled again.
    Returns the engine that was prepared.
    """
    pattern_set = patterns if patterns is not None else default_patterns()
    chosen = resolve_engine(engine)
    if chosen == "hyperscan":
        engine_hyperscan.prepare(pattern_set, cache_dir)
    else:
        engine_python.prepare(pattern_set)
    return chosen


def engine_for(line_count: int, pattern_set: PatternSet, engine: str | None = None) -> str:
    """The engine :func:`detect` runs for ``line_count`` lines: ``"hyperscan"`` or ``"python"``.

    ``engine`` forces one. By default the fastest available one, except that up to
    :data:`SMALL_INPUT_LINES` lines go to the Python engine while Hyperscan has not been
    compiled for ``pattern_set`` in this process: a one-off check never waits a second
    for the compile.
    """
    chosen = resolve_engine(engine)
    if (
        engine is None
        and chosen == "hyperscan"
        and line_count <= SMALL_INPUT_LINES
        and not engine_hyperscan.is_prepared(pattern_set)
    ):
        return "python"
    return chosen


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
    ``"hyperscan"`` or ``"python"``; by default the fastest available one runs
    (for up to :data:`SMALL_INPUT_LINES` lines that is the Python engine until
    :func:`prepare` has compiled Hyperscan). Both engines return the same findings.
    """
    if isinstance(lines, Sequence) and not isinstance(lines, str):
        line_list: Sequence[str] = lines
    else:
        line_list = list(lines)
    pattern_set = patterns if patterns is not None else default_patterns()
    if not line_list or not pattern_set.units:
        return []
    chosen = engine_for(len(line_list), pattern_set, engine)
    scanner = engine_hyperscan.scan if chosen == "hyperscan" else engine_python.scan
    matches = scanner(line_list, pattern_set)
    return _findings(line_list, pattern_set, matches)


@lru_cache(maxsize=1)
def _line_shape() -> tuple[Callable, int]:
    """One matcher per line: the prefix length, and whether the message continues or closes a unit."""
    rules = detection_settings().blocks
    shape = re.compile(
        "(?:" + prefix_regex_source() + ")"
        + "(?:(?P<continues>" + rules.continuation.pattern + ")|(?P<closes>" + rules.closing.pattern + "))?",
        re.ASCII,
    )
    return shape.match, rules.max_lines


@lru_cache(maxsize=1)
def _ignored_line() -> Callable[[str], bool]:
    """A test for ``ignore_lines`` that runs the regex only on messages holding one of its literals.

    The alternation has no literal prefix, so ``re`` tries it at every position of
    the message (about 3 µs); its required literals (``PASSED``, `` HTTP/``...) are
    derived from the regex and rule most messages out with a few ``in`` tests.
    """
    ignore = detection_settings().ignore_lines
    search = ignore.search
    literals = required_literals(ignore.pattern, ignore.flags, keep_case=True)
    if literals is None:
        return lambda message: search(message) is not None
    needles = tuple(sorted(literals))

    def ignored(message: str) -> bool:
        for needle in needles:
            if needle in message:
                return search(message) is not None
        return False

    return ignored


class _Lines:
    """Lazy per-line facts the post-processing needs (only lines near matches are looked at)."""

    def __init__(self, lines: Sequence[str]) -> None:
        self.lines = lines
        self.known: dict[int, tuple[int, str]] = {}
        """What :meth:`facts` returned so far, by line."""
        self._blocks: dict[int, tuple[int, int]] = {}
        """Multi-line units found so far, by each of their lines (a traceback has several findings)."""
        self._shape, self.max_block = _line_shape()

    def facts(self, index: int) -> tuple[int, str]:
        """(1 if the line continues a unit / 2 if it closes one / 0, the line after its prefix)."""
        facts = self.known.get(index)
        if facts is None:
            line = self.lines[index].rstrip("\r\n")
            match = self._shape(line)
            kind = match.lastindex or 0  # group 1 is "continues", group 2 "closes"
            facts = self.known[index] = (kind, line[match.start(kind) if kind else match.end() :])
        return facts

    def message(self, index: int) -> str:
        """The line after its prefix (trailing newline removed)."""
        return (self.known.get(index) or self.facts(index))[1]

    def joins_previous(self, index: int) -> bool:
        """True when line ``index`` continues the unit of line ``index - 1``."""
        if index <= 0 or index >= len(self.lines):
            return False
        kind = self.facts(index)[0]
        return kind == 1 or (kind == 2 and self.facts(index - 1)[0] == 1)

    def block(self, index: int) -> tuple[int, int]:
        """First and last line of the unit holding line ``index``."""
        facts = self.facts
        last = len(self.lines) - 1
        # Most findings sit on a line of their own: settle that case with two lookups.
        if facts(index)[0] == 0 and (index == last or facts(index + 1)[0] != 1):
            return index, index
        known = self._blocks.get(index)
        if known is not None:
            return known
        start = index
        while start > 0 and index - start < self.max_block and self.joins_previous(start):
            start -= 1
        end = index
        while end < last and end - index < self.max_block and self.joins_previous(end + 1):
            end += 1
        if end - start < self.max_block:  # a unit cut at max_block depends on where the walk began
            for member in range(start, end + 1):
                self._blocks[member] = (start, end)
        return start, end


def _context_holds(pattern: Pattern, index: int, view: _Lines) -> bool:
    if pattern.unless:
        message = view.message(index)
        for regex in pattern.unless:
            if regex.search(message):
                return False
    if pattern.confirm and not any(_rule_matches(rule, index, view) for rule in pattern.confirm):
        return False
    for rule in pattern.cancel:
        if _rule_matches(rule, index, view):
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
    pattern_of_unit = pattern_set.unit_patterns
    needs_context = pattern_set.needs_context
    view = _Lines(lines)
    generic = detection_settings().generic_categories
    fields = _pattern_fields(pattern_set)
    is_generic = [pattern.category in generic for pattern in patterns]

    # 1. Per line: patterns whose regex matched and whose context holds; one per category.
    matched_by_line: dict[int, list[int]] = {}
    previous = None
    for line_index, unit_index in matches:
        pattern_index = pattern_of_unit[unit_index]
        key = (line_index, pattern_index)
        if key == previous:  # units of one pattern are numbered consecutively
            continue
        previous = key
        listed = matched_by_line.get(line_index)
        if listed is None:
            matched_by_line[line_index] = [pattern_index]
        elif pattern_index not in listed:
            listed.append(pattern_index)

    ignored = _ignored_line()
    facts = view.facts
    known_facts = view.known.get  # a C call; facts() only for lines not looked at yet
    block_of = view.block
    last_line = len(lines) - 1
    findings: list[Finding] = []
    blocks: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for line_index, pattern_indexes in matched_by_line.items():
        kind, message = known_facts(line_index) or facts(line_index)
        if ignored(message):
            continue
        if len(pattern_indexes) == 1:  # the usual case: one pattern on the line
            pattern_index = pattern_indexes[0]
            if needs_context[pattern_index] and not _context_holds(patterns[pattern_index], line_index, view):
                continue
            kept = (pattern_index,)
        else:
            kept = _kept_on_line(pattern_indexes, line_index, patterns, is_generic, needs_context, view)
            if not kept:
                continue
        # 2. Per multi-line unit: specific causes replace generic and superseded ones; one
        #    per category. Most findings are alone on a one-line unit and need none of that:
        #    a line that does not join the one above, followed by one that does not join it.
        if len(kept) == 1 and kind == 0:
            following = line_index + 1
            if following > last_line or (known_facts(following) or facts(following))[0] != 1:
                findings.append(_finding(fields[kept[0]], line_index, (line_index, line_index), message))
                continue
        block = block_of(line_index)
        if len(kept) == 1 and block[0] == block[1]:
            findings.append(_finding(fields[kept[0]], line_index, block, message))
            continue
        members = blocks.get(block)
        if members is None:
            blocks[block] = members = []
        for pattern_index in kept:
            members.append((line_index, pattern_index))

    if not blocks:
        return findings  # one finding per line, in line order already
    for (start, end), members in blocks.items():
        if len(members) > 1:
            members = _resolve_unit(members, patterns, generic)
        for line_index, pattern_index in members:
            findings.append(_finding(fields[pattern_index], line_index, (start, end), view.message(line_index)))
    findings.sort(key=_finding_order)
    return findings


def _kept_on_line(
    pattern_indexes: list[int],
    line_index: int,
    patterns: tuple[Pattern, ...],
    is_generic: list[bool],
    needs_context: tuple[bool, ...],
    view: _Lines,
) -> tuple[int, ...]:
    """The patterns a line with several matches keeps: context holds, one per category.

    Specific patterns first; generic ones (crash) only when no specific finding stands,
    since the unit would drop them anyway.
    """
    kept: dict[str, int] = {}
    for generic_pass in (False, True):
        if generic_pass and kept:
            break
        for pattern_index in pattern_indexes:
            if is_generic[pattern_index] != generic_pass:
                continue
            pattern = patterns[pattern_index]
            if needs_context[pattern_index] and not _context_holds(pattern, line_index, view):
                continue
            current = kept.get(pattern.category)
            if current is None or _better(pattern_index, current, patterns):
                kept[pattern.category] = pattern_index
    return tuple(kept.values())


_new_finding = object.__new__


def _finding(fields_of_pattern: dict[str, object], line_index: int, block: tuple[int, int], message: str) -> Finding:
    # A frozen dataclass's __init__ sets each of its nine fields through
    # object.__setattr__ (about 1 µs, a tenth of the work per finding); filling the
    # instance dictionary directly gives an equal object at half the cost.
    finding = _new_finding(Finding)
    fields = finding.__dict__
    fields.update(fields_of_pattern)
    fields["line_index"] = line_index
    fields["message"] = message.strip()
    fields["block_start"], fields["block_end"] = block
    return finding


def _pattern_fields(pattern_set: PatternSet) -> list[dict[str, object]]:
    """Per pattern index, the fields of a :class:`Finding` that come from the pattern (kept per set)."""
    cache = pattern_set.engine_cache()
    fields = cache.get("finding_fields")
    if fields is None:
        fields = [
            {
                "category": pattern.category,
                "severity": pattern.severity,
                "pattern_id": pattern.id,
                "explanation": pattern.explanation,
                "recommendations": pattern.recommendations,
            }
            for pattern in pattern_set.patterns
        ]
        cache["finding_fields"] = fields
    return fields


def _resolve_unit(members: list[tuple[int, int]], patterns: tuple[Pattern, ...], generic: frozenset[str]) -> list[tuple[int, int]]:
    """Apply ``supersedes`` and generic categories within one unit, then keep one finding per category."""
    categories = {patterns[p].category for _, p in members}
    dropped: set[str] = set()
    for _, pattern_index in members:
        pattern = patterns[pattern_index]
        dropped.update(category for category in pattern.supersedes if category != pattern.category)
    if categories - generic:
        dropped |= generic
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
    return list(best.values())


_finding_order = attrgetter("line_index", "block_start", "category")


def _better(candidate: int, current: int, patterns: tuple[Pattern, ...]) -> bool:
    """Between two patterns of one category on one line: higher priority, then earlier in the set."""
    a, b = patterns[candidate], patterns[current]
    return (a.priority, -candidate) > (b.priority, -current)
