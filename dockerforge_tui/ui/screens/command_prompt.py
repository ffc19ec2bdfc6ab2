"""Command mode (:): type ``containers``, ``logs NAME``, ``theme NAME``... with completion and history."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Input


class CommandPrompt(ModalScreen[str | None]):
    """A one-line prompt at the bottom of the screen; dismisses with the command text (or None)."""

    CSS_PATH = "../styles/command_prompt.tcss"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="command.cancel"),
        Binding("up", "history(-1)", "Previous command", id="command.history_back"),
        Binding("down", "history(1)", "Next command", id="command.history_forward"),
    ]

    def __init__(self, completions: list[str], history: list[str]) -> None:
        super().__init__()
        self._completions = completions
        self._history = history
        self._position = len(history)

    def compose(self) -> ComposeResult:
        yield Input(placeholder="containers | images | volumes | networks | logs NAME | theme NAME | help | quit",
                    suggester=SuggestFromList(self._completions, case_sensitive=False), id="command-input")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def action_cancel(self) -> None:
        """Close the prompt without running anything."""
        self.dismiss(None)

    def action_history(self, step: int) -> None:
        """Walk through earlier commands."""
        if not self._history:
            return
        self._position = max(0, min(len(self._history), self._position + step))
        field = self.query_one(Input)
        field.value = self._history[self._position] if self._position < len(self._history) else ""
        field.cursor_position = len(field.value)

    @on(Input.Submitted)
    def _run(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)
