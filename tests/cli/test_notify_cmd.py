"""``dockerforge notify test|list|ack|secret set`` in-process, against a webhook server on 127.0.0.1."""

from __future__ import annotations

import io
import json

import pytest

from dockerforge_tui.core.paths import app_paths
from dockerforge_tui.services.issues import IssueStore
from dockerforge_tui.services.notify import NotificationLog
from dockerforge_tui.services.notify.credentials import SecretStore
from tests.report import scenario
from tests.support.notify_servers import WebhookServer


@pytest.fixture
def webhook():
    server = WebhookServer().start()
    yield server
    server.stop()


def configure(text: str) -> None:
    app_paths().config_file.write_text(text)


def test_test_sends_through_the_channel_and_the_log_lists_it(run_cli, webhook):
    configure(f'notifications:\n  channels:\n    hook: {{url: "json://{webhook.base}/hook"}}\n')
    result = run_cli("notify", "test", "hook")
    assert (result.exit_code, result.stdout) == (0, "hook: test message sent (1 attempt)\n")
    assert webhook.requests[0].json()["title"] == "[TEST] DockerForge test notification"
    listed = run_cli("notify", "list", "--format", "json")
    [row] = json.loads(listed.stdout)["notifications"]
    assert (row["outcome"], row["channel"], row["kind"]) == ("sent", "hook", "test")
    text = run_cli("notify", "list").stdout.splitlines()
    assert text[0].split() == ["TIME", "OUTCOME", "REASON", "CHANNEL", "KIND", "SEVERITY", "SUBJECT"]
    assert text[1].split()[2:6] == ["sent", "-", "hook", "test"]


def test_a_failing_channel_falls_back_or_exits_9(run_cli, webhook):
    configure("notifications:\n  retry_attempts: 1\n  channels:\n"
              f'    hook: {{url: "json://{webhook.base}/hook", fallback: spare}}\n'
              f'    spare: {{url: "json://{webhook.base}/spare"}}\n')
    webhook.answer(500)
    result = run_cli("notify", "test", "hook")
    assert result.exit_code == 0 and "went through its fallback spare" in result.stdout
    webhook.answer(500, times=2)
    result = run_cli("notify", "test", "spare")
    assert result.exit_code == 9
    assert result.stderr.startswith("dockerforge: error: spare: the test message was not delivered: ")
    assert "error=500" in result.stderr and "\nhint: " in result.stderr
    assert [row.outcome for row in NotificationLog.for_paths(app_paths()).recent()] == ["failed", "sent"]


def test_unknown_channel_exits_4_and_plain_password_exits_2_with_file_and_line(run_cli):
    assert run_cli("notify", "test", "nope").exit_code == 4
    configure('notifications:\n  channels:\n    mail:\n      url: "mailto://ops:hunter2@mail.example.com"\n')
    result = run_cli("notify", "test", "mail")
    assert result.exit_code == 2
    config = app_paths().config_file
    assert f"{config}:4: notifications.channels.mail.url: the password is written in plain text" in result.stderr
    assert "dockerforge notify secret set mail" in result.stderr and "hunter2" not in result.stderr
    validated = run_cli("config", "validate")  # config validate runs the same checks
    assert validated.exit_code == 2 and "hunter2" not in validated.stderr
    assert f"{config}:4: notifications.channels.mail.url: the password is written in plain text" in validated.stderr
    configure('notifications:\n  default_channels: [pager]\n')
    validated = run_cli("config", "validate")
    assert validated.exit_code == 2 and "pager" in validated.stderr, validated.stderr


def test_environment_reference_in_the_file_is_accepted(run_cli, webhook, monkeypatch):
    monkeypatch.setenv("HOOK_PASSWORD", "s3cr3t-value")
    configure(f'notifications:\n  channels:\n    hook: {{url: "json://bot:${{HOOK_PASSWORD}}@{webhook.base}/h"}}\n')
    assert run_cli("notify", "test", "hook").exit_code == 0
    assert webhook.requests[0].headers["Authorization"].startswith("Basic ")


def test_ack_marks_the_issue_and_stops_escalation(run_cli):
    store = IssueStore.for_paths(app_paths())
    store.record(scenario.trouble_analysis().observations, scenario.NOW)
    oom = store.list(severity_at_least="critical")[0]
    result = run_cli("notify", "ack", oom.id[:6])
    assert result.exit_code == 0 and result.stdout == f"acknowledged {oom.id}: {oom.title}\n"
    assert store.get(oom.id).status == "acknowledged"
    assert NotificationLog.for_paths(app_paths()).acknowledged() == {oom.id}
    other = run_cli("notify", "ack", "zz99")
    assert other.exit_code == 0 and "not in the issue store" in other.stdout


def test_secret_set_reads_stdin_into_the_encrypted_store(run_cli, monkeypatch):
    monkeypatch.setenv("DOCKERFORGE_AI_PASSPHRASE", "correct horse")
    secrets = SecretStore(app_paths().config_dir, env={"DOCKERFORGE_AI_PASSPHRASE": "correct horse"})
    if secrets.keyring() is not None:
        pytest.skip("this host has a working OS keyring")
    monkeypatch.delenv("DOCKERFORGE_AI_PASSPHRASE")
    monkeypatch.setattr("sys.stdin", io.StringIO("tok-abc-123\n"))
    refused = run_cli("notify", "secret", "set", "hook")
    assert refused.exit_code == 2 and "no passphrase for the encrypted secret store" in refused.stderr
    assert not (app_paths().config_dir / "notify-secrets.enc").exists()
    monkeypatch.setenv("DOCKERFORGE_AI_PASSPHRASE", "correct horse")
    monkeypatch.setattr("sys.stdin", io.StringIO("tok-abc-123\n"))
    result = run_cli("notify", "secret", "set", "hook")
    assert result.exit_code == 0 and "stored in the encrypted file" in result.stdout
    assert secrets.get("hook") == "tok-abc-123"
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    empty = run_cli("notify", "secret", "set", "hook")
    assert empty.exit_code == 2 and "no value for secret hook on stdin" in empty.stderr


def test_list_when_empty_and_bad_limit(run_cli):
    assert run_cli("notify", "list").stdout == "No notifications logged.\n"
    assert run_cli("notify", "list", "--limit", "0").exit_code == 2
