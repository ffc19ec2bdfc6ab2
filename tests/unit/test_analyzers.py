"""State, event and log analyzers: pure functions over records built from real inspect/event shapes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from dockerforge_tui.services.docker.events import event_from_raw
from dockerforge_tui.services.docker.states import parse_depends_on, state_from_inspect
from dockerforge_tui.services.issues import (
    AnalyzerSettings, ContainerRef, EventAnalyzer, analyze_containers, analyze_events, analyze_states,
    issue_id, observations_from_log,
)
from dockerforge_tui.services.issues.catalog import STATE_CATEGORIES, catalog
from dockerforge_tui.services.logs import detect
from dockerforge_tui.services.logs.settings import detection_settings

NOW = datetime(2024, 3, 1, 12, 0, tzinfo=timezone.utc)
MIB = 1024 * 1024


def engine_time(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f000Z") if moment else "0001-01-01T00:00:00Z"


def inspect_doc(name: str, *, status: str = "running", exit_code: int = 0, oom: bool = False, restarts: int = 0,
                policy: str = "no", health: dict | None = None, healthcheck: dict | None = None,
                labels: dict | None = None, started: datetime | None = NOW - timedelta(hours=1),
                finished: datetime | None = None, error: str = "", memory: int = 0, ports: dict | None = None,
                networks: dict | None = None) -> dict[str, Any]:
    """A document shaped like the engine's GET /containers/{id}/json."""
    state: dict[str, Any] = {"Status": status, "Running": status == "running", "ExitCode": exit_code,
                             "OOMKilled": oom, "Error": error, "StartedAt": engine_time(started),
                             "FinishedAt": engine_time(finished)}
    if health is not None:
        state["Health"] = health
    return {
        "Id": (name.encode().hex() * 64)[:64], "Name": f"/{name}", "RestartCount": restarts,
        "Created": engine_time(NOW - timedelta(days=1)), "State": state,
        "Config": {"Image": "busybox", "Labels": labels or {}, "Env": ["PATH=/bin", "DB_PASSWORD=hunter2"],
                   "Healthcheck": healthcheck, "Hostname": "abc123"},
        "HostConfig": {"Memory": memory, "RestartPolicy": {"Name": policy, "MaximumRetryCount": 0}},
        "NetworkSettings": {"Ports": ports or {}, "Networks": networks or {}},
    }


def state(name: str, **kwargs):
    return state_from_inspect(inspect_doc(name, **kwargs))


def categories(observations):
    return [observation.category for observation in observations]


# --- the state record ---------------------------------------------------------------------------------------


def test_state_record_reads_every_field_and_never_env_values():
    record = state_from_inspect(inspect_doc(
        "shop-web-1", memory=64 * MIB, policy="always", restarts=2,
        labels={"com.docker.compose.project": "shop", "com.docker.compose.service": "web",
                "com.docker.compose.depends_on": "db:service_healthy:false,cache:service_started:true"},
        ports={"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}], "443/tcp": None},
        networks={"shop_default": {"Aliases": ["web", "shop-web-1"], "IPAddress": "172.18.0.3"}},
        healthcheck={"Test": ["CMD-SHELL", "wget -q localhost"], "Interval": 2_000_000_000, "Retries": 2},
        health={"Status": "healthy", "FailingStreak": 0, "Log": [{"End": engine_time(NOW), "ExitCode": 0,
                                                                    "Output": "ok\n"}]}))
    assert record.compose_project == "shop" and record.compose_service == "web"
    assert record.depends_on == ("db", "cache")
    assert record.memory_limit == 64 * MIB and record.restart_policy == "always" and record.restart_count == 2
    assert [(p.private_port, p.public_port) for p in record.ports] == [(80, 8080), (443, None)]
    assert record.networks[0].aliases == ("web", "shop-web-1") and record.networks[0].ip_address == "172.18.0.3"
    assert record.env_names == ("DB_PASSWORD", "PATH")
    assert "hunter2" not in repr(record)
    assert record.health.status == "healthy" and record.health.last_output == "ok"
    assert record.healthcheck.interval == 2.0 and record.healthcheck.retries == 2
    assert record.healthcheck.timeout == 30.0  # the engine's default for 0
    assert record.healthcheck.expected_healthy_within == 4.0
    assert {"web", "shop-web-1", "abc123"} <= record.aliases


def test_depends_on_label_parsing():
    assert parse_depends_on("db:service_healthy:false, cache:service_started:true,db:x:y") == ("db", "cache")
    assert parse_depends_on(None) == () and parse_depends_on("") == ()


# --- snapshot analyzer ------------------------------------------------------------------------------------


def test_oom_killed_container_is_reported_with_a_memory_action():
    killed = state("api", status="exited", exit_code=137, oom=True, memory=512 * MIB, finished=NOW - timedelta(minutes=1))
    [observation] = analyze_states([killed], NOW)
    assert observation.category == "out_of_memory" and observation.severity == "critical"
    assert observation.source == "state" and observation.timestamp == NOW - timedelta(minutes=1)
    assert observation.detail("memory_limit") == 512 * MIB
    [action] = observation.actions
    assert action.kind == "recreate_with_memory"
    assert action.param("memory") == 1024 * MIB and action.param("current_memory") == 512 * MIB
    assert "1GiB" in action.summary
    assert any(r.command == "docker stats --no-stream api" for r in observation.recommendations)


def test_small_memory_limits_are_raised_to_the_catalog_minimum():
    killed = state("tiny", status="exited", exit_code=137, oom=True, memory=16 * MIB, finished=NOW)
    [observation] = analyze_states([killed], NOW)
    minimum = catalog().actions["recreate_with_memory"].option("minimum_bytes")
    assert observation.actions[0].param("memory") == minimum


def test_non_zero_exit_is_reported_with_what_the_code_means():
    exited = state("job", status="exited", exit_code=127, finished=NOW - timedelta(seconds=5))
    [observation] = analyze_states([exited], NOW)
    assert observation.category == "container_exited" and observation.severity == "error"
    assert observation.message == "job exited with code 127"
    assert "not found" in observation.explanation
    assert [action.kind for action in observation.actions] == ["restart"]
    assert observation.recommendations[0].command == "docker logs --tail 100 job"


@pytest.mark.parametrize("code", [0, 130, 143])
def test_requested_or_clean_exits_are_not_issues(code):
    assert analyze_states([state("ok", status="exited", exit_code=code, finished=NOW)], NOW) == []


def test_sigkill_without_oom_is_only_a_warning():
    [observation] = analyze_states([state("k", status="exited", exit_code=137, finished=NOW)], NOW)
    assert observation.category == "container_exited" and observation.severity == "warning"


def test_restarting_container_is_a_restart_loop_not_an_exit():
    looping = state("flappy", status="restarting", exit_code=1, restarts=6, policy="always",
                    started=NOW - timedelta(seconds=3), finished=NOW - timedelta(seconds=2))
    [observation] = analyze_states([looping], NOW)
    assert observation.category == "restart_loop"
    assert observation.detail("restart_count") == 6 and observation.detail("exit_code") == 1
    [action] = observation.actions
    assert action.kind == "update_restart_policy"
    assert action.param("policy") == "on-failure" and action.param("max_retries") == 5


def test_running_again_after_recent_restarts_is_still_a_loop_but_old_restarts_are_not():
    recent = state("a", restarts=5, policy="always", started=NOW - timedelta(seconds=20))
    settled = state("b", restarts=5, policy="always", started=NOW - timedelta(hours=2))
    few = state("c", status="restarting", restarts=1, policy="always", exit_code=1)
    observations = analyze_states([recent, settled, few], NOW)
    assert [(o.container.name, o.category) for o in observations] == [("a", "restart_loop"), ("c", "container_exited")]


def test_restart_threshold_comes_from_settings():
    looping = state("x", status="restarting", restarts=2, exit_code=1)
    assert categories(analyze_states([looping], NOW, AnalyzerSettings(restart_loop_min_restarts=2))) == ["restart_loop"]


def test_unhealthy_container_carries_the_probe_output_as_evidence():
    sick = state("web", health={"Status": "unhealthy", "FailingStreak": 4, "Log": [
        {"End": engine_time(NOW), "ExitCode": 1, "Output": "curl: (7) Failed to connect to localhost port 80\n"}]},
        healthcheck={"Test": ["CMD-SHELL", "curl -f http://localhost/"], "Interval": 1_000_000_000})
    [observation] = analyze_states([sick], NOW)
    assert observation.category == "unhealthy" and observation.detail("failing_streak") == 4
    assert any("Failed to connect" in item.text for item in observation.evidence)
    commands = [r.command for r in observation.recommendations if r.command]
    assert "docker exec web sh -c 'curl -f http://localhost/'" in commands
    assert observation.actions[0].kind == "restart"


def test_never_healthy_uses_start_period_plus_retries_times_interval():
    check = {"Test": ["CMD", "false"], "Interval": 10_000_000_000, "Retries": 3, "StartPeriod": 20_000_000_000}
    starting = {"Status": "starting", "FailingStreak": 0, "Log": []}
    late = state("slow", health=starting, healthcheck=check, started=NOW - timedelta(seconds=51))
    on_time = state("ok", health=starting, healthcheck=check, started=NOW - timedelta(seconds=49))
    [observation] = analyze_states([late, on_time], NOW)
    assert observation.container.name == "slow" and observation.category == "never_healthy"
    assert observation.detail("limit_seconds") == 50 and observation.severity == "warning"


def test_never_healthy_without_known_timing_uses_the_grace():
    starting = {"Status": "starting", "FailingStreak": 0, "Log": []}
    young = state("a", health=starting, started=NOW - timedelta(seconds=30))
    assert analyze_states([young], NOW, AnalyzerSettings(never_healthy_grace=60)) == []
    assert categories(analyze_states([young], NOW, AnalyzerSettings(never_healthy_grace=10))) == ["never_healthy"]


def test_failed_start_on_a_clashing_port_names_the_container_holding_it():
    holder = state("old-web", ports={"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}]})
    failed = state("new-web", status="created", exit_code=128, started=None, error=(
        "driver failed programming external connectivity on endpoint new-web (1a2b): "
        "Bind for 0.0.0.0:8080 failed: port is already allocated"))
    observations = analyze_states([holder, failed], NOW)
    [observation] = observations
    assert observation.category == "port_in_use" and observation.container.name == "new-web"
    [action] = observation.actions
    assert action.kind == "free_port" and action.param("port") == 8080
    assert action.param("holder_container") == "old-web"
    assert "old-web" in action.summary


def test_failed_start_without_a_known_pattern_is_a_generic_exit():
    failed = state("bad", status="created", exit_code=127, started=None, error="something odd happened")
    [observation] = analyze_states([failed], NOW)
    assert observation.category == "container_exited" and observation.pattern_id == "container.failed_to_start"


# --- log findings -----------------------------------------------------------------------------------------


def test_log_findings_become_observations_with_times_evidence_and_commands():
    lines = [
        "2024-03-01T11:58:00.000000001Z starting",
        "2024-03-01T11:59:00.123456789Z Error: listen EADDRINUSE: address already in use :::3000",
    ]
    ref = ContainerRef("c" * 64, "shop-api-1", "shop", "api")
    [observation] = observations_from_log(detect(lines), lines, ref)
    assert observation.source == "log" and observation.category == "port_in_use"
    assert observation.timestamp == datetime(2024, 3, 1, 11, 59, 0, 123456, tzinfo=timezone.utc)
    assert observation.evidence[0].line_index == 1 and "EADDRINUSE" in observation.evidence[0].text
    assert any(r.command for r in observation.recommendations)
    assert observation.actions[0].kind == "free_port" and observation.actions[0].param("port") == 3000


def test_log_evidence_of_a_long_traceback_is_bounded():
    lines = ["Traceback (most recent call last):"] + [f'  File "/app/m{i}.py", line {i}, in f' for i in range(40)]
    lines.append("ModuleNotFoundError: No module named 'requests'")
    findings = detect(lines)
    observations = observations_from_log(findings, lines, ContainerRef("x", "x"), settings=AnalyzerSettings(evidence_lines=5))
    assert observations and all(len(o.evidence) <= 5 for o in observations)


def test_analyze_containers_fills_memory_actions_for_log_oom_from_the_state():
    api = state("api", memory=100 * MIB)
    lines = ["java.lang.OutOfMemoryError: Java heap space"]
    analysis = analyze_containers([api], {api.id: lines}, now=NOW, host_listeners=None)
    [observation] = analysis.observations
    assert observation.category == "out_of_memory"
    assert observation.actions[0].kind == "recreate_with_memory"
    assert observation.actions[0].param("current_memory") == 100 * MIB


# --- events -----------------------------------------------------------------------------------------------


def raw_event(action: str, name: str, at: float, **attributes: str) -> dict:
    nano = int(at * 1_000_000_000)
    return {"Type": "container", "Action": action, "status": action, "id": name * 4, "time": int(at),
            "timeNano": nano, "Actor": {"ID": name * 4, "Attributes": {"name": name, "image": "busybox",
                                                                         **attributes}}}


def events(*raws):
    return [event_from_raw(raw) for raw in raws]


BASE = NOW.timestamp()


def test_event_records_parse_health_exit_code_and_compose_labels():
    event = event_from_raw(raw_event("health_status: unhealthy", "web", BASE, **{
        "com.docker.compose.service": "web", "com.docker.compose.project": "shop"}))
    assert event.action == "health_status" and event.health_status == "unhealthy"
    assert event.compose_service == "web" and event.compose_project == "shop"
    assert event.time == NOW
    assert event_from_raw(raw_event("die", "x", BASE, exitCode="3")).exit_code == 3
    assert event_from_raw({"Type": "network", "Action": "connect", "Actor": {"ID": "n"}}) is None


def test_oom_then_die_is_one_oom_observation():
    found = analyze_events(events(raw_event("oom", "api", BASE), raw_event("die", "api", BASE + 0.05, exitCode="137")))
    assert categories(found) == ["out_of_memory"]
    assert found[0].source == "event" and found[0].actions == ()  # the limit is unknown without the state


def test_state_and_event_oom_observations_share_one_issue():
    from_event = analyze_events(events(raw_event("oom", "api", BASE)))[0]
    from_state = analyze_states([state("api", status="exited", exit_code=137, oom=True, finished=NOW)], NOW)[0]
    assert issue_id(from_event) == issue_id(from_state)


def test_a_failed_exit_is_reported_but_a_requested_stop_is_not():
    failed = analyze_events(events(raw_event("die", "job", BASE, exitCode="3")))
    assert [(o.category, o.detail("exit_code")) for o in failed] == [("container_exited", 3)]
    stopped = analyze_events(events(raw_event("kill", "svc", BASE, signal="15"),
                                    raw_event("die", "svc", BASE + 1, exitCode="1")))
    assert stopped == []


def test_restarts_within_the_window_become_one_restart_loop_observation():
    raws = [raw_event("start", "loop", BASE)]
    for number in range(1, 6):
        raws.append(raw_event("die", "loop", BASE + number - 0.5, exitCode="1"))
        raws.append(raw_event("start", "loop", BASE + number))
    found = analyze_events(events(*raws), AnalyzerSettings(restart_loop_min_restarts=3))
    loops = [o for o in found if o.category == "restart_loop"]
    assert len(loops) == 1 and loops[0].detail("restart_count") == 3
    assert categories(found).count("container_exited") == 5


def test_restarts_spread_over_more_than_the_window_are_no_loop():
    raws = []
    for number in range(5):
        raws.append(raw_event("die", "slow", BASE + number * 100, exitCode="1"))
        raws.append(raw_event("start", "slow", BASE + number * 100 + 1))
    settings = AnalyzerSettings(restart_loop_min_restarts=3, restart_loop_window=150)
    assert "restart_loop" not in categories(analyze_events(events(*raws), settings))


def test_unhealthy_event_and_destroy_forgets_the_container():
    analyzer = EventAnalyzer()
    [observation] = analyzer.feed(event_from_raw(raw_event("health_status: unhealthy", "web", BASE)))
    assert observation.category == "unhealthy"
    assert analyzer.feed(event_from_raw(raw_event("health_status: healthy", "web", BASE + 1))) == []
    analyzer.feed(event_from_raw(raw_event("die", "web", BASE + 2, exitCode="1")))
    analyzer.feed(event_from_raw(raw_event("destroy", "web", BASE + 3)))
    # A start after a destroy is a new container's first start, not a restart.
    assert analyzer.feed(event_from_raw(raw_event("start", "web", BASE + 4))) == []


# --- catalog ----------------------------------------------------------------------------------------------


def test_catalog_covers_every_category_with_a_title():
    known = set(detection_settings().categories) | set(STATE_CATEGORIES)
    assert known == set(catalog().categories)
    for category in STATE_CATEGORIES:
        info = catalog().category(category)
        assert info.title and info.explanation and info.recommendations and info.severity


# --- who holds a port -------------------------------------------------------------------------------------


@pytest.mark.skipif(not __import__("pathlib").Path("/proc/net/tcp").exists(), reason="needs Linux /proc")
def test_the_process_listening_on_a_port_is_named():
    import os
    import socket

    from dockerforge_tui.services.issues import find_host_listeners
    from dockerforge_tui.services.issues.recommend import actions_for

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        found = find_host_listeners(port)
        assert any(item.pid == os.getpid() for item in found), found
        [action] = actions_for("port_in_use", ContainerRef("x", "web"), message=f"listen tcp :{port}: bind: "
                               "address already in use", host_listeners=find_host_listeners)
        assert action.param("holder_pid") == os.getpid() and action.param("port") == port
    assert find_host_listeners(port) == ()  # closed: nobody holds it any more
