"""Compose projects as the engine sees them (container labels), and the compose CLI commands that act on them.

Projects are found from the labels compose puts on every container it makes, so a
project shows up whichever directory it was started from. Commands are argv lists for
``docker compose`` (v2) when the docker CLI has it, else the standalone
``docker-compose`` (v1); they are run without a shell, captured and audited.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from dockerforge_tui.core.errors import NotFoundError, UsageError
from dockerforge_tui.services.audit import ActionTarget, AuditLog
from dockerforge_tui.services.docker.api_errors import ApiSource, client_of, engine_call
from dockerforge_tui.services.docker.models import COMPOSE_PROJECT_LABEL, COMPOSE_SERVICE_LABEL
from dockerforge_tui.services.external_commands import DEFAULT_TIMEOUT, CompletedAction, run_external

if TYPE_CHECKING:
    from dockerforge_tui.services.docker.endpoints import Endpoint

WORKING_DIR_LABEL = "com.docker.compose.project.working_dir"
CONFIG_FILES_LABEL = "com.docker.compose.project.config_files"
COMPOSE_V1 = "docker-compose"
"""The standalone compose v1 program, used when ``docker compose`` is missing."""

VERSION_PROBE_TIMEOUT = 10.0

DEFAULT_ENGINE_URLS = frozenset({"unix:///var/run/docker.sock", "npipe:////./pipe/docker_engine"})
"""Endpoints the docker CLI reaches without ``-H``."""

# The compose subcommand (and flags) of each verb; pull_recreate is one step on v2
# (``up --pull always``) and two on v1, whose ``up`` cannot pull.
VERB_STEPS_V2: dict[str, tuple[tuple[str, ...], ...]] = {
    "up": (("up", "-d"),),
    "down": (("down",),),
    "restart": (("restart",),),
    "stop": (("stop",),),
    "start": (("start",),),
    "pull": (("pull",),),
    "recreate": (("up", "-d", "--force-recreate"),),
    "pull_recreate": (("up", "-d", "--pull", "always", "--force-recreate"),),
}
VERB_STEPS_V1: dict[str, tuple[tuple[str, ...], ...]] = {
    **VERB_STEPS_V2,
    "pull_recreate": (("pull",), ("up", "-d", "--force-recreate")),
}
COMPOSE_VERBS: tuple[str, ...] = tuple(VERB_STEPS_V2)
# Verbs whose subcommand takes service names (down acts on the whole project).
SERVICE_VERBS = frozenset({"up", "restart", "stop", "start", "pull", "recreate", "pull_recreate"})
# v2 finds a project's containers by name alone for these, so the compose files may be gone.
NAME_ONLY_VERBS_V2 = frozenset({"down", "stop", "start", "restart"})


@dataclass(frozen=True)
class ComposeService:
    """One service of a project and its containers."""

    name: str
    containers: tuple[str, ...]
    """Container names, sorted."""
    container_ids: tuple[str, ...]
    """Ids, in the same order as ``containers``."""
    states: tuple[str, ...]
    """Each container's state (``running``, ``exited``...), in the same order."""

    @property
    def running(self) -> int:
        """How many of its containers run."""
        return sum(1 for state in self.states if state == "running")


@dataclass(frozen=True)
class ComposeProject:
    """A compose project found from its containers' labels."""

    name: str
    working_dir: str
    """The directory compose ran in (empty when the labels do not say)."""
    config_files: tuple[str, ...]
    """The compose files; relative ones (as compose v1 records them) joined to ``working_dir``."""
    services: tuple[ComposeService, ...]

    @property
    def containers(self) -> int:
        """How many containers the project has."""
        return sum(len(service.containers) for service in self.services)

    @property
    def running(self) -> int:
        """How many of its containers run."""
        return sum(service.running for service in self.services)

    @property
    def status(self) -> str:
        """``running(2), exited(1)`` style summary, like ``docker compose ls``."""
        counts: dict[str, int] = {}
        for service in self.services:
            for state in service.states:
                counts[state] = counts.get(state, 0) + 1
        return ", ".join(f"{state}({count})" for state, count in sorted(counts.items()))

    def service(self, name: str) -> ComposeService | None:
        """One service by name, or None."""
        return next((service for service in self.services if service.name == name), None)


def _config_files(value: str | None, working_dir: str) -> tuple[str, ...]:
    # compose v1 records the files as given (often relative to the working directory); v2 absolute.
    files = (part.strip() for part in (value or "").split(",") if part.strip())
    return tuple(str(Path(working_dir) / path) if working_dir and not Path(path).is_absolute() else path
                 for path in files)


def list_compose_projects(source: ApiSource) -> tuple[ComposeProject, ...]:
    """Every compose project with at least one container (running or not), by name; one list call."""
    api = client_of(source)
    with engine_call("list", "compose projects"):
        entries = api.containers(all=True, filters={"label": COMPOSE_PROJECT_LABEL})
    grouped: dict[str, dict[str, list[tuple[str, str, str]]]] = {}
    places: dict[str, tuple[str, tuple[str, ...]]] = {}
    for entry in entries:
        labels = entry.get("Labels") or {}
        project = labels.get(COMPOSE_PROJECT_LABEL)
        if not project:
            continue
        names = entry.get("Names") or []
        name = names[0].lstrip("/") if names else entry.get("Id", "")[:12]
        service = labels.get(COMPOSE_SERVICE_LABEL) or "(unknown)"
        grouped.setdefault(project, {}).setdefault(service, []).append((name, entry.get("Id", ""),
                                                                        entry.get("State") or "unknown"))
        working_dir, files = places.get(project, ("", ()))
        working_dir = working_dir or labels.get(WORKING_DIR_LABEL, "")
        places[project] = (working_dir, files or _config_files(labels.get(CONFIG_FILES_LABEL), working_dir))
    projects = []
    for project, services in sorted(grouped.items()):
        working_dir, files = places[project]
        projects.append(ComposeProject(
            name=project, working_dir=working_dir, config_files=files,
            services=tuple(
                ComposeService(name=service, containers=tuple(item[0] for item in members),
                               container_ids=tuple(item[1] for item in members),
                               states=tuple(item[2] for item in members))
                for service, members in ((service, sorted(members)) for service, members in sorted(services.items()))
            ),
        ))
    return tuple(projects)


@dataclass(frozen=True)
class ComposeFlavour:
    """Which compose CLI runs commands here."""

    version: str
    """``v2`` (the docker CLI plugin) or ``v1`` (standalone ``docker-compose``)."""
    prefix: tuple[str, ...]
    """``("docker", "compose")`` or ``("docker-compose",)``."""


@lru_cache(maxsize=8)
def compose_flavour(docker_cli: str = "docker", compose_v1: str = COMPOSE_V1) -> ComposeFlavour:
    """Find the compose CLI once per process: ``docker compose`` when ``docker compose version`` works, else v1.

    Raises :class:`NotFoundError` when neither is installed.
    """
    try:
        probe = subprocess.run([docker_cli, "compose", "version"], capture_output=True, text=True,
                               timeout=VERSION_PROBE_TIMEOUT, stdin=subprocess.DEVNULL, check=False)
        if probe.returncode == 0:
            return ComposeFlavour("v2", (docker_cli, "compose"))
    except (OSError, subprocess.TimeoutExpired):
        pass
    found = shutil.which(compose_v1)
    if found:
        return ComposeFlavour("v1", (compose_v1,))
    raise NotFoundError("no compose CLI: neither 'docker compose' nor 'docker-compose' runs here",
                        hint="install the docker compose plugin (Debian: docker-compose-plugin) or docker-compose")


def cli_host_flags(endpoint: "Endpoint | str | None") -> list[str]:
    """``-H URL`` (and TLS flags) for the docker CLI when the engine is not the CLI's default."""
    if endpoint is None:
        return []
    url = endpoint if isinstance(endpoint, str) else endpoint.url
    if url in DEFAULT_ENGINE_URLS:
        return []
    flags = ["-H", url]
    tls = None if isinstance(endpoint, str) else endpoint.tls
    if tls is not None:
        flags.append("--tlsverify" if tls.verify else "--tls")
        for flag, path in (("--tlscacert", tls.ca_cert), ("--tlscert", tls.client_cert), ("--tlskey", tls.client_key)):
            if path:
                flags += [flag, path]
    return flags


def compose_commands(project: ComposeProject, verb: str, *, services: Sequence[str] = (),
                     remove_volumes: bool = False, docker_cli: str = "docker", compose_v1: str = COMPOSE_V1,
                     endpoint: "Endpoint | str | None" = None,
                     flavour: ComposeFlavour | None = None) -> tuple[tuple[str, ...], ...]:
    """The argv of each step of ``verb`` on ``project``: one step, or two for ``pull_recreate`` on v1.

    Every argv names the project (``-p``), its files (``-f``) and directory
    (``--project-directory``), and the engine (``-H``) when it is not the CLI's default.
    ``verb`` is one of :data:`COMPOSE_VERBS`; ``services`` narrows it to some services;
    ``remove_volumes`` adds ``-v`` to ``down``. Raises :class:`UsageError` for an unknown
    verb and :class:`NotFoundError` when the project's compose files are not on this machine.
    """
    if verb not in VERB_STEPS_V2:
        raise UsageError(f"unknown compose action {verb!r}", hint=f"use one of: {', '.join(COMPOSE_VERBS)}")
    flavour = flavour or compose_flavour(docker_cli, compose_v1)
    files = tuple(project.config_files)
    missing = [path for path in files if not Path(path).is_file()]
    if missing or not files:
        if flavour.version == "v2" and verb in NAME_ONLY_VERBS_V2:
            files = ()
        else:
            where = ", ".join(missing) or "(the containers do not name them)"
            raise NotFoundError(f"the compose files of project {project.name} are not here: {where}",
                                hint="run compose where the files are, or recreate the project from its files")
    # v2 is a docker CLI plugin: the engine flags go before "compose"; v1 takes the same flags itself.
    head = [flavour.prefix[0], *cli_host_flags(endpoint), *flavour.prefix[1:]]
    head += ["-p", project.name]
    for path in files:
        head += ["-f", path]
    if files and project.working_dir:
        head += ["--project-directory", project.working_dir]
    table = VERB_STEPS_V2 if flavour.version == "v2" else VERB_STEPS_V1
    steps = []
    for step in table[verb]:
        argv = [*head, *step]
        if verb == "down" and remove_volumes:
            argv.append("-v")
        if verb in SERVICE_VERBS and services:
            argv += list(services)
        steps.append(tuple(argv))
    return tuple(steps)


def compose_command(project: ComposeProject, verb: str, **options) -> list[str]:
    """The single argv of ``verb`` on ``project`` (see :func:`compose_commands` for the options).

    Raises :class:`UsageError` when the verb needs several steps with this compose
    (``pull_recreate`` on v1); use :func:`compose_commands` or ``ActionRunner.compose`` then.
    """
    steps = compose_commands(project, verb, **options)
    if len(steps) != 1:
        raise UsageError(f"compose action {verb!r} takes {len(steps)} commands with this compose",
                         hint="run the steps of compose_commands() one after another")
    return list(steps[0])


def step_name(argv: Sequence[str]) -> str:
    """The compose subcommand of an argv made by :func:`compose_commands` (``up``, ``down``...)."""
    known = {step[0] for steps in VERB_STEPS_V1.values() for step in steps}
    return next((part for part in argv if part in known), "command")


def run_compose(argv: Sequence[str], audit: AuditLog | None, *, project: str = "", endpoint: str = "",
                readonly: bool = False, timeout: float = DEFAULT_TIMEOUT,
                cwd: Path | str | None = None) -> CompletedAction:
    """Run one compose argv (no shell), capture its output and audit it as ``compose <step>`` on ``project``.

    A non-zero exit is returned (see ``CompletedAction.ok``) and audited as an error;
    read-only mode refuses with :class:`ReadOnlyError`.
    """
    target = ActionTarget("compose project", project or _project_of(argv), project or _project_of(argv))
    return run_external(argv, audit=audit, verb=f"compose {step_name(argv)}", target=target, endpoint=endpoint,
                        readonly=readonly, timeout=timeout, cwd=cwd)


def _project_of(argv: Sequence[str]) -> str:
    for flag, value in zip(argv, argv[1:], strict=False):
        if flag == "-p":
            return value
    return ""
