"""Filter, sort, grouping and marks on the containers screen, on fixed data (no engine needed)."""

from __future__ import annotations

from dockerforge_tui.core.config import load_config
from dockerforge_tui.services.docker.models import ContainerSummary, StatsSample
from dockerforge_tui.services.docker.watch import ContainersListed
from dockerforge_tui.ui.app import make_app
from dockerforge_tui.ui.screens.containers import ContainersScreen
from dockerforge_tui.ui.widgets.container_table import ContainerTable

PROJECT = "com.docker.compose.project"


def make(name: str, project: str | None = None, state: str = "running") -> ContainerSummary:
    labels = ((PROJECT, project),) if project else ()
    return ContainerSummary(id=f"{name:x<64}", name=name, image="busybox", state=state, status="", created=0,
                            labels=labels)


CONTAINERS = (make("web", "shop"), make("api", "shop"), make("cron"), make("db", "data"), make("old", state="exited"))


async def started(pilot):
    screen = pilot.app.screen
    screen.post_message(ContainersScreen.WatchUpdated(ContainersListed(CONTAINERS, complete=True)))
    await pilot.pause()
    return screen.query_one(ContainerTable)


def names(table: ContainerTable) -> list[str]:
    return [table.container(cid).name for cid in table.shown_ids]


async def test_filter_bar_filters_live_and_escape_clears():
    app = make_app(load_config(), watch_engine=False)
    async with app.run_test(size=(100, 30)) as pilot:
        table = await started(pilot)
        assert names(table) == ["api", "cron", "db", "old", "web"]
        await pilot.press("slash", *"shop")
        assert names(table) == ["api", "web"]
        await pilot.press("enter")
        assert table.has_focus
        assert "2 of 5 containers" in str(app.screen.query_one("#containers-status").render())
        await pilot.press("slash", "ctrl+a", "ctrl+k", *"!re:^(api|web)$", "enter")
        assert names(table) == ["cron", "db", "old"]
        await pilot.press("slash", "ctrl+a", "ctrl+k", *"re:([")
        assert app.screen.query_one("#container-filter").has_class("-invalid")
        await pilot.press("escape", "escape")
        assert names(table) == ["api", "cron", "db", "old", "web"]


async def test_sort_cycles_and_reverses_and_keeps_the_cursor():
    app = make_app(load_config(), watch_engine=False)
    async with app.run_test(size=(100, 30)) as pilot:
        table = await started(pilot)
        table.move_cursor(row=names(table).index("db"))
        await pilot.press("O")
        assert names(table) == ["web", "old", "db", "cron", "api"]
        assert table.selected_container.name == "db"
        await pilot.press("o")  # state
        assert table.sort_column == "state"
        assert names(table)[-1] == "old"  # exited sorts after running
        table.sort_by("cpu", reverse=True)
        app.screen.post_message(ContainersScreen.StatsSampled((
            StatsSample(make("api").id, 0, 80.0, 1, 1), StatsSample(make("web").id, 0, 5.0, 1, 1))))
        await pilot.pause()
        assert names(table)[:2] == ["api", "web"]


async def test_grouping_by_project_and_marks():
    app = make_app(load_config(), watch_engine=False)
    async with app.run_test(size=(100, 30)) as pilot:
        table = await started(pilot)
        await pilot.press("P")
        assert names(table) == ["db", "api", "web", "cron", "old"]  # data, shop, then no project
        await pilot.press("g", "space", "space")
        assert {table.container(cid).name for cid in table.marked_ids} == {"db", "api"}
        assert [c.name for c in table.targets()] == ["db", "api"]
        assert str(table.get_cell(make("db").id, "mark")) == "•"
        await pilot.press("escape")
        assert not table.marked_ids
        assert [c.name for c in table.targets()] == [table.selected_container.name]


async def test_help_lists_screen_bindings_with_ids_and_keymap_applies():
    config = load_config(overrides={"ui": {"keymap": {"containers.sort": "x"}}})
    app = make_app(config, watch_engine=False)
    async with app.run_test(size=(100, 30)) as pilot:
        table = await started(pilot)
        entries = {entry.binding_id: entry for entry in app.help_entries()}
        assert entries["containers.sort"].keys == "x" and entries["containers.filter"].description == "Filter"
        await pilot.press("x")
        assert table.sort_column == "state"
        await pilot.press("question_mark")
        assert type(app.screen).__name__ == "HelpScreen"
        await pilot.press("escape")
        assert isinstance(app.screen, ContainersScreen)


async def test_command_mode_runs_commands_with_history():
    app = make_app(load_config(), watch_engine=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await started(pilot)
        await pilot.press("colon", *"theme textual-light", "enter")
        assert app.theme == "textual-light"
        await pilot.press("colon", *"bogus", "enter")
        await pilot.press("colon", "up", "up", "enter")  # back to "theme textual-light"
        assert app._command_history[-1] == "theme textual-light"
        await pilot.press("colon", *"quit", "enter")
    assert app.return_code == 0
