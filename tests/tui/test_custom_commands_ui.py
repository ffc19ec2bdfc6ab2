"""Custom commands from the config run on the selected container, never through a shell."""

from __future__ import annotations

import json

import pytest

from dockerforge_tui.core.config import load_config
from dockerforge_tui.services.audit import audit_path
from dockerforge_tui.ui.app import make_app
from dockerforge_tui.ui.screens.confirm import ConfirmScreen
from dockerforge_tui.ui.widgets.container_table import ContainerTable
from tests.support.containers import unique_name
from tests.tui.helpers import in_thread, wait_until

pytestmark = pytest.mark.docker


async def test_custom_commands_from_the_palette(docker_client, containers, tmp_path, isolated_dirs):
    container = await in_thread(containers.run, "sleep 300", name=unique_name("dfcustom"))
    marker_dir = tmp_path / "marks"
    marker_dir.mkdir()
    commands = [
        {"id": "mark", "title": "Leave a mark", "argv": ["touch", f"{marker_dir}/{{name}}"]},
        {"id": "wipe", "title": "Wipe marks", "argv": ["rm", "-f", f"{marker_dir}/{{name}}"], "dangerous": True},
    ]
    app = make_app(load_config(overrides={"custom_commands": commands, "monitoring": {"live": False}}))
    async with app.run_test(size=(120, 30)) as pilot:
        table = app.screen.query_one(ContainerTable)
        await wait_until(pilot, lambda: container.id in table.shown_ids, what="the row")
        table.move_cursor(row=table.get_row_index(container.id))
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert "Leave a mark" in titles and "Wipe marks" in titles

        app.screen.run_custom(app.services.custom_commands[0])
        await wait_until(pilot, lambda: (marker_dir / container.name).exists(), what="the marker file")

        app.screen.run_custom(app.services.custom_commands[1])
        assert isinstance(app.screen, ConfirmScreen)  # dangerous: it asks first
        await pilot.press("y")
        await wait_until(pilot, lambda: not (marker_dir / container.name).exists(), what="the marker removed")
    verbs = [json.loads(line)["verb"] for line in audit_path(isolated_dirs / "data").read_text().splitlines()]
    assert verbs == ["custom mark", "custom wipe"]

    readonly = make_app(load_config(overrides={"custom_commands": commands, "ui": {"readonly": True}}),
                        watch_engine=False)
    async with readonly.run_test(size=(120, 30)):
        titles = [command.title for command in readonly.get_system_commands(readonly.screen)]
        assert "Leave a mark" in titles and "Wipe marks" not in titles
