"""``SchoolScreen``: one organisation, week by week (the drill-down of the console).

Pushed by the app shell as ``SchoolScreen(api, org_uid, week_id)``; ``api`` is the console's
facade (``api.store``, ``api.cfg``, optionally ``api.shortlist``, the current list's name).
The screen shows

* who the school is: name, ИНН, municipality, region, stated status (and the rule's verdict
  where the two disagree);
* for the week under the cursor of the history table (at first, the week the user came from):
  each target of the configuration with the school's value, the bar, ✓/✗ and the weeks in a row
  below it, then the reasons the core gives ("2 users linked, more than 2 needed", …);
* a weekly history table (newest first) and three charts over the weeks: teacher messaging %,
  users and classes, each with its target or threshold drawn as a horizontal line.

At 80×24 the table and the charts share the lower part and are switched with tabs (keys ``1``–``4``
or ``v``); from about 110×34 the table and the three charts are shown together.  ``Esc`` pops back
to the caller, whose own state (cursor, sort, filters) is untouched.  ``space`` marks or unmarks the
school in the current shortlist and posts :class:`SchoolScreen.MarkChanged` (it bubbles to the app).

All figures come from the core (``indicators.org_history``, ``Indicator.values``/``fails``);
this module only formats them.  Loading and the shortlist write run in thread workers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import ComposeResult
from textual.containers import Container
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Static, Tab, Tabs

from sferum_tui.i18n import tr
from sferum_tui.service.console import shortlist_title
from sferum_tui.service.vocab import clean_text, integer, percent
from sferum_tui.service.vocab import is_missing as _missing
from sferum_tui.tui.charts import HistoryChart
from sferum_tui.tui.help import install_bindings
from sferum_tui.tui.table import Column, FrameTable

if TYPE_CHECKING:
    import pandas as pd

    from sferum_tui.service.console import ConsoleAPI

__all__ = [
    "SchoolScreen", "SchoolData", "load_school", "open_school", "open_school_screen",
    "current_shortlist",
    "fmt_share", "fmt_count", "VIEWS",
]


#: Views of the lower part at 80×24, in tab order.
VIEWS = ("history", "messaging", "users", "classes")

WIDE_MIN_WIDTH = 110
WIDE_MIN_HEIGHT = 34


# --------------------------------------------------------------------------------------------
# Small shared helpers (also used by the shortlist screen and the export dialog)
# --------------------------------------------------------------------------------------------

def current_shortlist(api: "ConsoleAPI") -> str:
    """The name of the shortlist marks go to (the console's choice, by default «Рассылка»)."""
    return api.shortlist_name


#: ``0.07`` → ``7%``; ``0.004`` → ``0,4%``: the vocabulary's measured-share form.
fmt_share = percent
#: ``1 402``: the vocabulary's integer.
fmt_count = integer


def fmt_status(value: Any) -> str:
    if value == "active":
        return tr("активна", "active")
    if value == "inactive":
        return tr("не активна", "inactive")
    return "—"


def _status_style(value: Any) -> str | None:
    if value == "active":
        return "success"
    if value == "inactive":
        return "error"
    return "muted"


def _bool_text(value: Any) -> str:
    if _missing(value):
        return "—"
    return tr("да", "yes") if bool(value) else tr("нет", "no")


def _bool_style(value: Any) -> str | None:
    if _missing(value):
        return "muted"
    return "success" if bool(value) else "error"


def _short_date(day: Any) -> str:
    return day.strftime("%d.%m") if isinstance(day, date) else str(day)


def _period(start: Any, end: Any) -> str:
    from sferum_tui.service.vocab import period as format_period

    if isinstance(start, date) and isinstance(end, date):
        return format_period(start, end)
    return str(start)


def _as_date(value: Any) -> Any:
    """A ``date`` from a date, a pandas Timestamp or an ISO string (else the value itself)."""
    if isinstance(value, date) and not hasattr(value, "to_pydatetime"):
        return value
    if hasattr(value, "date") and callable(value.date):
        return value.date()
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return value
    return value


# --------------------------------------------------------------------------------------------
# Data (built in a worker thread from the core)
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TargetLine:
    """One target for one week, as the core evaluates it."""

    key: str
    title: str
    kind: str                  # "rule" | "ratio"
    value: float | None        # share 0..1 (ratio) or 1.0/0.0 (rule); None unknown
    bar: float                 # the per-organisation bar (low, else target)
    fails: bool                # known to fail
    weeks_below: int | None


@dataclass
class SchoolData:
    """Everything the screen shows for one organisation, prepared off the UI thread."""

    org_uid: int
    name: str
    inn: str | None
    municipality: str | None
    region: str | None
    history: "pd.DataFrame"               # core rows, oldest first, plus the table's columns
    week_keys: list[Any]                  # one key per row (history order)
    targets: dict[Any, list[TargetLine]]  # week key -> lines
    reasons: dict[Any, list[str]]         # week key -> reasons
    selected: Any                         # key of the week the user came from
    in_list: bool
    list_name: str
    labels: list[str] = field(default_factory=list)
    messaging: list[Any] = field(default_factory=list)
    users: list[Any] = field(default_factory=list)
    classes: list[Any] = field(default_factory=list)
    messaging_bar: float | None = None
    users_bar: float | None = None
    classes_bar: float | None = None

    def row(self, key: Any) -> dict[str, Any]:
        try:
            i = self.week_keys.index(key)
        except ValueError:
            return {}
        return self.history.iloc[i].to_dict()


def _flag(value: Any) -> bool:
    """A boolean cell (numpy, pandas ``boolean`` with <NA>, None) as a plain bool."""
    return False if _missing(value) else bool(value)


def _week_key(row: dict[str, Any]) -> Any:
    if "snapshot_id" in row and not _missing(row["snapshot_id"]):
        return int(row["snapshot_id"])
    return _as_date(row.get("week_start"))


def _weeks_below(row: dict[str, Any], key: str) -> int | None:
    for name in (f"weeks_below_{key}", f"{key}_weeks_below"):
        if name in row and not _missing(row[name]):
            return int(row[name])
    value = row.get("weeks_below")
    if isinstance(value, dict):
        got = value.get(key)
        return None if _missing(got) else int(got)
    return None


def _target_lines(cfg: Any, history: "pd.DataFrame", records: list[dict[str, Any]],
                  keys: list[Any]) -> dict[Any, list[TargetLine]]:
    """Each configured target per week: the core's ``value_<key>``/``pass_<key>`` columns
    where the history has them, else the indicator's own ``values``/``fails``."""
    targets: dict[Any, list[TargetLine]] = {k: [] for k in keys}
    if not len(history):
        return targets
    for ind in cfg.indicators:
        value_col, pass_col = f"value_{ind.key}", f"pass_{ind.key}"
        if value_col in history.columns and pass_col in history.columns:
            values = history[value_col].tolist()
            passes = history[pass_col].tolist()
            fails = [not _missing(v) and not bool(p) for v, p in zip(values, passes)]
        else:
            values = ind.values(history).tolist()
            fails = ind.fails(history).tolist()
        for i, key in enumerate(keys):
            v = values[i]
            targets[key].append(TargetLine(
                key=ind.key, title=ind.display_title, kind=ind.kind,
                value=None if _missing(v) else float(v), bar=float(ind.threshold),
                fails=bool(fails[i]), weeks_below=_weeks_below(records[i], ind.key)))
    return targets


def load_school(api: Any, org_uid: int, week_id: Any,
                history: "pd.DataFrame | None" = None) -> SchoolData:
    """Read one organisation's history through the core (runs in a worker thread);
    ``history``: ``org_history`` already read (the screen starts that read when it is built)."""
    from sferum_tui.service.store import Shortlists

    store, cfg = api.store, api.cfg
    if history is None:
        history = api.org_history(int(org_uid))
    history = history.reset_index(drop=True)
    if "week_start" not in history.columns and "period_start" in history.columns:
        history = history.rename(columns={"period_start": "week_start", "period_end": "week_end"})
    for col in ("week_start", "week_end"):
        if col in history.columns:
            history[col] = history[col].map(_as_date)
    if "week_start" in history.columns:
        history = history.sort_values("week_start", kind="stable", ignore_index=True)

    # rows as dicts, column by column (DataFrame.to_dict boxes each of ~10,000 cells: ~10 ms)
    names = list(history.columns)
    records = [dict(zip(names, row))
               for row in zip(*(history[c].tolist() for c in names))] if len(history) else []
    keys = [_week_key(r) for r in records]
    present = [r for r in records if not _flag(r.get("missing")) and r.get("org_name")]
    latest = present[-1] if present else (records[-1] if records else {})

    name = latest.get("org_name")
    inn = latest.get("org_id")
    municipality = latest.get("municipality")
    region = latest.get("region")
    if _missing(name) or not name:  # only in the registry, or never in a held week
        orgs = api.call(store.orgs)
        hit = orgs[orgs["org_uid"] == int(org_uid)]
        if len(hit):
            first = hit.iloc[0]
            name, inn = first["org_name"], first["org_id"]
            municipality, region = first["municipality"], first["region"]

    targets = _target_lines(cfg, history, records, keys)
    reasons = {k: [str(x) for x in (r.get("reasons") or []) if str(x).strip()]
               if isinstance(r.get("reasons"), (list, tuple)) else []
               for k, r in zip(keys, records)}

    # the week the user came from (else the latest held)
    selected = keys[-1] if keys else None
    if week_id is not None and keys:
        if week_id in keys:
            selected = week_id
        else:
            try:
                start = api.call(store.snapshot, int(week_id)).period_start
            except Exception:  # noqa: BLE001 - an unknown week just means "the latest"
                start = None
            for k, r in zip(keys, records):
                if start is not None and _as_date(r.get("week_start")) == start:
                    selected = k

    # the table's display columns (text for the eye; the numbers stay the core's)
    table = history.copy()
    table["week_key"] = keys
    table["week"] = [_period(r.get("week_start"), r.get("week_end")) for r in records]
    table["reasons_text"] = ["; ".join(reasons[k]) for k in keys]
    if "missing" in table.columns:
        table["present"] = [not _flag(v) for v in table["missing"].tolist()]

    list_name = current_shortlist(api)
    in_list = int(org_uid) in api.call(Shortlists(store).contains, list_name)

    def series(col: str) -> list[Any]:
        return history[col].tolist() if col in history.columns else [None] * len(history)

    def bar_of(key: str) -> float | None:
        try:
            return float(cfg.indicator(key).threshold)
        except KeyError:
            return None

    act = cfg.activity_rule
    return SchoolData(
        org_uid=int(org_uid), name=str(name or tr("без названия", "unnamed")),
        inn=None if _missing(inn) else str(inn),
        municipality=None if _missing(municipality) else str(municipality),
        region=None if _missing(region) else str(region),
        history=table, week_keys=keys, targets=targets, reasons=reasons, selected=selected,
        in_list=in_list, list_name=list_name,
        labels=[_short_date(r.get("week_start")) for r in records],
        messaging=series("messaging_share"), users=series("users_total"),
        classes=series("classes"),
        messaging_bar=bar_of("teacher_messaging"),
        users_bar=float(act.users_more_than), classes_bar=float(act.classes_at_least),
    )


def open_school(app: Any, api: Any, org_uid: Any, week_id: Any) -> bool:
    """Open the school at a table's cursor (nothing when there is no row or no week)."""
    if org_uid is None or week_id is None:
        return False
    open_school_screen(app, api, int(org_uid), week_id)  # read first, then one paint
    return True


def open_school_screen(app: Any, api: Any, org_uid: int, week_id: Any,
                       callback: Callable[[Any], None] | None = None) -> None:
    """Read the school in a worker, then push its screen with the data (one paint, no
    loading frame: ~25 ms of reading instead of a paint of an empty screen competing with it).
    A failed read pushes the screen anyway; it reads again and says what went wrong."""
    from textual.worker import get_current_worker

    def read() -> None:
        worker = get_current_worker()
        try:
            data = load_school(api, int(org_uid), week_id)
        except Exception:  # noqa: BLE001 - the screen reads again and shows the error
            data = None
        if not worker.is_cancelled:
            app.call_from_thread(_push_school, app, api, int(org_uid), week_id, data, callback)

    app.run_worker(read, thread=True, exclusive=True, group="open-school", exit_on_error=False)


#: The name the reusable school screen is installed under (see :func:`_push_school`).
REUSED_NAME = "sferum-school"


def _push_school(app: Any, api: Any, org_uid: int, week_id: Any, data: SchoolData | None,
                 callback: Callable[[Any], None] | None) -> None:
    """Push the school screen with ``data``.  One screen is kept installed and refilled for
    the next school: composing, mounting and styling ~30 widgets again was about a third of
    the time to open a school.  A fresh screen when the kept one is on the stack (or in another
    language), and when the read failed (that screen reads again and shows the error)."""
    from sferum_tui.i18n import get_language

    kept = getattr(app, "_kept_school", None)
    usable = (data is not None and kept is not None and kept.api is api
              and kept.language == get_language() and kept.is_attached
              and all(kept is not s for s in app.screen_stack))
    if usable:
        kept.refill(org_uid, week_id, data)
        app.push_screen(kept, callback)
        return
    screen = SchoolScreen(api, org_uid, week_id, preloaded=data)
    if data is not None:
        drop_kept_school(app)
        app.install_screen(screen, name=REUSED_NAME)
        app._kept_school = screen
    app.push_screen(screen, callback)


def drop_kept_school(app: Any) -> None:
    """Forget the kept school screen (a language switch: its labels are in the old one)."""
    kept = getattr(app, "_kept_school", None)
    app._kept_school = None
    if kept is None or any(kept is s for s in app.screen_stack):
        return
    if app.is_screen_installed(kept):
        app.uninstall_screen(kept)
    if kept.is_attached:
        kept.remove()


# --------------------------------------------------------------------------------------------
# The screen
# --------------------------------------------------------------------------------------------

def _history_columns() -> list[Column]:
    return [
        Column("week", tr("Неделя", "Week"), max_width=23),
        Column("status", tr("Статус", "Status"), formatter=fmt_status, style_fn=_status_style),
        Column("active_by_rule", tr("Акт.", "Act."), formatter=_bool_text, style_fn=_bool_style,
               align="left"),
        Column("users_total", tr("Польз.", "Users"), formatter=fmt_count),
        Column("classes", tr("Классы", "Classes"), formatter=fmt_count),
        Column("teachers", tr("Учит.", "Teach."), formatter=fmt_count),
        Column("teachers_active", tr(">3 сообщ.", ">3 msgs"), formatter=fmt_count),
        Column("messaging_share", tr("Сообщ.%", "Msg %"), formatter=fmt_share),
        Column("registration_share", tr("Рег.%", "Reg. %"), formatter=fmt_share),
        Column("staff_total", tr("Сотр.", "Staff"), formatter=fmt_count),
        Column("reasons_text", tr("Причины", "Reasons"), max_width=60),
    ]


class SchoolScreen(Screen[None]):
    """One organisation over the weeks.  See the module's docstring."""

    DEFAULT_CSS = """
    SchoolScreen {
        layout: vertical;
        background: $background;
    }
    SchoolScreen #school-name {
        height: 1;
        padding: 0 1;
        background: $panel;
        color: $foreground;
        text-style: bold;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    SchoolScreen #school-ident, SchoolScreen #school-targets {
        height: auto;
        padding: 0 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    SchoolScreen #school-ident {
        color: $foreground-muted;
    }
    SchoolScreen #school-reasons {
        height: auto;
        max-height: 3;
        padding: 0 1;
    }
    SchoolScreen.-wide #school-reasons {
        max-height: 8;
    }
    SchoolScreen #school-tabs {
        height: 1;
        margin: 0 0 0 1;
    }
    SchoolScreen #school-tabs Underline {
        display: none;
    }
    SchoolScreen #school-tabs #tabs-list-bar, SchoolScreen #school-tabs #tabs-list {
        height: 1;
    }
    SchoolScreen #school-tabs Tab {
        padding: 0 1;
        height: 1;
    }
    SchoolScreen #school-tabs Tab.-active {
        background: $block-cursor-blurred-background;
        color: $block-cursor-blurred-foreground;
        text-style: bold;
    }
    SchoolScreen.-wide #school-tabs {
        display: none;
    }
    SchoolScreen #school-body {
        height: 1fr;
        layout: vertical;
    }
    SchoolScreen #school-history {
        height: 1fr;
    }
    SchoolScreen #school-charts {
        height: 1fr;
        layout: horizontal;
    }
    SchoolScreen.-wide #school-history {
        height: 1fr;
        max-height: 45%;
    }
    SchoolScreen.-wide #school-charts {
        height: 1fr;
        border-top: hkey $panel;
    }
    SchoolScreen.-wide HistoryChart {
        width: 1fr;
        margin: 0 1 0 0;
    }
    """

    class MarkChanged(Message):
        """The school was added to or removed from a shortlist (bubbles to the app)."""

        def __init__(self, org_uid: int, list_name: str, marked: bool) -> None:
            super().__init__()
            self.org_uid = org_uid
            self.list_name = list_name
            self.marked = marked

    def __init__(
        self,
        api: Any,
        org_uid: int,
        week_id: Any = None,
        *,
        name: str | None = None,
        id: str | None = None,  # noqa: A002 - Textual's name
        classes: str | None = None,
        preloaded: SchoolData | None = None,
    ) -> None:
        """``preloaded``: the school's data read before the screen was pushed
        (:func:`open_school_screen`): the first paint then shows it, with no loading frame."""
        super().__init__(name=name, id=id, classes=classes)
        install_bindings(self, "school")
        from sferum_tui.i18n import get_language

        self.api = api
        self.language = get_language()
        self.org_uid = int(org_uid)
        self.week_id = week_id
        self.data: SchoolData | None = None
        self.view = "history"
        self.week_shown: Any = None
        self._marking = False
        self._charts_mounted = False
        self._charts_filled = False
        try:  # the layout class from the start: adding it on mount restyles the whole screen
            size = self.app.size
            self.set_class(size.width >= WIDE_MIN_WIDTH and size.height >= WIDE_MIN_HEIGHT,
                           "-wide", update=False)
        except Exception:  # noqa: BLE001 - no app yet (built outside one): on_mount decides
            pass
        # the store reads the history while Textual mounts the screen (api.submit: the store's
        # own thread; the load worker collects it)
        self._history = api.submit(api.org_history, self.org_uid) if preloaded is None else None
        self._preloaded = preloaded

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Static(tr("Загрузка…", "Loading…"), id="school-name")
        yield Static("", id="school-ident")
        yield Static("", id="school-targets")
        yield Static("", id="school-reasons")
        yield Tabs(
            Tab(tr("1 История", "1 History"), id="history"),
            Tab(tr("2 Сообщения %", "2 Messaging %"), id="messaging"),
            Tab(tr("3 Пользователи", "3 Users"), id="users"),
            Tab(tr("4 Классы", "4 Classes"), id="classes"),
            id="school-tabs",
        )
        with Container(id="school-body"):
            yield FrameTable(columns=_history_columns(), key_column="week_key",
                             show_marks=False, id="school-history")
            # the charts are mounted after the first paint of the data (see _mount_charts)
            yield Container(id="school-charts")
        yield Footer(compact=self.app.size.width < 110)  # 80 columns: every key fits

    def on_mount(self) -> None:
        if self._preloaded is not None:
            data, self._preloaded = self._preloaded, None
            self._show(data)  # before the first paint: one paint, with the data
            return
        self.load()
        self._apply_layout()
        # a spinner only if the store is slow: a quick load would just flash it
        self.set_timer(0.2, self._still_loading)

    def refill(self, org_uid: int, week_id: Any, data: SchoolData) -> None:
        """Show another school on this (kept, suspended) screen before it is pushed again:
        as a new screen would open — the history view, the week the user came from."""
        self.org_uid = int(org_uid)
        self.week_id = week_id
        self.week_shown = None
        self._marking = False
        if self.view != "history":
            self.view = "history"
            self.query_one("#school-tabs", Tabs).active = "history"
        table = self.query_one("#school-history", FrameTable)
        table.clear_sort()
        self._show(data)
        if not self.wide:
            table.focus()

    def _still_loading(self) -> None:
        if self.data is None and self.is_attached:
            self.query_one("#school-body").loading = True

    def on_resize(self) -> None:
        self._apply_layout()
        if self.data is not None and self.week_shown is not None:
            self._show_week(self.week_shown)  # the target lines are fitted to the width

    @property
    def wide(self) -> bool:
        return self.size.width >= WIDE_MIN_WIDTH and self.size.height >= WIDE_MIN_HEIGHT

    def _apply_layout(self) -> None:
        wide = self.wide
        self.set_class(wide, "-wide")
        view = self.view
        table = self.query_one("#school-history", FrameTable)
        table.display = wide or view == "history"
        self.query_one("#school-charts").display = wide or view != "history"
        for chart in self.query(HistoryChart):
            chart.display = wide or chart.id == f"chart-{view}"
        # wide: the table as tall as its weeks (up to 45% of the screen), the charts below
        rows = table.row_count
        table.styles.height = (rows + 2) if wide and rows else "1fr"
        if not wide and view == "history" and self.focused is None:
            table.focus()

    # ------------------------------------------------------------------ data

    @work(thread=True, exclusive=True, group="school-load")
    def load(self) -> None:
        try:
            history = self._history.result() if self._history is not None else None
            data = load_school(self.api, self.org_uid, self.week_id, history)
        except Exception as exc:  # noqa: BLE001 - shown to the user, never a crash
            self.app.call_from_thread(self._failed, exc)
            return
        self.app.call_from_thread(self._show, data)

    def _failed(self, exc: Exception) -> None:
        if not self.is_attached:
            return
        self.query_one("#school-body").loading = False
        self.query_one("#school-name", Static).update(tr("Не удалось открыть школу",
                                                         "Could not open the school"))
        self.notify(str(exc) or type(exc).__name__, severity="error", timeout=8)

    def _show(self, data: SchoolData) -> None:
        if not self.is_attached:
            return
        self.data = data
        self._charts_filled = False
        self.query_one("#school-body").loading = False
        self._show_identity()
        table = self.query_one("#school-history", FrameTable)
        table.set_frame(data.history.iloc[::-1])  # newest first; the charts run oldest first
        if data.selected is not None:
            table.move_cursor_to_key(data.selected)
        self._show_week(data.selected)
        self._apply_layout()
        # identity, targets, reasons and the history first; the plotext charts (the slow
        # part of the screen) once that is on screen
        self.call_after_refresh(self._mount_charts)

    @property
    def charts_ready(self) -> bool:
        """True once the charts hold the school's data (tests wait for it)."""
        return self._charts_filled

    def _mount_charts(self) -> None:
        data = self.data
        if data is None or not self.is_attached:
            return
        if self._charts_mounted:  # a kept screen refilled: new data into the same charts
            self._fill_charts(list(self.query(HistoryChart)), data)
            self._charts_filled = True
            return
        self._charts_mounted = True
        charts = [
            HistoryChart(tr("Пишущие учителя", "Teachers writing"), percent=True,
                         id="chart-messaging"),
            HistoryChart(tr("Пользователи", "Users"), id="chart-users"),
            HistoryChart(tr("Классы", "Classes"), id="chart-classes"),
        ]
        self._fill_charts(charts, data)
        self._charts_filled = True
        wide = self.wide
        for chart in charts:  # hidden ones are not drawn (plotext runs on render only)
            chart.display = wide or chart.id == f"chart-{self.view}"
        self.query_one("#school-charts").mount_all(charts)

    @staticmethod
    def _fill_charts(charts: list[Any], data: SchoolData) -> None:
        if len(charts) != 3:
            return
        threshold = tr("порог", "threshold")
        charts[0].set_data(data.labels, data.messaging, target=data.messaging_bar)
        charts[1].set_data(data.labels, data.users, target=data.users_bar,
                           target_label=threshold)
        charts[2].set_data(data.labels, data.classes, target=data.classes_bar,
                           target_label=threshold)

    def _show_identity(self) -> None:
        data = self.data
        if data is None:
            return
        mark = Content.from_markup(" [$text-accent]●[/] ") if data.in_list else Content(" ")
        # texts from data never reach the terminal raw (an ESC]0;…BEL in a name retitled it)
        self.query_one("#school-name", Static).update(
            Content.assemble(mark, clean_text(str(data.name))))
        bits: list[str | tuple[str, str]] = []
        if data.inn:
            bits.append(tr("ИНН {i}", "ИНН {i}", i=clean_text(str(data.inn))))
        if data.municipality:
            bits.append(clean_text(str(data.municipality)))
        if data.region:
            bits.append(clean_text(str(data.region)))
        if data.in_list:
            bits.append((tr("в списке «{n}»", "in list “{n}”", n=shortlist_title(data.list_name)),
                         "$text-accent"))
        parts: list[Any] = []
        for i, bit in enumerate(bits):
            if i:
                parts.append(" · ")
            parts.append(bit)
        self.query_one("#school-ident", Static).update(Content.assemble(*parts))

    def _show_week(self, key: Any) -> None:
        """The targets and reasons of one week (the one under the history table's cursor)."""
        data = self.data
        if data is None or key is None:
            return
        self.week_shown = key
        row = data.row(key)
        parts: list[Any] = []
        week = _period(row.get("week_start"), row.get("week_end"))
        missing = _flag(row.get("missing"))
        head = [(tr("Неделя {w}", "Week {w}", w=week), "bold")]
        if missing:
            head.append((tr(" — нет в файле недели", " — absent from the week's file"),
                         "$text-warning"))
        else:
            status = row.get("status")
            head.append((" · " + tr("статус: ", "status: "), ""))
            head.append((fmt_status(status), "$text-success" if status == "active"
                         else "$text-error" if status == "inactive" else "$text-muted"))
            rule = row.get("active_by_rule")
            if not _missing(rule) and status in ("active", "inactive") \
                    and bool(rule) != (status == "active"):
                head.append(((" · " + tr("по правилу: ", "by the rule: ")
                              + (tr("активна", "active") if bool(rule)
                                 else tr("не активна", "inactive"))), "$text-warning"))
        parts.append(Content.assemble(*head))
        lines = data.targets.get(key, [])
        if lines:
            from rich.cells import cell_len

            longest = max(cell_len(t.title) for t in lines)
            room = max(12, (self.size.width or 80) - 2 - 2 - 1 - 5 - 2 - 13 - 16)
            for line in lines:
                parts.append(self._target_line(line, min(longest, room)))
        self.query_one("#school-targets", Static).update(Content("\n").join(parts))
        reasons = data.reasons.get(key, [])
        lines = data.targets.get(key, [])
        if reasons:
            text = Content.assemble((tr("Причины: ", "Reasons: "), "bold $text-error"),
                                    "; ".join(reasons))
        elif not missing and lines and not any(t.fails for t in lines):
            text = Content.assemble((tr("Все цели выполнены", "All targets met"),
                                     "$text-success"))
        else:
            text = Content("")
        reasons_widget = self.query_one("#school-reasons", Static)
        reasons_widget.update(text)
        reasons_widget.display = bool(text.plain)

    def _target_line(self, line: TargetLine, title_width: int) -> Content:
        """``✗ Title…   4%  нужно ≥ 100%  3 нед. подряд`` in columns that line up."""
        from rich.cells import cell_len, set_cell_size

        if line.value is None:
            mark, style = "·", "$text-muted"
        elif line.fails:
            mark, style = "✗", "$text-error"
        else:
            mark, style = "✓", "$text-success"
        if line.kind == "rule":
            value = "—" if line.value is None else (tr("да", "yes") if line.value >= 0.5
                                                    else tr("нет", "no"))
            bar = ""
        else:
            value = fmt_share(line.value)
            bar = tr("нужно ≥ {b}", "needs ≥ {b}", b=fmt_share(line.bar))
        title = line.title
        if cell_len(title) > title_width:  # a shorter title of the same target, if there is one
            from sferum_tui.tui.widgets import SHORT_TITLES

            if line.key in SHORT_TITLES:
                title = tr(*SHORT_TITLES[line.key])
        if cell_len(title) > title_width:
            title = set_cell_size(title, max(1, title_width - 1)) + "…"
        title = title + " " * (title_width - cell_len(title))
        pieces: list[Any] = [
            (mark + " ", style),
            (title, "" if line.fails else "$foreground-muted"),
            " ", (f"{value:>5}", style), "  ", f"{bar:<13}",
        ]
        if line.weeks_below:
            pieces.append((" " + tr("{n} нед. подряд", "{n} wk in a row", n=line.weeks_below),
                           "$text-warning"))
        return Content.assemble(*pieces)

    # ------------------------------------------------------------------ events and actions

    def on_frame_table_row_highlighted(self, message: FrameTable.RowHighlighted) -> None:
        message.stop()
        if message.key is not None and message.key != self.week_shown:
            self._show_week(message.key)

    def on_frame_table_row_selected(self, message: FrameTable.RowSelected) -> None:
        message.stop()

    def on_tabs_tab_activated(self, message: Tabs.TabActivated) -> None:
        message.stop()
        tab_id = message.tab.id if message.tab is not None else None
        if tab_id in VIEWS and tab_id != self.view:
            self.view = tab_id
            self._apply_layout()

    def action_back(self) -> None:
        self.dismiss(None)

    def action_show_view(self, view: str) -> None:
        if view not in VIEWS:
            return
        self.view = view
        self.query_one("#school-tabs", Tabs).active = view
        self._apply_layout()

    def action_next_view(self) -> None:
        self.action_show_view(VIEWS[(VIEWS.index(self.view) + 1) % len(VIEWS)])

    def action_step_school(self, step: int) -> None:
        """``n``/``p``: the next or previous school of the main table (its order and filters),
        without going back; the main table's cursor follows, so Esc lands on this school."""
        main = getattr(self.app, "main_screen", None)
        key = main.neighbour_school(self.org_uid, step) if main is not None else None
        if key is None:
            self.app.bell()
            if main is not None and main.table.row_of(self.org_uid) is None:
                text = tr("Этой школы нет в таблице (фильтры): соседей нет.",
                          "This school is not in the table (filters): no neighbours.")
            elif step > 0:
                text = tr("Это последняя школа в таблице.", "This is the last school in the table.")
            else:
                text = tr("Это первая школа в таблице.", "This is the first school in the table.")
            self.notify(text, timeout=2, markup=False)
            return
        self._step_to(int(key), getattr(main.state, "week_id", self.week_id), self.view)

    @work(thread=True, exclusive=True, group="school-step", exit_on_error=False)
    def _step_to(self, org_uid: int, week_id: Any, view: str) -> None:
        try:
            data = load_school(self.api, org_uid, week_id)
        except Exception as exc:  # noqa: BLE001 - shown to the user, never a crash
            self.app.call_from_thread(self._failed, exc)
            return
        self.app.call_from_thread(self._stepped, org_uid, week_id, data, view)

    def _stepped(self, org_uid: int, week_id: Any, data: SchoolData, view: str) -> None:
        if not self.is_attached:
            return
        self.refill(org_uid, week_id, data)
        if view != "history":
            self.action_show_view(view)

    def action_toggle_mark(self) -> None:
        if self.data is None or self._marking:
            return
        if self.api.read_only:
            self.notify(self.api.read_only_message(), severity="warning", markup=False, timeout=5)
            return
        self._marking = True
        self.toggle_mark(self.data.list_name, not self.data.in_list)

    @work(thread=True, exclusive=True, group="school-mark")
    def toggle_mark(self, list_name: str, mark: bool) -> None:
        from sferum_tui.service.store import Shortlists

        try:
            lists = Shortlists(self.api.store)
            if mark:
                self.api.call(lists.add, list_name, [self.org_uid])
            elif self.api.call(lists.exists, list_name):
                self.api.call(lists.remove, list_name, [self.org_uid])
        except Exception as exc:  # noqa: BLE001 - a locked or read-only store: say so
            self.app.call_from_thread(self._mark_failed, exc)
            return
        self.app.call_from_thread(self._marked, list_name, mark)

    def _mark_failed(self, exc: Exception) -> None:
        self._marking = False
        self.notify(str(exc) or type(exc).__name__, severity="error", timeout=8)

    def _marked(self, list_name: str, mark: bool) -> None:
        self._marking = False
        if self.data is not None:
            self.data.in_list = mark
            self.data.list_name = list_name
            if self.is_attached:
                self._show_identity()
        if mark:
            text = tr("Добавлена в список «{n}»", "Added to the list “{n}”",
                      n=shortlist_title(list_name))
        else:
            text = tr("Убрана из списка «{n}»", "Removed from the list “{n}”",
                      n=shortlist_title(list_name))
        self.notify(text, timeout=3)
        self.post_message(self.MarkChanged(self.org_uid, list_name, mark))
