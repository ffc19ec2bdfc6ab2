"""The help screen (?): every binding of the screen below it, generated from its BINDINGS."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static


@dataclass(frozen=True)
class HelpEntry:
    """One row of the help table."""

    keys: str
    binding_id: str
    description: str


class HelpScreen(ModalScreen[None]):
    """Lists key, binding id (for the config keymap) and what it does."""

    CSS_PATH = "../styles/help.tcss"
    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss", "Close", id="help.close"),
    ]

    def __init__(self, title: str, entries: tuple[HelpEntry, ...]) -> None:
        super().__init__()
        self._title = title
        self._entries = entries

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box"):
            yield Static(f"Keys: {self._title}", id="help-title")
            yield DataTable(id="help-table", cursor_type="row", zebra_stripes=True)
            yield Static("Remap any key by id in the config: ui.keymap: {containers.stop: x}   esc closes",
                         id="help-footer")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Key", "Action", "Id")
        for entry in self._entries:
            table.add_row(Text(entry.keys), Text(entry.description), Text(entry.binding_id, style="dim"))
        table.focus()

    async def action_dismiss(self, result: None = None) -> None:
        """Close the help screen."""
        self.dismiss(result)
