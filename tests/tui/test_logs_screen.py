"""The logs screen: against the real engine (labelled busybox containers), and its prompts on fixed lines."""

from __future__ import annotations

import time
from datetime import timezone

import pytest

from dockerforge_tui.core.config import load_config
from dockerforge_tui.services.docker.connection import connect
from dockerforge_tui.services.logs.collector import LogCollector, LogSelector
from dockerforge_tui.ui.app import make_app
from dockerforge_tui.ui.screens.containers import ContainersScreen
from dockerforge_tui.ui.screens.logs import LogsScreen
from dockerforge_tui.ui.widgets.log_pane import LogPane
from tests.support.containers import unique_name
from tests.support.log_lines import SECOND, T0, log_line, numbered
from tests.tui.helpers import in_thread, wait_until

NUMBERED_FOREVER = "i=0; while :; do echo \"$PREFIX line $i\"; i=$((i+1)); sleep 0.05; done"


class CollectorFactory:
    """Opens real collectors (one per stream start) and remembers them, to check they get closed."""

    def __init__(self, settings) -> None:
        self.settings = settings
        self.opened: list[tuple[LogSelector, int | None, LogCollector]] = []

    def __call__(self, selector: LogSelector, since_seconds: int | None) -> LogCollector:
        since = None if since_seconds is None else time.time() - since_seconds
        collector = LogCollector.from_settings(lambda: connect(self.settings.docker), selector, self.settings.logs,
                                               since=since, first_retry=0.2, max_retry=1.0)
        self.opened.append((selector, since_seconds, collector))
        return collector


def notices(app) -> list[str]:
    """Messages of the notifications the app got (run_test hides the toasts, but keeps them)."""
    return [notification.message for notification in app._notifications]


def pane_texts(pane: LogPane) -> list[str]:
    return [line.text for line in pane.shown_lines]


async def open_logs(app, pilot, screen: LogsScreen) -> LogPane:
    await app.push_screen(screen)
    await pilot.pause()
    return screen.query_one(LogPane)


@pytest.mark.docker
async def test_shows_a_containers_lines_and_follows_new_ones(docker_client, containers):
    container = await in_thread(containers.run, NUMBERED_FOREVER, environment={"PREFIX": "app"},
                                name=unique_name("dflogs"))
    config = load_config()
    factory = CollectorFactory(config.settings)
    app = make_app(config, watch_engine=False)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = await open_logs(app, pilot, LogsScreen([container.name], open_collector=factory,
                                                      settings=config.settings.logs))
        assert app.screen.sub_title == f"logs · {container.name}"
        await wait_until(pilot, lambda: len(pane.shown_lines) >= 10, what="the first lines")
        texts = pane_texts(pane)
        assert texts[:3] == ["app line 0", "app line 1", "app line 2"]
        assert texts == [f"app line {n}" for n in range(len(texts))], "in order, none lost or doubled"

        # Following: newer lines keep arriving and the newest is at the bottom of the view.
        seen = len(texts)
        height = pane.scrollable_content_region.height
        await wait_until(pilot, lambda: len(pane.shown_lines) >= max(seen + 10, height + 10),
                         what="more lines than the pane's height")
        await pilot.pause()
        assert pane.following
        assert pane.visible_line_range()[-1] is pane.shown_lines[-1]
        assert pane.scroll_y == pane.max_scroll_y

        # Scrolling up pauses; lines keep coming and are counted.
        pane.scroll_to(y=0, animate=False)
        await pilot.pause()
        assert not pane.following
        await wait_until(pilot, lambda: pane.new_lines >= 5, what="new lines while paused")
        assert pane.scroll_y == 0
        await pilot.press("G")
        assert pane.following and pane.scroll_y == pane.max_scroll_y

        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ContainersScreen)
        (_, _, collector), = factory.opened
        assert collector.closed
        assert await in_thread(collector.join, 10.0), "the collector's threads end once it is closed"


@pytest.mark.docker
async def test_two_containers_merge_into_one_stream_in_time_order(docker_client, containers):
    web = await in_thread(containers.run, NUMBERED_FOREVER, environment={"PREFIX": "web"}, name=unique_name("dfweb"))
    db = await in_thread(containers.run, NUMBERED_FOREVER, environment={"PREFIX": "db"}, name=unique_name("dfdb"))
    config = load_config()
    factory = CollectorFactory(config.settings)
    app = make_app(config, watch_engine=False)
    async with app.run_test(size=(120, 30)) as pilot:
        pane = await open_logs(app, pilot, LogsScreen([web.name, db.name], open_collector=factory,
                                                      settings=config.settings.logs, timezone=timezone.utc))

        def both_streaming() -> bool:
            names = [line.container_name for line in pane.shown_lines]
            return names.count(web.name) >= 10 and names.count(db.name) >= 10

        await wait_until(pilot, both_streaming, what="lines of both containers")
        lines = pane.shown_lines
        stamps = [line.engine_ts_ns for line in lines]
        assert stamps == sorted(stamps), "merged by engine timestamp"
        for name, prefix in ((web.name, "web"), (db.name, "db")):
            own = [line.text for line in lines if line.container_name == name]
            assert own == [f"{prefix} line {n}" for n in range(len(own))]

        # More than one source: each row starts with its source's name, in the source's colour.
        await pilot.pause()
        rows = [pane.render_line(y) for y in range(pane.scrollable_content_region.height)]
        by_source = {}
        for strip in rows:
            text = strip.text
            for name in (web.name, db.name):
                if text[1:].startswith(name):
                    by_source[name] = next(segment.style.color for segment in strip if segment.text.startswith(name))
        assert len(by_source) == 2 and by_source[web.name] != by_source[db.name]


@pytest.mark.docker
async def test_a_range_key_restarts_the_stream_from_that_time(docker_client, containers):
    container = await in_thread(containers.run, NUMBERED_FOREVER, environment={"PREFIX": "r"})
    config = load_config()
    factory = CollectorFactory(config.settings)
    app = make_app(config, watch_engine=False)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = await open_logs(app, pilot, LogsScreen([container.name], open_collector=factory,
                                                      settings=config.settings.logs))
        await wait_until(pilot, lambda: len(pane.shown_lines) >= 5, what="the first lines")
        await pilot.press("2")
        await wait_until(pilot, lambda: len(factory.opened) == 2, what="a second collector")
        first, second = factory.opened
        assert first[2].closed
        assert second[0] == first[0] and second[1] == 15 * 60
        await wait_until(pilot, lambda: len(pane.shown_lines) >= 5, what="lines after the restart")
        texts = pane_texts(pane)
        assert texts[0] == "r line 0", "the last 15 minutes hold the container's whole life"
        assert len(texts) == len(set(texts)), "the restart starts from an empty pane"
        assert "last 15m" in pane.status_text


# -- prompts, on fixed lines (no engine) -------------------------------------------------------


def fixed_screen(tmp_path) -> LogsScreen:
    return LogsScreen(["web", "db"], settings=load_config().settings.logs, timezone=timezone.utc,
                      save_dir=tmp_path, clock=lambda: T0 / SECOND)


async def test_search_prompt_filters_and_reports_an_invalid_regex(tmp_path):
    app = make_app(load_config(), watch_engine=False)
    async with app.run_test(size=(100, 24)) as pilot:
        screen = fixed_screen(tmp_path)
        pane = await open_logs(app, pilot, screen)
        screen.post_message(LogsScreen.LinesArrived(tuple(numbered(40))))
        await pilot.pause()

        await pilot.press("slash")
        prompt = screen.query_one("#log-prompt-input")
        assert prompt.has_focus
        await pilot.press(*"re:line [", "enter")
        assert "invalid regex" in pane.status_text
        assert prompt.has_focus and prompt.has_class("-invalid"), "the prompt stays open to fix the regex"

        prompt.value = "re:line 1\\d$"
        await pilot.press("enter")
        assert pane.has_focus and pane.match_count == 10
        await pilot.press("f")
        assert pane_texts(pane) == [f"line {n}" for n in range(10, 20)]

        await pilot.press("slash", "escape")
        assert pane.has_focus and isinstance(app.screen, LogsScreen), "escape closes the prompt first"


async def test_ctrl_s_saves_what_is_shown_atomically(tmp_path):
    app = make_app(load_config(), watch_engine=False)
    async with app.run_test(size=(100, 24)) as pilot:
        screen = fixed_screen(tmp_path)
        pane = await open_logs(app, pilot, screen)
        screen.post_message(LogsScreen.LinesArrived(tuple(
            [log_line("GET / 200", name="web", ts=T0), log_line("slow query", name="db", ts=T0 + SECOND),
             log_line("GET /x 500", name="web", ts=T0 + 2 * SECOND)])))
        await pilot.pause()
        pane.search("get")
        await pilot.press("f", "t")

        await pilot.press("ctrl+s")
        prompt = screen.query_one("#log-prompt-input")
        assert prompt.value.startswith(str(tmp_path / "dockerforge-logs-merged-"))
        await pilot.press("enter")
        await wait_until(pilot, lambda: any(tmp_path.glob("*.log")), what="the saved file")
        saved = list(tmp_path.glob("*.log"))
        assert len(saved) == 1
        assert saved[0].read_text() == ("web 2026-11-25T12:00:00.000000000Z GET / 200\n"
                                        "web 2026-11-25T12:00:02.000000000Z GET /x 500\n")
        assert not list(tmp_path.glob(".*.tmp")), "no temporary file left behind"
        await wait_until(pilot, lambda: any(str(saved[0]) in notice for notice in notices(app)),
                         what="the notification naming the file")

        # A path typed relative to the save directory; the missing folder is created.
        await pilot.press("ctrl+s")
        prompt.value = "sub/out.log"
        await pilot.press("enter")
        await wait_until(pilot, lambda: (tmp_path / "sub" / "out.log").exists(), what="the typed path")


async def test_a_save_that_fails_says_why(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    app = make_app(load_config(), watch_engine=False)
    async with app.run_test(size=(100, 24)) as pilot:
        screen = fixed_screen(tmp_path)
        await open_logs(app, pilot, screen)
        screen.post_message(LogsScreen.LinesArrived((log_line("x"),)))
        await pilot.press("ctrl+s")
        screen.query_one("#log-prompt-input").value = str(blocker / "out.log")
        await pilot.press("enter")
        await wait_until(pilot, lambda: any("Could not save" in notice for notice in notices(app)),
                         what="the error notification")


async def test_lines_of_a_replaced_stream_are_dropped(tmp_path):
    app = make_app(load_config(), watch_engine=False)
    async with app.run_test(size=(100, 24)) as pilot:
        screen = fixed_screen(tmp_path)
        pane = await open_logs(app, pilot, screen)
        screen.post_message(LogsScreen.LinesArrived((log_line("current"),), generation=0))
        screen.post_message(LogsScreen.LinesArrived((log_line("stale"),), generation=-1))
        await pilot.pause()
        assert pane_texts(pane) == ["current"]


def test_the_screen_needs_something_to_show():
    with pytest.raises(ValueError):
        LogsScreen([])
    assert LogsScreen(project="shop").selector == LogSelector.for_project("shop")
    assert LogsScreen(["/web", "db"]).selector == LogSelector.for_containers("web", "db")
    assert LogsScreen(project="shop").label == "project shop"
