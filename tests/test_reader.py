"""The reader on real files of the whole family: formats, encodings, layouts, periods, cells."""

from __future__ import annotations

import json
from datetime import date

import pytest

from sferum_tui.cli import main
from sferum_tui.core.errors import InputFileError
from sferum_tui.core.ingest.reader import read_weekly

from filemaker import ORGS, TITLE, simple_rows, write_csv, write_merged_xlsx, write_ods, write_xls

EXPECTED = [
    {"municipality": m, "org_id": inn, "org_name": name,
     "status": "inactive" if "не" in st.lower() else "active",
     "users_total": users, "staff_total": staff, "teachers": teach, "students": stud, "parents": par,
     "classes": cls, "chats": chats, "teachers_active": ta}
    for (m, inn, name, st, users, staff, teach, stud, par, cls, chats, ta) in ORGS
]
PERIOD = {"start": "2023-04-15", "end": "2023-04-21"}


def _strip(rows, keys=tuple(EXPECTED[0])):
    return [{k: r[k] for k in keys} for r in rows]


def test_merged_header_workbook_with_cover_summary_and_totals(tmp_path):
    path = write_merged_xlsx(tmp_path / "week.xlsx")
    res = read_weekly(path)
    assert res.period.to_json() == PERIOD
    assert res.sheet == "ОО"
    assert _strip(res.rows) == EXPECTED
    # rows as Excel numbers them: title, note, blank, 2 header rows, numbering row, then data
    assert [r["row"] for r in res.rows] == [7, 8, 9, 11, 12]
    reasons = {s["row"]: s["reason"] for s in res.skipped}
    assert reasons[6] == "строка с номерами столбцов"
    assert "Итого по Сергокалинский район" in reasons[10]
    assert "Всего по региону" in reasons[14]
    assert res.columns["Количество пользователей / учителя"] == "teachers"
    assert res.columns["Количество пользователей / всего"] == "users_total"
    assert res.columns["№ п/п"] is None
    assert res.columns["ИНН ОО"] == "org_id"


@pytest.mark.parametrize("encoding,delimiter", [("cp1251", ";"), ("utf-8-sig", ","), ("utf-8", "\t"), ("utf-8", ";")])
def test_csv_encodings_and_delimiters(tmp_path, encoding, delimiter):
    path = write_csv(tmp_path / "week.csv", simple_rows(), encoding=encoding, delimiter=delimiter)
    res = read_weekly(path)
    assert res.period.to_json() == PERIOD
    assert _strip(res.rows) == EXPECTED
    assert res.rows[0]["org_name"] == "МКОУ «Сергокалинская СОШ №1»"


def test_xls_and_ods(tmp_path):
    for path in (write_xls(tmp_path / "w.xls", simple_rows()), write_ods(tmp_path / "w.ods", simple_rows())):
        res = read_weekly(path)
        assert res.period.to_json() == PERIOD, path
        assert _strip(res.rows) == EXPECTED, path


def test_share_in_percent_and_messy_numbers(tmp_path):
    rows = [
        ["Статистика за 15-21 апреля 2023"],
        ["Район", "Организация", "Статус", "Зарегистрировано пользователей", "Учителя",
         "Классы", "% учителей, написавших более 3 сообщений"],
        ["Левашинский р-н", "МКОУ «СОШ №1»", "Активна", "1\u00a0234", "41", "12", "3,5%"],
        ["Левашинский р-н", "МКОУ «СОШ №2»", "Неактивна", "—", "X", "-", "12 %"],
        ["Левашинский р-н", "МКОУ «СОШ №3»", "активна", "1 002", "", "0", "0"],
    ]
    res = read_weekly(write_csv(tmp_path / "w.csv", rows))
    assert res.period == type(res.period)(date(2023, 4, 15), date(2023, 4, 21))
    assert [r["users_total"] for r in res.rows] == [1234, None, 1002]
    assert [r["teachers"] for r in res.rows] == [41, None, None]
    assert [r["classes"] for r in res.rows] == [12, None, 0]
    assert [r["teachers_active_share"] for r in res.rows] == [0.035, 0.12, 0.0]
    assert [r["org_id"] for r in res.rows] == [None, None, None]
    assert [r["status"] for r in res.rows] == ["active", "inactive", "active"]


def test_fraction_share_and_english_headers(tmp_path):
    rows = [
        ["Organisation", "INN", "Municipality", "Users", "Classes", "Teachers",
         "Share of teachers who wrote more than 3 messages"],
        ["School 1", "0101010101", "North", 10, 2, 4, 0.25],
        ["School 2", "0101010102", "North", 1, 0, 2, 0.035],
    ]
    res = read_weekly(write_csv(tmp_path / "sferum_2023-04-15_2023-04-21.csv", rows, delimiter=","))
    assert res.period.to_json() == PERIOD
    assert res.period_origin == "filename"
    assert [r["teachers_active_share"] for r in res.rows] == [0.25, 0.035]
    assert res.rows[0]["org_id"] == "0101010101"


def test_period_variants_in_titles(tmp_path):
    cases = {
        "с 15 по 21 апреля 2023 г.": PERIOD,
        "Мониторинг за неделю 16.2023": {"start": "2023-04-17", "end": "2023-04-23"},
        "Отчёт с 29 апреля по 5 мая 2023 года": {"start": "2023-04-29", "end": "2023-05-05"},
        "Данные 15.04.23 – 21.04.23": PERIOD,
    }
    for i, (title, expected) in enumerate(cases.items()):
        res = read_weekly(write_csv(tmp_path / f"w{i}.csv", simple_rows(title=title)))
        assert res.period.to_json() == expected, title


def test_period_from_option_when_nowhere_else(tmp_path, capsys):
    path = write_csv(tmp_path / "report.csv", simple_rows(title=None))
    res = read_weekly(path, period_hint="2023-04-15")
    assert res.period.to_json() == PERIOD and res.period_origin == "option"
    assert main(["inspect", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["period"] is None
    assert any("--period" in w for w in out["warnings"])


def test_numeric_inn_gets_its_leading_zero_back(tmp_path):
    import xlsxwriter

    path = tmp_path / "w.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    ws.write_row(0, 0, [TITLE])
    ws.write_row(1, 0, ["ИНН", "Наименование ОО", "Пользователи", "Классы"])
    ws.write_row(2, 0, [527001234, "Школа 1", 5, 1])
    ws.write_row(3, 0, ["0527001235", "Школа 2", 6, 1])
    wb.close()
    res = read_weekly(path)
    assert [r["org_id"] for r in res.rows] == ["0527001234", "0527001235"]
    assert any("ведущий ноль" in w for w in res.warnings)


def test_section_headings_give_the_municipality(tmp_path):
    rows = [
        [TITLE],
        ["ИНН", "Наименование ОО", "Статус", "Пользователи", "Классы"],
        ["Ахвахский район"],
        ["0500000001", "МКОУ «Карачинская СОШ»", "Активна", 40, 4],
        ["0500000002", "МКОУ «Тукитинская СОШ»", "Активна", 30, 3],
        ["Ботлихский район"],
        ["0500000003", "МКОУ «Ботлихская СОШ №1»", "Не активна", 2, 0],
        ["", "Итого", "", 72, 7],
    ]
    res = read_weekly(write_csv(tmp_path / "w.csv", rows))
    assert [r["municipality"] for r in res.rows] == ["Ахвахский район", "Ахвахский район", "Ботлихский район"]
    assert len(res.skipped) == 3


def test_inspect_json_shape_exact(tmp_path, capsys):
    path = write_merged_xlsx(tmp_path / "week.xlsx")
    assert main(["inspect", str(path), "--json"]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert {"source", "period", "columns", "rows", "skipped", "warnings"} <= set(obj)
    assert obj["source"] == str(path)
    row_keys = ["row", "region", "municipality", "org_id", "org_name", "status", "users_total",
                "staff_total", "teachers", "students", "parents", "classes", "chats",
                "teachers_active", "teachers_active_share"]
    for r in obj["rows"]:
        assert list(r)[: len(row_keys)] == row_keys
        assert isinstance(r["row"], int)
    assert all(set(s) >= {"row", "reason"} for s in obj["skipped"])


def test_inspect_several_files_one_json_per_line(tmp_path, capsys):
    a = write_csv(tmp_path / "a.csv", simple_rows())
    b = write_merged_xlsx(tmp_path / "b.xlsx")
    assert main(["inspect", str(a), str(b), "--json"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line)["source"] for line in lines] == [str(a), str(b)]


def test_inspect_text_report_in_both_languages(tmp_path, capsys):
    path = write_merged_xlsx(tmp_path / "week.xlsx")
    assert main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Период: 15.04.2023 – 21.04.2023" in out and "Организаций: 5" in out
    assert "МКОУ «Сергокалинская СОШ №1»" in out and "Пропущенные строки" in out
    assert main(["--lang", "en", "inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Period: 15.04.2023 – 21.04.2023" in out and "Organisations: 5" in out


def test_extra_aliases_extend_the_mapping(tmp_path):
    rows = [[TITLE], ["Учреждение-заказчик", "Юзеры", "Классы"], ["Школа 1", 5, 1]]
    path = write_csv(tmp_path / "w.csv", rows)
    res = read_weekly(path, extra_aliases={"Учреждение-заказчик": "org_name", "юзеры": "users_total"})
    assert res.rows[0]["org_name"] == "Школа 1" and res.rows[0]["users_total"] == 5


def test_strict_read_raises_one_line(tmp_path):
    rows = simple_rows()
    rows[3][5] = "много"
    with pytest.raises(InputFileError) as exc:
        read_weekly(write_csv(tmp_path / "w.csv", rows))
    msg = str(exc.value)
    assert "\n" not in msg and "w.csv" in msg and "строка 4" in msg and "«Пользователи»" in msg and "много" in msg


def test_period_from_date_cells_in_the_title_row(tmp_path):
    import datetime as dt

    import xlsxwriter

    path = tmp_path / "w.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    fmt = wb.add_format({"num_format": "dd.mm.yyyy"})
    ws.write(0, 0, "Период с")
    ws.write_datetime(0, 1, dt.datetime(2023, 4, 15), fmt)
    ws.write(0, 2, "по")
    ws.write_datetime(0, 3, dt.datetime(2023, 4, 21), fmt)
    ws.write_row(2, 0, ["ИНН", "Наименование ОО", "Профиль активен", "Пользователи", "Классы"])
    ws.write_row(3, 0, ["0500000001", "Школа", "да", 5, 1])
    wb.close()
    res = read_weekly(path)
    assert res.period.to_json() == PERIOD
    assert res.rows[0]["status"] == "active"


def test_same_school_name_in_same_named_districts_of_two_regions_is_no_duplicate(tmp_path):
    rows = [[TITLE], ["Регион", "Район", "Наименование ОО", "Пользователи", "Классы"],
            ["Кировская область", "Кировский район", "МБОУ СОШ №1", 10, 1],
            ["Калужская область", "Кировский район", "МБОУ СОШ №1", 12, 2]]
    res = read_weekly(write_csv(tmp_path / "w.csv", rows))
    assert [r["region"] for r in res.rows] == ["Кировская область", "Калужская область"]
    rows.append(["Кировская область", "Кировский район", "МБОУ  СОШ №1", 3, 1])
    with pytest.raises(InputFileError, match="строки 3 и 5"):
        read_weekly(write_csv(tmp_path / "w2.csv", rows))


def test_canonical_field_names_are_their_own_aliases(tmp_path):
    # a national file written by another script: the ИНН column headed «org_id»; two schools of
    # the same name in one district are told apart by it (they were refused as one without ИНН)
    head = ["org_id", "org_name", "municipality", "status", "users_total", "classes", "teachers_active_share"]
    rows = [[TITLE], head,
            ["0527001234", "МКОУ «СОШ №1»", "Сергокалинский район", "Активна", 120, 11, "35%"],
            ["0527001299", "МКОУ «СОШ №1»", "Сергокалинский район", "Не активна", 2, 0, "0%"]]
    res = read_weekly(write_csv(tmp_path / "national.csv", rows))
    assert [r["org_id"] for r in res.rows] == ["0527001234", "0527001299"]
    assert res.columns["teachers_active_share"] == "teachers_active_share"
    assert [r["teachers_active_share"] for r in res.rows] == [0.35, 0.0]


def test_duplicate_across_sheets_names_each_sheet_and_row(tmp_path):
    import xlsxwriter

    path = tmp_path / "two_sheets.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    for name, orgs in (("Район А", ORGS[:2]), ("Район Б", ORGS[:1])):
        ws = wb.add_worksheet(name)
        ws.write_row(0, 0, [TITLE])
        ws.write_row(1, 0, ["ИНН", "Наименование ОО", "Муниципалитет", "Статус", "Пользователи", "Классы"])
        for r, (m, inn, org, st, users, *_rest) in enumerate(orgs, 2):
            ws.write_row(r, 0, [inn, org, m, st, users, 3])
    wb.close()
    with pytest.raises(InputFileError) as err:
        read_weekly(path)
    assert "лист «Район А», строка 3 и лист «Район Б», строка 3" in err.value.message
    assert "0527001234" in err.value.message
