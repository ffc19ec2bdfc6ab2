"""The notification side of the fix workflow: each step reaches a local SMTP server and a local webhook, once.

An out-of-memory issue is recorded in the real issue store and keeps recurring; a fix
is proposed, applied, and the issue resolved. Both channels get one message per step and
no duplicate inside the group interval (the recurrences add nothing new).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

from dockerforge_tui.core.config import Settings
from dockerforge_tui.core.paths import app_paths
from dockerforge_tui.services.issues import IssueStore
from dockerforge_tui.services.issues.models import ContainerRef, Evidence, Observation
from dockerforge_tui.services.notify import ManualClock, build_dispatcher
from tests.support.notify_servers import SMTPServer, WebhookServer

START = datetime(2026, 5, 4, 12, 0, tzinfo=timezone.utc)


class FixEvent:
    """What the fix service hands over: a plain object with the event's attributes."""

    def __init__(self, kind: str, fix_id: str, summary: str, severity: str = "info") -> None:
        self.kind, self.fix_id, self.summary, self.severity = kind, fix_id, summary, severity
        self.container, self.project, self.risk = "shop/db", "shop", "medium"


def test_every_step_of_a_fix_reaches_email_and_webhook_once():
    smtp, webhook = SMTPServer().start(), WebhookServer().start()
    try:
        clock = ManualClock(START)
        settings = Settings.model_validate({"notifications": {
            "channels": {"mail": {"url": f"mailto://127.0.0.1:{smtp.port}?from=df@example.com&to=ops@example.com"},
                         "hook": {"url": f"json://{webhook.base}/dockerforge"}},
            "routes": [{"projects": ["shop"], "channels": ["mail", "hook"]}],
            "group_wait": "30s", "group_interval": "5m"}})
        notify = build_dispatcher(settings, app_paths(), {}, clock=clock)
        store = IssueStore.for_paths(app_paths())
        oom = Observation(source="event", category="out_of_memory", severity="critical", pattern_id="event.oom",
                          container=ContainerRef("c1", "shop-db-1", "shop", "db"),
                          message="shop-db-1 was killed: out of memory (limit 64MiB)", timestamp=START,
                          evidence=(Evidence("OOMKilled=true, exit code 137", "state"),))

        def step(seconds: int) -> None:
            clock.advance((START + timedelta(seconds=seconds) - clock.now()).total_seconds())
            notify.tick()

        notify.on_issue_changes(store.record([oom], clock.now()))
        for second in (10, 20, 40, 50):  # the container keeps getting OOM-killed
            step(second)
            notify.on_issue_changes(store.record([replace(oom, timestamp=clock.now())], clock.now()))
        step(60)
        notify.on_event(FixEvent("fix_proposed", "fx1", "Raise the memory limit of shop/db to 256MiB", "critical"))
        step(120)
        notify.on_event(FixEvent("fix_applied", "fx1", "Raise the memory limit of shop/db to 256MiB"))
        [issue] = store.list()
        notify.on_issue_resolved(store.resolve(issue.id, clock.now()))
        for second in range(150, 1000, 30):
            step(second)

        subjects = [message["Subject"] for message in smtp.messages]
        assert subjects == ["[CRITICAL] Out of memory in db (shop/db)",
                            "[FIX PROPOSED] Raise the memory limit of shop/db to 256MiB (shop/db)",
                            "[RESOLVED] Out of memory in db (shop/db)",
                            "[FIX APPLIED] Raise the memory limit of shop/db to 256MiB (shop/db)"], subjects
        assert [request.json()["title"] for request in webhook.requests] == subjects
        proposal = webhook.requests[1].json()["message"]
        assert "dockerforge fix apply fx1" in proposal and "dockerforge fix show fx1" in proposal
    finally:
        smtp.stop()
        webhook.stop()
