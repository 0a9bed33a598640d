"""The three-week indicators fixture (seven schools, two municipalities, a registry), whose
expectations the indicators and report tests compute by hand; imported through the real CLI.
Support code, not a test module."""

from __future__ import annotations

from pathlib import Path

from sferum_tui.cli import main

from filemaker import write_csv

S, L = "Сергокалинский район", "Левашинский район"
ORGS = {  # key: (municipality, ИНН, name)
    "A": (S, "0527000001", "МКОУ «СОШ №1» с. Сергокала"),
    "B": (S, "0527000002", "МКОУ «Аймаумахинская СОШ»"),
    "C": (S, "0527000003", "МКОУ «Мюрегинская СОШ»"),
    "D": (L, "0521000004", "МКОУ «Левашинская гимназия»"),
    "E": (L, "0521000005", "МБОУ «Цудахарская СОШ»"),
    "F": (L, "0521000006", "МКОУ «Кулецминская СОШ»"),
    "G": (L, "0521000007", "МКОУ «Хаджалмахинская СОШ»"),
}
REGISTRY_STAFF = {"A": 50, "B": 10, "C": 41, "D": 25, "E": 30, "F": 10, "G": 15}
ON, OFF = "Активна", "Не активна"
# key: (status, users, teachers, classes, chats, teachers_active); staff only for A (50)
WEEKS = [
    ("01.04.2023", "07.04.2023", {
        "A": (ON, 100, 50, 10, 12, 10), "B": (ON, 5, 0, 1, 1, 0), "C": (OFF, 60, 41, 5, 5, 3),
        "D": (ON, 70, 20, 6, 6, 2), "E": (ON, 10, 5, 2, 2, 2), "F": (OFF, 1, 0, 0, 0, 0)}),
    ("08.04.2023", "14.04.2023", {
        "A": (ON, 110, 50, 10, 12, 18), "B": (ON, 5, 0, 1, 1, 0), "C": (OFF, 60, 41, 5, 5, 3),
        "E": (ON, 10, 5, 2, 2, 1), "F": (OFF, 1, 0, 0, 0, 0)}),
    ("15.04.2023", "21.04.2023", {
        "A": (ON, 120, 50, 10, 12, 20), "B": (ON, 5, 0, 1, 1, 0), "C": (OFF, 60, 41, 5, 5, 3),
        "D": (ON, 80, 20, 6, 6, 4), "E": (OFF, 2, 1, 0, 0, 0), "F": (ON, 20, 10, 2, 2, 5)}),
]
HEADER = ["№ п/п", "Муниципалитет", "ИНН", "Наименование ОО", "Статус", "Пользователи",
          "Сотрудники", "Учителя", "Ученики", "Родители", "Классы", "Чаты",
          "Учителя, написавшие более 3 сообщений"]


def _week_rows(start: str, end: str, figures: dict) -> list[list]:
    rows: list[list] = [[f"Мониторинг использования ИКОП «Сферум» за период с {start} по {end}"],
                        HEADER]
    for n, (key, (st, users, teachers, classes, chats, active)) in enumerate(figures.items(), 1):
        mun, inn, name = ORGS[key]
        staff = 50 if key == "A" else ""
        rows.append([n, mun, inn, name, st, users, staff, teachers, users - teachers, 0,
                     classes, chats, active])
    return rows


def _write_xlsx(path: Path, rows: list[list]) -> Path:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("ОО")
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            if v == "":
                continue
            if isinstance(v, (int, float)):
                ws.write_number(r, c, v)
            else:
                ws.write_string(r, c, str(v))
    wb.close()
    return path


def make_files(folder: Path) -> tuple[Path, list[Path]]:
    folder.mkdir(parents=True, exist_ok=True)
    reg = [["Справочник ОО"], ["Муниципальное образование", "ИНН", "Наименование организации",
                               "Численность сотрудников"]]
    for key, (mun, inn, name) in ORGS.items():
        reg.append([mun, inn, name, REGISTRY_STAFF[key]])
    registry = write_csv(folder / "registry.csv", reg)
    weeks = []
    for i, (start, end, figures) in enumerate(WEEKS):
        rows = _week_rows(start, end, figures)
        if i == 0:   # one week as a workbook, the others as CSV files
            weeks.append(_write_xlsx(folder / "week1.xlsx", rows))
        else:
            weeks.append(write_csv(folder / f"week{i + 1}.csv", rows, encoding="utf-8-sig"))
    return registry, weeks


def build_home(base: Path) -> Path:
    """Import the fixture files through the real command line into ``base/home``."""
    home = base / "home"
    registry, weeks = make_files(base / "files")
    assert main(["--home", str(home), "registry", "import", str(registry)]) == 0
    assert main(["--home", str(home), "import", *map(str, weeks)]) == 0
    return home
