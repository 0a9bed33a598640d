"""The corpus of broken files (issue 2, part 7): each gets one line naming the file and, where it
applies, the row and column and what was expected; exit code 1; no traceback; store unchanged."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from filemaker import TITLE, simple_rows, write_csv, write_merged_xlsx


def store_dump(home: Path) -> tuple:
    db = home / "store.sqlite"
    tables = []
    if db.exists():
        con = sqlite3.connect(db)
        tables = list(con.iterdump())
        con.close()
    blobs = sorted(str(p.relative_to(home)) for p in (home / "blobs").rglob("*")) if (home / "blobs").exists() else []
    return tables, blobs


def _bad(tmp: Path) -> dict[str, tuple[Path, list[str]]]:
    """name → (file, fragments the one-line message must contain)."""
    cases: dict[str, tuple[Path, list[str]]] = {}
    p = tmp / "empty.csv"
    p.write_bytes(b"")
    cases["empty"] = (p, ["empty.csv", "пуст"])
    p = write_csv(tmp / "title_only.csv", [[TITLE]])
    cases["title only"] = (p, ["title_only.csv", "только заголовок"])
    p = write_csv(tmp / "no_header.csv", [[TITLE], ["a", "b", "c"], ["1", "2", "3"], ["4", "5", "6"], ["7", "8", "9"]])
    cases["no header"] = (p, ["no_header.csv", "заголовков", "Наименование ОО"])
    p = tmp / "text.xlsx"
    p.write_text("ИНН;Наименование ОО\n0500000001;Школа\n", encoding="utf-8")
    cases["text named xlsx"] = (p, ["text.xlsx", ".xlsx", "текст"])
    whole = write_merged_xlsx(tmp / "whole.xlsx")
    p = tmp / "cut.xlsx"
    p.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    cases["xlsx cut in half"] = (p, ["cut.xlsx", "повреждён"])
    rows = simple_rows()
    rows[3][2] = rows[2][2]
    p = write_csv(tmp / "dup_inn.csv", rows)
    cases["duplicate inn"] = (p, ["dup_inn.csv", "строки 3 и 4", "0527001234"])
    rows = simple_rows()
    rows[4][10] = "-5"
    p = write_csv(tmp / "negative.csv", rows)
    cases["negative count"] = (p, ["negative.csv", "строка 5", "«Классы»", "не меньше 0"])
    rows = simple_rows()
    rows[2][7] = "сорок"
    p = write_csv(tmp / "text_in_number.csv", rows)
    cases["text in numeric column"] = (p, ["text_in_number.csv", "строка 3", "«Учителя»", "ожидалось", "сорок"])
    rows = simple_rows(share=True)
    rows[2][12] = "150%"
    p = write_csv(tmp / "share.csv", rows)
    cases["share above 100%"] = (p, ["share.csv", "строка 3", "100%", "150%"])
    p = write_csv(tmp / "report.csv", simple_rows(title=None))
    cases["no period"] = (p, ["report.csv", "период", "--period"])
    cases["unreadable (missing)"] = (tmp / "nowhere.xlsx", ["nowhere.xlsx", "не найден"])
    d = tmp / "folder.xlsx"
    d.mkdir()
    cases["unreadable (folder)"] = (d, ["folder.xlsx", "папка"])
    html = tmp / "login.xlsx"
    html.write_text("<!DOCTYPE html><html><body>Войдите</body></html>", encoding="utf-8")
    cases["html page"] = (html, ["login.xlsx", "HTML"])
    return cases


CASES = ["empty", "title only", "no header", "text named xlsx", "xlsx cut in half", "duplicate inn",
         "negative count", "text in numeric column", "share above 100%", "no period",
         "unreadable (missing)", "unreadable (folder)", "html page"]


@pytest.mark.parametrize("case", CASES)
def test_bad_file_import_is_refused_with_one_line(tmp_path, capsys, case):
    from sferum_tui.cli import main

    home = tmp_path / "home"
    good = write_csv(tmp_path / "good.csv", simple_rows())
    assert main(["--home", str(home), "import", str(good)]) == 0
    capsys.readouterr()
    before = store_dump(home)
    path, fragments = _bad(tmp_path)[case]
    assert main(["--home", str(home), "import", str(path)]) == 1
    captured = capsys.readouterr()
    lines = [line for line in captured.err.splitlines() if line.strip()]
    assert len(lines) == 1, captured.err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    assert "Traceback" not in captured.err + captured.out
    assert store_dump(home) == before


@pytest.mark.parametrize("case", [c for c in CASES if c != "no period"])
def test_bad_file_inspect_exits_1(tmp_path, capsys, case):
    from sferum_tui.cli import main

    path, fragments = _bad(tmp_path)[case]
    assert main(["inspect", str(path)]) == 1
    err = capsys.readouterr().err
    assert fragments[0] in err and "Traceback" not in err


def test_no_traceback_from_a_real_process(tmp_path):
    """The installed command, in a real process, in English too."""
    cases = _bad(tmp_path)
    env = dict(os.environ, SFERUM_TUI_HOME=str(tmp_path / "home"))
    for case in ("xlsx cut in half", "text in numeric column"):
        path = cases[case][0]
        proc = subprocess.run([sys.executable, "-m", "sferum_tui", "--lang", "en", "import", str(path)],
                              capture_output=True, text=True, env=env, timeout=60)
        assert proc.returncode == 1
        assert "Traceback" not in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1
        assert path.name in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "sferum_tui", "--lang", "en", "import", str(cases["negative count"][0])],
                          capture_output=True, text=True, env=env, timeout=60)
    assert "row 5, column «Классы»" in proc.stderr and "expected a number of at least 0" in proc.stderr
