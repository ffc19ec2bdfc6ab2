"""The fast matching engine: every pattern regex in one Hyperscan database.

Hyperscan (an optional dependency, ``pip install hyperscan``) scans a chunk of
joined lines for all regexes at once and reports (regex, end offset) pairs; the
engine maps offsets to lines by counting newlines and confirms each candidate
with Python ``re`` on that single line.

Hyperscan only has to find a superset of the true matches, because the Python
confirmation decides. That is what keeps both engines' results identical, and it
lets the database use a looser, cheaper form of each regex: no ``^``-plus-prefix
anchors, bounded repeats made unbounded, and byte (not UTF-8) semantics. A regex
Hyperscan cannot compile at all (lookarounds, backreferences, or ``python_only:
true``) is represented by its required literals instead.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import threading
from pathlib import Path
from typing import Any, Sequence

from dockerforge_tui.services.logs.engine_python import CHUNK_LINES, joined_chunk
from dockerforge_tui.services.logs.pattern_set import PatternSet
from dockerforge_tui.services.logs.prefixes import prefix_regex_source

try:
    import hyperscan
except ImportError:  # the optional dependency is missing: the Python engine is used
    hyperscan = None


_BOUNDED_REPEAT = re.compile(r"(?<!\\)\{(\d+),\d+\}")
_DATABASES: dict[str, "_CompiledDatabase"] = {}
"""Compiled databases by content hash: compiling takes a second or two, so reuse it."""
_DATABASES_LOCK = threading.Lock()


def loosened(source: str) -> str:
    """A regex that matches at least wherever ``source`` does, cheaper for Hyperscan.

    Drops the "start of message" anchors (``^`` plus the optional prefixes) and
    turns ``{m,n}`` into ``{m,}``. Python's ``re`` confirms every report.
    """
    source = source.replace("^" + prefix_regex_source(), "")
    return _BOUNDED_REPEAT.sub(r"{\1,}", source)


def needs_utf8(source: str) -> bool:
    """True when byte semantics could miss a match Python finds in non-ASCII text.

    That is when the regex holds non-ASCII characters, or a construct that consumes
    exactly one character (``.``, ``\\S``, a negated class...) without an unbounded
    repeat after it: on UTF-8 bytes it would consume one byte of a longer character.
    """
    if not source.isascii():
        return True
    i = 0
    while i < len(source):
        char = source[i]
        end = None
        if char == "\\" and i + 1 < len(source):
            end = i + 2 if source[i + 1] in "SWDB" else None
            if end is None:
                i += 2
                continue
        elif char == ".":
            end = i + 1
        elif char == "[":
            close = source.find("]", i + 2)
            while close > 0 and source[close - 1] == "\\":
                close = source.find("]", close + 1)
            if close < 0:
                return True
            end = close + 1 if source[i + 1] == "^" else None
            if end is None:
                i = close + 1
                continue
        if end is not None:
            following = source[end : end + 1]
            if following not in ("*", "+") and not re.match(r"\{\d+,\}", source[end:]):
                return True
            i = end
            continue
        i += 1
    return False


_CROSSES_NEWLINE = re.compile(r"\\[sWDn]|\[\^|\\x0a|\(\?[a-z]*s")


def reports_exactly(unit) -> bool:
    """True when Hyperscan's reports for this unit need no confirmation by Python ``re``.

    That holds when the regex was compiled unchanged (no anchors rewritten, no
    repeats loosened), with the same semantics on bytes as on text, and when no
    part of it can match a newline (so no match spans two joined lines).
    """
    if unit.python_only or loosened(unit.source) != unit.source or needs_utf8(unit.source):
        return False
    return _CROSSES_NEWLINE.search(unit.source) is None


def is_available() -> bool:
    """True when the hyperscan package imports on this machine."""
    return hyperscan is not None


class _CompiledDatabase:
    """A Hyperscan database for one pattern set, plus the units it could not hold."""

    def __init__(self, database: Any, always: list[int], as_regex: set[int], pattern_set: PatternSet) -> None:
        self.database = database
        self.always = always
        """Units with neither a regex Hyperscan takes nor a literal: tried on every line."""
        self.as_regex = as_regex
        """Units compiled as their (loosened) regex rather than as their literals."""
        self.exact: frozenset[int] = frozenset(
            unit.index for unit in pattern_set.units if unit.index in as_regex and reports_exactly(unit)
        )
        """Units whose reports are trusted without a Python ``re`` confirmation."""
        self._local = threading.local()

    @classmethod
    def compile(cls, pattern_set: PatternSet) -> _CompiledDatabase:
        """Compile every unit; a regex Hyperscan rejects is represented by its literals."""
        assert hyperscan is not None
        always: list[int] = []
        entries: list[tuple[bytes, int, int]] = []
        for unit in pattern_set.units:
            entries.extend(_entries_for(unit, not unit.python_only, always))
        try:
            database = _compile(entries)
            as_regex = {unit.index for unit in pattern_set.units if not unit.python_only}
        except hyperscan.error:
            # Find the regexes Hyperscan rejects, one by one, and fall back to their literals.
            entries, as_regex = [], set()
            for unit in pattern_set.units:
                regex_entries = _entries_for(unit, not unit.python_only, always)
                if not unit.python_only:
                    try:
                        _compile(regex_entries)
                        as_regex.add(unit.index)
                    except hyperscan.error:
                        regex_entries = _entries_for(unit, False, always)
                entries.extend(regex_entries)
            database = _compile(entries) if entries else None
        return cls(database, always, as_regex, pattern_set)

    @classmethod
    def load(cls, path: Path, pattern_set: PatternSet) -> _CompiledDatabase | None:
        """A database saved by :meth:`save`, or None when it is missing or unusable here."""
        try:
            meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
            database = hyperscan.loadb(path.read_bytes(), hyperscan.HS_MODE_BLOCK) if meta["has_database"] else None
            return cls(database, list(meta["always"]), set(meta["as_regex"]), pattern_set)
        except (OSError, ValueError, KeyError, TypeError, hyperscan.error):
            return None

    def save(self, path: Path) -> None:
        """Write the database and its metadata (best effort: a cache that cannot be written is skipped)."""
        meta = {"has_database": self.database is not None, "always": self.always, "as_regex": sorted(self.as_regex)}
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if self.database is not None:
                _write_atomically(path, hyperscan.dumpb(self.database))
            _write_atomically(path.with_suffix(".json"), json.dumps(meta).encode("utf-8"))
        except (OSError, hyperscan.error):
            pass

    def scratch(self) -> Any:
        """This thread's scratch space (a database's own scratch is not thread-safe)."""
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = hyperscan.Scratch(self.database)
            self._local.scratch = scratch
        return scratch



def _entries_for(unit, as_regex: bool, always: list[int]) -> list[tuple[bytes, int, int]]:
    base = hyperscan.HS_FLAG_MULTILINE | hyperscan.HS_FLAG_ALLOWEMPTY
    if as_regex:
        source = loosened(unit.source)
        flags = base | (0 if unit.case_sensitive else hyperscan.HS_FLAG_CASELESS)
        if needs_utf8(source):
            flags |= hyperscan.HS_FLAG_UTF8
        return [(source.encode("utf-8"), unit.index, flags)]
    if not unit.literals:
        if unit.index not in always:
            always.append(unit.index)
        return []
    flags = base | hyperscan.HS_FLAG_CASELESS
    return [(re.escape(literal).encode("utf-8"), unit.index, flags) for literal in sorted(unit.literals)]


def _compile(entries: list[tuple[bytes, int, int]]) -> Any:
    database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    database.compile(
        expressions=[entry[0] for entry in entries],
        ids=[entry[1] for entry in entries],
        elements=len(entries),
        flags=[entry[2] for entry in entries],
    )
    return database


def _write_atomically(path: Path, data: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _database_key(pattern_set: PatternSet) -> str:
    """What identifies the set's database: its units and the Hyperscan version (kept per set)."""
    cache = pattern_set.engine_cache()
    key = cache.get("hyperscan-key")
    if key is None:
        digest = hashlib.sha256(getattr(hyperscan, "__version__", "").encode())
        for unit in pattern_set.units:
            digest.update(repr((unit.source, unit.case_sensitive, unit.python_only, sorted(unit.literals or ()))).encode())
        key = cache["hyperscan-key"] = digest.hexdigest()
    return key


def is_prepared(pattern_set: PatternSet) -> bool:
    """True when this process holds the set's compiled database (no compile on the next scan)."""
    if hyperscan is None:
        return False
    if "hyperscan" in pattern_set.engine_cache():
        return True
    # No lock: another thread may hold it for the whole compile, and the answer must not
    # wait for that (a dict lookup is atomic; a database being compiled is not ready).
    return _database_key(pattern_set) in _DATABASES


def _database_for(pattern_set: PatternSet, cache_dir: Path | None = None) -> _CompiledDatabase:
    cache = pattern_set.engine_cache()
    compiled = cache.get("hyperscan")
    if compiled is None:
        key = _database_key(pattern_set)
        with _DATABASES_LOCK:
            compiled = _DATABASES.get(key)
            if compiled is None:
                saved = Path(cache_dir) / f"hyperscan-{key[:40]}.db" if cache_dir is not None else None
                compiled = _CompiledDatabase.load(saved, pattern_set) if saved is not None else None
                if compiled is None:
                    compiled = _CompiledDatabase.compile(pattern_set)
                    if saved is not None:
                        compiled.save(saved)
                if len(_DATABASES) >= 8:
                    _DATABASES.pop(next(iter(_DATABASES)))
                _DATABASES[key] = compiled
        cache["hyperscan"] = compiled
    return compiled


def prepare(pattern_set: PatternSet, cache_dir: Path | None = None) -> None:
    """Compile the set's database now rather than on the first scan.

    With ``cache_dir``, a database compiled earlier for the same patterns (and the
    same Hyperscan version) is loaded from there in milliseconds instead of being
    compiled, and a newly compiled one is saved there.
    """
    _database_for(pattern_set, cache_dir)


def scan(lines: Sequence[str], pattern_set: PatternSet) -> list[tuple[int, int]]:
    """Return every (line index, unit index) where a unit's regex matches, sorted."""
    if hyperscan is None:
        raise RuntimeError("the hyperscan package is not installed")
    compiled = _database_for(pattern_set)
    units = pattern_set.units
    found: set[tuple[int, int]] = set()
    for base in range(0, len(lines), CHUNK_LINES):
        chunk, text = joined_chunk(lines[base : base + CHUNK_LINES])
        if compiled.database is not None:
            data = text.encode("utf-8", "replace")
            reports: list[tuple[int, int]] = []
            append = reports.append

            def on_match(unit_index: int, start: int, end: int, flags: int, context: object) -> None:
                append((end, unit_index))

            compiled.database.scan(data, match_event_handler=on_match, scratch=compiled.scratch())
            if reports:
                found.update(_confirm_reports(reports, data, chunk, base, units, compiled.exact))
        for unit_index in compiled.always:
            unit = units[unit_index]
            for offset, line in enumerate(chunk):
                if unit.compiled.search(line):
                    found.add((base + offset, unit_index))
    return sorted(found)


def _confirm_reports(reports, data: bytes, chunk, base, units, exact: frozenset[int]) -> set[tuple[int, int]]:
    reports.sort()
    count = data.count
    confirmed: set[tuple[int, int]] = set()
    seen: set[tuple[int, int]] = set()
    line_number = 0
    counted_to = 0
    for end, unit_index in reports:
        # The match's last byte decides its line; an empty match at 0 belongs to line 0.
        last_byte = end - 1 if end else 0
        line_number += count(b"\n", counted_to, last_byte)
        counted_to = last_byte
        key = (line_number, unit_index)
        if key in seen:
            continue
        seen.add(key)
        if unit_index in exact or units[unit_index].compiled.search(chunk[line_number]):
            confirmed.add((base + line_number, unit_index))
    return confirmed
