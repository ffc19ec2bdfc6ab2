"""The audit log: one JSON line for every action that changes the engine, and the read-only refusal.

Every mutating action (container verbs, removals, prunes, compose runs) goes through
:func:`run_action`, which refuses it in read-only mode, times it and appends an
:class:`AuditRecord` saying who did what to which object on which engine, and how it
ended (``ok``, ``error`` with the message, or ``refused``).

The file (``AppPaths.data_dir / "audit.jsonl"``) is append-only JSON lines, rotated
like a log file (``audit.jsonl.1`` is the newest old file), owner-readable only.
Writers in one process are serialised by a lock per file; writers in other processes
by an advisory ``flock`` on a ``.lock`` file beside it, where the platform has one.
"""

from __future__ import annotations

import getpass
import json
import logging
import os
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, TypeVar

from dockerforge_tui.core.errors import DockerForgeError, ExitCode

try:  # POSIX only; on Windows the in-process lock is all there is
    import fcntl
except ImportError:  # pragma: no cover - exercised on Windows only
    fcntl = None  # type: ignore[assignment]

AUDIT_FILE_NAME = "audit.jsonl"
FILE_MODE = 0o600
"""Audit records name objects, users and parameters: owner-only."""

OUTCOME_OK = "ok"
OUTCOME_ERROR = "error"
OUTCOME_REFUSED = "refused"

T = TypeVar("T")

log = logging.getLogger(__name__)

_locks_guard = threading.Lock()
_locks: dict[str, threading.Lock] = {}


def _lock_for(path: Path) -> threading.Lock:
    key = os.path.realpath(path)
    with _locks_guard:
        return _locks.setdefault(key, threading.Lock())


def audit_path(data_dir: Path) -> Path:
    """Where the audit log lives inside DockerForge's data directory."""
    return Path(data_dir) / AUDIT_FILE_NAME


def current_user() -> str:
    """The operating-system user running DockerForge."""
    try:
        return getpass.getuser()
    except Exception:  # no login name (a container with an unnamed uid): the uid says enough
        return f"uid:{os.getuid()}" if hasattr(os, "getuid") else "unknown"


def utc_now_iso() -> str:
    """The current time, UTC, ISO 8601 with milliseconds and a ``Z``."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class ReadOnlyError(DockerForgeError):
    """An action that changes the engine was refused because DockerForge runs read-only."""

    exit_code = ExitCode.PERMISSION_DENIED


@dataclass(frozen=True)
class ActionTarget:
    """The object an action is aimed at."""

    kind: str
    """``container``, ``image``, ``volume``, ``network``, ``compose project``, ``images`` (a prune)..."""
    name: str
    """What a person recognises: the container's name, the image's tag, the volume's name."""
    id: str = ""

    @property
    def description(self) -> str:
        """``container web`` style wording for messages."""
        return f"{self.kind} {self.name}".strip()


@dataclass(frozen=True)
class AuditRecord:
    """One action that changed (or tried to change) the engine."""

    time: str
    """When it started, UTC ISO 8601 (``2024-05-01T12:00:00.123Z``)."""
    user: str
    verb: str
    target_kind: str
    target_name: str
    target_id: str
    endpoint: str
    outcome: str
    """``ok``, ``error`` or ``refused``."""
    message: str | None = None
    """The error or refusal message; None when it went well."""
    duration_ms: float = 0.0
    params: tuple[tuple[str, Any], ...] = field(default=())
    """The action's parameters (timeout, signal, force...), sorted by name."""

    @property
    def ok(self) -> bool:
        """True when the action succeeded."""
        return self.outcome == OUTCOME_OK

    def to_json(self) -> str:
        """The record as one line of JSON."""
        data = {
            "time": self.time, "user": self.user, "verb": self.verb,
            "target": {"kind": self.target_kind, "name": self.target_name, "id": self.target_id},
            "params": dict(self.params), "endpoint": self.endpoint,
            "result": {"outcome": self.outcome, "message": self.message},
            "duration_ms": round(self.duration_ms, 3),
        }
        return json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)

    @classmethod
    def from_json(cls, line: str) -> "AuditRecord":
        """Parse one line written by :meth:`to_json`; ValueError (or KeyError) when it is not one."""
        data = json.loads(line)
        if not isinstance(data, dict):
            raise ValueError("not an audit record")
        target = data.get("target") or {}
        result = data.get("result") or {}
        return cls(
            time=str(data["time"]), user=str(data.get("user", "")), verb=str(data["verb"]),
            target_kind=str(target.get("kind", "")), target_name=str(target.get("name", "")),
            target_id=str(target.get("id", "")), endpoint=str(data.get("endpoint", "")),
            outcome=str(result.get("outcome", "")), message=result.get("message"),
            duration_ms=float(data.get("duration_ms") or 0.0),
            params=tuple(sorted((data.get("params") or {}).items())),
        )


class AuditLog:
    """An append-only, rotated JSON-lines audit file; safe to share between threads.

    ``max_bytes`` rotates the file before a record would take it past that size (0 never
    rotates); ``backup_count`` rotated files are kept (``audit.jsonl.1`` ... ``.N``).
    """

    def __init__(self, path: Path | str, max_bytes: int = 5 * 1024 * 1024, backup_count: int = 5,
                 user: str | None = None) -> None:
        self.path = Path(path)
        self.max_bytes = max(0, int(max_bytes))
        self.backup_count = max(0, int(backup_count))
        self.user = user or current_user()
        self._lock = _lock_for(self.path)

    def record(self, verb: str, target: ActionTarget, *, outcome: str, endpoint: str = "",
               message: str | None = None, duration_ms: float = 0.0, params: Mapping[str, Any] | None = None,
               when: str | None = None) -> AuditRecord:
        """Append one record and return it.

        Raises :class:`OSError` when the file cannot be written (the caller decides
        whether an action may go on without its audit record; :func:`run_action` refuses).
        """
        record = AuditRecord(
            time=when or utc_now_iso(), user=self.user, verb=verb, target_kind=target.kind,
            target_name=target.name, target_id=target.id, endpoint=endpoint, outcome=outcome,
            message=" ".join(message.split()) if message else None, duration_ms=duration_ms,
            params=tuple(sorted((params or {}).items())),
        )
        line = (record.to_json() + "\n").encode("utf-8")
        with self._locked():
            self._rotate_if_needed(len(line))
            descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
            try:
                os.write(descriptor, line)  # one write of one line: readers never see half a record
            finally:
                os.close(descriptor)
        return record

    def check_writable(self) -> None:
        """Create the file if needed and make sure it can be appended to; :class:`OSError` otherwise."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
        os.close(descriptor)

    def files(self) -> tuple[Path, ...]:
        """The audit files that exist, newest first (the live file, then ``.1``, ``.2``...)."""
        candidates = [self.path] + [self._rotated(number) for number in range(1, self.backup_count + 1)]
        return tuple(path for path in candidates if path.exists())

    def tail(self, count: int = 100) -> tuple[AuditRecord, ...]:
        """The last ``count`` records, oldest first; lines that are not records are skipped."""
        if count <= 0:
            return ()
        newest_first: list[AuditRecord] = []
        with self._lock:
            for path in self.files():
                for line in _lines_backwards(path):
                    try:
                        newest_first.append(AuditRecord.from_json(line))
                    except (ValueError, KeyError, TypeError):
                        continue
                    if len(newest_first) >= count:
                        return tuple(reversed(newest_first))
        return tuple(reversed(newest_first))

    def _rotated(self, number: int) -> Path:
        return self.path.with_name(f"{self.path.name}.{number}")

    def _rotate_if_needed(self, incoming: int) -> None:
        if not self.max_bytes:
            return
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            return
        if size == 0 or size + incoming <= self.max_bytes:
            return
        if self.backup_count == 0:
            self.path.unlink()
            return
        self._rotated(self.backup_count).unlink(missing_ok=True)
        for number in range(self.backup_count - 1, 0, -1):
            source = self._rotated(number)
            if source.exists():
                os.replace(source, self._rotated(number + 1))
        os.replace(self.path, self._rotated(1))

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if fcntl is None:
                yield
                return
            lock_path = self.path.with_name(self.path.name + ".lock")
            descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, FILE_MODE)
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX)
                yield
            finally:
                os.close(descriptor)  # closing releases the flock


def _lines_backwards(path: Path, block_size: int = 64 * 1024) -> Iterator[str]:
    """The non-empty lines of ``path``, last first, reading blocks from the end."""
    try:
        stream = open(path, "rb")
    except FileNotFoundError:
        return
    with stream:
        stream.seek(0, os.SEEK_END)
        position = stream.tell()
        remainder = b""
        while position > 0:
            step = min(block_size, position)
            position -= step
            stream.seek(position)
            chunk = stream.read(step) + remainder
            lines = chunk.split(b"\n")
            remainder = lines.pop(0)  # may be the tail of a line that starts in the previous block
            for raw in reversed(lines):
                if raw.strip():
                    yield raw.decode("utf-8", "replace")
        if remainder.strip():
            yield remainder.decode("utf-8", "replace")


def refusal_message(verb: str, target: ActionTarget) -> str:
    """``read-only mode: refusing to stop web``."""
    return f"read-only mode: refusing to {verb} {target.name or target.description}"


READONLY_HINT = "start without --readonly (or set ui.readonly: false) to allow changes"


def run_action(perform: Callable[[], T], *, verb: str, target: ActionTarget, audit: AuditLog | None,
               endpoint: str = "", params: Mapping[str, Any] | None = None, readonly: bool = False,
               failure_of: Callable[[T], str | None] | None = None, wording: str | None = None) -> T:
    """Run one action that changes the engine, and audit it: the only path such actions take.

    In read-only mode the action is not run: a ``refused`` record is written and
    :class:`ReadOnlyError` raised. Otherwise ``perform()`` runs and its result is
    returned; a failure is recorded with its message and re-raised unchanged. If the
    audit file cannot be written beforehand the action is not run (an action that
    cannot be audited is not run), raised as :class:`DockerForgeError`.

    ``failure_of(result)`` may call a returned result a failure (an external command's
    non-zero exit): the record then says ``error`` with that message, and the result is
    still returned. ``wording`` replaces ``verb`` in the refusal message when the
    recorded verb does not read well there ("run custom command 'x' on").
    """
    if readonly:
        error = ReadOnlyError(refusal_message(wording or verb, target), hint=READONLY_HINT)
        if audit is not None:
            _record_or_raise(audit, verb, target, outcome=OUTCOME_REFUSED, endpoint=endpoint,
                             message=error.message, params=params)
        raise error
    if audit is not None:
        try:
            audit.check_writable()
        except OSError as error:
            raise _unwritable(audit, error) from error
    when = utc_now_iso()
    started = time.monotonic()
    try:
        result = perform()
    except Exception as failure:
        if audit is not None:
            message = (failure.message if isinstance(failure, DockerForgeError)
                       else f"{type(failure).__name__}: {failure}")
            try:
                audit.record(verb, target, outcome=OUTCOME_ERROR, endpoint=endpoint, message=message, params=params,
                             duration_ms=(time.monotonic() - started) * 1000, when=when)
            except OSError as error:  # the action's own failure is the news; keep it
                log.warning("could not audit the failed %s of %s: %s", verb, target.description, error)
        raise
    if audit is not None:
        problem = failure_of(result) if failure_of is not None else None
        _record_or_raise(audit, verb, target, outcome=OUTCOME_ERROR if problem else OUTCOME_OK, endpoint=endpoint,
                         message=problem, params=params, duration_ms=(time.monotonic() - started) * 1000, when=when)
    return result


def _record_or_raise(audit: AuditLog, verb: str, target: ActionTarget, **fields: Any) -> AuditRecord:
    try:
        return audit.record(verb, target, **fields)
    except OSError as error:
        raise _unwritable(audit, error) from error


def _unwritable(audit: AuditLog, error: OSError) -> DockerForgeError:
    return DockerForgeError(f"cannot write the audit log {audit.path}: {error.strerror or error}",
                            hint="check the data directory is writable (DOCKERFORGE_DATA_DIR moves it)")
