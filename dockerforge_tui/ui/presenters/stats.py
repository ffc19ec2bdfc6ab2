"""One container's stats as the cells of a row of the stats screen (pure functions, no app)."""

from __future__ import annotations

from dataclasses import dataclass

from dockerforge_tui.services.metrics.series import SeriesView
from dockerforge_tui.ui.presenters.charts import rate_text, sparkline
from dockerforge_tui.ui.presenters.containers import EMPTY, format_bytes

# A sparkline this wide holds the last 12 samples: 12 s at the default interval.
SPARK_WIDTH = 12


@dataclass(frozen=True)
class StatsRow:
    """The text of each column, plus the numbers the screen sorts by."""

    cpu: str
    cpu_chart: str
    memory: str
    memory_chart: str
    net: str
    disk: str
    pids: str
    cpu_value: float
    memory_value: float
    net_value: float
    disk_value: float


def stats_row(view: SeriesView, spark_width: int = SPARK_WIDTH) -> StatsRow:
    """The cells of one container's row from its rolling window ``view``.

    ``view.mem_limit`` must be the limit set on the container (None when it has none: the
    engine then reports the host's memory, which is no limit worth drawing).

    CPU is drawn against 100% (one core fully used, as ``docker stats`` counts it) so two
    rows can be compared at a glance; memory against the container's limit when one is
    set (a full bar is the limit), else against the host's memory.
    """
    latest = view.latest
    if latest is None:
        return StatsRow("…", "", "…", "", "…", "…", EMPTY, 0.0, 0.0, 0.0, 0.0)
    cpu = latest.cpu_percent or 0.0
    used = float(view.mem_bytes[-1]) if view.mem_bytes else 0.0
    limit = view.mem_limit
    if limit:
        memory = f"{format_bytes(int(used))}/{format_bytes(limit)} {100 * used / limit:.0f}%"
    else:
        memory = format_bytes(int(used))
    rx = view.net_rx_rate[-1] if view.net_rx_rate else 0.0
    tx = view.net_tx_rate[-1] if view.net_tx_rate else 0.0
    read = view.block_read_rate[-1] if view.block_read_rate else 0.0
    write = view.block_write_rate[-1] if view.block_write_rate else 0.0
    return StatsRow(
        cpu=f"{cpu:.1f}%",
        cpu_chart=sparkline(view.cpu_percent, spark_width, ceiling=max(100.0, max(view.cpu_percent, default=0.0))),
        memory=memory,
        # Without a limit of its own a container may use the host's memory, which the
        # engine reports as its limit: a bar against that says how much of the host it takes.
        memory_chart=sparkline(view.mem_bytes, spark_width, ceiling=limit or latest.mem_limit or None),
        net=f"↓{rate_text(rx)} ↑{rate_text(tx)}",
        disk=f"{rate_text(read)} {rate_text(write)}",
        pids=str(latest.pids) if latest.pids is not None else EMPTY,
        cpu_value=cpu,
        memory_value=used,
        net_value=rx + tx,
        disk_value=read + write,
    )
