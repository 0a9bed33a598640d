"""The store's API on real files read by the real reader, in a real SQLite file under tmp_path."""

from __future__ import annotations

import gzip
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from sferum_tui.core.errors import InputFileError, StoreError
from sferum_tui.core.fields import ROW_FIELDS
from sferum_tui.core.ingest.reader import read_weekly
from sferum_tui.core.store import Store
from sferum_tui.core.store import db as store_mod
from sferum_tui.core.store import schema as store_schema

from filemaker import write_merged_xlsx
from store_support import HEAD, REG_HEAD, W1, W2, WEEK, registry_file, week_file  # noqa: F401


@pytest.fixture
def home(tmp_path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def store(home):
    with Store(home) as s:
        yield s


# -- import, snapshots, blobs ----------------------------------------------------------------

def test_import_creates_one_snapshot_with_counts_and_a_kept_copy(tmp_path, home, store):
    f = week_file(tmp_path / "w1.csv", W1)
    assert not home.exists()
    out = store.import_file(f)
    assert out.status == "imported"
    assert "15.04–21.04.2023" in out.message and "3 организации" in out.message
    snap = out.snapshot
    assert (snap.period_start, snap.period_end) == (W1, date(2023, 4, 21))
    assert snap.source_name == "w1.csv" and snap.rows == 3 and snap.skipped == 1
    assert snap.superseded_by is None and snap.imported_at.endswith("Z")
    # a CSV copy is kept gzip-compressed (xlsx/xls/ods are already compressed)
    assert snap.blob_path == home / "blobs" / snap.sha256[:2] / f"{snap.sha256}.csv.gz"
    import gzip
    assert gzip.decompress(snap.blob_path.read_bytes()) == f.read_bytes()
    assert store.reread(snap.id).rows[0]["org_name"]
    assert [s.id for s in store.snapshots()] == [snap.id]
    con = sqlite3.connect(home / "store.sqlite")
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert con.execute("PRAGMA user_version").fetchone()[0] == store_mod.SCHEMA_VERSION
    con.close()


def test_week_frame_holds_exactly_what_the_reader_read(tmp_path, store):
    f = week_file(tmp_path / "w1.csv", W1)
    snap = store.import_file(f).snapshot
    frame = store.week_frame(snap.id)
    assert list(frame.columns) == ["org_uid", "org_key", *ROW_FIELDS, "row"]
    res = read_weekly(f)
    assert len(frame) == len(res.rows)
    for rec, row in zip(frame.to_dict("records"), res.rows):
        for field in (*ROW_FIELDS, "row"):
            got = rec[field]
            got = None if got is None or (not isinstance(got, str) and pd.isna(got)) else got
            assert got == row.get(field), (field, got, row.get(field))
    assert frame["users_total"].dtype == "Int64" and frame["org_uid"].dtype == "int64"
    assert frame.loc[1, "org_key"].startswith("name:") and frame.loc[0, "org_key"] == "inn:0517000001"


def _copies(home: Path) -> int:
    con = sqlite3.connect(home / "store.sqlite")
    try:
        return con.execute("SELECT count(*) FROM snapshot_columns").fetchone()[0]
    finally:
        con.close()


def test_an_import_leaves_the_week_copy_to_its_first_reader(tmp_path, home, store):
    """An import keeps no column copy (making one loads pyarrow: 27 MB, the last step of the
    import's peak).  A reader that finds the store busy reads the facts; the first that can
    write makes the copy; both read the same week."""
    snap = store.import_file(week_file(tmp_path / "w1.csv", W1)).snapshot
    assert _copies(home) == 0
    with store.transaction(), Store(home) as busy:     # a writer holds the store
        from_facts = busy.week_frame(snap.id)
    assert _copies(home) == 0
    with Store(home) as first:
        from_copy = first.week_frame(snap.id)
    assert _copies(home) == 1
    pd.testing.assert_frame_equal(from_copy, from_facts)
    with Store(home) as later:
        pd.testing.assert_frame_equal(later.week_frame(snap.id), from_facts)


def test_a_store_of_schema_3_gets_its_week_copies_rebuilt(tmp_path, home):
    with Store(home) as s:
        s1 = s.import_file(week_file(tmp_path / "w1.csv", W1)).snapshot
        fresh = s.week_frame(s1.id)
    con = sqlite3.connect(home / "store.sqlite")
    con.execute("DELETE FROM snapshot_columns")
    con.execute("ALTER TABLE orgs DROP COLUMN key_version")
    con.execute("PRAGMA user_version = 3")
    con.commit()
    con.close()
    with Store(home) as s:
        pd.testing.assert_frame_equal(s.week_frame(s1.id), fresh)
    con = sqlite3.connect(home / "store.sqlite")
    assert con.execute("SELECT count(*) FROM snapshot_columns").fetchone()[0] == 1
    con.close()


def test_same_file_again_is_unchanged_and_writes_nothing(tmp_path, home, store, store_dump):
    f = week_file(tmp_path / "w1.csv", W1)
    first = store.import_file(f)
    before = store_dump(home)
    again = store.import_file(f)
    assert again.status == "unchanged" and again.snapshot.id == first.snapshot.id
    assert "уже импортирован (тот же файл)" in again.message
    # even under another name and with --replace: it is the same file
    copy = tmp_path / "copy.csv"
    copy.write_bytes(f.read_bytes())
    assert store.import_file(copy, replace=True).status == "unchanged"
    assert store_dump(home) == before


def test_different_file_for_a_held_period_is_refused_and_nothing_changes(tmp_path, home, store, store_dump):
    store.import_file(week_file(tmp_path / "w1.csv", W1))
    changed = [list(r) for r in WEEK]
    changed[0][4] = 311
    other = week_file(tmp_path / "w1-fixed.csv", W1, rows=changed)
    before = store_dump(home)
    with pytest.raises(StoreError) as err:
        store.import_file(other)
    msg = err.value.message
    assert "w1-fixed.csv" in msg and "15.04–21.04.2023" in msg and "w1.csv" in msg
    assert "снимок №1" in msg and "--replace" in msg and "\n" not in msg
    assert store_dump(home) == before


def test_replace_keeps_the_old_snapshot_as_superseded(tmp_path, store):
    old = store.import_file(week_file(tmp_path / "w1.csv", W1)).snapshot
    rows = [list(r) for r in WEEK[:2]]       # the gymnasium is gone from the corrected file
    rows[0][4] = 400
    out = store.import_file(week_file(tmp_path / "w1-fixed.csv", W1, rows=rows), replace=True)
    assert out.status == "replaced" and out.superseded == (old.id,)
    assert "№1" in out.message
    new = out.snapshot
    assert [s.id for s in store.snapshots()] == [new.id]
    every = store.snapshots(include_superseded=True)
    assert [(s.id, s.superseded_by) for s in every] == [(old.id, new.id), (new.id, None)]
    assert old.blob_path.exists() and new.blob_path.exists()
    assert list(store.week_frame(old.id)["users_total"])[0] == 310   # still readable
    assert list(store.week_frame(new.id)["users_total"])[0] == 400
    orgs = store.orgs().set_index("org_key")
    gym = orgs.loc["inn:0571000001"]
    assert gym["first_seen"] is None and gym["last_seen"] is None  # only in the superseded week
    assert store.history(int(gym["org_uid"])).empty
    assert orgs.loc["inn:0517000001", "first_seen"] == W1


def test_missing_period_names_the_file_and_asks_for_period(tmp_path, store, home):
    f = week_file(tmp_path / "noperiod.csv", W1, title=False)
    with pytest.raises(InputFileError) as err:
        store.import_file(f)
    assert "noperiod.csv" in err.value.message and "--period" in err.value.message
    assert not (home / "store.sqlite").exists()
    snap = store.import_file(f, period="2023-04-15").snapshot
    assert (snap.period_start, snap.period_end) == (W1, date(2023, 4, 21))
    # re-reading the kept copy (its name is the hash) still finds the period given at import
    assert store.reread(snap.id).period.start == W1


def test_reread_gives_back_the_file_as_read_at_import(tmp_path, store):
    f = write_merged_xlsx(tmp_path / "week.xlsx")
    snap = store.import_file(f).snapshot
    assert snap.blob_path.suffix == ".xlsx" and snap.sheet
    again = store.reread(snap.id)
    first = read_weekly(f)
    assert again.rows == first.rows and again.period == first.period
    assert snap.rows == len(first.rows) and snap.skipped == len(first.skipped)


def test_stale_temp_files_in_blobs_do_not_disturb_an_import(tmp_path, home, store):
    f = week_file(tmp_path / "w1.csv", W1)
    import hashlib

    sha = hashlib.sha256(f.read_bytes()).hexdigest()
    folder = home / "blobs" / sha[:2]
    folder.mkdir(parents=True)
    (folder / ".tmp-killed.part").write_bytes(f.read_bytes()[:10])   # left by a killed import
    (folder / f"{sha}.csv.gz").write_bytes(b"half")                    # a torn copy, wrong size
    snap = store.import_file(f).snapshot
    assert gzip.decompress(snap.blob_path.read_bytes()) == f.read_bytes()


# -- identity ----------------------------------------------------------------------------------

def test_renamed_spellings_and_a_late_inn_keep_one_history(tmp_path, store):
    w1 = [("Кизлярский район", "", "МБОУ \"СОШ № 1\"", "Активна", 100, 5, 10, 1),
          ("Кизлярский район", "", "МКОУ «Ахтынская СОШ №2»", "Не активна", 2, 0, 5, 0),
          ("Бабаюртовский район", "", "МБОУ \"СОШ № 1\"", "Активна", 50, 4, 8, 0)]
    w2 = [("МР «Кизлярский»", "",
           "Муниципальное бюджетное общеобразовательное учреждение «Средняя общеобразовательная школа №1»",
           "Активна", 120, 5, 10, 2),
          ("Кизлярский р-н", "0517000002", "МКОУ Ахтынская СОШ N2", "Активна", 20, 3, 5, 1),
          ("Бабаюртовский муниципальный район", "", "мбоу сош 1", "Активна", 55, 4, 8, 1)]
    s1 = store.import_file(week_file(tmp_path / "w1.csv", W1, rows=w1)).snapshot
    s2 = store.import_file(week_file(tmp_path / "w2.csv", W2, rows=w2)).snapshot
    f1, f2 = store.week_frame(s1.id), store.week_frame(s2.id)
    assert list(f1["org_uid"]) == list(f2["org_uid"])          # same three organisations
    assert f1["org_uid"].nunique() == 3
    assert len(store.orgs()) == 3
    akhty = int(f1.loc[1, "org_uid"])
    hist = store.history(akhty)
    assert list(hist["period_start"]) == [W1, W2]
    assert list(hist["org_name"]) == ["МКОУ «Ахтынская СОШ №2»", "МКОУ Ахтынская СОШ N2"]
    assert list(hist["org_id"]) == ["0517000002", "0517000002"]  # the ИНН, once known
    assert list(hist["users_total"]) == [2, 20]
    # the week read before the ИНН was known shows it now too
    again = store.week_frame(s1.id).set_index("org_uid").loc[akhty]
    assert (again["org_id"], again["org_key"]) == ("0517000002", "inn:0517000002")
    assert store.week_frame(s1.id).loc[0, "org_id"] is None
    org = store.orgs().set_index("org_uid").loc[akhty]
    assert org["org_key"] == "inn:0517000002" and org["org_name"] == "МКОУ Ахтынская СОШ N2"
    assert (org["first_seen"], org["last_seen"]) == (W1, date(2023, 4, 28))


def test_regions_keep_same_named_schools_of_same_named_districts_apart(tmp_path, store):
    head = ["Субъект РФ", *HEAD]
    dag = ("Республика Дагестан", "Кировский район", "", "МБОУ СОШ №1", "Активна", 10, 1, 3, 0)
    kir = ("Кировская область", "Кировский район", "", "МБОУ СОШ №1", "Активна", 20, 2, 4, 1)
    s1 = store.import_file(week_file(tmp_path / "a.csv", W1, rows=[dag], head=head, total=False)).snapshot
    s2 = store.import_file(week_file(tmp_path / "b.csv", W2, rows=[kir], head=head, total=False)).snapshot
    u1, u2 = int(store.week_frame(s1.id)["org_uid"][0]), int(store.week_frame(s2.id)["org_uid"][0])
    assert u1 != u2
    # the region spelled shorter next time: still the Dagestan school
    s3 = store.import_file(week_file(tmp_path / "c.csv", W2 + timedelta(days=7),
                                     rows=[("Дагестан", *dag[1:])], head=head, total=False)).snapshot
    assert int(store.week_frame(s3.id)["org_uid"][0]) == u1
    assert list(store.history(u1)["region"]) == ["Республика Дагестан", "Дагестан"]


def test_find_orgs_by_inn_prefix_and_name_fragment(tmp_path, store):
    rows = [*WEEK, ("Кизлярский район", "0517000003", "МКОУ «Ёлочка»", "Активна", 5, 1, 1, 0)]
    store.import_file(week_file(tmp_path / "w1.csv", W1, rows=rows))
    assert list(store.find_orgs("0571")["org_id"]) == ["0571000001"]
    assert list(store.find_orgs("ГИМНАЗИЯ")["org_id"]) == ["0571000001"]
    assert list(store.find_orgs("елочк")["org_name"]) == ["МКОУ «Ёлочка»"]
    assert store.find_orgs("нет такой").empty and store.find_orgs("").empty


# -- registry ----------------------------------------------------------------------------------

def test_registry_and_missing_organisations_per_week(tmp_path, store):
    s1 = store.import_file(week_file(tmp_path / "w1.csv", W1)).snapshot
    reg = registry_file(tmp_path / "reg.csv", [
        ("0517000001", "МКОУ Александрийская СОШ", "Кизлярский район", 45, "школа"),
        ("", "МКОУ Ахтынская средняя общеобразовательная школа № 2", "Кизлярский муниципальный район", 12, "школа"),
        ("0517000009", "МКОУ «Новая ООШ»", "Кизлярский район", 9, "школа"),   # never in a week
    ])
    out = store.import_registry(reg)
    assert out.status == "imported" and out.registry.rows == 3
    frame = store.registry_frame()
    assert list(frame["staff_total"]) == [45, 12, 9] and list(frame["kind"]) == ["школа"] * 3
    week_uids = set(store.week_frame(s1.id)["org_uid"])
    assert set(frame["org_uid"][:2]) <= week_uids               # matched by ИНН and by name
    missing = store.missing(s1.id)
    assert list(missing["org_id"]) == ["0517000009"]
    assert store.missing_counts() == {s1.id: 1}
    # a week without the Akhty school: two missing; the counts follow new weeks
    s2 = store.import_file(week_file(tmp_path / "w2.csv", W2, rows=[WEEK[0], WEEK[2]])).snapshot
    assert store.missing_counts() == {s1.id: 1, s2.id: 2}
    assert store.orgs().set_index("org_key").loc["inn:0517000009", "in_registry"]
    # the same registry file again changes nothing; a new one replaces it as a whole
    assert store.import_registry(reg).status == "unchanged"
    reg2 = registry_file(tmp_path / "reg2.csv", [("0517000001", "МКОУ Александрийская СОШ", "Кизлярский район", 46, "школа")])
    out2 = store.import_registry(reg2)
    assert out2.status == "replaced" and len(store.registry_frame()) == 1
    assert store.missing(s2.id).empty and store.missing_counts() == {s1.id: 0, s2.id: 0}
    assert [r.replaced_by for r in store.registries()] == [out2.registry.id, None]


def test_week_after_registry_matches_registry_organisations(tmp_path, store):
    store.import_registry(registry_file(tmp_path / "reg.csv", [
        ("0517000001", "МКОУ Александрийская СОШ", "Кизлярский район", 45, "школа")]))
    snap = store.import_file(week_file(tmp_path / "w1.csv", W1)).snapshot
    assert store.missing(snap.id).empty
    assert len(store.orgs()) == 3


# -- schema, empty stores ----------------------------------------------------------------------

def test_reading_an_absent_store_creates_nothing(home):
    s = Store(home)
    assert s.snapshots() == [] and s.orgs().empty and s.registry() is None
    assert s.find_orgs("школа").empty and s.missing_counts() == {}
    assert not home.exists()


def test_an_old_schema_is_migrated_and_a_newer_one_refused(tmp_path, home):
    home.mkdir()
    con = sqlite3.connect(home / "store.sqlite")
    for stmt in store_schema.split_sql(store_schema.MIGRATIONS[1]):
        con.execute(stmt)
    con.execute("PRAGMA user_version = 1")
    con.commit()
    con.close()
    with Store(home) as s:
        s.import_file(week_file(tmp_path / "w1.csv", W1))
        assert len(s.snapshots()) == 1
    con = sqlite3.connect(home / "store.sqlite")
    assert con.execute("PRAGMA user_version").fetchone()[0] == store_mod.SCHEMA_VERSION
    con.execute(f"PRAGMA user_version = {store_mod.SCHEMA_VERSION + 1}")
    con.commit()
    con.close()
    with pytest.raises(StoreError, match="более новой версией"):
        Store(home).snapshots()


def test_unknown_snapshot_is_a_user_error(store, tmp_path):
    store.import_file(week_file(tmp_path / "w1.csv", W1))
    with pytest.raises(StoreError, match="нет снимка №99"):
        store.week_frame(99)



def test_the_copy_of_a_file_that_changed_after_it_was_read_is_refused(tmp_path, home):
    """The copy of an imported file is streamed from disk (its bytes are not held beside the
    rows): a file that differs from the bytes read by then leaves no copy behind."""
    import hashlib

    from sferum_tui.core.store import blobs

    f = week_file(tmp_path / "w1.csv", W1)
    data = f.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    rel = blobs.blob_rel(sha, f, data)
    assert blobs.write_blob(home, blobs.FileSource(f, len(data), sha), rel)
    assert blobs.read_blob(home / rel) == data
    assert not blobs.write_blob(home, blobs.FileSource(f, len(data), sha), rel)  # held already
    (home / rel).unlink()
    f.write_bytes(data + b"\r\n")
    with pytest.raises(blobs.Changed):
        blobs.write_blob(home, blobs.FileSource(f, len(data), sha), rel)
    assert not any(p.is_file() for p in (home / "blobs").rglob("*"))
