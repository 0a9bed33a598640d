"""``d``: what changed since the previous week — newly inactive, recovered, the biggest falls
and rises (the core's ``changes``), one tab each; Enter opens a school."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Static, TabbedContent, TabPane
from textual.worker import get_current_worker

from sferum_tui.i18n import tr
from sferum_tui.service.console import format_share
from sferum_tui.service.vocab import signed_int
from sferum_tui.tui.help import install_bindings
from sferum_tui.tui.school import open_school
from sferum_tui.tui.table import Column, FrameTable
from sferum_tui.tui.widgets import STATE_STYLE, format_delta_pp, format_int, state_text

if TYPE_CHECKING:
    import pandas as pd

    from sferum_tui.service.console import ConsoleAPI

__all__ = ["ChangesScreen", "SECTIONS"]

SECTIONS = (
    ("newly_inactive", "Стали неактивными", "Newly inactive"),
    ("recovered", "Восстановились", "Recovered"),
    ("falls", "Упали", "Falls"),
    ("rises", "Выросли", "Rises"),
)
# the tabs' words below 80 columns, so the four tabs fit whole at 60
SHORT_SECTIONS = {
    "newly_inactive": ("▼ Неакт.", "▼ Inact."),
    "recovered": ("▲ Восст.", "▲ Recov."),
}
NARROW_TABS = 80


def section_label(key: str, ru: str, en: str, width: int) -> str:
    return tr(*SHORT_SECTIONS[key]) if width < NARROW_TABS and key in SHORT_SECTIONS \
        else tr(ru, en)


def _sign_style(v: Any) -> str | None:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return "success" if v > 0 else "error" if v < 0 else "muted"


def change_columns(frame: "pd.DataFrame") -> list[Column]:
    candidates = [
        Column("org_name", tr("Организация", "Organisation"), max_width=30, min_width=12),
        Column("state", tr("Статус", "Status"), formatter=state_text,
               style_fn=lambda v: STATE_STYLE.get(str(v)) if v is not None else None),
        Column("d_messaging_share", tr("Δ пишут", "Δ msg"),
               formatter=lambda v: format_delta_pp(float(v)) or "—", style_fn=_sign_style,
               align="right"),
        Column("messaging_share", tr("Пишут", "Msg %"), formatter=lambda v: format_share(float(v)),
               align="right"),
        Column("d_users_total", tr("Δ польз.", "Δ users"), formatter=signed_int,
               style_fn=_sign_style),
        Column("users_total", tr("Польз.", "Users"), formatter=format_int),
        Column("d_classes", tr("Δ классов", "Δ classes"), formatter=signed_int, style_fn=_sign_style),
        Column("classes", tr("Классы", "Classes"), formatter=format_int),
        Column("d_teachers_active", tr("Δ уч.>3", "Δ T.>3"), formatter=signed_int,
               style_fn=_sign_style),
        Column("municipality", tr("Муниципалитет", "Municipality"), max_width=20),
        Column("reasons", tr("Причины", "Reasons"), max_width=60,
               formatter=lambda v: "; ".join(v) if isinstance(v, (list, tuple)) else str(v)),
        Column("org_id", "ИНН", width=10),
    ]
    return [c for c in candidates if c.key in frame.columns]


class ChangesScreen(Screen[None]):
    """Four tabs of the week's changes; each a table of schools."""

    class Loaded(Message):
        def __init__(self, data: dict | None, error: str | None = None) -> None:
            super().__init__()
            self.data = data
            self.error = error

    def __init__(self, api: "ConsoleAPI", week_id: int) -> None:
        super().__init__()
        self.api = api
        self.week_id = week_id
        self.data: dict[str, "pd.DataFrame"] | None = None
        self.has_previous = True
        install_bindings(self, "changes")

    def compose(self) -> ComposeResult:
        snaps = {s.id: s for s in self.api.snapshots()}
        info = snaps.get(self.week_id)
        label = info.period_label if info else ""
        # the title fits 80 columns; how falls and rises are ranked on a line of its own
        yield Static(tr(" [b]Изменения[/] за неделю {w} к предыдущей",
                        " [b]Changes[/] in the week {w} since the previous one", w=label),
                     id="changes-title", classes="screen-title")
        yield Static(tr("Падения и рост — по доле пишущих учителей, затем по пользователям",
                        "Falls and rises: by the share of teachers writing, then by users"),
                     id="changes-note", classes="screen-note", markup=False)
        with TabbedContent(id="changes-tabs"):
            for key, ru, en in SECTIONS:
                with TabPane(section_label(key, ru, en, self.app.size.width), id=f"tab-{key}"):
                    table = FrameTable(id=f"changes-{key}", key_column="org_uid",
                                       zebra_stripes=True, fixed_columns=1, show_marks=False)
                    table.loading = True
                    yield table
        yield Footer(compact=self.app.size.width < 110)  # 80 columns: every key fits

    def on_mount(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="changes", exit_on_error=False)
    def _load(self) -> None:
        worker = get_current_worker()
        try:
            data = self.api.changes(self.week_id)
            held = self.api.week(self.week_id)
            self.has_previous = held.previous is not None
            week = held.frame
            # the state word (newly inactive, recovered …) as the main table shows it
            if "state" in week.columns:
                states = dict(zip(week["org_uid"].tolist(), week["state"].tolist()))
                data = {k: v.assign(state=v["org_uid"].map(states)) if "org_uid" in v.columns
                        else v for k, v in data.items()}
        except Exception as exc:  # noqa: BLE001
            self.post_message(self.Loaded(None, getattr(exc, "message", None) or str(exc)))
            return
        if not worker.is_cancelled:
            self.post_message(self.Loaded(data))

    def on_changes_screen_loaded(self, message: Loaded) -> None:
        for key, _, _ in SECTIONS:
            self.query_one(f"#changes-{key}", FrameTable).loading = False
        if message.data is None:
            self.notify(message.error or "?", severity="error", markup=False)
            return
        self.data = message.data
        tabs = self.query_one(TabbedContent)
        if not self.has_previous:  # one week held: nothing to compare, not four empty tabs
            tabs.display = False
            self.query_one("#changes-note", Static).update(tr(
                "Прошлой недели в хранилище нет — сравнивать не с чем.",
                "No previous week in the store — nothing to compare with."))
            return
        for key, ru, en in SECTIONS:
            frame = message.data.get(key)
            table = self.query_one(f"#changes-{key}", FrameTable)
            if frame is None:
                continue
            frame = frame.reset_index(drop=True)
            table.set_columns(change_columns(frame))
            table.set_frame(frame)
            tab = tabs.get_tab(f"tab-{key}")
            tab.label = f"{section_label(key, ru, en, self.app.size.width)} " \
                        f"({format_int(len(frame))})"
        self._focus_table()

    def _focus_table(self) -> None:
        active = self.query_one(TabbedContent).active
        if active:
            self.query_one(f"#changes-{active.removeprefix('tab-')}", FrameTable).focus()

    @on(TabbedContent.TabActivated)
    def _tab(self) -> None:
        self.call_after_refresh(self._focus_table)

    def action_next_tab(self) -> None:
        tabs = self.query_one(TabbedContent)
        ids = [f"tab-{k}" for k, _, _ in SECTIONS]
        tabs.active = ids[(ids.index(tabs.active) + 1) % len(ids)] if tabs.active in ids else ids[0]

    @on(FrameTable.RowSelected)
    def _selected(self, event: FrameTable.RowSelected) -> None:
        open_school(self.app, self.api, event.key, self.week_id)

    def action_open(self) -> None:
        active = self.query_one(TabbedContent).active
        if not active:
            return
        table = self.query_one(f"#changes-{active.removeprefix('tab-')}", FrameTable)
        open_school(self.app, self.api, table.cursor_key, self.week_id)

    def action_back(self) -> None:
        self.dismiss(None)
