"""Fingerprints that merge repeated observations of one problem into one tracked issue.

fingerprint = category + pattern id + masked message + container key, where the
masked message has its times, ids, addresses and numbers replaced by placeholders
(rules in ``fingerprint.yaml``) and the container key is the compose
``project/service`` or the container name, never its id: a recreated container keeps
its issues. The issue id is a short hash of the fingerprint.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path


from dockerforge_tui.services.issues.models import Observation
from dockerforge_tui.core.yaml_data import load_yaml

FINGERPRINT_FILE = Path(__file__).with_name("fingerprint.yaml")
ISSUE_ID_LENGTH = 10
"""Hex digits of an issue id: short enough to type, long enough never to clash in one store."""


@dataclass(frozen=True)
class MaskRule:
    """One thing that varies between occurrences, and its placeholder."""

    name: str
    regex: re.Pattern[str]
    replace: str


@dataclass(frozen=True)
class FingerprintSettings:
    """The whole ``fingerprint.yaml``."""

    masks: tuple[MaskRule, ...]
    max_message_chars: int


@lru_cache(maxsize=1)
def fingerprint_settings() -> FingerprintSettings:
    """The packaged masking rules (loaded once)."""
    data = load_yaml(FINGERPRINT_FILE.read_text(encoding="utf-8"))
    try:
        masks = tuple(MaskRule(raw["name"], re.compile(raw["regex"], re.IGNORECASE), raw["replace"])
                      for raw in data["masks"])
        return FingerprintSettings(masks, int(data["max_message_chars"]))
    except (KeyError, TypeError, re.error) as error:
        raise RuntimeError(f"{FINGERPRINT_FILE}: {error}") from error


def mask_message(message: str) -> str:
    """``message`` with everything that varies between occurrences replaced, whitespace collapsed."""
    masked = message
    for rule in fingerprint_settings().masks:
        masked = rule.regex.sub(rule.replace, masked)
    return " ".join(masked.split())


def fingerprint(observation: Observation) -> str:
    """The text two observations share exactly when they are the same problem in the same service."""
    masked = mask_message(observation.message)[: fingerprint_settings().max_message_chars]
    return "\x1f".join((observation.category, observation.pattern_id, masked, observation.container.key))


def fingerprint_hash(observation: Observation) -> str:
    """SHA-256 of :func:`fingerprint`, in hex (the store keeps this, not the text, which may hold a secret)."""
    return hashlib.sha256(fingerprint(observation).encode("utf-8")).hexdigest()


def issue_id(observation: Observation) -> str:
    """The id of the tracked issue this observation belongs to (the first hex digits of its fingerprint hash)."""
    return fingerprint_hash(observation)[:ISSUE_ID_LENGTH]


def occurrence_key(observation: Observation) -> str | None:
    """Identity of this one occurrence, so reading the same logs or state twice counts it once.

    None when the observation has no time: then every report of it counts.
    """
    if observation.timestamp is None:
        return None
    raw = "\x1f".join((observation.container.id, observation.pattern_id, observation.timestamp.isoformat(),
                       observation.message))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:16]
