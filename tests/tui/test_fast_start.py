"""What keeps the dashboard's start fast: the list on the first frame, nothing heavy before it."""

from __future__ import annotations

import gc
import subprocess
import sys
import threading

import pytest

from dockerforge_tui.core.config import load_config
from dockerforge_tui.core.errors import EngineUnreachableError
from dockerforge_tui.services.docker.connection import EarlyContainerList
from dockerforge_tui.services.docker.models import ContainerSummary, summary_from_list_entry
from dockerforge_tui.ui.app import make_app
from dockerforge_tui.ui.screens.containers import ContainersScreen
from dockerforge_tui.ui.services import DashboardServices
from dockerforge_tui.ui.widgets.container_table import ContainerTable
from dockerforge_tui.ui.widgets.engine_status import EngineStatus
from tests.tui.helpers import in_thread, wait_until

# Modules the dashboard loads only after its first frame (in workers, or on first use).
AFTER_FIRST_FRAME = ("docker", "requests", "urllib3", "paramiko", "dockerforge_tui.services.issues",
                     "dockerforge_tui.services.logs", "dockerforge_tui.services.docker.container_actions")


def test_building_the_app_loads_nothing_the_first_frame_does_not_need():
    code = ("import sys\n"
            "from dockerforge_tui.core.config import load_config\n"
            "from dockerforge_tui.ui.app import make_app\n"
            "make_app(load_config(env={}))\n"
            f"print(','.join(name for name in {AFTER_FIRST_FRAME!r} if name in sys.modules))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == ""


def test_the_issue_store_opens_once_on_first_use_from_any_thread():
    opened = []

    def open_issues():
        opened.append(threading.current_thread().name)
        return object()

    services = DashboardServices(settings=None, engine=None, audit=None, readonly=False, open_issues=open_issues)
    assert opened == []
    stores = []
    threads = [threading.Thread(target=lambda: stores.append(services.issues)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(opened) == 1 and len({id(store) for store in stores}) == 1


@pytest.mark.docker
async def test_the_engine_list_is_on_the_first_frame(containers):
    container = await in_thread(containers.run, "sleep 300")
    app = make_app(load_config())
    early = await in_thread(app._first_list.result, 5)
    assert early is not None and container.id in {summary.id for summary in early}
    async with app.run_test(size=(120, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, ContainersScreen)
        table = screen.query_one(ContainerTable)
        # Shown by the screen's mount, from the early list: no worker had to connect first.
        assert container.id in table.container_ids
        assert not screen.query_one(EngineStatus).display
        await wait_until(pilot, lambda: screen.sub_title.startswith("unix://"), what="the watcher connected")
        await wait_until(pilot, lambda: table.container(container.id).started_at is not None,
                         what="the inspect details")


def test_a_dashboard_start_that_fails_leaves_the_garbage_collector_on(run_cli):
    # The dashboard starts with the collector off; an error before the first frame turns it back on.
    assert gc.isenabled()
    result = run_cli("--theme", "forge-drak")
    assert result.exit_code != 0 and "no theme named" in result.stderr
    assert gc.isenabled()


async def test_the_collector_is_back_on_after_the_first_frame():
    app = make_app(load_config(), watch_engine=False)
    gc.disable()
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_until(pilot, gc.isenabled, what="the collector back on")
    finally:
        gc.enable()


def tracked(thing: object) -> bool:
    """Whether the cycle collector sees ``thing`` (a frozen object is out of its sight)."""
    return any(candidate is thing for candidate in gc.get_objects())


@pytest.mark.docker
async def test_what_loads_after_the_first_frame_is_frozen_once_the_monitor_runs_and_thawed_at_the_end():
    app = make_app(load_config())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app._monitor is not None, timeout=20, what="the live monitor")
        monitor = app._monitor
        await wait_until(pilot, lambda: not tracked(monitor), what="the monitor frozen")
    assert tracked(monitor)


def early_entry(name: str) -> ContainerSummary:
    return summary_from_list_entry({"Id": name.encode().hex().ljust(64, "0"), "Names": [f"/{name}"],
                                    "Image": "busybox", "State": "running", "Status": "Up 1 second"})


async def test_an_early_list_that_comes_after_the_first_frame_is_shown_when_it_arrives():
    release = threading.Event()
    listed = (early_entry("early-one"),)

    def unreachable():
        raise EngineUnreachableError("no engine in this test", hint="none needed")

    def slow_list():
        release.wait(5)
        return listed

    app = make_app(load_config(), connector=unreachable, retry_delays=(5.0, 5.0))
    app._first_list = EarlyContainerList(slow_list)  # what make_app starts for a discovered engine
    async with app.run_test(size=(120, 30)) as pilot:
        screen = app.screen
        table = screen.query_one(ContainerTable)
        assert table.row_count == 0
        release.set()
        await wait_until(pilot, lambda: listed[0].id in table.container_ids, what="the early list")
        # A list from before an engine switch is not shown.
        screen.post_message(ContainersScreen.FirstListed((early_entry("stale-one"),), watcher=object()))
        await pilot.pause(0.1)
        assert table.container_ids == {listed[0].id}


@pytest.mark.skipif(sys.platform == "win32", reason="the Windows driver has no escape timer to cut")
def test_a_terminal_gets_the_driver_that_reports_escape_without_the_extra_tick(monkeypatch):
    from dockerforge_tui.cli.main import escape_delay_milliseconds
    from dockerforge_tui.ui.driver import PromptEscapeDriver

    monkeypatch.delenv("TEXTUAL_DRIVER", raising=False)
    app = make_app(load_config(), watch_engine=False)
    assert app.get_driver_class() is PromptEscapeDriver  # tests/tui/test_terminal_e2e.py presses Escape through it
    assert escape_delay_milliseconds(load_config().settings) == "25"
    assert escape_delay_milliseconds(load_config(overrides={"ui": {"escape_delay": "0.2s"}}).settings) == "200"
