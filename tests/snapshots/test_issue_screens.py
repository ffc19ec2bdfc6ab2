"""Snapshots of the Issues screen at 80x24 and 120x40, from a store filled with fixed observations."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from dockerforge_tui.core.config import load_config
from dockerforge_tui.services.issues import ContainerRef, Evidence, Observation, Recommendation
from dockerforge_tui.ui.app import make_app
from dockerforge_tui.ui.screens.issues import IssuesScreen

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)


def observation(category, severity, name, message, minutes_ago, command=None):
    return Observation(
        source="log", category=category, severity=severity, pattern_id=f"snap.{category}",
        container=ContainerRef(id=name * 8, name=name), message=message,
        timestamp=NOW - timedelta(minutes=minutes_ago),
        evidence=(Evidence("Starting server", "log"), Evidence(message, "log")),
        explanation=f"The {category.replace('_', ' ')} pattern matched.",
        recommendations=(Recommendation("Look at what else uses the resource", command),), actions=(), details=())


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_issues_screen(snap_compare, size):
    app = make_app(load_config(), watch_engine=False)
    app.services.issues.record([
        observation("disk_full", "critical", "db", "could not write: No space left on device", 30, "docker system df"),
        observation("port_in_use", "error", "web", "listen tcp :80: bind: address already in use", 5),
        observation("timeout", "warning", "worker", "upstream timed out after 30s", 1),
    ], now=NOW)

    async def run_before(pilot):
        await pilot.app.push_screen(IssuesScreen(pilot.app.services.issues, clock=lambda: NOW))
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
