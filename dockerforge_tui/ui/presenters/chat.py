"""Pure helpers for the chat pane: context chips, the token and cost counter, turns, analysis answers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from dockerforge_tui.services.ai.answer import StructuredAnswer, parse_answer
from dockerforge_tui.services.ai.chat_history import GENERAL, ChatTurn

RATING_MARKS = {1: "rated +1", -1: "rated -1", 0: ""}


@dataclass(frozen=True)
class ContextChip:
    """One thing attached to a question; removing the chip leaves it out of the request."""

    kind: str
    """``container``, ``finding`` or ``service``."""
    label: str
    """What the chip shows after its kind: a container name, a finding's title, ``project/service``."""
    container: str | None = None
    """The container whose state and logs the context reads (a service's first container)."""
    issue_id: str | None = None
    """The finding's issue id, for ``finding`` chips."""

    @property
    def text(self) -> str:
        """``container web``, ``finding Out of memory``, ``service shop/db``."""
        return f"{self.kind} {self.label}"


def chips_text(chips: Iterable[ContextChip], cursor: int | None = None) -> list[tuple[str, bool]]:
    """Each chip's text with whether the keyboard cursor is on it (``[container web ×]``)."""
    return [(f"[{chip.text} ×]", index == cursor) for index, chip in enumerate(chips)]


def conversation_of(chips: Iterable[ContextChip]) -> str:
    """The history a question belongs to: the first attached container's name, else the general one."""
    return next((chip.container for chip in chips if chip.container), GENERAL)


def money(cost: float | None) -> str:
    """``$0.0031``, ``free`` for a local model, ``cost unknown`` without a price."""
    if cost is None:
        return "cost unknown"
    if cost == 0:
        return "free"
    return f"${cost:.4f}"


def estimate_line(input_tokens: int, estimated_cost: float | None, provider: str, model: str,
                  max_output_tokens: int | None = None) -> str:
    """The counter before sending: ``estimate: 1,234 tokens in + up to 1,024 out, at most $0.0190 (claude/…)``."""
    out = f" + up to {max_output_tokens:,} out" if max_output_tokens else ""
    cost = money(estimated_cost)
    cost = f"at most {cost}" if cost.startswith("$") else cost
    return f"estimate: {input_tokens:,} tokens in{out}, {cost} ({provider}/{model or 'default'})"


def usage_line(turn: ChatTurn) -> str:
    """The counter after an answer: ``claude/claude-sonnet-4-5: 1,234 in / 340 out, $0.0031``."""
    who = f"{turn.provider or '?'}/{turn.model or 'default'}"
    return f"{who}: {turn.input_tokens:,} in / {turn.output_tokens:,} out, {money(turn.cost)}"


def has_usage(turn: ChatTurn) -> bool:
    """The provider reported tokens for this turn."""
    return bool(turn.input_tokens or turn.output_tokens)


def turn_meta(turn: ChatTurn) -> str:
    """The line under an answer: who answered, usage, the outcome when not ok, the rating."""
    parts = []
    if turn.outcome == "streaming":
        parts.append("writing…")
    elif turn.outcome == "ok" or (turn.provider and has_usage(turn)):
        parts.append(usage_line(turn))
    if turn.outcome == "cancelled":
        # A stream cut short may not have reported its tokens: say so rather than "0 in / 0 out, free".
        parts.append("cancelled" if has_usage(turn) or not turn.provider else
                     f"cancelled ({turn.provider} reported no usage)")
    elif turn.outcome not in ("ok", "streaming"):
        parts.append(turn.error or turn.outcome)
    if turn.rating:
        parts.append(RATING_MARKS[turn.rating])
    return " · ".join(parts)


def question_line(turn: ChatTurn) -> str:
    """The question as shown above its answer, with what was attached."""
    attached = f"  [{', '.join(turn.attached)}]" if turn.attached else ""
    return f"› {turn.question}{attached}"


def answer_markdown(turn: ChatTurn) -> str:
    """The answer as Markdown: an analysis in its parts once complete, anything else as the model wrote it."""
    if turn.kind == "analysis" and turn.outcome == "ok" and turn.answer:
        return analysis_markdown(parse_answer(turn.answer))
    return turn.answer


def analysis_markdown(answer: StructuredAnswer) -> str:
    """Summary, root cause, evidence and proposed fixes under their own headings; the raw text when none was found."""
    if not answer.structured:
        return answer.raw
    blocks: list[str] = []
    if answer.summary:
        blocks.append(f"**Summary:** {answer.summary}")
    if answer.root_cause:
        blocks.append(f"**Root cause:** {answer.root_cause}")
    if answer.evidence:
        blocks.append("**Evidence:**\n" + "\n".join(_list_item("-", item) for item in answer.evidence))
    if answer.fixes:
        blocks.append("**Proposed fixes:**\n" + "\n".join(_list_item(f"{number}.", item)
                                                           for number, item in enumerate(answer.fixes, 1)))
    return "\n\n".join(blocks)


def _list_item(marker: str, text: str) -> str:
    indent = " " * (len(marker) + 1)
    lines = text.splitlines() or [""]
    return "\n".join([f"{marker} {lines[0]}"] + [f"{indent}{line}" if line else "" for line in lines[1:]])


def finding_question(title: str | None, container: str | None) -> str:
    """The question "ask AI why" puts: ``Why is web failing? (Out of memory)``, or without a finding ``Why is web failing?``."""
    subject = container or "this container"
    return f"Why is {subject} failing?" + (f" ({title})" if title else "")
