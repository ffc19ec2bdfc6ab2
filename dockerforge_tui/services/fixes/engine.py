"""The engine requests a fix makes, each one audited and refused in read-only mode.

The fix operations never touch the SDK: they call :class:`FixEngine`, which speaks
to the low-level client of :mod:`~dockerforge_tui.services.docker` (errors translated
by :func:`~dockerforge_tui.services.docker.api_errors.engine_call`) and sends every
request that changes the engine through :func:`~dockerforge_tui.services.audit.run_action`,
so a fix leaves the same audit trail as a person pressing the keys.

Two requests use docker-py's raw JSON helpers rather than its keyword wrappers:
creating a container from an inspected configuration (the wrappers would drop fields
such as ``Healthcheck`` timings, ``Tmpfs``, ``Ulimits``) and ``docker update`` with
``NanoCpus`` (the wrapper has no such argument, and ``--cpus`` sets exactly that).
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, TypeVar

from dockerforge_tui.services.audit import ActionTarget, AuditLog, run_action
from dockerforge_tui.services.docker import container_actions
from dockerforge_tui.services.docker.api_errors import ApiSource, client_of, engine_call
from dockerforge_tui.services.docker.states import ContainerState, inspect_states

T = TypeVar("T")


class FixEngine:
    """What a fix may do to the engine, audited.

    ``source`` is an open connection or a low-level client; ``audit`` the audit log (None:
    not audited, for tests of pure behaviour); ``readonly`` refuses every change with
    :class:`~dockerforge_tui.services.audit.ReadOnlyError`.
    """

    def __init__(self, source: ApiSource, audit: AuditLog | None = None, readonly: bool = False,
                 endpoint_label: str = "") -> None:
        self.api = client_of(source)
        self.audit = audit
        self.readonly = readonly
        endpoint = getattr(source, "endpoint", None)
        self.endpoint_label = endpoint_label or (endpoint.url if endpoint is not None else str(self.api.base_url))

    def _change(self, verb: str, target: ActionTarget, perform: Callable[[], T],
                params: Mapping[str, Any] | None = None) -> T:
        return run_action(perform, verb=f"fix {verb}", target=target, audit=self.audit,
                          endpoint=self.endpoint_label, params=params, readonly=self.readonly)

    # --- reading --------------------------------------------------------------------------------

    def inspect(self, reference: str) -> dict[str, Any]:
        """The full inspect document of one container; :class:`NotFoundError` when it is gone."""
        with engine_call("inspect", f"container {reference}"):
            return dict(self.api.inspect_container(reference))

    def exists(self, reference: str) -> bool:
        """True when a container with this name or id exists (other engine errors raise)."""
        from dockerforge_tui.core.errors import NotFoundError

        try:
            self.inspect(reference)
        except NotFoundError:
            return False
        return True

    def image_id(self, reference: str) -> str | None:
        """The id an image reference resolves to now, or None when no such image is here."""
        from dockerforge_tui.core.errors import NotFoundError

        try:
            with engine_call("inspect", f"image {reference}"):
                return str(self.api.inspect_image(reference).get("Id") or "") or None
        except NotFoundError:
            return None

    def states(self) -> tuple[ContainerState, ...]:
        """Every container's state (who publishes which port)."""
        with engine_call("list", "containers"):
            return inspect_states(self.api)

    def service_containers(self, project: str, service: str) -> tuple[str, ...]:
        """Names of the containers (running or not) of one compose service."""
        from dockerforge_tui.services.docker.models import COMPOSE_PROJECT_LABEL, COMPOSE_SERVICE_LABEL

        filters = {"label": [f"{COMPOSE_PROJECT_LABEL}={project}", f"{COMPOSE_SERVICE_LABEL}={service}"]}
        with engine_call("list", f"containers of {project}/{service}"):
            entries = self.api.containers(all=True, filters=filters)
        return tuple(sorted((entry.get("Names") or ["/" + entry["Id"][:12]])[0].lstrip("/") for entry in entries))

    # --- container verbs --------------------------------------------------------------------------

    def start(self, name: str) -> None:
        """Start a container."""
        self._change("start", ActionTarget("container", name, name),
                     lambda: container_actions.start_container(self.api, name))

    def stop(self, name: str, timeout: int = container_actions.DEFAULT_STOP_TIMEOUT) -> None:
        """Stop a container."""
        self._change("stop", ActionTarget("container", name, name),
                     lambda: container_actions.stop_container(self.api, name, timeout), {"timeout": timeout})

    def restart(self, name: str, timeout: int = container_actions.DEFAULT_STOP_TIMEOUT) -> None:
        """Restart a container."""
        self._change("restart", ActionTarget("container", name, name),
                     lambda: container_actions.restart_container(self.api, name, timeout), {"timeout": timeout})

    def remove(self, name: str, volumes: bool = False) -> None:
        """Remove a container (force: it may run); ``volumes`` removes its anonymous volumes too."""
        self._change("remove", ActionTarget("container", name, name),
                     lambda: container_actions.remove_container(self.api, name, force=True, volumes=volumes),
                     {"volumes": volumes})

    def rename(self, reference: str, new_name: str) -> None:
        """Rename a container."""
        self._change("rename", ActionTarget("container", reference, reference),
                     lambda: container_actions.rename_container(self.api, reference, new_name),
                     {"new_name": new_name})

    def update(self, name: str, body: Mapping[str, Any]) -> None:
        """``docker update``: change resources and restart policy in place (``body`` in the engine's names)."""
        def perform() -> None:
            with engine_call("update", f"container {name}"):
                response = self.api._post_json(self.api._url("/containers/{0}/update", name), data=dict(body))
                self.api._result(response, True)

        self._change("update", ActionTarget("container", name, name), perform, {"body": dict(body)})

    def create(self, name: str, body: Mapping[str, Any]) -> str:
        """Create (not start) a container from an engine ``ContainerCreate`` body; return its id."""
        def perform() -> str:
            with engine_call("create", f"container {name}"):
                response = self.api._post_json(self.api._url("/containers/create"), data=dict(body),
                                               params={"name": name})
                return str(self.api._result(response, True)["Id"])

        return self._change("create", ActionTarget("container", name, name), perform,
                            {"image": body.get("Image")})

    def connect(self, name: str, network: str, endpoint_config: Mapping[str, Any]) -> None:
        """Attach a container to one more network with its aliases and addresses."""
        def perform() -> None:
            with engine_call(f"connect to network {network}", f"container {name}"):
                response = self.api._post_json(self.api._url("/networks/{0}/connect", network),
                                               data={"Container": name, "EndpointConfig": dict(endpoint_config)})
                self.api._result(response)

        self._change("connect", ActionTarget("container", name, name), perform, {"network": network})

    # --- prune ----------------------------------------------------------------------------------

    def prune(self, what: str) -> int:
        """Prune ``containers``, ``images`` (dangling), ``networks``, ``build_cache`` or ``volumes``; bytes freed."""
        calls: dict[str, Callable[[], Mapping[str, Any]]] = {
            "containers": self.api.prune_containers,
            "images": lambda: self.api.prune_images(filters={"dangling": True}),
            "networks": self.api.prune_networks,
            "build_cache": self.api.prune_builds,
            "volumes": self.api.prune_volumes,
        }

        def perform() -> int:
            with engine_call("prune", what.replace("_", " ")):
                result = calls[what]() or {}
            return int(result.get("SpaceReclaimed") or 0)

        return self._change("prune", ActionTarget(what.replace("_", " "), f"unused {what.replace('_', ' ')}"),
                            perform)

    # --- compose ----------------------------------------------------------------------------------

    def scale(self, project: str, service: str, replicas: int, *, endpoint: Any = None,
              docker_cli: str = "docker") -> None:
        """Run ``replicas`` containers of a compose service with ``compose up --scale`` (no recreate of the others).

        Raises :class:`NotFoundError` when the project has no container here or its files
        are missing, :class:`DockerAPIError` when compose fails (its last words as the message).
        """
        from dockerforge_tui.core.errors import DockerAPIError, NotFoundError
        from dockerforge_tui.services.docker import compose
        from dockerforge_tui.services.external_commands import run_external

        found = next((item for item in compose.list_compose_projects(self.api) if item.name == project), None)
        if found is None:
            raise NotFoundError(f"no compose project {project!r} on this engine",
                                hint="check the name with `docker compose ls -a`")
        argv = [*compose.compose_command(found, "up", docker_cli=docker_cli, endpoint=endpoint),
                "--no-recreate", "--scale", f"{service}={replicas}", service]
        done = run_external(argv, audit=self.audit, verb="fix scale", target=ActionTarget("compose project", project,
                                                                                         project),
                            endpoint=self.endpoint_label, readonly=self.readonly, cwd=found.working_dir or None)
        if not done.ok:
            raise DockerAPIError(f"cannot scale {project}/{service} to {replicas}: {done.summary}",
                                 hint="run the compose command by hand to see its whole output: " + " ".join(argv))
