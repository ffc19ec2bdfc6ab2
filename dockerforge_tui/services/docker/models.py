"""Frozen records the Docker service hands to the rest of DockerForge; no SDK object leaves this package."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Mapping

COMPOSE_PROJECT_LABEL = "com.docker.compose.project"
COMPOSE_SERVICE_LABEL = "com.docker.compose.service"


@dataclass(frozen=True)
class PortMapping:
    """One exposed port, published on the host or not."""

    private_port: int
    protocol: str = "tcp"
    public_port: int | None = None
    host_ip: str | None = None


@dataclass(frozen=True)
class ContainerSummary:
    """What the containers list shows about one container.

    Built from the engine's list call; ``started_at``, ``restart_count`` and ``exit_code``
    come from an inspect and are ``None`` until one was made.
    """

    id: str
    name: str
    image: str
    state: str
    status: str
    created: float
    health: str | None = None
    ports: tuple[PortMapping, ...] = ()
    labels: tuple[tuple[str, str], ...] = ()
    started_at: datetime | None = None
    restart_count: int | None = None
    exit_code: int | None = None
    oom_killed: bool = False
    mem_limit: int | None = None

    @property
    def short_id(self) -> str:
        """The first 12 hex digits of the id, as the docker CLI prints it."""
        return self.id[:12]

    @property
    def is_running(self) -> bool:
        """True for a running (or restarting) container, which has stats to sample."""
        return self.state == "running"

    def label(self, key: str) -> str | None:
        """Return one label's value, or None."""
        for name, value in self.labels:
            if name == key:
                return value
        return None

    @property
    def compose_project(self) -> str | None:
        """The compose project this container belongs to, from its labels."""
        return self.label(COMPOSE_PROJECT_LABEL)

    @property
    def compose_service(self) -> str | None:
        """The compose service this container runs, from its labels."""
        return self.label(COMPOSE_SERVICE_LABEL)


@dataclass(frozen=True)
class StatsSample:
    """One resource sample of a running container, already turned into rates and totals."""

    container_id: str
    read_at: float
    cpu_percent: float | None
    mem_usage: int
    mem_limit: int
    net_rx: int = 0
    net_tx: int = 0
    block_read: int = 0
    block_write: int = 0
    pids: int | None = None

    @property
    def mem_percent(self) -> float | None:
        """Memory use as a share of the limit, or None when the limit is unknown."""
        return 100.0 * self.mem_usage / self.mem_limit if self.mem_limit else None


@dataclass(frozen=True)
class EngineInfo:
    """The engine DockerForge is connected to."""

    endpoint: str
    source: str
    engine_version: str | None
    api_version: str | None


def parse_engine_time(value: str | None) -> datetime | None:
    """Parse the engine's RFC 3339 timestamps (nanoseconds included) into aware UTC datetimes.

    The zero time ``0001-01-01T00:00:00Z`` means "never" and returns None.
    """
    if not value or value.startswith("0001-"):
        return None
    text = value.rstrip("Z")
    offset = "+00:00"
    # An explicit offset (+hh:mm / -hh:mm) may follow the seconds instead of Z.
    for sign in ("+", "-"):
        position = text.rfind(sign)
        if position > 10:
            offset, text = text[position:], text[:position]
            break
    if "." in text:
        whole, fraction = text.split(".", 1)
        text = f"{whole}.{fraction[:6]}"
    try:
        parsed = datetime.fromisoformat(text + offset)
    except ValueError:
        return None
    return parsed.astimezone(timezone.utc)


def summary_from_list_entry(entry: Mapping[str, Any]) -> ContainerSummary:
    """Build a summary from one item of the engine's ``GET /containers/json``."""
    names = entry.get("Names") or []
    name = names[0].lstrip("/") if names else entry.get("Id", "")[:12]
    status = entry.get("Status") or ""
    ports = tuple(
        sorted(
            {
                PortMapping(
                    private_port=int(port.get("PrivatePort", 0)),
                    protocol=port.get("Type", "tcp"),
                    public_port=port.get("PublicPort"),
                    host_ip=port.get("IP"),
                )
                for port in entry.get("Ports") or []
            },
            key=lambda p: (p.private_port, p.protocol, p.public_port or 0, p.host_ip or ""),
        )
    )
    return ContainerSummary(
        id=entry["Id"],
        name=name,
        image=entry.get("Image") or "",
        state=entry.get("State") or "unknown",
        status=status,
        created=float(entry.get("Created") or 0),
        health=_health_from_status(status),
        ports=ports,
        labels=tuple(sorted((entry.get("Labels") or {}).items())),
    )


def _health_from_status(status: str) -> str | None:
    # The list call carries health only inside the status text, e.g. "Up 3 minutes (healthy)".
    for health in ("unhealthy", "healthy", "health: starting"):
        if f"({health})" in status:
            return "starting" if health == "health: starting" else health
    return None


def with_inspect(summary: ContainerSummary, inspected: Mapping[str, Any]) -> ContainerSummary:
    """Return ``summary`` completed with the fields only an inspect carries."""
    state = inspected.get("State") or {}
    health = (state.get("Health") or {}).get("Status") or summary.health
    host_config = inspected.get("HostConfig") or {}
    return ContainerSummary(
        id=summary.id,
        name=summary.name,
        image=summary.image,
        state=state.get("Status") or summary.state,
        status=summary.status,
        created=summary.created,
        health=health,
        ports=summary.ports,
        labels=summary.labels,
        started_at=parse_engine_time(state.get("StartedAt")),
        restart_count=inspected.get("RestartCount"),
        exit_code=state.get("ExitCode"),
        oom_killed=bool(state.get("OOMKilled")),
        mem_limit=host_config.get("Memory") or None,
    )


@dataclass(frozen=True)
class ContainerEvent:
    """One container event from the engine's event stream, reduced to what the UI needs."""

    action: str
    container_id: str
    time_nano: int
    attributes: tuple[tuple[str, str], ...] = field(default=())
