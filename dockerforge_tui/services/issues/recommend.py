"""Recommendations (text, plus a command for a person to run) and typed actions for a fix workflow.

Recommendations come from two places: the log patterns write prose with commands in
backticks, and the issue catalog (``categories.yaml``) writes ``text`` and
``command`` with placeholders. Both end up as :class:`Recommendation` records whose
commands passed :func:`~dockerforge_tui.services.issues.safety.check_command`.

Typed actions (:class:`SuggestedAction`) are built here from the catalog's action
kinds and what is known about the container: its memory limit for
``recreate_with_memory``, the container or process holding a port for ``free_port``.
"""

from __future__ import annotations

import logging
import math
import re
import shlex
from dataclasses import replace
from typing import TYPE_CHECKING, Callable, Iterable, Mapping, Sequence

from dockerforge_tui.services.issues.catalog import RecommendationTemplate, catalog, recommend_settings
from dockerforge_tui.services.issues.models import (
    ContainerRef, Observation, ParamValue, Recommendation, SuggestedAction,
)
from dockerforge_tui.services.issues.safety import check_command

if TYPE_CHECKING:
    from dockerforge_tui.services.docker.states import ContainerState
    from dockerforge_tui.services.issues.ports import HostListener

log = logging.getLogger(__name__)

__all__ = [
    "Recommendation", "SuggestedAction", "actions_for", "format_bytes", "port_from_message", "port_holders",
    "recommendation_from_text", "recommendations_from_texts", "render_recommendations", "shell_command",
    "with_actions",
]

_BACKTICKED = re.compile(r"`([^`]+)`")
_PLACEHOLDER = re.compile(r"\{(container|healthcheck)\}")
MIB = 1024 * 1024


def recommendation_from_text(text: str) -> Recommendation:
    """Split a prose recommendation: the first backtick-quoted command in it becomes ``command``.

    A quoted part is a command when its first word is a known program
    (``recommend.yaml``); a command that fails the safety check is left out.
    """
    programs = recommend_settings().command_programs
    for quoted in _BACKTICKED.findall(text):
        words = quoted.split()
        if words and words[0] in programs:
            return _checked(text, quoted.strip())
    return Recommendation(text)


def recommendations_from_texts(texts: Iterable[str]) -> tuple[Recommendation, ...]:
    """:func:`recommendation_from_text` for each text, in order."""
    return tuple(recommendation_from_text(text) for text in texts)


def render_recommendations(templates: Iterable[RecommendationTemplate],
                           values: Mapping[str, str | None]) -> tuple[Recommendation, ...]:
    """Fill the catalog's command placeholders (``{container}``, ``{healthcheck}``) and check each command.

    Values are shell-quoted (``{healthcheck}`` is already a command line). A command
    whose placeholder has no value is left out, and so is one that fails the check.
    """
    rendered = []
    for template in templates:
        command = template.command
        if command is not None:
            missing = False

            def fill(match: re.Match[str]) -> str:
                nonlocal missing
                value = values.get(match.group(1))
                if not value:
                    missing = True
                    return ""
                return value if match.group(1) == "healthcheck" else shlex.quote(value)

            command = _PLACEHOLDER.sub(fill, command)
            if missing:
                command = None
        rendered.append(_checked(template.text, command) if command else Recommendation(template.text))
    return tuple(rendered)


def _checked(text: str, command: str) -> Recommendation:
    verdict = check_command(command)
    if not verdict.ok:
        log.warning("left out an unsafe command from a recommendation (%s): %s", "; ".join(verdict.reasons), command)
        return Recommendation(text)
    return Recommendation(text, command)


def shell_command(test: Sequence[str]) -> str | None:
    """A health check's ``Test`` as a command line to run with ``docker exec``; None for NONE or empty."""
    if not test or test[0] == "NONE":
        return None
    kind, arguments = test[0], list(test[1:])
    if kind == "CMD-SHELL":
        return f"sh -c {shlex.quote(' '.join(arguments))}" if arguments else None
    if kind == "CMD":
        return shlex.join(arguments) if arguments else None
    return shlex.join(list(test))


def format_bytes(count: int) -> str:
    """Bytes in binary units as the docker CLI writes limits: ``512MiB``, ``1.5GiB``."""
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f}{unit}" if value == int(value) else f"{value:.1f}{unit}"
        value /= 1024
    return f"{count}B"  # pragma: no cover - the loop always returns


def port_from_message(message: str) -> int | None:
    """The port a ``port_in_use`` message says could not be bound, or None."""
    for regex in recommend_settings().port_patterns:
        match = regex.search(message)
        if match:
            port = int(match.group("port"))
            if 0 < port < 65536:
                return port
    return None


def port_holders(port: int, states: Iterable["ContainerState"], protocol: str = "tcp",
                 exclude_ids: Iterable[str] = ()) -> tuple["ContainerState", ...]:
    """Running containers that publish host ``port`` (from the engine's container states)."""
    excluded = set(exclude_ids)
    return tuple(
        state for state in states
        if state.id not in excluded and state.is_running
        and any(p.public_port == port and p.protocol == protocol for p in state.ports)
    )


def _action(kind: str, params: Mapping[str, ParamValue], **summary_values: str) -> SuggestedAction:
    info = catalog().actions[kind]
    values = {key: str(value) for key, value in params.items()} | summary_values
    try:
        summary = info.summary.format(**values)
    except (KeyError, IndexError):  # a summary naming a value this action lacks: show it unfilled
        summary = info.summary
    return SuggestedAction(kind, tuple(params.items()), summary)


def restart_action(container: ContainerRef) -> SuggestedAction:
    """Restart the container."""
    return _action("restart", {"container": container.name, "container_id": container.id})


def recreate_with_memory_action(container: ContainerRef, memory_limit: int | None) -> SuggestedAction:
    """Recreate the container with more memory: the old limit times the catalog's factor, rounded up to MiB."""
    info = catalog().actions["recreate_with_memory"]
    factor = float(info.option("factor", 2))
    minimum = int(info.option("minimum_bytes", 256 * MIB))
    wanted = max(minimum, int(memory_limit * factor) if memory_limit else minimum)
    memory = math.ceil(wanted / MIB) * MIB
    params: dict[str, ParamValue] = {"container": container.name, "container_id": container.id, "memory": memory}
    if memory_limit:
        params["current_memory"] = memory_limit
    return _action("recreate_with_memory", params, memory_human=format_bytes(memory))


def update_restart_policy_action(container: ContainerRef) -> SuggestedAction:
    """Limit the restart policy so a broken container stops retrying (``on-failure:5``)."""
    info = catalog().actions["update_restart_policy"]
    params: dict[str, ParamValue] = {
        "container": container.name, "container_id": container.id,
        "policy": str(info.option("policy", "on-failure")), "max_retries": int(info.option("max_retries", 5)),
    }
    return _action("update_restart_policy", params)


def free_port_action(port: int, protocol: str, holder_container: "ContainerState | None" = None,
                     holder_process: "HostListener | None" = None) -> SuggestedAction:
    """Free a host port, naming what holds it: a container that publishes it, or a host process."""
    params: dict[str, ParamValue] = {"port": port, "protocol": protocol}
    if holder_container is not None:
        params["holder_container"] = holder_container.name
        params["holder_container_id"] = holder_container.id
        holder = f"container {holder_container.name}"
    elif holder_process is not None and holder_process.pid is not None:
        params["holder_pid"] = holder_process.pid
        if holder_process.process:
            params["holder_process"] = holder_process.process
        holder = f"process {holder_process.process or '?'} (pid {holder_process.pid})"
    else:
        holder = "an unknown process"
    return _action("free_port", params, holder=holder)


def actions_for(category: str, container: ContainerRef, *, state: "ContainerState | None" = None,
                states: Sequence["ContainerState"] = (), message: str = "",
                host_listeners: Callable[[int, str], Sequence["HostListener"]] | None = None,
                ) -> tuple[SuggestedAction, ...]:
    """The typed actions the catalog offers for ``category``, filled in for this container.

    ``state`` is the container's own state (its memory limit); ``states`` every
    container's (who publishes a port); ``message`` the finding's line (which port);
    ``host_listeners(port, protocol)`` names host processes listening on a port, when
    no container publishes it (see :func:`~dockerforge_tui.services.issues.ports.find_host_listeners`).
    """
    actions: list[SuggestedAction] = []
    for kind in catalog().category(category).actions:
        if kind == "restart":
            actions.append(restart_action(container))
        elif kind == "update_restart_policy":
            if state is None or state.restart_policy in ("always", "unless-stopped") or (
                    state.restart_policy == "on-failure" and not state.restart_max_retries):
                actions.append(update_restart_policy_action(container))
        elif kind == "recreate_with_memory":
            if state is not None:  # without the state the current limit is unknown: never suggest less
                actions.append(recreate_with_memory_action(container, state.memory_limit))
        elif kind == "free_port":
            port = port_from_message(message)
            if port is None:
                continue
            holders = port_holders(port, states, exclude_ids=(container.id,))
            if holders:
                actions.extend(free_port_action(port, "tcp", holder_container=holder) for holder in holders)
                continue
            listeners = host_listeners(port, "tcp") if host_listeners is not None else ()
            if listeners:
                actions.extend(free_port_action(port, "tcp", holder_process=listener) for listener in listeners)
            else:
                actions.append(free_port_action(port, "tcp"))
    return tuple(actions)


def with_actions(observations: Iterable[Observation], states: Sequence["ContainerState"],
                 host_listeners: Callable[[int, str], Sequence["HostListener"]] | None = None) -> list[Observation]:
    """Observations with their actions filled in from the containers' states.

    Log observations are made without the engine's view; this adds what needs it:
    the memory limit for ``recreate_with_memory``, the container (or, through
    ``host_listeners``, the process) holding a port for ``free_port``. Observations
    of containers not in ``states`` keep their actions.
    """
    by_id = {state.id: state for state in states}
    completed = []
    for observation in observations:
        state = by_id.get(observation.container.id)
        if state is None:
            completed.append(observation)
            continue
        actions = actions_for(observation.category, observation.container, state=state, states=states,
                              message=observation.message, host_listeners=host_listeners)
        completed.append(replace(observation, actions=actions))
    return completed
