"""Weekly files for the fetch tests, written at test time (small real CSV and xlsx files)."""

from __future__ import annotations

import io
from datetime import date, timedelta

HEADER = "Муниципалитет;ИНН;Наименование ОО;Статус;Пользователи;Классы;Учителя"
ROWS = [
    ("Сергокалинский район", "0527001234", "МКОУ «Сергокалинская СОШ №1»", "Активна", 120, 11, 30),
    ("Сергокалинский район", "0527001235", "МКОУ «Аймаумахинская СОШ»", "Не активна", 2, 0, 5),
    ("Левашинский район", "0521004321", "МКОУ «Левашинская гимназия»", "Активен", 64, 9, 17),
]
FOLDER = "GPXK/fMnpzcuWR"
W16 = date(2023, 4, 15)


def week(n: int) -> date:
    """The n-th reporting week after 15.04.2023 (0 is 15.04–21.04)."""
    return W16 + timedelta(weeks=n)


def title(start: date) -> str:
    end = start + timedelta(days=6)
    return (f"Мониторинг использования ИКОП «Сферум» за период с {start:%d.%m.%Y} "
            f"по {end:%d.%m.%Y}")


def csv_week(start: date, encoding: str = "utf-8", users_bump: int = 0) -> bytes:
    lines = [title(start), HEADER]
    for m, inn, name, status, users, classes, teachers in ROWS:
        lines.append(f"{m};{inn};{name};{status};{users + users_bump};{classes};{teachers}")
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def xlsx_week(start: date) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Организации"
    ws.append([title(start)])
    ws.append(HEADER.split(";"))
    for row in ROWS:
        ws.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
