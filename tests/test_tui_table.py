"""Pilot tests of FrameTable: what a user sees and gets at 80×24 and 200×60."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from textual.app import App, ComposeResult

from sferum_tui.tui.table import Column, FrameTable

MUNICIPALITIES = ["Ахтынский район", "город Махачкала", "Дербентский район", "Кизлярский район"]
LONG_NAME = "МБОУ «Средняя общеобразовательная школа № {i} имени Героя Советского Союза И.И. Иванова»"


def make_frame(n: int = 50) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    names = [LONG_NAME.format(i=i) if i % 5 == 0 else f"МКОУ «СОШ № {i}» с. Ёлкино" for i in range(n)]
    frame = pd.DataFrame({
        "org_id": [f"05{i:08d}" for i in range(n)],
        "org_name": names,
        "municipality": [MUNICIPALITIES[i % 4] for i in range(n)],
        "status": ["inactive" if i % 7 == 0 else "active" for i in range(n)],
        "users_total": rng.integers(0, 900, n),
        "teachers_active_share": rng.random(n),
    })
    frame.loc[3, "teachers_active_share"] = np.nan
    frame.loc[8, "teachers_active_share"] = np.nan
    return frame


COLUMNS = [
    Column("org_name", "Организация", max_width=40),
    Column("municipality", "Муниципалитет"),
    Column("status", "Статус", style_fn=lambda v: "error" if v == "inactive" else "success"),
    Column("users_total", "Польз."),
    Column("teachers_active_share", "Учит. %", formatter=lambda v: f"{v * 100:.0f}%"),
]


class CountingTable(FrameTable):
    """A FrameTable that counts the lines it renders (what a paint costs)."""

    lines_rendered = 0

    def render_line(self, y: int):
        self.lines_rendered += 1
        return super().render_line(y)


class TableApp(App):
    def __init__(self, frame: pd.DataFrame, table_cls: type[FrameTable] = FrameTable,
                 **kwargs) -> None:
        super().__init__()
        self.frame = frame
        self.table_cls = table_cls
        self.kwargs = kwargs
        self.messages: list[FrameTable.RowHighlighted | FrameTable.RowSelected
                            | FrameTable.HeaderClicked] = []

    def compose(self) -> ComposeResult:
        yield self.table_cls(self.frame, self.kwargs.pop("columns", COLUMNS),
                             key_column="org_id", **self.kwargs)

    def on_frame_table_row_highlighted(self, message: FrameTable.RowHighlighted) -> None:
        self.messages.append(message)

    def on_frame_table_row_selected(self, message: FrameTable.RowSelected) -> None:
        self.messages.append(message)

    def on_frame_table_header_clicked(self, message: FrameTable.HeaderClicked) -> None:
        self.messages.append(message)


def screen_lines(app: App) -> list[str]:
    """The text of every screen line, as the terminal would show it."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def cursor_lines(app: App) -> list[int]:
    """Screen lines painted with the table's cursor background."""
    table = app.query_one(FrameTable)
    cursor_bg = table.get_component_rich_style("frametable--cursor").bgcolor
    found = []
    for y, strip in enumerate(app.screen._compositor.render_strips()):
        segments = [seg for seg in strip if seg.text.strip()]
        if segments and all(seg.style and seg.style.bgcolor == cursor_bg for seg in segments[:3]):
            found.append(y)
    return found


def name_of(frame: pd.DataFrame, key: str) -> str:
    return frame.set_index("org_id").loc[key, "org_name"]


async def test_first_screen_shows_header_rows_and_truncation():
    frame = make_frame()
    app = TableApp(frame)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        lines = screen_lines(app)
        header = lines[0]
        assert "Организация" in header and "Муниципалитет" in header and "Статус" in header
        # a long name is cut to its column (max 40) with an ellipsis
        assert lines[1].startswith("  МБОУ «Средняя общеобразовательная школа")
        assert "…" in lines[1]
        assert len(lines[1].split("…")[0].strip()) == 39
        assert "МКОУ «СОШ № 1» с. Ёлкино" in lines[2]
        # 24 lines: header, 22 rows, horizontal scrollbar (columns overflow at 80 wide)
        assert sum("МКОУ" in line or "МБОУ" in line for line in lines) == 22
        # the cursor starts on the first row
        assert cursor_lines(app) == [1]
        table = app.query_one(FrameTable)
        assert table.cursor_key == "0500000000"
        assert isinstance(app.messages[0], FrameTable.RowHighlighted)
        assert app.messages[0].key == "0500000000"


async def test_keys_move_the_cursor_and_scroll_keeps_it_visible():
    frame = make_frame()
    app = TableApp(frame)
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(FrameTable)
        await pilot.press("down", "j", "о")  # arrow, vi key, its Russian-layout twin
        assert table.cursor_row == 3
        await pilot.press("k", "л")
        assert table.cursor_row == 1
        await pilot.press("end")
        await pilot.pause()
        assert table.cursor_row == 49 and table.cursor_key == "0500000049"
        lines = screen_lines(app)
        assert any("СОШ № 49»" in line for line in lines)
        assert cursor_lines(app) and "СОШ № 49»" in lines[cursor_lines(app)[0]]
        assert lines[0].lstrip().startswith("Организация")  # the header stays on top
        await pilot.press("home")
        await pilot.pause()
        assert table.cursor_row == 0 and cursor_lines(app) == [1]
        await pilot.press("pagedown")
        assert table.cursor_row == table.scrollable_content_region.height - 1
        await pilot.press("pageup")
        assert table.cursor_row == 0
        await pilot.press("up")  # stays clamped at the top
        assert table.cursor_row == 0
        highlighted = [m.key for m in app.messages if isinstance(m, FrameTable.RowHighlighted)]
        assert highlighted[:4] == ["0500000000", "0500000001", "0500000002", "0500000003"]


async def test_enter_and_click_select_rows():
    frame = make_frame()
    app = TableApp(frame)
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(FrameTable)
        await pilot.click(FrameTable, offset=(10, 4))  # 4th screen line = 4th row (index 3)
        assert table.cursor_row == 3
        await pilot.press("enter")
        await pilot.pause()
        selected = [m for m in app.messages if isinstance(m, FrameTable.RowSelected)]
        assert [m.key for m in selected] == ["0500000003"]
        await pilot.click(FrameTable, offset=(10, 6), times=2)
        await pilot.pause()
        selected = [m for m in app.messages if isinstance(m, FrameTable.RowSelected)]
        assert [m.key for m in selected] == ["0500000003", "0500000005"]


async def test_set_frame_keeps_the_cursor_key():
    frame = make_frame()
    app = TableApp(frame)
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(FrameTable)
        for _ in range(10):
            await pilot.press("down")
        assert table.cursor_key == "0500000010"
        # a filter that keeps the row, at another position
        subset = frame[frame["municipality"] == "Дербентский район"]
        table.set_frame(subset)
        await pilot.pause()
        assert table.row_count == len(subset)
        assert table.cursor_key == "0500000010"
        assert table.cursor_row == list(subset["org_id"]).index("0500000010")
        lines = screen_lines(app)
        cursor_line = lines[cursor_lines(app)[0]]
        assert cursor_line.split()[-1] == str(frame.loc[10, "users_total"])
        assert "Дербентский район" in cursor_line
        assert not any("Ахтынский" in line for line in lines)
        # clearing the filter: back to all rows, still on the same school
        table.set_frame(frame)
        await pilot.pause()
        assert table.row_count == 50 and table.cursor_key == "0500000010"
        # a filter without the row: the cursor row index is clamped
        small = frame[frame["municipality"] == "Ахтынский район"].head(3)
        table.set_frame(small)
        await pilot.pause()
        assert table.cursor_row == 2 and table.cursor_key == small["org_id"].iloc[2]
        # an empty result: no key, no crash, header still shown
        table.set_frame(frame.head(0))
        await pilot.pause()
        assert table.cursor_key is None and table.row_count == 0
        assert "Организация" in screen_lines(app)[0]
        await pilot.press("down", "enter", "end")
        last = [m for m in app.messages if isinstance(m, FrameTable.RowHighlighted)][-1]
        assert last.key is None


async def test_sort_toggles_and_shows_the_arrow():
    frame = make_frame()
    app = TableApp(frame)
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(FrameTable)
        await pilot.press("down", "down")
        key = table.cursor_key
        table.sort_by("users_total")
        await pilot.pause()
        assert "Польз.▲" in screen_lines(app)[0].replace(" ", "")
        shown = table.view_frame()["users_total"].tolist()
        assert shown == sorted(shown)
        assert table.cursor_key == key  # the cursor follows its row
        table.sort_by("users_total")  # again: descending
        await pilot.pause()
        assert "Польз.▼" in screen_lines(app)[0].replace(" ", "")
        shown = table.view_frame()["users_total"].tolist()
        assert shown == sorted(shown, reverse=True)
        # missing values last in both directions
        for reverse in (False, True):
            table.sort_by("teachers_active_share", reverse=reverse)
            shares = table.view_frame()["teachers_active_share"]
            assert shares.tail(2).isna().all() and shares.head(48).notna().all()
        # stable and case/ё-insensitive on text
        table.sort_by("municipality")
        view = table.view_frame()
        for _, group in view.groupby("municipality", sort=False):
            assert list(group["org_id"]) == sorted(group["org_id"])
        assert list(dict.fromkeys(view["municipality"])) == [
            "Ахтынский район", "город Махачкала", "Дербентский район", "Кизлярский район"]
        # the sort survives a new frame (a filter)
        table.set_frame(frame[frame["status"] == "active"])
        assert table.sort_column == "municipality"
        assert table.view_frame()["municipality"].str.lower().is_monotonic_increasing


async def test_text_sort_folds_case_and_yo_and_puts_missing_last_either_way():
    # the key ranks each distinct text once; rows with equal texts keep their order
    frame = make_frame(12).head(8).copy()
    frame["municipality"] = pd.Series(["ёлкинский", None, "Елкинский", "Буйнакский", "АХТЫ",
                                       "ёлкинский", "ахты", None], dtype=object)
    app = TableApp(frame)
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(FrameTable)
        table.sort_by("municipality")
        await pilot.pause()
        ids = frame["org_id"].tolist()
        assert table.view_frame()["org_id"].tolist() == [ids[i] for i in (4, 6, 3, 0, 2, 5, 1, 7)]
        table.sort_by("municipality", reverse=True)
        assert table.view_frame()["org_id"].tolist() == [ids[i] for i in (0, 2, 5, 3, 4, 6, 1, 7)]


async def test_header_click_sorts_and_posts():
    frame = make_frame()
    app = TableApp(frame)
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(FrameTable)
        x = screen_lines(app)[0].index("Польз.")
        await pilot.click(FrameTable, offset=(x + 1, 0))
        await pilot.pause()
        assert [m.column_key for m in app.messages if isinstance(m, FrameTable.HeaderClicked)] == [
            "users_total"]
        assert table.sort_column == "users_total" and not table.sort_reverse
        await pilot.click(FrameTable, offset=(x + 1, 0))
        assert table.sort_reverse
        assert "▼" in screen_lines(app)[0]


async def test_marks_show_in_the_marker_column():
    frame = make_frame()
    app = TableApp(frame, marked={"0500000002"})
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(FrameTable)
        lines = screen_lines(app)
        assert lines[3].startswith("● ") and "СОШ № 2»" in lines[3]
        assert not lines[2].startswith("●")
        await pilot.press("down")
        assert table.toggle_mark() is True  # marks the cursor row (index 1)
        await pilot.pause()
        assert screen_lines(app)[2].startswith("● ")
        assert table.marked == {"0500000001", "0500000002"}
        table.toggle_mark("0500000002")
        await pilot.pause()
        assert not screen_lines(app)[3].startswith("●")
        table.set_marked([])
        await pilot.pause()
        assert not any(line.startswith("●") for line in screen_lines(app))


async def test_narrow_terminal_scrolls_columns_wide_terminal_shows_all():
    frame = make_frame()
    app = TableApp(frame)
    async with app.run_test(size=(80, 24)) as pilot:
        assert "Учит. %" not in screen_lines(app)[0]  # cut at the right
        await pilot.press("right")
        await pilot.pause()
        assert "Учит. %" in screen_lines(app)[0]
        await pilot.press("left")
        await pilot.pause()
        assert screen_lines(app)[0].startswith("  Организация")
    app = TableApp(frame)
    async with app.run_test(size=(200, 60)) as pilot:
        lines = screen_lines(app)
        for label in ("Организация", "Муниципалитет", "Статус", "Польз.", "Учит. %"):
            assert label in lines[0]
        assert sum("МКОУ" in line or "МБОУ" in line for line in lines) == 50
        assert any(line.rstrip().endswith("—") for line in lines)  # missing share


async def test_fixed_columns_stay_when_scrolling_right():
    frame = make_frame()
    app = TableApp(frame, fixed_columns=1)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("right", "right")
        await pilot.pause()
        lines = screen_lines(app)
        assert lines[0].startswith("  Организация")
        assert "Учит. %" in lines[0]


async def test_style_names_follow_the_theme():
    frame = make_frame()
    app = TableApp(frame)
    async with app.run_test(size=(200, 60)) as pilot:
        table = app.query_one(FrameTable)

        def status_colour(y: int) -> str:
            strip = app.screen._compositor.render_strips()[y]
            seg = next(s for s in strip if s.text.strip() in ("active", "inactive"))
            return seg.style.color.triplet.hex

        app.theme = "textual-dark"
        await pilot.pause()
        inactive_dark = status_colour(8)  # row 7 is inactive (7 % 7 == 0)
        active_dark = status_colour(3)
        assert inactive_dark != active_dark
        expected = app.theme_variables["text-error"].lower()
        assert inactive_dark == expected
        app.theme = "textual-light"
        await pilot.pause()
        assert status_colour(8) == app.theme_variables["text-error"].lower()
        assert status_colour(8) != inactive_dark
        assert table.row_count == 50


async def test_missing_column_and_default_columns():
    frame = make_frame(5)
    columns = [Column("org_name", "Организация"), Column("staff_total", "Штат")]
    app = TableApp(frame, columns=columns)
    async with app.run_test(size=(80, 24)):
        lines = screen_lines(app)
        assert "Штат" in lines[0]
        assert lines[1].rstrip().endswith("МБОУ «Средняя общеобразовательная школа № 0…") or "…" in lines[1]

    class Plain(App):
        def compose(self) -> ComposeResult:
            yield FrameTable(pd.DataFrame({"a": ["x", "y"], "b": [1.5, None]}))

    app2 = Plain()
    async with app2.run_test(size=(80, 24)):
        table = app2.query_one(FrameTable)
        assert [c.key for c in table.columns] == ["a", "b"]
        assert table.cursor_key == 0  # the index is the key by default
        lines = screen_lines(app2)
        assert "1.50" in lines[1] and "—" in lines[2]


async def test_only_visible_rows_are_rendered_on_a_big_frame():
    n = 40_000
    frame = pd.DataFrame({
        "org_id": [f"{i:010d}" for i in range(n)],
        "org_name": [f"МБОУ СОШ № {i} имени А.С. Пушкина" for i in range(n)],
        "municipality": [MUNICIPALITIES[i % 4] for i in range(n)],
        "status": ["active"] * n,
        "users_total": np.arange(n),
        "teachers_active_share": np.linspace(0, 1, n),
    })
    app = TableApp(frame, table_cls=CountingTable)
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(CountingTable)
        await pilot.pause()
        table.lines_rendered = 0
        table.set_frame(frame[frame["users_total"] % 3 == 0])
        await pilot.pause()
        assert 0 < table.lines_rendered <= 2 * 24
        assert len(table._blocks) <= 2  # rows formatted in blocks of 64, only near the screen
        # text columns of a big frame are ranked in a worker, ahead of any sort by name
        await app.workers.wait_for_complete()
        assert {"org_name", "municipality", "status"} <= set(table._memo_for(table.frame)["keys"])
        table.sort_by("users_total", reverse=True)
        await pilot.pause()
        assert table.cursor_key == "0000000000"  # the cursor followed its row to the end
        assert "№ 0 имени" in screen_lines(app)[cursor_lines(app)[0]]
        await pilot.press("home")
        await pilot.pause()
        assert "39999" in screen_lines(app)[1].split()


@pytest.mark.parametrize("width", [1, 2, 5])
def test_fit_never_exceeds_the_width(width):
    from rich.cells import cell_len

    from sferum_tui.tui.table import _fit

    for text in ("", "ab", "Школа № 1", "学校学校", "a\nb\tc"):
        for align in ("left", "right"):
            fitted = _fit(text, width, align)
            assert cell_len(fitted) == width
            assert "\n" not in fitted and "\t" not in fitted


async def test_filter_rows_with_a_mask_keeps_widths_sort_and_cursor():
    frame = make_frame()
    app = TableApp(frame)
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(FrameTable)
        widths = table.column_widths
        table.sort_by("users_total", reverse=True)
        table.move_cursor_to_key("0500000010")
        mask = frame["municipality"] == "Дербентский район"
        table.filter_rows(mask)
        await pilot.pause()
        assert table.row_count == int(mask.sum())
        assert table.cursor_key == "0500000010"
        assert table.column_widths == widths  # one layout for every filter of the frame
        shown = table.view_frame()
        assert set(shown["municipality"]) == {"Дербентский район"}
        assert shown["users_total"].is_monotonic_decreasing
        assert not any("Ахтынский" in line for line in screen_lines(app))
        # a nullable mask: NA counts as "not shown"; positions work too
        nullable = pd.array([True, None, False] + [False] * 47, dtype="boolean")
        table.filter_rows(nullable)
        assert table.keys_in_view() == ["0500000000"]
        table.filter_rows([5, 3])  # positions; still sorted by users (descending)
        pair = frame.iloc[[5, 3]].sort_values("users_total", ascending=False, kind="stable")
        assert table.keys_in_view() == list(pair["org_id"])
        assert table.row_of("0500000010") is None
        with pytest.raises(ValueError):
            table.filter_rows(np.array([True, False]))
        table.filter_rows(None)
        await pilot.pause()
        assert table.row_count == 50
        assert table.view_frame()["users_total"].is_monotonic_decreasing


async def test_wide_characters_keep_columns_aligned_and_coloured():
    frame = pd.DataFrame({
        "org_id": ["1", "2", "3"],
        "org_name": ["学校学校学校学校学校学校学校学校学校学校学校学校学校学校学校学校学校学校学校", "Школа", "школа 🏫"],
        "status": ["inactive", "active", "inactive"],
    })
    columns = [Column("org_name", "Организация", max_width=20),
               Column("status", "Статус", style_fn=lambda v: "error" if v == "inactive" else None)]
    app = TableApp(frame, columns=columns)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("down")  # the cursor away from the first row
        await pilot.pause()
        table = app.query_one(FrameTable)
        error = table._style("error").color
        strips = app.screen._compositor.render_strips()
        lines = [strip.text for strip in strips]
        status_x = lines[0].index("Статус")
        from rich.cells import cell_len
        for y in (1, 2, 3):
            before = lines[y][: lines[y].index("active") if "inactive" not in lines[y]
                              else lines[y].index("inactive")]
            assert cell_len(before) == status_x, lines[y]
        assert "…" in lines[1]
        for y in (1, 3):  # inactive rows: the status cell in the theme's error colour
            seg = next(s for s in strips[y] if "inactive" in s.text)
            assert seg.style.color == error


async def test_nullable_and_odd_dtypes_show_the_null_rep():
    frame = pd.DataFrame({
        "org_id": pd.array(["a", "b", "c"], dtype="string"),
        "users": pd.array([5, None, 7], dtype="Int64"),
        "flag": [True, False, True],
        "when": pd.to_datetime(["2023-04-21", None, "2023-04-14"]),
        "mixed": ["x", 3, None],
    })
    columns = [Column(c) for c in ("users", "flag", "when", "mixed")]
    app = TableApp(frame, columns=columns)
    async with app.run_test(size=(80, 24)):
        table = app.query_one(FrameTable)
        lines = screen_lines(app)
        assert "<NA>" not in "".join(lines) and "NaT" not in "".join(lines)
        assert lines[2].split()[0] == "—" and "да" in lines[1] and "21.04.2023" in lines[1]
        for column in ("users", "when", "mixed", "flag"):
            table.sort_by(column)
            assert table.row_count == 3
        table.sort_by("users")
        assert table.keys_in_view()[-1] == "b"  # missing last


async def test_cursor_moved_after_an_empty_filter_is_scrolled_into_view():
    """A filter that shows no rows, then cleared, then the cursor put back on a far key (what
    the main screen does after Esc from a search): the row is on screen, not scrolled off
    (the scroll used to be refused while the table had no scrollbar yet)."""
    import numpy as np

    frame = make_frame(300)
    app = TableApp(frame)
    async with app.run_test(size=(60, 12)) as pilot:
        table = app.query_one(FrameTable)
        table.filter_rows(np.zeros(len(frame), dtype=bool))
        await pilot.pause()
        table.filter_rows(None)
        key = frame["org_id"].iloc[251]
        assert table.move_cursor_to_key(key)
        await pilot.pause()
        top = round(table.scroll_offset.y)
        assert top <= table.cursor_row < top + table.size.height - 1
        assert name_of(frame, key) in "\n".join(screen_lines(app))
