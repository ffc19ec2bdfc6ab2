"""Snapshots of each screen at 80x24 and 120x40, fed fixed data through the workers' own messages."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from dockerforge_tui.core.config import load_config
from dockerforge_tui.services.docker.models import ContainerSummary, EngineInfo, PortMapping, StatsSample
from dockerforge_tui.services.docker.watch import ContainersListed, EngineConnected, EngineUnavailable
from dockerforge_tui.ui.app import make_app
from dockerforge_tui.ui.screens.containers import ContainersScreen

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc).timestamp()


def started(minutes_ago: float) -> datetime:
    return datetime.fromtimestamp(NOW - minutes_ago * 60, tz=timezone.utc)


CONTAINERS = (
    ContainerSummary(id="a1" * 32, name="shop-web-1", image="nginx:1.27", state="running", status="Up",
                     created=0, health="healthy", ports=(PortMapping(80, "tcp", 8080, "0.0.0.0"),),
                     labels=(("com.docker.compose.project", "shop"),), started_at=started(190), restart_count=0,
                     mem_limit=256 * 1024 * 1024),
    ContainerSummary(id="b2" * 32, name="shop-db-1", image="postgres:16", state="running", status="Up",
                     created=0, health="starting", ports=(PortMapping(5432, "tcp"),), started_at=started(0.5)),
    ContainerSummary(id="c3" * 32, name="worker", image="busybox", state="exited", status="Exited (137)",
                     created=0, exit_code=137, oom_killed=True),
    ContainerSummary(id="d4" * 32, name="cron", image="alpine:3.20", state="paused", status="Up (Paused)",
                     created=0, started_at=started(60 * 26)),
    ContainerSummary(id="e5" * 32, name="migrate", image="shop/migrate:latest", state="exited", status="Exited (0)",
                     created=0, exit_code=0),
)
SAMPLES = (
    StatsSample("a1" * 32, NOW, 3.25, 42 * 1024 * 1024, 256 * 1024 * 1024),
    StatsSample("b2" * 32, NOW, 71.0, 300 * 1024 * 1024, 24 * 1024**3),
)
ENGINE = EngineInfo("unix:///var/run/docker.sock", "default socket", "20.10.24", "1.41")


def dashboard():
    return make_app(load_config(), watch_engine=False, clock=lambda: NOW)


async def feed(pilot, *updates, samples=()):
    screen = pilot.app.screen
    for update in updates:
        screen.post_message(ContainersScreen.WatchUpdated(update))
    if samples:
        screen.post_message(ContainersScreen.StatsSampled(samples))
    await pilot.pause()


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_containers_screen(snap_compare, size):
    async def run_before(pilot):
        await feed(pilot, EngineConnected(ENGINE), ContainersListed(CONTAINERS, complete=True), samples=SAMPLES)

    assert snap_compare(dashboard(), terminal_size=size, run_before=run_before)


def test_containers_screen_without_engine(snap_compare):
    async def run_before(pilot):
        await feed(pilot, EngineUnavailable(
            "no Docker engine answered (tried unix:///var/run/docker.sock: no socket)",
            "start the engine: sudo systemctl start docker", attempt=3, retry_in=2.0))

    assert snap_compare(dashboard(), terminal_size=(80, 24), run_before=run_before)
