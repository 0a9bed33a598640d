"""A cumulative workbook with one sheet per week (issue 12, part 3): ``inspect`` lists the weeks,
``import`` makes one snapshot per week sheet in one transaction; sheets that are not weeks are
named as skipped.  Real workbooks written at test time (xlsxwriter, odfpy), the real CLI."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from sferum_tui.cli import main  # noqa: E402

from filemaker import ORGS, simple_rows, week_orgs, write_ods_book, write_xlsx_book  # noqa: E402

INSTRUCTIONS = ("Инструкция", [["Порядок заполнения"], ["Каждую неделю добавляйте новый лист"]])


def history_book(path: Path) -> Path:
    """Three week sheets (two named by their period, one with the period in its title row)
    and an instructions sheet first."""
    return write_xlsx_book(path, [
        INSTRUCTIONS,
        ("15.04-21.04.2023", simple_rows(title=None)),
        ("22.04-28.04.2023", simple_rows(title=None, orgs=week_orgs(10))),
        ("Лист3", simple_rows(title="Мониторинг «Сферум» за период с 29.04.2023 по 05.05.2023",
                              orgs=week_orgs(20))),
    ])


@pytest.fixture
def home(tmp_path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def cli(home, capsys):
    def run(*args, lang: str = "en"):
        capsys.readouterr()
        code = main(["--home", str(home), "--lang", lang, *map(str, args)])
        out, err = capsys.readouterr()
        assert "Traceback" not in err
        return code, out, err
    return run


def weeks_held(cli) -> list[dict]:
    code, out, err = cli("weeks", "--json")
    assert code == 0, err
    return json.loads(out)


def test_inspect_lists_the_weeks_of_a_workbook(tmp_path, cli):
    book = history_book(tmp_path / "история.xlsx")
    code, out, err = cli("inspect", "--json", book)
    assert code == 0, err
    found = json.loads(out)
    assert [(w["sheet"], w["period"]["start"], w["period"]["end"], w["rows"]) for w in found["weeks"]] == [
        ("15.04-21.04.2023", "2023-04-15", "2023-04-21", 5),
        ("22.04-28.04.2023", "2023-04-22", "2023-04-28", 5),
        ("Лист3", "2023-04-29", "2023-05-05", 5),
    ]
    assert found["skipped_sheets"] == [{"sheet": "Инструкция", "reason": "no table of organisations"}]

    code, out, err = cli("inspect", "--rows", "0", book, lang="ru")
    assert code == 0, err
    assert "Книга по листу на неделю, недель: 3" in out
    assert "Лист3             29.04.2023 – 05.05.2023  организаций: 5" in out
    assert "лист «Инструкция» пропущен: нет таблицы организаций" in out


def test_import_makes_a_snapshot_per_week_sheet(tmp_path, cli):
    book = history_book(tmp_path / "история.xlsx")
    code, out, err = cli("import", book)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "история.xlsx: imported 3 weeks (15.04–21.04.2023 … 29.04–05.05.2023), a snapshot per sheet"
    assert "  sheet «22.04-28.04.2023»: imported 22.04–28.04.2023: 5 organisations" in lines
    assert "  sheet «Инструкция» skipped: no table of organisations" in lines

    held = weeks_held(cli)
    assert sorted((w["period"]["start"], w["rows"]) for w in held) == [
        ("2023-04-15", 5), ("2023-04-22", 5), ("2023-04-29", 5)]
    assert sorted((f["name"], f["sheet"]) for w in held for f in w["files"]) == [
        ("история.xlsx", "15.04-21.04.2023"), ("история.xlsx", "22.04-28.04.2023"), ("история.xlsx", "Лист3")]
    # each week holds its own sheet's figures
    code, out, err = cli("history", ORGS[0][1], "--format", "json")
    assert code == 0, err
    assert [w["users_total"] for w in json.loads(out)] == [1234, 1244, 1254]

    # the same workbook again: nothing changes
    code, out, _ = cli("import", book)
    assert code == 0 and "already imported (same file)" in out
    assert len(weeks_held(cli)) == 3


def test_ods_workbook_of_weeks_named_by_week_number(tmp_path, cli):
    # «неделя 16» carries no year: it is taken from the file name
    book = write_ods_book(tmp_path / "мониторинг 2023.ods", [
        ("неделя 16", simple_rows(title=None)),
        ("неделя 17", simple_rows(title=None, orgs=week_orgs(5))),
        ("Свод", [["Итоги по району"], ["всего школ", 5]]),
    ])
    code, out, err = cli("import", book)
    assert code == 0, err
    assert sorted((w["period"]["start"], w["period"]["end"]) for w in weeks_held(cli)) == [
        ("2023-04-17", "2023-04-23"), ("2023-04-24", "2023-04-30")]
    assert "  sheet «Свод» skipped: no table of organisations" in out.splitlines()


def test_a_summary_over_the_weeks_is_skipped_and_named(tmp_path, cli):
    book = write_xlsx_book(tmp_path / "история.xlsx", [
        ("Итоги", simple_rows(title="Сводка за период с 15.04.2023 по 28.04.2023", orgs=week_orgs(100))),
        ("15.04-21.04.2023", simple_rows(title=None)),
        ("22.04-28.04.2023", simple_rows(title=None, orgs=week_orgs(10))),
    ])
    code, out, err = cli("inspect", "--json", book)
    assert code == 0, err
    found = json.loads(out)
    assert [w["sheet"] for w in found["weeks"]] == ["15.04-21.04.2023", "22.04-28.04.2023"]
    assert found["skipped_sheets"] == [
        {"sheet": "Итоги", "reason": "a summary over several weeks (15.04–28.04.2023)"}]


def test_one_week_with_a_sheet_per_municipality_stays_one_week(tmp_path, cli):
    book = write_xlsx_book(tmp_path / "неделя.xlsx", [
        ("Сергокалинский", simple_rows(orgs=ORGS[:3])),
        ("Левашинский", simple_rows(orgs=ORGS[3:])),
    ])
    code, out, err = cli("import", book)
    assert code == 0, err
    assert out.strip() == "неделя.xlsx: imported 15.04–21.04.2023: 5 organisations"
    (week,) = weeks_held(cli)
    assert week["rows"] == 5


def test_two_sheets_of_the_same_week_are_refused(tmp_path, cli, home, store_dump):
    book = write_xlsx_book(tmp_path / "история.xlsx", [
        ("15.04-21.04.2023", simple_rows(title=None)),
        ("22.04-28.04.2023", simple_rows(title=None, orgs=week_orgs(10))),
        ("Копия", simple_rows(title="за период с 15.04.2023 по 21.04.2023")),
    ])
    before = store_dump(home)
    code, out, err = cli("import", book)
    assert code == 1 and out == ""
    (line,) = err.strip().splitlines()
    assert line.endswith("история.xlsx: sheets «15.04-21.04.2023» and «Копия» hold the same week "
                         "(15.04–21.04.2023); in a workbook of a sheet per week each sheet holds a week of its own")
    assert store_dump(home) == before
    code, _, err = cli("inspect", book)
    assert code == 1 and "«Копия»" in err


def test_a_week_held_from_another_file_refuses_the_workbook(tmp_path, cli, home, store_dump):
    other = write_xlsx_book(tmp_path / "мониторинг_22.04.2023-28.04.2023.xlsx",
                            [("ОО", simple_rows(title=None))])
    assert cli("import", other)[0] == 0
    book = history_book(tmp_path / "история.xlsx")
    before = store_dump(home)
    code, out, err = cli("import", book)
    assert code == 1
    (line,) = err.strip().splitlines()
    assert line.startswith("sferum-tui: история.xlsx, sheet “22.04-28.04.2023”: the week 22.04–28.04.2023 "
                           "is already held from “мониторинг_22.04.2023-28.04.2023.xlsx”")
    assert line.endswith("add --replace to replace it")
    assert store_dump(home) == before     # all or none: no other week came in

    code, out, err = cli("import", "--replace", book)
    assert code == 0, err
    assert "  sheet «22.04-28.04.2023»: replaced 22.04–28.04.2023" in out
    assert sorted(w["period"]["start"] for w in weeks_held(cli)) == ["2023-04-15", "2023-04-22", "2023-04-29"]


def test_import_add_refuses_a_workbook_of_weeks(tmp_path, cli, home, store_dump):
    book = history_book(tmp_path / "история.xlsx")
    before = store_dump(home)
    code, out, err = cli("import", "--add", book)
    assert code == 1
    assert "a workbook of a sheet per week (3 weeks — «15.04-21.04.2023», «22.04-28.04.2023», «Лист3»)" in err
    assert store_dump(home) == before


def test_a_week_sheet_is_read_again_from_the_kept_copy(tmp_path, cli, home):
    from sferum_tui.core.store.db import Store

    assert cli("import", history_book(tmp_path / "история.xlsx"))[0] == 0
    with Store(home) as store:
        snaps = sorted(store.snapshots(), key=lambda s: s.period_start)
        again = store.reread(snaps[1].id)
    assert again.sheet == "22.04-28.04.2023"
    assert again.rows[0]["users_total"] == ORGS[0][4] + 10
    assert not any("--period" in w for w in again.warnings)
