"""An image's history: its layers, newest first, as ``docker history`` shows them."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static
from textual.worker import get_current_worker

from dockerforge_tui.core.errors import DockerForgeError
from dockerforge_tui.services.docker.images import ImageLayer, ImageSummary, image_history
from dockerforge_tui.ui.presenters import objects as present
from dockerforge_tui.ui.widgets.key_footer import KeyFooter
from dockerforge_tui.ui.widgets.settled_table import SettledTable

COLUMNS = (("created", "Created", None), ("size", "Size", None), ("created_by", "Created by", None))


class ImageHistoryScreen(Screen):
    """The layers of one image, with the full command of the layer under the cursor.

    ``image`` is the image to show (from the images screen); ``clock`` gives "now" for
    ages; ``follow_engine=False`` shows only the layers posted to it (snapshot tests).
    """

    CSS_PATH = "../styles/images.tcss"

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="image_history.down"),
        Binding("k", "cursor_up", "Up", show=False, id="image_history.up"),
        Binding("g", "cursor_top", "Top", show=False, id="image_history.top"),
        Binding("G", "cursor_bottom", "Bottom", show=False, id="image_history.bottom"),
        Binding("escape", "back", "Back", id="image_history.back"),
    ]

    @dataclass
    class LayersRead(Message):
        """The image's layers arrived, newest first."""

        layers: tuple[ImageLayer, ...]

    @dataclass
    class HistoryFailed(Message):
        """Reading the history failed."""

        message: str
        hint: str | None = None

    def __init__(self, image: ImageSummary, *, clock: Callable[[], float] = time.time,
                 follow_engine: bool = True) -> None:
        super().__init__()
        self.image = image
        self._clock = clock
        self._follow_engine = follow_engine
        self._layers: tuple[ImageLayer, ...] | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Text(present.history_title(self.image, None)), id="history-title")
        yield SettledTable(id="history-table", cursor_type="row", zebra_stripes=False)
        yield Static("", id="history-command")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.sub_title = f"history of {self.image.display_name}"
        table = self.query_one("#history-table", DataTable)
        for key, label, width in COLUMNS:
            table.add_column(label, key=key, width=width)
        table.focus()
        if self._follow_engine:
            self.read_history()

    @work(thread=True, exclusive=True, group="image-history")
    def read_history(self) -> None:
        """Read the layers off the event loop."""
        worker = get_current_worker()
        try:
            layers = self.app.services.call(image_history, self.image.id)
        except DockerForgeError as error:
            if not worker.is_cancelled:
                self.post_message(self.HistoryFailed(error.message, error.hint))
            return
        if not worker.is_cancelled:
            self.post_message(self.LayersRead(layers))

    @on(LayersRead)
    def _show_layers(self, message: LayersRead) -> None:
        self._layers = message.layers
        table = self.query_one("#history-table", DataTable)
        table.clear()
        now = self._clock()
        for index, layer in enumerate(message.layers):
            cells = present.layer_cells(layer, now)
            table.add_row(*(cells[key] for key, _, _ in COLUMNS), key=str(index))
        self.query_one("#history-title", Static).update(Text(present.history_title(self.image, message.layers)))
        self._show_command()

    @on(HistoryFailed)
    def _failed(self, message: HistoryFailed) -> None:
        self.notify(f"{message.message}\n{message.hint}" if message.hint else message.message,
                    title="Could not read the image's history", severity="error", timeout=10)

    @on(DataTable.RowHighlighted)
    def _cursor_moved(self) -> None:
        self._show_command()

    @property
    def selected_layer(self) -> ImageLayer | None:
        """The layer under the cursor."""
        table = self.query_one("#history-table", DataTable)
        if not self._layers or not table.row_count:
            return None
        return self._layers[min(table.cursor_row, len(self._layers) - 1)]

    def _show_command(self) -> None:
        self.query_one("#history-command", Static).update(Text(present.layer_details(self.selected_layer)))

    def action_cursor_down(self) -> None:
        """Move to the next (older) layer."""
        self.query_one("#history-table", DataTable).action_cursor_down()

    def action_cursor_up(self) -> None:
        """Move to the previous (newer) layer."""
        self.query_one("#history-table", DataTable).action_cursor_up()

    def action_cursor_top(self) -> None:
        """Jump to the newest layer."""
        self.query_one("#history-table", DataTable).action_scroll_top()

    def action_cursor_bottom(self) -> None:
        """Jump to the oldest layer."""
        self.query_one("#history-table", DataTable).action_scroll_bottom()

    def action_back(self) -> None:
        """Back to the images."""
        self.app.pop_screen()
