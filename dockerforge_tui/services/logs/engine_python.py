"""The pure-Python matching engine: literal gates, then literals, then the regex.

Most log lines never reach a regex. For a chunk of lines the engine lower-cases the
joined text once and searches it with ``str.find`` for a handful of "gate" strings
(C speed); only the lines holding a gate are checked for the full required
literals of the patterns behind that gate, and only then is the regex run.
"""

from __future__ import annotations

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


def scan(lines: Sequence[str], pattern_set: PatternSet) -> list[tuple[int, int]]:
    """Return every (line index, unit index) where a unit's regex matches, sorted."""
    units = pattern_set.units
    gates = list(pattern_set.gates().items())
    gate_strings = [gate for gate, _ in gates]
    gate_units = [unit_indexes for _, unit_indexes in gates]
    ungated = [unit for unit in units if not unit.literals]
    found: list[tuple[int, int]] = []

    for base in range(0, len(lines), CHUNK_LINES):
        chunk, text = joined_chunk(lines[base : base + CHUNK_LINES])
        lowered = text.lower()
        find = lowered.find
        hits: list[tuple[int, int]] = []
        for gate_index, gate in enumerate(gate_strings):
            position = find(gate)
            while position >= 0:
                hits.append((position, gate_index))
                line_end = find("\n", position)
                if line_end < 0:
                    break
                position = find(gate, line_end + 1)
        if hits:
            hits.sort()
            found.extend(_confirm_hits(hits, lowered, chunk, base, gate_units, units))
        if ungated:
            for offset, line in enumerate(chunk):
                for unit in ungated:
                    if unit.compiled.search(line):
                        found.append((base + offset, unit.index))
    found = sorted(set(found))
    return found


def _confirm_hits(hits, lowered, chunk, base, gate_units, units) -> list[tuple[int, int]]:
    confirmed: list[tuple[int, int]] = []
    count = lowered.count
    line_number = 0
    counted_to = 0
    index = 0
    total = len(hits)
    while index < total:
        position, _ = hits[index]
        line_number += count("\n", counted_to, position)
        counted_to = position
        line_start = lowered.rfind("\n", 0, position) + 1
        line_end = lowered.find("\n", position)
        if line_end < 0:
            line_end = len(lowered)
        candidate_units: set[int] = set()
        while index < total and hits[index][0] < line_end:
            candidate_units.update(gate_units[hits[index][1]])
            index += 1
        line_lowered = lowered[line_start:line_end]
        line = chunk[line_number]
        for unit_index in sorted(candidate_units):
            unit = units[unit_index]
            for literal in unit.literals:
                if literal in line_lowered:
                    if unit.compiled.search(line):
                        confirmed.append((base + line_number, unit_index))
                    break
    return confirmed
