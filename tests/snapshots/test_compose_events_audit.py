"""Snapshots of the compose, events and audit screens at 80x24 and 120x40, on fixed data.

Compose and events are fed the messages their workers post; the audit screen reads a
real audit file written with fixed times and user. Times are shown in UTC.
"""

from __future__ import annotations

import os
from datetime import timezone
from pathlib import Path

import pytest

from dockerforge_tui.core.config import load_config
from dockerforge_tui.services.audit import ActionTarget, AuditLog, audit_path
from dockerforge_tui.services.docker.compose import ComposeProject, ComposeService
from dockerforge_tui.services.docker.event_feed import engine_event_from_raw
from dockerforge_tui.services.external_commands import CompletedAction
from dockerforge_tui.ui.app import make_app
from dockerforge_tui.ui.screens.audit import AuditScreen
from dockerforge_tui.ui.screens.compose import ComposeScreen
from dockerforge_tui.ui.screens.events import EventsScreen
from tests.tui.helpers import wait_until

SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
T0 = 1_795_608_000 * 10**9  # 2026-11-25 12:00:00 UTC, in nanoseconds

PROJECTS = (
    ComposeProject("shop", "/srv/shop", ("/srv/shop/docker-compose.yml",), (
        ComposeService("db", ("shop-db-1",), ("d1",), ("running",)),
        ComposeService("web", ("shop-web-1", "shop-web-2"), ("w1", "w2"), ("running", "exited")),
    )),
    ComposeProject("metrics", "/opt/metrics", ("/opt/metrics/compose.yaml",), (
        ComposeService("grafana", ("metrics-grafana-1",), ("g1",), ("running",)),
        ComposeService("prometheus", ("metrics-prometheus-1",), ("p1",), ("running",)),
    )),
    ComposeProject("legacy", "/home/ops/legacy", (), (
        ComposeService("app", ("legacy_app_1",), ("l1",), ("exited",)),
    )),
)
PULL_ARGV = ("docker-compose", "-p", "shop", "-f", "/srv/shop/docker-compose.yml", "--project-directory",
             "/srv/shop", "pull")
UP_ARGV = PULL_ARGV[:-1] + ("up", "-d", "--force-recreate")


def event(seconds: float, event_type: str, action: str, actor_id: str, **attributes: str):
    return engine_event_from_raw({"Type": event_type, "Action": action, "scope": "local",
                                  "timeNano": T0 + int(seconds * 10**9),
                                  "Actor": {"ID": actor_id, "Attributes": attributes}})


WEB = "a1" * 32
EVENTS = (
    event(0.5, "image", "pull", "nginx:1.27", name="nginx"),
    event(1, "network", "create", "n1" * 32, name="shop_default", type="bridge"),
    event(1.2, "volume", "create", "shop_data", driver="local"),
    event(2, "container", "create", WEB, name="shop-web-1", image="nginx:1.27",
          **{"com.docker.compose.project": "shop"}),
    event(2.1, "network", "connect", "n1" * 32, name="shop_default", type="bridge", container=WEB),
    event(2.2, "volume", "mount", "shop_data", container=WEB, destination="/data", driver="local"),
    event(2.4, "container", "start", WEB, name="shop-web-1", image="nginx:1.27",
          **{"com.docker.compose.project": "shop"}),
    event(9, "container", "health_status: healthy", WEB, name="shop-web-1", image="nginx:1.27"),
    event(61, "container", "exec_start: sh -c date", WEB, name="shop-web-1", image="nginx:1.27"),
    event(75, "container", "oom", "b2" * 32, name="worker", image="busybox"),
    event(75.1, "container", "die", "b2" * 32, name="worker", image="busybox", exitCode="137"),
    event(80, "container", "health_status: unhealthy", "c3" * 32, name="shop-db-1", image="postgres:16"),
    event(95, "container", "kill", "d4" * 32, name="cron", image="alpine:3.20", signal="15"),
    event(95.3, "container", "die", "d4" * 32, name="cron", image="alpine:3.20", exitCode="0"),
    event(96, "container", "destroy", "d4" * 32, name="cron", image="alpine:3.20"),
    event(120, "image", "delete", "sha256:" + "e5" * 32),
)


def dashboard():
    return make_app(load_config(), watch_engine=False)


@SIZES
def test_compose_screen(snap_compare, size):
    async def run_before(pilot):
        screen = ComposeScreen(live=False)
        await pilot.app.push_screen(screen)
        screen.post_message(ComposeScreen.ProjectsListed(PROJECTS))
        await pilot.pause()
        screen.select_project("shop")
        if size == (120, 40):
            screen.post_message(ComposeScreen.CommandStarted("shop", "pull_recreate", (PULL_ARGV, UP_ARGV)))
            screen.post_message(ComposeScreen.CommandFinished(
                "shop", "pull_recreate",
                CompletedAction(PULL_ARGV, 1, "", "Pulling web ... error\nGet \"http://registry.local/v2/\": "
                                                  "dial tcp: connection refused", 0.4), 2))
        await pilot.pause()

    assert snap_compare(dashboard(), terminal_size=size, run_before=run_before)


@SIZES
def test_events_screen(snap_compare, size):
    async def run_before(pilot):
        screen = EventsScreen(live=False, timezone=timezone.utc)
        await pilot.app.push_screen(screen)
        screen.post_message(EventsScreen.EventsArrived(EVENTS))
        await pilot.pause()
        if size == (120, 40):
            await pilot.press("k", "k", "k", "k", "k", "i")  # the worker's exit 137, with its attributes
        await pilot.pause()

    assert snap_compare(dashboard(), terminal_size=size, run_before=run_before)


def test_events_screen_filtered_and_paused(snap_compare):
    async def run_before(pilot):
        screen = EventsScreen(live=False, timezone=timezone.utc)
        await pilot.app.push_screen(screen)
        screen.post_message(EventsScreen.EventsArrived(EVENTS[:8]))
        await pilot.pause()
        await pilot.press("slash", *"type=container !exec", "enter", "p")
        screen.post_message(EventsScreen.EventsArrived(EVENTS[8:]))
        await pilot.pause()

    assert snap_compare(dashboard(), terminal_size=(80, 24), run_before=run_before)


def write_audit() -> None:
    audit = AuditLog(audit_path(Path(os.environ["DOCKERFORGE_DATA_DIR"])), user="ops")
    engine = "unix:///var/run/docker.sock"
    audit.record("stop", ActionTarget("container", "shop-web-1", "a1" * 32), outcome="ok", endpoint=engine,
                 duration_ms=412.0, params={"timeout": 10}, when="2026-11-25T11:58:03.250Z")
    audit.record("compose pull", ActionTarget("compose project", "shop", "shop"), outcome="error", endpoint=engine,
                 message="exit 1: Get \"http://registry.local/v2/\": dial tcp: connection refused",
                 duration_ms=400.0, params={"argv": list(PULL_ARGV)}, when="2026-11-25T11:59:00.000Z")
    audit.record("remove", ActionTarget("image", "busybox:latest", "sha256:" + "e5" * 32), outcome="refused",
                 endpoint="tcp://box:2376", message="read-only mode: refusing to remove busybox:latest",
                 when="2026-11-25T11:59:30.000Z")
    audit.record("prune", ActionTarget("volumes", "unused volumes"), outcome="ok", endpoint=engine,
                 duration_ms=1830.0, params={"filters": {}}, when="2026-11-25T12:00:00.000Z")


@SIZES
def test_audit_screen(snap_compare, size):
    write_audit()

    async def run_before(pilot):
        screen = AuditScreen(timezone=timezone.utc)
        await pilot.app.push_screen(screen)
        await wait_until(pilot, lambda: len(screen.records) == 4, what="the audit records")
        if size == (120, 40):
            await pilot.press("j", "j", "i")  # the failed pull, with its command
        await pilot.pause()

    assert snap_compare(dashboard(), terminal_size=size, run_before=run_before)
