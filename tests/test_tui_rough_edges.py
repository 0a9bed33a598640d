"""Pilot tests of the console's rough edges a newcomer met (issue 11, «Console» 1–11): focus,
sorting, the threshold, one-week changes, marks, text that fits, the footer, headers, the
palette and the help.  A real store built from CSV files on disk; nothing of ours is mocked."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sferum_tui.cli import main
from sferum_tui.i18n import set_language

from filemaker import write_csv
from tui_support import (
    ORGS,
    REG_HEAD,
    WEEKS,
    build_console_home,
    console,
    press_and_reload,
    screen_text,
    wait_for,
    wait_ready,
    week_file,
)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    set_language("ru")
    return build_console_home(tmp_path_factory.mktemp("rough"))


@pytest.fixture
def home(built: Path, tmp_path: Path) -> Path:
    target = tmp_path / "home"
    shutil.copytree(built, target)
    return target


def screen_name(app) -> str:
    return type(app.screen).__name__


# --------------------------------------------------------------------------- 1. rollup focus


async def test_rollup_opens_with_the_table_focused_so_down_and_enter_pick_a_row(home):
    app = console(home)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_ready(pilot)
        await pilot.press("m")
        await wait_for(pilot, lambda: screen_name(app) == "RollupScreen"
                       and app.screen.frame is not None)
        rollup = app.screen
        table = rollup.query_one("FrameTable")
        await wait_for(pilot, lambda: table.has_focus)
        await pilot.press("down", "down")
        third = rollup.frame["municipality"].iloc[2]
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is screen
                       and screen.state.filters.one_municipality == third)


# --------------------------------------------------------------------------- 2. changes Tab


async def test_tab_switches_the_sections_of_changes(home):
    app = console(home)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        await pilot.press("d")
        await wait_for(pilot, lambda: screen_name(app) == "ChangesScreen"
                       and app.screen.data is not None)
        tabs = app.screen.query_one("TabbedContent")
        assert tabs.active == "tab-newly_inactive"
        await pilot.press("tab")
        await wait_for(pilot, lambda: tabs.active == "tab-recovered")
        await pilot.press("tab")
        await wait_for(pilot, lambda: tabs.active == "tab-falls")
        await wait_for(pilot, lambda: app.screen.query_one("#changes-falls").has_focus)


# --------------------------------------------------------------------------- 3. sort


async def test_a_sort_goes_to_the_first_row_and_reverse_without_a_sort_says_so(home):
    app = console(home)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_ready(pilot)
        await pilot.press("o")                              # nothing to reverse: a notice
        await wait_for(pilot, lambda: any("нечего обращать" in n for n in app.notices))
        await pilot.press("end")
        assert screen.table.cursor_row == screen.table.row_count - 1
        await pilot.press("s")
        await wait_for(pilot, lambda: screen_name(app) == "PickerScreen")
        picker = app.screen
        index = [v for v, _ in picker.options].index("messaging_share")
        await pilot.press(*["down"] * (index - picker.query_one("OptionList").highlighted), "enter")
        await wait_for(pilot, lambda: screen.table.sort_column == "messaging_share")
        assert screen.table.cursor_row == 0 and screen.table.scroll_offset.y == 0
        first = screen.table.cursor_key
        await pilot.press("end", "o")                       # reversed: the top again
        assert screen.table.sort_reverse and screen.table.cursor_row == 0
        assert screen.table.cursor_key != first


# --------------------------------------------------------------------------- 4. threshold


async def test_threshold_chip_reads_as_typed_and_the_notice_says_the_filter_is_on(home):
    app = console(home)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_ready(pilot)
        await pilot.press("t")
        await wait_for(pilot, lambda: screen_name(app) == "ThresholdDialog")
        await pilot.press("ctrl+u", *"5,5", "enter")
        await wait_for(pilot, lambda: app.screen is screen and screen.state.filters.low_messaging)
        await wait_for(pilot, lambda: "пишут < 5,5%" in screen_text(app))
        assert "Порог 5,5%; фильтр «мало пишут» включён (w — выключить)" in app.notices
        # with the filter already on, the notice is only the threshold
        await pilot.press("t")
        await wait_for(pilot, lambda: screen_name(app) == "ThresholdDialog")
        await pilot.press("ctrl+u", *"40", "enter")
        await wait_for(pilot, lambda: "пишут < 40%" in screen_text(app))
        assert app.notices[-1] == "Порог «мало пишут»: 40%"


# --------------------------------------------------------------------------- 5. one week


def one_week_home(root: Path) -> Path:
    files = root / "files"
    files.mkdir(parents=True)
    home = root / "home"
    reg = write_csv(files / "registry.csv", [REG_HEAD] + [
        [inn, name, muni, staff, "школа"] for inn, (muni, name, staff) in ORGS.items()])
    assert main(["--home", str(home), "registry", "import", str(reg)]) == 0
    assert main(["--home", str(home), "import", str(week_file(files, 0, WEEKS[0]))]) == 0
    return home


@pytest.mark.parametrize("lang, words", [
    ("ru", "Прошлой недели в хранилище нет — сравнивать не с чем."),
    ("en", "No previous week in the store — nothing to compare with."),
])
async def test_changes_with_one_week_say_there_is_nothing_to_compare(tmp_path, lang, words):
    app = console(one_week_home(tmp_path), lang=lang)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        await pilot.press("d")
        await wait_for(pilot, lambda: screen_name(app) == "ChangesScreen"
                       and words in screen_text(app))
        text = screen_text(app)
        assert "(0)" not in text and "Стали неактивными" not in text
    set_language("ru")


# --------------------------------------------------------------------------- 6. marks


async def test_three_quick_marks_show_one_line_not_three_notices(home):
    app = console(home)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_ready(pilot)
        await pilot.press("space", "space", "space")
        status = screen.query_one("#status")
        await wait_for(pilot, lambda: "В списке «Рассылка»: 3 (l — открыть список)"
                       in screen_text(app))
        assert status.display
        assert screen_text(app).count("В списке «Рассылка»") == 1
        assert not [n for n in app.notices if "В списке" in n]
        await wait_for(pilot, lambda: not status.display, timeout=6)   # gone by itself
        assert len(screen.marks) == 3


# --------------------------------------------------------------------------- 7, 8. footer


@pytest.mark.parametrize("size", [(80, 24), (60, 20)])
@pytest.mark.parametrize("lang, quit_words, palette", [("ru", "q Выход", "^p Команды"),
                                                       ("en", "q Quit", "^p Commands")])
async def test_the_footer_always_shows_quit_and_drops_keys_whole(home, size, lang, quit_words,
                                                                 palette):
    from sferum_tui.tui.help import KEYS

    app = console(home, lang=lang)
    async with app.run_test(size=size) as pilot:
        await wait_ready(pilot)
        for key, where in (("", "MainScreen"), ("m", "RollupScreen"),
                           ("escape", "MainScreen"), ("d", "ChangesScreen")):
            if key:
                await pilot.press(key)
            await wait_for(pilot, lambda: screen_name(app) == where)  # noqa: B023
            await pilot.pause(0.2)
            footer = screen_text(app).splitlines()[-1]
            left, _, right = footer.partition("▏")
            assert quit_words in left and right.strip() == palette, footer
            assert left.startswith("F1 ") or left.startswith("⏎ "), footer
            # every word on the footer is a whole key description (none cut at the edge)
            words = {w for k in KEYS for w in (k.ru + " " + k.en).split()}
            words |= {"Неделя", "Week", "F1", "⏎", "Esc", "[", "]", "␣", "tab"}
            assert all(w in words or len(w) == 1 for w in left.split()), footer
    set_language("ru")


# --------------------------------------------------------------------------- 7. cut-off text


def title_words(table) -> set[str]:
    return {w for c in table.columns for w in c.title.split()} | {"▲", "▼"}


def header_line(app, table) -> list[str]:
    """The words of ``table``'s header row as drawn on the screen."""
    line = screen_text(app).splitlines()[table.region.y]   # the table's first line
    return line.replace("▲", " ").replace("▼", " ").split()


@pytest.mark.parametrize("lang", ["ru", "en"])
async def test_at_80_columns_no_header_is_cut_mid_word(home, lang):
    app = console(home, lang=lang)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_ready(pilot)
        table = screen.table
        for _ in range(6):                                  # scrolled column by column too
            assert set(header_line(app, table)) <= title_words(table), header_line(app, table)
            await pilot.press("right")
        await pilot.press("m")
        await wait_for(pilot, lambda: screen_name(app) == "RollupScreen"
                       and app.screen.frame is not None)
        rollup = app.screen.query_one("FrameTable")
        assert set(header_line(app, rollup)) <= title_words(rollup)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_name(app) == "SchoolScreen")
        await pilot.pause(0.3)
        history = [t for t in app.screen.query("FrameTable") if t.display and t.columns][0]
        assert set(header_line(app, history)) <= title_words(history)
    set_language("ru")


async def test_a_missing_week_warning_and_the_week_show_whole_at_80_columns(home):
    from datetime import datetime

    from sferum_tui.service.console import MOSCOW
    from sferum_tui.tui.app import make_app

    from tui_support import LABELS, make_context, record_notices

    later = datetime(2023, 6, 19, 10, 0, tzinfo=MOSCOW)   # weeks after the last file
    app = make_app(make_context(home), now=lambda: later, poll_seconds=0.2)
    record_notices(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        header = screen_text(app).splitlines()[0]
        assert "нет недели по 16.06" in header and LABELS[-1] in header, header
        assert "…" not in header


@pytest.mark.parametrize("lang, goal", [("ru", "цель"), ("en", "target")])
async def test_at_60_columns_kpi_targets_and_chips_drop_out_whole(home, lang, goal):
    app = console(home, lang=lang)
    async with app.run_test(size=(60, 20)) as pilot:
        await wait_ready(pilot)
        lines = screen_text(app).splitlines()
        kpi_lines = "\n".join(lines[1:4])
        for part in kpi_lines.split(goal)[1:]:              # a target shows whole or not at all
            assert part.split()[0].endswith("%"), kpi_lines
        assert not any(w.endswith("…") and len(w) < 4 for w in kpi_lines.split())
        await press_and_reload(pilot, "w")
        await press_and_reload(pilot, "i")
        await press_and_reload(pilot, "r")
        chips = screen_text(app).splitlines()[4]
        assert "…" not in chips, chips   # a chip that does not fit is counted («+1»), not cut
    set_language("ru")


# --------------------------------------------------------------------------- 9, 11. help


@pytest.mark.parametrize("lang, columns, ids, header", [
    ("ru", "## Столбцы таблицы школ", "## Для настроек: id клавиш", "| Клавиши | Действие | Где |"),
    ("en", "## Columns of the schools table", "## For the config: key ids",
     "| Keys | Action | Where |"),
])
async def test_help_explains_each_column_and_keeps_the_ids_to_a_section_at_the_end(
        home, lang, columns, ids, header):
    from sferum_tui.tui.help import KEYS
    from sferum_tui.tui.main_screen import school_columns

    app = console(home, lang=lang)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        text = screen_text(app)
        assert "Нед↓" not in text and "Wk↓" not in text
        assert ("Нед. ниже" in text and "Δ пишут" in text) if lang == "ru" else (
            "Wks below" in text and "Δ msg" in text)
        await pilot.press("f1")
        await wait_for(pilot, lambda: screen_name(app) == "HelpScreen")
        markdown = app.screen.query_one("Markdown").source
        for column in school_columns(app.api, narrow=True):   # one line per column
            assert column.description
            assert f"| {column.title}" in markdown and f"{column.description} |" in markdown
        assert markdown.index(columns) < markdown.index(ids)
        keys_part = markdown[:markdown.index(ids)]
        assert header in keys_part and "| id |" not in keys_part
        assert not any(f"`{k.id}`" in keys_part for k in KEYS if "." in k.id or "_" in k.id)
        ids_part = markdown[markdown.index(ids):]
        assert all(f"| `{k.id}` |" in ids_part for k in KEYS)
    set_language("ru")


# --------------------------------------------------------------------------- 10. palette


async def palette_lines(pilot, query: str) -> list[str]:
    """What the palette lists for ``query``: each command's title and its help line."""
    app = pilot.app
    await pilot.press("ctrl+p")
    await wait_for(pilot, lambda: screen_name(app) == "CommandPalette")
    await pilot.press(*query)
    results = app.screen.query_one("CommandList")
    await wait_for(pilot, lambda: results.option_count > 0)
    counts = [-1, -2, -3]
    while len(set(counts[-3:])) > 1:                       # every provider has answered
        await pilot.pause(0.2)
        counts.append(results.option_count)
    lines = [str(getattr(o.prompt, "plain", o.prompt)) for o in results.options]
    await pilot.press("escape")
    return lines


async def test_palette_lists_our_themes_first_and_stock_themes_only_when_asked(home):
    app = console(home)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_ready(pilot)
        lines = await palette_lines(pilot, "Тема")
        themes = [l.split("\n")[0].removeprefix("Тема: ") for l in lines if l.startswith("Тема: ")]
        assert themes[:3] == ["sferum-dark", "sferum-light", "sferum-contrast"]
        assert "ansi-dark" in themes                       # the 16-colour one stays
        assert not {"nord", "gruvbox", "dracula", "textual-light"} & set(themes)
        assert not any(l.startswith("Тема…") for l in lines)   # Textual's picker of them all
    (home / "config.toml").write_text("[ui]\nstock_themes = true\n", encoding="utf-8")
    app = console(home)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_ready(pilot)
        lines = await palette_lines(pilot, "Тема")
        themes = [l.split("\n")[0].removeprefix("Тема: ") for l in lines if l.startswith("Тема: ")]
        assert {"nord", "gruvbox", "textual-light"} <= set(themes)
        assert themes.index("sferum-contrast") < themes.index("nord")


async def test_every_filter_command_in_the_palette_shows_its_key(home):
    (home / "config.toml").write_text('[keys]\nfilter_inactive = "z"\n', encoding="utf-8")
    app = console(home)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_ready(pilot)
        lines = await palette_lines(pilot, "Фильтр")
        helps = {l.split("\n")[0]: l.split("\n")[1] for l in lines if "\n" in l}
        expected = {"неактивные": "z", "мало пишут": "w", "не все сотрудники": "r",
                    "нет в файле": "x", "изменились": "c", "статус ≠ правило": "v",
                    "муниципалитет": "u"}
        for words, key in expected.items():
            title = next(t for t in helps if t.startswith("Фильтр: " + words))
            assert helps[title].startswith(f"{key} — "), (title, helps[title])
        lines = await palette_lines(pilot, "Порог")
        assert any(l.startswith("Порог «мало пишут»…\nt · сейчас 30%") for l in lines), lines


def test_stock_themes_switch_is_strict_in_the_config(tmp_path):
    from sferum_tui.service.config import loads_config
    from sferum_tui.service.errors import ConfigError

    assert loads_config("[ui]\nstock_themes = true\n").ui.stock_themes is True
    cfg = loads_config("")
    assert cfg.ui.stock_themes is False
    assert "stock_themes = false" in cfg.to_toml()
    assert loads_config(cfg.to_toml()) == cfg
    with pytest.raises(ConfigError) as err:
        loads_config('[ui]\nstock_themes = "yes"\n')
    assert "ui.stock_themes" in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("lang, first, last", [("ru", "▼ Неакт. (", "Выросли ("),
                                               ("en", "▼ Inact. (", "Rises (")])
async def test_at_60_columns_the_four_changes_tabs_show_whole(home, lang, first, last):
    app = console(home, lang=lang)
    async with app.run_test(size=(60, 20)) as pilot:
        await wait_ready(pilot)
        await pilot.press("d")
        await wait_for(pilot, lambda: screen_name(app) == "ChangesScreen"
                       and app.screen.data is not None)
        tabs = next(l for l in screen_text(app).splitlines() if first in l)
        assert tabs.rstrip().endswith(")") and last in tabs, tabs
    set_language("ru")
