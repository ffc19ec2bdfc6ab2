"""Connecting to one Docker engine: the first candidate that answers, or the one the person named.

:func:`connect` probes the candidates of
:func:`~dockerforge_tui.services.docker.endpoints.discover_endpoints` in order with the
short ``docker.ping_timeout`` and keeps the first that answers. A broken guess falls
through to the next; an endpoint the person named (``--host``, ``docker.host``,
``DOCKER_HOST``, a chosen context) is never replaced: its failure is the error.
:func:`probe_all` probes every candidate, for ``dockerforge doctor``.
"""

from __future__ import annotations

import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping

from dockerforge_tui.core.errors import DockerForgeError, EngineUnreachableError
from dockerforge_tui.services.docker.containers import PLAIN_SCHEMES, list_containers_plain
from dockerforge_tui.services.docker.endpoints import (
    Endpoint, Failure, ProbeResult, api_client, classify_error, describe_error, discover_endpoints, hint_for, probe,
)

if TYPE_CHECKING:
    import docker

    from dockerforge_tui.services.docker.models import ContainerSummary

    from dockerforge_tui.core.config.models import DockerSettings
    from dockerforge_tui.core.platform.base import Platform

log = logging.getLogger(__name__)

STREAM_POOL_SIZE = 64
"""Connections a stream client keeps: one per open stats or log stream."""

# Which failure's hint helps most when nothing answered: a socket that exists but
# refuses us beats a stopped engine, which beats the many sockets that never existed.
_HINT_PRIORITY = (Failure.PERMISSION, Failure.TLS, Failure.SSH, Failure.API, Failure.TIMEOUT, Failure.REFUSED,
                  Failure.OTHER, Failure.NO_SOCKET, Failure.UNSUPPORTED)


class EngineConnection:
    """An open connection to one engine: the endpoint, docker-py's low-level client and how it was found.

    Use it as a context manager, or call :meth:`close`.
    """

    def __init__(self, endpoint: Endpoint, api: docker.APIClient, probes: tuple[ProbeResult, ...],
                 engine_version: str | None, api_version: str | None, timeout: float) -> None:
        self.endpoint = endpoint
        self.api = api
        """docker-py's low-level client, with the configured request timeout."""
        self.probes = probes
        """Every probe made while connecting, in order; the last one answered."""
        self.engine_version = engine_version
        self.api_version = api_version
        self.timeout = timeout
        self._extra_clients: list[docker.APIClient] = []
        self._lock = threading.Lock()
        self._closed = False

    @classmethod
    def open(cls, result: ProbeResult, timeout: float, probes: tuple[ProbeResult, ...] = ()) -> "EngineConnection":
        """Connect to the endpoint of a successful probe, reusing the API version it found.

        Raises :class:`EngineUnreachableError` when the engine went away since the probe.
        """
        endpoint = result.endpoint
        try:
            api = api_client(endpoint, timeout=timeout, version=result.api_version or "auto")
        except Exception as error:  # the engine vanished between probe and connect
            failure = classify_error(error, endpoint)
            from dockerforge_tui.core.platform import detect_platform

            raise EngineUnreachableError(
                f"the Docker engine at {endpoint.url} ({endpoint.source}) stopped answering: "
                f"{describe_error(error, failure, endpoint, timeout)}",
                hint=hint_for(failure, endpoint, detect_platform()),
            ) from error
        return cls(endpoint, api, probes or (result,), result.engine_version, result.api_version, timeout)

    def open_stream_client(self, timeout: float | None = None) -> docker.APIClient:
        """A second low-level client to the same engine, for long-lived streams (stats, logs).

        It has its own, larger connection pool so streams never starve the main client;
        it is closed with this connection.
        """
        client = api_client(self.endpoint, timeout=timeout or self.timeout, version=self.api_version or "auto",
                            max_pool_size=STREAM_POOL_SIZE)
        with self._lock:
            if self._closed:
                client.close()
                raise EngineUnreachableError(f"the connection to {self.endpoint.url} is closed")
            self._extra_clients.append(client)
        return client

    def info(self) -> dict[str, Any]:
        """The engine's ``docker info``, as plain JSON-ready data."""
        return dict(self.api.info())

    def close(self) -> None:
        """Close the client and every stream client; safe to call twice."""
        with self._lock:
            self._closed = True
            clients, self._extra_clients = [self.api, *self._extra_clients], []
        for client in clients:
            try:
                client.close()
            except Exception as error:  # closing a broken connection must not mask the real problem
                log.debug("closing a client for %s failed: %s", self.endpoint.url, error)

    def __enter__(self) -> "EngineConnection":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"EngineConnection({self.endpoint.url!r}, source={self.endpoint.source!r}, api={self.api_version})"


def _resolve(env: Mapping[str, str] | None, platform: "Platform | None") -> tuple[Mapping[str, str], "Platform"]:
    env = dict(os.environ) if env is None else env
    if platform is None:
        from dockerforge_tui.core.platform import detect_platform

        platform = detect_platform(env=env)
    return env, platform


def connect(settings: "DockerSettings", env: Mapping[str, str] | None = None, platform: "Platform | None" = None,
            home: Path | None = None, *, host_source: str | None = None) -> EngineConnection:
    """Connect to the first candidate engine that answers.

    ``settings`` is the ``docker`` section of the configuration; ``env`` defaults to the
    process environment, ``platform`` to the detected one, ``home`` to the platform's
    home directory. ``host_source`` labels ``settings.host`` (``"--host"`` when it came
    from the command line).

    Raises :class:`EngineUnreachableError` when the endpoint the person named fails
    (no other is tried) or when no candidate answers; its message lists what was tried
    and its hint is the most useful fix.
    """
    env, platform = _resolve(env, platform)
    candidates = discover_endpoints(settings, env, platform, home, host_source=host_source)
    probes: list[ProbeResult] = []
    for endpoint in candidates:
        result = probe(endpoint, settings.ping_timeout, platform)
        probes.append(result)
        log.debug("probe %s (%s): %s", endpoint.url, endpoint.source, "ok" if result.ok else result.error)
        if result.ok:
            connection = EngineConnection.open(result, settings.timeout, tuple(probes))
            log.info("using the Docker engine at %s (%s), engine %s, API %s", endpoint.url, endpoint.source,
                     result.engine_version, result.api_version)
            return connection
        if endpoint.user_named:
            raise unreachable_error(probes, platform)
    raise unreachable_error(probes, platform)


def unreachable_error(probes: list[ProbeResult], platform: "Platform") -> EngineUnreachableError:
    """The error for "nothing answered": every attempt on one line, and the most useful hint."""
    if not probes:
        return EngineUnreachableError(f"no Docker engine to try on {platform.name}",
                                      hint="name one with --host or DOCKER_HOST")
    named = [result for result in probes if result.endpoint.user_named and not result.ok]
    if named:  # the person chose this endpoint: say so, and never suggest it was one of many
        result = named[0]
        return EngineUnreachableError(
            f"the Docker engine you chose did not answer: {result.endpoint.url} ({result.endpoint.source}): "
            f"{result.error}",
            hint=result.hint,
        )
    tried = "; ".join(f"{result.endpoint.url}: {result.failure or 'error'}" for result in probes)
    return EngineUnreachableError(f"no Docker engine answered (tried {tried})", hint=best_hint(probes))


def best_hint(probes: list[ProbeResult]) -> str | None:
    """The fix hint of the failure most worth fixing first (see ``_HINT_PRIORITY``)."""
    failed = [result for result in probes if not result.ok]
    if not failed:
        return None
    rank = {failure: position for position, failure in enumerate(_HINT_PRIORITY)}
    best = min(failed, key=lambda result: rank.get(result.failure, len(rank)))  # stable: earliest wins ties
    return best.hint


def probe_all(settings: "DockerSettings", env: Mapping[str, str] | None = None, platform: "Platform | None" = None,
              home: Path | None = None, *, host_source: str | None = None) -> list[ProbeResult]:
    """Probe every candidate (concurrently, results in candidate order); never stops at the first.

    When the person named an endpoint, that is the only candidate and the only probe.
    """
    env, platform = _resolve(env, platform)
    candidates = discover_endpoints(settings, env, platform, home, host_source=host_source)
    if not candidates:
        return []
    with ThreadPoolExecutor(max_workers=min(8, len(candidates)), thread_name_prefix="probe") as pool:
        return list(pool.map(lambda endpoint: probe(endpoint, settings.ping_timeout, platform), candidates))


def early_container_list(settings: "DockerSettings", env: Mapping[str, str] | None = None,
                         platform: "Platform | None" = None, home: Path | None = None, *,
                         host_source: str | None = None) -> "tuple[ContainerSummary, ...] | None":
    """The containers of the engine :func:`connect` would choose, from one plain request, or None.

    Candidates are tried in :func:`connect`'s order with one ``GET /containers/json``
    each (no docker SDK, no ping): the first that answers gives the list. None when no
    candidate answers, when the first one that could needs the SDK (TLS, ssh, a named
    pipe), or when a named endpoint fails: then the full connection lists the containers
    and says what went wrong. Never raises.
    """
    try:
        env, platform = _resolve(env, platform)
        candidates = discover_endpoints(settings, env, platform, home, host_source=host_source)
    except DockerForgeError as error:  # a missing context: connect() reports it
        log.debug("no early container list: %s", error.message)
        return None
    for endpoint in candidates:
        if not endpoint.url.startswith(PLAIN_SCHEMES) or endpoint.tls is not None:
            return None
        try:
            return list_containers_plain(endpoint.url, settings.ping_timeout)
        except (OSError, ValueError) as error:
            log.debug("early container list from %s: %s", endpoint.url, error)
            if endpoint.user_named:
                return None
    return None


class EarlyContainerList:
    """:func:`early_container_list` run on a daemon thread from the moment it is created.

    The dashboard creates it before Textual starts, so the engine's answer is usually
    there by the first frame; the screen takes it with :meth:`result`.
    """

    def __init__(self, fetch: "Callable[[], tuple[ContainerSummary, ...] | None]") -> None:
        self._fetch = fetch
        self._done = threading.Event()
        self._containers: "tuple[ContainerSummary, ...] | None" = None
        threading.Thread(target=self._run, name="early-container-list", daemon=True).start()

    def _run(self) -> None:
        try:
            self._containers = self._fetch()
        except Exception as error:  # a head start only: the watcher lists the containers anyway
            log.debug("early container list failed: %s", error)
        finally:
            self._done.set()

    @property
    def done(self) -> bool:
        """True once the list arrived or the attempt ended."""
        return self._done.is_set()

    def result(self, timeout: float | None = None) -> "tuple[ContainerSummary, ...] | None":
        """The containers (waiting up to ``timeout`` seconds), or None when there are none to show yet."""
        self._done.wait(timeout)
        return self._containers
