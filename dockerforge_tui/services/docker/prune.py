"""What a prune would remove, and what it did remove: shared by images, volumes and networks.

A preview is computed from list calls only (never a dry run that deletes), with the same
filters the real prune receives, so the person confirms exactly what may go.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

PruneFilters = Mapping[str, Any]
"""Engine filters, as docker-py takes them: ``{"label": "key=value"}`` or ``{"label": ["a=1", "b"]}``."""


@dataclass(frozen=True)
class PruneItem:
    """One object a prune would remove."""

    id: str
    label: str
    """What a person recognises: the image's tags (or short id), the volume's or network's name."""
    size: int | None = None
    """Bytes it frees, when known (None: the engine did not say, e.g. volume sizes without ``df``)."""


@dataclass(frozen=True)
class PrunePreview:
    """What a prune with the same mode and filters would remove right now."""

    kind: str
    """``image``, ``volume`` or ``network``."""
    items: tuple[PruneItem, ...]
    total_bytes: int
    """Sum of the known sizes."""

    @property
    def count(self) -> int:
        """How many objects would go."""
        return len(self.items)

    @property
    def ids(self) -> frozenset[str]:
        """The ids (names for volumes) of the objects that would go."""
        return frozenset(item.id for item in self.items)


@dataclass(frozen=True)
class PruneResult:
    """What a prune removed."""

    kind: str
    deleted: tuple[str, ...]
    """Ids (image ids, volume names, network names) the engine reports as removed."""
    space_reclaimed: int = 0


def merge_filters(base: Mapping[str, Any], extra: PruneFilters | None) -> dict[str, Any]:
    """``base`` plus the caller's ``extra`` filters; list values of the same key are combined."""
    merged: dict[str, Any] = dict(base)
    for key, value in (extra or {}).items():
        values = list(value) if isinstance(value, (list, tuple, set, frozenset)) else [value]
        if key in merged:
            existing = merged[key]
            existing = list(existing) if isinstance(existing, (list, tuple, set, frozenset)) else [existing]
            merged[key] = existing + [item for item in values if item not in existing]
        else:
            merged[key] = values if len(values) != 1 or isinstance(value, (list, tuple)) else value
    return merged


def total_size(items: tuple[PruneItem, ...]) -> int:
    """Sum of the known sizes of ``items``."""
    return sum(item.size for item in items if item.size and item.size > 0)
