"""The stats screen (F9) against the real engine: rows, sparklines, limits, sorting, detail."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, TabbedContent

from dockerforge_tui.core.config import load_config
from dockerforge_tui.ui.app import make_app
from dockerforge_tui.ui.presenters.charts import BLOCKS
from dockerforge_tui.ui.screens.container_detail import ContainerDetailScreen
from dockerforge_tui.ui.screens.containers import ContainersScreen
from dockerforge_tui.ui.screens.stats import StatsScreen
from dockerforge_tui.ui.widgets.container_table import ContainerTable
from dockerforge_tui.ui.widgets.stats_panel import StatsPanel
from tests.support.containers import unique_name
from tests.tui.helpers import in_thread, wait_until

pytestmark = pytest.mark.docker


def cell(table: DataTable, container_id: str, column: str) -> str:
    return str(table.get_cell(container_id, column))


def row_order(table: DataTable) -> list[str]:
    return [row.key.value for row in table.ordered_rows]


async def test_stats_screen_compares_running_containers_and_sorts(docker_client, containers):
    prefix = unique_name("dfstats")
    busy = await in_thread(containers.run, "while :; do :; done", name=f"{prefix}-busy", mem_limit="64m")
    idle = await in_thread(containers.run, "sleep 300", name=f"{prefix}-idle")
    stopped = await in_thread(containers.run, "true", name=f"{prefix}-exited")
    app = make_app(load_config())
    async with app.run_test(size=(120, 40)) as pilot:
        home = app.screen
        assert isinstance(home, ContainersScreen)
        containers_table = home.query_one(ContainerTable)
        await wait_until(pilot, lambda: {busy.id, idle.id, stopped.id} <= containers_table.container_ids,
                         what="the containers listed")
        # The containers screen's filter applies to the stats screen too.
        await pilot.press("slash", *prefix, "enter")
        await pilot.press("f9")
        screen = app.screen
        assert isinstance(screen, StatsScreen)
        table = screen.query_one(DataTable)
        await wait_until(pilot, lambda: set(row_order(table)) == {busy.id, idle.id}, what="only running rows")

        # Live samples fill the cells: the busy one burns a core, the idle one does not.
        await wait_until(pilot, lambda: cell(table, busy.id, "cpu") not in ("…", "")
                         and float(cell(table, busy.id, "cpu").rstrip("%")) > 20, timeout=15,
                         what="the busy container's CPU")
        await wait_until(pilot, lambda: cell(table, idle.id, "cpu") not in ("…", ""), timeout=15,
                         what="the idle container's CPU")
        assert float(cell(table, idle.id, "cpu").rstrip("%")) < 5
        assert "/64.0MiB" in cell(table, busy.id, "memory")  # the limit is shown where one is set
        assert "/" not in cell(table, idle.id, "memory")  # none where the engine only reports the host's
        assert set(cell(table, busy.id, "cpu_chart").strip()) <= set(BLOCKS) and cell(table, busy.id, "cpu_chart").strip()

        # Sorted by CPU, busiest first; `o` goes on to memory, network, disk, then name.
        await wait_until(pilot, lambda: row_order(table) == [busy.id, idle.id], what="busiest first")
        await pilot.press("o", "o", "o", "o")
        assert screen.sort_order == "name"
        await wait_until(pilot, lambda: row_order(table) == [busy.id, idle.id], what="A-Z (busy < idle)")
        await pilot.press("O")
        await wait_until(pilot, lambda: row_order(table) == [idle.id, busy.id], what="Z-A")

        # The panel below shows the highlighted container's window with its limit.
        table.move_cursor(row=table.get_row_index(busy.id))
        panel = screen.query_one(StatsPanel)
        await wait_until(pilot, lambda: "limit 64.0MiB" in str(panel.render()), what="the limit in the panel")

        # Enter opens the detail on its Stats tab.
        await pilot.press("enter")
        assert isinstance(app.screen, ContainerDetailScreen)
        assert app.screen.query_one(TabbedContent).active == "stats"
        await pilot.press("escape")
        assert app.screen is screen

        # A container that stops leaves the comparison.
        await in_thread(docker_client.api.kill, idle.id)
        await wait_until(pilot, lambda: row_order(table) == [busy.id], timeout=10, what="the killed row gone")
