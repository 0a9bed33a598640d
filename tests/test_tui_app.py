"""Pilot tests of the console as a user drives it, on a real store on disk.

The store is built the way a user builds theirs: small weekly CSV files (and a registry of
organisations) written to disk and imported with ``sferum-tui import``; the console is the one
``make_app`` builds for the CLI.  Nothing of ours is mocked.

The helpers (``build_console_home``, ``console``, ``wait_ready`` …) are shared with the snapshot
tests.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sferum_tui.cli import main
from sferum_tui.core.paths import resolve_paths
from sferum_tui.i18n import set_language

from filemaker import write_csv
from tui_support import (  # noqa: F401 - shared with the other console tests
    FALLS,
    GOOD,
    HEAD,
    HIGH,
    INACTIVE,
    KIZ1,
    KIZLYAR,
    LABEL4,
    LABELS,
    LEVASHI,
    LOW,
    NEVER,
    NOW,
    ORGS,
    RECOVERS,
    REG_HEAD,
    SERGO,
    UNREG,
    WEEK4,
    WEEKS,
    build_console_home,
    console,
    figures,
    make_context,
    names_shown,
    press_and_reload,
    screen_text,
    wait_for,
    wait_ready,
    week_file,
)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    set_language("ru")
    return build_console_home(tmp_path_factory.mktemp("console"))


@pytest.fixture
def home(built: Path, tmp_path: Path) -> Path:
    """A private copy of the built store (tests write marks and new weeks into it)."""
    import shutil

    target = tmp_path / "home"
    shutil.copytree(built, target)
    return target


# --------------------------------------------------------------------------- the main screen


async def test_main_screen_shows_the_latest_week_kpis_and_schools(home):
    app = console(home)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await wait_ready(pilot)
        text = screen_text(app)
        assert LABELS[-1] in text and "(3/3)" in text
        assert "Активные профили" in text and "Сотрудники зарег" in text
        assert "цель 100%" in text
        assert "след. пт 12.05 17:00 МСК" in text          # the next Friday publication
        assert "МКОУ «Сергокалинская СОШ №1»" in text
        assert "нет в файле" in text                        # the registry school missing
        assert "▼ не активна" in text and "▲ активна" in text
        assert screen.table.row_count == len(ORGS) + 1
        assert "9 ОО" in text


async def test_filters_combine_drilldown_and_back_keeps_cursor_sort_filters(home):
    app = console(home)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_ready(pilot)
        await press_and_reload(pilot, "i")                  # inactive
        assert set(names_shown(app)) == {ORGS[INACTIVE][1], ORGS[FALLS][1], NEVER[2]}
        assert "неактивные" in screen_text(app) and "3 из 9" in screen_text(app)
        await pilot.press("u")                              # municipality picker: type, Enter
        await wait_for(pilot, lambda: type(app.screen).__name__ == "MunicipalityPicker")
        await pilot.press(*"Левашин", "enter")
        await wait_for(pilot, lambda: screen.state.filters.one_municipality == LEVASHI
                       and names_shown(app) == [ORGS[FALLS][1]])
        assert "1 из 3" in screen_text(app)                  # counts follow the filters
        await press_and_reload(pilot, "0")                  # clear
        assert len(names_shown(app)) == 9
        # sort by messaging share, descending, with the sort picker
        await pilot.press("s")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "PickerScreen")
        picker = app.screen
        index = [v for v, _ in picker.options].index("messaging_share")
        await pilot.press(*["down"] * (index - picker.query_one("OptionList").highlighted), "enter")
        await wait_for(pilot, lambda: screen.table.sort_column == "messaging_share")
        await pilot.press("o")
        assert screen.table.sort_reverse
        await press_and_reload(pilot, "w")                  # low messaging
        shown = names_shown(app)
        assert ORGS[LOW][1] in shown and ORGS[HIGH][1] not in shown
        await pilot.press("down")
        key = screen.table.cursor_key
        await pilot.press("enter")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "SchoolScreen")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        assert screen.table.cursor_key == key
        assert screen.table.sort_column == "messaging_share" and screen.table.sort_reverse
        assert screen.state.filters.low_messaging and names_shown(app) == shown


async def test_search_as_you_type_by_name_and_inn(home):
    app = console(home)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_ready(pilot)
        await pilot.press("slash")
        await pilot.press(*"цудах")
        await wait_for(pilot, lambda: names_shown(app) == [ORGS[FALLS][1]])
        assert "«цудах»" in screen_text(app)
        await pilot.press("enter")                           # back to the table, search kept
        assert screen.table.has_focus
        await pilot.press("slash", "ctrl+u")
        await pilot.press(*"054700")
        await wait_for(pilot, lambda: len(names_shown(app)) == 3)
        await pilot.press("escape")                          # clears the search
        await wait_for(pilot, lambda: len(names_shown(app)) == 9)
        assert not screen.query_one("#search").display


async def test_threshold_dialog_changes_the_low_messaging_filter(home):
    app = console(home)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_ready(pilot)
        await press_and_reload(pilot, "w")
        low_at_30 = set(names_shown(app))
        await pilot.press("t")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ThresholdDialog")
        await pilot.press("ctrl+u", "8", "5", "enter")
        await wait_for(pilot, lambda: app.api.low_threshold == pytest.approx(0.85)
                       and screen.state.filters.low_messaging and app.screen is screen)
        await wait_for(pilot, lambda: set(names_shown(app)) > low_at_30)
        assert ORGS[HIGH][1] in names_shown(app)           # 80% writing is low at 85%
        assert "пишут < 85%" in screen_text(app)


async def test_rollup_opens_a_municipality_and_changes_view(home):
    app = console(home)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await wait_ready(pilot)
        await pilot.press("m")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "RollupScreen"
                       and app.screen.frame is not None)
        rollup = app.screen
        text = screen_text(app)
        assert SERGO in text and LEVASHI in text and KIZLYAR in text
        first = rollup.query_one("FrameTable").cursor_key   # the worst municipality
        first = first.partition("\x1f")[0]                 # the key: municipality, region
        assert first == rollup.frame["municipality"].iloc[0]
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is screen
                       and screen.state.filters.one_municipality == first
                       and set(screen.table.view_frame()["municipality"]) == {first})
        await pilot.press("d")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ChangesScreen"
                       and app.screen.data is not None)
        text = screen_text(app)
        assert "Стали неактивными (" in text and "Восстановились (" in text
        assert ORGS[FALLS][1] in text                       # became inactive this week
        newly = app.screen.data["newly_inactive"]["org_id"].tolist()
        assert FALLS in newly and RECOVERS in app.screen.data["recovered"]["org_id"].tolist()
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)


def build_two_region_home(root: Path) -> Path:
    """One week of a country-wide file: «Кировский район» in two regions."""
    head = ["Регион"] + HEAD[1:]
    rows: list[list[Any]] = [["Мониторинг использования ИКОП «Сферум» за период с 15.04.2023 "
                              "по 21.04.2023"], head]
    schools = [("Свердловская область", "Кировский район", "6600000001", "МАОУ СОШ №1 Екб"),
               ("Свердловская область", "Кировский район", "6600000002", "МАОУ СОШ №2 Екб"),
               ("Кировская область", "Кировский район", "4300000001", "МКОУ СОШ Кирова"),
               ("Кировская область", "Слободской район", "4300000002", "МКОУ СОШ Слободы")]
    for region, muni, inn, name in schools:
        rows.append([region, muni, inn, name, "Не активна", 2, 30, 10, 1, 0, 0, 0, 0])
    path = write_csv(root / "country.csv", rows)
    home = root / "home"
    assert main(["--home", str(home), "import", str(path)]) == 0
    return home


async def test_rollup_row_opens_its_regions_municipality_only(tmp_path):
    home = build_two_region_home(tmp_path)
    app = console(home)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await wait_ready(pilot)
        assert len(names_shown(app)) == 4
        await pilot.press("m")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "RollupScreen"
                       and app.screen.frame is not None)
        rollup = app.screen
        frame = rollup.frame
        assert "Регион" in screen_text(app)
        row = int(frame.index[(frame["municipality"] == "Кировский район")
                              & (frame["region"] == "Свердловская область")][0])
        table = rollup.query_one("FrameTable")
        table.move_cursor(table.row_of(frame["area_key"].iloc[row]))
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is screen
                       and screen.state.filters.region == "Свердловская область")
        await wait_for(pilot, lambda: sorted(names_shown(app)) == ["МАОУ СОШ №1 Екб",
                                                                   "МАОУ СОШ №2 Екб"])
        assert "Кировский район · Свердловская область" in screen_text(app)   # the chip
        assert "2 из 2" in screen_text(app)
        # the picker lists each region's «Кировский район» on its own
        await pilot.press("u")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "MunicipalityPicker")
        values = [v for v, _ in app.screen.options]
        assert ("Кировский район", "Кировская область") in values
        assert app.screen.current == ("Кировский район", "Свердловская область")
        await pilot.press(*"Кировская", "enter")
        await wait_for(pilot, lambda: app.screen is screen
                       and names_shown(app) == ["МКОУ СОШ Кирова"])


async def test_weeks_move_with_brackets_and_picker_keeping_the_cursor(home):
    app = console(home)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_ready(pilot)
        await pilot.press("down", "down")
        key = screen.table.cursor_key
        await press_and_reload(pilot, "left_square_bracket")
        assert screen.view.week.label == LABELS[1] and LABELS[1] in screen_text(app)
        assert screen.table.cursor_key == key
        await press_and_reload(pilot, "left_square_bracket")
        assert screen.view.week.label == LABELS[0]
        await pilot.press("left_square_bracket")            # no earlier week: a notice
        await wait_for(pilot, lambda: any("первая неделя" in n for n in app.notices))
        await pilot.press("p")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "PickerScreen")
        await pilot.press("enter")                           # the list starts at the current
        await pilot.press("p")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "PickerScreen")
        await pilot.press("up", "up", "enter")               # newest is first in the list
        await wait_for(pilot, lambda: screen.view.week.label == LABELS[2])
        assert screen.state.follow_latest


async def test_russian_layout_keys_do_the_same(home):
    app = console(home)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_ready(pilot)
        await press_and_reload(pilot, "ш")                  # i: inactive
        assert screen.state.filters.inactive
        await press_and_reload(pilot, "ц")                  # w: low messaging
        assert screen.state.filters.low_messaging
        await press_and_reload(pilot, "0")
        await press_and_reload(pilot, "х")                  # [: previous week
        assert screen.view.week.label == LABELS[1]
        await press_and_reload(pilot, "ъ")                  # ]: next week
        assert screen.view.week.label == LABELS[2]
        await pilot.press("ь")                              # m: municipalities
        await wait_for(pilot, lambda: type(app.screen).__name__ == "RollupScreen")
        await pilot.press("escape")
        await pilot.press("full_stop")                      # /: search (the same key)
        assert screen.query_one("#search").has_focus
        await pilot.press("escape")
        await pilot.press("f1")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "HelpScreen")
        await pilot.press("escape")
        await pilot.press("й")                              # q: quit
        await wait_for(pilot, lambda: not app.is_running, timeout=5)


async def test_english_interface(home):
    app = console(home, lang="en")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        text = screen_text(app)
        assert "Active organisation profiles" in text and "target 100%" in text
        assert "next Fri 12.05 17:00 MSK" in text
        assert "Help" in text and "Rollup" in text and "Organisation" in text
        assert "Справка" not in text
        await pilot.press("f1")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "HelpScreen")
        assert "Every letter key also works on the Russian layout" in screen_text(app)


async def test_language_switch_from_the_palette_keeps_state(home):
    app = console(home)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await wait_ready(pilot)
        await press_and_reload(pilot, "i")
        await pilot.press("ctrl+p")
        await pilot.pause(0.2)
        await pilot.press(*"English")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.main_screen is not screen
                       and app.main_screen.ready)
        text = screen_text(app)
        assert "Active organisation profiles" in text and "inactive" in text
        assert app.main_screen.state.filters.inactive


async def test_palette_runs_console_commands(home):
    app = console(home)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await wait_ready(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause(0.2)
        await pilot.press(*"неактив")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.view is not None and screen.view.filters.inactive)
        from sferum_tui.tui.app import SferumCommands

        titles = [t for t, _, _ in SferumCommands(screen)._commands()]
        for wanted in ("Фильтр: мало пишут", "Неделя: предыдущая", "Выгрузить таблицу",
                       "Загрузить новые данные", "Язык: English", "Тема: sferum-contrast",
                       "Муниципалитеты"):
            assert any(t.startswith(wanted) for t in titles), wanted


async def test_help_lists_every_key(home):
    from sferum_tui.tui.help import KEYS

    app = console(home)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        await pilot.press("f1")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "HelpScreen")
        markdown = app.screen.query_one("Markdown").source
        for key in KEYS:
            assert f"`{key.id}`" in markdown, key.id
        assert "`й`" in markdown and "`ь`" in markdown      # the Russian-layout twins
        for other in ("school.back", "shortlist.remove", "export.run"):   # the other screens
            assert f"`{other}`" in markdown
        await pilot.press("f1")                              # F1 closes it again
        await wait_for(pilot, lambda: type(app.screen).__name__ == "MainScreen")


# --------------------------------------------------------------------------- marks, export


async def test_marks_are_kept_in_the_store_across_restarts(home):
    from sferum_tui.core.store import Store
    from sferum_tui.core.store.shortlists import Shortlists

    app = console(home)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_ready(pilot)
        first = screen.table.cursor_key
        await pilot.press("space")                           # marks and moves down
        second = screen.table.cursor_key
        await pilot.press("space")
        await wait_for(pilot, lambda: "В списке «Рассылка»: 2" in screen_text(app))  # status line
        assert screen.table.marked == {first, second}
    with Store(home) as store:
        assert Shortlists(store).contains("Рассылка") == {first, second}
    app = console(home)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_ready(pilot)
        assert screen.table.marked == {first, second}
        assert "●" in screen_text(app)
        await pilot.press("space")                           # unmark the first again
        await wait_for(pilot, lambda: "В списке «Рассылка»: 1" in screen_text(app))
        await pilot.press("l")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ShortlistScreen")
        await pilot.pause(0.5)
        name = screen.view.week.frame.set_index("org_uid").loc[second, "org_name"]
        await wait_for(pilot, lambda: name in screen_text(app))


async def test_marks_made_on_the_school_and_list_screens_show_in_the_table(home):
    app = console(home)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_ready(pilot)
        key = screen.table.cursor_key
        await pilot.press("enter")                           # the school: space marks it
        await wait_for(pilot, lambda: type(app.screen).__name__ == "SchoolScreen")
        assert app.screen.data is not None                   # read before it was shown:
        assert "Загрузка" not in screen_text(app)            # no empty loading frame
        await pilot.press("space")
        await wait_for(pilot, lambda: any("Добавлена в список" in n for n in app.notices))
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen and key in screen.table.marked)
        assert "●" in screen_text(app)
        assert screen.table.cursor_key == key
        await pilot.press("l")                               # the list: x removes it
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ShortlistScreen"
                       and app.screen.data is not None)
        await pilot.press("x")
        await wait_for(pilot, lambda: any("убрана из списка" in n for n in app.notices))
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen and key not in screen.table.marked)
        assert "●" not in screen_text(app)
        await pilot.press("space")                           # and the table's own mark still works
        await wait_for(pilot, lambda: "В списке «Рассылка»: 1" in screen_text(app))
        assert screen.table.marked == {key}


async def test_export_writes_the_filtered_table(home, tmp_path):
    app = console(home)
    target = tmp_path / "out" / "inactive.csv"
    target.parent.mkdir()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        await press_and_reload(pilot, "i")
        await pilot.press("e")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ExportDialog")
        path_input = app.screen.query_one("#export-path")
        path_input.value = str(target)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: target.exists() and type(app.screen).__name__ == "MainScreen")
        text = target.read_text(encoding="utf-8-sig")
        for name in (ORGS[INACTIVE][1], ORGS[FALLS][1]):
            assert name in text
        assert ORGS[HIGH][1] not in text
        assert any(str(target) in n for n in app.notices)


async def test_copy_puts_the_marked_schools_on_the_clipboard(home):
    app = console(home)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_ready(pilot)
        await pilot.press("space")
        await pilot.press("y")
        first = screen.view.week.frame.iloc[0]
        assert first["org_name"] in app.clipboard and first["org_id"] in app.clipboard


# --------------------------------------------------------------------------- live data


async def test_a_week_imported_by_another_process_appears_with_a_notice(home, tmp_path):
    app = console(home, poll=0.2)
    new_file = week_file(tmp_path, 3, WEEK4)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_ready(pilot)
        await press_and_reload(pilot, "w")                  # a filter, a sort, a cursor, a mark
        screen.table.sort_by("org_name")
        uids = dict(zip(screen.view.week.frame["org_id"], screen.view.week.frame["org_uid"]))
        screen.table.move_cursor_to_key(uids[LOW])          # low in every week
        await pilot.pause()
        key = screen.table.cursor_key
        await pilot.press("space")
        done = await asyncio.to_thread(
            subprocess.run, [sys.executable, "-m", "sferum_tui", "--home", str(home), "import",
                             str(new_file)], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        await wait_for(pilot, lambda: screen.view.week.label == LABEL4, timeout=15)
        assert any(f"Пришла неделя {LABEL4}" in n for n in app.notices)
        assert LABEL4 in screen_text(app) and "(4/4)" in screen_text(app)
        assert screen.state.filters.low_messaging
        assert screen.table.sort_column == "org_name"
        assert screen.table.cursor_key == key and key in screen.table.marked


async def test_an_older_week_stays_when_a_new_one_arrives(home, tmp_path):
    app = console(home, poll=0.2)
    new_file = week_file(tmp_path, 3, WEEK4)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_ready(pilot)
        await press_and_reload(pilot, "left_square_bracket")
        assert main(["--home", str(home), "import", str(new_file)]) == 0
        await wait_for(pilot, lambda: any(LABEL4 in n for n in app.notices), timeout=15)
        await wait_for(pilot, lambda: screen.view.week.count == 4)
        assert screen.view.week.label == LABELS[1]


async def test_fetch_from_a_folder_source_brings_the_new_week(home, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (home / "config.toml").write_text(
        f'[[sources]]\nname = "inbox"\npath = "{inbox.as_posix()}"\npattern = "*.csv"\n',
        encoding="utf-8")
    week_file(inbox, 3, WEEK4)
    app = console(home, poll=0.2)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_ready(pilot)
        await pilot.press("f")
        await wait_for(pilot, lambda: screen.view.week.label == LABEL4, timeout=20)
        await wait_for(pilot, lambda: not app.fetching)
        assert any("Импортировано новых файлов: 1" in n for n in app.notices)
        assert any(f"Пришла неделя {LABEL4}" in n for n in app.notices)


async def test_fetch_without_sources_says_what_to_do(home):
    app = console(home)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        await pilot.press("а")                               # f on the Russian layout
        await wait_for(pilot, lambda: any("Источники не заданы" in n for n in app.notices))


# --------------------------------------------------------------------------- start-up


async def test_empty_store_opens_the_welcome_screen_then_the_week(tmp_path):
    home = tmp_path / "empty"
    app = console(home, poll=0.2)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: type(app.screen).__name__ == "WelcomeScreen")
        await pilot.pause(0.2)
        text = screen_text(app)
        assert "Хранилище пока пустое" in text and "sferum-tui demo" in text
        assert "Открыть демо" in text
        files = tmp_path / "files"
        files.mkdir()
        assert main(["--home", str(home), "import", str(week_file(files, 0, WEEKS[0]))]) == 0
        screen = await wait_ready(pilot)
        assert screen.view.week.label == LABELS[0]


async def test_welcome_builds_and_opens_the_demo(tmp_path):
    home = tmp_path / "mine"
    app = console(home, poll=0.5)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: type(app.screen).__name__ == "WelcomeScreen")
        await pilot.press("в")                               # d on the Russian layout
        screen = await wait_ready(pilot)
        assert app.api.demo and app.api.home == home / "demo"
        assert "ДЕМО" in screen_text(app)
        assert screen.table.row_count > 1000
    assert not (home / "store.sqlite").exists()              # the user's store untouched


async def test_config_keys_remap_with_the_russian_twin(home):
    (home / "config.toml").write_text('[keys]\nfilter_inactive = "z"\nno_such_action = "k"\n',
                                      encoding="utf-8")
    app = console(home)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_ready(pilot)
        await press_and_reload(pilot, "z")
        assert screen.state.filters.inactive
        await press_and_reload(pilot, "я")                  # z's place on ЙЦУКЕН
        assert not screen.state.filters.inactive
        await pilot.press("i")                              # the old key is free now
        await pilot.pause(0.3)
        assert not screen.state.filters.inactive
        assert any("no_such_action" in n for n in app.notices)
        active = app.screen.active_bindings
        assert active["z"].binding.id == active["я"].binding.id == "filter_inactive"
        assert "i" not in active


async def test_unknown_theme_falls_back_with_a_notice(home):
    app = console(home, theme="no-such-theme")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        assert app.theme == "sferum-dark"
        assert any("no-such-theme" in n for n in app.notices)


@pytest.mark.parametrize("theme", ["sferum-light", "sferum-contrast", "ansi-dark"])
async def test_every_bundled_theme_and_16_colours_render(home, theme):
    app = console(home, theme=theme)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        assert app.theme == theme
        assert LABELS[-1] in screen_text(app)


async def test_no_color_still_shows_every_state_in_words(home, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = console(home)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        assert app.no_color
        text = screen_text(app)
        assert "▼ не активна" in text and "нет в файле" in text and "▲" in text


async def test_usable_at_200_by_60(home):
    app = console(home)
    async with app.run_test(size=(200, 60)) as pilot:
        screen = await wait_ready(pilot)
        text = screen_text(app)
        assert "Муниципалитет" in text and "ИНН" in text and "Уч.>3" in text
        assert "загружено" in text and "неделя " + LABELS[-1] in text
        assert screen.table.row_count == 9


def test_make_app_without_a_context_uses_the_defaults(tmp_path, monkeypatch):
    from sferum_tui.tui.app import SferumApp, make_app

    monkeypatch.setenv("SFERUM_TUI_HOME", str(tmp_path))
    app = make_app()
    assert isinstance(app, SferumApp) and app.api.home == tmp_path


@pytest.mark.parametrize("needle", ["СОШ", "ёлк", "  сергокалинская   сош ", "05", "0521004",
                                    "гимназия", "нет такой"])
def test_the_search_cache_matches_the_core_filter(home, needle):
    from sferum_tui.core import indicators
    from sferum_tui.core.config import Config
    from sferum_tui.service.console import ConsoleAPI, Filters

    api = ConsoleAPI(resolve_paths(str(home)), Config.default())
    try:
        week_id = api.latest_id()
        week = api.week(week_id)
        view = api.view(week_id, Filters(search=needle))
        core = indicators.filter_schools(week.frame, search=needle)
        assert list(view.rows) == core.index.tolist()
        both = api.view(week_id, Filters(search=needle, inactive=True))
        core = indicators.filter_schools(week.frame, search=needle, inactive=True)
        assert list(both.rows) == core.index.tolist()
    finally:
        api.close()


async def test_auto_fetch_from_the_config_brings_a_new_week_by_itself(home, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (home / "config.toml").write_text(
        "[fetch]\nauto_interval_minutes = 0.01\n\n"
        f'[[sources]]\nname = "inbox"\npath = "{inbox.as_posix()}"\npattern = "*.csv"\n',
        encoding="utf-8")
    app = console(home, poll=0.2)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_ready(pilot)
        assert screen.view.week.label == LABELS[-1]
        week_file(inbox, 3, WEEK4)                            # the ministry publishes
        await wait_for(pilot, lambda: screen.view.week.label == LABEL4, timeout=20)
        assert any(f"Пришла неделя {LABEL4}" in n for n in app.notices)


@pytest.mark.parametrize("full,short", [
    ("Агульский район", "Агульский"), ("город Махачкала", "г. Махачкала"),
    ("Кировский муниципальный район", "Кировский"), ("городской округ Сочи", "г. Сочи"),
    ("Светлогорский городской округ", "Светлогорский ГО"), (None, ""),
])
def test_narrow_municipality_column_drops_the_generic_words(full, short):
    from sferum_tui.tui.main_screen import short_area

    assert short_area(full) == short


@pytest.mark.parametrize("days, expected", [
    (-12, "просрочено 12 дн. 27.04.2023"),
    (-1311, "просрочено с 27.04.2023"),     # the 2023 letter's deadline seen in 2026
    (0, "срок сегодня 27.04.2023"),
    (30, "осталось 30 дн. 27.04.2023"),
])
def test_kpi_card_deadline_line(days, expected):
    """A deadline long past reads as the date it was due, not as «просрочено 1 311 дн.»."""
    from datetime import date
    from types import SimpleNamespace

    from rich.text import Text

    from sferum_tui.tui.widgets import KpiCard

    kpi = SimpleNamespace(key="active_profiles", title="Активные профили ОО", n_pass=8,
                          n_total=10, value=0.8, target=1.0, direction="up", reached=False,
                          delta=None, days_left=days, deadline=date(2023, 4, 27))
    third = KpiCard.render_kpi(kpi, 40).split("\n")[2]
    assert Text.from_markup(third.replace("$text-", "")).plain == expected


async def test_config_keys_reach_the_school_screen_and_labels_follow_the_language(home):
    """The drill-down's keys come from the one KEYS table: a [keys] remap reaches them (with
    the Russian twin), F1 lists them as remapped, and a language switch relabels its footer."""
    from textual.widgets._footer import FooterKey

    from sferum_tui.tui.help import key_table
    from sferum_tui.tui.school import SchoolScreen

    (home / "config.toml").write_text('[keys]\n"school.next_view" = "n"\n', encoding="utf-8")
    app = console(home)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        assert "| `n` `т` | Следующий вид" in key_table(app)
        app.switch_language("en")
        await wait_ready(pilot)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, SchoolScreen) and app.screen.charts_ready)
        school = app.screen
        assert school.view == "history"
        await pilot.press("n")
        assert school.view == "messaging"
        await pilot.press("т")                               # n's place on ЙЦУКЕН
        assert school.view == "users"
        await pilot.press("v")                               # the old key is free now
        assert school.view == "users"
        await wait_for(pilot, lambda: "View" in {str(k.description) for k in school.query(FooterKey)})
        labels = {str(k.description) for k in school.query(FooterKey)}
        assert {"Back", "Mark", "View"} <= labels and "Назад" not in labels
