"""Pure functions that turn container records into the text of the containers table.

No app is needed to test them: colours come in as a ``palette`` (semantic name to colour,
taken from the active theme's variables), never as literals.
"""

from __future__ import annotations

from typing import Mapping

from rich.text import Text

from dockerforge_tui.services.docker.models import ContainerSummary, PortMapping, StatsSample

Palette = Mapping[str, str]

STATE_COLOURS = {
    "running": "success",
    "restarting": "warning",
    "paused": "warning",
    "created": "text-muted",
    "exited": "error",
    "dead": "error",
    "removing": "warning",
}
HEALTH_COLOURS = {"healthy": "success", "starting": "warning", "unhealthy": "error"}
EMPTY = "-"


def _styled(text: str, colour_name: str | None, palette: Palette) -> Text:
    colour = palette.get(colour_name) if colour_name else None
    return Text(text, style=colour or "", no_wrap=True, end="")


def format_bytes(count: int | None) -> str:
    """Bytes in binary units as ``docker stats`` prints them: ``0B``, ``512KiB``, ``1.5GiB``."""
    if count is None:
        return EMPTY
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            if unit == "B":
                return f"{int(value)}B"
            return f"{value:.1f}{unit}" if value < 100 else f"{value:.0f}{unit}"
        value /= 1024
    return f"{value:.0f}TiB"  # pragma: no cover - the loop always returns


def format_duration(seconds: float) -> str:
    """A short human duration with two units at most: ``45s``, ``12m``, ``3h12m``, ``5d3h``."""
    seconds = max(0, int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d{hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h{minutes}m" if minutes else f"{hours}h"
    if minutes:
        return f"{minutes}m"
    return f"{secs}s"


def format_uptime(container: ContainerSummary, now: float) -> str:
    """How long a running container has been up, or ``-`` when it is not running."""
    if not container.is_running or container.started_at is None:
        return EMPTY
    return format_duration(now - container.started_at.timestamp())


def format_port(port: PortMapping) -> str:
    """One port as the docker CLI writes it: ``0.0.0.0:8080->80/tcp`` or ``80/tcp``."""
    if port.public_port:
        host = port.host_ip or "0.0.0.0"
        host = f"[{host}]" if ":" in host else host
        return f"{host}:{port.public_port}->{port.private_port}/{port.protocol}"
    return f"{port.private_port}/{port.protocol}"


def format_ports(ports: tuple[PortMapping, ...]) -> str:
    """Every port once; an IPv4 and IPv6 publication of the same port count as one."""
    seen: list[str] = []
    for port in ports:
        # The engine lists 0.0.0.0 and :: separately for the same publication.
        shown = format_port(PortMapping(port.private_port, port.protocol, port.public_port,
                                        "0.0.0.0" if port.host_ip in ("::", "0.0.0.0") else port.host_ip))
        if shown not in seen:
            seen.append(shown)
    return ", ".join(seen) if seen else EMPTY


def state_text(container: ContainerSummary, palette: Palette) -> Text:
    """The state, coloured; an exited container shows its exit code and an OOM kill."""
    label = container.state
    if container.state == "exited" and container.exit_code is not None:
        label = f"exited({container.exit_code})"
        if container.oom_killed:
            label += " OOM"
    colour = STATE_COLOURS.get(container.state)
    if container.state == "exited" and container.exit_code == 0:
        colour = "text-muted"
    return _styled(label, colour, palette)


def health_text(container: ContainerSummary, palette: Palette) -> Text:
    """The health check status, coloured, or ``-`` without a health check."""
    return _styled(container.health or EMPTY, HEALTH_COLOURS.get(container.health or ""), palette)


def cpu_text(sample: StatsSample | None) -> str:
    """CPU use in percent of one core, or ``-`` before the first sample."""
    if sample is None or sample.cpu_percent is None:
        return EMPTY
    return f"{sample.cpu_percent:.1f}%"


def compose_text(project: str | None, service: str | None) -> str:
    """``project/service`` for a compose container, just the project when the service label is missing."""
    if not project:
        return EMPTY
    return f"{project}/{service}" if service else project


def memory_text(sample: StatsSample | None, configured_limit: int | None) -> str:
    """Memory used, with the limit when the container has one set (``12.0MiB/256MiB``).

    Without a limit the engine reports the host's memory as the limit, which would only
    add noise, so then only the usage is shown.
    """
    if sample is None:
        return EMPTY
    if configured_limit:
        return f"{format_bytes(sample.mem_usage)}/{format_bytes(configured_limit)}"
    return format_bytes(sample.mem_usage)


def name_text(container: ContainerSummary) -> Text:
    """The container name as plain text (never parsed as markup)."""
    return Text(container.name, no_wrap=True, end="")


def io_text(received: int, sent: int) -> str:
    """Two byte totals as ``1.2MiB/340KiB`` (in/out, or read/write)."""
    return f"{format_bytes(received)}/{format_bytes(sent)}"
