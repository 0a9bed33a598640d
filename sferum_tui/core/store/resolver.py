"""Who is who inside a write transaction: rows of a file mapped to stable organisation uids.

:func:`prepare` turns the reader's rows into :class:`PreparedRows` (columns, not an object per
row) before the transaction; :class:`Resolver` then finds or creates each organisation (ИНН
first, else the name keys of :mod:`sferum_tui.core.store.identity`), interns names,
municipalities and regions, and writes the new organisations, keys and spellings.
:class:`Lookup` is the per-store cache of an intern table.

Memory: a national file is ~45,000 rows and the CSV path must stay within 3× the file's size
(+150 MB) at 200,000 rows and more, so nothing here keeps a Python object per row beyond the
references in a few lists: the counts are numpy columns, the rows of the facts table are made a
chunk at a time (:class:`Resolved`), and the column copy is built from the same columns.
"""

from __future__ import annotations

import sqlite3
import threading
from array import array
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from itertools import count
from typing import Any, NamedTuple, cast

from sferum_tui.core.errors import InputFileError
from sferum_tui.core.fields import COUNT_FIELDS, STATUS_ACTIVE, STATUS_INACTIVE
from sferum_tui.core.store import identity
from sferum_tui.core.store.schema import bump
from sferum_tui.i18n import tr

_STATUS_CODE = {STATUS_ACTIVE: 1, STATUS_INACTIVE: 0}
_UNSET = object()
_FREE = -(1 << 63)          # an organisation no row of the file has taken yet
FLUSH_CHUNK = 5000
KEY_CHUNK = 5000            # rows resolved between two writes of the name keys they made


class RowView(NamedTuple):
    """One prepared row's identity texts (what a merge reads of a file's rows)."""
    row: int
    inn: str | None
    name: str | None
    municipality: str | None
    region: str | None


class NumColumn:
    """A column of numbers with missing values: a numpy array and a mask (True: missing)."""

    __slots__ = ("data", "mask")

    def __init__(self, values: Sequence, dtype, convert=None):
        import numpy as np

        n = len(values)
        self.mask = np.fromiter((v is None for v in values), dtype=bool, count=n)
        if convert is None:
            it = (0 if v is None else v for v in values)
        else:
            it = (0 if v is None else convert(v) for v in values)
        self.data = np.fromiter(it, dtype=dtype, count=n)

    def take(self, idx) -> "NumColumn":
        """The rows ``idx`` (itself when that is every row in order: no copy)."""
        import numpy as np

        n = len(self.data)
        if len(idx) == n and (n == 0 or (idx[0] == 0 and idx[-1] == n - 1 and bool((np.diff(idx) == 1).all()))):
            return self
        out = NumColumn.__new__(NumColumn)
        out.data, out.mask = self.data[idx], self.mask[idx]
        return out

    def values(self, idx) -> list:
        """Python values (None where missing) of the rows ``idx``."""
        out = self.data[idx].tolist()
        mask = self.mask[idx]
        if mask.any():
            for k in mask.nonzero()[0].tolist():
                out[k] = None
        return out


class PreparedRows:
    """The rows of a file ready for the store, as columns (index ``i`` is one row).

    ``values`` are the columns stored beside the identity: for facts the status code and the
    counts and share (:class:`NumColumn`), for a registry the staff count and the kind (lists).
    Name keys are computed only when needed, and equal keys share one ``str``."""

    __slots__ = ("registry", "row", "inn", "name", "municipality", "region", "values",
                 "_key_r", "_key_m")

    def __init__(self, registry: bool):
        self.registry = registry
        self._empty()

    def _empty(self) -> None:
        self.row: list[int] = []
        self.inn: list[str | None] = []
        self.name: list[str | None] = []
        self.municipality: list[str | None] = []
        self.region: list[str | None] = []
        self.values: list[Any] = []
        self._key_r: list | None = None
        self._key_m: list | None = None

    def __len__(self) -> int:
        return len(self.row)

    def __bool__(self) -> bool:
        return bool(self.row)

    def __iter__(self) -> Iterator[RowView]:
        return map(RowView, self.row, self.inn, self.name, self.municipality, self.region)

    def clear(self) -> None:
        self._empty()

    def keys(self, i: int) -> tuple[str | None, str | None]:
        """(name key with region, name key without region) of row ``i`` (kept until
        :meth:`forget_keys`: the resolver asks for a row's keys more than once)."""
        key_r, key_m = self._key_r, self._key_m
        if key_r is None or key_m is None:
            key_r = self._key_r = [_UNSET] * len(self.row)
            key_m = self._key_m = [None] * len(self.row)
        kr = key_r[i]
        if kr is _UNSET:
            kr, km = identity.name_keys(self.name[i], self.municipality[i], self.region[i])
            key_r[i], key_m[i] = kr, km
            return kr, km
        return kr, key_m[i]

    def forget_keys(self, rows: Iterable[int]) -> None:
        """Forget the name keys of ``rows`` (made again when asked for)."""
        key_r, key_m = self._key_r, self._key_m
        if key_r is not None and key_m is not None:
            for i in rows:
                key_r[i], key_m[i] = _UNSET, None

    def drop_keys(self) -> None:
        """Forget the name keys computed so far (they are made again when asked for)."""
        self._key_r = self._key_m = None

    def _take(self, keep: list[int]) -> None:
        """Only the rows ``keep`` (in that order) stay."""
        import numpy as np

        for attr in ("row", "inn", "name", "municipality", "region", "_key_r", "_key_m"):
            col = getattr(self, attr)
            if col is not None:
                setattr(self, attr, [col[i] for i in keep])
        idx = np.asarray(keep, dtype=np.int64)
        self.values = [v.take(idx) if isinstance(v, NumColumn) else [v[i] for i in keep]
                       for v in self.values]

    def value_lists(self, idx) -> list[list]:
        """The ``values`` columns as Python lists, of the rows ``idx`` (a numpy index array)."""
        return [v.values(idx) if isinstance(v, NumColumn) else [v[i] for i in idx.tolist()]
                for v in self.values]


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


def prepare(rows: Iterable[dict], *, registry: bool) -> tuple[PreparedRows, list[dict]]:
    """The reader's rows (a ``RowTable``, read by columns, or dicts) as :class:`PreparedRows`,
    and the rows skipped (neither an ИНН nor a name)."""
    import numpy as np

    column = getattr(rows, "column", None)
    if column is None:
        rows = list(rows)
        column = lambda f: [r.get(f) for r in rows]  # noqa: E731
    out = PreparedRows(registry)
    raw_rows = column("row")
    out.row = [int(r or 0) for r in raw_rows]
    out.inn = list(map(identity.normalize_inn, column("org_id")))
    out.name = list(map(_text, column("org_name")))
    out.municipality = list(map(_text, column("municipality")))
    out.region = list(map(_text, column("region")))
    skipped: list[dict] = []
    keep: list[int] = []
    for i, inn in enumerate(out.inn):
        if inn is None and out.keys(i)[1] is None:
            skipped.append({"row": raw_rows[i],
                            "reason": tr("нет ни ИНН, ни наименования организации",
                                         "neither an ИНН nor an organisation name")})
        else:
            keep.append(i)
    del raw_rows
    if registry:
        out.values = [column("staff_total"), list(map(_text, column("kind")))]
    else:
        status_code = _STATUS_CODE.get
        out.values = [NumColumn([None if s is None else status_code(s) for s in column("status")], np.int8)]
        out.values += [NumColumn(column(f), np.int64) for f in COUNT_FIELDS]
        out.values.append(NumColumn(column("teachers_active_share"), np.float64, float))
    if skipped:
        out._take(keep)
    return out, skipped


def utc_now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


class Lookup:
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

    def refresh(self, con: sqlite3.Connection) -> "Lookup":
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


class Resolved(Sequence):
    """The rows of one file mapped to organisations, in row order: a sequence of the rows to
    insert (facts or registry rows, without the snapshot id) made a slice at a time, so a
    large file never holds a tuple per row."""

    def __init__(self, rows: PreparedRows, idx, uids, ids: tuple[list, list, list], notes: list[str]):
        self.rows = rows          # the prepared rows (``idx`` indexes them)
        self.idx = idx            # int64 array: the prepared row of each output row
        self.uids = uids          # int64 array: its organisation
        self.ids = ids            # (name_id, municipality_id, region_id) per prepared row
        self.notes = notes

    def __len__(self) -> int:
        return len(self.idx)

    def __getitem__(self, index):
        if not isinstance(index, slice):
            i = range(len(self))[index]
            return self[i:i + 1][0]
        idx = self.idx[index]
        at = idx.tolist()
        row = self.rows.row
        nid, mid, rid = self.ids
        return list(zip(self.uids[index].tolist(), [row[i] for i in at], [nid[i] for i in at],
                        [mid[i] for i in at], [rid[i] for i in at], *self.rows.value_lists(idx)))


class _Pass:
    """One resolve over a file's rows: the interned ids of each row's texts, the row that took
    each organisation (by uid; ``_FREE``: none yet), the (row, organisation) pairs assigned,
    and the notes for the snapshot's warnings."""

    __slots__ = ("prepared", "nid", "mid", "rid", "used", "a_idx", "a_uid", "notes")

    def __init__(self, prepared: PreparedRows, nid: list, mid: list, rid: list, uids: int):
        self.prepared = prepared
        self.nid, self.mid, self.rid = nid, mid, rid
        self.used = array("q", [_FREE]) * uids
        self.a_idx = array("q")
        self.a_uid = array("q")
        self.notes: list[str] = []

    def ids(self, i: int) -> tuple:
        return self.nid[i], self.mid[i], self.rid[i]


class Resolver:
    """Maps prepared rows to organisation uids, creating organisations and name keys as needed.

    Works on in-memory maps loaded once per import (fast at country scale) and writes the new
    organisations, keys and interned texts back before returning.
    """

    def __init__(self, con: sqlite3.Connection, lookups: dict[str, Lookup]):
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
        # organisations made by this resolve (uids new_base, new_base + 1, …): the key (None:
        # the ИНН's), the ИНН and the prepared row that made each
        self.new_base = self.next_uid
        self.new_key: list[str | None] = []
        self.new_inn: list[str | None] = []
        self.new_row = array("q")
        self.new_keys: tuple[list[str], array] = ([], array("q"))   # (key, uid)
        self.inn_attached: list[tuple[str, str, int]] = []
        self.new_spellings = (array("q"), array("q"))   # (name_id, uid)
        self._pending: tuple = (self.next_uid, [], [], array("q"), [], [], [])
        # the first id this transaction interned in each table (ids that may still roll back,
        # so never put in the shared lookups): a merge resolves several files with one resolver,
        # and the later files find the texts of the earlier ones from there
        self.interned_from: dict[str, int] = {}

    # name keys, looked up lazily (a steady weekly file with ИНН needs none) ------------------

    def _prefetch(self, keys: Iterable[str | None]) -> None:
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
            self._prefetch((key,))
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

    def _intern(self, table: str, texts: list) -> list[int | None]:
        """The id of each text (None for None), inserting the texts new to the table (in sorted
        order; ids local to this transaction).  The map of the new texts lives only while the
        ids are looked up: a file of 200,000 new names held it (and SQLite's UTF-8 copy of each
        name it was given, ~10 MB more) to the end of the import."""
        known = self.lookups[table].by_text
        mine: dict[str, int] = {}
        if table in self.interned_from:           # texts an earlier resolve() of this transaction inserted
            mine.update(self.con.execute(f"SELECT name, id FROM {table} WHERE id >= ?",
                                         (self.interned_from[table],)))
        new = sorted({v for v in texts if v is not None and v not in known and v not in mine})
        if new:
            start = self.con.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}").fetchone()[0]
            self.interned_from.setdefault(table, start)
            # a copy of each text goes to SQLite, which keeps a UTF-8 copy inside a str it binds
            self.con.executemany(f"INSERT INTO {table} (id, name) VALUES (?, ?)",
                                 ((i, v.encode().decode()) for i, v in zip(count(start), new)))
            mine.update(zip(new, count(start)))
        del new
        known_id, my_id = known.get, mine.get
        return [None if v is None else known_id(v) or my_id(v) for v in texts]

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

    def _new_org(self, key: str | None, inn: str | None, i: int) -> int:
        """A new organisation made by prepared row ``i``; ``key`` None: its ИНН's key."""
        uid = self.next_uid
        self.next_uid += 1
        self.new_key.append(key)
        self.new_inn.append(inn)
        self.new_row.append(i)
        if inn:
            self.inn_to_uid[inn] = uid
            self.uid_inn[uid] = inn
        return uid

    def _map_keys(self, uid: int, key_r: str | None, key_m: str | None) -> None:
        for k in (key_r, key_m):
            if k is not None and self._key(k) is None:
                self.keys[k] = uid
                self.new_keys[0].append(k)
                self.new_keys[1].append(uid)
                if k.startswith("r:"):
                    self.has_region[uid] = True

    def resolve(self, prepared: PreparedRows, *, registry: bool,
                source: str = "") -> tuple[list[tuple], list[str]]:
        """The rows to insert (facts or registry rows, without the snapshot id) and notes about
        duplicates for the snapshot's warnings (:meth:`resolve_rows` as a list)."""
        done = self.resolve_rows(prepared, registry=registry, source=source)
        return done[:], done.notes

    def resolve_rows(self, prepared: PreparedRows, *, registry: bool, source: str = "") -> Resolved:
        """Every row of ``prepared`` mapped to an organisation (created where new), in row
        order; a second row of one ИНН is refused (facts) or skipped with a note (registry).
        The new organisations, name keys and spellings are written before it returns."""
        import numpy as np

        p_inn, p_row = prepared.inn, prepared.row
        n = len(prepared)
        p = _Pass(prepared, self._intern("org_names", prepared.name),
                  self._intern("municipalities", prepared.municipality),
                  self._intern("regions", prepared.region), self.next_uid + n + 1)
        # ИНН rows first, so a row known only by name cannot take an organisation that the same
        # file names by its ИНН further down; each pass a chunk of rows at a time, the chunk's
        # name keys fetched in a few queries, and the keys it makes written before the next
        # chunk (which finds them in the store), so no more than a chunk's keys are held
        for by_inn in (True, False):
            for start in range(0, n, KEY_CHUNK):
                rows = [i for i in range(start, min(n, start + KEY_CHUNK)) if bool(p_inn[i]) is by_inn]
                if not rows:
                    continue
                if by_inn:
                    self._resolve_by_inn(p, rows, registry=registry, source=source)
                else:
                    self._resolve_by_name(p, rows)
                self._flush_keys()
                prepared.forget_keys(rows)
        p.used = array("q")

        prepared.drop_keys()
        self._settle(p.nid, p.mid, p.rid)
        self.write_new()
        a_idx, a_uid = p.a_idx, p.a_uid
        idx = np.frombuffer(a_idx, dtype=np.int64) if len(a_idx) else np.zeros(0, dtype=np.int64)
        uids = np.frombuffer(a_uid, dtype=np.int64) if len(a_uid) else np.zeros(0, dtype=np.int64)
        order = np.argsort(np.fromiter((p_row[i] for i in a_idx), dtype=np.int64, count=len(a_idx)),
                           kind="stable")
        idx, uids = idx[order], uids[order]
        return Resolved(prepared, idx, uids, (p.nid, p.mid, p.rid), p.notes)

    def _resolve_by_inn(self, p: "_Pass", rows: list[int], *, registry: bool, source: str) -> None:
        """The rows ``rows`` (each with an ИНН) mapped to organisations."""
        prepared, used = p.prepared, p.used
        inns = [cast(str, prepared.inn[i]) for i in rows]
        p_row, p_keys = prepared.row, prepared.keys
        spelling, inn_to_uid = self.spelling, self.inn_to_uid
        # the name keys of the rows whose organisation or spelling is new, in a few queries
        self._prefetch(k for i, inn in zip(rows, inns)
                       if inn not in inn_to_uid or spelling.get(inn_to_uid[inn]) != p.ids(i)
                       for k in p_keys(i))
        for i, inn in zip(rows, inns):
            uid = inn_to_uid.get(inn)
            if uid is None:
                cand = self._by_name(*p_keys(i))
                if cand is not None and cand not in self.uid_inn and used[cand] == _FREE:
                    uid = cand                       # a name-only organisation gets its ИНН
                    self.uid_inn[uid] = inn
                    inn_to_uid[inn] = uid
                    self.inn_attached.append((inn, identity.inn_key(inn), uid))
                else:
                    uid = self._new_org(None, inn, i)
            if used[uid] != _FREE:
                if not registry:
                    raise InputFileError(tr(
                        "{f}: строки {a} и {b}: один и тот же ИНН {i}",
                        "{f}: rows {a} and {b}: the same ИНН {i}",
                        f=source, a=used[uid], b=p_row[i], i=inn),
                        source=source, row=p_row[i], column="org_id")
                p.notes.append(tr("строка {b}: ИНН {i} уже был в строке {a}; строка пропущена",
                                  "row {b}: ИНН {i} already in row {a}; row skipped",
                                  a=used[uid], b=p_row[i], i=inn))
                continue
            if spelling.get(uid) != p.ids(i):     # a spelling not keyed yet (cheap check first)
                self._map_keys(uid, *p_keys(i))
            self._assign(p, uid, i)

    def _resolve_by_name(self, p: "_Pass", rows: list[int]) -> None:
        """The rows ``rows`` (none with an ИНН) mapped to organisations by their name keys."""
        prepared, used = p.prepared, p.used
        self._prefetch(k for i in rows for k in prepared.keys(i))
        for i in rows:
            key_r, key_m = keys = prepared.keys(i)
            uid = self._by_name(key_r, key_m)
            k = 1
            while uid is not None and used[uid] != _FREE:
                # a second organisation of the same name in one municipality in one file:
                # keep it apart, under a numbered key that the next week's file will match again
                k += 1
                key_r = f"{keys[0]}#{k}" if keys[0] else None
                key_m = f"{keys[1]}#{k}"
                uid = self._by_name(key_r, key_m)
            if k > 1:
                p.notes.append(tr("строка {b}: организация «{o}» уже была в строке {a}; учтена как отдельная",
                                  "row {b}: organisation “{o}” already in row {a}; kept as a separate one",
                                  b=prepared.row[i], o=prepared.name[i],
                                  a=_first_row_named(prepared, p.a_idx, keys[1])))
            if uid is None:
                uid = self._new_org(identity.display_key_of(key_r, key_m) or "", None, i)
            self._map_keys(uid, key_r, key_m)
            self._assign(p, uid, i)

    def _assign(self, p: "_Pass", uid: int, i: int) -> None:
        """Prepared row ``i`` takes organisation ``uid``; a spelling new to it is recorded."""
        if self.spelling.get(uid) != p.ids(i):
            name_id = p.nid[i]
            if name_id is not None:
                self._spelling(name_id, uid)
        p.used[uid] = p.prepared.row[i]
        p.a_idx.append(i)
        p.a_uid.append(uid)

    def _flush_keys(self) -> None:
        """Write the name keys made so far and forget the keys looked up: later lookups find
        them in the store (inside this transaction)."""
        keys, owners = self.new_keys
        if keys:
            self.con.executemany("INSERT INTO org_keys (key, org_uid) VALUES (?,?)",
                                 list(zip(keys, owners)))
        self.new_keys = ([], array("q"))
        self.keys.clear()
        self.has_region.clear()

    def _spelling(self, name_id: int, uid: int) -> None:
        self.new_spellings[0].append(name_id)
        self.new_spellings[1].append(uid)

    def _settle(self, nid: list, mid: list, rid: list) -> None:
        """Attach the ИНН found for name-only organisations and give every new organisation
        its final key (``key#uid`` where the key is taken: never expected); the new rows
        themselves are written by :meth:`write_new`."""
        con = self.con
        if self.inn_attached:
            version = bump(con, "keys_version")
            con.executemany("UPDATE orgs SET inn = ?, key = ?, key_version = ? WHERE uid = ?",
                            [(inn, key, version, uid) for inn, key, uid in self.inn_attached])
            for _, key, uid in self.inn_attached:
                self.org_key[uid] = key
            self.inn_attached = []
        self._pending = (self.new_base, self.new_key, self.new_inn, self.new_row, nid, mid, rid)
        if not self.new_key:
            return
        org_key, inn_key, base = self.org_key, identity.inn_key, self.new_base
        new_key, new_inn = self.new_key, self.new_inn
        # a new ИНН key cannot meet another new key (one organisation per ИНН, and a name key
        # starts with «name:»), so only the name keys are remembered between chunks
        made: set[str] = set()
        for s in range(0, len(new_key), FLUSH_CHUNK):
            keys = [inn_key(cast(str, inn)) if key is None else key
                    for key, inn in zip(new_key[s:s + FLUSH_CHUNK], new_inn[s:s + FLUSH_CHUNK])]
            taken: set[str] = set()
            for i in range(0, len(keys), 500):
                part = keys[i:i + 500]
                taken.update(k for (k,) in con.execute(
                    f"SELECT key FROM orgs WHERE key IN ({','.join('?' * len(part))})", part))
            for k, key in enumerate(keys):
                if key in taken or key in made:
                    uid = base + s + k
                    key = f"{key}#{uid}"
                    new_key[s + k] = key
                    org_key[uid] = key
                elif new_key[s + k] is not None:
                    org_key[base + s + k] = key   # an ИНН's key is made again when needed
                if new_key[s + k] is not None:
                    made.add(key)

    def write_new(self) -> None:
        """Write the organisations and spellings that the last resolve made (its name keys are
        written as it goes)."""
        con = self.con
        base, new_key, new_inn, new_row, nid, mid, rid = self._pending
        self._pending = (self.next_uid, [], [], array("q"), [], [], [])
        if new_key:
            now, inn_key = utc_now(), identity.inn_key
            for s in range(0, len(new_key), FLUSH_CHUNK):
                rows = []
                for k in range(s, min(s + FLUSH_CHUNK, len(new_key))):
                    i, key, inn = new_row[k], new_key[k], new_inn[k]
                    rows.append((base + k, inn_key(cast(str, inn)) if key is None else key, inn,
                                 nid[i], mid[i], rid[i], now))
                con.executemany(
                    "INSERT INTO orgs (uid, key, inn, name_id, municipality_id, region_id, created_at) "
                    "VALUES (?,?,?,?,?,?,?)", rows)
        names, uids = self.new_spellings
        for s in range(0, len(names), FLUSH_CHUNK):
            con.executemany("INSERT OR IGNORE INTO org_spellings (name_id, org_uid) VALUES (?,?)",
                            list(zip(names[s:s + FLUSH_CHUNK], uids[s:s + FLUSH_CHUNK])))
        self.new_base = self.next_uid
        self.new_key, self.new_inn, self.new_row = [], [], array("q")
        self.new_spellings = (array("q"), array("q"))


def _first_row_named(prepared: PreparedRows, assigned: Sequence[int], key_m) -> int | str:
    for i in assigned:     # rare (a name twice in a file): the keys are made again, not kept
        if identity.name_keys(prepared.name[i], prepared.municipality[i], prepared.region[i])[1] == key_m:
            return prepared.row[i]
    return "?"
