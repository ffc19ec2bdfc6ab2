"""The engine as a whole: what it is (``docker info``, ``docker version``) and its disk use (``docker system df``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from dockerforge_tui.services.docker.api_errors import ApiSource, client_of, engine_call


@dataclass(frozen=True)
class EngineDetails:
    """What the engine says about itself."""

    name: str
    """The host name of the engine's machine."""
    version: str
    api_version: str
    min_api_version: str
    os: str
    """The operating system, e.g. ``Debian GNU/Linux 12 (bookworm)`` or ``Docker Desktop``."""
    os_type: str
    """``linux`` or ``windows``: the kind of containers it runs."""
    architecture: str
    kernel: str
    storage_driver: str
    logging_driver: str
    cgroup_driver: str
    cgroup_version: str
    cpus: int
    memory: int
    """Bytes of memory the engine sees."""
    containers: int
    containers_running: int
    containers_paused: int
    containers_stopped: int
    images: int
    root_dir: str
    rootless: bool
    security_options: tuple[str, ...]
    """Names of the security features on: ``seccomp``, ``apparmor``, ``selinux``, ``rootless``, ``userns``..."""
    runtimes: tuple[str, ...]
    default_runtime: str
    live_restore: bool
    experimental: bool
    swarm: str
    """Swarm state: ``inactive``, ``active``, ``pending``, ``error`` or ``locked``."""
    go_version: str = ""
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class DiskUsageRow:
    """One line of ``docker system df``."""

    kind: str
    """``images``, ``containers``, ``volumes`` or ``build_cache``."""
    total: int
    active: int
    size: int
    """Bytes."""
    reclaimable: int
    """Bytes a prune of this kind could free."""

    @property
    def reclaimable_percent(self) -> float:
        """Reclaimable bytes as a share of the size (0 when empty)."""
        return 100.0 * self.reclaimable / self.size if self.size else 0.0


@dataclass(frozen=True)
class DiskUsage:
    """The engine's disk use per kind of object, as ``docker system df`` reports it."""

    images: DiskUsageRow
    containers: DiskUsageRow
    volumes: DiskUsageRow
    build_cache: DiskUsageRow

    @property
    def rows(self) -> tuple[DiskUsageRow, ...]:
        """The four rows, in the CLI's order."""
        return (self.images, self.containers, self.volumes, self.build_cache)

    @property
    def total_size(self) -> int:
        """Bytes used by all four kinds."""
        return sum(row.size for row in self.rows)

    @property
    def total_reclaimable(self) -> int:
        """Bytes prunes could free in all."""
        return sum(row.reclaimable for row in self.rows)


def _security_names(options: Iterable[str]) -> tuple[str, ...]:
    # Entries look like "name=seccomp,profile=default" (new) or plain "seccomp" (old engines).
    names = []
    for option in options or ():
        fields = dict(part.split("=", 1) for part in str(option).split(",") if "=" in part)
        names.append(fields.get("name") or str(option))
    return tuple(names)


def engine_details_from(info: Mapping[str, Any], version: Mapping[str, Any]) -> EngineDetails:
    """Build :class:`EngineDetails` from the engine's ``/info`` and ``/version`` answers."""
    security = _security_names(info.get("SecurityOptions") or ())
    return EngineDetails(
        name=info.get("Name") or "",
        version=version.get("Version") or info.get("ServerVersion") or "",
        api_version=version.get("ApiVersion") or "",
        min_api_version=version.get("MinAPIVersion") or "",
        os=info.get("OperatingSystem") or "",
        os_type=info.get("OSType") or version.get("Os") or "",
        architecture=info.get("Architecture") or version.get("Arch") or "",
        kernel=info.get("KernelVersion") or version.get("KernelVersion") or "",
        storage_driver=info.get("Driver") or "",
        logging_driver=info.get("LoggingDriver") or "",
        cgroup_driver=info.get("CgroupDriver") or "",
        cgroup_version=str(info.get("CgroupVersion") or ""),
        cpus=int(info.get("NCPU") or 0),
        memory=int(info.get("MemTotal") or 0),
        containers=int(info.get("Containers") or 0),
        containers_running=int(info.get("ContainersRunning") or 0),
        containers_paused=int(info.get("ContainersPaused") or 0),
        containers_stopped=int(info.get("ContainersStopped") or 0),
        images=int(info.get("Images") or 0),
        root_dir=info.get("DockerRootDir") or "",
        rootless="rootless" in security,
        security_options=security,
        runtimes=tuple(sorted(info.get("Runtimes") or {})),
        default_runtime=info.get("DefaultRuntime") or "",
        live_restore=bool(info.get("LiveRestoreEnabled")),
        experimental=bool(info.get("ExperimentalBuild") or version.get("Experimental")),
        swarm=str((info.get("Swarm") or {}).get("LocalNodeState") or "inactive"),
        go_version=version.get("GoVersion") or "",
        warnings=tuple(info.get("Warnings") or ()),
    )


def engine_info(source: ApiSource) -> EngineDetails:
    """The engine's version, host, storage, cgroup, resources, object counts and security options."""
    api = client_of(source)
    with engine_call("read", "the engine's info"):
        info = api.info()
        version = api.version()
    return engine_details_from(info, version)


def _positive(value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 0
    return number if number > 0 else 0


def disk_usage_from(df: Mapping[str, Any]) -> DiskUsage:
    """Build :class:`DiskUsage` from the engine's ``/system/df`` answer, with the docker CLI's arithmetic."""
    images = df.get("Images") or []
    image_size = _positive(df.get("LayersSize"))
    used = 0
    for image in images:
        # Shared layers stay while any user is left, so only an image's own bytes count as used.
        if _positive(image.get("Containers")) and image.get("SharedSize", -1) != -1:
            used += _positive(image.get("Size")) - _positive(image.get("SharedSize"))
    images_row = DiskUsageRow("images", total=len(images),
                              active=sum(1 for image in images if _positive(image.get("Containers"))),
                              size=image_size, reclaimable=max(0, image_size - used))

    containers = df.get("Containers") or []
    running = [container for container in containers if container.get("State") == "running"]
    containers_row = DiskUsageRow(
        "containers", total=len(containers), active=len(running),
        size=sum(_positive(container.get("SizeRw")) for container in containers),
        reclaimable=sum(_positive(container.get("SizeRw")) for container in containers
                        if container.get("State") != "running"),
    )

    volumes = df.get("Volumes") or []

    def usage(volume: Mapping[str, Any], key: str) -> int:
        return _positive((volume.get("UsageData") or {}).get(key))

    volumes_row = DiskUsageRow(
        "volumes", total=len(volumes), active=sum(1 for volume in volumes if usage(volume, "RefCount")),
        size=sum(usage(volume, "Size") for volume in volumes),
        reclaimable=sum(usage(volume, "Size") for volume in volumes if not usage(volume, "RefCount")),
    )

    cache = df.get("BuildCache") or []
    cache_row = DiskUsageRow(
        "build_cache", total=len(cache), active=sum(1 for entry in cache if entry.get("InUse")),
        size=sum(_positive(entry.get("Size")) for entry in cache),
        reclaimable=sum(_positive(entry.get("Size")) for entry in cache
                        if not entry.get("InUse") and not entry.get("Shared")),
    )
    return DiskUsage(images=images_row, containers=containers_row, volumes=volumes_row, build_cache=cache_row)


def disk_usage(source: ApiSource) -> DiskUsage:
    """Disk use per kind (images, containers, volumes, build cache), like ``docker system df``; can be slow."""
    api = client_of(source)
    with engine_call("measure", "the engine's disk usage"):
        df = api.df()
    return disk_usage_from(df or {})
