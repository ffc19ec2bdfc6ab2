"""The log pane's presentation and row model: pure code, tested without an app."""

from __future__ import annotations

import random
import zlib
from datetime import timezone

import pytest
from textual.theme import BUILTIN_THEMES

from dockerforge_tui.ui.presenters import logs as present
from tests.support.log_lines import SECOND, T0, log_line, numbered

UTC_STYLE = present.RowStyle(timestamps=False, source_width=0, timezone=timezone.utc)


def theme_variables(name: str = "textual-dark") -> dict[str, str]:
    return BUILTIN_THEMES[name].to_color_system().generate()


PALETTE = present.log_palette(theme_variables())


# -- text helpers ---------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "shown"), [
    ("plain text", "plain text"),
    ("\x1b[31mred\x1b[0m and \x1b[1;32mgreen\x1b[0m", "red and green"),
    ("a\tb", "a   b"),
    ("bell\x07 and nul\x00", "bell\ufffd and nul\ufffd"),
    ("carriage\rreturn", "carriage\ufffdreturn"),
])
def test_clean_text_removes_escapes_and_controls(raw, shown):
    assert present.clean_text(raw) == shown


def test_cells_bytes_and_wrapped_rows():
    assert present.text_cells("abc") == 3
    assert present.text_cells("日本") == 4
    assert present.text_bytes("abc") == 3
    assert present.text_bytes("é") == 2
    assert [present.wrapped_row_count(cells, 10) for cells in (0, 1, 10, 11, 20, 21)] == [1, 1, 1, 2, 2, 3]


def test_timestamps():
    ts = T0 + 3 * SECOND + 123_456_789
    assert present.format_clock(ts, timezone.utc) == "12:00:03.123"
    assert present.format_rfc3339(ts) == "2026-11-25T12:00:03.123456789Z"
    assert len(present.format_clock(ts)) == present.TIMESTAMP_WIDTH  # local zone, same shape


def test_counts_rates_and_notices():
    assert present.format_count(1234567) == "1,234,567"
    assert [present.format_rate(rate) for rate in (120.4, 2.0, 0.4, 12.5)] == ["120", "2", "0.4", "12"]
    assert present.new_lines_notice(1) == "paused · ↓ 1 new line · End to follow"
    assert present.new_lines_notice(1500) == "paused · ↓ 1,500 new lines · End to follow"


def test_burst_notice_names_container_rate_and_baseline():
    from dockerforge_tui.services.logs.anomaly import Burst

    burst = Burst("webid", "/web", T0 // SECOND + 3, 120, 2.2)
    assert present.burst_notice(burst, timezone.utc) == "error burst in web at 12:00:03: 120 errors/s, baseline 2.2/s"


def test_source_labels_fit_their_column():
    assert present.source_column_width(["web", "/database-primary"]) == len("database-primary")
    assert present.source_column_width(["x" * 40]) == present.SOURCE_WIDTH_LIMIT
    assert present.source_column_width([]) == 0
    assert present.source_label("web", 6) == "web   "
    assert present.source_label("database-primary", 8) == "databas…"


def test_export_line_uses_the_shown_columns_with_full_timestamps():
    line = log_line("\x1b[1mready\x1b[0m", name="api", ts=T0 + 5)
    assert present.export_line(line, timestamps=False, source_width=0) == "ready"
    assert present.export_line(line, timestamps=True, source_width=5) == "api   2026-11-25T12:00:00.000000005Z ready"


def test_default_save_name_is_safe_and_dated():
    name = present.default_save_name("/shop web", T0 / SECOND)
    assert name.startswith("dockerforge-logs-shop-web-2026112") and name.endswith(".log")
    assert "/" not in name and " " not in name


# -- search ---------------------------------------------------------------------------------


def test_literal_search_is_case_insensitive_and_escapes_regex_characters():
    query = present.parse_search("Error (db)")
    assert not query.is_regex
    assert query.matches("an ERROR (DB) happened")
    assert not query.matches("an error db happened")
    assert query.spans("error (db) and Error (Db)") == [(0, 10), (15, 25)]


def test_regex_search_with_the_prefix():
    query = present.parse_search("re:time(out|d out)")
    assert query.is_regex
    assert query.matches("request TIMED OUT")
    assert query.spans("timeout, timed out") == [(0, 7), (9, 18)]
    assert present.parse_search("re:(?-i:ERROR)").matches("ERROR") is True
    assert present.parse_search("re:(?-i:ERROR)").matches("error") is False


def test_empty_matches_are_not_highlighted_and_empty_searches_are_none():
    assert present.parse_search("re:x*").spans("abc") == []
    assert present.parse_search("") is None
    assert present.parse_search("re:") is None


@pytest.mark.parametrize("text", ["re:(", "re:[a-", "re:a{2,1}", "re:*x"])
def test_invalid_regex_is_a_one_line_error(text):
    with pytest.raises(present.SearchError) as raised:
        present.parse_search(text)
    message = str(raised.value)
    assert message.startswith("invalid regex") and "\n" not in message


# -- colours and rows -----------------------------------------------------------------------


def test_palette_comes_from_the_theme_and_is_plain_hex():
    colours = [PALETTE.muted, PALETTE.error, PALETTE.warning, PALETTE.match_background, PALETTE.match_foreground,
               PALETTE.current_background, PALETTE.current_foreground, *PALETTE.sources]
    assert all(colour.startswith("#") and len(colour) == 7 for colour in colours)
    assert len(set(PALETTE.sources)) == len(PALETTE.sources)
    light = present.log_palette(theme_variables("textual-light"))
    assert light.sources != PALETTE.sources and light.error != PALETTE.error


def test_palette_survives_a_theme_with_missing_or_odd_variables():
    palette = present.log_palette({"background": "#101010", "text-muted": "auto 60%"})
    assert palette.muted.startswith("#") and len(palette.sources) == len(present.SOURCE_COLOUR_MIXES)


def test_source_colours_are_stable_per_name():
    assert present.source_colour("web", PALETTE) == present.source_colour("/web", PALETTE)
    colours = {present.source_colour(f"service-{n}", PALETTE) for n in range(40)}
    assert len(colours) > 4  # spread over the palette
    # crc32, not the per-process salted hash(): the same colour in every session.
    assert present.source_colour("web", PALETTE) == PALETTE.sources[zlib.crc32(b"web") % len(PALETTE.sources)]


def test_sources_shown_together_get_distinct_colours_in_arrival_order():
    colliding = next((first, second) for first in ("web", "api", "db") for second in (f"svc-{n}" for n in range(200))
                     if present.source_colour(first, PALETTE) == present.source_colour(second, PALETTE))
    colours = present.assign_source_colours(colliding, PALETTE)
    assert colours[colliding[0]] == present.source_colour(colliding[0], PALETTE), "the first keeps its own"
    assert colours[colliding[1]] != colours[colliding[0]]
    # Adding sources never changes the colours of those already shown.
    more = present.assign_source_colours([*colliding, "cache", "queue"], PALETTE)
    assert {name: more[name] for name in colliding} == colours
    many = present.assign_source_colours([f"svc-{n}" for n in range(len(PALETTE.sources))], PALETTE)
    assert len(set(many.values())) == len(PALETTE.sources)
    prefix, _ = present.line_texts(log_line("x", name=colliding[1]),
                                   present.RowStyle(False, 8, timezone.utc), PALETTE, source_colours=colours)
    assert any(colours[colliding[1]].lower() in str(span.style).lower() for span in prefix.spans)


def test_line_texts_prefix_columns_and_highlights():
    style = present.RowStyle(timestamps=True, source_width=5, timezone=timezone.utc)
    line = log_line("disk ERROR on /dev/sda, error again", name="db", ts=T0, level="error")
    query = present.parse_search("error")
    prefix, body = present.line_texts(line, style, PALETTE, spans=query.spans(line.text), burst=True)
    assert prefix.plain == "▌12:00:00.000 db    "
    assert prefix.cell_len == present.prefix_width(style)
    assert body.plain == line.text
    styled = {(span.start, span.end): str(span.style) for span in body.spans}
    assert PALETTE.match_background.lower() in styled[(5, 10)].lower()
    assert PALETTE.match_background.lower() in styled[(24, 29)].lower()
    _, current = present.line_texts(line, style, PALETTE, spans=[(5, 10)], current=True)
    assert any(PALETTE.current_background.lower() in str(span.style).lower() for span in current.spans)


def test_context_lines_are_dimmed_and_plain_lines_have_no_gutter_mark():
    prefix, body = present.line_texts(log_line("x"), UTC_STYLE, PALETTE, context=True)
    assert prefix.plain == " "
    assert any(PALETTE.muted.lower() in str(span.style).lower() for span in body.spans)


def rich_row(prefix, prefix_cells, body, start, room, base, console):
    """The row the way the pane drew it before ascii_row_segments: through Rich's Text."""
    from rich.text import Text

    row = prefix.copy() if prefix is not None else Text(" " * prefix_cells, no_wrap=True, end="")
    shown = body[start:start + room]
    row.append_text(shown)
    row.append(" " * (room - len(shown)))
    row.stylize_before(base)
    return list(row.render(console))


@pytest.mark.parametrize("seed", range(6))
def test_ascii_rows_are_the_segments_rich_would_render(seed):
    from functools import partial

    from rich.console import Console
    from rich.style import Style

    console = Console(color_system="truecolor", width=200)
    get_style = partial(console.get_style, default=Style.null())
    base = Style(color="#e0e0e0", bgcolor="#1e1e1e")
    rng = random.Random(seed)
    words = ["error", "warn", "GET /api", "db", "timeout", "ok", "ERROR", "x", ""]
    for _ in range(200):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(0, 12)))
        line = log_line(text, name=rng.choice(["web", "database-primary"]), ts=T0 + rng.randint(0, 10**9),
                        level=rng.choice([None, "error", "warn", "info", "debug"]))
        style = present.RowStyle(timestamps=rng.random() < 0.5, source_width=rng.choice([0, 6, 12]),
                                 timezone=timezone.utc)
        query = present.parse_search(rng.choice(["error", "re:o+", "x", "GET"]))
        spans = query.spans(line.text) if rng.random() < 0.6 else ()
        # Overlapping matches too: the pane's search never makes them, a regex could.
        if spans and rng.random() < 0.3:
            spans = [*spans, (0, max(1, len(line.text) // 2))]
        prefix, body = present.line_texts(line, style, PALETTE, spans=spans, current=rng.random() < 0.2,
                                          burst=rng.random() < 0.2, context=rng.random() < 0.1, base_style=base)
        cells = present.prefix_width(style)
        room = rng.randint(0, 60)
        start = rng.randint(0, len(text) + 5)
        lead = prefix if rng.random() < 0.8 else None  # None: a wrapped row's blank prefix
        ours = present.ascii_row_segments(lead, cells, body, start, room, base, get_style)
        assert ours == rich_row(lead, cells, body, start, room, base, console), (text, start, room)


# -- the buffer -----------------------------------------------------------------------------


def entries_text(buffer: present.MergedLogBuffer) -> list[str]:
    return [entry[2].text for entry in buffer.entries]


def test_buffer_keeps_at_most_max_lines_per_container():
    buffer = present.MergedLogBuffer(max_lines=100, max_bytes=10**9)
    buffer.add(numbered(250, name="web"))
    buffer.add(numbered(30, name="db"))
    assert buffer.source_usage("webid")[0] == 100 and buffer.source_usage("dbid")[0] == 30
    assert len(buffer) == 130
    web_lines = [entry[2].text for entry in buffer.entries if entry[2].container_name == "web"]
    assert web_lines[0] == "line 150"


def test_buffer_keeps_at_most_max_bytes_per_container_but_always_the_newest_line():
    buffer = present.MergedLogBuffer(max_lines=10**6, max_bytes=1000)
    buffer.add([log_line("x" * 99, ts=T0 + n) for n in range(50)])
    lines, size = buffer.source_usage("webid")
    assert size <= 1000 and lines == 10
    buffer.add([log_line("y" * 5000, ts=T0 + 100)])
    assert buffer.source_usage("webid") == (1, 5000)
    assert buffer.total_bytes == 5000


def test_chatty_container_does_not_push_out_a_quiet_one():
    buffer = present.MergedLogBuffer(max_lines=50, max_bytes=10**9)
    buffer.add(numbered(5, name="quiet", t0=T0 - 100 * SECOND))
    for batch in range(20):
        buffer.add(numbered(25, name="chatty", start=batch * 25))
    assert buffer.source_usage("quietid")[0] == 5
    assert entries_text(buffer)[:5] == [f"line {n}" for n in range(5)]
    assert len(buffer) == 55


def test_batches_of_two_sources_merge_in_timestamp_order():
    buffer = present.MergedLogBuffer(max_lines=1000, max_bytes=10**9)
    buffer.add(numbered(10, name="web", step_ns=2 * SECOND // 100))          # even hundredths
    buffer.add(numbered(10, name="db", t0=T0 + SECOND // 100, step_ns=2 * SECOND // 100))  # odd ones, a batch late
    order = [entry[2].engine_ts_ns for entry in buffer.entries]
    assert order == sorted(order)
    assert [entry[2].container_name for entry in buffer.entries][:4] == ["web", "db", "web", "db"]


def test_equal_timestamps_keep_arrival_order_and_late_lines_find_their_place():
    buffer = present.MergedLogBuffer(max_lines=1000, max_bytes=10**9)
    buffer.add([log_line("a", ts=T0), log_line("b", ts=T0), log_line("d", ts=T0 + 10)])
    change = buffer.add([log_line("c", ts=T0 + 5, name="db")])
    assert entries_text(buffer) == ["a", "b", "c", "d"]
    assert (change.first_inserted, change.inserted) == (2, 1)


def test_history_of_a_second_source_interleaves_with_the_first():
    buffer = present.MergedLogBuffer(max_lines=1000, max_bytes=10**9)
    buffer.add(numbered(300, name="web", step_ns=SECOND))
    buffer.add(numbered(300, name="db", step_ns=SECOND, t0=T0 + SECOND // 2))
    names = [entry[2].container_name for entry in buffer.entries]
    assert names[:6] == ["web", "db"] * 3 and len(names) == 600


# -- rows -------------------------------------------------------------------------------------


def make_rows(max_lines: int = 10_000) -> tuple[present.MergedLogBuffer, present.LogRows]:
    buffer = present.MergedLogBuffer(max_lines, 10**9)
    return buffer, present.LogRows(buffer)


def feed(buffer, rows, lines):
    rows.apply(buffer.add(lines))


def shown(rows: present.LogRows) -> list[str]:
    return [entry[2].text for entry in rows.visible]


def test_filter_shows_matches_with_context():
    buffer, rows = make_rows()
    feed(buffer, rows, numbered(30))
    rows.set_search(present.parse_search("re:^line (5|20)$"))
    assert len(rows.matches) == 2 and len(rows.visible) == 30  # highlight mode: every line
    rows.set_filter(True)
    assert shown(rows) == ["line 5", "line 20"]
    rows.set_filter(True, context=2)
    assert shown(rows) == ["line 3", "line 4", "line 5", "line 6", "line 7",
                           "line 18", "line 19", "line 20", "line 21", "line 22"]
    feed(buffer, rows, numbered(3, start=30, text="line 2{n}"))  # "line 230" etc. don't match; no change
    assert shown(rows)[-1] == "line 22"
    feed(buffer, rows, [log_line("line 5", ts=T0 + 40 * SECOND // 100)])
    assert shown(rows)[-3:] == ["line 231", "line 232", "line 5"]


def test_filter_without_a_search_shows_everything():
    buffer, rows = make_rows()
    feed(buffer, rows, numbered(5))
    rows.set_filter(True)
    assert len(rows.visible) == 5 and not rows.filtering


def test_matches_navigation_wraps_around():
    buffer, rows = make_rows()
    feed(buffer, rows, numbered(10))
    rows.set_search(present.parse_search("re:line [258]$"))
    first = rows.next_match(None)
    assert first[2].text == "line 2"
    second = rows.next_match(first[:2])
    third = rows.next_match(second[:2])
    assert (second[2].text, third[2].text) == ("line 5", "line 8")
    assert rows.next_match(third[:2]) == first
    assert rows.previous_match(first[:2]) == third
    assert rows.previous_match(None) == third
    assert rows.match_number(second[:2]) == 2
    rows.set_search(None)
    assert rows.next_match(None) is None and rows.match_number(second[:2]) is None


def test_wrapped_rows_are_located_by_row():
    buffer, rows = make_rows()
    feed(buffer, rows, [log_line("a" * 25, ts=T0), log_line("b", ts=T0 + 1), log_line("c" * 10, ts=T0 + 2)])
    assert rows.row_count == 3 and rows.locate(1) == (1, 0)
    rows.set_wrap(10)
    assert rows.row_count == 3 + 1 + 1
    assert [rows.locate(row) for row in range(5)] == [(0, 0), (0, 1), (0, 2), (1, 0), (2, 0)]
    assert rows.locate(5) is None and rows.locate(-1) is None
    assert [rows.first_row(index) for index in range(3)] == [0, 3, 4]
    assert rows.height(0) == 3
    rows.set_wrap(None)
    assert rows.row_count == 3 and rows.max_cells == 25


def rebuilt(buffer: present.MergedLogBuffer, rows: present.LogRows) -> present.LogRows:
    fresh = present.LogRows(buffer)
    fresh.search = rows.search
    fresh.matches = fresh._matching(buffer.entries) if rows.search else []
    fresh.filter_mode, fresh.context = rows.filter_mode, rows.context
    fresh.set_wrap(rows.wrap_width)
    fresh._rebuild()
    return fresh


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(("filter_mode", "context", "wrap"), [(False, 0, None), (True, 0, 12), (True, 2, None),
                                                             (False, 0, 7), (True, 5, 9)])
def test_incremental_updates_equal_a_full_rebuild(seed, filter_mode, context, wrap):
    """Random batches from three sources, late lines and evictions: the incremental path never drifts."""
    randomiser = random.Random(seed)
    buffer, rows = make_rows(max_lines=60)
    rows.set_search(present.parse_search("re:7|err"))
    rows.set_filter(filter_mode, context)
    rows.set_wrap(wrap)
    clock = {"web": T0, "db": T0, "cache": T0}
    for _ in range(40):
        batch = []
        for _ in range(randomiser.randint(0, 30)):
            name = randomiser.choice(list(clock))
            clock[name] += randomiser.randint(0, SECOND // 10)
            text = randomiser.choice(["ok", "error here", "item 7", "x" * randomiser.randint(0, 40)])
            batch.append(log_line(text, name=name, ts=clock[name]))
        feed(buffer, rows, batch)
        fresh = rebuilt(buffer, rows)
        assert [entry[1] for entry in rows.matches] == [entry[1] for entry in fresh.matches]
        if not context:  # context near evicted lines may differ until the next rebuild (documented)
            assert [entry[1] for entry in rows.visible] == [entry[1] for entry in fresh.visible]
            assert rows.row_count == fresh.row_count
            assert [rows.locate(row) for row in range(rows.row_count)] == \
                   [fresh.locate(row) for row in range(fresh.row_count)]
    assert all(buffer.source_usage(f"{name}id")[0] <= 60 for name in clock)
    order = [entry[:2] for entry in buffer.entries]
    assert order == sorted(order)
