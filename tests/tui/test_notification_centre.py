"""The notification centre and acknowledgements, with the dashboard's own dispatcher sending to a local webhook.

The app builds the dispatcher from its config (one JSON webhook channel on 127.0.0.1)
and ticks it on a thread worker; issues come from the real issue store. The centre must
list what went and what was held back (and why), newest first; ``a`` there or on the
Issues screen acknowledges (the issue store and the dispatcher's log); ``x`` resolves and
the people told about the issue hear that once.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

from textual.widgets import DataTable

from dockerforge_tui.core.config import load_config
from dockerforge_tui.services.issues.models import ContainerRef, Evidence, Observation
from dockerforge_tui.ui.app import make_app
from dockerforge_tui.ui.screens.issues import IssuesScreen
from dockerforge_tui.ui.screens.notifications import NotificationsScreen
from tests.support.notify_servers import WebhookServer
from tests.tui.helpers import in_thread, wait_until

OOM = Observation(source="event", category="out_of_memory", severity="critical", pattern_id="event.oom",
                  container=ContainerRef("c1", "shop-db-1", "shop", "db"),
                  message="shop-db-1 was killed: out of memory (limit 64MiB)",
                  timestamp=datetime(2026, 5, 4, 12, 0, tzinfo=timezone.utc),
                  evidence=(Evidence("OOMKilled=true, exit code 137", "state"),))


async def test_the_centre_lists_sent_and_held_back_rows_and_acknowledging_stops_escalation():
    webhook = WebhookServer().start()
    try:
        app = make_app(load_config(overrides={"notifications": {
            "channels": {"hook": {"url": f"json://{webhook.base}/dockerforge"}}, "default_channels": ["hook"],
            "group_by": ["kind", "container"], "group_wait": "0s", "group_interval": "1h",
            "escalation_channels": ["hook"]}}), watch_engine=False)
        async with app.run_test(size=(120, 30)) as pilot:
            await wait_until(pilot, lambda: app.services.running_notifier is not None, what="the dispatcher")
            notifier, store = app.services.running_notifier, app.services.issues
            await in_thread(lambda: notifier.on_issue_changes(store.record([OOM])))
            await wait_until(pilot, lambda: len(webhook.requests) == 1, what="the issue told")
            again = replace(OOM, timestamp=datetime(2026, 5, 4, 12, 1, tzinfo=timezone.utc))
            await in_thread(lambda: notifier.on_issue_changes(store.record([again])))  # nothing new: held back

            await pilot.press("N")
            await wait_until(pilot, lambda: isinstance(app.screen, NotificationsScreen), what="the centre")
            centre = app.screen
            table = centre.query_one(DataTable)
            await wait_until(pilot, lambda: table.row_count == 3, what="three rows")
            rows = [[str(cell) for cell in table.get_row_at(index)] for index in range(3)]
            assert [(row[1], row[2]) for row in rows] == [("suppressed", "throttled"), ("sent", "-"),
                                                          ("suppressed", "grouped")], rows  # newest first
            detail = str(centre.query_one("#notification-detail").render())
            assert "Why: throttled (nothing new in its group since the last message)" in detail
            assert "suppressed" in centre.sub_title

            await pilot.press("o")  # sent only
            await wait_until(pilot, lambda: table.row_count == 1, what="the sent row alone")
            assert "showing sent only" in centre.sub_title
            await pilot.press("a")
            [issue] = store.list()
            await wait_until(pilot, lambda: store.get(issue.id).status == "acknowledged", what="acknowledged")
            assert issue.id in notifier.log.acknowledged()

            await pilot.press("I")  # x on the Issues screen resolves it: told once
            await wait_until(pilot, lambda: isinstance(app.screen, IssuesScreen), what="the Issues screen")
            issues = app.screen
            await wait_until(pilot, lambda: issues.query_one(DataTable).row_count == 1, what="the issue")
            await pilot.press("x")
            await wait_until(pilot, lambda: len(webhook.requests) == 2, what="the resolution told")
            assert webhook.requests[1].json()["title"].startswith("[RESOLVED]")
    finally:
        webhook.stop()


async def test_acknowledging_on_the_issues_screen_reaches_the_dispatcher():
    webhook = WebhookServer().start()
    try:
        app = make_app(load_config(overrides={"notifications": {
            "channels": {"hook": {"url": f"json://{webhook.base}/dockerforge"}}, "default_channels": ["hook"],
            "escalation_channels": ["hook"]}}), watch_engine=False)
        async with app.run_test(size=(120, 30)) as pilot:
            await wait_until(pilot, lambda: app.services.running_notifier is not None, what="the dispatcher")
            notifier, store = app.services.running_notifier, app.services.issues
            await in_thread(lambda: notifier.on_issue_changes(store.record([OOM])))
            await pilot.press("I")
            await wait_until(pilot, lambda: isinstance(app.screen, IssuesScreen), what="the Issues screen")
            issues = app.screen
            await wait_until(pilot, lambda: issues.query_one(DataTable).row_count == 1, what="the issue")
            await pilot.press("a")
            [issue] = store.list()
            await wait_until(pilot, lambda: issue.id in notifier.log.acknowledged(), what="the dispatcher told")
            assert notifier.next_due() is not None  # the group still waits; the escalation is gone
            assert issue.id not in notifier._escalations
    finally:
        webhook.stop()


async def test_without_channels_the_centre_reads_the_log_the_cli_writes_and_says_when_it_is_empty():
    app = make_app(load_config(), watch_engine=False)
    assert app.services.open_notifier is None
    async with app.run_test(size=(100, 24)) as pilot:
        app.run_command("notifications")
        await wait_until(pilot, lambda: isinstance(app.screen, NotificationsScreen), what="the centre")
        centre = app.screen
        await wait_until(pilot, lambda: (centre.sub_title or "").startswith("notifications: 0 sent"),
                         what="an empty log")
        await pilot.press("a")  # no row: nothing to acknowledge, one line says so
        await pilot.pause()
        assert app.services.running_notifier is None


async def test_a_channel_with_a_plain_password_turns_notifications_off_with_one_line_and_fixes_still_work():
    from dockerforge_tui.services.fixes import Restart, manual_proposal

    app = make_app(load_config(overrides={"notifications": {
        "channels": {"mail": {"url": "mailtos://ops:hunter2@mail.example.com?to=ops@example.com"}}}}),
        watch_engine=False)
    async with app.run_test(size=(100, 24)) as pilot:
        def said() -> list[str]:
            return [notification.message for notification in app._notifications]

        await wait_until(pilot, lambda: any("notifications are off" in text for text in said()), what="the notice")
        [notice] = [text for text in said() if "notifications are off" in text]
        assert "the password is written in plain text" in notice and "hunter2" not in notice
        fixes = await in_thread(app.services.fix_service, None)  # without a notifier, but working
        assert fixes.listeners == []
        proposal = fixes.store.save(manual_proposal("web", [Restart("web")], "Restart web"))
        assert (await in_thread(fixes.reject, proposal.id)).status == "rejected"
