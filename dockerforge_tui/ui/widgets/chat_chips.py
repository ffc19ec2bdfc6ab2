"""The chat pane's context chips: what goes along with the question, removable by keyboard."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from dockerforge_tui.ui.presenters.chat import ContextChip, chips_text


class ContextChips(Widget, can_focus=True):
    """A row of chips; left/right move between them, the pane's remove key drops the one under the cursor."""

    COMPONENT_CLASSES = {"chips--chip", "chips--cursor", "chips--label"}
    DEFAULT_CSS = """
    ContextChips {
        height: auto;
        padding: 0 1;
    }
    ContextChips > .chips--label { color: $text-muted; }
    ContextChips > .chips--chip { color: $accent; text-style: bold; }
    ContextChips > .chips--cursor { background: $accent; color: $background; text-style: bold; }
    """

    BINDINGS = [
        Binding("left,h", "move(-1)", "Previous chip", show=False, id="chat.chip_previous"),
        Binding("right,l", "move(1)", "Next chip", show=False, id="chat.chip_next"),
    ]

    cursor: reactive[int] = reactive(0)

    @dataclass
    class ChipRemoved(Message):
        """A chip was removed; its context no longer goes with the question."""

        chip: ContextChip

    def __init__(self, chips: tuple[ContextChip, ...] = (), **kwargs) -> None:
        super().__init__(**kwargs)
        self._chips = tuple(chips)

    @property
    def chips(self) -> tuple[ContextChip, ...]:
        """The chips still attached, in order."""
        return self._chips

    def set_chips(self, chips: tuple[ContextChip, ...]) -> None:
        """Show these chips instead."""
        self._chips = tuple(chips)
        self.cursor = 0
        self.refresh(layout=True)

    def remove_current(self) -> ContextChip | None:
        """Remove the chip under the cursor (posting :class:`ChipRemoved`); None when there is none."""
        if not self._chips:
            return None
        index = min(self.cursor, len(self._chips) - 1)
        chip = self._chips[index]
        self._chips = self._chips[:index] + self._chips[index + 1:]
        self.cursor = max(0, min(index, len(self._chips) - 1))
        self.refresh(layout=True)
        self.post_message(self.ChipRemoved(chip))
        return chip

    def action_move(self, step: int) -> None:
        """Move the cursor to the previous or next chip."""
        if self._chips:
            self.cursor = max(0, min(len(self._chips) - 1, self.cursor + step))

    def watch_cursor(self) -> None:
        self.refresh()

    def render(self) -> Text:
        muted = self.get_component_rich_style("chips--label")
        if not self._chips:
            return Text("no context attached", style=muted)
        chip_style = self.get_component_rich_style("chips--chip")
        cursor_style = self.get_component_rich_style("chips--cursor")
        text = Text("context: ", style=muted)
        for number, (label, on_cursor) in enumerate(chips_text(self._chips, self.cursor if self.has_focus else None)):
            if number:
                text.append(" ")
            text.append(label, style=cursor_style if on_cursor else chip_style)
        return text

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()
