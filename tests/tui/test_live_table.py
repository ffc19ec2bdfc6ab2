"""LiveTable re-renders only changed cells, and what it draws equals a fresh DataTable's."""

from __future__ import annotations

import random

from textual.app import App, ComposeResult
from textual.widgets import DataTable

from dockerforge_tui.ui.widgets.live_table import LiveTable

COLUMNS = ("name", "cpu", "memory", "uptime")


class Tables(App):
    def __init__(self, rows: dict[str, list[str]]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        yield LiveTable(id="live", cursor_type="row")
        yield DataTable(id="plain", cursor_type="row")

    def fill(self, table: DataTable, widths: dict[str, int] | None = None) -> None:
        table.clear(columns=True)
        for key in COLUMNS:
            table.add_column(key, key=key, width=(widths or {}).get(key))
        for row_key, cells in self.rows.items():
            table.add_row(*cells, key=row_key)


def screen_text(table: DataTable) -> list[str]:
    return [table.render_line(y).text for y in range(table.size.height)]


async def test_updated_cells_render_exactly_like_a_table_built_with_the_new_values():
    rng = random.Random(7)
    rows = {f"c{index}": [f"web-{index}", "0.0%", "300KiB", "5s"] for index in range(30)}
    app = Tables(rows)
    async with app.run_test(size=(60, 40)) as pilot:
        live = app.query_one("#live", LiveTable)
        plain = app.query_one("#plain", DataTable)
        assert live.fast_updates, "this Textual lacks the caches LiveTable evicts: it fell back to update_cell"
        app.fill(live)
        live.move_cursor(row=3)
        await pilot.pause()
        screen_text(live)  # warm every cache
        for round_number in range(5):
            for _ in range(8):
                row_key = f"c{rng.randrange(30)}"
                column = rng.choice(COLUMNS[1:])
                # Some values are wider than the column: the column must grow and every
                # cell after it move.
                value = f"{rng.random() * 100:.1f}%" if column == "cpu" else (
                    f"{rng.randrange(1, 999)}{rng.choice(['KiB', 'MiB', '.5GiB'])}" if column == "memory"
                    else f"{rng.randrange(1, 59)}{rng.choice('smh')}")
                rows[row_key][COLUMNS.index(column)] = value
                live.update_cell(row_key, column, value, update_width=True)
            await pilot.pause()
            # Live columns grow with wider values and never cut one; they do not shrink
            # while values change, so the reference table gets the same widths.
            widths = {key: live.columns[key].content_width for key in COLUMNS}
            assert all(widths[key] >= max(len(cells[COLUMNS.index(key)]) for cells in rows.values())
                       for key in COLUMNS)
            app.fill(plain, widths)
            plain.move_cursor(row=3)
            await pilot.pause()
            assert screen_text(live) == screen_text(plain), f"round {round_number}"


async def test_an_unchanged_cell_is_served_from_the_cache():
    rows = {f"c{index}": [f"web-{index}", "0.0%", "300KiB", "5s"] for index in range(10)}
    app = Tables(rows)
    async with app.run_test(size=(60, 20)) as pilot:
        live = app.query_one("#live", LiveTable)
        app.fill(live)
        await pilot.pause()
        screen_text(live)
        others = {key for key in live._cell_render_cache.keys() if (key[0].value, key[1].value) != ("c2", "cpu")}
        live.update_cell("c2", "cpu", "1.0%")
        await pilot.pause()
        lines = screen_text(live)
        assert "1.0%" in lines[3]
        # Only the changed cell was evicted: every other rendered cell is still cached.
        assert others <= set(live._cell_render_cache.keys())
