"""The AI usage ledger: one row per request to a provider, in a TinyDB file in the data directory.

:class:`UsageLedger` keeps ``ai-usage.json`` (a :class:`~dockerforge_tui.services.storage.database.JsonDatabase`:
written atomically, locked per transaction, so the dashboard and a CLI command may write at
once). Each row is a :class:`UsageRecord`: provider, model, the prompt template and its
version, tokens in and out, cost, latency and the outcome (``ok``, ``cancelled``,
``refused_budget`` or ``error:<kind>``). The requests of one question (the fallback chain may
ask several providers) share a ``call_id``; a user's rating of the answer and whether its
proposed fix was accepted are kept per ``call_id`` in a second table.

:func:`usage_summary` and :func:`template_stats` turn the rows into immutable report rows for
``dockerforge ai usage``/``ai templates`` and the dashboard's usage view.

:class:`UsageLog` is the earlier store (one JSON line per request in ``ai-usage.jsonl``); the
ledger imports such a file once, on first use, and renames it ``ai-usage.jsonl.migrated``.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator, Literal

from dockerforge_tui.core.errors import NotFoundError, UsageError

log = logging.getLogger(__name__)

USAGE_FILE_NAME = "ai-usage.jsonl"
LEDGER_FILE_NAME = "ai-usage.json"
CALLS_TABLE = "calls"
FEEDBACK_TABLE = "feedback"

OUTCOME_OK = "ok"
OUTCOME_CANCELLED = "cancelled"
OUTCOME_REFUSED_BUDGET = "refused_budget"
ERROR_PREFIX = "error:"

GroupBy = Literal["provider", "model", "template"]
GROUP_BY: tuple[str, ...] = ("provider", "model", "template")


@dataclass(frozen=True)
class UsageRecord:
    """One request to one provider."""

    timestamp: float
    """Seconds since the epoch when the request finished (or was refused)."""
    provider: str
    model: str
    input_tokens: int
    output_tokens: int
    cost_usd: float | None
    latency_s: float
    outcome: str
    """``ok``, ``cancelled``, ``refused_budget`` or ``error:<kind>`` (``error:rate_limit``...)."""
    call_id: str = ""
    """Shared by the requests of one question (one per provider the fallback chain asked)."""
    template_id: str = ""
    template_version: int | None = None
    estimated_cost_usd: float | None = None
    """The pre-call estimate (input plus the longest answer allowed) for this provider."""
    max_output_tokens: int | None = None
    """The answer limit the request carried (what the estimate reserved)."""
    input_budget: int | None = None
    """``ai.input_token_budget`` when the request was made."""

    @property
    def template_label(self) -> str:
        """``id@vN``, or ``-`` for a request without a template (a key test)."""
        if not self.template_id:
            return "-"
        return f"{self.template_id}@v{self.template_version}" if self.template_version is not None \
            else self.template_id


_RECORD_FIELDS = {item.name for item in fields(UsageRecord)}


def outcome_of_error(error: BaseException) -> str:
    """``error:<kind>`` for an error: an ``AIRateLimitError`` becomes ``error:rate_limit``."""
    return _error_outcome(type(error).__name__)


def _error_outcome(name: str) -> str:
    name = name[2:] if name.startswith("AI") and name[2:3].isupper() else name
    name = name[:-5] if name.endswith("Error") and len(name) > 5 else name
    return ERROR_PREFIX + re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def normalise_outcome(outcome: str) -> str:
    """An outcome as the fallback chain or the jsonl log wrote it (an error class name) in the ledger's words."""
    if outcome in (OUTCOME_OK, OUTCOME_CANCELLED, OUTCOME_REFUSED_BUDGET) or outcome.startswith(ERROR_PREFIX):
        return outcome
    return _error_outcome(outcome)


@dataclass(frozen=True)
class Feedback:
    """What a person said about one answer."""

    call_id: str
    rating: int | None = None
    """+1 (thumbs up) or -1 (thumbs down); None when not rated."""
    fix_accepted: bool | None = None
    """Whether the fix the answer proposed was applied; None when no fix was offered."""


class UsageLedger:
    """The usage ledger in ``path`` (see the module docstring)."""

    def __init__(self, path: Path, legacy_log: Path | None = None) -> None:
        from dockerforge_tui.services.storage.database import open_db

        self.path = Path(path)
        self._database = open_db(self.path)
        self._legacy_log = legacy_log
        self._migrated = legacy_log is None

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> "UsageLedger":
        """The ledger of a data directory; an ``ai-usage.jsonl`` there is imported on first use."""
        return cls(Path(data_dir) / LEDGER_FILE_NAME, legacy_log=Path(data_dir) / USAGE_FILE_NAME)

    # ---------------------------------------------------------------- writing

    def append(self, record: UsageRecord) -> None:
        """Add one request's row."""
        self._migrate()
        with self._database.transaction() as db:
            db.table(CALLS_TABLE).insert(asdict(record))

    def rate(self, call_id: str, rating: int) -> Feedback:
        """Record a person's rating of a call's answer: +1 or -1 (a second rating replaces the first)."""
        if rating not in (1, -1):
            raise UsageError(f"a rating is +1 or -1, not {rating!r}")
        return self._feedback(call_id, rating=rating)

    def record_fix_outcome(self, call_id: str, accepted: bool) -> Feedback:
        """Record whether the fix a call's answer proposed was accepted."""
        return self._feedback(call_id, fix_accepted=bool(accepted))

    def _feedback(self, call_id: str, **change: Any) -> Feedback:
        from tinydb import Query

        self._migrate()
        with self._database.transaction() as db:
            if not db.table(CALLS_TABLE).search(Query().call_id == call_id) or not call_id:
                raise NotFoundError(f"no AI call with id {call_id!r} in {self.path}",
                                    hint="rate a call the usage ledger recorded (its call_id)")
            table = db.table(FEEDBACK_TABLE)
            found = table.search(Query().call_id == call_id)
            current = {"call_id": call_id, "rating": None, "fix_accepted": None, **(found[0] if found else {})}
            current.update(change)
            table.upsert(current, Query().call_id == call_id)
        return Feedback(**{key: current[key] for key in ("call_id", "rating", "fix_accepted")})

    # ---------------------------------------------------------------- reading

    def records(self, since: float | None = None) -> tuple[UsageRecord, ...]:
        """Every row, oldest first; with ``since`` (epoch seconds) only the rows from then on."""
        self._migrate()
        with self._database.snapshot() as db:
            rows = db.table(CALLS_TABLE).all()
        found = [_record_from(row) for row in rows]
        return tuple(sorted((record for record in found if record is not None
                             and (since is None or record.timestamp >= since)), key=lambda record: record.timestamp))

    def feedback(self) -> dict[str, Feedback]:
        """Ratings and fix outcomes by call id."""
        self._migrate()
        with self._database.snapshot() as db:
            rows = db.table(FEEDBACK_TABLE).all()
        return {row["call_id"]: Feedback(row["call_id"], row.get("rating"), row.get("fix_accepted")) for row in rows}

    def spent(self, provider: str, since: float) -> float:
        """Dollars ``provider`` cost from ``since`` (epoch seconds) on; rows without a cost count nothing."""
        return sum(record.cost_usd or 0.0 for record in self.records(since) if record.provider == provider)

    # ---------------------------------------------------------------- the old jsonl log

    def _migrate(self) -> None:
        if self._migrated:
            return
        self._migrated = True
        legacy = self._legacy_log
        if legacy is None or not legacy.exists():
            return
        # Checked again, read, imported and renamed inside one transaction: it holds the ledger's
        # file lock, so a second ledger object (the chat pane's beside the usage view's, or another
        # process) finds the file already gone instead of importing it twice.
        with self._database.transaction() as db:
            if not legacy.exists():
                return
            records = [UsageRecord(**{**asdict(record), "outcome": normalise_outcome(record.outcome)})
                       for record in UsageLog(legacy).records()]
            db.table(CALLS_TABLE).insert_multiple(asdict(record) for record in records)
            try:
                legacy.replace(legacy.with_name(legacy.name + ".migrated"))
            except OSError as error:  # imported already; a second import would double the rows
                log.warning("could not rename %s after importing it: %s", legacy, error)
        log.info("imported %d AI usage records from %s into %s", len(records), legacy, self.path)


def _record_from(row: dict[str, Any]) -> UsageRecord | None:
    try:
        return UsageRecord(**{key: value for key, value in row.items() if key in _RECORD_FIELDS})
    except TypeError:  # a row missing a required field (a hand edit)
        return None


# --------------------------------------------------------------------------- reports


@dataclass(frozen=True)
class UsageRow:
    """Usage of one provider, model or template version over a period."""

    key: str
    """The provider, ``provider/model`` or ``template@vN``."""
    requests: int
    ok: int
    errors: int
    cancelled: int
    refused_budget: int
    input_tokens: int
    output_tokens: int
    cost_usd: float
    mean_latency_s: float
    """Mean latency of the requests that got an answer (ok or cancelled)."""
    unpriced: int = 0
    """Answered requests whose model had no price (their cost is not in ``cost_usd``)."""


def _group_key(record: UsageRecord, by: str) -> str:
    if by == "provider":
        return record.provider
    if by == "model":
        return f"{record.provider}/{record.model or 'default'}"
    if by == "template":
        return record.template_label
    raise UsageError(f"cannot group AI usage by {by!r}", hint=f"choose one of: {', '.join(GROUP_BY)}")


def summarize(records: Iterable[UsageRecord], by: str = "provider") -> tuple[UsageRow, ...]:
    """``records`` grouped ``by`` provider, model or template, most expensive first."""
    groups: dict[str, list[UsageRecord]] = defaultdict(list)
    for record in records:
        groups[_group_key(record, by)].append(record)
    rows = []
    for key, items in groups.items():
        answered = [item for item in items if item.outcome in (OUTCOME_OK, OUTCOME_CANCELLED)]
        rows.append(UsageRow(
            key=key, requests=len(items), ok=sum(item.outcome == OUTCOME_OK for item in items),
            errors=sum(item.outcome.startswith(ERROR_PREFIX) for item in items),
            cancelled=sum(item.outcome == OUTCOME_CANCELLED for item in items),
            refused_budget=sum(item.outcome == OUTCOME_REFUSED_BUDGET for item in items),
            input_tokens=sum(item.input_tokens for item in items),
            output_tokens=sum(item.output_tokens for item in items),
            cost_usd=round(sum(item.cost_usd or 0.0 for item in items), 6),
            mean_latency_s=round(sum(item.latency_s for item in answered) / len(answered), 3) if answered else 0.0,
            unpriced=sum(item.cost_usd is None for item in answered)))
    return tuple(sorted(rows, key=lambda row: (-row.cost_usd, -row.requests, row.key)))


def usage_summary(ledger: UsageLedger, by: str = "provider", since: datetime | None = None) -> tuple[UsageRow, ...]:
    """The ledger's usage since ``since`` (all of it when None), grouped ``by`` provider, model or template."""
    if by not in GROUP_BY:
        raise UsageError(f"cannot group AI usage by {by!r}", hint=f"choose one of: {', '.join(GROUP_BY)}")
    return summarize(ledger.records(None if since is None else since.timestamp()), by)


@dataclass(frozen=True)
class TemplateVersionStats:
    """How one version of one prompt template did."""

    template_id: str
    version: int | None
    calls: int
    """Questions asked with it (a fallback's extra requests count once)."""
    answered: int
    input_tokens: int
    output_tokens: int
    cost_usd: float
    mean_latency_s: float
    thumbs_up: int
    thumbs_down: int
    fixes_offered: int
    """Answers whose proposed fix was accepted or declined."""
    fixes_accepted: int

    @property
    def label(self) -> str:
        return f"{self.template_id}@v{self.version}" if self.version is not None else self.template_id

    @property
    def fix_accepted_rate(self) -> float | None:
        """Accepted fixes per fix offered; None when none was offered."""
        return self.fixes_accepted / self.fixes_offered if self.fixes_offered else None

    @property
    def rating(self) -> float | None:
        """Share of thumbs up among the ratings; None when not rated."""
        rated = self.thumbs_up + self.thumbs_down
        return self.thumbs_up / rated if rated else None


def template_stats(ledger: UsageLedger, since: datetime | None = None) -> tuple[TemplateVersionStats, ...]:
    """Per template version: calls, tokens, latency, ratings and accepted fixes (since ``since``)."""
    records = [record for record in ledger.records(None if since is None else since.timestamp())
               if record.template_id]
    feedback = ledger.feedback()
    groups: dict[tuple[str, int | None], list[UsageRecord]] = defaultdict(list)
    for record in records:
        groups[(record.template_id, record.template_version)].append(record)
    stats = []
    for (template_id, version), items in groups.items():
        call_ids = {item.call_id or f"row{index}" for index, item in enumerate(items)}
        answered = [item for item in items if item.outcome == OUTCOME_OK]
        said = [feedback[call_id] for call_id in call_ids if call_id in feedback]
        stats.append(TemplateVersionStats(
            template_id=template_id, version=version, calls=len(call_ids), answered=len(answered),
            input_tokens=sum(item.input_tokens for item in items), output_tokens=sum(item.output_tokens for item in items),
            cost_usd=round(sum(item.cost_usd or 0.0 for item in items), 6),
            mean_latency_s=round(sum(item.latency_s for item in answered) / len(answered), 3) if answered else 0.0,
            thumbs_up=sum(item.rating == 1 for item in said), thumbs_down=sum(item.rating == -1 for item in said),
            fixes_offered=sum(item.fix_accepted is not None for item in said),
            fixes_accepted=sum(item.fix_accepted is True for item in said)))
    return tuple(sorted(stats, key=lambda item: (item.template_id, item.version or 0)))


def day_and_month_start(now: float) -> tuple[float, float]:
    """Epoch seconds of the start of ``now``'s UTC day and UTC month (the budget periods)."""
    moment = datetime.fromtimestamp(now, timezone.utc)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return day.timestamp(), day.replace(day=1).timestamp()


# --------------------------------------------------------------------------- the earlier jsonl log


class UsageLog:
    """Append and read :class:`UsageRecord` lines in ``path`` (the store before the ledger).

    Each line is written with a single ``write`` on a file opened for appending, so lines
    from several threads or processes do not interleave. Readers skip a torn last line.
    Kept so :class:`UsageLedger` can import an old file and a bare :class:`FallbackChain`
    still has a log; the commands and the assistant write the ledger.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> "UsageLog":
        return cls(Path(data_dir) / USAGE_FILE_NAME)

    def append(self, record: UsageRecord) -> None:
        line = json.dumps(asdict(record), separators=(",", ":")) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(descriptor, line.encode("utf-8"))
            finally:
                os.close(descriptor)

    def records(self) -> Iterator[UsageRecord]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return
        for line in text.splitlines():
            try:
                yield UsageRecord(**json.loads(line))
            except (ValueError, TypeError):
                continue  # a torn or foreign line

    @staticmethod
    def record(provider: str, model: str, input_tokens: int = 0, output_tokens: int = 0,
               cost_usd: float | None = None, latency_s: float = 0.0, outcome: str = "ok") -> UsageRecord:
        return UsageRecord(time.time(), provider, model, input_tokens, output_tokens, cost_usd, latency_s, outcome)
