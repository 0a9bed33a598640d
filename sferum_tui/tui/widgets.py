"""Small widgets of the main screen: the header line, the KPI strip, the filter chips, the
status line, and the little dialogs (week, municipality, threshold, sort).

They only show what the API computed; colours come from the theme's variables in markup
(``[$text-error]``), so every theme, the 16-colour ANSI theme and ``NO_COLOR`` work.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from sferum_tui.i18n import get_language, plural_ru, tr
from sferum_tui.service.console import format_share, next_publication
from sferum_tui.service.headline import OVERDUE_AS_DATE, deadline_text
from sferum_tui.service.vocab import (
    PercentError,
    day,
    fold,
    is_missing,
    parse_percent,
    percent_input,
    signed_pp,
    threshold,
)
from sferum_tui.service.vocab import integer as format_int
from sferum_tui.tui.help import install_bindings

if TYPE_CHECKING:
    from sferum_tui.service.console import ConsoleAPI, View

__all__ = [
    "HeaderBar", "KpiStrip", "KpiCard", "ChipBar", "StatusLine", "PickerScreen",
    "MunicipalityPicker", "ThresholdDialog", "format_int", "format_delta_pp", "weekday_short",
    "fit_words",
    "STATE_STYLE", "state_text",
]

WEEKDAYS = (("пн", "Mon"), ("вт", "Tue"), ("ср", "Wed"), ("чт", "Thu"), ("пт", "Fri"),
            ("сб", "Sat"), ("вс", "Sun"))


def weekday_short(d: datetime) -> str:
    ru, en = WEEKDAYS[d.weekday()]
    return tr(ru, en)


def format_delta_pp(delta: float | None, digits: int = 1) -> str:
    """A KPI's change in percentage points (``▲1,2`` / ``▼0,4`` / ``=``); "" when unknown."""
    return "" if is_missing(delta) else signed_pp(delta, digits)


# A school's state in the schools and changes tables: its words, and its theme style.
STATE_TEXT = {
    "active": ("активна", "active"),
    "inactive": ("не активна", "inactive"),
    "newly_inactive": ("▼ не активна", "▼ inactive"),
    "recovered": ("▲ активна", "▲ active"),
    "missing": ("нет в файле", "missing"),
}
STATE_STYLE = {"active": "success", "recovered": "success", "inactive": "error",
               "newly_inactive": "error", "missing": "muted"}


def state_text(value: Any) -> str:
    ru, en = STATE_TEXT.get(str(value), (str(value), str(value)))
    return tr(ru, en)


def _ago(then: datetime, now: datetime) -> str:
    seconds = max(0.0, (now - then).total_seconds())
    if seconds < 90:
        return tr("только что", "just now")
    minutes = int(seconds // 60)
    if minutes < 60:
        return tr("{n} мин назад", "{n} min ago", n=minutes)
    hours = minutes // 60
    if hours < 24:
        return tr("{n} ч назад", "{n} h ago", n=hours)
    days = hours // 24
    return tr("{n} " + plural_ru(days, "день", "дня", "дней") + " назад",
              "{n} day" + ("" if days == 1 else "s") + " ago", n=days)


def _parse_utc(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None


# --------------------------------------------------------------------------- split line


class SplitLine(Widget):
    """One line with a left part and a right-aligned part; the left is cut with an ellipsis
    when both do not fit.  The line is drawn at render time for the width it has, and a change
    only repaints it (no screen re-layout), so a filter or a new week stays cheap."""

    DEFAULT_CSS = """
    SplitLine { height: 1; width: 1fr; }
    """

    def __init__(self, left: str = "", right: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._parts = (left, right)
        self._fallbacks: tuple[tuple[str, str], ...] = ()

    def set_parts(self, left: str, right: str,
                  fallbacks: Iterable[tuple[str, str]] = ()) -> None:
        """``fallbacks``: shorter ``(left, right)`` forms, most wanted first, for when the
        full one does not fit: parts drop out whole rather than being cut mid-word."""
        fallbacks = tuple(fallbacks)
        if (left, right) != self._parts or fallbacks != self._fallbacks:
            self._parts = (left, right)
            self._fallbacks = fallbacks
            self.refresh()

    @property
    def parts(self) -> tuple[str, str]:
        return self._parts

    def render(self) -> Content:
        width = self.content_size.width
        for left_text, right_text in (self._parts, *self._fallbacks):
            left = Content.from_markup(left_text)
            right = Content.from_markup(right_text)
            gap = 1 if left.cell_length and right.cell_length else 0
            if left.cell_length + gap + right.cell_length <= width:
                break
        room = width - right.cell_length
        if left.cell_length > room:  # even the shortest form does not fit: cut the left
            left = left.truncate(max(0, room - 1), ellipsis=True)
        pad = max(0, width - left.cell_length - right.cell_length)
        return left + Content(" " * pad) + right


# --------------------------------------------------------------------------- header


class HeaderBar(Horizontal):
    """One line: scope and week on the left; freshness and the next publication on the right."""

    DEFAULT_CSS = """
    HeaderBar {
        height: 1;
        background: $panel;
        color: $foreground;
    }
    """

    def compose(self) -> ComposeResult:
        yield SplitLine(tr(" Сферум · загрузка…", " Sferum · loading…"), "", id="header-line")

    def show(self, api: "ConsoleAPI", view: "View", *, compact: bool = False) -> None:
        week = view.week
        info = week.info
        demo = tr("[b $text-warning]ДЕМО[/] ", "[b $text-warning]DEMO[/] ") if api.demo else ""
        scope = escape(api.area_label(week))
        where = f"{week.index + 1}/{week.count}"
        latest = week.index == week.count - 1
        word = "" if compact else tr("неделя ", "week ")
        note = "" if latest or compact else ", " + tr("не последняя", "not latest")
        short_left = f" {demo}[b]{scope}[/] · {word}[b $text-accent]{info.period_label}[/]"
        left = f"{short_left} [$text-muted]({where}{note})[/]"
        now = api.now()
        imported = _parse_utc(info.imported_at)
        fresh = tr("загружено {a}", "imported {a}", a=_ago(imported, now)) if imported else ""
        nxt = next_publication(now)
        last_pub = nxt - timedelta(days=7)  # the publication that should be in by now
        pub = tr("след. {d} {dt} 17:00 МСК", "next {d} {dt} 17:00 MSK",
                 d=weekday_short(nxt), dt=nxt.strftime("%d.%m"))
        stale = ""
        latest_info = api.snapshots()[-1] if api.snapshots() else info
        # weekly files may end on any weekday: a week behind is late, a few days is not
        if latest_info.period_end < (last_pub - timedelta(days=6)).date():
            stale = tr("[b $text-warning]нет недели по {d}[/] · ", "[b $text-warning]week to {d} missing[/] · ",
                       d=last_pub.strftime("%d.%m"))
        right = f"{stale}{fresh} · {pub} " if not compact else f"{stale}{pub} "

        def muted(text: str) -> str:
            return f"[$text-muted]{text}[/]"

        # when it does not fit, parts go whole: the import time, then the position (3/8),
        # then the next publication; a missing week's warning stays longest
        stale_only = stale.removesuffix(" · ") + " " if stale else ""
        fallbacks = [(left, muted(f"{stale}{pub} ")), (short_left, muted(f"{stale}{pub} ")),
                     (left, muted(stale_only)), (short_left, muted(stale_only))]
        self.query_one("#header-line", SplitLine).set_parts(left, muted(right), fallbacks)


# --------------------------------------------------------------------------- KPI strip


SHORT_TITLES = {
    "active_profiles": ("Активные профили", "Active profiles"),
    "teacher_messaging": ("Учителя пишут >3", "Teachers >3 msg"),
    "staff_registration": ("Сотрудники зарег.", "Staff registered"),
}


class KpiCard(Widget):
    """One indicator: title and how many schools pass; value, change and target; deadline.
    Drawn at render time for the width it has (short titles when narrow)."""

    DEFAULT_CSS = """
    KpiCard {
        width: 1fr;
        height: 3;
        padding: 0 1;
        background: $boost;
        margin-right: 1;
        &:last-of-type { margin-right: 0; }
    }
    """

    kpi: Any = None

    def show(self, kpi: Any) -> None:
        if kpi != self.kpi:
            self.kpi = kpi
            self.refresh()  # a fixed 3-line card: no new layout

    def render(self) -> Content:
        if self.kpi is None:
            return Content("")
        width = self.content_size.width
        lines = self.render_kpi(self.kpi, width).split("\n")
        return Content("\n").join(Content.from_markup(line).truncate(width, ellipsis=True)
                                  for line in lines)

    @staticmethod
    def render_kpi(kpi: Any, width: int = 0) -> str:
        key = getattr(kpi, "key", "")
        title = str(getattr(kpi, "title", "") or key)
        n_pass, n_total = getattr(kpi, "n_pass", None), getattr(kpi, "n_total", None)
        count = f"{format_int(n_pass)}/{format_int(n_total)}" if n_total else ""
        if width and len(title) + len(count) + 1 > width and key in SHORT_TITLES:
            title = tr(*SHORT_TITLES[key])
        if width and len(title) + len(count) + 1 > width:
            count = ""
        if width:
            title = fit_words(title, width)
        value = getattr(kpi, "value", None)
        target = getattr(kpi, "target", None)
        direction = getattr(kpi, "direction", "up") or "up"
        reached = getattr(kpi, "reached", None)
        if reached is None:
            reached = bool(value is not None and target is not None and not is_missing(value) and (
                value >= target - 1e-9 if direction == "up" else value <= target + 1e-9))
        colour = "$text-success" if reached else "$text-error"
        delta = getattr(kpi, "delta", None)
        arrow = format_delta_pp(delta)
        if arrow and arrow != "=":
            good = (delta > 0) == (direction == "up")
            arrow = f"[{'$text-success' if good else '$text-error'}]{arrow}[/]"
        elif arrow == "=":
            arrow = "[$text-muted]=[/]"
        line1 = f"[b]{escape(title)}[/]"
        if count:
            pad = max(1, width - len(title) - len(count)) if width else 2
            line1 += " " * pad + f"[$text-muted]{count}[/]"
        line2 = f"[b {colour}]{format_share(value)}[/] {arrow}"
        goal = f"{tr('цель', 'target')} {threshold(target)}"
        if not width or Content.from_markup(line2).cell_length + 1 + len(goal) <= width:
            line2 += f" [$text-muted]{goal}[/]"   # the target only whole
        days = getattr(kpi, "days_left", None)
        deadline = getattr(kpi, "deadline", None)
        if deadline is not None and days is not None:
            head = deadline_text(kpi)     # the same words as summary's «До срока»
            if width:
                head = fit_words(head, width)
            if reached:
                style = "$text-success"
            elif days < 0:
                style = "b $text-error"
            else:
                style = "b $text-warning" if days == 0 else "$text-warning"
            line3 = f"[{style}]{escape(head)}[/]"
            when = day(deadline)
            if not reached and days >= -OVERDUE_AS_DATE and (
                    not width or len(head) + 1 + len(when) <= width):  # the date only whole
                line3 += f" [$text-muted]{when}[/]"
        else:
            line3 = f"[$text-muted]{tr('без срока', 'no deadline')}[/]"
        return f"{line1}\n{line2}\n{line3}"


# words that should not be left hanging at the end of a shortened line
_DANGLING = {"с", "по", "до", "на", "в", "и", "since", "by", "to", "of", "and", "in", "on"}


def fit_words(text: str, width: int) -> str:
    """``text`` in ``width`` cells, shortened by whole words (with «…»), never mid-word:
    «просрочено с 27.04.2023» → «просрочено…».  A single word too long is cut as a last
    resort."""
    if len(text) <= width:
        return text
    words = text.split()
    while len(words) > 1:
        words.pop()
        while len(words) > 1 and words[-1].lower() in _DANGLING:
            words.pop()
        candidate = " ".join(words) + "…"
        if len(candidate) <= width:
            return candidate
    return text[: max(0, width - 1)] + "…"


class KpiStrip(Horizontal):
    """Up to three (or four, when wide) KPI cards side by side."""

    DEFAULT_CSS = """
    KpiStrip { height: 3; margin: 0 0 0 0; }
    """

    def compose(self) -> ComposeResult:
        for i in range(3):
            yield KpiCard(id=f"kpi-{i}")

    def show(self, kpis: Iterable[Any]) -> None:
        kpis = list(kpis)
        cards = list(self.query(KpiCard))
        for i, card in enumerate(cards):
            visible = i < len(kpis)
            if card.display != visible:
                card.display = visible
            if visible:
                card.show(kpis[i])


# --------------------------------------------------------------------------- chips


class ChipBar(Horizontal):
    """The filters that are on, as chips, and the counts that follow them."""

    DEFAULT_CSS = """
    ChipBar { height: 1; }
    """

    def compose(self) -> ComposeResult:
        yield SplitLine(id="chip-line")

    def show(self, view: "View", hint_keys: dict[str, str], *, compact: bool = False) -> None:
        chips = view.filters.chips(view.threshold)
        lefts: list[str]
        if chips:
            shown = " ".join(f"[b $text-accent on $accent-muted] {escape(text)} [/]" for _, text in chips)
            text = f"{shown} [$text-muted]{hint_keys.get('filters_clear', '0')} — {tr('сбросить', 'clear')}[/]"
            lefts = [text, shown]   # the «0 — clear» hint goes first when short of room
            for n in range(len(chips) - 1, 0, -1):   # then the last chips, counted: «+2»
                lefts.append(" ".join(f"[b $text-accent on $accent-muted] {escape(t)} [/]"
                                      for _, t in chips[:n]) + f" [b]+{len(chips) - n}[/]")
        else:
            keys = [(hint_keys.get("filter_inactive", "i"), tr("неакт.", "inactive")),
                    (hint_keys.get("filter_low", "w"), tr("мало пишут", "low msg")),
                    (hint_keys.get("filter_unregistered", "r"), tr("рег.", "reg.")),
                    (hint_keys.get("filter_missing", "x"), tr("нет в нед.", "missing")),
                    (hint_keys.get("filter_changed", "c"), tr("изм.", "changed")),
                    (hint_keys.get("filter_disagrees", "v"), tr("≠", "≠")),
                    (hint_keys.get("filter_municipality", "u"), tr("МО", "munic.")),
                    (hint_keys.get("search", "/"), tr("поиск", "search"))]
            brief = "[$text-muted]" + tr("Фильтры:", "Filters:") + " " + " ".join(
                f"[b]{escape(k)}[/b]" for k, _ in keys) + "[/]"
            if compact:
                text = brief
            else:
                text = "[$text-muted]" + tr("Фильтры:", "Filters:") + " " + " ".join(
                    f"[b]{escape(k)}[/b] {d}" for k, d in keys) + "[/]"
            lefts = [text, brief, ""]
        c = view.counts
        shown_n = c.get("shown", 0)
        if view.filters.any:
            counts = tr("{a} из {b}", "{a} of {b}", a=format_int(shown_n), b=format_int(view.total))
        else:
            counts = tr("{a} ОО", "{a} orgs", a=format_int(shown_n))
        extra = [
            f"[$text-error]{tr('неакт.', 'inact.')} {format_int(c.get('inactive', 0))}[/]",
            f"[$text-warning]{tr('мало пишут', 'low')} {format_int(c.get('low_messaging', 0))}[/]",
        ]
        if c.get("status_disagrees"):   # its own labelled count (filter: v)
            extra.append(f"[$text-muted]{tr('статус≠правило', 'status≠rule')} "
                         f"{format_int(c['status_disagrees'])}[/]")
        # short of room, parts go whole: the «0 — clear» hint, then the counts from the last
        rights = [f"[b]{counts}[/] · " + " · ".join(extra[:n]) + " " for n in
                  range(len(extra), 0, -1)] + [f"[b]{counts}[/] "]
        forms = [(lefts[0], rights[0])] + [(left, r) for left in lefts[1:] for r in rights]
        self.query_one("#chip-line", SplitLine).set_parts(*forms[0], forms[1:])


class StatusLine(Static):
    """A line above the footer for work in progress (a fetch, the demo being built)."""

    DEFAULT_CSS = """
    StatusLine {
        height: 1;
        display: none;
        background: $primary-muted;
        color: $text-primary;
        text-wrap: nowrap;
        text-overflow: ellipsis;
        padding: 0 1;
        &.-on { display: block; }
    }
    """

    def say(self, text: str | None) -> None:
        if text:
            self.update(text)
            self.add_class("-on")
        else:
            self.update("")
            self.remove_class("-on")


# --------------------------------------------------------------------------- dialogs


class PickerScreen(ModalScreen[Any]):
    """A list to choose from, with a filter line; returns the chosen option's id (or None)."""

    DEFAULT_CSS = """
    PickerScreen {
        align: center middle;
        & > Vertical {
            width: 64;
            max-width: 100%;
            height: auto;
            max-height: 90%;
            background: $surface;
            border: round $primary;
            border-title-color: $text-primary;
            padding: 0 1;
        }
        & Input { margin: 0 0 1 0; }
        & OptionList { height: auto; max-height: 20; border: none; padding: 0; }
        & .hint { color: $text-muted; height: 1; }
    }
    """

    def __init__(self, title: str, options: list[tuple[Any, str]], *, current: Any = None,
                 with_filter: bool = True, hint: str = "") -> None:
        super().__init__()
        install_bindings(self, "picker")
        self.title_text = title
        self.options = options
        self.current = current
        self.with_filter = with_filter
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = self.title_text
            if self.with_filter:
                yield Input(placeholder=tr("фильтр…", "filter…"), id="picker-filter")
            yield OptionList(*self._options(""), id="picker-list")
            if self.hint:
                yield Label(self.hint, classes="hint")

    def _options(self, needle: str) -> list[Option]:
        needle = fold(needle)
        out = []
        for index, (_value, text) in enumerate(self.options):
            if needle and needle not in fold(text):
                continue
            out.append(Option(text, id=str(index)))
        return out

    def on_mount(self) -> None:
        olist = self.query_one(OptionList)
        for i, (value, _) in enumerate(self.options):
            if value == self.current:
                olist.highlighted = i
                break
        else:
            if self.options:
                olist.highlighted = 0
        if self.with_filter:
            self.query_one(Input).focus()
        else:
            olist.focus()

    @on(Input.Changed, "#picker-filter")
    def _filter(self, event: Input.Changed) -> None:
        olist = self.query_one(OptionList)
        olist.clear_options()
        olist.add_options(self._options(event.value))
        if olist.option_count:
            olist.highlighted = 0

    @on(Input.Submitted, "#picker-filter")
    def _submit(self) -> None:
        olist = self.query_one(OptionList)
        if olist.highlighted is not None:
            self._choose(olist.get_option_at_index(olist.highlighted).id)

    def on_key(self, event) -> None:
        # up/down move in the list while typing in the filter
        if self.with_filter and event.key in ("up", "down", "pageup", "pagedown"):
            olist = self.query_one(OptionList)
            getattr(olist, {"up": "action_cursor_up", "down": "action_cursor_down",
                            "pageup": "action_page_up", "pagedown": "action_page_down"}[event.key])()
            event.stop()
            event.prevent_default()

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self._choose(event.option.id)

    def _choose(self, option_id: str | None) -> None:
        if option_id is None:
            return
        self.dismiss(self.options[int(option_id)][0])

    def action_cancel(self) -> None:
        self.dismiss(None)


class MunicipalityPicker(PickerScreen):
    """``u``: one municipality (or all) for the schools table."""

    ALL = "\x00all"

    def __init__(self, municipalities: list[tuple[str, int]], current: Any,
                 areas: list[tuple[str, str, int]] | None = None) -> None:
        """``areas``: ``(municipality, region, count)`` when the data spans several regions;
        then each option is one region's municipality and its value ``(name, region)``."""
        options: list[tuple[Any, str]] = [(self.ALL, tr("— все муниципалитеты —", "— all municipalities —"))]
        if areas:
            options += [((name, region), f"{name} · {region}  ({format_int(n)})")
                        for name, region, n in areas]
        else:
            options += [(name, f"{name}  ({format_int(n)})") for name, n in municipalities]
        super().__init__(tr("Муниципалитет", "Municipality"), options,
                         current=current or self.ALL)


class ThresholdDialog(ModalScreen[float | None]):
    """``t``: the teacher-messaging share under which a school counts as "low"."""

    DEFAULT_CSS = """
    ThresholdDialog {
        align: center middle;
        & > Vertical {
            width: 56;
            max-width: 100%;
            height: auto;
            background: $surface;
            border: round $primary;
            border-title-color: $text-primary;
            padding: 0 1;
        }
        & .hint { color: $text-muted; width: 1fr; height: auto; }
        & .error { color: $text-error; width: 1fr; height: auto; }
    }
    """

    def __init__(self, current: float, default: float) -> None:
        super().__init__()
        install_bindings(self, "threshold")
        self.current = current
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = tr("Порог «мало пишут»", "Low-messaging threshold")
            yield Static(tr("Доля учителей, написавших более 3 сообщений, в процентах "
                            "(по умолчанию {d}); школы ниже неё — «мало пишут».",
                            "Share of teachers who wrote more than 3 messages, in percent "
                            "(default {d}); schools below it are “low”.",
                            d=threshold(self.default)), classes="hint", markup=False)
            yield Input(percent_input(self.current), id="threshold-input", restrict=r"[0-9.,% ]*")
            yield Static("", id="threshold-error", classes="error", markup=False)

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        """The one threshold grammar of the CLI and the config (``parse_percent``)."""
        try:
            value = parse_percent(event.value)
        except PercentError as err:
            self.query_one("#threshold-error", Static).update(str(err))
            return
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)


def language_name(lang: str | None = None) -> str:
    return {"ru": "Русский", "en": "English"}.get(lang or get_language(), lang or "")
