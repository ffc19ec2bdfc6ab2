"""Presentation is pure: records in, text out, no app needed."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from dockerforge_tui.services.docker.models import ContainerSummary, PortMapping, StatsSample
from dockerforge_tui.ui.presenters import containers as present

PALETTE = {"success": "#00ff00", "error": "#ff0000", "warning": "#ffff00", "text-muted": "#888888"}
STARTED = datetime(2026, 11, 25, 0, 0, tzinfo=timezone.utc)


def make(state: str = "running", **kwargs) -> ContainerSummary:
    base = dict(id="a" * 64, name="web", image="nginx", state=state, status="", created=0.0, started_at=STARTED)
    base.update(kwargs)
    return ContainerSummary(**base)


@pytest.mark.parametrize(
    ("count", "text"),
    [(None, "-"), (0, "0B"), (1023, "1023B"), (1024, "1.0KiB"), (1536, "1.5KiB"),
     (200 * 1024 * 1024, "200MiB"), (3 * 1024**3, "3.0GiB"), (5 * 1024**5, "5120TiB")],
)
def test_format_bytes(count, text):
    assert present.format_bytes(count) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(-5, "0s"), (0, "0s"), (59, "59s"), (60, "1m"), (3599, "59m"), (3600, "1h"), (3660, "1h1m"),
     (86400, "1d"), (90000, "1d1h")],
)
def test_format_duration(seconds, text):
    assert present.format_duration(seconds) == text


def test_uptime_only_for_running_containers():
    now = STARTED.timestamp() + 3725
    assert present.format_uptime(make(), now) == "1h2m"
    assert present.format_uptime(make(state="exited"), now) == "-"
    assert present.format_uptime(make(started_at=None), now) == "-"


def test_ports_merge_ipv4_and_ipv6_and_keep_unpublished():
    ports = (
        PortMapping(80, "tcp", 8080, "0.0.0.0"),
        PortMapping(80, "tcp", 8080, "::"),
        PortMapping(443, "tcp"),
        PortMapping(53, "udp", 5353, "127.0.0.1"),
    )
    assert present.format_ports(ports) == "0.0.0.0:8080->80/tcp, 443/tcp, 127.0.0.1:5353->53/udp"
    assert present.format_ports(()) == "-"
    assert present.format_port(PortMapping(80, "tcp", 80, "fe80::1")) == "[fe80::1]:80->80/tcp"


def test_state_text_colours_come_from_the_palette():
    running = present.state_text(make(), PALETTE)
    assert running.plain == "running" and str(running.style) == "#00ff00"
    crashed = present.state_text(make(state="exited", exit_code=137, oom_killed=True), PALETTE)
    assert crashed.plain == "exited(137) OOM" and str(crashed.style) == "#ff0000"
    clean = present.state_text(make(state="exited", exit_code=0), PALETTE)
    assert clean.plain == "exited(0)" and str(clean.style) == "#888888"
    assert str(present.state_text(make(), {}).style) == ""


def test_health_cpu_and_memory_text():
    assert present.health_text(make(health="unhealthy"), PALETTE).plain == "unhealthy"
    assert present.health_text(make(), PALETTE).plain == "-"
    sample = StatsSample("a" * 64, 0.0, 12.345, 10 * 1024 * 1024, 24 * 1024**3)
    assert present.cpu_text(sample) == "12.3%"
    assert present.cpu_text(None) == "-"
    assert present.cpu_text(StatsSample("a", 0.0, None, 0, 0)) == "-"
    assert present.memory_text(sample, None) == "10.0MiB"
    assert present.memory_text(sample, 64 * 1024 * 1024) == "10.0MiB/64.0MiB"
    assert present.memory_text(None, None) == "-"


def test_names_are_never_markup():
    assert present.name_text(make(name="[bold]x")).plain == "[bold]x"


def test_compose_column_never_shows_a_missing_service_as_none():
    assert present.compose_text("shop", "web") == "shop/web"
    assert present.compose_text("shop", None) == "shop"
    assert present.compose_text(None, "web") == present.EMPTY
