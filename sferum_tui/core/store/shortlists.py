"""Named shortlists of organisations («списки на контроль»), kept in the store's SQLite file.

An official keeps a few lists — "write to these heads this week", "the district's laggards" —
and exports or shows them with the week's figures. A list holds organisations by their stable
``uid`` (see :mod:`sferum_tui.core.store`), with the time each was added and an optional note.
The ИНН, name and municipality are copied in when an organisation is added, so a list still reads
if the organisation later changes its name or leaves the files.

The tables (``shortlists``, ``shortlist_members``) are declared by the store's schema
(:mod:`sferum_tui.core.store.schema`, version 5). Every change is one ``BEGIN IMMEDIATE`` transaction
on the store's connection (WAL): a second process — the console holding the store open, a
script — waits its turn and sees the change once it is committed.

Personal and shared lists.  On the user's own store (the data folder) every list is in the
store, as it always was: nobody else reads it, so a list there counts as shared by its owner.  When
the store is elsewhere (``--store``, ``SFERUM_TUI_STORE``, ``[store] url``: a team's store, often
read-only to the user), the store's lists are the team's **shared** lists, and the user's
**personal** lists are in a SQLite file of their own (``lists.sqlite`` in their data folder, the
same tables, made by ``schema.make_list_tables``) that :func:`attach_personal` names; members are
joined to the store's organisations by uid.  A new list (and the console's marks, the default
list) is personal; ``share`` moves a personal list into the store (only someone who can write the
store can).  A name held by both means the personal list.  Every change of a list records the OS
account that made it (``changed_by``), which the shared lists show.

This module imports neither Textual nor (at import time) pandas.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import sqlite3
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sferum_tui.core.errors import StoreError, UserError
from sferum_tui.core.text import fold
from sferum_tui.i18n import tr

if TYPE_CHECKING:
    import pandas as pd

    from sferum_tui.core.store import Store

__all__ = [
    "Shortlists", "ShortlistInfo", "MEMBER_COLUMNS", "MAX_NAME_LENGTH", "clean_name",
    "join_members", "DEFAULT_LIST", "display_name", "is_default", "attach_personal",
    "PersonalLists", "PERSONAL_FILE", "who",
]

#: The user's personal lists beside a shared store, in their own data folder.
PERSONAL_FILE = "lists.sqlite"

MAX_NAME_LENGTH = 80

#: Columns of :meth:`Shortlists.members`, in order.
MEMBER_COLUMNS = ("org_uid", "org_key", "org_id", "org_name", "municipality", "region",
                  "added_at", "note")

@dataclass(frozen=True)
class ShortlistInfo:
    name: str
    count: int
    created_at: str      # UTC ISO
    updated_at: str
    shared: bool = True          # in the store (False: the user's personal file)
    changed_by: str | None = None    # the OS account that changed it last


def who() -> str:
    """The OS account making a change (``getpass.getuser()``; the uid when it has no name)."""
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no name for this uid (a container)
        return f"uid {os.getuid()}" if hasattr(os, "getuid") else "?"


def attach_personal(store: "Store", path: str | os.PathLike | None) -> "Store":
    """Keep the personal lists of ``store``'s user in the SQLite file ``path`` (None: in the
    store, the single-user default).  Every :class:`Shortlists` on that store follows it."""
    store.personal_lists = Path(path) if path is not None else None
    return store


class PersonalLists:
    """A user's own list file: the three calls :class:`Shortlists` makes of a store
    (``read_connection``, ``transaction``, ``error``), on a small SQLite file made on the first
    write.  A connection per call: the file is tiny and calls come from any thread."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    def error(self, exc: sqlite3.Error) -> StoreError:
        return StoreError(tr("{p}: ошибка файла личных списков: {e}",
                             "{p}: personal lists file error: {e}", p=self.path, e=exc))

    @contextlib.contextmanager
    def _open(self) -> Iterator[sqlite3.Connection]:
        con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            yield con
        finally:
            con.close()

    def read_connection(self):
        """A context manager giving a connection, or None when the file is not there yet."""
        if not self.path.exists():
            return contextlib.nullcontext(None)
        return self._open()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        from sferum_tui.core.store import schema

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._open() as con:
                con.execute("BEGIN IMMEDIATE")
                try:
                    schema.make_list_tables(con)
                    yield con
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
                con.execute("COMMIT")
        except sqlite3.Error as exc:
            raise self.error(exc) from exc
        except OSError as exc:
            raise StoreError(tr("{p}: не удалось записать файл личных списков: {e}",
                                "{p}: cannot write the personal lists file: {e}",
                                p=self.path, e=exc.strerror or exc)) from None


def _next_list_id(con) -> int:
    """A new list's id (written explicitly: a PostgreSQL store does not number rows itself)."""
    return con.execute("SELECT coalesce(max(id), 0) + 1 FROM shortlists").fetchone()[0]


def _utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


#: The default list («space» marks into it).  It is kept under this one name whatever the UI
#: language, so switching language neither empties it nor loses the marks; only its display
#: name is translated (:func:`display_name`), and its English name finds it too.
DEFAULT_LIST = "Рассылка"
_DEFAULT_NAMES = ("рассылка", "mailing")


def _name_key(name: str) -> str:
    key = fold(name)
    return _DEFAULT_NAMES[0] if key in _DEFAULT_NAMES else key


def is_default(name: str | None) -> bool:
    return name is not None and _name_key(name) == _DEFAULT_NAMES[0]


def display_name(name: str) -> str:
    """A list's name as the UI shows it: the default list's in the current language."""
    return tr("Рассылка", "Mailing") if is_default(name) else name


def clean_name(name) -> str:
    """The list name as it will be kept, or a one-line :class:`UserError`."""
    text = " ".join(str(name if name is not None else "").split())
    if not text:
        raise UserError(tr("имя списка не может быть пустым", "a list name cannot be empty"))
    if len(text) > MAX_NAME_LENGTH:
        raise UserError(tr("имя списка длиннее {n} знаков", "a list name is longer than {n} characters",
                           n=MAX_NAME_LENGTH))
    if any(unicodedata.category(ch).startswith("C") for ch in text):
        raise UserError(tr("в имени списка есть управляющие символы",
                           "the list name holds control characters"))
    return text


def _clean_note(note) -> str | None:
    if note is None:
        return None
    text = " ".join(str(note).split())
    return text or None


def _uids(org_uids: Iterable) -> list[int]:
    if isinstance(org_uids, (int, str)):
        org_uids = [org_uids]
    out: list[int] = []
    seen: set[int] = set()
    for u in org_uids:
        try:
            uid = int(u)
        except (TypeError, ValueError):
            raise UserError(tr("не номер организации: «{v}»", "not an organisation number: “{v}”", v=u)) from None
        if uid not in seen:
            seen.add(uid)
            out.append(uid)
    return out


class Shortlists:
    """Named shortlists of ``store``'s organisations: the lists in the store (shared), and the
    user's personal ones when :func:`attach_personal` named their file.

    Uses the store's per-thread connection, so the console and a worker thread may share one
    :class:`~sferum_tui.core.store.Store`; other processes see each committed change.
    """

    def __init__(self, store: "Store"):
        self.store = store
        path = store.personal_lists
        self.personal = PersonalLists(path) if path is not None else None

    # -- plumbing ------------------------------------------------------------------------------

    def _dbs(self) -> list:
        """Where lists are, the personal file first (a name in both means the personal list)."""
        return [self.personal, self.store] if self.personal is not None else [self.store]

    def _tables_exist(self, con: sqlite3.Connection) -> bool:
        # a read-only store of schema 4 (which cannot be migrated) has no shortlist tables
        from sferum_tui.core.store import schema

        return schema.has_table(con, "shortlists") and schema.has_table(con, "shortlist_members")

    def _read(self, sql: str, params: tuple = (), db=None) -> list[tuple]:
        """Rows of a query over the shortlist tables of ``db`` (the store by default); none
        before the first write.  ``{changed_by}`` in ``sql`` is the column, or NULL in a store
        made before it existed (read-only, not migrated)."""
        db = self.store if db is None else db
        if isinstance(db, PersonalLists):
            try:
                with db.read_connection() as con:
                    return self._rows(db, con, sql, params)
            except sqlite3.Error as exc:     # (opening it)
                raise db.error(exc) from exc
        return self._rows(db, db.read_connection(), sql, params)

    def _rows(self, db, con, sql: str, params: tuple) -> list[tuple]:
        if con is None:
            return []
        try:
            if not self._tables_exist(con):
                return []
            if "{changed_by}" in sql:
                from sferum_tui.core.store import schema

                cols = set(schema.columns_of(con, "shortlists"))
                sql = sql.replace("{changed_by}", "s.changed_by" if "changed_by" in cols else "NULL")
            return con.execute(sql, params).fetchall()
        except (sqlite3.DatabaseError, *getattr(db, "errors", ())) as exc:
            raise db.error(exc) from exc

    def _holder(self, name: str):
        """The database holding the list ``name``, or None."""
        for db in self._dbs():
            if self._read("SELECT 1 FROM shortlists WHERE name_key = ?", (_name_key(name),), db):
                return db
        return None

    def _for_write(self, name: str):
        """Where a change to ``name`` goes: the database holding it, else (a new list) the
        personal file when there is one, else the store."""
        return self._holder(name) or self._dbs()[0]

    def _list_id(self, con: sqlite3.Connection, name: str) -> int | None:
        row = con.execute("SELECT id FROM shortlists WHERE name_key = ?", (_name_key(name),)).fetchone()
        return row[0] if row else None

    def _require(self, con: sqlite3.Connection, name: str) -> int:
        list_id = self._list_id(con, name)
        if list_id is None:
            raise UserError(self._unknown(name))
        return list_id

    def _unknown(self, name: str, con: sqlite3.Connection | None = None) -> str:
        names = self.names()
        if names:
            return tr("нет списка «{n}» (есть: {all})", "there is no list “{n}” (lists: {all})",
                      n=name, all=", ".join(names[:10]) + (" …" if len(names) > 10 else ""))
        return tr("нет списка «{n}» (списков ещё нет)", "there is no list “{n}” (no lists yet)", n=name)

    def _touch(self, con: sqlite3.Connection, list_id: int, now: str) -> None:
        con.execute("UPDATE shortlists SET updated_at = ?, changed_by = ? WHERE id = ?",
                    (now, who(), list_id))

    # -- reading -------------------------------------------------------------------------------

    def names(self) -> list[str]:
        """Names of all lists, alphabetically (case-insensitive); a personal list hides a
        shared one of the same name."""
        return [i.name for i in self.lists()]

    def lists(self) -> list[ShortlistInfo]:
        """Every list with its member count, times, whether it is shared and who changed it
        last, alphabetically."""
        out: dict[str, ShortlistInfo] = {}
        for db in self._dbs():
            shared = db is self.store
            for key, *rest in self._read(
                    "SELECT s.name_key, s.name, (SELECT count(*) FROM shortlist_members m "
                    "WHERE m.list_id = s.id), s.created_at, s.updated_at, {changed_by} "
                    "FROM shortlists s ORDER BY s.name_key, s.id", (), db):
                if key not in out:
                    name, count, created, updated, changed_by = rest
                    out[key] = ShortlistInfo(name, count, created, updated, shared=shared,
                                             changed_by=changed_by)
        return [out[k] for k in sorted(out)]

    def exists(self, name: str) -> bool:
        return self._holder(name) is not None

    def is_shared(self, name: str) -> bool:
        """True when the list ``name`` is in the store (seen by everyone who reads it)."""
        return self._holder(name) is self.store

    def require(self, name: str) -> str:
        """The list's name as kept, or the one-line :class:`UserError` "no such list"."""
        found = self.canonical_name(name)
        if found is None:
            raise UserError(self._unknown(name))
        return found

    def canonical_name(self, name: str) -> str | None:
        """The list's name as first written (``name`` matches it case-insensitively), or None."""
        for db in self._dbs():
            rows = self._read("SELECT name FROM shortlists WHERE name_key = ?", (_name_key(name),), db)
            if rows:
                return rows[0][0]
        return None

    def contains(self, name: str) -> set[int]:
        """The org uids in the list (empty for a list that does not exist)."""
        db = self._holder(name)
        if db is None:
            return set()
        return {r[0] for r in self._read(
            "SELECT m.org_uid FROM shortlist_members m JOIN shortlists s ON s.id = m.list_id "
            "WHERE s.name_key = ?", (_name_key(name),), db)}

    def members(self, name: str) -> "pd.DataFrame":
        """One row per member, in the order added: ``org_uid``, ``org_key``, ``org_id`` (ИНН),
        ``org_name``, ``municipality``, ``region`` (the organisation's latest, else as kept when
        added), ``added_at`` (UTC ISO) and ``note``. An unknown list is a :class:`UserError`."""
        import pandas as pd

        self.require(name)
        db = self._holder(name)
        kept = self._read(
            "SELECT m.org_uid, m.inn, m.org_name, m.municipality, m.region, m.added_at, m.note "
            "FROM shortlist_members m JOIN shortlists s ON s.id = m.list_id "
            "WHERE s.name_key = ? ORDER BY m.seq", (_name_key(name),), db)
        latest = self._latest([r[0] for r in kept])
        rows = []
        for uid, inn, org_name, muni, region, added, note in kept:
            key, *now = latest.get(uid, (None, None, None, None, None))
            fresh = [a if a is not None else b for a, b in zip(now, (inn, org_name, muni, region))]
            rows.append((uid, key, *fresh, added, note))
        cols = list(zip(*rows)) if rows else [() for _ in MEMBER_COLUMNS]
        data = {"org_uid": pd.array(cols[0], dtype="int64")}
        for name_, values in zip(MEMBER_COLUMNS[1:], cols[1:]):   # text, None kept as None
            data[name_] = pd.Series(list(values), dtype=object)
        return pd.DataFrame(data, columns=list(MEMBER_COLUMNS))

    def _latest(self, uids: list[int]) -> dict[int, tuple]:
        """``uid → (key, inn, name, municipality, region)`` as the store has them now."""
        con = self.store.read_connection()
        if con is None or not uids:
            return {}
        out: dict[int, tuple] = {}
        try:
            for i in range(0, len(uids), 500):
                chunk = uids[i:i + 500]
                marks = ",".join("?" * len(chunk))
                for uid, *rest in con.execute(
                        "SELECT o.uid, o.key, o.inn, n.name, m.name, r.name FROM orgs o "
                        "LEFT JOIN org_names n ON n.id = o.name_id "
                        "LEFT JOIN municipalities m ON m.id = o.municipality_id "
                        f"LEFT JOIN regions r ON r.id = o.region_id WHERE o.uid IN ({marks})", chunk):
                    out[uid] = tuple(rest)
        except self.store.errors as exc:
            raise self.store.error(exc) from exc
        return out

    # -- changing ------------------------------------------------------------------------------

    def create(self, name: str) -> str:
        """Make an empty list (nothing happens if it exists); returns its name as kept."""
        name = clean_name(name)
        with self._for_write(name).transaction() as con:
            return self._create_in(con, name)

    def _create_in(self, con: sqlite3.Connection, name: str) -> str:
        row = con.execute("SELECT name FROM shortlists WHERE name_key = ?", (_name_key(name),)).fetchone()
        if row:
            return row[0]
        if is_default(name):
            name = DEFAULT_LIST
        now = _utc_now()
        con.execute("INSERT INTO shortlists (id, name, name_key, created_at, updated_at, changed_by) "
                    "VALUES (?,?,?,?,?,?)", (_next_list_id(con), name, _name_key(name), now, now, who()))
        return name

    def add(self, name: str, org_uids: Iterable[int], note: str | None = None) -> int:
        """Add organisations (the list is made if needed); returns how many were new.

        Members already in the list keep their time added; a ``note`` given replaces theirs.
        An uid the store does not know is a :class:`UserError` and nothing changes.
        """
        name = clean_name(name)
        uids = _uids(org_uids)
        note = _clean_note(note)
        known = self._details(uids)
        unknown = [u for u in uids if u not in known]
        if unknown:
            raise UserError(tr("нет организации с номером {u} в хранилище",
                               "there is no organisation number {u} in the store",
                               u=", ".join(map(str, unknown[:5]))))
        with self._for_write(name).transaction() as con:
            self._create_in(con, name)
            list_id = self._require(con, name)
            present = {r[0] for r in con.execute(
                "SELECT org_uid FROM shortlist_members WHERE list_id = ?", (list_id,))}
            seq = con.execute("SELECT coalesce(max(seq), 0) FROM shortlist_members WHERE list_id = ?",
                              (list_id,)).fetchone()[0]
            now = _utc_now()
            new_rows = []
            for uid in uids:
                if uid in present:
                    continue
                seq += 1
                new_rows.append((list_id, uid, seq, now, note, *known[uid]))
            con.executemany(
                "INSERT INTO shortlist_members (list_id, org_uid, seq, added_at, note, inn, org_name, "
                "municipality, region) VALUES (?,?,?,?,?,?,?,?,?)", new_rows)
            if note is not None:
                con.executemany("UPDATE shortlist_members SET note = ? WHERE list_id = ? AND org_uid = ?",
                                [(note, list_id, u) for u in uids if u in present])
            self._touch(con, list_id, now)
        return len(new_rows)

    def _details(self, uids: list[int]) -> dict[int, tuple]:
        """``uid → (inn, name, municipality, region)`` for the organisations the store knows."""
        return {uid: tuple(rest) for uid, (_key, *rest) in self._latest(uids).items()}

    def set_note(self, name: str, org_uid: int, note: str | None) -> None:
        """Change (or with None/empty, remove) one member's note."""
        with self._for_write(name).transaction() as con:
            list_id = self._require(con, name)
            cur = con.execute("UPDATE shortlist_members SET note = ? WHERE list_id = ? AND org_uid = ?",
                              (_clean_note(note), list_id, int(org_uid)))
            if cur.rowcount == 0:
                raise UserError(tr("организации №{u} нет в списке «{n}»",
                                   "organisation #{u} is not in the list “{n}”", u=org_uid, n=name))
            self._touch(con, list_id, _utc_now())

    def remove(self, name: str, org_uids: Iterable[int]) -> int:
        """Take organisations out of the list; returns how many were in it."""
        uids = _uids(org_uids)
        with self._for_write(name).transaction() as con:
            list_id = self._require(con, name)
            removed = 0
            for uid in uids:
                removed += con.execute("DELETE FROM shortlist_members WHERE list_id = ? AND org_uid = ?",
                                       (list_id, uid)).rowcount
            if removed:
                self._touch(con, list_id, _utc_now())
        return removed

    def clear(self, name: str) -> int:
        """Empty the list (it stays, with no members); returns how many were removed."""
        with self._for_write(name).transaction() as con:
            list_id = self._require(con, name)
            removed = con.execute("DELETE FROM shortlist_members WHERE list_id = ?", (list_id,)).rowcount
            self._touch(con, list_id, _utc_now())
        return removed

    def delete(self, name: str) -> int:
        """Delete the list and its members; returns how many members it had."""
        with self._for_write(name).transaction() as con:
            list_id = self._require(con, name)
            removed = con.execute("DELETE FROM shortlist_members WHERE list_id = ?", (list_id,)).rowcount
            con.execute("DELETE FROM shortlists WHERE id = ?", (list_id,))
        return removed

    def rename(self, old: str, new: str) -> str:
        """Rename a list; a different list already named ``new`` is a :class:`UserError`."""
        new = clean_name(new)
        with self._for_write(old).transaction() as con:
            list_id = self._require(con, old)
            other = self._list_id(con, new)
            if other is not None and other != list_id:
                raise UserError(tr("список «{n}» уже есть", "a list “{n}” already exists", n=new))
            con.execute("UPDATE shortlists SET name = ?, name_key = ?, updated_at = ?, changed_by = ? "
                        "WHERE id = ?", (new, _name_key(new), _utc_now(), who(), list_id))
        return new

    def share(self, name: str) -> tuple[str, bool]:
        """Make the personal list ``name`` shared: moved into the store, members, notes and
        times as they are, recorded as changed by this account.  Returns ``(name as kept,
        moved)``; ``moved`` is False for a list already in the store.  A read-only store, or a
        shared list of that name already there, is a one-line :class:`UserError`, and the
        personal list stays."""
        db = self._holder(name)
        if db is None:
            raise UserError(self._unknown(name))
        shown = self.canonical_name(name) or name
        if db is self.store:
            return shown, False
        self.store.require_writable()
        rows = self._read(
            "SELECT m.org_uid, m.seq, m.added_at, m.note, m.inn, m.org_name, m.municipality, m.region "
            "FROM shortlist_members m JOIN shortlists s ON s.id = m.list_id WHERE s.name_key = ? "
            "ORDER BY m.seq", (_name_key(name),), db)
        head = self._read("SELECT name, created_at FROM shortlists WHERE name_key = ?",
                          (_name_key(name),), db)[0]
        with self.store.transaction() as con:
            if self._list_id(con, name) is not None:
                raise UserError(tr("общий список «{n}» уже есть в хранилище; переименуйте свой: "
                                   "sferum-tui shortlist rename «{n}» НОВОЕ",
                                   "a shared list “{n}” is already in the store; rename yours: "
                                   "sferum-tui shortlist rename “{n}” NEW", n=shown))
            now = _utc_now()
            list_id = _next_list_id(con)
            con.execute(
                "INSERT INTO shortlists (id, name, name_key, created_at, updated_at, changed_by) "
                "VALUES (?,?,?,?,?,?)", (list_id, head[0], _name_key(head[0]), head[1], now, who()))
            con.executemany(
                "INSERT INTO shortlist_members (list_id, org_uid, seq, added_at, note, inn, org_name, "
                "municipality, region) VALUES (?,?,?,?,?,?,?,?,?)",
                [(list_id, *r) for r in rows])
        # committed in the store: the personal copy goes (a crash here leaves both, and the
        # personal one is still what this user sees — nothing is lost)
        with db.transaction() as con:
            lid = self._list_id(con, name)
            if lid is not None:
                con.execute("DELETE FROM shortlist_members WHERE list_id = ?", (lid,))
                con.execute("DELETE FROM shortlists WHERE id = ?", (lid,))
        return head[0], True


# --------------------------------------------------------------------------------------------
# A list's members beside a week's table
# --------------------------------------------------------------------------------------------

def join_members(members: "pd.DataFrame", week: "pd.DataFrame") -> "pd.DataFrame":
    """The week's rows of a list's members, in the list's order, with ``note`` and ``added_at``.

    ``week`` is a week table (``indicators.week_table``) or any frame with ``org_uid``. A member
    without a row that week keeps its ИНН, name and municipality, has the week's columns empty,
    ``in_week`` False and the reason «нет в файле этой недели»; the others have ``in_week`` True.
    """
    keep = ("org_uid", "added_at", "note")
    m = members[list(keep)].copy()
    m["_order"] = range(len(m))
    rows = week[week["org_uid"].isin(m["org_uid"])]
    out = m.merge(rows.drop(columns=[c for c in ("added_at", "note") if c in rows.columns]),
                  on="org_uid", how="left", indicator="_merge")
    out["in_week"] = out["_merge"].eq("both")
    fallback = members.set_index("org_uid")
    for col in ("org_key", "org_id", "org_name", "municipality", "region"):
        kept = out["org_uid"].map(fallback[col]) if col in fallback.columns else None
        if kept is None:
            continue
        if col in out.columns:
            out[col] = out[col].astype(object).where(out["in_week"], kept)
        else:
            out[col] = kept
    absent = (tr("нет в файле этой недели", "not in this week's file"),)
    if "reasons" in out.columns:
        out["reasons"] = [tuple(r) if isinstance(r, (list, tuple)) else (() if w else absent)
                          for r, w in zip(out["reasons"], out["in_week"])]
    else:
        out["reasons"] = [() if w else absent for w in out["in_week"]]
    out = out.sort_values("_order", kind="stable").drop(columns=["_order", "_merge"])
    # the week's columns first, then the list's own
    front = [c for c in week.columns if c in out.columns]
    back = [c for c in out.columns if c not in front]
    return out[front + back].reset_index(drop=True)
