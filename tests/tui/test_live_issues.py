"""The dashboard's live monitor turns container failures into issues while it runs."""

from __future__ import annotations

import pytest

from dockerforge_tui.core.config import load_config
from dockerforge_tui.ui.app import make_app
from tests.support.containers import unique_name
from tests.tui.helpers import in_thread, wait_until

pytestmark = pytest.mark.docker


async def test_a_failing_container_becomes_an_issue_live(docker_client, containers):
    app = make_app(load_config(overrides={"monitoring": {"interval": "2s"}}))
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_until(pilot, lambda: app.screen.sub_title.startswith("unix://"), what="connected")
        name = unique_name("dflive")
        await in_thread(containers.run,
                        "echo 'Server starting'; sleep 1; "
                        "echo 'Error: listen EADDRINUSE: address already in use :::3000'; sleep 300",
                        name=name)
        store = app.services.issues

        def found() -> bool:
            return any(issue.category == "port_in_use" and name in issue.containers for issue in store.list())

        await wait_until(pilot, found, timeout=20, what="the port_in_use issue")
        await wait_until(pilot, lambda: "open issues" in str(app.screen.query_one("#containers-status").render()),
                         timeout=10, what="the open-issue count in the status line")

        oom = unique_name("dfoom")
        await in_thread(containers.run, "x=a; while :; do x=$x$x; done", name=oom, mem_limit="16m",
                        memswap_limit="16m")
        await wait_until(pilot, lambda: any(issue.category == "out_of_memory" and oom in issue.containers
                                            for issue in store.list()), timeout=30, what="the OOM issue")
