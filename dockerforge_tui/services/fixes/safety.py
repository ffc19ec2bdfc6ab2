"""What a fix may never do unless the person opts in for that one fix.

Three refusals, each lifted by its own flag (``fix apply --allow-...``, or the
dialog's explicit confirmation):

- adding privileges: privileged mode, the host's network, PID or IPC namespace, the
  Docker socket mounted in, added capabilities or devices (a recreate, or a compose
  file edit that adds them) -> ``allow_privileges``;
- touching containers the proposal was not made for (an AI naming another container,
  a prune of stopped containers) -> ``allow_other_containers``;
- deleting volumes (a prune or a remove with volumes) -> ``allow_volume_delete``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Mapping

import yaml

from dockerforge_tui.core.errors import UsageError
from dockerforge_tui.core.yaml_data import load_yaml

if TYPE_CHECKING:
    from dockerforge_tui.services.fixes.operations import Operation


@dataclass(frozen=True)
class SafetyOptions:
    """What the person allowed for one fix."""

    allow_privileges: bool = False
    allow_other_containers: bool = False
    allow_volume_delete: bool = False


@dataclass(frozen=True)
class Refusal:
    """One operation the safety check refuses, why, and the option that would allow it."""

    operation: int
    """Index of the operation in the proposal."""
    reason: str
    option: str
    """``allow_privileges``, ``allow_other_containers`` or ``allow_volume_delete``."""

    @property
    def flag(self) -> str:
        """The command-line flag that allows it (``--allow-privileges``)."""
        return "--" + self.option.replace("_", "-")


class SafetyRefusedError(UsageError):
    """A fix does something that needs an explicit opt-in the person did not give."""

    def __init__(self, refusals: Iterable[Refusal]) -> None:
        self.refusals = tuple(refusals)
        reasons = "; ".join(f"step {refusal.operation + 1}: {refusal.reason}" for refusal in self.refusals)
        flags = " ".join(dict.fromkeys(refusal.flag for refusal in self.refusals))
        super().__init__(f"refusing the fix: {reasons}",
                         hint=f"check the preview; if you want exactly this, apply it again with {flags}")


def check_operations(operations: "Iterable[Operation]", selection: Iterable[str],
                     options: SafetyOptions = SafetyOptions()) -> tuple[Refusal, ...]:
    """The refusals for ``operations`` on the ``selection`` (container names and compose ``project/service`` keys)."""
    selected = set(selection)
    refusals: list[Refusal] = []
    for index, operation in enumerate(operations):
        privileges = operation.privileges()
        if privileges and not options.allow_privileges:
            refusals.append(Refusal(index, f"{operation.kind} adds privileges: {', '.join(privileges)}",
                                    "allow_privileges"))
        outside = [name for name in operation.containers() if name not in selected]
        if outside and not options.allow_other_containers:
            refusals.append(Refusal(index, f"{operation.kind} changes {', '.join(outside)}, which the fix was not "
                                           "made for", "allow_other_containers"))
        elif operation.touches_other_containers() and not options.allow_other_containers:
            refusals.append(Refusal(index, f"{operation.kind} removes stopped containers nobody selected",
                                    "allow_other_containers"))
        if operation.deletes_volumes() and not options.allow_volume_delete:
            refusals.append(Refusal(index, f"{operation.kind} deletes volumes and their data", "allow_volume_delete"))
    return tuple(refusals)


def require_safe(operations: "Iterable[Operation]", selection: Iterable[str],
                 options: SafetyOptions = SafetyOptions()) -> None:
    """Raise :class:`SafetyRefusedError` when :func:`check_operations` refuses anything."""
    refusals = check_operations(operations, selection, options)
    if refusals:
        raise SafetyRefusedError(refusals)


# --- compose files ------------------------------------------------------------------------------------


def _services(text: str) -> dict[str, Mapping[str, Any]]:
    try:
        data = load_yaml(text) if text.strip() else {}
    except yaml.YAMLError:
        return {}
    services = (data or {}).get("services") if isinstance(data, Mapping) else None
    return {str(name): service for name, service in (services or {}).items() if isinstance(service, Mapping)}


def _mount_sources(service: Mapping[str, Any]) -> set[str]:
    sources = set()
    for volume in service.get("volumes") or ():
        if isinstance(volume, str):
            sources.add(volume.split(":")[0])
        elif isinstance(volume, Mapping):
            sources.add(str(volume.get("source") or ""))
    return sources


def compose_privileges(old_text: str, new_text: str) -> tuple[str, ...]:
    """What ``new_text`` gives a service in power over the host that ``old_text`` did not."""
    from dockerforge_tui.services.fixes.operations import operations_data

    data = operations_data()
    old_services = _services(old_text)
    found: list[str] = []
    for name, service in _services(new_text).items():
        old = old_services.get(name) or {}
        if service.get("privileged") and not old.get("privileged"):
            found.append(f"{name}: privileged mode")
        for key, label in (("network_mode", "network"), ("pid", "PID namespace"), ("ipc", "IPC namespace")):
            allowed = data.get("privileged_network_modes" if key == "network_mode" else "privileged_namespace_modes")
            if service.get(key) in (allowed or ()) and old.get(key) != service.get(key):
                found.append(f"{name}: the host's {label}")
        for key in ("cap_add", "devices"):
            added = set(map(str, service.get(key) or ())) - set(map(str, old.get(key) or ()))
            if added:
                found.append(f"{name}: {key} {', '.join(sorted(added))}")
        sockets = [source for source in _mount_sources(service) - _mount_sources(old)
                   if any(path in source for path in data.get("docker_socket_paths", ()))]
        if sockets:
            found.append(f"{name}: the Docker socket ({', '.join(sorted(sockets))})")
    return tuple(found)
