"""Container states and events from the real engine, and what the analyzers make of them.

Each case provokes the real thing: an OOM kill under a 16 MiB limit, a restart loop,
an exit code, a failing and a hanging health check, a host-port clash.
"""

from __future__ import annotations

import queue
import socket
import threading
import time
from datetime import datetime, timedelta, timezone

import docker.errors
import pytest

from dockerforge_tui.core.config import default_settings
from dockerforge_tui.core.errors import NotFoundError
from dockerforge_tui.services.docker.connection import connect
from dockerforge_tui.services.docker.events import read_events, stream_events
from dockerforge_tui.services.docker.states import find_port_publishers, inspect_states
from dockerforge_tui.services.issues import (
    AnalyzerSettings, EventAnalyzer, IssueStore, analyze_containers, analyze_events, analyze_states, issue_id,
)
from tests.support.containers import test_labels as suite_labels, unique_name
from tests.support.images import BUSYBOX_IMAGE

pytestmark = pytest.mark.docker

HALF_SECOND = 500_000_000


@pytest.fixture
def api(docker_client):
    with connect(default_settings().docker) as connection:
        yield connection.api


def wait_for_state(api, container_id: str, predicate, timeout: float = 20.0):
    """Poll the container's state until ``predicate`` holds; fail with the last state seen."""
    deadline = time.monotonic() + timeout
    while True:
        [state] = inspect_states(api, [container_id])
        if predicate(state):
            return state
        if time.monotonic() > deadline:
            raise AssertionError(f"state never matched within {timeout}s: {state}")
        time.sleep(0.1)


def test_oom_kill_is_seen_in_state_and_events_even_with_silent_logs(api, containers):
    since = datetime.now(timezone.utc) - timedelta(seconds=1)
    hog = containers.run("x=a; while :; do x=$x$x; done", mem_limit="16m", memswap_limit="16m")
    state = wait_for_state(api, hog.id, lambda s: s.status == "exited")
    assert state.oom_killed and state.exit_code == 137 and state.memory_limit == 16 * 1024 * 1024

    logs = api.logs(hog.id).decode().splitlines()
    analysis = analyze_containers([state], {hog.id: logs}, host_listeners=None)
    [oom] = [o for o in analysis.observations if o.category == "out_of_memory"]
    assert oom.source == "state" and oom.severity == "critical"
    assert oom.actions[0].kind == "recreate_with_memory" and oom.actions[0].param("current_memory") == 16 * 1024 * 1024

    history = read_events(api, since, container_ids=[hog.id])
    assert {"oom", "die"} <= {event.action for event in history}
    [from_event] = [o for o in analyze_events(history) if o.category == "out_of_memory"]
    assert issue_id(from_event) == issue_id(oom)  # one tracked issue, whatever saw it


def test_restart_loop_from_state_and_from_the_live_event_stream(api, containers):
    found: queue.Queue = queue.Queue()
    analyzer = EventAnalyzer(AnalyzerSettings(restart_loop_min_restarts=3))
    stream = stream_events(api)  # subscribed before the container exists: nothing is missed

    seen: list = []

    def follow() -> None:
        try:
            for event in stream:
                seen.append(event)
                for observation in analyzer.feed(event):
                    found.put(observation)
        except Exception as error:  # surfaced by the assertion below
            seen.append(error)

    follower = threading.Thread(target=follow, daemon=True)
    follower.start()
    try:
        looping = containers.run("exit 1", restart_policy={"Name": "always"})
        deadline = time.monotonic() + 20
        observation = None
        while time.monotonic() < deadline:
            try:
                candidate = found.get(timeout=0.5)
            except queue.Empty:
                continue
            if candidate.category == "restart_loop" and candidate.container.id == looping.id:
                observation = candidate
                break
        assert observation is not None, f"the event analyzer never reported the restart loop; saw {seen}"
        assert observation.source == "event" and observation.detail("restart_count") >= 3
    finally:
        stream.close()
        follower.join(timeout=5)
    assert not follower.is_alive(), "closing the stream did not end the iteration"

    state = wait_for_state(api, looping.id, lambda s: s.restart_count >= 3)
    assert state.restart_policy == "always"
    observations = analyze_states([state])
    assert "restart_loop" in [o.category for o in observations]
    loop = next(o for o in observations if o.category == "restart_loop")
    assert loop.actions[0].kind == "update_restart_policy"


def test_exit_code_three_is_a_container_exited_issue(api, containers):
    job = containers.run("echo working; exit 3")
    state = wait_for_state(api, job.id, lambda s: s.status == "exited")
    [observation] = analyze_states([state])
    assert observation.category == "container_exited" and observation.detail("exit_code") == 3
    assert observation.timestamp == state.finished_at

    # Analyzing the same state again (the next report) does not count the same exit twice.
    from dockerforge_tui.core.paths import app_paths

    store = IssueStore.for_paths(app_paths())
    assert [change.kind for change in store.record([observation])] == ["opened"]
    assert store.record(analyze_states([state])) == []
    assert store.list()[0].count == 1


def test_failing_health_check_turns_unhealthy(api, containers):
    since = datetime.now(timezone.utc) - timedelta(seconds=1)
    sick = containers.run("sleep 300", healthcheck={"test": ["CMD", "false"], "interval": HALF_SECOND, "retries": 1})
    state = wait_for_state(api, sick.id, lambda s: s.health_status == "unhealthy")
    assert state.health.failing_streak >= 1 and state.health.last_exit_code == 1
    assert state.healthcheck.test == ("CMD", "false") and state.healthcheck.interval == 0.5
    [observation] = analyze_states([state])
    assert observation.category == "unhealthy"
    assert any(r.command == f"docker exec {state.name} false" for r in observation.recommendations)

    history = read_events(api, since, container_ids=[sick.id], actions=["health_status"])
    assert any(event.health_status == "unhealthy" for event in history)
    assert "unhealthy" in [o.category for o in analyze_events(history)]


def test_a_hanging_health_check_never_becomes_healthy(api, containers):
    # The probe hangs until its 60 s timeout, so health stays "starting" long after
    # start period (0) + retries (1) x interval (0.5 s).
    stuck = containers.run("sleep 300", healthcheck={"test": ["CMD", "sleep", "60"], "interval": HALF_SECOND,
                                                     "timeout": 60 * 1_000_000_000, "retries": 1})
    state = wait_for_state(api, stuck.id, lambda s: s.is_running and s.started_at is not None)
    assert state.health_status == "starting"
    deadline = time.monotonic() + 15
    while True:
        [state] = inspect_states(api, [stuck.id])
        observations = analyze_states([state])
        if observations or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert state.health_status == "starting"
    assert [o.category for o in observations] == ["never_healthy"]
    assert observations[0].detail("limit_seconds") == 0  # 0.5 s, in whole seconds


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_host_port_clash_names_the_container_holding_the_port(api, containers, docker_client):
    port = free_port()
    holder = containers.run("sleep 300", ports={"80/tcp": ("127.0.0.1", port)})
    name = unique_name("dftest-clash")
    clashing = docker_client.containers.create(BUSYBOX_IMAGE, ["sleep", "300"], name=name, labels=suite_labels(),
                                               ports={"80/tcp": ("127.0.0.1", port)})
    try:
        with pytest.raises(docker.errors.APIError):
            clashing.start()
        states = inspect_states(api, [holder.id, clashing.id])
        failed = states[1]
        assert failed.error and str(port) in failed.error
        assert states[0].published_ports[0].public_port == port
        analysis = analyze_containers(states, host_listeners=None)
        [observation] = [o for o in analysis.observations if o.container.id == clashing.id]
        assert observation.category == "port_in_use"
        [action] = observation.actions
        assert action.kind == "free_port" and action.param("port") == port
        assert action.param("holder_container") == holder.name
        assert [state.id for state in find_port_publishers(api, port)] == [holder.id]
        assert find_port_publishers(api, free_port()) == ()
    finally:
        clashing.remove(force=True)


def test_every_container_or_a_named_one_and_a_missing_one(api, containers):
    running = containers.run("sleep 300", environment={"API_TOKEN": "s3cr3t-value"},
                             labels={"com.docker.compose.project": "shop", "com.docker.compose.service": "web",
                                     "com.docker.compose.depends_on": "db:service_started:false"})
    every = {state.id for state in inspect_states(api)}
    assert running.id in every
    [state] = inspect_states(api, [running.name])
    assert state.id == running.id and state.status == "running"
    assert "API_TOKEN" in state.env_names and "s3cr3t-value" not in repr(state)
    assert state.compose_service == "web" and state.depends_on == ("db",)
    assert any(attachment.network == "bridge" and attachment.ip_address for attachment in state.networks)
    with pytest.raises(NotFoundError) as missing:
        inspect_states(api, ["dftest-no-such-container"])
    assert missing.value.hint


def test_closing_an_idle_event_stream_from_another_thread_ends_it_at_once(api):
    stream = stream_events(api, container_ids=["dftest-nothing-happens-here"])
    ended = threading.Event()

    def follow() -> None:
        for _ in stream:
            pass
        ended.set()

    threading.Thread(target=follow, daemon=True).start()
    time.sleep(0.2)
    started = time.monotonic()
    stream.close()
    assert ended.wait(5), "the iteration kept blocking after close()"
    assert time.monotonic() - started < 5 and stream.closed


def test_state_cache_inspects_only_new_changed_or_invalidated_containers(api, containers):
    from dockerforge_tui.services.docker.states import StateCache

    quiet = containers.run("sleep 300", name=unique_name("dfcache-quiet"))
    stopping = containers.run("sleep 300", name=unique_name("dfcache-stop"))
    cache = StateCache()

    def states():
        return {state.id: state for state in cache.read(api) if state.id in (quiet.id, stopping.id)}

    first = states()
    assert set(first) == {quiet.id, stopping.id} and first[quiet.id].status == "running"
    again = states()
    # Nothing changed: the same records come back, no container was inspected again.
    assert all(again[cid] is first[cid] for cid in first)

    api.kill(stopping.id)
    wait_for_state(api, stopping.id, lambda s: s.status == "exited")
    after_stop = states()
    assert after_stop[quiet.id] is first[quiet.id]
    assert after_stop[stopping.id] is not first[stopping.id] and after_stop[stopping.id].status == "exited"

    cache.invalidate(quiet.id)  # what a lifecycle event does
    refreshed = states()
    assert refreshed[quiet.id] is not first[quiet.id] and refreshed[quiet.id].status == "running"

    stopping.remove(force=True)
    assert stopping.id not in states()
