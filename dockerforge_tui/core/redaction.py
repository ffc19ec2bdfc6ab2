"""Remove secrets from text and data before they leave the process.

Every outbound path (log files, AI prompts, notifications, reports) passes its
text through a :class:`Redactor`. What counts as a secret is data, not code: the
named rules and the secret key-name patterns live in ``redaction_rules.yaml``
next to this module and are compiled once per process.

A secret is replaced by a stable placeholder such as ``[REDACTED:password:1]``:
within one Redactor (until :meth:`Redactor.reset`) the same secret always gets
the same placeholder, so a reader, or a model, can still tell that two
containers share a password without seeing it.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping


from dockerforge_tui.core.errors import ConfigError
from dockerforge_tui.core.yaml_data import load_yaml

__all__ = [
    "PLACEHOLDER_PATTERN",
    "Redactor",
    "RedactionRule",
    "RedactionRules",
    "is_secret_key",
    "load_redaction_rules",
    "normalize_key_name",
]

RULES_FILE = "redaction_rules.yaml"
SCAN_MODES = ("everywhere", "line_starts", "key_hints")

PLACEHOLDER_PATTERN = re.compile(r"\[REDACTED:[a-z0-9_.\-]+:\d+\]")
"""What a placeholder looks like; text that is only placeholders is never redacted again."""

# Labels for values that were not found through a rule or a key name.
CONFIGURED_VALUE_LABEL = "value"
USER_KEY_PATTERN_LABEL = "secret"

_ENV_ITEM = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*=")

_CAMEL_LOWER_UPPER = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_CAMEL_ACRONYM_WORD = re.compile(r"(?<=[A-Z])(?=[A-Z][a-z])")
_NOT_ALNUM = re.compile(r"[^A-Za-z0-9]+")
_WINDOWS_DRIVE = re.compile(r"[A-Za-z]:[\\/]")
# Characters of a key name (lower-cased), for walking back from a hint word to the key's start.
_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_.-")
_KEY_FIRST_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz_")


# ---------------------------------------------------------------------------
# Validators named by rules in the YAML file
# ---------------------------------------------------------------------------

def _looks_random(value: str) -> bool:
    """True for token-like strings, false for words ("Bearer authentication")."""
    if len(value) < 8:
        return False
    if any(ch.isdigit() for ch in value):
        return True
    # A 20+ character mixed-case run without digits is rare in prose and common in tokens.
    return len(value) >= 20 and any(ch.isupper() for ch in value) and any(ch.islower() for ch in value)


def _is_basic_auth(value: str) -> bool:
    """True when value is base64 of ``user:password`` (so "Basic setup" stays)."""
    padded = value if "=" in value else value + "=" * (-len(value) % 4)
    try:
        decoded = base64.b64decode(padded, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return False
    return ":" in decoded and decoded.isprintable()


def _is_not_path(value: str) -> bool:
    """True unless value is a file-system path (the shell's PWD)."""
    return not (value.startswith(("/", "~", "\\", ".")) or _WINDOWS_DRIVE.match(value))


VALIDATORS: dict[str, Callable[[str], bool]] = {
    "random_token": _looks_random,
    "basic_auth": _is_basic_auth,
    "not_path": _is_not_path,
}


# ---------------------------------------------------------------------------
# The compiled rule file
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class SecretNamePattern:
    """A regex over a normalised key name, and the placeholder label it gives."""

    label: str
    regex: re.Pattern[str]


@dataclass(frozen=True)
class RedactionRule:
    """One named text rule from the YAML file, compiled."""

    name: str
    label: str
    kind: str
    """``value`` (the match is a secret) or ``key_value`` (group ``key`` must be a secret name)."""
    regex: re.Pattern[str]
    literals: tuple[str, ...]
    """At least one must occur in the text (lower-case text when ``literals_ignore_case``)."""
    literals_ignore_case: bool
    requires: tuple[str, ...]
    """All of these must occur in the text."""
    validator: Callable[[str], bool] | None
    secret_groups: tuple[str, ...]
    """Groups named ``secret*``, in pattern order; the first that matched is replaced."""
    scan: str
    """Where matches are tried: ``everywhere``, ``line_starts`` or ``key_hints`` (see the YAML file)."""


@dataclass(frozen=True)
class RedactionRules:
    """Everything in ``redaction_rules.yaml``, compiled."""

    exempt_names: frozenset[str]
    non_secret_names: re.Pattern[str]
    secret_names: tuple[SecretNamePattern, ...]
    benign_values: re.Pattern[str]
    scheme_prefix: re.Pattern[str]
    env_list_keys: frozenset[str]
    rules: tuple[RedactionRule, ...]


def _compile(pattern: str, where: str, flags: int = 0) -> re.Pattern[str]:
    try:
        return re.compile(pattern, flags)
    except re.error as error:
        raise ValueError(f"{where}: invalid regular expression: {error}") from error


def _string_list(data: Mapping[str, Any], key: str, where: str) -> list[str]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"{where}: {key!r} must be a list of strings")
    return value


def _compile_rules(data: Any, source: str) -> RedactionRules:
    if not isinstance(data, dict) or data.get("version") != 1:
        raise ValueError(f"{source}: expected a mapping with 'version: 1'")
    schemes = _string_list(data, "auth_schemes", source)
    schemes_regex = "(?i:" + "|".join(re.escape(word) for word in schemes) + ")"

    secret_names = []
    for index, entry in enumerate(data.get("secret_names") or []):
        where = f"{source}: secret_names[{index}]"
        if not isinstance(entry, dict) or not entry.get("label") or not entry.get("pattern"):
            raise ValueError(f"{where}: needs 'label' and 'pattern'")
        secret_names.append(SecretNamePattern(entry["label"], _compile(entry["pattern"], where)))

    non_secret = _string_list(data, "non_secret_names", source)
    benign = _string_list(data, "benign_values", source)

    rules = []
    seen: set[str] = set()
    for index, entry in enumerate(data.get("rules") or []):
        if not isinstance(entry, dict) or not entry.get("name") or not entry.get("pattern"):
            raise ValueError(f"{source}: rules[{index}] needs 'name' and 'pattern'")
        name = entry["name"]
        where = f"{source}: rule {name!r}"
        if name in seen:
            raise ValueError(f"{where}: duplicate name")
        seen.add(name)
        kind = entry.get("kind", "value")
        if kind not in ("value", "key_value"):
            raise ValueError(f"{where}: kind must be 'value' or 'key_value'")
        regex = _compile(entry["pattern"].replace("<<auth_schemes>>", schemes_regex), where)
        if kind == "key_value" and "key" not in regex.groupindex:
            raise ValueError(f"{where}: a key_value rule needs a group named 'key'")
        label = entry.get("label", "")
        if kind == "value" and not label:
            raise ValueError(f"{where}: a value rule needs a 'label'")
        validator_name = entry.get("validator")
        if validator_name is not None and validator_name not in VALIDATORS:
            raise ValueError(f"{where}: unknown validator {validator_name!r} (known: {', '.join(VALIDATORS)})")
        ignore_case = bool(entry.get("literals_ignore_case", False))
        literals = _string_list(entry, "literals", where)
        scan = entry.get("scan", "everywhere")
        if scan not in SCAN_MODES:
            raise ValueError(f"{where}: scan must be one of {', '.join(SCAN_MODES)}")
        if scan == "key_hints" and (kind != "key_value" or not literals or not ignore_case):
            raise ValueError(f"{where}: scan 'key_hints' needs a key_value rule with literals_ignore_case literals")
        rules.append(RedactionRule(
            name=name,
            label=label,
            kind=kind,
            regex=regex,
            literals=tuple(literal.lower() if ignore_case else literal for literal in literals),
            literals_ignore_case=ignore_case,
            requires=tuple(_string_list(entry, "requires", where)),
            validator=VALIDATORS[validator_name] if validator_name else None,
            secret_groups=tuple(sorted((group for group in regex.groupindex if group.startswith("secret")),
                                       key=regex.groupindex.__getitem__)),
            scan=scan,
        ))

    return RedactionRules(
        exempt_names=frozenset(_string_list(data, "exempt_names", source)),
        non_secret_names=_compile("|".join(f"(?:{p})" for p in non_secret) or r"(?!)", f"{source}: non_secret_names"),
        secret_names=tuple(secret_names),
        benign_values=_compile("|".join(f"(?:{p})" for p in benign) or r"(?!)", f"{source}: benign_values",
                               re.IGNORECASE | re.DOTALL),
        scheme_prefix=_compile(rf"{schemes_regex}[ \t]+", f"{source}: auth_schemes"),
        env_list_keys=frozenset(key.lower() for key in _string_list(data, "env_list_keys", source)),
        rules=tuple(rules),
    )


def load_redaction_rules(path: Path | None = None) -> RedactionRules:
    """Load and compile a rule file; without ``path``, the packaged rules (compiled once per process).

    Raises ``ValueError`` naming the rule when the file is malformed (a packaging bug,
    not a user error: users add secrets through ``settings.redaction``).
    """
    if path is None:
        return _packaged_rules()
    return _compile_rules(load_yaml(path.read_text(encoding="utf-8")), str(path))


@functools.lru_cache(maxsize=1)
def _packaged_rules() -> RedactionRules:
    text = resources.files("dockerforge_tui.core").joinpath(RULES_FILE).read_text(encoding="utf-8")
    return _compile_rules(load_yaml(text), RULES_FILE)


# ---------------------------------------------------------------------------
# Key names
# ---------------------------------------------------------------------------

def normalize_key_name(name: str) -> str:
    """Upper-case ``name`` with camelCase split and separators folded to ``_``.

    ``x-api-key`` -> ``X_API_KEY``, ``secretAccessKey`` -> ``SECRET_ACCESS_KEY``.
    """
    split = _CAMEL_ACRONYM_WORD.sub("_", _CAMEL_LOWER_UPPER.sub("_", name))
    return _NOT_ALNUM.sub("_", split).strip("_").upper()


@functools.lru_cache(maxsize=8192)
def _builtin_secret_label(name: str) -> str | None:
    rules = _packaged_rules()
    if name in rules.exempt_names:
        return None
    normalized = normalize_key_name(name)
    if not normalized or rules.non_secret_names.search(normalized):
        return None
    for pattern in rules.secret_names:
        if pattern.regex.search(normalized):
            return pattern.label
    return None


def is_secret_key(name: str) -> bool:
    """True when an environment variable, dict key or ``key=value`` key of this name holds a secret.

    ``DB_PASSWORD``, ``apiKey``, ``X-Auth-Token`` are secret; ``PASSWORD_FILE``,
    ``MAX_TOKENS``, ``keyboard`` and the shell's ``PWD`` are not.
    """
    return isinstance(name, str) and _builtin_secret_label(name) is not None


# ---------------------------------------------------------------------------
# Where to try a rule
# ---------------------------------------------------------------------------

def _line_starts(text: str) -> Iterable[int]:
    start = 0
    while True:
        yield start
        newline = text.find("\n", start)
        if newline == -1:
            return
        start = newline + 1


def _key_starts(lowered: str, hints: Iterable[str]) -> list[int]:
    """Start of every key-like word containing one of ``hints``, in order.

    A secret key name always contains a hint word ("password", "token", ...),
    so trying the key_value regex only there avoids running it at every word.
    """
    starts: set[int] = set()
    for hint in hints:
        position = lowered.find(hint)
        while position != -1:
            start = position
            while start and lowered[start - 1] in _KEY_CHARS:
                start -= 1
            while start < position and lowered[start] not in _KEY_FIRST_CHARS:
                start += 1
            starts.add(start)
            position = lowered.find(hint, position + len(hint))
    return sorted(starts)


# ---------------------------------------------------------------------------
# The redactor
# ---------------------------------------------------------------------------

class Redactor:
    """Replaces secrets in text, mappings and environments with stable placeholders.

    ``values`` are literal secrets to redact wherever they occur
    (``settings.redaction.values``); ``key_patterns`` are extra regular
    expressions (case-insensitive) for key names to treat as secret
    (``settings.redaction.key_patterns``).

    Safe to share between threads (a logging handler and a worker): the
    compiled rules are immutable and the placeholder map is guarded by a lock.
    """

    MAX_REMEMBERED = 50_000
    """Placeholders kept before numbering starts over, so a long session cannot grow without bound."""
    MAX_LEARNED_VALUES = 1_000
    """Secrets seen under a secret key that are also searched for verbatim in later text."""
    MIN_LEARNED_LENGTH = 6

    def __init__(self, values: Iterable[str] = (), key_patterns: Iterable[str] = ()) -> None:
        self._rules = _packaged_rules()
        self._user_key_patterns = tuple(self._compile_user_key_pattern(p) for p in key_patterns if p)
        self._configured_values = tuple(v for v in dict.fromkeys(values) if isinstance(v, str) and v)
        self._lock = threading.Lock()
        self._placeholders: dict[str, str] = {}
        self._counters: dict[str, int] = {}
        self._learned_values: dict[str, None] = {}
        self._literal_values: tuple[str, ...] = ()
        self._literal_regex: re.Pattern[str] | None = None
        self._literals_stale = True
        self._label_cache: dict[str, str | None] = {}
        self._build_plan()

    def _build_plan(self) -> None:
        """Index the rules by their pre-check literals, so a line only meets the rules it could match."""
        rules = self._rules.rules
        # With user key patterns a secret key may contain none of the built-in
        # hint words: the key_value rules then run on every text, everywhere.
        self._scan_modes = tuple(
            "everywhere" if (self._user_key_patterns and rule.scan == "key_hints") else rule.scan for rule in rules)
        always: set[int] = set()
        gates: dict[str, set[int]] = {}
        for index, rule in enumerate(rules):
            if not rule.literals or (self._user_key_patterns and rule.kind == "key_value"):
                always.add(index)
                continue
            for literal in rule.literals:
                gates.setdefault(literal.lower(), set()).add(index)
        # One lower-case gate list for every rule; a gate containing a shorter
        # gate is dropped in its favour ("sk-ant-" -> "sk-", "private key" ->
        # "private"), since the shorter one is present whenever the longer is.
        for gate in sorted(gates, key=len, reverse=True):
            shorter = [other for other in gates if other != gate and other in gate]
            if shorter:
                gates[min(shorter, key=len)].update(gates.pop(gate))
        self._always_run = frozenset(always)
        self._gates = tuple(gates)
        self._rules_by_gate = {gate: frozenset(indexes) for gate, indexes in gates.items()}
        # An open gate proves a rule's literal is present only when the rule
        # ignores case and each of its literals is a gate of its own.
        self._verify_literals = frozenset(
            index for index, rule in enumerate(rules)
            if index not in always and (not rule.literals_ignore_case
                                        or any(literal not in gates for literal in rule.literals)))

    @staticmethod
    def _compile_user_key_pattern(pattern: str) -> re.Pattern[str]:
        try:
            return re.compile(pattern, re.IGNORECASE)
        except re.error as error:
            raise ConfigError(
                f"redaction.key_patterns: {pattern!r} is not a valid regular expression ({error})",
                hint="use Python regex syntax, e.g. '^MYAPP_.*_PIN$'; quote it in YAML",
            ) from error

    # -- public API ---------------------------------------------------------

    def redact(self, text: str) -> str:
        """Return ``text`` with every secret replaced by its placeholder."""
        if not isinstance(text, str) or not text:
            return text
        # filter() with a bound __contains__ keeps the pre-check loop in C.
        lowered = text.lower()
        open_gates = tuple(filter(lowered.__contains__, self._gates))
        if open_gates or self._always_run:
            to_run = set(self._always_run)
            for gate in open_gates:
                to_run.update(self._rules_by_gate[gate])
            rules = self._rules.rules
            for index in sorted(to_run):
                rule = rules[index]
                if lowered is None:
                    lowered = text.lower()
                if index in self._verify_literals:
                    haystack = lowered if rule.literals_ignore_case else text
                    if not any(map(haystack.__contains__, rule.literals)):
                        continue
                if rule.requires and not all(map(text.__contains__, rule.requires)):
                    continue
                redacted = self._apply_rule(rule, self._scan_modes[index], text, lowered, open_gates)
                if redacted is not text:
                    text, lowered = redacted, None
        return self._redact_literal_values(text)

    def redact_mapping(self, obj: Any) -> Any:
        """Return a redacted copy of a JSON-like structure.

        Dicts, lists, tuples and sets are copied recursively. The value under a
        secret-looking key (any non-empty string or number, or every such
        scalar inside it) becomes a placeholder; other strings go through
        :meth:`redact`; everything else (None, booleans, numbers under ordinary
        keys, other objects) is returned as is. Environment lists (``Env`` in
        inspect output, ``environment`` in compose files) go through
        :meth:`redact_env`.
        """
        return self._redact_value(obj, None)

    def redact_env(self, env: Mapping[str, str] | list[str]) -> Mapping[str, str] | list[str]:
        """Redact an environment given as a mapping or as docker's ``["KEY=value", ...]`` list.

        Returns the same shape (a dict for a mapping, a list or tuple for a list
        or tuple). Secret-looking names get a placeholder; other values go
        through :meth:`redact` (a ``DATABASE_URL`` still loses its password).
        """
        if isinstance(env, Mapping):
            return {name: self._redact_env_value(name, value) for name, value in env.items()}
        redacted = []
        for item in env:
            if not isinstance(item, str):
                redacted.append(item)
                continue
            name, sep, value = item.partition("=")
            if not sep:
                redacted.append(self.redact(item))
            else:
                redacted.append(f"{name}={self._redact_env_value(name, value)}")
        return tuple(redacted) if isinstance(env, tuple) else redacted

    def reset(self) -> None:
        """Forget every placeholder (numbering starts again at 1) and every learned secret."""
        with self._lock:
            self._forget_locked()

    def is_secret_key(self, name: str) -> bool:
        """Like the module's :func:`is_secret_key`, plus this redactor's ``key_patterns``."""
        return self._secret_label(name) is not None

    # -- placeholders -------------------------------------------------------

    def _forget_locked(self) -> None:
        self._placeholders.clear()
        self._counters.clear()
        self._learned_values.clear()
        self._literals_stale = True

    def _placeholder(self, secret: str, label: str) -> str:
        with self._lock:
            placeholder = self._placeholders.get(secret)
            if placeholder is None:
                if len(self._placeholders) >= self.MAX_REMEMBERED:
                    self._forget_locked()
                number = self._counters.get(label, 0) + 1
                self._counters[label] = number
                placeholder = f"[REDACTED:{label}:{number}]"
                self._placeholders[secret] = placeholder
            return placeholder

    def _learn(self, secret: str) -> None:
        """Remember a secret found under a secret key so later free text loses it too.

        Only distinctive values: a short or single-class value such as
        ``postgres`` would otherwise blank out every mention of the word.
        """
        if len(secret) < self.MIN_LEARNED_LENGTH or secret in self._learned_values:
            return
        classes = sum((any(c.islower() for c in secret), any(c.isupper() for c in secret),
                       any(c.isdigit() for c in secret), any(not c.isalnum() for c in secret)))
        if classes < 2 and len(secret) < 12:
            return
        with self._lock:
            if len(self._learned_values) < self.MAX_LEARNED_VALUES and secret not in self._learned_values:
                self._learned_values[secret] = None
                self._literals_stale = True

    def _is_already_redacted(self, value: str) -> bool:
        if "[REDACTED:" not in value:
            return False
        rest = PLACEHOLDER_PATTERN.sub("", value).replace("\\n", "")
        return not rest.strip()

    def _secret_scalar(self, value: Any, label: str) -> Any:
        """The placeholder for a scalar found under a secret key (empty and None stay)."""
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        if isinstance(value, (int, float)):
            value = str(value)
        if not isinstance(value, str):
            return value
        if not value or self._is_already_redacted(value):
            return value
        self._learn(value)
        return self._placeholder(value, label)

    # -- rules ----------------------------------------------------------------

    def _secret_label(self, name: str) -> str | None:
        if not isinstance(name, str):
            return None
        if not self._user_key_patterns:
            return _builtin_secret_label(name)
        try:
            return self._label_cache[name]
        except KeyError:
            pass
        label: str | None = None
        normalized = normalize_key_name(name)
        for pattern in self._user_key_patterns:
            if pattern.search(name) or pattern.search(normalized):
                label = USER_KEY_PATTERN_LABEL
                break
        else:
            label = _builtin_secret_label(name)
        if len(self._label_cache) > 8192:
            self._label_cache.clear()
        self._label_cache[name] = label
        return label

    def _replacement(self, rule: RedactionRule, match: re.Match[str]) -> tuple[int, int, str] | None:
        """Where the secret in ``match`` is and its placeholder, or None when it is no secret."""
        for group in rule.secret_groups:
            secret = match.group(group)
            if secret is not None:
                start, end = match.span(group)
                break
        else:
            secret, (start, end) = match.group(0), match.span()
        if rule.kind == "key_value":
            label = self._secret_label(match.group("key"))
            if label is None:
                return None
            scheme = self._rules.scheme_prefix.match(secret)
            if scheme is not None:  # "Bearer abc" inside quotes: keep the scheme word
                start += scheme.end()
                secret = secret[scheme.end():]
        else:
            label = rule.label
        if (not secret or self._is_already_redacted(secret) or self._rules.benign_values.fullmatch(secret)
                or (rule.validator is not None and not rule.validator(secret))):
            return None
        return start, end, self._placeholder(secret, label)

    def _apply_rule(self, rule: RedactionRule, scan: str, text: str, lowered: str,
                    open_gates: tuple[str, ...]) -> str:
        """Replace the secrets ``rule`` finds in ``text``; returns ``text`` itself when there are none."""
        regex = rule.regex
        if scan == "everywhere" or (scan == "key_hints" and len(lowered) != len(text)):
            matches: Iterable[re.Match[str] | None] = regex.finditer(text)
        elif scan == "line_starts":
            matches = (regex.match(text, start) for start in _line_starts(text))
        else:
            # Hints that are gates of their own were found open or not already.
            hints = [hint for hint in rule.literals if hint in open_gates or hint not in self._rules_by_gate]
            matches = (regex.match(text, start) for start in _key_starts(lowered, hints))
        pieces: list[str] = []
        done = 0
        for match in matches:
            # Key_value values sit in a lookahead, so a match may start inside a
            # value replaced a moment ago: skip it.
            if match is None or match.start() < done:
                continue
            found = self._replacement(rule, match)
            if found is None:
                continue
            start, end, placeholder = found
            pieces.append(text[done:start])
            pieces.append(placeholder)
            done = end
        if not pieces:
            return text
        pieces.append(text[done:])
        return "".join(pieces)

    def _redact_literal_values(self, text: str) -> str:
        if self._literals_stale:
            with self._lock:
                values = sorted({*self._configured_values, *self._learned_values}, key=len, reverse=True)
                self._literal_values = tuple(values)
                # Placeholders come first in the alternation so a configured value
                # such as "password" never rewrites the inside of one.
                self._literal_regex = (
                    re.compile(PLACEHOLDER_PATTERN.pattern + "|" + "|".join(map(re.escape, values)))
                    if values else None)
                self._literals_stale = False
        regex, values = self._literal_regex, self._literal_values
        if regex is None or (len(values) <= 32 and not any(value in text for value in values)):
            return text
        return regex.sub(self._replace_literal, text)

    def _replace_literal(self, match: re.Match[str]) -> str:
        value = match.group(0)
        if value.startswith("[REDACTED:") and PLACEHOLDER_PATTERN.fullmatch(value):
            return value
        return self._placeholder(value, CONFIGURED_VALUE_LABEL)

    # -- structures -----------------------------------------------------------

    def _redact_env_value(self, name: Any, value: Any) -> Any:
        label = self._secret_label(name) if isinstance(name, str) else None
        if label is not None:
            return self._secret_scalar(value, label)
        return self.redact(value) if isinstance(value, str) else value

    def _redact_value(self, obj: Any, secret_label: str | None) -> Any:
        if isinstance(obj, str):
            return self._secret_scalar(obj, secret_label) if secret_label else self.redact(obj)
        if isinstance(obj, Mapping):
            copied = {}
            for key, value in obj.items():
                label = secret_label or self._secret_label(key)
                if (label is None and isinstance(key, str) and key.lower() in self._rules.env_list_keys
                        and isinstance(value, (list, tuple)) and value
                        and all(isinstance(item, str) and _ENV_ITEM.match(item) for item in value)):
                    copied[key] = self.redact_env(value)
                else:
                    copied[key] = self._redact_value(value, label)
            return copied
        if isinstance(obj, list):
            return [self._redact_value(item, secret_label) for item in obj]
        if isinstance(obj, tuple):
            items = [self._redact_value(item, secret_label) for item in obj]
            return type(obj)(*items) if hasattr(obj, "_fields") else tuple(items)
        if isinstance(obj, (set, frozenset)):
            return type(obj)(self._redact_value(item, secret_label) for item in obj)
        if secret_label:
            return self._secret_scalar(obj, secret_label)
        return obj
