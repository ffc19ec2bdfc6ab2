"""The AI usage screen's text, from the ledger's report rows (pure functions, no app)."""

from __future__ import annotations

from datetime import datetime, timezone

from dockerforge_tui.services.ai.budget import BudgetCheck
from dockerforge_tui.services.ai.savings import Suggestion
from dockerforge_tui.services.ai.usage import TemplateVersionStats, UsageRecord, UsageRow
from dockerforge_tui.ui.presenters import ai_usage as present

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc).timestamp()
PALETTE = {"success": "#00ff00", "warning": "#ffff00", "error": "#ff0000", "text-muted": "#808080"}


def record(provider: str, cost: float | None, hours_ago: float) -> UsageRecord:
    return UsageRecord(NOW - hours_ago * 3600, provider, "m", 100, 10, cost, 1.0, "ok")


def test_periods_cycle_and_start_at_the_utc_day_or_n_days_back():
    assert present.next_in(present.SINCE_CHOICES, "today") == "7d"
    assert present.next_in(present.SINCE_CHOICES, "all") == "today"
    assert present.next_in(present.GROUPINGS, "template") == "provider"
    assert present.next_in(present.GROUPINGS, "bogus") == "provider"
    assert present.since_start("today", NOW) == NOW - 12 * 3600
    assert present.since_start("7d", NOW) == NOW - 7 * 86_400
    assert present.since_start("30d", NOW) == NOW - 30 * 86_400
    assert present.since_start("all", NOW) is None


def test_usage_cells_are_compact_and_mark_unpriced_costs():
    row = UsageRow("claude/claude-sonnet-4-5", requests=12, ok=9, errors=1, cancelled=1, refused_budget=1,
                   input_tokens=123_456, output_tokens=950, cost_usd=0.41234, mean_latency_s=1.234, unpriced=2)
    assert present.usage_cells(row) == ("claude/claude-sonnet-4-5", "12", "9", "1", "123.5k", "950", "$0.4123*",
                                        "1.23s")
    assert present.usage_breakdown(row, "model") == (
        "provider/model claude/claude-sonnet-4-5: 12 requests (9 ok, 1 failed, 1 cancelled, 1 refused by a budget), "
        "123,456 tokens in, 950 out; 2 answered by a model without a price (ai.prices), not in the cost")
    refused = UsageRow("gemini", 2, 0, 0, 0, 2, 0, 0, 0.0, 0.0)
    assert present.usage_cells(refused)[-2:] == ("$0.0000", "-")  # nothing answered: no latency
    assert present.compact_count(2_500_000) == "2.5M"
    assert present.summary_title([row, refused], "model", "7d") == "by model · last 7 days · 14 requests, $0.4123"


def test_template_cells_show_answered_calls_ratings_and_accepted_fixes():
    stats = TemplateVersionStats("diagnose", 2, calls=4, answered=3, input_tokens=8_000, output_tokens=1_200,
                                 cost_usd=0.05, mean_latency_s=2.5, thumbs_up=2, thumbs_down=1,
                                 fixes_offered=3, fixes_accepted=2)
    assert present.template_cells(stats) == ("diagnose@v2", "3/4", "8.0k", "1.2k", "2.50s", "+2/-1", "2/3",
                                             "$0.0500")
    unrated = TemplateVersionStats("ask", None, 1, 1, 10, 5, 0.0, 0.5, 0, 0, 0, 0)
    assert present.template_cells(unrated) == ("ask", "1", "10", "5", "0.50s", "-", "-", "$0.0000")


def test_spending_levels_follow_the_warning_share_and_the_limit():
    assert present.spending_level(0.5, 1.0, 0.8) == "ok"
    assert present.spending_level(0.8, 1.0, 0.8) == "warning"
    assert present.spending_level(1.0, 1.0, 0.8) == "stop"
    assert present.spending_level(5.0, None, 0.8) == "none"


def test_budgeted_providers_come_first_then_the_others_that_cost_something_this_month():
    checks = [BudgetCheck("claude", 0.0, spent_today=0.9, spent_month=2.0, daily=1.0, monthly=20.0, warn_at=0.8)]
    month = [record("claude", 0.9, 1), record("gemini", 0.25, 1), record("gemini", 0.5, 30), record("ollama", 0.0, 2),
             record("gemini", None, 3)]
    lines = present.provider_spending(checks, month, NOW)
    assert [line.provider for line in lines] == ["claude", "gemini", "ollama"]
    claude, gemini, ollama = lines
    assert (claude.today.level, claude.month.level, claude.level) == ("warning", "ok", "warning")
    assert (gemini.today.spent, gemini.month.spent, gemini.level) == (0.25, 0.75, "none")
    assert ollama.month.spent == 0.0

    text = present.spending_text(lines, PALETTE)
    assert text.plain.splitlines() == [
        "claude  today $0.9000 of $1.00 (90%) · month $2.0000 of $20.00 (10%)  warning",
        "gemini  today $0.2500 · month $0.7500  no budget",
        "ollama  today $0.0000 · month $0.0000  no budget",
    ]
    styles = {text.plain[span.start:span.end]: span.style for span in text.spans}
    assert styles["today $0.9000 of $1.00 (90%)"] == "#ffff00"
    assert styles["month $2.0000 of $20.00 (10%)"] == "#00ff00"


def test_a_provider_at_its_limit_is_shown_as_stopped_and_nothing_spent_says_so():
    checks = [BudgetCheck("claude", 0.0, 1.0, 1.0, daily=1.0, monthly=None, warn_at=0.8)]
    text = present.spending_text(present.provider_spending(checks, [], NOW), PALETTE)
    assert text.plain == "claude  today $1.0000 of $1.00 (100%) · month $1.0000  over budget: requests stop"
    assert present.spending_text((), PALETTE).plain.startswith("No AI spending this month")


def test_suggestions_are_labelled_by_kind_or_say_why_there_are_none():
    lines = present.suggestion_lines([Suggestion("cheaper_model", "claude/x", "use y", 0.5),
                                      Suggestion("unused_output", "ask@v1", "lower it")])
    assert lines == ("cheaper model: use y", "unused answer budget: lower it")
    assert present.suggestion_lines([])[0].startswith("No suggestions")
