"""``sferum-tui export``: the schools filters or a shortlist, each format read back.

The rows are the indicators engine's week table (``core/indicators.py``).
"""

from __future__ import annotations

import csv
import io
import json

import openpyxl

from export_support import EVIL_NAME, home, run  # noqa: F401 (home: a fixture)


def read_csv(path):
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw[3:].decode("utf-8"), newline=""), delimiter=";"))
    return rows[0], [dict(zip(rows[0], r)) for r in rows[1:]]


def test_export_inactive_csv(capsys, home, tmp_path):
    out = tmp_path / "inactive.csv"
    code, stdout, err = run(capsys, home, "export", "--inactive", "--format", "csv", "-o", str(out))
    assert code == 0, err
    assert stdout.strip() == f"{out}: выгружено 1 организация"
    header, rows = read_csv(out)
    assert "Наименование ОО" in header and "Причины" in header and "Фильтр" in header
    assert [r["ИНН"] for r in rows] == ["0521004321"]
    row = rows[0]
    assert row["Наименование ОО"] == "'" + EVIL_NAME
    assert row["Причины"] and row["Фильтр"] == "неактивные"
    assert row["Неделя с"] == "2023-04-22" and row["Неделя по"] == "2023-04-28"


def test_export_week_and_filters_in_xlsx(capsys, home, tmp_path):
    out = tmp_path / "w1.xlsx"
    code, stdout, err = run(capsys, home, "export", "--week", "2023-04-17", "--inactive",
                            "--municipality", "Сергокалинский район", "-o", str(out))
    assert code == 0, err
    assert "выгружено 1 организация" in stdout
    wb = openpyxl.load_workbook(out)
    ws = wb.worksheets[0]
    assert ws["A1"].value.endswith("15.04–21.04.2023")
    assert "неактивные" in ws["A2"].value and "Сергокалинский район" in ws["A2"].value
    header = [c.value for c in ws[5]]
    inn = header.index("ИНН") + 1
    assert ws.cell(6, inn).value == "0527001235" and ws.cell(7, inn).value is None
    users = ws.cell(6, header.index("Пользователи") + 1)
    assert users.value == 2 and users.data_type == "n"
    share = ws.cell(6, header.index("Доля пишущих учителей") + 1)
    assert share.value == 0 and "%" in share.number_format
    assert ws.freeze_panes == "C6" and ws.auto_filter.ref.startswith("A5:")


def test_export_low_messaging_pct_json(capsys, home, tmp_path):
    out = tmp_path / "low.json"
    code, _, err = run(capsys, home, "export", "--low-messaging", "10", "-o", str(out))
    assert code == 0, err
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert sorted(r["org_id"] for r in doc["rows"]) == ["0521004321", "0527001235"]   # 0% each
    assert doc["week"]["start"] == "2023-04-22" and "10" in doc["filter"]
    for r in doc["rows"]:
        assert r["reasons"] and isinstance(r["reasons"], list)
        assert isinstance(r["users_total"], int) and isinstance(r["d_users_total"], int)
        for key in ("week_start", "week_end", "active_by_rule", "inactive", "messaging_share",
                    "registration_share", "missing", "org_id", "org_name", "municipality"):
            assert key in r


def test_export_search_markdown(capsys, home, tmp_path):
    out = tmp_path / "notes.md"
    code, _, err = run(capsys, home, "export", "--search", "Цудахар", "--format", "md", "-o", str(out))
    assert code == 0, err
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# ") and "22.04–28.04.2023" in text
    assert "поиск «Цудахар»" in text and "**Организаций:** 1" in text
    assert "0521004322" in text and "9 / 44" in text


def test_export_a_shortlist(capsys, home, tmp_path):
    assert run(capsys, home, "shortlist", "add", "Контроль", "Цудахар", "гимназия",
               "--note", "к пятнице")[0] == 0
    out = tmp_path / "list.csv"
    code, stdout, err = run(capsys, home, "export", "shortlist", "контроль", "-o", str(out),
                            "--decimal-comma")
    assert code == 0, err
    assert "выгружено 2 организации" in stdout
    _, rows = read_csv(out)
    assert [r["ИНН"] for r in rows] == ["0521004322", "0521004323"]          # the list's order
    assert rows[0]["Заметка"] == "к пятнице" and "," in rows[0]["Доля пишущих учителей, %"]
    assert rows[1]["Наименование ОО"].startswith("'@SUM")                    # absent this week
    assert "нет в файле этой недели" in rows[1]["Причины"]
    assert all(r["Фильтр"] == "список «Контроль»" for r in rows)


def test_export_a_shortlist_through_a_filter(capsys, home, tmp_path):
    run(capsys, home, "shortlist", "add", "Контроль", "0527001234", "0521004321", "гимназия")
    out = tmp_path / "f.json"
    code, stdout, err = run(capsys, home, "export", "shortlist", "Контроль", "--inactive", "-o", str(out))
    assert code == 0, err
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert [r["org_id"] for r in doc["rows"]] == ["0521004321"]
    assert doc["filter"] == "список «Контроль»; неактивные"
    assert doc["rows"][0]["note"] is None and doc["rows"][0]["added_at"].endswith("Z")


def test_shortlist_member_outside_the_scope_keeps_its_figures(capsys, home, tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text('[scope]\nmunicipalities = ["Левашинский район"]\n', encoding="utf-8")
    run(capsys, home, "shortlist", "add", "Контроль", "0527001234")
    out = tmp_path / "s.json"
    code, _, err = run(capsys, home, "--config", str(cfg), "export", "shortlist", "Контроль",
                       "-o", str(out))
    assert code == 0, err
    (row,) = json.loads(out.read_text(encoding="utf-8"))["rows"]
    assert row["users_total"] == 1240 and row["in_week"] is True


def test_export_to_stdout(capsys, home):
    code, out, err = run(capsys, home, "export", "--search", "0521004322", "--format", "json", "-o", "-")
    assert code == 0, err
    # the bytes went to sys.stdout.buffer; capsys sees the text
    doc = json.loads(out)
    assert doc["count"] == 1


def test_bad_week_is_one_line(capsys, home, tmp_path):
    code, out, err = run(capsys, home, "export", "--week", "2020-01-01", "-o", str(tmp_path / "x.csv"))
    assert code == 1 and err.count("\n") == 1 and err.startswith("sferum-tui: ")
    assert not (tmp_path / "x.csv").exists()
