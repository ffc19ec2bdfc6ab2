"""The fix workflow against the real engine: OOM kills, port clashes, failing steps, dry runs, rollbacks."""

from __future__ import annotations

import socket
import subprocess
import time
import uuid
from dataclasses import replace

import pytest
from docker.types import Mount

from dockerforge_tui.core.errors import DockerAPIError, UsageError
from dockerforge_tui.services.audit import AuditLog, ReadOnlyError
from dockerforge_tui.services.fixes import (
    ContainerChanges, FixEngine, FixService, FixStore, Recreate, Restart, ScaleService, Stop, UpdateResources,
    VerificationPlan,
    manual_proposal, verify,
)
from dockerforge_tui.services.logs import detect
from tests.support.containers import SESSION_ID, unique_name
from tests.support.containers import test_labels as suite_labels
from tests.support.images import BUSYBOX_IMAGE

pytestmark = pytest.mark.docker

MIB = 1024 * 1024
# Holds 48 MiB for a moment: killed for memory under a 32 MiB limit, fine under the 256 MiB a fix sets.
# PID 1 traps TERM (acted on once the pipeline ends) so a stop or a restart is quick.
OOM_COMMAND = "trap 'exit 0' TERM; head -c 48m /dev/zero | tail -c 48m >/dev/null && { sleep 300 & wait; }"
TERMINABLE = "trap 'exit 0' TERM; sleep 300 & wait"
# What a rollback must bring back exactly.
CONFIG_FIELDS = ("Image", "Cmd", "Entrypoint", "Env", "Labels", "Hostname", "WorkingDir", "User", "ExposedPorts")
# Binds are compared through the mounts they make: a recreate names the anonymous volumes it keeps
# ("-v /more" becomes "<volume>:/more", the same volume).
HOST_FIELDS = ("Memory", "MemorySwap", "NanoCpus", "RestartPolicy", "PortBindings", "NetworkMode", "Privileged",
               "CapAdd", "Devices", "Tmpfs")


class FakeClock:
    """Seconds that pass only when the verification sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def by_name(docker_client):
    """Names to force-remove at teardown: a recreated container has a new id the factory does not know."""
    names: list[str] = []
    yield names
    for name in names:
        subprocess.run(["docker", "rm", "-f", "-v", name], capture_output=True, check=False)


@pytest.fixture
def audit(tmp_path):
    return AuditLog(tmp_path / "audit.jsonl")


@pytest.fixture
def service(docker_client, tmp_path, audit):
    clock = FakeClock()
    return FixService(FixStore(tmp_path / "fixes.json"), FixEngine(docker_client.api, audit=audit),
                      clock=clock, sleep=clock.sleep, running_seconds=3.0)


def wait_for(predicate, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def inspect(docker_client, name: str) -> dict:
    return docker_client.api.inspect_container(name)


def settings_of(inspected: dict) -> dict:
    config, host = inspected["Config"], inspected["HostConfig"]
    return {
        "name": inspected["Name"], "image_id": inspected["Image"],
        **{f"Config.{key}": config.get(key) for key in CONFIG_FIELDS},
        **{f"HostConfig.{key}": host.get(key) for key in HOST_FIELDS},
        "networks": sorted(inspected["NetworkSettings"]["Networks"]),
        "mounts": sorted((mount["Type"], mount["Destination"], mount.get("Name") or mount["Source"], mount["RW"])
                         for mount in inspected.get("Mounts") or ()),
    }


def free_host_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def oom_killed(docker_client, containers, by_name):
    """A container killed for memory, with env, labels, a port, a tmpfs and two networks to carry over."""
    network = docker_client.networks.create(unique_name("dfnet"), labels=suite_labels())
    made = []

    def make():
        container = containers.run(f"echo kept > /data/file; echo kept > /more/file; {OOM_COMMAND}",
                                   mem_limit="32m", environment={"MODE": "test"},
                                   labels={"team": "fixes"}, ports={"80/tcp": None}, tmpfs={"/scratch": ""},
                                   network=network.name, mounts=[Mount("/data", None, type="volume")],
                                   volumes=["/more"])
        by_name.append(container.name)
        made.append(container.name)
        wait_for(lambda: inspect(docker_client, container.name)["State"]["Status"] == "exited")
        docker_client.networks.get("bridge").connect(container.name)
        state = inspect(docker_client, container.name)["State"]
        assert state["OOMKilled"], state
        return container.name

    yield make
    for name in made:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)
    network.remove()


@pytest.mark.slow
def test_an_oom_killed_container_gets_more_memory_through_recreate_and_rolls_back_exactly(
        docker_client, service, oom_killed, audit):
    name = oom_killed()
    before = inspect(docker_client, name)
    events = []
    service.subscribe(events.append)
    proposals = service.propose_for(name)
    assert [proposal.source.rule_id for proposal in proposals] == ["oom.update_memory", "oom.recreate_memory"]
    recreate = proposals[1]
    assert recreate.risk == "medium" and "+HostConfig.Memory: 268435456" in recreate.preview
    assert service.propose_for(name)[1].id == recreate.id  # proposing again does not duplicate

    steps: list[str] = []
    result = service.apply(recreate, on_progress=steps.append)
    assert result.ok and result.proposal.status == "succeeded", result
    after = inspect(docker_client, name)
    assert after["Id"] != before["Id"] and after["State"]["Running"]
    assert after["HostConfig"]["Memory"] == 256 * MIB and after["HostConfig"]["MemorySwap"] == 512 * MIB
    changed = {key for key, value in settings_of(after).items() if settings_of(before)[key] != value}
    assert changed == {"HostConfig.Memory", "HostConfig.MemorySwap"}
    assert after["HostConfig"]["Tmpfs"] == {"/scratch": ""}
    # The anonymous volumes, and their files, are the old container's.
    assert docker_client.containers.get(name).exec_run("cat /data/file /more/file").output == b"kept\nkept\n"
    assert any("creating the new" in step for step in steps) and steps[-1].startswith("verification: verified")
    assert not [entry for entry in docker_client.containers.list(all=True) if "dockerforge-old" in entry.name]
    assert {record.verb for record in audit.tail(20)} >= {"fix rename", "fix create", "fix connect", "fix start",
                                                           "fix remove"}

    rolled_back = service.rollback(recreate.id)
    restored = inspect(docker_client, name)
    assert rolled_back.status == "rolled_back"
    assert settings_of(restored) == settings_of(before)
    assert restored["State"]["Status"] == "created"  # it was not running before the fix either
    assert [event.kind for event in events] == ["proposed", "proposed", "applied", "succeeded", "rolled_back"]
    assert service.store.success_rates()["category"][0].succeeded == 1


@pytest.mark.slow
def test_an_oom_killed_container_gets_more_memory_in_place_and_rolls_back(docker_client, service, oom_killed):
    name = oom_killed()
    before = inspect(docker_client, name)
    update = service.propose_for(name)[0]
    assert update.risk == "low" and "Memory: 32MiB -> 256MiB" in update.preview
    result = service.apply(update.id)
    assert result.ok and result.proposal.status == "succeeded"
    after = inspect(docker_client, name)
    assert after["Id"] == before["Id"] and after["State"]["Running"]  # (OOMKilled outlives a restart)
    assert after["HostConfig"]["Memory"] == 256 * MIB
    service.rollback(update.id)
    restored = inspect(docker_client, name)
    assert settings_of(restored) == settings_of(before) and not restored["State"]["Running"]


@pytest.mark.slow
def test_a_port_clash_is_resolved_by_moving_the_port_or_stopping_the_holder(docker_client, containers, service,
                                                                            by_name):
    port = free_host_port()
    holder = containers.run(TERMINABLE, ports={"80/tcp": port})
    name = unique_name()
    by_name.append(name)
    victim = docker_client.containers.create(BUSYBOX_IMAGE, ["sh", "-c", TERMINABLE], name=name,
                                             labels=suite_labels(), ports={"8000/tcp": port})
    with pytest.raises(Exception, match="already allocated|address already in use"):
        victim.start()

    free, move = service.propose_for(name)
    assert free.source.rule_id == "port.free_port" and free.containers == (name, holder.name)
    (recreate,) = move.operations
    new_port = recreate.changes.ports[0].host_port
    assert recreate.changes.ports[0].container_port == 8000 and new_port != port

    assert service.apply(move).proposal.status == "succeeded"
    moved = inspect(docker_client, name)
    assert moved["State"]["Running"]
    assert moved["HostConfig"]["PortBindings"]["8000/tcp"][0]["HostPort"] == str(new_port)
    assert inspect(docker_client, holder.name)["State"]["Running"]
    service.rollback(move.id)
    assert inspect(docker_client, name)["HostConfig"]["PortBindings"]["8000/tcp"][0]["HostPort"] == str(port)

    assert service.apply(free).proposal.status == "succeeded"
    assert inspect(docker_client, name)["State"]["Running"]
    assert not inspect(docker_client, holder.name)["State"]["Running"]
    service.rollback(free.id)  # the holder runs again, the victim is stopped as it was
    assert inspect(docker_client, holder.name)["State"]["Running"]
    assert not inspect(docker_client, name)["State"]["Running"]


def test_a_failing_step_rolls_back_the_steps_before_it(docker_client, containers, service, by_name, audit):
    container = containers.run(TERMINABLE)
    by_name.append(container.name)
    before = inspect(docker_client, container.name)
    events = []
    service.subscribe(events.append)
    # The engine refuses a memory limit under 6 MB when the new container is created: after the stop,
    # the rename and the failed create, everything goes back.
    proposal = service.store.save(manual_proposal(container.name, [
        Stop(container.name, timeout=5), Recreate(container.name, ContainerChanges(memory=MIB))], "doomed"))
    steps: list[str] = []
    result = service.apply(proposal, on_progress=steps.append)
    assert isinstance(result.error, DockerAPIError) and result.rollback_error is None
    assert not result.ok and result.proposal.status == "rolled_back"
    assert [change.status for change in result.proposal.history][-2:] == ["failed", "rolled_back"]
    restored = inspect(docker_client, container.name)
    assert restored["Id"] == before["Id"] and restored["State"]["Running"]
    assert any("rolling back" in step for step in steps)
    assert any("renaming" in step and "back" in step for step in steps)
    assert [event.kind for event in events] == ["failed"] and "step 2" in events[0].message
    assert {record.outcome for record in audit.tail(20) if record.verb == "fix create"} == {"error"}


def test_a_dry_run_changes_nothing(docker_client, containers, service, audit, by_name):
    container = containers.run(TERMINABLE)
    before = inspect(docker_client, container.name)
    proposal = service.store.save(manual_proposal(container.name, [
        Recreate(container.name, ContainerChanges(memory=64 * MIB, env_set=(("API_KEY", "s3cr3t-value"),)))],
        "more memory"))
    result = service.apply(proposal, dry_run=True)
    assert result.dry_run and result.ok and result.steps[0].startswith("1a. stop")
    assert "+HostConfig.Memory: 67108864" in result.proposal.preview and "s3cr3t-value" not in result.proposal.preview
    after = inspect(docker_client, container.name)
    assert (after["Id"], after["HostConfig"]["Memory"], after["State"]["StartedAt"]) == (
        before["Id"], before["HostConfig"]["Memory"], before["State"]["StartedAt"])
    assert service.store.get(proposal.id).status == "proposed"
    assert service.store.rollback_data(proposal.id) is None
    assert not audit.tail(5)


def test_read_only_mode_refuses_and_leaves_the_container_alone(docker_client, containers, tmp_path, audit):
    container = containers.run(TERMINABLE)
    before = inspect(docker_client, container.name)["State"]["StartedAt"]
    service = FixService(FixStore(tmp_path / "ro.json"), FixEngine(docker_client.api, audit=audit, readonly=True))
    proposal = service.store.save(manual_proposal(container.name, [Restart(container.name)], "restart"))
    with pytest.raises(ReadOnlyError):
        service.apply(proposal)
    assert service.apply(proposal, dry_run=True).ok  # looking is allowed
    assert inspect(docker_client, container.name)["State"]["StartedAt"] == before
    assert service.store.get(proposal.id).status == "proposed"
    # A fix already being applied (by another worker or process) is not applied twice.
    service.engine.readonly = False
    service.store.claim(proposal.id, ["proposed"], "applying")
    with pytest.raises(UsageError, match="is applying"):
        service.apply(proposal)


@pytest.mark.slow
def test_a_container_that_dies_again_fails_the_verification(docker_client, containers, tmp_path):
    container = containers.run("sleep 1; exit 3")
    service = FixService(FixStore(tmp_path / "fixes.json"), FixEngine(docker_client.api), running_seconds=4.0)
    proposal = service.store.save(manual_proposal(container.name, [Restart(container.name, timeout=1)], "again"))
    result = service.apply(proposal)
    assert not result.ok and result.proposal.status == "failed"
    assert "exited (exit code 3)" in result.verification.summary
    assert service.rollback(proposal.id).status == "rolled_back"


def test_an_error_pattern_in_the_new_logs_fails_the_verification(docker_client, containers):
    line = "Error: listen EADDRINUSE: address already in use :::3000"
    pattern = detect([line])[0].pattern_id
    container = containers.run(f"echo '{line}'; {TERMINABLE}")
    wait_for(lambda: container.logs())
    engine = FixEngine(docker_client.api)
    plan = VerificationPlan((container.name,), running_seconds=0, absent_patterns=(pattern,))
    from datetime import datetime, timedelta, timezone

    earlier = datetime.now(timezone.utc) - timedelta(minutes=1)
    result = verify(engine, plan, earlier)
    assert not result.ok and f"logged {pattern} again" in result.summary
    later = datetime.now(timezone.utc) + timedelta(seconds=1)
    assert verify(engine, plan, later).ok
    assert not verify(engine, VerificationPlan(("no-such-container-" + uuid.uuid4().hex,), 0), later).ok


@pytest.mark.slow
def test_a_compose_service_is_scaled_and_scaled_back(docker_client, service, tmp_path):
    project = unique_name("dfscale")
    compose_file = tmp_path / "compose.yaml"
    compose_file.write_text(
        "version: '2.4'\nservices:\n  worker:\n    image: " + BUSYBOX_IMAGE + "\n"
        f"    command: [\"sh\", \"-c\", \"{TERMINABLE}\"]\n"
        f"    labels: {{dockerforge.test: '1', dockerforge.test.session: '{SESSION_ID}'}}\n")
    base = ["docker-compose", "-p", project, "-f", str(compose_file)]
    subprocess.run([*base, "up", "-d"], check=True, capture_output=True, timeout=120)
    try:
        proposal = manual_proposal("worker", [ScaleService(project, "worker", 2)], "scale",
                                   selection=(f"{project}/worker",))
        proposal = service.store.save(replace(proposal, verification=VerificationPlan((), 0)))
        assert service.apply(proposal).proposal.status == "succeeded"
        assert len(service.engine.service_containers(project, "worker")) == 2
        service.rollback(proposal.id)
        assert len(service.engine.service_containers(project, "worker")) == 1
    finally:
        subprocess.run([*base, "down", "-t", "1"], capture_output=True, timeout=120, check=False)


def test_a_restart_loop_gets_a_bounded_restart_policy_in_place(docker_client, containers, service):
    from dockerforge_tui.services.issues.models import ContainerRef, Observation

    container = containers.run(TERMINABLE, restart_policy={"Name": "always"}, nano_cpus=2_000_000_000)
    before = settings_of(inspect(docker_client, container.name))
    looping = Observation("state", "restart_loop", "error", "state.restart_loop",
                          ContainerRef(container.id, container.name), f"{container.name} keeps restarting", None)
    (proposal,) = service.propose_for(observation=looping)
    assert proposal.source.rule_id == "loop.restart_policy" and proposal.risk == "low"
    assert service.apply(proposal.id).ok
    host = inspect(docker_client, container.name)["HostConfig"]
    assert host["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 5} and host["NanoCpus"] == 2e9
    service.rollback(proposal.id)
    assert settings_of(inspect(docker_client, container.name)) == before



def test_a_limit_that_was_unset_is_restored_by_a_recreate(docker_client, containers, service, by_name):
    container = containers.run(TERMINABLE)
    by_name.append(container.name)
    before = settings_of(inspect(docker_client, container.name))
    proposal = service.store.save(manual_proposal(container.name, [
        UpdateResources(container.name, nano_cpus=500_000_000)], "limit the CPU"))
    assert service.apply(proposal).ok
    assert inspect(docker_client, container.name)["HostConfig"]["NanoCpus"] == 500_000_000
    steps: list[str] = []
    service.rollback(proposal.id, on_progress=steps.append)
    restored = inspect(docker_client, container.name)
    assert settings_of(restored) == before and restored["State"]["Running"]
    assert any("cannot restore" in step for step in steps)
