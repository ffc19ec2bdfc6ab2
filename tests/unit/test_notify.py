"""Notification pieces without a server: templates and the locale hook, routing, credentials in URLs."""

from __future__ import annotations

from datetime import datetime, timezone

import apprise
import pytest

from dockerforge_tui.core.config import Settings
from dockerforge_tui.core.config.models import NotificationSettings
from dockerforge_tui.core.errors import ConfigError, UsageError
from dockerforge_tui.services.notify.credentials import (
    CredentialResolver, SecretStore, channel_urls_as_written, check_channel_url, references,
)
from dockerforge_tui.services.notify.delivery import RetryPolicy, parse_retry_after
from dockerforge_tui.services.notify.events import NotificationEvent, event_from_fix_event, event_from_object
from dockerforge_tui.services.notify.routing import Destination, Router, check_settings
from dockerforge_tui.services.notify.templates import MessageRenderer
from tests.support.notify_servers import MemoryKeyring


def event(kind="issue_opened", severity="error", key="issue:1", **extra) -> NotificationEvent:
    fields = extra.pop("fields", ())
    return NotificationEvent(kind=kind, severity=severity, title=extra.pop("title", "Out of memory"), key=key,
                             fields=tuple(dict(fields).items()), **extra)


# --------------------------------------------------------------------------- templates


def test_fix_proposal_carries_its_id_and_the_apply_command():
    proposal = event_from_object({"kind": "fix_proposed", "severity": "error", "fix_id": "fx42",
                                  "summary": "Raise the memory limit to 512m", "container": "shop/db", "risk": "medium"})
    message = MessageRenderer().render([proposal])
    assert message.subject == "[FIX PROPOSED] Raise the memory limit to 512m (shop/db)"
    assert "dockerforge fix apply fx42" in message.text and "Risk: medium" in message.text
    assert "dockerforge fix apply fx42" in message.html


def test_group_message_has_a_section_per_kind_and_severity_styling():
    opened = event(severity="critical", container="shop/db", issue_id="abc123",
                   fields={"evidence": ["<script>alert(1)</script>"], "count": 3})
    resolved = event(kind="issue_resolved", severity="warning", key="issue:2", title="Port clash", container="web")
    message = MessageRenderer().render([resolved, opened])
    assert message.subject == "[CRITICAL] Out of memory (shop/db)"
    assert "Seen 3 times." in message.text and "dockerforge notify ack abc123" in message.text
    assert "Resolved: Port clash in web" in message.text
    assert 'class="severity-critical"' in message.html and "#b71c1c" in message.html
    assert "<script>" not in message.html and "&lt;script&gt;" in message.html  # HTML is escaped
    assert "<script>alert(1)</script>" in message.text  # plain text is not


def test_every_kind_renders():
    renderer = MessageRenderer()
    for kind in ("issue_opened", "issue_resolved", "fix_proposed", "fix_applied", "fix_failed", "fix_rolled_back",
                 "anomaly", "report"):
        message = renderer.render([event_from_object({"kind": kind, "title": "T", "fix_id": "f1"})])
        assert message.subject and message.text.endswith("Sent by DockerForge.\n") and "<html>" in message.html


def test_locale_hook_uses_a_catalog_from_the_config_directory(tmp_path):
    messages = tmp_path / "notification_templates" / "messages"
    messages.mkdir(parents=True)
    (messages / "de.yaml").write_text('"Sent by DockerForge.": "Gesendet von DockerForge."\n'
                                      '"Fix": "Korrektur"\n'
                                      '"%(num)s issue": ["%(num)s Problem", "%(num)s Probleme"]\n')
    renderer = MessageRenderer("de", tmp_path)
    text = renderer.render([event_from_object({"kind": "fix_failed", "fix_id": "f1", "title": "T"})]).text
    assert "Korrektur f1" in text and "Gesendet von DockerForge." in text
    subject = renderer.render([event(key="issue:1"), event(key="issue:2", title="Other")]).subject
    assert "2 Probleme" in subject
    with pytest.raises(ConfigError, match=r"no message catalog for 'xx' \(available: de, en\)"):
        MessageRenderer("xx", tmp_path)


# --------------------------------------------------------------------------- routing


def settings(**data) -> NotificationSettings:
    data.setdefault("channels", {name: {"url": f"json://127.0.0.1:9/{name}"} for name in ("ops", "dev", "pager")})
    return NotificationSettings.model_validate(data)


def test_rules_in_order_first_match_wins_unless_continue():
    router = Router(settings(routes=[
        {"severity": "critical", "channels": ["pager"], "continue": True},
        {"projects": ["shop*"], "labels": {"team": "web*"}, "channels": ["dev"]},
        {"categories": ["out_of_*"], "containers": ["db"], "channels": ["ops"]},
    ], default_channels=["ops"]))
    channels = lambda e: [d.channel for d in router.route(e)]  # noqa: E731
    assert channels(event(severity="critical", project="shop", labels=(("team", "webshop"),))) == ["pager", "dev"]
    assert channels(event(severity="error", project="shop", labels=(("team", "db"),))) == ["ops"]  # default
    assert channels(event(category="out_of_memory", container="shop/db")) == ["ops"]  # the service name matches
    assert channels(event(category="out_of_memory", container="db", severity="critical")) == ["pager", "ops"]


def test_users_carry_their_preferences_to_their_channels():
    router = Router(settings(
        users={"alice": {"channels": ["dev"], "min_severity": "warning",
                         "quiet_hours": {"start": "22:00", "end": "07:00", "timezone": "Europe/Berlin"}}},
        routes=[{"kinds": ["fix_proposed"], "users": ["alice"]}], default_channels=["dev", "ops"]))
    assert router.route(event(kind="fix_proposed")) == [Destination("dev", "alice")]
    assert router.route(event()) == [Destination("dev", "alice"), Destination("ops", None)]
    alice = router.users["alice"]
    assert not alice.wants(event(severity="info")) and alice.wants(event(severity="warning"))
    berlin_2230 = datetime(2026, 1, 1, 21, 30, tzinfo=timezone.utc)  # 22:30 in Berlin (UTC+1)
    assert alice.holds_until(berlin_2230, "error") == datetime(2026, 1, 2, 6, 0, tzinfo=timezone.utc)
    assert alice.holds_until(berlin_2230, "critical") is None  # breaks through
    assert alice.holds_until(datetime(2026, 7, 1, 5, 0, tzinfo=timezone.utc), "error") is None  # 07:00 CEST


@pytest.mark.parametrize(("data", "message"), [
    ({"routes": [{"channels": ["nope"]}]}, "notifications.routes[0].channels: unknown channel 'nope'"),
    ({"routes": [{"severity": "loud", "channels": ["ops"]}]}, "routes[0].severity: unknown severity 'loud'"),
    ({"routes": [{"kinds": ["issue_closed"]}]}, "routes[0].kinds: unknown kind 'issue_closed'"),
    ({"routes": [{"users": ["bob"]}]}, "routes[0].users: unknown user 'bob'"),
    ({"escalation_channels": ["sms"]}, "escalation_channels: unknown channel 'sms'"),
    ({"users": {"a": {"channels": ["ops"], "quiet_hours": {"start": "22:00", "end": "06:00", "timezone": "Mars/Base"}}}},
     "users.a.quiet_hours.timezone: unknown time zone 'Mars/Base'"),
])
def test_names_that_refer_to_nothing_are_one_line_errors(data, message):
    with pytest.raises(ConfigError) as caught:
        check_settings(settings(**data))
    assert message in caught.value.message and caught.value.hint


def test_fallback_to_itself_is_refused():
    with pytest.raises(ConfigError, match="cannot fall back to itself"):
        check_settings(settings(channels={"ops": {"url": "json://h/x", "fallback": "ops"}}))


# --------------------------------------------------------------------------- credentials


@pytest.mark.parametrize(("url", "field"), [
    ("mailto://alerts:hunter2@mail.example.com?to=ops@example.com", "password"),
    ("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7/#ops", "token_a"),
    ("discord://4174216298/JHMHI8qBe7bk2ZwO5U711o3dV_js", "webhook_id, webhook_token"),
    ("tgram://123456789:AABBccDDeeFF/12345", "bot_token"),
    ("json://hooks.example.com/alert?+Authorization=Bearer%20abc123def456", "Authorization"),
    ("ntfy://ntfy.example.com/topic?token=tk_abcdef123456", "token"),
])
def test_a_plain_credential_in_a_channel_url_is_rejected(url, field):
    with pytest.raises(ConfigError) as caught:
        check_channel_url("ops", url)
    assert caught.value.message.startswith("notifications.channels.ops.url: the ")
    assert field in caught.value.message and "plain text" in caught.value.message
    assert "dockerforge notify secret set ops" in caught.value.hint and "{env:NAME}" in caught.value.hint


@pytest.mark.parametrize("url", [
    "mailto://{env:SMTP_USER}:{secret:smtp}@mail.example.com?to=ops@example.com",
    "slack://{secret:slack-a}/{secret:slack-b}/{secret:slack-c}/#ops",
    "discord://${DISCORD_ID}/${DISCORD_TOKEN}",
    "json://hooks.example.com/alert?+Authorization=Bearer%20{secret:hook}",
    "json://127.0.0.1:8080/hook",
    "ntfy://ntfy.sh/dockerforge-alerts",
])
def test_references_and_credential_free_urls_pass(url):
    check_channel_url("ops", url)


def test_unknown_scheme_is_a_config_error():
    with pytest.raises(ConfigError, match="bogus:// is not a URL apprise knows"):
        check_channel_url("ops", "bogus://x")


def test_the_file_decides_what_was_a_reference(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text('notifications:\n  channels:\n    mail: {url: "mailto://me:${SMTP_PASSWORD}@mail.example.com"}\n')
    assert channel_urls_as_written((config,)) == {"mail": "mailto://me:${SMTP_PASSWORD}@mail.example.com"}
    assert references("mailto://{env:U}:${P}@h/{secret:x}") == ["{env:U}", "${P}", "{secret:x}"]


def test_resolver_fills_in_secrets_and_environment_url_quoted(tmp_path):
    backend = MemoryKeyring()
    secrets = SecretStore(tmp_path, env={}, keyring_backend=backend)
    assert secrets.set("smtp", "p@ss/w:rd") == "keyring"
    assert backend.store == {("dockerforge", "notify:smtp"): "p@ss/w:rd"}
    resolver = CredentialResolver(secrets, {"SMTP_USER": "alerts"})
    url = resolver.resolve("mail", "mailto://{env:SMTP_USER}:{secret:smtp}@mail.example.com?to=ops@example.com")
    plugin = apprise.Apprise.instantiate(url)
    assert (plugin.user, plugin.password) == ("alerts", "p@ss/w:rd")
    with pytest.raises(UsageError, match="no secret named pager is stored"):
        resolver.resolve("x", "json://h/{secret:pager}")
    with pytest.raises(UsageError, match="environment variable TOKEN is not set"):
        resolver.resolve("x", "json://h/{env:TOKEN}")
    with pytest.raises(UsageError, match="letters, digits"):
        secrets.set("bad name", "x")


def test_secret_store_uses_its_own_encrypted_file_without_a_keyring(tmp_path):
    secrets = SecretStore(tmp_path, env={"DOCKERFORGE_AI_PASSPHRASE": "correct horse"})
    if secrets.keyring() is not None:
        pytest.skip("this host has a working OS keyring")
    assert secrets.set("hook", "tok-very-secret") == "encrypted file"
    stored = tmp_path / "notify-secrets.enc"
    assert stored.exists() and b"very-secret" not in stored.read_bytes()
    assert not (tmp_path / "ai-keys.enc").exists()
    assert secrets.get("hook") == "tok-very-secret"
    secrets.delete("hook")
    assert secrets.get("hook") is None


# --------------------------------------------------------------------------- retry policy, events


def test_retry_delay_doubles_is_capped_and_honours_retry_after():
    policy = RetryPolicy(attempts=5, backoff=1, max_delay=5)
    assert [policy.delay(n, None) for n in (1, 2, 3, 4)] == [1, 2, 4, 5]
    assert policy.delay(1, 3.5) == 3.5 and policy.delay(1, 6) is None
    now = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
    assert parse_retry_after("120") == 120 and parse_retry_after("soon") is None and parse_retry_after(None) is None
    assert parse_retry_after("Thu, 01 Jan 2026 12:00:30 GMT", now) == 30


def test_generic_event_objects_need_only_a_known_kind():
    class FixEvent:
        kind = "fix_applied"
        severity = "info"
        fix_id = "fx9"
        container = "web"
        labels = {"team": "shop"}
        fields = {"summary": "Restarted web"}

    made = event_from_object(FixEvent())
    assert (made.key, made.title, made.label_map, made.container) == ("fix:fx9", "Restarted web", {"team": "shop"}, "web")
    with pytest.raises(UsageError, match="kind 'fix_exploded' has no template"):
        event_from_object({"kind": "fix_exploded"})


def test_default_settings_have_no_channels_and_validate():
    assert Settings().notifications.channels == {} and Settings().notifications.group_by == ["kind", "category", "container"]


def test_fix_service_events_map_to_kinds_and_risk_to_severity():
    from types import SimpleNamespace

    proposal = SimpleNamespace(id="fx1", summary="Restart web", container="shop/web", risk="medium", operations=(),
                               category="crash", issue_id="i9", advice=("check the disk",))
    made = {kind: event_from_fix_event(SimpleNamespace(kind=kind, proposal=proposal, message="why"))
            for kind in ("proposed", "applied", "succeeded", "failed", "rolled_back", "rejected")}
    assert {kind: (found.kind, found.severity) for kind, found in made.items() if found} == {
        "proposed": ("fix_proposed", "warning"), "succeeded": ("fix_applied", "warning"),
        "failed": ("fix_failed", "error"), "rolled_back": ("fix_rolled_back", "warning")}
    assert made["applied"] is None and made["rejected"] is None
    proposed = made["proposed"]
    assert (proposed.key, proposed.project, proposed.issue_id) == ("fix:fx1", "shop", "i9")
    assert "(advice, not run) check the disk" in MessageRenderer().render([proposed]).text


def test_every_kind_has_both_templates_and_every_reason_the_dispatcher_logs_is_explained():
    import re
    from pathlib import Path

    from dockerforge_tui.resources import resource_dir
    from dockerforge_tui.services.notify import EVENT_KINDS, REASONS
    from dockerforge_tui.services.notify import dispatcher

    folder = resource_dir("notification_templates")
    for kind in EVENT_KINDS:
        assert (folder / f"{kind}.txt.j2").is_file() and (folder / f"{kind}.html.j2").is_file(), kind
    logged = set(re.findall(r'"(?:suppressed|failed|sent)", "([a-z_]+)"', Path(dispatcher.__file__).read_text()))
    logged |= {"fell_back", "failed"}
    assert logged and logged <= set(REASONS), logged - set(REASONS)
