"""Container verbs (start, stop, kill, remove...), the detail view's data, and the audited action runner.

The module-level verbs (:func:`stop_container` ...) talk to the engine and translate its
errors; they neither audit nor check read-only mode. The UI and the CLI go through
:class:`ActionRunner`, whose every method that changes the engine takes the one
:func:`~dockerforge_tui.services.audit.run_action` path: refused (and audited) in
read-only mode, otherwise run, timed and audited with its outcome.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping, Protocol, Sequence, Union

from dockerforge_tui.services.audit import ActionTarget, AuditLog, run_action
from dockerforge_tui.services.docker import compose, images, networks, volumes
from dockerforge_tui.services.docker.api_errors import ApiSource, client_of, engine_call
from dockerforge_tui.services.docker.endpoints import Endpoint
from dockerforge_tui.services.docker.models import COMPOSE_PROJECT_LABEL, COMPOSE_SERVICE_LABEL, parse_engine_time
from dockerforge_tui.services.docker.prune import PruneFilters, PruneResult
from dockerforge_tui.services.external_commands import DEFAULT_TIMEOUT, CompletedAction, run_external

DEFAULT_STOP_TIMEOUT = 10
"""Seconds the engine waits after SIGTERM before it kills (the docker CLI's default)."""

SHELL_PROBE = "command -v bash >/dev/null && exec bash || exec sh"
"""Run inside ``sh -c``: bash when the image has it, else sh."""

WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::"})


# --- the detail view ------------------------------------------------------------------------


@dataclass(frozen=True)
class MountInfo:
    """One mount of a container."""

    type: str
    """``volume``, ``bind``, ``tmpfs`` or ``npipe``."""
    source: str
    destination: str
    name: str = ""
    """The volume's name (volumes only)."""
    mode: str = ""
    read_write: bool = True
    driver: str = ""


@dataclass(frozen=True)
class PortBinding:
    """One exposed container port and, when published, where on the host."""

    container_port: int
    protocol: str = "tcp"
    host_ip: str | None = None
    host_port: int | None = None

    @property
    def published(self) -> bool:
        """True when the port is reachable from the host."""
        return self.host_port is not None


@dataclass(frozen=True)
class NetworkAttachment:
    """One network the container is attached to."""

    name: str
    ip: str = ""
    ip_prefix_len: int = 0
    ipv6: str = ""
    gateway: str = ""
    mac: str = ""
    aliases: tuple[str, ...] = ()
    network_id: str = ""


@dataclass(frozen=True)
class RestartPolicy:
    """The container's restart policy."""

    name: str
    """``no``, ``always``, ``unless-stopped`` or ``on-failure``."""
    max_retries: int = 0


@dataclass(frozen=True)
class HealthcheckConfig:
    """The configured health check; durations in seconds."""

    test: tuple[str, ...]
    interval: float | None = None
    timeout: float | None = None
    retries: int | None = None
    start_period: float | None = None

    @property
    def disabled(self) -> bool:
        """True when the image's check is switched off (``NONE``)."""
        return bool(self.test) and self.test[0] == "NONE"


@dataclass(frozen=True)
class HealthProbe:
    """One recent health-check run."""

    start: datetime | None
    end: datetime | None
    exit_code: int
    output: str


@dataclass(frozen=True)
class ContainerDetail:
    """A snapshot of one container's inspect, with the fields the detail view shows picked out.

    ``raw`` is a private deep copy of the whole inspect document; treat it as read-only
    (:meth:`inspect_data` hands out a fresh copy, :meth:`inspect_json` the text).
    """

    id: str
    name: str
    image: str
    """The image reference the container was created from (``Config.Image``)."""
    image_id: str
    created: datetime | None
    state: str
    """``created``, ``running``, ``paused``, ``restarting``, ``exited``, ``removing`` or ``dead``."""
    pid: int = 0
    exit_code: int | None = None
    error: str = ""
    oom_killed: bool = False
    started_at: datetime | None = None
    finished_at: datetime | None = None
    health: str | None = None
    """``starting``, ``healthy``, ``unhealthy``, or None without a health check."""
    health_log: tuple[HealthProbe, ...] = ()
    restart_count: int = 0
    env: tuple[tuple[str, str], ...] = ()
    """Environment as (name, value), in the container's order; values are NOT redacted."""
    mounts: tuple[MountInfo, ...] = ()
    ports: tuple[PortBinding, ...] = ()
    networks: tuple[NetworkAttachment, ...] = ()
    labels: tuple[tuple[str, str], ...] = ()
    command: tuple[str, ...] = ()
    entrypoint: tuple[str, ...] = ()
    user: str = ""
    """``Config.User`` (``uid``, ``name``, ``uid:gid``); empty means the image's default (usually root)."""
    working_dir: str = ""
    hostname: str = ""
    restart_policy: RestartPolicy = RestartPolicy("no")
    healthcheck: HealthcheckConfig | None = None
    tty: bool = False
    privileged: bool = False
    network_mode: str = ""
    memory_limit: int | None = None
    """Bytes, or None when unlimited."""
    cpu_limit: float | None = None
    """CPUs (``--cpus``), or None when unlimited."""
    log_driver: str = ""
    platform: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False, hash=False)

    @property
    def short_id(self) -> str:
        """The 12 hex digits the docker CLI prints."""
        return self.id[:12]

    @property
    def is_running(self) -> bool:
        """True while the container runs (paused counts: its processes exist)."""
        return self.state in ("running", "paused", "restarting")

    def label(self, key: str) -> str | None:
        """One label's value, or None."""
        return dict(self.labels).get(key)

    @property
    def compose_project(self) -> str | None:
        """The compose project the container belongs to."""
        return self.label(COMPOSE_PROJECT_LABEL)

    @property
    def compose_service(self) -> str | None:
        """The compose service the container runs."""
        return self.label(COMPOSE_SERVICE_LABEL)

    def inspect_data(self) -> dict[str, Any]:
        """A fresh deep copy of the whole inspect document."""
        return copy.deepcopy(self.raw)

    def inspect_json(self, indent: int = 2) -> str:
        """The inspect document as JSON text, as ``docker inspect`` prints it."""
        return json.dumps(self.raw, indent=indent, sort_keys=False, default=str)


def _seconds(nanoseconds: Any) -> float | None:
    return nanoseconds / 1e9 if isinstance(nanoseconds, (int, float)) and nanoseconds > 0 else None


def _env_pairs(entries: Sequence[str] | None) -> tuple[tuple[str, str], ...]:
    pairs = []
    for entry in entries or ():
        name, _, value = str(entry).partition("=")
        pairs.append((name, value))
    return tuple(pairs)


def _ports(bindings: Mapping[str, Any] | None) -> tuple[PortBinding, ...]:
    ports: list[PortBinding] = []
    for key, published in (bindings or {}).items():
        number, _, protocol = key.partition("/")
        try:
            container_port = int(number)
        except ValueError:
            continue
        protocol = protocol or "tcp"
        if not published:
            ports.append(PortBinding(container_port, protocol))
            continue
        for binding in published:
            host_port = binding.get("HostPort")
            ports.append(PortBinding(container_port, protocol, binding.get("HostIp") or None,
                                     int(host_port) if host_port else None))
    return tuple(sorted(ports, key=lambda port: (port.container_port, port.protocol, port.host_ip or "",
                                                 port.host_port or 0)))


def _healthcheck(config: Mapping[str, Any] | None) -> HealthcheckConfig | None:
    if not config or not config.get("Test"):
        return None
    return HealthcheckConfig(
        test=tuple(config.get("Test") or ()),
        interval=_seconds(config.get("Interval")),
        timeout=_seconds(config.get("Timeout")),
        retries=config.get("Retries") or None,
        start_period=_seconds(config.get("StartPeriod")),
    )


def _as_tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(part) for part in value)


def detail_from_inspect(inspected: Mapping[str, Any]) -> ContainerDetail:
    """Build a :class:`ContainerDetail` from the engine's ``GET /containers/{id}/json`` document."""
    raw = copy.deepcopy(dict(inspected))
    config = raw.get("Config") or {}
    state = raw.get("State") or {}
    host = raw.get("HostConfig") or {}
    health = state.get("Health") or {}
    settings = raw.get("NetworkSettings") or {}
    restart = host.get("RestartPolicy") or {}
    networks_found = tuple(
        NetworkAttachment(
            name=name, ip=net.get("IPAddress") or "", ip_prefix_len=int(net.get("IPPrefixLen") or 0),
            ipv6=net.get("GlobalIPv6Address") or "", gateway=net.get("Gateway") or "",
            mac=net.get("MacAddress") or "", aliases=_as_tuple(net.get("Aliases")),
            network_id=net.get("NetworkID") or "",
        )
        for name, net in sorted((settings.get("Networks") or {}).items())
        if isinstance(net, Mapping)
    )
    nano_cpus = host.get("NanoCpus") or 0
    return ContainerDetail(
        id=raw.get("Id", ""),
        name=(raw.get("Name") or "").lstrip("/"),
        image=config.get("Image") or "",
        image_id=raw.get("Image") or "",
        created=parse_engine_time(raw.get("Created")),
        state=state.get("Status") or "unknown",
        pid=int(state.get("Pid") or 0),
        exit_code=state.get("ExitCode"),
        error=state.get("Error") or "",
        oom_killed=bool(state.get("OOMKilled")),
        started_at=parse_engine_time(state.get("StartedAt")),
        finished_at=parse_engine_time(state.get("FinishedAt")),
        health=health.get("Status") or None,
        health_log=tuple(
            HealthProbe(parse_engine_time(entry.get("Start")), parse_engine_time(entry.get("End")),
                        int(entry.get("ExitCode") or 0), (entry.get("Output") or "").strip())
            for entry in health.get("Log") or ()
        ),
        restart_count=int(raw.get("RestartCount") or 0),
        env=_env_pairs(config.get("Env")),
        mounts=tuple(
            MountInfo(type=mount.get("Type") or "", source=mount.get("Source") or "",
                      destination=mount.get("Destination") or "", name=mount.get("Name") or "",
                      mode=mount.get("Mode") or "", read_write=bool(mount.get("RW", True)),
                      driver=mount.get("Driver") or "")
            for mount in raw.get("Mounts") or ()
        ),
        ports=_ports(settings.get("Ports")),
        networks=networks_found,
        labels=tuple(sorted((config.get("Labels") or {}).items())),
        command=_as_tuple(config.get("Cmd")),
        entrypoint=_as_tuple(config.get("Entrypoint")),
        user=config.get("User") or "",
        working_dir=config.get("WorkingDir") or "",
        hostname=config.get("Hostname") or "",
        restart_policy=RestartPolicy(restart.get("Name") or "no", int(restart.get("MaximumRetryCount") or 0)),
        healthcheck=_healthcheck(config.get("Healthcheck")),
        tty=bool(config.get("Tty")),
        privileged=bool(host.get("Privileged")),
        network_mode=host.get("NetworkMode") or "",
        memory_limit=host.get("Memory") or None,
        cpu_limit=nano_cpus / 1e9 if nano_cpus else None,
        log_driver=(host.get("LogConfig") or {}).get("Type") or "",
        platform=raw.get("Platform") or "",
        raw=raw,
    )


def container_detail(source: ApiSource, container_id: str) -> ContainerDetail:
    """Inspect one container; :class:`NotFoundError` when it is gone."""
    api = client_of(source)
    with engine_call("inspect", f"container {container_id}"):
        inspected = api.inspect_container(container_id)
    return detail_from_inspect(inspected)


@dataclass(frozen=True)
class ProcessTable:
    """The processes running in a container (``docker top``)."""

    titles: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    def column(self, title: str) -> tuple[str, ...]:
        """One column's values, e.g. ``column("PID")``; empty when there is no such column."""
        if title not in self.titles:
            return ()
        index = self.titles.index(title)
        return tuple(row[index] if index < len(row) else "" for row in self.rows)


def container_top(source: ApiSource, container_id: str, ps_args: str | None = None) -> ProcessTable:
    """The container's processes; :class:`DockerAPIError` when it is not running."""
    api = client_of(source)
    with engine_call("list the processes of", f"container {container_id}"):
        table = api.top(container_id, ps_args=ps_args) if ps_args else api.top(container_id)
    return ProcessTable(titles=tuple(table.get("Titles") or ()),
                        rows=tuple(tuple(str(cell) for cell in row) for row in table.get("Processes") or ()))


def exec_shell_argv(container: ContainerDetail | str, docker_cli: str = "docker",
                    endpoint: Endpoint | str | None = None, user: str | None = None) -> list[str]:
    """The argv of an interactive shell in ``container`` for the docker CLI (bash when present, else sh).

    Runs as the container's configured user (``Config.User`` of a :class:`ContainerDetail`,
    or ``user``), and names the engine with ``-H`` when it is not the CLI's default.
    """
    target = container.id if isinstance(container, ContainerDetail) else container
    run_as = user if user is not None else (container.user if isinstance(container, ContainerDetail) else "")
    argv = [docker_cli, *compose.cli_host_flags(endpoint), "exec", "-it"]
    if run_as:
        argv += ["-u", run_as]
    return argv + [target, "sh", "-c", SHELL_PROBE]


def published_urls(detail: ContainerDetail, host: str = "localhost") -> tuple[str, ...]:
    """``http://HOST:PORT`` for every published TCP port, once each, by container port.

    A port bound to every address (``0.0.0.0``, ``::``) is reached at ``host``: localhost
    for a local engine, the engine's host name for a remote one.
    """
    urls: list[str] = []
    for port in detail.ports:
        if port.protocol != "tcp" or port.host_port is None:
            continue
        address = port.host_ip or ""
        if address in WILDCARD_HOSTS:
            address = host
        elif ":" in address:
            address = f"[{address}]"
        url = f"http://{address}:{port.host_port}"
        if url not in urls:
            urls.append(url)
    return tuple(urls)


# --- the verbs ---------------------------------------------------------------------------


def start_container(source: ApiSource, container_id: str) -> None:
    """Start a created or stopped container."""
    with engine_call("start", f"container {container_id}"):
        client_of(source).start(container_id)


def stop_container(source: ApiSource, container_id: str, timeout: int = DEFAULT_STOP_TIMEOUT) -> None:
    """Stop a container: SIGTERM (or its stop signal), then SIGKILL after ``timeout`` seconds."""
    with engine_call("stop", f"container {container_id}"):
        client_of(source).stop(container_id, timeout=timeout)


def restart_container(source: ApiSource, container_id: str, timeout: int = DEFAULT_STOP_TIMEOUT) -> None:
    """Stop (waiting up to ``timeout`` seconds) and start a container."""
    with engine_call("restart", f"container {container_id}"):
        client_of(source).restart(container_id, timeout=timeout)


def pause_container(source: ApiSource, container_id: str) -> None:
    """Freeze every process of a running container."""
    with engine_call("pause", f"container {container_id}"):
        client_of(source).pause(container_id)


def unpause_container(source: ApiSource, container_id: str) -> None:
    """Thaw a paused container."""
    with engine_call("unpause", f"container {container_id}"):
        client_of(source).unpause(container_id)


def kill_container(source: ApiSource, container_id: str, signal: str | int = "SIGKILL") -> None:
    """Send ``signal`` (``SIGKILL``, ``SIGTERM``, ``HUP``, ``9``...) to the container's main process."""
    with engine_call(f"send {signal} to", f"container {container_id}"):
        client_of(source).kill(container_id, signal=signal)


def remove_container(source: ApiSource, container_id: str, force: bool = False, volumes: bool = False) -> None:
    """Remove a container; ``force`` kills it first if running, ``volumes`` removes its anonymous volumes too."""
    with engine_call("remove", f"container {container_id}"):
        client_of(source).remove_container(container_id, v=volumes, force=force)


def rename_container(source: ApiSource, container_id: str, new_name: str) -> None:
    """Give a container a new name; :class:`DockerAPIError` when another container has it."""
    with engine_call(f"rename to {new_name!r}", f"container {container_id}"):
        client_of(source).rename(container_id, new_name)


# --- the audited runner ----------------------------------------------------------------------


class Named(Protocol):
    """Anything with an id and a name (ContainerSummary, ContainerDetail, NetworkSummary...)."""

    id: str
    name: str


ObjectRef = Union[str, Named, Any]
"""An object's id or name, or a record carrying ``id`` and ``name`` (or ``display_name``, as ImageSummary)."""


def action_target(kind: str, obj: ObjectRef) -> ActionTarget:
    """The audit target for ``obj``: a record's name and id, or a bare id/name used for both."""
    if isinstance(obj, str):
        return ActionTarget(kind, obj, obj)
    name = getattr(obj, "display_name", None) or getattr(obj, "name", None) or getattr(obj, "id", "")
    return ActionTarget(kind, str(name), str(getattr(obj, "id", None) or name))


class ActionRunner:
    """Every action that changes the engine, refused in read-only mode and audited either way.

    ``source`` is the connection (or low-level client) to act through; ``endpoint_label``
    names the engine in audit records (the endpoint's URL by default).
    """

    def __init__(self, source: ApiSource, audit: AuditLog | None, readonly: bool = False,
                 endpoint_label: str | None = None, endpoint: Endpoint | None = None,
                 docker_cli: str = "docker", compose_v1: str = compose.COMPOSE_V1) -> None:
        self.api = client_of(source)
        self.audit = audit
        self.readonly = readonly
        self.endpoint = endpoint if endpoint is not None else getattr(source, "endpoint", None)
        default_label = self.endpoint.url if self.endpoint is not None else str(self.api.base_url)
        self.endpoint_label = endpoint_label or default_label
        self.docker_cli = docker_cli
        self.compose_v1 = compose_v1

    def _run(self, verb: str, target: ActionTarget, perform, params: Mapping[str, Any] | None = None,
             failure_of=None):
        return run_action(perform, verb=verb, target=target, audit=self.audit, endpoint=self.endpoint_label,
                          params=params, readonly=self.readonly, failure_of=failure_of)

    # containers
    def start(self, container: ObjectRef) -> None:
        """Start a container."""
        target = action_target("container", container)
        self._run("start", target, lambda: start_container(self.api, target.id))

    def stop(self, container: ObjectRef, timeout: int = DEFAULT_STOP_TIMEOUT) -> None:
        """Stop a container, killing it after ``timeout`` seconds."""
        target = action_target("container", container)
        self._run("stop", target, lambda: stop_container(self.api, target.id, timeout), {"timeout": timeout})

    def restart(self, container: ObjectRef, timeout: int = DEFAULT_STOP_TIMEOUT) -> None:
        """Restart a container."""
        target = action_target("container", container)
        self._run("restart", target, lambda: restart_container(self.api, target.id, timeout), {"timeout": timeout})

    def pause(self, container: ObjectRef) -> None:
        """Pause a container."""
        target = action_target("container", container)
        self._run("pause", target, lambda: pause_container(self.api, target.id))

    def unpause(self, container: ObjectRef) -> None:
        """Unpause a container."""
        target = action_target("container", container)
        self._run("unpause", target, lambda: unpause_container(self.api, target.id))

    def kill(self, container: ObjectRef, signal: str | int = "SIGKILL") -> None:
        """Send a signal to a container."""
        target = action_target("container", container)
        self._run("kill", target, lambda: kill_container(self.api, target.id, signal), {"signal": signal})

    def remove(self, container: ObjectRef, force: bool = False, volumes: bool = False) -> None:
        """Remove a container (``force`` even when running, ``volumes`` with its anonymous volumes)."""
        target = action_target("container", container)
        self._run("remove", target, lambda: remove_container(self.api, target.id, force, volumes),
                  {"force": force, "volumes": volumes})

    def rename(self, container: ObjectRef, new_name: str) -> None:
        """Rename a container."""
        target = action_target("container", container)
        self._run("rename", target, lambda: rename_container(self.api, target.id, new_name), {"new_name": new_name})

    # images, volumes, networks
    def remove_image(self, image: ObjectRef, force: bool = False) -> tuple[str, ...]:
        """Remove an image (by id, tag or an ImageSummary); returns the engine's untagged/deleted lines."""
        target = action_target("image", image)
        return self._run("remove", target, lambda: images.remove_image(self.api, target.id, force), {"force": force})

    def prune_images(self, mode: images.PruneMode = "dangling", filters: PruneFilters | None = None) -> PruneResult:
        """Remove dangling (or all unused) images."""
        target = ActionTarget("images", f"{mode} images")
        return self._run("prune", target, lambda: images.prune_images(self.api, mode, filters),
                         {"mode": mode, "filters": dict(filters or {})})

    def remove_volume(self, volume: ObjectRef, force: bool = False) -> None:
        """Remove a volume (by name or a VolumeSummary)."""
        target = action_target("volume", volume)
        self._run("remove", target, lambda: volumes.remove_volume(self.api, target.name, force), {"force": force})

    def prune_volumes(self, filters: PruneFilters | None = None) -> PruneResult:
        """Remove every volume no container uses."""
        target = ActionTarget("volumes", "unused volumes")
        return self._run("prune", target, lambda: volumes.prune_volumes(self.api, filters),
                         {"filters": dict(filters or {})})

    def remove_network(self, network: ObjectRef) -> None:
        """Remove a network (by id, name or a NetworkSummary)."""
        target = action_target("network", network)
        self._run("remove", target, lambda: networks.remove_network(self.api, target.id))

    def prune_networks(self, filters: PruneFilters | None = None) -> PruneResult:
        """Remove every user network no running container is attached to."""
        target = ActionTarget("networks", "unused networks")
        return self._run("prune", target, lambda: networks.prune_networks(self.api, filters),
                         {"filters": dict(filters or {})})

    # compose and external commands
    def compose(self, project: "compose.ComposeProject", verb: str, services: Sequence[str] = (),
                remove_volumes: bool = False, timeout: float = DEFAULT_TIMEOUT) -> CompletedAction:
        """Run a compose verb on a project (several audited steps for ``pull_recreate`` on compose v1).

        Returns how the (last) step ended; a failing step stops the rest.
        """
        steps = compose.compose_commands(project, verb, services=services, remove_volumes=remove_volumes,
                                         docker_cli=self.docker_cli, compose_v1=self.compose_v1,
                                         endpoint=self.endpoint)
        target = ActionTarget("compose project", project.name, project.name)
        done: CompletedAction | None = None
        for argv in steps:
            done = run_external(argv, audit=self.audit, verb=f"compose {compose.step_name(argv)}", target=target,
                                endpoint=self.endpoint_label, readonly=self.readonly, timeout=timeout,
                                cwd=project.working_dir or None)
            if not done.ok:
                break
        assert done is not None  # compose_commands never returns no step
        return done

    def run_command(self, argv: Sequence[str], verb: str, target: ActionTarget, changes_engine: bool = True,
                    timeout: float = DEFAULT_TIMEOUT, wording: str | None = None) -> CompletedAction:
        """Run an external command (a rendered custom command) as an audited action.

        Read-only mode refuses it when ``changes_engine`` (a custom command marked dangerous);
        a harmless one runs and is audited all the same.
        """
        return run_external(argv, audit=self.audit, verb=verb, target=target, endpoint=self.endpoint_label,
                            readonly=self.readonly and changes_engine, timeout=timeout, wording=wording)
