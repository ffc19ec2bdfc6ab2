"""The pattern database: YAML files shipped in ``patterns/`` plus a user folder.

A pattern file looks like::

    category: port_in_use          # default for the patterns below (optional)
    severity: error                # default (optional)
    patterns:
      - id: port_in_use.eaddrinuse
        regex: ['address already in use', '\\beaddrinuse\\b']
        explanation: ...
        recommendations: [...]
        examples: {match: [...], no_match: [...]}

Optional per pattern: ``category``, ``severity``, ``case_sensitive`` (default
false), ``unless`` (regexes that cancel a match on the same line), ``context``
(``confirm`` / ``cancel`` rules on nearby lines), ``supersedes`` (categories this
finding replaces in the same multi-line unit), ``priority`` (which finding of a
category a unit keeps), ``literals`` (required substrings for the pure-Python
pre-filter; they are derived from each regex, and the hand-written ones serve only
where that fails), ``python_only`` (the regex uses constructs Hyperscan lacks) and
``enabled: false`` (a user file removes a packaged pattern).

Every regex is Python ``re`` syntax, matched per line with ``re.ASCII`` and
``re.MULTILINE`` (and ``re.IGNORECASE`` unless ``case_sensitive``); ``^`` means the
start of the message after Compose/``docker logs -t``/BuildKit prefixes. Keep to the
subset Hyperscan compiles (no lookarounds or backreferences), or the fast engine
falls back to the regex's literals for it.

A user file adds patterns, or replaces a packaged one by using its id. The usual
user folder is ``AppPaths.config_dir / "patterns"``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

import yaml

from dockerforge_tui.core.errors import ConfigError
from dockerforge_tui.services.logs.literals import Gates, choose_gates, required_literals
from dockerforge_tui.services.logs.prefixes import anchor_to_message
from dockerforge_tui.services.logs.settings import detection_settings

PACKAGED_PATTERNS_DIR = Path(__file__).with_name("patterns")
ORDINARY_LOG_FILE = Path(__file__).parent / "reference" / "ordinary.log"
"""Benign log lines from many programs: the gate choice avoids strings common in them."""

REGEX_FLAGS = re.ASCII | re.MULTILINE
"""Flags of every pattern regex in Python; the Hyperscan engine mirrors them."""

_PATTERN_KEYS = {
    "id", "category", "severity", "regex", "case_sensitive", "unless", "context", "supersedes",
    "priority", "literals", "python_only", "enabled", "explanation", "recommendations", "examples",
}  # fmt: skip
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""LibYAML's safe loader when PyYAML was built with it: 30 times faster on the pattern files."""
_ID_RE = re.compile(r"[a-z0-9][a-z0-9_.\-]*\Z")
_MAX_CONTEXT_LINES = 50


@dataclass(frozen=True)
class ContextRule:
    """A regex that must (``confirm``) or must not (``cancel``) match near the finding's line."""

    regex: re.Pattern[str]
    before: int = 0
    """Look at this many lines before the finding's line."""
    after: int = 0
    """Look at this many lines after the finding's line."""


@dataclass(frozen=True)
class Pattern:
    """One known failure shape, as loaded from a pattern file."""

    id: str
    category: str
    severity: str
    regexes: tuple[str, ...]
    explanation: str
    recommendations: tuple[str, ...]
    case_sensitive: bool = False
    unless: tuple[re.Pattern[str], ...] = ()
    confirm: tuple[ContextRule, ...] = ()
    cancel: tuple[ContextRule, ...] = ()
    supersedes: frozenset[str] = frozenset()
    priority: int = 0
    literals: tuple[str, ...] = ()
    """Hand-written required substrings (lower-case), for regexes whose literals cannot be derived."""
    python_only: bool = False
    examples_match: tuple[tuple[str, ...], ...] = ()
    """Snippets (one or more lines each) in which this pattern must report a finding."""
    examples_no_match: tuple[tuple[str, ...], ...] = ()
    """Near-miss snippets in which it must not."""
    source: Path | None = field(default=None, compare=False)

    @property
    def has_context(self) -> bool:
        """True when ``unless`` or ``context`` rules must be checked after a match."""
        return bool(self.unless or self.confirm or self.cancel)

    @property
    def regex_flags(self) -> int:
        """Python ``re`` flags for this pattern's regexes."""
        return REGEX_FLAGS | (0 if self.case_sensitive else re.IGNORECASE)


@dataclass(frozen=True)
class MatchUnit:
    """One regex of one pattern, as both engines run it."""

    index: int
    pattern_index: int
    source: str
    """The regex with ``^`` rewritten to skip line prefixes."""
    compiled: re.Pattern[str]
    literals: frozenset[str] | None
    """Lower-case strings of which every match contains one; None: try every line."""
    case_sensitive: bool
    python_only: bool
    cased_literals: frozenset[str] | None = None
    """For a case-sensitive regex, required ASCII strings in the regex's own case (else None).

    ``literals`` are then exactly these, lower-cased. The pure-Python engine checks the
    case where it finds a literal: ``Error`` keeps ``ERROR`` and ``errors`` lines away
    from a regex that needs ``Error``.
    """


class PatternSet:
    """An ordered, validated collection of patterns and the matchers built from them.

    Build one with :func:`load_patterns`; it is immutable, and the engines' compiled
    forms are built on first use and kept on the instance.
    """

    def __init__(self, patterns: Iterator[Pattern] | tuple[Pattern, ...] | list[Pattern]) -> None:
        self._patterns: tuple[Pattern, ...] = tuple(patterns)
        self._by_id = {pattern.id: index for index, pattern in enumerate(self._patterns)}
        units: list[MatchUnit] = []
        ordinary = ordinary_log_text().lower()
        for pattern_index, pattern in enumerate(self._patterns):
            declared = frozenset(pattern.literals) if pattern.literals else None
            for regex in pattern.regexes:
                source = anchor_to_message(regex)
                compiled = re.compile(source, pattern.regex_flags)
                derived = required_literals(source, pattern.regex_flags, ordinary_text=ordinary)
                cased = (
                    required_literals(source, pattern.regex_flags, keep_case=True, ordinary_text=ordinary)
                    if pattern.case_sensitive
                    else None
                )
                if cased is not None and all(literal.isascii() for literal in cased):
                    # Lower-case literals taken from the cased ones correspond one to one, so the
                    # Python engine can check the case where it finds a literal (see engine_python).
                    derived = frozenset(literal.lower() for literal in cased)
                else:
                    cased = None
                units.append(
                    MatchUnit(
                        index=len(units),
                        pattern_index=pattern_index,
                        source=source,
                        compiled=compiled,
                        # Derived literals are provably required; hand-written ones are only
                        # checked against the examples, so they serve where derivation fails.
                        literals=derived if derived is not None else declared,
                        case_sensitive=pattern.case_sensitive,
                        python_only=pattern.python_only,
                        cased_literals=cased,
                    )
                )
        self._units = tuple(units)
        self.unit_patterns: tuple[int, ...] = tuple(unit.pattern_index for unit in units)
        """Pattern index of every unit, by unit index."""
        self.needs_context: tuple[bool, ...] = tuple(pattern.has_context for pattern in self._patterns)
        """Whether each pattern has ``unless`` or ``context`` rules, by pattern index."""
        self._engine_cache: dict[str, Any] = {}
        self._gates: Gates | None = None

    @property
    def patterns(self) -> tuple[Pattern, ...]:
        """The patterns, packaged ones first, in file and list order."""
        return self._patterns

    @property
    def units(self) -> tuple[MatchUnit, ...]:
        """Every regex of every pattern, numbered for the engines."""
        return self._units

    def __len__(self) -> int:
        return len(self._patterns)

    def __iter__(self) -> Iterator[Pattern]:
        return iter(self._patterns)

    def __contains__(self, pattern_id: object) -> bool:
        return pattern_id in self._by_id

    def get(self, pattern_id: str) -> Pattern:
        """Return the pattern with this id (KeyError when there is none)."""
        return self._patterns[self._by_id[pattern_id]]

    def subset(self, pattern_ids: list[str] | tuple[str, ...]) -> PatternSet:
        """A new set holding only these patterns (used to test one pattern in isolation)."""
        return PatternSet(tuple(self.get(pattern_id) for pattern_id in pattern_ids))

    def gates(self) -> Gates:
        """The pure-Python engine's pre-filter strings and their units (see :mod:`literals`)."""
        if self._gates is None:
            gated = tuple((unit.index, unit.literals) for unit in self._units if unit.literals)
            self._gates = _gates_for(gated)
        return self._gates

    def engine_cache(self) -> dict[str, Any]:
        """Per-instance storage where engines keep what they compiled for this set."""
        return self._engine_cache


@lru_cache(maxsize=8)
def _gates_for(gated: tuple[tuple[int, frozenset[str]], ...]) -> Gates:
    """Gate choice for these units' literals; cached because it takes a moment for a full set."""
    return choose_gates(dict(gated), ordinary_log_text())


def load_patterns(user_dir: Path | None = None) -> PatternSet:
    """Load the packaged patterns, then add or override them from ``user_dir``.

    ``user_dir`` may be missing or empty. Every ``*.yaml``/``*.yml`` file in it is
    read in name order; a pattern whose id exists already replaces it in place, and
    ``enabled: false`` removes it. A bad file raises :class:`ConfigError` with a
    one-line message naming the file and the pattern id.
    """
    patterns: dict[str, Pattern] = {pattern.id: pattern for pattern in _packaged_patterns()}
    if user_dir is not None and Path(user_dir).is_dir():
        files = sorted(p for p in Path(user_dir).iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
        for path in files:
            for pattern, enabled in _read_pattern_file(path):
                if not enabled:
                    patterns.pop(pattern.id, None)
                else:
                    patterns[pattern.id] = pattern
    return PatternSet(tuple(patterns.values()))


@lru_cache(maxsize=1)
def _packaged_patterns() -> tuple[Pattern, ...]:
    found: dict[str, Pattern] = {}
    for path in sorted(PACKAGED_PATTERNS_DIR.glob("*.yaml")):
        for pattern, enabled in _read_pattern_file(path):
            if pattern.id in found:
                raise ConfigError(
                    f"{path}: pattern '{pattern.id}': the id is already used in {found[pattern.id].source}",
                    hint="give every packaged pattern a unique id",
                )
            if enabled:
                found[pattern.id] = pattern
    return tuple(found.values())


@lru_cache(maxsize=1)
def ordinary_log_text() -> str:
    """The packaged sample of ordinary (benign) log lines."""
    return ORDINARY_LOG_FILE.read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def default_patterns() -> PatternSet:
    """The packaged patterns only, loaded once per process."""
    return PatternSet(_packaged_patterns())


def _read_pattern_file(path: Path) -> list[tuple[Pattern, bool]]:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{path}: not valid YAML{where}: {problem}", hint="fix the YAML syntax") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the pattern file: {exc.strerror}") from exc
    if data is None:
        return []
    if not isinstance(data, dict) or not isinstance(data.get("patterns"), list):
        raise ConfigError(
            f"{path}: a pattern file needs a top-level 'patterns:' list",
            hint="see dockerforge_tui/services/logs/patterns/*.yaml for the format",
        )
    unknown = set(data) - {"category", "severity", "patterns"}
    if unknown:
        raise ConfigError(f"{path}: unknown top-level key(s): {', '.join(sorted(unknown))}")
    defaults = {key: data[key] for key in ("category", "severity") if key in data}
    return [_build_pattern(path, position, raw, defaults) for position, raw in enumerate(data["patterns"], 1)]


def _build_pattern(path: Path, position: int, raw: Any, defaults: dict[str, Any]) -> tuple[Pattern, bool]:
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
        raise ConfigError(f"{path}: pattern #{position}: needs an 'id' (a string)")
    pattern_id = raw["id"]

    def fail(problem: str, hint: str | None = None) -> ConfigError:
        return ConfigError(f"{path}: pattern '{pattern_id}': {problem}", hint=hint)

    if not _ID_RE.match(pattern_id):
        raise fail("the id may use only lower-case letters, digits, '.', '_' and '-'")
    unknown = set(raw) - _PATTERN_KEYS
    if unknown:
        raise fail(f"unknown key(s): {', '.join(sorted(unknown))}", hint=f"known keys: {', '.join(sorted(_PATTERN_KEYS))}")
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        raise fail("'enabled' must be true or false")
    settings = detection_settings()
    merged = {**defaults, **raw}
    if not enabled and "regex" not in raw:
        # A stub that only switches a packaged pattern off.
        stub = Pattern(pattern_id, "crash", "info", (), "", (), source=path)
        return stub, False

    category = merged.get("category")
    if category not in settings.categories:
        raise fail(f"unknown category {category!r}", hint=f"use one of: {', '.join(settings.categories)}")
    severity = merged.get("severity")
    if severity not in settings.severities:
        raise fail(f"unknown severity {severity!r}", hint=f"use one of: {', '.join(settings.severities)}")
    case_sensitive = raw.get("case_sensitive", False)
    if not isinstance(case_sensitive, bool):
        raise fail("'case_sensitive' must be true or false")
    python_only = raw.get("python_only", False)
    if not isinstance(python_only, bool):
        raise fail("'python_only' must be true or false")
    flags = REGEX_FLAGS | (0 if case_sensitive else re.IGNORECASE)

    regexes = _string_list(raw.get("regex"), "regex", fail)
    if not regexes:
        raise fail("needs at least one regex in 'regex'")
    for regex in regexes:
        _compile(regex, flags, "regex", fail)
    unless = tuple(_compile(regex, flags, "unless", fail) for regex in _string_list(raw.get("unless", []), "unless", fail))
    confirm, cancel = _context_rules(raw.get("context"), flags, fail)
    supersedes = _string_list(raw.get("supersedes", []), "supersedes", fail)
    for other in supersedes:
        if other not in settings.categories:
            raise fail(f"'supersedes' names unknown category {other!r}")
    priority = raw.get("priority", 0)
    if not isinstance(priority, int) or isinstance(priority, bool):
        raise fail("'priority' must be an integer")
    literals = tuple(literal.lower() for literal in _string_list(raw.get("literals", []), "literals", fail))
    if any(len(literal) < 2 for literal in literals):
        raise fail("every entry of 'literals' needs at least two characters")
    explanation = raw.get("explanation")
    if not isinstance(explanation, str) or not explanation.strip():
        raise fail("needs an 'explanation' (a non-empty string)")
    recommendations = _string_list(raw.get("recommendations"), "recommendations", fail)
    if not recommendations:
        raise fail("needs at least one entry in 'recommendations'")
    examples_match, examples_no_match = _examples(raw.get("examples"), fail)

    pattern = Pattern(
        id=pattern_id,
        category=category,
        severity=severity,
        regexes=regexes,
        explanation=" ".join(explanation.split()),
        recommendations=recommendations,
        case_sensitive=case_sensitive,
        unless=unless,
        confirm=confirm,
        cancel=cancel,
        supersedes=frozenset(supersedes),
        priority=priority,
        literals=literals,
        python_only=python_only,
        examples_match=examples_match,
        examples_no_match=examples_no_match,
        source=path,
    )
    if literals:
        _check_literals(pattern, fail)
    return pattern, enabled


def _string_list(value: Any, key: str, fail) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise fail(f"'{key}' must be a string or a list of strings")
    return tuple(value)


def _compile(regex: str, flags: int, key: str, fail) -> re.Pattern[str]:
    try:
        return re.compile(anchor_to_message(regex), flags)
    except re.error as exc:
        raise fail(f"{key} {regex!r} is not a valid regex: {exc}") from exc


def _context_rules(value: Any, flags: int, fail) -> tuple[tuple[ContextRule, ...], tuple[ContextRule, ...]]:
    if value is None:
        return (), ()
    if not isinstance(value, dict) or set(value) - {"confirm", "cancel"}:
        raise fail("'context' takes 'confirm' and/or 'cancel' lists")
    built: dict[str, list[ContextRule]] = {"confirm": [], "cancel": []}
    for kind in ("confirm", "cancel"):
        rules = value.get(kind, [])
        if not isinstance(rules, list):
            raise fail(f"'context.{kind}' must be a list")
        for rule in rules:
            if not isinstance(rule, dict) or "regex" not in rule or set(rule) - {"regex", "before", "after"}:
                raise fail(f"each 'context.{kind}' rule needs 'regex' and 'before' or 'after' (a number of lines)")
            before, after = rule.get("before", 0), rule.get("after", 0)
            for number in (before, after):
                if not isinstance(number, int) or isinstance(number, bool) or not 0 <= number <= _MAX_CONTEXT_LINES:
                    raise fail(f"'before'/'after' in 'context.{kind}' must be 0..{_MAX_CONTEXT_LINES}")
            if before == 0 and after == 0:
                raise fail(f"a 'context.{kind}' rule needs 'before' or 'after' above 0")
            # Context regexes see the message after its prefix, so '^' is its first character.
            try:
                compiled = re.compile(rule["regex"], flags)
            except (re.error, TypeError) as exc:
                raise fail(f"context regex {rule['regex']!r} is not a valid regex: {exc}") from exc
            built[kind].append(ContextRule(compiled, before, after))
    return tuple(built["confirm"]), tuple(built["cancel"])


def _examples(value: Any, fail) -> tuple[tuple[tuple[str, ...], ...], tuple[tuple[str, ...], ...]]:
    if value is None:
        return (), ()
    if not isinstance(value, dict) or set(value) - {"match", "no_match"}:
        raise fail("'examples' takes 'match' and 'no_match' lists")
    result = []
    for key in ("match", "no_match"):
        snippets = []
        for item in value.get(key, []) or []:
            if isinstance(item, str):
                snippets.append((item,))
            elif isinstance(item, list) and item and all(isinstance(line, str) for line in item):
                snippets.append(tuple(item))
            else:
                raise fail(f"each 'examples.{key}' entry must be a line or a list of lines")
        result.append(tuple(snippets))
    return result[0], result[1]


def _check_literals(pattern: Pattern, fail) -> None:
    """A hand-written literal must occur in every matching example, or the Python engine would miss them."""
    for snippet in pattern.examples_match:
        for line in snippet:
            lowered = line.lower()
            if any(re.compile(anchor_to_message(r), pattern.regex_flags).search(line) for r in pattern.regexes):
                if not any(literal in lowered for literal in pattern.literals):
                    raise fail(
                        f"example {line!r} matches but contains none of 'literals'",
                        hint="every match must contain one of the literals; remove 'literals' to derive them",
                    )
