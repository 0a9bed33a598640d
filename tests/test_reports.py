"""The report commands (summary, schools, history, changes) through the real CLI, on the
three-week fixture of indicators_support.py (the expectations there are computed by hand)."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from indicators_support import ORGS, build_home  # noqa: E402

from sferum_tui.cli import main  # noqa: E402

INN = {k: inn for k, (_, inn, _) in ORGS.items()}
KEY = {inn: k for k, inn in INN.items()}


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    return build_home(tmp_path_factory.mktemp("reports"))


@pytest.fixture
def run(home, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")

    def _run(*argv: str) -> tuple[int, str, str]:
        code = main(["--home", str(home), *argv])
        out, err = capsys.readouterr()
        return code, out, err
    return _run


def json_keys(out: str) -> set[str]:
    return {KEY[r["org_id"]] for r in json.loads(out)}


# --------------------------------------------------------------------------------------------
# schools
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("flags, expected", [
    ([], set("ABCDEFG")),
    (["--inactive"], {"C", "E", "G"}),
    (["--low-messaging"], {"B", "C", "D", "E"}),
    (["--low-messaging", "45"], {"A", "B", "C", "D", "E"}),
    (["--low-messaging", "45%"], {"A", "B", "C", "D", "E"}),
    (["--low-messaging", "27,5"], {"B", "C", "D", "E"}),
    (["--low-messaging", "40.5"], {"A", "B", "C", "D", "E"}),
    (["--disagrees"], {"C"}),
    (["--unregistered"], {"B", "D", "E"}),
    (["--missing"], {"G"}),
    (["--changed"], {"A", "D", "E", "F"}),
    (["--municipality", "Левашинский"], {"D", "E", "F", "G"}),
    (["--municipality", "Левашинский район", "--municipality", "Сергокалинский район"], set("ABCDEFG")),
    (["--search", "0527"], {"A", "B", "C"}),
    (["--search", "сош"], {"A", "B", "C", "E", "F", "G"}),
    (["--inactive", "--municipality", "левашинский район"], {"E", "G"}),
    (["--low-messaging", "--unregistered", "--search", "0521"], {"D", "E"}),
    (["--week", "latest-1", "--inactive"], {"C", "D", "F", "G"}),
    (["--week", "10.04.2023", "--inactive"], {"C", "D", "F", "G"}),
    (["--week", "2023-04-03", "--low-messaging"], {"A", "B", "C", "D", "F"}),
])
def test_schools_filters_json(run, flags, expected):
    """Every filter, including the threshold grammar (30, 30%, 27,5, 27.5)."""
    code, out, err = run("schools", *flags, "--format", "json")
    assert code == 0, err
    assert json_keys(out) == expected


def test_schools_json_fields(run):
    code, out, _ = run("schools", "--format", "json", "--search", "Мюрег")
    (row,) = json.loads(out)
    for field in ("region", "municipality", "org_id", "org_name", "status", "users_total",
                  "staff_total", "teachers", "students", "parents", "classes", "chats",
                  "teachers_active", "teachers_active_share",
                  "week_start", "week_end", "active_by_rule", "inactive", "messaging_share",
                  "registration_share", "missing", "reasons", "status_disagrees",
                  "low_messaging", "unregistered", "newly_inactive", "recovered", "changed",
                  "weeks_below", "weeks_below_teacher_messaging", "value_teacher_messaging",
                  "pass_teacher_messaging", "d_users_total", "d_messaging_share"):
        assert field in row, field
    assert row["org_id"] == "0527000003" and isinstance(row["org_id"], str)
    assert (row["week_start"], row["week_end"]) == ("2023-04-15", "2023-04-21")
    assert row["status"] == "inactive" and row["active_by_rule"] is True
    assert row["status_disagrees"] is True and row["inactive"] is True
    assert row["users_total"] == 60 and row["teachers_active_share"] is None   # NaN → null
    assert row["messaging_share"] == pytest.approx(3 / 41)
    assert row["weeks_below"] == 3
    assert row["reasons"] == ["статус «Не активна», хотя правило выполнено",
                              "3 из 41 учителя написали более 3 сообщений (7%, ниже 30%)"]
    assert not any(k.startswith("prev_") for k in row)


def test_schools_json_missing_and_zero_teachers(run):
    rows = {KEY[r["org_id"]]: r for r in json.loads(run("schools", "--format", "json")[1])}
    g = rows["G"]
    assert g["missing"] is True and g["users_total"] is None and g["messaging_share"] is None
    assert g["staff_total"] == 15 and g["reasons"] == ["нет в файле этой недели"]
    b = rows["B"]
    assert b["teachers"] == 0 and b["messaging_share"] is None and b["low_messaging"] is True
    assert b["reasons"] == ["зарегистрировано 0 учителей"]


def test_schools_csv(run):
    code, out, _ = run("schools", "--format", "csv", "--sort", "messaging", "--limit", "3")
    assert out.startswith("\ufeff")                   # the one CSV writer: BOM, «;»
    rows = list(csv.DictReader(io.StringIO(out[1:]), delimiter=";"))
    assert [KEY[r["org_id"]] for r in rows] == ["E", "C", "D"]
    assert rows[0]["org_id"] == "0521000005"          # leading zero kept
    assert rows[0]["inactive"] == "true" and rows[0]["teachers_active_share"] == ""
    assert "связано 2 пользователя" in rows[0]["reasons"]


def test_schools_sort_and_limit(run):
    out = run("schools", "--format", "json", "--sort", "users", "--desc", "--limit", "2")[1]
    assert [KEY[r["org_id"]] for r in json.loads(out)] == ["A", "D"]
    out = run("schools", "--format", "json", "--sort=-weeks_below", "--limit", "1")[1]
    assert [KEY[r["org_id"]] for r in json.loads(out)] in (["B"], ["C"], ["E"])


def test_schools_table_russian_80_columns(run):
    code, out, _ = run("schools", "--low-messaging", "--reasons")
    assert code == 0
    assert "Неделя 15.04–21.04.2023" in out and "Фильтр: пишут < 30%" in out
    assert "▸ Левашинский район" in out and "Показано 4 из 4 подходящих (всего 7 организаций)." in out
    assert "3 из 41 учителя написали более 3 сообщений (7%, ниже 30%)" in " ".join(out.split())
    assert max(len(line) for line in out.splitlines()) <= 80
    code, out, _ = run("schools", "--sort", "name")
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "неакт.*" in out                              # C: the status contradicts the rule


def test_schools_english(run):
    code, out, _ = run("--lang", "en", "schools", "--missing")
    assert "Shown: 1 of 1 matching (7 organisations in all)." in out and "absent" in out


@pytest.mark.parametrize("flags, words", [
    (["--week", "2023-05-01"], "01.05.2023"),
    (["--week", "latest-5"], "latest-5"),
    (["--week", "soon"], "soon"),
    (["--sort", "popularity"], "popularity"),
    (["--low-messaging", "abc"], "abc"),
    (["--low-messaging", "150%"], "150%"),
])
def test_schools_bad_arguments(run, flags, words):
    code, out, err = run("schools", *flags)
    assert code == 1 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sferum-tui: ") and words in lines[0]


# --------------------------------------------------------------------------------------------
# summary
# --------------------------------------------------------------------------------------------

def test_summary(run):
    code, out, _ = run("summary", "--today", "2023-04-26")
    assert code == 0
    assert "Сводка · неделя 15.04–21.04.2023 · снимок №3 · 7 организаций" in out
    assert "неактивны 3 (42,9%)" in out and "нет в файле 1" in out
    assert "Активные профили ОО" in out and "57,1%" in out and "▲14,3 п.п." in out
    assert "осталось 1 дн." in out and "осталось 23 дн." in out
    assert "стали неактивными 1 · восстановились 2" in out
    assert "МБОУ «Цудахарская СОШ»" in out
    lines = out.splitlines()
    worst = lines.index(next(line for line in lines if line.startswith("Худшие муниципалитеты")))
    assert "Левашинский район" in lines[worst + 3] and "Сергокалинский район" in lines[worst + 4]
    assert max(len(line) for line in lines) <= 80


def test_summary_deadline_overdue(run):
    code, out, _ = run("summary", "--today", "2023-05-01")
    assert "просрочено 4 дн." in out and "Просрочено: Активные профили ОО (57,1% / 100%)." in out
    code, out, _ = run("--lang", "en", "summary", "--today", "2023-05-01")
    assert "4 days overdue" in out and "18 days left" in out


def test_summary_first_week(run):
    code, out, _ = run("summary", "--week", "latest-2")
    assert code == 0 and "Прошлой недели в хранилище нет" in out


# --------------------------------------------------------------------------------------------
# history
# --------------------------------------------------------------------------------------------

def test_history_table_and_json(run):
    code, out, _ = run("history", "гимназия")
    assert code == 0
    assert out.startswith("МКОУ «Левашинская гимназия» · ИНН 0521000004 · Левашинский район")
    assert "08.04–14.04.2023  нет" in out
    code, out, _ = run("history", "0521000004", "--format", "json")
    rows = json.loads(out)
    assert [r["week_start"] for r in rows] == ["2023-04-01", "2023-04-08", "2023-04-15"]
    assert [r["missing"] for r in rows] == [False, True, False]
    assert [r["weeks_below_teacher_messaging"] for r in rows] == [1, 2, 3]
    assert rows[1]["users_total"] is None and rows[0]["org_id"] == "0521000004"


def test_history_csv(run):
    code, out, _ = run("history", "Цудахар", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out.removeprefix("\ufeff")), delimiter=";"))
    assert [r["inactive"] for r in rows] == ["false", "false", "true"]
    assert [r["newly_inactive"] for r in rows] == ["false", "false", "true"]


def test_history_ambiguous(run):
    code, out, err = run("history", "СОШ")
    assert code == 1 and out == ""
    first, *table = err.strip().splitlines()
    assert first.startswith("sferum-tui: «СОШ»: подходит 6 организаций")
    assert sum(1 for line in table if line.startswith("05")) == 6


def test_history_unknown(run):
    code, out, err = run("history", "Нет такой школы")
    assert code == 1 and len(err.strip().splitlines()) == 1


# --------------------------------------------------------------------------------------------
# changes
# --------------------------------------------------------------------------------------------

def test_changes(run):
    code, out, _ = run("changes")
    assert code == 0
    assert "Изменения · неделя 15.04–21.04.2023 против 08.04–14.04.2023" in out
    assert "Стали неактивными: 1" in out and "Восстановились: 2" in out
    assert "связано 2 пользователя, нужно больше 2" in out
    assert "▼20,0 п.п." in out                     # E: 20% → 0%
    assert max(len(line) for line in out.splitlines()) <= 80


def test_changes_json_and_week(run):
    code, out, _ = run("changes", "--week", "latest-1", "--format", "json")
    data = json.loads(out)
    assert (data["week_start"], data["previous_start"]) == ("2023-04-08", "2023-04-01")
    # week 2: D absent (newly inactive: missing counts as inactive), E's share fell 40% → 20%
    assert {KEY[r["org_id"]] for r in data["newly_inactive"]} == {"D"}
    assert {KEY[r["org_id"]] for r in data["recovered"]} == set()
    assert [KEY[r["org_id"]] for r in data["falls"]] == ["E"]
    assert [KEY[r["org_id"]] for r in data["rises"]] == ["A"]


# --------------------------------------------------------------------------------------------
# scope and the demo store
# --------------------------------------------------------------------------------------------

def test_scope_from_config_and_demo_ignores_it(run, home, tmp_path):
    conf = tmp_path / "scope.toml"
    conf.write_text('[scope]\nmunicipalities = ["Сергокалинский район"]\n', encoding="utf-8")
    code, out, _ = run("--config", str(conf), "schools", "--format", "json")
    assert json_keys(out) == {"A", "B", "C"}
    demo_home = home / "demo"
    if not demo_home.exists():
        import shutil

        shutil.copytree(home, demo_home, ignore=shutil.ignore_patterns("demo"))
    code, out, _ = run("--demo", "--config", str(conf), "schools", "--format", "json")
    assert json_keys(out) == set("ABCDEFG")


def test_empty_store(tmp_path, capsys):
    code = main(["--home", str(tmp_path / "nothing"), "summary"])
    err = capsys.readouterr().err
    assert code == 1 and len(err.strip().splitlines()) == 1
