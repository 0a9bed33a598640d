"""``store.sqlite`` that is not a store (empty, garbage, another program's database) is refused
with one line naming it and left exactly as it was; schema 5 migrates an existing store."""

from __future__ import annotations

import sqlite3

import pytest

from sferum_tui.cli import main
from sferum_tui.core.store import SCHEMA_VERSION, Store
from sferum_tui.core.store import schema as store_schema

from store_support import W1, registry_file, week_file


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _foreign_db(path) -> bytes:
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE contacts (name TEXT)")
    con.execute("INSERT INTO contacts VALUES ('x')")
    con.commit()
    con.close()
    return path.read_bytes()


CASES = {
    "empty": lambda p: b"",
    "garbage": lambda p: b"PK\x03\x04 this is a spreadsheet, not a database" * 50,
    "text": lambda p: "не база данных\n".encode() * 10,
    "foreign-sqlite": None,
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("argv", [["weeks"], ["summary"], ["import", "{w1}"],
                                  ["registry", "import", "{reg}"], ["shortlist", "list"], []],
                         ids=["weeks", "summary", "import", "registry-import", "shortlist-list",
                              "console"])
def test_a_store_file_that_is_not_a_store_is_refused_and_kept(tmp_path, capsys, case, argv):
    home = tmp_path / "home"
    home.mkdir()
    db = home / "store.sqlite"
    if CASES[case] is None:
        content = _foreign_db(db)
    else:
        content = CASES[case](db)
        db.write_bytes(content)
    w1 = week_file(tmp_path / "w1.csv", W1)
    reg = registry_file(tmp_path / "reg.csv", [("0517000001", "Школа", "Район", 1, "школа")])
    args = [a.format(w1=w1, reg=reg) for a in argv]
    code, out, err = run(capsys, "--home", home, *args)
    assert code == 1, (out, err)
    assert err.count("\n") == 1 and str(db) in err and "Traceback" not in err
    assert ("0 байт" in err) if case == "empty" else ("не" in err)
    assert db.read_bytes() == content                      # never replaced, never touched
    assert sorted(p.name for p in home.iterdir()) == ["store.sqlite"]


def test_the_refusal_in_english(tmp_path, capsys):
    home = tmp_path / "home"
    home.mkdir()
    (home / "store.sqlite").write_bytes(b"")
    code, _, err = run(capsys, "--home", home, "--lang", "en", "weeks")
    assert code == 1 and "the store file is empty (0 bytes)" in err and err.count("\n") == 1


def test_a_truncated_store_is_refused_not_replaced(tmp_path, capsys):
    home = tmp_path / "home"
    with Store(home) as s:
        s.import_file(week_file(tmp_path / "w1.csv", W1))
    db = home / "store.sqlite"
    content = db.read_bytes()[:100]        # the header survives, the pages do not
    db.write_bytes(content)
    code, _, err = run(capsys, "--home", home, "weeks")
    assert code == 1 and err.count("\n") == 1 and str(db) in err
    assert db.read_bytes() == content


def test_a_new_store_is_never_seen_half_made(tmp_path):
    """The first write builds the file under a temporary name and links it into place."""
    home = tmp_path / "home"
    with Store(home) as s:
        s.import_file(week_file(tmp_path / "w1.csv", W1))
    assert sorted(p.name for p in home.iterdir() if not p.name.startswith("store.sqlite-")) == [
        "blobs", "store.sqlite"]


def test_schema_5_takes_over_the_tables_other_modules_made_themselves(tmp_path):
    """A store of schema 4 whose shortlists and flag cache were made by those modules (the flag
    cache in an older layout) is migrated: the lists stay, the stale cache is made again."""
    home = tmp_path / "home"
    home.mkdir()
    con = sqlite3.connect(home / "store.sqlite")
    for version in range(1, 5):
        step = store_schema.MIGRATIONS[version]
        if callable(step):
            step(con)
        else:
            for stmt in store_schema.split_sql(step):
                con.execute(stmt)
    con.execute("PRAGMA user_version = 4")
    con.execute("CREATE TABLE shortlists (id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                "name_key TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)")
    con.execute("INSERT INTO shortlists VALUES (1, 'Рассылка', 'рассылка', 't', 't')")
    con.execute("CREATE TABLE ind_week_flags (config_key TEXT, snapshot_id INTEGER, codes BLOB)")
    con.execute("INSERT INTO ind_week_flags VALUES ('k', 1, x'00')")
    con.commit()
    con.close()
    from sferum_tui.core.store.shortlists import Shortlists

    with Store(home) as s:
        assert Shortlists(s).names() == ["Рассылка"]
        s.import_file(week_file(tmp_path / "w1.csv", W1))
        cols = [r[1] for r in s.query("PRAGMA table_info(ind_week_flags)")]
        assert cols == store_schema.FLAG_CACHE_COLUMNS
        assert s.query("SELECT count(*) FROM ind_week_flags WHERE config_key = 'k'") == [(0,)]
        assert s.query("SELECT count(*) FROM shortlist_members") == [(0,)]
        assert s.query("PRAGMA user_version") == [(SCHEMA_VERSION,)]


def test_no_module_but_the_schema_issues_ddl():
    """One owner of the schema: the shortlists and the indicator cache create no table."""
    from pathlib import Path

    import sferum_tui

    root = Path(sferum_tui.__file__).parent
    offenders = [str(p.relative_to(root)) for p in root.rglob("*.py")
                 if p.name != "schema.py" and "CREATE TABLE" in p.read_text(encoding="utf-8")
                 .replace("CREATE TEMP TABLE", "")]
    assert offenders == []
