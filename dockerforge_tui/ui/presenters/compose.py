"""What the compose screen shows, as pure functions: project rows, the services panel, the down preview, outcomes."""

from __future__ import annotations

import shlex
from typing import Sequence

from rich.text import Text

from dockerforge_tui.services.docker.compose import ComposeProject, step_name
from dockerforge_tui.services.external_commands import CompletedAction
from dockerforge_tui.ui.presenters.events import Palette

VERB_LABELS = {
    "up": "up",
    "down": "down",
    "restart": "restart",
    "pull_recreate": "pull & recreate",
}
"""How each compose action the screen offers is named to a person."""

EMPTY = "-"


def project_colour(project: ComposeProject) -> str:
    """``success`` when every container runs, ``warning`` when some do, ``error`` when none does."""
    if project.containers and project.running == project.containers:
        return "success"
    return "warning" if project.running else "error"


def project_cells(project: ComposeProject, palette: Palette) -> dict[str, Text]:
    """The row of one project, by column key: name, status, up (running/total), services, directory."""
    return {
        "name": Text(project.name, no_wrap=True, end=""),
        "status": Text(project.status or EMPTY, style=palette.get(project_colour(project), ""), no_wrap=True,
                       end=""),
        "up": Text(f"{project.running}/{project.containers}", no_wrap=True, end=""),
        "services": Text(", ".join(service.name for service in project.services) or EMPTY, no_wrap=True, end=""),
        "directory": Text(project.working_dir or EMPTY, style=palette.get("text-muted", ""), no_wrap=True, end=""),
    }


def services_text(project: ComposeProject | None, palette: Palette) -> Text:
    """The services panel: one line per service with its containers and their states."""
    if project is None:
        return Text("No compose project selected.", style=palette.get("text-muted", ""))
    lines = Text(no_wrap=True)
    width = max((len(service.name) for service in project.services), default=0)
    for index, service in enumerate(project.services):
        if index:
            lines.append("\n")
        colour = "success" if service.running == len(service.containers) else (
            "warning" if service.running else "error")
        lines.append(f"{service.name:<{width}}  ")
        lines.append(f"{service.running}/{len(service.containers)}", style=palette.get(colour, ""))
        lines.append("  " + ", ".join(f"{name} ({state})" for name, state in zip(service.containers, service.states,
                                                                                  strict=False)))
    return lines


def down_preview(project: ComposeProject, networks: Sequence[str], volumes: Sequence[str],
                 remove_volumes: bool) -> str:
    """What ``compose down`` takes away, for the confirmation dialog: containers, networks, and volumes or not."""
    containers = [name for service in project.services for name in service.containers]
    lines = [f"Stops and removes {len(containers)} container(s): {', '.join(containers) or 'none'}",
             f"Removes network(s): {', '.join(networks) or 'none of its own'}"]
    if remove_volumes:
        named = ", ".join(volumes) if volumes else "no named volumes"
        lines.append(f"DELETES volume(s) and their data: {named}, and the containers' anonymous volumes")
    else:
        kept = f" ({', '.join(volumes)})" if volumes else ""
        lines.append(f"Volumes are kept{kept}; D takes the project down with its volumes")
    if project.working_dir:
        lines.append(f"Project directory: {project.working_dir}")
    return "\n".join(lines)


def command_line(argv: Sequence[str]) -> str:
    """An argv as a shell would show it."""
    return shlex.join(argv)


def compose_outcome(project: str, verb: str, done: CompletedAction, steps: int = 1) -> tuple[str, str]:
    """The notice after a compose action: ``(message, severity)``.

    A failed pull (the first of several steps) says that nothing was recreated, and how
    to start the project with the images it already has.
    """
    label = VERB_LABELS.get(verb, verb)
    if done.ok:
        return f"compose {label} of {project}: done in {done.duration:.1f}s", "information"
    step = step_name(done.argv)
    if step == "pull":
        message = f"compose {label} of {project}: the pull failed ({done.summary})"
        if verb == "pull_recreate":
            message += "; nothing was recreated"
        return message + "\nthe registry may be unreachable: u starts the project with the images it has", "error"
    where = f" at '{step}'" if steps > 1 else ""
    return f"compose {label} of {project} failed{where}: {done.summary}", "error"
