"""Write a file so that readers see the old content or the new, never half of either.

The text goes to a temporary file in the same directory (same file system, so the
final rename is atomic), is flushed to disk, and then replaces the target with
``os.replace``. A crash or a full disk leaves the old file untouched.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

NEW_FILE_MODE = 0o600
"""Mode of a newly created file: config and journals may hold secrets, so owner-only."""


def backup_path_for(path: Path, when: float | None = None) -> Path:
    """Return a free ``NAME.bak-YYYYmmdd-HHMMSS`` path beside ``path`` (``-2``, ``-3`` ... on a clash)."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(when))
    candidate = path.with_name(f"{path.name}.bak-{stamp}")
    counter = 2
    while candidate.exists():
        candidate = path.with_name(f"{path.name}.bak-{stamp}-{counter}")
        counter += 1
    return candidate


def atomic_write_text(path: Path | str, text: str, backup: bool = False, *,
                      encoding: str = "utf-8", mode: int | None = None) -> Path | None:
    """Replace ``path``'s content with ``text`` atomically; return the backup's path, if one was made.

    Missing parent directories are created. With ``backup=True`` an existing file is
    first copied to ``NAME.bak-<timestamp>`` beside it. If ``path`` is a symlink, the
    file it points to is replaced, so the link survives. The new file keeps the old
    file's permission bits, or gets ``mode`` (default :data:`NEW_FILE_MODE`) when new
    or when ``mode`` is given. Raises :class:`OSError` when the directory or file
    cannot be written; the target is then unchanged and no temporary file remains.
    """
    target = Path(os.path.realpath(Path(path).expanduser()))
    target.parent.mkdir(parents=True, exist_ok=True)
    existing_mode = target.stat().st_mode & 0o7777 if target.exists() else None
    final_mode = mode if mode is not None else (existing_mode if existing_mode is not None else NEW_FILE_MODE)

    backup_file: Path | None = None
    if backup and target.exists():
        backup_file = backup_path_for(target)
        shutil.copy2(target, backup_file)

    descriptor, temporary_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    temporary = Path(temporary_name)
    try:
        with os.fdopen(descriptor, "w", encoding=encoding, newline="") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, final_mode)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _fsync_directory(target.parent)
    return backup_file


def _fsync_directory(directory: Path) -> None:
    # Makes the rename itself durable on POSIX; directories cannot be opened on Windows.
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
