"""The AI usage screen over a real usage ledger, filled through its own API (``:usage``)."""

from __future__ import annotations

from datetime import datetime, timezone

from textual.widgets import DataTable, Static

from dockerforge_tui.core.config import load_config
from dockerforge_tui.services.ai.usage import LEDGER_FILE_NAME, UsageLedger, UsageRecord
from dockerforge_tui.ui.app import make_app
from dockerforge_tui.ui.screens.ai_usage import AIUsageScreen
from tests.tui.helpers import wait_until

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc).timestamp()
HOUR = 3600.0
DAY = 24 * HOUR
AI = {"budgets": {"claude": {"daily": 1.0, "monthly": 20.0, "warn_at": 0.8}},
      "prices": {"claude/claude-test-1": {"input": 3.0, "output": 15.0}}}


def call(ledger: UsageLedger, call_id: str, provider: str, model: str, ago: float, cost: float | None,
         template: str = "", version: int | None = None, outcome: str = "ok", tokens: tuple[int, int] = (7000, 400)
         ) -> None:
    ledger.append(UsageRecord(NOW - ago, provider, model, tokens[0], tokens[1], cost, 1.5, outcome, call_id=call_id,
                              template_id=template, template_version=version, input_budget=8000,
                              max_output_tokens=1024))


def fill(ledger: UsageLedger) -> None:
    """Claude near its daily budget today (diagnose@v2), Gemini ten days ago (ask@v1), Ollama 40 days ago."""
    for number in range(3):
        call(ledger, f"c{number}", "claude", "claude-test-1", HOUR * (number + 1), 0.3, "diagnose", 2)
    call(ledger, "c3", "claude", "claude-test-1", HOUR, 0.0, "diagnose", 2, outcome="error:rate_limit",
         tokens=(0, 0))
    call(ledger, "g1", "gemini", "gemini-2.5-flash", 10 * DAY, 0.002, "ask", 1, tokens=(500, 80))
    call(ledger, "o1", "ollama", "llama3", 40 * DAY, 0.0, tokens=(300, 50))
    ledger.rate("c0", 1)
    ledger.rate("c1", -1)
    ledger.record_fix_outcome("c0", True)
    ledger.record_fix_outcome("c2", False)


def column(table: DataTable, index: int = 0) -> list[str]:
    return [str(table.get_row_at(row)[index]) for row in range(table.row_count)]


def cells(table: DataTable, row: int) -> list[str]:
    return [str(cell) for cell in table.get_row_at(row)]


async def test_usage_by_provider_model_and_template_over_each_period():
    app = make_app(load_config(overrides={"ai": AI}), watch_engine=False, clock=lambda: NOW)
    fill(UsageLedger.in_data_dir(app.paths.data_dir))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("colon", *"usage", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, AIUsageScreen) and app.screen.report is not None,
                         what="the usage screen with the ledger read")
        screen = app.screen
        usage = screen.query_one("#usage-table", DataTable)
        templates = screen.query_one("#usage-templates", DataTable)
        # The last 30 days by provider: Ollama's request is older; the most expensive first.
        assert column(usage) == ["claude", "gemini"]
        assert cells(usage, 0)[1:4] == ["4", "3", "1"]
        assert cells(usage, 0)[6] == "$0.9000"
        budgets = str(screen.query_one("#usage-budgets", Static).render())
        assert "claude  today $0.9000 of $1.00 (90%) · month $0.9000 of $20.00 (4%)  warning" in budgets
        assert "gemini  today $0.0000 · month $0.0020  no budget" in budgets
        # Per template version: calls answered of asked, ratings, accepted fixes.
        assert column(templates) == ["ask@v1", "diagnose@v2"]
        assert cells(templates, 1)[1] == "3/4" and cells(templates, 1)[5:7] == ["+1/-1", "1/2"]
        suggestions = str(screen.query_one("#usage-suggestions", Static).render())
        assert "cheaper model: claude/claude-test-1: 3 answers cost $0.9000" in suggestions
        status = str(screen.query_one("#usage-status", Static).render())
        assert status.startswith("provider claude: 4 requests (3 ok, 1 failed)")

        await pilot.press("j")
        await wait_until(pilot, lambda: "gemini" in str(screen.query_one("#usage-status", Static).render()),
                         what="the breakdown of the highlighted row")
        await pilot.press("k")
        await wait_until(pilot, lambda: "claude" in str(screen.query_one("#usage-status", Static).render()),
                         what="the first row's breakdown again")

        await pilot.press("b")  # by model
        await wait_until(pilot, lambda: column(usage) == ["claude/claude-test-1", "gemini/gemini-2.5-flash"],
                         what="usage by model")
        assert str(usage.columns["key"].label) == "Provider/model"
        await pilot.press("b")  # by template version
        await wait_until(pilot, lambda: column(usage) == ["diagnose@v2", "ask@v1"], what="usage by template")
        await pilot.press("s")  # everything: Ollama's key-test-like request without a template shows as "-"
        await wait_until(pilot, lambda: column(usage) == ["diagnose@v2", "ask@v1", "-"], what="everything")
        assert "everything recorded" in str(usage.border_title)
        await pilot.press("s")  # today: only Claude's requests
        await wait_until(pilot, lambda: column(usage) == ["diagnose@v2"], what="today")
        assert column(templates) == ["diagnose@v2"]
        await pilot.press("b")  # back to providers, still today
        await wait_until(pilot, lambda: column(usage) == ["claude"], what="providers today")

        # A request made while the screen is open shows after ctrl+r.
        call(UsageLedger.in_data_dir(app.paths.data_dir), "c9", "claude", "claude-test-1", 60, 0.05, "diagnose", 2)
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: cells(usage, 0)[1] == "5", what="the new request")

        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, AIUsageScreen), what="back")


async def test_an_unreadable_ledger_is_one_line_and_an_empty_one_says_where_it_looked():
    app = make_app(load_config(), watch_engine=False, clock=lambda: NOW)
    async with app.run_test(size=(80, 24)) as pilot:
        app.action_ai_usage()
        await wait_until(pilot, lambda: isinstance(app.screen, AIUsageScreen) and app.screen.report is not None,
                         what="the empty ledger read")
        screen = app.screen
        status = str(screen.query_one("#usage-status", Static).render())
        assert status.startswith("No AI requests recorded (last 30 days)")
        assert "No AI spending this month" in str(screen.query_one("#usage-budgets", Static).render())
        app.action_ai_usage()  # not twice
        assert len([item for item in app.screen_stack if isinstance(item, AIUsageScreen)]) == 1

        (app.paths.data_dir / LEDGER_FILE_NAME).mkdir()  # a folder where the file should be
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: "cannot read the AI usage ledger" in
                         str(screen.query_one("#usage-status", Static).render()), what="the failure line")
        assert isinstance(app.screen, AIUsageScreen)


async def test_ctrl_t_in_the_chat_pane_shows_the_usage_and_escape_goes_back_to_the_chat():
    from dockerforge_tui.ui.screens.chat import ChatScreen

    app = make_app(load_config(), watch_engine=False, clock=lambda: NOW)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("A")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen), what="the chat pane")
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: isinstance(app.screen, AIUsageScreen), what="the usage screen")
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen), what="back in the chat pane")
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: isinstance(app.screen, AIUsageScreen), what="the usage screen again")
        await pilot.press("A")  # the chat is already open below: back to it, not a second pane
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen), what="the same chat pane")
        assert sum(isinstance(screen, ChatScreen) for screen in app.screen_stack) == 1


def test_the_usage_keys_can_be_remapped_by_id_and_may_not_clash():
    import pytest

    from dockerforge_tui.core.errors import ConfigError
    from dockerforge_tui.ui.app import check_keymap

    check_keymap(load_config(overrides={"ui": {"keymap": {"ai_usage.group": "g"}}}))
    with pytest.raises(ConfigError, match="already bound to ai_usage.group on the ai_usage screen"):
        check_keymap(load_config(overrides={"ui": {"keymap": {"ai_usage.since": "b"}}}))
