"""A snapshot of the AI usage screen at 80x24, from a ledger filled with fixed, timestamped requests."""

from __future__ import annotations

from dockerforge_tui.core.config import load_config
from dockerforge_tui.services.ai.usage import UsageLedger
from dockerforge_tui.ui.app import make_app
from tests.tui.test_ai_usage_screen import AI, NOW, fill
from tests.tui.helpers import wait_until


def test_ai_usage_screen(snap_compare):
    app = make_app(load_config(overrides={"ai": AI}), watch_engine=False, clock=lambda: NOW)
    fill(UsageLedger.in_data_dir(app.paths.data_dir))

    async def run_before(pilot):
        await pilot.press("colon", *"usage", "enter")
        await wait_until(pilot, lambda: getattr(pilot.app.screen, "report", None) is not None, what="the ledger read")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
