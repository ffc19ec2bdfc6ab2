"""Recreate a container with changed settings: the create request built from its inspect, and its diff.

``docker inspect`` holds everything ``docker create`` was given (``Config``,
``HostConfig``, the networks and their aliases), so the same container is made again
by sending those back with a few fields changed. The name, labels, command,
entrypoint, environment, mounts, networks (with aliases and fixed addresses), restart
policy, limits and health check all carry over; only what :class:`ContainerChanges`
names differs. The same builder with no changes restores a container from the
inspect saved before a fix (``fix rollback``).
"""

from __future__ import annotations

import copy
import difflib
import json
from dataclasses import dataclass, field
from typing import Any, Mapping

from dockerforge_tui.core.errors import UsageError
from dockerforge_tui.core.redaction import Redactor

NANOSECONDS = 1_000_000_000

# Network modes that are not a network the container joins with an endpoint.
SPECIAL_NETWORK_MODES = ("host", "none")


@dataclass(frozen=True)
class PortChange:
    """Publish container port ``container_port/protocol`` on ``host_port`` (None: stop publishing it)."""

    container_port: int
    protocol: str = "tcp"
    host_port: int | None = None
    host_ip: str = ""

    @property
    def key(self) -> str:
        """The engine's port key, ``80/tcp``."""
        return f"{self.container_port}/{self.protocol}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"container_port": self.container_port, "protocol": self.protocol, "host_port": self.host_port,
                "host_ip": self.host_ip}


@dataclass(frozen=True)
class HealthcheckChange:
    """A new health check: ``test`` as the engine stores it (``["CMD-SHELL", "..."]``); durations in seconds."""

    test: tuple[str, ...]
    interval: float = 0.0
    timeout: float = 0.0
    retries: int = 0
    start_period: float = 0.0

    def engine_form(self) -> dict[str, Any]:
        """``Config.Healthcheck`` as the engine takes it (nanoseconds)."""
        return {"Test": list(self.test), "Interval": int(self.interval * NANOSECONDS),
                "Timeout": int(self.timeout * NANOSECONDS), "Retries": self.retries,
                "StartPeriod": int(self.start_period * NANOSECONDS)}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"test": list(self.test), "interval": self.interval, "timeout": self.timeout,
                "retries": self.retries, "start_period": self.start_period}


@dataclass(frozen=True)
class ContainerChanges:
    """What a recreate changes; every field left at its default keeps the container's own value.

    The last group (``privileged`` ... ``binds``) adds privileges: the safety check refuses
    them unless the person allowed privileges for that fix.
    """

    memory: int | None = None
    """Memory limit in bytes."""
    memory_swap: int | None = None
    """Memory plus swap in bytes (-1 unlimited); by default it keeps the old ratio to ``memory``."""
    nano_cpus: int | None = None
    """CPU limit in billionths of a CPU (``--cpus 1.5`` is 1_500_000_000)."""
    restart_policy: str | None = None
    """``no``, ``always``, ``unless-stopped``, ``on-failure`` or ``on-failure:N``."""
    env_set: tuple[tuple[str, str], ...] = ()
    env_unset: tuple[str, ...] = ()
    ports: tuple[PortChange, ...] = ()
    healthcheck: HealthcheckChange | None = None
    privileged: bool | None = None
    network_mode: str | None = None
    pid_mode: str | None = None
    ipc_mode: str | None = None
    cap_add: tuple[str, ...] = ()
    devices: tuple[str, ...] = ()
    """``/dev/x[:/dev/y[:rwm]]`` device mappings to add."""
    binds: tuple[str, ...] = field(default=())
    """``SOURCE:DEST[:MODE]`` bind mounts to add."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form with only the fields that change something."""
        data: dict[str, Any] = {}
        for name in ("memory", "memory_swap", "nano_cpus", "restart_policy", "privileged", "network_mode",
                     "pid_mode", "ipc_mode"):
            value = getattr(self, name)
            if value is not None:
                data[name] = value
        if self.env_set:
            data["env_set"] = dict(self.env_set)
        for name in ("env_unset", "cap_add", "devices", "binds"):
            if getattr(self, name):
                data[name] = list(getattr(self, name))
        if self.ports:
            data["ports"] = [port.to_dict() for port in self.ports]
        if self.healthcheck is not None:
            data["healthcheck"] = self.healthcheck.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "ContainerChanges":
        """Read :meth:`to_dict`'s form; :class:`UsageError` for an unknown field or a bad value."""
        known = {"memory", "memory_swap", "nano_cpus", "restart_policy", "env_set", "env_unset", "ports",
                 "healthcheck", "privileged", "network_mode", "pid_mode", "ipc_mode", "cap_add", "devices", "binds"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise UsageError(f"a recreate cannot change {', '.join(unknown)}",
                             hint=f"it changes: {', '.join(sorted(known))}")
        try:
            env_set = data.get("env_set") or {}
            ports = tuple(PortChange(int(port["container_port"]), str(port.get("protocol") or "tcp"),
                                     int(port["host_port"]) if port.get("host_port") not in (None, "") else None,
                                     str(port.get("host_ip") or ""))
                          for port in data.get("ports") or ())
            health = data.get("healthcheck")
            healthcheck = None if not health else HealthcheckChange(
                tuple(str(part) for part in health["test"]), float(health.get("interval") or 0),
                float(health.get("timeout") or 0), int(health.get("retries") or 0),
                float(health.get("start_period") or 0))
            changes = cls(
                memory=_optional_int(data.get("memory")), memory_swap=_optional_int(data.get("memory_swap")),
                nano_cpus=_optional_int(data.get("nano_cpus")),
                restart_policy=str(data["restart_policy"]) if data.get("restart_policy") else None,
                env_set=tuple((str(key), str(value)) for key, value in dict(env_set).items()),
                env_unset=tuple(str(name) for name in data.get("env_unset") or ()),
                ports=ports, healthcheck=healthcheck,
                privileged=bool(data["privileged"]) if data.get("privileged") is not None else None,
                network_mode=data.get("network_mode"), pid_mode=data.get("pid_mode"), ipc_mode=data.get("ipc_mode"),
                cap_add=tuple(str(cap) for cap in data.get("cap_add") or ()),
                devices=tuple(str(device) for device in data.get("devices") or ()),
                binds=tuple(str(bind) for bind in data.get("binds") or ()),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise UsageError(f"bad recreate changes {dict(data)!r}: {error}",
                             hint="see docs/FIXES.md for the fields a recreate takes") from None
        if changes.restart_policy is not None:
            parse_restart_policy(changes.restart_policy)
        return changes

    @property
    def empty(self) -> bool:
        """True when nothing would change."""
        return not self.to_dict()


def _optional_int(value: Any) -> int | None:
    return None if value is None or value == "" else int(value)


def parse_restart_policy(text: str) -> dict[str, Any]:
    """``on-failure:5`` -> the engine's ``{"Name": "on-failure", "MaximumRetryCount": 5}``; UsageError when unknown."""
    name, _, retries = text.strip().partition(":")
    if name not in ("no", "always", "unless-stopped", "on-failure") or (retries and name != "on-failure"):
        raise UsageError(f"unknown restart policy {text!r}",
                         hint="use no, always, unless-stopped, on-failure or on-failure:N")
    try:
        count = int(retries) if retries else 0
    except ValueError:
        raise UsageError(f"unknown restart policy {text!r}", hint="the retry count is a whole number") from None
    return {"Name": "" if name == "no" else name, "MaximumRetryCount": count}


def swap_for(memory: int, old_memory: int | None, old_swap: int | None) -> int | None:
    """The memory+swap limit to pair with a new ``memory`` limit, keeping the old ratio.

    The engine refuses a memory limit above an existing memory+swap one, so raising
    ``memory`` alone (what ``docker update --memory`` tries) fails on a container made
    with ``--memory``: its swap limit is twice the memory by default.
    """
    if not old_swap or old_swap < 0:
        return old_swap
    if not old_memory:
        return max(old_swap, memory)
    return int(memory * old_swap / old_memory)


def create_body(inspected: Mapping[str, Any], changes: ContainerChanges | None = None,
                image: str | None = None) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The ``ContainerCreate`` body that makes ``inspected``'s container again, with ``changes`` applied.

    Returns the body (with ``NetworkingConfig`` for the first network) and the endpoint
    settings of every further network, to connect after the create (engines before API
    1.44 take one network at create). ``image`` overrides ``Config.Image`` (the caller
    passes the image id when the tag now names another image).
    """
    changes = changes or ContainerChanges()
    config = copy.deepcopy(dict(inspected.get("Config") or {}))
    host = copy.deepcopy(dict(inspected.get("HostConfig") or {}))
    old_id = str(inspected.get("Id") or "")
    if image:
        config["Image"] = image
    _keep_anonymous_volumes(inspected, host)

    if changes.memory is not None:
        swap = changes.memory_swap if changes.memory_swap is not None else swap_for(
            changes.memory, host.get("Memory") or None, host.get("MemorySwap"))
        host["Memory"] = changes.memory
        if swap is not None:
            host["MemorySwap"] = swap
    elif changes.memory_swap is not None:
        host["MemorySwap"] = changes.memory_swap
    if changes.nano_cpus is not None:
        host["NanoCpus"] = changes.nano_cpus
        host["CpuQuota"] = 0  # the engine refuses NanoCpus next to a quota or a period
        host["CpuPeriod"] = 0
    if changes.restart_policy is not None:
        host["RestartPolicy"] = parse_restart_policy(changes.restart_policy)
    if changes.env_set or changes.env_unset:
        config["Env"] = _changed_env(config.get("Env") or [], dict(changes.env_set), set(changes.env_unset))
    if changes.ports:
        bindings = dict(host.get("PortBindings") or {})
        exposed = dict(config.get("ExposedPorts") or {})
        for port in changes.ports:
            if port.host_port is None:
                bindings.pop(port.key, None)
            else:
                bindings[port.key] = [{"HostIp": port.host_ip, "HostPort": str(port.host_port)}]
                exposed.setdefault(port.key, {})
        host["PortBindings"] = bindings
        config["ExposedPorts"] = exposed
    if changes.healthcheck is not None:
        config["Healthcheck"] = changes.healthcheck.engine_form()
    if changes.privileged is not None:
        host["Privileged"] = changes.privileged
    for name, key in (("network_mode", "NetworkMode"), ("pid_mode", "PidMode"), ("ipc_mode", "IpcMode")):
        if getattr(changes, name) is not None:
            host[key] = getattr(changes, name)
    if changes.cap_add:
        host["CapAdd"] = list(dict.fromkeys([*(host.get("CapAdd") or []), *changes.cap_add]))
    if changes.devices:
        host["Devices"] = [*(host.get("Devices") or []), *(_device(text) for text in changes.devices)]
    if changes.binds:
        host["Binds"] = list(dict.fromkeys([*(host.get("Binds") or []), *changes.binds]))

    networks = _endpoints(inspected, old_id)
    mode = str(host.get("NetworkMode") or "default")
    first = None
    if mode not in SPECIAL_NETWORK_MODES and not mode.startswith("container:"):
        wanted = "bridge" if mode == "default" else mode
        first = wanted if wanted in networks else next(iter(networks), None)
    body = dict(config)
    body["HostConfig"] = host
    if first is not None:
        body["NetworkingConfig"] = {"EndpointsConfig": {first: networks.pop(first)}}
    else:
        networks = {}
    return body, networks


def _keep_anonymous_volumes(inspected: Mapping[str, Any], host: dict[str, Any]) -> None:
    """Point the new container at the old one's anonymous volumes, as compose does, so their data stays.

    Without this a ``VOLUME`` of the image, a ``-v /data`` or a ``--mount type=volume`` without a
    source would each get a fresh, empty volume.
    """
    volumes = {str(mount.get("Destination")): mount for mount in inspected.get("Mounts") or ()
               if mount.get("Type") == "volume" and mount.get("Name")}
    if not volumes:
        return
    mounts = [dict(mount) for mount in host.get("Mounts") or ()]
    for mount in mounts:
        target = str(mount.get("Target") or "")
        if mount.get("Type") == "volume" and not mount.get("Source") and target in volumes:
            mount["Source"] = volumes[target]["Name"]
    if mounts:
        host["Mounts"] = mounts
    binds = []
    covered = {str(mount.get("Target") or "") for mount in mounts}
    for bind in host.get("Binds") or ():
        parts = str(bind).split(":")
        if len(parts) == 1 and parts[0] in volumes:  # "-v /data": an anonymous volume named by the engine
            bind = f"{volumes[parts[0]]['Name']}:{parts[0]}"
        covered.add(parts[0] if len(parts) == 1 else parts[1])
        binds.append(bind)
    for destination, mount in volumes.items():
        if destination not in covered:
            binds.append(f"{mount['Name']}:{destination}" + ("" if mount.get("RW", True) else ":ro"))
    if binds:
        host["Binds"] = binds


def _device(text: str) -> dict[str, str]:
    parts = text.split(":")
    host_path = parts[0]
    container_path = parts[1] if len(parts) > 1 and parts[1] else host_path
    permissions = parts[2] if len(parts) > 2 else "rwm"
    return {"PathOnHost": host_path, "PathInContainer": container_path, "CgroupPermissions": permissions}


def _changed_env(env: list[str], set_values: Mapping[str, str], unset: set[str]) -> list[str]:
    result: list[str] = []
    seen: set[str] = set()
    for entry in env:
        name = entry.partition("=")[0]
        if name in unset:
            continue
        if name in set_values:
            result.append(f"{name}={set_values[name]}")
            seen.add(name)
        else:
            result.append(entry)
    result.extend(f"{name}={value}" for name, value in set_values.items() if name not in seen)
    return result


def _endpoints(inspected: Mapping[str, Any], old_id: str) -> dict[str, dict[str, Any]]:
    networks = ((inspected.get("NetworkSettings") or {}).get("Networks") or {})
    endpoints: dict[str, dict[str, Any]] = {}
    for name, settings in networks.items():
        settings = settings or {}
        # The engine adds the short id as an alias on user networks; the new container gets its own.
        aliases = [alias for alias in settings.get("Aliases") or () if alias not in (old_id[:12], old_id)]
        endpoint: dict[str, Any] = {}
        if settings.get("IPAMConfig"):
            endpoint["IPAMConfig"] = settings["IPAMConfig"]
        if settings.get("Links"):
            endpoint["Links"] = settings["Links"]
        if aliases:
            endpoint["Aliases"] = aliases
        if settings.get("DriverOpts"):
            endpoint["DriverOpts"] = settings["DriverOpts"]
        endpoints[name] = endpoint
    return endpoints


# --- the preview: a diff of the configuration that matters ------------------------------------------

_HOST_FIELDS = ("Memory", "MemorySwap", "NanoCpus", "CpuQuota", "CpuPeriod", "CpuShares", "RestartPolicy",
                "PortBindings", "Binds", "Mounts", "NetworkMode", "Privileged", "PidMode", "IpcMode", "CapAdd",
                "CapDrop", "Devices", "SecurityOpt", "ReadonlyRootfs", "Tmpfs", "Ulimits", "LogConfig",
                "ExtraHosts", "Dns", "AutoRemove", "Init")
_CONFIG_FIELDS = ("Image", "Cmd", "Entrypoint", "User", "WorkingDir", "Hostname", "ExposedPorts", "Healthcheck",
                  "StopSignal", "StopTimeout", "Tty", "Labels", "Env")


def config_lines(body: Mapping[str, Any], networks: Mapping[str, Any] = (), *,
                 redactor: Redactor | None = None) -> list[str]:
    """The settings a person checks, one ``Section.Field: value`` line each (empty ones left out).

    ``body`` is a create body (or an inspect's ``Config`` merged with ``HostConfig``);
    environment values pass through ``redactor`` so a secret never reaches a preview.
    """
    redactor = redactor or Redactor()
    host = body.get("HostConfig") or {}
    lines: list[str] = []
    for name in _CONFIG_FIELDS:
        value = body.get(name)
        if value in (None, "", [], {}, 0, False):
            continue
        if name == "Env":
            for entry in value:
                key, _, text = str(entry).partition("=")
                lines.append(f"Config.Env.{key}: {redactor.redact_env({key: text})[key]}")
        elif name == "Labels":
            lines.extend(f"Config.Labels.{key}: {text}" for key, text in sorted(value.items()))
        else:
            lines.append(f"Config.{name}: {_compact(value)}")
    for name in _HOST_FIELDS:
        value = host.get(name)
        if value in (None, "", [], {}, 0, False):
            continue
        lines.append(f"HostConfig.{name}: {_compact(value)}{_in_words(name, value)}")
    endpoints = dict(((body.get("NetworkingConfig") or {}).get("EndpointsConfig") or {}))
    endpoints.update(networks or {})
    for name, endpoint in sorted(endpoints.items()):
        lines.append(f"Networks.{name}: {_compact(endpoint or {})}")
    return lines


def _in_words(name: str, value: Any) -> str:
    from dockerforge_tui.services.issues.recommend import format_bytes

    if name in ("Memory", "MemorySwap") and isinstance(value, int) and value > 0:
        return f" ({format_bytes(value)})"
    if name == "NanoCpus" and isinstance(value, int) and value > 0:
        return f" ({value / NANOSECONDS:g} CPUs)"
    return ""


def _compact(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(", ", ": "))


def config_diff(before: list[str], after: list[str], name: str) -> str:
    """A unified diff of two :func:`config_lines` lists (empty text when they are the same)."""
    return "".join(difflib.unified_diff([line + "\n" for line in before], [line + "\n" for line in after],
                                        fromfile=f"{name} (now)", tofile=f"{name} (after the fix)", n=1))
