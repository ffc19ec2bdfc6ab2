"""Typed fix operations: data that says what to change, and how to undo it. Never a shell string.

Every operation is a frozen dataclass with a ``kind`` and its parameters, and goes to
and from JSON (:meth:`Operation.to_dict`, :func:`operation_from_dict`). Applying one
is three steps the fix service runs in order:

1. :meth:`Operation.capture` reads what a rollback needs (the inspect, the file) and
   returns it as JSON-ready data, saved in the fix store *before* anything changes;
2. :meth:`Operation.apply` makes the change, writing what it has done so far into
   ``applied`` as it goes, so a failure half-way can still be undone;
3. :meth:`Operation.rollback` puts back what was captured, using ``applied`` to know
   how far the apply got.

:meth:`Operation.preview` shows the effect (a config diff for a recreate, a unified
diff for a file) and :meth:`Operation.plan` the exact steps a dry run prints. Risks
and descriptions come from ``operations.yaml``.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Mapping

from dockerforge_tui.core.atomic import atomic_write_text
from dockerforge_tui.core.errors import DockerForgeError, UsageError
from dockerforge_tui.core.redaction import Redactor
from dockerforge_tui.core.yaml_data import load_yaml
from dockerforge_tui.services.fixes.recreate import (
    ContainerChanges, config_diff, config_lines, create_body, parse_restart_policy, swap_for,
)
from dockerforge_tui.services.issues.recommend import format_bytes

if TYPE_CHECKING:
    from dockerforge_tui.services.fixes.engine import FixEngine

OPERATIONS_FILE = Path(__file__).with_name("operations.yaml")
RISK_LEVELS: tuple[str, ...] = ("low", "medium", "high")
RISK_KINDS: tuple[str, ...] = ("downtime", "data_loss", "privilege")
PRUNE_TARGETS: tuple[str, ...] = ("containers", "images", "networks", "build_cache", "volumes")
Progress = Callable[[str], None]
"""Receives one line per step as it starts ("stopping web")."""


class StaleFixError(UsageError):
    """What a fix was made for has changed since (a file edited meanwhile, a container recreated)."""


@dataclass(frozen=True)
class Risk:
    """One reason an operation is risky: its kind (downtime, data_loss, privilege), level and why."""

    kind: str
    level: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        """JSON-ready form."""
        return {"kind": self.kind, "level": self.level, "reason": self.reason}


def risk_rank(level: str) -> int:
    """Position of ``level`` in low < medium < high."""
    return RISK_LEVELS.index(level) if level in RISK_LEVELS else 0


@lru_cache(maxsize=1)
def operations_data() -> dict[str, Any]:
    """``operations.yaml``, read once; a malformed file is a packaging bug (``RuntimeError``)."""
    data = load_yaml(OPERATIONS_FILE.read_text(encoding="utf-8")) or {}
    if not isinstance(data.get("operations"), dict):
        raise RuntimeError(f"{OPERATIONS_FILE}: no operations table")
    for name, entry in data["operations"].items():
        for risk in entry.get("risks") or ():
            if risk.get("kind") not in RISK_KINDS or risk.get("level") not in RISK_LEVELS:
                raise RuntimeError(f"{OPERATIONS_FILE}: {name}: bad risk {risk!r}")
    return data


def _fill(template: str, values: Mapping[str, Any]) -> str:
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return template


def _no_progress(_: str) -> None:
    return None


@dataclass(frozen=True)
class Operation:
    """Base of every operation; subclasses set :attr:`kind` and their parameters as fields."""

    kind: ClassVar[str] = ""
    reversible: ClassVar[bool] = True
    """False when :meth:`rollback` cannot bring the old state back (a prune, a restart)."""

    # --- data -----------------------------------------------------------------------------

    def params(self) -> dict[str, Any]:
        """The parameters as JSON-ready data."""
        return {item.name: getattr(self, item.name) for item in dataclasses.fields(self)}

    def to_dict(self) -> dict[str, Any]:
        """``{"kind": ..., "params": {...}}``."""
        return {"kind": self.kind, "params": self.params()}

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> "Operation":
        """Build from :meth:`params` data, checking names and types; :class:`UsageError` when wrong."""
        return cls(**_coerced(cls, params))

    def _values(self) -> dict[str, Any]:
        return self.params()

    # --- what it touches and risks ----------------------------------------------------------

    def containers(self) -> tuple[str, ...]:
        """The containers it changes (the safety check compares them with the proposal's selection)."""
        return ()

    def touches_other_containers(self) -> bool:
        """True when it can change containers nobody named (a prune of stopped containers)."""
        return False

    def privileges(self) -> tuple[str, ...]:
        """What it would add in power over the host (privileged, host network, docker.sock...)."""
        return ()

    def deletes_volumes(self) -> bool:
        """True when it deletes volumes (and their data)."""
        return False

    def risk_keys(self) -> tuple[str, ...]:
        """The ``operations.yaml`` entries whose risks apply."""
        return (self.kind,)

    def risks(self) -> tuple[Risk, ...]:
        """Its contributions to the proposal's risk."""
        table = operations_data()["operations"]
        values = {**self._values(), "privileges": ", ".join(self.privileges())}
        return tuple(Risk(str(entry["kind"]), str(entry["level"]), _fill(str(entry["reason"]), values))
                     for key in self.risk_keys() for entry in (table.get(key) or {}).get("risks") or ())

    def describe(self) -> str:
        """One line saying what it does."""
        template = (operations_data()["operations"].get(self.kind) or {}).get("describe") or self.kind
        return _fill(str(template), self._values())

    # --- running ----------------------------------------------------------------------------

    def preview(self, engine: FixEngine | None, redactor: Redactor | None = None) -> str:
        """What changes, for a person to check (empty when :meth:`describe` says it all)."""
        return ""

    def plan(self) -> list[str]:
        """The engine steps :meth:`apply` takes, in order (what ``--dry-run`` prints)."""
        return [self.describe()]

    def capture(self, engine: FixEngine) -> dict[str, Any]:
        """What :meth:`rollback` needs, read before anything changes."""
        return {}

    def apply(self, engine: FixEngine, captured: Mapping[str, Any], applied: dict[str, Any],
              progress: Progress = _no_progress) -> None:
        """Make the change; record each completed step in ``applied`` (JSON-ready) as it goes."""
        raise NotImplementedError

    def rollback(self, engine: FixEngine, captured: Mapping[str, Any], applied: Mapping[str, Any],
                 progress: Progress = _no_progress) -> None:
        """Undo what ``applied`` says was done, back to ``captured``."""


def _coerced(cls: type, params: Mapping[str, Any]) -> dict[str, Any]:
    fields = {item.name: item for item in dataclasses.fields(cls)}
    unknown = sorted(set(params) - set(fields))
    if unknown:
        raise UsageError(f"operation {cls.kind} has no parameter {', '.join(unknown)}",
                         hint=f"its parameters: {', '.join(fields) or 'none'}")
    values: dict[str, Any] = {}
    for name, item in fields.items():
        if name not in params:
            if item.default is dataclasses.MISSING and item.default_factory is dataclasses.MISSING:
                raise UsageError(f"operation {cls.kind} needs the parameter {name}",
                                 hint=f"its parameters: {', '.join(fields)}")
            continue
        values[name] = _coerce(cls.kind, name, str(item.type), params[name])
    return values


def _coerce(kind: str, name: str, type_text: str, value: Any) -> Any:
    optional = "None" in type_text
    if value is None:
        if optional:
            return None
        raise UsageError(f"operation {kind}: {name} must not be empty")
    try:
        if type_text.startswith("bool"):
            if isinstance(value, str):
                if value.lower() not in ("true", "false", "yes", "no", "1", "0"):
                    raise ValueError(value)
                return value.lower() in ("true", "yes", "1")
            return bool(value)
        if type_text.startswith("int"):
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError(value)
            return int(value)
        if type_text.startswith("str"):
            if not isinstance(value, (str, int)) or isinstance(value, bool):
                raise ValueError(value)
            return str(value)
    except ValueError:
        raise UsageError(f"operation {kind}: {name} = {value!r} is not a {type_text.split(' ')[0]}",
                         hint="see docs/FIXES.md for each operation's parameters") from None
    return value


# --- container state ------------------------------------------------------------------------------


def _running(inspected: Mapping[str, Any]) -> bool:
    state = inspected.get("State") or {}
    return bool(state.get("Running")) or state.get("Status") in ("running", "restarting", "paused")


@dataclass(frozen=True)
class Restart(Operation):
    """Restart a container (a stopped one is started); the rollback stops it again if it was stopped."""

    kind: ClassVar[str] = "restart"
    container: str
    timeout: int = 10

    def containers(self) -> tuple[str, ...]:
        return (self.container,)

    def capture(self, engine: FixEngine) -> dict[str, Any]:
        return {"running": _running(engine.inspect(self.container))}

    def apply(self, engine, captured, applied, progress=_no_progress) -> None:
        progress(f"restarting {self.container}")
        engine.restart(self.container, self.timeout)
        applied["restarted"] = True

    def rollback(self, engine, captured, applied, progress=_no_progress) -> None:
        # A restart changes no setting; only a container that was stopped before is stopped again.
        if applied.get("restarted") and not captured.get("running"):
            progress(f"stopping {self.container} again")
            engine.stop(self.container, self.timeout)


@dataclass(frozen=True)
class Stop(Operation):
    """Stop a container; the rollback starts it again if it was running."""

    kind: ClassVar[str] = "stop"
    container: str
    timeout: int = 10

    def containers(self) -> tuple[str, ...]:
        return (self.container,)

    def capture(self, engine: FixEngine) -> dict[str, Any]:
        return {"running": _running(engine.inspect(self.container))}

    def apply(self, engine, captured, applied, progress=_no_progress) -> None:
        progress(f"stopping {self.container}")
        engine.stop(self.container, self.timeout)
        applied["stopped"] = True

    def rollback(self, engine, captured, applied, progress=_no_progress) -> None:
        if applied.get("stopped") and captured.get("running"):
            progress(f"starting {self.container} again")
            engine.start(self.container)


@dataclass(frozen=True)
class Start(Operation):
    """Start a container; the rollback stops it again if it was stopped."""

    kind: ClassVar[str] = "start"
    container: str

    def containers(self) -> tuple[str, ...]:
        return (self.container,)

    def capture(self, engine: FixEngine) -> dict[str, Any]:
        return {"running": _running(engine.inspect(self.container))}

    def apply(self, engine, captured, applied, progress=_no_progress) -> None:
        progress(f"starting {self.container}")
        engine.start(self.container)
        applied["started"] = True

    def rollback(self, engine, captured, applied, progress=_no_progress) -> None:
        if applied.get("started") and not captured.get("running"):
            progress(f"stopping {self.container} again")
            engine.stop(self.container)


_RESOURCE_FIELDS = ("Memory", "MemorySwap", "NanoCpus", "CpuQuota", "CpuPeriod", "RestartPolicy")


@dataclass(frozen=True)
class UpdateResources(Operation):
    """Change limits and the restart policy in place, as ``docker update`` does (no recreate, no downtime)."""

    kind: ClassVar[str] = "update_resources"
    container: str
    memory: int | None = None
    """Bytes."""
    memory_swap: int | None = None
    """Memory plus swap, bytes (-1 unlimited); by default the old ratio to the memory is kept."""
    nano_cpus: int | None = None
    restart_policy: str | None = None

    def __post_init__(self) -> None:
        if self.memory is None and self.memory_swap is None and self.nano_cpus is None and self.restart_policy is None:
            raise UsageError(f"update_resources of {self.container} changes nothing",
                             hint="give memory, memory_swap, nano_cpus or restart_policy")
        if self.restart_policy is not None:
            parse_restart_policy(self.restart_policy)

    def containers(self) -> tuple[str, ...]:
        return (self.container,)

    def _values(self) -> dict[str, Any]:
        return {**self.params(), "changes": _change_words(self.memory, self.nano_cpus, self.restart_policy)}

    def body(self, host: Mapping[str, Any]) -> dict[str, Any]:
        """The ``/update`` body for a container whose ``HostConfig`` is ``host``."""
        body: dict[str, Any] = {}
        if self.memory is not None:
            body["Memory"] = self.memory
            swap = self.memory_swap if self.memory_swap is not None else swap_for(
                self.memory, host.get("Memory") or None, host.get("MemorySwap"))
            if swap is not None:
                body["MemorySwap"] = swap
        elif self.memory_swap is not None:
            body["MemorySwap"] = self.memory_swap
        if self.nano_cpus is not None:
            body["NanoCpus"] = self.nano_cpus
            if host.get("CpuQuota") or host.get("CpuPeriod"):
                body["CpuQuota"], body["CpuPeriod"] = 0, 0
        if self.restart_policy is not None:
            body["RestartPolicy"] = parse_restart_policy(self.restart_policy)
        return body

    def preview(self, engine, redactor=None) -> str:
        if engine is None:
            return ""
        host = engine.inspect(self.container).get("HostConfig") or {}
        body = self.body(host)
        return "\n".join(f"{key}: {_shown(key, host.get(key))} -> {_shown(key, value)}" for key, value in body.items())

    def plan(self) -> list[str]:
        return [f"docker update {self.container}: {_change_words(self.memory, self.nano_cpus, self.restart_policy)}"]

    def capture(self, engine: FixEngine) -> dict[str, Any]:
        inspected = engine.inspect(self.container)
        host = inspected.get("HostConfig") or {}
        return {"host_config": {key: host.get(key) for key in _RESOURCE_FIELDS}, "inspect": inspected}

    def apply(self, engine, captured, applied, progress=_no_progress) -> None:
        body = self.body(captured.get("host_config") or {})
        progress(f"updating {self.container}: {_change_words(self.memory, self.nano_cpus, self.restart_policy)}")
        engine.update(self.container, body)
        applied["changed"] = sorted(body)

    def rollback(self, engine, captured, applied, progress=_no_progress) -> None:
        changed = list(applied.get("changed") or ())
        if not changed:
            return
        old = dict(captured.get("host_config") or {})
        # The engine reads 0 as "leave as is" in an update, so a limit that was unset cannot be unset again in
        # place: the container is made again from the saved inspect instead.
        unset = [key for key in ("Memory", "NanoCpus") if key in changed and not old.get(key)]
        if unset:
            progress(f"{self.container} had no {' or '.join(unset)} limit, which docker update cannot restore: "
                     "recreating it from its saved configuration")
            inspected = captured["inspect"]
            current = engine.inspect(self.container)
            body, networks = create_body(inspected, image=_image_for(engine, inspected))
            _replace_container(engine, self.container, current, body, networks, _running(current), {}, progress)
            return
        body: dict[str, Any] = {key: old.get(key) for key in changed if key != "RestartPolicy"}
        if "MemorySwap" in body and not body["MemorySwap"]:
            body["MemorySwap"] = -1  # what an unset swap limit meant: unlimited
        if "NanoCpus" in changed and (old.get("CpuQuota") or old.get("CpuPeriod")):
            body.update(CpuQuota=old.get("CpuQuota") or 0, CpuPeriod=old.get("CpuPeriod") or 0)
        if "RestartPolicy" in changed:
            body["RestartPolicy"] = old.get("RestartPolicy") or {"Name": "", "MaximumRetryCount": 0}
        progress(f"restoring the limits of {self.container}")
        engine.update(self.container, body)


def _shown(key: str, value: Any) -> str:
    if key in ("Memory", "MemorySwap") and isinstance(value, int):
        return "unlimited" if value in (0, -1) else format_bytes(value)
    if key == "NanoCpus" and isinstance(value, int):
        return f"{value / 1e9:g} CPUs" if value else "unlimited"
    return str(value)


def _change_words(memory: int | None, nano_cpus: int | None, restart_policy: str | None,
                  extra: tuple[str, ...] = ()) -> str:
    words = []
    if memory is not None:
        words.append(f"memory limit {format_bytes(memory)}")
    if nano_cpus is not None:
        words.append(f"{nano_cpus / 1e9:g} CPUs")
    if restart_policy is not None:
        words.append(f"restart policy {restart_policy}")
    return ", ".join([*words, *extra]) or "no change"


def _safe_name(name: str) -> str:
    return "".join(char if char.isalnum() or char in "_.-" else "-" for char in name)


@dataclass(frozen=True)
class Recreate(Operation):
    """Replace a container by one made from its own configuration with ``changes`` (same name, mounts, networks).

    The old container is stopped and renamed aside, the new one created and started,
    and the old one removed only once the new one runs; a failure before that puts
    the old one back as it was. After a finished apply the rollback recreates the old
    configuration from the saved inspect.
    """

    kind: ClassVar[str] = "recreate"
    container: str
    changes: ContainerChanges = field(default_factory=ContainerChanges)
    start: bool = True
    """Start the new container (the point of a fix, even when the old one had exited)."""

    def params(self) -> dict[str, Any]:
        return {"container": self.container, "changes": self.changes.to_dict(), "start": self.start}

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> "Recreate":
        values = dict(params)
        changes = values.pop("changes", None) or {}
        if not isinstance(changes, Mapping):
            raise UsageError(f"operation recreate: changes must be an object, not {changes!r}")
        coerced = _coerced(cls, values)
        return cls(changes=ContainerChanges.from_dict(changes), **coerced)

    def containers(self) -> tuple[str, ...]:
        return (self.container,)

    def privileges(self) -> tuple[str, ...]:
        data = operations_data()
        found = []
        changes = self.changes
        if changes.privileged:
            found.append("privileged mode")
        if changes.network_mode in data.get("privileged_network_modes", ()):
            found.append(f"the host's network ({changes.network_mode})")
        for label, mode in (("PID", changes.pid_mode), ("IPC", changes.ipc_mode)):
            if mode in data.get("privileged_namespace_modes", ()):
                found.append(f"the host's {label} namespace")
        if changes.cap_add:
            found.append("capabilities " + ", ".join(changes.cap_add))
        if changes.devices:
            found.append("devices " + ", ".join(changes.devices))
        sockets = [bind for bind in changes.binds
                   if any(path in bind.split(":")[0] for path in data.get("docker_socket_paths", ()))]
        if sockets:
            found.append("the Docker socket (" + ", ".join(sockets) + ")")
        return tuple(found)

    def risk_keys(self) -> tuple[str, ...]:
        return ("recreate", "recreate_privileges") if self.privileges() else ("recreate",)

    def _values(self) -> dict[str, Any]:
        changes = self.changes
        extra = tuple(word for word in (
            f"env {', '.join(name for name, _ in changes.env_set)} set" if changes.env_set else "",
            f"env {', '.join(changes.env_unset)} removed" if changes.env_unset else "",
            ("ports " + ", ".join(f"{port.key}->{port.host_port if port.host_port else 'unpublished'}"
                                  for port in changes.ports)) if changes.ports else "",
            "a new health check" if changes.healthcheck else "",
            *self.privileges(),
        ) if word)
        return {"container": self.container,
                "changes": _change_words(changes.memory, changes.nano_cpus, changes.restart_policy, extra)}

    def preview(self, engine, redactor=None) -> str:
        if engine is None:
            return ""
        inspected = engine.inspect(self.container)
        before_body, before_networks = create_body(inspected)
        after_body, after_networks = create_body(inspected, self.changes)
        return config_diff(config_lines(before_body, before_networks, redactor=redactor),
                           config_lines(after_body, after_networks, redactor=redactor), self.container)

    def plan(self) -> list[str]:
        aside = f"{self.container}-dockerforge-old"
        steps = [f"stop {self.container} (if running) and rename it to {aside}-<id>",
                 f"create {self.container} from its configuration with {self._values()['changes']}",
                 "connect it to its other networks"]
        if self.start:
            steps.append(f"start the new {self.container}")
        steps.append(f"remove the old container {aside}-<id>")
        return steps

    def capture(self, engine: FixEngine) -> dict[str, Any]:
        inspected = engine.inspect(self.container)
        return {"inspect": inspected, "image_id": inspected.get("Image"), "running": _running(inspected)}

    def apply(self, engine, captured, applied, progress=_no_progress) -> None:
        inspected = captured["inspect"]
        if engine.inspect(self.container).get("Id") != inspected.get("Id"):
            raise StaleFixError(f"{self.container} was replaced since the fix was prepared",
                                hint="propose the fix again")
        body, networks = create_body(inspected, self.changes, image=_image_for(engine, inspected))
        _replace_container(engine, self.container, inspected, body, networks, self.start, applied, progress)

    def rollback(self, engine, captured, applied, progress=_no_progress) -> None:
        _restore_container(engine, self.container, captured, applied, progress)


def _image_for(engine: FixEngine, inspected: Mapping[str, Any]) -> str:
    """The tag the container was made from while it still names the same image; else the image id."""
    reference = str((inspected.get("Config") or {}).get("Image") or "")
    image_id = str(inspected.get("Image") or "")
    if reference and engine.image_id(reference) == image_id:
        return reference
    return image_id or reference


def _replace_container(engine: FixEngine, name: str, inspected: Mapping[str, Any], body: Mapping[str, Any],
                       networks: Mapping[str, Any], start: bool, applied: dict[str, Any],
                       progress: Progress) -> None:
    old_id = str(inspected.get("Id") or "")
    aside = f"{_safe_name(name)}-dockerforge-old-{old_id[:12]}"
    if _running(engine.inspect(old_id)):
        progress(f"stopping {name}")
        engine.stop(old_id)
        applied["stopped_old"] = True
    progress(f"renaming {name} to {aside}")
    engine.rename(old_id, aside)
    applied["renamed_old"] = aside
    progress(f"creating the new {name}")
    applied["new_id"] = engine.create(name, body)
    for network, endpoint in networks.items():
        progress(f"connecting {name} to {network}")
        engine.connect(applied["new_id"], network, endpoint)
    if start:
        progress(f"starting {name}")
        engine.start(applied["new_id"])
    progress(f"removing the old container {aside}")
    engine.remove(old_id)
    applied["removed_old"] = True


def _restore_container(engine: FixEngine, name: str, captured: Mapping[str, Any], applied: Mapping[str, Any],
                       progress: Progress) -> None:
    """Put the captured container back: its renamed original when it still exists, else made from the inspect."""
    inspected = captured["inspect"]
    old_id = str(inspected.get("Id") or "")
    new_id = applied.get("new_id")
    if new_id and engine.exists(new_id):
        progress(f"removing the new {name}")
        engine.remove(new_id)
    if engine.exists(old_id):
        if applied.get("renamed_old"):
            progress(f"renaming {applied['renamed_old']} back to {name}")
            engine.rename(old_id, name)
        if captured.get("running") and not _running(engine.inspect(old_id)):
            progress(f"starting {name}")
            engine.start(old_id)
        return
    if engine.exists(name):  # someone made another container with this name meanwhile: never remove theirs
        raise StaleFixError(f"cannot restore {name}: another container now has that name",
                            hint=f"rename or remove it (docker rm {name}), then run the rollback again")
    progress(f"creating {name} again from its saved configuration")
    body, networks = create_body(inspected, image=_image_for(engine, inspected))
    new = engine.create(name, body)
    for network, endpoint in networks.items():
        engine.connect(new, network, endpoint)
    if captured.get("running"):
        progress(f"starting {name}")
        engine.start(new)


@dataclass(frozen=True)
class ScaleService(Operation):
    """Run ``replicas`` containers of a compose service (``compose up --scale``); the rollback scales back."""

    kind: ClassVar[str] = "scale_service"
    project: str
    service: str
    replicas: int

    def __post_init__(self) -> None:
        if self.replicas < 0:
            raise UsageError(f"cannot scale {self.project}/{self.service} to {self.replicas}",
                             hint="give 0 or more replicas")

    def containers(self) -> tuple[str, ...]:
        return (f"{self.project}/{self.service}",)

    def capture(self, engine: FixEngine) -> dict[str, Any]:
        return {"replicas": len(engine.service_containers(self.project, self.service))}

    def apply(self, engine, captured, applied, progress=_no_progress) -> None:
        progress(f"scaling {self.project}/{self.service} to {self.replicas}")
        applied["scaled"] = True  # a half-done scale is undone by scaling back
        engine.scale(self.project, self.service, self.replicas)

    def rollback(self, engine, captured, applied, progress=_no_progress) -> None:
        if applied.get("scaled"):
            progress(f"scaling {self.project}/{self.service} back to {captured['replicas']}")
            engine.scale(self.project, self.service, int(captured["replicas"]))


@dataclass(frozen=True)
class FreePort(Operation):
    """Free a host port by stopping the container that publishes it; the rollback starts it again."""

    kind: ClassVar[str] = "free_port"
    port: int
    holder_container: str
    protocol: str = "tcp"

    def containers(self) -> tuple[str, ...]:
        return (self.holder_container,)

    def capture(self, engine: FixEngine) -> dict[str, Any]:
        return {"running": _running(engine.inspect(self.holder_container))}

    def apply(self, engine, captured, applied, progress=_no_progress) -> None:
        progress(f"stopping {self.holder_container} to free port {self.port}/{self.protocol}")
        engine.stop(self.holder_container)
        applied["stopped"] = True

    def rollback(self, engine, captured, applied, progress=_no_progress) -> None:
        if applied.get("stopped") and captured.get("running"):
            progress(f"starting {self.holder_container} again")
            engine.start(self.holder_container)


@dataclass(frozen=True)
class Prune(Operation):
    """Remove unused objects (stopped containers, dangling images, unused networks, build cache); volumes if asked."""

    kind: ClassVar[str] = "prune"
    reversible: ClassVar[bool] = False
    containers_: bool = False
    images: bool = False
    networks: bool = False
    build_cache: bool = False
    volumes: bool = False

    def __post_init__(self) -> None:
        if not self.targets():
            raise UsageError("prune names nothing to remove",
                             hint=f"set one or more of: {', '.join(PRUNE_TARGETS)}")

    def targets(self) -> tuple[str, ...]:
        """What is pruned, in the order it is done."""
        chosen = {"containers": self.containers_, "images": self.images, "networks": self.networks,
                  "build_cache": self.build_cache, "volumes": self.volumes}
        return tuple(name for name in PRUNE_TARGETS if chosen[name])

    def params(self) -> dict[str, Any]:
        return {name: name in self.targets() for name in PRUNE_TARGETS}

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> "Prune":
        values = dict(params)
        if "containers" in values:
            values["containers_"] = values.pop("containers")
        return cls(**_coerced(cls, values))

    def _values(self) -> dict[str, Any]:
        return {"what": ", ".join(name.replace("_", " ") for name in self.targets())}

    def touches_other_containers(self) -> bool:
        return self.containers_

    def deletes_volumes(self) -> bool:
        return self.volumes

    def risk_keys(self) -> tuple[str, ...]:
        return ("prune", "prune_volumes") if self.volumes else ("prune",)

    def apply(self, engine, captured, applied, progress=_no_progress) -> None:
        freed = 0
        for target in self.targets():
            progress(f"removing unused {target.replace('_', ' ')}")
            freed += engine.prune(target)
            applied.setdefault("pruned", []).append(target)
        applied["bytes_freed"] = freed


@dataclass(frozen=True)
class Remove(Operation):
    """Remove a container; the rollback makes it again from its saved configuration (its files are gone)."""

    kind: ClassVar[str] = "remove"
    container: str
    volumes: bool = False
    """Remove its anonymous volumes too (their data cannot come back)."""

    def containers(self) -> tuple[str, ...]:
        return (self.container,)

    def deletes_volumes(self) -> bool:
        return self.volumes

    def risk_keys(self) -> tuple[str, ...]:
        return ("remove", "remove_volumes") if self.volumes else ("remove",)

    def capture(self, engine: FixEngine) -> dict[str, Any]:
        inspected = engine.inspect(self.container)
        return {"inspect": inspected, "image_id": inspected.get("Image"), "running": _running(inspected)}

    def apply(self, engine, captured, applied, progress=_no_progress) -> None:
        progress(f"removing {self.container}")
        engine.remove(self.container, volumes=self.volumes)
        applied["removed"] = True

    def rollback(self, engine, captured, applied, progress=_no_progress) -> None:
        if applied.get("removed"):
            _restore_container(engine, self.container, captured, {}, progress)


@dataclass(frozen=True)
class EditComposeFile(Operation):
    """Replace a compose file's text (backup beside it, atomic write); refused if the file changed meanwhile."""

    kind: ClassVar[str] = "edit_compose_file"
    path: str
    content: str
    base_sha256: str | None = None
    """SHA-256 of the text the edit was made from; None: whatever the file holds when applied."""

    def privileges(self) -> tuple[str, ...]:
        from dockerforge_tui.services.fixes.safety import compose_privileges

        try:
            old = Path(self.path).read_text(encoding="utf-8")
        except OSError:
            old = ""
        return compose_privileges(old, self.content)

    def risk_keys(self) -> tuple[str, ...]:
        return ("edit_compose_file", "edit_compose_file_privileges") if self.privileges() else ("edit_compose_file",)

    def preview(self, engine, redactor=None) -> str:
        try:
            old = Path(self.path).read_text(encoding="utf-8")
        except OSError:
            old = ""
        diff = "".join(difflib.unified_diff(old.splitlines(keepends=True), self.content.splitlines(keepends=True),
                                            fromfile=self.path, tofile=f"{self.path} (after the fix)"))
        return (redactor or Redactor()).redact(diff)

    def plan(self) -> list[str]:
        return [f"copy {self.path} to {Path(self.path).name}.bak-<time>", f"write the new {self.path} atomically"]

    def capture(self, engine: FixEngine) -> dict[str, Any]:
        try:
            text = Path(self.path).read_text(encoding="utf-8")
        except FileNotFoundError:
            from dockerforge_tui.core.errors import NotFoundError

            raise NotFoundError(f"compose file {self.path} does not exist",
                                hint="propose the fix again where the file is") from None
        sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
        if self.base_sha256 and sha != self.base_sha256:
            raise StaleFixError(f"{self.path} changed since the fix was prepared",
                                hint="propose the fix again from the file as it is now")
        return {"text": text, "sha256": sha}

    def apply(self, engine, captured, applied, progress=_no_progress) -> None:
        progress(f"writing {self.path}")
        try:
            backup = atomic_write_text(self.path, self.content, backup=True)
        except OSError as error:
            raise DockerForgeError(f"cannot write {self.path}: {error.strerror or error}",
                                   hint="check the file's permissions and the free disk space") from None
        applied["written"] = True
        applied["backup"] = str(backup) if backup else None

    def rollback(self, engine, captured, applied, progress=_no_progress) -> None:
        if applied.get("written"):
            progress(f"restoring {self.path}")
            atomic_write_text(self.path, captured["text"])


OPERATION_TYPES: dict[str, type[Operation]] = {
    cls.kind: cls for cls in (Restart, Stop, Start, UpdateResources, Recreate, ScaleService, FreePort, Prune,
                              Remove, EditComposeFile)
}
"""Every operation kind, by name."""


def operation_from_dict(data: Mapping[str, Any]) -> Operation:
    """Read :meth:`Operation.to_dict`'s form (``params`` may also be inline); :class:`UsageError` when wrong."""
    if not isinstance(data, Mapping):
        raise UsageError(f"an operation must be an object, not {data!r}")
    kind = str(data.get("kind") or "")
    cls = OPERATION_TYPES.get(kind)
    if cls is None:
        raise UsageError(f"unknown fix operation {kind!r}", hint=f"known: {', '.join(sorted(OPERATION_TYPES))}")
    params = data.get("params")
    if params is None:
        params = {key: value for key, value in data.items() if key != "kind"}
    if not isinstance(params, Mapping):
        raise UsageError(f"the parameters of operation {kind} must be an object")
    return cls.from_params(params)
