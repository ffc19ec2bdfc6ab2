"""Labelled test containers that are always removed, even when a test fails."""

from __future__ import annotations

import os
import uuid
from typing import Any

import docker

TEST_LABEL = "dockerforge.test"
SESSION_LABEL = "dockerforge.test.session"
SESSION_ID = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"


def test_labels(**extra: str) -> dict[str, str]:
    """Labels every container made by the suite carries."""
    return {TEST_LABEL: "1", SESSION_LABEL: SESSION_ID, **extra}


def unique_name(prefix: str = "dftest") -> str:
    """A container name no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def _session_alive(session: str | None) -> bool:
    """True when the test session that made a container is still running (its pid exists)."""
    try:
        pid = int((session or "").split("-", 1)[0])
        os.kill(pid, 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


def remove_labelled(client: docker.DockerClient, session_only: bool = True) -> int:
    """Force-remove this session's containers, or (``session_only=False``) those left behind by
    sessions that are no longer running; return how many. Another live session's containers are
    never touched, so two test runs can share one engine."""
    label = f"{SESSION_LABEL}={SESSION_ID}" if session_only else TEST_LABEL
    removed = 0
    for container in client.containers.list(all=True, filters={"label": label}):
        session = container.labels.get(SESSION_LABEL)
        # The test image itself carries TEST_LABEL, so a container without a session label
        # was not made by a test session (a benchmark's, a person's): never ours to remove.
        if not session_only and (session is None or session == SESSION_ID or _session_alive(session)):
            continue
        try:
            container.remove(force=True, v=True)
            removed += 1
        except docker.errors.NotFound:
            pass
    return removed


class ContainerFactory:
    """Run labelled containers and remove each one at teardown."""

    def __init__(self, client: docker.DockerClient, image: str) -> None:
        self.client = client
        self.image = image
        self.created: list[Any] = []

    def run(self, command: str | list[str] = "sleep 300", **kwargs: Any):
        """Start a detached labelled container (``sh -c`` for a string command)."""
        if isinstance(command, str):
            command = ["sh", "-c", command]
        kwargs.setdefault("name", unique_name())
        kwargs["labels"] = test_labels(**kwargs.get("labels", {}))
        container = self.client.containers.run(self.image, command, detach=True, **kwargs)
        self.created.append(container)
        return container

    def cleanup(self) -> None:
        """Remove every container this factory made."""
        for container in self.created:
            try:
                container.remove(force=True, v=True)
            except docker.errors.NotFound:
                pass
