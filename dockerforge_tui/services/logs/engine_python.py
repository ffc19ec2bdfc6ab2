"""The pure-Python matching engine: sweeps for gates, then literals, then the regex.

Most log lines never reach a regex. For a chunk of lines the engine lower-cases the
joined text once and runs a few "sweeps" over it: each is one ``re`` pattern that
starts with a short key (``re`` scans for a literal prefix in C at ``str.find``
speed) followed by a trie of every gate that begins with that key, so a dozen or
two passes find all of several hundred gates (see :func:`literals.choose_gates`).
Only the lines holding a gate are checked for the full required literals of the
units behind it, and only then is the unit's regex run.
"""

from __future__ import annotations

import re
from typing import Sequence

from dockerforge_tui.services.logs.literals import Sweep
from dockerforge_tui.services.logs.pattern_set import PatternSet

CHUNK_LINES = 16384
"""Lines joined per Hyperscan scan (the fast engine shares :func:`joined_chunk`)."""

SWEEP_CHUNK_LINES = 4096
"""Lines joined per pass of this engine: a chunk of about 400 KB stays in the CPU cache
across its sweeps, which makes each sweep about a third faster than on 16,384 lines."""


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


def trie_pattern(words: list[str]) -> str:
    """A regex matching exactly ``words``, shaped as a trie and greedy, so the longest wins.

    ``re`` tries the branches of an alternation one by one, but first checks each
    branch's leading literal in C; with one branch per next character, a place
    where no word starts costs a few comparisons whatever the number of words.
    """
    root: dict = {}
    for word in words:
        node = root
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def emit(node: dict) -> str:
        branches = [re.escape(char) + emit(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if "" in node:  # a word ends here: what follows is optional (and tried first)
            body = (body if len(branches) > 1 else "(?:" + body + ")") + "?"
        return body

    return emit(root)


class _Plan:
    """What the engine precomputes for one pattern set."""

    def __init__(self, pattern_set: PatternSet) -> None:
        units = pattern_set.units
        self.checks: list[tuple[tuple[str, tuple[int, ...]], ...]] = []
        """Per gate index: (literal, units needing it) for the literals behind the gate."""
        self.sweeps: list[tuple[re.Pattern[str], dict[str, tuple[int, ...]]]] = []
        """Per sweep: its pattern, and what its group captures -> every gate found there."""
        for sweep in pattern_set.gates().sweeps:
            self.sweeps.append(self._sweep(sweep, units))
        self.ungated = [unit for unit in units if not unit.literals]

    def _sweep(self, sweep: Sweep, units) -> tuple[re.Pattern[str], dict[str, tuple[int, ...]]]:
        gate_index: dict[str, int] = {}
        for gate, unit_indexes in sweep.gates.items():
            by_literal: dict[str, list[int]] = {}
            for unit_index in unit_indexes:
                for literal in units[unit_index].literals or ():
                    if gate in literal:
                        by_literal.setdefault(literal, []).append(unit_index)
            gate_index[gate] = len(self.checks)
            self.checks.append(tuple((literal, tuple(indexes)) for literal, indexes in sorted(by_literal.items())))
        key = sweep.key
        # The key is consumed and the gates are looked at ahead, so the next search starts
        # right after the key: keys never overlap themselves, and gates may overlap freely.
        pattern = re.compile(re.escape(key) + "(?=(" + trie_pattern([gate[len(key) :] for gate in sweep.gates]) + "))")
        # The trie reports the longest gate at a place; gates that are its prefixes are there too.
        found_with = {
            gate[len(key) :]: tuple(gate_index[other] for other in sweep.gates if gate.startswith(other))
            for gate in sweep.gates
        }
        return pattern, found_with


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

    for base in range(0, len(lines), SWEEP_CHUNK_LINES):
        chunk, text = joined_chunk(lines[base : base + SWEEP_CHUNK_LINES])
        lowered = text.lower()
        hits: list[tuple[int, int]] = []
        append = hits.append
        for pattern, found_with in plan.sweeps:
            for match in pattern.finditer(lowered):
                position = match.start()
                for gate_index in found_with[match.group(1)]:
                    append((position, gate_index))
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
