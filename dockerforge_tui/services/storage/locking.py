"""An advisory lock on a file beside a database, so two DockerForge processes never interleave writes.

The dashboard and a CLI command (``dockerforge issues ack``) may update the same file
at the same time; each takes this lock around its read-modify-write.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path
from types import TracebackType

if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt
else:
    import fcntl

_WINDOWS_RETRY_SECONDS = 0.05


class FileLock:
    """An exclusive or shared lock on ``path`` (created if missing), held between enter and exit.

    Locks are advisory: they only exclude other holders of this lock. On POSIX they are
    ``flock`` locks, which the kernel drops when the process dies, so a crash never
    leaves a stale lock behind. Windows has no shared mode here: every lock is exclusive.
    """

    def __init__(self, path: Path, shared: bool = False) -> None:
        self.path = Path(path)
        self.shared = shared
        self._descriptor: int | None = None
        self._thread_lock = threading.Lock()

    def acquire(self) -> None:
        """Block until the lock is held."""
        self._thread_lock.acquire()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                _lock(descriptor, self.shared)
            except BaseException:
                os.close(descriptor)
                raise
            self._descriptor = descriptor
        except BaseException:
            self._thread_lock.release()
            raise

    def release(self) -> None:
        """Release the lock; closing the descriptor releases it even if unlocking fails."""
        descriptor, self._descriptor = self._descriptor, None
        try:
            if descriptor is not None:
                try:
                    _unlock(descriptor)
                finally:
                    os.close(descriptor)
        finally:
            self._thread_lock.release()

    def __enter__(self) -> "FileLock":
        self.acquire()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.release()


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only

    def _lock(descriptor: int, shared: bool) -> None:
        # msvcrt.locking has no blocking mode that waits forever; poll instead.
        while True:
            try:
                msvcrt.locking(descriptor, msvcrt.LK_NBLCK, 1)
                return
            except OSError:
                time.sleep(_WINDOWS_RETRY_SECONDS)

    def _unlock(descriptor: int) -> None:
        os.lseek(descriptor, 0, os.SEEK_SET)
        msvcrt.locking(descriptor, msvcrt.LK_UNLCK, 1)

else:

    def _lock(descriptor: int, shared: bool) -> None:
        fcntl.flock(descriptor, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)

    def _unlock(descriptor: int) -> None:
        fcntl.flock(descriptor, fcntl.LOCK_UN)
