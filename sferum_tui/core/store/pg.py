"""The store on PostgreSQL: the same schema, queries and :class:`~sferum_tui.core.store.db.Store`
code as the embedded SQLite store, on a database a region's IT runs (issue 13).

``--store postgresql://user@host/db`` (or ``SFERUM_TUI_STORE``, or ``[store] url``) opens a
:class:`PgStore`.  Everything above the connection is the SQLite store's own code: the imports,
the identity resolution, the week reads, the shortlists and the indicators' flag cache run the
same SQL.  What differs is kept here, and is small:

- :class:`PgConnection` wraps a psycopg 3 connection in the subset of the ``sqlite3`` API the
  store uses (``execute``/``executemany`` returning a cursor, ``in_transaction``, ``close``) and
  turns SQLite's spelling of a statement into PostgreSQL's (:func:`translate`): ``?`` and
  ``:name`` placeholders, ``INSERT OR IGNORE``.  Statements are otherwise written portably
  (``ON CONFLICT … DO UPDATE`` rather than ``INSERT OR REPLACE``); :func:`pg_ddl` maps the
  schema's types (``BLOB`` → ``BYTEA``, ``REAL`` → ``DOUBLE PRECISION``, ``INTEGER`` →
  ``BIGINT``).
- Copies of imported files live in the database (table ``blob_files``, ``BYTEA``), written in the
  import's own transaction, so one ``pg_dump`` backs up everything and nothing is half-written.
  The week column copies (``snapshot_columns``) are ``BYTEA`` too.
- Every write transaction takes one advisory transaction lock (:data:`WRITE_LOCK`): writers from
  several machines queue up exactly as SQLite's ``BEGIN IMMEDIATE`` makes them, and readers are
  never blocked.  (Organisation uids and interned names are shared by all weeks, so two imports
  of different weeks write the same rows: one lock for the store, not one per week, is what keeps
  both complete.)
- The schema version is kept in ``sferum_schema`` (SQLite keeps it in ``PRAGMA user_version``).
- A role without ``INSERT`` on ``snapshots`` (a viewer's role, a hot standby) opens the store
  read-only: every read works and every write is refused in one line.
- The console notices weeks imported on another machine by polling :meth:`PgStore.signature`
  (one cheap query of the snapshots' and registries' ids).
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sferum_tui.core.errors import StoreError
from sferum_tui.core.store import blobs, schema
from sferum_tui.core.store.db import Store
from sferum_tui.core.text import one_line
from sferum_tui.i18n import tr

#: The key of the advisory lock every write transaction holds ("SFRU").
WRITE_LOCK = 0x53465255
CONNECT_TIMEOUT_S = 15
LOCK_TIMEOUT_MS = 60_000
SCHEMES = ("postgresql", "postgres")


def is_url(text: str | os.PathLike) -> bool:
    """True when ``text`` names a PostgreSQL store (``postgresql://…``)."""
    return isinstance(text, str) and text.split(":", 1)[0].lower() in SCHEMES and "://" in text


def safe_url(url: str) -> str:
    """``url`` without its password, on one clean line (for messages, logs and the screen)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "postgresql://…"
    if parts.password is None:
        return one_line(url)
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    user = f"{parts.username}@" if parts.username else ""
    return one_line(urlunsplit((parts.scheme, user + host, parts.path, parts.query, parts.fragment)))


# --------------------------------------------------------------------------------------------
# SQL spelling
# --------------------------------------------------------------------------------------------

_LITERAL = re.compile(r"('(?:[^']|'')*')")
_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
_OR_IGNORE = re.compile(r"^\s*INSERT\s+OR\s+IGNORE\s+INTO\b", re.I)
_BEGIN = re.compile(r"^\s*BEGIN(\s+IMMEDIATE|\s+DEFERRED|\s+EXCLUSIVE)?\s*;?\s*$", re.I)
_translated: dict[str, str] = {}


def translate(sql: str) -> str:
    """A statement as SQLite takes it, as PostgreSQL (through psycopg) takes it: ``%`` doubled,
    ``?`` → ``%s``, ``:name`` → ``%(name)s`` (outside string literals), ``INSERT OR IGNORE`` →
    ``INSERT … ON CONFLICT DO NOTHING``, ``BEGIN IMMEDIATE`` → ``BEGIN``."""
    done = _translated.get(sql)
    if done is not None:
        return done
    out = sql
    if _BEGIN.match(out):
        out = "BEGIN"
    else:
        ignore = bool(_OR_IGNORE.match(out))
        if ignore:
            out = _OR_IGNORE.sub("INSERT INTO", out, count=1)
        parts = _LITERAL.split(out)
        for i, part in enumerate(parts):
            part = part.replace("%", "%%")
            if i % 2 == 0:          # outside literals
                part = _NAMED.sub(r"%(\1)s", part.replace("?", "%s"))
            parts[i] = part
        out = "".join(parts)
        if ignore:
            out = out.rstrip().rstrip(";") + " ON CONFLICT DO NOTHING"
    if len(_translated) < 4096:
        _translated[sql] = out
    return out


def pg_ddl(statement: str) -> str:
    """A statement of the SQLite schema (``schema.py``) in PostgreSQL's types."""
    out = re.sub(r"\)\s*WITHOUT\s+ROWID", ")", statement, flags=re.I)
    out = re.sub(r"\bBLOB\b", "BYTEA", out)
    out = re.sub(r"\bREAL\b", "DOUBLE PRECISION", out)
    out = re.sub(r"\bINTEGER\b", "BIGINT", out)
    # meta's value column is untyped in SQLite (it only ever holds integers)
    out = re.sub(r"\bvalue\)", "value BIGINT)", out)
    return translate(out)


# --------------------------------------------------------------------------------------------
# The connection
# --------------------------------------------------------------------------------------------

class PgConnection:
    """A psycopg 3 connection with the part of the ``sqlite3.Connection`` API the store uses.
    Autocommit: a read sees every committed write at once (the console's live refresh), and
    the store's ``BEGIN``/``COMMIT`` make the write transactions."""

    dialect = "postgresql"

    def __init__(self, raw: Any):
        self.raw = raw

    def execute(self, sql: str, params: Any = ()) -> Any:
        cur = self.raw.cursor()
        cur.execute(translate(sql), _params(params))
        return cur

    def executemany(self, sql: str, seq: Iterable[Any]) -> Any:
        cur = self.raw.cursor()
        rows = [_params(p) for p in seq]
        if rows:
            cur.executemany(translate(sql), rows)
        return cur

    @property
    def in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus

        return self.raw.info.transaction_status != TransactionStatus.IDLE

    def close(self) -> None:
        self.raw.close()


def _params(params: Any) -> Any:
    if isinstance(params, dict):
        return params
    return tuple(bytes(p) if isinstance(p, memoryview) else p for p in params)


def _numeric_loader():
    """``sum()``/``avg()`` of integers are NUMERIC in PostgreSQL (``Decimal`` in Python); SQLite
    gives ``int``/``float``, and so does this loader, so both stores print the same numbers."""
    from psycopg.adapt import Loader

    class NumericLoader(Loader):
        def load(self, data: Any) -> Any:
            text = bytes(data).decode()
            try:
                return int(text)
            except ValueError:
                return float(text)

    return NumericLoader


def connect(url: str) -> PgConnection:
    import psycopg

    raw = psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S,
                          application_name="sferum-tui", cursor_factory=psycopg.ClientCursor)
    raw.adapters.register_loader("numeric", _numeric_loader())
    return PgConnection(raw)


# --------------------------------------------------------------------------------------------
# The store
# --------------------------------------------------------------------------------------------

class PgStore(Store):
    """The store in a PostgreSQL database (see the module docstring).  ``home`` is the user's own
    data folder (personal lists, temporary files); nothing of the store is kept there."""

    def __init__(self, url: str, home: str | os.PathLike):
        import psycopg

        super().__init__(home)
        self.errors = (psycopg.Error,)
        self.url = url
        self._label = safe_url(url)
        self.db_path = self._label      # type: ignore[assignment]  # what messages name
        self._ro: bool | None = None
        self._ro_lock = threading.Lock()

    @property
    def label(self) -> str:
        return self._label

    # -- connections -------------------------------------------------------------------------

    def exists(self) -> bool:
        return self._connection(write=False) is not None

    @property
    def read_only(self) -> bool:
        if self._ro is None:
            with self._ro_lock:
                if self._ro is None:
                    con = self._raw_connection()
                    row = con.execute(
                        "SELECT current_setting('transaction_read_only') = 'on' OR "
                        "(to_regclass('snapshots') IS NOT NULL AND "
                        "NOT has_table_privilege('snapshots', 'INSERT'))").fetchone()
                    self._ro = bool(row[0])
        return self._ro

    def read_only_message(self) -> str:
        return tr("хранилище {p} доступно только для чтения (у роли базы нет права записи); "
                  "изменить его нельзя",
                  "the store {p} is read-only (the database role may not write); "
                  "it cannot be changed", p=self.label)

    def _raw_connection(self) -> PgConnection:
        """This thread's connection, opened (and the schema checked) on first use."""
        local = self._local
        con = getattr(local, "pg", None)
        if con is not None and not con.raw.closed:
            return con
        try:
            con = connect(self.url)
        except self.errors as exc:
            raise self._db_error(exc) from exc
        local.pg = con
        with self._lock:
            self._connections.append(con)   # type: ignore[arg-type]
        return con

    def _connection(self, *, write: bool) -> Any:
        local = self._local
        con = getattr(local, "con", None)
        if con is not None and not con.raw.closed:
            if write:
                self.require_writable()
            return con
        if write:
            self.require_writable()
        con = self._raw_connection()
        try:
            version = schema.user_version(con)
            schema.refuse_newer(version, self.label)
            if version < schema.SCHEMA_VERSION:
                if self.read_only:
                    if version == 0:
                        return None         # nothing imported yet, and this role cannot create
                    schema.check_readable(con, self.label)
                elif version == 0 and not write:
                    return None             # made by the first write, as a SQLite store is
                else:
                    schema.migrate(con, self.label)
        except self.errors as exc:
            raise self._db_error(exc) from exc
        local.con = con
        return con

    def _forget(self, con: Any) -> None:
        with self._lock:
            if con in self._connections:
                self._connections.remove(con)
        con.close()
        self._local.con = None
        self._local.pg = None

    def _db_error(self, exc: BaseException) -> StoreError:
        import psycopg
        from psycopg import errors as e

        # the server's own words (cleaned: they come from outside), first line only
        first = one_line((str(exc).strip().splitlines() or [type(exc).__name__])[0], 300)
        if isinstance(exc, e.InsufficientPrivilege | e.ReadOnlySqlTransaction):
            return StoreError(self.read_only_message())
        if isinstance(exc, e.LockNotAvailable | e.QueryCanceled):
            return StoreError(tr("хранилище {p} занято другим процессом дольше {s} с; повторите позже",
                                 "the store {p} was busy in another process for over {s} s; try again later",
                                 p=self.label, s=LOCK_TIMEOUT_MS // 1000))
        if isinstance(exc, psycopg.OperationalError):
            return StoreError(tr("не удаётся подключиться к базе {p}: {e}",
                                 "cannot connect to the database {p}: {e}", p=self.label, e=first))
        return StoreError(tr("ошибка хранилища {p}: {e}", "store error in {p}: {e}",
                             p=self.label, e=first))

    def _begin(self, con: Any) -> None:
        """A write transaction holding the store's advisory lock (see the module docstring)."""
        con.execute("BEGIN")
        con.execute(f"SET LOCAL lock_timeout = {LOCK_TIMEOUT_MS}")
        con.execute("SELECT pg_advisory_xact_lock(?)", (WRITE_LOCK,))

    @contextlib.contextmanager
    def cache_transaction(self, timeout_s: float) -> Iterator[Any]:
        """A best-effort write (the flag cache): None when the store is read-only or another
        writer holds the lock now (the codes are simply computed again next time)."""
        try:
            if self.read_only:
                yield None
                return
            con = self._connection(write=True)
        except (StoreError, *self.errors):  # type: ignore[misc]
            yield None
            return
        try:
            con.execute("BEGIN")
            con.execute(f"SET LOCAL lock_timeout = {int(timeout_s * 1000)}")
            got = con.execute("SELECT pg_try_advisory_xact_lock(?)", (WRITE_LOCK,)).fetchone()[0]
        except self.errors:
            with contextlib.suppress(*self.errors):
                con.execute("ROLLBACK")
            yield None
            return
        if not got:
            con.execute("ROLLBACK")
            yield None
            return
        try:
            yield con
            con.execute("COMMIT")
        except self.errors:
            with contextlib.suppress(*self.errors):
                con.execute("ROLLBACK")
        except BaseException:
            with contextlib.suppress(*self.errors):
                con.execute("ROLLBACK")
            raise

    def signature(self) -> tuple:
        """What changes when a week, a registry or a shared list is written from any machine."""
        rows = self._query(
            "SELECT (SELECT coalesce(max(id), 0) FROM snapshots), "
            "(SELECT count(*) FROM snapshots WHERE superseded_by IS NULL), "
            "(SELECT coalesce(max(id), 0) FROM registries), "
            "(SELECT coalesce(max(updated_at), '') FROM shortlists)")
        return tuple(rows[0]) if rows else ()

    # -- copies of imported files --------------------------------------------------------------

    def _keep_copy(self, con: Any, data: bytes | blobs.FileSource, rel: str,
                   also: Iterable[str] = ()) -> bool:
        """The copy goes into ``blob_files`` in the import's transaction (rolled back with it):
        nothing is left to sweep and nothing to remove, so this never reports a copy made."""
        if con.execute("SELECT 1 FROM blob_files WHERE rel = ?", (rel,)).fetchone():
            return False
        if isinstance(data, blobs.FileSource):
            raw = blobs.read_source(data)
        else:
            raw = data
        con.execute("INSERT INTO blob_files (rel, data) VALUES (?, ?) ON CONFLICT DO NOTHING",
                    (rel, blobs.blob_bytes(raw, rel)))
        return False

    def _blob_path(self, rel: str) -> Path:
        return Path("blob_files") / rel

    def blob_data(self, rel: str) -> bytes | None:
        """The kept copy ``rel`` as it is stored (gzip for text files), or None."""
        rows = self._query("SELECT data FROM blob_files WHERE rel = ?", (rel,))
        return bytes(rows[0][0]) if rows else None

    # -- maintenance ---------------------------------------------------------------------------

    def integrity_check(self) -> str:
        rows = self._query("SELECT count(*) FROM snapshots s WHERE NOT EXISTS "
                           "(SELECT 1 FROM blob_files b WHERE b.rel = s.blob)")
        missing = rows[0][0] if rows else 0
        return "ok" if not missing else tr("копий файлов нет у снимков: {n}",
                                           "snapshots without their file copy: {n}", n=missing)

    def database_bytes(self) -> int:
        rows = self._query("SELECT pg_database_size(current_database())")
        return int(rows[0][0]) if rows else 0
