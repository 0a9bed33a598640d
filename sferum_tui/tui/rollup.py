"""``m``: municipalities worst first (the core's ``rollup``); Enter opens a municipality's
schools in the main table (the main screen's municipality filter)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Static
from textual.worker import get_current_worker

from sferum_tui.i18n import tr
from sferum_tui.service.console import format_share
from sferum_tui.tui.help import install_bindings
from sferum_tui.tui.table import Column, FrameTable
from sferum_tui.tui.widgets import format_delta_pp, format_int

if TYPE_CHECKING:
    import pandas as pd

    from sferum_tui.service.console import ConsoleAPI

__all__ = ["RollupScreen", "rollup_columns"]


def _share(v: Any) -> str:
    return format_share(float(v))


def _int(v: Any) -> str:
    return format_int(v)


def _delta(v: Any) -> str:
    return format_delta_pp(float(v)) or "—"


def _bad_share_style(v: Any) -> str | None:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return "error" if v > 0.0005 else "success"


def _rise_is_bad(v: Any) -> str | None:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return "error" if v > 0.0005 else "success" if v < -0.0005 else "muted"


def rollup_columns(frame: "pd.DataFrame", cfg: Any = None) -> list[Column]:
    """The rollup's columns (``indicators.rollup``): rank, the municipality, counts and shares,
    and each configured indicator's value and change, labelled in the current language."""
    cols = [
        Column("rank", "№"),
        Column("municipality", tr("Муниципалитет", "Municipality"), max_width=28, min_width=12),
        Column("orgs", tr("ОО", "Orgs"), formatter=_int),
        Column("inactive", tr("Неакт.", "Inact."), formatter=_int),
        Column("inactive_share", tr("Неакт.%", "Inact.%"), formatter=_share, align="right",
               style_fn=_bad_share_style),
        Column("d_inactive_share", tr("Δ неакт.", "Δ inact."), formatter=_delta, align="right",
               style_fn=_rise_is_bad),
        Column("low_messaging", tr("Мало пишут", "Low msg"), formatter=_int),
        Column("low_messaging_share", tr("Мало%", "Low%"), formatter=_share, align="right",
               style_fn=_bad_share_style),
        Column("unregistered", tr("Не все рег.", "Unreg."), formatter=_int),
        Column("missing", tr("Нет в нед.", "Missing"), formatter=_int),
        Column("newly_inactive", tr("▼ неакт.", "▼ inact."), formatter=_int),
        Column("recovered", tr("▲ акт.", "▲ act."), formatter=_int),
    ]
    for ind in getattr(cfg, "indicators", ()) or ():
        key = f"value_{ind.key}"
        if key not in frame.columns:
            continue
        title = str(ind.title)
        short = title if len(title) <= 14 else title[:13] + "…"

        def style(v: Any, ind=ind) -> str | None:
            if v is None or (isinstance(v, float) and math.isnan(v)):
                return None
            return "success" if ind.reached(float(v)) else "warning"

        cols.append(Column(key, short, formatter=_share, align="right", style_fn=style))
        if f"d_{key}" in frame.columns:
            cols.append(Column(f"d_{key}", "Δ", formatter=_delta, align="right",
                               style_fn=lambda v, ind=ind: None if v is None or (
                                   isinstance(v, float) and math.isnan(v)) else (
                                   "success" if (v > 0) == (ind.direction == "up") and abs(v) > 5e-4
                                   else "error" if abs(v) > 5e-4 else "muted")))
    regions = {str(r).strip() for r in frame["region"].dropna()} - {""} \
        if "region" in frame.columns else set()
    if len(regions) > 1:  # a country-wide store: say which region each municipality is in
        cols.insert(2, Column("region", tr("Регион", "Region"), max_width=24))
    return [c for c in cols if c.key in frame.columns]


AREA_SEP = "\x1f"


class RollupScreen(Screen["str | tuple[str, str | None] | None"]):
    """Municipalities of the week, worst first; Enter returns the chosen one."""

    AUTO_FOCUS = "#rollup-table"

    class Loaded(Message):
        def __init__(self, frame: "pd.DataFrame | None", error: str | None = None) -> None:
            super().__init__()
            self.frame = frame
            self.error = error

    def __init__(self, api: "ConsoleAPI", week_id: int) -> None:
        super().__init__()
        self.api = api
        self.week_id = week_id
        self.frame: "pd.DataFrame | None" = None
        self.multi_region = False
        install_bindings(self, "rollup")

    def compose(self) -> ComposeResult:
        label = ""
        try:
            label = next(s.period_label for s in self.api.snapshots() if s.id == self.week_id)
        except StopIteration:
            pass
        # "Enter — its schools" is the footer's (a title that long was cut at 80 columns)
        yield Static(tr(" [b]Муниципалитеты[/] · неделя {w} · худшие сверху",
                        " [b]Municipalities[/] · week {w} · worst first", w=label),
                     id="rollup-title",
                     classes="screen-title")
        table = FrameTable(id="rollup-table", key_column="area_key", fixed_columns=2,
                           zebra_stripes=True, show_marks=False)
        table.loading = True
        yield table
        yield Footer(compact=self.app.size.width < 110)  # 80 columns: every key fits

    def on_mount(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="rollup", exit_on_error=False)
    def _load(self) -> None:
        worker = get_current_worker()
        try:
            frame = self.api.rollup(self.week_id)
        except Exception as exc:  # noqa: BLE001 - shown, the console goes on
            self.post_message(self.Loaded(None, getattr(exc, "message", None) or str(exc)))
            return
        if not worker.is_cancelled:
            self.post_message(self.Loaded(frame.reset_index(drop=True)))

    def on_rollup_screen_loaded(self, message: Loaded) -> None:
        table = self.query_one(FrameTable)
        table.loading = False
        if message.frame is None:
            self.notify(message.error or "?", severity="error", markup=False)
            return
        frame = message.frame
        # one row per (region, municipality): «Кировский район» is in many regions
        regions = frame["region"].fillna("").astype(str) if "region" in frame.columns \
            else None
        self.multi_region = regions is not None and len(
            {r.strip() for r in regions.tolist()} - {""}) > 1
        frame["area_key"] = (frame["municipality"].fillna("").astype(str) + AREA_SEP
                             + (regions if regions is not None else ""))
        self.frame = frame
        table.set_columns(rollup_columns(message.frame, self.api.cfg))
        table.set_frame(message.frame)
        table.focus()  # Down / PageDown move and Enter opens the highlighted municipality

    @on(FrameTable.RowSelected, "#rollup-table")
    def _selected(self, event: FrameTable.RowSelected) -> None:
        self.action_open()

    def action_open(self) -> None:
        key = self.query_one(FrameTable).cursor_key
        if key is None:
            return
        municipality, _, region = str(key).partition(AREA_SEP)
        # the region only where it tells areas apart (a one-region store: the name says it)
        self.dismiss((municipality, region or None) if self.multi_region else municipality)

    def action_back(self) -> None:
        self.dismiss(None)
