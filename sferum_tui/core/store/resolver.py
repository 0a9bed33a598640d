"""Who is who inside a write transaction: rows of a file mapped to stable organisation uids.

:func:`prepare` turns the reader's rows into :class:`Prepared` rows before the transaction;
:class:`Resolver` then finds or creates each organisation (ИНН first, else the name keys of
:mod:`sferum_tui.core.store.identity`), interns names, municipalities and regions, and writes the
new organisations, keys and spellings. :class:`Lookup` is the per-store cache of an intern table.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sferum_tui.core.errors import InputFileError
from sferum_tui.core.fields import STATUS_ACTIVE, STATUS_INACTIVE
from sferum_tui.core.store import identity
from sferum_tui.core.store.schema import bump
from sferum_tui.i18n import tr

_STATUS_CODE = {STATUS_ACTIVE: 1, STATUS_INACTIVE: 0}


class Prepared:
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


def prepare(rows: Iterable[dict], *, registry: bool) -> tuple[list[Prepared], list[dict]]:
    prepared: list[Prepared] = []
    skipped: list[dict] = []
    normalize_inn = identity.normalize_inn
    status_code = _STATUS_CODE.get
    for r in rows:
        get = r.get
        inn = normalize_inn(get("org_id"))
        p = Prepared(int(get("row") or 0), inn, _text(get("org_name")),
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
        self.new_orgs: list[tuple] = []          # (uid, key, inn)
        self.new_keys: list[tuple[str, int]] = []
        self.inn_attached: list[tuple[str, str, int]] = []
        self.new_spellings: list[tuple[int, int]] = []
        self.texts: list[tuple] = []   # after resolve(): (region, municipality, name, key, ИНН) per row
        # texts this transaction interned (ids that may still roll back, so never put in the
        # shared lookups): a merge resolves several files with one resolver
        self.interned: dict[str, dict[str, int]] = {}

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
        mine = self.interned.setdefault(table, {})   # inserted by an earlier resolve() call
        out = {v: known[v] if v in known else mine[v] for v in values
               if v is not None and (v in known or v in mine)}
        new = sorted(v for v in values if v is not None and v not in out)
        if new:
            start = self.con.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}").fetchone()[0]
            rows = [(start + i, v) for i, v in enumerate(new)]
            self.con.executemany(f"INSERT INTO {table} (id, name) VALUES (?, ?)", rows)
            out.update((v, i) for i, v in rows)
            mine.update((v, i) for i, v in rows)
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

    def _note_spelling(self, uid: int, p: Prepared) -> None:
        if p.ids[0] is not None:
            self.new_spellings.append((p.ids[0], uid))

    def _map_keys(self, uid: int, key_r: str | None, key_m: str | None) -> None:
        for k in (key_r, key_m):
            if k is not None and self._key(k) is None:
                self.keys[k] = uid
                self.new_keys.append((k, uid))
                if k.startswith("r:"):
                    self.has_region[uid] = True

    def resolve(self, prepared: list[Prepared], *, registry: bool,
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
                        for k in p.keys if k is not None})
        notes: list[str] = []
        used: dict[int, int] = {}     # uid → row that took it in this file
        assigned: list[tuple[Prepared, int]] = []
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
                uid = self._new_org(identity.display_key_of(key_r, key_m) or "", None)
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
            version = bump(con, "keys_version")
            con.executemany("UPDATE orgs SET inn = ?, key = ?, key_version = ? WHERE uid = ?",
                            [(inn, key, version, uid) for inn, key, uid in self.inn_attached])
            for _, key, uid in self.inn_attached:
                self.org_key[uid] = key
        if self.new_orgs:
            wanted = [key for _, key, _ in self.new_orgs]
            taken: set[str] = set()
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
            first: dict[int, Any] = {}
            for p, uid in assigned:
                first.setdefault(uid, p)
            now = utc_now()
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
