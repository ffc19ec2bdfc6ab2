"""Pure helpers for the AI usage screen: the period filter, table cells, budget lines and suggestions.

They turn the usage ledger's report rows (:class:`~dockerforge_tui.services.ai.usage.UsageRow`,
:class:`~dockerforge_tui.services.ai.usage.TemplateVersionStats`, the budget checks and the
savings suggestions) into the text the screen shows; no app is needed to test them. Colours
come in as a ``palette`` (theme variable name to colour), never as literals.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

from rich.text import Text

from dockerforge_tui.services.ai.budget import BudgetCheck
from dockerforge_tui.services.ai.savings import Suggestion
from dockerforge_tui.services.ai.usage import (
    GROUP_BY, TemplateVersionStats, UsageRecord, UsageRow, day_and_month_start,
)

Palette = Mapping[str, str]

SINCE_CHOICES: tuple[str, ...] = ("today", "7d", "30d", "all")
"""The periods ``s`` cycles through: the UTC day so far, the last 7 or 30 days, everything."""
SINCE_LABELS = {"today": "today (UTC)", "7d": "last 7 days", "30d": "last 30 days", "all": "everything recorded"}
GROUPINGS: tuple[str, ...] = GROUP_BY
"""The groupings ``b`` cycles through: provider, model, template version."""
GROUP_HEADERS = {"provider": "Provider", "model": "Provider/model", "template": "Template"}
DAY_SECONDS = 86_400

# (key, header) of the usage table; the first header follows the grouping.
USAGE_COLUMNS = (("key", "Provider"), ("requests", "Req"), ("ok", "OK"), ("errors", "Err"), ("tokens_in", "In"),
                 ("tokens_out", "Out"), ("cost", "Cost"), ("latency", "Latency"))
TEMPLATE_COLUMNS = (("label", "Template"), ("calls", "Calls"), ("tokens_in", "In"), ("tokens_out", "Out"),
                    ("latency", "Latency"), ("rating", "Rating"), ("fixes", "Fixes"), ("cost", "Cost"))

LEVEL_COLOURS = {"ok": "success", "warning": "warning", "stop": "error", "none": "text-muted"}
"""Theme variable per budget level: under the warning share, from it, at or over the limit, no limit."""
SUGGESTION_KINDS = {"cheaper_model": "cheaper model", "smaller_context": "smaller context",
                    "unused_output": "unused answer budget"}
EMPTY = "-"


def next_in(choices: tuple[str, ...], current: str) -> str:
    """The choice after ``current`` (the first after the last, or when ``current`` is unknown)."""
    return choices[(choices.index(current) + 1) % len(choices)] if current in choices else choices[0]


def since_start(choice: str, now: float) -> float | None:
    """Epoch seconds where the period ``choice`` starts at ``now``; None for everything."""
    if choice == "all":
        return None
    if choice == "today":
        return day_and_month_start(now)[0]
    return now - int(choice.removesuffix("d")) * DAY_SECONDS


def compact_count(count: int) -> str:
    """Token counts that fit a narrow column: ``950``, ``12.3k``, ``4.1M``."""
    if count < 1_000:
        return str(count)
    if count < 1_000_000:
        return f"{count / 1_000:.1f}k"
    return f"{count / 1_000_000:.1f}M"


def dollars(amount: float) -> str:
    """``$0.0123``: four decimals, as the CLI's report shows costs."""
    return f"${amount:.4f}"


def latency(seconds: float, answered: int) -> str:
    """``1.25s``, or ``-`` when nothing was answered (no latency to average)."""
    return f"{seconds:.2f}s" if answered else EMPTY


def usage_cells(row: UsageRow) -> tuple[str, ...]:
    """One usage table row, in :data:`USAGE_COLUMNS` order; ``*`` marks a cost without every price."""
    return (row.key, str(row.requests), str(row.ok), str(row.errors), compact_count(row.input_tokens),
            compact_count(row.output_tokens), dollars(row.cost_usd) + ("*" if row.unpriced else ""),
            latency(row.mean_latency_s, row.ok + row.cancelled))


def usage_breakdown(row: UsageRow, by: str) -> str:
    """The status line of the highlighted row: every outcome, exact token counts and unpriced answers."""
    outcomes = [f"{row.ok} ok"]
    outcomes += [f"{count} {text}" for count, text in ((row.errors, "failed"), (row.cancelled, "cancelled"),
                                                       (row.refused_budget, "refused by a budget")) if count]
    line = (f"{GROUP_HEADERS.get(by, by).lower()} {row.key}: {row.requests} requests ({', '.join(outcomes)}), "
            f"{row.input_tokens:,} tokens in, {row.output_tokens:,} out")
    if row.unpriced:
        line += f"; {row.unpriced} answered by a model without a price (ai.prices), not in the cost"
    return line


def template_cells(stats: TemplateVersionStats) -> tuple[str, ...]:
    """One template version's row, in :data:`TEMPLATE_COLUMNS` order."""
    rated = stats.thumbs_up + stats.thumbs_down
    rating = f"+{stats.thumbs_up}/-{stats.thumbs_down}" if rated else EMPTY
    fixes = f"{stats.fixes_accepted}/{stats.fixes_offered}" if stats.fixes_offered else EMPTY
    calls = str(stats.calls) if stats.answered == stats.calls else f"{stats.answered}/{stats.calls}"
    return (stats.label, calls, compact_count(stats.input_tokens), compact_count(stats.output_tokens),
            latency(stats.mean_latency_s, stats.answered), rating, fixes, dollars(stats.cost_usd))


@dataclass(frozen=True)
class PeriodSpending:
    """What a provider spent in one budget period, against its limit if it has one."""

    period: str
    """``today`` or ``month``."""
    spent: float
    limit: float | None
    level: str
    """``ok``, ``warning`` (from the warning share), ``stop`` (at or over the limit) or ``none`` (no limit)."""


@dataclass(frozen=True)
class ProviderSpending:
    """One line of the budgets panel."""

    provider: str
    today: PeriodSpending
    month: PeriodSpending

    @property
    def level(self) -> str:
        """The worse of the two periods' levels."""
        order = ("none", "ok", "warning", "stop")
        return max((self.today.level, self.month.level), key=order.index)


def spending_level(spent: float, limit: float | None, warn_at: float) -> str:
    """``none`` without a limit; ``stop`` at or over it; ``warning`` from ``warn_at`` of it; else ``ok``."""
    if limit is None:
        return "none"
    if spent >= limit:
        return "stop"
    return "warning" if spent >= warn_at * limit else "ok"


def provider_spending(checks: Iterable[BudgetCheck], month_records: Iterable[UsageRecord],
                      now: float) -> tuple[ProviderSpending, ...]:
    """Each budgeted provider against its limits, then each other provider that cost anything this month.

    ``checks`` are :func:`~dockerforge_tui.services.ai.budget.budget_status`'s; ``month_records``
    the ledger's rows since the start of ``now``'s UTC month (for the providers without a budget).
    """
    lines = [ProviderSpending(check.provider,
                              PeriodSpending("today", check.spent_today, check.daily,
                                             spending_level(check.spent_today, check.daily, check.warn_at)),
                              PeriodSpending("month", check.spent_month, check.monthly,
                                             spending_level(check.spent_month, check.monthly, check.warn_at)))
             for check in checks]
    budgeted = {line.provider for line in lines}
    day_start, _ = day_and_month_start(now)
    today: dict[str, float] = {}
    month: dict[str, float] = {}
    for record in month_records:
        if record.provider in budgeted:
            continue
        month[record.provider] = month.get(record.provider, 0.0) + (record.cost_usd or 0.0)
        if record.timestamp >= day_start:
            today[record.provider] = today.get(record.provider, 0.0) + (record.cost_usd or 0.0)
    for provider in sorted(month):
        lines.append(ProviderSpending(provider, PeriodSpending("today", today.get(provider, 0.0), None, "none"),
                                      PeriodSpending("month", month[provider], None, "none")))
    return tuple(lines)


def _period_text(spending: PeriodSpending) -> str:
    if spending.limit is None:
        return f"{spending.period} {dollars(spending.spent)}"
    share = spending.spent / spending.limit if spending.limit else 1.0
    return f"{spending.period} {dollars(spending.spent)} of ${spending.limit:.2f} ({share:.0%})"


def spending_text(lines: Iterable[ProviderSpending], palette: Palette) -> Text:
    """The budgets panel: a line per provider, each period coloured by its level."""
    text = Text(no_wrap=True, overflow="ellipsis")
    items = list(lines)
    width = max((len(line.provider) for line in items), default=0)
    for index, line in enumerate(items):
        if index:
            text.append("\n")
        text.append(line.provider.ljust(width + 2))
        for position, period in enumerate((line.today, line.month)):
            if position:
                text.append(" · ")
            text.append(_period_text(period), style=palette.get(LEVEL_COLOURS[period.level], ""))
        if line.level == "none":
            text.append("  no budget", style=palette.get("text-muted", ""))
        elif line.level in ("warning", "stop"):
            text.append("  " + ("over budget: requests stop" if line.level == "stop" else "warning"),
                        style=palette.get(LEVEL_COLOURS[line.level], ""))
    if not items:
        text.append("No AI spending this month and no budgets (ai.budgets).", style=palette.get("text-muted", ""))
    return text


def suggestion_lines(suggestions: Iterable[Suggestion]) -> tuple[str, ...]:
    """One line per suggestion, largest saving first (the order they come in), with its kind."""
    lines = tuple(f"{SUGGESTION_KINDS.get(item.kind, item.kind)}: {item.message}" for item in suggestions)
    return lines or ("No suggestions: a model or template needs 3 answers in the period before one is made.",)


def summary_title(rows: Iterable[UsageRow], by: str, since: str) -> str:
    """The usage table's title: grouping, period, requests and cost in all."""
    items = list(rows)
    cost = sum(row.cost_usd for row in items)
    return (f"by {by} · {SINCE_LABELS.get(since, since)} · {sum(row.requests for row in items)} requests, "
            f"{dollars(cost)}")
