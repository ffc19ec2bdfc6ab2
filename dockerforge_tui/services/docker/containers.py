"""Read containers from the engine as :class:`ContainerSummary` records."""

from __future__ import annotations

import logging
from typing import Iterable

import docker.errors

from dockerforge_tui.services.docker.models import ContainerSummary, summary_from_list_entry, with_inspect

log = logging.getLogger(__name__)


def list_containers(api: docker.APIClient) -> tuple[ContainerSummary, ...]:
    """Every container on the engine, running or not, from one list call (no inspects)."""
    return tuple(summary_from_list_entry(entry) for entry in api.containers(all=True))


def inspect_summaries(api: docker.APIClient, summaries: Iterable[ContainerSummary]) -> tuple[ContainerSummary, ...]:
    """Complete summaries with start time, restart count and exit code; vanished containers are dropped."""
    completed = []
    for summary in summaries:
        try:
            completed.append(with_inspect(summary, api.inspect_container(summary.id)))
        except docker.errors.NotFound:
            log.debug("container %s vanished before it was inspected", summary.short_id)
    return tuple(completed)


def get_container(api: docker.APIClient, container_id: str) -> ContainerSummary | None:
    """One container, fully inspected, or None when it no longer exists."""
    entries = api.containers(all=True, filters={"id": container_id})
    if not entries:
        return None
    found = inspect_summaries(api, [summary_from_list_entry(entries[0])])
    return found[0] if found else None
