"""Indicators per organisation per week, rollups, targets and changes.

The one pure layer the console, the command line and the exports share: a store and a config in,
DataFrames out.  No Textual; pandas is imported inside the functions.  The columns are
documented in ``docs/indicators.md``.

    from sferum_tui.core import indicators as ind
    snap = ind.resolve_week(store, "latest-1")
    df = ind.week_table(store, cfg, snap.id)
    lagging = ind.sort_schools(ind.filter_schools(df, low_messaging=0.3), "messaging_share")

Country scale (40,000 organisations × 150 weeks) is the design point: a week is read as arrays,
the previous week only as numbers, and streaks walk back over a per-week flag cache
(:mod:`sferum_tui.core.indicators.cache`) instead of loading the history into pandas.
"""

from __future__ import annotations

import math
import re
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np

from sferum_tui.core.errors import UserError
from sferum_tui.core.fields import COUNT_FIELDS, ROW_FIELDS
from sferum_tui.core.indicators import cache as _st
from sferum_tui.core.indicators.calc import (
    ACTIVITY_KEY,
    CODE_UNKNOWN,
    NUMERIC_FIELDS,
    evaluate_frame,
    low_messaging_mask,
)
from sferum_tui.core.text import fold
from sferum_tui.i18n import plural_ru, tr

if TYPE_CHECKING:
    import pandas as pd

    from sferum_tui.core.config import Config
    from sferum_tui.core.store import SnapshotInfo, Store

__all__ = [
    "Kpi", "AmbiguousOrgError", "DELTA_FIELDS", "SORT_ALIASES", "resolve_week", "week_table",
    "filter_schools", "filter_mask", "sort_schools", "kpis", "rollup", "changes", "org_history", "find_org",
    "warm_cache", "refresh_cache", "indicator_columns", "output_columns", "json_records", "parse_day", "fold",
    "name_sort_key", "short_name", "ACTIVITY_KEY",
]

#: Figures whose week-over-week change is a ``d_<name>`` column.
DELTA_FIELDS = ("users_total", "classes", "teachers_active", "messaging_share", "registration_share")
#: Short names accepted by :func:`sort_schools` (and ``schools --sort``).
SORT_ALIASES = {
    "name": "org_name", "inn": "org_id", "users": "users_total", "classes": "classes",
    "teachers": "teachers", "messaging": "messaging_share", "registration": "registration_share",
    "weeks": "weeks_below", "staff": "staff_total", "chats": "chats",
}
_EPS = 1e-9




# --------------------------------------------------------------------------------------------
# Which week
# --------------------------------------------------------------------------------------------

_LATEST_RE = re.compile(r"^latest\s*(?:-\s*(\d+))?$", re.IGNORECASE)
_DMY_RE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})$")


def _parse_day(text: str) -> date | None:
    m = _DMY_RE.match(text)
    try:
        if m:
            year = int(m[3]) + (2000 if len(m[3]) == 2 else 0)
            return date(year, int(m[2]), int(m[1]))
        return date.fromisoformat(text)
    except ValueError:
        return None


parse_day = _parse_day


def resolve_week(store: "Store", spec: str | date | None = None) -> "SnapshotInfo":
    """The held week meant by ``spec``: ``None``/``"latest"``, ``"latest-N"`` (N held weeks
    before the latest), a date inside the period (``2023-04-17`` or ``17.04.2023``), or a
    snapshot number.  ``UserError`` (one line) when the store does not hold it."""
    weeks = _st.held_weeks(store) if store.exists() else []
    if not weeks:
        raise _st.empty_store_error()
    if isinstance(spec, date):
        day, text = spec, spec.isoformat()
    else:
        text = (spec or "latest").strip()
        day = None
    m = _LATEST_RE.match(text) if day is None else None
    if m:
        back = int(m[1] or 0)
        if back >= len(weeks):
            raise UserError(tr(
                "неделя {s}: в хранилище только {n} {w} (самая ранняя — latest-{m})",
                "week {s}: the store holds only {n} week{p} (the earliest is latest-{m})",
                s=text, n=len(weeks), w=plural_ru(len(weeks), "неделя", "недели", "недель"),
                p="" if len(weeks) == 1 else "s", m=len(weeks) - 1))
        return store.snapshot(weeks[-1 - back].id)
    if day is None and text.isdigit() and len(text) <= 6:
        return store.snapshot(int(text))
    if day is None:
        day = _parse_day(text)
    if day is None:
        raise UserError(tr(
            "неделя «{s}»: ожидается latest, latest-N, дата внутри недели (ГГГГ-ММ-ДД или ДД.ММ.ГГГГ) или номер снимка",
            "week “{s}”: expected latest, latest-N, a date inside the week (YYYY-MM-DD or DD.MM.YYYY) or a snapshot number",
            s=text))
    snap = store.snapshot_for(day)
    if snap is None:
        first, last = weeks[0], weeks[-1]
        raise UserError(tr(
            "нет загруженной недели, в которую входит {d} (загружены недели с {a} по {b}; список: sferum-tui weeks)",
            "no held week contains {d} (held: {a} to {b}; see: sferum-tui weeks)",
            d=day.strftime("%d.%m.%Y"), a=first.start.strftime("%d.%m.%Y"),
            b=last.end.strftime("%d.%m.%Y")))
    return snap


# --------------------------------------------------------------------------------------------
# The week table
# --------------------------------------------------------------------------------------------

def indicator_columns(cfg: "Config") -> list[str]:
    """The indicator columns of :func:`week_table`, in order (after the canonical fields)."""
    cols = ["active_by_rule", "status_disagrees", "inactive", "missing", "messaging_share",
            "low_messaging", "registration_share", "unregistered"]
    for i in cfg.indicators:
        cols += [f"value_{i.key}", f"pass_{i.key}"]
    cols += [f"d_{f}" for f in DELTA_FIELDS]
    cols += ["newly_inactive", "recovered", "changed"]
    cols += [f"weeks_below_{i.key}" for i in cfg.indicators] + ["weeks_below", "reasons"]
    return cols


def _extra_columns() -> list[str]:
    return ["row", "in_registry", "in_previous", "prev_inactive", "prev_status",
            *[f"prev_{f}" for f in NUMERIC_FIELDS]]


def output_columns(cfg: "Config", *, history: bool = False) -> list[str]:
    """Columns of the JSON/CSV outputs: identity, the canonical fields, the indicators (without
    the ``prev_*`` helper columns)."""
    head = ["org_uid", "org_key", "week_start", "week_end"]
    if history:
        head = ["snapshot_id"] + head
    return head + list(ROW_FIELDS) + indicator_columns(cfg) + ["in_registry"]


_COUNT_DELTAS = frozenset({"d_users_total", "d_classes", "d_teachers_active"})


def json_records(df: "pd.DataFrame", columns: list[str] | None = None) -> list[dict]:
    """Rows as JSON-ready dicts (``columns`` in that order, default all): NaN/NA → None, numbers
    as Python int/float, booleans as bool, ИНН and other texts as str, ``reasons`` as a list."""
    import pandas as pd

    columns = [c for c in (columns or list(df.columns)) if c in df.columns]
    lists = []
    for c in columns:
        col = df[c]
        dtype = col.dtype
        if isinstance(dtype, pd.api.extensions.ExtensionDtype) and dtype.kind in "iub" \
                and not isinstance(dtype, pd.StringDtype):
            vals = col.to_numpy(dtype=object, na_value=None).tolist()
            if dtype.kind == "b":
                vals = [None if v is None else bool(v) for v in vals]
            else:
                vals = [None if v is None else int(v) for v in vals]
        elif dtype.kind == "f" and c in _COUNT_DELTAS:
            vals = [None if v != v else int(v) for v in col.to_numpy(dtype=float).tolist()]
        elif dtype.kind == "f":
            vals = [None if v != v else v for v in col.to_numpy(dtype=float).tolist()]
        elif dtype.kind in "iu":
            vals = col.to_numpy().tolist()
        elif dtype.kind == "b":
            vals = col.to_numpy(dtype=bool).tolist()
        else:
            vals = [v if isinstance(v, (str, list)) else
                    (None if v is None or (isinstance(v, float) and v != v) else
                     (list(v) if isinstance(v, (np.ndarray, tuple)) else str(v)))
                    for v in col.tolist()]
        lists.append(vals)
    return [dict(zip(columns, row)) for row in zip(*lists)]


def _match_mask(values: "pd.Series", wanted: Iterable[str]) -> np.ndarray:
    """Rows whose text equals one of ``wanted`` (folded); a wanted value that equals none
    matches as a fragment instead ("Левашинский" → "Левашинский район")."""
    folded = values.fillna("").astype(str).map(fold).to_numpy(dtype=object)
    mask = np.zeros(len(folded), dtype=bool)
    for w in wanted:
        fw = fold(w)
        if not fw:
            continue
        exact = folded == fw
        if exact.any():
            mask |= exact
        else:
            mask |= np.fromiter((fw in v for v in folded), dtype=bool, count=len(folded))
    return mask


def _scope_mask(frame: "pd.DataFrame", cfg: "Config") -> np.ndarray | None:
    sc = cfg.scope
    mask = None
    if sc.region:
        known = frame["region"].notna().to_numpy()
        mask = _match_mask(frame["region"], [sc.region]) | ~known
    if sc.municipalities:
        m = _match_mask(frame["municipality"], sc.municipalities)
        mask = m if mask is None else (mask & m)
    return mask


def _fill_region(frame: "pd.DataFrame", store: "Store", cfg: "Config | None",
                 reg_id: int | None, *, in_scope: np.ndarray | None = None) -> None:
    """Every row gets a region (in place): the file's region column, else the registry's
    region of the organisation, else the configured scope's region (``cfg`` None: the scope
    does not apply, as for the demo store; ``in_scope``: only those rows may take it).  A
    weekly file without a region column would otherwise leave ``region`` empty in every
    in-file row while the header names the region."""
    if not len(frame):
        return
    import pandas as pd

    region = frame["region"].to_numpy(dtype=object).copy()
    empty = np.asarray(pd.isna(region) | (region == ""), dtype=bool)
    if not empty.any():
        return
    if reg_id is not None:
        reg = store.registry_frame(copy=False)
        if len(reg):
            ruids = reg["org_uid"].to_numpy(dtype=np.int64)
            order = np.argsort(ruids, kind="stable")
            rvals = reg["region"].to_numpy(dtype=object)[order]
            found, hit = _st.lookup(ruids[order], rvals, frame["org_uid"].to_numpy(dtype=np.int64),
                                    fill=None)
            known = np.asarray(~(pd.isna(found) | (found == "")), dtype=bool)
            take = empty & hit & known
            region[take] = found[take]
            empty &= ~take
    fallback = getattr(getattr(cfg, "scope", None), "region", "") if cfg is not None else ""
    if fallback and in_scope is not None:
        empty &= np.asarray(in_scope, dtype=bool)
    if fallback and empty.any():
        region[empty] = fallback
    frame["region"] = region


def _missing_rows(store: "Store", snapshot_id: int, present: np.ndarray) -> "pd.DataFrame":
    import pandas as pd

    miss = store.missing(snapshot_id, present)
    data = {"org_uid": miss["org_uid"].to_numpy(dtype=np.int64), "org_key": miss["org_key"]}
    for f in ROW_FIELDS:
        if f in ("region", "municipality", "org_id", "org_name"):
            data[f] = miss[f].to_numpy(dtype=object)
        elif f == "status":
            data[f] = np.full(len(miss), None, dtype=object)
        elif f == "staff_total":
            data[f] = pd.array(miss["staff_total"], dtype="Int64")
        elif f in COUNT_FIELDS:
            data[f] = _na_ints(len(miss))
        else:
            data[f] = np.full(len(miss), np.nan)
    data["row"] = _na_ints(len(miss))
    return pd.DataFrame(data)


def _na_ints(n: int):
    import pandas as pd

    return pd.arrays.IntegerArray(np.zeros(n, dtype=np.int64), np.ones(n, dtype=bool))


def _previous_week(weeks: list[_st.HeldWeek], start: date) -> _st.HeldWeek | None:
    prev = None
    for w in weeks:
        if w.start < start:
            prev = w
    return prev


def week_table(store: "Store", cfg: "Config", snapshot_id: int, *, scope: bool = True
               ) -> "pd.DataFrame":
    """One row per organisation of the week, plus registry organisations missing from it, with
    every indicator column (see ``docs/indicators.md``).  ``scope=False`` ignores
    ``cfg.scope`` (the demo store)."""
    import pandas as pd

    snap = store.snapshot(snapshot_id)
    weeks = _st.held_weeks(store)
    base = _shared_texts(store, store.week_frame(snapshot_id))
    reg_id = _st.registry_id(store)
    staff = _st.registry_staff(store) if reg_id is not None else \
        (np.empty(0, dtype=np.int64), np.empty(0))
    base["row"] = pd.array(base["row"], dtype="Int64")
    n_present = len(base)
    if reg_id is not None:
        miss = _missing_rows(store, snapshot_id, base["org_uid"].to_numpy(dtype=np.int64))
        frame = pd.concat([base, miss], ignore_index=True) if len(miss) else base
        del miss
    else:
        frame = base
    del base  # (the week's frame lives on in ``frame`` alone: a country week's peak is its copies)
    missing = np.zeros(len(frame), dtype=bool)
    missing[n_present:] = True

    scoped = False
    if scope:
        mask = _scope_mask(frame, cfg)
        if mask is not None:
            frame = frame.loc[mask].reset_index(drop=True)
            missing = missing[mask]
            scoped = True
    _st.fill_staff(frame, staff)
    _fill_region(frame, store, cfg if scope else None, reg_id)
    cols = evaluate_frame(frame, cfg, missing=missing)
    uids = frame["org_uid"].to_numpy(dtype=np.int64)
    _, in_registry = _st.lookup(staff[0], staff[1], uids)

    n = len(uids)
    out: dict = {"org_uid": uids, "org_key": frame["org_key"].to_numpy(dtype=object),
                 "week_start": _same_text(n, snap.period_start.isoformat()),
                 "week_end": _same_text(n, snap.period_end.isoformat())}
    for f in ROW_FIELDS:
        out[f] = frame[f].to_numpy() if f not in COUNT_FIELDS else frame[f].array
    _take_indicator_columns(out, cols, cfg)

    # -- the previous held week ---------------------------------------------------------------
    source = _st.CodeSource(store, cfg)
    prev = _previous_week(weeks, snap.period_start)
    prev_num = np.full((n, len(NUMERIC_FIELDS)), np.nan)
    prev_status: Any = np.full(n, None, dtype=object)
    in_previous = np.zeros(n, dtype=bool)
    prev_inactive = pd.arrays.BooleanArray(np.zeros(n, dtype=bool), np.ones(n, dtype=bool))
    prev_msg = np.full(n, np.nan)
    prev_reg = np.full(n, np.nan)
    if prev is not None:
        pframe = _st.numeric_week_frame(store, prev.id, staff)
        pcols = evaluate_frame(pframe, cfg, with_reasons=False,
                               missing=np.zeros(len(pframe), dtype=bool))
        source.put(prev.id, *_st.with_absent(pframe["org_uid"].to_numpy(dtype=np.int64),
                                             pcols["_codes"], staff))
        pu = pframe["org_uid"].to_numpy(dtype=np.int64)
        pos: np.ndarray = np.minimum(np.searchsorted(pu, uids), max(len(pu) - 1, 0))
        if len(pu):
            in_previous = pu[pos] == uids
        for j, f in enumerate(NUMERIC_FIELDS):
            prev_num[:, j] = np.where(in_previous, pframe[f].to_numpy(dtype=float)[pos], np.nan)
        prev_status = np.where(in_previous, pframe["status"].to_numpy(dtype=object)[pos], None)
        prev_msg = np.where(in_previous, pcols["messaging_share"][pos], np.nan)
        prev_reg = np.where(in_previous, pcols["registration_share"][pos], np.nan)
        known = in_previous | in_registry
        vals = np.where(in_previous, pcols["inactive"][pos], True)
        prev_inactive = pd.array(vals, dtype="boolean")
        prev_inactive[~known] = pd.NA

    cur_num = {f: _calc_floats(frame, f) for f in NUMERIC_FIELDS}
    for f in DELTA_FIELDS:
        if f == "messaging_share":
            before, now = prev_msg, cols["messaging_share"]
        elif f == "registration_share":
            before, now = prev_reg, cols["registration_share"]
        else:
            before, now = prev_num[:, NUMERIC_FIELDS.index(f)], cur_num[f]
        out[f"d_{f}"] = now - before
    inactive = cols["inactive"]
    was = prev_inactive.to_numpy(dtype=object, na_value=None)
    out["newly_inactive"] = inactive & (was == False)  # noqa: E712 (None stays False)
    out["recovered"] = ~inactive & (was == True)  # noqa: E712
    if prev is None:
        out["changed"] = np.zeros(n, dtype=bool)
    else:
        differs = _status_values(frame["status"]) != _status_values(prev_status)
        for j, f in enumerate(NUMERIC_FIELDS):
            a, b = cur_num[f], prev_num[:, j]
            with np.errstate(invalid="ignore"):
                differs |= (a != b) & ~(np.isnan(a) & np.isnan(b))
        present = ~missing
        out["changed"] = np.where(present & in_previous, differs, present != in_previous)

    # -- streaks ----------------------------------------------------------------------------
    codes = cols["_codes"]
    earlier = [w.id for w in weeks if w.start < snap.period_start][::-1]
    streak = _st.streaks(source, earlier, uids, codes)
    if not scoped and snap.current:
        order = np.argsort(uids, kind="stable")
        source.put(snapshot_id, uids[order], codes[order])
    for k, i in enumerate(cfg.indicators):
        out[f"weeks_below_{i.key}"] = streak[:, k]
    out["weeks_below"] = streak.max(axis=1) if streak.shape[1] else np.zeros(n, dtype=np.int32)
    out["reasons"] = cols["reasons"]

    # -- helper columns ---------------------------------------------------------------------
    out["row"] = frame["row"].array
    out["in_registry"] = in_registry
    out["in_previous"] = in_previous
    out["prev_inactive"] = prev_inactive
    out["prev_status"] = prev_status
    for j, f in enumerate(NUMERIC_FIELDS):
        out[f"prev_{f}"] = prev_num[:, j]
    table = _object_frame(out)
    table.attrs.update(snapshot_id=snap.id, week_start=snap.period_start.isoformat(),
                       week_end=snap.period_end.isoformat(),
                       previous_id=prev.id if prev else None,
                       previous_start=prev.start.isoformat() if prev else None,
                       previous_end=prev.end.isoformat() if prev else None)
    return table


_SHARED_TEXTS = ("org_key", "org_id", "org_name")
_text_pools: "weakref.WeakKeyDictionary[Any, dict[str, np.ndarray]]" = weakref.WeakKeyDictionary()
_MAX_POOL_UID = 10_000_000


def _shared_texts(store: "Store", cur: "pd.DataFrame") -> "pd.DataFrame":
    """The week's columns the table uses, with its names, keys and ИНН as the string objects
    the weeks read before already hold.  Each week's column copy decodes them afresh: ~9 MB a
    country week that the console would otherwise keep once per cached week.  Per store, one
    string per organisation and column is remembered (row = uid); a week's text equal to it
    is replaced by it (a gather and one comparison per row, ~1 ms a column), a different one
    takes its place.  The decoded copies are let go at once, not after the computation."""
    import pandas as pd

    base = cur[["org_uid", "org_key", *ROW_FIELDS, "row"]].copy(deep=False)  # its own columns
    uids = base["org_uid"].to_numpy(dtype=np.int64)
    if not len(uids) or uids.min() < 0 or uids.max() > _MAX_POOL_UID:
        return base
    try:
        pools = _text_pools.get(store)
        if pools is None:
            pools = _text_pools[store] = _registry_texts(store)
    except TypeError:  # a store that cannot be weakly referenced: no sharing
        return base
    size = int(uids.max()) + 1
    for f in _SHARED_TEXTS:
        new = base[f].to_numpy(dtype=object)
        pool = pools.get(f)
        if pool is None or len(pool) < size:
            grown = np.full(max(size, 0 if pool is None else len(pool)), None, dtype=object)
            if pool is not None:
                grown[:len(pool)] = pool
            pool = pools[f] = grown
        held = pool[uids]
        try:
            same = np.asarray(held == new, dtype=bool)
        except (TypeError, ValueError):  # a value without a plain truth (pd.NA): as read
            continue
        out = np.where(same, held, new)
        pool[uids[~same]] = new[~same]
        base[f] = pd.Series(out, index=base.index, dtype=object, copy=False)
    return base


def _registry_texts(store: "Store") -> dict[str, np.ndarray]:
    """The first texts of :func:`_shared_texts`' pool: the registry's (the store keeps its
    frame), so the weeks share its strings too."""
    try:
        reg = store.registry_frame(copy=False)
    except UserError:
        return {}
    if not len(reg):
        return {}
    uids = reg["org_uid"].to_numpy(dtype=np.int64)
    if uids.min() < 0 or uids.max() > _MAX_POOL_UID:
        return {}
    out = {}
    for f in _SHARED_TEXTS:
        pool = np.full(int(uids.max()) + 1, None, dtype=object)
        pool[uids] = reg[f].to_numpy(dtype=object)
        out[f] = pool
    return out


def _same_text(n: int, text: str) -> np.ndarray:
    """An object array of ``n`` references to one string (``np.full`` would make ``n`` copies
    of it: 5 MB a country week for the two period columns)."""
    out = np.empty(n, dtype=object)
    out[:] = text
    return out


def _object_frame(data: dict) -> "pd.DataFrame":
    """A DataFrame whose object arrays (texts) stay object columns: letting pandas infer its
    string dtype copies every string into Arrow (~50 ms a country week) and buys nothing the
    callers use.  The arrays are taken as they are (not copied): callers pass fresh ones."""
    import pandas as pd

    return pd.DataFrame({k: pd.Series(v, dtype=object, copy=False)
                         if isinstance(v, np.ndarray) and v.dtype == object else v
                         for k, v in data.items()}, copy=False)


def _take_indicator_columns(out: dict, cols: dict, cfg: "Config") -> None:
    """The flag, share and per-indicator columns of ``evaluate_frame``'s result, into ``out``
    (the week table and a school's history show the same ones)."""
    for name in ("active_by_rule", "status_disagrees", "inactive", "missing", "messaging_share",
                 "low_messaging", "registration_share", "unregistered"):
        out[name] = cols[name]
    for i in cfg.indicators:
        out[f"value_{i.key}"] = cols[f"value_{i.key}"]
        out[f"pass_{i.key}"] = cols[f"pass_{i.key}"]


def _status_values(values) -> np.ndarray:
    """Stated statuses as a text array with "" for none (None and NaN alike), so that two
    absent statuses compare equal."""
    import pandas as pd

    arr = np.asarray(values, dtype=object)
    return np.where(pd.isna(arr), "", arr)


def _calc_floats(frame: "pd.DataFrame", name: str) -> np.ndarray:
    from sferum_tui.core.indicators.calc import floats

    return floats(frame, name)


def warm_cache(store: "Store", cfg: "Config") -> int:
    """Compute and cache the streak codes of every held week not cached yet (for a worker
    after an import or a config change).  Returns the number of weeks computed."""
    source = _st.CodeSource(store, cfg)
    ids = [w.id for w in _st.held_weeks(store)]
    have = _st.read_codes(store, source.key, ids)
    todo = [i for i in ids if i not in have]
    for k in range(0, len(todo), _st.BATCH_WEEKS):
        source.get(todo[k:k + _st.BATCH_WEEKS])
    return len(todo)


def refresh_cache(store: "Store", cfg: "Config") -> None:
    """:func:`warm_cache` after an import, best effort: the data is in whatever happens here;
    a busy or read-only store just leaves the work to the next reader."""
    try:
        warm_cache(store, cfg)
    except Exception:  # noqa: BLE001 - a cache, never a reason for an import to fail
        pass


# --------------------------------------------------------------------------------------------
# Filters and sorting
# --------------------------------------------------------------------------------------------

def filter_schools(df: "pd.DataFrame", **filters) -> "pd.DataFrame":
    """Rows of a week table (or of a history) that pass every filter given (AND); the filters
    are those of :func:`filter_mask`."""
    out = df.loc[filter_mask(df, **filters)]
    out.attrs = dict(df.attrs)
    return out


def filter_mask(df: "pd.DataFrame", *, inactive: bool = False,
                low_messaging: float | bool | None = None, unregistered: bool = False,
                missing: bool = False, municipality: str | Iterable[str] | None = None,
                search: str | None = None, changed: bool = False,
                region: str | Iterable[str] | None = None,
                disagrees: bool = False) -> np.ndarray:
    """Which rows of a week table (or of a history) pass every filter given (AND), as a
    boolean array — the one definition of every filter.

    ``low_messaging``: ``True`` uses the ``low_messaging`` column (the config's threshold); a
    number is a threshold of its own (a share 0..1: ``messaging_share`` strictly below it, or a
    school with 0 teachers).  ``municipality``: one name or several (case-insensitive; a name
    matching none exactly matches as a fragment).  ``region``: the same for the region (a row
    without a region counts in its municipality's most common region, as in :func:`rollup`), so
    a rollup row «Кировский район» of one region opens only that region's schools.
    ``search``: digits are an ИНН prefix, other text a case-insensitive fragment of the name
    (ё = е).  ``disagrees``: the stated status contradicts the activity rule."""
    mask = np.ones(len(df), dtype=bool)
    if inactive:
        mask &= df["inactive"].to_numpy(dtype=bool)
    if low_messaging is True:
        mask &= df["low_messaging"].to_numpy(dtype=bool)
    elif low_messaging is not None and low_messaging is not False:
        mask &= low_messaging_mask(df["messaging_share"].to_numpy(dtype=float),
                                   _calc_floats(df, "teachers"),
                                   df["missing"].to_numpy(dtype=bool), float(low_messaging))
    if unregistered:
        mask &= df["unregistered"].to_numpy(dtype=bool)
    if missing:
        mask &= df["missing"].to_numpy(dtype=bool)
    if changed:
        mask &= df["changed"].to_numpy(dtype=bool)
    if disagrees:
        mask &= df["status_disagrees"].to_numpy(dtype=bool)
    if municipality is not None and municipality != "" and municipality != []:
        wanted = [municipality] if isinstance(municipality, str) else list(municipality)
        norm = _AREA_NORM["municipality"]
        keys = df["municipality"].astype(object).where(df["municipality"].notna(), "").astype(str).map(norm)
        same = keys.isin([norm(w) for w in wanted if norm(w)]).to_numpy(dtype=bool)
        mask &= _match_mask(df["municipality"], wanted) | same
    if region is not None and region != "" and region != [] and "region" in df.columns:
        wanted = [region] if isinstance(region, str) else list(region)
        norm = _AREA_NORM["region"]
        labels = _area_labels(df, "municipality" if "municipality" in df.columns else "region")
        regions = labels["region"]
        same = regions.map(norm).isin([norm(w) for w in wanted if norm(w)]).to_numpy(dtype=bool)
        mask &= _match_mask(regions, wanted) | same
    if search is not None and str(search).strip():
        text = str(search).strip()
        if text.isdigit():
            ids = df["org_id"].fillna("").astype(str)
            mask &= ids.str.startswith(text).to_numpy(dtype=bool)
        else:
            needle = fold(text)
            names = df["org_name"].fillna("").astype(str).str.casefold().str.replace("ё", "е")
            names = names.str.split().str.join(" ")
            mask &= names.str.contains(needle, regex=False).to_numpy(dtype=bool)
    return mask


_LEGAL_FORM_RE = re.compile(r"^(?:[А-ЯЁA-Z]{2,8}\s+)+")
_QUOTES = str.maketrans("", "", "«»\"'„“”")


def name_sort_key(name):
    """How names sort: without the legal form in front (МКОУ, МБОУ ДО…) and without quotes,
    case-insensitively with ё = е — «МКОУ «Аймаумахинская СОШ»» sorts under А."""
    if not isinstance(name, str):
        return name
    return fold(_LEGAL_FORM_RE.sub("", name.strip()).translate(_QUOTES))


def short_name(name):
    """A name for narrow tables: without the legal form in front and the quotes around the
    proper name («МКОУ «СОШ №1» с. Сергокала» → «СОШ №1 с. Сергокала»)."""
    if not isinstance(name, str):
        return name
    rest = _LEGAL_FORM_RE.sub("", name.strip())
    if rest.startswith("«") and "»" in rest:
        end = rest.index("»")
        rest = rest[1:end] + rest[end + 1:]
    return rest.strip() or name


def sort_schools(df: "pd.DataFrame", field: str, descending: bool = False) -> "pd.DataFrame":
    """Rows sorted by a column (or a short alias: name, inn, users, messaging, registration,
    weeks…); text compares case-insensitively with ё = е, names without their legal form
    (:func:`name_sort_key`); NaN last either way.  A leading ``-``
    on ``field`` sorts descending.  ``UserError`` for an unknown field."""
    name = (field or "").strip()
    if name.startswith("-"):
        name, descending = name[1:].strip(), not descending
    column = SORT_ALIASES.get(name, name)
    if column not in df.columns or column == "reasons":
        choices = sorted(set(SORT_ALIASES) | {c for c in df.columns
                                                if not c.startswith("prev_") and c != "reasons"})
        raise UserError(tr("неизвестное поле сортировки «{f}» (допустимы: {ok})",
                           "unknown sort field “{f}” (expected one of: {ok})",
                           f=field, ok=", ".join(choices)))
    col = df[column]
    if column == "org_name":
        key = lambda s: s.map(name_sort_key)  # noqa: E731
    elif col.dtype == object or str(col.dtype) in ("str", "string"):
        key = lambda s: s.map(lambda v: fold(v) if isinstance(v, str) else v)  # noqa: E731
    else:
        key = None
    out = df.sort_values(column, ascending=not descending, na_position="last", kind="stable",
                         key=key)
    out.attrs = dict(df.attrs)
    return out


# --------------------------------------------------------------------------------------------
# KPIs, rollups, changes
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Kpi:
    """One indicator over an area: the figure, its target and deadline, the change since the
    previous held week.  ``value``/``previous``/``delta`` are None when there is nothing to
    count; ``days_left`` is negative when the deadline has passed, None without one.

    ``value == numerator / denominator``: for a rule indicator the organisations passing over
    the organisations in the area (the activity KPI: total − inactive over total, missing
    schools included); for a ratio the sums of its numerator and denominator fields.
    ``n_pass``/``n_total`` count organisations meeting the per-organisation bar."""

    key: str
    title: str
    value: float | None
    target: float
    previous: float | None
    delta: float | None
    deadline: date | None
    days_left: int | None
    n_pass: int
    n_total: int
    direction: str
    reached: bool = False
    distance: float | None = None
    kind: str = "ratio"
    low: float | None = None
    numerator: float | None = None
    denominator: float | None = None

    @property
    def overdue(self) -> bool:
        return self.days_left is not None and self.days_left < 0 and not self.reached


def _none_if_nan(x) -> float | None:
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else x


def _previous_frame(df: "pd.DataFrame") -> "pd.DataFrame":
    """The previous week's figures of the rows that had a previous state (present in the
    previous week's file, or registry organisations missing from it)."""
    known = df["prev_inactive"].notna().to_numpy() if "prev_inactive" in df.columns \
        else np.zeros(len(df), dtype=bool)
    data = {f: df[f"prev_{f}"].to_numpy(dtype=float)[known] for f in NUMERIC_FIELDS
            if f"prev_{f}" in df.columns}
    data["status"] = df["prev_status"].to_numpy(dtype=object)[known]
    for key in ("municipality", "region"):
        data[key] = df[key].to_numpy(dtype=object)[known]
    if "prev_inactive" in df.columns:
        data["inactive"] = df["prev_inactive"].to_numpy(dtype=object, na_value=False)[known] == True  # noqa: E712
    return _object_frame(data)


def _rule_passed(ind, frame: "pd.DataFrame") -> np.ndarray:
    """Per row, whether a rule indicator passes: the ``pass_<key>`` column where the frame has
    it (a week table), else the rule evaluated (a previous week's figures); the activity KPI
    is "not inactive" either way."""
    col = f"pass_{ind.key}"
    if col in frame.columns:
        return frame[col].to_numpy(dtype=bool)
    if ind.key == ACTIVITY_KEY and "inactive" in frame.columns:
        return ~frame["inactive"].to_numpy(dtype=bool)
    return ind.evaluate(frame).to_numpy(dtype=bool)


def _area_parts(ind, frame: "pd.DataFrame") -> tuple[float, float]:
    """(numerator, denominator) of the indicator's area figure (see :class:`Kpi`)."""
    if not len(frame):
        return math.nan, math.nan
    if ind.is_rule:
        passed = _rule_passed(ind, frame)
        return float(passed.sum()), float(len(passed))
    num, den = ind.parts(frame)
    both = ~np.isnan(num) & ~np.isnan(den) & (den > 0)
    return float(num[both].sum()), float(den[both].sum())


def _area_value(ind, frame: "pd.DataFrame") -> float:
    num, den = _area_parts(ind, frame)
    return num / den if den > 0 else math.nan


def kpis(df: "pd.DataFrame", cfg: "Config", today: date | None = None) -> list[Kpi]:
    """Every configured indicator over the rows of ``df`` (a week table, filtered or not):
    a rule indicator is the share of organisations passing (registry organisations missing from
    the week count as not passing; the activity KPI is the share not inactive); a ratio is
    sum(numerator) / sum(denominator)."""
    today = today or date.today()
    prev = _previous_frame(df)
    has_prev = len(prev) > 0
    out = []
    for ind in cfg.indicators:
        num, den = _area_parts(ind, df)
        value = _none_if_nan(num / den) if den > 0 else None
        previous = _none_if_nan(_area_value(ind, prev)) if has_prev else None
        delta = value - previous if value is not None and previous is not None else None
        passed = _rule_passed(ind, df) if ind.is_rule else (
            df[f"pass_{ind.key}"].to_numpy(dtype=bool) if f"pass_{ind.key}" in df.columns
            else ind.evaluate(df).to_numpy(dtype=bool))
        if ind.is_rule or not len(df):
            n_total = len(df)
        else:
            # organisations with a known value, and for an "up" share those with a zero
            # denominator (0 teachers: below any messaging target), as the streaks count them
            values = ind.values(df).to_numpy(dtype=float)
            known = ~np.isnan(values)
            if ind.direction == "up":
                _, d = ind.parts(df)
                known |= d == 0
            if "missing" in df.columns:
                known &= ~df["missing"].to_numpy(dtype=bool)
            n_total = int(known.sum())
        out.append(Kpi(
            key=ind.key, title=str(ind.title), value=value, target=ind.target, previous=previous,
            delta=delta, deadline=ind.deadline, days_left=ind.days_left(today),
            n_pass=int(passed.sum()), n_total=n_total, direction=ind.direction,
            reached=ind.reached(value), distance=_none_if_nan(ind.distance(value)),
            kind=ind.kind, low=ind.low, numerator=_none_if_nan(num) if den > 0 else None,
            denominator=_none_if_nan(den) if den > 0 else None))
    return out


def _group_sums(keys: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    return np.bincount(keys, weights=values, minlength=n_groups)


def _area_values_by(ind, frame: "pd.DataFrame", codes: np.ndarray, n_groups: int) -> np.ndarray:
    """The indicator's area figure per group (codes = group index per row)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        if not len(frame):
            return np.full(n_groups, np.nan)
        if ind.is_rule:
            passed = _rule_passed(ind, frame).astype(float)
            cnt = np.bincount(codes, minlength=n_groups).astype(float)
            return np.where(cnt > 0, _group_sums(codes, passed, n_groups) / cnt, np.nan)
        num, den = ind.parts(frame)
        both = ~np.isnan(num) & ~np.isnan(den) & (den > 0)
        s_n = _group_sums(codes, np.where(both, num, 0.0), n_groups)
        s_d = _group_sums(codes, np.where(both, den, 0.0), n_groups)
        return np.where(s_d > 0, s_n / s_d, np.nan)


def _area_labels(df: "pd.DataFrame", by: str) -> "pd.DataFrame":
    """Region/municipality labels for grouping.  A week file without a region column leaves
    ``region`` empty while the registry's missing rows carry it: an empty region takes the
    most common region of the same (normalised) municipality, so one area is one group."""
    import pandas as pd

    region = df["region"].astype(object).where(df["region"].notna(), "").astype(str).to_numpy()
    out = {"region": region}
    if by == "municipality":
        muni = df["municipality"].astype(object).where(df["municipality"].notna(), "").astype(str).to_numpy()
        out["municipality"] = muni
        frame = pd.DataFrame(out)
        empty = frame["region"] == ""
        if empty.any() and (~empty).any():
            mkey = frame["municipality"].map(_AREA_NORM["municipality"])
            m_codes, m_keys = pd.factorize(mkey)
            known = ~empty.to_numpy()
            best = _most_common(m_codes[known], frame["region"].to_numpy(dtype=object)[known],
                                len(m_keys))
            # municipalities with no known region keep it empty
            frame.loc[empty, "region"] = best[m_codes[~known]]
        return frame
    return pd.DataFrame(out)


def _most_common(codes: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    """Per group (``codes`` 0..n_groups-1), its most frequent value; a tie goes to the value
    seen first.  Vectorised: a country has ~2,300 municipalities, and a value_counts per group
    took most of ``summary``'s second."""
    import pandas as pd

    spell, spellings = pd.factorize(values)
    n = max(len(spellings), 1)
    pair = codes * n + spell
    pairs, first, counts = np.unique(pair, return_index=True, return_counts=True)
    group = pairs // n
    order = np.lexsort((first, -counts, group))
    head = order[np.r_[True, group[order][1:] != group[order][:-1]]] if len(order) else order
    out = np.full(n_groups, "", dtype=object)
    out[group[head]] = np.asarray(spellings, dtype=object)[pairs[head] % n]
    return out


def _norm_area(kind: str):
    from sferum_tui.core.store import identity

    fn = identity.normalize_municipality if kind == "municipality" else identity.normalize_region
    cache: dict[str, str] = {}

    def norm(text: str) -> str:
        hit = cache.get(text)
        if hit is None:
            hit = cache[text] = fn(text) if text else ""
        return hit
    return norm


_AREA_NORM = {"municipality": _norm_area("municipality"), "region": _norm_area("region")}


def rollup(df: "pd.DataFrame", cfg: "Config", by: str = "municipality") -> "pd.DataFrame":
    """Counts and shares per municipality (with its region) or per region, worst first.

    Columns: ``region`` [, ``municipality``], ``orgs``, ``present``, ``inactive``, ``missing``,
    ``low_messaging``, ``unregistered``, ``status_disagrees``, ``newly_inactive``, ``recovered``,
    ``inactive_share``, ``missing_share``, ``low_messaging_share`` (of the organisations present),
    ``prev_inactive_share``, ``d_inactive_share``, per indicator ``value_<key>``,
    ``prev_value_<key>``, ``d_value_<key>``, and ``rank`` (1 = worst: highest inactive share,
    then highest low-messaging share, then highest missing share, then name)."""
    import pandas as pd

    if by not in ("municipality", "region"):
        raise UserError(tr("группировка «{b}» неизвестна (допустимы: municipality, region)",
                           "unknown grouping “{b}” (expected municipality or region)", b=by))
    keys = ["region", "municipality"] if by == "municipality" else ["region"]
    labels = _area_labels(df, by)
    if len(df):
        norm = labels.assign(**{k: labels[k].map(_AREA_NORM[k]) for k in keys})
        codes, uniques = pd.MultiIndex.from_frame(norm).factorize() if len(keys) > 1 \
            else pd.factorize(norm["region"])
        codes = np.asarray(codes, dtype=np.int64)
        # show each group under its most common spelling
        groups = pd.DataFrame({k: _most_common(codes, labels[k].to_numpy(dtype=object),
                                               len(uniques)) for k in keys})
    else:
        codes = np.empty(0, dtype=np.int64)
        groups = pd.DataFrame({k: [] for k in keys})
    g = len(groups)
    out = groups.copy()

    def count(col: str) -> np.ndarray:
        return np.bincount(codes, weights=df[col].to_numpy(dtype=float), minlength=g).astype(int)

    out["orgs"] = np.bincount(codes, minlength=g)
    for col in ("missing", "inactive", "low_messaging", "unregistered", "status_disagrees",
                "newly_inactive", "recovered"):
        out[col] = count(col)
    out.insert(len(keys) + 1, "present", out["orgs"] - out["missing"])
    with np.errstate(invalid="ignore", divide="ignore"):
        orgs = out["orgs"].to_numpy(dtype=float)
        present = out["present"].to_numpy(dtype=float)
        out["inactive_share"] = np.where(orgs > 0, out["inactive"] / orgs, np.nan)
        out["missing_share"] = np.where(orgs > 0, out["missing"] / orgs, np.nan)
        out["low_messaging_share"] = np.where(present > 0, out["low_messaging"] / present, np.nan)
        known = df["prev_inactive"].notna().to_numpy() if "prev_inactive" in df.columns \
            else np.zeros(len(df), dtype=bool)
        was = (df["prev_inactive"].to_numpy(dtype=object, na_value=False) == True) \
            if "prev_inactive" in df.columns else np.zeros(len(df), dtype=bool)  # noqa: E712
        p_orgs = np.bincount(codes[known], minlength=g).astype(float)
        p_inact = np.bincount(codes[known & was], minlength=g).astype(float)
        out["prev_inactive_share"] = np.where(p_orgs > 0, p_inact / p_orgs, np.nan)
        out["d_inactive_share"] = out["inactive_share"] - out["prev_inactive_share"]
        prev = _previous_frame(df)
        prev_codes = codes[known]
        for ind in cfg.indicators:
            now = _area_values_by(ind, df, codes, g)
            before = _area_values_by(ind, prev, prev_codes, g)
            out[f"value_{ind.key}"] = now
            out[f"prev_value_{ind.key}"] = before
            out[f"d_value_{ind.key}"] = now - before
    name = out[keys[-1]].map(fold)
    order = np.lexsort((name.to_numpy(dtype=object).astype(str),
                        -np.nan_to_num(out["missing_share"].to_numpy(dtype=float), nan=-1),
                        -np.nan_to_num(out["low_messaging_share"].to_numpy(dtype=float), nan=-1),
                        -np.nan_to_num(out["inactive_share"].to_numpy(dtype=float), nan=-1)))
    out = out.iloc[order].reset_index(drop=True)
    out["rank"] = np.arange(1, len(out) + 1)
    out.attrs = dict(df.attrs)
    return out


def changes(store: "Store", cfg: "Config", snapshot_id: int, *, scope: bool = True,
            table: "pd.DataFrame | None" = None, limit: int | None = None
            ) -> dict[str, "pd.DataFrame"]:
    """What changed since the previous held week, as week-table rows:

    * ``newly_inactive`` — inactive now, not inactive the week before;
    * ``recovered`` — inactive the week before, not now;
    * ``falls`` — the teacher messaging share went down, or (the share unchanged or unknown) the
      number of users did; biggest fall of the share first, then of users;
    * ``rises`` — the same, upwards (a row is in one of the two at most).

    ``table`` reuses a week table already computed; ``limit`` keeps the first N of falls/rises."""
    df = table if table is not None else week_table(store, cfg, snapshot_id, scope=scope)
    d_msg = df["d_messaging_share"].to_numpy(dtype=float)
    d_users = df["d_users_total"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        flat = np.isnan(d_msg) | (np.abs(d_msg) <= _EPS)
        fall = (d_msg < -_EPS) | (flat & (d_users < 0))
        rise = (d_msg > _EPS) | (flat & (d_users > 0))
    falls = df.loc[fall].sort_values(["d_messaging_share", "d_users_total"], ascending=True,
                                     na_position="last", kind="stable")
    rises = df.loc[rise].sort_values(["d_messaging_share", "d_users_total"], ascending=False,
                                     na_position="last", kind="stable")
    if limit is not None:
        falls, rises = falls.head(limit), rises.head(limit)
    out = {"newly_inactive": df.loc[df["newly_inactive"].to_numpy(dtype=bool)],
           "recovered": df.loc[df["recovered"].to_numpy(dtype=bool)],
           "falls": falls, "rises": rises}
    for v in out.values():
        v.attrs = dict(df.attrs)
    return out


# --------------------------------------------------------------------------------------------
# One organisation
# --------------------------------------------------------------------------------------------

class AmbiguousOrgError(UserError):
    """More than one organisation matches; ``candidates`` holds them (``Store.find_orgs``)."""

    def __init__(self, message: str, candidates: "pd.DataFrame"):
        super().__init__(message)
        self.candidates = candidates


def find_org(store: "Store", text: str) -> int:
    """The uid of the organisation an ИНН (or its beginning) or a name fragment points to.
    ``UserError`` when nothing matches; :class:`AmbiguousOrgError` (its message lists the
    candidates on one line) when several do and none matches exactly."""
    text = (text or "").strip()
    if not text:
        raise UserError(tr("укажите ИНН или часть названия организации",
                           "give an ИНН or a part of the organisation's name"))
    cands = store.find_orgs(text) if store.exists() else None
    if cands is None or not len(cands):
        raise UserError(tr("не найдено ни одной организации по «{t}»",
                           "no organisation matches “{t}”", t=text))
    if len(cands) == 1:
        return int(cands["org_uid"].iloc[0])
    exact = cands[(cands["org_id"] == text) |
                  (cands["org_name"].fillna("").map(fold) == fold(text))]
    if len(exact) == 1:
        return int(exact["org_uid"].iloc[0])
    shown = []
    for _, r in cands.head(8).iterrows():
        bits = [b for b in (r["org_id"], r["org_name"]) if isinstance(b, str) and b]
        where = r["municipality"] if isinstance(r["municipality"], str) else ""
        shown.append(" ".join(bits) + (f" ({where})" if where else ""))
    more = len(cands) - len(shown)
    tail = tr("; и ещё {n}", "; and {n} more", n=more) if more > 0 else ""
    raise AmbiguousOrgError(tr(
        "«{t}»: подходит {n} {w}, уточните (ИНН или точнее название): {c}{tail}",
        "“{t}” matches {n} organisations; be more specific (an ИНН or more of the name): {c}{tail}",
        t=text, n=len(cands), w=plural_ru(len(cands), "организация", "организации", "организаций"),
        c="; ".join(shown), tail=tail), cands)


def org_history(store: "Store", cfg: "Config", org_uid: int) -> "pd.DataFrame":
    """One row per held week with the columns of :func:`week_table` (plus ``snapshot_id``):
    every held week from the organisation's first appearance on (a registry organisation: every
    held week); the weeks it is absent from the file are rows with ``missing`` true."""
    import pandas as pd

    uid = int(org_uid)
    weeks = _st.held_weeks(store) if store.exists() else []
    hist = store.history(uid) if weeks else None
    reg = store.query(
        "SELECT o.key, o.inn, rr.staff_total, rr.org_uid IS NOT NULL "
        "FROM orgs o LEFT JOIN registry_rows rr ON rr.org_uid = o.uid AND rr.registry_id = "
        "(SELECT id FROM registries WHERE replaced_by IS NULL) WHERE o.uid = ?", (uid,))
    if not reg:
        raise UserError(tr("нет организации №{u}", "there is no organisation #{u}", u=uid))
    key, inn, reg_staff, in_registry = reg[0]
    in_registry = bool(in_registry)
    present_ids = hist["snapshot_id"].to_numpy(dtype=np.int64) if hist is not None \
        else np.empty(0, dtype=np.int64)
    if not len(present_ids) and not in_registry:
        return pd.DataFrame(columns=output_columns(cfg, history=True))
    if in_registry or not len(present_ids):
        span = weeks
    else:
        first = min(w.start for w in weeks if w.id in set(present_ids.tolist()))
        span = [w for w in weeks if w.start >= first]

    # texts for the weeks it is absent: the latest spelling (weekly file, else registry)
    texts = _org_texts(store, uid, hist)
    by_sid = {int(s): i for i, s in enumerate(present_ids.tolist())}
    # the held rows read column-wise once (a row-wise .iloc per week cost ~6 ms per school)
    held = {f: hist[f].astype(object).tolist() for f in (*ROW_FIELDS, "row")} \
        if hist is not None else {}
    rows = []
    for w in span:
        i = by_sid.get(w.id)
        if i is not None:
            rows.append({"snapshot_id": w.id, "week_start": w.start.isoformat(),
                         "week_end": w.end.isoformat(), "missing": False,
                         **{f: held[f][i] for f in ROW_FIELDS}, "row": held["row"][i]})
        else:
            rows.append({"snapshot_id": w.id, "week_start": w.start.isoformat(),
                         "week_end": w.end.isoformat(), "missing": True,
                         **{f: None for f in ROW_FIELDS}, **texts, "row": None})
    frame = pd.DataFrame(rows)
    for f in COUNT_FIELDS:
        frame[f] = pd.array(pd.to_numeric(frame[f], errors="coerce"), dtype="Int64") \
            if len(frame) else pd.array([], dtype="Int64")
    frame["teachers_active_share"] = pd.to_numeric(frame["teachers_active_share"],
                                                   errors="coerce").astype(float)
    frame["row"] = pd.array(pd.to_numeric(frame["row"], errors="coerce"), dtype="Int64")
    frame["org_uid"] = uid
    _fill_region(frame, store, cfg, _st.registry_id(store), in_scope=_scope_mask(frame, cfg))
    if reg_staff is not None:
        gap = frame["staff_total"].isna()
        frame.loc[gap, "staff_total"] = int(reg_staff)
    missing = frame["missing"].to_numpy(dtype=bool)
    cols = evaluate_frame(frame, cfg, missing=missing)

    n = len(frame)
    out: dict = {"snapshot_id": frame["snapshot_id"].to_numpy(dtype=np.int64),
                 "org_uid": np.full(n, uid, dtype=np.int64),
                 "org_key": np.full(n, key, dtype=object),
                 "week_start": frame["week_start"].to_numpy(dtype=object),
                 "week_end": frame["week_end"].to_numpy(dtype=object)}
    for f in ROW_FIELDS:
        out[f] = frame[f].array if f in COUNT_FIELDS else frame[f].to_numpy(dtype=object)
    if inn:
        out["org_id"] = np.full(n, inn, dtype=object)
    _take_indicator_columns(out, cols, cfg)

    num = {f: _calc_floats(frame, f) for f in NUMERIC_FIELDS}
    present = ~missing
    prev_present = np.r_[False, present[:-1]] if n else present
    has_prev = np.r_[False, np.ones(max(n - 1, 0), dtype=bool)] if n else present

    def shifted(a: np.ndarray, fill=np.nan) -> np.ndarray:
        if not n:
            return a
        return np.r_[np.array([fill], dtype=a.dtype), a[:-1]]

    for f in DELTA_FIELDS:
        now = cols[f] if f in ("messaging_share", "registration_share") else num[f]
        out[f"d_{f}"] = now - shifted(now.astype(float))
    inactive = cols["inactive"]
    was_inactive = shifted(inactive.astype(float)) == 1.0
    was_known = has_prev & (prev_present | in_registry)
    out["newly_inactive"] = inactive & was_known & ~was_inactive
    out["recovered"] = ~inactive & was_known & was_inactive
    differs = np.zeros(n, dtype=bool)
    status = _status_values(frame["status"])
    if n:
        differs[1:] |= status[1:] != status[:-1]
        for f in NUMERIC_FIELDS:
            a = num[f]
            with np.errstate(invalid="ignore"):
                d = (a[1:] != a[:-1]) & ~(np.isnan(a[1:]) & np.isnan(a[:-1]))
            differs[1:] |= d
    out["changed"] = has_prev & np.where(present & prev_present, differs, present != prev_present)

    codes = cols["_codes"]
    if not in_registry:
        # absent weeks of a school outside the registry are not "missing" from the week table
        # (which lists registry schools only): unknown, as the streak cache holds them
        codes[missing] = CODE_UNKNOWN
    streak = np.zeros(codes.shape, dtype=np.int32)
    run = np.zeros(codes.shape[1], dtype=np.int32)
    for r in range(n):
        c = codes[r]
        run = np.where(c == 2, run + 1, np.where(c == 1, 0, run))
        streak[r] = run
    for k, ind in enumerate(cfg.indicators):
        out[f"weeks_below_{ind.key}"] = streak[:, k]
    out["weeks_below"] = streak.max(axis=1) if streak.shape[1] else np.zeros(n, dtype=np.int32)
    out["reasons"] = cols["reasons"]
    out["row"] = frame["row"].array
    out["in_registry"] = np.full(n, in_registry, dtype=bool)
    return pd.DataFrame(out)


def _org_texts(store: "Store", uid: int, hist) -> dict:
    if hist is not None and len(hist):
        last = hist.iloc[-1]
        return {f: last[f] for f in ("region", "municipality", "org_id", "org_name")}
    orgs = store.query(
        "SELECT o.inn, n.name, m.name, r.name FROM orgs o "
        "LEFT JOIN org_names n ON n.id = o.name_id "
        "LEFT JOIN municipalities m ON m.id = o.municipality_id "
        "LEFT JOIN regions r ON r.id = o.region_id WHERE o.uid = ?", (uid,))
    if not orgs:
        return {}
    inn, name, muni, region = orgs[0]
    return {"region": region, "municipality": muni, "org_id": inn, "org_name": name}
