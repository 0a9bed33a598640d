"""The one owner of every table in ``store.sqlite``: DDL, migrations and the schema version.

The version lives in ``PRAGMA user_version``. Opening a store for writing runs the missing steps of
:data:`MIGRATIONS` in one ``BEGIN IMMEDIATE`` transaction (a second process waits and then finds
nothing left to do). A store made by a newer sferum-tui is refused, never downgraded. A read-only
store cannot be migrated: it is read as it is when its version is at least :data:`READABLE_FROM`.

Other core modules keep their own tables in the same file (shortlists, the indicators' flag
cache); they are declared here too, so nothing else issues DDL against the store.

The file itself is checked before SQLite opens it (:func:`check_file`): SQLite would treat an empty
file as a new database, and the store would silently start over.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sferum_tui.core.errors import StoreError
from sferum_tui.i18n import tr

#: The first 16 bytes of every SQLite 3 database file.
SQLITE_HEADER = b"SQLite format 3\x00"

_SCHEMA_V1 = """
CREATE TABLE regions        (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE municipalities (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE org_names      (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);

-- one row per organisation ever seen (in a week or in the registry)
CREATE TABLE orgs (
    uid             INTEGER PRIMARY KEY,
    key             TEXT NOT NULL UNIQUE,     -- 'inn:<ИНН>' or 'name:[region|]municipality|name'
    inn             TEXT UNIQUE,              -- ИНН as text (leading zeros kept)
    name_id         INTEGER,                  -- latest spelling (→ org_names)
    municipality_id INTEGER,                  -- → municipalities
    region_id       INTEGER,                  -- → regions
    first_seen      TEXT,                     -- period_start of its first current snapshot
    last_seen       TEXT,                     -- period_end of its last current snapshot
    created_at      TEXT NOT NULL
);

-- normalised name keys → organisation, so other spellings of a school find it again
CREATE TABLE org_keys (
    key     TEXT PRIMARY KEY,                 -- 'm:muni|name' or 'r:region|muni|name'
    org_uid INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX org_keys_org ON org_keys(org_uid);

CREATE TABLE snapshots (
    id            INTEGER PRIMARY KEY,
    period_start  TEXT NOT NULL,              -- ISO dates
    period_end    TEXT NOT NULL,
    source_name   TEXT NOT NULL,
    sha256        TEXT NOT NULL,
    blob          TEXT NOT NULL,              -- path of the kept copy, relative to home
    imported_at   TEXT NOT NULL,              -- UTC ISO
    rows          INTEGER NOT NULL,
    skipped       INTEGER NOT NULL,
    skipped_json  TEXT NOT NULL,
    warnings_json TEXT NOT NULL,
    columns_json  TEXT NOT NULL,
    sheet         TEXT,
    period_hint   TEXT,                       -- --period given at import, for re-reading
    aliases_json  TEXT,                       -- extra header aliases used, for re-reading
    superseded_by INTEGER REFERENCES snapshots(id)
);
CREATE UNIQUE INDEX snapshots_current_start ON snapshots(period_start) WHERE superseded_by IS NULL;
CREATE INDEX snapshots_sha ON snapshots(sha256);

CREATE TABLE facts (
    snapshot_id     INTEGER NOT NULL,
    org_uid         INTEGER NOT NULL,
    row             INTEGER NOT NULL,         -- 1-based spreadsheet row
    name_id         INTEGER,                  -- name as written that week
    municipality_id INTEGER,
    region_id       INTEGER,
    status          INTEGER,                  -- 1 active, 0 inactive, NULL not stated
    users_total     INTEGER,
    staff_total     INTEGER,
    teachers        INTEGER,
    students        INTEGER,
    parents         INTEGER,
    classes         INTEGER,
    chats           INTEGER,
    teachers_active INTEGER,
    teachers_active_share REAL,
    PRIMARY KEY (snapshot_id, org_uid)
) WITHOUT ROWID;
CREATE INDEX facts_org ON facts(org_uid, snapshot_id);

CREATE TABLE registries (
    id            INTEGER PRIMARY KEY,
    source_name   TEXT NOT NULL,
    sha256        TEXT NOT NULL,
    blob          TEXT NOT NULL,
    imported_at   TEXT NOT NULL,
    rows          INTEGER NOT NULL,
    skipped       INTEGER NOT NULL,
    skipped_json  TEXT NOT NULL,
    warnings_json TEXT NOT NULL,
    columns_json  TEXT NOT NULL,
    sheet         TEXT,
    aliases_json  TEXT,
    replaced_by   INTEGER REFERENCES registries(id)   -- NULL: the current registry
);

CREATE TABLE registry_rows (
    registry_id     INTEGER NOT NULL,
    org_uid         INTEGER NOT NULL,
    row             INTEGER NOT NULL,
    name_id         INTEGER,
    municipality_id INTEGER,
    region_id       INTEGER,
    staff_total     INTEGER,
    kind            TEXT,
    PRIMARY KEY (registry_id, org_uid)
) WITHOUT ROWID;

-- registry organisations absent from a snapshot, counted when either side is imported
CREATE TABLE missing_counts (
    registry_id INTEGER NOT NULL,
    snapshot_id INTEGER NOT NULL,
    missing     INTEGER NOT NULL,
    PRIMARY KEY (registry_id, snapshot_id)
) WITHOUT ROWID;
"""

# Whole weeks are read far more often than they are written: each snapshot also keeps its facts
# as one compressed Arrow IPC stream, so a 40,000-row week loads without 700,000 Python objects.
_SCHEMA_V2 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE snapshot_columns (
    snapshot_id INTEGER PRIMARY KEY,
    data        BLOB NOT NULL                 -- Arrow IPC stream (zstd) of the snapshot's facts
);
"""

# An index on facts(org_uid, …) gets one new entry per organisation per week scattered over the
# whole index, so every import rewrote all of it (imports slowed down week after week). A history
# is read instead by probing the primary key (snapshot_id, org_uid) once per snapshot, and name
# search goes through this small table of every spelling seen per organisation.
_SCHEMA_V3 = """
DROP INDEX IF EXISTS facts_org;
CREATE TABLE org_spellings (
    name_id INTEGER NOT NULL,
    org_uid INTEGER NOT NULL,
    PRIMARY KEY (name_id, org_uid)
) WITHOUT ROWID;
INSERT OR IGNORE INTO org_spellings SELECT DISTINCT name_id, org_uid FROM facts WHERE name_id IS NOT NULL;
INSERT OR IGNORE INTO org_spellings SELECT DISTINCT name_id, org_uid FROM registry_rows WHERE name_id IS NOT NULL;
INSERT OR IGNORE INTO org_spellings SELECT name_id, uid FROM orgs WHERE name_id IS NOT NULL;
"""

# The column copy now carries the texts of the week too (names as written, municipality, region,
# key and ИНН as of the import), so reading a week needs no lookup of 40,000 names; orgs that get
# an ИНН later are patched in through orgs.key_version.
def _migrate_v4(con: sqlite3.Connection) -> None:
    from sferum_tui.core.store.columns import rebuild_columns

    con.execute("ALTER TABLE orgs ADD COLUMN key_version INTEGER NOT NULL DEFAULT 0")
    con.execute("DELETE FROM snapshot_columns")
    for (sid,) in con.execute("SELECT id FROM snapshots").fetchall():
        rebuild_columns(con, sid)


# The tables other core modules keep in the same file, declared here so that one module owns the
# whole schema (before v5 they made them themselves with CREATE TABLE IF NOT EXISTS, so a store
# may hold them already):
# - shortlists / shortlist_members: named lists of organisations (core/store/shortlists.py);
# - ind_week_flags: the indicators' streak flag cache (core/indicators/cache.py). It is only a
#   cache: a table of another layout is dropped and made again.
_SCHEMA_V5 = """
CREATE TABLE IF NOT EXISTS shortlists (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,            -- as the user wrote it
    name_key    TEXT NOT NULL UNIQUE,     -- casefolded, ё = е, spaces collapsed
    created_at  TEXT NOT NULL,            -- UTC ISO
    updated_at  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS shortlist_members (
    list_id      INTEGER NOT NULL,        -- → shortlists(id)
    org_uid      INTEGER NOT NULL,        -- → orgs(uid)
    seq          INTEGER NOT NULL,        -- order of adding inside the list
    added_at     TEXT NOT NULL,           -- UTC ISO
    note         TEXT,
    inn          TEXT,                    -- kept as they were when added, so the list reads
    org_name     TEXT,                    -- even if the organisation changes or disappears
    municipality TEXT,
    region       TEXT,
    PRIMARY KEY (list_id, org_uid)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ind_week_flags (
    config_key  TEXT NOT NULL,            -- hash of what the codes depend on (see cache.py)
    snapshot_id INTEGER NOT NULL,
    n_uid       INTEGER NOT NULL,
    n_ind       INTEGER NOT NULL,
    codes       BLOB NOT NULL,            -- packed codes, one word per organisation uid
    created_at  TEXT NOT NULL,
    PRIMARY KEY (config_key, snapshot_id)
);
"""

#: Columns of ``ind_week_flags`` in order (a cache of another layout is dropped by v5).
FLAG_CACHE_COLUMNS = ["config_key", "snapshot_id", "n_uid", "n_ind", "codes", "created_at"]


def _migrate_v5(con: sqlite3.Connection) -> None:
    have = columns_of(con, "ind_week_flags")
    if have and have != FLAG_CACHE_COLUMNS:
        con.execute("DROP TABLE ind_week_flags")
    _execute_script(con, _SCHEMA_V5)


# A week may come from several files (one per municipality, ``import --add``): the snapshot lists
# its files, and for a snapshot of several files each organisation's row names the file it came
# from (``fact_files``; a snapshot without such rows took every row from its first file). Every
# snapshot so far is one file, recorded as such.
_SCHEMA_V6 = """
CREATE TABLE IF NOT EXISTS snapshot_files (
    snapshot_id INTEGER NOT NULL,             -- → snapshots(id)
    seq         INTEGER NOT NULL,             -- 1, 2, … in the order the files were added
    source_name TEXT NOT NULL,                -- the file's name as imported
    sha256      TEXT NOT NULL,
    blob        TEXT NOT NULL,                -- path of the kept copy, relative to home
    sheet       TEXT,
    rows        INTEGER NOT NULL,             -- organisations of this snapshot from this file
    skipped     INTEGER NOT NULL DEFAULT 0,
    added_at    TEXT NOT NULL,                -- UTC ISO, when the file was first imported
    PRIMARY KEY (snapshot_id, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS snapshot_files_sha ON snapshot_files(sha256);
CREATE TABLE IF NOT EXISTS fact_files (
    snapshot_id INTEGER NOT NULL,
    org_uid     INTEGER NOT NULL,
    seq         INTEGER NOT NULL,             -- → snapshot_files(snapshot_id, seq)
    PRIMARY KEY (snapshot_id, org_uid)
) WITHOUT ROWID;
INSERT INTO snapshot_files (snapshot_id, seq, source_name, sha256, blob, sheet, rows, skipped, added_at)
    SELECT id, 1, source_name, sha256, blob, sheet, rows, skipped, imported_at FROM snapshots s
    WHERE NOT EXISTS (SELECT 1 FROM snapshot_files f WHERE f.snapshot_id = s.id);
"""

# A shared list shows who changed it last (the OS account, ``getpass.getuser()``).
def _migrate_v7(con: sqlite3.Connection) -> None:
    if "changed_by" not in columns_of(con, "shortlists"):
        con.execute("ALTER TABLE shortlists ADD COLUMN changed_by TEXT")


def make_list_tables(con: sqlite3.Connection) -> None:
    """The shortlist tables, at the store's layout, in another SQLite file: a user's personal
    lists beside a shared store (``core/store/shortlists.py``)."""
    for statement in split_sql(_SCHEMA_V5):
        if "shortlist" in statement:
            con.execute(statement)
    _migrate_v7(con)


# version → SQL script (or a callable taking the connection) bringing the schema from
# version-1 to version; all of them run in one transaction.
MIGRATIONS: dict[int, Any] = {1: _SCHEMA_V1, 2: _SCHEMA_V2, 3: _SCHEMA_V3, 4: _migrate_v4,
                              5: _migrate_v5, 6: _SCHEMA_V6, 7: _migrate_v7}
SCHEMA_VERSION = max(MIGRATIONS)

#: The oldest schema a read-only store can be read at without migrating: the steps after it
#: only add tables whose readers treat a missing table as empty (shortlists, the flag cache, a
#: snapshot's list of files: read as the one file the snapshot row names).
READABLE_FROM = 4



#: Tables of a PostgreSQL store only: the copies of imported files, which a SQLite store keeps
#: as files in ``blobs/`` (see ``pg.py``).
_PG_ONLY = """
CREATE TABLE IF NOT EXISTS blob_files (
    rel  TEXT PRIMARY KEY,                -- as snapshots.blob names it: ab/abcdef….csv.gz
    data BLOB NOT NULL                    -- the bytes a SQLite store keeps in blobs/<rel>
);
CREATE TABLE IF NOT EXISTS sferum_schema (version INTEGER NOT NULL);
"""

#: The key of the advisory lock a PostgreSQL store's migration takes (see ``pg.WRITE_LOCK``).
_PG_LOCK = 0x53465255


def copy_names(con: Any) -> set[str]:
    """Every kept file copy the store's rows name (``blobs/ab/…``)."""
    return {r for (r,) in con.execute("SELECT blob FROM snapshots UNION SELECT blob FROM "
                                      "registries UNION SELECT blob FROM snapshot_files")}


def dialect(con: Any) -> str:
    """``"sqlite"`` for a ``sqlite3`` connection, ``"postgresql"`` for ``pg.PgConnection``."""
    return getattr(con, "dialect", "sqlite")


def has_table(con: Any, name: str) -> bool:
    if dialect(con) == "postgresql":
        return con.execute("SELECT to_regclass(?) IS NOT NULL", (name,)).fetchone()[0]
    return con.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?",
                       (name,)).fetchone()[0] > 0


def columns_of(con: Any, table: str) -> list[str]:
    """The columns of ``table`` in order (empty when there is no such table)."""
    if dialect(con) == "postgresql":
        return [r[0] for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
            "AND table_schema = current_schema() ORDER BY ordinal_position", (table,))]
    return [r[1] for r in con.execute(f"PRAGMA table_info({table})")]


def _execute_script(con: Any, script: str) -> None:
    pg = dialect(con) == "postgresql"
    if pg:
        from sferum_tui.core.store.pg import pg_ddl
    for statement in split_sql(script):
        con.execute(pg_ddl(statement) if pg else statement)


def split_sql(script: str) -> list[str]:
    statements, buf = [], []
    for line in script.splitlines():
        stripped = line.strip()
        if stripped.startswith("--") or not stripped:
            continue
        buf.append(line)
        if sqlite3.complete_statement("\n".join(buf)):
            statements.append("\n".join(buf))
            buf = []
    return statements


def meta(con: sqlite3.Connection, key: str) -> int:
    """An integer kept in the ``meta`` table (0 when absent)."""
    row = con.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return int(row[0]) if row else 0


def bump(con: sqlite3.Connection, key: str) -> int:
    """Add one to a ``meta`` counter inside the caller's write transaction; the new value."""
    con.execute("INSERT INTO meta (key, value) VALUES (?, 1) "
                "ON CONFLICT (key) DO UPDATE SET value = value + 1", (key,))
    return meta(con, key)


def check_file(path: Path) -> None:
    """Refuse a ``store.sqlite`` that is not a SQLite database (empty, truncated, another kind
    of file) with one line naming it, before SQLite would take an empty file for a new store."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        return
    except OSError as exc:
        raise StoreError(tr("не удаётся прочитать хранилище {p}: {e}",
                            "cannot read the store {p}: {e}", p=path, e=exc.strerror or exc)) from exc
    if head == SQLITE_HEADER:
        return
    if not head:
        raise StoreError(tr(
            "{p}: файл хранилища пуст (0 байт), это не база SQLite; он не будет заменён — "
            "восстановите его из резервной копии или уберите, чтобы начать новое хранилище",
            "{p}: the store file is empty (0 bytes), not a SQLite database; it will not be "
            "replaced — restore it from a backup or move it away to start a new store", p=path))
    raise StoreError(tr(
        "{p}: это не база SQLite (файл хранилища повреждён или подменён); он не будет заменён — "
        "восстановите его из резервной копии или уберите, чтобы начать новое хранилище",
        "{p}: not a SQLite database (the store file is damaged or something else); it will not "
        "be replaced — restore it from a backup or move it away to start a new store", p=path))


def user_version(con: Any) -> int:
    if dialect(con) == "postgresql":
        if not has_table(con, "sferum_schema"):
            return 0
        row = con.execute("SELECT max(version) FROM sferum_schema").fetchone()
        return int(row[0] or 0)
    return con.execute("PRAGMA user_version").fetchone()[0]


def _set_version(con: Any, version: int) -> None:
    if dialect(con) == "postgresql":
        con.execute("DELETE FROM sferum_schema")
        con.execute("INSERT INTO sferum_schema (version) VALUES (?)", (version,))
    else:
        con.execute(f"PRAGMA user_version = {int(version)}")


def refuse_newer(version: int, path: Path | str) -> None:
    if version > SCHEMA_VERSION:
        raise StoreError(tr(
            "хранилище {p} создано более новой версией sferum-tui (схема {v}, эта версия знает {k}); обновите программу",
            "the store {p} was made by a newer sferum-tui (schema {v}, this version knows {k}); please upgrade",
            p=path, v=version, k=SCHEMA_VERSION))


def _refuse_foreign(con: Any, version: int, path: Path | str) -> None:
    """A SQLite file at version 0 that already holds tables is somebody else's database (in
    PostgreSQL: tables of the store's names without its version table)."""
    if version == 0 and dialect(con) == "postgresql":
        if any(has_table(con, t) for t in ("snapshots", "orgs", "facts")):
            raise StoreError(tr(
                "{p}: в базе уже есть таблицы snapshots/orgs/facts, но это не хранилище "
                "sferum-tui; она не будет изменена",
                "{p}: the database already holds snapshots/orgs/facts tables, but is not a "
                "sferum-tui store; it will not be changed", p=path))
        return
    if version == 0 and con.execute(
            "SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'").fetchone()[0]:
        raise StoreError(tr(
            "{p}: база SQLite, но не хранилище sferum-tui; она не будет изменена",
            "{p}: a SQLite database, but not a sferum-tui store; it will not be changed", p=path))


def check_store(con: Any, path: Path | str) -> int:
    """Refuse a database made by a newer sferum-tui or by another program (before anything,
    even the journal mode, is changed in it); its schema version."""
    version = user_version(con)
    refuse_newer(version, path)
    _refuse_foreign(con, version, path)
    return version


def migrate(con: Any, path: Path | str) -> None:
    """Bring the schema to :data:`SCHEMA_VERSION` (one transaction; on PostgreSQL under the
    store's advisory lock, so a second machine waits and then finds nothing left to do)."""
    version = user_version(con)
    if version == SCHEMA_VERSION:
        return
    refuse_newer(version, path)
    pg = dialect(con) == "postgresql"
    con.execute("BEGIN IMMEDIATE")
    try:
        if pg:
            con.execute("SELECT pg_advisory_xact_lock(?)", (_PG_LOCK,))
            _execute_script(con, _PG_ONLY)
        version = user_version(con)  # another process may have won
        _refuse_foreign(con, version, path)
        for target in range(version + 1, SCHEMA_VERSION + 1):
            step = MIGRATIONS[target]
            if callable(step):
                step(con)
            else:
                _execute_script(con, step)
            _set_version(con, target)
        con.execute("COMMIT")
    except BaseException:
        if con.in_transaction:
            con.execute("ROLLBACK")
        raise


def check_readable(con: Any, path: Path | str) -> None:
    """For a store opened read-only (no migration possible): its schema must be one this
    version can read as it is."""
    version = check_store(con, path)
    if version < READABLE_FROM:
        raise StoreError(tr(
            "хранилище {p} в старом формате (схема {v}) и доступно только для чтения; "
            "его нужно обновить — выполните любую команду от имени владельца папки",
            "the store {p} is in an old format (schema {v}) and read-only; it needs an upgrade "
            "— run any command as the owner of the folder", p=path, v=version))
