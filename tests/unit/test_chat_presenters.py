"""The chat pane's pure helpers: chips, the counter, turns and analysis answers as Markdown."""

from __future__ import annotations

from dockerforge_tui.services.ai.answer import parse_answer
from dockerforge_tui.services.ai.chat_history import GENERAL, ChatTurn
from dockerforge_tui.ui.presenters import chat as present


def test_chips_and_the_conversation_they_make():
    chips = (present.ContextChip("finding", "Out of memory", issue_id="i1"),
             present.ContextChip("container", "web", container="web"))
    assert present.chips_text(chips, cursor=1) == [("[finding Out of memory ×]", False), ("[container web ×]", True)]
    assert present.conversation_of(chips) == "web"
    assert present.conversation_of(chips[:1]) == GENERAL


def test_the_counter_before_and_after():
    assert present.estimate_line(1234, 0.019, "claude", "claude-sonnet-4-5", 1024) == \
        "estimate: 1,234 tokens in + up to 1,024 out, at most $0.0190 (claude/claude-sonnet-4-5)"
    assert present.estimate_line(10, 0.0, "ollama", "llama3.2") == "estimate: 10 tokens in, free (ollama/llama3.2)"
    assert present.estimate_line(10, None, "gemini", "") == "estimate: 10 tokens in, cost unknown (gemini/default)"
    turn = ChatTurn("web", "why?", answer="OOM", provider="claude", model="m", input_tokens=1500, output_tokens=20,
                    cost=0.0042, rating=-1)
    assert present.usage_line(turn) == "claude/m: 1,500 in / 20 out, $0.0042"
    assert present.turn_meta(turn) == "claude/m: 1,500 in / 20 out, $0.0042 · rated -1"
    assert present.turn_meta(ChatTurn("web", "why?", outcome="cancelled")) == "cancelled"
    assert present.turn_meta(ChatTurn("web", "why?", outcome="cancelled", provider="claude")) == \
        "cancelled (claude reported no usage)"
    assert present.turn_meta(ChatTurn("web", "why?", outcome="streaming")) == "writing…"
    failed = ChatTurn("web", "why?", outcome="AIAuthenticationError", error="claude: invalid x-api-key")
    assert present.turn_meta(failed) == "claude: invalid x-api-key"
    assert present.question_line(ChatTurn("web", "why?", attached=("container web",))) == "› why?  [container web]"


def test_an_analysis_is_shown_in_its_parts_and_anything_else_as_written():
    raw = "1. Summary: disk full\n2. Fixes:\n- `docker system prune`\n- move the backups\n  to another volume"
    analysis = ChatTurn("web", "why?", answer=raw, kind="analysis")
    assert present.answer_markdown(analysis) == (
        "**Summary:** disk full\n\n**Proposed fixes:**\n1. `docker system prune`\n2. move the backups\n   to another volume")
    assert present.answer_markdown(ChatTurn("web", "why?", answer=raw)) == raw  # a question's answer: as written
    assert present.answer_markdown(ChatTurn("web", "why?", answer=raw, kind="analysis", outcome="cancelled")) == raw
    assert present.analysis_markdown(parse_answer("no parts here")) == "no parts here"
    assert present.finding_question("Out of memory", "web") == "Why is web failing? (Out of memory)"
    assert present.finding_question(None, "web") == "Why is web failing?"
