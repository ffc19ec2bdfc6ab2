"""The Issues screen over a real issue store: order, status changes, evidence."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from textual.widgets import DataTable

from dockerforge_tui.core.config import load_config
from dockerforge_tui.services.issues import ContainerRef, Evidence, Observation, Recommendation
from dockerforge_tui.ui.app import make_app
from dockerforge_tui.ui.screens.issues import IssuesScreen
from tests.tui.helpers import wait_until

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)


def observation(category: str, severity: str, container: str, message: str, minutes_ago: int) -> Observation:
    return Observation(
        source="log", category=category, severity=severity, pattern_id=f"test.{category}",
        container=ContainerRef(id=container * 4, name=container), message=message,
        timestamp=NOW - timedelta(minutes=minutes_ago),
        evidence=(Evidence(text=f"before {message}", source="log"), Evidence(text=message, source="log")),
        explanation=f"{category} explained", recommendations=(Recommendation("check the thing", "docker ps"),),
        actions=(), details=())


async def test_issues_order_status_and_evidence():
    app = make_app(load_config(), watch_engine=False)
    store = app.services.issues
    store.record([observation("disk_full", "critical", "db", "No space left on device", 30),
                  observation("timeout", "warning", "web", "upstream timed out", 1)], now=NOW)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("I")
        screen = app.screen
        assert isinstance(screen, IssuesScreen)
        table = screen.query_one(DataTable)
        await wait_until(pilot, lambda: table.row_count == 2, what="two issues")
        assert str(table.get_row_at(0)[0]) == "critical"
        detail = str(screen.query_one("#issue-detail").render())
        assert "No space left on device" in detail and "before No space" in detail and "run: docker ps" in detail

        await pilot.press("o")  # by recency: the newer warning first
        await wait_until(pilot, lambda: str(table.get_row_at(0)[0]) == "warning", what="recency order")
        assert table.cursor_row == 1  # the cursor stayed on the issue it was on
        await pilot.press("k")

        await pilot.press("x")  # resolve the warning: it leaves the open list
        await wait_until(pilot, lambda: table.row_count == 1, what="the resolved issue to leave")
        await pilot.press("a")
        await wait_until(pilot, lambda: str(table.get_row_at(0)[1]) == "ack", what="acknowledged")
        await pilot.press("f")  # show closed too
        await wait_until(pilot, lambda: table.row_count == 2, what="closed issues shown")
    statuses = {issue.category: issue.status for issue in store.list()}
    assert statuses == {"disk_full": "acknowledged", "timeout": "resolved"}


async def test_ignore_hides_an_issue_and_l_opens_the_logs_of_its_containers(monkeypatch):
    app = make_app(load_config(), watch_engine=False)
    store = app.services.issues
    store.record([observation("port_in_use", "error", "api", "listen EADDRINUSE :::3000", 5)], now=NOW)
    opened = []
    monkeypatch.setattr(app, "open_logs", lambda containers, title="", search=None, project=None:
                        opened.append((containers, title)))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("I")
        table = app.screen.query_one(DataTable)
        await wait_until(pilot, lambda: table.row_count == 1, what="the issue")
        await pilot.press("l")
        await wait_until(pilot, lambda: opened, what="the logs to open")
        assert opened[0][0] == ["api"] and "api" in opened[0][1]
        await pilot.press("i")  # ignore: it leaves the open list and stays ignored
        await wait_until(pilot, lambda: table.row_count == 0, what="the ignored issue to leave")
    assert [issue.status for issue in store.list()] == ["ignored"]
