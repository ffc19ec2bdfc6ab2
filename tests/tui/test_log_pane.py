"""The log pane driven by Pilot on fixed lines: follow, search, filter, wrap, merge, bounds."""

from __future__ import annotations

import gc
import tracemalloc
from datetime import timezone

from rich.cells import cached_cell_len
from textual.app import App, ComposeResult

from dockerforge_tui.ui.widgets.log_pane import LogPane
from tests.support.log_lines import SECOND, T0, log_line, numbered


class PaneApp(App):
    """Just a log pane, with the range requests it posted."""

    def __init__(self, max_lines: int = 10_000, max_bytes: int = 8 * 1024 * 1024) -> None:
        super().__init__()
        self.max_lines = max_lines
        self.max_bytes = max_bytes
        self.ranges: list[int | None] = []
        self.bursts = []

    def compose(self) -> ComposeResult:
        yield LogPane(max_lines=self.max_lines, max_bytes=self.max_bytes, timezone=timezone.utc)

    def on_mount(self) -> None:
        self.query_one(LogPane).focus()

    def on_log_pane_range_requested(self, message: LogPane.RangeRequested) -> None:
        self.ranges.append(message.since_seconds)

    def on_log_pane_burst_detected(self, message: LogPane.BurstDetected) -> None:
        self.bursts.append(message.burst)


def row_text(pane: LogPane, y: int) -> str:
    return pane.render_line(y).text


def screen_text(pane: LogPane) -> list[str]:
    return [row_text(pane, y).rstrip() for y in range(pane.scrollable_content_region.height)]


async def test_follow_pauses_on_scroll_up_counts_new_lines_and_resumes_with_end():
    app = PaneApp()
    async with app.run_test(size=(80, 20)) as pilot:
        pane = app.query_one(LogPane)
        pane.append_lines(numbered(100))
        await pilot.pause()
        assert pane.following and pane.scroll_y == pane.max_scroll_y > 0
        assert screen_text(pane)[-1].strip() == "line 99"

        await pilot.press("up", "up", "up")
        assert not pane.following
        top = pane.top_line()
        pane.append_lines(numbered(25, start=100))
        await pilot.pause()
        assert pane.new_lines == 25
        assert "↓ 25 new lines" in pane.status_text
        assert pane.top_line() is top, "a paused view stays where the user put it"
        assert pane.scroll_y < pane.max_scroll_y

        await pilot.press("end")
        assert pane.following and pane.new_lines == 0
        assert pane.scroll_y == pane.max_scroll_y
        assert screen_text(pane)[-1].strip() == "line 124"
        assert pane.status_text.startswith("following")

        await pilot.press("pageup")
        assert not pane.following
        await pilot.press("G")
        assert pane.following
        pane.append_lines(numbered(5, start=125))
        await pilot.pause()
        assert screen_text(pane)[-1].strip() == "line 129"


async def test_a_paused_view_keeps_its_lines_while_old_ones_are_evicted():
    app = PaneApp(max_lines=200)
    async with app.run_test(size=(80, 20)) as pilot:
        pane = app.query_one(LogPane)
        pane.append_lines(numbered(200))
        await pilot.pause()
        await pilot.press("pageup")
        top = pane.top_line()
        pane.append_lines(numbered(50, start=200))  # evicts lines 0-49, above the view
        await pilot.pause()
        assert pane.line_count == 200
        assert pane.top_line() is top


async def test_search_n_and_shift_n_move_between_matches():
    app = PaneApp()
    async with app.run_test(size=(80, 12)) as pilot:
        pane = app.query_one(LogPane)
        lines = numbered(300, text="request {n} ok")
        for index, text in ((40, "request 40 TIMEOUT"), (42, "retry 42 timeout"), (150, "upstream timeout (150)"),
                            (260, "Timeout again 260")):
            lines[index] = log_line(text, ts=lines[index].engine_ts_ns)
        pane.append_lines(lines)
        await pilot.pause()
        assert pane.search("timeout")
        assert pane.match_count == 4
        assert "/timeout/ 4 matches" in pane.status_text
        await pilot.press("home")

        seen = []
        for _ in range(5):
            await pilot.press("n")
            seen.append(_current_text(pane))
            assert seen[-1] in [line.text for line in pane.visible_line_range()], "the match is scrolled into view"
        assert seen == ["request 40 TIMEOUT", "retry 42 timeout", "upstream timeout (150)", "Timeout again 260",
                        "request 40 TIMEOUT"]
        assert "(1 of 4)" in pane.status_text
        assert not pane.following
        await pilot.press("N")
        assert _current_text(pane) == "Timeout again 260"
        await pilot.press("N", "N", "N")
        assert _current_text(pane) == "request 40 TIMEOUT"

        # Every match is highlighted, the current one differently from the others.
        def match_background(word: str):
            row = next(y for y in range(12) if word in row_text(pane, y))
            return next(segment.style.bgcolor for segment in pane.render_line(row) if segment.text == word)

        plain = next(segment.style.bgcolor for segment in pane.render_line(0) if segment.text.strip())
        current, other = match_background("TIMEOUT"), match_background("timeout")
        assert len({plain, current, other}) == 3


def _current_text(pane: LogPane) -> str:
    index = pane.rows.index_of(pane.current_match)
    return pane.rows.visible[index][2].text


async def test_filter_mode_shows_only_matches_with_context_and_highlight_mode_keeps_all():
    app = PaneApp()
    async with app.run_test(size=(80, 30)) as pilot:
        pane = app.query_one(LogPane)
        pane.append_lines(numbered(50))
        assert pane.search("re:^line (10|30)$")
        await pilot.pause()
        assert len(pane.shown_lines) == 50  # highlight mode

        await pilot.press("f")
        assert [line.text for line in pane.shown_lines] == ["line 10", "line 30"]
        assert "2 of 50 lines" in pane.status_text and "filter" in pane.status_text
        assert [text.strip() for text in screen_text(pane)[:2]] == ["line 10", "line 30"]

        await pilot.press("c")
        assert [line.text for line in pane.shown_lines] == [
            "line 8", "line 9", "line 10", "line 11", "line 12", "line 28", "line 29", "line 30", "line 31", "line 32"]
        assert "filter ±2" in pane.status_text
        await pilot.press("c")
        assert len(pane.shown_lines) == 22
        await pilot.press("c")
        assert len(pane.shown_lines) == 2

        pane.append_lines([log_line("line 10", ts=T0 + 60 * SECOND), log_line("other", ts=T0 + 61 * SECOND)])
        await pilot.pause()
        assert [line.text for line in pane.shown_lines] == ["line 10", "line 30", "line 10"]
        assert pane.export_text() == "line 10\nline 30\nline 10\n"

        await pilot.press("f")
        assert len(pane.shown_lines) == 52
        assert pane.search("")
        assert pane.match_count == 0 and len(pane.shown_lines) == 52


async def test_invalid_regex_is_a_notice_not_a_crash():
    app = PaneApp()
    async with app.run_test(size=(80, 10)) as pilot:
        pane = app.query_one(LogPane)
        pane.append_lines(numbered(5))
        assert pane.search("re:line")
        assert not pane.search("re:(unclosed")
        await pilot.pause()
        assert pane.notice.startswith("invalid regex '(unclosed'")
        assert "invalid regex" in pane.status_text
        assert pane.search_text == "re:line"  # the previous search stays in effect
        await pilot.press("n")
        assert pane.notice is None


async def test_n_without_a_search_says_how_to_search():
    app = PaneApp()
    async with app.run_test(size=(80, 10)) as pilot:
        pane = app.query_one(LogPane)
        pane.append_lines(numbered(5))
        await pilot.press("n")
        assert "press / to search" in pane.status_text


async def test_timestamps_and_wrap_toggles():
    app = PaneApp()
    async with app.run_test(size=(60, 12)) as pilot:
        pane = app.query_one(LogPane)
        long_text = "begin " + "x" * 120 + " end"
        pane.append_lines([log_line("short", ts=T0 + 1_500_000_000), log_line(long_text, ts=T0 + 2 * SECOND)])
        await pilot.pause()
        assert screen_text(pane)[:2] == [" short", " " + long_text[:57]]
        assert pane.rows.row_count == 2 and pane.max_scroll_x > 0

        await pilot.press("t")
        assert screen_text(pane)[0] == " 12:00:01.500 short"
        await pilot.press("w")
        rows = screen_text(pane)
        assert pane.rows.row_count == 4 and pane.max_scroll_x == 0
        assert rows[1].startswith(" 12:00:02.000 begin xx")
        assert rows[2].startswith(" " * 14 + "xxx"), "continuation rows hang under the text"
        assert rows[3].rstrip().endswith("x end")
        joined = "".join(row[14:] for row in rows[1:4]).replace(" ", "")
        assert joined == long_text.replace(" ", "")

        await pilot.press("t")
        assert pane.rows.row_count == 4  # 57 cells wide now: still three rows for 130 characters
        await pilot.press("w")
        assert pane.rows.row_count == 2 and screen_text(pane)[0] == " short"


async def test_wrap_follows_the_width_when_resized():
    app = PaneApp()
    async with app.run_test(size=(60, 12)) as pilot:
        pane = app.query_one(LogPane)
        pane.append_lines([log_line("y" * 200)])
        await pilot.press("w")
        narrow = pane.rows.row_count
        await pilot.resize_terminal(120, 12)
        await pilot.pause()
        assert pane.rows.row_count < narrow


async def test_two_sources_merge_by_timestamp_each_with_a_prefix_column():
    app = PaneApp()
    async with app.run_test(size=(80, 12)) as pilot:
        pane = app.query_one(LogPane)
        pane.append_lines([log_line(f"web {n}", name="web", ts=T0 + n * 20) for n in range(4)])
        await pilot.pause()
        assert screen_text(pane)[0] == " web 0", "one source: no source column"
        pane.append_lines([log_line(f"db {n}", name="db", ts=T0 + n * 20 + 10) for n in range(4)])
        await pilot.pause()
        assert [line.text for line in pane.shown_lines] == ["web 0", "db 0", "web 1", "db 1",
                                                            "web 2", "db 2", "web 3", "db 3"]
        assert screen_text(pane)[:2] == [" web web 0", " db  db 0"]
        web_style = next(segment.style for segment in pane.render_line(0) if segment.text.startswith("web"))
        db_style = next(segment.style for segment in pane.render_line(1) if segment.text.startswith("db"))
        assert web_style.color != db_style.color
        assert set(pane.source_names) == {"web", "db"}


async def test_range_keys_ask_the_screen_to_restart():
    app = PaneApp()
    async with app.run_test(size=(80, 10)) as pilot:
        pane = app.query_one(LogPane)
        await pilot.press("1", "2", "3", "0")
        await pilot.pause()
        assert app.ranges == [60, 900, 3600, None]
        await pilot.press("2")
        await pilot.pause()
        assert "last 15m" in pane.status_text


async def test_error_burst_marks_its_lines_and_shows_a_notice():
    app = PaneApp()
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.query_one(LogPane)
        for second in range(10):
            pane.append_lines([log_line("ok", ts=T0 + second * SECOND + n) for n in range(5)]
                              + [log_line("db error", level="error", ts=T0 + second * SECOND + 10)])
        await pilot.pause()
        assert pane.burst_notice is None
        pane.append_lines([log_line(f"failed {n}", level="error", ts=T0 + 10 * SECOND + n) for n in range(40)])
        await pilot.pause()
        assert pane.burst_notice == "error burst in web at 12:00:10: 40 errors/s, baseline 1/s"
        assert "error burst in web" in pane.status_text
        assert [burst.errors for burst in app.bursts] == [40]  # posted once per burst second
        rows = screen_text(pane)
        assert rows[-1].startswith("▌failed 39")
        assert all(row.startswith(" ") for row in rows if "ok" in row or "db error" in row)


def request_lines(start: int, count: int, batch: int) -> list[list]:
    return [[log_line(f"request {n} served in 12ms path=/api/v1/items/{n}", ts=T0 + n * 200_000)
             for n in range(first, first + batch)] for first in range(start, start + count, batch)]


async def test_buffer_stays_bounded_and_memory_stops_growing():
    app = PaneApp(max_lines=10_000, max_bytes=1024 * 1024)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.query_one(LogPane)
        for batch in request_lines(0, 200_000, 5000):
            pane.append_lines(batch)
            await pilot.pause()  # a frame per batch, as when streaming
        lines, size = pane.buffer.source_usage("webid")
        assert pane.line_count == lines == 10_000
        assert size == pane.buffer.total_bytes <= 1024 * 1024
        assert pane.rows.row_count == lines
        assert pane.shown_lines[-1].text.startswith("request 199999 ")

        # The lines are made before tracing: what is measured is what the pane keeps.
        warm_up, more = request_lines(200_000, 20_000, 2000), request_lines(220_000, 100_000, 2000)
        tracemalloc.start()
        try:
            before = await traced_after(pilot, pane, warm_up)  # everything the pane holds is now traced
            after = await traced_after(pilot, pane, more)
        finally:
            tracemalloc.stop()
        assert pane.line_count == lines
        # Anything kept per line costs at least a list slot (8 bytes: 800 kB for 100k lines);
        # the allowance covers allocator noise (free lists, deque blocks) only.
        assert after - before < 500_000, f"the pane grew by {after - before} bytes for 100k more lines"


async def traced_after(pilot, pane: LogPane, batches: list[list]) -> int:
    """Append ``batches``, draw, and return the traced memory once Rich's global cell-width cache is emptied."""
    for batch in batches:
        pane.append_lines(batch)
    batches.clear()
    await pilot.pause()
    cached_cell_len.cache_clear()  # a bounded global cache (4096 strings), not the pane's
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


async def test_horizontal_scroll_moves_the_text_but_keeps_the_columns():
    app = PaneApp()
    async with app.run_test(size=(40, 8)) as pilot:
        pane = app.query_one(LogPane)
        pane.append_lines([log_line("a" * 30 + "TAIL" + "b" * 30, name="web", ts=T0),
                           log_line("short", name="db", ts=T0 + 1)])
        await pilot.pause()
        assert screen_text(pane)[0].startswith(" web " + "a" * 20)
        for _ in range(30):
            await pilot.press("right")
        assert screen_text(pane)[0].startswith(" web TAIL"), "the source column stays put"


async def test_a_theme_change_recolours_the_rows():
    app = PaneApp()
    async with app.run_test(size=(60, 8)) as pilot:
        pane = app.query_one(LogPane)
        pane.append_lines([log_line("boom", level="error")])
        await pilot.pause()
        before = next(segment.style.color for segment in pane.render_line(0) if segment.text == "boom")
        app.theme = "textual-light"
        await pilot.pause()
        after = next(segment.style.color for segment in pane.render_line(0) if segment.text == "boom")
        assert before != after


async def test_a_change_of_height_alone_keeps_the_drawn_rows():
    # The search prompt opening shrinks the pane by one row: nothing needs drawing again.
    app = PaneApp()
    async with app.run_test(size=(80, 20)) as pilot:
        pane = app.query_one(LogPane)
        pane.append_lines(numbered(100))
        await pilot.pause()
        bottom = pane.scrollable_content_region.height - 1
        drawn = pane.render_line(bottom)
        await pilot.resize_terminal(80, 19)
        await pilot.pause()
        assert pane.following and screen_text(pane)[-1].strip() == "line 99"
        assert pane.render_line(pane.scrollable_content_region.height - 1) is drawn
        await pilot.resize_terminal(70, 19)
        await pilot.pause()
        redrawn = pane.render_line(pane.scrollable_content_region.height - 1)
        assert redrawn is not drawn and redrawn.text.strip() == "line 99"
