"""Issue 6's promise, end to end in the dashboard against the real engine and real mail and webhook servers.

A container that keeps getting OOM-killed (busybox holding 48 MiB under a 32 MiB limit,
restarted by its policy) is found by the live monitor; on the Issues screen ``p`` proposes
fixes, ``a`` applies the in-place memory raise, which is verified; ``b`` then ``y`` rolls it
back. Every step is told once to an aiosmtpd server and a JSON webhook on 127.0.0.1
through apprise, and the repeated OOM kills add no message inside the group interval.
"""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Static

from dockerforge_tui.core.config import load_config
from dockerforge_tui.ui.app import make_app
from dockerforge_tui.ui.screens.confirm import ConfirmScreen
from dockerforge_tui.ui.screens.fix_dialog import FixDialog
from dockerforge_tui.ui.screens.issues import IssuesScreen
from dockerforge_tui.ui.screens.notifications import NotificationsScreen
from tests.support.containers import unique_name
from tests.support.notify_servers import SMTPServer, WebhookServer
from tests.tui.helpers import in_thread, wait_until

pytestmark = pytest.mark.docker

MIB = 1024 * 1024
# Holds 48 MiB for a moment: killed under 32 MiB (swap included), fine under the 256 MiB the fix sets.
OOM_COMMAND = "head -c 48m /dev/zero | tail -c 48m >/dev/null && { trap 'exit 0' TERM; sleep 300 & wait; }"
GROUP_INTERVAL = 60
"""Longer than the test: any second message about a group inside it would be a duplicate."""


def progress_of(dialog: FixDialog) -> str:
    found = list(dialog.query("#fix-progress").results(Static))
    return str(found[0].render()) if found else ""


def memory_of(docker_client, name: str) -> int:
    return docker_client.api.inspect_container(name)["HostConfig"]["Memory"]


@pytest.mark.slow
async def test_an_oom_killed_container_is_fixed_from_the_dashboard_and_each_step_is_told_once(
        docker_client, containers):
    name = unique_name("dfoomfix")
    smtp, webhook = SMTPServer().start(), WebhookServer().start()
    try:
        config = load_config(overrides={
            "monitoring": {"interval": "1s"},
            "fixes": {"verify_seconds": "3s"},
            "notifications": {
                "channels": {
                    "mail": {"url": f"mailto://127.0.0.1:{smtp.port}?from=df@example.com&to=ops@example.com"},
                    "hook": {"url": f"json://{webhook.base}/dockerforge"}},
                "routes": [{"containers": [name], "categories": ["out_of_memory"], "channels": ["mail", "hook"]}],
                "group_wait": "1s", "group_interval": f"{GROUP_INTERVAL}s"}})
        app = make_app(config)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_until(pilot, lambda: app.screen.sub_title.startswith("unix://"), what="connected")
            await in_thread(containers.run, OOM_COMMAND, name=name, mem_limit="32m", memswap_limit="32m",
                            restart_policy={"Name": "always"})
            store = app.services.issues

            def oom_issue():
                return next((issue for issue in store.list() if issue.category == "out_of_memory"
                             and name in issue.containers), None)

            # Detected, and killed again at least once more: the recurrences must not be told again.
            await wait_until(pilot, lambda: (oom_issue() is not None and oom_issue().count >= 2), timeout=30,
                             what="the OOM issue, seen twice")
            await wait_until(pilot, lambda: len(smtp.messages) == 1 and len(webhook.requests) == 1, timeout=10,
                             what="the issue told by mail and webhook")

            await pilot.press("I")
            await wait_until(pilot, lambda: isinstance(app.screen, IssuesScreen), what="the Issues screen")
            issues = app.screen
            table = issues.query_one(DataTable)
            issue_id = oom_issue().id
            await wait_until(pilot, lambda: any(key.value == issue_id for key in table.rows), what="the row")
            table.move_cursor(row=table.get_row_index(issue_id))
            await pilot.pause()
            assert issues.selected_issue.id == issue_id

            await pilot.press("p")
            await wait_until(pilot, lambda: isinstance(app.screen, FixDialog), what="the fix dialog")
            dialog = app.screen
            await wait_until(pilot, lambda: dialog.proposal is not None, timeout=15, what="the proposals")
            proposal = dialog.proposal
            assert proposal.source.rule_id == "oom.update_memory" and proposal.risk == "low"
            assert proposal.issue_id == issue_id and "32MiB -> 256MiB" in proposal.preview

            await pilot.press("a")
            await wait_until(pilot, lambda: "Applied and verified" in progress_of(dialog), timeout=30,
                             what="the fix applied and verified")
            assert "verifying" in progress_of(dialog)
            assert memory_of(docker_client, name) == 256 * MIB

            await pilot.press("b")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the rollback question")
            await pilot.press("y")
            await wait_until(pilot, lambda: "Rolled back" in progress_of(dialog), timeout=30, what="the rollback")
            assert memory_of(docker_client, name) == 32 * MIB

            def told() -> list[str]:
                return [message["Subject"] for message in smtp.messages]

            await wait_until(pilot, lambda: len(told()) >= 4 and len(webhook.requests) >= 4, timeout=10,
                             what="the fix steps told")
            await pilot.pause(2.5)  # beyond group_wait and two ticks: anything more would be a duplicate
            subjects = told()
            assert [subject.split("]")[0] + "]" for subject in subjects[1:]] == [
                "[FIX PROPOSED]", "[FIX APPLIED]", "[FIX ROLLED BACK]"], subjects
            assert "Out of memory" in subjects[0] and len(set(subjects)) == len(subjects) == 4, subjects
            assert [request.json()["title"] for request in webhook.requests] == subjects
            assert f"dockerforge fix apply {proposal.id}" in webhook.requests[1].json()["message"]

            # The notification centre shows what went and what was held back.
            await pilot.press("escape")
            await wait_until(pilot, lambda: isinstance(app.screen, IssuesScreen), what="back to the issues")
            await pilot.press("N")
            await wait_until(pilot, lambda: isinstance(app.screen, NotificationsScreen), what="the centre")
            centre = app.screen
            await wait_until(pilot, lambda: (centre.sub_title or "").startswith("notifications: 8 sent"),
                             what="four messages, two channels each")
            assert "0 failed" in centre.sub_title
    finally:
        smtp.stop()
        webhook.stop()
