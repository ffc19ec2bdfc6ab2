"""Compose projects from container labels, and compose commands run for real (never pulling)."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import pytest

from dockerforge_tui.core.errors import NotFoundError, UsageError
from dockerforge_tui.services.audit import AuditLog, ReadOnlyError
from dockerforge_tui.services.docker.compose import (
    ComposeFlavour, ComposeProject, ComposeService, compose_command, compose_commands, compose_flavour,
    list_compose_projects, run_compose,
)
from dockerforge_tui.services.docker.container_actions import ActionRunner
from tests.support.images import BUSYBOX_IMAGE

pytestmark = pytest.mark.docker

V1 = ComposeFlavour("v1", ("docker-compose",))
V2 = ComposeFlavour("v2", ("docker", "compose"))

# Two services, one scaled to two containers; SIGKILL stops them at once (sleep ignores SIGTERM).
COMPOSE_FILE = f"""\
version: "2.4"
services:
  web:
    image: {BUSYBOX_IMAGE}
    command: ["sleep", "300"]
    stop_signal: SIGKILL
    labels:
      dockerforge.test: "1"
  worker:
    image: {BUSYBOX_IMAGE}
    command: ["sleep", "300"]
    stop_signal: SIGKILL
    scale: 2
    labels:
      dockerforge.test: "1"
networks:
  default:
    labels:
      dockerforge.test: "1"
"""


def compose_base(name: str, directory: Path) -> list[str]:
    return [*compose_flavour().prefix, "-p", name, "-f", str(directory / "docker-compose.yml")]


@pytest.fixture(scope="module")
def project_dir(tmp_path_factory, docker_client):
    """A running two-service project in a tmp dir, shared by this module (tests that stop it start it
    again); always `down -v` at teardown."""
    name = f"dftest{uuid.uuid4().hex[:10]}"
    directory = tmp_path_factory.mktemp("compose") / "app"
    directory.mkdir()
    (directory / "docker-compose.yml").write_text(COMPOSE_FILE)
    base = compose_base(name, directory)
    try:
        up = subprocess.run([*base, "up", "-d", "--no-build"], cwd=directory, capture_output=True, text=True,
                            timeout=120)
        assert up.returncode == 0, up.stderr
        yield name, directory
    finally:
        subprocess.run([*base, "down", "-v", "-t", "1"], cwd=directory, capture_output=True, text=True, timeout=120)


def find(api, name: str) -> ComposeProject:
    (project,) = [project for project in list_compose_projects(api) if project.name == name]
    return project


def test_projects_are_read_from_labels(docker_client, project_dir):
    name, directory = project_dir
    project = find(docker_client.api, name)
    assert project.working_dir == str(directory)
    assert project.config_files == (str(directory / "docker-compose.yml"),)
    assert [service.name for service in project.services] == ["web", "worker"]
    web, worker = project.services
    assert len(web.containers) == 1 and len(worker.containers) == 2
    assert worker.states == ("running", "running") and len(worker.container_ids) == 2
    assert project.containers == 3 and project.running == 3 and project.status == "running(3)"
    assert project.service("web") == web and project.service("nope") is None


def test_compose_command_names_project_files_and_directory(docker_client, project_dir):
    name, directory = project_dir
    project = find(docker_client.api, name)
    argv = compose_command(project, "restart", services=["web"])
    prefix = list(compose_flavour().prefix)
    assert argv == [*prefix, "-p", name, "-f", str(directory / "docker-compose.yml"),
                    "--project-directory", str(directory), "restart", "web"]
    down = compose_command(project, "down", remove_volumes=True, services=["web"], flavour=V2)
    assert down[:2] == ["docker", "compose"] and down[-2:] == ["down", "-v"]  # down takes no services


def test_pull_recreate_is_one_step_on_v2_and_two_on_v1(docker_client, project_dir):
    project = find(docker_client.api, project_dir[0])
    (v2,) = compose_commands(project, "pull_recreate", flavour=V2, endpoint="tcp://box:2375")
    assert v2[:4] == ("docker", "-H", "tcp://box:2375", "compose")
    assert v2[-5:] == ("up", "-d", "--pull", "always", "--force-recreate")
    pull, recreate = compose_commands(project, "pull_recreate", flavour=V1)
    assert pull[-1] == "pull" and recreate[-3:] == ("up", "-d", "--force-recreate")
    with pytest.raises(UsageError, match="2 commands"):
        compose_command(project, "pull_recreate", flavour=V1)
    with pytest.raises(UsageError, match="unknown compose action"):
        compose_commands(project, "explode", flavour=V1)


def test_missing_compose_files_are_reported():
    gone = ComposeProject("ghost", "/nonexistent", ("/nonexistent/compose.yml",),
                          (ComposeService("web", ("ghost-web-1",), ("id",), ("running",)),))
    with pytest.raises(NotFoundError, match="compose files of project ghost are not here"):
        compose_commands(gone, "up", flavour=V1)
    # v2 can stop or take down a project by name alone
    assert compose_commands(gone, "down", flavour=V2) == (("docker", "compose", "-p", "ghost", "down"),)


def test_compose_actions_run_for_real_and_are_audited(docker_client, project_dir, tmp_path):
    name, directory = project_dir
    audit = AuditLog(tmp_path / "audit.jsonl")
    project = find(docker_client.api, name)
    done = run_compose(compose_command(project, "stop", services=["web"]), audit, project=name, endpoint="local")
    assert done.ok, done.stderr
    assert find(docker_client.api, name).service("web").states == ("exited",)
    (record,) = audit.tail(5)
    assert (record.verb, record.target_kind, record.target_name, record.outcome) == \
        ("compose stop", "compose project", name, "ok")
    assert dict(record.params)["argv"][-2:] == ["stop", "web"]

    failed = run_compose([*compose_flavour().prefix, "-p", name, "no-such-subcommand"], audit)
    assert not failed.ok and failed.exit_code != 0 and failed.output
    assert audit.tail(1)[0].outcome == "error" and audit.tail(1)[0].target_name == name

    readonly = ActionRunner(docker_client.api, audit, readonly=True, endpoint_label="local")
    with pytest.raises(ReadOnlyError, match=f"refusing to compose up {name}"):
        readonly.compose(project, "up")
    assert find(docker_client.api, name).service("web").states == ("exited",)

    runner = ActionRunner(docker_client.api, audit, endpoint_label="local")
    done = runner.compose(project, "up")  # also leaves the shared project running for the other tests
    assert done.ok, done.stderr
    assert find(docker_client.api, name).running == 3
    assert [(r.verb, r.outcome) for r in audit.tail(2)] == [("compose up", "refused"), ("compose up", "ok")]
