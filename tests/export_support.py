"""Shared set-up of the shortlist and export tests (no tests here).

Two real weekly CSV files, imported through the command line into a fresh store, and a stand-in
for the indicators engine's week table computed by hand from ``Store.week_frame`` — the numbers
the tests expect are worked out here in plain Python, next to the data.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sferum_tui.cli import main

HEADER = ["Муниципалитет", "ИНН", "Наименование ОО", "Статус", "Пользователи", "Классы", "Учителя",
          "Учителя, написавшие более 3 сообщений"]

SERGO = "Сергокалинский район"
LEVASHI = "Левашинский район"
EVIL_NAME = "=cmd|' /C calc'!A0"
AT_NAME = "@SUM(1+1) гимназия"

WEEK1 = [
    (SERGO, "0527001234", "МКОУ «Сергокалинская СОШ №1»", "Активна", 1234, 22, 41, 3),
    (SERGO, "0527001235", "МКОУ «Аймаумахинская СОШ»", "Не активна", 2, 0, 1, 0),
    (LEVASHI, "0521004321", EVIL_NAME, "Не активна", 3, 0, 2, 0),
    (LEVASHI, "0521004322", "МБОУ «Цудахарская СОШ»", "Активна", 512, 18, 44, 9),
    (LEVASHI, "0521004323", AT_NAME, "Активна", 40, 2, 10, 6),
]
# a week later: Аймаумахинская recovers, Сергокалинская writes more, the gymnasium is absent
WEEK2 = [
    (SERGO, "0527001234", "МКОУ «Сергокалинская СОШ №1»", "Активна", 1240, 22, 41, 10),
    (SERGO, "0527001235", "МКОУ «Аймаумахинская СОШ»", "Активна", 5, 1, 1, 0),
    (LEVASHI, "0521004321", EVIL_NAME, "Не активна", 3, 0, 2, 0),
    (LEVASHI, "0521004322", "МБОУ «Цудахарская СОШ»", "Активна", 500, 17, 44, 9),
]
TITLE1 = "Мониторинг использования ИКОП «Сферум» за период с 15.04.2023 по 21.04.2023"
TITLE2 = "Мониторинг использования ИКОП «Сферум» за период с 22.04.2023 по 28.04.2023"


def write_week(path: Path, title: str, rows) -> Path:
    lines = [title, ";".join(HEADER)] + [";".join(str(v) for v in r) for r in rows]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))
    return path


def make_store(tmp: Path, weeks: int = 2) -> Path:
    """A data folder with the weeks imported by ``sferum-tui import``; returns the home."""
    home = tmp / "home"
    files = [write_week(tmp / "week1.csv", TITLE1, WEEK1)]
    if weeks > 1:
        files.append(write_week(tmp / "week2.csv", TITLE2, WEEK2))
    for f in files:
        assert main(["--home", str(home), "import", str(f)]) == 0
    return home


def _reasons(users, classes, teachers, active) -> list[str]:
    out = []
    if users <= 2:
        out.append(f"{users} пользователя привязано, нужно больше 2")
    if classes < 1:
        out.append("не создан ни один класс")
    if teachers and active / teachers < 0.3:
        out.append(f"{active} из {teachers} учителей написали более 3 сообщений")
    return out


def week_table_by_hand(store, snapshot_id: int):
    """What ``indicators.week_table`` gives, for the columns the exports show, computed by hand."""
    import pandas as pd

    info = store.snapshot(snapshot_id)
    df = store.week_frame(snapshot_id)
    prev = store.previous(snapshot_id)
    before = store.week_frame(prev.id).set_index("org_uid") if prev is not None else None
    df["week_start"] = info.period_start
    df["week_end"] = info.period_end
    users, classes = df["users_total"].astype(float), df["classes"].astype(float)
    df["active_by_rule"] = (users > 2) & (classes >= 1)
    df["inactive"] = df["status"].eq("inactive")
    df["status_disagrees"] = df["status"].eq("active") != df["active_by_rule"]
    df["missing"] = False
    df["messaging_share"] = df["teachers_active"].astype(float) / df["teachers"].astype(float)
    df["low_messaging"] = df["messaging_share"] < 0.3
    df["registration_share"] = float("nan")
    df["unregistered"] = False
    if before is not None:
        df["d_users_total"] = (df["users_total"] - df["org_uid"].map(before["users_total"])).astype("Int64")
        df["d_messaging_share"] = df["messaging_share"] - df["org_uid"].map(
            before["teachers_active"].astype(float) / before["teachers"].astype(float))
    else:
        df["d_users_total"] = pd.array([pd.NA] * len(df), dtype="Int64")
        df["d_messaging_share"] = float("nan")
    df["reasons"] = [_reasons(int(u), int(c), int(t), int(a)) for u, c, t, a in
                     zip(df["users_total"], df["classes"], df["teachers"], df["teachers_active"])]
    return df


@pytest.fixture()
def home(tmp_path):
    """A fresh store with the two weeks imported (import it into a test module to use it)."""
    return make_store(tmp_path)


def run(capsys, home, *argv):
    """``sferum-tui --home HOME ARGV...``: (exit code, stdout, stderr)."""
    capsys.readouterr()
    code = main(["--home", str(home), *argv])
    out, err = capsys.readouterr()
    return code, out, err

