"""``inspect`` of a CSV does only what its report needs (issue 10, part 2: a national CSV in
≤ 0.3 s for the whole process): it loads no module it does not use, and the report, which
looks up the rows it shows, agrees with ``--json``, which reads every row.  The real CLI."""

from __future__ import annotations

import json
import subprocess
import sys

from sferum_tui.cli import main

from filemaker import TITLE, write_csv

HEAD = ["№ п/п", "Регион", "Муниципалитет", "ИНН", "Наименование ОО", "Статус", "Пользователи",
        "Учителя", "Классы", "Доля учителей, написавших более 3 сообщений, %"]
STATUSES = ["Активна", "Не активна", "активен", "НЕАКТИВНА"]


def _week(n: int = 400) -> list[list]:
    """A week of ``n`` schools in few regions, municipalities and figures (each column's texts
    repeat, as a national file's do), with a total row per region and some untidy cells."""
    rows: list[list] = [[TITLE], HEAD]
    for k in range(n):
        region = f"Область {k // 100 + 1}"
        rows.append([k + 1, region, f"Район {k % 7}", f"{527000000 + k:010d}", f"МКОУ «СОШ №{k % 60}»",
                     STATUSES[k % 4], str(100 + k % 50), str(k % 9), str(k % 20), f"{k % 11},5%"])
        if k % 100 == 99:
            rows.append(["", f"Итого по региону: {region}", "", "", "", "", "5 000", "400", "900", "3,1%"])
    rows[2 + 5][4] = "МКОУ  «Школа\u00a0№5»"     # a run of spaces and a no-break space
    rows[2 + 6][4] = "МКОУ «Школа \x1b]0;x\x07№6»"   # an escape sequence
    rows[2 + 7][4] = "—"                          # a placeholder: no name (the ИНН names it)
    rows[2 + 8][3] = "527000008"                  # an ИНН that lost its leading zero
    rows[2 + 9][6] = "1 234"                      # a figure written with a space
    rows[2 + 10][6] = "007"
    rows[2 + 11][8] = "н/д"
    return rows


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_report_shows_the_rows_and_counts_the_json_gives(capsys, tmp_path):
    path = write_csv(tmp_path / "week.csv", _week(), encoding="utf-8-sig")
    home = str(tmp_path / "home")
    code, out, err = _run(capsys, "--home", home, "inspect", "--json", str(path))
    assert code == 0, err
    week = json.loads(out)
    rows = {r["row"]: r for r in week["rows"]}
    assert len(rows) == 400 and len(week["skipped"]) == 4 and len(week["sha256"]) == 64
    # the cell rules, whichever way a column was read
    assert rows[8]["org_name"] == "МКОУ «Школа №5»" and rows[9]["org_name"] == "МКОУ «Школа ]0;x№6»"
    assert rows[10]["org_name"] is None and rows[10]["org_id"] == "0527000007"
    assert rows[11]["org_id"] == "0527000008" and any("ведущий ноль" in w for w in week["warnings"])
    assert rows[12]["users_total"] == 1234 and rows[13]["users_total"] == 7 and rows[14]["classes"] is None
    assert rows[3]["status"] == "active" and rows[4]["status"] == "inactive"
    assert rows[3]["teachers_active_share"] == 0.005 and rows[4]["teachers_active_share"] == 0.015

    code, report, err = _run(capsys, "--home", home, "inspect", "--rows", "500", str(path))
    assert code == 0, err
    statuses = [r["status"] for r in rows.values()]
    assert (f"Организаций: 400; активны: {statuses.count('active')}; "
            f"не активны: {statuses.count('inactive')}; строк пропущено: 4;") in report
    shown = {int(line.split()[0]): line.split() for line in report.split("Первые строки:")[1].splitlines()[2:]
             if line.strip()}
    assert set(shown) == set(rows)
    for number, r in rows.items():
        words = shown[number]
        assert r["municipality"].split()[0] in words and r["org_id"] in words, words
        assert ("не" in words) == (r["status"] == "inactive"), words
        figures = [w for w in words if w.isdigit() or w == "—"][-3:]   # users, teachers, classes
        assert figures == ["—" if r[f] is None else str(r[f]) for f in ("users_total", "teachers", "classes")]
        assert words[-1] == f"{r['teachers_active_share'] * 100:.1f}%"


def test_inspect_of_a_csv_loads_only_what_its_report_needs(tmp_path):
    """No workbook reader (python-calamine, zipfile), no pandas, numpy, pyarrow or SQLite, no
    hashlib (the report shows no SHA-256), no logging.handlers (nothing is logged), no
    subprocess, and no other command's module: each costs every ``inspect`` its import."""
    path = write_csv(tmp_path / "week.csv", _week(50))
    code = ("import contextlib, io, sys\n"
            "from sferum_tui.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
            "    status = main(['--home', sys.argv[1], 'inspect', sys.argv[2]])\n"
            "assert status == 0 and 'Организаций: 50;' in out.getvalue(), out.getvalue()\n"
            "print(' '.join(sorted(sys.modules)))\n")
    res = subprocess.run([sys.executable, "-c", code, str(tmp_path / "home"), str(path)],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    loaded = set(res.stdout.split())
    unused = {"python_calamine", "zipfile", "pandas", "numpy", "pyarrow", "sqlite3", "hashlib",
              "logging.handlers", "subprocess", "textual", "httpx"}
    assert not loaded & unused, sorted(loaded & unused)
    commands = {m for m in loaded if m.startswith("sferum_tui.commands.")}
    assert commands <= {"sferum_tui.commands.inspect", "sferum_tui.commands.stdin"}, commands
