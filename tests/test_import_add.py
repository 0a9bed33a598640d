"""``import --add``: a week from several files (one per municipality), through the real CLI.

The files are real CSV / xlsx files written at test time; every run is ``sferum_tui.cli.main``.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from sferum_tui.cli import main  # noqa: E402

from filemaker import ORGS, TITLE, simple_rows, write_csv  # noqa: E402

SERGO = [o for o in ORGS if o[0] == "Сергокалинский район"]      # 3 schools
LEVASHI = [o for o in ORGS if o[0] == "Левашинский район"]        # 2 schools
NEXT_TITLE = TITLE.replace("15.04.2023", "22.04.2023").replace("21.04.2023", "28.04.2023")


def with_users(org: tuple, users: int) -> tuple:
    return org[:4] + (users,) + org[5:]


def xlsx_file(path: Path, orgs, title=TITLE, sheet="Левашинский") -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    for row in simple_rows(title=title, orgs=orgs):
        ws.append(row)
    wb.save(path)
    return path


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


def weeks_json(cli, *extra) -> list[dict]:
    code, out, _ = cli("weeks", "--json", *extra)
    assert code == 0
    return json.loads(out)


def schools(cli) -> dict[str, dict]:
    code, out, err = cli("schools", "--format", "json")
    assert code == 0, err
    return {r["org_id"]: r for r in json.loads(out)}


def test_add_merges_two_municipality_files_into_one_week(tmp_path, cli):
    a = write_csv(tmp_path / "sergokala.csv", simple_rows(orgs=SERGO))
    b = xlsx_file(tmp_path / "levashi.xlsx", LEVASHI)
    code, out, err = cli("import", "--add", a, b)
    assert code == 0, err
    assert "sergokala.csv, levashi.xlsx: imported 15.04–21.04.2023 from 2 files" in out

    (week,) = weeks_json(cli, "--all")
    assert week["rows"] == 5 and week["superseded_by"] is None
    assert [(f["name"], f["rows"], f["sheet"]) for f in week["files"]] == [
        ("sergokala.csv", 3, None), ("levashi.xlsx", 2, "Левашинский")]
    assert all(Path(f["blob"]).is_file() for f in week["files"])     # each file kept as it was
    assert week["source"] == "sergokala.csv"                         # the first file's name

    got = schools(cli)
    assert set(got) == {o[1] for o in ORGS}
    assert got["0521004322"]["municipality"] == "Левашинский район"
    assert got["0521004322"]["users_total"] == 512

    code, out, _ = cli("weeks")
    assert "2 files" in out and "└ sergokala.csv" in out and "└ levashi.xlsx" in out

    # the same file again is already there; a third municipality's file joins the week
    code, out, _ = cli("import", "--add", b)
    assert code == 0 and "already imported (same file)" in out


def test_a_file_added_later_joins_the_week_held(tmp_path, cli):
    a = write_csv(tmp_path / "sergokala.csv", simple_rows(orgs=SERGO))
    b = write_csv(tmp_path / "levashi.csv", simple_rows(orgs=LEVASHI))
    assert cli("import", a)[0] == 0
    code, out, err = cli("import", "--add", b)
    assert code == 0, err
    assert "added to 15.04–21.04.2023" in out and "the previous #1 is kept as superseded" in out
    current, = weeks_json(cli)
    assert [f["name"] for f in current["files"]] == ["sergokala.csv", "levashi.csv"]
    assert len(weeks_json(cli, "--all")) == 2            # the one-file week is kept, superseded
    assert set(schools(cli)) == {o[1] for o in ORGS}


def test_an_organisation_in_two_files_is_refused_naming_both_rows(tmp_path, cli, home, store_dump):
    a = write_csv(tmp_path / "sergokala.csv", simple_rows(orgs=SERGO))
    assert cli("import", a)[0] == 0
    before = store_dump(home)
    # the Levashi file lists a Sergokala school as well (its 3rd data row, file row 5)
    b = xlsx_file(tmp_path / "levashi.xlsx", LEVASHI + [with_users(SERGO[1], 77)])
    code, out, err = cli("import", "--add", b)
    assert code == 1 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1
    line = lines[0]
    assert "0527001235" in line
    assert "“sergokala.csv”, row 4" in line
    assert "“levashi.xlsx”, sheet “Левашинский”, row 5" in line
    assert "--replace-rows" in line
    assert store_dump(home) == before

    # two new files that overlap each other: refused the same way, nothing stored
    c = write_csv(tmp_path / "c.csv", simple_rows(orgs=LEVASHI))
    d = write_csv(tmp_path / "d.csv", simple_rows(orgs=LEVASHI[:1]))
    code, _, err = cli("import", "--add", c, d, lang="ru")
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert "«c.csv», строка 3" in err and "«d.csv», строка 3" in err and "с ИНН 0521004321" in err
    assert store_dump(home) == before


def test_replace_rows_lets_the_later_file_win_and_says_so(tmp_path, cli):
    a = write_csv(tmp_path / "sergokala.csv", simple_rows(orgs=SERGO))
    b = write_csv(tmp_path / "levashi.csv", simple_rows(orgs=LEVASHI + [with_users(SERGO[1], 77)]))
    code, out, err = cli("import", "--add", "--replace-rows", a, b)
    assert code == 0, err
    assert "rows replaced: 1" in out
    (week,) = weeks_json(cli)
    assert week["rows"] == 5
    assert [(f["name"], f["rows"]) for f in week["files"]] == [("sergokala.csv", 2), ("levashi.csv", 3)]
    assert any("0527001235" in w and "“sergokala.csv”, row 4" in w and "“levashi.csv”, row 5" in w
               for w in week["warnings"])
    assert schools(cli)["0527001235"]["users_total"] == 77


def test_replace_add_replaces_one_municipality_only(tmp_path, cli):
    a = write_csv(tmp_path / "sergokala.csv", simple_rows(orgs=SERGO))
    b = write_csv(tmp_path / "levashi.csv", simple_rows(orgs=LEVASHI))
    assert cli("import", "--add", a, b)[0] == 0
    assert schools(cli)["0527001236"]["users_total"] == 310
    # the corrected Sergokala file: new numbers for one school, another school gone
    fixed = write_csv(tmp_path / "sergokala-fixed.csv",
                      simple_rows(orgs=[SERGO[0], with_users(SERGO[2], 999)]))
    code, out, err = cli("import", "--replace", "--add", fixed)
    assert code == 0, err
    assert "the rows of the file's municipalities were replaced (3 earlier rows)" in out
    got = schools(cli)
    assert set(got) == {SERGO[0][1], SERGO[2][1], *(o[1] for o in LEVASHI)}
    assert got["0527001236"]["users_total"] == 999            # the corrected number
    assert got["0521004322"]["users_total"] == 512            # the other municipality's rows kept
    current, = weeks_json(cli)
    assert [(f["name"], f["rows"]) for f in current["files"]] == [("levashi.csv", 2),
                                                                  ("sergokala-fixed.csv", 2)]
    everything = weeks_json(cli, "--all")                      # nothing imported is lost
    old = next(w for w in everything if w["id"] != current["id"])
    assert old["superseded_by"] == current["id"] and old["rows"] == 5


def test_the_merged_week_has_its_own_column_copy_and_indicator_codes(tmp_path, cli, home):
    a = write_csv(tmp_path / "sergokala.csv", simple_rows(orgs=SERGO))
    assert cli("import", a)[0] == 0
    b = write_csv(tmp_path / "levashi.csv", simple_rows(orgs=LEVASHI))
    assert cli("import", "--add", b)[0] == 0
    current, = weeks_json(cli)
    con = sqlite3.connect(home / "store.sqlite")
    try:        # a week's codes are left to the first reader (issue 10: the import's memory)
        assert con.execute("SELECT count(*) FROM ind_week_flags").fetchone() == (0,)
    finally:
        con.close()
    code, out, _ = cli("summary", "--format", "json")     # the first reader caches the codes
    assert code == 0 and current["period"]["start"] in out
    con = sqlite3.connect(home / "store.sqlite")
    try:
        copies = dict(con.execute("SELECT snapshot_id, length(data) FROM snapshot_columns"))
        cached = {sid for (sid,) in con.execute("SELECT DISTINCT snapshot_id FROM ind_week_flags")}
    finally:
        con.close()
    assert current["id"] in copies and cached == {current["id"]}   # the superseded week's pruned
    assert len(schools(cli)) == 5


def test_files_of_different_weeks_are_refused_in_one_line(tmp_path, cli, home, store_dump):
    a = write_csv(tmp_path / "a.csv", simple_rows(orgs=SERGO))
    b = write_csv(tmp_path / "b.csv", simple_rows(title=NEXT_TITLE, orgs=LEVASHI))
    code, out, err = cli("import", "--add", a, b)
    assert code == 1 and out == ""
    assert len(err.strip().splitlines()) == 1
    assert "different weeks" in err and "a.csv — 15.04–21.04.2023" in err \
        and "b.csv — 22.04–28.04.2023" in err
    assert store_dump(home)["exists"] is False or not store_dump(home)["tables"].get("snapshots")
    code, _, err = cli("import", "--replace-rows", a)
    assert code == 1 and "--replace-rows" in err and len(err.strip().splitlines()) == 1


def test_a_store_of_schema_5_lists_each_weeks_one_file(tmp_path, cli, home):
    a = write_csv(tmp_path / "sergokala.csv", simple_rows(orgs=SERGO))
    assert cli("import", a)[0] == 0
    con = sqlite3.connect(home / "store.sqlite")
    con.execute("DROP TABLE snapshot_files")
    con.execute("DROP TABLE fact_files")
    con.execute("PRAGMA user_version = 5")
    con.commit()
    con.close()
    (week,) = weeks_json(cli)
    assert [(f["name"], f["rows"]) for f in week["files"]] == [("sergokala.csv", 3)]
    # and a file added to that week now merges into it
    b = write_csv(tmp_path / "levashi.csv", simple_rows(orgs=LEVASHI))
    assert cli("import", "--add", b)[0] == 0
    (week,) = weeks_json(cli)
    assert [f["name"] for f in week["files"]] == ["sergokala.csv", "levashi.csv"]
