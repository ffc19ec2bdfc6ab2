"""Required substrings of a regex, and the sweeps that find them.

The pure-Python engine never runs a pattern's regex on a line that lacks one of the
pattern's required literals. This module derives those literals from the regex
itself (any match must contain at least one of them), so user patterns need no
hand-written ``literals:`` to be fast, and a wrong hand-written one cannot make the
Python engine disagree with the Hyperscan engine. It also groups the literals into
a few "sweeps" (:func:`choose_gates`), each found in one pass over the text.

Literals are lower-case ASCII by default: the engine searches a lower-cased copy of
the text, which is correct for case-sensitive and case-insensitive regexes alike.
For case-sensitive regexes they can also be derived in the regex's own case, so the
engine can check the case where it found one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
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


def required_literals(
    regex: str, flags: int = 0, keep_case: bool = False, ordinary_text: str | None = None
) -> frozenset[str] | None:
    """Return lower-case strings of which every match of ``regex`` contains one.

    None means no useful literal exists (for example ``\\d+ ms``), and the regex must
    be tried on every line. With ``keep_case`` (for a case-sensitive regex) the
    strings keep the regex's case, so they can be checked on the original text.
    With ``ordinary_text`` (benign log lines, lower-cased), between choices of
    similar length the one whose strings occur less in it wins (``unexpectedly``
    rather than ``connection `` in ``Connection (?:closed|reset) unexpectedly``).
    """
    if sre_parser is None:  # pragma: no cover
        return None
    try:
        parsed = sre_parser.parse(regex, flags)
    except re.error:
        return None
    if parsed.state.flags & re.IGNORECASE:  # an inline (?i) makes the whole regex caseless
        keep_case = False
    mode = _Mode(keep_case, ordinary_text)
    info = _sequence(list(parsed), mode)
    best = _best_of([info.required, info.exact], mode)
    if not best or min(len(s) for s in best) == 0:
        return None
    return best


_LONG_ENOUGH = 8
"""Literals this long are selective enough; beyond it, fewer alternatives count for more."""


@dataclass(frozen=True)
class _Mode:
    """How literals are derived: in the regex's case or lower-cased, and what they are compared on."""

    keep_case: bool = False
    ordinary_text: str | None = None
    """Benign log text (lower-cased): strings seen in it count against a choice."""
    seen: dict[str, bool] = field(default_factory=dict, compare=False)
    """Whether each string scored so far occurs in ``ordinary_text`` (scores repeat a lot)."""


_LOWER_CASE = _Mode()


def _score(alternatives: frozenset[str] | None, mode: _Mode) -> tuple[int, int, int, int]:
    if not alternatives:
        return (-1, 0, 0, 0)
    shortest = min(len(s) for s in alternatives)
    seen = 0
    if mode.ordinary_text is not None:
        known = mode.seen
        for text in alternatives:
            hit = known.get(text)
            if hit is None:
                hit = known[text] = text.lower() in mode.ordinary_text
            seen += hit
    return (min(shortest, _LONG_ENOUGH), -seen, -len(alternatives), shortest)


def _best_of(candidates: Iterable[frozenset[str] | None], mode: _Mode = _LOWER_CASE) -> frozenset[str] | None:
    best: frozenset[str] | None = None
    for candidate in candidates:
        if candidate and _score(candidate, mode) > _score(best, mode):
            best = candidate
    if best is not None and min(len(s) for s in best) == 0:
        return None
    return best


def _cross(left: frozenset[str], right: frozenset[str]) -> frozenset[str] | None:
    if len(left) * len(right) > _MAX_ALTERNATIVES:
        return None
    return frozenset(a + b for a in left for b in right)


def _sequence(items: list, mode: _Mode) -> _Info:
    candidates: list[frozenset[str] | None] = []
    run: frozenset[str] | None = frozenset({""})
    whole: frozenset[str] | None = frozenset({""})
    for op, arg in items:
        info = _element(op, arg, mode)
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
    return _Info(whole, _best_of(candidates, mode))


def _element(op, arg, mode: _Mode) -> _Info:  # noqa: C901 - one branch per regex opcode
    c = sre_constants
    keep_case = mode.keep_case
    if op is c.LITERAL:
        if arg < 128:
            return _Info(frozenset({chr(arg) if keep_case else chr(arg).lower()}), None)
        if keep_case:  # exact, so any character will do; lower-cased text needs ASCII
            return _Info(frozenset({chr(arg)}), None)
        return _NOTHING
    if op is c.AT:
        return _EMPTY
    if op in (c.ASSERT, c.ASSERT_NOT):
        return _EMPTY
    if op is c.IN:
        chars: set[str] = set()
        for member_op, member_arg in arg:
            if member_op is not c.LITERAL or (member_arg >= 128 and not keep_case):
                return _NOTHING
            chars.add(chr(member_arg) if keep_case else chr(member_arg).lower())
        if len(chars) > 4:
            return _NOTHING
        return _Info(frozenset(chars), None)
    if op is c.SUBPATTERN:
        inner = arg[-1]
        if keep_case and arg[1] & re.IGNORECASE:  # (?i:...) inside a case-sensitive regex
            return _NOTHING
        return _sequence(list(inner), mode)
    if op is c.BRANCH:
        branches = [_sequence(list(branch), mode) for branch in arg[1]]
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
            own = _best_of([branch.required, branch.exact], mode)
            if own is None or required is None:
                required = None
                break
            required = required | own
        if required is not None and len(required) > _MAX_ALTERNATIVES:
            required = None
        return _Info(exact, required)
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)):
        low, high, inner = arg
        info = _sequence(list(inner), mode)
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
        return _Info(None, _best_of([info.required, info.exact], mode))
    if op is getattr(c, "ATOMIC_GROUP", None):
        return _sequence(list(arg), mode)
    return _NOTHING


@dataclass(frozen=True)
class Sweep:
    """One pass over a chunk that finds every occurrence of a set of literals.

    Each literal of the sweep contains ``key``. Python's ``re`` scans for a
    pattern's literal prefix in a tight C loop (about as fast as ``str.find``) and
    starts its matcher only where the prefix occurs, so the pattern ``key(?=...)``,
    with a trie of what follows the key in each literal and a look-behind for what
    precedes it, finds all of them in one pass, whatever their number.
    """

    key: str
    """Contained in every literal of the sweep (1 or 2 characters, never overlapping itself)."""
    gates: dict[str, list[int]]
    """Literal -> the units that require it."""


@dataclass(frozen=True)
class Gates:
    """The pure-Python engine's pre-filter: every required literal, grouped into sweeps."""

    sweeps: tuple[Sweep, ...]
    unswept: tuple[int, ...] = ()
    """Units with a literal no sweep can hold (only newlines): their regex is tried on every line."""

    @property
    def all(self) -> dict[str, list[int]]:
        """Every literal of every sweep -> its units."""
        return {gate: units for sweep in self.sweeps for gate, units in sweep.gates.items()}


_MAX_KEY_LENGTH = 2
"""Longest sweep key tried; longer keys cover too few literals to pay for their pass."""

# The cost model, in passes of one sweep over a chunk (what a sweep costs however
# rare its key is: about 0.5 ns a character). Measured on the 2-CPU development VM.
_CANDIDATE_COST = 60.0
"""Extra cost of a key found at every character position (the matcher walking the trie)."""
_FIRST_CHARACTER_COST = 9.0
"""Extra cost of a two-character key's first character at every position (the prefix check)."""

_MIN_REST = 2
"""Characters a literal must have after its sweep key, when it is long enough."""


def _overlaps_itself(key: str) -> bool:
    """True when two occurrences of ``key`` can overlap (a sweep would miss the second)."""
    return any(key[:size] == key[-size:] for size in range(1, len(key)))


def choose_gates(
    unit_literals: Mapping[int, frozenset[str]],
    ordinary_text: str = "",
    max_key_length: int = _MAX_KEY_LENGTH,
) -> Gates:
    """Group every unit's literals into few sweeps, each keyed by a short common substring.

    ``unit_literals`` maps a unit (one regex of one pattern) to its required
    literals; every literal lands in exactly one sweep, whose key it contains. A
    sweep costs one pass over the text plus the regex matcher's work wherever its
    key occurs, estimated from how often the key occurs in ``ordinary_text``
    (benign log lines); the keys are chosen by a greedy weighted set cover over
    those costs, then keys made redundant by later choices are dropped. For the
    packaged patterns that is about fifteen sweeps for some 870 literals, where a
    ``str.find`` pass per literal (or per shared substring) would take ten times as
    many passes.
    """
    literal_units: dict[str, set[int]] = {}
    for unit, literals in unit_literals.items():
        for literal in literals:
            literal_units.setdefault(literal, set()).add(unit)
    if not literal_units:
        return Gates(())
    ordinary = ordinary_text.lower()
    positions = max(1, len(ordinary))

    def per_position(text: str) -> float:
        return (ordinary.count(text) + 0.5) / positions

    coverage: dict[str, set[str]] = {}
    for literal in literal_units:
        # The sweep's trie starts after the key's first occurrence. A literal that ends
        # right after it would add a look-behind tried wherever the key occurs (and a
        # check after every hit of the sweep), so a key must leave some of the literal.
        last_start = max(0, len(literal) - _MIN_REST - 1)
        for start in range(len(literal)):
            for size in range(1, max_key_length + 1):
                key = literal[start : start + size]
                if len(key) == size and "\n" not in key and not _overlaps_itself(key):
                    if literal.find(key) + size - 1 <= last_start:
                        coverage.setdefault(key, set()).add(literal)

    def key_cost(key: str) -> float:
        cost = 1.0 + _CANDIDATE_COST * per_position(key)
        if len(key) > 1:
            cost += _FIRST_CHARACTER_COST * per_position(key[0])
        return cost

    key_costs = {key: key_cost(key) for key in coverage}
    uncovered = set(literal_units)
    keyless = {literal for literal in uncovered if not any(literal in covered for covered in coverage.values())}
    uncovered -= keyless
    chosen: list[str] = []
    while uncovered:
        best_key, best_ratio = "", float("inf")
        for key, covered in coverage.items():
            newly = len(covered & uncovered)
            if newly and key_costs[key] / newly < best_ratio:
                best_key, best_ratio = key, key_costs[key] / newly
        chosen.append(best_key)
        uncovered -= coverage[best_key]
    # A key chosen early may have become redundant: drop the costliest such keys first.
    for key in sorted(chosen, key=lambda k: -key_costs[k]):
        others = [other for other in chosen if other != key]
        if all(any(literal in coverage[other] for other in others) for literal in coverage[key]):
            chosen = others

    sweeps: dict[str, dict[str, list[int]]] = {key: {} for key in chosen}
    for literal, units in sorted(literal_units.items()):
        if literal in keyless:
            continue
        # The cheapest key wins: its pass is the same, but it starts the matcher less often.
        key = min((key for key in chosen if literal in coverage[key]), key=lambda k: (key_costs[k], k))
        sweeps[key][literal] = sorted(units)
    unswept = tuple(sorted({unit for literal in keyless for unit in literal_units[literal]}))
    return Gates(tuple(Sweep(key, gates) for key, gates in sorted(sweeps.items()) if gates), unswept)
