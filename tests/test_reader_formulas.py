"""Issue 11 item 21: a cell holding a formula without a computed value (an .xlsx written by a
program that does not calculate) reads as empty; the reader says so, naming the row and column."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from sferum_tui.cli import main  # noqa: E402
from sferum_tui.core.ingest.reader import read_weekly  # noqa: E402

from filemaker import ORGS, simple_rows, write_uncalculated_xlsx  # noqa: E402

NAME, USERS = 3, 5   # columns of simple_rows: «Наименование ОО», «Пользователи»


def test_a_name_in_an_uncalculated_formula_is_warned_about(tmp_path, capsys):
    # rows: 0 title, 1 header, 2.. organisations (spreadsheet rows 3..7)
    path = write_uncalculated_xlsx(tmp_path / "мониторинг.xlsx", simple_rows(), {
        (3, NAME): '=CONCATENATE("МКОУ ","«Аймаумахинская СОШ»")',
        (4, NAME): '="МКОУ «Мюрегинская СОШ»"', (4, USERS): "=1+2",
    })
    code = main(["--lang", "ru", "inspect", "--rows", "0", str(path)])
    out = capsys.readouterr().out
    assert code == 0
    assert "! строка 4, столбец «Наименование ОО»: формула без вычисленного значения (откройте и сохраните файл в Excel)" in out
    assert "! строка 5, столбцы «Наименование ОО», «Пользователи»: формула без вычисленного значения" in out
    assert "строка 3," not in out and "строка 6," not in out


def test_formula_warnings_are_bounded(tmp_path):
    orgs = [(*ORGS[0][:1], f"05270{n:05d}", f"Школа №{n}", *ORGS[0][3:]) for n in range(12)]
    formulas = {(2 + k, NAME): f'="Школа №{k}"' for k in range(12)}
    res = read_weekly(write_uncalculated_xlsx(tmp_path / "мониторинг.xlsx", simple_rows(orgs=orgs), formulas),
                      strict=False)
    notes = [w for w in res.warnings if "формул" in w]
    assert len(notes) == 6
    assert notes[0].startswith("строка 3, столбец «Наименование ОО»")
    assert notes[-1] == "… и ещё строк с формулами без значения: 7"


def test_calculated_formulas_give_no_warning(tmp_path):
    import xlsxwriter

    path = tmp_path / "мониторинг.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("ОО")
    for r, row in enumerate(simple_rows()):
        for c, v in enumerate(row):
            ws.write(r, c, v)
    ws.write_formula(3, USERS, "=1+1", None, 2)   # a cached value, as Excel saves it
    wb.close()
    res = read_weekly(path)
    assert not any("формул" in w for w in res.warnings)
    assert res.rows[1]["users_total"] == 2


def test_a_formula_cell_cut_by_the_guards_first_read_is_counted(tmp_path):
    # the input guard inflates a sheet's XML in chunks (the first one 64 KiB): a formula cell
    # across that edge is found too.  The formulas' length is chosen so that one cell is cut.
    import zipfile

    n = 600
    orgs = [(*ORGS[0][:1], f"0527{k:06d}", f"Школа №{k}", *ORGS[0][3:]) for k in range(n)]
    for pad in range(64):
        formulas = {(2 + k, NAME): f'=TRIM("Школа №{k}{" " * pad}")' for k in range(n)}
        path = write_uncalculated_xlsx(tmp_path / "мониторинг.xlsx", simple_rows(orgs=orgs), formulas)
        xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
        edge = xml.rfind(b">", 0, 64 * 1024)          # the first piece ends at its last «>»
        cell = xml[xml.rfind(b"<c ", 0, edge + 1):xml.find(b"</c>", edge)]
        if b"<f>" in cell and not xml[:edge + 1].endswith(b"</c>"):
            break
    else:
        raise AssertionError("no formula cell across the 64 KiB edge")
    res = read_weekly(path, strict=False)
    assert [w for w in res.warnings if "формул" in w][-1] == f"… и ещё строк с формулами без значения: {n - 5}"
