"""CPU, memory, network and block I/O of one container as sparklines over a rolling window."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from dockerforge_tui.services.metrics.series import SeriesView
from dockerforge_tui.ui.palette import theme_palette
from dockerforge_tui.ui.presenters.charts import rate_text, sparkline
from dockerforge_tui.ui.presenters.containers import format_bytes

LABEL_WIDTH = 24


class StatsPanel(Static):
    """Redrawn only when a new sample arrives (about once a second), never per frame."""

    DEFAULT_CSS = """
    StatsPanel { height: auto; padding: 0 1; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__("Waiting for the first stats sample…", **kwargs)
        self._view: SeriesView | None = None

    def show(self, view: SeriesView) -> None:
        """Draw the series (called from the screen's message handler)."""
        self._view = view
        self.update(self._render_view(view))

    def on_resize(self) -> None:
        if self._view is not None:
            self.update(self._render_view(self._view))

    def _render_view(self, view: SeriesView) -> Text:
        width = max(10, self.size.width - LABEL_WIDTH - 3)
        palette = theme_palette(self.app, ("accent", "warning", "text-muted"))
        accent, warning, muted = (palette.get(name, "") for name in ("accent", "warning", "text-muted"))
        latest = view.latest
        text = Text()

        def row(label: str, values, ceiling=None, colour=accent, floor: float = 1024.0) -> None:
            # Without a limit, scale to the window's peak, but never below ``floor`` so
            # idle noise does not look like a full bar.
            if ceiling is None:
                ceiling = max(floor, max(values, default=0.0))
            text.append(label.ljust(LABEL_WIDTH)[:LABEL_WIDTH], style=muted)
            text.append(" ")
            text.append(sparkline(values, width, ceiling), style=colour)
            text.append("\n")

        cpu = f"CPU {latest.cpu_percent:.1f}%" if latest and latest.cpu_percent is not None else "CPU -"
        row(cpu, view.cpu_percent, floor=5.0)
        if view.mem_limit:
            used = view.mem_bytes[-1] if view.mem_bytes else 0
            share = 100 * used / view.mem_limit
            text.append(f"{'':<{LABEL_WIDTH}} limit {format_bytes(view.mem_limit)} is the top line "
                        f"({share:.0f}% used)\n", style=warning if share > 80 else muted)
            row(f"Mem {format_bytes(int(used))}", view.mem_bytes, ceiling=view.mem_limit,
                colour=warning if share > 80 else accent)
        else:
            used = view.mem_bytes[-1] if view.mem_bytes else 0
            row(f"Mem {format_bytes(int(used))} (no limit)", view.mem_bytes, floor=1024.0 * 1024)
        row(f"Net in {rate_text(view.net_rx_rate[-1] if view.net_rx_rate else 0)}", view.net_rx_rate)
        row(f"Net out {rate_text(view.net_tx_rate[-1] if view.net_tx_rate else 0)}", view.net_tx_rate)
        row(f"Disk read {rate_text(view.block_read_rate[-1] if view.block_read_rate else 0)}", view.block_read_rate)
        row(f"Disk write {rate_text(view.block_write_rate[-1] if view.block_write_rate else 0)}",
            view.block_write_rate)
        text.rstrip()
        return text
