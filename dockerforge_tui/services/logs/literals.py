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

import heapq
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


def _score(alternatives: frozenset[str] | None) -> tuple[int, int]:
    if not alternatives:
        return (-1, 0)
    return (min(len(s) for s in alternatives), -len(alternatives))


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


def choose_gates(
    unit_literals: Mapping[int, frozenset[str]],
    common_words: Iterable[str] = (),
    min_length: int = 5,
) -> dict[str, list[int]]:
    """Pick a few short strings ("gates") that cover every unit's literals.

    ``unit_literals`` maps a unit (one regex of one pattern) to its required
    literals. Every literal of every unit contains at least one chosen gate, so a
    line without any gate can match no unit. Returns gate -> units it stands for.

    Fewer gates means fewer passes over the text; gates are word-aligned strings of
    at least ``min_length`` characters (or a whole literal when shorter), and words
    in ``common_words`` are avoided because they would let too many lines through.
    """
    literal_units: dict[str, set[int]] = {}
    for unit, literals in unit_literals.items():
        for literal in literals:
            literal_units.setdefault(literal, set()).add(unit)
    common = {word.lower() for word in common_words}

    coverage: dict[str, set[str]] = {}
    for literal in literal_units:
        coverage.setdefault(literal, set()).add(literal)
        starts = [0] + [i for i in range(1, len(literal)) if not literal[i - 1].isalnum() and literal[i].isalnum()]
        for start in starts:
            for end in range(start + min_length, len(literal) + 1):
                coverage.setdefault(literal[start:end], set()).add(literal)

    def weight(gate: str) -> float:
        base = min(len(gate), 10)
        if gate.strip() in common:
            base *= 0.2
        return base

    uncovered = set(literal_units)
    heap = [(-len(covered) * weight(gate), -len(gate), gate) for gate, covered in coverage.items()]
    heapq.heapify(heap)
    chosen: dict[str, set[str]] = {}
    while uncovered and heap:
        _, neg_len, gate = heapq.heappop(heap)
        gain = len(coverage[gate] & uncovered)
        if gain == 0:
            continue
        score = -gain * weight(gate)
        if heap and (score, neg_len, gate) > heap[0]:
            heapq.heappush(heap, (score, neg_len, gate))
            continue
        newly = coverage[gate] & uncovered
        chosen[gate] = newly
        uncovered -= newly

    gates: dict[str, list[int]] = {}
    for gate, literals in chosen.items():
        units = sorted({unit for literal in literals for unit in literal_units[literal]})
        gates[gate] = units
    return gates
