"""The pure-Python matching engine: literal gates, then literals, then the regex.

Most log lines never reach a regex. For a chunk of lines the engine lower-cases the
joined text once and searches it with ``str.find`` for a handful of "gate" strings
(C speed); only the lines holding a gate are checked for the full required
literals of the patterns behind that gate, and only then is the regex run.
"""

from __future__ import annotations

import re
from typing import Sequence

from dockerforge_tui.services.logs.pattern_set import PatternSet

CHUNK_LINES = 16384
"""Lines joined per pass: large enough to amortise the per-gate calls, small enough for memory."""


def joined_chunk(chunk: Sequence[str]) -> tuple[Sequence[str], str]:
    """Join lines with ``\\n``; a line that itself holds a newline is flattened first.

    Line numbers are recovered by counting newlines, so there must be exactly one
    between consecutive lines.
    """
    text = "\n".join(chunk)
    if text.count("\n") != len(chunk) - 1:
        chunk = [line.replace("\r\n", " ").replace("\n", " ") for line in chunk]
        text = "\n".join(chunk)
    return chunk, text


class _Plan:
    """What the engine precomputes for one pattern set."""

    def __init__(self, pattern_set: PatternSet) -> None:
        units = pattern_set.units
        gates = pattern_set.gates()
        ordered = list(gates.found.items()) + list(gates.swept.items())
        self.checks: list[tuple[tuple[str, tuple[int, ...]], ...]] = []
        """Per gate index: (literal, units needing it) for the literals behind the gate."""
        for gate, unit_indexes in ordered:
            by_literal: dict[str, list[int]] = {}
            for unit_index in unit_indexes:
                for literal in units[unit_index].literals or ():
                    if gate in literal:
                        by_literal.setdefault(literal, []).append(unit_index)
            self.checks.append(tuple((literal, tuple(indexes)) for literal, indexes in sorted(by_literal.items())))
        self.found = [gate for gate, _ in gates.found.items()]
        swept = [gate for gate, _ in gates.swept.items()]
        first_swept = len(self.found)
        self.swept_index = {gate: first_swept + offset for offset, gate in enumerate(swept)}
        # Longest first, so a match is the longest gate at its position; shorter
        # gates that are prefixes of it are recovered from the matched text.
        self.sweep = re.compile("|".join(re.escape(gate) for gate in sorted(swept, key=lambda g: (-len(g), g)))) if swept else None
        self.ungated = [unit for unit in units if not unit.literals]

    def swept_at(self, matched: str) -> list[int]:
        """Indexes of every swept gate that is a prefix of ``matched``."""
        index = self.swept_index
        return [index[matched[:size]] for size in range(3, len(matched) + 1) if matched[:size] in index]


def _plan_for(pattern_set: PatternSet) -> _Plan:
    cache = pattern_set.engine_cache()
    plan = cache.get("python")
    if plan is None:
        plan = _Plan(pattern_set)
        cache["python"] = plan
    return plan


def prepare(pattern_set: PatternSet) -> None:
    """Choose the gates now rather than on the first scan."""
    _plan_for(pattern_set)


def scan(lines: Sequence[str], pattern_set: PatternSet) -> list[tuple[int, int]]:
    """Return every (line index, unit index) where a unit's regex matches, sorted."""
    units = pattern_set.units
    plan = _plan_for(pattern_set)
    found: set[tuple[int, int]] = set()

    for base in range(0, len(lines), CHUNK_LINES):
        chunk, text = joined_chunk(lines[base : base + CHUNK_LINES])
        lowered = text.lower()
        find = lowered.find
        hits: list[tuple[int, int]] = []
        append = hits.append
        for gate_index, gate in enumerate(plan.found):
            position = find(gate)
            while position >= 0:
                append((position, gate_index))
                # One hit per line is enough: continue on the next line.
                line_end = find("\n", position)
                if line_end < 0:
                    break
                position = find(gate, line_end + 1)
        if plan.sweep is not None:
            search = plan.sweep.search
            match = search(lowered)
            while match is not None:
                position = match.start()
                for gate_index in plan.swept_at(match.group()):
                    append((position, gate_index))
                match = search(lowered, position + 1)
        if hits:
            _confirm_hits(hits, lowered, chunk, base, plan.checks, units, found)
        if plan.ungated:
            for offset, line in enumerate(chunk):
                for unit in plan.ungated:
                    if unit.compiled.search(line):
                        found.add((base + offset, unit.index))
    return sorted(found)


def _confirm_hits(hits, lowered: str, chunk, base: int, checks, units, found: set) -> None:
    hits.sort()
    count = lowered.count
    rfind = lowered.rfind
    find = lowered.find
    line_number = 0
    counted_to = 0
    index = 0
    total = len(hits)
    while index < total:
        position = hits[index][0]
        line_number += count("\n", counted_to, position)
        counted_to = position
        line_end = find("\n", position)
        if line_end < 0:
            line_end = len(lowered)
        line_lowered = lowered[rfind("\n", 0, position) + 1 : line_end]
        gates_here = set()
        while index < total and hits[index][0] < line_end:
            gates_here.add(hits[index][1])
            index += 1
        candidates: set[int] = set()
        for gate_index in gates_here:
            for literal, unit_indexes in checks[gate_index]:
                if literal in line_lowered:
                    candidates.update(unit_indexes)
        if candidates:
            line = chunk[line_number]
            global_line = base + line_number
            for unit_index in candidates:
                if (global_line, unit_index) not in found and units[unit_index].compiled.search(line):
                    found.add((global_line, unit_index))
