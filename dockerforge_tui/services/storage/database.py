"""A TinyDB file that is written atomically and read fresh in every transaction.

TinyDB's own ``JSONStorage`` rewrites its file in place, so a crash or a full disk in
the middle of a write leaves half a file. :class:`AtomicJSONStorage` writes through
:func:`~dockerforge_tui.core.atomic.atomic_write_text` instead (temporary file, fsync,
``os.replace``). :class:`JsonDatabase` adds what several writers need: a thread lock
and a file lock around each transaction, a fresh read at its start (another process
may have written since), and one write at its end however many documents changed.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from tinydb import TinyDB
from tinydb.middlewares import Middleware
from tinydb.storages import Storage

from dockerforge_tui.core.atomic import atomic_write_text
from dockerforge_tui.services.storage.locking import FileLock

log = logging.getLogger(__name__)


class AtomicJSONStorage(Storage):
    """TinyDB storage in one JSON file, replaced atomically on every write.

    A file that is not valid JSON (a disk error, a hand edit gone wrong) is moved
    aside to ``NAME.corrupt-<timestamp>`` with a warning in the log, and the
    database starts empty rather than refusing to work.
    """

    def __init__(self, path: str | Path, **_: Any) -> None:
        self.path = Path(path)

    def read(self) -> dict[str, dict[str, Any]] | None:
        """Return the whole file as data, or None when it is missing or empty."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        if not text.strip():
            return None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            self._move_aside(f"not valid JSON ({error})")
            return None
        if not isinstance(data, dict):
            self._move_aside("not a JSON object")
            return None
        return data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        """Replace the file with ``data`` (temporary file + ``os.replace``)."""
        atomic_write_text(self.path, json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")))

    def close(self) -> None:
        """Nothing stays open between reads and writes."""

    def _move_aside(self, problem: str) -> None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        try:
            self.path.replace(target)
        except OSError as error:
            log.warning("%s is %s and could not be moved aside: %s; starting empty", self.path, problem, error)
            return
        log.warning("%s was %s; moved it to %s and started an empty database", self.path, problem, target)


class _TransactionCache(Middleware):
    """Hold the data read at the start of a transaction; write it once, on commit."""

    def __init__(self, storage_cls: type[Storage]) -> None:
        super().__init__(storage_cls)
        self._data: dict[str, dict[str, Any]] | None = None
        self._loaded = False
        self._dirty = False

    def read(self) -> dict[str, dict[str, Any]] | None:
        if not self._loaded:
            self._data = self.storage.read()
            self._loaded = True
        return self._data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        self._data = data
        self._loaded = True
        self._dirty = True

    def commit(self) -> None:
        """Write what changed, once."""
        if self._dirty and self._data is not None:
            self.storage.write(self._data)
        self._dirty = False

    def close(self) -> None:
        self.storage.close()


class JsonDatabase:
    """A TinyDB file shared by threads and processes; use it only through its context managers.

    >>> database = open_db(tmp / "issues.json")
    >>> with database.transaction() as db:
    ...     db.table("issues").insert({"id": "abc"})
    >>> with database.snapshot() as db:
    ...     db.table("issues").all()

    Each transaction opens a fresh TinyDB over the file, so no query cache or document
    id counter outlives a write made by another process.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self._lock_path = self.path.with_name(f"{self.path.name}.lock")

    @contextmanager
    def transaction(self) -> Iterator[TinyDB]:
        """Exclusive access; the changes are written atomically when the block ends without an error.

        An exception inside the block discards every change made in it.
        """
        with self._lock, FileLock(self._lock_path):
            cache = _TransactionCache(AtomicJSONStorage)
            db = TinyDB(self.path, storage=cache)
            try:
                yield db
                cache.commit()
            finally:
                db.close()

    @contextmanager
    def snapshot(self) -> Iterator[TinyDB]:
        """Read-only access to the current content (changes made in the block are not written)."""
        with self._lock, FileLock(self._lock_path, shared=True):
            db = TinyDB(self.path, storage=_TransactionCache(AtomicJSONStorage))
            try:
                yield db
            finally:
                db.close()

    def __repr__(self) -> str:
        return f"JsonDatabase({str(self.path)!r})"


def open_db(path: Path | str) -> JsonDatabase:
    """Open (without reading yet) the JSON database at ``path``; the file is created on first write."""
    return JsonDatabase(path)
