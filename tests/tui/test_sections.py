"""Every top-level section opens from the keyboard (command mode and function keys) at 80x24."""

from __future__ import annotations

import pytest

from dockerforge_tui.core.config import load_config
from dockerforge_tui.ui.app import DockerForgeApp, make_app
from dockerforge_tui.ui.screens.containers import ContainersScreen

pytestmark = pytest.mark.docker

SECTION_SCREENS = {"images": "ImagesScreen", "volumes": "VolumesScreen", "networks": "NetworksScreen",
                   "compose": "ComposeScreen", "events": "EventsScreen", "system": "SystemScreen",
                   "audit": "AuditScreen", "stats": "StatsScreen"}


async def test_each_section_opens_by_command_and_key_and_escape_returns(docker_client):
    app = make_app(load_config(), watch_engine=False)
    async with app.run_test(size=(80, 24)) as pilot:
        for number, (name, screen_name) in enumerate(SECTION_SCREENS.items(), start=2):
            await pilot.press("colon", *name, "enter")
            await pilot.pause()
            assert type(app.screen).__name__ == screen_name
            await pilot.press("f1")
            assert isinstance(app.screen, ContainersScreen)
            await pilot.press(f"f{number}")
            assert type(app.screen).__name__ == screen_name
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, ContainersScreen), f"escape from {name}"
        assert set(SECTION_SCREENS) == set(DockerForgeApp.SECTIONS)
