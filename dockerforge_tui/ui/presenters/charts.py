"""Text charts: sparklines from block characters, scaled to the data or to a fixed ceiling."""

from __future__ import annotations

from typing import Sequence

BLOCKS = " ▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float], width: int, ceiling: float | None = None) -> str:
    """The last ``width`` values as one line of blocks.

    With a ``ceiling`` (a memory limit, 100% CPU per core) a full block means the
    ceiling, so a line that nears the top is nearing the limit; without one the
    largest value fills the height.
    """
    if width <= 0:
        return ""
    shown = list(values)[-width:]
    top = ceiling if ceiling else max(shown, default=0.0)
    if top <= 0:
        return (BLOCKS[0] * len(shown)).rjust(width)
    steps = len(BLOCKS) - 1
    cells = []
    for value in shown:
        level = min(steps, max(0, round(steps * value / top)))
        # Any activity at all shows as at least the lowest block.
        if value > 0 and level == 0:
            level = 1
        cells.append(BLOCKS[level])
    return "".join(cells).rjust(width)


def rate_text(bytes_per_second: float) -> str:
    """A byte rate such as ``1.2MiB/s``."""
    from dockerforge_tui.ui.presenters.containers import format_bytes

    return f"{format_bytes(int(bytes_per_second))}/s"
