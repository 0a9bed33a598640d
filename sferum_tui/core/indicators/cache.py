"""What the indicators read from the store's SQLite file directly, and the streak flag cache.

The store's public frames (``week_frame``, ``history``…) carry texts; the indicators also need
lean numeric reads (a whole week as arrays, the registry's staff counts, the list of held weeks)
and, for streaks ("weeks in a row below target"), one code per organisation, indicator and week
over the whole history.  Loading the 6 million facts of a country store into pandas for that would
take seconds and gigabytes, so the codes are cached:

``ind_week_flags`` (a table of ``store.sqlite`` declared by the store's schema,
:mod:`sferum_tui.core.store.schema` version 5, that only this module reads and writes)::

    config_key  TEXT     hash of everything the codes depend on: the indicators (rule or
                         numerator/denominator, target, low, direction), the activity rule, the
                         thresholds, the current registry (it supplies missing staff counts) and
                         CACHE_VERSION
    snapshot_id INTEGER  a snapshot; snapshots never change (a replaced week is a new snapshot)
    n_uid       INTEGER  1 + the largest organisation uid of the snapshot
    n_ind       INTEGER  indicators
    codes       BLOB     the week's codes (see indicator_calc: unknown, passes, below) packed as
                         bit masks, one word per organisation uid (row = uid): the low half
                         has bit j set when indicator j passes, the high half when it is below;
                         uint8 for up to 4 indicators, uint16/32/64 for up to 8/16/32, several
                         uint64 planes beyond (see :func:`pack_codes`)

Rows are indexed by uid, so a streak step is one gather (``words[uids]``) and a few bit
operations over 40,000 integers, with no join and no pandas.  A week's
row is computed the first time a streak walks over it (≈0.1–0.2 s for 40,000 organisations: the
SQLite read dominates) and then read back as one array (≈120 KB).  Writing is best effort: a store that is busy or
read-only (:attr:`Store.read_only`) simply gets the codes computed again next time.  Rows of other config keys beyond the
four most recent, and of superseded snapshots, are pruned when rows are written.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from sferum_tui.core.errors import UserError
from sferum_tui.core.fields import COUNT_FIELDS, SHARE_FIELDS, STATUS_ACTIVE, STATUS_INACTIVE
from sferum_tui.i18n import tr

if TYPE_CHECKING:
    import pandas as pd

    from sferum_tui.core.config import Config
    from sferum_tui.core.store import Store

CACHE_VERSION = 4  # 4: absent registry schools are below (not unknown); activity = not inactive
KEEP_KEYS = 4
WRITE_TIMEOUT_S = 2.0
BATCH_WEEKS = 12
NUMERIC_FIELDS = COUNT_FIELDS + SHARE_FIELDS
_STATUS_TEXT = {1: STATUS_ACTIVE, 0: STATUS_INACTIVE}

@dataclass(frozen=True)
class HeldWeek:
    id: int
    start: date
    end: date


# --------------------------------------------------------------------------------------------
# Lean reads
# --------------------------------------------------------------------------------------------

def empty_store_error() -> UserError:
    return UserError(tr("в хранилище нет ни одной недели (загрузите файлы: sferum-tui import ФАЙЛ)",
                        "the store holds no week yet (import files: sferum-tui import FILE)"))


def connection(store: "Store") -> "Any":
    """The store's read connection of this thread (``UserError`` for a store not created yet)."""
    con = store.read_connection()
    if con is None:
        raise empty_store_error()
    return con


def held_weeks(store: "Store") -> list[HeldWeek]:
    """Current snapshots, oldest first (ids and periods only: no JSON parsing)."""
    rows = store.query("SELECT id, period_start, period_end FROM snapshots "
                        "WHERE superseded_by IS NULL ORDER BY period_start, id")
    return [HeldWeek(i, date.fromisoformat(s), date.fromisoformat(e)) for i, s, e in rows]


def registry_id(store: "Store") -> int | None:
    rows = store.query("SELECT id FROM registries WHERE replaced_by IS NULL")
    return rows[0][0] if rows else None


def registry_staff(store: "Store") -> tuple[np.ndarray, np.ndarray]:
    """(uids ascending, staff counts as float with NaN) of the current registry."""
    reg = store.registry_frame(copy=False)
    uids = reg["org_uid"].to_numpy(dtype=np.int64)
    staff = reg["staff_total"].to_numpy(dtype=float, na_value=np.nan)
    order = np.argsort(uids, kind="stable")
    return uids[order], staff[order]


def _floats(rows: list[tuple], width: int) -> np.ndarray:
    """Rows of numbers (no None) as a float [n × width] array, without a Python loop."""
    return np.fromiter(itertools.chain.from_iterable(rows), dtype=float,
                       count=len(rows) * width).reshape(len(rows), width)


def lookup(keys_sorted: np.ndarray, values: np.ndarray, wanted: np.ndarray, fill=np.nan):
    """``values`` of ``wanted`` keys (``keys_sorted`` ascending); ``fill`` where absent; and the
    boolean mask of found keys."""
    if len(keys_sorted) == 0:
        return np.full(len(wanted), fill, dtype=values.dtype if len(values) else float), \
            np.zeros(len(wanted), dtype=bool)
    pos = np.searchsorted(keys_sorted, wanted)
    pos_c = np.minimum(pos, len(keys_sorted) - 1)
    found = keys_sorted[pos_c] == wanted
    out = np.where(found, values[pos_c], fill)
    return out, found


def week_numeric(store: "Store", snapshot_id: int, fields: tuple[str, ...] = NUMERIC_FIELDS
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One week's facts as arrays: uids (ascending), status texts (object), numeric ``fields``
    (float [n × len(fields)], NaN where missing)."""
    fast = store.week_numbers(snapshot_id, fields)
    if fast is not None:
        uids, codes, nums = fast
        status = np.full(len(uids), None, dtype=object)
        status[codes == 1] = STATUS_ACTIVE
        status[codes == 0] = STATUS_INACTIVE
        return uids, status, nums
    # counts and shares are never negative: -1 stands for NULL so the rows convert in C
    rows = store.query(
        "SELECT org_uid, coalesce(status, -1)" + "".join(f", coalesce({f}, -1)" for f in fields) +
        " FROM facts WHERE snapshot_id = ? ORDER BY org_uid", (int(snapshot_id),))
    arr = _floats(rows, 2 + len(fields))
    uids = arr[:, 0].astype(np.int64)
    st = arr[:, 1]
    status = np.full(len(rows), None, dtype=object)
    status[st == 1] = STATUS_ACTIVE
    status[st == 0] = STATUS_INACTIVE
    nums = arr[:, 2:]
    nums[nums < 0] = np.nan
    return uids, status, nums


def numeric_week_frame(store: "Store", snapshot_id: int, staff: tuple[np.ndarray, np.ndarray],
                       fields: tuple[str, ...] = NUMERIC_FIELDS) -> "pd.DataFrame":
    """``week_numeric`` as a DataFrame (``org_uid``, ``status``, numeric ``fields``) with missing
    staff counts taken from the registry."""
    import pandas as pd

    uids, status, nums = week_numeric(store, snapshot_id, fields)
    data = {"org_uid": uids, "status": pd.Series(status, dtype=object, copy=False)}
    for j, f in enumerate(fields):
        data[f] = nums[:, j]
    if "staff_total" not in data:
        data["staff_total"] = np.full(len(uids), np.nan)
    frame = pd.DataFrame(data, copy=False)
    fill_staff(frame, staff)
    return frame


def fill_staff(frame: "pd.DataFrame", staff: tuple[np.ndarray, np.ndarray]) -> None:
    """Staff counts the week does not give come from the registry (in place)."""
    if not len(staff[0]) or not len(frame):
        return
    col = frame["staff_total"]
    current = col.to_numpy(dtype=float, na_value=np.nan)
    gap = np.isnan(current)
    if not gap.any():
        return
    reg, _ = lookup(staff[0], staff[1], frame["org_uid"].to_numpy(dtype=np.int64))
    filled = np.where(gap, reg, current)
    if str(col.dtype) == "Int64":
        import pandas as pd

        frame["staff_total"] = pd.array(np.where(np.isnan(filled), 0, filled).astype(np.int64),
                                        dtype="Int64")
        frame.loc[np.isnan(filled), "staff_total"] = pd.NA
    else:
        frame["staff_total"] = filled


# --------------------------------------------------------------------------------------------
# The flag cache
# --------------------------------------------------------------------------------------------

def config_key(cfg: "Config", reg_id: int | None) -> str:
    inds = [(i.key, i.rule, i.numerator, i.denominator, i.target, i.low, i.direction)
            for i in cfg.indicators]
    pairs = [(i.key, i.numerator, i.denominator) for i in cfg.all_indicators if i.is_ratio]
    blob = json.dumps({"v": CACHE_VERSION, "ind": inds, "pairs": pairs,
                       "rule": cfg.activity_rule.expression,
                       "th": [cfg.thresholds.low_messaging, cfg.thresholds.registration_full],
                       "registry": reg_id}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


_ensured: set[str] = set()
_ensure_lock = threading.Lock()


def _table_exists(store: "Store") -> bool:
    key = str(store.db_path)
    if key in _ensured:
        return True
    found = store.has_table("ind_week_flags")
    if found:
        with _ensure_lock:
            _ensured.add(key)
    return found


def _layout(k: int) -> tuple[type, int, int]:
    """(word dtype, bits per half, planes) for ``k`` indicators."""
    for dtype, half in ((np.uint8, 4), (np.uint16, 8), (np.uint32, 16)):
        if k <= half:
            return dtype, half, 1
    return np.uint64, 32, max(1, -(-k // 32))


def pack_codes(uids: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Codes (rows × indicators, 0/1/2) as uid-indexed words [n_uid × planes] (see the module
    docstring); uids not given get 0 (unknown)."""
    k = codes.shape[1]
    dtype, half, planes = _layout(k)
    size = int(uids.max()) + 1 if len(uids) else 0
    words: np.ndarray = np.zeros((len(uids), planes), dtype=dtype)
    for j in range(k):
        p, b = divmod(j, half)
        words[:, p] |= ((codes[:, j] == 1).astype(dtype) << dtype(b)) | \
            ((codes[:, j] == 2).astype(dtype) << dtype(b + half))
    out: np.ndarray = np.zeros((size, planes), dtype=dtype)
    out[uids] = words
    return out


def read_codes(store: "Store", key: str, snapshot_ids: Iterable[int]) -> dict[int, np.ndarray]:
    """Cached packed codes ([n_uid × planes], row = uid) of the snapshots that have them."""
    ids = [int(i) for i in snapshot_ids]
    if not ids or not _table_exists(store):
        return {}
    marks = ",".join("?" * len(ids))
    try:
        rows = store.query(f"SELECT snapshot_id, n_uid, n_ind, codes FROM ind_week_flags "
                            f"WHERE config_key = ? AND snapshot_id IN ({marks})", (key, *ids))
    except UserError:
        return {}
    out: dict[int, np.ndarray] = {}
    for sid, n, k, blob in rows:
        dtype, _, planes = _layout(k)
        out[sid] = np.frombuffer(blob, dtype=dtype).reshape(n, planes)
    return out


def write_codes(store: "Store", key: str, items: dict[int, tuple[np.ndarray, int]]) -> bool:
    """Store packed codes ``{snapshot_id: (words, n_ind)}``; best effort: False when the store
    is busy or read-only."""
    if not items:
        return True
    try:
        if store.read_only or not _table_exists(store):
            return False
    except UserError:
        return False
    now = datetime.now(UTC).replace(microsecond=0).isoformat()
    done = False
    with store.cache_transaction(WRITE_TIMEOUT_S) as con:
        if con is None:
            return False
        con.executemany(
            "INSERT INTO ind_week_flags VALUES (?,?,?,?,?,?) ON CONFLICT (config_key, snapshot_id) "
            "DO UPDATE SET n_uid = excluded.n_uid, n_ind = excluded.n_ind, codes = excluded.codes, "
            "created_at = excluded.created_at",
            [(key, sid, d.shape[0], k, np.ascontiguousarray(d).tobytes(), now)
             for sid, (d, k) in items.items()])
        con.execute("DELETE FROM ind_week_flags WHERE snapshot_id IN "
                    "(SELECT id FROM snapshots WHERE superseded_by IS NOT NULL)")
        keys = [k for (k,) in con.execute(
            "SELECT config_key FROM ind_week_flags GROUP BY config_key ORDER BY max(created_at) DESC")]
        for old in keys[KEEP_KEYS:]:
            if old != key:
                con.execute("DELETE FROM ind_week_flags WHERE config_key = ?", (old,))
        done = True
    return done


ROWS_PER_EVALUATION = 200_000
"""Rows of several weeks evaluated in one call of ``evaluate_frame`` (five national weeks): its
cost is mostly per call (~10 ms of pandas a week), and its indicators are row by row."""


def compute_codes(store: "Store", cfg: "Config", snapshot_id: int,
                  staff: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """One week's packed codes (see :func:`pack_codes`)."""
    return compute_codes_of(store, cfg, [snapshot_id], staff)[snapshot_id]


def compute_codes_of(store: "Store", cfg: "Config", snapshot_ids: list[int],
                     staff: tuple[np.ndarray, np.ndarray]) -> dict[int, np.ndarray]:
    """Packed codes of several weeks: their rows are evaluated together, up to
    ROWS_PER_EVALUATION at a time (an empty flag cache's 150 weeks in ~30 calls, not 150)."""
    import pandas as pd

    from sferum_tui.core.indicators.calc import evaluate_frame

    fields = fields_for(cfg)
    out: dict[int, np.ndarray] = {}
    pending: list[tuple[int, "pd.DataFrame"]] = []

    def evaluate() -> None:
        frames = [frame for _, frame in pending]
        rows = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        codes = evaluate_frame(rows, cfg, with_reasons=False,
                               missing=np.zeros(len(rows), dtype=bool))["_codes"]
        start = 0
        for sid, frame in pending:
            end = start + len(frame)
            uids, week = with_absent(frame["org_uid"].to_numpy(dtype=np.int64), codes[start:end], staff)
            out[sid] = pack_codes(uids, week)
            start = end
        pending.clear()

    held = 0
    for sid in snapshot_ids:
        frame = numeric_week_frame(store, sid, staff, fields)
        pending.append((sid, frame))
        held += len(frame)
        if held >= ROWS_PER_EVALUATION:
            evaluate()
            held = 0
    if pending:
        evaluate()
    return out


def with_absent(uids: np.ndarray, codes: np.ndarray, staff: tuple[np.ndarray, np.ndarray]
                ) -> tuple[np.ndarray, np.ndarray]:
    """A week's codes of the organisations in its file, plus the registry organisations absent
    from it: below on every indicator (as the week table's missing rows are, see
    ``calc.evaluate_frame``), so a school absent N weeks running is N weeks below."""
    registry = np.asarray(staff[0], dtype=np.int64)
    if len(uids) and bool(np.all(uids[1:] >= uids[:-1])):
        # both ascending (as the week and the registry are read): a binary search per
        # registry uid, ~0.5 ms a country week (setdiff1d sorts both again: ~8 ms, 150 times
        # over when an empty flag cache is filled)
        pos = np.minimum(np.searchsorted(uids, registry), len(uids) - 1)
        absent = registry[uids[pos] != registry]
    else:
        absent = np.setdiff1d(registry, uids)
    if not len(absent):
        return uids, codes
    return (np.concatenate([uids, absent]),
            np.concatenate([codes, np.full((len(absent), codes.shape[1]), 2, dtype=codes.dtype)]))


def fields_for(cfg: "Config") -> tuple[str, ...]:
    """The stored fields the indicator codes depend on (fewer columns read = faster)."""
    from sferum_tui.core.config import _derivations_for, parse_rule

    need: set[str] = set()
    derive = _derivations_for(cfg)
    expand = {"active_by_rule": parse_rule(cfg.activity_rule.expression).fields,
              "messaging_share": derive.messaging + ("teachers_active_share",),
              "registration_share": derive.registration}
    for ind in cfg.indicators:
        for f in ind.fields:
            need.update(expand.get(f, (f,)))
    for group in expand.values():       # nested derived names (a rule over a derived field)
        for f in group:
            need.update(expand.get(f, (f,)))
    need.add("staff_total")
    if "teachers_active" in need:           # a stated share stands in for the count
        need.add("teachers_active_share")
    return tuple(f for f in NUMERIC_FIELDS if f in need)


class CodeSource:
    """Codes of held weeks for one config: from the cache, else computed (and cached)."""

    def __init__(self, store: "Store", cfg: "Config"):
        self.store = store
        self.cfg = cfg
        self.reg_id = registry_id(store)
        self.key = config_key(cfg, self.reg_id)
        self._staff = None

    @property
    def staff(self):
        if self._staff is None:
            self._staff = registry_staff(self.store)
        return self._staff

    def get(self, snapshot_ids: list[int]) -> dict[int, np.ndarray]:
        have = read_codes(self.store, self.key, snapshot_ids)
        todo = [s for s in snapshot_ids if s not in have]
        fresh = compute_codes_of(self.store, self.cfg, todo, self.staff) if todo else {}
        if fresh:
            k = len(self.cfg.indicators)
            write_codes(self.store, self.key, {s: (w, k) for s, w in fresh.items()})
            have.update(fresh)
        return have

    def put(self, snapshot_id: int, uids: np.ndarray, codes: np.ndarray) -> None:
        """Cache a week's codes computed elsewhere (only when they cover the whole week)."""
        if not read_codes(self.store, self.key, [snapshot_id]):
            write_codes(self.store, self.key,
                        {snapshot_id: (pack_codes(uids, codes), codes.shape[1])})


def streaks(source: CodeSource, earlier: list[int], uids: np.ndarray,
            current: np.ndarray) -> np.ndarray:
    """Weeks in a row below each indicator, ending with the week whose codes are ``current``
    (rows = ``uids``, columns = indicators), walking back over ``earlier`` (snapshot ids,
    newest first).  A week where an organisation has no known value (absent from the file, or
    the figures needed are not given) neither counts nor breaks its streak."""
    n, k = current.shape
    streak = (current == 2).astype(np.int32)
    if not len(earlier) or not n or not k:
        return streak
    dtype, half, planes = _layout(k)
    low = dtype((1 << half) - 1)
    # alive: bit j set while indicator j's streak may go on (not passing in the weeks seen)
    cur = pack_codes(np.arange(n), current)
    alive = ~cur & low
    rows = np.flatnonzero((alive != 0).any(axis=1))
    alive = alive[rows]
    counts = np.zeros((len(rows), k), dtype=np.int32)
    u = uids[rows]
    pos = 0
    while pos < len(earlier) and len(rows):
        batch = earlier[pos:pos + BATCH_WEEKS]
        pos += len(batch)
        got = source.get(batch)
        for sid in batch:
            words = got[sid]
            if len(words) > int(u.max()):
                c = words[u]
            else:
                c = np.zeros((len(u), planes), dtype=dtype)
                inside = u < len(words)
                c[inside] = words[u[inside]]
            below = (c >> dtype(half)) & alive
            for j in range(k):
                p, b = divmod(j, half)
                counts[:, j] += (below[:, p] >> dtype(b)) & dtype(1)
            alive &= ~(c & low)
            still = (alive != 0).any(axis=1)
            if not still.all():          # organisations whose streaks all ended drop out
                streak[rows] += counts
                rows, alive, u = rows[still], alive[still], u[still]
                counts = np.zeros((len(rows), k), dtype=np.int32)
                if not len(rows):
                    break
    if len(rows):
        streak[rows] += counts
    return streak
