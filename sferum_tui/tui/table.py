"""``FrameTable``: a lazy table of a pandas DataFrame for the console.

Why not Textual's ``DataTable`` or textual-fastdatatable: both measure every cell with Rich
to size the columns (Textual's keeps a Python object per row, too), which costs seconds on
40,000 Cyrillic names and about 0.3 s per filter.  This widget is a ``ScrollView`` on the
Line API, the way toolong draws its logs:

* the data stays in the DataFrame.  A filter is a boolean mask over the frame the table
  holds (``filter_rows``), a sort is an argsort of a per-frame numeric key (numbers as they
  are; text ranked once with ``pandas.factorize(sort=True)``, case- and ё-insensitive), and
  the view is an array of row positions, never a reordered copy of the frame;
* column widths come once per frame from vectorised string lengths (``.str.len().max()``) or,
  for numbers, from the formatted extremes, then are capped; no cell is measured with Rich
  except those on screen;
* ``render_line`` formats only the rows on screen (fetched with ``take`` in blocks of 16
  rows) into whole-line strings, cut by slicing; so a filter, a clear or a sort costs the
  pandas/numpy work plus one screenful (see ``benchmarks/bench_table.py``).

Colours are never hard-coded: rows and cells are styled through component classes whose
CSS uses the theme's variables (``$text-success``, ``$block-cursor-background`` …), so the
table follows ``App.theme``, the 16-colour ANSI theme and ``NO_COLOR``.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, ClassVar, Literal, NamedTuple

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from sferum_tui.i18n import tr
from sferum_tui.tui.help import install_bindings

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
LONG_TEXT = 40
"""A text column this wide (reasons, notes) may show cut at the right edge, ending in «…»;
narrower columns there show whole or not at all."""
MIN_CUT = 12
"""… when at least this many of its cells are on screen."""
MARK = "●"
SORT_ASC = "▲"
SORT_DESC = "▼"
BLOCK_ROWS = 16
DEFAULT_MAX_TEXT_WIDTH = 32
DEFAULT_MAX_NUMBER_WIDTH = 14
PRECOMPUTE_ROWS = 5_000  # frames this big get their text sort keys ready in a thread

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
        description: One line on what the column shows (the help's «Столбцы» section).
    """

    key: str
    label: str | None = None
    width: int | None = None
    align: Align | None = None
    formatter: Callable[[Any], str] | None = None
    style_fn: Callable[[Any], str | None] | None = None
    max_width: int | None = None
    min_width: int = 1
    description: str | None = None

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
    numeric: bool = False


class _Row(NamedTuple):
    """One displayed row, formatted once: the whole line's text and its styled cells."""

    key: Any
    line: str  # marker gutter + every cell fitted to its width + separators
    simple: bool  # one cell per character (no wide characters): cut by slicing
    spans: tuple[tuple[int, int, str], ...]  # (start, end, style name) of styled cells


def _fit(text: str, width: int, align: Align) -> str:
    """Pad or cut ``text`` to exactly ``width`` cells, with an ellipsis when cut."""
    if width <= 0:
        return ""
    if not text.isprintable():
        text = text.translate(_CONTROL)
    if text.isascii():  # numbers, codes: one cell per character, no Rich needed
        if len(text) <= width:
            return text.ljust(width) if align == "left" else text.rjust(width)
        return text[: width - 1] + ELLIPSIS
    length = cell_len(text)
    if length > width:
        return set_cell_size(text, width - 1) + ELLIPSIS if width > 1 else ELLIPSIS
    if length == width:
        return text
    pad = " " * (width - length)
    return text + pad if align == "left" else pad + text


def _rank(series: pd.Series) -> np.ndarray:
    """Sort key of a column: numbers as floats; anything else its rank (see ``_sort_key``)."""
    import numpy as np
    import pandas as pd

    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
        return series.to_numpy(dtype=np.float64, na_value=np.nan)
    if pd.api.types.is_string_dtype(dtype):
        # pandas' own strings, or text in an object column (pandas 2's default, and ours: kept
        # object for speed): rank in pyarrow, ~2x faster than .str + factorize, and the same
        # case/ё-insensitive order whichever pandas made the column.  Only the distinct texts
        # go to Arrow (a country week repeats its areas, statuses and reasons): three Arrow
        # copies of 40,000 texts per column were ~30 MB of a console session's peak.
        plain = str(dtype) == "object"
        try:
            import pyarrow as pa
            import pyarrow.compute as pc

            codes, uniques = pd.factorize(series, use_na_sentinel=True)
            values = np.asarray(uniques, dtype=object)
            array = pa.array(values, type=pa.string(), from_pandas=True)
            text = pc.replace_substring(pc.utf8_lower(array), "ё", "е")
            ranks = pc.rank(text, sort_keys="ascending", tiebreaker="dense").to_numpy()
            ranks = np.append(ranks.astype(np.float64), np.nan)  # code -1 (missing): NaN
            ranks[:-1][pc.is_null(text).to_numpy(zero_copy_only=False)] = np.nan
            return ranks[codes]
        except (ImportError, TypeError, ValueError, NotImplementedError):
            if not plain:  # an object column of mixed types is ranked as it is, below
                series = series.str.lower().str.replace("ё", "е", regex=False)
    try:
        codes, _ = pd.factorize(series, sort=True, use_na_sentinel=True)
    except TypeError:  # mixed types in an object column
        codes, _ = pd.factorize(series.astype(str).str.lower(), sort=True)
    key = codes.astype(np.float64)
    key[codes < 0] = np.nan
    return key


def _default_format(value: Any) -> str:
    if isinstance(value, datetime):  # pandas Timestamps too
        if (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0):
            return value.strftime(tr("%d.%m.%Y", "%Y-%m-%d"))
        return value.strftime(tr("%d.%m.%Y %H:%M", "%Y-%m-%d %H:%M"))
    if isinstance(value, date):
        return value.strftime(tr("%d.%m.%Y", "%Y-%m-%d"))
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
        scrollbar-size-vertical: 1;  /* a cell more for the columns at 80 */
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
        &:ansi > .frametable--header-sorted {
            background: ansi_bright_blue;
            color: ansi_bright_white;
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
            background: $panel 50%;
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

    class _RowMessage(Message):
        def __init__(self, table: FrameTable, key: Any, row: int) -> None:
            super().__init__()
            self.table = table
            self.key = key
            self.row = row

        @property
        def control(self) -> FrameTable:
            return self.table

    class RowHighlighted(_RowMessage):
        """The cursor moved to another row (``key`` is ``None`` when the table is empty)."""

    class RowSelected(_RowMessage):
        """Enter (or a double click) on a row."""

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
        install_bindings(self, "frametable")
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
        self._pending_rows: Any = None
        self._layout: list[_Layout] = []
        self._offsets: list[int] = []  # start cell of each column, after the marker column
        self._total_width = 0
        self._fixed_width = 0
        self._keys: np.ndarray | None = None
        self._rows: np.ndarray | None = None  # filter: frame positions shown; None = all
        self._view: np.ndarray | None = None  # display row -> frame position; None = as is
        self._row_count = 0
        self._cursor = 0
        self._sort: tuple[str, bool] | None = None
        self._last_key: Any = object()
        self._blocks: LRUCache[int, list[_Row]] = LRUCache(256)
        self._memos: list[dict[str, Any]] = []
        self._styles: dict[str, Style] = {}
        self._combined: dict[tuple[Style, str], Style] = {}
        self._pieces_key: tuple[int, int, int, int] | None = None
        self._pieces_cache: list[tuple[int, int]] = []
        self._line_width = 0
        self._edge_cut = False
        self._na: tuple[Any, ...] = ()
        self._ready = False  # mounted: sizes known, messages can be posted
        self.precompute_sort_keys = True
        """Rank the text columns of a big new frame in a worker thread after it is shown."""

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
        position = row if self._view is None else int(self._view[row])
        key = self._keys[position]
        return key.item() if hasattr(key, "item") else key

    def row_of(self, key: Any) -> int | None:
        """Displayed row index of ``key``, or ``None`` when it is not in the frame."""
        import numpy as np

        if self._keys is None or key is None or self._row_count == 0:
            return None
        try:
            equal = self._keys == key
            if not isinstance(equal, np.ndarray):  # a pandas BooleanArray
                equal = equal.to_numpy(dtype=bool, na_value=False)
            hits = np.flatnonzero(equal)
        except (TypeError, ValueError):
            return None
        if not len(hits):
            return None
        if self._view is None:
            return int(hits[0])
        shown = np.flatnonzero(np.isin(self._view, hits))
        return int(shown[0]) if len(shown) else None

    def keys_in_view(self) -> list[Any]:
        """All keys in the displayed order (e.g. to export what the user sees)."""
        if self._keys is None:
            return []
        keys = self._keys if self._view is None else self._keys[self._view]
        return keys.tolist()

    def view_frame(self) -> pd.DataFrame | None:
        """The rows shown, in the displayed order (a copy: for exports, not for repaints)."""
        if self._frame is None:
            return None
        return self._frame if self._view is None else self._frame.iloc[self._view]

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
        rows: Any = None,
        keep_cursor_key: bool = True,
        measure: bool = True,
    ) -> None:
        """Show ``frame`` (a new week's frame, or a filtered one), or some of its ``rows``.

        ``rows`` filters without building a new frame: a boolean mask as long as the frame
        (numpy or pandas, NA counts as False) or integer positions; ``None`` shows all rows.
        Filtering this way is the fast path: widths and sort keys of the frame are computed
        once and reused by every filter, so a filter costs the mask plus one screenful.

        The current sort is applied.  With ``keep_cursor_key`` the cursor stays on the same
        key (at the same height on screen) when the key is still shown; otherwise the cursor
        row index is clamped.  ``measure=False`` keeps the current column widths for a new
        frame.  Frames are taken as immutable: to change data, pass a new frame.
        """
        if not self._ready:
            self._pending = frame
            self._pending_rows = rows
            return
        import numpy as np
        import pandas as pd

        old_key = self.cursor_key if keep_cursor_key else None
        old_row = self._cursor
        screen_offset = old_row - round(self.scroll_offset.y)

        self._na = (pd.NA, pd.NaT)
        if self._columns is None:
            self._columns = [Column(str(name)) for name in frame.columns if name != self.key_column]
        same_columns = [lay.column for lay in self._layout] == self._columns
        self._frame = frame
        self._rows = self._positions(rows, len(frame))
        self._row_count = len(frame) if self._rows is None else len(self._rows)
        if self.key_column is not None and self.key_column in frame.columns:
            keys = frame[self.key_column]
        else:
            keys = frame.index
        # numpy keys as they are; Arrow strings stay Arrow (no 40k Python strings per frame)
        self._keys = keys.to_numpy() if isinstance(keys.dtype, np.dtype) else keys.array
        self._prepare_layout(frame, measure=measure or not same_columns)
        self._view = self._compute_view()
        self._blocks.clear()

        row = self.row_of(old_key) if old_key is not None else None
        if row is None:
            row = min(old_row, max(0, self._row_count - 1))
        self._cursor = row
        self.virtual_size = Size(self._total_width, self._row_count + 1)
        # Keep the cursor where the eye left it: same line on screen when possible.
        self.scroll_to(y=max(0, row - screen_offset), animate=False, immediate=True, force=True)
        self._scroll_cursor_into_view()
        self.refresh()
        self._post_highlight()
        self.call_after_refresh(self._prepare_sort_keys, frame)

    def filter_rows(self, rows: Any = None) -> None:
        """Show only ``rows`` of the current frame (a boolean mask or positions; ``None``
        clears the filter).  Same as ``set_frame(table.frame, rows=rows)``."""
        if self.frame is not None:
            self.set_frame(self.frame, rows=rows)

    @staticmethod
    def _positions(rows: Any, length: int) -> np.ndarray | None:
        import numpy as np

        if rows is None:
            return None
        if hasattr(rows, "to_numpy"):  # pandas Series / arrays, possibly with NA
            kind = getattr(rows.dtype, "kind", "O")
            rows = rows.to_numpy(dtype=bool, na_value=False) if kind in "bO" else rows.to_numpy()
        rows = np.asarray(rows)
        if rows.dtype == bool:
            if len(rows) != length:
                raise ValueError(f"mask of {len(rows)} values for a frame of {length} rows")
            return np.flatnonzero(rows)
        positions = rows.astype(np.int64, copy=False)
        if len(positions) and (positions.min() < 0 or positions.max() >= length):
            raise IndexError("row positions outside the frame")
        return positions

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
        self._view = self._compute_view()
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
            self.set_frame(frame, rows=self._pending_rows)

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
        self._combined.clear()
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
            self.scroll_to(y=row, animate=False, immediate=True, force=True)
        elif row >= top + visible:
            self.scroll_to(y=row - visible + 1, animate=False, immediate=True, force=True)

    def _memo_for(self, frame: pd.DataFrame) -> dict[str, Any]:
        """Per-frame results (widths, sort orders) kept for the last two frames shown.

        Showing the same frame object again (clearing a filter) reuses them, so a frame is
        treated as immutable once given to the table; build a new frame to change data.
        The frame shown before is held weakly: the table does not keep a country week
        (~35 MB) alive after its owner (the console's week cache) has let it go.
        """
        for memo in self._memos:
            if memo["frame"]() is frame:
                if memo is not self._memos[0]:
                    self._memos = [memo, *(m for m in self._memos if m is not memo)]
                return memo
        memo = {"frame": weakref.ref(frame), "widths": {}, "keys": {}}
        self._memos = [memo, *(m for m in self._memos[:1] if m["frame"]() is not None)]
        return memo

    def _prepare_layout(self, frame: pd.DataFrame, *, measure: bool) -> None:
        import numpy as np
        import pandas as pd

        old = {lay.column.key: lay.width for lay in self._layout}
        widths = self._memo_for(frame)["widths"]
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
            elif column in widths:
                width = widths[column]
            else:
                width = widths[column] = self._measure(column, series, numeric)
            values = None
            if present:
                dtype = series.dtype
                # plain numpy for numbers; pandas arrays otherwise (datetimes as Timestamps)
                plain = isinstance(dtype, np.dtype) and dtype.kind in "iufb"
                values = series.to_numpy() if plain else series.array
            layout.append(_Layout(column, max(1, width), align, present, values, numeric))
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
        """Width from the data without touching each cell with Rich.

        Text: the vectorised ``str.len().max()``.  Numbers: the formatted extremes.  With a
        formatter: the formatted extremes plus a sample (numbers), or the distinct values
        (text, e.g. a status; sampled when there are many).  Then capped.
        """
        import numpy as np
        import pandas as pd

        cap = column.max_width or (DEFAULT_MAX_NUMBER_WIDTH if numeric else DEFAULT_MAX_TEXT_WIDTH)
        label = cell_len(column.title) + 1  # room for the sort arrow
        data = 0
        if series is not None and len(series):
            if series.hasnans:
                data = len(self.null_rep)
            formatter = column.formatter
            text_like = pd.api.types.is_string_dtype(series.dtype)
            if formatter is None and not numeric and not text_like:
                formatter = _default_format  # bool, dates, categories: measure as shown
            if formatter is not None:
                if numeric:
                    values = series.to_numpy(dtype=float, na_value=np.nan)
                    values = values[~np.isnan(values)]
                    if len(values) > 256:
                        rng = np.random.default_rng(0)
                        sample = values[rng.integers(0, len(values), 256)]
                        values = np.concatenate([sample, [values.min(), values.max()]])
                    candidates = values.tolist()
                    if series.dtype.kind in "iu":
                        candidates = [int(v) for v in candidates]
                else:
                    distinct = series.dropna().drop_duplicates()
                    if len(distinct) > 1024:
                        distinct = distinct.sample(1024, random_state=0)
                    candidates = distinct.tolist()
                formatted = [self._format(formatter, v) for v in candidates]
                data = max([data, *map(cell_len, formatted)])
            elif numeric:
                data = max(data, self._numeric_width(series))
            elif str(series.dtype) != "object":  # pandas strings: vectorised lengths
                longest = series.str.len().max()
                data = max(data, 0 if longest != longest else int(longest))
            else:  # object column: one pass, stopping at the cap (no copy into Arrow)
                data = max(data, _longest_text(series.to_numpy(), cap))
        return max(min(max(data, label), cap), column.min_width)

    @staticmethod
    def _format(formatter: Callable[[Any], str], value: Any) -> str:
        try:
            return formatter(value)
        except (TypeError, ValueError):
            return str(value)

    @staticmethod
    def _numeric_width(series: pd.Series) -> int:
        import numpy as np

        values = series.to_numpy(dtype=float, na_value=np.nan)
        if np.isnan(values).all():
            return 0
        low, high = float(np.nanmin(values)), float(np.nanmax(values))
        finite = values[~np.isnan(values)]
        fractional = series.dtype.kind == "f" and bool(np.any(finite != np.floor(finite)))
        if fractional:
            return max(len(f"{low:.2f}"), len(f"{high:.2f}"))
        return max(len(_default_format(low)), len(_default_format(high)))

    def _compute_view(self) -> np.ndarray | None:
        """Frame positions in display order: the filter's rows, sorted by the sort key."""
        import numpy as np

        rows = self._rows
        if self._sort is None or self._frame is None:
            return rows
        column, reverse = self._sort
        key = self._sort_key(column)
        if key is None:
            return rows
        values = key if rows is None else key[rows]
        # stable both ways; NaN (missing) sorts last both ways since -NaN is NaN
        order = np.argsort(-values if reverse else values, kind="stable")
        return order if rows is None else rows[order]

    def _sort_key(self, column: str) -> np.ndarray | None:
        """A float per frame row whose order is the column's order; NaN for missing.

        Numbers are their own key.  Anything else is ranked once per frame (text lower-cased
        with ё as е, as people read names; with pyarrow's ``rank`` for pandas' Arrow strings,
        else ``pandas.factorize(sort=True)``), so sorting any filter of the frame, either way,
        is an argsort of numbers.
        Text keys of a big frame are usually ready before the first sort: they are prepared
        in a worker thread after the frame is first painted (``_prepare_sort_keys``).
        """
        frame = self._frame
        if frame is None or column not in frame.columns:
            return None
        keys = self._memo_for(frame)["keys"]
        key = keys.get(column)
        if key is None:
            key = keys[column] = _rank(frame[column])
        return key

    def _prepare_sort_keys(self, frame: pd.DataFrame) -> None:
        """Rank the text columns of a big frame in a worker thread, ahead of any sort."""
        if not self.precompute_sort_keys or frame is not self._frame \
                or len(frame) < PRECOMPUTE_ROWS:
            return
        keys = self._memo_for(frame)["keys"]
        columns = [lay.column.key for lay in self._layout
                   if lay.present and not lay.numeric and lay.column.key not in keys]
        if not columns:
            return

        def work() -> None:
            from textual.worker import get_current_worker

            worker = get_current_worker()
            for column in columns:
                if worker.is_cancelled:
                    return
                if column not in keys:  # the UI thread may have needed it first
                    keys[column] = _rank(frame[column])

        self.run_worker(work, thread=True, group="frametable-sort-keys", exclusive=True,
                        exit_on_error=False)

    def _block(self, index: int) -> list[_Row]:
        """Rows ``[index*16, index*16+16)`` in displayed order, as ready-made line text."""
        cached = self._blocks.get(index)
        if cached is not None:
            return cached
        import numpy as np

        start = index * BLOCK_ROWS
        stop = min(self._row_count, start + BLOCK_ROWS)
        positions = slice(start, stop) if self._view is None else self._view[start:stop]
        assert self._keys is not None
        keys = self._keys[positions].tolist()
        count = stop - start
        na, nat = self._na or (None, None)

        def missing(value: Any) -> bool:
            # identity checks only: ``x == pd.NA`` is NA, whose truth value raises
            return (value is None or value is na or value is nat
                    or (value.__class__ is float and value != value))

        null_rep = self.null_rep
        format_value = self._format
        columns_text: list[list[str]] = []
        styled: list[tuple[int, int, list[str | None]]] = []
        for lay, offset in zip(self._layout, self._offsets):
            column = lay.column
            width, align = lay.width, lay.align
            if not lay.present:
                columns_text.append([_fit("", width, align)] * count)
                continue
            values = lay.values
            chunk = values[positions] if isinstance(positions, slice) else values.take(positions)
            raw = chunk.tolist()
            formatter = column.formatter
            if formatter is None and isinstance(chunk, np.ndarray) \
                    and chunk.dtype.kind in "iu":  # numpy integers: never missing
                columns_text.append([_fit(str(v), width, align) for v in raw])
            else:
                formatter = formatter or _default_format
                columns_text.append([
                    _fit(null_rep if missing(v) else format_value(formatter, v), width, align)
                    for v in raw
                ])
            if column.style_fn is not None:
                style_fn = column.style_fn
                names = [style_fn(None if missing(v) else v) for v in raw]
                styled.append((offset, offset + width, names))
        prefix = "  " if self.show_marks else " "
        total = self._total_width
        rows: list[_Row] = []
        for i in range(count):
            line = prefix + " ".join([texts[i] for texts in columns_text]) + " "
            spans = tuple((a, b, names[i]) for a, b, names in styled if names[i])
            rows.append(_Row(keys[i], line, len(line) == total, spans))
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

    def _base_style(self) -> Style:
        style = self._styles.get("")
        if style is None:
            style = self._styles[""] = self.rich_style
        return style

    def _combine(self, row_style: Style, name: str) -> Style:
        key = (row_style, name)
        style = self._combined.get(key)
        if style is None:
            style = self._combined[key] = row_style + self._style(name)
        return style

    # ------------------------------------------------------------------ rendering

    def render_lines(self, crop: Region) -> list[Strip]:
        # one look-up per repaint, not per line: the width inside the scrollbars
        self._line_width = self.scrollable_content_region.width
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width = self._line_width or self.scrollable_content_region.width
        if y == 0:
            return self._render_header(width)
        base = self._base_style()
        row = round(self.scroll_offset.y) + y - 1
        if row >= self._row_count or not self._layout:
            return Strip.blank(width, base)
        key, line, simple, spans = self._block(row // BLOCK_ROWS)[row % BLOCK_ROWS]
        if row == self._cursor:
            row_style = self._component("frametable--cursor")
            spans = ()  # the cursor bar wins over cell colours, for contrast
        elif self.zebra_stripes:
            row_style = self._component("frametable--odd-row" if row % 2 else "frametable--even-row")
        else:
            row_style = base
        if self.show_marks and key in self._marked:
            line = MARK + line[1:]
            if row != self._cursor:
                spans = ((0, 1, "marker"), *spans)
        if not simple:  # wide characters: let Strip cut by cells
            return self._wide_line(line, spans, row_style, width)
        segments: list[Segment] = []
        drawn = 0
        pieces = self._pieces(width)
        for n, (start, end) in enumerate(pieces):
            if n and self._edge_cut and end - start > 1 and line[end - 1] != " ":
                # a long text cut at the edge ends in «…», not mid-word
                segments.extend(self._segments(line, start, end - 1, spans, row_style))
                segments.append(Segment(ELLIPSIS, segments[-1].style if segments else row_style))
            else:
                segments.extend(self._segments(line, start, end, spans, row_style))
            drawn += end - start
        if drawn < width:
            segments.append(Segment(" " * (width - drawn), row_style))
        return Strip(segments, width)

    def _segments(
        self, line: str, start: int, end: int, spans: tuple[tuple[int, int, str], ...],
        row_style: Style,
    ) -> list[Segment]:
        """Cut ``line[start:end]`` into segments, styling the spans of styled cells."""
        if not spans:
            return [Segment(line[start:end], row_style)]
        segments = []
        pos = start
        for a, b, name in spans:
            if b <= pos or a >= end:
                continue
            if a > pos:
                segments.append(Segment(line[pos:a], row_style))
                pos = a
            stop = min(b, end)
            segments.append(Segment(line[pos:stop], self._combine(row_style, name)))
            pos = stop
        if pos < end:
            segments.append(Segment(line[pos:end], row_style))
        return segments

    def _pieces(self, width: int) -> list[tuple[int, int]]:
        """Visible ranges of the line: the fixed part, then the scrolled part."""
        scroll_x = round(self.scroll_offset.x)
        key = (scroll_x, width, self._fixed_width, self._total_width)
        if self._pieces_key == key:
            return self._pieces_cache
        fixed, total = self._fixed_width, self._total_width
        pieces = [(0, min(fixed, width, total))]
        self._edge_cut = False
        if width > fixed:
            start = fixed + scroll_x
            end, self._edge_cut = self._edge(start, min(total, start + width - fixed))
            if start < end:
                pieces.append((start, end))
        self._pieces_key, self._pieces_cache = key, pieces
        return pieces

    def _wide_line(
        self, line: str, spans: tuple[tuple[int, int, str], ...], row_style: Style, width: int
    ) -> Strip:
        """A line with wide characters: cut at cell positions with ``Strip.divide``."""
        strip = Strip([Segment(line, row_style)], self._total_width)
        if spans:
            starts = {a: name for a, _, name in spans}
            cuts = sorted({p for a, b, _ in spans for p in (a, b)} | {self._total_width})
            parts, position = [], 0
            for part, cut in zip(strip.divide(cuts), cuts):
                name = starts.get(position)
                if name:
                    style = self._combine(row_style, name)
                    part = Strip([Segment(seg.text, style) for seg in part], part.cell_length)
                parts.append(part)
                position = cut
            strip = Strip.join(parts)
        return self._crop(strip, width, row_style)

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
        return self._crop(Strip(segments, self._total_width), width, header, header=True)

    def _crop(self, strip: Strip, width: int, fill: Style, header: bool = False) -> Strip:
        """Keep the fixed part, scroll the rest by ``scroll_x``, keep whole columns only,
        pad to ``width``."""
        scroll_x = round(self.scroll_offset.x)
        fixed = self._fixed_width
        start = fixed + scroll_x
        end = self._whole_end(start, start + max(0, width - fixed))
        if scroll_x or end < start + max(0, width - fixed):
            head = strip.crop(0, min(fixed, width))
            tail = strip.crop(start, end)
            if not header and end > start + 1 and self._edge(start, end)[1] \
                    and tail.text[-1:] not in ("", " "):
                tail = Strip.join([tail.crop(0, tail.cell_length - 1),
                                   Strip([Segment(ELLIPSIS, fill)], 1)])
            strip = Strip.join([head, tail])
        return strip.adjust_cell_length(width, fill)

    def _whole_end(self, start: int, end: int) -> int:
        """Where the visible part ``[start, end)`` of a line should stop so that the column at
        the right edge shows whole or not at all («Не» of «Не все рег.» read as a word):
        the end of the last scrolled column that fits.  ``end`` itself when everything to the
        end of the line fits, or when the column at the edge is wider than the view (it could
        never show whole: it is cut, as before)."""
        return self._edge(start, end)[0]

    def _edge(self, start: int, end: int) -> tuple[int, bool]:
        """:meth:`_whole_end`, and whether the column at the edge is shown cut (then its
        rows end in «…»)."""
        if end >= self._total_width:
            return end, False
        best = None
        for i in range(min(self.fixed_columns, len(self._layout)), len(self._layout)):
            lay = self._layout[i]
            begin = self._offsets[i]
            boundary = begin + lay.width
            if boundary <= end:
                if boundary > start:
                    best = boundary
                continue
            if begin >= end:
                break  # starts past the edge: not on screen at all
            shown = end - max(start, begin)
            if lay.width > end - start:
                return end, True  # wider than the view can ever show: cut, not hidden
            if (not lay.numeric and lay.width >= LONG_TEXT
                    and shown >= max(MIN_CUT, cell_len(lay.column.title) + 2)):
                return end, True  # long free text (reasons): its start, ending in «…»
            break
        return (best, False) if best is not None else (end, False)


def _longest_text(values: Any, cap: int) -> int:
    """The longest text among ``values`` (an object array; None and NaN skipped), counted no
    further than ``cap``: a column of long names stops at the first name as long as the cap."""
    longest = 0
    for v in values.tolist():
        if v is None or v != v:
            continue
        n = len(v) if v.__class__ is str else len(str(v))
        if n > longest:
            longest = n
            if longest >= cap:
                break
    return longest

