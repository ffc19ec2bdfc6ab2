"""What the log pane shows, as pure code: no app, no widget, no terminal needed to test it.

Three layers, each usable on its own:

* :class:`MergedLogBuffer` keeps the lines of every shown container, bounded per container
  (lines and bytes), merged into one list ordered by engine timestamp.
* :class:`LogRows` decides which buffered lines are rows on screen (all of them, or only
  the search matches and their context) and, with wrap on, how many screen rows each
  line takes at the current width. Everything is updated per change (a batch of lines,
  a new search, a resize), so drawing a frame only looks rows up.
* Functions turn one line into Rich text (gutter, timestamp, source, body, search
  highlights) with colours taken from the active theme (:func:`log_palette`).
"""

from __future__ import annotations

import re
import zlib
from bisect import bisect_left, bisect_right
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone, tzinfo
from functools import lru_cache
from itertools import accumulate, groupby
from typing import TYPE_CHECKING, Callable, Iterable, Mapping, Sequence

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style, StyleType
from rich.text import Text
from textual.color import Color, ColorParseError

if TYPE_CHECKING:
    from dockerforge_tui.services.logs.anomaly import Burst
    from dockerforge_tui.services.logs.collector import LogLine

NANOSECONDS = 1_000_000_000

Entry = tuple[int, int, "LogLine"]
"""One buffered line: ``(engine_ts_ns, arrival number, line)``.

Tuples order by timestamp, then by arrival, so plain ``bisect`` and ``sorted`` keep
lines of equal timestamps in the order they came; the arrival number is unique, so the
line itself is never compared.
"""

CONTEXT_STEPS = (0, 2, 5)
"""Context lines around each match in filter mode; ``c`` cycles through them."""

SINCE_CHOICES: Mapping[str, int | None] = {"1": 60, "2": 15 * 60, "3": 60 * 60, "0": None}
"""Range keys: how far back the stream starts, in seconds (``None``: the usual tail)."""

SOURCE_WIDTH_LIMIT = 24
"""The source column never takes more cells than this; longer names are shortened."""

TIMESTAMP_WIDTH = 12
"""``HH:MM:SS.mmm``"""

BURST_MARK = "▌"
NO_MARK = " "
GUTTER_WIDTH = 1

_ANSI_ESCAPE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


# -- text ---------------------------------------------------------------------------------


def clean_text(text: str) -> str:
    """A log line as it can be drawn: ANSI escapes removed, tabs expanded, other control characters shown as ``�``.

    Most lines are printable already and are returned as they are.
    """
    if text.isprintable():
        return text
    if "\x1b" in text:
        text = _ANSI_ESCAPE.sub("", text)
    if "\t" in text:
        text = text.expandtabs(4)
    return _CONTROL.sub("\ufffd", text)


def text_cells(text: str) -> int:
    """Terminal cells the (cleaned) text takes."""
    return len(text) if text.isascii() else cell_len(text)


def text_bytes(text: str) -> int:
    """Bytes of the text in UTF-8: what a per-container byte limit counts."""
    return len(text) if text.isascii() else len(text.encode("utf-8", "replace"))


def wrapped_row_count(cells: int, width: int) -> int:
    """Screen rows a body of ``cells`` cells takes when wrapped at ``width`` cells (at least one)."""
    if width <= 0 or cells <= width:
        return 1
    return -(-cells // width)


def format_clock(engine_ts_ns: int, tz: tzinfo | None = None) -> str:
    """``HH:MM:SS.mmm`` of an engine timestamp, in ``tz`` (the local zone when ``None``)."""
    moment = datetime.fromtimestamp(engine_ts_ns / NANOSECONDS, tz=tz or timezone.utc)
    if tz is None:
        moment = moment.astimezone()
    return f"{moment:%H:%M:%S}.{(engine_ts_ns // 1_000_000) % 1000:03d}"


def format_rfc3339(engine_ts_ns: int) -> str:
    """The engine timestamp as ``docker logs -t`` writes it (UTC, nanoseconds)."""
    seconds, nanos = divmod(engine_ts_ns, NANOSECONDS)
    moment = datetime.fromtimestamp(seconds, tz=timezone.utc)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{nanos:09d}Z"


def format_count(count: int) -> str:
    """A count with thousands separators: ``12,345``."""
    return f"{count:,}"


def format_rate(rate: float) -> str:
    """A per-second rate without needless decimals: ``120``, ``2``, ``0.4``."""
    if rate >= 10 or rate == int(rate):
        return f"{rate:.0f}"
    return f"{rate:.1f}"


def source_label(name: str, width: int) -> str:
    """The source name padded (or shortened with ``…``) to exactly ``width`` cells."""
    name = name.lstrip("/")
    if len(name) > width:
        return name[: max(0, width - 1)] + "…"
    return name.ljust(width)


def source_column_width(names: Iterable[str]) -> int:
    """Cells of the source column for these names: the longest, up to :data:`SOURCE_WIDTH_LIMIT`."""
    return min(SOURCE_WIDTH_LIMIT, max((len(name.lstrip("/")) for name in names), default=0))


def burst_notice(burst: Burst, tz: tzinfo | None = None) -> str:
    """One line about an error burst: ``error burst in web at 12:00:03: 120 errors/s, baseline 2/s``."""
    clock = format_clock(burst.second * NANOSECONDS, tz)[:8]
    return (f"error burst in {burst.container_name.lstrip('/')} at {clock}: "
            f"{format_count(burst.errors)} errors/s, baseline {format_rate(burst.baseline)}/s")


def new_lines_notice(count: int) -> str:
    """The paused-follow indicator: how many lines arrived below since following stopped."""
    noun = "line" if count == 1 else "lines"
    return f"paused · ↓ {format_count(count)} new {noun} · End to follow"


def default_save_name(label: str, when: float) -> str:
    """A file name for a saved log: ``dockerforge-logs-web-20261125-120000.log``."""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", label.lstrip("/")).strip("-") or "logs"
    stamp = datetime.fromtimestamp(when, tz=timezone.utc).astimezone().strftime("%Y%m%d-%H%M%S")
    return f"dockerforge-logs-{safe}-{stamp}.log"


def export_line(line: LogLine, *, timestamps: bool, source_width: int) -> str:
    """One line of a saved log: the columns shown, with full RFC 3339 timestamps."""
    parts = []
    if source_width:
        parts.append(source_label(line.container_name, source_width))
    if timestamps:
        parts.append(format_rfc3339(line.engine_ts_ns))
    parts.append(clean_text(line.text))
    return " ".join(parts)


# -- search -------------------------------------------------------------------------------


class SearchError(ValueError):
    """The search text is not a valid regular expression; the message fits on one line."""


@dataclass(frozen=True)
class SearchQuery:
    """A compiled search: a literal (the default) or a regex (typed with a ``re:`` prefix).

    Both are case-insensitive unless the regex turns that off, e.g. ``re:(?-i:ERROR)``.
    """

    text: str
    """What the user typed."""
    pattern: re.Pattern[str]

    @property
    def is_regex(self) -> bool:
        """True when the search was typed as a regex."""
        return self.text.startswith("re:")

    def matches(self, text: str) -> bool:
        """True when the search occurs in the (cleaned) line text."""
        return self.pattern.search(text) is not None

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Every non-empty match in ``text`` as ``(start, end)`` character offsets."""
        return [match.span() for match in self.pattern.finditer(text) if match.end() > match.start()]


def parse_search(text: str) -> SearchQuery | None:
    """Compile what the user typed; ``None`` for an empty search. Raises :class:`SearchError`."""
    if not text or text == "re:":
        return None
    if text.startswith("re:"):
        try:
            pattern = re.compile(text[3:], re.IGNORECASE)
        except re.error as error:
            where = f" at position {error.pos}" if error.pos is not None else ""
            raise SearchError(f"invalid regex {text[3:]!r}: {error.msg}{where}") from None
    else:
        pattern = re.compile(re.escape(text), re.IGNORECASE)
    return SearchQuery(text, pattern)


# -- colours ------------------------------------------------------------------------------


SOURCE_COLOUR_MIXES: tuple[tuple[str, str | None], ...] = (
    ("primary-lighten-2", None),
    ("success", None),
    ("accent", None),
    ("primary-lighten-2", "error-lighten-2"),
    ("success-lighten-1", "primary-lighten-2"),
    ("warning-lighten-3", None),
    ("secondary-lighten-3", "success-lighten-3"),
    ("accent-lighten-2", "error-lighten-3"),
)
"""Source colours: a theme colour, or the half-way blend of two, so every theme gives its own set."""


@dataclass(frozen=True)
class LogPalette:
    """Resolved ``#rrggbb`` colours for log rows, all derived from the active theme."""

    muted: str
    """Timestamps and context lines."""
    error: str
    """Error-level text and the burst marker."""
    warning: str
    """Warning-level text."""
    match_background: str
    match_foreground: str
    current_background: str
    current_foreground: str
    sources: tuple[str, ...]
    """Candidate colours for source names; :func:`source_colour` picks one per name."""


def _resolve(variables: Mapping[str, str], name: str, background: Color) -> Color | None:
    value = variables.get(name)
    if not value:
        return None
    try:
        colour = Color.parse(value)
    except ColorParseError:  # "auto 87%" and the like: only meaningful to Textual's CSS
        return None
    return background + colour if colour.a < 1 else colour


def log_palette(variables: Mapping[str, str]) -> LogPalette:
    """The log colours of a theme, from its CSS variables (``App.theme_variables``).

    Colours with transparency are blended over the theme's background, and a variable a
    theme lacks falls back to its foreground, so any theme gives a complete palette.
    """
    background = _resolve(variables, "background", Color(0, 0, 0)) or Color(0, 0, 0)
    foreground = _resolve(variables, "foreground", background) or background.get_contrast_text(1.0)

    def pick(*names: str) -> Color:
        for name in names:
            colour = _resolve(variables, name, background)
            if colour is not None:
                return colour
        return foreground

    sources = []
    for first, second in SOURCE_COLOUR_MIXES:
        colour = pick(first)
        if second is not None:
            colour = colour.blend(pick(second), 0.5)
        sources.append(colour.hex6)
    return LogPalette(
        muted=pick("foreground-muted", "foreground-darken-3").hex6,
        error=pick("text-error", "error").hex6,
        warning=pick("text-warning", "warning").hex6,
        match_background=pick("accent-muted", "accent").hex6,
        match_foreground=pick("text-accent", "foreground").hex6,
        current_background=pick("accent").hex6,
        current_foreground=background.hex6,
        sources=tuple(sources),
    )


def source_colour(name: str, palette: LogPalette) -> str:
    """The preferred colour of one source: the same for a name in every session (a stable hash, not ``hash()``)."""
    return palette.sources[_preferred_slot(name, palette)]


def _preferred_slot(name: str, palette: LogPalette) -> int:
    return zlib.crc32(name.lstrip("/").encode("utf-8")) % len(palette.sources)


def assign_source_colours(names: Iterable[str], palette: LogPalette) -> dict[str, str]:
    """A distinct colour per source, given in the order the sources appeared.

    Each name gets its preferred colour (:func:`source_colour`) unless a source that
    appeared earlier already has it; then the next free one. So a source's colour never
    changes while it is shown, and two sources share a colour only when there are more
    sources than colours.
    """
    colours: dict[str, str] = {}
    used: dict[int, int] = {}
    count = len(palette.sources)
    for name in names:
        if name in colours:
            continue
        preferred = _preferred_slot(name, palette)
        fewest = min(used.get(slot, 0) for slot in range(count))
        slot = next(candidate % count for candidate in range(preferred, preferred + count)
                    if used.get(candidate % count, 0) == fewest)
        used[slot] = used.get(slot, 0) + 1
        colours[name] = palette.sources[slot]
    return colours


LEVEL_COLOURS = {"error": "error", "critical": "error", "fatal": "error", "warning": "warning", "warn": "warning"}


@dataclass(frozen=True)
class RowStyle:
    """What, besides the line itself, decides how a line looks (the strip cache's other key)."""

    timestamps: bool
    source_width: int
    """0: one source, no source column."""
    timezone: tzinfo | None


def line_texts(line: LogLine, style: RowStyle, palette: LogPalette, *, spans: Sequence[tuple[int, int]] = (),
               current: bool = False, burst: bool = False, context: bool = False,
               base_style: Style | None = None, source_colours: Mapping[str, str] | None = None) -> tuple[Text, Text]:
    """The two parts of one line's row: the fixed-width prefix (gutter, timestamp, source) and the body.

    ``spans`` are search matches in the cleaned text; ``current`` marks the match
    ``n``/``N`` moved to; ``burst`` puts the burst marker in the gutter; ``context``
    dims a line shown only as context of a match. ``base_style`` (the widget's colours)
    is under everything. ``source_colours`` (from :func:`assign_source_colours`) colours
    the source column; a name missing there gets its preferred colour.
    """
    base = base_style or Style()
    # Styles go in spans, not Text.style: Text.render() drops the base style of a span-less text.
    prefix = Text(no_wrap=True, end="")
    prefix.append(BURST_MARK if burst else NO_MARK, style=palette.error if burst else "")
    if style.timestamps:
        prefix.append(format_clock(line.engine_ts_ns, style.timezone), style=palette.muted)
        prefix.append(" ")
    if style.source_width:
        prefix.append(source_label(line.container_name, style.source_width),
                      style=f"bold {_colour_of(line.container_name, palette, source_colours)}")
        prefix.append(" ")
    prefix.stylize_before(base)

    body_style = base
    if context:
        body_style = base + Style(color=palette.muted)
    elif line.level is not None and line.level.lower() in LEVEL_COLOURS:
        body_style = base + Style(color=getattr(palette, LEVEL_COLOURS[line.level.lower()]))
    body = Text(clean_text(line.text), no_wrap=True, end="")
    body.stylize_before(body_style)
    if spans:
        colours = ((palette.current_foreground, palette.current_background) if current
                   else (palette.match_foreground, palette.match_background))
        highlight = f"bold {colours[0]} on {colours[1]}"
        for start, end in spans:
            body.stylize(highlight, start, end)
    return prefix, body


StyleLookup = Callable[[StyleType], Style]
"""Turns a span's style (a :class:`Style` or a string such as ``"bold red"``) into a Style:
``functools.partial(console.get_style, default=Style.null())``, as ``Text.render`` does."""


def ascii_row_segments(prefix: Text | None, prefix_cells: int, body: Text, start: int, room: int,
                       base: Style, get_style: StyleLookup) -> list[Segment]:
    """One screen row of an ASCII line: the prefix, ``room`` cells of the body from ``start``, blank padding.

    The same segments as rendering ``prefix + body[start:start + room] + padding`` with
    ``base`` under it all through ``Text.render`` (``prefix`` ``None``: a wrapped row's
    blank prefix of ``prefix_cells``), without building those texts: while a container
    logs thousands of lines a second, every shown row is new on every frame. The body must
    be ASCII (one cell per character).
    """
    lead = prefix.plain if prefix is not None else " " * prefix_cells
    shown = body.plain[start:start + room]
    offset = len(lead)
    plain = f"{lead}{shown}{' ' * (room - len(shown))}"
    # (start, end, style) in Text.render's order, which is also the order styles combine in:
    # the row's base first (stylize_before), then the prefix's spans, then the body's.
    spans: list[tuple[int, int, StyleType]] = [(0, len(plain), base)] if base else []
    if prefix is not None:
        spans.extend((span.start, span.end, span.style) for span in prefix.spans)
    end = start + len(shown)
    for span in body.spans:
        if span.end > start and span.start < end:
            spans.append((max(span.start, start) - start + offset, min(span.end, end) - start + offset, span.style))
    if not spans:
        return [Segment(plain)]
    bounds = sorted({point for first, last, _style in spans for point in (first, last)})
    segments = []
    for first, last in zip(bounds, bounds[1:]):
        # Active over [first, last): a span ending at ``first`` has closed, an empty one never opened.
        styles = tuple(get_style(style) for span_start, span_end, style in spans
                       if span_start <= first and span_end >= last)
        segments.append(Segment(plain[first:last], _combined(styles)))
    return segments


@lru_cache(maxsize=1024)
def _combined(styles: tuple[Style, ...]) -> Style:
    return Style.combine(styles) if styles else Style.null()


def _colour_of(name: str, palette: LogPalette, assigned: Mapping[str, str] | None) -> str:
    if assigned is not None and name in assigned:
        return assigned[name]
    return source_colour(name, palette)


def prefix_width(style: RowStyle) -> int:
    """Cells of the prefix :func:`line_texts` builds for ``style``."""
    width = GUTTER_WIDTH
    if style.timestamps:
        width += TIMESTAMP_WIDTH + 1
    if style.source_width:
        width += style.source_width + 1
    return width


# -- the buffer ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BufferChange:
    """What one :meth:`MergedLogBuffer.add` did to the merged list."""

    first_inserted: int | None
    """Index (in the list after the change) of the oldest line added, or ``None``."""
    inserted: int
    """Lines added (lines evicted within the same batch are not counted)."""
    evicted: frozenset[int]
    """Arrival numbers of previously buffered lines that were dropped."""
    newest_evicted: tuple[int, int] | None
    """``(timestamp, arrival)`` of the newest dropped line: nothing after it was dropped."""


class _SourceLines:
    """One container's share of the buffer, oldest first, with its byte total."""

    __slots__ = ("entries", "bytes")

    def __init__(self) -> None:
        self.entries: deque[Entry] = deque()
        self.bytes = 0


class MergedLogBuffer:
    """The lines of every shown container, bounded per container, merged in timestamp order.

    Each container keeps at most ``max_lines`` lines and about ``max_bytes`` bytes of
    text (its newest line is kept even when that one line is larger). Lines from
    different containers arriving in separate batches are merged by engine timestamp:
    a late line goes where its timestamp belongs, at the cost of moving only the lines
    after it. There is no age limit on that reordering (the *reorder window* is the
    whole buffer), so the history a restarted stream sends for several containers
    interleaves correctly, and a live line is rarely more than a batch late.
    """

    def __init__(self, max_lines: int, max_bytes: int) -> None:
        if max_lines < 1 or max_bytes < 1:
            raise ValueError("a log buffer needs room for at least one line and one byte")
        self.max_lines = max_lines
        self.max_bytes = max_bytes
        self.entries: list[Entry] = []
        """Every buffered line in display order. Mutated in place only; never rebound."""
        self._sources: dict[str, _SourceLines] = {}
        self._arrivals = 0

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def source_ids(self) -> tuple[str, ...]:
        """Ids of the containers that have lines in the buffer."""
        return tuple(source_id for source_id, source in self._sources.items() if source.entries)

    def source_usage(self, container_id: str) -> tuple[int, int]:
        """``(lines, bytes)`` one container holds in the buffer."""
        source = self._sources.get(container_id)
        return (len(source.entries), source.bytes) if source is not None else (0, 0)

    @property
    def total_bytes(self) -> int:
        """Bytes of text buffered over all containers."""
        return sum(source.bytes for source in self._sources.values())

    def oldest(self, container_id: str) -> LogLine | None:
        """The oldest line still buffered for one container."""
        source = self._sources.get(container_id)
        return source.entries[0][2] if source is not None and source.entries else None

    def clear(self) -> None:
        """Drop every line."""
        self.entries.clear()
        self._sources.clear()

    def add(self, lines: Sequence[LogLine]) -> BufferChange:
        """Buffer ``lines``, drop what no longer fits, and merge the rest in by timestamp.

        Runs for every batch on the UI thread, so the per-line work is done in bulk
        (comprehensions, joined texts) rather than line by line.
        """
        if not lines:
            return BufferChange(None, 0, frozenset(), None)
        first_new = self._arrivals + 1
        added: list[Entry] = [(line.engine_ts_ns, number, line) for number, line in enumerate(lines, first_new)]
        self._arrivals += len(added)
        touched: list[_SourceLines] = []
        for container_id, run in _container_runs(added):
            source = self._sources.get(container_id)
            if source is None:
                source = self._sources[container_id] = _SourceLines()
            if source not in touched:
                touched.append(source)
            source.entries.extend(run)
            source.bytes += _text_bytes_of(run)

        evicted_new: set[int] = set()
        evicted_old: list[Entry] = []
        for source in touched:
            dropped = self._trim(source)
            if dropped:
                split = bisect_left([entry[1] for entry in dropped], first_new)
                evicted_old.extend(dropped[:split])
                evicted_new.update(entry[1] for entry in dropped[split:])
        if evicted_new:
            added = [entry for entry in added if entry[1] not in evicted_new]

        evicted = frozenset(entry[1] for entry in evicted_old)
        newest_evicted = None
        if evicted_old:
            newest = max(evicted_old)
            newest_evicted = (newest[0], newest[1])
            remove_entries(self.entries, evicted, newest_evicted)

        if not added:
            return BufferChange(None, 0, evicted, newest_evicted)
        added.sort()
        entries = self.entries
        if not entries or added[0] > entries[-1]:
            position = len(entries)
            entries.extend(added)
        else:
            position = bisect_left(entries, added[0][:2])
            # Timsort merges the two sorted runs in linear time.
            entries[position:] = sorted(entries[position:] + added)
        return BufferChange(position, len(added), evicted, newest_evicted)

    def _trim(self, source: _SourceLines) -> list[Entry]:
        """Drop a container's oldest lines beyond the bounds; return them, oldest first."""
        entries = source.entries
        excess = len(entries) - self.max_lines
        dropped = [entries.popleft() for _ in range(excess)] if excess > 0 else []
        if dropped:
            source.bytes -= _text_bytes_of(dropped)
        while source.bytes > self.max_bytes and len(entries) > 1:
            entry = entries.popleft()
            source.bytes -= text_bytes(entry[2].text)
            dropped.append(entry)
        return dropped


def _container_runs(entries: list[Entry]) -> Iterable[tuple[str, list[Entry]]]:
    """Consecutive entries of one container (a collector batch is a few long runs)."""
    first_id = entries[0][2].container_id
    if entries[-1][2].container_id == first_id and all(entry[2].container_id == first_id for entry in entries):
        yield first_id, entries
        return
    for container_id, run in groupby(entries, key=lambda entry: entry[2].container_id):
        yield container_id, list(run)


def _cells_of(entries: Sequence[Entry]) -> list[int]:
    """Cells each entry's cleaned text takes; plain ASCII batches (the usual) are measured in bulk."""
    texts = [entry[2].text for entry in entries]
    joined = "".join(texts)
    if joined.isascii() and joined.isprintable():
        return [len(text) for text in texts]
    return [text_cells(clean_text(text)) for text in texts]


def _text_bytes_of(entries: Sequence[Entry]) -> int:
    """UTF-8 bytes of the entries' texts, measured on their concatenation (one C-level pass)."""
    return text_bytes("".join([entry[2].text for entry in entries]))


def remove_entries(entries: list[Entry], arrivals: frozenset[int], newest: tuple[int, int],
                   parallel: list | None = None) -> tuple[int, bool]:
    """Remove the entries whose arrival number is in ``arrivals`` from a sorted list.

    Only the part up to ``newest`` is looked at. ``parallel`` (a list aligned with
    ``entries``) loses the same positions. Returns how many were removed and whether
    they were exactly the first ones (the cheap, common case).
    """
    cut = bisect_left(entries, (newest[0], newest[1] + 1))
    if not cut:
        return 0, True
    kept = [index for index in range(cut) if entries[index][1] not in arrivals]
    removed = cut - len(kept)
    if not removed:
        return 0, True
    if not kept or kept[0] == removed:
        del entries[:removed]
        if parallel is not None:
            del parallel[:removed]
        return removed, True
    entries[:cut] = [entries[index] for index in kept]
    if parallel is not None:
        parallel[:cut] = [parallel[index] for index in kept]
    return removed, False


# -- the rows -----------------------------------------------------------------------------


class LogRows:
    """Which buffered lines are on screen, and at which rows.

    Without a filter every line is a row; in filter mode only lines matching the search,
    plus ``context`` lines around each. With a wrap width a line takes as many rows as
    its body needs at that width; the row offsets are kept per change, so finding the
    line under a screen row is a binary search.
    """

    def __init__(self, buffer: MergedLogBuffer) -> None:
        self.buffer = buffer
        self.search: SearchQuery | None = None
        self.filter_mode = False
        self.context = 0
        self.wrap_width: int | None = None
        self.visible: list[Entry] = []
        """The lines shown, in order (a sorted subsequence of the buffer)."""
        self.matches: list[Entry] = []
        """The lines matching the search, in order (whether or not they are shown)."""
        self._heights: list[int] = []
        self._offsets: list[int] = [0]
        self._max_cells = 0

    # -- settings (each recomputes what it affects, once) --------------------------------

    def set_search(self, search: SearchQuery | None) -> None:
        """Search for ``search`` (``None``: no search)."""
        self.search = search
        self.matches = self._matching(self.buffer.entries) if search is not None else []
        self._rebuild()

    def set_filter(self, filter_mode: bool, context: int | None = None) -> None:
        """Show only matches (+ ``context`` lines each) or every line."""
        self.filter_mode = filter_mode
        if context is not None:
            self.context = max(0, context)
        self._rebuild()

    def set_wrap(self, width: int | None) -> None:
        """Wrap bodies at ``width`` cells, or not at all (``None``)."""
        if width is not None:
            width = max(1, width)
        if width == self.wrap_width:
            return
        self.wrap_width = width
        self._relayout()

    @property
    def filtering(self) -> bool:
        """True when only matches and their context are shown."""
        return self.filter_mode and self.search is not None

    # -- changes --------------------------------------------------------------------------

    def clear(self) -> None:
        """Forget every row (the buffer is cleared separately)."""
        self.visible.clear()
        self.matches.clear()
        self._heights.clear()
        self._offsets[:] = [0]
        self._max_cells = 0

    def apply(self, change: BufferChange) -> None:
        """Bring the rows up to date after the buffer changed."""
        if change.evicted and change.newest_evicted is not None:
            if self.matches:
                remove_entries(self.matches, change.evicted, change.newest_evicted)
            removed, at_front = remove_entries(self.visible, change.evicted, change.newest_evicted,
                                               self._heights if self.wrap_width else None)
            if removed and self.wrap_width:
                if at_front:
                    del self._offsets[:removed]
                else:
                    self._offsets[:] = list(accumulate(self._heights, initial=0))
        if change.first_inserted is None:
            return
        entries = self.buffer.entries
        start = change.first_inserted
        if self.search is not None:
            position = bisect_left(self.matches, entries[start][:2])
            del self.matches[position:]
            self.matches.extend(self._matching(entries[start:]))
        if self.filtering:
            start = max(0, start - self.context)
        self._refresh_from(start)

    # -- lookups --------------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        """Screen rows of everything shown."""
        if self.wrap_width:
            return self._offsets[-1] - self._offsets[0]
        return len(self.visible)

    @property
    def max_cells(self) -> int:
        """Cells of the widest body shown since the last rebuild (the horizontal scroll range)."""
        return self._max_cells

    def locate(self, row: int) -> tuple[int, int] | None:
        """``(index in visible, row within the line)`` of a screen row, or ``None`` past the end."""
        if row < 0 or row >= self.row_count:
            return None
        if not self.wrap_width:
            return row, 0
        offsets = self._offsets
        absolute = row + offsets[0]
        index = bisect_right(offsets, absolute) - 1
        return index, absolute - offsets[index]

    def first_row(self, index: int) -> int:
        """The screen row where the line at ``index`` of :attr:`visible` starts."""
        if not self.wrap_width:
            return index
        return self._offsets[index] - self._offsets[0]

    def height(self, index: int) -> int:
        """Screen rows the line at ``index`` of :attr:`visible` takes."""
        return self._heights[index] if self.wrap_width else 1

    def index_of(self, key: tuple[int, int]) -> int:
        """Index in :attr:`visible` of the line with this ``(timestamp, arrival)``, or of the next one shown."""
        return bisect_left(self.visible, key)

    def next_match(self, after: tuple[int, int] | None) -> Entry | None:
        """The first match after ``after`` (from the top when ``None``), wrapping around."""
        if not self.matches:
            return None
        if after is None:
            return self.matches[0]
        position = bisect_left(self.matches, (after[0], after[1] + 1))
        return self.matches[position] if position < len(self.matches) else self.matches[0]

    def previous_match(self, before: tuple[int, int] | None) -> Entry | None:
        """The last match before ``before`` (from the bottom when ``None``), wrapping around."""
        if not self.matches:
            return None
        if before is None:
            return self.matches[-1]
        position = bisect_left(self.matches, before)
        return self.matches[position - 1] if position > 0 else self.matches[-1]

    def match_number(self, key: tuple[int, int]) -> int | None:
        """1-based position of a match among all matches, or ``None``."""
        position = bisect_left(self.matches, key)
        if position < len(self.matches) and self.matches[position][:2] == key:
            return position + 1
        return None

    # -- internals ------------------------------------------------------------------------

    def _matching(self, entries: Iterable[Entry]) -> list[Entry]:
        search = self.search
        if search is None:
            return []
        pattern_search = search.pattern.search
        return [entry for entry in entries if pattern_search(clean_text(entry[2].text)) is not None]

    def _rebuild(self) -> None:
        self.visible.clear()
        self._heights.clear()
        self._offsets[:] = [0]
        self._max_cells = 0
        self._refresh_from(0)

    def _relayout(self) -> None:
        self._heights.clear()
        self._offsets[:] = [0]
        if self.wrap_width and self.visible:
            width = self.wrap_width
            self._heights.extend(-(-count // width) or 1 for count in _cells_of(self.visible))
            self._offsets.extend(accumulate(self._heights))

    def _refresh_from(self, start: int) -> None:
        """Recompute which lines from buffer index ``start`` on are shown, and their rows."""
        entries = self.buffer.entries
        if start >= len(entries):
            return
        position = bisect_left(self.visible, entries[start][:2])
        del self.visible[position:]
        if self.wrap_width:
            del self._heights[position:]
            del self._offsets[position + 1:]
        if self.filtering:
            shown = self._shown_with_context(start)
        else:
            shown = entries[start:]
        self.visible.extend(shown)
        if not shown:
            return
        cells = _cells_of(shown)
        self._max_cells = max(self._max_cells, max(cells))
        if self.wrap_width:
            width = self.wrap_width
            heights = [-(-count // width) or 1 for count in cells]
            self._heights.extend(heights)
            running = accumulate(heights, initial=self._offsets[-1])
            next(running)  # ``initial`` itself comes first: it is already the last offset
            self._offsets.extend(running)

    def _shown_with_context(self, start: int) -> list[Entry]:
        """Lines from buffer index ``start`` on that match or lie within ``context`` lines of a match."""
        entries = self.buffer.entries
        context = self.context
        scan_from = max(0, start - context)
        first_match = bisect_left(self.matches, entries[scan_from][:2])
        matched = {entry[1] for entry in self.matches[first_match:]}
        if not context:
            return [entry for entry in entries[start:] if entry[1] in matched]
        end = len(entries)
        shown = bytearray(end - start)
        for index in range(scan_from, end):
            if entries[index][1] in matched:
                low = max(start, index - context)
                high = min(end, index + context + 1)
                if high > low:
                    shown[low - start:high - start] = b"\x01" * (high - low)
        return [entries[start + offset] for offset, flag in enumerate(shown) if flag]

