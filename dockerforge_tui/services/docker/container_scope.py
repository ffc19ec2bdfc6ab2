"""Which containers a headless command is about, and their states, read with as few requests as possible.

A :class:`ContainerScope` names containers (names or id prefixes), a compose project,
or label filters; :func:`read_scope_states` turns it into
:class:`~dockerforge_tui.services.docker.states.ContainerState` records with one list
request (label filters are applied by the engine) and one inspect per container, the
inspects running on a small thread pool. ``logs analyze`` and the report use it.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from dockerforge_tui.core.errors import NotFoundError
from dockerforge_tui.services.docker.api_errors import ApiSource, client_of, engine_call
from dockerforge_tui.services.docker.models import COMPOSE_PROJECT_LABEL
from dockerforge_tui.services.docker.states import ContainerState, state_from_inspect

log = logging.getLogger(__name__)

DEFAULT_INSPECT_WORKERS = 8
"""Inspects in flight at once: enough to hide the round trips, few enough not to load the engine."""


@dataclass(frozen=True)
class ContainerScope:
    """A set of containers: the named ones, or those of a compose project / with labels, or all."""

    names: tuple[str, ...] = ()
    """Container names or id prefixes; when given, ``project`` and ``labels`` are ignored."""
    project: str | None = None
    """A compose project: containers labelled ``com.docker.compose.project=<project>``."""
    labels: tuple[str, ...] = ()
    """Label filters, ``"key"`` (present) or ``"key=value"``; all must match."""

    @property
    def everything(self) -> bool:
        """True when the scope is every container on the engine."""
        return not (self.names or self.project or self.labels)

    def label_filters(self) -> tuple[str, ...]:
        """The engine-side label filters of this scope."""
        project = (f"{COMPOSE_PROJECT_LABEL}={self.project}",) if self.project else ()
        return project + tuple(self.labels)

    def describe(self) -> str:
        """A short description for a report header: ``project shop``, ``containers web, db``, ``all containers``."""
        if self.names:
            return "container" + ("s " if len(self.names) > 1 else " ") + ", ".join(self.names)
        parts = []
        if self.project:
            parts.append(f"project {self.project}")
        if self.labels:
            parts.append("labels " + ", ".join(self.labels))
        return "; ".join(parts) or "all containers"


def _inspect(api: Any, reference: str, *, named: bool) -> ContainerState | None:
    try:
        with engine_call("inspect", f"container {reference}"):
            return state_from_inspect(api.inspect_container(reference))
    except NotFoundError:
        if named:
            raise NotFoundError(f"no container named or with id {reference!r}",
                                hint="list containers with `docker ps -a`") from None
        log.debug("container %s vanished before it was inspected", reference[:12])
        return None


def read_scope_states(source: ApiSource, scope: ContainerScope, *,
                      workers: int = DEFAULT_INSPECT_WORKERS) -> tuple[ContainerState, ...]:
    """Inspect the containers of ``scope`` and return their states, sorted by name.

    Named containers are inspected directly (one that does not exist raises
    :class:`NotFoundError`); otherwise one list request with the scope's label filters
    finds them (running or not) and each is inspected once, ``workers`` at a time. A
    listed container that is removed meanwhile is left out. Engine failures raise the
    errors of :mod:`~dockerforge_tui.services.docker.api_errors`.
    """
    api = client_of(source)
    if scope.names:
        references = list(dict.fromkeys(name.lstrip("/") for name in scope.names))
        named = True
    else:
        filters = {"label": list(scope.label_filters())} if scope.label_filters() else None
        with engine_call("list", "containers"):
            references = [entry["Id"] for entry in api.containers(all=True, filters=filters)]
        named = False
    if not references:
        return ()
    if len(references) == 1 or workers <= 1:
        found = [_inspect(api, reference, named=named) for reference in references]
    else:
        with ThreadPoolExecutor(max_workers=min(workers, len(references)), thread_name_prefix="inspect") as pool:
            found = list(pool.map(lambda reference: _inspect(api, reference, named=named), references))
    states = {state.id: state for state in found if state is not None}  # two names of one container: once
    return tuple(sorted(states.values(), key=lambda state: (state.name, state.id)))


__all__ = ["DEFAULT_INSPECT_WORKERS", "ContainerScope", "read_scope_states"]
