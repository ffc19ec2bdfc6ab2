"""Snapshots of the stats screen at 80x24 and 120x40, fed thirty fixed samples per container."""

from __future__ import annotations

import pytest

from dockerforge_tui.services.docker.models import StatsSample
from dockerforge_tui.ui.screens.stats import StatsScreen
from tests.snapshots.test_screens import CONTAINERS, NOW, dashboard

MiB = 1024 * 1024


def samples(second: int) -> tuple[StatsSample, ...]:
    """One batch: web busy and close to its 256 MiB limit, db steady, both moving bytes."""
    at = NOW - 30 + second
    return (
        StatsSample("a1" * 32, at, 20.0 + (second * 7) % 60, (150 + 3 * second) * MiB, 256 * MiB,
                    net_rx=second * 40_000, net_tx=second * 9_000, block_read=0, block_write=second * 4096, pids=9),
        StatsSample("b2" * 32, at, 4.0 + second % 3, 300 * MiB, 24 * 1024 * MiB,
                    net_rx=second * 1_000, net_tx=second * 1_500, block_read=second * 65536, block_write=0, pids=31),
    )


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_stats_screen(snap_compare, size):
    async def run_before(pilot):
        screen = StatsScreen(containers=lambda: CONTAINERS, follow_engine=False)
        await pilot.app.push_screen(screen)
        await pilot.pause()
        for second in range(30):
            screen.post_message(StatsScreen.StatsSampled(samples(second)))
        await pilot.pause()

    assert snap_compare(dashboard(), terminal_size=size, run_before=run_before)
