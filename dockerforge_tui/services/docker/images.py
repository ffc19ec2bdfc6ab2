"""Images: list them with the containers that use them, read their history, remove and prune them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal, Mapping

from dockerforge_tui.core.errors import UsageError
from dockerforge_tui.services.docker.api_errors import ApiSource, client_of, engine_call
from dockerforge_tui.services.docker.prune import (
    PruneFilters, PruneItem, PrunePreview, PruneResult, merge_filters, total_size,
)

NONE_TAG = "<none>:<none>"
NONE_DIGEST = "<none>@<none>"

PruneMode = Literal["dangling", "unused"]
PRUNE_MODES: tuple[str, ...] = ("dangling", "unused")


@dataclass(frozen=True)
class ImageSummary:
    """One top-level image, as the images list shows it."""

    id: str
    """The full ``sha256:...`` id."""
    tags: tuple[str, ...]
    """``repo:tag`` references; empty for a dangling image."""
    size: int
    created: datetime | None
    dangling: bool
    """No tag at all: left behind by a rebuild or a re-tag."""
    used_by: tuple[str, ...] = ()
    """Names of the containers (running or not) created from this image."""
    digests: tuple[str, ...] = ()
    labels: tuple[tuple[str, str], ...] = ()

    @property
    def short_id(self) -> str:
        """The 12 hex digits the docker CLI prints."""
        return self.id.split(":", 1)[-1][:12]

    @property
    def containers(self) -> int:
        """How many containers use the image."""
        return len(self.used_by)

    @property
    def in_use(self) -> bool:
        """True when at least one container (running or not) uses the image."""
        return bool(self.used_by)

    @property
    def display_name(self) -> str:
        """The first tag, or the short id of an untagged image."""
        return self.tags[0] if self.tags else self.short_id


@dataclass(frozen=True)
class ImageLayer:
    """One step of an image's history (``docker history``)."""

    id: str
    """The layer's image id, or ``<missing>`` for layers pulled from a registry."""
    created_by: str
    size: int
    created: datetime | None
    comment: str = ""
    tags: tuple[str, ...] = ()


def _epoch(value: Any) -> datetime | None:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return datetime.fromtimestamp(seconds, tz=timezone.utc) if seconds > 0 else None


def _tags(entry: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(tag for tag in entry.get("RepoTags") or () if tag != NONE_TAG)


def _users_by_image(api) -> dict[str, tuple[str, ...]]:
    """Image id -> names of the containers using it, from one containers list."""
    users: dict[str, list[str]] = {}
    for container in api.containers(all=True):
        names = container.get("Names") or []
        name = names[0].lstrip("/") if names else container.get("Id", "")[:12]
        users.setdefault(container.get("ImageID") or "", []).append(name)
    return {image_id: tuple(sorted(names)) for image_id, names in users.items()}


def _summary(entry: Mapping[str, Any], users: Mapping[str, tuple[str, ...]]) -> ImageSummary:
    tags = _tags(entry)
    return ImageSummary(
        id=entry["Id"],
        tags=tags,
        size=int(entry.get("Size") or 0),
        created=_epoch(entry.get("Created")),
        dangling=not tags,
        used_by=users.get(entry["Id"], ()),
        digests=tuple(digest for digest in entry.get("RepoDigests") or () if digest != NONE_DIGEST),
        labels=tuple(sorted((entry.get("Labels") or {}).items())),
    )


def list_images(source: ApiSource, filters: Mapping[str, Any] | None = None) -> tuple[ImageSummary, ...]:
    """Every top-level image (what ``docker images`` lists), newest first, with the containers using each.

    Two requests in all: the images list and one containers list.
    """
    api = client_of(source)
    with engine_call("list", "images"):
        entries = api.images(filters=dict(filters) if filters else None)
        users = _users_by_image(api)
    images = (_summary(entry, users) for entry in entries)
    return tuple(sorted(images, key=lambda image: (image.created or datetime.min.replace(tzinfo=timezone.utc),
                                                   image.id), reverse=True))


def image_history(source: ApiSource, image_id: str) -> tuple[ImageLayer, ...]:
    """The layers of one image, newest first, as ``docker history`` prints them."""
    api = client_of(source)
    with engine_call("read the history of", f"image {image_id}"):
        entries = api.history(image_id)
    return tuple(
        ImageLayer(
            id=entry.get("Id") or "<missing>",
            created_by=" ".join(str(entry.get("CreatedBy") or "").split()),
            size=int(entry.get("Size") or 0),
            created=_epoch(entry.get("Created")),
            comment=entry.get("Comment") or "",
            tags=tuple(entry.get("Tags") or ()),
        )
        for entry in entries
    )


def remove_image(source: ApiSource, image_id: str, force: bool = False) -> tuple[str, ...]:
    """Remove an image (or one of its tags, when ``image_id`` is a ``repo:tag``).

    Returns what the engine reports: ``untagged: REF`` and ``deleted: ID`` lines.
    Raises :class:`NotFoundError` for an unknown image and :class:`DockerAPIError` when
    it is in use (pass ``force`` to untag and remove anyway).
    """
    api = client_of(source)
    with engine_call("remove", f"image {image_id}"):
        report = api.remove_image(image_id, force=force)
    lines = []
    for entry in report or ():
        for key, value in entry.items():
            lines.append(f"{key.lower()}: {value}")
    return tuple(lines)


def _check_mode(mode: str) -> None:
    if mode not in PRUNE_MODES:
        raise UsageError(f"unknown image prune mode {mode!r}", hint="use 'dangling' or 'unused'")


def preview_image_prune(source: ApiSource, mode: PruneMode = "dangling",
                        filters: PruneFilters | None = None) -> PrunePreview:
    """What :func:`prune_images` with the same arguments would remove, without removing anything.

    ``dangling``: untagged images no container uses; ``unused``: every image no container
    uses (tagged or not). ``filters`` (``{"label": "key=value"}``) narrow both.
    """
    _check_mode(mode)
    query = merge_filters({"dangling": True} if mode == "dangling" else {}, filters)
    images = list_images(source, filters=query)
    items = tuple(
        PruneItem(id=image.id, label=", ".join(image.tags) or image.short_id, size=image.size)
        for image in images
        if not image.in_use
    )
    return PrunePreview(kind="image", items=items, total_bytes=total_size(items))


def prune_images(source: ApiSource, mode: PruneMode = "dangling", filters: PruneFilters | None = None) -> PruneResult:
    """Remove the images :func:`preview_image_prune` lists (the engine decides again, at prune time)."""
    _check_mode(mode)
    api = client_of(source)
    query = merge_filters({"dangling": mode == "dangling"}, filters)
    with engine_call("prune", "images"):
        report = api.prune_images(filters=query) or {}
    deleted = tuple(entry["Deleted"] for entry in report.get("ImagesDeleted") or () if entry.get("Deleted"))
    return PruneResult(kind="image", deleted=deleted, space_reclaimed=int(report.get("SpaceReclaimed") or 0))
