"""A table of engine objects (images, volumes, networks): one row per object, marks, a chosen sort.

Rows are keyed by the object's id and updated cell by cell, so a refresh that changes
one size does not rebuild the table and the cursor stays on its object.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Generic, Iterable, Mapping, Sequence, TypeVar

from rich.text import Text
from textual.message import Message
from textual.widgets.data_table import RowDoesNotExist

from dockerforge_tui.ui.palette import theme_palette
from dockerforge_tui.ui.widgets.settled_table import SettledTable

T = TypeVar("T")
Cells = Mapping[str, "Text | str"]
PALETTE_NAMES = ("success", "warning", "error", "text-muted", "accent")
MARK = "•"
MARK_COLUMN = "mark"


@dataclass(frozen=True)
class Column:
    """One column: its key (as the cells function names it), header and fixed width (None: automatic)."""

    key: str
    label: str
    width: int | None = None


@dataclass(frozen=True)
class SortOrder:
    """One way to order rows: a key function over a record, ascending in the order a person expects."""

    column: str
    key: Callable[[Any], Any]


class ObjectTable(SettledTable, Generic[T]):
    """Shows records of one kind, keyed by ``key_of(record)``.

    ``cells(record, palette)`` gives the text of every column but the mark; ``orders``
    are the sorts the person can cycle through (the first is the default). The table
    keeps its own copy of the records and never talks to Docker.
    """

    DEFAULT_CSS = """
    ObjectTable { height: 1fr; }
    """

    class ViewChanged(Message):
        """The set or order of the rows changed (a new list, a sort)."""

    def __init__(self, columns: Sequence[Column], cells: Callable[[T, Mapping[str, str]], Cells],
                 key_of: Callable[[T], str], orders: Sequence[SortOrder], **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        if not orders:
            raise ValueError("an ObjectTable needs at least one sort order")
        self._columns = (Column(MARK_COLUMN, " ", 1), *columns)
        self._cells_of = cells
        self._key_of = key_of
        self._orders = {order.column: order for order in orders}
        self._records: dict[str, T] = {}
        self._shown: dict[str, dict[str, Text | str]] = {}
        self._marked: set[str] = set()
        self.sort_column = orders[0].column
        self.sort_reverse = False

    def on_mount(self) -> None:
        for column in self._columns:
            self.add_column(column.label, key=column.key, width=column.width)

    # -- what the table shows ---------------------------------------------------------

    @property
    def sortable(self) -> tuple[str, ...]:
        """The columns the rows can be sorted by, in cycling order."""
        return tuple(self._orders)

    @property
    def keys(self) -> tuple[str, ...]:
        """Keys of the rows, in display order."""
        return tuple(row.key.value for row in self.ordered_rows)

    @property
    def records(self) -> tuple[T, ...]:
        """Every record, in display order."""
        return tuple(self._records[key] for key in self.keys if key in self._records)

    def record(self, key: str) -> T | None:
        """The record shown under ``key``."""
        return self._records.get(key)

    @property
    def selected(self) -> T | None:
        """The record under the cursor."""
        key = self._cursor_key()
        return self._records.get(key) if key is not None else None

    @property
    def marked_keys(self) -> frozenset[str]:
        """Marked rows that still exist."""
        return frozenset(self._marked & self._records.keys())

    def targets(self) -> tuple[T, ...]:
        """What an action acts on: the marked records in display order, or else the one under the cursor."""
        if self.marked_keys:
            return tuple(self._records[key] for key in self.keys if key in self._marked)
        selected = self.selected
        return (selected,) if selected is not None else ()

    def select(self, key: str) -> bool:
        """Put the cursor on one record's row; False when there is no such row."""
        if key not in self._shown:
            return False
        self.move_cursor(row=self.get_row_index(key), animate=False)
        return True

    # -- updates ----------------------------------------------------------------------

    def replace_records(self, records: Iterable[T]) -> None:
        """Show exactly these records: rows are added, changed or removed, never rebuilt."""
        incoming = {self._key_of(record): record for record in records}
        self._records = incoming
        self._marked &= incoming.keys()
        self._sync()

    def refresh_cells(self) -> None:
        """Recompute every row's cells (the clock moved, the theme changed); only changed cells are touched."""
        for key in self._shown:
            self._refresh_row(key)

    def sort_by(self, column: str, reverse: bool = False) -> None:
        """Order rows by one of :attr:`sortable`."""
        if column not in self._orders:
            raise ValueError(f"cannot sort by {column!r}")
        self.sort_column, self.sort_reverse = column, reverse
        self._sync()

    def sort_next(self) -> None:
        """Sort by the next sortable column."""
        columns = self.sortable
        position = columns.index(self.sort_column) if self.sort_column in columns else -1
        self.sort_by(columns[(position + 1) % len(columns)])

    def toggle_mark(self, key: str) -> None:
        """Mark or unmark one row for a bulk action."""
        if key in self._marked:
            self._marked.discard(key)
        elif key in self._records:
            self._marked.add(key)
        if key in self._shown:
            self._set_cell(key, MARK_COLUMN, self._mark_cell(key))

    def clear_marks(self) -> None:
        """Unmark every row."""
        for key in list(self._marked):
            self.toggle_mark(key)

    # -- internals --------------------------------------------------------------------

    def _wanted_order(self) -> list[str]:
        order = self._orders[self.sort_column]
        ranked = sorted(self._records.items(), key=lambda item: (order.key(item[1]), item[0]),
                        reverse=self.sort_reverse)
        return [key for key, _ in ranked]

    def _sync(self) -> None:
        """Make the rows match the records and the sort, keeping the cursor on its record."""
        cursor_key = self._cursor_key()
        wanted = self._wanted_order()
        changed = False
        for key in [key for key in self._shown if key not in self._records]:
            self._shown.pop(key)
            try:
                self.remove_row(key)
            except RowDoesNotExist:
                pass
            changed = True
        for key in wanted:
            if key in self._shown:
                self._refresh_row(key)
            else:
                cells = self._cells(key)
                self.add_row(*(cells[column.key] for column in self._columns), key=key)
                self._shown[key] = cells
                changed = True
        if list(self.keys) != wanted:
            # DataTable sorts on cell values only; each row's mark cell is its own object,
            # so its identity tells the rows apart whatever they show.
            position = {id(self._shown[key][MARK_COLUMN]): index for index, key in enumerate(wanted)}
            self.sort(MARK_COLUMN, key=lambda mark: position.get(id(mark), len(position)))
            changed = True
        if cursor_key is not None and cursor_key in self._shown:
            index = self.get_row_index(cursor_key)
            if index != self.cursor_row:
                self.move_cursor(row=index, animate=False)
        if changed:
            self.post_message(self.ViewChanged())

    def _cursor_key(self) -> str | None:
        if not self.row_count:
            return None
        return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value

    def _palette(self) -> dict[str, str]:
        # theme_palette resolves relative colours ("auto 60%") that Rich cannot parse.
        try:
            return theme_palette(self.app, PALETTE_NAMES)
        except Exception:  # not mounted in an app yet
            return {}

    def _mark_cell(self, key: str) -> Text:
        return Text(MARK if key in self._marked else " ", style=self._palette().get("accent", ""))

    def _cells(self, key: str) -> dict[str, Text | str]:
        cells = dict(self._cells_of(self._records[key], self._palette()))
        cells[MARK_COLUMN] = self._mark_cell(key)
        return cells

    def _refresh_row(self, key: str) -> None:
        for column, value in self._cells(key).items():
            if column != MARK_COLUMN:
                self._set_cell(key, column, value)

    def _set_cell(self, key: str, column: str, value: Text | str) -> None:
        shown = self._shown.get(key)
        if shown is None or shown.get(column) == value:
            return
        shown[column] = value
        self.update_cell(key, column, value, update_width=True)
