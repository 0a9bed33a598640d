"""The console's features of issue 11 (item 12), driven with Textual's Pilot on a real imported
store: the column chooser and the reasons panel, the next/previous school inside the
drill-down, opening and importing a file, and the UI state remembered between sessions.

Each test opens the console exactly as ``sferum-tui`` does (``tui_support.console``) on a private
copy of the store, and looks at what the user sees: the screen's text, the table, the notices
and the state file a next session reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sferum_tui.core.config import TABLE_COLUMNS
from sferum_tui.i18n import set_language

from filemaker import write_csv
from tui_support import (
    LABEL4,
    LABELS,
    WEEK4,
    build_console_home,
    console,
    names_shown,
    press_and_reload,
    screen_text,
    wait_for,
    wait_ready,
    week_file,
)

pytestmark = pytest.mark.asyncio


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    set_language("ru")
    return build_console_home(tmp_path_factory.mktemp("features"))


@pytest.fixture
def home(built: Path, tmp_path: Path) -> Path:
    import shutil

    target = tmp_path / "home"
    shutil.copytree(built, target)
    return target


def header_line(app) -> str:
    """The table's header row as shown."""
    return next(line for line in screen_text(app).splitlines() if "Организация" in line
                or "Organisation" in line)


def held_weeks(home: Path) -> list:
    from sferum_tui.service.store import Store

    with Store(home) as store:
        return store.snapshots()


def state_file(home: Path) -> dict:
    return json.loads((home / "ui-state.json").read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- columns


async def test_column_chooser_hides_and_moves_columns_and_the_next_session_keeps_them(home):
    from sferum_tui.tui.main_screen import school_columns  # the table's own column list

    app = console(home, ui_state=True)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await wait_ready(pilot)
        assert [c.key for c in school_columns(app.api)] == list(TABLE_COLUMNS)  # one list
        assert "Муниципалитет" in header_line(app)
        await pilot.press("h")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ColumnChooser")
        assert "[x] Муниципалитет" in screen_text(app)
        # the cursor starts on the first column that can change (the name always stays)
        await pilot.press("space")                     # hide «Муниципалитет»
        assert "[ ] Муниципалитет" in screen_text(app)
        await pilot.press("down", "shift+down")        # «Статус» one place lower
        await pilot.press("up", "up", "up")            # onto the name: it cannot be hidden
        await pilot.press("space")
        assert "[x] Организация" in screen_text(app)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is screen)
        header = header_line(app)
        assert "Муниципалитет" not in header
        assert header.index("Пишут") < header.index("Статус") < header.index("Рег.")
        assert [c.key for c in screen.table.columns][:4] == [
            "org_name", "messaging_share", "state", "registration_share"]
    saved = state_file(home)["columns"]
    assert saved[:3] == ["org_name", "messaging_share", "state"] and "municipality" not in saved

    app = console(home, ui_state=True)                 # the next session
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_ready(pilot)
        header = header_line(app)
        assert "Муниципалитет" not in header and header.index("Пишут") < header.index("Статус")


async def test_config_columns_are_the_starting_layout_and_escape_changes_nothing(home):
    (home / "config.toml").write_text('[ui]\ncolumns = ["state", "reasons_text"]\n',
                                      encoding="utf-8")
    app = console(home, ui_state=True)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await wait_ready(pilot)
        assert [c.key for c in screen.table.columns] == ["org_name", "state", "reasons_text"]
        await pilot.press("h")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ColumnChooser")
        assert "[ ] Пишут" in screen_text(app)       # hidden ones are listed to bring back
        await pilot.press("space", "escape")
        await wait_for(pilot, lambda: app.screen is screen)
        assert [c.key for c in screen.table.columns] == ["org_name", "state", "reasons_text"]
        await pilot.press("s")                         # sort by the status, then hide it
        await wait_for(pilot, lambda: type(app.screen).__name__ == "PickerScreen")
        await pilot.press("down", "down", "enter")
        await wait_for(pilot, lambda: screen.table.sort_column == "state")
        await pilot.press("h")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ColumnChooser")
        await pilot.press("space", "enter")            # the cursor starts on «Статус»
        await wait_for(pilot, lambda: app.screen is screen)
        assert [c.key for c in screen.table.columns] == ["org_name", "reasons_text"]
        assert screen.table.sort_column is None and screen.state.sort is None


async def test_reasons_panel_shows_the_cursor_schools_reasons_whole(home):
    app = console(home, lang="en")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_ready(pilot)
        frame = screen.view.week.frame.set_index("org_uid")
        await pilot.press("z")
        for _ in range(screen.table.row_count):         # every row, lagging or not
            key = screen.table.cursor_key
            reasons = frame.loc[key, "reasons_text"]
            reasons = "not lagging" if reasons is None or reasons != reasons or not reasons \
                else reasons
            name = frame.loc[key, "org_name"]
            expected = " ".join(f"{name}: {reasons}".split())
            await wait_for(pilot, lambda expected=expected: expected
                           in " ".join(screen_text(app).split()))
            await pilot.press("down")
        await pilot.press("я")                        # the Russian-layout twin closes it
        await wait_for(pilot, lambda: not screen.query_one("#reasons-panel").display)


# --------------------------------------------------------------------------- next school


async def test_next_and_previous_school_follow_the_tables_order_and_filters(home):
    app = console(home)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_ready(pilot)
        await press_and_reload(pilot, "w")            # a filter: only its schools are stepped
        shown = names_shown(app)
        assert len(shown) >= 3
        await pilot.press("enter")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "SchoolScreen"
                       and shown[0] in screen_text(app))
        school = app.screen
        await pilot.press("p")                         # before the first: a notice, nothing else
        await wait_for(pilot, lambda: any("первая школа" in n for n in app.notices))
        await pilot.press("n")
        await wait_for(pilot, lambda: shown[1] in screen_text(app))
        await pilot.press("т")                         # n on the Russian layout
        await wait_for(pilot, lambda: shown[2] in screen_text(app))
        await pilot.press("3")                         # the users view stays while stepping
        await pilot.press("з")                         # p on the Russian layout
        await wait_for(pilot, lambda: shown[1] in screen_text(app))
        assert school.view == "users" and app.screen is school
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        assert names_shown(app)[screen.table.cursor_row] == shown[1]  # back on that school


# --------------------------------------------------------------------------- import


async def _open_in_picker(pilot, app, path: Path) -> None:
    """Choose ``path`` in the dialog's file tree as a user would: cursor on it, Enter."""
    from textual.widgets import DirectoryTree

    tree = app.screen.query_one(DirectoryTree)
    await wait_for(pilot, lambda: any(Path(n.data.path) == path for n in tree.root.children))
    assert all(Path(n.data.path).suffix in (".csv", ".xlsx", ".xls", ".ods")
               or Path(n.data.path).is_dir() for n in tree.root.children)
    node = next(n for n in tree.root.children if Path(n.data.path) == path)
    tree.focus()
    tree.move_cursor(node)
    await pilot.pause()
    await pilot.press("enter")


async def test_import_a_file_from_the_console_checks_then_imports_the_new_week(home, tmp_path):
    folder = tmp_path / "incoming"
    folder.mkdir()
    new = week_file(folder, 3, WEEK4)
    (folder / "notes.txt").write_text("not a weekly file", encoding="utf-8")
    bad = write_csv(folder / "broken.csv", [["что-то"], ["совсем", "не то"]])
    app = console(home, ui_state=True)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_ready(pilot)
        app.ui_state.import_folder = str(folder)      # the folder used last time
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ImportScreen")
        dialog = app.screen
        await _open_in_picker(pilot, app, bad)         # an error: one line, in the dialog
        await wait_for(pilot, lambda: "broken.csv" in str(
            dialog.query_one("#import-error").render()))
        assert dialog.query_one("#import-run").disabled and app.screen is dialog
        await _open_in_picker(pilot, app, new)         # the preview of what was understood
        await wait_for(pilot, lambda: "Период: 06.05.2023 – 12.05.2023" in screen_text(app))
        text = screen_text(app)
        assert "Организаций: 8" in text and "Столбцы: распознано 12 из 13" in text
        assert "notes.txt" not in text                 # only the files the reader reads
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen is screen and screen.view is not None
                       and screen.view.week.label == LABEL4, timeout=15)
        assert LABEL4 in screen_text(app)
        assert any("sferum-week4.csv" in n for n in app.notices)
        await press_and_reload(pilot, "left_square_bracket")
        assert screen.view.week.label == LABELS[2]
        await pilot.press("ctrl+o")                    # the same file again: already held
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ImportScreen")
        await _open_in_picker(pilot, app, new)
        await wait_for(pilot, lambda: not app.screen.query_one("#import-run").disabled)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen is screen and screen.view.week.label == LABEL4)
        assert any("уже" in n for n in app.notices[-2:])
    assert state_file(home)["import_folder"] == str(folder)
    assert len(held_weeks(home)) == 4


async def test_import_without_a_period_asks_for_it_and_a_week_held_says_so(home, tmp_path):
    from sferum_tui.tui.import_screen import ImportScreen

    folder = tmp_path / "x"
    folder.mkdir()
    # the third week's data, re-saved without its title row, under a name without a date
    rows = list(__import__("csv").reader(
        week_file(tmp_path, 2, ("29.04.2023", "05.05.2023")).open(encoding="utf-8-sig"),
        delimiter=";"))
    undated = write_csv(folder / "monitoring.csv", rows[1:])
    app = console(home, lang="en")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_ready(pilot)
        app.push_screen(ImportScreen(app.api, None, start=folder))
        await wait_for(pilot, lambda: isinstance(app.screen, ImportScreen))
        await _open_in_picker(pilot, app, undated)
        await wait_for(pilot, lambda: "Period: not found" in screen_text(app))
        period = app.screen.query_one("#import-period")
        assert period.display and app.screen.focused is period
        await pilot.press(*"2023-04-29", "enter")
        await wait_for(pilot, lambda: "Period: 29.04.2023 – 05.05.2023" in screen_text(app))
        await pilot.press("ctrl+s")                    # a different file for a week held
        await wait_for(pilot, lambda: "--replace" in str(
            app.screen.query_one("#import-error").render()))
        assert isinstance(app.screen, ImportScreen)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
    assert len(held_weeks(home)) == 3


# --------------------------------------------------------------------------- remembering


async def test_week_sort_and_filters_are_remembered_between_sessions(home):
    app = console(home, ui_state=True)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_ready(pilot)
        await press_and_reload(pilot, "left_square_bracket")
        await press_and_reload(pilot, "w")
        await pilot.press("s")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "PickerScreen")
        picker = app.screen
        index = [v for v, _ in picker.options].index("messaging_share")
        await pilot.press(*["down"] * (index - picker.query_one("OptionList").highlighted), "enter")
        await wait_for(pilot, lambda: screen.table.sort_column == "messaging_share")
        shown = names_shown(app)
    assert state_file(home)["views"][str(home)]["filters"]["low_messaging"] is True

    app = console(home, ui_state=True)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_ready(pilot)
        assert screen.view.week.label == LABELS[1] and LABELS[1] in screen_text(app)
        assert screen.state.filters.low_messaging and "мало пишут" in screen_text(app)
        assert screen.table.sort_column == "messaging_share" and names_shown(app) == shown


async def test_a_remembered_week_no_longer_held_falls_back_to_the_latest(home):
    (home / "ui-state.json").write_text(json.dumps({"views": {str(home): {
        "week_id": 999, "filters": {"inactive": True}, "sort": ["no_such", True]}}}),
        encoding="utf-8")
    app = console(home, ui_state=True)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_ready(pilot)
        assert screen.view.week.label == LABELS[2] and screen.state.follow_latest
        assert screen.state.filters.inactive and screen.table.sort_column is None
        assert not any("Не удалось" in n for n in app.notices)


async def test_a_remembered_week_opens_without_computing_the_latest_for_nothing(home):
    weeks = held_weeks(home)
    (home / "ui-state.json").write_text(json.dumps({"views": {str(home): {
        "week_id": weeks[0].id}}}), encoding="utf-8")
    app = console(home, ui_state=True)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_ready(pilot)
        assert screen.view.week.label == LABELS[0]
        await pilot.pause(0.5)                       # the neighbours are warmed meanwhile
        await app.workers.wait_for_complete()
        assert app.api.cached_week(weeks[1].id)      # ] is quick
        assert not app.api.cached_week(weeks[-1].id)  # nobody asked for the latest week


async def test_the_console_keeps_three_weeks_and_the_one_on_screen_among_them(home, tmp_path):
    from sferum_tui.cli import main
    from sferum_tui.core.config import Config
    from sferum_tui.core.paths import resolve_paths
    from sferum_tui.service.console import ConsoleAPI, Filters

    assert main(["--home", str(home), "import", str(week_file(tmp_path, 3, WEEK4))]) == 0
    api = ConsoleAPI(resolve_paths(str(home)), Config.default())
    try:
        ids = [s.id for s in api.snapshots()]
        shown = ids[0]
        for week_id in ids[1:]:
            api.view(shown, Filters())   # each view of the week on screen touches it
            api.week(week_id)            # while other weeks are read (the neighbours)
        assert [api.cached_week(i) for i in ids] == [True, False, True, True]
        assert api.view(shown, Filters()).week.label == LABELS[0]
    finally:
        api.close()


async def test_remembering_can_be_turned_off_in_the_config_or_the_palette(home):
    app = console(home, ui_state=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        await press_and_reload(pilot, "i")
        await pilot.press("ctrl+p")
        await pilot.press(*"Запоминать")
        await wait_for(pilot, lambda: "[вкл.]" in screen_text(app))
        await pilot.press("enter")
        await wait_for(pilot, lambda: any("не запоминается" in n for n in app.notices))
    saved = state_file(home)
    assert saved["remember"] is False and saved["views"] == {}
    app = console(home, ui_state=True)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_ready(pilot)
        assert not screen.state.filters.any

    (home / "ui-state.json").unlink()
    (home / "config.toml").write_text("[ui]\nremember = false\n", encoding="utf-8")
    app = console(home, ui_state=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        await press_and_reload(pilot, "i")
    app = console(home, ui_state=True)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_ready(pilot)
        assert not screen.state.filters.any
