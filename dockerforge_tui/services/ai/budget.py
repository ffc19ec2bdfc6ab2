"""Daily and monthly spending limits per AI provider, kept before each request.

``ai.budgets`` gives a provider a ``daily`` and/or ``monthly`` limit in US dollars and a
``warn_at`` share (default ``ai.budget_warn_at``). Days and months are UTC calendar days
and months. Before a request, :func:`check_budget` adds the request's pre-call estimate
(input tokens plus the longest answer allowed) to what the usage ledger says the provider
cost in the period:

- above ``warn_at`` of a limit, the check carries a warning (the request is still sent);
- above the limit itself, it carries a stop: the request is not sent, and
  :class:`AIBudgetExceededError` (exit code 7) says which limit and how to go on. The
  fallback chain skips such a provider and asks the next one; when none is left the
  error reaches the user.

A provider with a budget whose model has no price cannot be kept within it, so such a
request stops too (the hint says to add the price under ``ai.prices``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from .base import AIProviderError
from .usage import UsageLedger, day_and_month_start

if TYPE_CHECKING:
    from dockerforge_tui.core.config.models import AISettings


class AIBudgetExceededError(AIProviderError):
    """A request would take a provider over its daily or monthly budget; it was not sent."""


@dataclass(frozen=True)
class BudgetCheck:
    """What a provider has spent against its limits, with this request's estimate on top."""

    provider: str
    estimate_usd: float | None
    spent_today: float
    spent_month: float
    daily: float | None
    monthly: float | None
    warn_at: float
    warning: str | None = None
    """Set when the request takes a period above ``warn_at`` of its limit (it is still sent)."""
    stop: str | None = None
    """Set when the request would exceed a limit: it must not be sent."""
    hint: str | None = None

    @property
    def limited(self) -> bool:
        """The provider has a daily or monthly budget."""
        return self.daily is not None or self.monthly is not None

    def error(self) -> AIBudgetExceededError:
        """The error to raise for a stop."""
        return AIBudgetExceededError(self.stop or f"{self.provider}: over budget", self.hint, provider=self.provider)


def check_budget(ledger: UsageLedger | None, provider: str, settings: "AISettings", estimate_usd: float | None,
                 now: float) -> BudgetCheck:
    """The budget check of a request to ``provider`` that may cost ``estimate_usd`` (see the module docstring)."""
    budget = settings.budgets.get(provider)
    warn_at = settings.budget_warn_at if budget is None or budget.warn_at is None else budget.warn_at
    daily = budget.daily if budget is not None else None
    monthly = budget.monthly if budget is not None else None
    if ledger is None or (daily is None and monthly is None):
        return BudgetCheck(provider, estimate_usd, 0.0, 0.0, daily, monthly, warn_at)
    day_start, month_start = day_and_month_start(now)
    records = [record for record in ledger.records(month_start) if record.provider == provider]
    spent_month = sum(record.cost_usd or 0.0 for record in records)
    spent_today = sum(record.cost_usd or 0.0 for record in records if record.timestamp >= day_start)
    check = BudgetCheck(provider, estimate_usd, spent_today, spent_month, daily, monthly, warn_at)
    if estimate_usd is None:
        return _with(check, stop=f"{provider}: the cost of this request is unknown (the model has no price), "
                                 "so its budget cannot be kept; not sent",
                     hint=f"add the model's price under ai.prices, or remove ai.budgets.{provider}")
    warnings = []
    for period, spent, limit in (("daily", spent_today, daily), ("monthly", spent_month, monthly)):
        if limit is None:
            continue
        if spent + estimate_usd > limit:
            return _with(check, stop=f"{provider}: this request (up to ${estimate_usd:.4f}) would exceed the "
                                     f"{period} budget of ${limit:.2f} (${spent:.4f} spent "
                                     f"{'today' if period == 'daily' else 'this month'}, UTC); not sent",
                         hint=f"raise ai.budgets.{provider}.{period}, use a cheaper model or provider, "
                              f"or wait for the next {'day' if period == 'daily' else 'month'}")
        if spent + estimate_usd >= warn_at * limit:
            warnings.append(f"${spent + estimate_usd:.4f} of the {period} ${limit:.2f}")
    if warnings:
        return _with(check, warning=f"{provider}: with this request up to {' and '.join(warnings)} budget "
                                    f"(warning from {warn_at:.0%})")
    return check


def budget_status(ledger: UsageLedger, settings: "AISettings", now: float) -> tuple[BudgetCheck, ...]:
    """Each budgeted provider's spending today and this month (no request on top)."""
    return tuple(check_budget(ledger, provider, settings, 0.0, now) for provider in sorted(settings.budgets))


def _with(check: BudgetCheck, **change: object) -> BudgetCheck:
    return replace(check, **change)
