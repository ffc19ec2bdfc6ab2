"""Every container action from the keyboard, against the real engine."""

from __future__ import annotations

import json

import pytest

from dockerforge_tui.core.config import load_config
from dockerforge_tui.services.audit import audit_path
from dockerforge_tui.ui.app import make_app
from dockerforge_tui.ui.screens.confirm import ConfirmScreen
from dockerforge_tui.ui.screens.containers import ContainersScreen
from dockerforge_tui.ui.widgets.container_table import ContainerTable
from tests.support.containers import unique_name
from tests.tui.helpers import in_thread, wait_until

pytestmark = pytest.mark.docker


def state_of(docker_client, container) -> str:
    container.reload()
    return container.status


async def open_on(pilot, app, container) -> ContainerTable:
    table = app.screen.query_one(ContainerTable)
    await wait_until(pilot, lambda: container.id in table.shown_ids, what=f"row of {container.name}")
    table.move_cursor(row=table.get_row_index(container.id))
    return table


def state_cell(table, container) -> str:
    if container.id not in table.shown_ids:
        return "(not shown)"
    return str(table.get_cell(container.id, "state"))


async def test_stop_start_restart_pause_and_the_audit_log(docker_client, containers, isolated_dirs):
    container = await in_thread(containers.run, "sleep 300", name=unique_name("dfact"))
    app = make_app(load_config(overrides={"actions": {"stop_timeout": "0s"}}))
    async with app.run_test(size=(120, 30)) as pilot:
        table = await open_on(pilot, app, container)
        await pilot.press("s")
        await wait_until(pilot, lambda: state_cell(table, container).startswith("exited"), what="stopped")
        await pilot.press("s")
        await wait_until(pilot, lambda: state_cell(table, container) == "running", what="started again")
        first_start = table.container(container.id).started_at
        await pilot.press("r")
        await wait_until(pilot, lambda: table.container(container.id).started_at not in (None, first_start),
                         what="a new start time after restart")
        await pilot.press("p")
        await wait_until(pilot, lambda: state_cell(table, container) == "paused", what="paused")
        await pilot.press("p")
        await wait_until(pilot, lambda: state_cell(table, container) == "running", what="unpaused")
    records = [json.loads(line) for line in audit_path(isolated_dirs / "data").read_text().splitlines()]
    mine = [record for record in records if record["target"]["name"] == container.name]
    assert [record["verb"] for record in mine] == ["stop", "start", "restart", "pause", "unpause"]
    assert all(record["result"]["outcome"] == "ok" and record["user"] for record in mine)


async def test_kill_with_a_chosen_signal_and_remove_after_confirming(docker_client, containers):
    container = await in_thread(containers.run, "sleep 300", name=unique_name("dfkill"))
    app = make_app(load_config())
    async with app.run_test(size=(120, 30)) as pilot:
        table = await open_on(pilot, app, container)
        await pilot.press("K")
        await pilot.press("enter")  # the highlighted signal: SIGKILL
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await wait_until(pilot, lambda: state_cell(table, container) == "exited(137)", what="killed")

        await pilot.press("d", "enter")  # remove, keep volumes
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")  # cancel: nothing happens
        await pilot.pause(0.3)
        assert await in_thread(state_of, docker_client, container) == "exited"

        await pilot.press("d", "enter", "y")
        await wait_until(pilot, lambda: container.id not in table.container_ids, what="removed")


async def test_rename_and_bulk_stop_with_marks_and_bulk_remove_typed_back(docker_client, containers):
    first = await in_thread(containers.run, "sleep 300", name=unique_name("dfbulk-a"))
    second = await in_thread(containers.run, "sleep 300", name=unique_name("dfbulk-b"))
    app = make_app(load_config(overrides={"actions": {"stop_timeout": "0s"}}))
    async with app.run_test(size=(120, 30)) as pilot:
        table = await open_on(pilot, app, first)
        new_name = unique_name("dfrenamed")
        await pilot.press("R", "ctrl+a", "ctrl+k", *new_name, "enter")
        await wait_until(pilot, lambda: table.container(first.id).name == new_name, what="the new name")

        await pilot.press("slash", *"dfbulk-b", "enter")
        table.move_cursor(row=0)
        await pilot.press("escape", "escape")  # clear the filter again
        assert table.filter.text == "", (table.filter.text, app.focused)
        table.move_cursor(row=table.get_row_index(first.id))
        await pilot.press("space")
        table.move_cursor(row=table.get_row_index(second.id))
        await pilot.press("space")
        assert table.marked_ids == {first.id, second.id}
        await pilot.press("s")
        try:
            await wait_until(pilot, lambda: all(state_cell(table, c).startswith("exited") for c in (first, second)),
                             what="both stopped")
        except AssertionError:
            raise AssertionError([(c.name, state_cell(table, c), c.id in table.container_ids) for c in (first, second)]
                                 + [table.filter.text])
        assert not table.marked_ids  # marks are cleared after a bulk action

        for container in (first, second):
            table.move_cursor(row=table.get_row_index(container.id))
            await pilot.press("space")
        await pilot.press("d", "enter")
        dialog = app.screen
        assert isinstance(dialog, ConfirmScreen)
        await pilot.press("y")  # typing y into the count field is not a confirmation
        assert app.screen is dialog
        await pilot.press("backspace", "2", "enter")
        await wait_until(pilot, lambda: not ({first.id, second.id} & table.container_ids), what="both removed")


async def test_read_only_hides_and_refuses_every_change(docker_client, containers):
    container = await in_thread(containers.run, "sleep 300", name=unique_name("dfro"))
    app = make_app(load_config(overrides={"ui": {"readonly": True}}))
    async with app.run_test(size=(120, 30)) as pilot:
        table = await open_on(pilot, app, container)
        assert "READ-ONLY" in app.title
        footer_actions = {active.binding.action for active in app.screen.active_bindings.values()}
        assert not footer_actions & ContainersScreen.MUTATING_ACTIONS
        await pilot.press("s", "r", "p", "d", "K", "e")
        await pilot.pause(0.5)
        assert isinstance(app.screen, ContainersScreen)
        assert state_cell(table, container) == "running"
        # Even when asked directly, the service refuses.
        from dockerforge_tui.core.errors import DockerForgeError

        with pytest.raises(DockerForgeError, match="read-only"):
            await in_thread(app.services.act, "stop", table.container(container.id))
    assert await in_thread(state_of, docker_client, container) == "running"
