"""The reader on layouts we had not seen before: each case is a file a ministry or a district
office could plausibly send, written on disk, with what an official reading it would expect."""

from __future__ import annotations

import datetime
import json

import pytest

from sferum_tui.cli import main

from filemaker import write_csv, write_ods, write_xls

P = {"start": "2023-04-15", "end": "2023-04-21"}
W16 = {"start": "2023-04-17", "end": "2023-04-23"}
ORGS = [
    ("Сергокалинский район", "0527001234", "МКОУ «Сергокалинская СОШ №1»", "Активна", 1234, 41, 22, 3),
    ("Сергокалинский район", "0527001235", "МКОУ «Аймаумахинская СОШ»", "Не активна", 2, 1, 0, 0),
    ("Левашинский район", "0521004321", "МКОУ «Левашинская гимназия»", "неактивен", 3, 2, 0, 0),
    ("Левашинский район", "0521004322", "МБОУ «Цудахарская СОШ»", "АКТИВЕН", 512, 44, 18, 9),
]
HEAD = ["№ п/п", "МО", "ИНН", "Наименование ОО", "Статус", "Пользователи", "Учителя", "Классы",
        "Учителя, написавшие более 3 сообщений"]


def _row(i, o):
    return [i, o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7]]


def _rows(title=None, head=HEAD, fmt=_row):
    out = [[title]] if title else []
    out.append(head)
    out += [fmt(i, o) for i, o in enumerate(ORGS, 1)]
    return out


def _expected(rownums, orgs=ORGS, muni=True):
    out = []
    for n, o in zip(rownums, orgs):
        d = {"row": n, "org_id": o[1], "org_name": o[2], "status": "inactive" if "не" in o[3].lower() else "active",
             "users_total": o[4], "teachers": o[5], "classes": o[6], "teachers_active": o[7]}
        if muni:
            d["municipality"] = o[0]
        out.append(d)
    return out


def _pick(rows, expected):
    return [{k: r[k] for k in e} for r, e in zip(rows, expected)]


def _inspect(path, capsys):
    assert main(["inspect", str(path), "--json"]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out.splitlines()[0])


# --------------------------------------------------------------------------- periods

@pytest.mark.parametrize("title,period", [
    ("за период с 15.04.2023 г. по 21.04.2023 г.", P),            # was read as the week ending 15.04
    ("за период с 15.04.2023г. по 21.04.2023г.", P),
    ("период с 15.04.2023 00:00 по 21.04.2023 23:59", P),          # times in the title
    ("с «15» апреля 2023 г. по «21» апреля 2023 г.", P),            # the day in guillemets
    ("с 15.04 по 21.04 2023 г.", P),                                # year after a space; short title
    ("c 15.04.2023 по 21.04.2023", P),                              # a Latin «c»
    ("период: 15.04.2023–21.04.2023", P),
    ("Мониторинг (15.04-21.04.2023)", P),
    ("Отчёт сформирован 24.04.2023, период 15.04.2023 - 21.04.2023", P),
    ("с 26.12.2022 по 01.01.2023", {"start": "2022-12-26", "end": "2023-01-01"}),
    ("Неделя №16 2023 года", W16),
])
def test_period_wordings_in_the_title(tmp_path, capsys, title, period):
    path = write_csv(tmp_path / "week.csv", _rows(title))
    res = _inspect(path, capsys)
    assert res["period"] == period
    assert _pick(res["rows"], _expected([3, 4, 5, 6])) == _expected([3, 4, 5, 6])


@pytest.mark.parametrize("name,period", [
    ("Sferum_21_04_2023.csv", P),
    ("итоги_15_04_2023-21_04_2023.csv", P),
    ("Сферум_21.04.2023.csv", P),
    ("monitoring_2023-W16.csv", W16),
    ("Сферум_(15.04.23-21.04.23).csv", P),
])
def test_period_from_the_file_name(tmp_path, capsys, name, period):
    path = write_csv(tmp_path / name, _rows())
    assert _inspect(path, capsys)["period"] == period


def test_period_as_date_cells_on_two_labelled_rows(tmp_path, capsys):
    import xlsxwriter

    path = tmp_path / "week.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Данные")
    df = wb.add_format({"num_format": "dd.mm.yyyy"})
    ws.write(0, 0, "Мониторинг ИКОП Сферум")
    ws.write(1, 0, "Начало периода")
    ws.write_datetime(1, 1, datetime.datetime(2023, 4, 15), df)
    ws.write(2, 0, "Конец периода")
    ws.write_datetime(2, 1, datetime.datetime(2023, 4, 21), df)
    ws.write_row(4, 0, HEAD)
    for i, o in enumerate(ORGS):
        ws.write_row(5 + i, 0, _row(i + 1, o))
    wb.close()
    res = _inspect(path, capsys)
    assert res["period"] == P
    assert [r["row"] for r in res["rows"]] == [6, 7, 8, 9]


# --------------------------------------------------------------------------- headers

def test_abbreviated_and_unfamiliar_wordings(tmp_path, capsys):
    head = ["№", "Наименование образовательной организации", "ИНН", "Муниципальный район",
            "Статус профиля ОО (активен/не активен)", "Кол-во зарег. пользователей", "Кол-во уч-ся",
            "Кол-во пед. работников", "Кол-во род.", "Кол-во классов", "Педагоги, написавшие >3 сообщ.",
            "Доля педагогов, написавших >3 сообщ."]

    def fmt(i, o):
        return [i, o[2], o[1], o[0], o[3], o[4], 10, o[5], 7, o[6], o[7], "-"]
    path = write_csv(tmp_path / "w.csv", _rows("Мониторинг за период с 15.04.2023 г. по 21.04.2023 г.", head, fmt))
    res = _inspect(path, capsys)
    assert res["columns"] == {
        "№": None, "Наименование образовательной организации": "org_name", "ИНН": "org_id",
        "Муниципальный район": "municipality", "Статус профиля ОО (активен/не активен)": "status",
        "Кол-во зарег. пользователей": "users_total", "Кол-во уч-ся": "students",
        "Кол-во пед. работников": "teachers", "Кол-во род.": "parents", "Кол-во классов": "classes",
        "Педагоги, написавшие >3 сообщ.": "teachers_active",
        "Доля педагогов, написавших >3 сообщ.": "teachers_active_share"}
    assert res["period"] == P
    assert _pick(res["rows"], _expected([3, 4, 5, 6])) == _expected([3, 4, 5, 6])
    assert [r["students"] for r in res["rows"]] == [10] * 4


def _three_row_header_workbook(path):
    """Blank column A and two blank rows on top; a header merged over three rows with line
    breaks; «из них написали > 3 сообщений» under «учителя»; subtotals in two wordings and a
    grand total with no word at all; shares as Excel percent cells."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Лист1")
    R, C = 2, 1
    ws.merge_range(R, C, R, C + 9, "Мониторинг использования ИКОП «Сферум»")
    ws.merge_range(R + 1, C, R + 1, C + 9, "за период с 15.04.2023 г. по 21.04.2023 г.")
    h = R + 3
    for c, text in enumerate(["№\nп/п", "Муниципальное\nобразование", "Наименование\nобразовательной\nорганизации",
                              "ИНН", "Статус\nпрофиля"]):
        ws.merge_range(h, C + c, h + 2, C + c, text)
    ws.merge_range(h, C + 5, h, C + 9, "Показатели")
    ws.merge_range(h + 1, C + 5, h + 1, C + 7, "Количество пользователей")
    ws.write_row(h + 2, C + 5, ["всего", "учителя", "из них написали\n> 3 сообщений"])
    ws.merge_range(h + 1, C + 8, h + 2, C + 8, "Классы")
    ws.merge_range(h + 1, C + 9, h + 2, C + 9, "Доля учителей,\nнаписавших > 3 сообщ., %")
    pct = wb.add_format({"num_format": "0.0%"})
    r, n = h + 3, 1
    for mun, words in (("Сергокалинский район", "ИТОГО по МО"), ("Левашинский район", "Всего по району:")):
        for o in [o for o in ORGS if o[0] == mun]:
            ws.write_row(r, C, [n, o[0], o[2], o[1], o[3], o[4], o[5], o[7], o[6]])
            if o[5]:
                ws.write_number(r, C + 9, o[7] / o[5], pct)
            r += 1
            n += 1
        ws.write(r, C + 1, words)
        ws.write(r, C + 5, 999)
        r += 1
    ws.write(r, C + 5, 1751)
    wb.close()
    return path


def test_three_row_merged_header_with_of_them_column(tmp_path, capsys):
    res = _inspect(_three_row_header_workbook(tmp_path / "a.xlsx"), capsys)
    assert res["period"] == P
    assert res["columns"]["Показатели / Количество пользователей / из них написали > 3 сообщений"] == "teachers_active"
    assert res["columns"]["Показатели / Количество пользователей / учителя"] == "teachers"
    exp = _expected([9, 10, 12, 13])
    assert _pick(res["rows"], exp) == exp
    assert [r["teachers_active_share"] for r in res["rows"]] == [pytest.approx(3 / 41), 0.0, 0.0, pytest.approx(9 / 44)]
    assert sorted(s["row"] for s in res["skipped"]) == [11, 14, 15]


def test_hidden_sheet_with_the_same_layout_is_not_read(tmp_path, capsys):
    import xlsxwriter

    path = tmp_path / "book.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    cover = wb.add_worksheet("Титул")
    cover.write(1, 0, "за период с 15.04.2023 по 21.04.2023")
    s = wb.add_worksheet("Свод по МО")
    s.write_row(0, 0, ["№", "Наименование МО", "Количество ОО", "Пользователи", "Учителя", "Классы"])
    s.write_row(1, 0, [1, "Сергокалинский район", 2, 1236, 42, 22])
    old = wb.add_worksheet("old")
    old.write_row(0, 0, HEAD)
    old.write_row(1, 0, [1, "X", "0500000001", "Старая школа", "Активна", 5, 5, 5, 5])
    old.hide()
    ws = wb.add_worksheet("ОО")
    ws.write_row(0, 0, HEAD)
    for i, o in enumerate(ORGS):
        ws.write_row(1 + i, 0, _row(i + 1, o))
    wb.close()
    res = _inspect(path, capsys)
    assert res["sheet"] == "ОО" and res["period"] == P
    assert _pick(res["rows"], _expected([2, 3, 4, 5])) == _expected([2, 3, 4, 5])


# --------------------------------------------------------------------------- cells

STATUSES = [("Профиль не активен", "inactive"), ("Активный профиль", "active"), ("Неакт.", "inactive"),
            ("Акт.", "active"), ("✓", "active"), ("Не подключена", "inactive"), ("Not active", "inactive"),
            ("Да", "active"), ("нет", "inactive"), ("-", None), ("Не зарегистрирована", "inactive")]


def test_status_wordings(tmp_path, capsys):
    rows = [["за период с 15.04.2023 по 21.04.2023"], ["ИНН", "Наименование ОО", "Статус", "Пользователи"]]
    rows += [[f"05000000{i:02d}", f"Школа {i}", s, 5] for i, (s, _) in enumerate(STATUSES)]
    res = _inspect(write_csv(tmp_path / "st.csv", rows), capsys)
    assert [r["status"] for r in res["rows"]] == [e for _, e in STATUSES]
    assert not any("статус" in w.lower() and "не распознаны" in w for w in res["warnings"])


def test_share_column_with_percent_header_and_small_text_values(tmp_path, capsys):
    """«0,5» under «Доля …, %» in a CSV is 0.5%, not 50% (most schools are near 3%)."""
    head = HEAD[:-1] + ["Доля учителей, написавших более 3 сообщений, %"]
    values = ["0,5", "0", "1", "0,8"]
    rows = [["за период с 15.04.2023 по 21.04.2023"], head]
    rows += [_row(i, o)[:-1] + [v] for i, (o, v) in enumerate(zip(ORGS, values), 1)]
    res = _inspect(write_csv(tmp_path / "pct.csv", rows), capsys)
    assert [r["teachers_active_share"] for r in res["rows"]] == [0.005, 0.0, 0.01, 0.008]


@pytest.mark.parametrize("writer", ["xls", "ods", "csv"])
def test_merged_header_exported_with_empty_cells(tmp_path, capsys, writer):
    rows = [["Мониторинг ИКОП «Сферум»"], ["за период с 15.04.2023 по 21.04.2023"], [],
            ["№ п/п", "МО", "ОО", "", "Статус профиля", "Количество пользователей", "", "", "Классы",
             "Учителя, написавшие более 3 сообщений"],
            ["", "", "ИНН", "Наименование", "", "всего", "учителя", "ученики", "", ""],
            [str(i) for i in range(1, 11)]]
    rows += [[i, o[0], o[1], o[2], o[3], o[4], o[5], 10, o[6], o[7]] for i, o in enumerate(ORGS, 1)]
    rows.append(["", "Итого", "", "", "", 1751, 88, 40, 40, 12])
    path = {"xls": lambda: write_xls(tmp_path / "m.xls", rows), "ods": lambda: write_ods(tmp_path / "m.ods", rows),
            "csv": lambda: write_csv(tmp_path / "m.csv", rows)}[writer]()
    res = _inspect(path, capsys)
    assert res["period"] == P
    exp = _expected([7, 8, 9, 10])
    assert _pick(res["rows"], exp) == exp
    assert sorted(s["row"] for s in res["skipped"]) == [6, 11]


# --------------------------------------------------------------------------- text encodings

@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le"])
def test_csv_in_utf16_with_and_without_bom(tmp_path, capsys, encoding):
    """Excel's «Unicode text» is UTF-16 with tabs; a BOM-less one is read too, not called binary."""
    path = tmp_path / "week.csv"
    text = "\r\n".join("\t".join(str(v) for v in r) for r in _rows("за период с 15.04.2023 по 21.04.2023"))
    path.write_bytes(text.encode(encoding))
    res = _inspect(path, capsys)
    assert res["period"] == P
    assert _pick(res["rows"], _expected([3, 4, 5, 6])) == _expected([3, 4, 5, 6])


# --------------------------------------------------------------------------- broken files

def _broken(tmp_path):
    cases = {}
    whole = _three_row_header_workbook(tmp_path / "whole.xlsx").read_bytes()
    for frac in (0.05, 0.8, 0.99):
        p = tmp_path / f"cut{int(frac * 100)}.xlsx"
        p.write_bytes(whole[: int(len(whole) * frac)])
        cases[p.name] = (p, "повреждён")
    p = tmp_path / "zero.csv"
    p.write_bytes(b"")
    cases[p.name] = (p, "пуст")
    p = tmp_path / "export.xls"
    p.write_text('<table border="1"><tr><td>ИНН</td><td>Наименование ОО</td></tr>'
                 "<tr><td>0500000001</td><td>Школа</td></tr></table>", encoding="cp1251")
    cases[p.name] = (p, "HTML")
    p = tmp_path / "headers_only.csv"
    p.write_text("за период с 15.04.2023 по 21.04.2023\nИНН;Наименование ОО;Статус;Пользователи\n", encoding="utf-8")
    cases[p.name] = (p, "нет ни одной строки")
    p = tmp_path / "cut16.csv"
    p.write_bytes("ИНН;Наименование ОО\n".encode("utf-16")[:17])
    cases[p.name] = (p, "UTF-16")
    # an encrypted workbook is an OLE container holding an «EncryptedPackage» stream
    ole = bytearray(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1024)
    name = "EncryptedPackage".encode("utf-16-le")
    ole[600:600 + len(name)] = name
    p = tmp_path / "secret.xlsx"
    p.write_bytes(bytes(ole))
    cases[p.name] = (p, "паролем")
    return cases


@pytest.mark.parametrize("name", ["cut5.xlsx", "cut80.xlsx", "cut99.xlsx", "zero.csv", "export.xls",
                                  "headers_only.csv", "cut16.csv", "secret.xlsx"])
def test_broken_files_one_line_exit_1(tmp_path, capsys, name):
    path, fragment = _broken(tmp_path)[name]
    for argv in (["inspect", str(path), "--json"], ["--home", str(tmp_path / "home"), "import", str(path)]):
        assert main(argv) == 1
        err = capsys.readouterr().err
        lines = [x for x in err.splitlines() if x.strip()]
        assert len(lines) == 1, err
        assert name in lines[0] and fragment in lines[0], lines[0]
        assert "Traceback" not in err


def test_municipality_heading_in_the_name_column(tmp_path, capsys):
    """A district file grouped by municipality: the heading sits in the name column, alone on
    its row; it is the municipality of the schools below, not a school."""
    head = ["№", "Наименование ОО", "ИНН", "Статус", "Пользователи", "Учителя", "Классы",
            "Учителя, написавшие более 3 сообщений"]
    rows = [["за период с 15.04.2023 по 21.04.2023"], head, ["", "Сергокалинский район", "", "", "", "", "", ""]]
    rows += [[i, o[2], o[1], o[3], o[4], o[5], o[6], o[7]] for i, o in enumerate(ORGS[:2], 1)]
    rows += [["", "Левашинский район", "", "", "", "", "", ""]]
    rows += [[i, o[2], o[1], o[3], o[4], o[5], o[6], o[7]] for i, o in enumerate(ORGS[2:], 3)]
    res = _inspect(write_csv(tmp_path / "sect.csv", rows), capsys)
    exp = _expected([4, 5, 7, 8])
    assert _pick(res["rows"], exp) == exp
    assert sorted(s["row"] for s in res["skipped"]) == [3, 6]


@pytest.mark.parametrize("writer", ["csv", "xls"])
def test_unlabelled_total_row_is_skipped_as_a_total(tmp_path, capsys, writer):
    """A sums row with no word in it (the label left out) is reported as a total row, not as
    «no name and no ИНН»; a row with a stray word and no identity keeps the generic reason."""
    head = ["№", "Наименование ОО", "ИНН", "Статус", "Пользователи", "Учителя", "Классы",
            "Учителя, написавшие более 3 сообщений"]
    rows = [["за период с 15.04.2023 по 21.04.2023"], head]
    rows += [[i, o[2], o[1], o[3], o[4], o[5], o[6], o[7]] for i, o in enumerate(ORGS, 1)]
    rows += [["", "", "", "", 1500, 120, 44, 30]]
    rows += [["", "", "", "примечание", 3, "", "", ""]]
    path = (write_csv(tmp_path / "t.csv", rows) if writer == "csv"
            else write_xls(tmp_path / "t.xls", rows))
    res = _inspect(path, capsys)
    assert len(res["rows"]) == len(ORGS)
    reasons = {s["row"]: s["reason"] for s in res["skipped"]}
    n = len(ORGS) + 3
    assert reasons[n].startswith("итоговая строка без подписи")
    assert reasons[n + 1] == "нет наименования организации и ИНН"
    assert "пропущено итоговых строк: 1" in res["warnings"]
