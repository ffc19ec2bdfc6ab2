"""The AI usage screen (``:usage``, ``ctrl+t`` in the chat pane): what the AI cost, against the budgets.

The dashboard's view of ``dockerforge ai usage`` and ``ai templates``, from the same usage
ledger (``ai-usage.json``) and the same service functions:

- each provider's spending today and this month (UTC) against ``ai.budgets``, coloured from
  the warning share (``warn_at``) and at the limit;
- requests, tokens, cost and latency grouped by provider, model or template version
  (``b`` cycles), over today, the last 7 or 30 days, or everything (``s`` cycles);
- per prompt template version: calls, tokens, latency, ratings and accepted fixes;
- the suggestions for a cheaper model or a smaller context.

The ledger is read in a thread worker (a new choice replaces a read still running); the
result reaches the screen as one immutable :class:`UsageReport`. It is read again when the
screen comes back into view (the chat pane below may have asked something) and on ``ctrl+r``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Callable

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static
from textual.worker import get_current_worker

from dockerforge_tui.core.errors import DockerForgeError
from dockerforge_tui.services.ai.budget import budget_status
from dockerforge_tui.services.ai.pricing import PriceTable
from dockerforge_tui.services.ai.savings import Suggestion, suggest
from dockerforge_tui.services.ai.usage import (
    TemplateVersionStats, UsageLedger, UsageRow, day_and_month_start, summarize, template_stats,
)
from dockerforge_tui.ui.palette import theme_palette
from dockerforge_tui.ui.presenters import ai_usage as present
from dockerforge_tui.ui.widgets.key_footer import KeyFooter

if TYPE_CHECKING:
    from textual.app import App

    from dockerforge_tui.core.config.models import AISettings


@dataclass(frozen=True)
class UsageReport:
    """One read of the ledger for one grouping and period (everything the screen shows)."""

    by: str
    since: str
    rows: tuple[UsageRow, ...]
    templates: tuple[TemplateVersionStats, ...]
    spending: tuple[present.ProviderSpending, ...]
    suggestions: tuple[Suggestion, ...]


def read_usage(ledger: UsageLedger, settings: "AISettings", by: str, since: str, now: float) -> UsageReport:
    """Read the ledger once for the screen (blocking: call it from a worker)."""
    start = present.since_start(since, now)
    records = ledger.records(start)
    _, month_start = day_and_month_start(now)
    return UsageReport(
        by=by, since=since, rows=summarize(records, by),
        templates=template_stats(ledger, None if start is None else datetime.fromtimestamp(start, timezone.utc)),
        spending=present.provider_spending(budget_status(ledger, settings, now), ledger.records(month_start), now),
        suggestions=suggest(records, PriceTable.from_config(settings.prices)))


class AIUsageScreen(Screen):
    """Spending against budgets, usage by provider, model or template, and where to save."""

    CSS_PATH = "../styles/ai_usage.tcss"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="ai_usage.back"),
        Binding("b", "next_grouping", "Group by", id="ai_usage.group",
                tooltip="Group the usage by provider, model or template version"),
        Binding("s", "next_period", "Since", id="ai_usage.since",
                tooltip="Show today, the last 7 or 30 days, or everything recorded"),
        Binding("j", "cursor_down", "Down", show=False, id="ai_usage.down"),
        Binding("k", "cursor_up", "Up", show=False, id="ai_usage.up"),
        Binding("ctrl+r", "reload", "Reload", show=False, id="ai_usage.reload"),
    ]

    @dataclass
    class UsageLoaded(Message):
        """The ledger as the worker read it."""

        report: UsageReport

    @dataclass
    class LoadFailed(Message):
        """Reading the ledger failed; ``text`` is the one-line reason."""

        text: str

    def __init__(self, ledger: UsageLedger, settings: "AISettings", clock: Callable[[], float] = time.time,
                 by: str = "provider", since: str = "30d") -> None:
        """``clock`` gives "now" in epoch seconds (the budget periods and the since filter start from it)."""
        super().__init__()
        self._ledger = ledger
        self._settings = settings
        self._clock = clock
        self.by = by
        self.since = since
        self._rows: dict[str, UsageRow] = {}
        self.report: UsageReport | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Reading the usage ledger…", id="usage-budgets")
        yield DataTable(id="usage-table", cursor_type="row", zebra_stripes=True)
        yield DataTable(id="usage-templates", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="usage-suggestions-box"):
            yield Static("", id="usage-suggestions")
        yield Static("", id="usage-status")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.sub_title = "AI usage"
        self.query_one("#usage-budgets").border_title = "Budgets (UTC)"
        self.query_one("#usage-templates").border_title = "Prompt templates"
        self.query_one("#usage-suggestions-box").border_title = "Suggestions"
        templates = self.query_one("#usage-templates", DataTable)
        for index, (key, label) in enumerate(present.TEMPLATE_COLUMNS):
            templates.add_column(_header(label, index), key=key)
        self.query_one("#usage-table", DataTable).focus()
        self.load()

    def on_screen_resume(self) -> None:
        self.load()

    # -- the worker ---------------------------------------------------------------------------

    def load(self) -> None:
        """Read the ledger for the current grouping and period."""
        self.read_ledger(self.by, self.since)

    @work(thread=True, exclusive=True, group="ai-usage-read")
    def read_ledger(self, by: str, since: str) -> None:
        """Read the ledger in a thread and post what it holds."""
        worker = get_current_worker()
        try:
            report = read_usage(self._ledger, self._settings, by, since, self._clock())
        except DockerForgeError as error:
            self.post_message(self.LoadFailed(error.message + (f" ({error.hint})" if error.hint else "")))
            return
        except OSError as error:  # the file or its folder cannot be read (permissions, a folder in its place)
            self.post_message(self.LoadFailed(f"cannot read the AI usage ledger {self._ledger.path}: "
                                              f"{error.strerror or error}"))
            return
        if not worker.is_cancelled:
            self.post_message(self.UsageLoaded(report))

    # -- messages -------------------------------------------------------------------------------

    @on(UsageLoaded)
    def _show(self, message: UsageLoaded) -> None:
        report = message.report
        if (report.by, report.since) != (self.by, self.since):
            return  # a read for an earlier choice, overtaken by a newer one
        self.report = report
        palette = theme_palette(self.app, tuple(present.LEVEL_COLOURS.values()))
        self.query_one("#usage-budgets", Static).update(present.spending_text(report.spending, palette))
        self._show_usage(report)
        self._show_templates(report)
        self.query_one("#usage-suggestions", Static).update(
            Text("\n".join(present.suggestion_lines(report.suggestions))))
        self._show_status()

    @on(LoadFailed)
    def _failed(self, message: LoadFailed) -> None:
        self.notify(message.text, title="AI usage", severity="error")
        self.query_one("#usage-status", Static).update(message.text)

    @on(DataTable.RowHighlighted, "#usage-table")
    def _highlighted(self) -> None:
        self._show_status()

    def _show_usage(self, report: UsageReport) -> None:
        table = self.query_one("#usage-table", DataTable)
        selected = self._selected_key()
        table.clear(columns=True)
        for index, (key, label) in enumerate(present.USAGE_COLUMNS):
            table.add_column(_header(present.GROUP_HEADERS[report.by] if key == "key" else label, index), key=key)
        self._rows = {row.key: row for row in report.rows}
        for row in report.rows:
            table.add_row(*_cells(present.usage_cells(row)), key=row.key)
        if selected in self._rows:
            table.move_cursor(row=table.get_row_index(selected), animate=False)
        table.border_title = present.summary_title(report.rows, report.by, report.since)

    def _show_templates(self, report: UsageReport) -> None:
        table = self.query_one("#usage-templates", DataTable)
        table.clear()
        for stats in report.templates:
            table.add_row(*_cells(present.template_cells(stats)), key=stats.label)
        table.border_title = f"Prompt templates · {present.SINCE_LABELS[report.since]}"

    def _selected_key(self) -> str | None:
        table = self.query_one("#usage-table", DataTable)
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def _show_status(self) -> None:
        row = self._rows.get(self._selected_key() or "")
        if row is not None:
            text = present.usage_breakdown(row, self.by)
        elif self.report is not None:
            text = f"No AI requests recorded ({present.SINCE_LABELS[self.since]}) in {self._ledger.path}"
        else:
            text = ""
        self.query_one("#usage-status", Static).update(Text(text, no_wrap=True, overflow="ellipsis"))

    # -- actions ------------------------------------------------------------------------------------

    def action_next_grouping(self) -> None:
        """Group the usage by the next of provider, model and template version."""
        self.by = present.next_in(present.GROUPINGS, self.by)
        self.load()

    def action_next_period(self) -> None:
        """Show the next period: today, the last 7 days, the last 30 days, everything."""
        self.since = present.next_in(present.SINCE_CHOICES, self.since)
        self.load()

    def action_reload(self) -> None:
        """Read the ledger again."""
        self.load()

    def action_cursor_down(self) -> None:
        """Next row of the focused table."""
        if isinstance(self.focused, DataTable):
            self.focused.action_cursor_down()

    def action_cursor_up(self) -> None:
        """Previous row of the focused table."""
        if isinstance(self.focused, DataTable):
            self.focused.action_cursor_up()


def _header(label: str, index: int) -> Text:
    # The first column names what a row is; the numbers after it line up on the right.
    return Text(label, justify="left" if index == 0 else "right")


def _cells(cells: tuple[str, ...]) -> tuple[Text, ...]:
    return tuple(_header(cell, index) for index, cell in enumerate(cells))


def open_usage(app: "App", clock: Callable[[], float] = time.time) -> None:
    """Show the AI usage screen over the current one (not twice); ``clock`` gives now in epoch seconds."""
    if isinstance(app.screen, AIUsageScreen):
        return
    app.push_screen(AIUsageScreen(UsageLedger.in_data_dir(app.paths.data_dir), app.services.settings.ai,
                                  clock=clock))
