"""Every container action through the audited runner, the detail snapshot, top, exec argv and URLs."""

from __future__ import annotations

import subprocess
import time
import uuid

import docker.errors
import pytest

from dockerforge_tui.core.errors import DockerAPIError, NotFoundError
from dockerforge_tui.services.audit import AuditLog, ReadOnlyError
from dockerforge_tui.services.docker.container_actions import (
    SHELL_PROBE, ActionRunner, container_detail, container_top, exec_shell_argv, published_urls,
)
from dockerforge_tui.services.docker.endpoints import Endpoint, TLSConfig
from tests.support.containers import unique_name

pytestmark = pytest.mark.docker

# PID 1 ignores SIGTERM unless it traps it; trapping makes stop and restart quick.
TERMINABLE = "trap 'exit 0' TERM; sleep 300 & wait"
ENDPOINT = "unix:///var/run/docker.sock"


@pytest.fixture
def audit(tmp_path):
    return AuditLog(tmp_path / "audit.jsonl")


@pytest.fixture
def runner(docker_client, audit):
    return ActionRunner(docker_client.api, audit, readonly=False, endpoint_label=ENDPOINT)


def state_of(container) -> dict:
    container.reload()
    return container.attrs["State"]


def wait_for(predicate, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_stop_start_restart(runner, audit, containers):
    container = containers.run(TERMINABLE)
    runner.stop(container.name, timeout=5)
    assert state_of(container)["Status"] == "exited"
    runner.start(container.name)
    first_start = state_of(container)["StartedAt"]
    assert state_of(container)["Status"] == "running"
    runner.restart(container.name, timeout=5)
    assert state_of(container)["Status"] == "running" and state_of(container)["StartedAt"] != first_start
    records = audit.tail(10)
    assert [(r.verb, r.outcome) for r in records] == [("stop", "ok"), ("start", "ok"), ("restart", "ok")]
    assert dict(records[0].params) == {"timeout": 5}
    assert records[0].target_kind == "container" and records[0].target_name == container.name
    assert all(r.endpoint == ENDPOINT for r in records)


def test_pause_and_unpause(runner, audit, containers):
    container = containers.run("sleep 300")
    runner.pause(container.id)
    assert state_of(container)["Status"] == "paused"
    runner.unpause(container.id)
    assert state_of(container)["Status"] == "running"
    with pytest.raises(DockerAPIError) as caught:
        runner.unpause(container.id)
    assert "not paused" in caught.value.message and caught.value.hint
    assert [r.outcome for r in audit.tail(10)] == ["ok", "ok", "error"]


def test_kill_with_a_signal_reaches_the_process(runner, audit, containers):
    container = containers.run("trap 'exit 7' HUP; sleep 300 & wait")
    time.sleep(0.3)  # let the shell install its trap
    runner.kill(container.name, signal="SIGHUP")
    assert wait_for(lambda: state_of(container)["Status"] == "exited")
    assert state_of(container)["ExitCode"] == 7
    killed = containers.run("sleep 300")
    runner.kill(killed.name)
    assert wait_for(lambda: state_of(killed)["Status"] == "exited")
    assert state_of(killed)["ExitCode"] == 137
    assert [dict(r.params)["signal"] for r in audit.tail(10)] == ["SIGHUP", "SIGKILL"]


def _anonymous_volume(container) -> str:
    container.reload()
    (mount,) = [m for m in container.attrs["Mounts"] if m["Type"] == "volume"]
    return mount["Name"]


def test_remove_with_and_without_volumes(runner, audit, containers, docker_client):
    keep = containers.run("sleep 300", volumes=["/data"])
    kept_volume = _anonymous_volume(keep)
    try:
        with pytest.raises(DockerAPIError) as caught:
            runner.remove(keep.name)  # running, no force
        assert "force" in caught.value.hint
        runner.remove(keep.name, force=True)
        with pytest.raises(docker.errors.NotFound):
            docker_client.containers.get(keep.id)
        docker_client.volumes.get(kept_volume)  # without volumes=True the anonymous volume stays
    finally:
        try:
            docker_client.volumes.get(kept_volume).remove(force=True)
        except docker.errors.NotFound:
            pass

    drop = containers.run("sleep 300", volumes=["/data"])
    dropped_volume = _anonymous_volume(drop)
    runner.remove(drop.name, force=True, volumes=True)
    with pytest.raises(docker.errors.NotFound):
        docker_client.volumes.get(dropped_volume)
    records = audit.tail(10)
    assert [(r.verb, r.outcome) for r in records] == [("remove", "error"), ("remove", "ok"), ("remove", "ok")]
    assert dict(records[-1].params) == {"force": True, "volumes": True}


def test_rename_and_name_clash(runner, audit, containers, docker_client):
    container = containers.run("sleep 300")
    other = containers.run("sleep 300")
    new_name = unique_name("dfrenamed")
    runner.rename(container.id, new_name)
    assert docker_client.containers.get(container.id).name == new_name
    with pytest.raises(DockerAPIError) as caught:
        runner.rename(container.id, other.name)
    assert "choose another name" in caught.value.hint
    records = audit.tail(10)
    assert dict(records[0].params) == {"new_name": new_name} and records[0].ok
    assert records[1].outcome == "error" and other.name in records[1].message


def test_missing_container_is_not_found_and_audited(runner, audit):
    name = f"dftest-missing-{uuid.uuid4().hex[:8]}"
    with pytest.raises(NotFoundError) as caught:
        runner.start(name)
    assert caught.value.message.startswith(f"cannot start container {name}: it does not exist")
    (record,) = audit.tail(5)
    assert record.outcome == "error" and record.target_name == name


def test_readonly_runner_refuses_every_action_and_audits_it(docker_client, audit, containers):
    container = containers.run("sleep 300")
    readonly = ActionRunner(docker_client.api, audit, readonly=True, endpoint_label=ENDPOINT)
    detail = container_detail(docker_client.api, container.id)
    with pytest.raises(ReadOnlyError) as caught:
        readonly.stop(detail)
    assert caught.value.message == f"read-only mode: refusing to stop {container.name}"
    assert "--readonly" in caught.value.hint
    for action in (lambda: readonly.start(detail), lambda: readonly.restart(detail), lambda: readonly.pause(detail),
                   lambda: readonly.unpause(detail), lambda: readonly.kill(detail, "SIGTERM"),
                   lambda: readonly.remove(detail, force=True), lambda: readonly.rename(detail, "x"),
                   lambda: readonly.remove_image("dockerforge-test/busybox:latest"),
                   lambda: readonly.prune_images("dangling"), lambda: readonly.remove_volume("v"),
                   lambda: readonly.prune_volumes(), lambda: readonly.remove_network("n"),
                   lambda: readonly.prune_networks()):
        with pytest.raises(ReadOnlyError):
            action()
    assert state_of(container)["Status"] == "running"  # nothing happened
    records = audit.tail(50)
    assert len(records) == 14 and all(r.outcome == "refused" for r in records)
    assert records[0].target_id == container.id and records[0].target_name == container.name


def test_container_detail_snapshot(docker_client, containers):
    container = containers.run(
        "sleep 300", environment={"GREETING": "hello=world", "EMPTY": ""}, user="1000:1000",
        ports={"8080/tcp": None}, volumes=["/data"], restart_policy={"Name": "on-failure", "MaximumRetryCount": 3},
        healthcheck={"test": ["CMD", "true"], "interval": 1_000_000_000, "retries": 2},
        labels={"tier": "edge"}, working_dir="/tmp",
    )
    detail = container_detail(docker_client.api, container.name)
    assert detail.id == container.id and detail.name == container.name
    assert detail.state == "running" and detail.is_running and detail.pid > 0
    assert ("GREETING", "hello=world") in detail.env and ("EMPTY", "") in detail.env
    assert detail.user == "1000:1000" and detail.working_dir == "/tmp"
    assert detail.command == ("sh", "-c", "sleep 300") and detail.entrypoint == ()
    assert detail.restart_policy.name == "on-failure" and detail.restart_policy.max_retries == 3
    assert detail.healthcheck.test == ("CMD", "true") and detail.healthcheck.interval == 1.0
    assert detail.label("tier") == "edge"
    (mount,) = detail.mounts
    assert mount.type == "volume" and mount.destination == "/data" and mount.read_write
    port = detail.ports[0]  # one binding per host address family (0.0.0.0 and ::), same host port
    assert {(p.container_port, p.protocol, p.host_port) for p in detail.ports} == {(8080, "tcp", port.host_port)}
    assert port.host_port and port.published
    assert detail.networks and detail.networks[0].name == "bridge" and detail.networks[0].ip
    assert published_urls(detail) == (f"http://localhost:{port.host_port}",)
    # the raw snapshot is a private copy
    data = detail.inspect_data()
    data["Config"]["Env"].clear()
    assert detail.raw["Config"]["Env"] and '"Id"' in detail.inspect_json()


def test_published_urls_dedupe_and_use_the_engine_host(docker_client, containers):
    container = containers.run("sleep 300", ports={"80/tcp": [("0.0.0.0", None), ("::", None)], "53/udp": None,
                                                   "81/tcp": ("127.0.0.1", None)})
    detail = container_detail(docker_client.api, container.id)
    urls = published_urls(detail, host="docker.example")
    web = [p.host_port for p in detail.ports if p.container_port == 80][0]
    local = [p.host_port for p in detail.ports if p.container_port == 81][0]
    assert f"http://docker.example:{web}" in urls and f"http://127.0.0.1:{local}" in urls
    assert len(urls) == len(set(urls)) and not any("53" == url.rsplit(":", 1)[1] for url in urls)


def test_container_top_lists_processes_and_refuses_a_stopped_container(docker_client, containers):
    container = containers.run("sleep 300")
    table = container_top(docker_client.api, container.id)
    assert "PID" in table.titles and "CMD" in table.titles
    assert any("sleep 300" in command for command in table.column("CMD"))
    assert table.column("nope") == ()
    stopped = containers.run("true")
    stopped.wait(timeout=10)
    with pytest.raises(DockerAPIError) as caught:
        container_top(docker_client.api, stopped.id)
    assert "not running" in caught.value.message and caught.value.hint == "start the container first"


def test_exec_shell_argv_runs_a_shell_as_the_configured_user(docker_client, containers):
    container = containers.run("sleep 300", user="1234:1234")
    detail = container_detail(docker_client.api, container.id)
    argv = exec_shell_argv(detail)
    assert argv == ["docker", "exec", "-it", "-u", "1234:1234", container.id, "sh", "-c", SHELL_PROBE]
    # The same argv without a terminal (-i instead of -it) really opens a shell as that user.
    piped = [part if part != "-it" else "-i" for part in argv]
    done = subprocess.run(piped, input="id -u\nexit\n", capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1234"


def test_exec_shell_argv_names_a_non_default_engine():
    plain = exec_shell_argv("web", endpoint=ENDPOINT)
    assert plain[:3] == ["docker", "exec", "-it"] and "-u" not in plain
    remote = exec_shell_argv("web", docker_cli="/usr/bin/docker", endpoint="ssh://me@box")
    assert remote[:4] == ["/usr/bin/docker", "-H", "ssh://me@box", "exec"]
    tls = Endpoint("tcp://box:2376", "DOCKER_HOST", tls=TLSConfig(True, "/c/ca.pem", "/c/cert.pem", "/c/key.pem"))
    assert exec_shell_argv("web", endpoint=tls, user="app")[:12] == [
        "docker", "-H", "tcp://box:2376", "--tlsverify", "--tlscacert", "/c/ca.pem", "--tlscert", "/c/cert.pem",
        "--tlskey", "/c/key.pem", "exec", "-it"]


def test_runner_accepts_an_engine_connection_and_labels_records_with_its_endpoint(audit, containers):
    from dockerforge_tui.core.config import default_settings
    from dockerforge_tui.services.docker.connection import connect

    container = containers.run(TERMINABLE)
    with connect(default_settings().docker) as connection:
        runner = ActionRunner(connection, audit)
        runner.stop(container.name, timeout=5)
        assert container_detail(connection, container.id).state == "exited"
    (record,) = audit.tail(5)
    assert record.endpoint == connection.endpoint.url and record.ok
