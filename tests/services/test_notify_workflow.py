"""The notification side of the fix workflow: each step reaches a local SMTP server and a local webhook, once.

An out-of-memory issue is recorded in the real issue store and keeps recurring; a fix
is proposed, applied and verified, the issue resolved, and the fix rolled back, through the
fix service's own event objects. Both channels get one message per step and no duplicate
inside the group interval (the recurrences add nothing new).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

from dockerforge_tui.core.config import Settings
from dockerforge_tui.core.paths import app_paths
from dockerforge_tui.services.issues import IssueStore
from dockerforge_tui.services.fixes.operations import UpdateResources
from dockerforge_tui.services.fixes.proposals import manual_proposal
from dockerforge_tui.services.fixes.service import FixEvent
from dockerforge_tui.services.issues.models import ContainerRef, Evidence, Observation
from dockerforge_tui.services.notify import ManualClock, build_dispatcher
from tests.support.notify_servers import SMTPServer, WebhookServer

START = datetime(2026, 5, 4, 12, 0, tzinfo=timezone.utc)


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
        fix = manual_proposal("shop/db", [UpdateResources("shop-db-1", memory=256 * 2**20)],
                              "Raise the memory limit of shop/db to 256MiB")
        notify.on_fix_event(FixEvent("proposed", fix))  # what FixService.subscribe delivers
        step(120)
        notify.on_fix_event(FixEvent("applied", fix))  # verification still running: nothing new to tell
        notify.on_fix_event(FixEvent("succeeded", fix))
        [issue] = store.list()
        notify.on_issue_resolved(store.resolve(issue.id, clock.now()))
        for second in range(150, 600, 30):
            step(second)
        notify.on_fix_event(FixEvent("rolled_back", fix))  # a person asked for the rollback
        for second in range(600, 1500, 30):
            step(second)

        fix_title = "Raise the memory limit of shop/db to 256MiB (shop/db)"
        subjects = [message["Subject"] for message in smtp.messages]
        # Each kind is its own group (the default group_by), so the fix applied and the resolution
        # go out after the group wait instead of the issue's group interval.
        assert subjects == ["[CRITICAL] Out of memory in db (shop/db)", f"[FIX PROPOSED] {fix_title}",
                            f"[FIX APPLIED] {fix_title}", "[RESOLVED] Out of memory in db (shop/db)",
                            f"[FIX ROLLED BACK] {fix_title}"], subjects
        assert [request.json()["title"] for request in webhook.requests] == subjects
        proposal = webhook.requests[1].json()["message"]
        assert f"dockerforge fix apply {fix.id}" in proposal and "memory limit 256MiB" in proposal
    finally:
        smtp.stop()
        webhook.stop()
