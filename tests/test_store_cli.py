"""``sferum-tui import | weeks | registry`` through ``cli.main`` on real files and a real store."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from sferum_tui.cli import main

from filemaker import write_csv
from store_support import W1, W2, WEEK, registry_file, week_file


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def home(tmp_path) -> Path:
    return tmp_path / "home"


def test_import_then_weeks(tmp_path, home, capsys):
    f1 = week_file(tmp_path / "w1.csv", W1)
    f2 = week_file(tmp_path / "w2.csv", W2, rows=WEEK[:2], total=False)
    code, out, err = run(capsys, "--home", home, "import", f1, f2)
    assert code == 0 and err == ""
    assert out.splitlines() == [
        "w1.csv: импортирована неделя 15.04–21.04.2023: 3 организации, пропущено строк: 1",
        "w2.csv: импортирована неделя 22.04–28.04.2023: 2 организации",
    ]
    code, out, _ = run(capsys, "--home", home, "weeks")
    lines = out.splitlines()
    assert code == 0 and lines[0].split()[:3] == ["№", "Неделя", "Файл"]
    assert "15.04–21.04.2023" in lines[2] and "w1.csv" in lines[2]
    assert "22.04–28.04.2023" in lines[3]
    # columns line up: every row has the period at the same offset as the header
    assert len({line.index("Неделя") if i == 0 else line.index(".04–") - 2 for i, line in
                enumerate([lines[0], lines[2], lines[3]])}) == 1


def test_global_flags_work_after_the_command_too(tmp_path, home, capsys):
    f1 = week_file(tmp_path / "w1.csv", W1)
    code, out, _ = run(capsys, "import", f1, "--home", home, "--lang", "en")
    assert code == 0 and out.strip() == "w1.csv: imported 15.04–21.04.2023: 3 organisations, 1 row skipped"
    code, out, _ = run(capsys, "weeks", "--json", "--home", home)
    data = json.loads(out)
    assert code == 0 and len(data) == 1
    w = data[0]
    assert w["period"] == {"start": "2023-04-15", "end": "2023-04-21"}
    assert (w["source"], w["rows"], w["skipped"], w["superseded_by"], w["missing"]) == ("w1.csv", 3, 1, None, None)
    assert gzip.decompress(Path(w["blob"]).read_bytes()) == f1.read_bytes()


def test_same_file_twice_says_so(tmp_path, home, capsys):
    f1 = week_file(tmp_path / "w1.csv", W1)
    run(capsys, "--home", home, "import", f1)
    code, out, _ = run(capsys, "--home", home, "import", f1)
    assert code == 0
    assert out.strip() == "w1.csv: уже импортирован (тот же файл): неделя 15.04–21.04.2023, снимок №1, 3 организации"


def test_conflict_is_refused_then_replace_supersedes(tmp_path, home, capsys, store_dump):
    run(capsys, "--home", home, "import", week_file(tmp_path / "w1.csv", W1))
    fixed = week_file(tmp_path / "w1-fixed.csv", W1, rows=WEEK[:2])
    before = store_dump(home)
    code, out, err = run(capsys, "--home", home, "import", fixed)
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith("sferum-tui: w1-fixed.csv: неделя 15.04–21.04.2023")
    assert "--replace" in err and "Traceback" not in err
    assert store_dump(home) == before
    code, out, _ = run(capsys, "--home", home, "import", fixed, "--replace")
    assert code == 0 and "заменена неделя 15.04–21.04.2023" in out and "№1" in out
    code, out, _ = run(capsys, "--home", home, "weeks")
    assert "w1-fixed.csv" in out and "w1.csv " not in out
    code, out, _ = run(capsys, "--home", home, "weeks", "--all")
    assert "заменён №2" in out and "w1.csv" in out
    code, out, _ = run(capsys, "--home", home, "--lang", "en", "weeks", "--all")
    assert "superseded by #2" in out


def test_several_files_each_reported_and_exit_1_if_any_failed(tmp_path, home, capsys):
    good = week_file(tmp_path / "good.csv", W1)
    bad = write_csv(tmp_path / "bad.csv", [["просто текст"], ["ничего полезного"]])
    noperiod = week_file(tmp_path / "noperiod.csv", W2, title=False)
    missing = tmp_path / "nope.csv"
    code, out, err = run(capsys, "--home", home, "import", bad, good, noperiod, missing)
    assert code == 1
    assert out.splitlines() == ["good.csv: импортирована неделя 15.04–21.04.2023: 3 организации, пропущено строк: 1"]
    lines = err.splitlines()
    assert len(lines) == 3 and all(line.startswith("sferum-tui: ") for line in lines)
    assert "bad.csv" in lines[0] and "noperiod.csv" in lines[1] and "--period" in lines[1]
    assert "nope.csv" in lines[2] and "не найден" in lines[2]
    code, out, _ = run(capsys, "--home", home, "import", noperiod, "--period", "2023-04-22")
    assert code == 0 and "22.04–28.04.2023" in out


def test_empty_store_weeks(home, capsys):
    code, out, _ = run(capsys, "--home", home, "weeks")
    assert code == 0 and "Хранилище пусто" in out
    assert json.loads(run(capsys, "--home", home, "weeks", "--json")[1]) == []
    assert not home.exists()


def test_registry_import_show_and_missing(tmp_path, home, capsys):
    run(capsys, "--home", home, "import", week_file(tmp_path / "w1.csv", W1),
        week_file(tmp_path / "w2.csv", W2, rows=[WEEK[0]], total=False))
    reg = registry_file(tmp_path / "reg.csv", [
        ("0517000001", "МКОУ Александрийская СОШ", "Кизлярский район", 45, "школа"),
        ("", "МКОУ «Ахтынская СОШ № 2»", "Кизлярский район", 12, "школа"),
        ("0517000009", "МКОУ «Новая ООШ»", "Кизлярский район", 1234, "школа"),
    ])
    code, out, _ = run(capsys, "--home", home, "registry", "import", reg)
    assert code == 0 and out.strip() == "reg.csv: справочник импортирован: 3 организации"
    code, out, _ = run(capsys, "--home", home, "registry", "show")
    assert code == 0 and "организаций: 3" in out and "0517000009" in out and "1\u00a0234" in out
    data = json.loads(run(capsys, "--home", home, "registry", "show", "--json")[1])
    assert data["count"] == 3 and data["rows"][2]["org_id"] == "0517000009"
    assert data["rows"][2]["staff_total"] == 1234 and data["rows"][1]["org_id"] is None
    code, out, _ = run(capsys, "--home", home, "weeks")
    assert "Нет" in out
    header, _, first, second = out.splitlines()[:4]
    col = header.index("Нет ") + len("Нет") - 1
    assert first[col] == "1" and second[col] == "2"
    code, out, _ = run(capsys, "--home", home, "registry", "missing")       # the latest week
    assert code == 0 and "22.04–28.04.2023" in out and "Ахтынская" in out and "0517000009" in out
    data = json.loads(run(capsys, "--home", home, "registry", "missing", "--week", "2023-04-17", "--json")[1])
    assert data["period"]["start"] == "2023-04-15" and [r["org_id"] for r in data["rows"]] == ["0517000009"]
    code, out, err = run(capsys, "--home", home, "registry", "missing", "--week", "2020-01-01")
    assert code == 1 and "нет недели" in err


def test_registry_without_one_and_bad_file(tmp_path, home, capsys):
    code, out, _ = run(capsys, "--home", home, "registry", "show")
    assert code == 0 and "не загружен" in out
    code, _, err = run(capsys, "--home", home, "registry", "missing")
    assert code == 1 and "справочник организаций не загружен" in err
    bad = write_csv(tmp_path / "reg.csv", [["что-то"], ["совсем", "другое"]])
    code, _, err = run(capsys, "--home", home, "registry", "import", bad)
    assert code == 1 and err.startswith("sferum-tui: ") and "reg.csv" in err and err.count("\n") == 1


def test_header_aliases_from_the_config_are_used_and_kept_for_rereading(tmp_path, home, capsys):
    head = ["Муниципалитет", "ИНН", "Объект мониторинга", "Статус", "Пользователи", "Классы", "Учителя",
            "Учителя, написавшие более 3 сообщений"]
    f = week_file(tmp_path / "odd.csv", W1, head=head)
    home.mkdir()
    (home / "config.toml").write_text('[aliases]\n"Объект мониторинга" = "org_name"\n', encoding="utf-8")
    code, out, err = run(capsys, "--home", home, "import", f)
    assert code == 0, err
    from sferum_tui.core.store import Store

    with Store(home) as s:
        snap = s.snapshots()[0]
        assert snap.columns["Объект мониторинга"] == "org_name"
        assert list(s.week_frame(snap.id)["org_name"])[0] == WEEK[0][2]
        assert s.reread(snap.id).rows[0]["org_name"] == WEEK[0][2]
