"""Refuse commands that must never be suggested to a person or run: the rules are in ``unsafe_commands.yaml``.

Every command DockerForge shows as "run this" passes :func:`check_command` first:
the shipped recommendations (a test checks all of them), commands rendered with a
container's values, and later, commands an AI provider proposes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path


from dockerforge_tui.core.yaml_data import load_yaml

UNSAFE_COMMANDS_FILE = Path(__file__).with_name("unsafe_commands.yaml")


@dataclass(frozen=True)
class UnsafeRule:
    """One shape of command that is refused, and why."""

    id: str
    reason: str
    regex: re.Pattern[str]


@dataclass(frozen=True)
class SafetyVerdict:
    """Whether a command may be shown or run; ``reasons`` say why not (one per rule that matched)."""

    ok: bool
    reasons: tuple[str, ...] = ()
    rule_ids: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return self.ok


@lru_cache(maxsize=1)
def unsafe_rules() -> tuple[UnsafeRule, ...]:
    """The packaged rules (loaded once); a malformed file is a packaging bug and raises ``RuntimeError``."""
    data = load_yaml(UNSAFE_COMMANDS_FILE.read_text(encoding="utf-8"))
    rules = []
    for raw in (data or {}).get("rules") or []:
        try:
            rules.append(UnsafeRule(raw["id"], raw["reason"], re.compile(raw["regex"], re.IGNORECASE)))
        except (KeyError, TypeError, re.error) as error:
            raise RuntimeError(f"{UNSAFE_COMMANDS_FILE}: bad rule {raw!r}: {error}") from error
    if not rules:
        raise RuntimeError(f"{UNSAFE_COMMANDS_FILE}: no rules")
    return tuple(rules)


def normalise_command(command: str) -> str:
    """The form the rules see: line continuations joined, whitespace runs collapsed, trimmed."""
    joined = re.sub(r"\\\r?\n", " ", command)
    return " ".join(joined.split())


def check_command(command: str) -> SafetyVerdict:
    """Check one shell command against the unsafe-command rules.

    An empty command is refused too (there is nothing to show).
    """
    text = normalise_command(command)
    if not text:
        return SafetyVerdict(False, ("the command is empty",), ("empty",))
    matched = [rule for rule in unsafe_rules() if rule.regex.search(text)]
    if not matched:
        return SafetyVerdict(True)
    return SafetyVerdict(False, tuple(dict.fromkeys(rule.reason for rule in matched)),
                         tuple(rule.id for rule in matched))
