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


_MAX_GATE_LENGTH = 10
"""Longer gates cover fewer literals and barely search faster."""

_CANDIDATE_COST = 150.0
"""What one line that holds a gate costs, in passes of one gate over one line."""

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
class Gates:
    """The pure-Python engine's pre-filter: strings that cover every gated unit."""

    found: dict[str, list[int]]
    """Gates searched one by one with ``str.find`` -> the units behind each."""
    swept: dict[str, list[int]]
    """Gates that start with a rare character, searched together by one regex -> units."""


def rare_characters(ordinary_text: str, below: float) -> frozenset[str]:
    """Printable ASCII characters (no digits, no space) rarer than ``below`` in the sample."""
    text = ordinary_text.lower()
    total = max(1, len(text))
    return frozenset(
        char
        for char in map(chr, range(33, 127))
        if not char.isdigit() and not char.isupper() and text.count(char) / total < below
    )


def choose_gates(
    unit_literals: Mapping[int, frozenset[str]],
    ordinary_text: str = "",
    common_words: Iterable[str] = (),
    sweep_starts: frozenset[str] = frozenset(),
    min_length: int = 4,
) -> Gates:
    """Pick short strings ("gates") that cover every unit's literals.

    ``unit_literals`` maps a unit (one regex of one pattern) to its required
    literals. Every literal of every unit contains at least one chosen gate, so a
    line without any gate can match no unit.

    A gate that starts with a character of ``sweep_starts`` (rare in logs) joins
    the "sweep": one regex finds all of them in a single pass, because the regex
    engine skips every position that holds none of those characters. Any other
    gate costs a pass of its own. Each gate also costs a closer look at every line
    that holds it, estimated from how often it occurs in ``ordinary_text`` (benign
    log lines); ``common_words`` count as frequent whatever the sample says. The
    choice is a greedy weighted set cover over those costs.
    """
    literal_units: dict[str, set[int]] = {}
    for unit, literals in unit_literals.items():
        for literal in literals:
            literal_units.setdefault(literal, set()).add(unit)
    common = {word.lower() for word in common_words}
    ordinary = ordinary_text.lower()
    ordinary_lines = max(1, ordinary.count("\n") + 1)

    coverage: dict[str, set[str]] = {}
    for literal in literal_units:
        coverage.setdefault(literal, set()).add(literal)
        for start in range(len(literal)):
            shortest = 3 if literal[start] in sweep_starts else min_length
            for end in range(start + shortest, min(start + _MAX_GATE_LENGTH, len(literal)) + 1):
                coverage.setdefault(literal[start:end], set()).add(literal)

    costs: dict[str, float] = {}

    def cost(gate: str) -> float:
        known = costs.get(gate)
        if known is None:
            frequency = (ordinary.count(gate) + 0.5) / (ordinary_lines + 1)
            bare = gate.strip(" :'\"()[]")
            if bare in common or any(bare in word for word in common if len(bare) >= 3):
                frequency += 0.05
            if len(gate) < 5:
                frequency += 0.01  # short strings are frequent in text the sample does not show
            if gate[0] in sweep_starts:
                pass_cost = 0.05
            else:
                # str.find skips ahead by the needle's length: short gates cost more per pass.
                pass_cost = 1.0 + 4.0 / len(gate)
            known = pass_cost + frequency * _CANDIDATE_COST
            costs[gate] = known
        return known

    uncovered = set(literal_units)
    # Lazy greedy: keys are lower bounds of cost per newly covered literal.
    heap = [(0.05 / len(covered), -len(gate), gate) for gate, covered in coverage.items()]
    heapq.heapify(heap)
    chosen: dict[str, set[str]] = {}
    while uncovered and heap:
        _, neg_len, gate = heapq.heappop(heap)
        gain = len(coverage[gate] & uncovered)
        if gain == 0:
            continue
        key = cost(gate) / gain
        if heap and (key, neg_len, gate) > heap[0]:
            heapq.heappush(heap, (key, neg_len, gate))
            continue
        newly = coverage[gate] & uncovered
        chosen[gate] = newly
        uncovered -= newly

    found: dict[str, list[int]] = {}
    swept: dict[str, list[int]] = {}
    for gate, literals in chosen.items():
        units = sorted({unit for literal in literals for unit in literal_units[literal]})
        (swept if gate[0] in sweep_starts else found)[gate] = units
    return Gates(found, swept)
