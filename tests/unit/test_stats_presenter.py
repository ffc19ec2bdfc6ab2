"""The stats screen's row cells, from a rolling window (pure functions, no app)."""

from __future__ import annotations

from dockerforge_tui.services.docker.models import StatsSample
from dockerforge_tui.services.metrics.series import StatsSeries
from dockerforge_tui.ui.presenters.charts import BLOCKS
from dockerforge_tui.ui.presenters.stats import stats_row

MIB = 1024 * 1024


def window(*samples: tuple[float, float, int, int, int]) -> StatsSeries:
    """Samples of (time, cpu%, memory, bytes received, bytes read)."""
    series = StatsSeries(window=60)
    for at, cpu, memory, received, read in samples:
        series.add(StatsSample("c" * 64, at, cpu, memory, 16 * 1024 * MIB, net_rx=received, block_read=read, pids=7))
    return series


def test_rates_limits_and_sort_values_come_from_the_window():
    series = window((0.0, 10.0, 10 * MIB, 0, 0), (1.0, 50.0, 32 * MIB, 2048, 4096))
    row = stats_row(series.view(64 * MIB))
    assert row.cpu == "50.0%" and row.cpu_value == 50.0
    assert row.memory == "32.0MiB/64.0MiB 50%" and row.memory_value == 32 * MIB
    assert row.net == "↓2.0KiB/s ↑0B/s" and row.net_value == 2048
    assert row.disk == "4.0KiB/s 0B/s" and row.disk_value == 4096
    assert row.pids == "7"
    # CPU is drawn against one full core, memory against the limit: half-way bars.
    assert row.cpu_chart.strip() == BLOCKS[1] + BLOCKS[4]
    assert row.memory_chart.strip()[-1] == BLOCKS[4]


def test_without_a_limit_memory_is_drawn_against_the_host_memory():
    # The samples report 16 GiB (the host) as the limit of an unlimited container.
    row = stats_row(window((0.0, 1.0, 8 * MIB, 0, 0), (1.0, 1.0, 12 * 1024 * MIB, 0, 0)).view(None))
    assert row.memory == "12.0GiB"
    assert row.memory_chart.strip() == BLOCKS[1] + BLOCKS[6]


def test_a_container_with_no_sample_yet_shows_placeholders():
    row = stats_row(StatsSeries().view(None))
    assert row.cpu == "…" and row.cpu_value == 0.0 and row.cpu_chart == ""
