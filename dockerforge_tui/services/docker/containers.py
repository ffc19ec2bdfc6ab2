"""Read containers from the engine as :class:`ContainerSummary` records."""

from __future__ import annotations

import json
import logging
import socket
from typing import TYPE_CHECKING, Iterable
from urllib.parse import urlsplit

from dockerforge_tui.services.docker.models import ContainerSummary, summary_from_list_entry, with_inspect

if TYPE_CHECKING:
    import docker

log = logging.getLogger(__name__)

PLAIN_SCHEMES = ("unix://", "tcp://", "http://")
"""Endpoints :func:`list_containers_plain` can reach without docker-py (no TLS, no ssh, no named pipe)."""


def list_containers(api: docker.APIClient) -> tuple[ContainerSummary, ...]:
    """Every container on the engine, running or not, from one list call (no inspects)."""
    return tuple(summary_from_list_entry(entry) for entry in api.containers(all=True))


def inspect_summaries(api: docker.APIClient, summaries: Iterable[ContainerSummary]) -> tuple[ContainerSummary, ...]:
    """Complete summaries with start time, restart count and exit code; vanished containers are dropped."""
    import docker.errors

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


def list_containers_plain(url: str, timeout: float) -> tuple[ContainerSummary, ...]:
    """Every container from one ``GET /containers/json`` sent on a socket of our own.

    The dashboard's first list comes from here, on a thread started with the process: it
    needs neither the docker SDK nor a probe, so the list can be on the first frame. The
    records are the same as :func:`list_containers` gives (no inspect fields yet).
    ``url`` is a ``unix://`` or plain ``tcp://`` endpoint (:data:`PLAIN_SCHEMES`).
    Raises :class:`OSError` when the engine does not answer, :class:`ValueError` when
    the answer is not a container list.
    """
    body = _plain_get(url, "/containers/json?all=1", timeout)
    entries = json.loads(body)
    if not isinstance(entries, list):
        raise ValueError("the engine's container list is not a JSON list")
    return tuple(summary_from_list_entry(entry) for entry in entries)


def _plain_get(url: str, path: str, timeout: float) -> bytes:
    """The body of ``GET path`` as HTTP/1.0 (the engine closes the connection after the body)."""
    if url.startswith("unix://"):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(url[len("unix://"):])
        except OSError:
            sock.close()
            raise
    elif url.startswith(("tcp://", "http://")):
        parts = urlsplit(url)
        sock = socket.create_connection((parts.hostname or "localhost", parts.port or 2375), timeout=timeout)
    else:
        raise ValueError(f"{url} needs the docker SDK (TLS, ssh or a named pipe)")
    with sock:
        sock.sendall(f"GET {path} HTTP/1.0\r\nHost: docker\r\nUser-Agent: dockerforge\r\n\r\n".encode("ascii"))
        chunks = []
        while chunk := sock.recv(1 << 16):
            chunks.append(chunk)
    head, separator, body = b"".join(chunks).partition(b"\r\n\r\n")
    status = head.split(b"\r\n", 1)[0].split()
    if not separator or len(status) < 2 or not status[0].startswith(b"HTTP/"):
        raise ValueError(f"{url} did not answer in HTTP")
    if status[1] != b"200":
        raise ValueError(f"{url} answered {path} with HTTP {status[1].decode('ascii', 'replace')}")
    return body
