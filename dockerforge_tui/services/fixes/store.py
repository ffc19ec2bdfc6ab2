"""Every proposal, what was saved to undo it, and how it ended: one TinyDB file in the data directory.

A document per proposal holds the proposal (:meth:`Proposal.to_dict`), the rollback
data captured before applying (full container inspects, file text, image ids) and
what each operation got done. Success rates per category and per AI template
version are counted from the outcomes. Every method is one transaction of
:class:`~dockerforge_tui.services.storage.JsonDatabase`, safe across threads and
processes (the dashboard and a CLI command may share the file).
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

from dockerforge_tui.core.errors import UsageError
from dockerforge_tui.core.paths import AppPaths
from dockerforge_tui.services.fixes.proposals import STATUSES, Proposal
from dockerforge_tui.services.storage import JsonDatabase, open_db
from dockerforge_tui.services.storage.lookup import find_by_id_prefix

FIXES_FILE_NAME = "fixes.json"
TABLE = "fixes"
MAX_PROPOSALS = 500
"""Proposals kept; the oldest finished or rejected ones go first."""
OPEN_STATUSES = frozenset({"proposed", "applying", "applied"})


def default_fixes_path(paths: AppPaths) -> Path:
    """Where the fix store lives: ``fixes.json`` in the platform's data directory."""
    return paths.data_dir / FIXES_FILE_NAME


@dataclass(frozen=True)
class RollbackData:
    """What was saved before applying (one entry per operation) and what each operation got done."""

    captured: tuple[dict[str, Any], ...]
    applied: tuple[dict[str, Any], ...]
    applied_at: datetime | None = None


@dataclass(frozen=True)
class SuccessRate:
    """How the applied fixes of one group (a category, a template version) ended."""

    key: str
    succeeded: int
    failed: int

    @property
    def total(self) -> int:
        """Fixes that reached a verdict."""
        return self.succeeded + self.failed

    @property
    def rate(self) -> float | None:
        """Share that succeeded (0..1), None before any verdict."""
        return self.succeeded / self.total if self.total else None


class FixStore:
    """The proposals in one TinyDB file (``AppPaths.data_dir / "fixes.json"`` by convention)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._database: JsonDatabase = open_db(self.path)

    @classmethod
    def for_paths(cls, paths: AppPaths) -> "FixStore":
        """The store in the platform's data directory."""
        return cls(default_fixes_path(paths))

    # --- writing -----------------------------------------------------------------------------------

    def save(self, proposal: Proposal) -> Proposal:
        """Insert or replace a proposal (its rollback data stays); keep the file bounded."""
        with self._database.transaction() as db:
            table = db.table(TABLE)
            document = self._document(table, proposal.id)
            data = proposal.to_dict()
            if document is None:
                table.insert({**data, "rollback": None})
                self._prune(table)
            else:
                table.update(data, doc_ids=[document.doc_id])
        return proposal

    def save_many(self, proposals: Iterable[Proposal]) -> builtins.list[Proposal]:
        """:meth:`save` for each."""
        return [self.save(proposal) for proposal in proposals]

    def set_status(self, id_or_prefix: str, status: str, note: str = "", at: datetime | None = None) -> Proposal:
        """Append a status to a proposal's history and return it."""
        with self._database.transaction() as db:
            table = db.table(TABLE)
            document = self._find(table, id_or_prefix)
            proposal = Proposal.from_dict(document).with_status(status, at, note)
            table.update(proposal.to_dict(), doc_ids=[document.doc_id])
            return proposal

    def claim(self, id_or_prefix: str, allowed: Iterable[str], status: str, note: str = "") -> Proposal:
        """Move a proposal to ``status`` only if it is in one of ``allowed`` now, in one transaction.

        Two workers applying the same fix: the second gets :class:`UsageError` instead of
        running it twice.
        """
        with self._database.transaction() as db:
            table = db.table(TABLE)
            document = self._find(table, id_or_prefix)
            current = Proposal.from_dict(document)
            if current.status not in set(allowed):
                raise UsageError(f"fix {current.id} is {current.status}: it cannot be {status.replace('_', ' ')} now",
                                 hint="see its history with `dockerforge fix show " + current.id + "`")
            proposal = current.with_status(status, None, note)
            table.update(proposal.to_dict(), doc_ids=[document.doc_id])
            return proposal

    def save_rollback(self, id_or_prefix: str, data: RollbackData) -> None:
        """Keep what a rollback needs; called before the first change and after every step."""
        with self._database.transaction() as db:
            table = db.table(TABLE)
            document = self._find(table, id_or_prefix)
            table.update({"rollback": {
                "captured": list(data.captured), "applied": list(data.applied),
                "applied_at": data.applied_at.isoformat() if data.applied_at else None,
            }}, doc_ids=[document.doc_id])

    # --- reading -----------------------------------------------------------------------------------

    def get(self, id_or_prefix: str) -> Proposal:
        """The proposal whose id is, or starts with, ``id_or_prefix`` (NotFoundError / UsageError otherwise)."""
        with self._database.snapshot() as db:
            return Proposal.from_dict(self._find(db.table(TABLE), id_or_prefix))

    def rollback_data(self, id_or_prefix: str) -> RollbackData | None:
        """What was saved to undo the proposal, or None when it was never applied."""
        with self._database.snapshot() as db:
            saved = self._find(db.table(TABLE), id_or_prefix).get("rollback")
        if not saved:
            return None
        applied_at = saved.get("applied_at")
        return RollbackData(tuple(saved.get("captured") or ()), tuple(saved.get("applied") or ()),
                            datetime.fromisoformat(applied_at) if applied_at else None)

    def list(self, status: str | Iterable[str] | None = None, container: str | None = None) -> builtins.list[Proposal]:
        """Proposals, newest first; ``status`` one or several, ``container`` one of the selection."""
        wanted = None if status is None else frozenset([status] if isinstance(status, str) else status)
        unknown = (wanted or frozenset()) - set(STATUSES)
        if unknown:
            raise UsageError(f"unknown fix status {', '.join(sorted(unknown))!r}",
                             hint=f"use one of: {', '.join(STATUSES)}")
        with self._database.snapshot() as db:
            documents = db.table(TABLE).all()
        proposals = [Proposal.from_dict(document) for document in documents]
        selected = [proposal for proposal in proposals
                    if (wanted is None or proposal.status in wanted)
                    and (container is None or container in proposal.containers)]
        selected.sort(key=lambda proposal: proposal.created_at, reverse=True)
        return selected

    def success_rates(self) -> dict[str, builtins.list[SuccessRate]]:
        """Succeeded/failed counts per ``category`` and per AI ``template`` (``id vN``)."""
        counts: dict[str, dict[str, list[int]]] = {"category": {}, "template": {}}
        for proposal in self.list(status=("succeeded", "failed", "rolled_back")):
            verdicts = [change.status for change in proposal.history if change.status in ("succeeded", "failed")]
            if not verdicts:
                continue
            success = verdicts[-1] == "succeeded"
            keys = {"category": proposal.category or "(none)"}
            if proposal.source.kind == "ai":
                keys["template"] = proposal.source.label.removeprefix("ai ")
            for group, key in keys.items():
                pair = counts[group].setdefault(key, [0, 0])
                pair[0 if success else 1] += 1
        return {group: [SuccessRate(key, pair[0], pair[1]) for key, pair in sorted(values.items())]
                for group, values in counts.items()}

    # --- helpers ----------------------------------------------------------------------------------

    @staticmethod
    def _document(table, proposal_id: str) -> Any:
        return next((document for document in table.all() if document["id"] == proposal_id), None)

    @staticmethod
    def _find(table, id_or_prefix: str) -> Any:
        return find_by_id_prefix(table.all(), id_or_prefix, noun="fix", plural="fixes", list_command="dockerforge fix list --all")

    @staticmethod
    def _prune(table) -> None:
        documents = table.all()
        excess = len(documents) - MAX_PROPOSALS
        if excess <= 0:
            return
        closed = sorted((document for document in documents if document.get("status") not in OPEN_STATUSES),
                        key=lambda document: document.get("created_at") or "")
        table.remove(doc_ids=[document.doc_id for document in closed[:excess]])

    def __repr__(self) -> str:
        return f"FixStore({str(self.path)!r})"


def utc_now() -> datetime:
    """Now, aware UTC."""
    return datetime.now(timezone.utc)
