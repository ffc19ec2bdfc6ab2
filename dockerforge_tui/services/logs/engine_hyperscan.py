"""The fast matching engine: every pattern regex in one Hyperscan database.

Hyperscan (an optional dependency, ``pip install hyperscan``) scans a chunk of
joined lines for all regexes at once and reports (regex, end offset) pairs; the
engine maps offsets to lines by counting newlines and confirms each candidate
with Python ``re`` on that single line. The confirmation keeps both engines'
results identical even where Hyperscan's semantics differ (``\\s`` may cross a
newline in a joined chunk). A regex Hyperscan cannot compile (lookarounds,
backreferences, or ``python_only: true``) is represented by its required literals
instead, and still confirmed by its real regex.
"""

from __future__ import annotations

import re
from typing import Any, Sequence

from dockerforge_tui.services.logs.engine_python import CHUNK_LINES, joined_chunk
from dockerforge_tui.services.logs.pattern_set import PatternSet

try:
    import hyperscan
except ImportError:  # the optional dependency is missing: the Python engine is used
    hyperscan = None


def is_available() -> bool:
    """True when the hyperscan package imports on this machine."""
    return hyperscan is not None


class _CompiledDatabase:
    """A Hyperscan database for one pattern set, plus the units it could not hold."""

    def __init__(self, pattern_set: PatternSet) -> None:
        assert hyperscan is not None
        self.always: list[int] = []
        entries: list[tuple[bytes, int, int]] = []
        for unit in pattern_set.units:
            entries.extend(self._entries_for(unit, as_regex=not unit.python_only))
        try:
            self.database = self._compile(entries)
        except hyperscan.error:
            # Find the regexes Hyperscan rejects, one by one, and fall back to their literals.
            entries = []
            for unit in pattern_set.units:
                regex_entries = self._entries_for(unit, as_regex=not unit.python_only)
                if not unit.python_only:
                    try:
                        self._compile(regex_entries)
                    except hyperscan.error:
                        regex_entries = self._entries_for(unit, as_regex=False)
                entries.extend(regex_entries)
            self.database = self._compile(entries) if entries else None

    def _entries_for(self, unit, as_regex: bool) -> list[tuple[bytes, int, int]]:
        base = hyperscan.HS_FLAG_MULTILINE | hyperscan.HS_FLAG_UTF8
        if as_regex:
            flags = base | (0 if unit.case_sensitive else hyperscan.HS_FLAG_CASELESS)
            return [(unit.source.encode("utf-8"), unit.index, flags)]
        if not unit.literals:
            if unit.index not in self.always:
                self.always.append(unit.index)
            return []
        flags = base | hyperscan.HS_FLAG_CASELESS | hyperscan.HS_FLAG_SINGLEMATCH * 0
        return [(re.escape(literal).encode("utf-8"), unit.index, flags) for literal in sorted(unit.literals)]

    @staticmethod
    def _compile(entries: list[tuple[bytes, int, int]]) -> Any:
        database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        database.compile(
            expressions=[entry[0] for entry in entries],
            ids=[entry[1] for entry in entries],
            elements=len(entries),
            flags=[entry[2] for entry in entries],
        )
        return database


def _database_for(pattern_set: PatternSet) -> _CompiledDatabase:
    cache = pattern_set.engine_cache()
    compiled = cache.get("hyperscan")
    if compiled is None:
        compiled = _CompiledDatabase(pattern_set)
        cache["hyperscan"] = compiled
    return compiled


def prepare(pattern_set: PatternSet) -> None:
    """Compile the set's database now rather than on the first scan."""
    _database_for(pattern_set)


def scan(lines: Sequence[str], pattern_set: PatternSet) -> list[tuple[int, int]]:
    """Return every (line index, unit index) where a unit's regex matches, sorted."""
    if hyperscan is None:
        raise RuntimeError("the hyperscan package is not installed")
    compiled = _database_for(pattern_set)
    units = pattern_set.units
    found: set[tuple[int, int]] = set()
    for base in range(0, len(lines), CHUNK_LINES):
        chunk, text = joined_chunk(lines[base : base + CHUNK_LINES])
        if compiled.database is not None:
            data = text.encode("utf-8", "replace")
            reports: list[tuple[int, int]] = []
            append = reports.append

            def on_match(unit_index: int, start: int, end: int, flags: int, context: object) -> None:
                append((end, unit_index))

            compiled.database.scan(data, match_event_handler=on_match)
            if reports:
                found.update(_confirm_reports(reports, data, chunk, base, units))
        for unit_index in compiled.always:
            unit = units[unit_index]
            for offset, line in enumerate(chunk):
                if unit.compiled.search(line):
                    found.add((base + offset, unit_index))
    return sorted(found)


def _confirm_reports(reports, data: bytes, chunk, base, units) -> set[tuple[int, int]]:
    reports.sort()
    count = data.count
    confirmed: set[tuple[int, int]] = set()
    seen: set[tuple[int, int]] = set()
    line_number = 0
    counted_to = 0
    for end, unit_index in reports:
        last_byte = max(end - 1, 0)
        line_number += count(b"\n", counted_to, last_byte)
        counted_to = last_byte
        key = (line_number, unit_index)
        if key in seen:
            continue
        seen.add(key)
        if units[unit_index].compiled.search(chunk[line_number]):
            confirmed.add((base + line_number, unit_index))
    return confirmed
