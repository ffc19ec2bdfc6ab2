"""Suggestions from the usage ledger: where a cheaper model or a smaller context would do.

Three rules, each over the answered requests of a period, and each only once a group has
:data:`MIN_CALLS` requests (a single call says nothing about a habit):

- **cheaper model**: a model of the same provider in the price table would have cost less
  for the same tokens; the next cheaper one is named (the cheapest may be much weaker),
  with what the period would have cost with it;
- **smaller context**: a template's requests fill most of ``ai.input_token_budget`` and
  their input is most of their cost; a smaller budget or a shorter log tail would cut it;
- **unused answer budget**: answers use a small part of the output tokens reserved
  (``ai.max_output_tokens``), so every pre-call estimate, and with it the confirmations
  and budget stops, is inflated.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable

from .pricing import PriceTable
from .usage import OUTCOME_OK, UsageRecord

MIN_CALLS = 3
"""Requests a group needs before it gets a suggestion."""
FULL_CONTEXT_SHARE = 0.8
"""Mean input tokens from this share of the input budget count as a full context."""
INPUT_COST_SHARE = 0.5
"""Input must be at least this share of the cost for a smaller context to matter."""
UNUSED_OUTPUT_SHARE = 0.25
"""Answers using less than this share of the reserved output tokens leave the estimate inflated."""


@dataclass(frozen=True)
class Suggestion:
    """One way to spend less, or to estimate better."""

    kind: str
    """``cheaper_model``, ``smaller_context`` or ``unused_output``."""
    subject: str
    """What it is about: ``provider/model`` or ``template@vN``."""
    message: str
    saving_usd: float | None = None
    """What the period would have cost less, when it can be computed."""


def suggest(records: Iterable[UsageRecord], prices: PriceTable) -> tuple[Suggestion, ...]:
    """The suggestions for ``records`` (see the module docstring), largest saving first."""
    answered = [record for record in records if record.outcome == OUTCOME_OK]
    found = [*_cheaper_models(answered, prices), *_smaller_contexts(answered), *_unused_output(answered)]
    return tuple(sorted(found, key=lambda item: -(item.saving_usd or 0.0)))


def _cheaper_models(records: list[UsageRecord], prices: PriceTable) -> list[Suggestion]:
    groups: dict[tuple[str, str], list[UsageRecord]] = defaultdict(list)
    for record in records:
        if record.cost_usd:
            groups[(record.provider, record.model)].append(record)
    suggestions = []
    for (provider, model), items in sorted(groups.items()):
        if len(items) < MIN_CALLS:
            continue
        tokens_in = sum(item.input_tokens for item in items)
        tokens_out = sum(item.output_tokens for item in items)
        cheaper = prices.cheaper_models(provider, model, tokens_in, tokens_out)
        if not cheaper:
            continue
        spent = sum(item.cost_usd or 0.0 for item in items)
        name, cost = cheaper[0]
        saving = max(0.0, spent - cost)
        suggestions.append(Suggestion(
            "cheaper_model", f"{provider}/{model}",
            f"{provider}/{model}: {len(items)} answers cost ${spent:.4f}; {name} would have cost ${cost:.4f} "
            f"for the same tokens (ai.models.{provider}: {name}), if its answers are good enough",
            round(saving, 6)))
    return suggestions


def _by_template(records: list[UsageRecord]) -> dict[str, list[UsageRecord]]:
    groups: dict[str, list[UsageRecord]] = defaultdict(list)
    for record in records:
        groups[record.template_label].append(record)
    return groups


def _smaller_contexts(records: list[UsageRecord]) -> list[Suggestion]:
    suggestions = []
    for label, items in sorted(_by_template([item for item in records if item.input_budget]).items()):
        if len(items) < MIN_CALLS:
            continue
        budget = sum(item.input_budget or 0 for item in items) / len(items)
        mean_input = sum(item.input_tokens for item in items) / len(items)
        cost = sum(item.cost_usd or 0.0 for item in items)
        input_cost = sum((item.cost_usd or 0.0) * _input_share(item) for item in items)
        if mean_input < FULL_CONTEXT_SHARE * budget or not cost or input_cost < INPUT_COST_SHARE * cost:
            continue
        half = int(budget // 2)
        suggestions.append(Suggestion(
            "smaller_context", label,
            f"{label}: {len(items)} requests fill {mean_input / budget:.0%} of ai.input_token_budget ({budget:,.0f}) "
            f"and input is {input_cost / cost:.0%} of their ${cost:.4f}; a budget of {half:,} (or a shorter --tail) "
            f"would have saved about ${input_cost / 2:.4f}",
            round(input_cost / 2, 6)))
    return suggestions


def _input_share(record: UsageRecord) -> float:
    """The share of a request's cost that its input made, estimated from the tokens (output costs ~5x input)."""
    weighted = record.input_tokens + 5 * record.output_tokens
    return record.input_tokens / weighted if weighted else 0.0


def _unused_output(records: list[UsageRecord]) -> list[Suggestion]:
    suggestions = []
    for label, items in sorted(_by_template([item for item in records if item.max_output_tokens]).items()):
        if len(items) < MIN_CALLS:
            continue
        reserved = sum(item.max_output_tokens or 0 for item in items) / len(items)
        used = sum(item.output_tokens for item in items) / len(items)
        if used >= UNUSED_OUTPUT_SHARE * reserved:
            continue
        enough = max(64, int(max(item.output_tokens for item in items) * 1.5))
        suggestions.append(Suggestion(
            "unused_output", label,
            f"{label}: answers use {used:,.0f} of the {reserved:,.0f} output tokens reserved on average; "
            f"ai.max_output_tokens of about {enough:,} would make cost estimates, confirmations and budget "
            "checks tighter without cutting answers"))
    return suggestions
