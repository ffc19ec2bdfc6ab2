"""Turning the engine's JSON into frozen records."""

from __future__ import annotations

from datetime import datetime, timezone

from dockerforge_tui.services.docker.models import (
    ContainerSummary,
    parse_engine_time,
    summary_from_list_entry,
    with_inspect,
)
from dockerforge_tui.services.docker.stats import sample_from_stats

LIST_ENTRY = {
    "Id": "f" * 64,
    "Names": ["/shop-web-1"],
    "Image": "nginx:1.27",
    "State": "running",
    "Status": "Up 3 minutes (healthy)",
    "Created": 1764000000,
    "Ports": [
        {"PrivatePort": 80, "PublicPort": 8080, "Type": "tcp", "IP": "::"},
        {"PrivatePort": 80, "PublicPort": 8080, "Type": "tcp", "IP": "0.0.0.0"},
    ],
    "Labels": {"com.docker.compose.project": "shop", "com.docker.compose.service": "web"},
}


def test_list_entry_becomes_a_summary():
    summary = summary_from_list_entry(LIST_ENTRY)
    assert summary.name == "shop-web-1"
    assert summary.short_id == "f" * 12
    assert summary.health == "healthy"
    assert summary.compose_project == "shop" and summary.compose_service == "web"
    assert summary.label("missing") is None
    assert len(summary.ports) == 2 and summary.is_running


def test_health_from_status_text():
    for status, health in [("Up 1 second (health: starting)", "starting"), ("Up 2 hours (unhealthy)", "unhealthy"),
                           ("Exited (0) 3 seconds ago", None)]:
        assert summary_from_list_entry({**LIST_ENTRY, "Status": status}).health == health


def test_inspect_adds_start_time_restarts_and_exit_code():
    summary = summary_from_list_entry({**LIST_ENTRY, "Names": []})
    assert summary.name == "f" * 12
    inspected = with_inspect(summary, {
        "RestartCount": 3,
        "State": {"Status": "exited", "ExitCode": 137, "OOMKilled": True,
                  "StartedAt": "2026-11-25T02:40:14.123456789Z", "Health": {"Status": "unhealthy"}},
        "HostConfig": {"Memory": 67108864},
    })
    assert inspected.state == "exited" and inspected.exit_code == 137 and inspected.oom_killed
    assert inspected.restart_count == 3 and inspected.mem_limit == 64 * 1024 * 1024
    assert inspected.health == "unhealthy"
    assert inspected.started_at == datetime(2026, 11, 25, 2, 40, 14, 123456, tzinfo=timezone.utc)


def test_engine_times():
    assert parse_engine_time("0001-01-01T00:00:00Z") is None
    assert parse_engine_time(None) is None
    assert parse_engine_time("garbage-time") is None
    assert parse_engine_time("2026-01-02T03:04:05+02:00") == datetime(2026, 1, 2, 1, 4, 5, tzinfo=timezone.utc)
    assert parse_engine_time("2026-01-02T03:04:05Z") == datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


def test_stats_sample_matches_docker_stats_arithmetic():
    before = {"cpu_stats": {"cpu_usage": {"total_usage": 1_000_000_000}, "system_cpu_usage": 10_000_000_000,
                            "online_cpus": 2}}
    raw = {
        "cpu_stats": {"cpu_usage": {"total_usage": 1_500_000_000}, "system_cpu_usage": 12_000_000_000,
                      "online_cpus": 2},
        "memory_stats": {"usage": 50 * 1024 * 1024, "limit": 256 * 1024 * 1024,
                         "stats": {"total_inactive_file": 10 * 1024 * 1024}},
        "networks": {"eth0": {"rx_bytes": 100, "tx_bytes": 50}, "eth1": {"rx_bytes": 1, "tx_bytes": 2}},
        "blkio_stats": {"io_service_bytes_recursive": [{"op": "Read", "value": 4096}, {"op": "Write", "value": 8192},
                                                       {"op": "Total", "value": 12288}]},
        "pids_stats": {"current": 7},
    }
    sample = sample_from_stats("c1", raw, before)
    assert sample.cpu_percent == 50.0  # 0.5s of 2s host time, times 2 CPUs
    assert sample.mem_usage == 40 * 1024 * 1024 and sample.mem_percent == 100 * 40 / 256
    assert (sample.net_rx, sample.net_tx, sample.block_read, sample.block_write, sample.pids) == (101, 52, 4096, 8192, 7)
    first = sample_from_stats("c1", {"cpu_stats": raw["cpu_stats"], "precpu_stats": {}}, None)
    assert first.cpu_percent is None and first.mem_percent is None


def test_summary_is_frozen():
    summary = ContainerSummary(id="x", name="x", image="i", state="running", status="", created=0)
    try:
        summary.name = "y"  # type: ignore[misc]
    except AttributeError:
        pass
    else:  # pragma: no cover - the assertion is the point
        raise AssertionError("ContainerSummary must be immutable")
