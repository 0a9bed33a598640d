"""``report``: the weekly meeting's analysis (html, md, xlsx) and the per-municipality packets,
through the real CLI on a store built from real weekly files (three weeks, hostile names)."""

from __future__ import annotations

import json
import re
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from sferum_tui.cli import main  # noqa: E402

from store_support import week_file  # noqa: E402

# municipality, ИНН, name, status, users, classes, teachers, teachers active
SEVER = "Северный район"
ROWS = [
    (SEVER, "0517000001", "МКОУ «Александрийская СОШ»", "Активна", 310, 11, 30, 12),
    (SEVER, "0517000002", "МКОУ «Ахтынская СОШ №2»", "Не активна", 2, 0, 5, 0),
    (SEVER, "0517000003", "=HYPERLINK(\"x\") СОШ", "Активна", 40, 3, 10, 1),
    ("CON", "0571000001", "МБОУ «Гимназия №7»", "Активна", 900, 40, 60, 30),
    ("CON", "0571000002", "МБОУ <script>alert(1)</script> | СОШ", "Не активна", 1, 0, 3, 0),
    ("Южный: район?", "0580000001", "МКОУ «Южная СОШ»", "Активна", 50, 2, 8, 1),
    ("Южный* район", "0580000002", "МКОУ «Южная ООШ»", "Не активна", 2, 0, 4, 0),
    ("Дальний район. ", "0590000001", "МКОУ «Дальняя СОШ»", "Активна", 70, 4, 9, 5),
]
LONG = "Муниципальное образование с очень длинным названием, которое не влезет в имя файла "
ROWS += [(LONG + "Первое", "0600000001", "МКОУ «Первая СОШ»", "Активна", 60, 3, 9, 4),
         (LONG + "Второе", "0600000002", "МКОУ «Вторая СОШ»", "Активна", 60, 3, 9, 4)]
START = date(2023, 4, 1)


def _week(n: int) -> list[tuple]:
    """Week n (0, 1, 2): some schools change status so there are changes and a trend."""
    rows = [list(r) for r in ROWS]
    if n < 2:
        rows[1][3], rows[1][4], rows[1][5] = "Активна", 20, 2      # active, then inactive
        rows[5][3] = "Не активна"                                   # inactive, then recovers
    if n < 2:
        rows[3][7] = 5 + 10 * n
    return [tuple(r) for r in rows]


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("report")
    home = root / "home"
    for n in range(3):
        f = week_file(root / f"week{n}.csv", START + timedelta(days=7 * n), _week(n))
        assert main(["--home", str(home), "import", str(f)]) == 0
    return home


@pytest.fixture
def run(home, capsys):
    def _run(*argv: str) -> tuple[int, str, str]:
        code = main(["--home", str(home), *argv])
        out, err = capsys.readouterr()
        return code, out, err
    return _run


def _summary(run, *extra: str) -> dict:
    code, out, err = run("summary", "--format", "json", *extra)
    assert code == 0, err
    return json.loads(out)


def _sheet_rows(ws) -> list[list]:
    return [list(r) for r in ws.iter_rows(values_only=True)]


# --------------------------------------------------------------------------------------------
# The numbers are summary's
# --------------------------------------------------------------------------------------------

def test_xlsx_numbers_equal_summary_json(run, tmp_path):
    import openpyxl

    js = _summary(run)
    path = tmp_path / "r.xlsx"
    code, out, err = run("report", "--format", "xlsx", "-o", str(path))
    assert code == 0, err
    assert str(path) in out
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Сводка", "Муниципалитеты", "Отстающие", "Изменения"]

    rows = _sheet_rows(wb["Сводка"])
    kpis = {r[0]: r for r in rows[7:7 + len(js["indicators"])]}
    for ind in js["indicators"]:
        r = kpis[ind["title"]]
        assert r[1] == pytest.approx(ind["value"]) and r[2] == pytest.approx(ind["target"])
        assert r[6] == ind["numerator"] and r[7] == ind["denominator"]
        if ind["delta"] is not None:
            assert r[3] == pytest.approx(ind["delta"])
    counts = {r[0]: r[1] for r in rows if isinstance(r[0], str) and isinstance(r[1], int)}
    assert counts["Организаций"] == js["orgs_total"]
    assert counts["Неактивны"] == js["inactive"]
    assert counts["Активны"] == js["active"]
    assert counts["Нет в файле недели"] == js["missing"]
    assert counts["Стали неактивными"] == len(js["changes"]["newly_inactive"]) == 1
    assert counts["Восстановились"] == len(js["changes"]["recovered"]) == 1

    munis = _sheet_rows(wb["Муниципалитеты"])[1:]
    by_name = {m["municipality"]: m for m in js["municipalities"]}
    assert {r[1] for r in munis} == set(by_name)
    for r in munis:
        m = by_name[r[1]]
        assert (r[3], r[6]) == (m["orgs"], m["inactive"])
        assert r[7] == pytest.approx(m["inactive_share"])
    # most inactive first, then the share: CON (1 of 2) before Южный* (1 of 1)? both 1, the
    # share decides; Северный (1 of 3) after
    inactive = [r[6] for r in munis]
    assert inactive == sorted(inactive, reverse=True)

    lag = _sheet_rows(wb["Отстающие"])
    assert len(lag) - 1 == js["inactive"]
    assert {r[0] for r in lag[1:]} == {"0517000002", "0571000002", "0580000002"}
    changes = _sheet_rows(wb["Изменения"])[1:]
    assert {r[1] for r in changes} == set(js["changes"]["newly_inactive"]) | set(js["changes"]["recovered"])


def test_xlsx_cells_are_typed_and_never_formulas(run, tmp_path):
    import openpyxl

    path = tmp_path / "r.xlsx"
    assert run("report", "-o", str(path))[0] == 0      # the format from the file name
    wb = openpyxl.load_workbook(path)
    lag = wb["Отстающие"]
    assert lag.freeze_panes and lag.auto_filter.ref
    cells = {c.value: c for row in wb["Отстающие"].iter_rows() for c in row if c.value is not None}
    assert cells["0517000002"].data_type == "s"                  # ИНН as text
    formula = cells['=HYPERLINK("x") СОШ'] if '=HYPERLINK("x") СОШ' in cells else None
    munis = wb["Муниципалитеты"]
    assert munis.freeze_panes and munis.auto_filter.ref
    share = munis.cell(row=2, column=8)
    assert isinstance(share.value, float) and "%" in share.number_format
    assert formula is None or formula.data_type == "s"
    # the «=…» name is listed where it lags: nowhere here, but the packet of its municipality has it
    out = tmp_path / "p"
    assert run("report", "--by-municipality", "--format", "xlsx", "-o", str(out))[0] == 0
    (sever,) = [p for p in out.iterdir() if p.name.startswith("Северный")]
    school_cells = [c for row in openpyxl.load_workbook(sever)["Школы"].iter_rows() for c in row]
    (name,) = [c for c in school_cells if c.value == '=HYPERLINK("x") СОШ']
    assert name.data_type == "s"


def test_municipality_narrows_every_number(run, tmp_path):
    import openpyxl

    code, out, _ = run("schools", "--municipality", SEVER, "--format", "json")
    all_rows = json.loads(out)
    code, out, _ = run("schools", "--municipality", SEVER, "--inactive", "--format", "json")
    inactive = json.loads(out)
    path = tmp_path / "m.xlsx"
    code, _, err = run("report", "--municipality", SEVER, "-o", str(path))
    assert code == 0, err
    rows = _sheet_rows(openpyxl.load_workbook(path)["Сводка"])
    counts = {r[0]: r[1] for r in rows if isinstance(r[0], str) and isinstance(r[1], int)}
    assert counts["Организаций"] == len(all_rows) == 3
    assert counts["Неактивны"] == len(inactive) == 1
    assert SEVER in rows[0][0]


def test_unknown_municipality_is_one_line(run, tmp_path):
    code, out, err = run("report", "--municipality", "Нигдешний", "-o", str(tmp_path / "x.html"))
    assert code == 1 and "Нигдешний" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x.html").exists()
    code, _, err = run("report", "-o", str(tmp_path / "no" / "x.html"))
    assert code == 1 and len(err.strip().splitlines()) == 1 and "Traceback" not in err


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------

def test_html_is_self_contained_with_charts(run, tmp_path):
    js = _summary(run)
    path = tmp_path / "r.html"
    assert run("report", "--format", "html", "-o", str(path))[0] == 0
    text = path.read_text("utf-8")
    low = text.lower()
    for external in ("http", "src=", "@import", "<script", "<link", "<img"):
        assert external not in low, external
    assert "url(" not in low.replace("url(data:", "")
    assert low.count("<svg") == len(js["indicators"]) and "<title>" in low
    assert "stroke-dasharray" in text                              # the target, dashed
    assert "@page" in text and "size: A4" in text and "@media print" in text
    # hostile text is escaped, the numbers are summary's
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "Еженедельный анализ" in text
    from sferum_tui.service.vocab import integer, percent

    for ind in js["indicators"]:
        assert f'<div class="value">{percent(ind["value"], 1)}</div>' in text
        if ind["numerator"] is not None:
            assert f"{integer(ind['numerator'])} из {integer(ind['denominator'])}" in text
    assert f"неактивны {js['inactive']} " in text
    assert "следующая публикация" in low and "17:00" in text


def test_html_english_and_limit(run, tmp_path):
    path = tmp_path / "en.html"
    code, out, err = run("--lang", "en", "report", "--limit", "1", "-o", str(path))
    assert code == 0, err
    text = path.read_text("utf-8")
    assert "Weekly analysis" in text and "Lagging (inactive) schools" in text
    assert "… and 2 more organisations" in text                  # 3 lagging, 1 shown


# --------------------------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------------------------

def test_md_to_stdout_is_short_and_escaped(run):
    js = _summary(run)
    code, out, err = run("report", "--format", "md", "-o", "-")
    assert code == 0, err
    assert out.startswith("**Еженедельный анализ")
    assert "<script>" not in out and "&lt;script&gt;" in out and "\\|" in out
    assert f"Неактивны {js['inactive']} из {js['orgs_total']}" in out
    assert len(out.splitlines()) < 60


# --------------------------------------------------------------------------------------------
# Packets
# --------------------------------------------------------------------------------------------

_WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$", re.I)


def test_one_packet_per_municipality_with_safe_names(run, tmp_path):
    js = _summary(run)
    out = tmp_path / "packets"
    code, msg, err = run("report", "--by-municipality", "-o", str(out))
    assert code == 0, err
    files = sorted(p.name for p in out.iterdir())
    assert len(files) == len(js["municipalities"]) == 6
    assert len({f.casefold() for f in files}) == len(files)
    for name in files:
        assert name.endswith(".html")
        stem = name[: -len(".html")]
        assert not re.search(r'[:*?"<>|\\/\x00-\x1f]', name), name
        assert stem == stem.rstrip(" ."), name
        assert not _WINDOWS_RESERVED.match(name), name
        assert len(name) <= 100
    # the two long names cut to one: the second got a suffix
    assert sum(f.startswith("Муниципальное образование") for f in files) == 2
    assert any(f.endswith("-2.html") for f in files), files
    # each packet: its schools with their reasons, its KPIs beside the region's
    sever = (out / f"{SEVER}.html").read_text("utf-8")
    assert "Ахтынская" in sever and "Гимназия" not in sever
    assert "Муниципалитет и регион" in sever and "по региону" in sever
    assert f"<td>Организаций</td><td class=n>3</td><td class=n>{js['orgs_total']}</td>" in sever


def test_packet_of_one_municipality_still_compares_with_the_region(run, tmp_path):
    js = _summary(run)
    out = tmp_path / "one"
    assert run("report", "--by-municipality", "--municipality", SEVER, "-o", str(out))[0] == 0
    (only,) = out.iterdir()
    text = only.read_text("utf-8")
    assert f"<td>Организаций</td><td class=n>3</td><td class=n>{js['orgs_total']}</td>" in text


def test_packets_md(run, tmp_path):
    out = tmp_path / "md"
    assert run("--lang", "en", "report", "--by-municipality", "--format", "md", "-o", str(out))[0] == 0
    texts = [p.read_text("utf-8") for p in out.iterdir()]
    assert len(texts) == 6 and all("; region " in t for t in texts)


def test_format_errors_are_one_line_before_any_work(run, tmp_path):
    code, _, err = run("report", "-o", str(tmp_path / "r.pdf"))
    assert code == 1 and "--format" in err and len(err.strip().splitlines()) == 1
    code, out, err = run("report", "--format", "xlsx", "-o", "-")
    assert code == 1 and out == "" and "XLSX" in err
    code, out, err = run("report", "-o", "-")                    # html to standard output
    assert code == 0 and out.startswith("<!DOCTYPE html>")


def test_trend_weeks_equal_each_weeks_summary(run, tmp_path):
    import openpyxl

    path = tmp_path / "t.xlsx"
    assert run("report", "-o", str(path))[0] == 0
    rows = _sheet_rows(openpyxl.load_workbook(path)["Сводка"])
    at = next(i for i, r in enumerate(rows) if r[0] == "Неделя с")
    titles = [t for t in rows[at][2:] if t]
    trend = rows[at + 1: at + 4]
    assert len(trend) == 3
    for back, row in zip((2, 1, 0), trend):
        js = _summary(run, "--week", f"latest-{back}")
        assert row[0].date().isoformat() == js["week_start"]
        values = {i["title"]: i["value"] for i in js["indicators"]}
        for title, v in zip(titles, row[2:]):
            assert v == pytest.approx(values[title])
