"""Shared by the fetch tests: weekly files written at test time (small real CSV and xlsx files),
the ``home`` and ``fetch`` fixtures (the real CLI through ``sferum_tui.cli.main``) and what a user
can look at afterwards (the store's snapshots, the download cache, the state file)."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path

import pytest

from sferum_tui.cli import main
from sferum_tui.core.store import Store

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


def far_cell_xlsx() -> bytes:
    """A 1 KB workbook with one cell at XFD1048576: the spreadsheet library allocates the whole
    sheet area and the process aborts (SIGABRT), unless the input limits refuse it first."""
    import zipfile

    ns = "http://schemas.openxmlformats.org/"
    parts = {
        "[Content_Types].xml":
            f'<?xml version="1.0"?><Types xmlns="{ns}package/2006/content-types">'
            f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            f'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
            f'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
            f'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            f'spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels":
            f'<?xml version="1.0"?><Relationships xmlns="{ns}package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{ns}officeDocument/2006/relationships/officeDocument"'
            f' Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml":
            f'<?xml version="1.0"?><workbook xmlns="{ns}spreadsheetml/2006/main" xmlns:r="{ns}'
            f'officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/>'
            f'</sheets></workbook>',
        "xl/_rels/workbook.xml.rels":
            f'<?xml version="1.0"?><Relationships xmlns="{ns}package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{ns}officeDocument/2006/relationships/worksheet" '
            f'Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml":
            f'<?xml version="1.0"?><worksheet xmlns="{ns}spreadsheetml/2006/main"><sheetData>'
            f'<row r="1"><c r="A1" t="inlineStr"><is><t>{title(week(0))}</t></is></c></row>'
            f'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData></worksheet>',
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in parts.items():
            zf.writestr(name, text)
    return buf.getvalue()


def refused_csv(start: date) -> bytes:
    """A week whose name and ИНН columns have headers the reader does not know (refused until
    the config's [aliases] names them: "Объект" = "org_name", "Код" = "org_id")."""
    lines = [title(start), "Муниципалитет;Код;Объект;Статус;Пользователи;Классы;Учителя"]
    for m, inn, name, status, users, classes, teachers in ROWS:
        lines.append(f"{m};{inn};{name};{status};{users};{classes};{teachers}")
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


# ------------------------------------------------------------------------------ fixtures


@pytest.fixture
def home(tmp_path) -> Path:
    return tmp_path / "home"


class Run:
    def __init__(self, code: int, out: str, err: str):
        self.code, self.out, self.err = code, out, err

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.startswith("sferum-tui:")]


@pytest.fixture
def fetch(home, capsys):
    def run(*args: str, lang: str = "en") -> Run:
        capsys.readouterr()
        code = main(["--home", str(home), "--lang", lang, "fetch", *args])
        captured = capsys.readouterr()
        assert "Traceback" not in captured.err
        return Run(code, captured.out, captured.err)
    return run


def snapshots(home: Path) -> list[tuple[str, str]]:
    if not (home / "store.sqlite").exists():
        return []
    with Store(home) as store:
        return [(s.period_label, s.source_name) for s in store.snapshots(include_superseded=True)]


def cache_files(home: Path) -> list[str]:
    root = home / "cache"
    if not root.exists():
        return []
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")
                  if p.is_file() and p.name != ".lock")


def state_bytes(home: Path) -> bytes | None:
    p = home / "fetch-state.json"
    return p.read_bytes() if p.exists() else None
