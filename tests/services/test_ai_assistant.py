"""The shared AI pipeline (services/ai/assistant.py): budgets, confirmation, template A/B, ledger and feedback.

Every call goes through the real SDKs to the local servers of tests/support/ai_servers.py;
the ledger is a real TinyDB file in tmp_path. No container is needed here: the CLI tests
cover the container context.
"""

from __future__ import annotations

import json
import random
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest

from dockerforge_tui.core.config.models import Settings
from dockerforge_tui.core.errors import NotFoundError, UsageError
from dockerforge_tui.services.ai import AIAuthenticationError
from dockerforge_tui.services.ai.assistant import Assistant
from dockerforge_tui.services.ai.base import CancelToken
from dockerforge_tui.services.ai.budget import AIBudgetExceededError, check_budget
from dockerforge_tui.services.ai.pricing import PriceTable
from dockerforge_tui.services.ai.prompts import PromptTemplateError, choose_version, list_templates, template_folders
from dockerforge_tui.services.ai.savings import suggest
from dockerforge_tui.services.ai.usage import (
    UsageLedger,
    UsageLog,
    UsageRecord,
    summarize,
    template_stats,
    usage_summary,
)
from tests.support.ai_servers import AnthropicServer, OllamaServer

PRICES = {"claude/claude-test-1": {"input": 3.0, "output": 15.0}}


def settings_for(**ai) -> Settings:
    return Settings.model_validate({"ai": {"max_attempts": 1, "max_output_tokens": 100, **ai}})


def claude_settings(**ai) -> Settings:
    return settings_for(provider="claude", models={"claude": "claude-test-1", "ollama": "llama3.2"}, prices=PRICES, **ai)


@pytest.fixture
def ledger(tmp_path) -> UsageLedger:
    return UsageLedger.in_data_dir(tmp_path / "data")


def spent(ledger: UsageLedger, provider: str, dollars: float, when: float | None = None) -> None:
    """A past answer of ``provider`` that cost ``dollars``."""
    ledger.append(UsageRecord(time.time() if when is None else when, provider, "claude-test-1", 1000, 100, dollars,
                              1.0, "ok", call_id=f"past{dollars}", template_id="ask", template_version=1))


def assistant_for(settings: Settings, ledger: UsageLedger | None, server=None, ollama=None, **kwargs) -> Assistant:
    env = {"ANTHROPIC_API_KEY": "sk-ant-local-test"}
    if server is not None:
        env["ANTHROPIC_BASE_URL"] = server.url
    if ollama is not None:
        env["OLLAMA_HOST"] = ollama.url
    return Assistant(settings, **{"connect": None, **kwargs}, ledger=ledger, env=env)


# --------------------------------------------------------------------------- budgets


def test_budget_stop_refuses_before_any_request_and_is_recorded(ledger):
    spent(ledger, "claude", 0.0095)
    with AnthropicServer() as server:
        assistant = assistant_for(claude_settings(budgets={"claude": {"daily": 0.01}}), ledger, server)
        prepared = assistant.prepare("why?")
        assert prepared.budget.stop and "daily budget of $0.01" in prepared.budget.stop
        with pytest.raises(AIBudgetExceededError) as raised:
            assistant.stream(prepared)
        # only the token count was sent; the message itself never was
        assert [request.path for request in server.posts()] == ["/v1/messages/count_tokens"]
    assert raised.value.exit_code == 7 and "ai.budgets.claude.daily" in raised.value.hint
    last = ledger.records()[-1]
    assert last.outcome == "refused_budget" and last.cost_usd is None and last.template_label == "ask@v1"
    assert last.estimated_cost_usd == pytest.approx(prepared.estimated_cost)


def test_budget_warning_is_given_and_the_call_still_goes(ledger):
    spent(ledger, "claude", 0.0075)
    with AnthropicServer(reply_text="fine") as server:
        assistant = assistant_for(claude_settings(budgets={"claude": {"daily": 0.01, "monthly": 5.0}}), ledger, server)
        prepared = assistant.prepare("why?")
        assert prepared.budget.stop is None
        assert "of the daily $0.01 budget" in prepared.budget_warning and "80%" in prepared.budget_warning
        with assistant.stream(prepared) as stream:
            assert stream.text() == "fine"
        assert stream.budget_warning == prepared.budget_warning
    assert ledger.records()[-1].outcome == "ok"


def test_an_over_budget_provider_is_skipped_for_the_next_in_the_chain(ledger):
    spent(ledger, "claude", 4.9995)
    with AnthropicServer() as claude, OllamaServer(reply_text="from ollama") as ollama:
        settings = claude_settings(fallback=["ollama"], budgets={"claude": {"monthly": 5.0}})
        assistant = assistant_for(settings, ledger, claude, ollama)
        prepared = assistant.prepare("why?")
        with assistant.stream(prepared) as stream:
            assert stream.text() == "from ollama"
        assert stream.answered_by == "ollama"
        assert "monthly budget of $5.00" in stream.notes[0] and "asking the next provider" in stream.notes[0]
        assert all(request.path != "/v1/messages" for request in claude.posts())
    outcomes = [(record.provider, record.outcome) for record in ledger.records() if record.call_id == stream.call_id]
    assert outcomes == [("claude", "refused_budget"), ("ollama", "ok")]


def test_daily_and_monthly_periods_are_utc_days_and_months(ledger):
    now = datetime(2026, 12, 15, 10, 0, tzinfo=timezone.utc).timestamp()
    spent(ledger, "claude", 0.50, when=now - 3600)  # today
    spent(ledger, "claude", 3.30, when=now - 5 * 86400)  # this month
    spent(ledger, "claude", 9.00, when=now - 20 * 86400)  # last month
    spent(ledger, "gemini", 7.00, when=now - 3600)  # another provider
    settings = claude_settings(budgets={"claude": {"daily": 1.0, "monthly": 4.0, "warn_at": 0.5}})
    check = check_budget(ledger, "claude", settings.ai, 0.10, now)
    assert (check.spent_today, check.spent_month) == (pytest.approx(0.5), pytest.approx(3.8))
    assert check.stop is None and "$0.6000 of the daily $1.00" in check.warning and "monthly" in check.warning
    assert "monthly budget of $4.00" in check_budget(ledger, "claude", settings.ai, 0.30, now).stop
    assert "daily budget of $1.00" in check_budget(ledger, "claude", settings.ai, 0.60, now).stop
    unknown = check_budget(ledger, "claude", settings.ai, None, now)
    assert "cost of this request is unknown" in unknown.stop and "ai.prices" in unknown.hint
    assert check_budget(ledger, "gemini", settings.ai, 100.0, now).stop is None  # no budget, no limit


# --------------------------------------------------------------------------- confirmation


def test_confirmation_threshold_still_decides(ledger):
    with AnthropicServer() as server:
        cheap = assistant_for(claude_settings(confirm_above=1.0), ledger, server).prepare("why?")
        assert not cheap.needs_confirmation and cheap.confirmation_reason is None
        dear = assistant_for(claude_settings(confirm_above=0.0001), ledger, server).prepare("why?")
        assert dear.needs_confirmation and dear.confirmation_reason == "above ai.confirm_above ($0.0001)"
        unpriced = assistant_for(settings_for(provider="claude", models={"claude": "claude-unpriced"}), ledger,
                                 server).prepare("why?")
        assert unpriced.needs_confirmation and unpriced.confirmation_reason == "the cost is unknown"
        assert unpriced.estimated_cost is None
    # the estimate: the server's token count, plus the longest answer allowed
    assert dear.input_tokens == AnthropicServer.prompt_tokens(server.posts()[1].body)
    assert dear.estimated_cost == pytest.approx(dear.input_tokens * 3.0 / 1e6 + 100 * 15.0 / 1e6)
    with OllamaServer() as ollama:
        local = assistant_for(settings_for(provider="ollama", confirm_above=0.0), ledger, ollama=ollama).prepare("x")
    assert local.estimated_cost == 0.0 and not local.needs_confirmation and local.local


# --------------------------------------------------------------------------- templates A/B


def write_probe_templates(folder):
    folder.mkdir(parents=True, exist_ok=True)
    for version, words in ((1, "first"), (2, "second")):
        (folder / f"probe.v{version}.md").write_text(
            f"---\nid: probe\nversion: {version}\nvariables: [question, context, container]\noptional: [container]\n"
            f"system: probe {words}\n---\n{words}: {{{{ question }}}}{{% if container %}} in {{{{ container }}}}"
            "{% endif %}\n{{ context }}\n")


def test_ab_split_draws_with_the_seeded_rng_and_is_recorded(tmp_path, ledger):
    folder = tmp_path / "templates"
    write_probe_templates(folder)
    settings = settings_for(provider="ollama", templates={"probe": {"1": 0.5, "2": 0.5}})

    def versions(seed: int, calls: int) -> list[int]:
        assistant = assistant_for(settings, ledger, ollama=ollama, rng=random.Random(seed), template_folders=[folder])
        drawn = []
        for _ in range(calls):
            prepared = assistant.prepare("up?", template="probe")
            drawn.append(prepared.template_version)
            assert prepared.request.system == f"probe {'first' if prepared.template_version == 1 else 'second'}"
        return drawn

    with OllamaServer(reply_text="ok") as ollama:
        first = versions(7, 12)
        assert first == versions(7, 12)  # the same seed, the same split
        assert set(first) == {1, 2}
        only_two = settings_for(provider="ollama", templates={"probe": {"1": 0, "2": 1}})
        assistant = assistant_for(only_two, ledger, ollama=ollama, template_folders=[folder])
        prepared = assistant.prepare("up?", template="probe")
        assert prepared.template_label == "probe@v2"
        with assistant.stream(prepared) as stream:
            stream.text()
        assert ollama.posts()[-1].body["messages"][-1]["content"].startswith("second: up?")
    record = ledger.records()[-1]
    assert (record.template_id, record.template_version, record.call_id) == ("probe", 2, stream.call_id)


def test_version_choice_by_number_default_and_errors(tmp_path):
    (tmp_path / "diagnose.v3.md").write_text("---\nid: diagnose\nversion: 3\nvariables: [container, context]\n"
                                             "experimental: true\n---\n{{ container }}: {{ context }}\n")
    versions = list_templates((tmp_path, *template_folders()))["diagnose"]
    assert choose_version("diagnose", versions).version == 2  # v3 is experimental: not the default
    assert choose_version("diagnose", versions, "3").version == 3
    assert choose_version("diagnose", versions, "2").version == 2
    assert choose_version("diagnose", versions, 2).version == 2
    with pytest.raises(PromptTemplateError, match=r"ai.templates.diagnose: .* has no version '9'"):
        choose_version("diagnose", versions, "9")
    with pytest.raises(PromptTemplateError, match="weights must be positive"):
        choose_version("diagnose", versions, {"1": 0, "2": 0})
    v2 = versions[2]
    assert v2.required == ("container", "context") and v2.max_tokens == 900 and v2.output == "json"
    system, user = v2.render(container="web", context="ctx")
    assert "## Root cause" in user and "operator asks" not in user and "[REDACTED:label:n]" in system
    assert "JSON" not in user
    assert '"root_cause"' in v2.render(container="web", context="ctx", json_output="yes")[1]
    assert "The operator asks: exit 137?" in v2.render(container="web", context="ctx", question="exit 137?")[1]


def test_template_files_with_jinja_errors_name_the_file_and_line(tmp_path):
    from dockerforge_tui.services.ai.prompts import parse_template

    broken = tmp_path / "probe.v1.md"
    broken.write_text("---\nid: probe\nversion: 1\nvariables: [question]\n---\nline one\n{% if question %}\n")
    with pytest.raises(PromptTemplateError, match=r"probe.v1.md:\d+: invalid template"):
        parse_template(broken)
    broken.write_text("---\nid: probe\nversion: 1\nvariables: [question]\noptional: [context]\n---\n{{ question }}\n")
    with pytest.raises(PromptTemplateError, match="optional variable context is not listed under 'variables'"):
        parse_template(broken)
    broken.write_text("---\nid: probe\nversion: 1\nvariables: [question]\n---\n{{ question.missing.deeper }}\n")
    with pytest.raises(PromptTemplateError, match="prompt template probe@v1: 'str object' has no attribute 'missing'"):
        parse_template(broken).render(question="q")
    with pytest.raises(UsageError, match="needs a question"):
        Assistant(settings_for(provider="ollama"), connect=None, env={}).prepare(None, container="web",
                                                                                 template="ask")
    with pytest.raises(UsageError, match="nothing to ask"):
        Assistant(settings_for(provider="ollama"), connect=None, env={}).prepare(None)


# --------------------------------------------------------------------------- ledger, stats, feedback


def test_per_version_stats_ratings_and_fix_outcomes(tmp_path, ledger):
    folder = tmp_path / "templates"
    write_probe_templates(folder)
    with OllamaServer(reply_text="restart it") as ollama:
        calls = {}
        for version in ("1", "2", "2"):
            settings = settings_for(provider="ollama", templates={"probe": version})
            assistant = assistant_for(settings, ledger, ollama=ollama, template_folders=[folder])
            with assistant.stream(assistant.prepare("why?", template="probe")) as stream:
                assert stream.text() == "restart it"
            assert stream.usage.output_tokens == 2 and stream.cost_usd == 0.0
            calls.setdefault(version, []).append(stream.call_id)
    assistant.rate(calls["1"][0], -1)
    assistant.rate(calls["2"][0], 1)
    assistant.rate(calls["2"][1], -1)
    assistant.rate(calls["2"][1], 1)  # a second rating replaces the first
    assistant.record_fix_outcome(calls["2"][0], True)
    assistant.record_fix_outcome(calls["2"][1], False)
    assistant.record_fix_outcome(calls["1"][0], False)
    stats = {item.label: item for item in template_stats(ledger)}
    two = stats["probe@v2"]
    assert (two.calls, two.answered, two.thumbs_up, two.thumbs_down) == (2, 2, 2, 0)
    assert (two.fixes_offered, two.fixes_accepted, two.fix_accepted_rate, two.rating) == (2, 1, 0.5, 1.0)
    assert two.output_tokens == 4 and two.input_tokens > 0 and two.mean_latency_s > 0
    one = stats["probe@v1"]
    assert (one.calls, one.thumbs_down, one.fix_accepted_rate) == (1, 1, 0.0)
    with pytest.raises(NotFoundError):
        assistant.rate("no-such-call", 1)
    with pytest.raises(UsageError, match=r"\+1 or -1"):
        assistant.rate(calls["1"][0], 0)


def test_a_rejected_key_and_a_cancel_are_recorded(ledger):
    with AnthropicServer(reply_text=" ".join(f"w{n}" for n in range(40))) as server:
        assistant = assistant_for(claude_settings(), ledger, server)
        prepared = assistant.prepare("why?")
        server.fail_next(401, "authentication_error", "invalid x-api-key")
        with pytest.raises(AIAuthenticationError):
            assistant.stream(prepared)
        server.chunk_delay = 0.02
        token = CancelToken()
        stream = assistant.stream(prepared, cancel=token)
        first = next(stream)
        threading.Thread(target=token.cancel).start()
        rest = list(stream)
        stream.close()
        assert first and len(rest) < 39 and stream.cancelled
        already = CancelToken()
        already.cancel()
        assert list(assistant.stream(prepared, cancel=already)) == []
    outcomes = [record.outcome for record in ledger.records()]
    assert outcomes == ["error:authentication", "cancelled", "cancelled"]


def test_the_old_jsonl_log_is_imported_once(tmp_path):
    data = tmp_path / "data"
    old = UsageLog.in_data_dir(data)
    old.append(UsageLog.record("claude", "m", 10, 5, 0.001, 0.5))
    old.append(UsageLog.record("gemini", "g", 1, 2, None, 0.1, "AIRateLimitError"))
    ledger = UsageLedger.in_data_dir(data)
    assert [record.outcome for record in ledger.records()] == ["ok", "error:rate_limit"]
    assert not old.path.exists() and old.path.with_name("ai-usage.jsonl.migrated").exists()
    assert len(UsageLedger.in_data_dir(data).records()) == 2
    assert json.loads((data / "ai-usage.json").read_text())["calls"]


def test_two_ledgers_reading_at_once_import_the_old_log_once(tmp_path):
    import threading

    data = tmp_path / "data"
    old = UsageLog.in_data_dir(data)
    for number in range(200):
        old.append(UsageLog.record("claude", "m", number, 5, 0.001, 0.5))
    ledgers = [UsageLedger.in_data_dir(data) for _ in range(4)]
    start = threading.Barrier(len(ledgers))

    def read(ledger: UsageLedger) -> None:
        start.wait()
        ledger.records()

    threads = [threading.Thread(target=read, args=(ledger,)) for ledger in ledgers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(UsageLedger.in_data_dir(data).records()) == 200


# --------------------------------------------------------------------------- reports and suggestions


def row(when: float, provider: str, model: str, tokens_in: int, tokens_out: int, cost: float | None,
        outcome: str = "ok", template: tuple[str, int] = ("ask", 1), call: str = "") -> UsageRecord:
    return UsageRecord(when, provider, model, tokens_in, tokens_out, cost, 2.0, outcome, call_id=call or f"c{when}",
                       template_id=template[0], template_version=template[1], max_output_tokens=1024,
                       input_budget=8000)


def test_usage_summary_groups_and_since(ledger):
    now = time.time()
    for record in (row(now - 10 * 86400, "claude", "claude-sonnet-4-5", 100, 10, 0.5),
                   row(now - 3600, "claude", "claude-sonnet-4-5", 200, 20, 0.25, template=("diagnose", 2)),
                   row(now - 60, "claude", "claude-haiku-4-5", 50, 5, 0.01, outcome="error:timeout"),
                   row(now - 30, "ollama", "llama3.2", 300, 30, 0.0, outcome="cancelled"),
                   row(now - 20, "claude", "claude-sonnet-4-5", 0, 0, None, outcome="refused_budget")):
        ledger.append(record)
    by_provider = {item.key: item for item in usage_summary(ledger, "provider")}
    claude = by_provider["claude"]
    assert (claude.requests, claude.ok, claude.errors, claude.refused_budget) == (4, 2, 1, 1)
    assert claude.cost_usd == pytest.approx(0.76) and claude.input_tokens == 350 and claude.mean_latency_s == 2.0
    assert by_provider["ollama"].cancelled == 1
    assert [item.key for item in usage_summary(ledger, "model")][0] == "claude/claude-sonnet-4-5"
    recent = {item.key: item for item in usage_summary(ledger, "template",
                                                       since=datetime.now(timezone.utc) - timedelta(days=7))}
    assert set(recent) == {"diagnose@v2", "ask@v1"} and recent["ask@v1"].requests == 3
    with pytest.raises(UsageError, match="cannot group AI usage by 'day'"):
        usage_summary(ledger, "day")


def test_suggestions_name_a_cheaper_model_a_smaller_context_and_unused_output():
    now = time.time()
    records = [row(now, "claude", "claude-sonnet-4-5-20250929", 7600, 150, 7600 * 3e-6 + 150 * 15e-6,
                   template=("diagnose", 1)) for _ in range(4)]
    records.append(row(now, "claude", "claude-sonnet-4-5-20250929", 10, 10, 0.001, outcome="error:timeout"))
    found = {item.kind: item for item in suggest(records, PriceTable())}
    cheaper = found["cheaper_model"]
    assert cheaper.subject == "claude/claude-sonnet-4-5-20250929" and "claude-haiku-4-5 would have cost" in cheaper.message
    assert cheaper.saving_usd == pytest.approx(4 * (7600 * 2e-6 + 150 * 10e-6))
    assert found["smaller_context"].subject == "diagnose@v1" and "95% of ai.input_token_budget" in \
        found["smaller_context"].message
    assert "150 of the 1,024 output tokens" in found["unused_output"].message
    assert suggest(records[:2], PriceTable()) == ()  # too few calls to say anything
    assert summarize([], "provider") == ()


# --------------------------------------------------------------------------- a finding asked about (the chat pane)


def test_a_finding_in_a_real_container_goes_with_the_chosen_template_and_no_secret(containers, ledger):
    from dockerforge_tui.core.config.loader import load_config
    from dockerforge_tui.services.docker.connection import connect
    from dockerforge_tui.services.issues.models import ContainerRef, Evidence, Observation

    password = "Chat-Pane-s3cret-77"
    container = containers.run(f'echo "db connect with {password} failed"; echo "java.lang.OutOfMemoryError: '
                               'Java heap space"; exit 3', environment={"DB_PASSWORD": password})
    container.wait(timeout=30)
    settings = settings_for(provider="ollama", models={"ollama": "llama3.2"}, templates={"diagnose": "2"})
    settings = settings.model_copy(update={"docker": load_config().settings.docker})
    finding = Observation(source="log", category="out_of_memory", severity="critical", pattern_id="jvm.heap",
                          container=ContainerRef(container.id, container.name), message="Java heap space",
                          timestamp=None, evidence=(Evidence("java.lang.OutOfMemoryError: Java heap space", "log"),))
    with OllamaServer(reply_text="## Summary\nheap") as ollama:
        assistant = assistant_for(settings, ledger, ollama=ollama, connect=lambda: connect(settings.docker, {}))
        prepared = assistant.prepare(f"why? pw {password}", observation=finding, template="diagnose", log_tail=50)
        assert prepared.template_label == "diagnose@v2" and prepared.container == container.name
        assert prepared.attached[:2] == (f"container {container.name}", "finding out_of_memory (critical)")
        assert any(label.startswith("logs: ") for label in prepared.attached)
        with assistant.stream(prepared) as stream:
            assert stream.text().startswith("## Summary")
        sent = json.dumps(ollama.posts()[-1].body)
    assert password not in sent and "[REDACTED:" in sent
    assert "The operator asks: why? pw [REDACTED:" in sent and "exit code 3" in sent and "jvm.heap" in sent
    assert ledger.records()[-1].template_label == "diagnose@v2"
