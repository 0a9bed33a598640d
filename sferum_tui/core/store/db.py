"""The durable, week-by-week history: one SQLite file (``store.sqlite``) plus the original files.

Layout of the data folder (``Store(home)``)::

    home/store.sqlite            WAL mode; schema version in PRAGMA user_version
    home/blobs/ab/abcdef….xlsx   every imported file, content-addressed by its sha256

One weekly file is one *snapshot*. Every import runs in one ``BEGIN IMMEDIATE`` transaction
(parsing happens before it), so a second process waits for the first, and a process killed
midway leaves the store as it was. Organisations get a stable ``uid`` across weeks (ИНН, else
normalised name + municipality, see :mod:`sferum_tui.core.store.identity`).

The facts table is compact on purpose (country scale is 40,000 organisations × 150 weeks): one
``WITHOUT ROWID`` row of small integers per organisation and week; names, municipalities and
regions are interned in their own tables.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import tempfile
import threading
import time
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from sferum_tui.core.store import identity
from sferum_tui.core.errors import InputFileError, StoreError
from sferum_tui.core.fields import COUNT_FIELDS, ROW_FIELDS, STATUS_ACTIVE, STATUS_INACTIVE
from sferum_tui.core.text import clean_text
from sferum_tui.i18n import plural_ru, tr

if TYPE_CHECKING:  # pandas is imported lazily: start-up has a budget
    import pandas as pd

__all__ = [
    "Store", "SnapshotInfo", "ImportOutcome", "RegistryInfo", "RegistryOutcome",
    "SCHEMA_VERSION", "format_period", "format_int", "orgs_phrase",
]

DB_NAME = "store.sqlite"
BLOB_DIR = "blobs"
BUSY_TIMEOUT_S = 60.0
FACT_CHUNK = 5000
STALE_TMP_S = 3600.0

_STATUS_CODE = {STATUS_ACTIVE: 1, STATUS_INACTIVE: 0}
# _prepare spells the count fields out (speed); this guards the order against fields.py changing
assert COUNT_FIELDS == ("users_total", "staff_total", "teachers", "students", "parents",
                        "classes", "chats", "teachers_active")
_STATUS_TEXT = {1: STATUS_ACTIVE, 0: STATUS_INACTIVE}

# --------------------------------------------------------------------------------------------
# Schema and migrations
# --------------------------------------------------------------------------------------------

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
    con.execute("ALTER TABLE orgs ADD COLUMN key_version INTEGER NOT NULL DEFAULT 0")
    con.execute("DELETE FROM snapshot_columns")
    for (sid,) in con.execute("SELECT id FROM snapshots").fetchall():
        _rebuild_columns(con, sid)


# version → SQL script (or a callable taking the connection) bringing the schema from
# version-1 to version; all of them run in one transaction.
MIGRATIONS: dict[int, Any] = {1: _SCHEMA_V1, 2: _SCHEMA_V2, 3: _SCHEMA_V3, 4: _migrate_v4}
SCHEMA_VERSION = max(MIGRATIONS)


# --------------------------------------------------------------------------------------------
# Public records
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SnapshotInfo:
    id: int
    period_start: date
    period_end: date
    source_name: str
    sha256: str
    imported_at: str
    rows: int
    skipped: int
    warnings: list[str]
    superseded_by: int | None
    blob_path: Path
    columns: dict[str, str | None] = field(default_factory=dict)
    sheet: str | None = None
    skipped_rows: list[dict] = field(default_factory=list)

    @property
    def current(self) -> bool:
        return self.superseded_by is None

    @property
    def period_label(self) -> str:
        return format_period(self.period_start, self.period_end)


@dataclass(frozen=True)
class ImportOutcome:
    status: str                 # "imported" | "unchanged" | "replaced"
    snapshot: SnapshotInfo
    message: str                # one line, translated, without the file name
    superseded: tuple[int, ...] = ()


@dataclass(frozen=True)
class RegistryInfo:
    id: int
    source_name: str
    sha256: str
    imported_at: str
    rows: int
    skipped: int
    warnings: list[str]
    blob_path: Path
    replaced_by: int | None = None
    columns: dict[str, str | None] = field(default_factory=dict)
    sheet: str | None = None


@dataclass(frozen=True)
class RegistryOutcome:
    status: str                 # "imported" | "unchanged" | "replaced"
    registry: RegistryInfo
    message: str


# --------------------------------------------------------------------------------------------
# Formatting helpers shared with the commands
# --------------------------------------------------------------------------------------------

def format_period(start: date, end: date) -> str:
    """``15.04–21.04.2023``; ``29.12.2023–04.01.2024`` across a year."""
    if start == end:
        return start.strftime("%d.%m.%Y")
    if start.year == end.year:
        return f"{start:%d.%m}–{end:%d.%m.%Y}"
    return f"{start:%d.%m.%Y}–{end:%d.%m.%Y}"


def format_int(n: int | None) -> str:
    """``1 402`` (Russian: a non-breaking space between thousands) or ``1,402`` (English)."""
    if n is None:
        return "—"
    text = f"{n:,}"
    return text.replace(",", tr("\u00a0", ","))


def orgs_phrase(n: int) -> str:
    return tr("{n} " + plural_ru(n, "организация", "организации", "организаций"),
              "{n} organisation" + ("" if n == 1 else "s"), n=format_int(n))


def _rows_skipped_phrase(n: int) -> str:
    return tr("пропущено строк: {n}", "{n} row" + ("" if n == 1 else "s") + " skipped",
              n=format_int(n))


# --------------------------------------------------------------------------------------------
# Prepared rows (computed before the transaction)
# --------------------------------------------------------------------------------------------

class _Prepared:
    """One row of a file, ready for the store; name keys are computed only when needed."""

    __slots__ = ("row", "inn", "name", "municipality", "region", "values", "_keys", "ids")

    def __init__(self, row, inn, name, municipality, region, values):
        self.row = row
        self.inn = inn
        self.name = name
        self.municipality = municipality
        self.region = region
        self.values = values   # status code, counts…, share (facts) or staff_total, kind (registry)
        self._keys = None
        self.ids = (None, None, None)   # interned (name_id, municipality_id, region_id)

    @property
    def keys(self) -> tuple[str | None, str | None]:
        """(name key with region, name key without region)."""
        if self._keys is None:
            self._keys = identity.name_keys(self.name, self.municipality, self.region)
        return self._keys


def _clean_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value != value:
        return None
    text = str(value).strip()
    if "  " in text or "\n" in text or "\t" in text or "\u00a0" in text:
        text = " ".join(text.split())
    return text or None


def _text(value) -> str | None:
    """The reader hands over clean text already; anything else goes through _clean_text."""
    if value is None or (type(value) is str and value and value[0] != " " and value[-1] != " "):
        return value
    return _clean_text(value)


def _prepare(rows: Iterable[dict], *, registry: bool) -> tuple[list[_Prepared], list[dict]]:
    prepared: list[_Prepared] = []
    skipped: list[dict] = []
    normalize_inn = identity.normalize_inn
    status_code = _STATUS_CODE.get
    for r in rows:
        get = r.get
        inn = normalize_inn(get("org_id"))
        p = _Prepared(int(get("row") or 0), inn, _text(get("org_name")),
                      _text(get("municipality")), _text(get("region")), None)
        if inn is None and p.keys[1] is None:
            skipped.append({"row": get("row"),
                            "reason": tr("нет ни ИНН, ни наименования организации",
                                         "neither an ИНН nor an organisation name")})
            continue
        if registry:
            p.values = (get("staff_total"), _text(get("kind")))
        else:
            status = get("status")
            share = get("teachers_active_share")
            p.values = (status_code(status) if status is not None else None,
                        get("users_total"), get("staff_total"), get("teachers"), get("students"),
                        get("parents"), get("classes"), get("chats"), get("teachers_active"),
                        float(share) if share is not None else None)
        prepared.append(p)
    return prepared, skipped


def _utc_now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _parse_day(day: str | date) -> date:
    if isinstance(day, date):
        return day
    try:
        return date.fromisoformat(str(day).strip())
    except ValueError:
        raise StoreError(tr("ожидается дата ГГГГ-ММ-ДД, получено «{v}»",
                            "expected a date YYYY-MM-DD, got “{v}”", v=day))


def _read_bytes(path: Path, limits=None) -> bytes:
    """The file's bytes through the reader's input guard: a regular file within the config's
    ``[limits]`` (a FIFO or /dev/zero is refused before it is read)."""
    from sferum_tui.core.ingest.guard import read_input
    from sferum_tui.core.ingest.limits import DEFAULT_LIMITS

    return read_input(path, limits or DEFAULT_LIMITS)


# --------------------------------------------------------------------------------------------
# The store
# --------------------------------------------------------------------------------------------

class Store:
    """The history of weekly snapshots in ``home`` (created on the first write).

    Safe to use from several threads (one SQLite connection per thread) and from several
    processes (SQLite locking; writers wait up to ``BUSY_TIMEOUT_S``).
    """

    def __init__(self, home: str | os.PathLike):
        self.home = Path(home)
        self.db_path = self.home / DB_NAME
        self.blob_dir = self.home / BLOB_DIR
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._lookups = {t: _Lookup(t) for t in ("org_names", "municipalities", "regions")}
        # the current registry as a frame, keyed by (registry id, keys_version): registry rows
        # never change under an id (a new file gets a new id), only orgs' keys can
        self._registry_memo: tuple[tuple[int, int], "pd.DataFrame"] | None = None

    # -- connections -------------------------------------------------------------------------

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            for con in self._connections:
                try:
                    con.close()
                except sqlite3.Error:  # pragma: no cover
                    pass
            self._connections.clear()
        self._local = threading.local()

    def exists(self) -> bool:
        return self.db_path.exists()

    def _connection(self, *, write: bool) -> sqlite3.Connection | None:
        con = getattr(self._local, "con", None)
        if con is not None:
            return con
        if not self.db_path.exists():
            if not write:
                return None
            try:
                self.home.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(tr("не удаётся создать папку данных {p}: {e}",
                                    "cannot create the data folder {p}: {e}",
                                    p=self.home, e=exc.strerror or exc))
        con = None
        try:
            # each thread uses only its own connection; check_same_thread=False lets close()
            # (from whichever thread) close them all
            con = sqlite3.connect(self.db_path, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                                  check_same_thread=False)
            con.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            if con.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                con.execute("PRAGMA journal_mode = WAL")
            con.execute("PRAGMA synchronous = FULL")
            con.execute("PRAGMA cache_size = -65536")
            con.execute("PRAGMA temp_store = MEMORY")
            self._migrate(con)
        except BaseException as exc:
            if con is not None:
                con.close()
            if isinstance(exc, sqlite3.DatabaseError):
                raise self._db_error(exc) from exc
            raise
        self._local.con = con
        with self._lock:
            self._connections.append(con)
        return con

    def _db_error(self, exc: sqlite3.Error) -> StoreError:
        text = str(exc)
        if "locked" in text or "busy" in text:
            return StoreError(tr("хранилище {p} занято другим процессом дольше {s} с; повторите позже",
                                 "the store {p} was busy in another process for over {s} s; try again later",
                                 p=self.db_path, s=int(BUSY_TIMEOUT_S)))
        return StoreError(tr("ошибка хранилища {p}: {e}", "store error in {p}: {e}",
                             p=self.db_path, e=text))

    def _migrate(self, con: sqlite3.Connection) -> None:
        version = con.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:
            return
        if version > SCHEMA_VERSION:
            raise StoreError(tr(
                "хранилище {p} создано более новой версией sferum-tui (схема {v}, эта версия знает {k}); обновите программу",
                "the store {p} was made by a newer sferum-tui (schema {v}, this version knows {k}); please upgrade",
                p=self.db_path, v=version, k=SCHEMA_VERSION))
        con.execute("BEGIN IMMEDIATE")
        try:
            version = con.execute("PRAGMA user_version").fetchone()[0]  # another process may have won
            for target in range(version + 1, SCHEMA_VERSION + 1):
                step = MIGRATIONS[target]
                if callable(step):
                    step(con)
                else:
                    for statement in _split_sql(step):
                        con.execute(statement)
                con.execute(f"PRAGMA user_version = {target}")
            con.execute("COMMIT")
        except BaseException:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE``: writers queue up, readers go on)."""
        con = self._connection(write=True)
        assert con is not None
        try:
            con.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise self._db_error(exc) from exc
        try:
            yield con
        except BaseException as exc:
            if con.in_transaction:
                con.execute("ROLLBACK")
            if isinstance(exc, sqlite3.DatabaseError):
                raise self._db_error(exc) from exc
            raise
        else:
            try:
                con.execute("COMMIT")
            except sqlite3.DatabaseError as exc:
                if con.in_transaction:
                    con.execute("ROLLBACK")
                raise self._db_error(exc) from exc

    def _query(self, sql: str, params: Iterable[Any] = ()) -> list[tuple]:
        con = self._connection(write=False)
        if con is None:
            return []
        try:
            return con.execute(sql, tuple(params)).fetchall()
        except sqlite3.DatabaseError as exc:
            raise self._db_error(exc) from exc

    # -- for core modules that keep their own tables in the store --------------------------
    # (shortlists, the indicators' flag cache): the same connections, transactions and error
    # messages as the store's own code, without reaching into its private helpers.

    def query(self, sql: str, params: Iterable[Any] = ()) -> list[tuple]:
        """All rows of a read query on this thread's connection; ``[]`` before the store
        exists.  SQLite errors become one-line ``StoreError``s."""
        return self._query(sql, params)

    def read_connection(self) -> sqlite3.Connection | None:
        """This thread's connection for reading, or ``None`` before the store exists."""
        return self._connection(write=False)

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        """``with store.transaction() as con:`` — one write transaction (``BEGIN IMMEDIATE``),
        committed at the end of the block, rolled back on any exception."""
        return self._write()

    def error(self, exc: sqlite3.Error) -> StoreError:
        """The one-line ``StoreError`` for a SQLite error met while using :meth:`query`'s
        connection directly."""
        return self._db_error(exc)

    # -- blobs -------------------------------------------------------------------------------

    def _blob_rel(self, sha: str, source: Path, data: bytes | None = None) -> str:
        ext = source.suffix.lower()
        if not ext or len(ext) > 8 or not ext[1:].isalnum():
            ext = ".bin"
        if data is not None and _compressible(data):
            ext += ".gz"
        return f"{BLOB_DIR}/{sha[:2]}/{sha}{ext}"

    @staticmethod
    def _blob_bytes(data: bytes, rel: str) -> bytes:
        """What goes on disk: text files (CSV) gzip-compressed — a national CSV week is ~7 MB,
        ~1 MB compressed, which keeps 150 weeks of copies well inside the disk budget."""
        if rel.endswith(".gz"):
            import gzip

            return gzip.compress(data, compresslevel=5, mtime=0)
        return data

    def _write_blob(self, data: bytes, rel: str) -> None:
        """Write the file copy atomically: temp file in the same folder, fsync, rename."""
        data = self._blob_bytes(data, rel)
        final = self.home / rel
        folder = final.parent
        try:
            if final.exists() and final.stat().st_size == len(data):
                return
            folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".part", dir=folder)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, final)
            except BaseException:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
                raise
            _fsync_dir(folder)
            _remove_stale_temps(folder)
        except OSError as exc:
            raise StoreError(tr("не удаётся сохранить копию файла в {p}: {e}",
                                "cannot keep a copy of the file in {p}: {e}",
                                p=folder, e=exc.strerror or exc))

    # -- identity ------------------------------------------------------------------------------

    def _resolver(self, con: sqlite3.Connection) -> "_Resolver":
        return _Resolver(con, self._lookups)

    # -- weekly import -------------------------------------------------------------------------

    def import_file(self, path: str | os.PathLike, *, period: str | date | None = None,
                    replace: bool = False, source_name: str | None = None,
                    extra_aliases=None, limits=None) -> ImportOutcome:
        """Import one weekly file as one snapshot (see the module docstring); ``limits``: the
        config's ``[limits]`` (the defaults without it)."""
        path = Path(path)
        source_name = clean_text(source_name or path.name)
        hint = period.isoformat() if isinstance(period, date) else (str(period).strip() if period else None)
        data = _read_bytes(path, limits)
        sha = hashlib.sha256(data).hexdigest()

        held = self._current_by_sha(sha)
        if held is not None:
            return self._unchanged(held)

        from sferum_tui.core.ingest.reader import read_weekly

        res = read_weekly(path, period_hint=hint, extra_aliases=extra_aliases, strict=True, limits=limits)
        if res.period is None:
            raise InputFileError(tr(
                "{f}: не найден отчётный период (ни в заголовке, ни в имени файла); укажите --period ГГГГ-ММ-ДД",
                "{f}: the reporting period was not found (neither in a title row nor in the file name); pass --period YYYY-MM-DD",
                f=source_name), source=str(path))
        if res.sha256 and res.sha256 != sha:
            raise InputFileError(tr("{f}: файл изменился во время чтения; повторите импорт",
                                    "{f}: the file changed while it was read; import it again",
                                    f=source_name), source=str(path))
        prepared, skipped_here = _prepare(res.rows, registry=False)
        skipped_rows = list(res.skipped) + skipped_here
        start, end = res.period.start, res.period.end
        rel = self._blob_rel(sha, path, data)

        with self._write() as con:
            row = con.execute("SELECT id FROM snapshots WHERE sha256 = ? AND superseded_by IS NULL",
                              (sha,)).fetchone()
            if row is not None:  # another process imported the same file meanwhile
                held = self._snapshot_in(con, row[0])
                unchanged = True
            else:
                unchanged = False
                clashes = con.execute(
                    "SELECT id, source_name, period_start, period_end FROM snapshots "
                    "WHERE superseded_by IS NULL AND period_start <= ? AND period_end >= ? "
                    "ORDER BY period_start", (end.isoformat(), start.isoformat())).fetchall()
                if clashes and not replace:
                    other = clashes[0]
                    raise StoreError(tr(
                        "{f}: неделя {p} уже загружена из «{o}» (снимок №{i}, {op}); это другой файл — чтобы заменить, добавьте --replace",
                        "{f}: the week {p} is already held from “{o}” (snapshot #{i}, {op}); this is a different file — add --replace to replace it",
                        f=source_name, p=format_period(start, end), o=other[1], i=other[0],
                        op=format_period(date.fromisoformat(other[2]), date.fromisoformat(other[3]))))
                self._write_blob(data, rel)
                snap_id = con.execute("SELECT coalesce(max(id), 0) + 1 FROM snapshots").fetchone()[0]
                old_ids = [c[0] for c in clashes]
                if old_ids:
                    con.executemany("UPDATE snapshots SET superseded_by = ? WHERE id = ?",
                                    [(snap_id, i) for i in old_ids])
                warnings = list(res.warnings)
                resolver = self._resolver(con)
                facts, notes = resolver.resolve(prepared, registry=False, source=source_name)
                texts = resolver.texts
                warnings.extend(notes)
                con.execute(
                    "INSERT INTO snapshots (id, period_start, period_end, source_name, sha256, blob, "
                    "imported_at, rows, skipped, skipped_json, warnings_json, columns_json, sheet, "
                    "period_hint, aliases_json) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (snap_id, start.isoformat(), end.isoformat(), source_name, sha, rel,
                     _utc_now(), len(facts), len(skipped_rows),
                     _dumps(skipped_rows), _dumps(warnings), _dumps(res.columns), res.sheet,
                     hint,
                     _dumps(extra_aliases) if extra_aliases else None))
                self._insert_facts(con, snap_id, facts)
                con.execute("INSERT INTO snapshot_columns (snapshot_id, data) VALUES (?, ?)",
                            (snap_id, _columns_blob(facts, texts, _meta(con, "keys_version"))))
                self._touch_orgs(con, snap_id, start, end)
                if old_ids:
                    self._recompute_orgs(con, old_ids, snap_id, same_period=all(
                        (c[2], c[3]) == (start.isoformat(), end.isoformat()) for c in clashes))
                self._count_missing(con, snapshot_ids=[snap_id])
                held = self._snapshot_in(con, snap_id)
        if unchanged:
            return self._unchanged(held)
        n_skipped = held.skipped
        tail = orgs_phrase(held.rows) + (", " + _rows_skipped_phrase(n_skipped) if n_skipped else "")
        if old_ids:
            olds = ", ".join(tr("№{i}", "#{i}", i=i) for i in old_ids)
            return ImportOutcome("replaced", held, tr(
                "заменена неделя {p}: {t} (прежний снимок {o} сохранён как заменённый)",
                "replaced {p}: {t} (the previous snapshot {o} is kept as superseded)",
                p=held.period_label, t=tail, o=olds), superseded=tuple(old_ids))
        return ImportOutcome("imported", held, tr("импортирована неделя {p}: {t}",
                                                  "imported {p}: {t}", p=held.period_label, t=tail))

    def _unchanged(self, held: SnapshotInfo) -> ImportOutcome:
        return ImportOutcome("unchanged", held, tr(
            "уже импортирован (тот же файл): неделя {p}, снимок №{i}, {t}",
            "already imported (same file): {p}, snapshot #{i}, {t}",
            p=held.period_label, i=held.id, t=orgs_phrase(held.rows)))

    def _current_by_sha(self, sha: str) -> SnapshotInfo | None:
        rows = self._query("SELECT id FROM snapshots WHERE sha256 = ? AND superseded_by IS NULL", (sha,))
        return self.snapshot(rows[0][0]) if rows else None

    def _insert_facts(self, con: sqlite3.Connection, snap_id: int, facts: list[tuple]) -> None:
        for i in range(0, len(facts), FACT_CHUNK):
            self._write_fact_chunk(con, snap_id, facts[i:i + FACT_CHUNK])

    def _write_fact_chunk(self, con: sqlite3.Connection, snap_id: int, chunk: list[tuple]) -> None:
        con.executemany(
            "INSERT INTO facts (snapshot_id, org_uid, row, name_id, municipality_id, region_id, "
            "status, users_total, staff_total, teachers, students, parents, classes, chats, "
            "teachers_active, teachers_active_share) VALUES "
            f"({snap_id},?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", chunk)

    def _touch_orgs(self, con: sqlite3.Connection, snap_id: int, start: date, end: date) -> None:
        """First/last seen and the latest spelling of every organisation in a new snapshot."""
        s, e = start.isoformat(), end.isoformat()
        con.execute(
            """
            UPDATE orgs SET
              name_id = CASE WHEN orgs.last_seen IS NULL OR :e >= orgs.last_seen
                             THEN coalesce(f.name_id, orgs.name_id) ELSE orgs.name_id END,
              municipality_id = CASE WHEN orgs.last_seen IS NULL OR :e >= orgs.last_seen
                             THEN coalesce(f.municipality_id, orgs.municipality_id) ELSE orgs.municipality_id END,
              region_id = CASE WHEN orgs.last_seen IS NULL OR :e >= orgs.last_seen
                             THEN coalesce(f.region_id, orgs.region_id) ELSE orgs.region_id END,
              first_seen = CASE WHEN orgs.first_seen IS NULL OR :s < orgs.first_seen
                             THEN :s ELSE orgs.first_seen END,
              last_seen = CASE WHEN orgs.last_seen IS NULL OR :e > orgs.last_seen
                             THEN :e ELSE orgs.last_seen END
            FROM (SELECT org_uid, name_id, municipality_id, region_id
                  FROM facts WHERE snapshot_id = :sid) AS f
            WHERE orgs.uid = f.org_uid
            """, {"s": s, "e": e, "sid": snap_id})

    def _recompute_orgs(self, con: sqlite3.Connection, old_ids: list[int], new_id: int, *,
                        same_period: bool) -> None:
        """After a replacement: organisations of the superseded snapshots that the new one does
        not cover get their first/last seen and spelling from the snapshots still current."""
        con.execute("CREATE TEMP TABLE IF NOT EXISTS recompute (uid INTEGER PRIMARY KEY)")
        con.execute("DELETE FROM temp.recompute")
        marks = ",".join("?" * len(old_ids))
        if same_period:
            con.execute(f"INSERT OR IGNORE INTO temp.recompute SELECT org_uid FROM facts "
                        f"WHERE snapshot_id IN ({marks}) EXCEPT "
                        f"SELECT org_uid FROM facts WHERE snapshot_id = ?", (*old_ids, new_id))
        else:
            con.execute(f"INSERT OR IGNORE INTO temp.recompute SELECT org_uid FROM facts "
                        f"WHERE snapshot_id IN ({marks}, ?)", (*old_ids, new_id))
        # snapshots outer, facts probed by primary key (no per-organisation index, see v3)
        latest = ("(SELECT f.{col} FROM snapshots s CROSS JOIN facts f "
                  "WHERE f.snapshot_id = s.id AND f.org_uid = orgs.uid AND s.superseded_by IS NULL "
                  "AND f.{col} IS NOT NULL ORDER BY s.period_end DESC LIMIT 1)")
        seen = ("(SELECT {fn}(s.{col}) FROM snapshots s CROSS JOIN facts f "
                "WHERE f.snapshot_id = s.id AND f.org_uid = orgs.uid AND s.superseded_by IS NULL)")
        con.execute(
            f"""UPDATE orgs SET
                  first_seen = {seen.format(fn='min', col='period_start')},
                  last_seen = {seen.format(fn='max', col='period_end')},
                  name_id = coalesce({latest.format(col='name_id')}, name_id),
                  municipality_id = coalesce({latest.format(col='municipality_id')}, municipality_id),
                  region_id = coalesce({latest.format(col='region_id')}, region_id)
                WHERE uid IN (SELECT uid FROM temp.recompute)""")
        con.execute("DELETE FROM temp.recompute")

    def reread(self, snapshot_id: int):
        """Run the reader again on the kept copy of a snapshot's file (a ``ReadResult``)."""
        info = self.snapshot(snapshot_id)
        rows = self._query("SELECT period_hint, aliases_json FROM snapshots WHERE id = ?", (snapshot_id,))
        hint_text, aliases_json = rows[0]
        if not info.blob_path.exists():
            raise StoreError(tr("копия файла снимка №{i} не найдена: {p}",
                                "the kept copy of snapshot #{i} is missing: {p}",
                                i=snapshot_id, p=info.blob_path))
        from sferum_tui.core.ingest.reader import read_weekly

        hint = hint_text or f"{info.period_start.isoformat()}..{info.period_end.isoformat()}"
        aliases = json.loads(aliases_json) if aliases_json else None
        if info.blob_path.suffix != ".gz":
            return read_weekly(info.blob_path, period_hint=hint, extra_aliases=aliases, strict=True)
        import gzip

        with tempfile.TemporaryDirectory(prefix="sferum-reread-") as tmp:
            name = Path(info.source_name or "snapshot").name or "snapshot"
            plain = Path(tmp) / (name if Path(name).suffix else name + info.blob_path.with_suffix("").suffix)
            plain.write_bytes(gzip.decompress(info.blob_path.read_bytes()))
            return read_weekly(plain, period_hint=hint, extra_aliases=aliases, strict=True)

    # -- snapshots -----------------------------------------------------------------------------

    _SNAPSHOT_COLS = ("id, period_start, period_end, source_name, sha256, imported_at, rows, "
                      "skipped, warnings_json, superseded_by, blob, columns_json, sheet, skipped_json")

    def _snapshot_from_row(self, r: tuple) -> SnapshotInfo:
        return SnapshotInfo(
            id=r[0], period_start=date.fromisoformat(r[1]), period_end=date.fromisoformat(r[2]),
            source_name=r[3], sha256=r[4], imported_at=r[5], rows=r[6], skipped=r[7],
            warnings=json.loads(r[8]), superseded_by=r[9], blob_path=self.home / r[10],
            columns=json.loads(r[11]), sheet=r[12], skipped_rows=json.loads(r[13]))

    def _snapshot_in(self, con: sqlite3.Connection, snap_id: int) -> SnapshotInfo:
        r = con.execute(f"SELECT {self._SNAPSHOT_COLS} FROM snapshots WHERE id = ?", (snap_id,)).fetchone()
        return self._snapshot_from_row(r)

    def snapshots(self, include_superseded: bool = False) -> list[SnapshotInfo]:
        where = "" if include_superseded else "WHERE superseded_by IS NULL"
        rows = self._query(f"SELECT {self._SNAPSHOT_COLS} FROM snapshots {where} "
                           "ORDER BY period_start, id")
        return [self._snapshot_from_row(r) for r in rows]

    def snapshot(self, snapshot_id: int) -> SnapshotInfo:
        rows = self._query(f"SELECT {self._SNAPSHOT_COLS} FROM snapshots WHERE id = ?", (int(snapshot_id),))
        if not rows:
            raise StoreError(tr("нет снимка №{i} (список: sferum-tui weeks --all)",
                                "there is no snapshot #{i} (see: sferum-tui weeks --all)", i=snapshot_id))
        return self._snapshot_from_row(rows[0])

    def latest(self) -> SnapshotInfo | None:
        """The current snapshot with the latest period, or None for an empty store."""
        snaps = self.snapshots()
        return snaps[-1] if snaps else None

    def snapshot_for(self, day: date | str) -> SnapshotInfo | None:
        """The current snapshot whose period contains ``day``."""
        d = _parse_day(day)
        rows = self._query(f"SELECT {self._SNAPSHOT_COLS} FROM snapshots WHERE superseded_by IS NULL "
                           "AND period_start <= ? AND period_end >= ?", (d.isoformat(), d.isoformat()))
        return self._snapshot_from_row(rows[0]) if rows else None

    def previous(self, snapshot_id: int) -> SnapshotInfo | None:
        """The current snapshot just before ``snapshot_id`` (for week-over-week changes)."""
        info = self.snapshot(snapshot_id)
        rows = self._query(f"SELECT {self._SNAPSHOT_COLS} FROM snapshots WHERE superseded_by IS NULL "
                           "AND period_start < ? ORDER BY period_start DESC LIMIT 1",
                           (info.period_start.isoformat(),))
        return self._snapshot_from_row(rows[0]) if rows else None

    # -- frames --------------------------------------------------------------------------------

    _FACT_SELECT = (
        "f.org_uid, o.key, coalesce(f.region_id, 0), coalesce(f.municipality_id, 0), o.inn, "
        "coalesce(f.name_id, 0), f.status, f.users_total, f.staff_total, f.teachers, f.students, "
        "f.parents, f.classes, f.chats, f.teachers_active, f.teachers_active_share, f.row")
    _FACT_COLUMNS = ("org_uid", "org_key", *ROW_FIELDS, "row")

    def _texts(self) -> dict[str, "_Lookup"]:
        """Lookups for the interned columns, refreshed from the database."""
        con = self._connection(write=False)
        lk = self._lookups
        if con is not None:
            for t in lk.values():
                t.refresh(con)
        return {"org_name": lk["org_names"], "municipality": lk["municipalities"],
                "region": lk["regions"]}

    def week_frame(self, snapshot_id: int) -> "pd.DataFrame":
        """One row per organisation of a snapshot: ``org_uid``, ``org_key``, the canonical
        fields (``org_id`` = the organisation's ИНН or None; ``org_name`` as written that week)
        and ``row`` (the spreadsheet row), in file order."""
        self.snapshot(snapshot_id)  # a clear error for an unknown id
        table = self._columns_table(snapshot_id)
        if table is not None:
            return self._frame_from_columns(table)
        rows = self._query(f"SELECT {self._FACT_SELECT} FROM facts f JOIN orgs o ON o.uid = f.org_uid "
                           "WHERE f.snapshot_id = ?", (int(snapshot_id),))
        frame = _facts_frame(rows, self._FACT_COLUMNS, self._texts())
        return frame.sort_values("row", kind="stable", ignore_index=True)

    def _columns_table(self, snapshot_id: int) -> "Any":
        """The snapshot's column copy as an Arrow table, or None (no copy, or an older
        layout: the caller reads the facts table)."""
        import pyarrow as pa

        blob = self._query("SELECT data FROM snapshot_columns WHERE snapshot_id = ?",
                           (int(snapshot_id),))
        if not blob:
            return None
        table = pa.ipc.open_stream(blob[0][0]).read_all()
        return table if (table.schema.metadata or {}).get(b"format") == _COLUMNS_FORMAT else None

    def _frame_from_columns(self, table: "Any") -> "pd.DataFrame":
        import numpy as np
        import pandas as pd

        meta = table.schema.metadata or {}
        out: dict[str, Any] = {"org_uid": table.column("org_uid").to_numpy().astype(np.int64)}
        for name in ("org_key", *ROW_FIELDS):
            col = table.column(name)
            if name == "status":
                codes = col.fill_null(-1).to_numpy().astype(np.int64)
                out[name] = pd.Series(np.array([STATUS_INACTIVE, STATUS_ACTIVE, None], dtype=object)[codes],
                                      dtype=object)
            elif name == "teachers_active_share":
                out[name] = col.to_numpy(zero_copy_only=False).astype(np.float64)
            elif name in COUNT_FIELDS:
                values = col.fill_null(0).to_numpy().astype(np.int64)
                mask = col.is_null().to_numpy(zero_copy_only=False)
                out[name] = pd.arrays.IntegerArray(values, mask)
            else:
                out[name] = pd.Series(_strings(col), dtype=object)
        out["row"] = table.column("row").to_numpy().astype(np.int64)
        frame = pd.DataFrame(out, columns=list(self._FACT_COLUMNS))
        # organisations that got their ИНН after this week was imported
        written = int(meta.get(b"keys_version", b"0"))
        if self._keys_version() > written:
            changed = self._query("SELECT uid, key, inn FROM orgs WHERE key_version > ?", (written,))
            if changed:
                keys = {u: k for u, k, _ in changed}
                inns = {u: i for u, _, i in changed}
                hit = frame["org_uid"].isin(keys)
                frame.loc[hit, "org_key"] = frame.loc[hit, "org_uid"].map(keys)
                frame.loc[hit, "org_id"] = frame.loc[hit, "org_uid"].map(inns)
        return frame

    def _keys_version(self) -> int:
        rows = self._query("SELECT value FROM meta WHERE key = 'keys_version'")
        return int(rows[0][0]) if rows else 0

    def history(self, org_uid: int) -> "pd.DataFrame":
        """One row per current snapshot where the organisation appears, oldest first, with
        ``snapshot_id``, ``period_start``, ``period_end`` and the fields of :meth:`week_frame`."""
        # snapshots outer, facts probed by primary key: ≤ one probe per week (see schema v3)
        rows = self._query(
            "SELECT s.id, s.period_start, s.period_end, f.org_uid, o.key, r.name, m.name, o.inn, "
            "n.name, f.status, " + ", ".join(f"f.{c}" for c in COUNT_FIELDS) + ", "
            "f.teachers_active_share, f.row "
            "FROM snapshots s CROSS JOIN facts f JOIN orgs o ON o.uid = f.org_uid "
            "LEFT JOIN org_names n ON n.id = f.name_id "
            "LEFT JOIN municipalities m ON m.id = f.municipality_id "
            "LEFT JOIN regions r ON r.id = f.region_id "
            "WHERE f.snapshot_id = s.id AND f.org_uid = ? AND s.superseded_by IS NULL "
            "ORDER BY s.period_start", (int(org_uid),))
        rows = [(a, date.fromisoformat(b), date.fromisoformat(c), *rest) for a, b, c, *rest in rows]
        return _facts_frame(rows, ("snapshot_id", "period_start", "period_end", *self._FACT_COLUMNS))

    _ORG_COLUMNS = ("org_uid", "org_key", "org_id", "org_name", "municipality", "region",
                    "first_seen", "last_seen", "in_registry")

    def orgs(self) -> "pd.DataFrame":
        """Every organisation known: ``org_uid``, ``org_key``, ``org_id`` (ИНН or None),
        ``org_name`` (latest spelling), ``municipality``, ``region``, ``first_seen``,
        ``last_seen`` (dates, None for one only in the registry), ``in_registry``."""
        return self._orgs_where("", ())

    def find_orgs(self, text: str) -> "pd.DataFrame":
        """Organisations whose ИНН starts with ``text`` (digits) or whose name, in any spelling
        ever stored, contains it (case-insensitive, ё = е)."""
        text = (text or "").strip()
        if not text or self._connection(write=False) is None:
            return self._orgs_where("WHERE 0", ())
        if text.isdigit():
            return self._orgs_where("WHERE o.inn LIKE ?", (text + "%",))
        needle = _fold_ci(text)
        names = self._texts()["org_name"].by_id
        ids = [i for i, name in enumerate(names) if name is not None and needle in _fold_ci(name)]
        if not ids:
            return self._orgs_where("WHERE 0", ())
        marks = ",".join(map(str, ids))   # integers from the database itself
        return self._orgs_where(
            f"WHERE o.uid IN (SELECT org_uid FROM org_spellings WHERE name_id IN ({marks}))", ())

    def _orgs_where(self, where: str, params: tuple) -> "pd.DataFrame":
        import numpy as np

        rows = self._query(
            "SELECT o.uid, o.key, o.inn, coalesce(o.name_id, 0), coalesce(o.municipality_id, 0), "
            "coalesce(o.region_id, 0), o.first_seen, o.last_seen "
            f"FROM orgs o {where} ORDER BY o.uid", params)
        in_registry = {uid for (uid,) in self._query(
            "SELECT rr.org_uid FROM registry_rows rr JOIN registries g ON g.id = rr.registry_id "
            "WHERE g.replaced_by IS NULL")}
        frame = _facts_frame(rows, self._ORG_COLUMNS[:-1], self._texts())
        frame["in_registry"] = np.fromiter((u in in_registry for u in frame["org_uid"]), dtype=bool,
                                           count=len(frame))
        return frame

    # -- registry ------------------------------------------------------------------------------

    _REGISTRY_COLS = ("id, source_name, sha256, imported_at, rows, skipped, warnings_json, blob, "
                      "replaced_by, columns_json, sheet")

    def _registry_from_row(self, r: tuple) -> RegistryInfo:
        return RegistryInfo(id=r[0], source_name=r[1], sha256=r[2], imported_at=r[3], rows=r[4],
                            skipped=r[5], warnings=json.loads(r[6]), blob_path=self.home / r[7],
                            replaced_by=r[8], columns=json.loads(r[9]), sheet=r[10])

    def registry(self) -> RegistryInfo | None:
        """The current registry of organisations, or None."""
        rows = self._query(f"SELECT {self._REGISTRY_COLS} FROM registries WHERE replaced_by IS NULL")
        return self._registry_from_row(rows[0]) if rows else None

    def registries(self) -> list[RegistryInfo]:
        rows = self._query(f"SELECT {self._REGISTRY_COLS} FROM registries ORDER BY id")
        return [self._registry_from_row(r) for r in rows]

    def import_registry(self, path: str | os.PathLike, extra_aliases=None, *,
                        source_name: str | None = None, limits=None) -> RegistryOutcome:
        """Replace the registry of organisations (справочник ОО) as a whole, in one transaction;
        the previous one stays listed (with its file copy) as replaced."""
        path = Path(path)
        source_name = clean_text(source_name or path.name)
        data = _read_bytes(path, limits)
        sha = hashlib.sha256(data).hexdigest()
        current = self.registry()
        if current is not None and current.sha256 == sha:
            return self._registry_unchanged(current)

        from sferum_tui.core.ingest.reader import read_registry

        res = read_registry(path, extra_aliases=extra_aliases, limits=limits)
        prepared, skipped_here = _prepare(res.rows, registry=True)
        skipped_rows = list(res.skipped) + skipped_here
        if not prepared:
            raise InputFileError(tr("{f}: в справочнике нет ни одной организации",
                                    "{f}: the registry holds no organisation", f=source_name),
                                 source=str(path))
        rel = self._blob_rel(sha, path, data)
        with self._write() as con:
            row = con.execute(f"SELECT {self._REGISTRY_COLS} FROM registries WHERE replaced_by IS NULL"
                              ).fetchone()
            if row is not None and row[2] == sha:
                return self._registry_unchanged(self._registry_from_row(row))
            self._write_blob(data, rel)
            reg_id = con.execute("SELECT coalesce(max(id), 0) + 1 FROM registries").fetchone()[0]
            warnings = list(res.warnings)
            resolver = self._resolver(con)
            entries, notes = resolver.resolve(prepared, registry=True, source=source_name)
            warnings.extend(notes)
            if row is not None:
                con.execute("UPDATE registries SET replaced_by = ? WHERE id = ?", (reg_id, row[0]))
                con.execute("DELETE FROM registry_rows WHERE registry_id = ?", (row[0],))
                con.execute("DELETE FROM missing_counts WHERE registry_id = ?", (row[0],))
            con.execute(
                "INSERT INTO registries (id, source_name, sha256, blob, imported_at, rows, skipped, "
                "skipped_json, warnings_json, columns_json, sheet, aliases_json) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (reg_id, source_name, sha, rel, _utc_now(), len(entries), len(skipped_rows),
                 _dumps(skipped_rows), _dumps(warnings), _dumps(res.columns), res.sheet,
                 _dumps(extra_aliases) if extra_aliases else None))
            con.executemany(
                "INSERT INTO registry_rows (registry_id, org_uid, row, name_id, municipality_id, "
                f"region_id, staff_total, kind) VALUES ({reg_id},?,?,?,?,?,?,?)", entries)
            self._count_missing(con, registry_id=reg_id)
            info = self._registry_from_row(con.execute(
                f"SELECT {self._REGISTRY_COLS} FROM registries WHERE id = ?", (reg_id,)).fetchone())
        tail = orgs_phrase(info.rows) + (", " + _rows_skipped_phrase(info.skipped) if info.skipped else "")
        status = "replaced" if row is not None else "imported"
        message = (tr("справочник заменён: {t}", "registry replaced: {t}", t=tail) if row is not None
                   else tr("справочник импортирован: {t}", "registry imported: {t}", t=tail))
        return RegistryOutcome(status, info, message)

    def _registry_unchanged(self, info: RegistryInfo) -> RegistryOutcome:
        return RegistryOutcome("unchanged", info, tr(
            "справочник уже импортирован (тот же файл): {t}",
            "the registry is already imported (same file): {t}", t=orgs_phrase(info.rows)))

    _REGISTRY_FRAME_COLUMNS = ("org_uid", "org_key", "region", "municipality", "org_id",
                               "org_name", "staff_total", "kind", "row")

    def registry_frame(self, *, copy: bool = True) -> "pd.DataFrame":
        """The current registry, one row per organisation, in file order.  Kept in memory until
        the registry or an organisation's key changes; ``copy=False`` returns that kept frame
        itself, for callers that only read it."""
        frame = self._registry_cached()
        return frame.copy() if copy else frame

    def _registry_cached(self) -> "pd.DataFrame":
        rows = self._query("SELECT id FROM registries WHERE replaced_by IS NULL")
        key = (rows[0][0] if rows else 0, self._keys_version() if rows else 0)
        memo = self._registry_memo
        if memo is not None and memo[0] == key:
            return memo[1]
        frame = self._registry_rows("")
        self._registry_memo = (key, frame)
        return frame

    def missing(self, snapshot_id: int, present: "Any" = None) -> "pd.DataFrame":
        """Registry organisations absent from a snapshot (same columns as :meth:`registry_frame`).
        ``present``: the snapshot's org uids when the caller has them already."""
        import numpy as np

        self.snapshot(snapshot_id)
        reg = self._registry_cached()
        if not len(reg):
            return reg.copy()
        if present is None:
            present = np.fromiter((u for (u,) in self._query(
                "SELECT org_uid FROM facts WHERE snapshot_id = ?", (int(snapshot_id),))), dtype=np.int64)
        absent = ~np.isin(reg["org_uid"].to_numpy(dtype=np.int64), np.asarray(present, dtype=np.int64))
        return reg.loc[absent].reset_index(drop=True)

    def week_numbers(self, snapshot_id: int, fields: tuple[str, ...]
                     ) -> "tuple[Any, Any, Any] | None":
        """One week's figures as arrays, ordered by org uid: ``(uids int64, status int8 with
        -1 for none / 0 inactive / 1 active, float [n × len(fields)] with NaN for missing)``,
        read from the column copy without building Python objects.  ``None`` when the snapshot
        has no column copy (the caller reads the facts table)."""
        import numpy as np

        table = self._columns_table(snapshot_id)
        if table is None:
            return None
        uids = table.column("org_uid").to_numpy().astype(np.int64)
        order = np.argsort(uids, kind="stable")
        status = table.column("status").fill_null(-1).to_numpy().astype(np.int8)[order]
        nums = np.empty((len(uids), len(fields)), dtype=float)
        for j, f in enumerate(fields):
            # nulls become NaN in the float conversion
            nums[:, j] = table.column(f).to_numpy(zero_copy_only=False).astype(float)[order]
        return uids[order], status, nums

    def missing_counts(self) -> dict[int, int]:
        """``{snapshot_id: number of registry organisations absent}`` for the current registry
        (empty without a registry)."""
        rows = self._query("SELECT mc.snapshot_id, mc.missing FROM missing_counts mc "
                           "JOIN registries g ON g.id = mc.registry_id WHERE g.replaced_by IS NULL")
        return dict(rows)

    def _registry_rows(self, extra: str, params: tuple = ()) -> "pd.DataFrame":
        rows = self._query(
            "SELECT rr.org_uid, o.key, coalesce(rr.region_id, 0), coalesce(rr.municipality_id, 0), "
            "o.inn, coalesce(rr.name_id, 0), rr.staff_total, rr.kind, rr.row "
            "FROM registry_rows rr JOIN registries g ON g.id = rr.registry_id AND g.replaced_by IS NULL "
            f"JOIN orgs o ON o.uid = rr.org_uid WHERE 1 {extra} ORDER BY rr.row", params)
        return _facts_frame(rows, self._REGISTRY_FRAME_COLUMNS, self._texts())

    def _count_missing(self, con: sqlite3.Connection, *, registry_id: int | None = None,
                       snapshot_ids: list[int] | None = None) -> None:
        if registry_id is None:
            row = con.execute("SELECT id FROM registries WHERE replaced_by IS NULL").fetchone()
            if row is None:
                return
            registry_id = row[0]
        if snapshot_ids is None:
            snapshot_ids = [r[0] for r in con.execute(
                "SELECT id FROM snapshots WHERE superseded_by IS NULL")]
        total = con.execute("SELECT count(*) FROM registry_rows WHERE registry_id = ?",
                            (registry_id,)).fetchone()[0]
        for sid in snapshot_ids:
            present = con.execute(
                "SELECT count(*) FROM registry_rows rr WHERE rr.registry_id = ? AND EXISTS "
                "(SELECT 1 FROM facts f WHERE f.snapshot_id = ? AND f.org_uid = rr.org_uid)",
                (registry_id, sid)).fetchone()[0]
            con.execute("INSERT OR REPLACE INTO missing_counts VALUES (?,?,?)",
                        (registry_id, sid, total - present))

    # -- maintenance ---------------------------------------------------------------------------

    def integrity_check(self) -> str:
        """``"ok"`` when SQLite finds the file sound."""
        rows = self._query("PRAGMA integrity_check")
        return "; ".join(r[0] for r in rows) if rows else "ok"

    def stats(self) -> dict[str, int]:
        """Row counts of the main tables and the size of the database file in bytes."""
        out = {t: (self._query(f"SELECT count(*) FROM {t}") or [(0,)])[0][0]
               for t in ("snapshots", "orgs", "facts", "registry_rows")}
        out["db_bytes"] = self.db_path.stat().st_size if self.db_path.exists() else 0
        return out


# --------------------------------------------------------------------------------------------
# Identity resolution inside a write transaction
# --------------------------------------------------------------------------------------------

class _Lookup:
    """``id → text`` of an intern table (org_names, municipalities, regions).

    Those tables are append-only, so a per-Store cache is extended with ``WHERE id > last``
    and never goes stale. Ids written by a transaction that may still roll back are never put
    here (the resolver keeps them to itself).
    """

    def __init__(self, table: str):
        self.table = table
        self.by_id: list[str | None] = [None]   # index 0: missing
        self.by_text: dict[str, int] = {}
        self._array = None
        self._lock = threading.Lock()

    def refresh(self, con: sqlite3.Connection) -> "_Lookup":
        with self._lock:
            rows = con.execute(f"SELECT id, name FROM {self.table} WHERE id > ? ORDER BY id",
                               (len(self.by_id) - 1,)).fetchall()
            if rows:
                by_id = self.by_id
                for i, name in rows:
                    while len(by_id) < i:      # a gap (never expected): keep indexes aligned
                        by_id.append(None)
                    by_id.append(name)
                    self.by_text[name] = i
                self._array = None
        return self

    def array(self):
        import numpy as np

        with self._lock:
            if self._array is None or len(self._array) != len(self.by_id):
                arr = np.empty(len(self.by_id), dtype=object)
                arr[:] = self.by_id
                self._array = arr
            return self._array


class _Resolver:
    """Maps prepared rows to organisation uids, creating organisations and name keys as needed.

    Works on in-memory maps loaded once per import (fast at country scale) and writes the new
    organisations, keys and interned texts back before returning.
    """

    def __init__(self, con: sqlite3.Connection, lookups: dict[str, _Lookup]):
        self.con = con
        self.lookups = {t: lk.refresh(con) for t, lk in lookups.items()}
        self.inn_to_uid: dict[str, int] = {}
        self.uid_inn: dict[int, str] = {}
        self.spelling: dict[int, tuple] = {}
        self.org_key: dict[int, str] = {}
        for uid, key, inn, n, m, r in con.execute(
                "SELECT uid, key, inn, name_id, municipality_id, region_id FROM orgs"):
            self.spelling[uid] = (n, m, r)
            self.org_key[uid] = key
            if inn is not None:
                self.inn_to_uid[inn] = uid
                self.uid_inn[uid] = inn
        self.keys: dict[str, int | None] = {}     # name keys looked up so far (None: absent)
        self.has_region: dict[int, bool] = {}     # uid → has a key with region
        self.next_uid = con.execute("SELECT coalesce(max(uid), 0) + 1 FROM orgs").fetchone()[0]
        self.new_orgs: list[tuple] = []          # (uid, key, inn)
        self.new_keys: list[tuple[str, int]] = []
        self.inn_attached: list[tuple[str, str, int]] = []
        self.new_spellings: list[tuple[int, int]] = []
        self.texts: list[tuple] = []   # after resolve(): (region, municipality, name, key, ИНН) per row

    # name keys, looked up lazily (a steady weekly file with ИНН needs none) ------------------

    def _prefetch(self, keys: set[str]) -> None:
        wanted = [k for k in keys if k is not None and k not in self.keys]
        for i in range(0, len(wanted), 500):
            chunk = wanted[i:i + 500]
            for k in chunk:
                self.keys[k] = None
            marks = ",".join("?" * len(chunk))
            self.keys.update(self.con.execute(
                f"SELECT key, org_uid FROM org_keys WHERE key IN ({marks})", chunk))

    def _key(self, key: str) -> int | None:
        if key not in self.keys:
            self._prefetch({key})
        return self.keys[key]

    def _region_keyed(self, uid: int) -> bool:
        hit = self.has_region.get(uid)
        if hit is None:
            hit = self.con.execute(
                "SELECT EXISTS (SELECT 1 FROM org_keys WHERE org_uid = ? AND key LIKE 'r:%')",
                (uid,)).fetchone()[0] == 1
            self.has_region[uid] = hit
        return hit

    # interning ------------------------------------------------------------------------------

    def _intern(self, table: str, values: set) -> dict[str, int]:
        """``text → id`` for every value, inserting the new ones (ids local to this transaction)."""
        known = self.lookups[table].by_text
        out = {v: known[v] for v in values if v is not None and v in known}
        new = sorted(v for v in values if v is not None and v not in known)
        if new:
            start = self.con.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}").fetchone()[0]
            rows = [(start + i, v) for i, v in enumerate(new)]
            self.con.executemany(f"INSERT INTO {table} (id, name) VALUES (?, ?)", rows)
            out.update((v, i) for i, v in rows)
        return out

    # resolution -----------------------------------------------------------------------------

    def _by_name(self, key_r: str | None, key_m: str | None) -> int | None:
        if key_r is not None:
            uid = self._key(key_r)
            if uid is not None:
                return uid
        if key_m is None:
            return None
        uid = self._key(key_m)
        if uid is not None and (key_r is None or not self._region_keyed(uid)):
            return uid
        return None

    def _new_org(self, key: str, inn: str | None) -> int:
        uid = self.next_uid
        self.next_uid += 1
        self.new_orgs.append((uid, key, inn))
        if inn:
            self.inn_to_uid[inn] = uid
            self.uid_inn[uid] = inn
        return uid

    def _note_spelling(self, uid: int, p: _Prepared) -> None:
        if p.ids[0] is not None:
            self.new_spellings.append((p.ids[0], uid))

    def _map_keys(self, uid: int, key_r: str | None, key_m: str | None) -> None:
        for k in (key_r, key_m):
            if k is not None and self._key(k) is None:
                self.keys[k] = uid
                self.new_keys.append((k, uid))
                if k.startswith("r:"):
                    self.has_region[uid] = True

    def resolve(self, prepared: list[_Prepared], *, registry: bool,
                source: str = "") -> tuple[list[tuple], list[str]]:
        """Returns the rows to insert (facts or registry rows, without the snapshot id) and
        notes about duplicates for the snapshot's warnings."""
        names = self._intern("org_names", {p.name for p in prepared})
        munis = self._intern("municipalities", {p.municipality for p in prepared})
        regions = self._intern("regions", {p.region for p in prepared})
        for p in prepared:
            p.ids = (names.get(p.name), munis.get(p.municipality), regions.get(p.region))

        # the name keys this file needs, fetched in a few queries
        self._prefetch({k for p in prepared
                        if not p.inn or p.inn not in self.inn_to_uid
                        or self.spelling.get(self.inn_to_uid[p.inn]) != p.ids
                        for k in p.keys})
        notes: list[str] = []
        used: dict[int, int] = {}     # uid → row that took it in this file
        assigned: list[tuple[_Prepared, int]] = []
        # ИНН rows first, so a row known only by name cannot take an organisation that the same
        # file names by its ИНН further down.
        for p in prepared:
            if not p.inn:
                continue
            uid = self.inn_to_uid.get(p.inn)
            if uid is None:
                cand = self._by_name(*p.keys)
                if cand is not None and cand not in self.uid_inn and cand not in used:
                    uid = cand                       # a name-only organisation gets its ИНН
                    self.uid_inn[uid] = p.inn
                    self.inn_to_uid[p.inn] = uid
                    self.inn_attached.append((p.inn, identity.inn_key(p.inn), uid))
                else:
                    uid = self._new_org(identity.inn_key(p.inn), p.inn)
            if uid in used:
                if not registry:
                    raise InputFileError(tr(
                        "{f}: строки {a} и {b}: один и тот же ИНН {i}",
                        "{f}: rows {a} and {b}: the same ИНН {i}",
                        f=source, a=used[uid], b=p.row, i=p.inn),
                        source=source, row=p.row, column="org_id")
                notes.append(tr("строка {b}: ИНН {i} уже был в строке {a}; строка пропущена",
                                "row {b}: ИНН {i} already in row {a}; row skipped",
                                a=used[uid], b=p.row, i=p.inn))
                continue
            if self.spelling.get(uid) != p.ids:     # a spelling not keyed yet (cheap check first)
                self._map_keys(uid, *p.keys)
                self._note_spelling(uid, p)
            used[uid] = p.row
            assigned.append((p, uid))
        for p in prepared:
            if p.inn:
                continue
            key_r, key_m = p.keys
            uid = self._by_name(key_r, key_m)
            n = 1
            while uid is not None and uid in used:
                # a second organisation of the same name in one municipality in one file:
                # keep it apart, under a numbered key that the next week's file will match again
                n += 1
                key_r = f"{p.keys[0]}#{n}" if p.keys[0] else None
                key_m = f"{p.keys[1]}#{n}"
                uid = self._by_name(key_r, key_m)
            if n > 1:
                notes.append(tr("строка {b}: организация «{o}» уже была в строке {a}; учтена как отдельная",
                                "row {b}: organisation “{o}” already in row {a}; kept as a separate one",
                                b=p.row, o=p.name, a=_first_row_named(assigned, p.keys[1])))
            if uid is None:
                uid = self._new_org(identity.display_key_of(key_r, key_m), None)
            self._map_keys(uid, key_r, key_m)
            if self.spelling.get(uid) != p.ids:
                self._note_spelling(uid, p)
            used[uid] = p.row
            assigned.append((p, uid))

        self._flush(assigned)
        assigned.sort(key=lambda a: a[0].row)
        out = [(uid, p.row, *p.ids, *p.values) for p, uid in assigned]
        self.texts = [(p.region, p.municipality, p.name, self.org_key[uid], self.uid_inn.get(uid))
                      for p, uid in assigned]
        return out, notes

    def _flush(self, assigned) -> None:
        con = self.con
        if self.inn_attached:
            version = _bump(con, "keys_version")
            con.executemany("UPDATE orgs SET inn = ?, key = ?, key_version = ? WHERE uid = ?",
                            [(inn, key, version, uid) for inn, key, uid in self.inn_attached])
            for inn, key, uid in self.inn_attached:
                self.org_key[uid] = key
        if self.new_orgs:
            wanted = [key for _, key, _ in self.new_orgs]
            taken = set()
            for i in range(0, len(wanted), 500):
                chunk = wanted[i:i + 500]
                taken.update(k for (k,) in con.execute(
                    f"SELECT key FROM orgs WHERE key IN ({','.join('?' * len(chunk))})", chunk))
            renamed = []
            for uid, key, inn in self.new_orgs:
                if key in taken:        # never expected; keep the key unique all the same
                    key = f"{key}#{uid}"
                taken.add(key)
                renamed.append((uid, key, inn))
            self.new_orgs = renamed
            self.org_key.update((uid, key) for uid, key, _ in renamed)
            first = {}
            for p, uid in assigned:
                first.setdefault(uid, p)
            now = _utc_now()
            con.executemany(
                "INSERT INTO orgs (uid, key, inn, name_id, municipality_id, region_id, created_at) "
                "VALUES (?,?,?,?,?,?,?)",
                [(uid, key, inn, *first[uid].ids, now) for uid, key, inn in self.new_orgs])
        if self.new_keys:
            con.executemany("INSERT INTO org_keys (key, org_uid) VALUES (?,?)", self.new_keys)
        if self.new_spellings:
            con.executemany("INSERT OR IGNORE INTO org_spellings (name_id, org_uid) VALUES (?,?)",
                            self.new_spellings)
        self.new_orgs, self.new_keys, self.inn_attached, self.new_spellings = [], [], [], []


def _first_row_named(assigned, key_m) -> int | str:
    for p, _ in assigned:
        if p.keys[1] == key_m:
            return p.row
    return "?"


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------

def _facts_frame(rows: list[tuple], columns: tuple[str, ...],
                 texts: dict[str, _Lookup] | None = None) -> "pd.DataFrame":
    """A DataFrame of fact-shaped rows: counts as nullable ``Int64``, share as float, status as
    text, ``org_uid``/``row`` as int64, interned ids (columns in ``texts``) turned back into
    text, ISO dates into ``date``; empty input keeps the columns."""
    import numpy as np
    import pandas as pd

    n = len(rows)
    cols = list(zip(*rows)) if rows else [() for _ in columns]
    texts = texts or {}
    data: dict[str, Any] = {}
    for name, values in zip(columns, cols):
        if name in texts:
            ids = np.fromiter(values, dtype=np.int64, count=n)
            data[name] = pd.Series(texts[name].array()[ids], dtype=object)
        elif name == "status":
            codes = np.array([-1 if v is None else v for v in values], dtype=np.int64)
            data[name] = pd.Series(np.array([STATUS_INACTIVE, STATUS_ACTIVE, None], dtype=object)[codes],
                                   dtype=object)
        elif name in COUNT_FIELDS:
            data[name] = pd.array(values, dtype="Int64")
        elif name == "teachers_active_share":
            data[name] = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
        elif name in ("org_uid", "row", "snapshot_id"):
            data[name] = np.fromiter(values, dtype=np.int64, count=n)
        elif name in ("first_seen", "last_seen"):
            data[name] = pd.Series([_date_or_none(v) for v in values], dtype=object)
        else:
            data[name] = pd.Series(values, dtype=object)
    return pd.DataFrame(data, columns=list(columns))


_COLUMNS_FORMAT = b"sferum-week-2"


def _compressible(data: bytes) -> bool:
    """Text (CSV) copies are worth compressing; xlsx/ods (zip) and xls (OLE) already are."""
    return not data.startswith((b"PK\x03\x04", b"PK\x05\x06", b"\xd0\xcf\x11\xe0"))


def _columns_blob(facts: list[tuple], texts: list[tuple], keys_version: int) -> bytes:
    """One snapshot as a zstd-compressed Arrow IPC stream: the week exactly as
    :meth:`Store.week_frame` returns it. ``facts`` are the rows of the facts table (without the
    snapshot id), ``texts`` the matching (region, municipality, name, key, ИНН)."""
    import pyarrow as pa

    n_fact = 6 + len(COUNT_FIELDS)
    fcols = list(zip(*facts)) if facts else [() for _ in range(n_fact)]
    tcols = list(zip(*texts)) if texts else [() for _ in range(5)]
    region, muni, name, key, inn = tcols
    arrays = {
        "org_uid": pa.array(fcols[0], type=pa.int32()),
        "org_key": pa.array(key, type=pa.string()),
        "region": pa.array(region, type=pa.string()).dictionary_encode(),
        "municipality": pa.array(muni, type=pa.string()).dictionary_encode(),
        "org_id": pa.array(inn, type=pa.string()),
        "org_name": pa.array(name, type=pa.string()),
        "status": pa.array(fcols[5], type=pa.int8()),
    }
    for i, field_name in enumerate(COUNT_FIELDS):
        arrays[field_name] = pa.array(fcols[6 + i], type=pa.int64())
    arrays["teachers_active_share"] = pa.array(fcols[6 + len(COUNT_FIELDS)], type=pa.float64())
    arrays["row"] = pa.array(fcols[1], type=pa.int32())
    table = pa.table(arrays).replace_schema_metadata(
        {"format": _COLUMNS_FORMAT, "keys_version": str(keys_version)})
    sink = pa.BufferOutputStream()
    codec = "zstd" if pa.Codec.is_available("zstd") else None
    with pa.ipc.new_stream(sink, table.schema,
                           options=pa.ipc.IpcWriteOptions(compression=codec)) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _rebuild_columns(con: sqlite3.Connection, snap_id: int) -> None:
    """(Re)write the column copy of one snapshot from the facts table."""
    rows = con.execute(
        "SELECT f.org_uid, f.row, f.name_id, f.municipality_id, f.region_id, f.status, "
        + ", ".join(f"f.{c}" for c in COUNT_FIELDS) + ", f.teachers_active_share, "
        "r.name, m.name, n.name, o.key, o.inn "
        "FROM facts f JOIN orgs o ON o.uid = f.org_uid "
        "LEFT JOIN org_names n ON n.id = f.name_id "
        "LEFT JOIN municipalities m ON m.id = f.municipality_id "
        "LEFT JOIN regions r ON r.id = f.region_id "
        "WHERE f.snapshot_id = ? ORDER BY f.row", (snap_id,)).fetchall()
    n_fact = 7 + len(COUNT_FIELDS)
    blob = _columns_blob([r[:n_fact] for r in rows], [r[n_fact:] for r in rows],
                         _meta(con, "keys_version"))
    con.execute("INSERT OR REPLACE INTO snapshot_columns (snapshot_id, data) VALUES (?, ?)",
                (snap_id, blob))


def _strings(col) -> "Any":
    """An Arrow (dictionary) string column as a numpy object array (None for null)."""
    import numpy as np
    import pyarrow as pa

    if pa.types.is_dictionary(col.type):
        col = col.combine_chunks() if hasattr(col, "combine_chunks") else col
        dictionary = np.array(col.dictionary.to_pylist() + [None], dtype=object)
        idx = col.indices.fill_null(len(dictionary) - 1).to_numpy().astype(np.int64)
        return dictionary[idx]
    return col.to_numpy(zero_copy_only=False)


def _meta(con: sqlite3.Connection, key: str) -> int:
    row = con.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return int(row[0]) if row else 0


def _bump(con: sqlite3.Connection, key: str) -> int:
    con.execute("INSERT INTO meta (key, value) VALUES (?, 1) "
                "ON CONFLICT (key) DO UPDATE SET value = value + 1", (key,))
    return _meta(con, key)


def _date_or_none(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _fold_ci(text: str) -> str:
    return str(text).casefold().replace("ё", "е")


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _split_sql(script: str) -> list[str]:
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


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def _remove_stale_temps(folder: Path) -> None:
    """Temp files of imports killed before their rename; anything this old is nobody's."""
    cutoff = time.time() - STALE_TMP_S
    for tmp in folder.glob(".tmp-*.part"):
        try:
            if tmp.stat().st_mtime < cutoff:
                tmp.unlink()
        except OSError:
            pass
