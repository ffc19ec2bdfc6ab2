"""Notifications through apprise for real: email to an SMTP server and webhooks to an HTTP server on 127.0.0.1.

Slack and Discord: apprise's plugins post only to hooks.slack.com and discord.com over
HTTPS, with no option for another host. These tests point the plugins' class attributes
(``NotifySlack.webhook_url``, ``NotifyDiscord.notify_url``) at the local server, so
apprise's own Slack and Discord code builds and posts the real payloads.
"""

from __future__ import annotations

import pytest
from apprise.plugins.discord import NotifyDiscord
from apprise.plugins.slack import NotifySlack

from dockerforge_tui.core.config import Settings
from dockerforge_tui.core.paths import app_paths
from dockerforge_tui.services.notify import ManualClock, NotificationLog, build_dispatcher
from dockerforge_tui.services.notify.credentials import SecretStore
from tests.support.notify_servers import MemoryKeyring, SMTPServer, WebhookServer


@pytest.fixture
def webhook():
    server = WebhookServer().start()
    yield server
    server.stop()


@pytest.fixture
def smtp():
    server = SMTPServer().start()
    yield server
    server.stop()


def dispatcher(channels: dict, clock: ManualClock | None = None, env: dict | None = None,
               keyring: MemoryKeyring | None = None, **notifications):
    notifications = {"channels": channels, "default_channels": list(channels), "group_wait": "0s",
                     "retry_backoff": "1s", **notifications}
    settings = Settings.model_validate({"notifications": notifications,
                                        "redaction": {"values": ["tiger-lily-7731"]}})
    return build_dispatcher(settings, app_paths(), env or {}, clock=clock or ManualClock(), keyring_backend=keyring)


def test_email_through_a_real_smtp_server_is_multipart_and_redacted(smtp):
    notify = dispatcher({"mail": {"url": f"mailto://127.0.0.1:{smtp.port}?from=dockerforge@example.com"
                                         "&to=ops@example.com"}})
    notify.on_event({
        "kind": "issue_opened", "severity": "critical", "title": "Database crashed", "container": "shop/db",
        "issue_id": "a1b2c3", "category": "crash",
        "fields": {"evidence": ["FATAL: login failed, DB_PASSWORD=Sup3rS3cret!x", "token tiger-lily-7731 rejected"],
                   "message": "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.abcdefghijk.lmnopqrstu"}})
    rows = notify.tick()
    assert [row.outcome for row in rows] == ["sent"]
    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    assert message["Subject"] == "[CRITICAL] Database crashed (shop/db)"
    assert smtp.envelopes[0] == ("dockerforge@example.com", ["ops@example.com"])
    parts = dict(smtp.bodies(message))
    assert set(parts) == {"text/plain", "text/html"}
    assert 'class="severity-critical"' in parts["text/html"]
    everything = message.as_string() + "".join(parts.values())
    for secret in ("Sup3rS3cret!x", "tiger-lily-7731", "eyJhbGciOiJIUzI1NiJ9"):
        assert secret not in everything
    assert "[REDACTED:" in parts["text/html"]
    logged = NotificationLog.for_paths(app_paths()).recent()
    assert "Sup3rS3cret" not in str([row.as_dict() for row in logged])


def test_generic_json_webhook(webhook):
    notify = dispatcher({"hook": {"url": f"json://{webhook.base}/alerts"}})
    notify.on_event({"kind": "fix_proposed", "severity": "error", "fix_id": "fx7", "summary": "Raise memory",
                     "container": "web"})
    notify.tick()
    [request] = webhook.requests
    assert request.path == "/alerts" and request.headers["Content-Type"] == "application/json"
    body = request.json()
    assert body["title"] == "[FIX PROPOSED] Raise memory (web)"
    assert "dockerforge fix apply fx7" in body["message"] and body["type"] == "info"


def test_slack_and_discord_payloads_from_apprise_plugins(webhook, monkeypatch):
    monkeypatch.setattr(NotifySlack, "webhook_url", f"http://{webhook.base}/services")
    monkeypatch.setattr(NotifyDiscord, "notify_url", f"http://{webhook.base}/api/webhooks")
    keyring = MemoryKeyring()
    secrets = SecretStore(app_paths().config_dir, env={}, keyring_backend=keyring)
    for name, value in (("slack-a", "T1JJ3T3L2"), ("slack-b", "A1BRTD4JD"), ("slack-c", "TIiajkdnlazkcOXrIdevi7")):
        secrets.set(name, value)
    notify = dispatcher(
        {"slack": {"url": "slack://{secret:slack-a}/{secret:slack-b}/{secret:slack-c}/#ops"},
         "discord": {"url": "discord://{env:DISCORD_ID}/{env:DISCORD_TOKEN}"}},
        env={"DISCORD_ID": "4174216298", "DISCORD_TOKEN": "JHMHI8qBe7bk2ZwO5U711o3dV_js"}, keyring=keyring)
    notify.on_event({"kind": "issue_opened", "severity": "warning", "title": "Unhealthy", "container": "web"})
    notify.tick()
    by_path = {request.path: request.json() for request in webhook.requests}
    slack = by_path["/services/T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7"]
    assert slack["channel"] == "#ops" and slack["attachments"][0]["title"] == "[WARNING] Unhealthy (web)"
    discord = by_path["/api/webhooks/4174216298/JHMHI8qBe7bk2ZwO5U711o3dV_js"]
    assert discord["content"].startswith("[WARNING] Unhealthy (web)")


def test_a_failing_channel_is_retried_honouring_retry_after_then_falls_back(webhook):
    clock = ManualClock()
    notify = dispatcher({"primary": {"url": f"json://{webhook.base}/primary", "fallback": "backup"},
                         "backup": {"url": f"json://{webhook.base}/backup"}},
                        clock, default_channels=["primary"], retry_attempts=3)
    webhook.answer(429, {"Retry-After": "7"})
    webhook.answer(500, times=2)
    notify.on_event({"kind": "anomaly", "severity": "warning", "title": "CPU spike", "container": "api"})
    [row] = notify.tick()
    assert [request.path for request in webhook.requests] == ["/primary"] * 3 + ["/backup"]
    assert clock.sleeps == [7.0, 2.0]  # the server's Retry-After, then the doubled backoff
    assert (row.outcome, row.reason, row.channel, row.via) == ("sent", "fell_back", "primary", "backup")
    assert "4 attempts" in row.detail and "error=500" in row.detail


def test_a_retry_after_longer_than_the_cap_is_not_waited_for(webhook):
    clock = ManualClock()
    notify = dispatcher({"hook": {"url": f"json://{webhook.base}/hook"}}, clock, retry_max_delay="30s")
    webhook.answer(503, {"Retry-After": "600"})
    notify.on_event({"kind": "report", "title": "Nightly report"})
    [row] = notify.tick()
    assert clock.sleeps == [] and len(webhook.requests) == 1
    assert (row.outcome, row.reason) == ("failed", "failed") and "more than retry_max_delay" in row.detail


def test_retry_after_success(webhook):
    clock = ManualClock()
    notify = dispatcher({"hook": {"url": f"json://{webhook.base}/hook"}}, clock)
    webhook.answer(429, {"Retry-After": "3"})
    notify.on_event({"kind": "report", "title": "Nightly report"})
    [row] = notify.tick()
    assert clock.sleeps == [3.0] and len(webhook.requests) == 2
    assert (row.outcome, row.reason, row.via) == ("sent", None, "hook") and "2 attempts" in row.detail
