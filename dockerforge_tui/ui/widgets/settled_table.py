"""A DataTable that redraws once its automatic column widths are measured."""

from __future__ import annotations

from textual.widgets import DataTable


class SettledTable(DataTable):
    """A :class:`DataTable` whose rows never keep the column widths they were first drawn with.

    Textual's DataTable measures new rows when idle, but a row it drew before that (the
    cursor row, refreshed on its own) stays cached at the old widths and shows squeezed
    until some later update. The widths have settled when the virtual size changes: the
    caches are dropped then.
    """

    def watch_virtual_size(self) -> None:
        self.notify_style_update()
