"""The key footer: Textual's look, rebuilt only when its keys change, and no old keys kept alive."""

from __future__ import annotations

import gc

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import Input
from textual.widgets._footer import FooterKey

from dockerforge_tui.ui.widgets.key_footer import KeyFooter


class Pane(Widget, can_focus=True):
    """A focusable widget with keys of its own, so focusing it changes the footer."""

    BINDINGS = [Binding("t", "toggle('time')", "Time"), Binding("w", "toggle('wrap')", "Wrap")]

    def action_toggle(self, _what: str) -> None:
        pass


class FooterApp(App):
    BINDINGS = [Binding("f10", "quit", "Quit")]

    def compose(self) -> ComposeResult:
        yield Pane(id="first")
        yield Pane(id="second")
        yield Input(id="prompt")
        yield KeyFooter()


def live_footer_keys() -> list[FooterKey]:
    gc.collect()
    return [thing for thing in gc.get_objects() if isinstance(thing, FooterKey)]


def shown(app: App) -> list[str]:
    return [key.description for key in app.query(FooterKey)]


async def test_the_footer_shows_the_focused_widgets_keys():
    app = FooterApp()
    async with app.run_test(size=(80, 10)) as pilot:
        app.query_one("#first").focus()
        await pilot.pause()
        assert {"Time", "Wrap", "Quit"} <= set(shown(app))
        app.query_one("#prompt").focus()
        await pilot.pause()
        assert "Time" not in shown(app) and "Quit" in shown(app)


async def test_moving_between_widgets_with_the_same_keys_keeps_the_footer_as_it_is():
    app = FooterApp()
    async with app.run_test(size=(80, 10)) as pilot:
        app.query_one("#first").focus()
        await pilot.pause()
        before = list(app.query(FooterKey))
        app.query_one("#second").focus()
        await pilot.pause()
        assert list(app.query(FooterKey)) == before  # the same widgets: nothing was rebuilt


async def test_focus_changes_do_not_keep_old_keys_alive():
    app = FooterApp()
    async with app.run_test(size=(80, 10)) as pilot:
        for _ in range(3):
            app.query_one("#first").focus()
            await pilot.pause()
            app.query_one("#prompt").focus()
            await pilot.pause()
        settled = len(live_footer_keys())
        for _ in range(20):
            app.query_one("#first").focus()
            await pilot.pause()
            app.query_one("#prompt").focus()
            await pilot.pause()
        await pilot.pause()
        # Textual's own footer kept every key of every rebuild here: about 80 more.
        assert len(live_footer_keys()) <= settled + len(app.query(FooterKey))
