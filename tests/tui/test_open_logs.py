"""`l` on the containers screen follows the selected (or marked) containers' logs."""

from __future__ import annotations

import pytest

from dockerforge_tui.core.config import load_config
from dockerforge_tui.ui.app import make_app
from dockerforge_tui.ui.screens.containers import ContainersScreen
from dockerforge_tui.ui.screens.logs import LogsScreen
from dockerforge_tui.ui.widgets.container_table import ContainerTable
from dockerforge_tui.ui.widgets.log_pane import LogPane
from tests.support.containers import unique_name
from tests.tui.helpers import in_thread, wait_until

pytestmark = pytest.mark.docker


async def test_l_opens_merged_logs_of_marked_containers(docker_client, containers):
    first = await in_thread(containers.run, "i=0; while :; do i=$((i+1)); echo alpha $i; sleep 0.1; done",
                            name=unique_name("dflogs-a"))
    second = await in_thread(containers.run, "i=0; while :; do i=$((i+1)); echo beta $i; sleep 0.1; done",
                             name=unique_name("dflogs-b"))
    app = make_app(load_config(overrides={"monitoring": {"live": False}}))
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.screen.query_one(ContainerTable)
        await wait_until(pilot, lambda: {first.id, second.id} <= set(table.shown_ids), what="both rows")
        for container in (first, second):
            table.move_cursor(row=table.get_row_index(container.id))
            await pilot.press("space")
        await pilot.press("l")
        assert isinstance(app.screen, LogsScreen)
        pane = app.screen.query_one(LogPane)

        def texts() -> str:
            return "\n".join(line.text for line in pane.shown_lines)

        await wait_until(pilot, lambda: "alpha" in texts() and "beta" in texts(), timeout=15, what="both streams")
        await pilot.press("escape")
        assert isinstance(app.screen, ContainersScreen)
