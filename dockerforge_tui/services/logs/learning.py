"""Teach the pattern engine a new failure: check a proposed regex, then save it to the user pattern folder.

When an AI diagnosis (or a person) names a failure the packaged patterns missed, it
proposes a regex, an example line and what to do about it. :func:`propose_pattern`
checks the proposal the way the engine will run it: the regex compiles, the engines
find it in the example line, it leaves every benign line alone (the packaged
``reference/ordinary.log`` plus ``benign_lines`` in ``learning.yaml``), and it is not
catastrophically broad (it must contain a fixed string of a few characters, must not
match an empty line, and must not nest unbounded repeats, which backtrack
exponentially). A proposal that passes is a :class:`ProposedPattern`;
:func:`save_pattern` writes it, after the person confirmed, as a pattern file in the
user pattern folder (``AppPaths.config_dir / "patterns"``), in the same format as the
packaged files, so :func:`~dockerforge_tui.services.logs.load_patterns` picks it up.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Sequence

import yaml

from dockerforge_tui.core.atomic import atomic_write_text
from dockerforge_tui.core.errors import ConfigError, PermissionDeniedError, UsageError
from dockerforge_tui.core.paths import AppPaths
from dockerforge_tui.services.logs.detect import available_engines, detect
from dockerforge_tui.services.logs.literals import required_literals
from dockerforge_tui.services.logs.pattern_set import (
    REGEX_FLAGS, PatternSet, _read_pattern_file, default_patterns, ordinary_log_text,
)
from dockerforge_tui.services.logs.prefixes import anchor_to_message
from dockerforge_tui.services.logs.settings import detection_settings
from dockerforge_tui.core.yaml_data import load_yaml

try:  # the same parser the literal analysis uses (Python 3.11+)
    from re import _constants as sre_constants  # type: ignore[attr-defined]
    from re import _parser as sre_parser  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - other interpreters
    sre_parser = None
    sre_constants = None

LEARNING_FILE = Path(__file__).with_name("learning.yaml")
USER_PATTERNS_DIR_NAME = "patterns"
_ID_RE = re.compile(r"[a-z0-9][a-z0-9_.\-]*\Z")

__all__ = [
    "LearningRules", "PatternRejectedError", "ProposedPattern", "benign_lines", "learning_rules",
    "propose_pattern", "save_pattern", "user_patterns_dir",
]


def user_patterns_dir(paths: AppPaths) -> Path:
    """The user pattern folder: ``config_dir/patterns``; its files add to or override the packaged patterns."""
    return paths.config_dir / USER_PATTERNS_DIR_NAME


class PatternRejectedError(UsageError):
    """A proposed pattern failed a check; ``reason`` says which (a stable word for callers)."""

    def __init__(self, reason: str, message: str, hint: str | None = None) -> None:
        super().__init__(message, hint)
        self.reason = reason
        """``unknown_category``, ``unknown_severity``, ``bad_id``, ``empty``, ``too_long``, ``invalid_regex``,
        ``too_broad``, ``backtracking``, ``no_example_match`` or ``matches_benign``."""


@dataclass(frozen=True)
class LearningRules:
    """The whole ``learning.yaml``."""

    max_regex_length: int
    min_literal_length: int
    max_example_length: int
    id_prefix: str
    default_explanation: str
    default_recommendation: str
    benign_lines: tuple[str, ...]


@lru_cache(maxsize=1)
def learning_rules() -> LearningRules:
    """The packaged rules for learned patterns (loaded once)."""
    data = load_yaml(LEARNING_FILE.read_text(encoding="utf-8"))
    try:
        return LearningRules(
            max_regex_length=int(data["max_regex_length"]),
            min_literal_length=int(data["min_literal_length"]),
            max_example_length=int(data["max_example_length"]),
            id_prefix=str(data["id_prefix"]),
            default_explanation=" ".join(str(data["default_explanation"]).split()),
            default_recommendation=" ".join(str(data["default_recommendation"]).split()),
            benign_lines=tuple(str(line) for line in data["benign_lines"]),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise RuntimeError(f"{LEARNING_FILE}: {error}") from error


@lru_cache(maxsize=1)
def benign_lines() -> tuple[str, ...]:
    """Every line a learned pattern must not match: the ordinary-log sample, then ``benign_lines``."""
    ordinary = [line for line in ordinary_log_text().splitlines() if line.strip()]
    return tuple(dict.fromkeys([*ordinary, *learning_rules().benign_lines]))


@dataclass(frozen=True)
class ProposedPattern:
    """A checked pattern, ready to be shown to a person and saved."""

    id: str
    category: str
    severity: str
    regex: str
    example_line: str
    explanation: str
    recommendations: tuple[str, ...]
    case_sensitive: bool = False
    already_detected_by: tuple[str, ...] = ()
    """Ids of existing patterns that already recognise the example line (then saving adds little)."""
    benign_lines_checked: int = 0
    """How many benign lines the regex was run against without a match."""

    @property
    def file_name(self) -> str:
        """The pattern file's name in the user pattern folder."""
        return f"{self.id}.yaml"

    def as_pattern_data(self) -> dict[str, Any]:
        """The pattern as one entry of a pattern file's ``patterns:`` list."""
        data: dict[str, Any] = {
            "id": self.id,
            "category": self.category,
            "severity": self.severity,
            "regex": [self.regex],
        }
        if self.case_sensitive:
            data["case_sensitive"] = True
        data["explanation"] = self.explanation
        data["recommendations"] = list(self.recommendations)
        data["examples"] = {"match": [self.example_line]}
        return data

    def yaml_text(self, saved_at: datetime | None = None) -> str:
        """The pattern file, in the packaged files' format, with a header saying where it came from."""
        saved_at = saved_at or datetime.now(timezone.utc)
        header = (
            "# A learned DockerForge log pattern (services/logs/learning.py).\n"
            f"# Saved {saved_at.astimezone(timezone.utc).strftime('%Y-%m-%d %H:%M:%S UTC')}; "
            "edit it like any pattern file, or delete the file to forget it.\n"
        )
        body = yaml.safe_dump({"patterns": [self.as_pattern_data()]}, sort_keys=False, default_flow_style=False,
                              allow_unicode=True, width=1000)
        return header + body


def _reject(reason: str, message: str, hint: str | None = None) -> PatternRejectedError:
    return PatternRejectedError(reason, message, hint)


def _nested_unbounded_repeat(regex: str, flags: int) -> bool:
    """True when an unbounded repeat holds another unbounded repeat (``(a+)+``, ``(.*\\s?)*``)."""
    if sre_parser is None:  # pragma: no cover
        return False
    try:
        parsed = sre_parser.parse(regex, flags)
    except re.error:
        return False
    repeats = {sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT}
    possessive = getattr(sre_constants, "POSSESSIVE_REPEAT", None)
    if possessive is not None:
        repeats.add(possessive)
    unbounded = sre_constants.MAXREPEAT

    def children(op: Any, argument: Any) -> Iterable[Any]:
        if op in repeats:
            yield argument[2]
        elif op is sre_constants.SUBPATTERN:
            yield argument[-1]
        elif op is sre_constants.BRANCH:
            yield from argument[1]
        elif op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT):
            yield argument[1]
        elif op is getattr(sre_constants, "ATOMIC_GROUP", None):
            yield argument
        elif op is sre_constants.GROUPREF_EXISTS:
            yield from (item for item in argument[1:] if item is not None)

    def has_repeat(items: Any, inside_unbounded: bool) -> bool:
        for op, argument in items:
            if op in repeats:
                is_unbounded = argument[1] == unbounded or argument[1] > 1000
                if is_unbounded and inside_unbounded:
                    return True
                if has_repeat(argument[2], inside_unbounded or is_unbounded):
                    return True
                continue
            for child in children(op, argument):
                if has_repeat(child, inside_unbounded):
                    return True
        return False

    return has_repeat(parsed, False)


def _generated_id(category: str, regex: str) -> str:
    digest = hashlib.sha256(regex.encode("utf-8")).hexdigest()[:8]
    return f"{learning_rules().id_prefix}.{category}.{digest}"


def _load_single(proposed: ProposedPattern) -> PatternSet:
    """The proposal as the engine will load it: its file text read by the pattern loader, alone in a set."""
    with tempfile.TemporaryDirectory(prefix="dockerforge-pattern-") as scratch:
        path = Path(scratch) / proposed.file_name
        path.write_text(proposed.yaml_text(), encoding="utf-8")
        try:
            # The loader's own file reader (this package's), not load_patterns: that would rebuild
            # every packaged pattern's matchers just to check one.
            loaded = [pattern for pattern, enabled in _read_pattern_file(path) if enabled]
        except ConfigError as error:  # a check above should have caught it; say what the loader said
            raise _reject("invalid_regex", f"the pattern file would not load: {error.message}",
                          error.hint) from None
    return PatternSet(loaded)


def propose_pattern(category: str, regex: str, example_line: str, explanation: str | None = None,
                    severity: str = "error", recommendations: Sequence[str] = (), *,
                    pattern_id: str | None = None, case_sensitive: bool = False,
                    existing: PatternSet | None = None) -> ProposedPattern:
    """Check a proposed pattern and return it ready to save; raise :class:`PatternRejectedError` when it fails.

    ``category`` and ``severity`` must be the engine's (``detection.yaml``);
    ``regex`` is Python ``re`` syntax, matched case-insensitively unless
    ``case_sensitive``, where ``^`` means the start of the message after any
    container-log prefix (as in the packaged patterns). ``example_line`` is a line
    the pattern must recognise. ``explanation`` and ``recommendations`` default to
    generic texts from ``learning.yaml``. ``pattern_id`` defaults to
    ``learned.<category>.<hash of the regex>``. ``existing`` (default: the packaged
    patterns) is used to report which patterns already recognise the example.
    """
    rules = learning_rules()
    settings = detection_settings()
    if category not in settings.categories:
        raise _reject("unknown_category", f"unknown pattern category {category!r}",
                      f"use one of: {', '.join(settings.categories)}")
    if severity not in settings.severities:
        raise _reject("unknown_severity", f"unknown severity {severity!r}",
                      f"use one of: {', '.join(settings.severities)}")
    regex = regex.strip() if isinstance(regex, str) else ""
    if not regex:
        raise _reject("empty", "the regex is empty", "give the regular expression the log line should match")
    if len(regex) > rules.max_regex_length:
        raise _reject("too_long", f"the regex is {len(regex)} characters long (at most {rules.max_regex_length})",
                      "match the distinctive part of the message only")
    example_line = example_line.rstrip("\r\n") if isinstance(example_line, str) else ""
    if not example_line.strip():
        raise _reject("empty", "the example line is empty", "give a log line the pattern must recognise")
    if len(example_line) > rules.max_example_length or "\n" in example_line:
        raise _reject("too_long", "the example must be one log line "
                      f"(at most {rules.max_example_length} characters)", "pass the single line that shows the failure")
    if pattern_id is None:
        pattern_id = _generated_id(category, regex)
    elif not _ID_RE.match(pattern_id):
        raise _reject("bad_id", f"the pattern id {pattern_id!r} is not valid",
                      "use lower-case letters, digits, '.', '_' and '-', starting with a letter or digit")
    if pattern_id in default_patterns():
        raise _reject("bad_id", f"the id {pattern_id!r} belongs to a packaged pattern",
                      "choose another id (a learned pattern adds to the packaged ones)")

    flags = REGEX_FLAGS | (0 if case_sensitive else re.IGNORECASE)
    anchored = anchor_to_message(regex)
    try:
        compiled = re.compile(anchored, flags)
    except re.error as error:
        raise _reject("invalid_regex", f"the regex does not compile: {error}",
                      "use Python regular-expression syntax; quote it for your shell") from None
    if compiled.search("") is not None:
        raise _reject("too_broad", "the regex matches an empty line, so it would match every line",
                      "make it require the words of the failure message")
    literals = required_literals(anchored, flags)
    shortest = min((len(literal) for literal in literals), default=0) if literals else 0
    if shortest < rules.min_literal_length:
        raise _reject("too_broad",
                      f"every line the regex matches must contain a fixed string of at least "
                      f"{rules.min_literal_length} characters; this one does not",
                      "anchor it on the words of the failure message, e.g. 'quota exceeded for bucket \\S+'")
    if _nested_unbounded_repeat(regex, flags):
        raise _reject("backtracking", "the regex nests unbounded repeats (like '(a+)+'), which can take "
                      "exponential time on some lines", "remove the outer repeat or bound the inner one")

    proposal = ProposedPattern(
        id=pattern_id,
        category=category,
        severity=severity,
        regex=regex,
        example_line=example_line,
        explanation=" ".join((explanation or "").split()) or rules.default_explanation,
        recommendations=tuple(" ".join(text.split()) for text in recommendations if text and text.strip())
        or (rules.default_recommendation,),
        case_sensitive=case_sensitive,
    )
    single = _load_single(proposal)
    engines = available_engines()
    for engine in engines:
        if not any(finding.pattern_id == pattern_id for finding in detect([example_line], single, engine=engine)):
            raise _reject("no_example_match", "the regex does not match the example line "
                          f"(with the {engine} engine)",
                          "test the regex on the line; remember '^' means the start of the message")
    lines = benign_lines()
    for engine in engines:
        findings = detect(lines, single, engine=engine)
        if findings:
            benign = lines[findings[0].line_index]
            raise _reject("matches_benign", f"the regex also matches an ordinary log line: {benign!r}",
                          "make it more specific to the failure message")
    known = detect([example_line], existing if existing is not None else default_patterns())
    return replace(proposal, already_detected_by=tuple(dict.fromkeys(finding.pattern_id for finding in known)),
                   benign_lines_checked=len(lines))


def save_pattern(proposed: ProposedPattern, user_dir: Path) -> Path:
    """Write ``proposed`` to ``user_dir/<id>.yaml`` atomically and return the file's path.

    The folder is created when missing; an existing file of the same name is first
    kept as ``<id>.yaml.bak-<timestamp>`` (which the pattern loader ignores). Raises
    :class:`PermissionDeniedError` or :class:`UsageError` when the file cannot be written.
    """
    target = Path(user_dir).expanduser() / proposed.file_name
    try:
        atomic_write_text(target, proposed.yaml_text(), backup=True)
    except PermissionError as error:
        raise PermissionDeniedError(f"cannot write the pattern file {target}: {error.strerror or error}",
                                    hint="check the permissions of the user pattern folder") from None
    except OSError as error:
        raise UsageError(f"cannot write the pattern file {target}: {error.strerror or error}",
                         hint="check that the folder is writable and the disk has room") from None
    return target
