"""Volumes: list them with the containers that mount them, their sizes, remove and prune them.

Sizes come only from the engine's disk-usage call (``docker system df``), which walks
every volume and can take seconds on a big host: :func:`list_volumes` leaves sizes out
unless asked, and :func:`volume_sizes` fetches them on their own so a view can show the
list first and fill the sizes in later.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Iterable, Mapping

from dockerforge_tui.services.docker.api_errors import ApiSource, client_of, engine_call
from dockerforge_tui.services.docker.models import parse_engine_time
from dockerforge_tui.services.docker.prune import (
    PruneFilters, PruneItem, PrunePreview, PruneResult, merge_filters, total_size,
)

ANONYMOUS_LABEL = "com.docker.volume.anonymous"
"""Set by engines 23+ on volumes created without a name."""

# Engines from API 1.42 on prune only anonymous volumes unless asked for all; DockerForge
# keeps the older meaning (every unused volume) on every engine, so the preview stays true.
ALL_VOLUMES_FILTER_API = (1, 42)


@dataclass(frozen=True)
class VolumeSummary:
    """One volume, as the volumes list shows it."""

    name: str
    driver: str
    mountpoint: str
    created: datetime | None
    scope: str = "local"
    labels: tuple[tuple[str, str], ...] = ()
    options: tuple[tuple[str, str], ...] = ()
    used_by: tuple[str, ...] = ()
    """Names of the containers (running or not) that mount the volume."""
    size: int | None = None
    """Bytes on disk; None until :func:`volume_sizes` (or ``list_volumes(sizes=True)``) filled it in,
    or when the driver does not report it."""

    @property
    def in_use(self) -> bool:
        """True when a container (running or not) mounts it: prune keeps it."""
        return bool(self.used_by)

    @property
    def anonymous(self) -> bool:
        """True for a volume made without a name (label on new engines, a 64-hex name on old ones)."""
        if any(key == ANONYMOUS_LABEL for key, _ in self.labels):
            return True
        return len(self.name) == 64 and all(char in "0123456789abcdef" for char in self.name)


@dataclass(frozen=True)
class VolumeUsage:
    """What the engine's disk-usage call says about one volume."""

    name: str
    size: int | None
    """Bytes, or None when the driver cannot tell (the engine says -1)."""
    ref_count: int | None


def _users_by_volume(api) -> dict[str, tuple[str, ...]]:
    users: dict[str, list[str]] = {}
    for container in api.containers(all=True):
        names = container.get("Names") or []
        name = names[0].lstrip("/") if names else container.get("Id", "")[:12]
        for mount in container.get("Mounts") or ():
            if mount.get("Type") == "volume" and mount.get("Name"):
                users.setdefault(mount["Name"], []).append(name)
    return {volume: tuple(sorted(set(names))) for volume, names in users.items()}


def _summary(entry: Mapping[str, Any], users: Mapping[str, tuple[str, ...]]) -> VolumeSummary:
    usage = entry.get("UsageData") or {}
    size = usage.get("Size")
    return VolumeSummary(
        name=entry["Name"],
        driver=entry.get("Driver") or "",
        mountpoint=entry.get("Mountpoint") or "",
        created=parse_engine_time(entry.get("CreatedAt")),
        scope=entry.get("Scope") or "local",
        labels=tuple(sorted((entry.get("Labels") or {}).items())),
        options=tuple(sorted((entry.get("Options") or {}).items())),
        used_by=users.get(entry["Name"], ()),
        size=int(size) if size is not None and size >= 0 else None,
    )


def volume_sizes(source: ApiSource) -> tuple[VolumeUsage, ...]:
    """Every volume's size and reference count from the engine's disk-usage call (can be slow)."""
    api = client_of(source)
    with engine_call("measure", "volumes"):
        usage = api.df() or {}
    result = []
    for entry in usage.get("Volumes") or ():
        data = entry.get("UsageData") or {}
        size, refs = data.get("Size"), data.get("RefCount")
        result.append(VolumeUsage(name=entry["Name"], size=int(size) if size is not None and size >= 0 else None,
                                  ref_count=int(refs) if refs is not None and refs >= 0 else None))
    return tuple(result)


def with_sizes(volumes: Iterable[VolumeSummary], sizes: Iterable[VolumeUsage]) -> tuple[VolumeSummary, ...]:
    """``volumes`` with the sizes of :func:`volume_sizes` filled in (unknown ones stay None)."""
    by_name = {usage.name: usage.size for usage in sizes}
    return tuple(replace(volume, size=by_name.get(volume.name, volume.size)) for volume in volumes)


def list_volumes(source: ApiSource, sizes: bool = False,
                 filters: Mapping[str, Any] | None = None) -> tuple[VolumeSummary, ...]:
    """Every volume, by name, with the containers that mount it; sizes too when ``sizes`` (one slow ``df``)."""
    api = client_of(source)
    with engine_call("list", "volumes"):
        entries = (api.volumes(filters=dict(filters) if filters else None) or {}).get("Volumes") or []
        users = _users_by_volume(api)
    volumes = tuple(sorted((_summary(entry, users) for entry in entries), key=lambda volume: volume.name))
    if sizes:
        volumes = with_sizes(volumes, volume_sizes(api))
    return volumes


def remove_volume(source: ApiSource, name: str, force: bool = False) -> None:
    """Remove one volume; :class:`DockerAPIError` when a container still uses it."""
    api = client_of(source)
    with engine_call("remove", f"volume {name}"):
        api.remove_volume(name, force=force)


def preview_volume_prune(source: ApiSource, filters: PruneFilters | None = None,
                         sizes: bool = False) -> PrunePreview:
    """The volumes :func:`prune_volumes` would remove now (no container, running or not, mounts them).

    Asks the engine for its own "dangling" list, so the preview uses the prune's rule.
    With ``sizes`` each item carries its size (one slow ``df``).
    """
    api = client_of(source)
    query = merge_filters({"dangling": True}, filters)
    volumes = list_volumes(api, sizes=sizes, filters=query)
    items = tuple(PruneItem(id=volume.name, label=volume.name, size=volume.size) for volume in volumes
                  if not volume.in_use)
    return PrunePreview(kind="volume", items=items, total_bytes=total_size(items))


def _api_version(api) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in str(api.api_version).split("."))
    except ValueError:
        return (0,)


def prune_volumes(source: ApiSource, filters: PruneFilters | None = None) -> PruneResult:
    """Remove every volume no container uses (named ones too, on every engine version), within ``filters``."""
    api = client_of(source)
    base = {"all": True} if _api_version(api) >= ALL_VOLUMES_FILTER_API else {}
    with engine_call("prune", "volumes"):
        report = api.prune_volumes(filters=merge_filters(base, filters)) or {}
    return PruneResult(kind="volume", deleted=tuple(report.get("VolumesDeleted") or ()),
                       space_reclaimed=int(report.get("SpaceReclaimed") or 0))
