"""``FrameTable``: a lazy table of a pandas DataFrame for the console.

Why not Textual's ``DataTable`` or textual-fastdatatable: both measure every cell with Rich
to size the columns (Textual's keeps a Python object per row, too), which costs seconds on
40,000 Cyrillic names and about 0.3 s per filter.  This widget is a ``ScrollView`` on the
Line API, the way toolong draws its logs:

* the data stays in the DataFrame; a sort is an order of row positions computed in pandas
  (stable, missing values last), never a reordered copy of the frame;
* column widths come once per frame from vectorised string lengths (``.str.len().max()``) or,
  for numbers, from the formatted extremes, then are capped; no cell is measured with Rich
  except those on screen;
* ``render_line`` formats and fits only the rows on screen (fetched in blocks of 64 rows
  with ``take``), so a filter, a clear or a sort costs the pandas work plus one screenful.

Colours are never hard-coded: rows and cells are styled through component classes whose
CSS uses the theme's variables (``$text-success``, ``$block-cursor-background`` …), so the
table follows ``App.theme``, the 16-colour ANSI theme and ``NO_COLOR``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Iterable, Literal

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from sferum_tui.i18n import tr

if TYPE_CHECKING:  # pandas/numpy are imported lazily: the module loads before any data.
    import numpy as np
    import pandas as pd

__all__ = ["Column", "FrameTable", "STYLE_NAMES"]

Align = Literal["left", "right"]

STYLE_NAMES = ("success", "warning", "error", "muted", "accent", "primary", "secondary", "bold")
"""Style names a ``Column.style_fn`` may return; each is a component class of the table
(``frametable--<name>``) styled from the theme.  Any other name is looked up among the
theme's variables (e.g. ``"text-error"``, ``"foreground-muted"``); an unknown name is ignored."""

ELLIPSIS = "…"
MARK = "●"
SORT_ASC = "▲"
SORT_DESC = "▼"
BLOCK_ROWS = 64
DEFAULT_MAX_TEXT_WIDTH = 32
DEFAULT_MAX_NUMBER_WIDTH = 14

# Control characters (a newline inside a merged Excel cell, a tab) would break a line.
_CONTROL = {c: " " for c in (*range(0x20), 0x7F)}


@dataclass(frozen=True)
class Column:
    """How one DataFrame column is shown.

    Args:
        key: The DataFrame column name.  A column missing from a frame shows as empty cells.
        label: Header text (defaults to ``key``).
        width: A fixed width in cells, or ``None`` to size it from the data once per frame.
        align: ``"left"`` or ``"right"``; ``None`` (the default) right-aligns numbers.
        formatter: ``value -> str`` for non-missing values (missing values show ``null_rep``).
        style_fn: ``value -> style name | None``; a name from ``STYLE_NAMES`` (or a theme
            variable), resolved against the current theme at render time.  Receives ``None``
            for a missing value.
        max_width: Cap for the automatic width (defaults: 32 for text, 14 for numbers).
        min_width: Floor for the automatic width.
    """

    key: str
    label: str | None = None
    width: int | None = None
    align: Align | None = None
    formatter: Callable[[Any], str] | None = None
    style_fn: Callable[[Any], str | None] | None = None
    max_width: int | None = None
    min_width: int = 1

    @property
    def title(self) -> str:
        return self.key if self.label is None else self.label


@dataclass
class _Layout:
    """A column resolved against one frame."""

    column: Column
    width: int
    align: Align
    present: bool
    values: Any = None  # numpy array or pandas ExtensionArray, source order


def _fit(text: str, width: int, align: Align) -> str:
    """Pad or cut ``text`` to exactly ``width`` cells, with an ellipsis when cut."""
    if width <= 0:
        return ""
    if not text.isprintable():
        text = text.translate(_CONTROL)
    length = cell_len(text)
    if length > width:
        text = set_cell_size(text, width - 1) + ELLIPSIS if width > 1 else ELLIPSIS
        return text
    if length == width:
        return text
    pad = " " * (width - length)
    return text + pad if align == "left" else pad + text


def _default_format(value: Any) -> str:
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.2f}"
    if isinstance(value, bool):
        return tr("да", "yes") if value else tr("нет", "no")
    return str(value)


class FrameTable(ScrollView, can_focus=True):
    """A read-only, keyboard-first table of a pandas DataFrame that draws only what is visible.

    Args:
        frame: The DataFrame to show (or ``None`` to set it later with ``set_frame``).
        columns: Column specs, in display order; ``None`` shows every frame column.
        key_column: The column holding a stable row key (e.g. ``"org_id"``); ``None`` uses
            the frame's index.  Cursor, marks and messages speak in keys.
        show_marks: Reserve a marker column (``●``) for marked rows.
        marked: Keys marked initially.
        zebra_stripes: Alternate row backgrounds.
        fixed_columns: How many leading columns stay put when scrolling horizontally.
        sort_on_click: Sort by a column when its header is clicked (``HeaderClicked`` is
            posted either way).
        null_rep: Text of a missing value.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k,л", "cursor_up", "Up", show=False, id="frametable.cursor_up"),
        Binding("down,j,о", "cursor_down", "Down", show=False, id="frametable.cursor_down"),
        Binding("pageup", "page_up", "Page up", show=False, id="frametable.page_up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="frametable.page_down"),
        Binding("home", "first_row", "First row", show=False, id="frametable.first_row"),
        Binding("end", "last_row", "Last row", show=False, id="frametable.last_row"),
        Binding("left", "scroll_column_left", "Left", show=False, id="frametable.left"),
        Binding("right", "scroll_column_right", "Right", show=False, id="frametable.right"),
        Binding("enter", "select_row", "Open", show=False, id="frametable.select"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "frametable--header",
        "frametable--header-sorted",
        "frametable--cursor",
        "frametable--even-row",
        "frametable--odd-row",
        "frametable--marker",
        *(f"frametable--{name}" for name in STYLE_NAMES),
    }

    DEFAULT_CSS = """
    FrameTable {
        background: $surface;
        color: $foreground;
        height: 1fr;
        scrollbar-size-horizontal: 1;
        & > .frametable--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        & > .frametable--header-sorted {
            text-style: bold;
            background: $panel;
            color: $text-accent;
        }
        &:ansi > .frametable--header {
            background: ansi_bright_blue;
            color: ansi_default;
        }
        & > .frametable--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus > .frametable--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
        & > .frametable--even-row {
            background: $surface-lighten-1 50%;
        }
        &:dark > .frametable--even-row {
            background: $surface-darken-1 40%;
        }
        & > .frametable--odd-row {
        }
        & > .frametable--marker { color: $text-accent; text-style: bold; }
        & > .frametable--success { color: $text-success; }
        & > .frametable--warning { color: $text-warning; }
        & > .frametable--error { color: $text-error; text-style: bold; }
        & > .frametable--muted { color: $text-muted; }
        & > .frametable--accent { color: $text-accent; }
        & > .frametable--primary { color: $text-primary; }
        & > .frametable--secondary { color: $text-secondary; }
        & > .frametable--bold { text-style: bold; }
    }
    """

    class RowHighlighted(Message):
        """The cursor moved to another row (``key`` is ``None`` when the table is empty)."""

        def __init__(self, table: FrameTable, key: Any, row: int) -> None:
            super().__init__()
            self.table = table
            self.key = key
            self.row = row

        @property
        def control(self) -> FrameTable:
            return self.table

    class RowSelected(Message):
        """Enter (or a double click) on a row."""

        def __init__(self, table: FrameTable, key: Any, row: int) -> None:
            super().__init__()
            self.table = table
            self.key = key
            self.row = row

        @property
        def control(self) -> FrameTable:
            return self.table

    class HeaderClicked(Message):
        """A column header was clicked."""

        def __init__(self, table: FrameTable, column_key: str) -> None:
            super().__init__()
            self.table = table
            self.column_key = column_key

        @property
        def control(self) -> FrameTable:
            return self.table

    def __init__(
        self,
        frame: pd.DataFrame | None = None,
        columns: Iterable[Column] | None = None,
        *,
        key_column: str | None = None,
        show_marks: bool = True,
        marked: Iterable[Any] = (),
        zebra_stripes: bool = False,
        fixed_columns: int = 0,
        sort_on_click: bool = True,
        null_rep: str = "—",
        name: str | None = None,
        id: str | None = None,  # noqa: A002 - Textual's name
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._columns: list[Column] | None = list(columns) if columns is not None else None
        self.key_column = key_column
        self.show_marks = show_marks
        self._marked: set[Any] = set(marked)
        self.zebra_stripes = zebra_stripes
        self.fixed_columns = max(0, fixed_columns)
        self.sort_on_click = sort_on_click
        self.null_rep = null_rep

        self._frame: pd.DataFrame | None = None
        self._pending: pd.DataFrame | None = frame
        self._layout: list[_Layout] = []
        self._offsets: list[int] = []  # start cell of each column, after the marker column
        self._total_width = 0
        self._fixed_width = 0
        self._keys: np.ndarray | None = None
        self._order: np.ndarray | None = None  # view row -> source position; None = as is
        self._row_count = 0
        self._cursor = 0
        self._sort: tuple[str, bool] | None = None
        self._last_key: Any = object()
        self._blocks: LRUCache[int, list[tuple[Any, list[str], list[str | None]]]] = LRUCache(64)
        self._styles: dict[str, Style] = {}
        self._na: tuple[Any, ...] = ()
        self._ready = False  # mounted: sizes known, messages can be posted
        self.render_line_count = 0
        """How many lines this widget has rendered (for tests and benchmarks)."""

    # ------------------------------------------------------------------ public state

    @property
    def frame(self) -> pd.DataFrame | None:
        """The frame as last given to ``set_frame`` (unsorted)."""
        return self._frame if self._frame is not None else self._pending

    @property
    def columns(self) -> list[Column]:
        return list(self._columns or [])

    @property
    def column_widths(self) -> dict[str, int]:
        """Width in cells of each column for the current frame."""
        return {lay.column.key: lay.width for lay in self._layout}

    @property
    def row_count(self) -> int:
        return self._row_count

    @property
    def cursor_row(self) -> int:
        """Index of the cursor row in the displayed (sorted) order."""
        return self._cursor

    @property
    def cursor_key(self) -> Any:
        """Key of the cursor row, or ``None`` when the table is empty."""
        return self.key_at(self._cursor)

    @property
    def sort_column(self) -> str | None:
        return self._sort[0] if self._sort else None

    @property
    def sort_reverse(self) -> bool:
        return bool(self._sort and self._sort[1])

    @property
    def marked(self) -> frozenset[Any]:
        return frozenset(self._marked)

    def key_at(self, row: int) -> Any:
        """Key of the displayed row ``row`` (or ``None`` when out of range)."""
        if self._keys is None or not 0 <= row < self._row_count:
            return None
        position = row if self._order is None else int(self._order[row])
        key = self._keys[position]
        return key.item() if hasattr(key, "item") else key

    def row_of(self, key: Any) -> int | None:
        """Displayed row index of ``key``, or ``None`` when it is not in the frame."""
        import numpy as np

        if self._keys is None or key is None or self._row_count == 0:
            return None
        try:
            hits = np.flatnonzero(self._keys == key)
        except (TypeError, ValueError):
            return None
        if not len(hits):
            return None
        position = int(hits[0])
        if self._order is None:
            return position
        return int(np.flatnonzero(self._order == position)[0])

    def keys_in_view(self) -> list[Any]:
        """All keys in the displayed order (e.g. to export what the user sees)."""
        if self._keys is None:
            return []
        keys = self._keys if self._order is None else self._keys[self._order]
        return keys.tolist()

    def view_frame(self) -> pd.DataFrame | None:
        """The frame in the displayed order (a copy; for exports, not for every repaint)."""
        if self._frame is None:
            return None
        return self._frame if self._order is None else self._frame.iloc[self._order]

    # ------------------------------------------------------------------ changing data

    def set_columns(self, columns: Iterable[Column]) -> None:
        """Replace the column specs (and re-measure)."""
        self._columns = list(columns)
        if self._frame is not None:
            self.set_frame(self._frame, keep_cursor_key=True, measure=True)

    def set_frame(
        self,
        frame: pd.DataFrame,
        *,
        keep_cursor_key: bool = True,
        measure: bool = True,
    ) -> None:
        """Show ``frame`` (a filtered, re-sorted or new week's frame).

        The current sort is applied to it.  With ``keep_cursor_key`` the cursor stays on the
        same key (at the same height on screen) when the key is still there; otherwise the
        cursor row index is clamped.  ``measure=False`` keeps the current column widths (a
        steady layout while filtering the same snapshot); widths are always measured for the
        first frame or when the columns changed.
        """
        if not self._ready:
            self._pending = frame
            return
        import pandas as pd

        old_key = self.cursor_key if keep_cursor_key else None
        old_row = self._cursor
        screen_offset = old_row - round(self.scroll_offset.y)

        self._na = (pd.NA, pd.NaT)
        if self._columns is None:
            self._columns = [Column(str(name)) for name in frame.columns if name != self.key_column]
        same_columns = [lay.column for lay in self._layout] == self._columns
        self._frame = frame
        self._row_count = len(frame)
        if self.key_column is not None and self.key_column in frame.columns:
            self._keys = frame[self.key_column].to_numpy()
        else:
            self._keys = frame.index.to_numpy()
        self._prepare_layout(frame, measure=measure or not same_columns)
        self._order = self._compute_order()
        self._blocks.clear()

        row = self.row_of(old_key) if old_key is not None else None
        if row is None:
            row = min(old_row, max(0, self._row_count - 1))
        self._cursor = row
        self.virtual_size = Size(self._total_width, self._row_count + 1)
        # Keep the cursor where the eye left it: same line on screen when possible.
        self.scroll_to(y=max(0, row - screen_offset), animate=False)
        self._scroll_cursor_into_view()
        self.refresh()
        self._post_highlight()

    def sort_by(self, column_key: str, reverse: bool | None = None) -> None:
        """Sort by a column (stable, missing values last); ``reverse=None`` toggles the
        direction when the table is already sorted by that column, else sorts ascending."""
        if column_key not in {lay.column.key for lay in self._layout}:
            raise KeyError(f"no column {column_key!r} in this table")
        if reverse is None:
            reverse = (not self._sort[1]) if self._sort and self._sort[0] == column_key else False
        self._sort = (column_key, bool(reverse))
        self._reorder()

    def clear_sort(self) -> None:
        """Back to the frame's own order."""
        self._sort = None
        self._reorder()

    def _reorder(self) -> None:
        key = self.cursor_key
        self._order = self._compute_order()
        self._blocks.clear()
        row = self.row_of(key)
        if row is not None:
            self._cursor = row
        self._scroll_cursor_into_view()
        self.refresh()
        self._post_highlight()

    # ------------------------------------------------------------------ cursor and marks

    def move_cursor(self, row: int, *, scroll: bool = True) -> None:
        """Move the cursor to displayed row ``row`` (clamped)."""
        if self._row_count == 0:
            return
        row = max(0, min(row, self._row_count - 1))
        old = self._cursor
        self._cursor = row
        if scroll:
            self._scroll_cursor_into_view()
        if old != row:
            self._refresh_row(old)
            self._refresh_row(row)
        self._post_highlight()

    def move_cursor_to_key(self, key: Any) -> bool:
        """Move the cursor to ``key``; ``False`` when the key is not shown."""
        row = self.row_of(key)
        if row is None:
            return False
        self.move_cursor(row)
        return True

    def set_marked(self, keys: Iterable[Any]) -> None:
        """Replace the set of marked keys."""
        self._marked = set(keys)
        self.refresh()

    def toggle_mark(self, key: Any = None) -> bool:
        """Toggle the mark of ``key`` (default: the cursor row); returns the new state."""
        if key is None:
            key = self.cursor_key
        if key is None:
            return False
        if key in self._marked:
            self._marked.discard(key)
            state = False
        else:
            self._marked.add(key)
            state = True
        row = self.row_of(key)
        if row is not None:
            self._refresh_row(row)
        return state

    # ------------------------------------------------------------------ actions

    @property
    def _page_rows(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def action_cursor_up(self) -> None:
        self.move_cursor(self._cursor - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(self._cursor + 1)

    def action_page_up(self) -> None:
        self.move_cursor(self._cursor - self._page_rows)

    def action_page_down(self) -> None:
        self.move_cursor(self._cursor + self._page_rows)

    def action_first_row(self) -> None:
        self.move_cursor(0)

    def action_last_row(self) -> None:
        self.move_cursor(self._row_count - 1)

    def action_select_row(self) -> None:
        if self._row_count:
            self.post_message(self.RowSelected(self, self.cursor_key, self._cursor))

    def action_scroll_column_right(self) -> None:
        x = round(self.scroll_offset.x)
        target = next((o for o in self._scroll_stops() if o > x), None)
        if target is not None:
            self.scroll_to(x=min(target, self.max_scroll_x), animate=False)

    def action_scroll_column_left(self) -> None:
        x = round(self.scroll_offset.x)
        target = max((o for o in self._scroll_stops() if o < x), default=0)
        self.scroll_to(x=target, animate=False)

    def _scroll_stops(self) -> list[int]:
        """Horizontal scroll positions that put a scrollable column at the left edge."""
        base = self._fixed_width
        return [self._offsets[i] - base for i in range(self.fixed_columns, len(self._layout))]

    # ------------------------------------------------------------------ events

    def on_mount(self) -> None:
        self._ready = True
        if self._pending is not None:
            frame, self._pending = self._pending, None
            self.set_frame(frame)

    def on_resize(self, event: events.Resize) -> None:
        self._scroll_cursor_into_view()

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        x, y = offset
        if y == 0:
            column = self._column_at(x)
            if column is not None:
                self.post_message(self.HeaderClicked(self, column))
                if self.sort_on_click:
                    self.sort_by(column)
            return
        row = round(self.scroll_offset.y) + y - 1
        if 0 <= row < self._row_count:
            self.move_cursor(row, scroll=False)
            if event.chain >= 2:
                self.action_select_row()

    def _column_at(self, x: int) -> str | None:
        """Column key under content cell ``x`` (accounting for scrolling and fixed columns)."""
        if x >= self._fixed_width:
            x += round(self.scroll_offset.x)
        for lay, start in zip(self._layout, self._offsets):
            if start <= x < start + lay.width + 1:
                return lay.column.key
        return None

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles.clear()
        self.refresh()

    # ------------------------------------------------------------------ internals

    def _post_highlight(self) -> None:
        key = self.cursor_key
        if key != self._last_key or (key is None and self._last_key is not None):
            self._last_key = key
            self.post_message(self.RowHighlighted(self, key, self._cursor))

    def _refresh_row(self, row: int) -> None:
        self.refresh_lines(row + 1)  # virtual line: the header is line 0

    def _scroll_cursor_into_view(self) -> None:
        if not self._ready:
            return
        visible = self._page_rows
        top = round(self.scroll_offset.y)
        row = self._cursor
        if row < top:
            self.scroll_to(y=row, animate=False)
        elif row >= top + visible:
            self.scroll_to(y=row - visible + 1, animate=False)

    def _prepare_layout(self, frame: pd.DataFrame, *, measure: bool) -> None:
        import numpy as np
        import pandas as pd

        old = {lay.column.key: lay.width for lay in self._layout}
        layout: list[_Layout] = []
        for column in self._columns or []:
            present = column.key in frame.columns
            series = frame[column.key] if present else None
            numeric = bool(
                present
                and pd.api.types.is_numeric_dtype(series.dtype)
                and not pd.api.types.is_bool_dtype(series.dtype)
            )
            align: Align = column.align or ("right" if numeric else "left")
            if column.width is not None:
                width = column.width
            elif not measure and column.key in old:
                width = old[column.key]
            else:
                width = self._measure(column, series, numeric)
            values = None
            if present:
                dtype = series.dtype
                values = series.to_numpy() if isinstance(dtype, np.dtype) else series.array
            layout.append(_Layout(column, max(1, width), align, present, values))
        self._layout = layout
        marker = 2 if self.show_marks else 1
        offsets, x = [], marker
        for lay in layout:
            offsets.append(x)
            x += lay.width + 1
        self._offsets = offsets
        self._total_width = x
        fixed = min(self.fixed_columns, len(layout))
        self._fixed_width = offsets[fixed] if fixed < len(layout) else x

    def _measure(self, column: Column, series: pd.Series | None, numeric: bool) -> int:
        """Width from the data without touching each cell with Rich."""
        import pandas as pd

        cap = column.max_width or (DEFAULT_MAX_NUMBER_WIDTH if numeric else DEFAULT_MAX_TEXT_WIDTH)
        label = cell_len(column.title) + 1  # room for the sort arrow
        data = 0
        if series is not None and len(series):
            if series.hasnans:
                data = len(self.null_rep)
            values = series.dropna()
            if len(values):
                if column.formatter is not None:
                    unique = values.drop_duplicates()
                    if len(unique) > 4096:
                        unique = pd.concat(
                            [unique.nlargest(8) if numeric else unique.head(0),
                             unique.nsmallest(8) if numeric else unique.head(0),
                             unique.sample(4096, random_state=0)]
                        )
                    texts = pd.Series([column.formatter(v) for v in unique.tolist()], dtype=object)
                    data = max(data, int(texts.str.len().max()))
                elif numeric:
                    data = max(data, self._numeric_width(values))
                elif pd.api.types.is_string_dtype(values.dtype) and values.dtype != object:
                    data = max(data, int(values.str.len().max()))
                else:
                    data = max(data, int(values.astype(str).str.len().max()))
        width = max(min(max(data, label), cap), column.min_width)
        return width

    @staticmethod
    def _numeric_width(values: pd.Series) -> int:
        low, high = values.min(), values.max()
        if values.dtype.kind == "f" and bool((values % 1 != 0).any()):
            return max(len(f"{float(low):.2f}"), len(f"{float(high):.2f}"))
        return max(len(_default_format(low.item() if hasattr(low, "item") else low)),
                   len(_default_format(high.item() if hasattr(high, "item") else high)))

    def _compute_order(self) -> np.ndarray | None:
        import pandas as pd

        if self._sort is None or self._frame is None:
            return None
        key, reverse = self._sort
        if key not in self._frame.columns:
            return None
        series = self._frame[key].reset_index(drop=True)
        if pd.api.types.is_string_dtype(series.dtype):
            try:  # case- and ё-insensitive, as people read names
                series = series.str.lower().str.replace("ё", "е", regex=False)
            except (AttributeError, TypeError):
                pass
        try:
            ordered = series.sort_values(ascending=not reverse, kind="stable", na_position="last")
        except TypeError:  # mixed types in an object column
            ordered = series.astype(str).sort_values(
                ascending=not reverse, kind="stable", na_position="last"
            )
        return ordered.index.to_numpy()

    def _block(self, index: int) -> list[tuple[Any, list[str], list[str | None]]]:
        """Formatted, fitted cells of rows ``[index*64, index*64+64)`` in displayed order."""
        cached = self._blocks.get(index)
        if cached is not None:
            return cached
        start = index * BLOCK_ROWS
        stop = min(self._row_count, start + BLOCK_ROWS)
        positions = slice(start, stop) if self._order is None else self._order[start:stop]
        assert self._keys is not None
        keys = self._keys[positions].tolist()
        count = stop - start
        na, nat = self._na or (None, None)

        def missing(value: Any) -> bool:
            # identity checks only: ``x == pd.NA`` is NA, whose truth value raises
            return (value is None or value is na or value is nat
                    or (value.__class__ is float and value != value))

        null_rep = self.null_rep
        cells: list[list[str]] = []
        names: list[list[str | None]] = []
        for lay in self._layout:
            column = lay.column
            if not lay.present:
                cells.append([_fit("", lay.width, lay.align)] * count)
                names.append([None] * count)
                continue
            values = lay.values
            chunk = values[positions] if isinstance(positions, slice) else values.take(positions)
            raw = chunk.tolist()
            formatter = column.formatter or _default_format
            texts: list[str] = []
            for value in raw:
                if missing(value):
                    text = null_rep
                else:
                    try:
                        text = formatter(value)
                    except (TypeError, ValueError):
                        text = str(value)
                texts.append(_fit(text, lay.width, lay.align))
            cells.append(texts)
            if column.style_fn is not None:
                style_fn = column.style_fn
                names.append([style_fn(None if missing(v) else v) for v in raw])
            else:
                names.append([None] * count)
        rows = [
            (keys[i], [col[i] for col in cells], [col[i] for col in names])
            for i in range(count)
        ]
        self._blocks[index] = rows
        return rows

    def _style(self, name: str | None) -> Style:
        """A partial style for a ``style_fn`` name, from the current theme."""
        if not name:
            return Style.null()
        style = self._styles.get(name)
        if style is not None:
            return style
        component = f"frametable--{name}"
        if component in self.COMPONENT_CLASSES:
            style = self.get_component_rich_style(component, partial=True)
        else:
            style = Style.null()
            value = self.app.theme_variables.get(name) if self.is_attached else None
            if value:
                from textual.color import Color, ColorParseError

                try:
                    style = Style(color=Color.parse(value.split()[0]).rich_color)
                except (ColorParseError, ValueError):
                    style = Style.null()
        self._styles[name] = style
        return style

    def _component(self, name: str) -> Style:
        style = self._styles.get(name)
        if style is None:
            style = self._styles[name] = self.get_component_rich_style(name)
        return style

    # ------------------------------------------------------------------ rendering

    def render_line(self, y: int) -> Strip:
        self.render_line_count += 1
        width = self.size.width
        base = self.rich_style
        if y == 0:
            return self._render_header(width)
        row = round(self.scroll_offset.y) + y - 1
        if row >= self._row_count or not self._layout:
            return Strip.blank(width, base)
        key, texts, names = self._block(row // BLOCK_ROWS)[row % BLOCK_ROWS]
        if row == self._cursor:
            row_style = self._component("frametable--cursor")
            cursor = row_style
        else:
            cursor = None
            if self.zebra_stripes:
                row_style = self._component(
                    "frametable--odd-row" if row % 2 else "frametable--even-row"
                )
            else:
                row_style = base
        segments: list[Segment] = []
        if self.show_marks:
            if key in self._marked:
                mark_style = row_style + self._component("frametable--marker") if cursor is None else row_style
                segments.append(Segment(MARK, mark_style))
                segments.append(Segment(" ", row_style))
            else:
                segments.append(Segment("  ", row_style))
        else:
            segments.append(Segment(" ", row_style))
        style = self._style
        for text, name in zip(texts, names):
            if name:
                cell_style = row_style + style(name)
                if cursor is not None:
                    cell_style += cursor
                segments.append(Segment(text, cell_style))
                segments.append(Segment(" ", row_style))
            else:
                segments.append(Segment(text + " ", row_style))
        return self._crop(segments, width, row_style)

    def _render_header(self, width: int) -> Strip:
        header = self._component("frametable--header")
        sorted_style = self._component("frametable--header-sorted")
        segments = [Segment("  " if self.show_marks else " ", header)]
        sort_key, reverse = self._sort if self._sort else (None, False)
        for lay in self._layout:
            title = lay.column.title
            if lay.column.key == sort_key:
                arrow = SORT_DESC if reverse else SORT_ASC
                text = _fit(title, lay.width - 1, "left").rstrip() + arrow
                text = _fit(text, lay.width, lay.align)
                segments.append(Segment(text, sorted_style))
                segments.append(Segment(" ", header))
            else:
                segments.append(Segment(_fit(title, lay.width, lay.align) + " ", header))
        return self._crop(segments, width, header)

    def _crop(self, segments: list[Segment], width: int, fill: Style) -> Strip:
        """Keep the fixed part, scroll the rest by ``scroll_x``, pad to ``width``."""
        strip = Strip(segments, self._total_width)
        scroll_x = round(self.scroll_offset.x)
        if scroll_x:
            fixed = self._fixed_width
            head = strip.crop(0, fixed)
            tail = strip.crop(fixed + scroll_x, fixed + scroll_x + max(0, width - fixed))
            strip = Strip.join([head, tail])
        return strip.adjust_cell_length(width, fill)
