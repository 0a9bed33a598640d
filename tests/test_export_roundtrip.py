"""Exports right for the people who open them (issue 9, part 4): a crafted week exported in every
format through the real command line, each file read back as its user's program would.

The week has names that start with ``-``, ``=``, ``+`` and ``@``, a name with ``|``, ``<b>`` and
``&``, an ИНН with a leading zero, and no region column (the region comes from the config's scope
or from the registry).
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import openpyxl
import pytest

from sferum_tui.cli import main
from sferum_tui.core.outputs import csvout

from filemaker import write_csv

REGION = "Республика Дагестан"
MUNI = "Левашинский район"
HEAD = ["Муниципалитет", "ИНН", "Наименование ОО", "Статус", "Пользователи", "Классы", "Учителя",
        "Учителя, написавшие более 3 сообщений"]
MINUS = "-МБОУ СОШ №3"
EQUALS = '=HYPERLINK("http://evil.example/?x","Открыть")'
PLUS = "+cmd|' /C calc'!A0"
AT = "@SUM(1+1) гимназия"
MARKUP = "Школа | <b>жирная</b> & «Ко»"
NAMES = {"0512345678": MINUS, "0521004321": EQUALS, "0521004322": PLUS, "0521004323": AT,
         "0521004324": MARKUP}
ZERO_INN = "0512345678"
# (ИНН, users, classes, teachers, teachers writing) in week 1 and week 2
WEEK1 = {"0512345678": (120, 6, 56, 20), "0521004321": (3, 0, 2, 0), "0521004322": (400, 12, 40, 30),
         "0521004323": (80, 4, 10, 6), "0521004324": (50, 3, 28, 9)}
WEEK2 = {"0512345678": (121, 6, 56, 19), "0521004321": (3, 0, 2, 0), "0521004322": (410, 12, 40, 31),
         "0521004323": (82, 4, 10, 6), "0521004324": (52, 3, 28, 2)}
TITLES = ("Мониторинг использования ИКОП «Сферум» за период с 15.04.2023 по 21.04.2023",
          "Мониторинг использования ИКОП «Сферум» за период с 22.04.2023 по 28.04.2023")


def _week(path: Path, title: str, figures: dict) -> Path:
    rows = [[title], HEAD]
    for inn, (users, classes, teachers, writing) in figures.items():
        rows.append([MUNI, inn, NAMES[inn], "Активна" if users > 2 else "Не активна", users,
                     classes, teachers, writing])
    return write_csv(path, rows)


def run(capsys, *argv) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(map(str, argv)))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture()
def store(tmp_path, capsys):
    """``(--home, --config)`` arguments: two crafted weeks imported; the config's scope names
    the region, the weekly files do not."""
    home = tmp_path / "home"
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[scope]\nregion = "{REGION}"\n', encoding="utf-8")
    for i, figures in enumerate((WEEK1, WEEK2)):
        f = _week(tmp_path / f"w{i + 1}.csv", TITLES[i], figures)
        code, _, err = run(capsys, "--home", home, "import", f)
        assert code == 0, err
    return ["--home", home, "--config", cfg]


def read_csv(raw: bytes, sep: str) -> list[dict]:
    assert raw.startswith(csvout.BOM), "UTF-8 with a BOM, for Excel"
    text = raw[len(csvout.BOM):].decode("utf-8")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))
    assert all(len(r) == len(rows[0]) for r in rows), "one record per line, columns intact"
    return [dict(zip(rows[0], r)) for r in rows[1:]]


# --------------------------------------------------------------------------------------------

def test_xlsx_holds_exactly_the_source_text_and_no_formula(tmp_path, capsys, store):
    out = tmp_path / "week.xlsx"
    code, _, err = run(capsys, *store, "export", "-o", out)
    assert code == 0, err
    ws = openpyxl.load_workbook(out).worksheets[0]
    header = [c.value for c in ws[5]]
    col = {h: i + 1 for i, h in enumerate(header) if h}
    rows = {ws.cell(r, col["ИНН"]).value: r for r in range(6, ws.max_row + 1)
            if ws.cell(r, col["ИНН"]).value}
    assert set(rows) == set(NAMES)                                  # 0512345678: zero kept
    for inn, r in rows.items():
        name = ws.cell(r, col["Наименование ОО"])
        assert name.value == NAMES[inn] and name.data_type == "s"   # no apostrophe, a string
        assert ws.cell(r, col["ИНН"]).data_type == "s"
        assert ws.cell(r, col["Регион"]).value == REGION
    r = rows[ZERO_INN]
    users = ws.cell(r, col["Пользователи"])
    assert users.value == 121 and isinstance(users.value, int) and users.data_type == "n"
    share = ws.cell(r, col["Доля пишущих учителей"])
    assert share.data_type == "n" and share.value == pytest.approx(19 / 56) and "%" in share.number_format
    delta = ws.cell(r, col["Изменение за неделю: доля пишущих учителей"])
    assert delta.data_type == "n" and delta.value == pytest.approx(-1 / 56)
    assert ws.freeze_panes == "C6" and ws.auto_filter.ref.startswith("A5:")
    with zipfile.ZipFile(out) as z:
        sheets = [z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("xl/worksheets/")]
    assert sheets and not any("<f>" in x or "<f " in x for x in sheets)


def test_both_csvs_are_neutralised_with_decimal_commas(tmp_path, capsys, store):
    out = tmp_path / "week.csv"
    code, _, err = run(capsys, *store, "export", "-o", out)
    assert code == 0, err
    exported = {r["ИНН"]: r for r in read_csv(out.read_bytes(), ";")}
    code, printed, err = run(capsys, *store, "schools", "--format", "csv")
    assert code == 0, err
    schools = {r["org_id"]: r for r in read_csv(printed.encode("utf-8"), ";")}
    assert set(exported) == set(schools) == set(NAMES)
    for inn, name in NAMES.items():
        want = name if name == MARKUP else "'" + name          # only the formula starts
        assert exported[inn]["Наименование ОО"] == want
        assert schools[inn]["org_name"] == want
        assert exported[inn]["Регион"] == schools[inn]["region"] == REGION
    zero_e, zero_s = exported[ZERO_INN], schools[ZERO_INN]
    # shares with a decimal comma; a negative change is a number, not neutralised text
    assert zero_e["Доля пишущих учителей, %"] == "33,93"                     # 19 / 56
    assert zero_e["Изменение за неделю: доля пишущих учителей, п. п."] == "-1,79"
    assert zero_e["Изменение за неделю: пользователи"] == "1"
    assert zero_s["messaging_share"].startswith("0,3392857")
    assert zero_s["d_messaging_share"].startswith("-0,017857")
    assert zero_s["users_total"] == "121" and zero_s["d_users_total"] == "1"


def test_decimal_point_gives_dots_and_commas_between_fields(tmp_path, capsys, store):
    out = tmp_path / "week.csv"
    code, _, err = run(capsys, *store, "export", "--decimal-point", "-o", out)
    assert code == 0, err
    exported = {r["ИНН"]: r for r in read_csv(out.read_bytes(), ",")}
    assert exported[ZERO_INN]["Доля пишущих учителей, %"] == "33.93"
    assert exported[ZERO_INN]["Изменение за неделю: доля пишущих учителей, п. п."] == "-1.79"
    assert exported[ZERO_INN]["Наименование ОО"] == "'" + MINUS
    code, printed, err = run(capsys, *store, "schools", "--format", "csv", "--decimal-point")
    assert code == 0, err
    schools = {r["org_id"]: r for r in read_csv(printed.encode("utf-8"), ",")}
    assert schools[ZERO_INN]["messaging_share"].startswith("0.3392857")
    assert schools["0521004322"]["org_name"] == "'" + PLUS                   # a comma-free name


def test_history_and_changes_csv_go_through_the_same_writer(capsys, store):
    code, printed, err = run(capsys, *store, "history", ZERO_INN, "--format", "csv")
    assert code == 0, err
    rows = read_csv(printed.encode("utf-8"), ";")
    assert [r["org_name"] for r in rows] == ["'" + MINUS] * 2
    assert [r["region"] for r in rows] == [REGION] * 2
    assert rows[1]["d_messaging_share"].startswith("-0,017857")
    code, printed, err = run(capsys, *store, "changes", "--format", "csv", "--limit", "0")
    assert code == 0, err
    rows = read_csv(printed.encode("utf-8"), ";")
    falls = [r for r in rows if r["change"] == "falls"]
    assert falls and {r["org_name"] for r in falls} <= {"'" + MINUS, MARKUP}
    assert all(not r["org_name"].startswith(("=", "+", "-", "@")) for r in rows)


def test_markdown_escapes_table_breakers_and_html(tmp_path, capsys, store):
    out = tmp_path / "notes.md"
    code, _, err = run(capsys, *store, "export", "-o", out)
    assert code == 0, err
    text = out.read_text(encoding="utf-8")
    table = [ln for ln in text.splitlines() if ln.startswith("| ")]
    assert all(ln.count(" | ") == table[0].count(" | ") for ln in table)    # no broken row
    assert "Школа \\| &lt;b&gt;жирная&lt;/b&gt; &amp; «Ко»" in text
    assert "<b>" not in text and MINUS in text and ZERO_INN in text


def test_json_rows_carry_the_region_from_the_scope(tmp_path, capsys, store):
    out = tmp_path / "week.json"
    code, _, err = run(capsys, *store, "export", "-o", out)
    assert code == 0, err
    rows = json.loads(out.read_text(encoding="utf-8"))["rows"]
    assert len(rows) == 5 and {r["region"] for r in rows} == {REGION}
    assert {r["org_name"] for r in rows} == set(NAMES.values())             # JSON: as it is
    code, printed, err = run(capsys, *store, "schools", "--format", "json")
    assert code == 0, err
    assert {r["region"] for r in json.loads(printed)} == {REGION}


def test_region_from_the_registry_when_the_file_has_none(tmp_path, capsys):
    home = tmp_path / "home"
    week = _week(tmp_path / "w.csv", TITLES[1], WEEK2)
    reg = write_csv(tmp_path / "reg.csv", [
        ["ИНН", "Наименование организации", "Муниципальное образование", "Регион",
         "Численность сотрудников"],
        *[[inn, NAMES[inn], MUNI, "Республика Дагестан", 60] for inn in NAMES],
        ["0521009999", "МКОУ «Новая ООШ»", MUNI, "Республика Дагестан", 9],   # never in the file
    ])
    assert run(capsys, "--home", home, "import", week)[0] == 0
    code, _, err = run(capsys, "--home", home, "registry", "import", reg)
    assert code == 0, err
    code, printed, err = run(capsys, "--home", home, "schools", "--format", "json")
    assert code == 0, err
    rows = json.loads(printed)
    assert len(rows) == 6 and {r["region"] for r in rows} == {REGION}
    out = tmp_path / "week.csv"
    assert run(capsys, "--home", home, "export", "-o", out)[0] == 0
    assert {r["Регион"] for r in read_csv(out.read_bytes(), ";")} == {REGION}


def test_without_a_region_anywhere_it_stays_empty(tmp_path, capsys):
    home = tmp_path / "home"
    assert run(capsys, "--home", home, "import", _week(tmp_path / "w.csv", TITLES[1], WEEK2))[0] == 0
    code, printed, err = run(capsys, "--home", home, "schools", "--format", "json")
    assert code == 0, err
    assert {r["region"] for r in json.loads(printed)} == {None}


def test_the_writer_types_cells():
    data = csvout.render_csv(["a", "b", "c", "d", "e"],
                             [[-1.79, "-1,79", 7.14, None, True], [3, " =1", 1e-7, float("nan"), "x\ny"]])
    rows = read_csv(data, ";")
    assert rows[0] == {"a": "-1,79", "b": "'-1,79", "c": "7,14", "d": "", "e": "true"}
    assert rows[1] == {"a": "3", "b": "' =1", "c": "0,0000001", "d": "", "e": "x y"}
    assert csvout.number_text(37.5, decimal_comma=False) == "37.5"
    assert csvout.number_text(-0.0) == "0" and csvout.number_text(2.0) == "2"


# -- the console's export dialog ---------------------------------------------------------------

async def _until(pilot, condition, tries: int = 300) -> None:
    for _ in range(tries):
        if condition():
            await pilot.pause()
            return
        await pilot.pause(0.02)
    raise AssertionError("the dialog did not get there in time")


async def test_console_export_dialog_defaults_to_xlsx(tmp_path, capsys, store):
    from textual.app import App

    from sferum_tui.core import indicators as ind
    from sferum_tui.core.config import load_config
    from sferum_tui.core.store import Store
    from sferum_tui.tui.export_dialog import ExportDialog

    with Store(store[1]) as st:
        snap = st.latest()
        df = ind.week_table(st, load_config(store[3]), snap.id)
    dialog = ExportDialog(None, df, snap, "все организации", folder=tmp_path)
    app = App()
    async with app.run_test(size=(90, 30)) as pilot:
        app.push_screen(dialog)
        await _until(pilot, lambda: app.screen is dialog and dialog.is_mounted)
        assert dialog.fmt == "xlsx" and dialog.path_text.endswith(".xlsx")
        assert dialog.query_one("#fmt-xlsx").value is True
        dialog.query_one("#export-path").focus()
        await pilot.press("enter")
        await _until(pilot, lambda: dialog.written is not None)
        first = dialog.written
        # a path typed with .csv writes CSV (the writer's «;» and decimal comma), not XLSX bytes
        app.push_screen(second := ExportDialog(None, df, snap, "", folder=tmp_path))
        await _until(pilot, lambda: app.screen is second and second.is_mounted)
        second.query_one("#export-path").value = str(tmp_path / "typed.csv")
        second.query_one("#export-path").focus()
        await pilot.press("enter")
        await _until(pilot, lambda: second.written is not None)
    assert first.suffix == ".xlsx" and first.read_bytes()[:2] == b"PK"
    ws = openpyxl.load_workbook(first).worksheets[0]
    names = {c.value for row in ws.iter_rows(min_row=6) for c in row if c.value in NAMES.values()}
    assert names == set(NAMES.values())
    rows = {r["ИНН"]: r for r in read_csv((tmp_path / "typed.csv").read_bytes(), ";")}
    assert rows[ZERO_INN]["Доля пишущих учителей, %"] == "33,93"
    assert rows[ZERO_INN]["Наименование ОО"] == "'" + MINUS
