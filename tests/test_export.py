"""``core/export.py``: every format written from a real imported store and read back.

The week table here is computed by hand from ``Store.week_frame`` (``export_support``), so
these tests do not depend on the indicators engine; the command line is tested in
``test_export_cli.py``.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import UTC, date, datetime

import openpyxl
import pytest

from sferum_tui.core.errors import UserError
from sferum_tui.core.outputs import export as ex
from sferum_tui.core.store import Store
from sferum_tui.i18n import set_language

from export_support import EVIL_NAME, make_store, week_table_by_hand

MOMENT = datetime(2023, 4, 28, 15, 30, tzinfo=UTC)


@pytest.fixture()
def week(tmp_path):
    """``(snapshot of the second week, its table by hand)``."""
    home = make_store(tmp_path)
    with Store(home) as store:
        snap = store.latest()
        df = week_table_by_hand(store, snap.id)
    return snap, df


def read_csv(path):
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 BOM for Excel"
    text = raw[3:].decode("utf-8")
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    return rows[0], [dict(zip(rows[0], r)) for r in rows[1:]]


# -- CSV ------------------------------------------------------------------------------------

def test_csv_opens_in_russian_excel(tmp_path, week):
    snap, df = week
    out = tmp_path / "out.csv"
    res = ex.export(df, out, "csv", week=snap, filter_text="неактивные", exported_at=MOMENT)
    assert res.count == 4 and res.path == out and res.format == "csv"
    header, rows = read_csv(out)
    for h in ("ИНН", "Наименование ОО", "Муниципалитет", "Пользователи", "Классы",
              "Учителя, написавшие более 3 сообщений", "Доля пишущих учителей, %", "Причины",
              "Неделя с", "Неделя по", "Фильтр"):
        assert h in header, h
    by_inn = {r["ИНН"]: r for r in rows}
    assert set(by_inn) == {"0527001234", "0527001235", "0521004321", "0521004322"}  # zeros kept
    evil = by_inn["0521004321"]
    assert evil["Наименование ОО"] == "'" + EVIL_NAME
    assert evil["Причины"] == "не создан ни один класс; 0 из 2 учителей написали более 3 сообщений"
    assert evil["Статус в файле"] == "не активна" and evil["Неактивна"] == "да"
    first = by_inn["0527001234"]
    assert first["Пользователи"] == "1240" and first["Изменение за неделю: пользователи"] == "6"
    assert first["Доля пишущих учителей, %"] == "24,39"          # 10 / 41, a decimal comma
    assert first["Неделя с"] == "2023-04-22" and first["Неделя по"] == "2023-04-28"
    assert all(r["Фильтр"] == "неактивные" for r in rows)
    assert by_inn["0527001235"]["Причины"] == "0 из 1 учителей написали более 3 сообщений"


def test_csv_decimal_comma_and_empty_cells(tmp_path, week):
    snap, df = week
    out = tmp_path / "out.csv"
    ex.export(df, out, "csv", week=snap, filter_text="")
    header, rows = read_csv(out)
    first = next(r for r in rows if r["ИНН"] == "0527001234")
    assert first["Доля пишущих учителей, %"] == "24,39"
    assert first["Доля зарегистрированных сотрудников, %"] == ""     # NaN → empty
    assert first["Фильтр"] == "все организации"


def test_csv_neutralises_every_dangerous_start(tmp_path):
    import pandas as pd

    names = ["=1+1", "+7 999", "-x", "@SUM(A1)", "\tTAB", "\rCR", "\r\n=x", "ok", "Школа = лучшая"]
    df = pd.DataFrame({"org_id": [str(i) for i in range(len(names))], "org_name": names,
                       "reasons": [["=HYPERLINK(\"x\")"]] + [[] for _ in names[1:]]})
    out = tmp_path / "n.csv"
    ex.export(df, out, "csv", week=(date(2023, 4, 15), date(2023, 4, 21)), filter_text="поиск «=x»")
    _, rows = read_csv(out)
    got = [r["Наименование ОО"] for r in rows]
    # line breaks are folded to spaces (one row per line in Excel), then the start is checked
    assert got == ["'=1+1", "'+7 999", "'-x", "'@SUM(A1)", "'\tTAB", "CR", "'=x", "ok", "Школа = лучшая"]
    assert rows[0]["Причины"] == "'=HYPERLINK(\"x\")"
    assert rows[0]["Фильтр"] == "поиск «=x»"


# -- XLSX -----------------------------------------------------------------------------------

def test_xlsx_typed_cells_frozen_header_autofilter_and_block(tmp_path, week):
    snap, df = week
    out = tmp_path / "out.xlsx"
    res = ex.export(df, out, None, week=snap, filter_text="мало пишущих", exported_at=MOMENT)
    assert res.format == "xlsx"
    wb = openpyxl.load_workbook(out)
    ws = wb.worksheets[0]
    assert ws["A1"].value == "Мониторинг: неделя 22.04–28.04.2023"
    assert ws["A2"].value == "Фильтр: мало пишущих"
    assert ws["A3"].value.startswith("Организаций: 4. Выгружено: 28.04.2023")
    header = [c.value for c in ws[5]]
    col = {h: i + 1 for i, h in enumerate(header) if h}
    assert ws.freeze_panes == "C6"                      # header and ИНН + name stay in view
    assert ws.auto_filter.ref == f"A5:{openpyxl.utils.get_column_letter(len(col))}9"
    rows = {ws.cell(r, col["ИНН"]).value: r for r in range(6, 10)}
    assert set(rows) == {"0527001234", "0527001235", "0521004321", "0521004322"}
    r = rows["0527001234"]
    users = ws.cell(r, col["Пользователи"])
    assert users.value == 1240 and isinstance(users.value, int) and users.data_type == "n"
    share = ws.cell(r, col["Доля пишущих учителей"])
    assert share.data_type == "n" and share.value == pytest.approx(10 / 41)
    assert "%" in share.number_format
    delta = ws.cell(r, col["Изменение за неделю: доля пишущих учителей"])
    assert delta.value == pytest.approx(10 / 41 - 3 / 41) and "%" in delta.number_format
    assert ws.cell(r, col["Изменение за неделю: пользователи"]).value == 6
    assert ws.cell(r, col["Неделя с"]).value == datetime(2023, 4, 22)
    evil = rows["0521004321"]
    name = ws.cell(evil, col["Наименование ОО"])
    assert name.value == EVIL_NAME and name.data_type == "s"     # exactly the source text
    assert ws.cell(evil, col["Причины"]).value.startswith("не создан ни один класс; ")
    # an empty share is an empty cell, not text
    assert ws.cell(r, col["Доля зарегистрированных сотрудников"]).value is None
    assert ws.column_dimensions["B"].width > 20       # the name column is wide
    about = wb.worksheets[1]
    info = {about.cell(i, 1).value: about.cell(i, 2).value for i in range(1, about.max_row + 1)}
    assert info["Неделя"] == "22.04–28.04.2023"
    assert info["Неделя с"] == datetime(2023, 4, 22) and info["Неделя по"] == datetime(2023, 4, 28)
    assert info["Фильтр"] == "мало пишущих" and info["Организаций"] == 4
    assert info["Файл недели"] == "week2.csv"
    assert isinstance(info["Выгружено"], datetime)


def test_xlsx_strings_are_never_formulas(tmp_path):
    import pandas as pd

    df = pd.DataFrame({"org_id": ["1", "2"], "org_name": ["=SUM(1,2)", "+CMD"],
                       "note": ["@x", "-y"]})
    out = tmp_path / "f.xlsx"
    ex.export(df, out, "xlsx", week=None, filter_text="=EVIL()")
    ws = openpyxl.load_workbook(out).worksheets[0]
    cells = [c for row in ws.iter_rows() for c in row if c.value is not None]
    values = [c.value for c in cells]
    assert "=SUM(1,2)" in values and "+CMD" in values and "@x" in values and "-y" in values
    assert all(c.data_type == "s" for c in cells if isinstance(c.value, str))
    import zipfile

    with zipfile.ZipFile(out) as z:                       # string cells, never formulas
        assert not any("<f>" in z.read(n).decode("utf-8") or "<f " in z.read(n).decode("utf-8")
                       for n in z.namelist() if n.startswith("xl/worksheets/"))
    assert ws["A2"].value == "Фильтр: =EVIL()"          # inside a sentence: harmless
    assert ws["A1"].value == "Мониторинг"


def test_xlsx_in_english(tmp_path, week):
    snap, df = week
    set_language("en")
    out = tmp_path / "en.xlsx"
    ex.export(df, out, "xlsx", week=snap, filter_text="inactive")
    ws = openpyxl.load_workbook(out).worksheets[0]
    header = [c.value for c in ws[5]]
    assert "Organisation" in header and "Teacher messaging share" in header and "Reasons" in header
    assert ws["A2"].value == "Filter: inactive"


# -- Markdown -------------------------------------------------------------------------------

def test_markdown_for_meeting_notes(tmp_path, week):
    snap, df = week
    out = tmp_path / "notes.md"
    ex.export(df[df["inactive"]], out, "md", week=snap, filter_text="неактивные", exported_at=MOMENT)
    text = out.read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0] == "# Мониторинг: неделя 22.04–28.04.2023"
    assert "**Фильтр:** неактивные" in text and "**Организаций:** 1" in text
    table = [ln for ln in lines if ln.startswith("|")]
    assert table[0].startswith("| № | ИНН | Наименование ОО |") and "Причины" in table[0]
    assert set(table[1]) <= set("|-: ")
    assert len(table) == 3
    row = table[2]
    assert "0521004321" in row and "=cmd\\|' /C calc'!A0" in row   # a | in a name is escaped
    assert "0 / 2" in row and "не создан ни один класс; 0 из 2 учителей" in row
    assert row.count(" | ") == table[0].count(" | ")


def test_markdown_empty(tmp_path):
    import pandas as pd

    out = tmp_path / "e.md"
    ex.export(pd.DataFrame({"org_id": [], "org_name": []}), out, "md",
              week=(date(2023, 4, 15), date(2023, 4, 21)), filter_text="неактивные")
    text = out.read_text(encoding="utf-8")
    assert "15.04–21.04.2023" in text and "**Организаций:** 0" in text and "Нет организаций" in text


# -- JSON -----------------------------------------------------------------------------------

def test_json_canonical_names(tmp_path, week):
    snap, df = week
    out = tmp_path / "out.json"
    ex.export(df, out, "json", week=snap, filter_text="все организации", exported_at=MOMENT)
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["week"] == {"start": "2023-04-22", "end": "2023-04-28", "label": "22.04–28.04.2023",
                           "snapshot_id": snap.id, "source": "week2.csv"}
    assert doc["filter"] == "все организации" and doc["count"] == 4
    assert doc["exported_at"] == "2023-04-28T15:30:00Z"
    rec = {r["org_id"]: r for r in doc["rows"]}
    first = rec["0527001234"]
    assert first["org_name"] == "МКОУ «Сергокалинская СОШ №1»"          # raw, not neutralised
    assert first["users_total"] == 1240 and first["d_users_total"] == 6
    assert first["messaging_share"] == pytest.approx(10 / 41)
    assert first["registration_share"] is None and first["staff_total"] is None
    assert first["status"] == "active" and first["active_by_rule"] is True
    assert first["week_start"] == "2023-04-22"
    assert first["reasons"] == ["10 из 41 учителей написали более 3 сообщений"]
    assert rec["0521004321"]["org_name"] == EVIL_NAME
    assert rec["0521004321"]["reasons"] == ["не создан ни один класс",
                                            "0 из 2 учителей написали более 3 сообщений"]


# -- the file itself ------------------------------------------------------------------------

def test_failed_export_leaves_no_file(tmp_path, week, monkeypatch):
    snap, df = week
    out = tmp_path / "out.xlsx"
    out.write_bytes(b"previous export")

    def boom(*a, **k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(ex, "_render_xlsx", boom)
    with pytest.raises(RuntimeError):
        ex.export(df, out, "xlsx", week=snap)
    assert out.read_bytes() == b"previous export"

    def no_space(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ex.os, "fsync", no_space)
    with pytest.raises(UserError) as err:
        ex.export(df, tmp_path / "new.csv", "csv", week=snap)
    assert "No space left" in err.value.message and "\n" not in err.value.message
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["out.xlsx", "home", "week1.csv", "week2.csv"])


def test_bad_targets_are_one_line_errors(tmp_path, week):
    snap, df = week
    with pytest.raises(UserError, match="нет папки"):
        ex.export(df, tmp_path / "nowhere" / "x.csv", "csv", week=snap)
    with pytest.raises(UserError, match="это папка"):
        ex.export(df, tmp_path, "csv", week=snap)
    with pytest.raises(UserError, match="неизвестный формат «pdf»"):
        ex.export(df, tmp_path / "x.pdf", "pdf", week=snap)
    with pytest.raises(UserError, match="по имени файла не понять формат"):
        ex.export(df, tmp_path / "x.dat", None, week=snap)


def test_render_matches_export(tmp_path, week):
    snap, df = week
    data = ex.render(df, "json", week=snap, filter_text="f", exported_at=MOMENT)
    ex.export(df, tmp_path / "a.json", "json", week=snap, filter_text="f", exported_at=MOMENT)
    assert (tmp_path / "a.json").read_bytes() == data


def test_filter_words_come_from_the_one_filter_spec():
    """Export headers describe the filter with FilterSpec.describe (the console's chips, the
    CLI's «Фильтр:» line): one wording everywhere."""
    from sferum_tui.core.config import Config
    from sferum_tui.service.filters import FilterSpec

    cfg = Config.default()
    assert FilterSpec().describe(cfg) == "все организации"
    spec = FilterSpec.parse(inactive=True, low_messaging=True, municipality="Левашинский район",
                            search="СОШ")
    assert spec.describe(cfg, shortlist="Отстающие") == (
        "список «Отстающие»; неактивные; пишут < 30%; Левашинский район; поиск «СОШ»")
    assert "пишут < 12,5%" in FilterSpec.parse(low_messaging="12,5").describe(cfg)
    set_language("en")
    assert FilterSpec.parse(low_messaging="30").describe(cfg) == "messaging < 30%"


def test_neutralize():
    assert [ex.neutralize(s) for s in ("=a", "+a", "-a", "@a", "\ta", "\ra", "a", "", "'=a")] == \
        ["'=a", "'+a", "'-a", "'@a", "'\ta", "'\ra", "a", "", "'=a"]


def test_export_does_not_import_textual():
    code = ("import sys; import sferum_tui.core.outputs.export, sferum_tui.core.store.shortlists; "
            "assert 'textual' not in sys.modules, 'textual imported'; "
            "assert 'pandas' not in sys.modules, 'pandas imported at import time'")
    subprocess.run([sys.executable, "-c", code], check=True)
