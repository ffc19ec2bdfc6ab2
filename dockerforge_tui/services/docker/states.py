"""The current state of containers, as the issue analyzers need it: one inspect per container.

:func:`inspect_states` turns ``GET /containers/{id}/json`` into frozen
:class:`ContainerState` records: exit code and OOM flag, restart count and policy,
health (status, failing streak, last probe output) and the health check's timing,
compose project, service and ``depends_on``, memory limit, ports, networks with their
aliases, and the *names* of environment variables (never their values).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Mapping

import docker.errors

from dockerforge_tui.core.errors import DockerAPIError, NotFoundError
from dockerforge_tui.services.docker.api_errors import engine_call
from dockerforge_tui.services.docker.models import (
    COMPOSE_PROJECT_LABEL, COMPOSE_SERVICE_LABEL, PortMapping, parse_engine_time,
)

log = logging.getLogger(__name__)

COMPOSE_DEPENDS_ON_LABEL = "com.docker.compose.depends_on"
"""Compose v2 writes ``service:condition:restart`` entries, comma-separated, into this label."""

NANOSECONDS = 1_000_000_000

# The engine's defaults for a health check field left at 0 (docker run --help).
DEFAULT_HEALTH_INTERVAL = 30.0
DEFAULT_HEALTH_TIMEOUT = 30.0
DEFAULT_HEALTH_RETRIES = 3
HEALTH_OUTPUT_LIMIT = 2000
"""Characters of a health probe's output kept; the engine keeps up to 4 KiB per probe."""


@dataclass(frozen=True)
class HealthcheckConfig:
    """How the engine probes a container's health (its ``HEALTHCHECK``), in seconds."""

    test: tuple[str, ...]
    interval: float
    timeout: float
    retries: int
    start_period: float

    @property
    def disabled(self) -> bool:
        """True for ``HEALTHCHECK NONE`` (or ``--no-healthcheck``)."""
        return not self.test or self.test[0] == "NONE"

    @property
    def expected_healthy_within(self) -> float:
        """Seconds after start by which a working container has reported healthy: start period + retries x interval."""
        return self.start_period + self.retries * self.interval


@dataclass(frozen=True)
class HealthState:
    """The latest health verdict and the probe output behind it."""

    status: str
    """``starting``, ``healthy`` or ``unhealthy``."""
    failing_streak: int
    last_output: str | None
    """Output of the most recent probe (trimmed), None before the first probe."""
    last_exit_code: int | None
    last_checked_at: datetime | None


@dataclass(frozen=True)
class NetworkAttachment:
    """One network a container is attached to, and the names it answers to there."""

    network: str
    aliases: tuple[str, ...] = ()
    ip_address: str | None = None


@dataclass(frozen=True)
class ContainerState:
    """What the engine knows about one container right now (from an inspect)."""

    id: str
    name: str
    image: str
    status: str
    """``created``, ``running``, ``paused``, ``restarting``, ``removing``, ``exited`` or ``dead``."""
    exit_code: int | None
    oom_killed: bool
    restart_count: int
    error: str | None
    """The engine's error text for a container that failed to start (a missing binary, a port clash)."""
    health: HealthState | None
    healthcheck: HealthcheckConfig | None
    created_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    restart_policy: str
    """``no``, ``always``, ``unless-stopped`` or ``on-failure``."""
    restart_max_retries: int
    compose_project: str | None
    compose_service: str | None
    depends_on: tuple[str, ...]
    """Compose services this one depends on (from the ``com.docker.compose.depends_on`` label)."""
    memory_limit: int | None
    """Bytes; None when the container has no memory limit."""
    ports: tuple[PortMapping, ...]
    """Exposed ports; ``public_port`` is set for those published on the host."""
    networks: tuple[NetworkAttachment, ...]
    hostname: str | None
    env_names: tuple[str, ...]
    """Names of the environment variables; values are never read into this record."""
    labels: tuple[tuple[str, str], ...] = ()

    @property
    def short_id(self) -> str:
        """The first 12 hex digits of the id."""
        return self.id[:12]

    @property
    def is_running(self) -> bool:
        """True while the process runs (``running`` or ``paused``)."""
        return self.status in ("running", "paused")

    @property
    def health_status(self) -> str | None:
        """``starting``, ``healthy``, ``unhealthy``, or None without a health check."""
        return self.health.status if self.health is not None else None

    @property
    def published_ports(self) -> tuple[PortMapping, ...]:
        """Only the ports published on the host."""
        return tuple(port for port in self.ports if port.public_port)

    @property
    def aliases(self) -> frozenset[str]:
        """Every name other containers may use for this one (lower-case): name, service, aliases, hostname."""
        names = {self.name, self.hostname or "", self.compose_service or ""}
        for attachment in self.networks:
            names.update(attachment.aliases)
        names.discard("")
        return frozenset(name.lower() for name in names)

    def label(self, key: str) -> str | None:
        """One label's value, or None."""
        for name, value in self.labels:
            if name == key:
                return value
        return None


def inspect_states(api: docker.APIClient, container_ids: Iterable[str] | None = None) -> tuple[ContainerState, ...]:
    """Inspect containers and return their states.

    ``container_ids`` are ids, id prefixes or names; None means every container on the
    engine, running or not (a container that vanishes meanwhile is skipped). A named
    container that does not exist raises :class:`NotFoundError`; another engine error
    raises :class:`DockerAPIError`.
    """
    if container_ids is None:
        try:
            listed = [entry["Id"] for entry in api.containers(all=True)]
        except docker.errors.APIError as error:
            raise DockerAPIError(f"the engine refused to list containers: {error.explanation or error}") from error
        states = []
        for container_id in listed:
            try:
                states.append(state_from_inspect(api.inspect_container(container_id)))
            except docker.errors.NotFound:
                log.debug("container %s vanished before it was inspected", container_id[:12])
        return tuple(states)
    states = []
    for reference in container_ids:
        try:
            states.append(state_from_inspect(api.inspect_container(reference)))
        except docker.errors.NotFound as error:
            raise NotFoundError(f"no container named or with id {reference!r}",
                                hint="list containers with `docker ps -a`") from error
        except docker.errors.APIError as error:
            raise DockerAPIError(f"inspecting container {reference!r} failed: {error.explanation or error}") from error
    return tuple(states)


class StateCache:
    """The containers' states between snapshots, inspecting only what may have changed.

    A periodic check of fifty containers need not inspect fifty containers: one list call
    says which exist and in what state, and a container is inspected again only when it
    is new, its listed state or health changed, or :meth:`invalidate` named it (the
    monitor does that for every lifecycle event, which covers restarts that happen
    between two lists).
    """

    def __init__(self) -> None:
        self._known: dict[str, tuple[tuple[str, str], ContainerState]] = {}
        self._stale: set[str] = set()
        self._lock = threading.Lock()

    def invalidate(self, container_id: str) -> None:
        """Inspect this container again at the next :meth:`read` (thread-safe)."""
        with self._lock:
            self._stale.add(container_id)

    def read(self, api: docker.APIClient) -> tuple[ContainerState, ...]:
        """Every container's state, inspecting only the new, changed or invalidated ones."""
        with engine_call("list", "containers"):
            listed = api.containers(all=True)
        with self._lock:
            stale, self._stale = self._stale, set()
        known: dict[str, tuple[tuple[str, str], ContainerState]] = {}
        for entry in listed:
            container_id = entry["Id"]
            signature = (str(entry.get("State", "")), _health_word(str(entry.get("Status", ""))))
            cached = self._known.get(container_id)
            if cached is not None and cached[0] == signature and container_id not in stale:
                known[container_id] = cached
                continue
            try:
                with engine_call("inspect", f"container {container_id[:12]}"):
                    known[container_id] = (signature, state_from_inspect(api.inspect_container(container_id)))
            except NotFoundError:
                log.debug("container %s vanished before it was inspected", container_id[:12])
        self._known = known
        return tuple(state for _, state in known.values())


def _health_word(status: str) -> str:
    """``healthy``, ``unhealthy`` or ``starting`` from a list entry's Status text, else empty."""
    for word in ("(unhealthy)", "(healthy)", "(health: starting)"):
        if word in status:
            return word
    return ""


def find_port_publishers(api: docker.APIClient, port: int, protocol: str = "tcp") -> tuple[ContainerState, ...]:
    """Running containers that publish host ``port`` (the engine's ``publish`` list filter), inspected.

    This is what holds a host port a new container could not get; a fix workflow
    names them (or stops one) to free the port.
    """
    try:
        entries = api.containers(filters={"publish": f"{port}/{protocol}"})
    except docker.errors.APIError as error:
        raise DockerAPIError(f"the engine refused to list containers: {error.explanation or error}") from error
    states = []
    for entry in entries:
        try:
            state = state_from_inspect(api.inspect_container(entry["Id"]))
        except docker.errors.NotFound:
            continue
        if any(mapping.public_port == port and mapping.protocol == protocol for mapping in state.ports):
            states.append(state)
    return tuple(states)


def state_from_inspect(inspected: Mapping[str, Any]) -> ContainerState:
    """Build a :class:`ContainerState` from one ``docker inspect`` document."""
    state = inspected.get("State") or {}
    config = inspected.get("Config") or {}
    host_config = inspected.get("HostConfig") or {}
    network_settings = inspected.get("NetworkSettings") or {}
    labels = config.get("Labels") or {}
    restart_policy = host_config.get("RestartPolicy") or {}
    return ContainerState(
        id=inspected.get("Id", ""),
        name=(inspected.get("Name") or "").lstrip("/") or inspected.get("Id", "")[:12],
        image=config.get("Image") or inspected.get("Image") or "",
        status=state.get("Status") or "unknown",
        exit_code=state.get("ExitCode"),
        oom_killed=bool(state.get("OOMKilled")),
        restart_count=int(inspected.get("RestartCount") or 0),
        error=state.get("Error") or None,
        health=_health(state.get("Health")),
        healthcheck=_healthcheck(config.get("Healthcheck")),
        created_at=parse_engine_time(inspected.get("Created")),
        started_at=parse_engine_time(state.get("StartedAt")),
        finished_at=parse_engine_time(state.get("FinishedAt")),
        restart_policy=restart_policy.get("Name") or "no",
        restart_max_retries=int(restart_policy.get("MaximumRetryCount") or 0),
        compose_project=labels.get(COMPOSE_PROJECT_LABEL),
        compose_service=labels.get(COMPOSE_SERVICE_LABEL),
        depends_on=parse_depends_on(labels.get(COMPOSE_DEPENDS_ON_LABEL)),
        memory_limit=host_config.get("Memory") or None,
        ports=_ports(network_settings.get("Ports"), host_config.get("PortBindings"), config.get("ExposedPorts")),
        networks=_networks(network_settings.get("Networks")),
        hostname=config.get("Hostname") or None,
        env_names=tuple(sorted({entry.split("=", 1)[0] for entry in config.get("Env") or [] if entry})),
        labels=tuple(sorted(labels.items())),
    )


def parse_depends_on(label: str | None) -> tuple[str, ...]:
    """Service names from a ``com.docker.compose.depends_on`` label (``db:service_healthy:false,cache:...``)."""
    if not label:
        return ()
    services = []
    for entry in label.split(","):
        service = entry.strip().split(":", 1)[0].strip()
        if service and service not in services:
            services.append(service)
    return tuple(services)


def _health(health: Mapping[str, Any] | None) -> HealthState | None:
    if not health or not health.get("Status"):
        return None
    probes = health.get("Log") or []
    last = probes[-1] if probes else {}
    output = (last.get("Output") or "").strip()
    if len(output) > HEALTH_OUTPUT_LIMIT:
        output = output[-HEALTH_OUTPUT_LIMIT:]  # the end says why it failed
    return HealthState(
        status=health["Status"],
        failing_streak=int(health.get("FailingStreak") or 0),
        last_output=output if probes else None,
        last_exit_code=last.get("ExitCode") if probes else None,
        last_checked_at=parse_engine_time(last.get("End") or last.get("Start")),
    )


def _healthcheck(config: Mapping[str, Any] | None) -> HealthcheckConfig | None:
    if not config or not config.get("Test"):
        return None

    def seconds(key: str, default: float) -> float:
        value = config.get(key) or 0
        return value / NANOSECONDS if value > 0 else default

    return HealthcheckConfig(
        test=tuple(config.get("Test") or ()),
        interval=seconds("Interval", DEFAULT_HEALTH_INTERVAL),
        timeout=seconds("Timeout", DEFAULT_HEALTH_TIMEOUT),
        retries=int(config.get("Retries") or 0) or DEFAULT_HEALTH_RETRIES,
        start_period=seconds("StartPeriod", 0.0),
    )


def _split_port(key: str) -> tuple[int, str] | None:
    number, _, protocol = key.partition("/")
    try:
        return int(number), protocol or "tcp"
    except ValueError:
        return None


def _ports(current: Mapping[str, Any] | None, bindings: Mapping[str, Any] | None,
           exposed: Mapping[str, Any] | None) -> tuple[PortMapping, ...]:
    # A running container reports what it holds in NetworkSettings.Ports; a stopped one
    # has none there, so fall back to what it is configured to publish.
    source = current if current else (bindings or {})
    found: set[PortMapping] = set()
    for key, hosts in source.items():
        split = _split_port(key)
        if split is None:
            continue
        port, protocol = split
        published = False
        for host in hosts or []:
            try:
                public = int(host.get("HostPort") or 0)
            except (TypeError, ValueError):
                public = 0
            if public:
                found.add(PortMapping(port, protocol, public, host.get("HostIp") or None))
                published = True
        if not published:
            found.add(PortMapping(port, protocol))
    for key in exposed or {}:
        split = _split_port(key)
        if split is not None and not any(p.private_port == split[0] and p.protocol == split[1] for p in found):
            found.add(PortMapping(split[0], split[1]))
    return tuple(sorted(found, key=lambda p: (p.private_port, p.protocol, p.public_port or 0, p.host_ip or "")))


def _networks(networks: Mapping[str, Any] | None) -> tuple[NetworkAttachment, ...]:
    attachments = []
    for name, settings in sorted((networks or {}).items()):
        settings = settings or {}
        aliases = list(settings.get("Aliases") or []) + list(settings.get("DNSNames") or [])
        attachments.append(NetworkAttachment(
            network=name,
            aliases=tuple(dict.fromkeys(alias for alias in aliases if alias)),
            ip_address=settings.get("IPAddress") or None,
        ))
    return tuple(attachments)
