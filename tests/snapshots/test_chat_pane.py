"""The chat pane at 80x24, opened with ``A`` on the fixed containers, showing an analysis answer from its history.

The answer is a turn stored in the history beforehand (the pane reads it the way it reads
any earlier answer), so the picture does not depend on a server or on timing.
"""

from __future__ import annotations

from textual.widgets import Input

from dockerforge_tui.core.config import load_config
from dockerforge_tui.core.paths import app_paths
from dockerforge_tui.services.ai.chat_history import ChatHistory, ChatTurn
from dockerforge_tui.services.docker.watch import ContainersListed, EngineConnected
from dockerforge_tui.ui.app import make_app
from dockerforge_tui.ui.screens.chat import ChatScreen
from dockerforge_tui.ui.widgets.chat_transcript import ChatTranscript
from tests.snapshots.test_screens import CONTAINERS, ENGINE, NOW, SAMPLES, feed
from tests.tui.helpers import wait_until

ANSWER = """## Summary
cron is paused, so its jobs do not run.

## Root cause
Someone ran `docker pause cron` (high confidence).

## Evidence
- state: paused since 26h

## Proposed fixes
1. Resume it: `docker unpause cron`
"""


def test_chat_pane_with_an_answer(snap_compare):
    ChatHistory.for_paths(app_paths()).save(ChatTurn(
        "cron", "Why is cron failing? (paused)", answer=ANSWER, attached=("container cron",), kind="analysis",
        provider="claude", model="claude-sonnet-4-5", template="diagnose@v2", call_id="c1", input_tokens=812,
        output_tokens=64, estimated_cost=0.0178, cost=0.0034, rating=1, asked_at=NOW, id="fixedturn01"))
    app = make_app(load_config(overrides={"ai": {"provider": "claude", "models": {"claude": "claude-sonnet-4-5"}}}),
                   watch_engine=False, clock=lambda: NOW)

    async def run_before(pilot):
        await feed(pilot, EngineConnected(ENGINE), ContainersListed(CONTAINERS, complete=True), samples=SAMPLES)
        await pilot.press("A")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ChatScreen), what="the chat pane")
        pane = pilot.app.screen
        await wait_until(pilot, lambda: pane.query_one(ChatTranscript).turns, what="the stored answer")
        pane.query_one(Input).cursor_blink = False
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
