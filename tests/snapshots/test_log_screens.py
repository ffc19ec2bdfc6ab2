"""Snapshots of the logs screen at 80x24 and 120x40, fed fixed lines through the worker's own message."""

from __future__ import annotations

from datetime import timezone

import pytest

from dockerforge_tui.core.config import load_config
from dockerforge_tui.ui.app import make_app
from dockerforge_tui.ui.screens.logs import LogsScreen
from tests.support.log_lines import SECOND, T0, log_line

MILLISECOND = SECOND // 1000


def shop_lines() -> tuple:
    """Twelve seconds of a web and a db container; second 10 is an error burst of the web container."""
    lines = []
    for second in range(12):
        base = T0 + second * SECOND
        for n in range(3):
            lines.append(log_line(f"GET /api/items/{second * 3 + n} 200 {12 + n}ms", name="shop-web-1",
                                  ts=base + n * 300 * MILLISECOND, level="info"))
        lines.append(log_line(f"LOG:  checkpoint complete: wrote {40 + second} buffers", name="shop-db-1",
                              ts=base + 150 * MILLISECOND))
        if second % 4 == 3:
            lines.append(log_line("WARN slow query on items (812ms)", name="shop-web-1",
                                  ts=base + 950 * MILLISECOND, level="warn"))
    burst = T0 + 12 * SECOND
    for n in range(8):
        lines.append(log_line(f"ERROR upstream timeout after 30s (request {n})", name="shop-web-1",
                              ts=burst + n * 40 * MILLISECOND, level="error"))
    lines.append(log_line("FATAL: terminating connection due to administrator command", name="shop-db-1",
                          ts=burst + 500 * MILLISECOND, level="error"))
    return tuple(lines)


def logs_app():
    return make_app(load_config(), watch_engine=False, clock=lambda: T0 / SECOND)


async def show_logs(pilot, lines) -> LogsScreen:
    screen = LogsScreen(["shop-web-1", "shop-db-1"], settings=load_config().settings.logs, timezone=timezone.utc)
    await pilot.app.push_screen(screen)
    screen.post_message(LogsScreen.LinesArrived(lines))
    await pilot.pause()
    return screen


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_logs_screen_merged_with_an_error_burst(snap_compare, size):
    async def run_before(pilot):
        await show_logs(pilot, shop_lines())

    assert snap_compare(logs_app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_logs_screen_search_filter_with_context_and_timestamps(snap_compare, size):
    async def run_before(pilot):
        screen = await show_logs(pilot, shop_lines())
        await pilot.press("slash", *"re:slow|timeout", "enter", "f", "c", "t", "n")
        await pilot.pause()
        assert screen.query_one("LogPane").match_count == 11

    assert snap_compare(logs_app(), terminal_size=size, run_before=run_before)


def test_logs_screen_paused_with_new_lines_and_wrap(snap_compare):
    def long_lines(first: int, count: int, at: int) -> tuple:
        return tuple(log_line(f"GET /api/items/{n}?expand=owner,tags,history&page=2 200 9ms "
                              f"user_agent=\"Mozilla/5.0 (X11; Linux x86_64)\" trace={n:032x}",
                              name="shop-web-1", ts=T0 + at * SECOND + n * MILLISECOND)
                     for n in range(first, first + count))

    async def run_before(pilot):
        screen = await show_logs(pilot, shop_lines() + long_lines(0, 3, 13))
        await pilot.press("w", "up", "up")
        screen.post_message(LogsScreen.LinesArrived(long_lines(3, 5, 14)))
        await pilot.pause()

    assert snap_compare(logs_app(), terminal_size=(80, 24), run_before=run_before)
