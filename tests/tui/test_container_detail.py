"""The container detail screen against the real engine."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, TextArea

from dockerforge_tui.core.config import load_config
from dockerforge_tui.ui.app import make_app
from dockerforge_tui.ui.screens.container_detail import ContainerDetailScreen
from dockerforge_tui.ui.screens.containers import ContainersScreen
from dockerforge_tui.ui.widgets.container_table import ContainerTable
from dockerforge_tui.ui.widgets.stats_panel import StatsPanel
from tests.support.containers import unique_name
from tests.tui.helpers import in_thread, wait_until

pytestmark = pytest.mark.docker

SECRET = "s3cr3t-Pa55word-42"


def table_rows(table: DataTable) -> list[tuple[str, ...]]:
    return [tuple(str(cell) for cell in table.get_row_at(index)) for index in range(table.row_count)]


async def test_detail_tabs_mask_secrets_until_revealed(docker_client, containers):
    container = await in_thread(
        containers.run, "while :; do echo tick; sleep 0.2; done", name=unique_name("dfdetail"),
        environment={"DB_PASSWORD": SECRET, "MODE": "prod"}, mem_limit="64m", ports={"80/tcp": None})
    app = make_app(load_config())
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.screen.query_one(ContainerTable)
        await wait_until(pilot, lambda: container.id in table.shown_ids, what="the row")
        table.move_cursor(row=table.get_row_index(container.id))
        table.focus()
        await pilot.press("enter")
        assert isinstance(app.screen, ContainerDetailScreen)
        screen = app.screen
        env = screen.query_one("#env-table", DataTable)
        await wait_until(pilot, lambda: env.row_count >= 2, what="the env table")
        rows = dict(table_rows(env))
        assert rows["MODE"] == "prod" and rows["DB_PASSWORD"] != SECRET and SECRET not in str(rows)
        inspect = screen.query_one("#inspect-text", TextArea).text
        assert container.name in inspect and SECRET not in inspect

        await pilot.press("v")
        assert dict(table_rows(env))["DB_PASSWORD"] == SECRET
        assert SECRET in screen.query_one("#inspect-text", TextArea).text
        await pilot.press("v")
        assert dict(table_rows(env))["DB_PASSWORD"] != SECRET

        top = screen.query_one("#top-table", DataTable)
        await wait_until(pilot, lambda: top.row_count >= 1, what="the process list")
        assert any("tick" in " ".join(row) or "sh" in " ".join(row) for row in table_rows(top))
        ports = table_rows(screen.query_one("#ports-table", DataTable))
        assert ports and ports[0][0] == "80/tcp" and ports[0][1] != "not published"

        await pilot.press("2")
        panel = screen.query_one(StatsPanel)
        await wait_until(pilot, lambda: "limit 64.0MiB" in str(panel.render()), timeout=15, what="a stats sample")
        await pilot.press("escape")
        assert isinstance(app.screen, ContainersScreen)


async def test_detail_of_a_vanished_container_says_so(docker_client, containers):
    app = make_app(load_config(), watch_engine=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.push_screen(ContainerDetailScreen("0" * 64, "ghost"))
        await wait_until(pilot, lambda: "ghost" in str(app.screen.query_one("#overview-text").render())
                         or "not" in str(app.screen.query_one("#overview-text").render()), what="the failure text")
        text = str(app.screen.query_one("#overview-text").render())
        assert "Traceback" not in text and "Loading" not in text
