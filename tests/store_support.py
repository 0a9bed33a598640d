"""Small weekly files and registries for the store's tests (shared by the test_store* modules)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from filemaker import write_csv

HEAD = ["Муниципалитет", "ИНН", "Наименование ОО", "Статус", "Пользователи", "Классы", "Учителя",
        "Учителя, написавшие более 3 сообщений"]

# municipality, ИНН, name, status, users, classes, teachers, teachers active
WEEK = [
    ("Кизлярский район", "0517000001", "МКОУ «Александрийская СОШ»", "Активна", 310, 11, 30, 2),
    ("Кизлярский район", "", "МКОУ «Ахтынская СОШ №2»", "Не активна", 2, 0, 5, 0),
    ("ГО «город Махачкала»", "0571000001", "МБОУ «Гимназия №7»", "Активна", 900, 40, 60, 10),
]


def week_file(path: Path, start: date, rows=WEEK, *, title: bool = True, total: bool = True,
              head=HEAD) -> Path:
    end = start + timedelta(days=6)
    out: list[list] = []
    if title:
        out.append([f"Мониторинг использования ИКОП «Сферум» за период с {start:%d.%m.%Y} по {end:%d.%m.%Y}"])
    out.append(list(head))
    out.extend(list(r) for r in rows)
    if total:
        out.append(["Итого", "", "", "", sum(r[4] for r in rows), sum(r[5] for r in rows), "", ""])
    return write_csv(path, out)


W1 = date(2023, 4, 15)
W2 = date(2023, 4, 22)


REG_HEAD = ["ИНН", "Наименование организации", "Муниципальное образование", "Численность сотрудников", "Тип ОО"]


def registry_file(path: Path, rows) -> Path:
    return write_csv(path, [REG_HEAD, *[list(r) for r in rows]])
