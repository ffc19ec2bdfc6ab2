"""The chat history store: per container, bounded, rated, redacted, read back by another instance."""

from __future__ import annotations

import pytest

from dockerforge_tui.core.redaction import Redactor
from dockerforge_tui.services.ai.chat_history import GENERAL, ChatHistory, ChatTurn


def test_turns_are_kept_per_conversation_and_read_back_by_a_new_instance(tmp_path):
    history = ChatHistory(tmp_path / "chat.json")
    first = history.save(ChatTurn("web", "why?", answer="OOM", attached=("container web",), asked_at=1.0))
    history.save(ChatTurn("db", "and db?", asked_at=2.0))
    second = history.save(ChatTurn("web", "again?", asked_at=3.0, outcome="cancelled"))
    reopened = ChatHistory(tmp_path / "chat.json")
    assert [turn.question for turn in reopened.turns("web")] == ["why?", "again?"]
    assert reopened.turns("web")[0] == first and reopened.turns("web")[1].outcome == "cancelled"
    assert reopened.conversations() == ("db", "web")
    assert reopened.turns(GENERAL) == ()
    # saving a turn again (the answer completed) replaces it
    history.save(ChatTurn("web", "again?", answer="done", asked_at=3.0, id=second.id))
    assert [turn.answer for turn in reopened.turns("web")] == ["OOM", "done"]


def test_ratings_and_bounds(tmp_path):
    history = ChatHistory(tmp_path / "chat.json", max_turns=2)
    turns = [history.save(ChatTurn("web", f"q{number}", asked_at=float(number))) for number in range(3)]
    assert [turn.question for turn in history.turns("web")] == ["q1", "q2"]
    assert history.rate(turns[2].id, 1).rating == 1
    assert history.turns("web")[-1].rating == 1
    assert history.rate(turns[0].id, -1) is None  # trimmed away
    with pytest.raises(ValueError):
        history.rate(turns[2].id, 5)


def test_questions_and_answers_are_redacted_before_they_are_written(tmp_path):
    history = ChatHistory(tmp_path / "chat.json", redactor=Redactor(values=["hunter2-very-secret"]))
    history.save(ChatTurn("web", "is hunter2-very-secret the password?", answer="hunter2-very-secret leaked"))
    text = (tmp_path / "chat.json").read_text()
    assert "hunter2-very-secret" not in text and "REDACTED" in text
