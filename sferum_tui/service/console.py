"""The console's one door into the headless core.

Every screen gets the same :class:`ConsoleAPI` object.  It holds the store, the config, the
scope flag, the low-messaging threshold the user chose, and small caches; it computes nothing
itself — every figure comes from :mod:`sferum_tui.core.indicators` (and the store, shortlists,
fetch modules).  It imports no Textual, so it can be driven from a test or a notebook too.

Threads.  Widgets call these methods from ``@work(thread=True)`` workers, never from the UI
thread.  Textual starts a new thread for each worker, and the store keeps one SQLite connection
per thread (each with its own page cache), so every call that touches the store is handed to
one long-lived thread owned by this object (:meth:`ConsoleAPI.call`).  That keeps a single
connection, bounds memory, and serialises reads and the rare writes (shortlist marks) in the
order they were made.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sferum_tui.core.vocab import fold, percent
from sferum_tui.i18n import tr
from sferum_tui.service.filters import FilterSpec

if TYPE_CHECKING:  # pandas stays out of start-up until the first frame is read
    import pandas as pd

    from sferum_tui.core.config import Config
    from sferum_tui.core.paths import Paths
    from sferum_tui.core.store import SnapshotInfo, Store

__all__ = [
    "ConsoleAPI", "Filters", "FilterSpec", "WeekData", "View", "StoreSignature",
    "MOSCOW", "next_publication", "DEFAULT_SHORTLIST", "shortlist_title", "format_share",
]

T = TypeVar("T")

MOSCOW = timezone(timedelta(hours=3), "MSK")
"""Moscow time: UTC+3 all year since 2014 (no tz database needed)."""

PUBLICATION_WEEKDAY = 4  # Friday
PUBLICATION_HOUR = 17

WEEK_CACHE = 3
"""Week tables kept in memory: the one on screen and its two neighbours (``[`` / ``]``, warmed
while the user reads).  A country week is ~35 MB; a session must stay under 400 MB (issue 13)."""


def DEFAULT_SHORTLIST() -> str:  # noqa: N802 - reads like a constant
    """The list that `space` marks into unless the user chose another: one list whatever the
    UI language (``core.store.shortlists.DEFAULT_LIST``; shown as «Рассылка»/«Mailing»)."""
    from sferum_tui.core.store.shortlists import DEFAULT_LIST

    return DEFAULT_LIST


def shortlist_title(name: str) -> str:
    """A list's name as the console shows it (the default list's in the current language)."""
    from sferum_tui.core.store.shortlists import display_name

    return display_name(name)


def next_publication(now: datetime) -> datetime:
    """The next Friday 17:00 Moscow time strictly after ``now`` (an aware datetime)."""
    local = now.astimezone(MOSCOW)
    days = (PUBLICATION_WEEKDAY - local.weekday()) % 7
    candidate = (local + timedelta(days=days)).replace(
        hour=PUBLICATION_HOUR, minute=0, second=0, microsecond=0)
    if candidate <= local:
        candidate += timedelta(days=7)
    return candidate


# --------------------------------------------------------------------------- filters


Filters = FilterSpec
"""The console's filters are the service's one :class:`FilterSpec`."""


def format_share(value: float | None, digits: int = 1) -> str:
    """A KPI-style share (``92,2%``): :func:`sferum_tui.core.vocab.percent` with one decimal."""
    return percent(value, digits)


# --------------------------------------------------------------------------- results


@dataclass
class WeekData:
    """One snapshot's full table (scoped), as the core computed it."""

    info: "SnapshotInfo"
    previous: "SnapshotInfo | None"
    frame: "pd.DataFrame"
    index: int                       # position among the current snapshots (0 = oldest)
    count: int                       # number of current snapshots
    municipalities: list[tuple[str, int]] = field(default_factory=list)
    areas: list[tuple[str, str, int]] = field(default_factory=list)
    """``(municipality, region, count)`` when the week spans several regions (else empty)."""
    folded_names: list[str] | None = None   # search cache (see ConsoleAPI.search_mask)
    regions: tuple[str, ...] | None = None  # the distinct regions (see ConsoleAPI.area_label)
    inns: list[str] | None = None           # ИНН as text, "" for none (search by digits)

    @property
    def label(self) -> str:
        return self.info.period_label


@dataclass
class View:
    """What the main screen shows for a week and a set of filters.

    The rows are positions into the week's (cached, immutable) frame, so the table keeps one
    frame per week and a filter never builds a new one (``FrameTable.set_frame(rows=...)``).
    """

    week: WeekData
    filters: Filters
    threshold: float
    rows: Any                        # positions of the shown rows in ``week.frame`` (None: all)
    total: int                       # rows in the area (scope + municipality)
    kpis: list[Any]                  # indicators.Kpi for the area
    counts: dict[str, int]           # inactive / low / unregistered / missing / changed in view


@dataclass(frozen=True)
class StoreSignature:
    """Cheap identity of the store's contents, polled to notice new snapshots (``Store.signature``:
    the SQLite files' times and sizes, or one query of a PostgreSQL store's ids)."""

    value: tuple


_libc_trim: Any = None


def _release_free_memory() -> None:
    """Return the C heap's free pages to the system (glibc's ``malloc_trim``; nothing where
    there is none).  A week's computation frees tens of MB of arrays amid the ones kept,
    and glibc keeps such holes resident: without this a session grew ~15 MB with every week
    it opened.  A few ms; called on the store's thread between jobs."""
    global _libc_trim
    if _libc_trim is None:
        _libc_trim = False
        try:
            import ctypes

            _libc_trim = getattr(ctypes.CDLL(None), "malloc_trim", False)
        except (OSError, AttributeError, TypeError):
            pass
    if _libc_trim:
        _libc_trim(0)


_arrow_pool_set = False


def _system_arrow_pool() -> None:
    """Arrow buffers (each week's column copy, decoded; the table's text ranks) from the C
    library's allocator instead of pyarrow's default mimalloc pool, which keeps the memory of
    freed buffers: ~45 MB of a country session's peak (issue 13: ≤ 400 MB a session).  Once per
    process, before the first week is read; buffers already made stay valid."""
    global _arrow_pool_set
    if _arrow_pool_set:
        return
    _arrow_pool_set = True
    try:
        import pyarrow as pa

        pa.set_memory_pool(pa.system_memory_pool())
    except Exception:  # noqa: BLE001 - an allocator choice, never a reason to fail
        pass


def _clean_texts(frame: "pd.DataFrame") -> None:
    """Texts a store written before import-time cleaning may still hold controls in (names,
    areas): cleaned here, once per week, so no screen draws an escape from data.  One scan of
    the joined column when nothing needs cleaning (~2 ms a country week)."""
    from sferum_tui.core.text import CONTROL_RE, clean_text

    for col in ("org_name", "municipality", "region"):
        if col not in frame.columns:
            continue
        values = frame[col].tolist()
        if CONTROL_RE.search(" ".join([v for v in values if isinstance(v, str)])):
            frame[col] = pd_series([clean_text(v) if isinstance(v, str) else v for v in values])


def pd_series(values: list):
    import pandas as pd

    return pd.Series(values, dtype=object)


# --------------------------------------------------------------------------- the facade


class ConsoleAPI:
    """The console's facade over the core (see the module docstring).

    Args:
        paths: where the store, config and cache live (``Paths``).
        config: the validated config (``load_config``).
        scope: start with the config's scope applied (``week_table(..., scope=True)``).
        now: a clock, ``() -> aware datetime`` (tests and snapshots pin it).
        demo: the store is the disposable demo store.
        read_only: a console that only looks (``sferum-tui serve --read-only``): importing,
            fetching, building the demo and changing shortlists are refused in one line.
    """

    def __init__(self, paths: "Paths", config: "Config", *, scope: bool = True,
                 now: Callable[[], datetime] | None = None, demo: bool = False,
                 read_only: bool = False) -> None:
        self.paths = paths
        self.cfg = config
        self.scope = scope
        self.demo = demo
        self._read_only = bool(read_only)
        self._now = now or (lambda: datetime.now(UTC))
        self.low_threshold: float = float(config.thresholds.low_messaging)
        self.shortlist_name: str = DEFAULT_SHORTLIST()
        self._store: Store | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sferum-store")
        self._executor_thread: threading.Thread | None = None
        self._weeks: OrderedDict[tuple[int, bool], WeekData] = OrderedDict()
        self._snapshots: list[SnapshotInfo] | None = None
        self._kpis: dict[tuple, list[Any]] = {}
        self._lock = threading.Lock()

    # -- plumbing -------------------------------------------------------------------------

    @property
    def home(self) -> Path:
        return Path(self.paths.home)

    @property
    def store_label(self) -> str:
        """The store as the screens name it: its folder, or a database's URL (no password)."""
        label = getattr(self.paths, "store_label", None)
        return label if isinstance(label, str) else str(self.paths.home)

    @property
    def store(self) -> "Store":
        """The store (for the core's functions; use it from :meth:`call`)."""
        if self._store is None:
            from sferum_tui.service.store import open_store

            self._store = open_store(self.paths)
        return self._store

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn(*args, **kwargs)`` on the store's own thread and return its result.

        Screens' workers use this for any core call that reads the store.
        """
        if threading.current_thread() is self._executor_thread:
            return fn(*args, **kwargs)
        return self._executor.submit(self._on_thread, fn, args, kwargs).result()

    def submit(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> "Future[T]":
        """Start ``fn`` on the store's thread now and return at once; ``.result()`` later.

        A screen starts its read when it is built, so the store works while Textual mounts it.
        """
        return self._executor.submit(self._on_thread, fn, args, kwargs)

    def _on_thread(self, fn, args, kwargs):
        self._executor_thread = threading.current_thread()
        return fn(*args, **kwargs)

    def close(self) -> None:
        def _close() -> None:
            if self._store is not None:
                self._store.close()

        try:
            self._executor.submit(_close).result(timeout=5)
        except Exception:  # noqa: BLE001 - closing must not raise on the way out
            pass
        self._executor.shutdown(wait=False, cancel_futures=True)

    def now(self) -> datetime:
        return self._now()

    @property
    def read_only(self) -> bool:
        """This console only looks (``serve --read-only``): no import, fetch, list change or
        file written on the server (exports, the report).
        (A store this account cannot write is ``store.read_only``: a different, older notice.)"""
        return self._read_only

    def read_only_message(self) -> str:
        """The one line a write action shows in a read-only console."""
        return tr("Эта консоль открыта только для чтения: импорт, загрузка, изменение списков "
                  "и запись файлов недоступны.",
                  "This console is read-only: importing, fetching, changing lists and writing "
                  "files are not available.")

    def require_writable(self) -> None:
        """Raise the one-line ``UserError`` of a read-only console (every writing method of
        this facade calls it first; screens check :attr:`read_only` to say it sooner)."""
        if self._read_only:
            from sferum_tui.core.errors import UserError

            raise UserError(self.read_only_message())

    def today(self) -> date:
        return self.now().astimezone(MOSCOW).date()

    def switch_home(self, paths: "Paths", *, demo: bool) -> None:
        """Point at another store (the welcome screen's demo)."""
        old = self._store

        def _swap() -> None:
            if old is not None:
                old.close()

        self.call(_swap)
        with self._lock:
            self.paths = paths
            self.demo = demo
            self._store = None
            self._weeks.clear()
            self._kpis.clear()
            self._snapshots = None

    def invalidate(self) -> None:
        """Forget the cached weeks and KPIs (after a language switch: their texts change)."""
        with self._lock:
            self._weeks.clear()
            self._kpis.clear()

    # -- snapshots ------------------------------------------------------------------------

    def snapshots(self, refresh: bool = False) -> list["SnapshotInfo"]:
        """The current snapshots, oldest first (cached until :meth:`refresh`)."""
        if refresh or self._snapshots is None:
            snaps = self.call(lambda: self.store.snapshots())
            with self._lock:
                self._snapshots = snaps
        return list(self._snapshots or [])

    def is_empty(self) -> bool:
        return not self.snapshots()

    def warm_latest(self, snapshot_id: int | None = None) -> None:
        """Read the latest week (or ``snapshot_id``, the week a remembered view opens, when it
        is held) into the cache (at start-up, on the store's thread, while Textual starts:
        pandas' import and the week's computation overlap with it).  Silent: the main screen's
        own load reports any problem."""
        try:
            ids = [s.id for s in self.snapshots()]
            week = snapshot_id if snapshot_id in ids else (ids[-1] if ids else None)
            if week is not None:
                self.week(week)
        except Exception:  # noqa: BLE001 - the screen's load says what went wrong
            pass

    def latest_id(self) -> int | None:
        snaps = self.snapshots()
        return snaps[-1].id if snaps else None

    def neighbour(self, snapshot_id: int | None, step: int) -> int | None:
        """The snapshot ``step`` weeks later (negative: earlier), or None at either end."""
        snaps = self.snapshots()
        ids = [s.id for s in snaps]
        if not ids:
            return None
        if snapshot_id not in ids:
            return ids[-1]
        i = ids.index(snapshot_id) + step
        return ids[i] if 0 <= i < len(ids) else None

    def resolve_week(self, spec: str) -> "SnapshotInfo | None":
        """A week named by the user (``latest``, a date, ``15.04.2023``, an id …)."""
        from sferum_tui.core import indicators

        return self.call(indicators.resolve_week, self.store, spec)

    def signature(self) -> StoreSignature:
        """What changes when another process (or machine) writes the store; an unreachable
        database gives an empty signature, so the watch looks again next time."""
        try:
            return StoreSignature(self.call(self.store.signature))
        except Exception:  # noqa: BLE001 - a database gone for a moment: look again later
            return StoreSignature(())

    def refresh(self) -> tuple[list["SnapshotInfo"], list["SnapshotInfo"], bool]:
        """Re-read the list of snapshots.

        Returns ``(arrived, replaced, changed)``: the snapshots that are new since the last
        look, those that replaced a week already shown (a re-import), and whether anything
        changed at all.  Cached week tables of replaced or neighbouring weeks are dropped.
        """
        if self._snapshots is None:  # never looked: this is the baseline, nothing "arrived"
            self.snapshots(refresh=True)
            return [], [], False
        before = {s.id: s for s in self._snapshots}
        before_starts = {s.period_start for s in before.values()}
        snaps = self.snapshots(refresh=True)
        after = {s.id: s for s in snaps}
        new = [s for s in snaps if s.id not in before]
        gone = [i for i in before if i not in after]
        arrived = [s for s in new if s.period_start not in before_starts]
        replaced = [s for s in new if s.period_start in before_starts]
        changed = bool(new or gone)
        if changed:
            with self._lock:
                # week-over-week columns depend on the previous week: drop everything cached
                self._weeks.clear()
                self._kpis.clear()
        return arrived, replaced, changed

    # -- one week -------------------------------------------------------------------------

    def week(self, snapshot_id: int) -> WeekData:
        """The scoped week table of a snapshot (cached for a few weeks)."""
        key = (int(snapshot_id), bool(self.scope))
        hit = self._cached(key)
        if hit is not None:
            return hit
        return self.call(self._load_week_once, key)

    def _cached(self, key: tuple[int, bool]) -> WeekData | None:
        with self._lock:
            hit = self._weeks.get(key)
            if hit is not None:
                self._weeks.move_to_end(key)
            return hit

    def _load_week_once(self, key: tuple[int, bool]) -> WeekData:
        # on the store thread: a second caller waiting for the same week finds it cached
        hit = self._cached(key)
        if hit is not None:
            return hit
        with self._lock:
            # room first: the least recently used week goes before the new one is built, so
            # no more than WEEK_CACHE weeks are alive at once (the one on screen is the most
            # recently used: every view of it touches it)
            while len(self._weeks) >= WEEK_CACHE:
                self._weeks.popitem(last=False)
        data = self._load_week(*key)
        with self._lock:
            self._weeks[key] = data
            while len(self._weeks) > WEEK_CACHE:
                self._weeks.popitem(last=False)
        # after this call has returned (the next job of the store's thread): the week's
        # temporaries were freed, give their pages back
        try:
            self._executor.submit(_release_free_memory)
        except RuntimeError:  # the console is closing: no more jobs
            pass
        return data

    def cached_week(self, snapshot_id: int) -> bool:
        return (int(snapshot_id), bool(self.scope)) in self._weeks

    def quick_view(self, snapshot_id: int, filters: Filters) -> View | None:
        """:meth:`view` for a search alone over a week in memory — a scan of its cached folded
        names (or ИНН), a few ms, fit for the UI thread.  ``None`` when the view needs more
        (another filter's pandas pass, the store, KPIs not computed yet): use a worker."""
        if replace(filters, search="").any:
            return None
        week = self._cached((int(snapshot_id), bool(self.scope)))
        if week is None or (filters.search.strip() and week.folded_names is None):
            return None
        if (int(snapshot_id), bool(self.scope), None, None, self.today()) not in self._kpis:
            return None
        return self.view(snapshot_id, filters)

    def _load_week(self, snapshot_id: int, scope: bool) -> WeekData:
        from sferum_tui.core import indicators

        _system_arrow_pool()
        store = self.store
        info = store.snapshot(snapshot_id)
        previous = store.previous(snapshot_id)
        frame = indicators.week_table(store, self.cfg, snapshot_id, scope=scope)
        frame = self._presentation(frame)
        snaps = self._snapshots if self._snapshots is not None else store.snapshots()
        ids = [s.id for s in snaps]
        index = ids.index(snapshot_id) if snapshot_id in ids else len(ids) - 1
        munis: list[tuple[str, int]] = []
        if "municipality" in frame.columns and len(frame):
            counts = frame["municipality"].dropna().value_counts()
            munis = sorted(((str(k), int(v)) for k, v in counts.items()),
                           key=lambda kv: fold(kv[0]))
        regions = tuple(str(r) for r in frame["region"].dropna().unique()) \
            if "region" in frame.columns else ()
        areas: list[tuple[str, str, int]] = []
        if munis and len(regions) > 1:
            sizes = frame.groupby(["municipality", "region"], sort=False).size()
            areas = sorted(((str(m), str(r), int(n)) for (m, r), n in sizes.items()),
                           key=lambda a: (fold(a[0]), fold(a[1])))
        return WeekData(info=info, previous=previous, frame=frame, index=index,
                        count=len(ids), municipalities=munis, areas=areas, regions=regions)

    @staticmethod
    def _presentation(frame: "pd.DataFrame") -> "pd.DataFrame":
        """Add ``state``: one word per row the table can colour, from the core's booleans, and
        ``reasons_text``: the core's reasons joined into one line.

        ``missing`` > ``newly_inactive`` > ``inactive`` > ``recovered`` > ``active``.  Nothing
        is computed here — it only names which of the core's flags applies.
        """
        import numpy as np

        n = len(frame)

        def flag(name: str):
            if name not in frame.columns:
                return np.zeros(n, dtype=bool)
            return frame[name].fillna(False).astype(bool).to_numpy()

        import pandas as pd

        names = np.array(["missing", "newly_inactive", "inactive", "recovered", "active"],
                         dtype=object)
        which = np.select(
            [flag("missing"), flag("newly_inactive"), flag("inactive"), flag("recovered")],
            [0, 1, 2, 3], default=4)
        frame = frame.reset_index(drop=True)  # positions = labels (the table filters by position)
        _clean_texts(frame)
        # object columns: pandas' inferred string dtype would copy 40,000 strings into Arrow
        frame["state"] = pd.Series(names[which], dtype=object, copy=False)
        if "reasons" in frame.columns:  # the core's reasons as one line, to show and sort
            joined: dict[tuple, str] = {}   # a country week repeats a few thousand reasons:
            text = []                       # one string each, shared by its rows
            for r in frame["reasons"].tolist():
                if isinstance(r, (tuple, list)):
                    key = r if isinstance(r, tuple) else tuple(map(str, r))
                    line = joined.get(key)
                    if line is None:
                        line = joined[key] = "; ".join(key)
                    text.append(line)
                else:
                    text.append("")
            frame["reasons_text"] = pd.Series(text, dtype=object)
        return frame

    # -- the main view --------------------------------------------------------------------

    def view(self, snapshot_id: int, filters: FilterSpec) -> View:
        """The week's table narrowed by ``filters``, with the area's KPIs and counts (the
        service's masks and counts: the numbers ``schools`` and ``summary`` print)."""
        import numpy as np

        filters = replace(filters, threshold=self.low_threshold)
        week = self.week(snapshot_id)
        frame = week.frame
        area_total = len(frame)
        area = filters.area()
        if area.municipality:
            area_total = int(area.mask(frame, self.cfg).sum())
        rows = None
        search = filters.search.strip()
        others = replace(filters, search="")
        if others.any:
            rows = np.flatnonzero(others.mask(frame, self.cfg))
        if search:
            mask = self.search_mask(week, search)
            rows = np.flatnonzero(mask) if rows is None else rows[mask[rows]]
        kpis = self.kpis(snapshot_id, filters.one_municipality,
                         filters.region if filters.municipality else None)
        from sferum_tui.service.headline import counts

        return View(week=week, filters=filters, threshold=self.low_threshold, rows=rows,
                    total=area_total, kpis=kpis,
                    counts=counts(frame, self.cfg, rows=rows, threshold=self.low_threshold))

    def search_mask(self, week: WeekData, text: str):
        """Rows of the week whose name contains ``text`` (or whose ИНН starts with it, for
        digits) — the same rule as ``indicators.filter_schools(search=)``, with the folded
        names (``indicators.fold``) kept per week so each keystroke is a scan, not a fold."""
        import numpy as np

        from sferum_tui.core import indicators

        frame = week.frame
        text = str(text).strip()
        if text.isdigit():
            if week.inns is None:  # once per week: the ИНН column as plain text
                week.inns = [v if isinstance(v, str) else "" for v in frame["org_id"].tolist()]
            inns = week.inns
            return np.fromiter((i.startswith(text) for i in inns), dtype=bool, count=len(inns))
        folded = self.folded_names(week)
        needle = indicators.fold(text)
        return np.fromiter((needle in name for name in folded), dtype=bool, count=len(folded))

    @staticmethod
    def folded_names(week: WeekData) -> list[str]:
        """The week's names folded for search, computed once per week (thread-safe enough:
        a race only computes the same list twice)."""
        if week.folded_names is None:
            from sferum_tui.core import indicators

            names = week.frame["org_name"].tolist()
            week.folded_names = [indicators.fold(n) if isinstance(n, str) else "" for n in names]
        return week.folded_names

    def shown_frame(self, view: View) -> "pd.DataFrame":
        """The rows a view shows, as a frame (in the week's order)."""
        frame = view.week.frame
        return frame if view.rows is None else frame.iloc[view.rows]

    def kpis(self, snapshot_id: int, municipality: str | None = None,
             region: str | None = None) -> list[Any]:
        """The area's KPIs (scope, narrowed to ``municipality`` [of ``region``] when given)."""
        from sferum_tui.core import indicators

        key = (int(snapshot_id), bool(self.scope), municipality, region, self.today())
        cache = self._kpis
        if key in cache:
            return cache[key]
        frame = self.week(snapshot_id).frame
        if municipality:
            frame = FilterSpec.parse(municipality=municipality, region=region).apply(frame, self.cfg)
        result = list(indicators.kpis(frame, self.cfg, today=self.today()))
        if len(cache) > 64:
            cache.clear()
        cache[key] = result
        return result

    def set_threshold(self, value: float) -> None:
        """The low-messaging threshold for the filter (a share 0..1)."""
        self.low_threshold = max(0.0, min(1.0, float(value)))

    def set_scope(self, scope: bool) -> None:
        self.scope = bool(scope)
        self._kpis.clear()

    def scope_label(self) -> str:
        """The area the console shows: the config's scope, or everything in the store."""
        sc = self.cfg.scope
        if not self.scope or (not sc.region and not sc.municipalities):
            return tr("все данные", "all data")
        if sc.municipalities:
            if len(sc.municipalities) == 1:
                return sc.municipalities[0]
            return tr("{n} муниципалитетов", "{n} municipalities", n=len(sc.municipalities))
        return sc.region

    def area_label(self, week: WeekData | None = None) -> str:
        """What the header calls the area: the configured scope, else the one region the
        week's data covers, else "all data"."""
        sc = self.cfg.scope
        if self.scope and (sc.region or sc.municipalities):
            return self.scope_label()
        if week is not None and "region" in week.frame.columns:
            if week.regions is None:  # once per week: the header asks at every repaint
                week.regions = tuple(str(r) for r in week.frame["region"].dropna().unique())
            regions = week.regions
            if len(regions) == 1 and regions[0].strip():
                return regions[0]
        return tr("все данные", "all data")

    def has_scope(self) -> bool:
        sc = self.cfg.scope
        return bool(sc.region or sc.municipalities)

    # -- other views ----------------------------------------------------------------------

    def rollup(self, snapshot_id: int, by: str = "municipality") -> "pd.DataFrame":
        """Municipalities (or ``by``) worst first, from the core."""
        from sferum_tui.core import indicators

        return indicators.rollup(self.week(snapshot_id).frame, self.cfg, by=by)

    def changes(self, snapshot_id: int) -> dict[str, "pd.DataFrame"]:
        """Newly inactive, recovered, biggest falls and rises since the previous week."""
        from sferum_tui.core import indicators

        week = self.week(snapshot_id)
        # the week table is already computed (and scoped like the main table): pure pandas
        return indicators.changes(self.store, self.cfg, int(snapshot_id), scope=self.scope,
                                  table=week.frame)

    def org_history(self, org_uid: int) -> "pd.DataFrame":
        from sferum_tui.core import indicators

        return self.call(indicators.org_history, self.store, self.cfg, int(org_uid))

    def org_row(self, snapshot_id: int, org_uid: int) -> "pd.Series | None":
        frame = self.week(snapshot_id).frame
        hit = frame[frame["org_uid"] == org_uid]
        return None if hit.empty else hit.iloc[0]

    # -- shortlists -----------------------------------------------------------------------

    @property
    def shortlists(self):
        """``core.shortlists.Shortlists`` on this store (call its methods through :meth:`call`)."""
        from sferum_tui.core.store.shortlists import Shortlists

        return Shortlists(self.store)

    def marked(self, name: str | None = None) -> set[int]:
        name = name or self.shortlist_name
        return self.call(lambda: self.shortlists.contains(name))

    def toggle_marks(self, uids: Iterable[int], name: str | None = None) -> tuple[int, int]:
        """Add the uids not in the list and remove those in it; returns ``(added, removed)``."""
        self.require_writable()
        name = name or self.shortlist_name
        uids = [int(u) for u in uids]

        def _toggle() -> tuple[int, int]:
            lists = self.shortlists
            present = lists.contains(name)
            to_add = [u for u in uids if u not in present]
            to_remove = [u for u in uids if u in present]
            added = lists.add(name, to_add) if to_add else 0
            removed = lists.remove(name, to_remove) if to_remove else 0
            return added, removed

        return self.call(_toggle)

    def shortlist_names(self) -> list[str]:
        return self.call(lambda: self.shortlists.names())

    # -- fetching -------------------------------------------------------------------------

    def fetch(self, on_event: Callable[[Any], None] | None = None,
              cancel: threading.Event | None = None, source: str | None = None):
        """One fetch pass over the configured sources (``core.fetch.fetch_once``).

        Runs in the caller's thread (a worker) with its own store connection, like the CLI;
        the console notices the new snapshot through :meth:`signature` like any other import.
        """
        from sferum_tui.core.acquire.fetch import fetch_once

        self.require_writable()
        return fetch_once(self.paths, self.cfg, source, on_event=on_event, cancel=cancel)

    def has_sources(self) -> bool:
        return any(getattr(s, "enabled", True) for s in self.cfg.sources)

    # -- importing a file from the console -----------------------------------------------

    def inspect_file(self, path: str | Path, period: str | None = None):
        """What the reader understands of a weekly file, writing nothing (``sferum-tui
        inspect``): a ``ReadResult``.  Runs in the caller's thread (a worker); a file that
        cannot be read raises its one-line ``UserError``."""
        from sferum_tui.core.ingest.reader import read_weekly

        return read_weekly(path, period_hint=period or None,
                           extra_aliases=dict(getattr(self.cfg, "aliases", None) or {}) or None,
                           strict=False)

    def import_file(self, path: str | Path, *, period: str | None = None,
                    replace: bool = False):
        """Import one weekly file into the store, as ``sferum-tui import`` does (the same
        ``Store.import_file`` with the config's aliases, then the indicator cache refreshed),
        on the store's thread.  Returns the ``ImportOutcome``; a read-only store, a bad file or
        a week already held from another file raise their one-line ``UserError``."""
        from sferum_tui.core.indicators import refresh_cache

        self.require_writable()
        aliases = dict(getattr(self.cfg, "aliases", None) or {}) or None

        def _import():
            store = self.store
            store.require_writable()
            outcome = store.import_file(path, period=period or None, replace=replace,
                                        extra_aliases=aliases)
            if outcome.status != "unchanged":
                refresh_cache(store, self.cfg)
            return outcome

        return self.call(_import)

    # -- the demo -------------------------------------------------------------------------

    def build_demo(self, progress: Callable[[str], None] | None = None, *,
                   scale: str = "region", weeks: int = 8, seed: int = 1) -> "Paths":
        """Build the disposable demo store (as ``sferum-tui demo --no-open``) and return its paths.

        The same steps as the ``demo`` command: wipe the demo folder, write synthetic files,
        import the registry and every week through the real reader and store.
        """
        import shutil

        from sferum_tui.core import demo
        from sferum_tui.core.paths import Paths
        from sferum_tui.core.store import Store

        self.require_writable()
        say = progress or (lambda text: None)
        if self.demo:
            paths = self.paths
        else:  # the same rule as ``--demo``: a ``demo`` folder inside the home and the cache
            paths = Paths(home=self.home / "demo", config_dir=self.paths.config_dir,
                          cache_dir=Path(self.paths.cache_dir) / "demo")
        home = paths.home
        if home.name != "demo":  # never wipe anything but a demo folder
            raise RuntimeError(f"not a demo folder: {home}")
        if home.exists():
            shutil.rmtree(home)
        say(tr("Создаю синтетические файлы…", "Writing synthetic files…"))
        built = demo.generate_demo(home / "files", scale=scale, weeks=weeks, seed=seed)
        with Store(home) as store:
            demo.import_demo(store, built, self.cfg, say=say)
        return paths
