"""The pure-Python matching engine: keyed sweeps find the literals, then the regex runs.

Most log lines never reach a regex. Every regex has required literals (derived
from it, see :mod:`literals`). For a chunk of lines the engine lower-cases the
joined text once and runs a dozen or so "sweeps" over it: each is one ``re``
pattern that starts with a short key, which ``re`` scans for in C at about
``str.find`` speed, followed by a trie of the literals holding that key (see
:func:`sweep_pattern` and :func:`literals.choose_gates`). A sweep thus finds every
occurrence of a few dozen to a few hundred literals in one pass, where one
``str.find`` pass per literal would take hundreds. Case-sensitive literals are
checked in their own case where they were found. Only the regexes of units whose
literal a line holds are run on that line, and the engine's results equal the
Hyperscan engine's.
"""

from __future__ import annotations

import re
from typing import Iterable, Sequence

from dockerforge_tui.services.logs.literals import Sweep
from dockerforge_tui.services.logs.pattern_set import PatternSet

CHUNK_LINES = 4096
"""Lines joined per pass (both engines): a chunk of about 400 KB stays in the CPU cache
across this engine's sweeps, so the whole scan is 5-10 % faster than with 16,384-line
chunks, and Hyperscan's too (2,048 to 8,192 lines measure alike)."""


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


def sweep_pattern(key: str, literals: Iterable[str]) -> tuple[str, list[str]]:
    """A regex that finds every occurrence of ``literals`` (each containing ``key``) in one pass.

    Returns the regex and, for each of its groups (1, 2...), the literal that group
    stands for. The regex is ``key`` followed by a look-ahead holding a trie of what
    follows the key in each literal; where a literal ends, a look-behind checks
    what precedes the key (unless the literal starts with it) and an empty group
    marks the literal, so ``match.lastindex`` tells which literal was found.

    ``re`` scans for the key in C, and tries the branches of an alternation one by
    one after checking each branch's leading literal, so a place where the key is
    not followed by any literal costs a few comparisons whatever their number.
    Deeper branches come first: at one place the longest literal is reported, and
    the shorter ones ending on its path are recovered by :class:`_Plan`. Only the
    key is consumed, and keys never overlap themselves, so no occurrence is skipped.
    """
    root: dict = {}
    for literal in literals:
        start = literal.find(key)
        node = root
        for char in literal[start + len(key) :]:
            node = node.setdefault(char, {})
        node.setdefault("", []).append(literal)
    group_literals: list[str] = []

    def emit(node: dict) -> str:
        branches = [re.escape(char) + emit(child) for char, child in sorted(node.items(), key=lambda item: item[0]) if char]
        # Literals with the longest part before the key first: when one holds, those
        # whose part before the key is a suffix of it hold as well.
        for literal in sorted(node.get("", ()), key=lambda text: (-text.find(key), text)):
            before = literal[: literal.find(key)]
            branches.append((f"(?<={re.escape(literal)})" if before else "") + "()")
            group_literals.append(literal)
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"

    return re.escape(key) + "(?=" + emit(root) + ")", group_literals


_Check = tuple[int, "str | None", "tuple[str, ...] | None", tuple[int, ...]]
"""A literal found with some group that needs a look at the text: (characters from its start
to the key, the lower-case literal to check or None when the sweep proved it, its spellings
in the regexes' own case or None for caseless units, the units behind it)."""


class _Plan:
    """What the engine precomputes for one pattern set."""

    def __init__(self, pattern_set: PatternSet) -> None:
        units = pattern_set.units
        self.sweeps: list[tuple[re.Pattern[str], list[tuple[int, ...]], list[tuple[_Check, ...]]]] = []
        """Per sweep: its pattern; per group, the units whose literal it proves present; per
        group, the literals that need a check of the text (see :data:`_Check`)."""
        for sweep in pattern_set.gates().sweeps:
            self.sweeps.append(self._sweep(sweep, units))
        unswept = set(pattern_set.gates().unswept)
        self.ungated = [unit for unit in units if not unit.literals or unit.index in unswept]
        self.cased: list[frozenset[str] | None] = [unit.cased_literals for unit in units]
        """Per unit: strings in their own case of which the line must hold one (case-sensitive units)."""

    @staticmethod
    def _sweep(sweep: Sweep, units) -> tuple[re.Pattern[str], list[tuple[int, ...]], list[tuple[_Check, ...]]]:
        key = sweep.key
        source, group_literals = sweep_pattern(key, sweep.gates)
        split = {literal: (literal[: literal.find(key)], literal[literal.find(key) + len(key) :]) for literal in sweep.gates}
        sure: list[tuple[int, ...]] = [()]  # group numbers start at 1
        checked: list[tuple[_Check, ...]] = [()]
        for found in group_literals:
            found_before, found_rest = split[found]
            plain: set[int] = set()
            checks: list[_Check] = []
            # Another literal can occur at the same place only if its trie path is a prefix
            # of the one found; what precedes the key then decides.
            for literal, (before, rest) in split.items():
                if not found_rest.startswith(rest):
                    continue
                if found_before.endswith(before):
                    proven = None  # the look-behind of the literal found covers this one
                elif before.endswith(found_before):
                    proven = literal  # it may be there: check it
                else:
                    continue
                by_spelling: dict[tuple[str, ...], list[int]] = {}
                for unit_index in sweep.gates[literal]:
                    cased = units[unit_index].cased_literals
                    if cased is None:
                        if proven is None:
                            plain.add(unit_index)
                        else:
                            by_spelling.setdefault((), []).append(unit_index)
                    else:
                        spellings = tuple(sorted(text for text in cased if text.lower() == literal))
                        by_spelling.setdefault(spellings, []).append(unit_index)
                for spellings, unit_indexes in sorted(by_spelling.items()):
                    checks.append((len(before), proven, spellings or None, tuple(unit_indexes)))
            sure.append(tuple(sorted(plain)))
            checked.append(tuple(checks))
        return re.compile(source), sure, checked


def _plan_for(pattern_set: PatternSet) -> _Plan:
    cache = pattern_set.engine_cache()
    plan = cache.get("python")
    if plan is None:
        plan = _Plan(pattern_set)
        cache["python"] = plan
    return plan


def prepare(pattern_set: PatternSet) -> None:
    """Choose the sweeps and compile them now (about 0.1 s) rather than on the first scan."""
    _plan_for(pattern_set)


def scan(lines: Sequence[str], pattern_set: PatternSet) -> list[tuple[int, int]]:
    """Return every (line index, unit index) where a unit's regex matches, sorted."""
    units = pattern_set.units
    plan = _plan_for(pattern_set)
    found: set[tuple[int, int]] = set()

    for base in range(0, len(lines), CHUNK_LINES):
        chunk, text = joined_chunk(lines[base : base + CHUNK_LINES])
        lowered = text.lower()
        # Positions in the lower-cased text are positions in the text unless lower-casing
        # changed a length (a few non-ASCII letters); then the case is checked per line only.
        same_places = len(lowered) == len(text)
        hits: list[tuple[int, tuple[int, ...]]] = []
        append = hits.append
        in_lowered = lowered.startswith
        in_text = text.startswith
        for pattern, sure, checked in plan.sweeps:
            for match in pattern.finditer(lowered):
                position = match.start()
                group = match.lastindex
                proven = sure[group]
                if proven:
                    append((position, proven))
                for back, literal, spellings, unit_indexes in checked[group]:
                    start = position - back
                    if literal is not None and (start < 0 or not in_lowered(literal, start)):
                        continue
                    if spellings is not None and same_places and not in_text(spellings, start):
                        continue
                    append((position, unit_indexes))
        if hits:
            # Where places match, the case of each literal was checked where it was found.
            _confirm_hits(hits, lowered, chunk, base, None if same_places else plan.cased, units, found)
        if plan.ungated:
            for offset, line in enumerate(chunk):
                for unit in plan.ungated:
                    if unit.compiled.search(line):
                        found.add((base + offset, unit.index))
    return sorted(found)


def _confirm_hits(hits, lowered: str, chunk, base: int, cased, units, found: set) -> None:
    """Run the regexes of the units found on each line (their literals are known to be there).

    ``cased`` (per unit, its literals in their own case) is given when the case was not
    checked during the sweeps: then the line must hold one before the regex runs.
    """
    hits.sort()
    count = lowered.count
    find = lowered.find
    line_number = 0
    counted_to = 0
    index = 0
    total = len(hits)
    while index < total:
        position, candidates = hits[index]
        index += 1
        line_number += count("\n", counted_to, position)
        counted_to = position
        line_end = find("\n", position)
        if line_end < 0:
            line_end = len(lowered)
        if index < total and hits[index][0] < line_end:
            candidates = set(candidates)
            while index < total and hits[index][0] < line_end:
                candidates.update(hits[index][1])
                index += 1
        line = chunk[line_number]
        global_line = base + line_number
        for unit_index in candidates:
            if cased is not None:
                needed = cased[unit_index]
                if needed is not None and not any(literal in line for literal in needed):
                    continue
            if (global_line, unit_index) not in found and units[unit_index].compiled.search(line):
                found.add((global_line, unit_index))
