"""Pilot tests of the shortlist screen and the export dialog on a real small store: marks survive
a restart, removing, switching lists, copying as text (OSC 52) and exporting files that read back
right in each format."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from sferum_tui.i18n import set_language

from school_support import (
    GAPPY,
    GOOD,
    INACTIVE,
    STEADY,
    Host,
    build_home,
    open_api,
    open_school,
    screen_text,
    uid_of,
    wait_for,
)


@pytest.fixture
def home(tmp_path) -> Path:
    # each test gets its own store: these tests write marks
    return build_home(tmp_path / "store")


@pytest.fixture
def api(home):
    api = open_api(home)
    yield api
    api.close()


def add_members(api, *inns: str) -> list[int]:
    from sferum_tui.core.store.shortlists import Shortlists

    uids = [uid_of(api, inn) for inn in inns]
    Shortlists(api.store).add(api.shortlist_name, uids)
    return uids


def latest_rows(api, uids: list[int]) -> list[dict]:
    """The core's latest-week rows of ``uids``, in that order (the expected figures)."""
    from sferum_tui.core import indicators

    week = indicators.week_table(api.store, api.cfg, api.snapshots()[-1].id, scope=False)
    by_uid = {int(r["org_uid"]): r for r in week.to_dict("records")}
    return [by_uid[u] for u in uids]


def shortlist_app(api, name: str | None = None) -> Host:
    from sferum_tui.tui.shortlist import ShortlistScreen

    return Host(lambda: ShortlistScreen(api, name or api.shortlist_name))


async def open_list(pilot):
    from sferum_tui.tui.shortlist import ShortlistScreen

    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ShortlistScreen)
                   and pilot.app.screen.data is not None)
    return pilot.app.screen


def notifications(app) -> list[str]:
    return [n.message for n in app._notifications]


# --------------------------------------------------------------------------------------------


async def test_mark_on_school_screen_is_in_the_list_after_a_restart(home):
    from sferum_tui.tui.school import SchoolScreen
    from sferum_tui.tui.table import FrameTable

    api = open_api(home)
    uid = uid_of(api, INACTIVE)
    week_id = api.snapshots()[-1].id
    app = Host(lambda: SchoolScreen(api, uid, week_id))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_school(pilot)
        await pilot.press("space")
        await wait_for(pilot, lambda: screen.data.in_list)
        assert any("Добавлена в список «Рассылка»" in m for m in notifications(app))
    api.close()

    # a new console process: a new facade on the same store
    api = open_api(home)
    try:
        app = shortlist_app(api)
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await open_list(pilot)
            table = screen.query_one("#shortlist-table", FrameTable)
            assert table.keys_in_view() == [uid]
            text = screen_text(app)
            assert "Список «Рассылка» · 1 организация · неделя 29.04–05.05.2023" in text
            assert "МКОУ «Аймаумахинская СОШ»" in text
            assert "0527001235" in text
            # the member's reasons, as the core gives them for the latest week, in full
            detail = str(screen.query_one("#shortlist-detail").render())
            for reason in latest_rows(api, [uid])[0]["reasons"]:
                assert reason in detail
    finally:
        api.close()


async def test_remove_a_member_with_x_and_its_russian_twin(api):
    from sferum_tui.core.store.shortlists import Shortlists
    from sferum_tui.tui.shortlist import ShortlistScreen
    from sferum_tui.tui.table import FrameTable

    first, second, third = add_members(api, INACTIVE, GOOD, STEADY)
    app = shortlist_app(api)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_list(pilot)
        table = screen.query_one("#shortlist-table", FrameTable)
        assert table.keys_in_view() == [first, second, third]
        await pilot.press("x")
        await wait_for(pilot, lambda: table.keys_in_view() == [second, third])
        assert Shortlists(api.store).contains(api.shortlist_name) == {second, third}
        await pilot.press("ч")
        await wait_for(pilot, lambda: table.keys_in_view() == [third])
        await pilot.press("delete")
        await wait_for(pilot, lambda: table.keys_in_view() == [])
        assert Shortlists(api.store).contains(api.shortlist_name) == set()
        assert "Список пуст" in screen_text(app)
    changed = [m for m in app.messages if isinstance(m, ShortlistScreen.Changed)]
    assert len(changed) == 3


async def test_copy_puts_a_numbered_list_for_a_letter_on_the_clipboard(api):
    uids = add_members(api, INACTIVE, GOOD)
    rows = latest_rows(api, uids)
    expected = (
        "1. МКОУ «Аймаумахинская СОШ», ИНН 0527001235, Сергокалинский район — "
        + "; ".join(rows[0]["reasons"]) + "\n"
        "2. МКОУ «Сергокалинская СОШ №1», ИНН 0527001234, Сергокалинский район — "
        + "; ".join(rows[1]["reasons"]) + "\n"
    )
    app = shortlist_app(api)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_list(pilot)
        await pilot.press("c")
        await pilot.pause()
        assert app.clipboard == expected
        assert any("Скопировано" in m for m in notifications(app))
        app.copy_to_clipboard("")
        await pilot.press("с")  # Cyrillic «с», the same key on a Russian layout
        await pilot.pause()
        assert app.clipboard == expected


def test_shortlist_text_says_when_a_school_is_absent_from_the_week():
    import pandas as pd

    from sferum_tui.tui.shortlist import shortlist_text

    frame = pd.DataFrame({
        "org_name": ["МКОУ «Кулецминская ООШ»", "Школа без ИНН"],
        "org_id": [None, None],
        "municipality": ["Левашинский район", None],
        "reasons": [[], ["не создано ни одного класса"]],
        "in_week": [False, True],
    })
    assert shortlist_text(frame) == (
        "1. МКОУ «Кулецминская ООШ», Левашинский район — нет в файле недели\n"
        "2. Школа без ИНН — не создано ни одного класса\n")


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "md", "json"])
async def test_export_writes_a_file_that_reads_back_right(api, tmp_path, monkeypatch, fmt):
    from sferum_tui.tui.export_dialog import ExportDialog

    monkeypatch.chdir(tmp_path)  # no ~/Downloads in the test's home: the current folder
    uids = add_members(api, INACTIVE, GAPPY)
    rows = latest_rows(api, uids)
    app = shortlist_app(api)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_list(pilot)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportDialog))
        dialog = app.screen
        await pilot.click(f"#fmt-{fmt}")
        await pilot.pause()
        ext = {"csv": "csv", "xlsx": "xlsx", "md": "md", "json": "json"}[fmt]
        expected = tmp_path / f"sferum-29.04-05.05.2023-список-рассылка.{ext}"
        assert Path(dialog.path_text).expanduser().resolve() == expected
        dialog.query_one("#export-path").focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, ExportDialog))
        assert expected.exists()
        assert any(str(expected) in m for m in notifications(app))

    names = ["МКОУ «Аймаумахинская СОШ»", "МКОУ «Кулецминская ООШ»"]
    reasons = ["; ".join(r["reasons"]) for r in rows]
    if fmt == "csv":
        raw = expected.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")  # Excel with Russian settings reads it as UTF-8
        with expected.open(encoding="utf-8-sig", newline="") as fh:
            table = list(csv.reader(fh, delimiter=";"))
        header, body = table[0], table[1:]
        assert [r[header.index("Наименование ОО")] for r in body] == names
        assert [r[header.index("ИНН")] for r in body] == [INACTIVE, GAPPY]
        assert [r[header.index("Причины")] for r in body] == reasons
        assert {r[-1] for r in body} == {"список «Рассылка»"}
    elif fmt == "xlsx":
        import openpyxl

        sheet = openpyxl.load_workbook(expected).worksheets[0]
        values = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
        head_at = next(i for i, row in enumerate(values) if "Наименование ОО" in row)
        header, body = values[head_at], [r for r in values[head_at + 1:] if any(r)]
        assert [r[header.index("Наименование ОО")] for r in body] == names
        assert [r[header.index("Причины")] for r in body] == reasons
        assert any("список «Рассылка»" in str(c) for row in values[:head_at] for c in row if c)
    elif fmt == "md":
        text = expected.read_text(encoding="utf-8")
        assert "29.04–05.05.2023" in text.splitlines()[0]
        assert "список «Рассылка»" in text
        lines = [line for line in text.splitlines() if line.startswith("| 1 ") or line.startswith("| 2 ")]
        assert names[0] in lines[0] and names[1] in lines[1]
        assert reasons[0] in lines[0]
    else:
        doc = json.loads(expected.read_text(encoding="utf-8"))
        assert doc["filter"] == "список «Рассылка»"
        assert doc["week"]["start"] == "2023-04-29"
        assert [r["org_name"] for r in doc["rows"]] == names
        assert [r["reasons"] for r in doc["rows"]] == [list(r["reasons"]) for r in rows]
        assert doc["rows"][0]["users_total"] == 2


async def test_export_asks_before_replacing_and_reports_errors(api, tmp_path, monkeypatch):
    from sferum_tui.tui.export_dialog import ExportDialog

    monkeypatch.chdir(tmp_path)
    add_members(api, INACTIVE)
    app = shortlist_app(api)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_list(pilot)
        await pilot.press("у")  # «e» on a Russian layout
        await wait_for(pilot, lambda: isinstance(app.screen, ExportDialog))
        dialog = app.screen
        field = dialog.query_one("#export-path")

        # a folder that does not exist: a notification, the dialog stays
        field.value = str(tmp_path / "no-such-folder" / "list.csv")
        field.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: not dialog._busy and any(
            "Не удалось выгрузить" in m for m in notifications(app)))
        assert app.screen is dialog

        # an existing file is replaced only on the second press
        target = tmp_path / "list.csv"
        target.write_text("old", encoding="utf-8")
        field.value = str(target)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is dialog and target.read_text(encoding="utf-8") == "old"
        assert "ещё раз" in str(dialog.query_one("#export-status").render())
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is not dialog)
        assert target.read_bytes().startswith(b"\xef\xbb\xbf")

        # Esc cancels without writing
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportDialog))
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ExportDialog)


async def test_switch_to_a_new_list_makes_it_current(api):
    from sferum_tui.tui.shortlist import ShortlistPicker

    add_members(api, INACTIVE)
    app = shortlist_app(api)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_list(pilot)
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(app.screen, ShortlistPicker))
        app.screen.query_one("#picker-new").focus()
        await pilot.press(*"Новый")
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.list_name == "Новый" and screen.data is not None
                       and screen.data.name == "Новый")
        assert api.shortlist_name == "Новый"  # space now marks into it
        assert "Список пуст" in screen_text(app)

        # and back to the first list, picked from the list of lists
        await pilot.press("д")  # «l» on a Russian layout
        await wait_for(pilot, lambda: isinstance(app.screen, ShortlistPicker))
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.data is not None and screen.data.name == "Рассылка")
        assert api.shortlist_name == "Рассылка"
        assert "МКОУ «Аймаумахинская СОШ»" in screen_text(app)


async def test_enter_opens_the_school_and_esc_comes_back(api):
    from sferum_tui.tui.school import SchoolScreen
    from sferum_tui.tui.shortlist import ShortlistScreen

    add_members(api, GOOD)
    app = shortlist_app(api)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_list(pilot)
        await pilot.press("enter")
        school = await open_school(pilot)
        assert isinstance(school, SchoolScreen)
        assert "МКОУ «Сергокалинская СОШ №1»" in screen_text(app)
        await pilot.press("space")  # unmark it there…
        await wait_for(pilot, lambda: not school.data.in_list)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ShortlistScreen)
        # …and the list shows it is gone
        await wait_for(pilot, lambda: app.screen.data is not None and len(app.screen.data.frame) == 0)


async def test_english_shortlist(api):
    set_language("en")
    try:
        api.shortlist_name = "Mailing"
        add_members(api, INACTIVE)
        app = shortlist_app(api)
        async with app.run_test(size=(80, 24)) as pilot:
            await open_list(pilot)
            text = screen_text(app)
            assert "List “Mailing” · 1 organisation · week 29.04–05.05.2023" in text
            assert "Remove" in text and "Export" in text and "Copy" in text
    finally:
        set_language("ru")
