"""``sferum-tui fetch`` of a folder with one file per municipality for the same week, against the
loopback cloud.mail.ru of :mod:`tests.cloud_server`, through ``sferum_tui.cli.main``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from sferum_tui.core.store import Store  # noqa: E402

from cloud_server import CloudServer, cloud  # noqa: E402,F401 (cloud: a fixture)
from fetch_support import FOLDER, fetch, home, state_bytes, title, week  # noqa: E402,F401

HEADER = "Муниципалитет;ИНН;Наименование ОО;Статус;Пользователи;Классы;Учителя"
AREAS = {
    "Сергокалинский район": [("0527001234", "МКОУ «Сергокалинская СОШ №1»", 120),
                             ("0527001235", "МКОУ «Аймаумахинская СОШ»", 2)],
    "Левашинский район": [("0521004321", "МКОУ «Левашинская гимназия»", 64)],
    "Кайтагский район": [("0515000011", "МКОУ «Маджалисская СОШ»", 88),
                         ("0515000012", "МКОУ «Джавгатская СОШ»", 40)],
    "Дахадаевский район": [("0522000031", "МКОУ «Уркарахская СОШ»", 77)],
}


def area_csv(start, area: str, schools=None) -> bytes:
    lines = [title(start), HEADER]
    for inn, name, users in schools or AREAS[area]:
        lines.append(f"{area};{inn};{name};Активна;{users};5;10")
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def weeks(home: Path, include_superseded: bool = False):
    with Store(home) as store:
        return store.snapshots(include_superseded=include_superseded)


def test_a_folder_of_municipality_files_for_one_week_becomes_one_snapshot(cloud, fetch, home):
    cloud.add_folder(FOLDER, "Мониторинг по районам")
    for i, area in enumerate(list(AREAS)[:3]):
        cloud.add_file(FOLDER, f"{area}.csv", area_csv(week(0), area), mtime=1682085600 + i)
    link = cloud.public_url(FOLDER)

    run = fetch(link)
    assert run.code == 0, run.err
    assert "New files imported: 3." in run.out
    (snap,) = weeks(home, include_superseded=True)      # one snapshot, nothing superseded
    assert snap.rows == 5 and snap.source_name == link
    assert [(f.source_name, f.rows) for f in snap.files] == [
        ("Сергокалинский район.csv", 2), ("Левашинский район.csv", 1), ("Кайтагский район.csv", 2)]
    state = json.loads(state_bytes(home))
    assert {r["status"] for r in state["files"]} == {"imported"}
    assert {r["snapshot"] for r in state["files"]} == {snap.id}

    # a fourth municipality published later joins the week (its schools are new to it)
    cloud.add_file(FOLDER, "Дахадаевский район.csv", area_csv(week(0), "Дахадаевский район"),
                   mtime=1682090000)
    run = fetch(link)
    assert run.code == 0, run.err
    (current,) = weeks(home)
    assert current.rows == 6 and len(current.files) == 4
    assert current.files[-1].source_name == "Дахадаевский район.csv"
    assert len(weeks(home, include_superseded=True)) == 2   # the 3-file week is kept


def test_overlapping_files_of_one_week_are_refused_and_the_run_goes_on(cloud, fetch, home):
    cloud.add_folder(FOLDER, "Мониторинг по районам")
    cloud.add_file(FOLDER, "Сергокалинский.csv", area_csv(week(0), "Сергокалинский район"),
                   mtime=1682085600)
    # this file lists a Sergokala school too: the two files overlap
    twice = AREAS["Левашинский район"] + [AREAS["Сергокалинский район"][1]]
    cloud.add_file(FOLDER, "Левашинский.csv", area_csv(week(0), "Левашинский район", twice),
                   mtime=1682085601)
    cloud.add_file(FOLDER, "Кайтагский 22.04.csv", area_csv(week(1), "Кайтагский район"),
                   mtime=1682690400)
    link = cloud.public_url(FOLDER)

    run = fetch(link)
    assert run.code == 1
    (line,) = run.error_lines
    assert "“Сергокалинский.csv”, row 4" in line and "“Левашинский.csv”, row 4" in line
    assert "0527001235" in line
    # the next week's file was imported all the same; the overlapping week was not
    assert [s.period_label for s in weeks(home, include_superseded=True)] == ["22.04–28.04.2023"]
    state = {r["name"]: r for r in json.loads(state_bytes(home))["files"]}
    assert state["Сергокалинский.csv"]["status"] == "rejected"
    assert state["Левашинский.csv"]["status"] == "rejected"
    assert state["Кайтагский 22.04.csv"]["status"] == "imported"

    # the refusal is remembered: the next run skips both and has nothing new
    again = fetch(link)
    assert again.code == 3, again.err
    assert again.out.count("refused before") == 2
