"""The main screen: where the area stands (KPI strip) and which schools lag (the table).

State that must survive everything — the week shown, the filters, the cursor's school, the sort
and the marks — lives in :class:`MainState`, so a drill-down and back, a new week arriving, or a
language switch (which rebuilds the screen) all come back to the same place.

All reading and pandas work runs in ``@work(thread=True, exclusive=True)`` workers through the
API; the result comes back as a :class:`MainScreen.ViewReady` message with a generation number,
and a stale result (an older keystroke's) is dropped.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Input, Static
from textual.worker import get_current_worker

from sferum_tui.i18n import tr
from sferum_tui.service.console import Filters, format_share, shortlist_title
from sferum_tui.service.vocab import threshold
from sferum_tui.tui.bindings_shim import app_keymap, node_bindings
from sferum_tui.tui.help import install_bindings
from sferum_tui.tui.table import Column, FrameTable
from sferum_tui.tui.widgets import (
    STATE_STYLE,
    ChipBar,
    HeaderBar,
    KpiStrip,
    MunicipalityPicker,
    PickerScreen,
    StatusLine,
    ThresholdDialog,
    format_delta_pp,
    format_int,
    state_text,
)

if TYPE_CHECKING:
    from sferum_tui.service.console import ConsoleAPI, View

__all__ = ["MainScreen", "MainState", "school_columns", "push_optional"]


# --------------------------------------------------------------------------- columns

def _share(value: Any) -> str:
    return format_share(float(value))


def _delta(value: Any) -> str:
    return format_delta_pp(float(value)) or "—"


def _sign_style(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return "success" if value > 0.0005 else "error" if value < -0.0005 else "muted"


_AREA_WORDS = [
    (re.compile(r"\s+муниципальн(ый|ого) район(а)?$", re.I), ""),
    (re.compile(r"\s+район$", re.I), ""),
    (re.compile(r"^город(ской округ)?\s+", re.I), "г. "),
    (re.compile(r"городской округ", re.I), "ГО"),
    (re.compile(r"муниципальный округ", re.I), "МО"),
]


def short_area(value: Any) -> str:
    """A municipality as a narrow column shows it: «Агульский район» → «Агульский»,
    «город Махачкала» → «г. Махачкала» (the column is headed «МО»; the full name is on the
    school's screen and in exports)."""
    text = "" if value is None else str(value)
    for pattern, repl in _AREA_WORDS:
        text = pattern.sub(repl, text)
    return text


def school_columns(api: "ConsoleAPI", narrow: bool = False) -> list[Column]:
    """The schools table's columns, labelled in the current language, coloured by theme.

    The lag indicators come right after the name, so an 80-column terminal shows what matters
    without scrolling; counts and the ИНН follow (``←`` ``→`` scroll to them).
    """
    reg_full = float(getattr(api.cfg.thresholds, "registration_full", 1.0))

    def messaging_style(v: Any) -> str | None:
        if v is None:
            return None
        return "error" if v < api.low_threshold - 1e-9 else "success"

    def registration_style(v: Any) -> str | None:
        if v is None:
            return None
        return "warning" if v < reg_full - 1e-9 else "success"

    def weeks_style(v: Any) -> str | None:
        if v is None:
            return None
        return "error" if v >= 4 else "warning" if v >= 1 else "muted"

    return [
        Column("org_name", tr("Организация", "Organisation"), max_width=21 if narrow else 40,
               min_width=12, description=tr("Наименование организации",
                                            "The organisation's name")),
        Column("municipality", tr("МО", "Munic.") if narrow else tr("Муниципалитет", "Municipality"),
               max_width=9 if narrow else 24, formatter=short_area if narrow else None,
               description=tr("Муниципалитет (в узкой таблице «МО», без слова «район»)",
                              "The municipality (“Munic.” when narrow, without “district”)")),
        Column("state", tr("Статус", "Status"), formatter=state_text,
               style_fn=lambda v: STATE_STYLE.get(str(v)) if v is not None else None,
               description=tr("Активна ли по правилу; ▼ — стала неактивной на этой неделе, "
                              "▲ — восстановилась, «нет в файле» — есть только в справочнике",
                              "Active by the rule; ▼ became inactive this week, ▲ recovered, "
                              "“missing” is in the registry only")),
        Column("messaging_share", tr("Пишут", "Msg"), formatter=_share,
               style_fn=messaging_style, align="right",
               description=tr("Доля учителей, написавших более 3 сообщений за неделю",
                              "Share of teachers who wrote more than 3 messages in the week")),
        Column("registration_share", tr("Рег.", "Reg."), formatter=_share,
               style_fn=registration_style, align="right",
               description=tr("Доля зарегистрированных сотрудников",
                              "Share of the staff registered")),
        Column("d_messaging_share", tr("Δ пишут", "Δ msg"), formatter=_delta,
               style_fn=_sign_style, align="right",
               description=tr("Изменение доли пишущих учителей с прошлой недели, п.\u00a0п.",
                              "Change of the share of teachers writing since last week, "
                              "percentage points")),
        Column("weeks_below", tr("Нед. ниже", "Wks below"), style_fn=weeks_style,
               description=tr("Сколько недель подряд (по эту) школа ниже хотя бы одной цели",
                              "Weeks in a row, up to this one, below at least one target")),
        Column("users_total", tr("Польз.", "Users"), formatter=format_int,
               description=tr("Пользователей всего: сотрудники, ученики, родители",
                              "Users in all: staff, students, parents")),
        Column("classes", tr("Классы", "Classes"), formatter=format_int,
               description=tr("Классов (чатов классов) в «Сферуме»", "Classes in Sferum")),
        Column("teachers", tr("Учит.", "Teach."), formatter=format_int,
               description=tr("Учителей в «Сферуме»", "Teachers in Sferum")),
        Column("teachers_active", tr("Уч.>3", "T.>3"), formatter=format_int,
               description=tr("Учителей, написавших более 3 сообщений",
                              "Teachers who wrote more than 3 messages")),
        Column("staff_total", tr("Сотр.", "Staff"), formatter=format_int,
               description=tr("Численность сотрудников", "Staff headcount")),
        Column("org_id", "ИНН", width=10, description=tr("ИНН организации",
                                                         "The organisation's ИНН (tax id)")),
        Column("reasons_text", tr("Почему отстаёт", "Why it lags"), max_width=90,
               description=tr("Какие цели не достигнуты и насколько",
                              "Which targets are missed, and by how much")),
    ]


NARROW = 110
"""Below this many columns the table and header use their compact forms."""


# --------------------------------------------------------------------------- state


@dataclass
class MainState:
    """What the main screen shows; kept across drill-downs, reloads and a language switch."""

    week_id: int | None = None
    filters: Filters = field(default_factory=Filters)
    cursor_key: Any = None
    sort: tuple[str, bool] | None = None
    follow_latest: bool = True
    reasons: bool = False
    """The «Почему отстаёт» panel under the table (``z``)."""


def push_optional(app, module: str, cls: str, *args, callback=None) -> bool:
    """Push a screen written elsewhere, or say plainly that it is not there yet."""
    import importlib

    try:
        screen_cls = getattr(importlib.import_module(module), cls)
    except (ImportError, AttributeError) as exc:
        app.notify(tr("Этот экран пока недоступен ({e}).", "This screen is not available yet ({e}).",
                      e=exc), severity="warning", markup=False)
        return False
    app.push_screen(screen_cls(*args), callback=callback)
    return True


# --------------------------------------------------------------------------- the screen


class SearchInput(Input):
    """``/``: incremental search by name or ИНН; Esc clears it, Enter/↓ go back to the table."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        install_bindings(self, "search")

    def action_close(self, clear: bool) -> None:
        screen = self.screen
        if isinstance(screen, MainScreen):
            screen.close_search(clear=clear)


class MainScreen(Screen):
    """Header, KPI strip, filter chips, the schools table, the footer."""

    AUTO_FOCUS = "#schools"

    DEFAULT_CSS = """
    MainScreen #reasons-panel {
        height: auto;
        max-height: 6;
        padding: 0 1;
        background: $panel;
        color: $foreground;
    }
    """

    class ViewReady(Message):
        def __init__(self, generation: int, view: "View", measure: bool, marks: set) -> None:
            super().__init__()
            self.generation = generation
            self.view = view
            self.measure = measure
            self.marks = marks

    class StoreEmpty(Message):
        pass

    class LoadFailed(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, api: "ConsoleAPI", state: MainState | None = None) -> None:
        super().__init__()
        self.api = api
        self.state = state or MainState()
        self.view: "View | None" = None
        self.marks: set[int] = set()
        self.ready = False
        """True once a view has been shown (until then there is no chrome to draw)."""
        self._generation = 0
        self._pending_sort = self.state.sort
        self._saving_marks = 0
        self._mark_text: str | None = None
        self._mark_timer: Any = None
        try:
            self._narrow = self.app.size.width < NARROW
        except Exception:  # noqa: BLE001 - built outside a running app: compose decides
            self._narrow = False
        """Mark writes of this screen not yet done (a marks re-read must not undo them)."""
        install_bindings(self, "main", narrow=self._narrow)
        self._footer_width: int | None = None

    # -- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield HeaderBar(id="header")
        yield KpiStrip(id="kpis")
        yield ChipBar(id="chipbar")
        yield SearchInput(placeholder=tr("Поиск по наименованию или ИНН (Esc — сбросить)",
                                         "Search by name or ИНН (Esc clears)"), id="search",
                          value=self.state.filters.search)
        self._narrow = self.app.size.width < NARROW
        table = FrameTable(columns=self.table_columns(self._narrow), key_column="org_uid",
                           fixed_columns=1, zebra_stripes=True, id="schools")
        table.loading = True
        yield table
        panel = Static("", id="reasons-panel", markup=False)
        panel.display = self.state.reasons
        yield panel
        yield StatusLine(id="status")
        yield Footer(compact=self._narrow)  # at 80 columns every key the footer lists fits

    def table_columns(self, narrow: bool) -> list[Column]:
        """The table's columns as chosen (``h``, or ``[ui] columns``), for the width."""
        from sferum_tui.tui.columns import order_columns

        return order_columns(school_columns(self.api, narrow),
                             getattr(self.app, "table_columns", ()))

    def on_mount(self) -> None:
        note = getattr(self.app, "note_view_state", None)
        if note is not None:
            note(self.state)
        search = self.query_one("#search", SearchInput)
        search.display = bool(self.state.filters.search)
        self.reload(measure=True, refresh=self.api._snapshots is None)

    @property
    def table(self) -> FrameTable:
        return self.query_one("#schools", FrameTable)

    # -- loading --------------------------------------------------------------------------

    def reload(self, *, measure: bool = False, refresh: bool = False) -> None:
        """Recompute the view (in a worker) for the current week and filters."""
        self._generation += 1
        self._load_view(self._generation, self.state.week_id, self.state.filters, measure, refresh)

    @work(thread=True, exclusive=True, group="main-view", exit_on_error=False)
    def _load_view(self, generation: int, week_id: int | None, filters: Filters, measure: bool,
                   refresh: bool) -> None:
        api = self.api
        worker = get_current_worker()
        try:
            snaps = api.snapshots(refresh=refresh)
            if not snaps:
                self.post_message(self.StoreEmpty())
                return
            ids = [s.id for s in snaps]
            if week_id not in ids:
                week_id = ids[-1]
            view = api.view(week_id, filters)
            marks = api.marked()
        except Exception as exc:  # noqa: BLE001 - shown to the user, the console goes on
            self.post_message(self.LoadFailed(getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"))
            return
        if worker.is_cancelled:
            return
        self.post_message(self.ViewReady(generation, view, measure, marks))

    @work(thread=True, exclusive=True, group="main-prefetch", exit_on_error=False)
    def _prefetch(self, week_ids: list[int]) -> None:
        """Warm the cache for the neighbouring weeks, so ``[`` and ``]`` are quick."""
        worker = get_current_worker()
        for week_id in week_ids:
            if worker.is_cancelled:
                return
            try:
                week = self.api.week(week_id)
                if week_id == week_ids[0]:
                    self.api.folded_names(week)  # the search cache of the week on screen
            except Exception:  # noqa: BLE001 - a failed warm-up shows when the week is opened
                return

    def on_main_screen_view_ready(self, message: ViewReady) -> None:
        if message.generation != self._generation:
            return
        view = message.view
        week_changed = self.view is None or self.view.week.info.id != view.week.info.id
        self.view = view
        self.marks = set(message.marks)
        self.state.week_id = view.week.info.id
        self.state.follow_latest = view.week.index == view.week.count - 1
        table = self.table
        keep = self.state.cursor_key
        table.set_marked(self.marks)
        table.set_frame(view.week.frame, rows=view.rows, keep_cursor_key=True,
                        measure=message.measure or week_changed)
        if self._pending_sort is not None:
            column, reverse = self._pending_sort
            self._pending_sort = None
            try:
                table.sort_by(column, reverse)
            except KeyError:
                pass
        if keep is not None and table.cursor_key != keep:
            table.move_cursor_to_key(keep)
        table.loading = False
        if self.focused is None:  # AUTO_FOCUS found the table still loading: focus it now
            table.focus()
        self._show_reasons()
        self._show_chrome()
        if not self.ready:  # the first table is up
            self.set_timer(1.0, _settle_garbage)
        self.ready = True
        if week_changed:
            week_id = view.week.info.id
            neighbours = [i for i in (self.api.neighbour(week_id, -1),
                                      self.api.neighbour(week_id, 1)) if i is not None]
            # after the new table is painted: the warm-up must not compete with the paint
            self.set_timer(0.3, lambda: self._prefetch([week_id, *neighbours]))

    def _show_chrome(self) -> None:
        view = self.view
        if view is None:
            return
        narrow = self.size.width < NARROW
        self.query_one(HeaderBar).show(self.api, view, compact=narrow)
        self.query_one(KpiStrip).show(view.kpis)
        self.query_one(ChipBar).show(view, self._key_hints(), compact=narrow)

    def _key_hints(self) -> dict[str, str]:
        hints: dict[str, str] = {}
        for binding in node_bindings(self):
            if binding.id and binding.id not in hints:
                hints[binding.id] = binding.key_display or self.app.get_key_display(binding)
        for binding_id, keys in app_keymap(self.app).items():
            first = keys.split(",")[0]
            hints[binding_id] = self.app.get_key_display(Binding(first, ""))
        return hints

    def on_resize(self) -> None:
        narrow = self.size.width < NARROW
        if narrow != self._narrow:
            self._narrow = narrow
            self.table.set_columns(self.table_columns(narrow))
            self.query_one(Footer).compact = narrow
        if self.size.width != self._footer_width:  # the footer's keys for the width
            self._footer_width = self.size.width
            install_bindings(self, "main", narrow=narrow, width=self._footer_width)
            self.refresh_bindings()
        self._show_chrome()

    # -- marks made elsewhere -------------------------------------------------------------

    def on_screen_resume(self) -> None:
        """Back from a school, the shortlist or a dialog: marks may have changed there (space on
        the school screen, a removal or another list chosen on the list screen)."""
        if self.ready:
            self.refresh_marks()

    @work(thread=True, exclusive=True, group="main-marks", exit_on_error=False)
    def refresh_marks(self) -> None:
        try:
            marks = self.api.marked()  # after every write queued before it (one store thread)
        except Exception:  # noqa: BLE001 - the marks shown stay; the next look may succeed
            return
        self.app.call_from_thread(self._apply_marks, marks)

    def _apply_marks(self, marks: set[int]) -> None:
        if self._saving_marks or not self.is_attached:
            return  # a mark of this screen is being written: its own state is the newer
        if marks != self.marks:
            self.marks = set(marks)
            self.table.set_marked(self.marks)

    def on_main_screen_store_empty(self, message: StoreEmpty) -> None:
        self.app.show_welcome()

    def on_main_screen_load_failed(self, message: LoadFailed) -> None:
        self.table.loading = False
        self.notify(message.text, title=tr("Не удалось показать неделю", "Cannot show the week"),
                    severity="error", markup=False, timeout=10)

    def store_changed(self, arrived: list, replaced: list) -> None:
        """Called by the app when the store got a new or replaced snapshot."""
        if arrived and self.state.follow_latest:
            self.state.week_id = None  # → the latest
        self.reload(measure=True)

    # -- table events ---------------------------------------------------------------------

    @on(FrameTable.RowHighlighted, "#schools")
    def _highlighted(self, event: FrameTable.RowHighlighted) -> None:
        if event.key is not None:
            self.state.cursor_key = event.key
        self._show_reasons()

    @on(FrameTable.RowSelected, "#schools")
    def _selected(self, event: FrameTable.RowSelected) -> None:
        self.action_open_school()

    @on(FrameTable.HeaderClicked, "#schools")
    def _header_clicked(self, event: FrameTable.HeaderClicked) -> None:
        self.call_after_refresh(self._sorted)

    def _remember_sort(self) -> None:
        table = self.table
        self.state.sort = (table.sort_column, table.sort_reverse) if table.sort_column else None

    # -- search ---------------------------------------------------------------------------

    def action_search(self) -> None:
        search = self.query_one("#search", SearchInput)
        search.display = True
        search.focus()

    def close_search(self, *, clear: bool) -> None:
        search = self.query_one("#search", SearchInput)
        if clear:
            search.value = ""
        if not search.value:
            search.display = False
        self.table.focus()

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        if event.value != self.state.filters.search:
            self.state.filters = replace(self.state.filters, search=event.value)
            if not self._apply_now():
                self.reload()

    def _apply_now(self) -> bool:
        """Apply a search at once, without a worker, when it needs only a scan of the week in
        memory (``ConsoleAPI.quick_view``): the keystroke then reaches the screen in the same
        update as the input's own relayout, not one frame after it.  False otherwise (the
        caller starts the worker)."""
        week_id = self.state.week_id
        if week_id is None or self.view is None:
            return False
        try:
            view = self.api.quick_view(week_id, self.state.filters)
        except Exception:  # noqa: BLE001 - the worker path reports errors properly
            return False
        if view is None:
            return False
        self._generation += 1
        self.on_main_screen_view_ready(self.ViewReady(self._generation, view, False, set(self.marks)))
        return True

    @on(Input.Submitted, "#search")
    def _search_submitted(self) -> None:
        self.close_search(clear=False)

    # -- filters --------------------------------------------------------------------------

    def action_toggle_filter(self, name: str) -> None:
        self.state.filters = self.state.filters.toggled(name)
        self.reload()

    def action_clear_filters(self) -> None:
        if not self.state.filters.any:
            return
        self.state.filters = self.state.filters.cleared()
        search = self.query_one("#search", SearchInput)
        with search.prevent(Input.Changed):
            search.value = ""
        search.display = False
        self.reload()

    def set_municipality(self, name: str | None, region: str | None = None) -> None:
        """Narrow to one municipality; ``region`` too when the name is in several regions."""
        self.state.filters = replace(self.state.filters, municipality=(name,) if name else (),
                                     region=(region or None) if name else None)
        self.reload()

    def action_pick_municipality(self) -> None:
        if self.view is None:
            return

        def chosen(value: Any) -> None:
            if value is None:
                return
            if isinstance(value, tuple):
                self.set_municipality(*value)
            else:
                self.set_municipality(None if value == MunicipalityPicker.ALL else value)

        week, f = self.view.week, self.state.filters
        current = (f.one_municipality, f.region) if week.areas and f.region else f.one_municipality
        self.app.push_screen(MunicipalityPicker(week.municipalities, current, week.areas), chosen)

    def action_set_threshold(self) -> None:
        default = float(self.api.cfg.thresholds.low_messaging)

        def chosen(value: float | None) -> None:
            if value is None:
                return
            self.api.set_threshold(value)
            was_on = self.state.filters.low_messaging
            self.state.filters = replace(self.state.filters, low_messaging=True)
            # the filter is switched on (the point of a new threshold is to see who is below
            # it), and the notice says so when it was off
            p = threshold(value)
            if was_on:
                text = tr("Порог «мало пишут»: {p}", "Low-messaging threshold: {p}", p=p)
            else:
                text = tr("Порог {p}; фильтр «мало пишут» включён ({k} — выключить)",
                          "Threshold {p}; the “low messaging” filter is on ({k} turns it off)",
                          p=p, k=self._key_hints().get("filter_low", "w"))
            self.notify(text, markup=False)
            self.reload()

        self.app.push_screen(ThresholdDialog(self.api.low_threshold, default), chosen)

    def action_toggle_scope(self) -> None:
        if not self.api.has_scope():
            self.notify(tr("Территория не задана: укажите [scope] в настройках "
                           "(sferum-tui config path).",
                           "No area is configured: set [scope] in the config "
                           "(sferum-tui config path)."), severity="warning", markup=False)
            return
        self.api.set_scope(not self.api.scope)
        self.notify(tr("Показано: {s}", "Showing: {s}", s=self.api.scope_label()), markup=False)
        self.reload(measure=True)

    # -- sorting --------------------------------------------------------------------------

    def action_sort(self) -> None:
        table = self.table
        options = [(c.key, c.title + ("  ▼" if table.sort_column == c.key and table.sort_reverse
                                      else "  ▲" if table.sort_column == c.key else ""))
                   for c in table.columns]
        options.insert(0, (None, tr("— как в файле —", "— file order —")))

        def chosen(key: Any) -> None:
            if key is None:
                return
            if key == "\x00none":
                table.clear_sort()
            elif key is not None:
                table.sort_by(key)
            self._sorted()

        options[0] = ("\x00none", options[0][1])
        self.app.push_screen(PickerScreen(tr("Сортировать по", "Sort by"), options,
                                          current=table.sort_column, with_filter=False,
                                          hint=tr("Повторный выбор — обратный порядок",
                                                  "Choose again to reverse")), chosen)

    def action_sort_reverse(self) -> None:
        table = self.table
        if table.sort_column:
            table.sort_by(table.sort_column, not table.sort_reverse)
            self._sorted()
        else:
            self.notify(tr("Таблица не отсортирована: нечего обращать ({k} — сортировка).",
                           "The table is not sorted: nothing to reverse ({k} sorts it).",
                           k=self._key_hints().get("sort", "s")), timeout=3, markup=False)

    def _sorted(self) -> None:
        """After a sort chosen by the user: remember it, and show the top (as htop and k9s do):
        the first rows are what the sort was for."""
        self._remember_sort()
        self.table.move_cursor(0)

    # -- weeks ----------------------------------------------------------------------------

    def action_week(self, step: int) -> None:
        current = self.state.week_id
        target = self.api.neighbour(current, step)
        if target is None:
            self.app.bell()
            self.notify(tr("Это последняя неделя.", "This is the latest week.") if step > 0 else
                        tr("Это первая неделя.", "This is the first week."), timeout=2)
            return
        self.state.week_id = target
        self.reload(measure=True)

    def action_pick_week(self) -> None:
        snaps = self.api.snapshots()
        def name(text: str, width: int = 26) -> str:
            return text if len(text) <= width else text[: width - 1] + "…"

        options = [(s.id, f"{s.period_label}  {format_int(s.rows):>6} {tr('ОО', 'orgs')}  "
                    f"{name(s.source_name)}") for s in reversed(snaps)]

        def chosen(value: Any) -> None:
            if value is None:
                return
            self.state.week_id = value
            self.reload(measure=True)

        self.app.push_screen(PickerScreen(tr("Неделя", "Week"), options,
                                          current=self.state.week_id), chosen)

    # -- other views ----------------------------------------------------------------------

    def action_open_school(self) -> None:
        from sferum_tui.tui.school import open_school

        open_school(self.app, self.api, self.table.cursor_key, self.state.week_id)

    def action_rollup(self) -> None:
        if self.state.week_id is None:
            return
        from sferum_tui.tui.rollup import RollupScreen

        def chosen(area: "str | tuple[str, str | None] | None") -> None:
            if isinstance(area, tuple):
                self.set_municipality(*area)
            elif area:
                self.set_municipality(area)

        self.app.push_screen(RollupScreen(self.api, self.state.week_id), chosen)

    def action_changes(self) -> None:
        if self.state.week_id is None:
            return
        from sferum_tui.tui.changes import ChangesScreen

        self.app.push_screen(ChangesScreen(self.api, self.state.week_id))

    # -- marks, lists, export -------------------------------------------------------------

    def action_mark(self) -> None:
        key = self.table.cursor_key
        if key is None:
            return
        if self.api.read_only:
            self.notify(self.api.read_only_message(), severity="warning", markup=False, timeout=5)
            return
        state = self.table.toggle_mark(key)
        if state:
            self.marks.add(key)
        else:
            self.marks.discard(key)
        self._saving_marks += 1
        self._save_mark(int(key), state, self._key_hints().get("shortlist", "l"))
        self.table.action_cursor_down()

    @work(thread=True, group="marks", exit_on_error=False)
    def _save_mark(self, uid: int, state: bool, hint: str = "l") -> None:
        name = self.api.shortlist_name
        try:
            added, removed = self.api.toggle_marks([uid])
            count = len(self.api.marked())
        except Exception as exc:  # noqa: BLE001
            self.app.call_from_thread(self._mark_saved)
            self.app.call_from_thread(
                self.notify, getattr(exc, "message", str(exc)),
                title=tr("Отметка не сохранена", "The mark was not saved"), severity="error",
                markup=False)
            return
        self.app.call_from_thread(self._mark_saved)
        text = tr("В списке «{n}»: {c} ({k} — открыть список)",
                  "In the list “{n}”: {c} ({k} opens it)", n=shortlist_title(name), c=count, k=hint)
        self.app.call_from_thread(self._say_marks, text)

    def _mark_saved(self) -> None:
        self._saving_marks = max(0, self._saving_marks - 1)

    def _say_marks(self, text: str) -> None:
        """The list's count after a mark, on the status line: one line updated in place, not
        a notice per mark stacking over the table.  It goes a few seconds after the last mark
        (unless a fetch has taken the line meanwhile)."""
        if not self.is_attached:
            return
        status = self.query_one(StatusLine)
        status.say(text)
        self._mark_text = text
        if self._mark_timer is not None:
            self._mark_timer.stop()

        def clear() -> None:
            self._mark_timer = None
            if self._mark_text == text and not getattr(self.app, "fetching", False):
                status.say(None)
            self._mark_text = None

        self._mark_timer = self.set_timer(3.0, clear)

    def action_shortlist(self) -> None:
        # marks changed there (removals, another list chosen) show on return: on_screen_resume
        push_optional(self.app, "sferum_tui.tui.shortlist", "ShortlistScreen", self.api,
                      self.api.shortlist_name,
                      self.view.week.info.id if self.view is not None else None)

    def action_export(self) -> None:
        if self.view is None:
            return
        if self.api.read_only:   # a served console writes no file on the server
            self.notify(self.api.read_only_message(), severity="warning", markup=False, timeout=5)
            return
        frame = self.table.view_frame()
        push_optional(self.app, "sferum_tui.tui.export_dialog", "ExportDialog", self.api, frame,
                      self.view.week.info, self.view.filters.describe(self.api.cfg))

    def action_copy(self) -> None:
        """Copy the marked schools (or the cursor's) as text: OSC 52 works over SSH."""
        if self.view is None:
            return
        frame = self.view.week.frame
        keys = [k for k in self.table.keys_in_view() if k in self.marks] or (
            [self.table.cursor_key] if self.table.cursor_key is not None else [])
        if not keys:
            return
        from sferum_tui.service.lists import letter_text
        from sferum_tui.service.vocab import orgs

        rows = frame.set_index("org_uid").loc[[k for k in keys if k in set(frame["org_uid"])]]
        # the same text as the shortlist's «c»: a numbered list ready for a letter
        self.app.copy_to_clipboard(letter_text(rows.reset_index()))
        self.notify(tr("Скопировано в буфер обмена: {n} (вставьте в письмо)",
                       "Copied to the clipboard: {n} (paste it into a letter)", n=orgs(len(rows))),
                    timeout=3, markup=False)

    def action_fetch(self) -> None:
        self.app.start_fetch()

    # -- columns, the reasons panel, import, the next school ------------------------------

    def action_columns(self) -> None:
        """``h``: the column chooser; the choice is applied and saved in the UI state file."""
        from sferum_tui.tui.columns import ColumnChooser

        shown = [c.key for c in self.table.columns]
        every = school_columns(self.api, self._narrow)
        order = shown + [c.key for c in every if c.key not in shown]
        titles = {c.key: c.title for c in school_columns(self.api, False)}

        def chosen(keys: "tuple[str, ...] | None") -> None:
            if keys is None:
                return
            saver = getattr(self.app, "set_table_columns", None)
            if saver is not None:
                saver(tuple(keys))
            from sferum_tui.tui.columns import order_columns

            if self.table.sort_column is not None and self.table.sort_column not in keys:
                self.table.clear_sort()  # the sorted column was hidden: back to file order
                self.state.sort = None
            self.table.set_columns(order_columns(school_columns(self.api, self._narrow), keys))
            self._show_chrome()

        self.app.push_screen(ColumnChooser([(k, titles[k]) for k in order], set(shown)), chosen)

    def action_toggle_reasons(self) -> None:
        """``z``: «Почему отстаёт» for the cursor's school, whole and wrapped, under the table."""
        self.state.reasons = not self.state.reasons
        self.query_one("#reasons-panel", Static).display = self.state.reasons
        self._show_reasons()

    def _show_reasons(self) -> None:
        if not self.state.reasons or self.view is None:
            return
        panel = self.query_one("#reasons-panel", Static)
        key = self.table.cursor_key
        text = ""
        if key is not None:
            frame = self.view.week.frame
            hits = frame.index[frame["org_uid"] == key]
            if len(hits) and "reasons_text" in frame.columns:
                row = frame.loc[hits[0]]
                import pandas as pd

                reasons = row["reasons_text"]
                reasons = "" if pd.isna(reasons) else str(reasons)
                text = f"{row['org_name']}: " + (reasons or tr("не отстаёт", "not lagging"))
        panel.update(text or tr("Нет строки под курсором.", "No row at the cursor."))

    def action_import_file(self) -> None:
        """``ctrl+o``: pick a weekly file, check what the reader understood, import it."""
        from sferum_tui.tui.import_screen import ImportScreen

        if self.api.read_only:
            self.notify(self.api.read_only_message(), severity="warning", markup=False, timeout=5)
            return
        if self.api.store.read_only:
            self.notify(tr("Хранилище только для чтения: импорт невозможен ({p}).",
                           "The store is read-only: importing is not possible ({p}).",
                           p=self.api.store_label), severity="warning", markup=False, timeout=8)
            return
        self.app.push_screen(ImportScreen(self.api, getattr(self.app, "ui_state", None)),
                             self._imported)

    def _imported(self, info: Any) -> None:
        if info is None:
            return
        self.state.week_id = info.id
        self.state.follow_latest = False  # show the week imported, even an older one
        self.app.check_store(force=True)  # the watch's baseline and its notices
        self.reload(measure=True, refresh=True)  # also when the file was already held  # the new week in the table, as for any import

    def neighbour_school(self, key: Any, step: int) -> Any:
        """The school ``step`` rows from ``key`` in the table's order and filters (None at an
        end, or when ``key`` is not shown); the cursor follows it."""
        table = self.table
        row = table.row_of(key)
        if row is None:
            return None
        target = row + step
        if not 0 <= target < table.row_count:
            return None
        table.move_cursor(target)
        return table.key_at(target)


def _settle_garbage() -> None:
    """Once the first table is up: collect start-up garbage, then move everything alive (modules,
    classes, the app's widgets) out of the collector's sight (``gc.freeze``), so that a full
    collection later walks only what came after.  Without it a full collection while a new
    week was being drawn took ~60 ms of the ≤300 ms a week may take.  A week's tables hold no
    reference cycles, so weeks dropped from the cache are still freed."""
    import gc

    if gc.get_freeze_count():  # once per process (a language switch makes a new screen)
        return
    gc.collect()
    gc.freeze()

