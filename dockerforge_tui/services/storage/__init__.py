"""Small JSON databases under the data directory, shared safely by threads and processes.

``open_db(path)`` returns a :class:`JsonDatabase`: a TinyDB file that is read fresh
at the start of every transaction and written once, atomically, at its end.
"""

from __future__ import annotations

from dockerforge_tui.services.storage.database import AtomicJSONStorage, JsonDatabase, open_db
from dockerforge_tui.services.storage.locking import FileLock

__all__ = ["AtomicJSONStorage", "FileLock", "JsonDatabase", "open_db"]
