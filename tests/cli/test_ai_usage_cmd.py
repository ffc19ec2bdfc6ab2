"""``dockerforge ai test|key set|usage|templates`` and the budget stop of ``ai ask``, through the real CLI.

The SDKs talk to the local Anthropic server of tests/support/ai_servers.py; the usage ledger
is the real file in the test's data directory (the autouse ``isolated_dirs`` fixture).
"""

from __future__ import annotations

import io
import json
import os
import time
from pathlib import Path

import pytest
import yaml

from dockerforge_tui.services.ai.usage import UsageLedger, UsageRecord
from tests.support.ai_servers import AnthropicServer

MODELS = {"claude": "claude-test-1"}
PRICES = {"claude/claude-test-1": {"input": 3.0, "output": 15.0}}


@pytest.fixture
def env(monkeypatch):
    """No real keys, keyring or endpoints: the file key store with a passphrase, nothing from the host."""
    for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "GEMINI_API_KEY", "GOOGLE_API_KEY", "OLLAMA_HOST"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.setenv("DOCKERFORGE_AI_PASSPHRASE", "test passphrase")
    return monkeypatch


def ledger() -> UsageLedger:
    return UsageLedger.in_data_dir(Path(os.environ["DOCKERFORGE_DATA_DIR"]))


def sent_key(server) -> str:
    """The key of the last request, however the SDK sent it (x-api-key or a bearer token)."""
    headers = server.posts()[-1].headers
    return headers.get("x-api-key", "") + headers.get("authorization", "")


def write_config(tmp_path, **ai) -> str:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"ai": {"max_attempts": 1, "max_output_tokens": 100, **ai}}))
    return str(path)


def test_ai_test_checks_the_key_and_reports_a_rejected_one(run_cli, env):
    with AnthropicServer() as server:
        env.setenv("ANTHROPIC_BASE_URL", server.url)
        env.setenv("ANTHROPIC_API_KEY", "sk-ant-good")
        good = run_cli("ai", "test", "claude")
        assert good.exit_code == 0, good.stderr
        assert "the key from env ANTHROPIC_API_KEY works" in good.stdout
        assert server.posts()[-1].body["max_tokens"] == 1
        server.fail_next(401, "authentication_error", "invalid x-api-key")
        bad = run_cli("ai", "test", "claude")
    assert bad.exit_code == 7
    assert bad.stderr.splitlines()[0] == "dockerforge: error: claude: invalid x-api-key"
    assert "sk-ant-good" not in bad.stderr
    assert [record.outcome for record in ledger().records()] == ["ok", "error:authentication"]


def test_key_rotation_replaces_only_after_the_new_key_works(run_cli, env, monkeypatch):
    with AnthropicServer() as server:
        env.setenv("ANTHROPIC_BASE_URL", server.url)
        monkeypatch.setattr("sys.stdin", io.StringIO("sk-ant-first\n"))
        assert run_cli("ai", "key", "set", "claude").exit_code == 0
        server.fail_next(401, "authentication_error", "invalid x-api-key")
        monkeypatch.setattr("sys.stdin", io.StringIO("sk-ant-rejected\n"))
        refused = run_cli("ai", "key", "set", "claude")
        assert refused.exit_code == 7 and "sk-ant-rejected" not in refused.stderr
        assert run_cli("ai", "key", "test", "claude").exit_code == 0
        assert sent_key(server).endswith("sk-ant-first")

        monkeypatch.setattr("sys.stdin", io.StringIO("sk-ant-second\n"))
        rotated = run_cli("ai", "key", "set", "claude")
        assert rotated.exit_code == 0, rotated.stderr
        assert rotated.stdout.strip() == \
            "claude: the new key passed a test request and replaced the one in the encrypted file"
        posts = len(server.posts())
        monkeypatch.setattr("sys.stdin", io.StringIO("sk-ant-offline\n"))
        offline = run_cli("ai", "key", "set", "claude", "--no-verify")
        assert len(server.posts()) == posts  # no request at all
        assert offline.stdout.strip() == "claude: key stored in the encrypted file without a test request (--no-verify)"
        assert run_cli("ai", "test", "claude").exit_code == 0
        assert sent_key(server).endswith("sk-ant-offline")
        env.setenv("ANTHROPIC_API_KEY", "sk-ant-env")
        monkeypatch.setattr("sys.stdin", io.StringIO("sk-ant-third\n"))
        shadowed = run_cli("ai", "key", "set", "claude", "--no-verify")
    assert "ANTHROPIC_API_KEY is set and is used before the stored key" in shadowed.stderr


def test_ask_stops_at_the_budget_and_warns_near_it(run_cli, env, tmp_path):
    env.setenv("ANTHROPIC_API_KEY", "sk-ant-local-test")
    with AnthropicServer(reply_text="an answer") as server:
        env.setenv("ANTHROPIC_BASE_URL", server.url)
        config = write_config(tmp_path, provider="claude", models=MODELS, prices=PRICES,
                              budgets={"claude": {"daily": 0.01}})
        ledger().append(UsageRecord(time.time(), "claude", "claude-test-1", 100, 10, 0.0075, 1.0, "ok", call_id="a"))
        warned = run_cli("ai", "ask", "why?", "-c", config)
        assert warned.exit_code == 0, warned.stderr
        assert "budget: claude: with this request up to $0.00" in warned.stderr and "daily $0.01" in warned.stderr
        ledger().append(UsageRecord(time.time(), "claude", "claude-test-1", 100, 10, 0.002, 1.0, "ok", call_id="b"))
        stopped = run_cli("ai", "ask", "why?", "-c", config, "--yes")
        messages = [request.path for request in server.posts()].count("/v1/messages")
    assert stopped.exit_code == 7 and messages == 1
    lines = stopped.stderr.splitlines()
    assert any(line.startswith("dockerforge: error: claude: this request (up to $") and
               "would exceed the daily budget of $0.01" in line for line in lines)
    assert "ai.budgets.claude.daily" in stopped.stderr
    assert ledger().records()[-1].outcome == "refused_budget"


def test_usage_report_groups_filters_and_suggests(run_cli, env, tmp_path):
    now = time.time()
    book = ledger()
    for days, model, cost, template in ((10, "claude-sonnet-4-5", 0.40, 1), (1, "claude-sonnet-4-5", 0.03, 1),
                                        (0.5, "claude-sonnet-4-5", 0.03, 2), (0.1, "claude-sonnet-4-5", 0.03, 2),
                                        (0.05, "claude-haiku-4-5", 0.01, 2)):
        book.append(UsageRecord(now - days * 86400, "claude", model, 7000, 100, cost, 1.5, "ok",
                                call_id=f"c{days}", template_id="diagnose", template_version=template,
                                max_output_tokens=1024, input_budget=8000))
    config = write_config(tmp_path, budgets={"claude": {"daily": 1.0, "monthly": 20.0}})
    result = run_cli("ai", "usage", "--by", "model", "--since", "7d", "--format", "json", "-c", config)
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert [(row["key"], row["requests"]) for row in report["rows"]] == [
        ("claude/claude-sonnet-4-5", 3), ("claude/claude-haiku-4-5", 1)]
    assert report["total"]["cost_usd"] == pytest.approx(0.10)
    assert report["budgets"][0]["provider"] == "claude" and report["budgets"][0]["daily"] == 1.0
    assert {item["kind"] for item in report["suggestions"]} == {"cheaper_model", "smaller_context", "unused_output"}

    text = run_cli("ai", "usage", "--by", "template", "--since", "2000-01-01", "-c", config)
    assert text.exit_code == 0, text.stderr
    assert text.stdout.splitlines()[0].split()[:3] == ["template", "requests", "ok"]
    assert "diagnose@v1" in text.stdout and "diagnose@v2" in text.stdout and "total: $0.5000" in text.stdout
    assert "budget claude: today $" in text.stdout and "suggestion: claude/claude-sonnet-4-5:" in text.stdout
    bad = run_cli("ai", "usage", "--since", "last tuesday")
    assert bad.exit_code == 2 and "--since 'last tuesday' is neither a duration nor a time" in bad.stderr


def test_templates_lists_versions_selection_and_stats(run_cli, env, tmp_path):
    user = Path(os.environ["DOCKERFORGE_CONFIG_DIR"]) / "prompt_templates"
    user.mkdir()
    (user / "diagnose.v3.md").write_text("---\nid: diagnose\nversion: 3\ndescription: trial\n"
                                         "variables: [container, context]\nexperimental: true\n---\n{{ context }}\n")
    (user / "ask.v2.md").write_text("---\nid: ask\nversion: 2\ndescription: terse\nvariables: [question, context]\n"
                                    "---\n{{ question }}\n{{ context }}\n")
    book = ledger()
    book.append(UsageRecord(time.time(), "claude", "m", 100, 10, 0.01, 2.0, "ok", call_id="x", template_id="diagnose",
                            template_version=2))
    book.rate("x", 1)
    book.record_fix_outcome("x", True)
    config = write_config(tmp_path, templates={"diagnose": {"1": 0.25, "2": 0.75}})
    result = run_cli("ai", "templates", "--format", "json", "-c", config)
    assert result.exit_code == 0, result.stderr
    rows = {row["label"]: row for row in json.loads(result.stdout)["templates"]}
    assert rows["diagnose@v1"]["selection"] == "A/B 25%" and rows["diagnose@v2"]["selection"] == "A/B 75%"
    assert rows["diagnose@v2"]["experimental"] is False and rows["diagnose@v2"]["calls"] == 1
    assert (rows["diagnose@v2"]["thumbs_up"], rows["diagnose@v2"]["fix_accepted_rate"]) == (1, 1.0)
    assert rows["ask@v2"]["source"] == "user" and rows["ask@v2"]["selection"] == "default"
    assert rows["ask@v1"]["selection"] == "not used"
    text = run_cli("ai", "templates", "-c", config)
    assert "diagnose@v2  (A/B 75%, packaged)" in text.stdout
    assert "diagnose@v3  (not used, user, experimental)" in text.stdout
    assert rows["diagnose@v3"]["experimental"] is True
    assert "rated +1/-0; fixes accepted 1 of 1 (100%)" in text.stdout
