"""Required substrings of a regex, and the pre-filter "gates" built from them.

The pure-Python engine never runs a pattern's regex on a line that lacks one of the
pattern's required literals. This module derives those literals from the regex
itself (any match must contain at least one of them), so user patterns need no
hand-written ``literals:`` to be fast, and a wrong hand-written one cannot make the
Python engine disagree with the Hyperscan engine.

Everything is lower-case ASCII: the engine searches a lower-cased copy of the text,
which is correct for case-sensitive and case-insensitive regexes alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Mapping

try:  # Python 3.11+ keeps the regex parser here; older names are aliases.
    from re import _constants as sre_constants  # type: ignore[attr-defined]
    from re import _parser as sre_parser  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - other interpreters
    sre_parser = None
    sre_constants = None

_MAX_ALTERNATIVES = 24
"""Cap on the alternatives kept for one element; beyond it an element gives no literal."""


@dataclass(frozen=True)
class _Info:
    exact: frozenset[str] | None
    """Every string the element can match, when that set is small and ASCII; else None."""
    required: frozenset[str] | None
    """Strings of which every match contains at least one; None when nothing is known."""


_NOTHING = _Info(None, None)
_EMPTY = _Info(frozenset({""}), None)


def required_literals(regex: str, flags: int = 0) -> frozenset[str] | None:
    """Return lower-case strings of which every match of ``regex`` contains one.

    None means no useful literal exists (for example ``\\d+ ms``), and the regex must
    be tried on every line.
    """
    if sre_parser is None:  # pragma: no cover
        return None
    try:
        parsed = sre_parser.parse(regex, flags)
    except re.error:
        return None
    info = _sequence(list(parsed))
    best = _best_of([info.required, info.exact])
    if not best or min(len(s) for s in best) == 0:
        return None
    return best


_LONG_ENOUGH = 8
"""Literals this long are selective enough; beyond it, fewer alternatives count for more."""


def _score(alternatives: frozenset[str] | None) -> tuple[int, int, int]:
    if not alternatives:
        return (-1, 0, 0)
    shortest = min(len(s) for s in alternatives)
    return (min(shortest, _LONG_ENOUGH), -len(alternatives), shortest)


def _best_of(candidates: Iterable[frozenset[str] | None]) -> frozenset[str] | None:
    best: frozenset[str] | None = None
    for candidate in candidates:
        if candidate and _score(candidate) > _score(best):
            best = candidate
    if best is not None and min(len(s) for s in best) == 0:
        return None
    return best


def _cross(left: frozenset[str], right: frozenset[str]) -> frozenset[str] | None:
    if len(left) * len(right) > _MAX_ALTERNATIVES:
        return None
    return frozenset(a + b for a in left for b in right)


def _sequence(items: list) -> _Info:
    candidates: list[frozenset[str] | None] = []
    run: frozenset[str] | None = frozenset({""})
    whole: frozenset[str] | None = frozenset({""})
    for op, arg in items:
        info = _element(op, arg)
        if info.exact is not None:
            whole = _cross(whole, info.exact) if whole is not None else None
            if len(info.exact) > 1:
                candidates.append(run)  # the shared part before a branch is often the better literal
            joined = _cross(run, info.exact) if run is not None else None
            if joined is None:
                candidates.append(run)
                joined = info.exact
            run = joined
        else:
            whole = None
            candidates.append(run)
            candidates.append(info.required)
            run = frozenset({""})
    candidates.append(run)
    return _Info(whole, _best_of(candidates))


def _element(op, arg) -> _Info:  # noqa: C901 - one branch per regex opcode
    c = sre_constants
    if op is c.LITERAL:
        if arg < 128:
            return _Info(frozenset({chr(arg).lower()}), None)
        return _NOTHING
    if op is c.AT:
        return _EMPTY
    if op in (c.ASSERT, c.ASSERT_NOT):
        return _EMPTY
    if op is c.IN:
        chars: set[str] = set()
        for member_op, member_arg in arg:
            if member_op is not c.LITERAL or member_arg >= 128:
                return _NOTHING
            chars.add(chr(member_arg).lower())
        if len(chars) > 4:
            return _NOTHING
        return _Info(frozenset(chars), None)
    if op is c.SUBPATTERN:
        inner = arg[-1]
        return _sequence(list(inner))
    if op is c.BRANCH:
        branches = [_sequence(list(branch)) for branch in arg[1]]
        exact: frozenset[str] | None = frozenset()
        for branch in branches:
            if branch.exact is None or exact is None:
                exact = None
                break
            exact = exact | branch.exact
        if exact is not None and len(exact) > _MAX_ALTERNATIVES:
            exact = None
        required: frozenset[str] | None = frozenset()
        for branch in branches:
            own = _best_of([branch.required, branch.exact])
            if own is None or required is None:
                required = None
                break
            required = required | own
        if required is not None and len(required) > _MAX_ALTERNATIVES:
            required = None
        return _Info(exact, required)
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)):
        low, high, inner = arg
        info = _sequence(list(inner))
        if low == 0:
            if high == 1 and info.exact is not None:
                return _Info(info.exact | {""}, None)
            return _Info(None, None)
        if low == high and info.exact is not None:
            exact: frozenset[str] | None = frozenset({""})
            for _ in range(low):
                exact = _cross(exact, info.exact) if exact is not None else None
            if exact is not None:
                return _Info(exact, None)
        return _Info(None, _best_of([info.required, info.exact]))
    if op is getattr(c, "ATOMIC_GROUP", None):
        return _sequence(list(arg))
    return _NOTHING


@dataclass(frozen=True)
class Sweep:
    """One pass over a chunk: the regex engine finds every ``key``, then which gate follows.

    Python's ``re`` scans for a pattern's literal prefix in a tight C loop (about as
    fast as ``str.find``) and starts its matcher only where the prefix occurs, so a
    pattern ``key(?=(trie of the gates))`` finds every gate that starts with ``key``
    in one pass, whatever the number of gates.
    """

    key: str
    """What every gate of the sweep starts with (1 to 3 characters, never overlapping itself)."""
    gates: dict[str, list[int]]
    """Gate -> the units behind it; each gate is a piece of a required literal."""


@dataclass(frozen=True)
class Gates:
    """The pure-Python engine's pre-filter: strings that cover every gated unit, by sweep."""

    sweeps: tuple[Sweep, ...]

    @property
    def all(self) -> dict[str, list[int]]:
        """Every gate of every sweep -> its units."""
        return {gate: units for sweep in self.sweeps for gate, units in sweep.gates.items()}


_MAX_KEY_LENGTH = 2
"""Longest sweep key tried; longer keys cover too few literals to pay for their pass."""

_MAX_GATE_LENGTH = 24
"""Gates longer than this are cut: the literal is checked in full on the line anyway."""

# The cost model, in passes of one sweep over a chunk (what a sweep costs however
# rare its key is: about 0.5 ns a character). Measured on the 2-CPU development VM.
_CANDIDATE_COST = 60.0
"""Extra cost of a key that starts every character position (the matcher walking the trie)."""
_FIRST_CHARACTER_COST = 9.0
"""Extra cost of a multi-character key's first character at every position (the prefix check)."""
_HIT_COST = 3.0
"""Cost of a gate found once on every line (a match object, then the literal check in Python)."""
_COMMON_WORD_FREQUENCY = 0.05
"""Lines per line assumed to hold a common word, whatever the reference sample says."""


def _overlaps_itself(key: str) -> bool:
    """True when two occurrences of ``key`` can overlap (a sweep would miss the second)."""
    return any(key[:size] == key[-size:] for size in range(1, len(key)))


def choose_gates(
    unit_literals: Mapping[int, frozenset[str]],
    ordinary_text: str = "",
    common_words: Iterable[str] = (),
    max_key_length: int = _MAX_KEY_LENGTH,
) -> Gates:
    """Pick sweep keys and gates so that every unit's literals are found in few passes.

    ``unit_literals`` maps a unit (one regex of one pattern) to its required
    literals. Every literal gets one gate: the piece of it that starts at a chosen
    key (the earliest such place, so the gate is as long and selective as it can
    be). A line without any gate can then match no unit.

    Each sweep costs a pass over the text plus the matcher's work wherever its key
    occurs; each gate costs Python work wherever it occurs. Both are estimated from
    ``ordinary_text`` (benign log lines): character-level frequencies for keys, and
    for gates the larger of what the sample shows and what independent characters
    would give; ``common_words`` count as frequent whatever the sample says. The keys
    are chosen by a greedy weighted set cover over those costs, typically a dozen or
    two for several hundred literals, where one ``str.find`` pass per gate would take
    ten times as many passes.
    """
    literal_units: dict[str, set[int]] = {}
    for unit, literals in unit_literals.items():
        for literal in literals:
            literal_units.setdefault(literal, set()).add(unit)
    if not literal_units:
        return Gates(())
    ordinary = ordinary_text.lower()
    positions = max(1, len(ordinary))
    lines = max(1, ordinary.count("\n") + 1)
    characters_per_line = positions / lines
    common = {word.lower() for word in common_words}
    char_share = {char: (ordinary.count(char) + 1) / positions for char in set("".join(literal_units))}

    def per_position(text: str) -> float:
        return (ordinary.count(text) + 0.5) / positions

    def per_line(gate: str) -> float:
        independent = characters_per_line
        for char in gate:
            independent *= char_share[char]
        frequency = max(ordinary.count(gate) / lines, independent)
        bare = gate.strip(" :'\"()[]")
        if bare in common or (len(bare) >= 3 and any(bare in word for word in common)):
            frequency += _COMMON_WORD_FREQUENCY
        return frequency

    coverage: dict[str, set[str]] = {}
    for literal in literal_units:
        for start in range(len(literal)):
            for size in range(1, max_key_length + 1):
                key = literal[start : start + size]
                if len(key) == size and "\n" not in key and not _overlaps_itself(key):
                    coverage.setdefault(key, set()).add(literal)

    def key_cost(key: str) -> float:
        cost = 1.0 + _CANDIDATE_COST * per_position(key)
        if len(key) > 1:
            cost += _FIRST_CHARACTER_COST * per_position(key[0])
        return cost

    gate_costs: dict[tuple[str, str], float] = {}

    def gate_cost(literal: str, key: str) -> float:
        known = gate_costs.get((literal, key))
        if known is None:
            start = literal.find(key)
            known = _HIT_COST * per_line(literal[start : start + _MAX_GATE_LENGTH])
            gate_costs[(literal, key)] = known
        return known

    key_costs = {key: key_cost(key) for key in coverage}
    uncovered = set(literal_units)
    chosen: list[str] = []
    while uncovered:
        best_key, best_ratio = "", float("inf")
        for key, covered in coverage.items():
            newly = covered & uncovered
            if newly:
                ratio = (key_costs[key] + sum(gate_cost(literal, key) for literal in newly)) / len(newly)
                if ratio < best_ratio:
                    best_key, best_ratio = key, ratio
        chosen.append(best_key)
        uncovered -= coverage[best_key]
    # A key chosen early may have become redundant: drop the costliest such keys first.
    for key in sorted(chosen, key=lambda k: -key_costs[k]):
        others = [other for other in chosen if other != key]
        if all(any(other in literal for other in others) for literal in coverage[key]):
            chosen = others

    sweeps: dict[str, dict[str, set[int]]] = {key: {} for key in chosen}
    for literal, units in literal_units.items():
        # The cheapest gate this literal can have among the chosen keys; ties go to the earliest.
        key = min(
            (key for key in chosen if key in literal),
            key=lambda k: (gate_cost(literal, k), literal.find(k)),
        )
        start = literal.find(key)
        sweeps[key].setdefault(literal[start : start + _MAX_GATE_LENGTH], set()).update(units)
    return Gates(
        tuple(
            Sweep(key, {gate: sorted(units) for gate, units in sorted(gates.items())})
            for key, gates in sorted(sweeps.items())
            if gates
        )
    )
