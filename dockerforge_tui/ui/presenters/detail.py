"""Pure helpers for the container detail screen: masked env, inspect as YAML, mounts and ports rows."""

from __future__ import annotations

from typing import Any, Iterable

import yaml

from dockerforge_tui.core.redaction import Redactor
from dockerforge_tui.services.docker.container_actions import ContainerDetail
from dockerforge_tui.ui.presenters.containers import compose_text

MASK = "••••••••"


def env_rows(detail: ContainerDetail, redactor: Redactor, reveal: bool) -> list[tuple[str, str]]:
    """(name, value) per env var; secret-looking values are masked until ``reveal``."""
    rows = []
    for name, value in detail.env:
        if not reveal and (redactor.is_secret_key(name) or redactor.redact(value) != value):
            value = MASK
        rows.append((name, value))
    return rows


def masked_inspect(detail: ContainerDetail, redactor: Redactor, reveal: bool) -> dict[str, Any]:
    """The inspect document with env secrets masked (and secrets elsewhere redacted) unless ``reveal``."""
    data = detail.inspect_data()
    if reveal:
        return data
    config = data.get("Config") or {}
    if config.get("Env"):
        config["Env"] = [f"{name}={value}" for name, value in env_rows(detail, redactor, reveal=False)]
    return redactor.redact_mapping(data)


def inspect_yaml(data: dict[str, Any]) -> str:
    """The inspect document as block YAML, keys in the engine's order."""
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=True, width=100)


def mount_rows(detail: ContainerDetail) -> Iterable[tuple[str, str, str, str]]:
    """(type, source, destination, mode) per mount."""
    for mount in detail.mounts:
        source = mount.name or mount.source or "-"
        yield mount.type, source, mount.destination, ("rw" if mount.read_write else "ro") + (
            f" {mount.mode}" if mount.mode else "")


def port_rows(detail: ContainerDetail) -> Iterable[tuple[str, str]]:
    """(container port, published as) per exposed port."""
    for port in detail.ports:
        published = f"{port.host_ip or '0.0.0.0'}:{port.host_port}" if port.host_port else "not published"
        yield f"{port.container_port}/{port.protocol}", published


def summary_lines(detail: ContainerDetail) -> list[str]:
    """The overview: the facts someone checks first."""
    restart = detail.restart_policy.name if detail.restart_policy else "no"
    lines = [
        f"Name: {detail.name}   Id: {detail.short_id}   Image: {detail.image}",
        f"State: {detail.state}" + (f" (exit {detail.exit_code})" if detail.state == "exited" else "")
        + (" OOM-killed" if detail.oom_killed else "") + f"   Health: {detail.health or '-'}"
        + f"   Restarts: {detail.restart_count}   Restart policy: {restart}",
        f"Command: {' '.join(detail.entrypoint or ())} {' '.join(detail.command or ())}".rstrip(),
        f"User: {detail.user or 'root (image default)'}   Workdir: {detail.working_dir or '/'}",
    ]
    if detail.compose_project:
        lines.append(f"Compose: {compose_text(detail.compose_project, detail.compose_service)}")
    if detail.error:
        lines.append(f"Error: {detail.error}")
    return lines
