"""The containers screen against the real engine, driven by Pilot."""

from __future__ import annotations

import time

import pytest

from dockerforge_tui.core.config import load_config
from dockerforge_tui.ui.app import make_app
from dockerforge_tui.ui.widgets.container_table import ContainerTable
from dockerforge_tui.ui.widgets.engine_status import EngineStatus
from tests.support.containers import unique_name
from tests.support.socket_proxy import EngineSocketProxy
from tests.tui.helpers import in_thread, wait_until

pytestmark = pytest.mark.docker


def cell(table: ContainerTable, container_id: str, column: str) -> str:
    return str(table.get_cell(container_id, column))


def listed(table: ContainerTable, container_id: str) -> bool:
    return container_id in table.container_ids


async def test_started_container_appears_within_a_second_and_stop_shows(docker_client, containers):
    app = make_app(load_config())
    async with app.run_test(size=(120, 30)) as pilot:
        table = app.screen.query_one(ContainerTable)
        await wait_until(pilot, lambda: app.screen.sub_title.startswith("unix://"), what="engine connected")

        started_at = time.monotonic()
        container = await in_thread(containers.run, "sleep 300", name=unique_name("dfpilot"))
        await wait_until(pilot, lambda: listed(table, container.id) and cell(table, container.id, "state") == "running",
                         timeout=5, what="the new container's row")
        assert time.monotonic() - started_at < 1.0 + 0.5, "a started container must show within about a second"
        assert cell(table, container.id, "name") == container.name
        assert cell(table, container.id, "image").startswith("dockerforge-test/busybox")

        await in_thread(container.stop, timeout=0)
        await wait_until(pilot, lambda: cell(table, container.id, "state").startswith("exited"),
                         timeout=5, what="the stopped state")
        assert cell(table, container.id, "state") == "exited(137)"
        assert cell(table, container.id, "uptime") == "-"

        await in_thread(container.remove)
        await wait_until(pilot, lambda: not listed(table, container.id), timeout=5, what="the row to go")
        await pilot.press("q")
    assert app.return_code == 0


async def test_cursor_stays_on_its_container_and_stats_fill_in(docker_client, containers):
    busy = await in_thread(containers.run, "while :; do :; done", name=unique_name("dfpilot-m"))
    app = make_app(load_config())
    async with app.run_test(size=(120, 30)) as pilot:
        table = app.screen.query_one(ContainerTable)
        await wait_until(pilot, lambda: listed(table, busy.id), what="the busy container")
        table.move_cursor(row=table.get_row_index(busy.id))
        assert table.selected_container.id == busy.id

        # A container whose name sorts first arrives above the cursor: the cursor follows its row.
        first = await in_thread(containers.run, "sleep 300", name=unique_name("dfpilot-a"))
        await wait_until(pilot, lambda: listed(table, first.id), timeout=5, what="the new row")
        assert table.get_row_index(first.id) < table.get_row_index(busy.id)
        assert table.selected_container.id == busy.id

        await wait_until(pilot, lambda: cell(table, busy.id, "cpu").endswith("%"), timeout=10, what="a CPU sample")
        assert cell(table, busy.id, "memory") != "-"

        await pilot.press("j", "k", "G", "g")
        assert table.cursor_row == 0


async def test_opens_without_an_engine_and_connects_when_it_comes_up(docker_client, containers, tmp_path):
    proxy = EngineSocketProxy(tmp_path / "late-engine.sock")
    container = await in_thread(containers.run, "sleep 300")
    app = make_app(load_config(overrides={"docker": {"host": proxy.url}}), retry_delays=(0.2, 0.5))
    async with app.run_test(size=(80, 24)) as pilot:
        status = app.screen.query_one(EngineStatus)
        table = app.screen.query_one(ContainerTable)
        await wait_until(pilot, lambda: "No Docker engine" in str(status.render()), what="the no-engine banner")
        banner = str(status.render())
        assert str(proxy.path) in banner and "Fix:" in banner
        assert status.display

        proxy.start()
        try:
            await wait_until(pilot, lambda: listed(table, container.id), timeout=10, what="the list after connecting")
            assert not status.has_class("-visible")

            proxy.stop()  # the engine goes away: the dashboard stays and says so
            await wait_until(pilot, lambda: status.has_class("-visible"), timeout=10, what="the lost-engine banner")
            proxy.start()
            await wait_until(pilot, lambda: not status.has_class("-visible"), timeout=10, what="the reconnect")
            assert listed(table, container.id)
        finally:
            proxy.stop()
