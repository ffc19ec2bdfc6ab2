"""A snapshot of the fix dialog at 80x24 over the containers screen, with a fixed proposal.

The proposal is what the OOM rule makes for the ``worker`` container of ``test_screens``
(a recreate with a higher memory limit), with a fixed id, time and preview, so the picture
depends on nothing but the dialog.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

from dockerforge_tui.services.docker.watch import ContainersListed, EngineConnected
from dockerforge_tui.services.fixes import ContainerChanges, Recreate, VerificationPlan, manual_proposal
from dockerforge_tui.ui.screens.fix_dialog import FixDialog
from tests.snapshots.test_screens import CONTAINERS, ENGINE, SAMPLES, dashboard, feed

MIB = 1024 * 1024
PREVIEW = """\
 Config.Image: busybox
-HostConfig.Memory: 33554432
+HostConfig.Memory: 268435456
-HostConfig.MemorySwap: 67108864
+HostConfig.MemorySwap: 536870912
 HostConfig.RestartPolicy: {'Name': 'no', 'MaximumRetryCount': 0}"""


def oom_proposal():
    made = manual_proposal("worker", [Recreate("worker", ContainerChanges(memory=256 * MIB))],
                           "Recreate worker with a memory limit of 256MiB",
                           now=datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc))
    return replace(made, id="3f2a9c1d", issue_id="7be01c44d2", category="out_of_memory", preview=PREVIEW,
                   verification=VerificationPlan(("worker",), 20.0, absent_patterns=("container.oom_killed",)))


def test_fix_dialog(snap_compare):
    async def run_before(pilot):
        await feed(pilot, EngineConnected(ENGINE), ContainersListed(CONTAINERS, complete=True), samples=SAMPLES)
        await pilot.app.push_screen(FixDialog((oom_proposal(),)))
        await pilot.pause()

    assert snap_compare(dashboard(), terminal_size=(80, 24), run_before=run_before)
