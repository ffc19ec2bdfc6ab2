"""Switching engines from the dashboard: docker contexts and configured endpoints."""

from __future__ import annotations

import hashlib
import json

import pytest

from dockerforge_tui.core.config import load_config
from dockerforge_tui.ui.app import make_app
from dockerforge_tui.ui.widgets.container_table import ContainerTable
from dockerforge_tui.ui.widgets.engine_status import EngineStatus
from tests.support.socket_proxy import EngineSocketProxy
from tests.tui.helpers import in_thread, wait_until

pytestmark = pytest.mark.docker


def write_context(docker_dir, name: str, host: str) -> None:
    meta = docker_dir / "contexts" / "meta" / hashlib.sha256(name.encode()).hexdigest()
    meta.mkdir(parents=True)
    (meta / "meta.json").write_text(json.dumps({"Name": name, "Metadata": {"Description": f"{name} engine"},
                                                "Endpoints": {"docker": {"Host": host, "SkipTLSVerify": False}}}))


async def test_switch_to_a_context_and_to_a_configured_endpoint(docker_client, containers, tmp_path, monkeypatch):
    docker_dir = tmp_path / "dockercfg"
    proxy = EngineSocketProxy(tmp_path / "ctx.sock").start()
    dead = f"unix://{tmp_path / 'nobody.sock'}"
    write_context(docker_dir, "viaproxy", proxy.url)
    monkeypatch.setenv("DOCKER_CONFIG", str(docker_dir))
    container = await in_thread(containers.run, "sleep 300")
    config = load_config(overrides={"docker": {"endpoints": {"broken": dead}}})
    app = make_app(config, retry_delays=(0.2, 0.5))
    try:
        async with app.run_test(size=(120, 30)) as pilot:
            table = app.screen.query_one(ContainerTable)
            status = app.screen.query_one(EngineStatus)
            await wait_until(pilot, lambda: container.id in table.container_ids, what="the first engine's list")
            names = [name for _, name, _ in app.engine_choices()]
            assert names == ["auto", "viaproxy", "broken"]

            await pilot.press("colon", *"ctx broken", "enter")
            await wait_until(pilot, lambda: "nobody.sock" in str(status.render()), what="the broken endpoint banner")
            assert not table.container_ids

            await pilot.press("ctrl+e")
            await pilot.press("down", "enter")  # the viaproxy context
            await wait_until(pilot, lambda: container.id in table.container_ids, what="the list through the context")
            assert proxy.url in app.screen.sub_title
            assert not status.has_class("-visible")
    finally:
        proxy.stop()
