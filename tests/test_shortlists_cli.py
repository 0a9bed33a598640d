"""``sferum-tui shortlist`` with the week's figures: lists built from the schools filters, and
``show``."""

from __future__ import annotations

import json

from sferum_tui.core.store import Store
from sferum_tui.core.store.shortlists import Shortlists

from export_support import home, run  # noqa: F401 (home: a fixture)


def inns(home, name):
    with Store(home) as store:
        return Shortlists(store).members(name)["org_id"].tolist()


def test_add_from_filters(capsys, home):
    code, out, err = run(capsys, home, "shortlist", "add", "Неактивные", "--inactive")
    assert code == 0, err
    assert "добавлено 1 организация (фильтр отобрал 1)" in out
    assert inns(home, "Неактивные") == ["0521004321"]
    # an earlier week, by a date inside it, and by latest-1
    code, out, err = run(capsys, home, "shortlist", "add", "Неактивные", "--inactive", "--week", "2023-04-20")
    assert code == 0, err
    assert "добавлено 1 организация" in out and "уже были в списке: 1" in out
    assert inns(home, "Неактивные") == ["0521004321", "0527001235"]
    code, out, err = run(capsys, home, "shortlist", "add", "Прошлая", "--inactive", "--week", "latest-1")
    assert code == 0, err
    assert sorted(inns(home, "Прошлая")) == ["0521004321", "0527001235"]


def test_add_from_filters_and_orgs_together(capsys, home):
    code, _, err = run(capsys, home, "shortlist", "add", "Леваши", "Сергокалинская",
                       "--municipality", "Левашинский район", "--low-messaging")
    assert code == 0, err
    got = inns(home, "Леваши")
    assert got[0] == "0527001234" and sorted(got[1:]) == ["0521004321", "0521004322"]


def test_add_filter_picking_nothing(capsys, home):
    code, out, err = run(capsys, home, "shortlist", "add", "Пусто", "--search", "нет такой школы")
    assert code == 0, err
    assert "добавлено 0 организаций (фильтр отобрал 0)" in out
    assert inns(home, "Пусто") == []


def test_remove_by_filter(capsys, home):
    run(capsys, home, "shortlist", "add", "Все", "--municipality", "Левашинский район")
    code, out, err = run(capsys, home, "shortlist", "remove", "Все", "--inactive")
    assert code == 0, err
    assert inns(home, "Все") == ["0521004322"]


def test_show_prints_figures_and_reasons(capsys, home):
    run(capsys, home, "shortlist", "add", "Контроль", "0527001234", "0521004321", "гимназия",
        "--note", "звонок")
    code, out, err = run(capsys, home, "shortlist", "show", "Контроль")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "Список «Контроль»: 3 организации; неделя 22.04–28.04.2023"
    body = "\n".join(lines[1:])
    assert "0527001234" in body and "1\u00a0240" in body and "10/41" in body
    evil = next(ln for ln in lines if "0521004321" in ln)
    assert "класс" in evil and "звонок" in evil                 # a reason about classes
    absent = next(ln for ln in lines if "0521004323" in ln)
    assert "нет в файле этой недели" in absent


def test_show_json_and_week(capsys, home):
    run(capsys, home, "shortlist", "add", "Контроль", "0527001235")
    code, out, err = run(capsys, home, "shortlist", "show", "Контроль", "--week", "2023-04-15",
                         "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["week"]["start"] == "2023-04-15" and doc["filter"] == "список «Контроль»"
    (row,) = doc["rows"]
    assert row["org_id"] == "0527001235" and row["users_total"] == 2 and row["inactive"] is True
    assert row["reasons"]


def test_bad_week_is_one_line(capsys, home):
    run(capsys, home, "shortlist", "add", "Контроль", "0527001235")
    code, out, err = run(capsys, home, "shortlist", "show", "Контроль", "--week", "2019-01-01")
    assert code == 1 and err.count("\n") == 1 and "Traceback" not in err
