"""A confirmation dialog that says exactly what will happen; bulk ones want the count typed back."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static


class ConfirmScreen(ModalScreen[bool]):
    """Ask before a destructive action. Dismisses with True only on an explicit yes.

    With ``type_back`` set, the person must type that text (a count, or a name) before
    the confirm button does anything.
    """

    CSS_PATH = "../styles/confirm.tcss"
    BINDINGS = [
        Binding("escape,n", "cancel", "Cancel", id="confirm.cancel"),
        Binding("y", "confirm", "Confirm", id="confirm.yes"),
    ]

    def __init__(self, title: str, details: str, confirm_label: str = "Confirm", type_back: str | None = None) -> None:
        super().__init__()
        self._title = title
        self._details = details
        self._confirm_label = confirm_label
        self._type_back = type_back

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Static(self._title, id="confirm-title")
            yield Static(self._details, id="confirm-details")
            if self._type_back is not None:
                yield Static(f"Type {self._type_back!r} to confirm:", id="confirm-prompt")
                yield Input(id="confirm-input")
            with Horizontal(id="confirm-buttons"):
                yield Button(f"{self._confirm_label} (y)", variant="error", id="confirm-yes")
                yield Button("Cancel (esc)", id="confirm-no")

    def on_mount(self) -> None:
        if self._type_back is not None:
            self.query_one(Input).focus()
        else:
            self.query_one("#confirm-no", Button).focus()

    def _typed_back(self) -> bool:
        return self._type_back is None or self.query_one(Input).value.strip() == self._type_back

    def action_confirm(self) -> None:
        """Confirm, when what had to be typed back was typed."""
        if self._typed_back():
            self.dismiss(True)
        else:
            self.notify(f"type {self._type_back!r} first", severity="warning")

    def action_cancel(self) -> None:
        """Leave everything as it is."""
        self.dismiss(False)

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_confirm()

    @on(Button.Pressed, "#confirm-yes")
    def _yes(self) -> None:
        self.action_confirm()

    @on(Button.Pressed, "#confirm-no")
    def _no(self) -> None:
        self.action_cancel()
