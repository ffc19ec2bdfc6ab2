"""The Issues screen over a real issue store: order, status changes, evidence."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from textual.widgets import DataTable

from dockerforge_tui.core.config import load_config
from dockerforge_tui.services.issues import ContainerRef, Evidence, Observation, Recommendation
from dockerforge_tui.ui.app import make_app
from dockerforge_tui.ui.screens.issues import IssuesScreen
from dockerforge_tui.ui.screens.logs import LogsScreen
from dockerforge_tui.ui.widgets.log_pane import LogPane
from tests.support.containers import unique_name
from tests.tui.helpers import in_thread, wait_until

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


@pytest.mark.docker
async def test_ignore_hides_an_issue_and_l_opens_its_logs_at_the_lines_that_raised_it(docker_client, containers):
    name = unique_name("dfapi")
    raised_by = "listen EADDRINUSE :::3000"
    await in_thread(containers.run, f"echo starting; echo '{raised_by}'; echo after; sleep 300", name=name)
    app = make_app(load_config(), watch_engine=False)
    store = app.services.issues
    store.record([observation("port_in_use", "error", name, raised_by, 5)], now=NOW)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("I")
        issues = app.screen
        table = issues.query_one(DataTable)
        await wait_until(pilot, lambda: table.row_count == 1, what="the issue")
        await pilot.press("l")
        await wait_until(pilot, lambda: isinstance(app.screen, LogsScreen), what="the logs to open")
        assert app.screen.containers == (name,)
        pane = app.screen.query_one(LogPane)
        assert pane.search_text == raised_by
        await wait_until(pilot, lambda: pane.match_count == 1, timeout=15, what="the line that raised it, marked")
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is issues, what="back on the issues")
        await pilot.press("i")  # ignore: it leaves the open list and stays ignored
        await wait_until(pilot, lambda: table.row_count == 0, what="the ignored issue to leave")
    assert [issue.status for issue in store.list()] == ["ignored"]
