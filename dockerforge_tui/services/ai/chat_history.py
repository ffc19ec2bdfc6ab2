"""The chat pane's history: questions and answers kept per container in ``ai-chat.json``.

One :class:`ChatTurn` per question: what was asked, with what attached, the answer (as
far as it arrived), who answered, tokens, cost, the outcome and the person's rating.
Turns are grouped by conversation, the container's name (or :data:`GENERAL` when no
container was attached), so reopening the pane on a container shows what was asked about
it before. The file is a :class:`~dockerforge_tui.services.storage.JsonDatabase` (atomic
writes, safe across threads and processes); each conversation keeps its newest
``max_turns`` turns. Questions and answers pass through the redactor before they are
written, as the issue store does with messages.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dockerforge_tui.services.storage import JsonDatabase, open_db

if TYPE_CHECKING:
    from dockerforge_tui.core.paths import AppPaths
    from dockerforge_tui.core.redaction import Redactor

CHAT_FILE_NAME = "ai-chat.json"
TABLE = "turns"
GENERAL = "(general)"
"""The conversation of questions asked with no container attached."""
DEFAULT_MAX_TURNS = 100


@dataclass(frozen=True)
class ChatTurn:
    """One question and its answer."""

    conversation: str
    """The container's name, or :data:`GENERAL`."""
    question: str
    answer: str = ""
    attached: tuple[str, ...] = ()
    """Labels of the context that went with the question (``container web``, ``finding ...``)."""
    kind: str = "ask"
    """``ask`` (a free question) or ``analysis`` (a "why is it failing"; its answer is shown in parts)."""
    provider: str | None = None
    """The provider that answered (after a fallback, not the first one asked)."""
    model: str | None = None
    template: str | None = None
    """Template id and version, e.g. ``diagnose@v2``."""
    call_id: str | None = None
    """The usage ledger's id of the call; ratings go to it."""
    input_tokens: int = 0
    output_tokens: int = 0
    estimated_cost: float | None = None
    cost: float | None = None
    outcome: str = "ok"
    """``ok``, ``cancelled``, or the error class name."""
    error: str | None = None
    """The one-line error when the outcome is an error."""
    rating: int = 0
    """+1, -1, or 0 (not rated)."""
    asked_at: float = field(default_factory=time.time)
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    def to_document(self) -> dict[str, Any]:
        """The JSON document stored for this turn."""
        document = asdict(self)
        document["attached"] = list(self.attached)
        return document

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> "ChatTurn":
        """The turn a stored document describes (unknown keys, from a newer version, are ignored)."""
        known = {name: document[name] for name in cls.__dataclass_fields__ if name in document}
        known["attached"] = tuple(known.get("attached") or ())
        return cls(**known)


class ChatHistory:
    """Read and write chat turns in one JSON file; every method is blocking (call it from a worker)."""

    def __init__(self, path: Path | str, *, max_turns: int = DEFAULT_MAX_TURNS,
                 redactor: "Redactor | None" = None) -> None:
        self.path = Path(path)
        self.max_turns = max_turns
        self._redactor = redactor
        self._database: JsonDatabase = open_db(self.path)

    @classmethod
    def for_paths(cls, paths: "AppPaths", redactor: "Redactor | None" = None) -> "ChatHistory":
        """The history in the platform's data directory."""
        return cls(Path(paths.data_dir) / CHAT_FILE_NAME, redactor=redactor)

    def turns(self, conversation: str) -> tuple[ChatTurn, ...]:
        """The conversation's turns, oldest first."""
        with self._database.snapshot() as db:
            documents = [document for document in db.table(TABLE).all() if document.get("conversation") == conversation]
        return tuple(sorted((ChatTurn.from_document(document) for document in documents),
                            key=lambda turn: turn.asked_at))

    def save(self, turn: ChatTurn) -> ChatTurn:
        """Add the turn, or replace the stored one with its id; the conversation keeps its newest turns."""
        stored = self._redacted(turn)
        with self._database.transaction() as db:
            table = db.table(TABLE)
            table.remove(lambda document: document.get("id") == stored.id)
            table.insert(stored.to_document())
            mine = sorted((document for document in table.all() if document.get("conversation") == stored.conversation),
                          key=lambda document: document.get("asked_at", 0.0))
            extra = {document.get("id") for document in mine[:max(0, len(mine) - self.max_turns)]}
            if extra:
                table.remove(lambda document: document.get("id") in extra)
        return stored

    def rate(self, turn_id: str, rating: int) -> ChatTurn | None:
        """Set a turn's rating (+1 or -1, 0 to clear); None when no turn has that id."""
        if rating not in (-1, 0, 1):
            raise ValueError(f"a rating is -1, 0 or +1, not {rating}")
        with self._database.transaction() as db:
            table = db.table(TABLE)
            found = table.search(lambda document: document.get("id") == turn_id)
            if not found:
                return None
            turn = replace(ChatTurn.from_document(found[0]), rating=rating)
            table.update({"rating": rating}, lambda document: document.get("id") == turn_id)
        return turn

    def conversations(self) -> tuple[str, ...]:
        """Every conversation that has turns, by name."""
        with self._database.snapshot() as db:
            return tuple(sorted({str(document.get("conversation")) for document in db.table(TABLE).all()}))

    def _redacted(self, turn: ChatTurn) -> ChatTurn:
        if self._redactor is None:
            return turn
        return replace(turn, question=self._redactor.redact(turn.question), answer=self._redactor.redact(turn.answer),
                       error=self._redactor.redact(turn.error) if turn.error else turn.error)
