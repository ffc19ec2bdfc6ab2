"""The live log pane: container log lines, merged by timestamp, drawn one screen row at a time.

The pane owns a bounded buffer (:class:`~dockerforge_tui.ui.presenters.logs.MergedLogBuffer`)
and the row layout over it (:class:`~dockerforge_tui.ui.presenters.logs.LogRows`); both are
updated when lines arrive or a setting changes, never while drawing. Drawing uses the Line
API: Textual asks for the rows in the viewport only, and each row's strip is cached until
something that changes its look does.

Follow mode keeps the newest line in view. Scrolling up pauses it and the status line
counts the lines that arrived since; ``End`` (or ``G``) resumes. The status line is the
pane's bottom border: follow state, line counts, the search, and notices (an invalid
regex, an error burst).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import tzinfo
from typing import TYPE_CHECKING, Sequence

from rich.style import Style, StyleType
from rich.text import Text
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from dockerforge_tui.services.logs.anomaly import Burst, ErrorBurstDetector
from dockerforge_tui.ui.presenters import logs as present

if TYPE_CHECKING:
    from dockerforge_tui.services.logs.collector import LogLine

BURSTS_KEPT_PER_CONTAINER = 256
"""Burst seconds remembered per container (for the gutter marks); older ones are forgotten."""
LINE_CACHE_SIZE = 256
"""Styled lines (prefix and body texts) kept: a few screenfuls, for wrapped rows and sideways scrolls."""
ROW_CACHE_SIZE = 256
"""Drawn screen rows kept (rows of wrapped lines count separately). Strips are heavy (each
carries its own crop caches), so this is sized to the viewport, not to the buffer."""


class LogPane(ScrollView, can_focus=True):
    """Shows the log lines of one or more containers; fed by :meth:`append_lines`.

    ``max_lines`` and ``max_bytes`` bound what is kept per container (from
    ``settings.logs``). ``timezone`` is the zone timestamps are shown in (default: local).
    """

    DEFAULT_CSS = """
    LogPane {
        background: $surface;
        color: $foreground;
        scrollbar-gutter: stable;
        border-bottom: solid $panel-lighten-2;
        border-subtitle-align: left;
        border-subtitle-color: $foreground;
        border-subtitle-background: $panel;
    }
    LogPane:focus {
        border-bottom: solid $primary;
    }
    """

    BINDINGS = [
        Binding("end,G", "follow", "Follow", id="logs.follow", key_display="End",
                tooltip="Jump to the newest line and keep following new ones"),
        Binding("t", "toggle_timestamps", "Time", id="logs.timestamps",
                tooltip="Show or hide the engine timestamp of each line"),
        Binding("w", "toggle_wrap", "Wrap", id="logs.wrap", tooltip="Wrap long lines to the width"),
        Binding("f", "toggle_filter", "Filter", id="logs.filter",
                tooltip="Show only the lines matching the search, or every line with matches marked"),
        Binding("c", "cycle_context", "Context", show=False, id="logs.context",
                tooltip="Context lines around each match in filter mode: 0, 2, 5"),
        Binding("n", "next_match", "Next match", show=False, id="logs.next_match"),
        Binding("N", "previous_match", "Previous match", show=False, id="logs.previous_match"),
        Binding("1", "request_range(60)", "Last 1m", show=False, id="logs.range_1m"),
        Binding("2", "request_range(900)", "Last 15m", show=False, id="logs.range_15m"),
        Binding("3", "request_range(3600)", "Last 1h", show=False, id="logs.range_1h"),
        Binding("0", "request_range(None)", "Tail", show=False, id="logs.range_tail"),
        Binding("up,k", "scroll_up", "Scroll up", show=False, id="logs.scroll_up"),
        Binding("down,j", "scroll_down", "Scroll down", show=False, id="logs.scroll_down"),
        Binding("pageup", "page_up", "Page up", show=False, id="logs.page_up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="logs.page_down"),
        Binding("home,g", "scroll_home", "Oldest line", show=False, id="logs.oldest"),
        Binding("left,h", "scroll_left", "Scroll left", show=False, id="logs.scroll_left"),
        Binding("right,l", "scroll_right", "Scroll right", show=False, id="logs.scroll_right"),
    ]

    @dataclass
    class RangeRequested(Message):
        """The user asked for the stream to restart from ``since_seconds`` ago (``None``: the tail)."""

        pane: LogPane
        since_seconds: int | None

    @dataclass
    class BurstDetected(Message):
        """A container started an error burst (posted once per burst second)."""

        pane: LogPane
        burst: Burst

    def __init__(self, *, max_lines: int, max_bytes: int, timezone: tzinfo | None = None,
                 detector: ErrorBurstDetector | None = None, name: str | None = None,
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.buffer = present.MergedLogBuffer(max_lines, max_bytes)
        self.rows = present.LogRows(self.buffer)
        self.detector = detector or ErrorBurstDetector()
        self.timezone = timezone
        self.show_timestamps = False
        self.wrap = False
        self.following = True
        """True while the newest line is kept in view."""
        self.new_lines = 0
        """Lines that arrived since following was paused."""
        self.notice: str | None = None
        """A one-line notice for the status line (an invalid regex), until the next search."""
        self.burst_notice: str | None = None
        """The latest error burst, as shown in the status line."""
        self.range_label = "tail"
        self.current_match: tuple[int, int] | None = None
        """``(timestamp, arrival)`` of the match ``n``/``N`` moved to."""
        self._source_names: dict[str, str] = {}
        self._bursts: dict[str, OrderedDict[int, Burst]] = {}
        self._style = present.RowStyle(False, 0, timezone)
        self._palette: present.LogPalette | None = None
        self._base: Style | None = None
        self._source_colours: dict[str, str] | None = None
        self._line_cache: LRUCache[tuple[int, bool, bool], tuple[Text, Text]] = LRUCache(LINE_CACHE_SIZE)
        self._row_cache: LRUCache[tuple[int, int, bool, bool], Strip] = LRUCache(ROW_CACHE_SIZE)
        self._row_cache_view: tuple[int, int] = (-1, -1)
        self._scrolling_ourselves = False
        self._laid_out_width = -1
        """The content width the rows were last wrapped and drawn for."""

    # -- feeding ------------------------------------------------------------------------

    def append_lines(self, lines: Sequence[LogLine]) -> None:
        """Add a batch of lines (any containers, any order); drop what no longer fits."""
        if not lines:
            return
        anchor = None if self.following else self._anchor()
        for line in lines:
            if line.container_id not in self._source_names:
                self._source_names[line.container_id] = line.container_name
                self._source_colours = None  # earlier sources keep theirs: colours go in arrival order
                self._restyle()
        bursts = self.detector.observe(lines)
        change = self.buffer.add(lines)
        self.rows.apply(change)
        if change.evicted:
            self._forget_old_bursts()
        for burst in bursts:
            self._record_burst(burst)
        self._update_virtual_size()
        if self.following:
            self._scroll_to_end()
        else:
            self.new_lines += len(lines)
            self._restore(anchor)
        self._update_status()
        self.refresh()

    def clear(self) -> None:
        """Forget every line (before a restarted stream refills the pane); following resumes."""
        self.buffer.clear()
        self.rows.clear()
        self.detector = ErrorBurstDetector(self.detector.settings)
        self._source_names.clear()
        self._bursts.clear()
        self.burst_notice = None
        self.current_match = None
        self.new_lines = 0
        self.following = True
        self._restyle()
        self._update_virtual_size()
        self._scroll_to_end()
        self._update_status()
        self.refresh()

    def on_unmount(self) -> None:
        """Let go of the lines when the pane goes away.

        A pane that was up when ``DockerForgeApp`` froze what its start built is out of the
        cycle collector's sight: without this it would keep its lines for good.
        """
        self.buffer.clear()
        self.rows.clear()
        self._clear_caches()

    # -- what is shown ------------------------------------------------------------------

    @property
    def source_names(self) -> tuple[str, ...]:
        """Names of the containers whose lines the pane has shown."""
        return tuple(self._source_names.values())

    @property
    def line_count(self) -> int:
        """Lines buffered (all containers)."""
        return len(self.buffer)

    @property
    def shown_lines(self) -> list[LogLine]:
        """The lines currently shown, oldest first (in filter mode: matches and context only)."""
        return [entry[2] for entry in self.rows.visible]

    @property
    def match_count(self) -> int:
        """Lines matching the search."""
        return len(self.rows.matches)

    @property
    def status_text(self) -> str:
        """The status line as plain text."""
        return self._status().plain

    def export_text(self) -> str:
        """What is shown, as text for a file: the visible columns, full timestamps, one line each."""
        style = self._style
        return "".join(present.export_line(entry[2], timestamps=style.timestamps,
                                           source_width=style.source_width) + "\n"
                       for entry in self.rows.visible)

    def top_line(self) -> LogLine | None:
        """The line at the top of the viewport."""
        located = self.rows.locate(round(self.scroll_y))
        return self.rows.visible[located[0]][2] if located is not None else None

    def visible_line_range(self) -> list[LogLine]:
        """The lines (at least partly) in the viewport, top to bottom."""
        seen: list[LogLine] = []
        top = round(self.scroll_y)
        for row in range(top, top + self.scrollable_content_region.height):
            located = self.rows.locate(row)
            if located is None:
                break
            line = self.rows.visible[located[0]][2]
            if not seen or seen[-1] is not line:
                seen.append(line)
        return seen

    # -- search (the screen owns the input; the pane owns the result) -------------------

    def search(self, text: str) -> bool:
        """Search for ``text`` (``re:`` prefix: a regex); an invalid regex becomes a notice, not an error.

        Returns True when the search was applied (an empty text clears it).
        """
        try:
            query = present.parse_search(text if text.strip() else "")
        except present.SearchError as error:
            self.notice = str(error)
            self._update_status()
            return False
        self.notice = None
        anchor = None if self.following else self._anchor()
        self.rows.set_search(query)
        self.current_match = None
        self._after_rows_changed(anchor)
        return True

    @property
    def search_text(self) -> str:
        """The search in effect, as typed ("" for none)."""
        return self.rows.search.text if self.rows.search is not None else ""

    # -- actions ------------------------------------------------------------------------

    def action_follow(self) -> None:
        """Jump to the newest line and follow new ones."""
        self.following = True
        self.new_lines = 0
        self._scroll_to_end()
        self._update_status()

    def action_toggle_timestamps(self) -> None:
        """Show or hide timestamps."""
        self.show_timestamps = not self.show_timestamps
        anchor = None if self.following else self._anchor()
        self._restyle()
        self._after_rows_changed(anchor)

    def action_toggle_wrap(self) -> None:
        """Wrap long lines at the pane's width, or let them run (scroll sideways)."""
        self.wrap = not self.wrap
        anchor = None if self.following else self._anchor()
        self.scroll_to(x=0, animate=False)
        self._restyle()
        self._after_rows_changed(anchor)

    def action_toggle_filter(self) -> None:
        """Switch between all lines with matches marked and only the matching lines."""
        anchor = None if self.following else self._anchor()
        self.rows.set_filter(not self.rows.filter_mode)
        self._after_rows_changed(anchor)

    def action_cycle_context(self) -> None:
        """Cycle the context lines shown around each match in filter mode (0, 2, 5)."""
        steps = present.CONTEXT_STEPS
        following = steps[(steps.index(self.rows.context) + 1) % len(steps)] if self.rows.context in steps else 0
        anchor = None if self.following else self._anchor()
        self.rows.set_filter(self.rows.filter_mode, following)
        self._after_rows_changed(anchor)

    def action_next_match(self) -> None:
        """Move to the next match below (wrapping to the top)."""
        self._move_to_match(forward=True)

    def action_previous_match(self) -> None:
        """Move to the previous match above (wrapping to the bottom)."""
        self._move_to_match(forward=False)

    def action_request_range(self, since_seconds: int | None) -> None:
        """Ask for the stream to restart with lines from ``since_seconds`` ago (``None``: the tail)."""
        self.range_label = _range_label(since_seconds)
        self._update_status()
        self.post_message(self.RangeRequested(self, since_seconds))

    # -- Textual hooks ------------------------------------------------------------------

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)
        self._update_status()

    def on_resize(self) -> None:
        anchor = None if self.following else self._anchor()
        width = self.scrollable_content_region.width
        if width == self._laid_out_width:
            # Only the height changed (the search prompt opened or closed): every row
            # drawn so far is still right, so only the scroll position is kept. Drawing
            # every visible row again made / and Escape as slow as toggling timestamps.
            if self.following:
                self._scroll_to_end()
            else:
                self._restore(anchor)
            self._update_status()
            return
        self._laid_out_width = width
        self._restyle()
        self._after_rows_changed(anchor)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        if hasattr(self, "_line_cache"):  # Textual calls this from the base constructor too
            self._palette = None
            self._base = None
            self._clear_caches()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        # The user scrolled up: stop following. Our own scrolls never pause.
        if (not self._scrolling_ourselves and self.following and new_value < old_value
                and new_value < self.max_scroll_y):
            self.following = False
            self.new_lines = 0
            self._update_status()

    def render_line(self, y: int) -> Strip:
        """Draw one screen row (Line API): looked up in the layout, drawn from the cache."""
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        if self._row_cache_view != (scroll_x, width):
            self._row_cache.clear()
            self._row_cache_view = (scroll_x, width)
        located = self.rows.locate(scroll_y + y)
        if located is None:
            return Strip.blank(width, self._base_style())
        index, part = located
        entry = self.rows.visible[index]
        current = entry[:2] == self.current_match
        burst = self._is_burst(entry[2])
        key = (entry[1], part, current, burst)
        strip = self._row_cache.get(key)
        if strip is None:
            strip = self._render_row(entry, part, current, burst, scroll_x, width)
            self._row_cache[key] = strip
        return strip

    # -- drawing ------------------------------------------------------------------------

    def _render_row(self, entry: present.Entry, part: int, current: bool, burst: bool,
                    scroll_x: int, width: int) -> Strip:
        """One screen row: the prefix (or its blank width on a wrapped row) and a slice of the body."""
        prefix, body = self._line_texts(entry, current, burst)
        base = self._base_style()
        prefix_cells = present.prefix_width(self._style)
        room = max(0, width - prefix_cells)
        start = part * room if self.rows.wrap_width else scroll_x
        if body.plain.isascii():
            # One cell per character: the row's segments straight from the texts' spans.
            segments = present.ascii_row_segments(prefix if part == 0 else None, prefix_cells, body, start,
                                                  room, base, self._get_style)
            strip = Strip(segments, prefix_cells + room)
            return strip if prefix_cells <= width else strip.crop(0, width)
        # Wide characters: cut by cells, on strips.
        console = self.app.console
        lead = Strip(list(prefix.render(console)), prefix_cells) if part == 0 else Strip.blank(prefix_cells, base)
        body_strip = Strip(list(body.render(console)), present.text_cells(body.plain))
        return Strip.join([lead, body_strip.crop_extend(start, start + room, base)]).crop_extend(0, width, base)

    def _line_texts(self, entry: present.Entry, current: bool, burst: bool) -> tuple[Text, Text]:
        """The styled prefix and body of one line, cached: wrapped rows and sideways scrolls reuse them."""
        key = (entry[1], current, burst)
        cached = self._line_cache.get(key)
        if cached is not None:
            return cached
        line = entry[2]
        search = self.rows.search
        spans: Sequence[tuple[int, int]] = ()
        context = False
        if search is not None:
            spans = search.spans(present.clean_text(line.text))
            context = self.rows.filtering and not spans
        palette = self._theme_palette()
        if self._source_colours is None:
            self._source_colours = present.assign_source_colours(self._source_names.values(), palette)
        texts = present.line_texts(line, self._style, palette, spans=spans, current=current, burst=burst,
                                   context=context, base_style=self._base_style(),
                                   source_colours=self._source_colours)
        self._line_cache[key] = texts
        return texts

    def _get_style(self, style: StyleType) -> Style:
        """A span's style as a :class:`Style` (strings parsed by the console, as ``Text.render`` does)."""
        return style if isinstance(style, Style) else self.app.console.get_style(style, default=Style.null())

    def _base_style(self) -> Style:
        """The pane's own colours (computing ``rich_style`` walks the DOM, so it is kept until styles change)."""
        if self._base is None:
            self._base = self.rich_style
        return self._base

    def _theme_palette(self) -> present.LogPalette:
        if self._palette is None:
            self._palette = present.log_palette(self.app.theme_variables)
        return self._palette

    def _theme_changed(self, _theme: object) -> None:
        self._palette = None
        self._base = None
        self._clear_caches()
        self._update_status()
        self.refresh()

    def _clear_caches(self) -> None:
        self._line_cache.clear()
        self._row_cache.clear()
        self._source_colours = None  # recomputed from the palette, in the sources' order

    # -- layout -------------------------------------------------------------------------

    def _restyle(self) -> None:
        """Recompute the row style (columns shown) and the wrap width after a change to either."""
        source_width = present.source_column_width(self._source_names.values()) if len(self._source_names) > 1 else 0
        style = present.RowStyle(self.show_timestamps, source_width, self.timezone)
        if style != self._style:
            self._style = style
            self._clear_caches()
        if self.wrap:
            self.rows.set_wrap(max(1, self.scrollable_content_region.width - present.prefix_width(style)))
        else:
            self.rows.set_wrap(None)

    def _update_virtual_size(self) -> None:
        if self.rows.wrap_width:
            width = self.scrollable_content_region.width
        else:
            width = present.prefix_width(self._style) + self.rows.max_cells
        self.virtual_size = Size(width, self.rows.row_count)

    def _after_rows_changed(self, anchor: tuple[tuple[int, int], int] | None) -> None:
        self._clear_caches()
        self._update_virtual_size()
        if self.following:
            self._scroll_to_end()
        else:
            self._restore(anchor)
        self._update_status()
        self.refresh()

    def _anchor(self) -> tuple[tuple[int, int], int] | None:
        """What is at the top of the viewport: ``((timestamp, arrival), row within the line)``."""
        located = self.rows.locate(round(self.scroll_y))
        if located is None:
            return None
        index, part = located
        return self.rows.visible[index][:2], part

    def _restore(self, anchor: tuple[tuple[int, int], int] | None) -> None:
        """Scroll so the anchored line is at the top again (or the next line shown, if it went)."""
        if anchor is None:
            return
        key, part = anchor
        index = self.rows.index_of(key)
        if index >= len(self.rows.visible):
            row = self.rows.row_count
        else:
            row = self.rows.first_row(index)
            if self.rows.visible[index][:2] == key:
                row += min(part, self.rows.height(index) - 1)
        self._scroll_ourselves(y=row)

    def _scroll_to_end(self) -> None:
        self._scrolling_ourselves = True
        try:
            # force: right after a batch the scrollbar (which gates scrolling) is not laid out yet.
            self.scroll_end(animate=False, immediate=True, x_axis=False, force=True)
        finally:
            self._scrolling_ourselves = False

    def _scroll_ourselves(self, *, y: float) -> None:
        self._scrolling_ourselves = True
        try:
            self.scroll_to(y=y, animate=False, immediate=True, force=True)
        finally:
            self._scrolling_ourselves = False

    # -- search navigation --------------------------------------------------------------

    def _move_to_match(self, forward: bool) -> None:
        if self.rows.search is None:
            self.notice = "no search: press / to search"
            self._update_status()
            return
        reference = self.current_match
        if reference is None:
            top = self._anchor()
            if top is not None:
                # Start from the top row, so the first match on screen counts.
                reference = (top[0][0], top[0][1] - 1) if forward else top[0]
        entry = self.rows.next_match(reference) if forward else self.rows.previous_match(reference)
        if entry is None:
            self.notice = f"no match for {self.rows.search.text!r}"
            self._update_status()
            return
        self.notice = None
        self.current_match = entry[:2]
        self.following = False
        index = self.rows.index_of(entry[:2])
        row = self.rows.first_row(index)
        height = self.scrollable_content_region.height
        top = round(self.scroll_y)
        if not top <= row < top + height:
            self._scroll_ourselves(y=max(0, row - height // 2))
        self._update_status()
        self.refresh()

    # -- bursts -------------------------------------------------------------------------

    def _record_burst(self, burst: Burst) -> None:
        seconds = self._bursts.setdefault(burst.container_id, OrderedDict())
        first_report = burst.second not in seconds
        seconds[burst.second] = burst
        while len(seconds) > BURSTS_KEPT_PER_CONTAINER:
            seconds.popitem(last=False)
        self.burst_notice = present.burst_notice(burst, self.timezone)
        if first_report:
            self.post_message(self.BurstDetected(self, burst))

    def _forget_old_bursts(self) -> None:
        for container_id, seconds in self._bursts.items():
            oldest = self.buffer.oldest(container_id)
            if oldest is None:
                seconds.clear()
                continue
            first_second = oldest.engine_ts_ns // present.NANOSECONDS
            while seconds and next(iter(seconds)) < first_second:
                seconds.popitem(last=False)

    def _is_burst(self, line: LogLine) -> bool:
        seconds = self._bursts.get(line.container_id)
        return bool(seconds) and (line.engine_ts_ns // present.NANOSECONDS) in seconds

    # -- status line --------------------------------------------------------------------

    def _status(self) -> Text:
        palette = self._theme_palette() if self.is_mounted else None
        status = Text(no_wrap=True, end="")

        def part(text: str, style: str = "") -> None:
            if status:
                status.append(" · ")
            status.append(text, style=style)

        if self.following:
            part("following")
        else:
            part(present.new_lines_notice(self.new_lines) if self.new_lines else "paused · End to follow")
        if self.notice:
            part(self.notice, palette.warning if palette else "")
        total = len(self.buffer)
        if self.rows.filtering:
            part(f"{present.format_count(len(self.rows.visible))} of {present.format_count(total)} lines")
        else:
            part(f"{present.format_count(total)} lines")
        if self.rows.search is not None:
            matches = f"/{self.rows.search.text}/ {present.format_count(len(self.rows.matches))} matches"
            number = self.rows.match_number(self.current_match) if self.current_match else None
            if number is not None:
                matches += f" ({number} of {present.format_count(len(self.rows.matches))})"
            part(matches)
        if self.rows.filter_mode:
            part(f"filter ±{self.rows.context}" if self.rows.context else "filter")
        part(self.range_label)
        if self.burst_notice:  # last: the gutter marks the lines too, so a narrow pane may cut it
            part(self.burst_notice, palette.error if palette else "")
        return status

    def _update_status(self) -> None:
        status = self._status()
        status.append(" ")
        status = Text(" ") + status
        self.border_subtitle = status


def _range_label(since_seconds: int | None) -> str:
    if since_seconds is None:
        return "tail"
    minutes = since_seconds // 60
    return f"last {minutes // 60}h" if minutes >= 60 and minutes % 60 == 0 else f"last {minutes}m"
