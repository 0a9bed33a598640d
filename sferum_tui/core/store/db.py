"""The durable, week-by-week history: one SQLite file (``store.sqlite``) plus the original files.

Layout of the data folder (``Store(home)``; see also ``docs/store.md``)::

    home/store.sqlite            WAL mode; schema version in PRAGMA user_version (schema.py)
    home/blobs/ab/abcdef….xlsx   every imported file, content-addressed by its sha256 (blobs.py)

One weekly file is one *snapshot*. Every import runs in one ``BEGIN IMMEDIATE`` transaction
(parsing happens before it), so a second process waits for the first, and a process killed
midway leaves the store as it was. Organisations get a stable ``uid`` across weeks (ИНН, else
normalised name + municipality: ``resolver.py``, ``identity.py``).

The facts table is compact on purpose (country scale is 40,000 organisations × 150 weeks): one
``WITHOUT ROWID`` row of small integers per organisation and week; names, municipalities and
regions are interned in their own tables; each week is also kept as an Arrow column copy
(``columns.py``).

This module holds the :class:`Store` itself: its connections (read-write, or read-only when the
account cannot write the data folder, see :meth:`Store._open_read_only`), the imports and the
queries.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sferum_tui.core.errors import InputFileError, StoreError
from sferum_tui.core.fields import (
    COUNT_FIELDS,
    ROW_FIELDS,
    STATUS_ACTIVE,
    STATUS_INACTIVE,
)
from sferum_tui.core.store import blobs, columns, schema
from sferum_tui.core.store.blobs import BLOB_DIR, STALE_TMP_S  # noqa: F401 - long-standing names
from sferum_tui.core.store.formatting import (
    format_int,
    format_period,
    orgs_phrase,
    rows_skipped_phrase,
)
from sferum_tui.core.store.resolver import Lookup, PreparedRows, Resolver, prepare, utc_now
from sferum_tui.core.store.schema import MIGRATIONS, SCHEMA_VERSION  # noqa: F401 - re-exported
from sferum_tui.core.text import clean_text, fold
from sferum_tui.i18n import tr

if TYPE_CHECKING:  # pandas is imported lazily: start-up has a budget
    import pandas as pd

__all__ = [
    "Store", "SnapshotInfo", "SnapshotFile", "WeekFile", "ImportOutcome", "RegistryInfo", "RegistryOutcome",
    "SCHEMA_VERSION", "format_period", "format_int", "orgs_phrase",
]

DB_NAME = "store.sqlite"
BUSY_TIMEOUT_S = 60.0
FACT_CHUNK = 5000

# prepare() spells the count fields out (speed); this guards the order against fields.py changing
assert COUNT_FIELDS == ("users_total", "staff_total", "teachers", "students", "parents",
                        "classes", "chats", "teachers_active")
_STATUS_TEXT = {1: STATUS_ACTIVE, 0: STATUS_INACTIVE}


# --------------------------------------------------------------------------------------------
# Public records
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SnapshotFile:
    """One file a snapshot was built from (a week may come from several: ``import --add``)."""
    seq: int
    source_name: str
    sha256: str
    blob_path: Path
    sheet: str | None
    rows: int                   # organisations of the snapshot taken from this file
    skipped: int
    added_at: str


@dataclass(frozen=True)
class SnapshotInfo:
    """One imported week. ``source_name``, ``sha256``, ``blob_path`` and ``sheet`` are those of
    the week's first file (for a week fetched from a source: the source's name, as before);
    ``files`` lists every file of the week, in the order they were added."""
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
    files: tuple[SnapshotFile, ...] = ()

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
    # a workbook of a sheet per week: each week's outcome (``snapshot`` is the latest week's)
    # and one line per sheet skipped
    weeks: tuple["ImportOutcome", ...] = ()
    notes: tuple[str, ...] = ()


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



@dataclass
class WeekFile:
    """One weekly file read for a merge (:meth:`Store.read_week_file`), before any transaction;
    ``period`` is the reporting week it holds."""
    name: str
    data: bytes
    sha: str
    rel: str
    res: Any
    prepared: PreparedRows
    skipped_rows: list[dict]
    seq: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def period(self) -> tuple[date, date]:
        return self.res.period.start, self.res.period.end



def _parse_day(day: str | date) -> date:
    if isinstance(day, date):
        return day
    try:
        return date.fromisoformat(str(day).strip())
    except ValueError:
        raise StoreError(tr("ожидается дата ГГГГ-ММ-ДД, получено «{v}»",
                            "expected a date YYYY-MM-DD, got “{v}”", v=day)) from None


def _read_bytes(path: Path, limits=None) -> bytes:
    """The file's bytes through the reader's input guard: a regular file within the config's
    ``[limits]`` (a FIFO or /dev/zero is refused before it is read)."""
    from sferum_tui.core.ingest.guard import read_input
    from sferum_tui.core.ingest.limits import DEFAULT_LIMITS

    return read_input(path, limits or DEFAULT_LIMITS)


def _changed_while_read(source_name: str, path: Path) -> InputFileError:
    return InputFileError(tr("{f}: файл изменился во время чтения; повторите импорт",
                             "{f}: the file changed while it was read; import it again",
                             f=source_name), source=str(path))


IMPORT_PAGE_CACHE_KB = 2048
COLUMNS_WAIT_S = 0.5
"""How long a reader waits for the write lock to store a week's column copy (then it reads the
facts, and the next reader tries again)."""


@contextlib.contextmanager
def _import_page_cache(con) -> Iterator[None]:
    """SQLite's page cache at IMPORT_PAGE_CACHE_KB while an import writes a week (restored
    after): an import writes far more pages than it reads back, and the 16 MB of the
    connection's cache filled with them was 3-4 MiB of the import's peak (issue 10); no slower
    for a national week.  Other back ends (PostgreSQL) are left as they are."""
    if not isinstance(con, sqlite3.Connection):
        yield
        return
    before = con.execute("PRAGMA cache_size").fetchone()[0]
    con.execute(f"PRAGMA cache_size = -{IMPORT_PAGE_CACHE_KB}")
    try:
        yield
    finally:
        with contextlib.suppress(sqlite3.Error):    # never hide the import's own error
            con.execute(f"PRAGMA cache_size = {int(before)}")


# --------------------------------------------------------------------------------------------
# The store
# --------------------------------------------------------------------------------------------


class Store:
    """The history of weekly snapshots in ``home`` (created on the first write).

    Safe to use from several threads (one SQLite connection per thread) and from several
    processes (SQLite locking; writers wait up to ``BUSY_TIMEOUT_S``).

    When this account cannot write the data folder (or the store file), the store is
    :attr:`read_only`: every read works, every write is refused with one line.
    """

    def __init__(self, home: str | os.PathLike):
        self.home = Path(home)
        self.db_path = self.home / DB_NAME
        self.blob_dir = self.home / BLOB_DIR
        self.personal_lists: Path | None = None
        """The user's own lists file when the store is shared (``shortlists.attach_personal``);
        None: the lists live in the store (one user)."""
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._lookups = {t: Lookup(t) for t in ("org_names", "municipalities", "regions")}
        # the current registry as a frame, keyed by (registry id, keys_version): registry rows
        # never change under an id (a new file gets a new id), only orgs' keys can
        self._registry_memo: tuple[tuple[int, int], "pd.DataFrame"] | None = None
        self._columns_memo: list[tuple[int, Any]] = []
        self._tables: set[str] = set()    # tables seen to exist (a table is never dropped)

    #: The driver's errors that become one-line ``StoreError``s (``_db_error``).
    errors: tuple[type[BaseException], ...] = (sqlite3.DatabaseError,)

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
                except Exception:  # pragma: no cover
                    pass
            self._connections.clear()
        self._local = threading.local()

    def exists(self) -> bool:
        return self.db_path.exists()

    def check(self) -> None:
        """Open the store once (when it exists) and close it again: a file that is not a
        store (empty, garbage, another program's database, a newer schema) is refused with one
        line naming it, and is never replaced by a new empty store."""
        try:
            self.read_connection()
        finally:
            self.close()

    @property
    def read_only(self) -> bool:
        """True when this account cannot write the data folder or the store file (a read-only
        mount, ``chmod a-w``, a folder of another account): reads work, writes are refused."""
        home = self.home
        if not home.exists():
            return False            # nothing to read; a write says why it cannot create it
        if not os.access(home, os.W_OK | os.X_OK):
            return True
        return self.db_path.exists() and not os.access(self.db_path, os.W_OK)

    def read_only_message(self) -> str:
        return tr("хранилище {p} доступно только для чтения (нет права записи в папку данных); "
                  "изменить его нельзя",
                  "the store {p} is read-only (no write permission on the data folder); "
                  "it cannot be changed", p=self.home)

    def require_writable(self) -> None:
        """Raise the one-line ``StoreError`` of a read-only store (commands that would write call
        it before they start)."""
        if self.read_only:
            raise StoreError(self.read_only_message())

    def _connection(self, *, write: bool) -> sqlite3.Connection | None:
        local = self._local
        con = getattr(local, "con", None)
        if con is not None:
            if write and local.mode != "rw":
                raise StoreError(self.read_only_message())
            if local.mode != "immutable" or local.stamp == self._immutable_stamp():
                return con
            # a writer (another account) has the store open now, or has changed it since:
            # open again (through its WAL while it is open), never read stale pages
            self._forget(con)
        if write:
            self.require_writable()
        if not self.db_path.exists():
            if not write:
                return None
            self._create()
        schema.check_file(self.db_path)
        con, mode = None, "rw"
        try:
            if self.read_only:
                con, mode = self._open_read_only()
            else:
                # each thread uses only its own connection; check_same_thread=False lets close()
                # (from whichever thread) close them all
                con = self._connect(self.db_path)
                schema.check_store(con, self.db_path)
                if con.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                    con.execute("PRAGMA journal_mode = WAL")
                con.execute("PRAGMA synchronous = FULL")
                schema.migrate(con, self.db_path)
        except BaseException as exc:
            if con is not None:
                con.close()
            if isinstance(exc, sqlite3.DatabaseError):
                raise self._db_error(exc) from exc
            raise
        local.con, local.mode = con, mode
        local.stamp = self._immutable_stamp() if mode == "immutable" else None
        with self._lock:
            self._connections.append(con)
        return con

    def _connect(self, target: str | Path, *, uri: bool = False) -> sqlite3.Connection:
        con = sqlite3.connect(target, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                              check_same_thread=False, uri=uri)
        con.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        # 16 MB: the index pages the queries probe fit; week copies are read once each (the
        # console keeps its own week tables), and 64 MB of them grew a console session's
        # peak past its 400 MB (issue 13)
        con.execute("PRAGMA cache_size = -16384")
        con.execute("PRAGMA temp_store = MEMORY")
        return con

    def _forget(self, con: sqlite3.Connection) -> None:
        with self._lock:
            if con in self._connections:
                self._connections.remove(con)
        con.close()
        self._local.con = None

    def _immutable_stamp(self) -> tuple | None:
        """What tells an ``immutable=1`` connection that it must be opened again: the store
        file's identity, size and time of change, and whether a ``-shm`` exists (a process has
        the store open).  One or two ``stat`` calls per query, on a read-only store only."""
        try:
            st = os.stat(self.db_path)
        except OSError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns, os.path.exists(str(self.db_path) + "-shm"))

    def _open_read_only(self) -> tuple[sqlite3.Connection, str]:
        """A connection for an account that cannot write the data folder.

        ``mode=ro`` first: it reads through the WAL, so weeks another account imports appear at
        the next query. It needs the ``-shm`` file, which SQLite cannot create in a read-only
        folder; the file exists whenever some process has the store open (and SQLite makes it
        readable wherever the store file is). When it does not exist, no process has the store
        open and everything committed is in the main file, so it is opened ``immutable=1`` (no
        locks, no ``-shm``). Should a writer (another account) open the store later, its
        ``-shm`` appears, and the next query reopens with ``mode=ro`` (see :meth:`_connection`).
        A ``-wal`` holding commits that only its owner can apply (a writer killed, its ``-shm``
        gone) is refused rather than read past.
        """
        base = self.db_path.resolve().as_uri()
        con = None
        try:
            # the first statement reads the schema, which is where a missing -shm shows:
            # SQLITE_READONLY_CANTINIT ("attempt to write a readonly database") or CANTOPEN
            con = self._connect(base + "?mode=ro", uri=True)
            schema.check_readable(con, self.db_path)
            return con, "ro"
        except sqlite3.OperationalError as exc:
            if con is not None:
                con.close()
            if "unable to open" not in str(exc) and "readonly" not in str(exc):
                raise
        except BaseException:
            if con is not None:
                con.close()
            raise
        wal = Path(str(self.db_path) + "-wal")
        if wal.exists() and wal.stat().st_size > 0:
            raise StoreError(tr(
                "хранилище {p} доступно только для чтения, а его журнал {w} не применён; "
                "выполните любую команду от имени владельца папки",
                "the store {p} is read-only and its journal {w} has not been applied; "
                "run any command as the owner of the folder", p=self.db_path, w=wal.name))
        con = self._connect(base + "?immutable=1", uri=True)
        try:
            schema.check_readable(con, self.db_path)
        except BaseException:
            con.close()
            raise
        return con, "immutable"

    def _create(self) -> None:
        """Make a new store file atomically: built complete under a temporary name, then linked
        into place, so ``store.sqlite`` never exists half-made (an empty one is refused)."""
        try:
            self.home.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(tr("не удаётся создать папку данных {p}: {e}",
                                "cannot create the data folder {p}: {e}",
                                p=self.home, e=exc.strerror or exc)) from exc
        for stale in self.home.glob(".store-new-*.sqlite*"):   # a creation killed midway
            with contextlib.suppress(OSError):
                if stale.stat().st_mtime < time.time() - blobs.STALE_TMP_S:
                    stale.unlink()
        tmp = self.home / f".store-new-{os.getpid()}-{secrets.token_hex(4)}.sqlite"
        try:
            con = sqlite3.connect(tmp, isolation_level=None)
            try:
                con.execute("PRAGMA journal_mode = WAL")
                schema.migrate(con, self.db_path)
            finally:
                con.close()
            try:
                os.link(tmp, self.db_path)
            except FileExistsError:
                pass                    # another process made it first: that one is used
            except OSError:             # no hard links on this file system
                if not self.db_path.exists():
                    os.replace(tmp, self.db_path)
        except sqlite3.DatabaseError as exc:
            raise self._db_error(exc) from exc
        except OSError as exc:
            raise StoreError(tr("не удаётся создать хранилище {p}: {e}",
                                "cannot create the store {p}: {e}",
                                p=self.db_path, e=exc.strerror or exc)) from exc
        finally:
            for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm"), Path(f"{tmp}-journal")):
                try:
                    leftover.unlink()
                except OSError:
                    pass

    def _db_error(self, exc: BaseException) -> StoreError:
        text = str(exc)
        if "locked" in text or "busy" in text:
            return StoreError(tr("хранилище {p} занято другим процессом дольше {s} с; повторите позже",
                                 "the store {p} was busy in another process for over {s} s; try again later",
                                 p=self.db_path, s=int(BUSY_TIMEOUT_S)))
        if "readonly" in text or "read-only" in text:
            return StoreError(self.read_only_message())
        if "not a database" in text or "malformed" in text:
            return StoreError(tr(
                "{p}: файл хранилища повреждён ({e}); он не будет заменён — восстановите его из "
                "резервной копии",
                "{p}: the store file is damaged ({e}); it will not be replaced — restore it from "
                "a backup", p=self.db_path, e=text))
        return StoreError(tr("ошибка хранилища {p}: {e}", "store error in {p}: {e}",
                             p=self.db_path, e=text))

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE``: writers queue up, readers go on)."""
        con = self._connection(write=True)
        assert con is not None
        try:
            self._begin(con)
        except self.errors as exc:
            with contextlib.suppress(*self.errors):
                if con.in_transaction:
                    con.execute("ROLLBACK")
            raise self._db_error(exc) from exc
        try:
            yield con
        except BaseException as exc:
            with contextlib.suppress(*self.errors):
                if con.in_transaction:
                    con.execute("ROLLBACK")
            if isinstance(exc, self.errors):
                raise self._db_error(exc) from exc
            raise
        else:
            try:
                con.execute("COMMIT")
            except self.errors as exc:
                if con.in_transaction:
                    con.execute("ROLLBACK")
                raise self._db_error(exc) from exc

    def _begin(self, con: Any) -> None:
        """Start a write transaction on ``con`` (SQLite: ``BEGIN IMMEDIATE`` takes the write
        lock, waiting up to ``BUSY_TIMEOUT_S`` for another writer)."""
        con.execute("BEGIN IMMEDIATE")

    def _query(self, sql: str, params: Iterable[Any] = ()) -> list[tuple]:
        con = self._connection(write=False)
        if con is None:
            return []
        try:
            return con.execute(sql, tuple(params)).fetchall()
        except self.errors as exc:
            raise self._db_error(exc) from exc

    # -- for core modules that keep their own tables in the store --------------------------
    # (shortlists, the indicators' flag cache; their tables are declared in schema.py): the
    # same connections, transactions and error messages as the store's own code, without
    # reaching into its private helpers.

    def query(self, sql: str, params: Iterable[Any] = ()) -> list[tuple]:
        """All rows of a read query on this thread's connection; ``[]`` before the store
        exists.  SQLite errors become one-line ``StoreError``s."""
        return self._query(sql, params)

    def read_connection(self) -> sqlite3.Connection | None:
        """This thread's connection for reading, or ``None`` before the store exists."""
        return self._connection(write=False)

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        """``with store.transaction() as con:`` — one write transaction (``BEGIN IMMEDIATE``),
        committed at the end of the block, rolled back on any exception.  A read-only store
        refuses with one line (``StoreError``)."""
        return self._write()

    def error(self, exc: BaseException) -> StoreError:
        """The one-line ``StoreError`` for a database error met while using :meth:`query`'s
        connection directly."""
        return self._db_error(exc)

    def has_table(self, name: str) -> bool:
        """True when the store's database has the table ``name`` (False before it exists)."""
        if name in self._tables:
            return True
        con = self._connection(write=False)
        if con is None:
            return False
        try:
            found = bool(schema.has_table(con, name))
        except self.errors as exc:
            raise self._db_error(exc) from exc
        if found:
            self._tables.add(name)
        return found

    @contextmanager
    def cache_transaction(self, timeout_s: float) -> Iterator[Any]:
        """A best-effort write transaction for caches (the indicators' flag cache): a connection
        of its own with a short busy timeout, or None when the store is read-only, not made yet
        or busy now (the cache is simply filled again next time).  Errors inside roll back and
        are swallowed, since nothing but a cache depends on it."""
        con = None
        try:
            if not self.read_only and self.db_path.exists():
                con = sqlite3.connect(self.db_path, timeout=timeout_s, isolation_level=None)
                con.execute(f"PRAGMA busy_timeout = {int(timeout_s * 1000)}")
                con.execute("BEGIN IMMEDIATE")
        except sqlite3.Error:
            if con is not None:
                con.close()
            con = None
        if con is None:
            yield None
            return
        try:
            yield con
            con.execute("COMMIT")
        except sqlite3.Error:
            with contextlib.suppress(sqlite3.Error):
                con.execute("ROLLBACK")
        finally:
            con.close()

    def signature(self) -> tuple:
        """A cheap identity of the store's contents, polled by the console to notice weeks
        imported by another process: the database files' times and sizes (no SQLite call)."""
        out: list[Any] = []
        for p in (self.db_path, Path(f"{self.db_path}-wal")):
            try:
                st = p.stat()
                out += [st.st_mtime_ns, st.st_size]
            except OSError:
                out += [0, 0]
        return tuple(out)

    def database_bytes(self) -> int:
        """The size of the database on disk."""
        return self.db_path.stat().st_size if self.db_path.exists() else 0

    def _blob_path(self, rel: str) -> Path:
        """Where the kept copy ``rel`` is (shown by ``weeks --format json``)."""
        return self.home / rel

    @property
    def label(self) -> str:
        """The store as messages name it: its folder (a database: its URL without password)."""
        return str(self.home)

    def blob_data(self, rel: str) -> bytes | None:
        """The kept copy ``rel`` as it is stored (gzip for text files), or None when missing."""
        try:
            return self._blob_path(rel).read_bytes()
        except FileNotFoundError:
            return None

    @contextmanager
    def _blob_file(self, rel: str, name: str) -> Iterator[Path | None]:
        """The kept copy ``rel`` as a plain file the reader can open (its own file when kept as
        it was, else its original bytes in a temporary folder; ``name``: the file name to give
        it), or None when it is missing."""
        path = self._blob_path(rel)
        if not rel.endswith(".gz") and path.is_file():
            yield path
            return
        data = self.blob_data(rel)
        if data is None:
            yield None
            return
        with blobs.named_file(blobs.unpack(data, rel), rel, name) as plain:
            yield plain

    # -- blobs -------------------------------------------------------------------------------

    def _keep_copy(self, con: sqlite3.Connection, data: bytes | blobs.FileSource, rel: str,
                   also: Iterable[str] = ()) -> bool:
        """Inside an import's write transaction: sweep leftovers of interrupted imports, then
        write the copy of the file (True when this call made it). ``also``: the copies this
        transaction writes besides (a merge of several files), which no row names yet."""
        named = schema.copy_names(con)
        named.add(rel)
        named.update(also)
        blobs.sweep_orphans(self.home, named)
        return blobs.write_blob(self.home, data, rel)

    @contextmanager
    def _copy_guard(self) -> Iterator[list[str]]:
        """Around an import's write transaction: the copies it made (appended to the yielded
        list) are removed again when it fails, so a refused file leaves no orphan."""
        made: list[str] = []
        try:
            yield made
        except BaseException:
            for rel in made:
                blobs.remove_blob(self.home, rel)
            raise

    # -- identity ------------------------------------------------------------------------------

    def _resolver(self, con: sqlite3.Connection) -> Resolver:
        return Resolver(con, self._lookups)

    # -- weekly import -------------------------------------------------------------------------

    def import_file(self, path: str | os.PathLike, *, period: str | date | None = None,
                    replace: bool = False, source_name: str | None = None,
                    extra_aliases=None, file_name: str | None = None,
                    limits=None) -> ImportOutcome:
        """Import one weekly file as one snapshot (see the module docstring); a workbook of a
        sheet per week (``reader.read_weeks``) as one snapshot per week sheet, all in the one
        transaction (a week held already from another file refuses the whole workbook unless
        ``replace``), the outcome's ``weeks`` and ``notes`` saying what each sheet gave. ``source_name``
        names the snapshot (default: the file's name); ``file_name`` the file in the
        snapshot's list of files (default: ``source_name``); ``limits``: the config's
        ``[limits]`` (the defaults without it)."""
        path = Path(path)
        source_name = clean_text(source_name or path.name)
        hint = period.isoformat() if isinstance(period, date) else (str(period).strip() if period else None)
        data = _read_bytes(path, limits)
        sha = hashlib.sha256(data).hexdigest()
        rel = blobs.blob_rel(sha, path, data)
        # the copy is streamed from the file in the transaction: the bytes (as large as the
        # file) are not held beside the reader's rows
        copy = blobs.FileSource(path, len(data), sha)
        del data

        held = self._current_by_sha(sha)
        if held is not None:
            return self._unchanged(held)
        book, weeks = self._read_weeks(path, source_name, sha, hint, extra_aliases, limits)
        by_sheet = len(weeks) > 1

        with self._copy_guard() as made, self._write() as con, _import_page_cache(con):
            row = con.execute(self._CURRENT_BY_SHA, (sha,)).fetchone()
            if row is not None:  # another process imported the same file meanwhile
                held = self._snapshot_in(con, row[0])
                unchanged = True
            else:
                unchanged = False
                done: list[tuple[SnapshotInfo, list[int]]] = []
                if not replace:     # refused before anything is written (the copy first)
                    self._refuse_held_weeks(con, source_name, weeks, by_sheet)
                try:
                    if self._keep_copy(con, copy, rel):
                        made.append(rel)
                except blobs.Changed:
                    raise _changed_while_read(source_name, path) from None
                while weeks:        # each week's rows go once it is stored (~3x its text)
                    res, prepared, skipped_rows = weeks.pop(0)
                    done.append(self._insert_week(
                        con, res, prepared, skipped_rows, source_name=source_name, sha=sha, rel=rel,
                        hint=None if by_sheet else hint, extra_aliases=extra_aliases,
                        file_name=file_name, replace=replace))
                    del res, prepared, skipped_rows
                held = done[-1][0]
        if unchanged:
            return self._unchanged(held)
        outcomes = [self._outcome(snap, old_ids) for snap, old_ids in done]
        if not by_sheet:
            return outcomes[0]
        replaced = tuple(i for o in outcomes for i in o.superseded)
        first, last = done[0][0], done[-1][0]
        return ImportOutcome(
            "replaced" if replaced else "imported", last, tr(
                "импортировано недель: {n} ({a} … {b}), по снимку на лист",
                "imported {n} weeks ({a} … {b}), a snapshot per sheet",
                n=len(done), a=first.period_label, b=last.period_label),
            superseded=replaced, weeks=tuple(outcomes), notes=tuple(book.notes()))

    def _outcome(self, held: SnapshotInfo, old_ids: list[int]) -> ImportOutcome:
        n_skipped = held.skipped
        tail = orgs_phrase(held.rows) + (", " + rows_skipped_phrase(n_skipped) if n_skipped else "")
        if old_ids:
            olds = ", ".join(tr("№{i}", "#{i}", i=i) for i in old_ids)
            return ImportOutcome("replaced", held, tr(
                "заменена неделя {p}: {t} (прежний снимок {o} сохранён как заменённый)",
                "replaced {p}: {t} (the previous snapshot {o} is kept as superseded)",
                p=held.period_label, t=tail, o=olds), superseded=tuple(old_ids))
        return ImportOutcome("imported", held, tr("импортирована неделя {p}: {t}",
                                                  "imported {p}: {t}", p=held.period_label, t=tail))

    def _clashes(self, con: sqlite3.Connection, start: date, end: date) -> list[tuple]:
        return con.execute(
            "SELECT id, source_name, period_start, period_end FROM snapshots "
            "WHERE superseded_by IS NULL AND period_start <= ? AND period_end >= ? "
            "ORDER BY period_start", (end.isoformat(), start.isoformat())).fetchall()

    def _clash_error(self, name: str, start: date, end: date, other: tuple, more: int = 0) -> StoreError:
        tail = tr(", и ещё недель книги уже загружено: {n}", ", and {n} more of the workbook's weeks are held already", n=more) if more else ""
        return StoreError(tr(
            "{f}: неделя {p} уже загружена из «{o}» (снимок №{i}, {op}){m}; это другой файл — чтобы заменить, добавьте --replace",
            "{f}: the week {p} is already held from “{o}” (snapshot #{i}, {op}){m}; this is a different file — add --replace to replace it",
            f=name, p=format_period(start, end), o=other[1], i=other[0],
            op=format_period(date.fromisoformat(other[2]), date.fromisoformat(other[3])), m=tail))

    def _refuse_held_weeks(self, con: sqlite3.Connection, source_name: str, weeks: list,
                           by_sheet: bool) -> None:
        """A week the store holds already from another file refuses the import in one line; a
        workbook of weeks is imported all or none: the line names the sheet (and how many more
        of its weeks are held)."""
        held = []
        for res, _, _ in weeks:
            clashes = self._clashes(con, res.period.start, res.period.end)
            if clashes:
                held.append((res, clashes[0]))
        if held:
            res, other = held[0]
            name = tr("{f}, лист «{s}»", "{f}, sheet “{s}”", f=source_name, s=res.sheet) if by_sheet else source_name
            raise self._clash_error(name, res.period.start, res.period.end, other, len(held) - 1)

    def _insert_week(self, con: sqlite3.Connection, res, prepared: PreparedRows, skipped_rows: list[dict], *,
                     source_name: str, sha: str, rel: str, hint: str | None, extra_aliases,
                     file_name: str | None, replace: bool) -> tuple[SnapshotInfo, list[int]]:
        """Inside the import's transaction: one week read from a file (or from one sheet of a
        workbook of weeks) as a new snapshot; the current snapshots it overlaps are superseded
        with ``replace`` and refused otherwise."""
        start, end = res.period.start, res.period.end
        clashes = self._clashes(con, start, end)
        if clashes and not replace:
            raise self._clash_error(source_name, start, end, clashes[0])
        snap_id = con.execute("SELECT coalesce(max(id), 0) + 1 FROM snapshots").fetchone()[0]
        old_ids = [c[0] for c in clashes]
        if old_ids:
            con.executemany("UPDATE snapshots SET superseded_by = ? WHERE id = ?",
                            [(snap_id, i) for i in old_ids])
        warnings = list(res.warnings)
        # the facts are made a chunk at a time from the prepared columns (never a tuple per row)
        resolver = self._resolver(con)
        facts = resolver.resolve_rows(prepared, registry=False, source=source_name)
        warnings.extend(facts.notes)
        del resolver
        con.execute(
            "INSERT INTO snapshots (id, period_start, period_end, source_name, sha256, blob, "
            "imported_at, rows, skipped, skipped_json, warnings_json, columns_json, sheet, "
            "period_hint, aliases_json) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (snap_id, start.isoformat(), end.isoformat(), source_name, sha, rel,
             utc_now(), len(facts), len(skipped_rows),
             _dumps(skipped_rows), _dumps(warnings), _dumps(res.columns), res.sheet,
             hint,
             _dumps(extra_aliases) if extra_aliases else None))
        self._insert_file(con, snap_id, 1, file_name or source_name, sha, rel, res.sheet,
                          len(facts), len(skipped_rows))
        self._insert_facts(con, snap_id, facts)
        # no column copy: the first reader that can write makes it (Store._columns_table), so
        # that an import never loads pyarrow (27 MB, the last step of its peak)
        del facts
        prepared.clear()   # the rows' texts and counts go before the week's bookkeeping
        self._touch_orgs(con, snap_id, start, end)
        if old_ids:
            self._recompute_orgs(con, old_ids, snap_id, same_period=all(
                (c[2], c[3]) == (start.isoformat(), end.isoformat()) for c in clashes))
        self._count_missing(con, snapshot_ids=[snap_id])
        return self._snapshot_in(con, snap_id), old_ids

    def _read_weeks(self, path: Path, source_name: str, sha: str, hint: str | None,
                    extra_aliases, limits=None) -> tuple[Any, list[tuple[Any, PreparedRows, list[dict]]]]:
        """Run the reader on a file that may hold several weeks (a workbook of a sheet per
        week), before any transaction: the book and, per week, the read result, the prepared
        rows and the skipped rows."""
        from sferum_tui.core.ingest.reader import read_weeks

        book = read_weeks(path, period_hint=hint, extra_aliases=extra_aliases, strict=True,
                          limits=limits)
        return book, [self._prepared(res, path, source_name, sha) for res in book.weeks]

    def _read_week(self, path: Path, source_name: str, sha: str, hint: str | None,
                   extra_aliases, limits=None) -> tuple[Any, PreparedRows, list[dict]]:
        """Run the reader on one weekly file (before any transaction): the read result, the
        prepared rows and the skipped rows.  A file without a period is refused."""
        from sferum_tui.core.ingest.reader import read_weekly

        res = read_weekly(path, period_hint=hint, extra_aliases=extra_aliases, strict=True,
                          limits=limits)
        return self._prepared(res, path, source_name, sha)

    def _prepared(self, res, path: Path, source_name: str, sha: str) -> tuple[Any, PreparedRows, list[dict]]:
        if res.period is None:
            raise InputFileError(tr(
                "{f}: не найден отчётный период (ни в заголовке, ни в имени файла); укажите --period ГГГГ-ММ-ДД",
                "{f}: the reporting period was not found (neither in a title row nor in the file name); pass --period YYYY-MM-DD",
                f=source_name), source=str(path))
        if res.sha256 and res.sha256 != sha:
            raise _changed_while_read(source_name, path)
        prepared, skipped_here = prepare(res.rows, registry=False)
        res.rows = []  # prepared holds the rows now: the reader's columns go
        return res, prepared, list(res.skipped) + skipped_here

    # -- a week from several files ------------------------------------------------------------

    def read_week_file(self, path: str | os.PathLike, *, name: str | None = None,
                       period: str | date | None = None, extra_aliases=None,
                       limits=None) -> WeekFile:
        """Run the reader on one weekly file for :meth:`add_files` (``read=``), outside any
        transaction: a caller that merges files as they arrive (``fetch``) learns each file's
        week first and reads it only once."""
        path = Path(path)
        name = name or path.name
        hint = period.isoformat() if isinstance(period, date) else (str(period).strip() if period else None)
        data = _read_bytes(path, limits)
        sha = hashlib.sha256(data).hexdigest()
        res, prepared, skipped_rows = self._read_week(path, name, sha, hint, extra_aliases, limits)
        return WeekFile(name, data, sha, blobs.blob_rel(sha, path, data), res, prepared, skipped_rows)

    def add_files(self, paths: Iterable[str | os.PathLike] = (), *,
                  names: Iterable[str] | None = None, read: Iterable[WeekFile] = (),
                  label: str | None = None, period: str | date | None = None,
                  replace: bool = False, replace_rows: bool = False,
                  extra_aliases=None, limits=None) -> ImportOutcome:
        """Merge weekly files of one period into ONE snapshot (``import --add``), in one
        transaction.  When the store holds that week already, the files are added to it: the
        result is a new snapshot (the previous one is kept as superseded).

        - An organisation (same uid: ИНН, else the name key) in two files, or in a file and the
          week held, is refused with both rows named, unless ``replace_rows``: then the later
          file's row wins and the snapshot's warnings say which rows were replaced.
        - ``replace``: the rows of the week held whose municipality is one of the new files'
          municipalities are dropped first (a corrected municipality file).
        - ``names``: the files' names for the list of files and the messages (default: the file
          names); ``read``: files read already (:meth:`read_week_file`), merged after ``paths``;
          ``label``: the snapshot's ``source_name`` when the week is new (default: the first
          file's name).
        """
        path_list = [Path(p) for p in paths]
        names = list(names) if names is not None else [p.name for p in path_list]
        hint = period.isoformat() if isinstance(period, date) else (str(period).strip() if period else None)
        parts: list[WeekFile] = []
        held_files: list[tuple[str, SnapshotInfo]] = []
        seen: set[str] = set()
        sources: list[tuple[Path | WeekFile, str]] = [*zip(path_list, names),
                                                      *((w, w.name) for w in read)]
        for path, name in sources:
            if isinstance(path, WeekFile):
                data, sha = path.data, path.sha
            else:
                data = _read_bytes(path, limits)
                sha = hashlib.sha256(data).hexdigest()
            if sha in seen:                      # the same file given twice
                continue
            seen.add(sha)
            held = self._current_by_sha(sha)
            if held is not None:
                held_files.append((name, held))
                continue
            if isinstance(path, WeekFile):
                parts.append(path)
                continue
            res, prepared, skipped_rows = self._read_week(path, name, sha, hint, extra_aliases,
                                                          limits)
            parts.append(WeekFile(name, data, sha, blobs.blob_rel(sha, path, data), res, prepared,
                                  skipped_rows))
        weeks: dict[tuple[date, date], str] = {}
        for name, held in held_files:
            weeks.setdefault((held.period_start, held.period_end), name)
        for part in parts:
            weeks.setdefault((part.res.period.start, part.res.period.end), part.name)
        if len(weeks) > 1:
            listing = ", ".join(f"{n} — {format_period(a, b)}" for (a, b), n in weeks.items())
            raise StoreError(tr(
                "файлы разных недель не объединяются в одну (--add): {l}; импортируйте их по "
                "отдельности",
                "files of different weeks cannot be merged into one (--add): {l}; import them "
                "separately", l=listing))
        if not parts:
            if not held_files:
                raise StoreError(tr("не указан ни один файл", "no file given"))
            return self._unchanged(held_files[0][1])
        (start, end), = weeks
        first_sha = parts[0].sha
        with self._copy_guard() as made, self._write() as con:
            stored = {p.sha: con.execute(self._CURRENT_BY_SHA, (p.sha,)).fetchone() for p in parts}
            parts = [p for p in parts if stored[p.sha] is None]
            if not parts:                        # another process stored them meanwhile
                return self._unchanged(self._snapshot_in(con, stored[first_sha][0]))
            merged = self._merge(con, made, parts, start, end, label=label, hint=hint,
                                 replace=replace, replace_rows=replace_rows,
                                 extra_aliases=extra_aliases)
        held, base, dropped, replaced = merged
        tail = orgs_phrase(held.rows) + (", " + rows_skipped_phrase(held.skipped) if held.skipped else "")
        added = ", ".join(f"«{p.name}»" for p in parts)
        extra = ""
        if replaced:
            extra += tr("; заменено строк: {n}", "; rows replaced: {n}", n=replaced)
        if held_files:
            extra += tr("; уже были в неделе: {f}", "; already in the week: {f}",
                        f=", ".join(f"«{n}»" for n, _ in held_files))
        if base is None:
            return ImportOutcome("imported", held, tr(
                "импортирована неделя {p} из файлов: {n} ({a}): {t}{x}",
                "imported {p} from {n} files ({a}): {t}{x}",
                p=held.period_label, n=len(held.files), a=added, t=tail, x=extra))
        if replace:
            return ImportOutcome("replaced", held, tr(
                "неделя {p}: строки муниципалитетов файла заменены (прежних строк: {d}) из {a}; "
                "теперь {t}, файлов: {n} (снимок №{i}; прежний №{o} сохранён как заменённый){x}",
                "{p}: the rows of the file's municipalities were replaced ({d} earlier rows) from "
                "{a}; now {t}, {n} files (snapshot #{i}; the previous #{o} is kept as "
                "superseded){x}", p=held.period_label, d=dropped, a=added, t=tail,
                n=len(held.files), i=held.id, o=base, x=extra), superseded=(base,))
        return ImportOutcome("merged", held, tr(
            "к неделе {p} добавлено: {a}; теперь {t}, файлов: {n} (снимок №{i}; прежний №{o} "
            "сохранён как заменённый){x}",
            "added to {p}: {a}; now {t}, {n} files (snapshot #{i}; the previous #{o} is kept "
            "as superseded){x}", p=held.period_label, a=added, t=tail, n=len(held.files),
            i=held.id, o=base, x=extra), superseded=(base,))

    def _merge(self, con: sqlite3.Connection, made: list[str], parts: list["WeekFile"],
               start: date, end: date, *, label: str | None, hint: str | None, replace: bool,
               replace_rows: bool, extra_aliases) -> tuple[SnapshotInfo, int | None, int, int]:
        """Inside :meth:`add_files`' transaction: the new snapshot, the superseded one (or
        None), the rows dropped by ``replace`` and the rows replaced by ``replace_rows``."""
        s_iso, e_iso = start.isoformat(), end.isoformat()
        clashes = con.execute(
            "SELECT id, source_name, period_start, period_end FROM snapshots WHERE superseded_by "
            "IS NULL AND period_start <= ? AND period_end >= ? ORDER BY period_start",
            (e_iso, s_iso)).fetchall()
        odd = [c for c in clashes if (c[2], c[3]) != (s_iso, e_iso)]
        if odd:
            c = odd[0]
            raise StoreError(tr(
                "{f}: неделя {p} пересекается с неделей {op} из «{o}» (снимок №{i}) с другими "
                "границами; --add объединяет только файлы одной недели (заменить: import "
                "--replace без --add)",
                "{f}: the week {p} overlaps {op} from “{o}” (snapshot #{i}) with other bounds; "
                "--add merges only files of the same week (to replace it: import --replace "
                "without --add)", f=parts[0].name, p=format_period(start, end),
                op=format_period(date.fromisoformat(c[2]), date.fromisoformat(c[3])), o=c[1],
                i=c[0]))
        base = clashes[0][0] if clashes else None
        base_row = con.execute("SELECT source_name, skipped_json, warnings_json, columns_json, "
                               "period_hint, aliases_json FROM snapshots WHERE id = ?",
                               (base,)).fetchone() if base is not None else None
        base_files = con.execute(
            f"SELECT {self._FILE_COLS} FROM snapshot_files WHERE snapshot_id = ? ORDER BY seq",
            (base,)).fetchall() if base is not None else []
        file_of: dict[int, tuple[str, str | None]] = {r[1]: (r[2], r[5]) for r in base_files}
        first_seq = base_files[0][1] if base_files else 1
        # the week held: org uid → (file seq, fact row)
        kept: dict[int, tuple[int, tuple]] = {}
        if base is not None:
            for seq, *fact in con.execute(
                    "SELECT coalesce(ff.seq, ?), f.org_uid, f.row, f.name_id, f.municipality_id, "
                    "f.region_id, f.status, " + ", ".join(f"f.{c}" for c in COUNT_FIELDS)
                    + ", f.teachers_active_share FROM facts f LEFT JOIN fact_files ff "
                    "ON ff.snapshot_id = f.snapshot_id AND ff.org_uid = f.org_uid "
                    "WHERE f.snapshot_id = ? ORDER BY coalesce(ff.seq, ?), f.row",
                    (first_seq, base, first_seq)):
                kept[fact[0]] = (seq, tuple(fact))
        dropped = 0
        if replace and kept:
            from sferum_tui.core.store.identity import normalize_municipality

            munis = {normalize_municipality(p.municipality) for part in parts
                     for p in part.prepared if p.municipality}
            if not munis:
                raise StoreError(tr(
                    "{f}: в файле нет муниципалитетов, а --replace --add заменяет строки "
                    "муниципалитетов файла; чтобы заменить неделю целиком: import --replace",
                    "{f}: the file names no municipality, and --replace --add replaces the rows "
                    "of the file's municipalities; to replace the whole week: import --replace",
                    f=", ".join(p.name for p in parts)))
            names = dict(con.execute("SELECT id, name FROM municipalities"))
            drop = [uid for uid, (_, fact) in kept.items()
                    if fact[3] is not None and normalize_municipality(names.get(fact[3])) in munis]
            for uid in drop:
                del kept[uid]
            dropped = len(drop)

        resolver = self._resolver(con)
        next_seq = max(file_of, default=0) + 1
        added: dict[int, tuple[int, tuple]] = {}
        conflicts: list[tuple[int, str | None, tuple[int, int], tuple[int, int]]] = []
        for part in parts:
            part.seq = next_seq
            next_seq += 1
            file_of[part.seq] = (part.name, part.res.sheet)
            facts, part.notes = resolver.resolve(part.prepared, registry=False, source=part.name)
            spelled = {p.row: p.name for p in part.prepared}
            for fact in facts:
                uid = fact[0]
                before = kept.pop(uid, None) or added.get(uid)
                if before is not None:
                    conflicts.append((uid, spelled.get(fact[1]), (before[0], before[1][1]),
                                      (part.seq, fact[1])))
                added[uid] = (part.seq, fact)

        def where(seq: int, row: int) -> str:
            name, sheet = file_of.get(seq, ("?", None))
            if sheet:
                return tr("«{f}», лист «{s}», строка {r}", "“{f}”, sheet “{s}”, row {r}",
                          f=name, s=sheet, r=row)
            return tr("«{f}», строка {r}", "“{f}”, row {r}", f=name, r=row)

        def who(uid: int, name: str | None) -> str:
            inn = resolver.uid_inn.get(uid)
            if inn:
                return tr("с ИНН {i}", "with ИНН {i}", i=inn)
            return f"«{name}»" if name else f"#{uid}"

        warnings = json.loads(base_row[2]) if base_row else []
        if conflicts and not replace_rows:
            uid, name, a, b = conflicts[0]
            more = (tr(" (в обоих файлах ещё: {n})", " (in both files besides: {n})",
                       n=orgs_phrase(len(conflicts) - 1)) if len(conflicts) > 1 else "")
            raise StoreError(tr(
                "организация {o} есть в двух файлах: {a} и {b}{m}; неделя не изменена (строка "
                "более позднего файла заменит прежнюю с --replace-rows; заменить неделю целиком: "
                "import --replace)",
                "the organisation {o} is in two files: {a} and {b}{m}; the week is unchanged (to "
                "let the later file's row replace the earlier one: --replace-rows; to replace the "
                "whole week: import --replace)",
                o=who(uid, name), a=where(*a), b=where(*b), m=more))
        for uid, name, a, b in conflicts:
            warnings.append(tr("организация {o}: {a} заменена строкой {b} (--replace-rows)",
                               "organisation {o}: {a} replaced by {b} (--replace-rows)",
                               o=who(uid, name), a=where(*a), b=where(*b)))
        for part in parts:
            warnings.extend(f"{part.name}: {w}" for w in list(part.res.warnings) + part.notes)

        rels = [p.rel for p in parts]
        for part in parts:
            if self._keep_copy(con, part.data, part.rel, also=rels):
                made.append(part.rel)
        snap_id = con.execute("SELECT coalesce(max(id), 0) + 1 FROM snapshots").fetchone()[0]
        if base is not None:
            con.execute("UPDATE snapshots SET superseded_by = ? WHERE id = ?", (snap_id, base))
        rows_of: dict[int, int] = {}
        for seq, _ in list(kept.values()) + list(added.values()):
            rows_of[seq] = rows_of.get(seq, 0) + 1
        now = utc_now()
        files = [(r[1], r[2], r[3], r[4], r[5], rows_of[r[1]], r[7], r[8])
                 for r in base_files if rows_of.get(r[1])]
        files += [(p.seq, p.name, p.sha, p.rel, p.res.sheet, rows_of.get(p.seq, 0),
                   len(p.skipped_rows), now) for p in parts]
        kept_names = {f[1] for f in files}
        skipped_rows = []
        if base_row:
            lone = base_files[0][2] if base_files else base_row[0]
            skipped_rows = [r if "file" in r else {**r, "file": lone}
                            for r in json.loads(base_row[1])]
            skipped_rows = [r for r in skipped_rows if r.get("file") in kept_names]
        for part in parts:
            skipped_rows.extend({**r, "file": part.name} for r in part.skipped_rows)
        first = files[0]
        if base_row is not None and not (base_files and base_row[0] != base_files[0][2]):
            snap_name = first[1]            # the week's name is its first file's
        else:                               # a fetched week keeps its source's name
            snap_name = base_row[0] if base_row is not None else (label or first[1])
        facts = [fact for _, fact in kept.values()] + [fact for _, fact in added.values()]
        columns_json = base_row[3] if base_row else _dumps(parts[0].res.columns)
        con.execute(
            "INSERT INTO snapshots (id, period_start, period_end, source_name, sha256, blob, "
            "imported_at, rows, skipped, skipped_json, warnings_json, columns_json, sheet, "
            "period_hint, aliases_json) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (snap_id, s_iso, e_iso, snap_name, first[2], first[3], now, len(facts),
             sum(f[6] for f in files), _dumps(skipped_rows), _dumps(warnings), columns_json,
             first[4], hint or (base_row[4] if base_row else None),
             _dumps(extra_aliases) if extra_aliases else (base_row[5] if base_row else None)))
        for f in files:
            self._insert_file(con, snap_id, *f[:7], added_at=f[7])
        self._insert_facts(con, snap_id, facts)
        if len(files) > 1:
            con.executemany(f"INSERT INTO fact_files (snapshot_id, org_uid, seq) VALUES ({snap_id},?,?)",
                            [(uid, seq) for uid, (seq, _) in kept.items()]
                            + [(uid, seq) for uid, (seq, _) in added.items()])
        self._touch_orgs(con, snap_id, start, end)
        if base is not None:
            self._recompute_orgs(con, [base], snap_id, same_period=True)
        self._count_missing(con, snapshot_ids=[snap_id])
        return self._snapshot_in(con, snap_id), base, dropped, len(conflicts)

    def _insert_file(self, con: sqlite3.Connection, snap_id: int, seq: int, name: str, sha: str,
                     rel: str, sheet: str | None, rows: int, skipped: int, *,
                     added_at: str | None = None) -> None:
        con.execute("INSERT INTO snapshot_files (snapshot_id, seq, source_name, sha256, blob, "
                    "sheet, rows, skipped, added_at) VALUES (?,?,?,?,?,?,?,?,?)",
                    (snap_id, seq, name, sha, rel, sheet, rows, skipped, added_at or utc_now()))

    def _unchanged(self, held: SnapshotInfo) -> ImportOutcome:
        return ImportOutcome("unchanged", held, tr(
            "уже импортирован (тот же файл): неделя {p}, снимок №{i}, {t}",
            "already imported (same file): {p}, snapshot #{i}, {t}",
            p=held.period_label, i=held.id, t=orgs_phrase(held.rows)))

    _CURRENT_BY_SHA = ("SELECT s.id FROM snapshot_files f JOIN snapshots s ON s.id = f.snapshot_id "
                       "WHERE f.sha256 = ? AND s.superseded_by IS NULL")

    def _current_by_sha(self, sha: str) -> SnapshotInfo | None:
        """The current snapshot that holds this file (as its only file or as one of several)."""
        rows = self._query(self._CURRENT_BY_SHA, (sha,))
        return self.snapshot(rows[0][0]) if rows else None

    def _insert_facts(self, con: sqlite3.Connection, snap_id: int, facts: Sequence[tuple]) -> None:
        for i in range(0, len(facts), FACT_CHUNK):
            self._write_fact_chunk(con, snap_id, facts[i:i + FACT_CHUNK])

    def _write_fact_chunk(self, con: sqlite3.Connection, snap_id: int, chunk: Sequence[tuple]) -> None:
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
        con.execute("DELETE FROM recompute")
        marks = ",".join("?" * len(old_ids))
        if same_period:
            con.execute(f"INSERT OR IGNORE INTO recompute SELECT org_uid FROM facts "
                        f"WHERE snapshot_id IN ({marks}) EXCEPT "
                        f"SELECT org_uid FROM facts WHERE snapshot_id = ?", (*old_ids, new_id))
        else:
            con.execute(f"INSERT OR IGNORE INTO recompute SELECT org_uid FROM facts "
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
                WHERE uid IN (SELECT uid FROM recompute)""")
        con.execute("DELETE FROM recompute")

    def reread(self, snapshot_id: int):
        """Run the reader again on the kept copy of a snapshot's file (a ``ReadResult``)."""
        info = self.snapshot(snapshot_id)
        rows = self._query("SELECT period_hint, aliases_json, blob FROM snapshots WHERE id = ?",
                           (snapshot_id,))
        hint_text, aliases_json, rel = rows[0]
        from sferum_tui.core.ingest.reader import read_weekly

        hint = hint_text or f"{info.period_start.isoformat()}..{info.period_end.isoformat()}"
        aliases = json.loads(aliases_json) if aliases_json else None
        name = Path(info.source_name or "snapshot").name or "snapshot"
        with self._blob_file(rel, name) as plain:
            if plain is None:
                raise StoreError(tr("копия файла снимка №{i} не найдена: {p}",
                                    "the kept copy of snapshot #{i} is missing: {p}",
                                    i=snapshot_id, p=info.blob_path))
            return read_weekly(plain, period_hint=hint, extra_aliases=aliases, strict=True,
                               sheet=info.sheet)

    # -- snapshots -----------------------------------------------------------------------------

    _SNAPSHOT_COLS = ("id, period_start, period_end, source_name, sha256, imported_at, rows, "
                      "skipped, warnings_json, superseded_by, blob, columns_json, sheet, skipped_json")

    def _snapshot_from_row(self, r: tuple) -> SnapshotInfo:
        return SnapshotInfo(
            id=r[0], period_start=date.fromisoformat(r[1]), period_end=date.fromisoformat(r[2]),
            source_name=r[3], sha256=r[4], imported_at=r[5], rows=r[6], skipped=r[7],
            warnings=json.loads(r[8]), superseded_by=r[9], blob_path=self._blob_path(r[10]),
            columns=json.loads(r[11]), sheet=r[12], skipped_rows=json.loads(r[13]))

    def _snapshot_in(self, con: sqlite3.Connection, snap_id: int) -> SnapshotInfo:
        r = con.execute(f"SELECT {self._SNAPSHOT_COLS} FROM snapshots WHERE id = ?", (snap_id,)).fetchone()
        rows = con.execute(f"SELECT {self._FILE_COLS} FROM snapshot_files WHERE snapshot_id = ?",
                           (snap_id,)).fetchall()
        return self._with_files([self._snapshot_from_row(r)], rows)[0]

    _FILE_COLS = "snapshot_id, seq, source_name, sha256, blob, sheet, rows, skipped, added_at"

    def _with_files(self, snaps: list[SnapshotInfo], rows: list[tuple] | None = None
                    ) -> list[SnapshotInfo]:
        """The snapshots with their ``files``: read from ``snapshot_files`` (``rows`` when the
        caller has them); a snapshot with no such rows (a read-only store of an older schema)
        is the one file its own row names."""
        if not snaps:
            return snaps
        if rows is None:
            rows = []
            if self.has_table("snapshot_files"):
                if len(snaps) <= 500:
                    marks = ",".join(str(int(x.id)) for x in snaps)   # integers from the database
                    rows = self._query(f"SELECT {self._FILE_COLS} FROM snapshot_files "
                                       f"WHERE snapshot_id IN ({marks}) ORDER BY snapshot_id, seq")
                else:
                    rows = self._query(f"SELECT {self._FILE_COLS} FROM snapshot_files "
                                       "ORDER BY snapshot_id, seq")
        by_snap: dict[int, list[SnapshotFile]] = {}
        for r in sorted(rows, key=lambda r: (r[0], r[1])):
            by_snap.setdefault(r[0], []).append(SnapshotFile(
                seq=r[1], source_name=r[2], sha256=r[3], blob_path=self._blob_path(r[4]), sheet=r[5],
                rows=r[6], skipped=r[7], added_at=r[8]))
        out = []
        for x in snaps:
            files = by_snap.get(x.id) or [SnapshotFile(1, x.source_name, x.sha256, x.blob_path,
                                                       x.sheet, x.rows, x.skipped, x.imported_at)]
            out.append(dataclasses.replace(x, files=tuple(files)))
        return out

    def snapshots(self, include_superseded: bool = False) -> list[SnapshotInfo]:
        where = "" if include_superseded else "WHERE superseded_by IS NULL"
        rows = self._query(f"SELECT {self._SNAPSHOT_COLS} FROM snapshots {where} "
                           "ORDER BY period_start, id")
        return self._with_files([self._snapshot_from_row(r) for r in rows])

    def snapshot(self, snapshot_id: int) -> SnapshotInfo:
        rows = self._query(f"SELECT {self._SNAPSHOT_COLS} FROM snapshots WHERE id = ?", (int(snapshot_id),))
        if not rows:
            raise StoreError(tr("нет снимка №{i} (список: sferum-tui weeks --all)",
                                "there is no snapshot #{i} (see: sferum-tui weeks --all)", i=snapshot_id))
        return self._with_files([self._snapshot_from_row(rows[0])])[0]

    def latest(self) -> SnapshotInfo | None:
        """The current snapshot with the latest period, or None for an empty store."""
        snaps = self.snapshots()
        return snaps[-1] if snaps else None

    def snapshot_for(self, day: date | str) -> SnapshotInfo | None:
        """The current snapshot whose period contains ``day``."""
        d = _parse_day(day)
        rows = self._query(f"SELECT {self._SNAPSHOT_COLS} FROM snapshots WHERE superseded_by IS NULL "
                           "AND period_start <= ? AND period_end >= ?", (d.isoformat(), d.isoformat()))
        return self._with_files([self._snapshot_from_row(rows[0])])[0] if rows else None

    def previous(self, snapshot_id: int) -> SnapshotInfo | None:
        """The current snapshot just before ``snapshot_id`` (for week-over-week changes)."""
        info = self.snapshot(snapshot_id)
        rows = self._query(f"SELECT {self._SNAPSHOT_COLS} FROM snapshots WHERE superseded_by IS NULL "
                           "AND period_start < ? ORDER BY period_start DESC LIMIT 1",
                           (info.period_start.isoformat(),))
        return self._with_files([self._snapshot_from_row(rows[0])])[0] if rows else None

    # -- frames --------------------------------------------------------------------------------

    _FACT_SELECT = (
        "f.org_uid, o.key, coalesce(f.region_id, 0), coalesce(f.municipality_id, 0), o.inn, "
        "coalesce(f.name_id, 0), f.status, f.users_total, f.staff_total, f.teachers, f.students, "
        "f.parents, f.classes, f.chats, f.teachers_active, f.teachers_active_share, f.row")
    _FACT_COLUMNS = ("org_uid", "org_key", *ROW_FIELDS, "row")

    def _texts(self) -> dict[str, Lookup]:
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

    def _columns_table(self, snapshot_id: int, fields: tuple[str, ...] | None = None) -> "Any":
        """The snapshot's column copy as an Arrow table, or None (no copy, or an older
        layout: the caller reads the facts table).  ``fields``: only those columns are
        needed (a table of them is read, and not kept)."""
        # the last two read: a week is read with the one before it (the changes), and the next
        # week looked at is usually one of them; a snapshot's copy never changes under its id
        sid = int(snapshot_id)
        memo = self._columns_memo
        for held, table in memo:
            if held == sid:
                return table
        blob = self._query("SELECT data FROM snapshot_columns WHERE snapshot_id = ?", (sid,))
        if not blob:
            blob = self._make_columns(sid)
        table = columns.read_table(blob[0][0], fields) if blob else None
        if fields is None:
            self._columns_memo = [(sid, table), *memo[:1]]
        return table

    def _make_columns(self, snapshot_id: int) -> list:
        """Make a snapshot's column copy, which an import leaves to the first reader: ``[(data,)]``,
        or ``[]`` when this store cannot write now (read-only, or busy: the facts are read)."""
        with self.cache_transaction(COLUMNS_WAIT_S) as con:
            if con is None:
                return []
            made = con.execute("SELECT data FROM snapshot_columns WHERE snapshot_id = ?",
                               (snapshot_id,)).fetchall()
            if not made and con.execute("SELECT 1 FROM snapshots WHERE id = ?", (snapshot_id,)).fetchone():
                columns.rebuild_columns(con, snapshot_id)
                made = con.execute("SELECT data FROM snapshot_columns WHERE snapshot_id = ?",
                                   (snapshot_id,)).fetchall()
            return made
        return []

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
                out[name] = pd.Series(columns.strings(col), dtype=object)
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
            return self._orgs_where("WHERE FALSE", ())
        if text.isdigit():
            return self._orgs_where("WHERE o.inn LIKE ?", (text + "%",))
        needle = fold(text)
        names = self._texts()["org_name"].by_id
        ids = [i for i, name in enumerate(names) if name is not None and needle in fold(name)]
        if not ids:
            return self._orgs_where("WHERE FALSE", ())
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
                            skipped=r[5], warnings=json.loads(r[6]), blob_path=self._blob_path(r[7]),
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
        prepared, skipped_here = prepare(res.rows, registry=True)
        skipped_rows = list(res.skipped) + skipped_here
        if not prepared:
            raise InputFileError(tr("{f}: в справочнике нет ни одной организации",
                                    "{f}: the registry holds no organisation", f=source_name),
                                 source=str(path))
        rel = blobs.blob_rel(sha, path, data)
        with self._copy_guard() as made, self._write() as con:
            row = con.execute(f"SELECT {self._REGISTRY_COLS} FROM registries WHERE replaced_by IS NULL"
                              ).fetchone()
            if row is not None and row[2] == sha:
                return self._registry_unchanged(self._registry_from_row(row))
            if self._keep_copy(con, data, rel):
                made.append(rel)
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
                (reg_id, source_name, sha, rel, utc_now(), len(entries), len(skipped_rows),
                 _dumps(skipped_rows), _dumps(warnings), _dumps(res.columns), res.sheet,
                 _dumps(extra_aliases) if extra_aliases else None))
            con.executemany(
                "INSERT INTO registry_rows (registry_id, org_uid, row, name_id, municipality_id, "
                f"region_id, staff_total, kind) VALUES ({reg_id},?,?,?,?,?,?,?)", entries)
            self._count_missing(con, registry_id=reg_id)
            info = self._registry_from_row(con.execute(
                f"SELECT {self._REGISTRY_COLS} FROM registries WHERE id = ?", (reg_id,)).fetchone())
        tail = orgs_phrase(info.rows) + (", " + rows_skipped_phrase(info.skipped) if info.skipped else "")
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

        table = self._columns_table(snapshot_id, ("org_uid", "status", *fields))
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
            f"JOIN orgs o ON o.uid = rr.org_uid WHERE TRUE {extra} ORDER BY rr.row", params)
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
            con.execute("INSERT INTO missing_counts VALUES (?,?,?) ON CONFLICT (registry_id, "
                        "snapshot_id) DO UPDATE SET missing = excluded.missing",
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
        out["db_bytes"] = self.database_bytes()
        return out


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------

def _facts_frame(rows: list[tuple], columns: tuple[str, ...],
                 texts: dict[str, Lookup] | None = None) -> "pd.DataFrame":
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


def _date_or_none(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


