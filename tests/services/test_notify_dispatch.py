"""Grouping, throttling, quiet hours, rate limits, escalation and acknowledgement on a manual clock.

Every message goes through apprise to a webhook server on 127.0.0.1; the clock only
moves when the test moves it, so each assertion says exactly which messages went out
in which window.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone

import pytest

from dockerforge_tui.core.config import Settings
from dockerforge_tui.core.paths import app_paths
from dockerforge_tui.services.issues import IssueStore
from dockerforge_tui.services.issues.models import ContainerRef, Evidence, Observation
from dockerforge_tui.services.notify import ManualClock, NotificationEvent, NotificationLog, build_dispatcher
from tests.support.notify_servers import WebhookServer

START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def webhook():
    server = WebhookServer().start()
    yield server
    server.stop()


@pytest.fixture
def clock():
    return ManualClock(START)


def make(webhook, clock, **notifications):
    channels = {name: {"url": f"json://{webhook.base}/{name}"} for name in ("ops", "dev", "pager")}
    channels.update(notifications.pop("channels", {}))
    notifications = {"channels": channels, "default_channels": ["ops"], "group_wait": "30s",
                     "group_interval": "5m", "repeat_interval": "4h", **notifications}
    return build_dispatcher(Settings.model_validate({"notifications": notifications}), app_paths(), {}, clock=clock)


def issue(number: int, container: str = "db", severity: str = "error", kind: str = "issue_opened",
          category: str = "out_of_memory") -> NotificationEvent:
    return NotificationEvent(kind=kind, severity=severity, title=f"Issue {number}", key=f"issue:i{number}",
                             category=category, container=container, issue_id=f"i{number}")


def at(clock: ManualClock, seconds: float) -> None:
    """Move the clock to START + seconds."""
    clock.advance((START - clock.now()).total_seconds() + seconds)


def titles(webhook, path: str = "/ops") -> list[str]:
    return [request.json()["title"] for request in webhook.requests if request.path == path]


def test_group_wait_batches_group_interval_spaces_and_repeat_interval_repeats(webhook, clock):
    notify = make(webhook, clock)
    notify.on_event(issue(1))
    notify.tick()
    at(clock, 10)
    notify.on_event(issue(2))
    at(clock, 29)
    notify.tick()
    assert webhook.requests == []  # still inside the group wait
    at(clock, 30)
    notify.tick()
    assert titles(webhook) == ["[ERROR] 2 issues: Issue 1, Issue 2"]

    at(clock, 60)
    notify.on_event(issue(1))  # the same issue again: nothing new for the group
    at(clock, 100)
    notify.on_event(issue(3))  # new: goes out one group interval after the last message
    at(clock, 329)
    notify.tick()
    assert len(webhook.requests) == 1
    at(clock, 330)
    notify.tick()
    assert titles(webhook)[1] == "[ERROR] 3 issues: Issue 1, Issue 2, Issue 3"

    at(clock, 330 + 4 * 3600 - 1)
    notify.tick()
    assert len(webhook.requests) == 2  # unchanged: no message inside the repeat interval
    at(clock, 330 + 4 * 3600)
    notify.tick()
    assert len(webhook.requests) == 3 and "Still unresolved (repeated)." in webhook.requests[2].json()["message"]

    reasons = [(row.outcome, row.reason) for row in reversed(NotificationLog.for_paths(app_paths()).recent())]
    assert reasons == [("suppressed", "grouped"), ("suppressed", "grouped"), ("sent", None),
                       ("suppressed", "throttled"), ("suppressed", "grouped"), ("sent", None), ("sent", None)]


def test_groups_are_separate_and_resolved_is_sent_once(webhook, clock):
    # Without ``kind`` in the key the resolution joins the issue's group and waits for its interval.
    notify = make(webhook, clock, group_wait="0s", group_by=["category", "container"])
    notify.on_event(issue(1, container="db"))
    notify.on_event(issue(2, container="web"))
    notify.tick()
    assert sorted(titles(webhook)) == ["[ERROR] Issue 1 (db)", "[ERROR] Issue 2 (web)"]
    at(clock, 60)
    notify.on_event(issue(1, container="db", kind="issue_resolved"))
    notify.tick()
    assert len(webhook.requests) == 2  # the group interval holds it
    at(clock, 300)
    notify.tick()
    assert titles(webhook)[2] == "[RESOLVED] Issue 1 (db)"
    at(clock, 300 + 4 * 3600)
    notify.tick()
    assert titles(webhook)[3:] == ["[ERROR] Issue 2 (web)"]  # only the unresolved group repeats


def test_quiet_hours_hold_until_they_end_and_critical_breaks_through(webhook):
    clock = ManualClock(datetime(2026, 1, 15, 21, 30, tzinfo=timezone.utc))  # 22:30 in Berlin
    notify = make(webhook, clock, group_wait="0s", default_channels=[], repeat_interval="24h",
                  users={"alice": {"channels": ["dev"], "min_severity": "warning",
                                   "quiet_hours": {"start": "22:00", "end": "07:00", "timezone": "Europe/Berlin"}}},
                  routes=[{"users": ["alice"]}])
    notify.on_event(issue(1, container="db", severity="error"))
    notify.on_event(issue(2, container="web", severity="critical"))
    notify.on_event(issue(3, container="cache", severity="info"))
    notify.tick()
    assert titles(webhook, "/dev") == ["[CRITICAL] Issue 2 (web)"]
    clock.advance(8.5 * 3600 - 1)  # 06:59:59 in Berlin
    notify.tick()
    assert len(webhook.requests) == 1
    clock.advance(1)
    notify.tick()
    assert titles(webhook, "/dev")[1] == "[ERROR] Issue 1 (db)"
    reasons = {row.reason for row in NotificationLog.for_paths(app_paths()).recent(outcome="suppressed")}
    assert {"quiet_hours", "below_min_severity"} <= reasons


def test_rate_limit_holds_the_excess_until_the_window_frees(webhook, clock):
    notify = make(webhook, clock, group_wait="0s",
                  channels={"ops": {"url": f"json://{webhook.base}/ops", "rate_limit": 2, "rate_period": "1m"}})
    for number, container in enumerate(("a", "b", "c"), start=1):
        notify.on_event(issue(number, container=container))
    rows = notify.tick()
    assert len(webhook.requests) == 2 and [row.reason for row in rows].count("rate_limited") == 1
    at(clock, 59)
    notify.tick()
    assert len(webhook.requests) == 2
    at(clock, 60)
    notify.tick()
    assert len(webhook.requests) == 3


def test_unacknowledged_critical_escalates_and_acknowledged_does_not(webhook, clock):
    notify = make(webhook, clock, escalation_channels=["pager"], escalate_after="15m")
    notify.on_event(issue(1, severity="critical", container="db"))
    notify.on_event(issue(2, severity="critical", container="web"))
    notify.on_event(issue(3, severity="error", container="api"))  # not critical: never escalates
    at(clock, 30)
    notify.tick()
    assert len(titles(webhook)) == 3
    at(clock, 600)
    NotificationLog.for_paths(app_paths()).acknowledge("i2", by="cli")  # another process: `notify ack`
    at(clock, 899)
    notify.tick()
    assert titles(webhook, "/pager") == []
    at(clock, 900)
    notify.tick()
    [escalation] = [request.json() for request in webhook.requests if request.path == "/pager"]
    assert escalation["title"] == "[CRITICAL] Issue 1 (db)"
    assert escalation["message"].startswith("ESCALATION: this critical issue has not been acknowledged.")
    at(clock, 1000)
    notify.on_event(issue(1, severity="critical", container="db"))  # seen again: no second escalation
    at(clock, 5000)
    notify.tick()
    assert len(titles(webhook, "/pager")) == 1  # once
    notify.on_event(NotificationEvent(**{**issue(1, severity="critical", container="db").__dict__,
                                         "fields": (("reopened", True),)}))
    at(clock, 5000 + 900)
    notify.tick()
    assert len(titles(webhook, "/pager")) == 2  # a reopened issue is a new episode


def test_dashboard_acknowledgement_and_resolution_stop_escalation(webhook, clock):
    notify = make(webhook, clock, escalation_channels=["pager"], escalate_after="15m", group_wait="0s")
    notify.on_event(issue(1, severity="critical", container="db"))
    notify.on_event(issue(2, severity="critical", container="web"))
    notify.tick()
    assert notify.next_due() == START + timedelta(seconds=300)  # the groups' next interval
    notify.acknowledge("i1")
    notify.on_event(issue(2, severity="critical", container="web", kind="issue_resolved"))
    at(clock, 3600)
    notify.tick()
    assert titles(webhook, "/pager") == [] and NotificationLog.for_paths(app_paths()).acknowledged() == {"i1"}


def test_issue_store_changes_flow_in_and_an_ignored_issue_stays_quiet(webhook, clock):
    notify = make(webhook, clock, group_wait="0s")
    store = IssueStore.for_paths(app_paths())
    observation = Observation(
        source="log", category="out_of_memory", severity="critical", pattern_id="oom.killed",
        container=ContainerRef("c1", "shop-db-1", "shop", "db"), message="Out of memory: killed process 42",
        timestamp=START, evidence=(Evidence("Out of memory: Killed process 42 (postgres)", "log"),))
    notify.on_issue_changes(store.record([observation], START))
    notify.tick()
    [request] = webhook.requests
    body = request.json()
    assert body["title"].startswith("[CRITICAL]") and "shop/db" in body["title"]
    assert "Killed process 42" in body["message"]
    [opened] = store.list()
    store.ignore(opened.id)
    at(clock, 400)
    later = Observation(**{**observation.__dict__, "timestamp": START.replace(minute=5),
                           "message": "Out of memory: killed process 43"})
    notify.on_issue_changes(store.record([later], clock.now()))  # suppressed: an ignored issue
    notify.on_issue_resolved(store.resolve(opened.id))
    notify.tick()
    assert titles(webhook)[1].startswith("[RESOLVED]") and len(webhook.requests) == 2


def test_disabled_notifications_send_nothing_but_log_it(webhook, clock):
    notify = make(webhook, clock, enabled=False, group_wait="0s", escalation_channels=["pager"])
    notify.on_event(issue(1, severity="critical"))
    at(clock, 3600)
    assert notify.tick() == () and webhook.requests == []  # no escalation either
    [row] = NotificationLog.for_paths(app_paths()).recent()
    assert (row.outcome, row.reason) == ("suppressed", "disabled")


def test_force_sends_new_groups_without_waiting(webhook, clock):
    notify = make(webhook, clock)
    notify.on_event(issue(1))
    notify.tick(force=True)
    assert len(webhook.requests) == 1


def test_run_ticks_on_a_thread_until_stopped(webhook, clock):
    notify = make(webhook, clock, group_wait="0s")
    stop = threading.Event()
    worker = threading.Thread(target=notify.run, args=(stop, 0.01))
    worker.start()
    try:
        notify.on_event(issue(1))
        deadline = time.monotonic() + 5
        while not webhook.requests and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        stop.set()
        worker.join(5)
    assert len(webhook.requests) == 1 and not worker.is_alive()


def test_a_broken_user_template_is_logged_and_the_other_groups_still_go(webhook, clock):
    folder = app_paths().config_dir / "notification_templates"
    folder.mkdir()
    (folder / "anomaly.txt.j2").write_text("{{ events[0].title | no_such_filter }}\n")
    notify = make(webhook, clock, group_wait="0s")
    notify.on_event(NotificationEvent(kind="anomaly", severity="warning", title="CPU", key="a:1", container="x"))
    notify.on_event(issue(1))
    rows = notify.tick()
    assert sorted(row.outcome for row in rows) == ["failed", "sent"] and len(webhook.requests) == 1
    assert "the template failed: TemplateAssertionError" in next(row.detail for row in rows if row.outcome == "failed")


def test_acknowledging_in_the_issue_store_stops_escalation_too(webhook, clock):
    notify = make(webhook, clock, escalation_channels=["pager"], escalate_after="15m", group_wait="0s")
    store = IssueStore.for_paths(app_paths())
    observations = [Observation(source="state", category=category, severity="critical", pattern_id=f"state.{category}",
                                container=ContainerRef(f"c{n}", f"app-{n}"), message=f"{category} in app-{n}",
                                timestamp=START) for n, category in enumerate(("restart_loop", "unhealthy"))]
    notify.on_issue_changes(store.record(observations, START))
    notify.tick()
    looping, unhealthy = sorted(store.list(), key=lambda found: found.category)
    store.acknowledge(looping.id)  # the Issues screen, or `dockerforge issues ack`
    at(clock, 900)
    notify.tick()
    assert titles(webhook, "/pager") == [f"[CRITICAL] {unhealthy.title} (app-1)"]
