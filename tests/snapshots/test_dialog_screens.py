"""Snapshots of the help screen and the dialogs at 80x24 and 120x40, opened the way a person opens them.

The containers screen below is fed the fixed containers of ``test_screens`` through the
watcher's own messages; then keys open each dialog: ``?`` help, ``d`` the removal choice
and its confirmation (the bulk one with the count to type back), ``K`` the signal choice,
``R`` the rename prompt and ``:`` the command prompt. Nothing reaches the engine: every
dialog is shown before any action runs. Input cursors stop blinking so the pictures do
not depend on how fast the machine takes them.
"""

from __future__ import annotations

import pytest
from textual.widgets import Input

from dockerforge_tui.ui.screens.choice import ChoiceScreen
from dockerforge_tui.ui.screens.command_prompt import CommandPrompt
from dockerforge_tui.ui.screens.confirm import ConfirmScreen
from dockerforge_tui.ui.screens.help import HelpScreen
from dockerforge_tui.ui.screens.text_prompt import TextPromptScreen
from dockerforge_tui.services.docker.watch import ContainersListed, EngineConnected
from tests.snapshots.test_screens import CONTAINERS, ENGINE, SAMPLES, dashboard, feed

SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])


def opened_with(*keys: str, expect: type, typed: str = ""):
    """A ``run_before`` that fills the containers screen, presses ``keys`` and checks ``expect`` is on top."""

    async def run_before(pilot):
        await feed(pilot, EngineConnected(ENGINE), ContainersListed(CONTAINERS, complete=True), samples=SAMPLES)
        await pilot.press(*keys)
        await pilot.pause()
        assert isinstance(pilot.app.screen, expect), pilot.app.screen
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False
        if typed:
            await pilot.press(*typed)
        await pilot.pause()

    return run_before


@SIZES
def test_help_screen_over_the_containers(snap_compare, size):
    assert snap_compare(dashboard(), terminal_size=size, run_before=opened_with("question_mark", expect=HelpScreen))


@SIZES
def test_remove_choice(snap_compare, size):
    # The rows are sorted by name: the cursor is on "cron", which is paused.
    assert snap_compare(dashboard(), terminal_size=size, run_before=opened_with("d", expect=ChoiceScreen))


@SIZES
def test_remove_confirmation(snap_compare, size):
    assert snap_compare(dashboard(), terminal_size=size,
                        run_before=opened_with("d", "enter", expect=ConfirmScreen))


@SIZES
def test_bulk_remove_confirmation_wants_the_count_typed_back(snap_compare, size):
    # Mark cron and migrate, remove them with their volumes: the dialog wants "2" typed.
    assert snap_compare(dashboard(), terminal_size=size,
                        run_before=opened_with("space", "space", "d", "down", "enter", expect=ConfirmScreen,
                                               typed="2"))


@SIZES
def test_kill_signal_choice(snap_compare, size):
    # Only running containers can be killed: down twice to shop-db-1.
    assert snap_compare(dashboard(), terminal_size=size,
                        run_before=opened_with("down", "down", "K", expect=ChoiceScreen))


@SIZES
def test_rename_prompt(snap_compare, size):
    assert snap_compare(dashboard(), terminal_size=size, run_before=opened_with("R", expect=TextPromptScreen))


@SIZES
def test_command_prompt_with_a_completion(snap_compare, size):
    # The prompt is one line at the bottom: the dashboard stays visible above it.
    assert snap_compare(dashboard(), terminal_size=size,
                        run_before=opened_with("colon", expect=CommandPrompt, typed="logs s"))
