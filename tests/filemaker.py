"""Writers of real weekly files on disk, in the layouts of the family DOMAIN.md describes.

Tests build their inputs with these instead of shipping binary fixtures, so each test shows
the layout it is about.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

TITLE = "Мониторинг использования ИКОП «Сферум» за период с 15.04.2023 по 21.04.2023"

ORGS = [
    # municipality, ИНН, name, status, users, staff, teachers, students, parents, classes, chats, t_active
    ("Сергокалинский район", "0527001234", "МКОУ «Сергокалинская СОШ №1»", "Активна", 1234, 80, 41, 700, 480, 22, 30, 3),
    ("Сергокалинский район", "0527001235", "МКОУ «Аймаумахинская СОШ»", "Не активна", 2, 25, 1, 1, 0, 0, 0, 0),
    ("Сергокалинский район", "0527001236", "МКОУ «Мюрегинская СОШ»", "активен", 310, 40, 30, 200, 80, 11, 12, 12),
    ("Левашинский район", "0521004321", "МКОУ «Левашинская гимназия»", "НЕАКТИВНА", 3, 60, 2, 1, 0, 0, 1, 0),
    ("Левашинский район", "0521004322", "МБОУ «Цудахарская СОШ»", "Активна", 512, 55, 44, 300, 168, 18, 20, 9),
]


def write_csv(path: Path, rows: list[list], encoding="utf-8", delimiter=";") -> Path:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    for r in rows:
        w.writerow(["" if v is None else v for v in r])
    data = buf.getvalue()
    if encoding == "utf-8-sig":
        path.write_bytes(b"\xef\xbb\xbf" + data.encode("utf-8"))
    else:
        path.write_bytes(data.encode(encoding))
    return path


def simple_rows(title=TITLE, orgs=ORGS, share=False) -> list[list]:
    head = ["№ п/п", "Муниципалитет", "ИНН", "Наименование ОО", "Статус", "Пользователи",
            "Сотрудники", "Учителя", "Ученики", "Родители", "Классы", "Чаты",
            "Доля учителей, написавших более 3 сообщений, %" if share else "Учителя, написавшие более 3 сообщений"]
    rows: list[list] = []
    if title:
        rows.append([title])
    rows.append(head)
    for n, (mun, inn, name, st, users, staff, teach, stud, par, cls, chats, ta) in enumerate(orgs, 1):
        last = f"{ta / teach * 100:.1f}%".replace(".", ",") if share and teach else (ta if not share else "-")
        rows.append([n, mun, inn, name, st, users, staff, teach, stud, par, cls, chats, last])
    return rows


def write_merged_xlsx(path: Path, orgs=ORGS, title=TITLE, extra_sheets=True, totals=True) -> Path:
    """A workbook as the ministry sends it: a cover sheet, a summary sheet, then the
    organisations sheet with two title rows, a header merged over two rows, a numbering row,
    subtotals per municipality and a grand total."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    if extra_sheets:
        cover = wb.add_worksheet("Инструкция")
        cover.write(0, 0, "Порядок заполнения мониторинга")
        cover.write(2, 0, "Данные обновляются каждую пятницу после 17:00")
        summary = wb.add_worksheet("Свод по МО")
        summary.write_row(0, 0, ["Муниципальное образование", "Количество ОО", "Активных", "Доля активных, %"])
        summary.write_row(1, 0, ["Сергокалинский район", 3, 2, 66.7])
        summary.write_row(2, 0, ["Левашинский район", 2, 1, 50])
    ws = wb.add_worksheet("ОО")
    ws.merge_range(0, 0, 0, 12, title)
    ws.write(1, 0, "Синтетические данные для тестов")
    top = ["№ п/п", "Муниципальное образование", "ИНН ОО", "Наименование организации", "Статус профиля"]
    for c, text in enumerate(top):
        ws.merge_range(3, c, 4, c, text)
    ws.merge_range(3, 5, 3, 9, "Количество пользователей")
    ws.write_row(4, 5, ["всего", "сотрудники", "учителя", "ученики", "родители"])
    ws.merge_range(3, 10, 4, 10, "Классы")
    ws.merge_range(3, 11, 4, 11, "Чаты")
    ws.merge_range(3, 12, 4, 12, "Учителя, написавшие более 3 сообщений")
    ws.write_row(5, 0, list(range(1, 14)))
    r = 6
    n = 1
    by_mun: dict[str, list] = {}
    for org in orgs:
        by_mun.setdefault(org[0], []).append(org)
    for mun, items in by_mun.items():
        for (m, inn, name, st, users, staff, teach, stud, par, cls, chats, ta) in items:
            ws.write_number(r, 0, n)
            ws.write_string(r, 1, m)
            ws.write_string(r, 2, inn)
            ws.write_string(r, 3, name)
            ws.write_string(r, 4, st)
            ws.write_row(r, 5, [users, staff, teach, stud, par, cls, chats, ta])
            r += 1
            n += 1
        if totals:
            ws.write_string(r, 1, f"Итого по {mun}")
            ws.write_row(r, 5, [sum(o[4] for o in items)])
            r += 1
    if totals:
        ws.merge_range(r, 0, r, 4, "Всего по региону")
        ws.write_row(r, 5, [sum(o[4] for o in orgs)])
    wb.close()
    return path


def write_xls(path: Path, rows: list[list]) -> Path:
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("Лист1")
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            if v is not None:
                ws.write(r, c, v)
    wb.save(str(path))
    return path


def write_ods(path: Path, rows: list[list]) -> Path:
    return write_ods_book(path, [("Мониторинг", rows)])


def write_ods_book(path: Path, sheets: list[tuple[str, list[list]]]) -> Path:
    """An .ods with a sheet (table) per ``(name, rows)``."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    for name, rows in sheets:
        doc.spreadsheet.addElement(_ods_table(name, rows, Table, TableRow, TableCell, P))
    doc.save(str(path))
    return path


def _ods_table(name, rows, Table, TableRow, TableCell, P):
    table = Table(name=name)
    for row in rows:
        tr = TableRow()
        for v in row:
            if v is None or v == "":
                cell = TableCell()
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                cell = TableCell(valuetype="float", value=v)
                cell.addElement(P(text=str(v)))
            else:
                cell = TableCell(valuetype="string")
                cell.addElement(P(text=str(v)))
            tr.addElement(cell)
        table.addElement(tr)
    return table


def write_xlsx_book(path: Path, sheets: list[tuple[str, list[list]]]) -> Path:
    """An .xlsx with a sheet per ``(name, rows)`` (a workbook of a sheet per week, say)."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    for name, rows in sheets:
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                if v is not None and v != "":
                    ws.write(r, c, v)
    wb.close()
    return path


def week_orgs(shift: int, orgs=ORGS) -> list[tuple]:
    """ORGS with the user counts moved by ``shift`` (another week's figures)."""
    return [(*o[:4], o[4] + shift, *o[5:]) for o in orgs]


def write_big_csv(path: Path, target_bytes: int, encoding: str = "utf-8-sig") -> int:
    """A national-scale CSV of about ``target_bytes``: a title row, a header, municipalities of
    200 schools each closed by a subtotal row, numbers with (non-breaking) thousands spaces,
    shares as «3,5%», placeholders «-» and «—».  Returns the number of organisation rows."""
    head = ("Мониторинг использования ИКОП «Сферум» за период с 15.04.2023 по 21.04.2023\r\n"
            "№ п/п;Муниципалитет;ИНН;Наименование ОО;Статус;Всего пользователей;Учителя;Ученики;"
            "Родители;Классы;Чаты;Доля учителей, написавших более 3 сообщений, %\r\n")
    statuses = ("Активна", "Не активна", "активен", "НЕАКТИВНА")
    size = orgs = k = 0
    with open(path, "wb") as fh:
        block = [head]
        while size < target_bytes:
            muni = f"Муниципальный район №{k // 200 + 1}"
            for _ in range(200):
                users = 900 + k % 2000
                users_text = f"{users // 1000}\u00a0{users % 1000:03d}" if users >= 1000 else str(users)
                share = "-" if k % 17 == 0 else f"{k % 10},{k % 7}%"
                block.append(
                    f"{orgs + 1};{muni};{1_000_000_000 + k};МКОУ «Средняя общеобразовательная школа №{k}» с. Образцовое;"
                    f"{statuses[k % 4]};{users_text};{k % 90};{k % 700};{'—' if k % 13 == 0 else k % 500};"
                    f"{k % 30};{k % 40};{share}\r\n")
                k += 1
                orgs += 1
            block.append(f";Итого по району «{muni}»;;;;{200 * 900};;;;;;\r\n")
            data = "".join(block).encode(encoding if size == 0 else encoding.replace("-sig", ""))
            fh.write(data)
            size += len(data)
            block = []
    return orgs


def write_uncalculated_xlsx(path: Path, rows: list[list], formulas: dict[tuple[int, int], str]) -> Path:
    """An .xlsx as a program that does not calculate writes it: the cells at ``formulas``
    ((row, column), 0-based) hold a formula and no cached value (``<c><f>…</f></c>``, no ``<v>``)."""
    import re
    import zipfile

    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("ОО")
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            if (r, c) in formulas:
                ws.write_formula(r, c, formulas[(r, c)])
            elif v is not None and v != "":
                ws.write(r, c, v)
    wb.close()
    with zipfile.ZipFile(path) as zf:
        parts = [(info, zf.read(info)) for info in zf.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in parts:
            if info.filename.startswith("xl/worksheets/sheet"):
                data = re.sub(rb"(</f>)<v>[^<]*</v>", rb"\1", data)   # drop the cached values
            zf.writestr(info.filename, data)
    return path
