"""``ShortlistScreen``: a named shortlist with each member's latest figures and reasons.

Pushed by the app shell as ``ShortlistScreen(api, name)``.  The members come from
``core.shortlists`` (kept in the store, so across restarts), joined by the core
(``shortlists.join_members``) to the latest week's table (``api.week``: the core's
``indicators.week_table``).  Keys:

* ``x`` / ``Delete`` — take the member under the cursor out of the list;
* ``l`` — switch to another list (or start a new one); it becomes the list ``space`` marks into;
* ``e`` — export the list (``ExportDialog``: CSV, XLSX, Markdown, JSON);
* ``c`` — copy the list as plain text, a numbered list ready to paste into a letter to the
  heads of the schools, with OSC 52 (``App.copy_to_clipboard``), so it works over SSH;
* ``Enter`` — open the school (``SchoolScreen``); ``Esc`` — back.

Every letter key has its Russian-layout twin.  Reading and writing the store run in thread
workers through ``api.call`` (the console's store thread) when the facade has one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from sferum_tui.i18n import tr
from sferum_tui.service.console import shortlist_title
from sferum_tui.service.lists import ShortlistData, letter_text, load_shortlist, reasons_of
from sferum_tui.service.vocab import fold
from sferum_tui.tui.help import install_bindings
from sferum_tui.tui.school import (
    _status_style,
    fmt_count,
    fmt_share,
    fmt_status,
    open_school_screen,
)
from sferum_tui.tui.table import Column, FrameTable

if TYPE_CHECKING:

    from sferum_tui.service.console import ConsoleAPI

__all__ = ["ShortlistScreen", "ShortlistPicker", "ShortlistData", "shortlist_text",
           "load_shortlist"]

_reasons = reasons_of
shortlist_text = letter_text


# --------------------------------------------------------------------------------------------
# Picking another list
# --------------------------------------------------------------------------------------------

class ShortlistPicker(ModalScreen["str | None"]):
    """Choose a list, or type the name of a new one; dismissed with the name or ``None``."""

    DEFAULT_CSS = """
    ShortlistPicker {
        align: center middle;
        background: $background 60%;
    }
    ShortlistPicker > Vertical {
        width: 60;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: round $primary;
        background: $surface;
        padding: 0 1;
    }
    ShortlistPicker OptionList {
        height: auto;
        max-height: 12;
    }
    ShortlistPicker Label {
        margin: 1 0 0 0;
        color: $foreground-muted;
    }
    """

    def __init__(self, lists: list[tuple[str, int]], current: str) -> None:
        super().__init__()
        install_bindings(self, "shortlist_picker")
        self.lists = lists
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Content.from_markup("[b]$t[/b]", t=tr("Списки", "Shortlists")))
            options = [Option(Content.assemble(shortlist_title(name), (f"  {count}", "$text-muted")),
                              id=f"l{i}")
                       for i, (name, count) in enumerate(self.lists)]
            yield OptionList(*options, id="picker-lists")
            yield Label(tr("Новый список (Enter — создать):", "New list (Enter to create):"))
            yield Input(placeholder=tr("имя списка", "list name"), id="picker-new")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        names = [n for n, _ in self.lists]
        if names:
            folded = fold(self.current)
            idx = next((i for i, n in enumerate(names) if fold(n) == folded), 0)
            options.highlighted = idx
            options.focus()
        else:
            self.query_one("#picker-new", Input).focus()

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.lists[event.option_index][0])

    @on(Input.Submitted, "#picker-new")
    def _new(self, event: Input.Submitted) -> None:
        event.stop()
        name = " ".join(event.value.split())
        if name:
            self.dismiss(name)

    def action_cancel(self) -> None:
        self.dismiss(None)


# --------------------------------------------------------------------------------------------
# The screen
# --------------------------------------------------------------------------------------------

def _columns() -> list[Column]:
    return [
        Column("_n", "№", width=3),
        Column("org_name", tr("Организация", "Organisation"), max_width=40),
        Column("org_id", tr("ИНН", "ИНН"), width=10),
        Column("municipality", tr("Муниципалитет", "Municipality"), max_width=24),
        Column("status", tr("Статус", "Status"), formatter=fmt_status, style_fn=_status_style),
        Column("users_total", tr("Польз.", "Users"), formatter=fmt_count),
        Column("classes", tr("Классы", "Classes"), formatter=fmt_count),
        Column("messaging_share", tr("Сообщ.%", "Msg %"), formatter=fmt_share),
        Column("registration_share", tr("Рег.%", "Reg. %"), formatter=fmt_share),
        Column("_reasons", tr("Причины", "Reasons"), max_width=80),
    ]


class ShortlistScreen(Screen[None]):
    """A shortlist with the latest figures and reasons.  See the module's docstring."""

    DEFAULT_CSS = """
    ShortlistScreen {
        layout: vertical;
        background: $background;
    }
    ShortlistScreen #shortlist-title {
        height: 1;
        padding: 0 1;
        background: $panel;
        text-style: bold;
    }
    ShortlistScreen #shortlist-empty {
        height: auto;
        padding: 1 2;
        color: $foreground-muted;
    }
    ShortlistScreen #shortlist-table {
        height: 1fr;
    }
    ShortlistScreen #shortlist-detail {
        height: auto;
        max-height: 5;
        padding: 0 1;
        border-top: hkey $panel;
    }
    """

    class Changed(Message):
        """Members of a list changed, or another list became the current one (bubbles to the
        app, so its marks follow)."""

        def __init__(self, name: str) -> None:
            super().__init__()
            self.name = name

    def __init__(
        self,
        api: "ConsoleAPI",
        name: str | None = None,
        week_id: int | None = None,
        *,
        id: str | None = None,  # noqa: A002 - Textual's name
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        install_bindings(self, "shortlist")
        self.api = api
        self.list_name: str = name or api.shortlist_name
        self.week_id = week_id   # the week being viewed (None: the latest)
        self.data: ShortlistData | None = None

    def compose(self) -> ComposeResult:
        yield Static(tr("Список «{n}»", "List “{n}”", n=shortlist_title(self.list_name)),
                     id="shortlist-title",
                     markup=False)
        yield Static("", id="shortlist-empty", markup=False)
        yield FrameTable(columns=_columns(), key_column="org_uid", show_marks=False,
                         id="shortlist-table")
        yield Static("", id="shortlist-detail")
        yield Footer(compact=self.app.size.width < 110)  # 80 columns: every key fits

    def on_mount(self) -> None:
        self.query_one("#shortlist-empty").display = False
        self.query_one("#shortlist-detail").display = False
        table = self.query_one("#shortlist-table", FrameTable)
        table.loading = True
        table.focus()
        self.load()

    # ------------------------------------------------------------------ data

    @work(thread=True, exclusive=True, group="shortlist-load")
    def load(self) -> None:
        try:
            data = load_shortlist(self.api, self.list_name, self.week_id)
        except Exception as exc:  # noqa: BLE001 - shown, never a crash
            self.app.call_from_thread(self._failed, exc)
            return
        self.app.call_from_thread(self._show, data)

    def _failed(self, exc: Exception) -> None:
        if self.is_attached:
            self.query_one("#shortlist-table", FrameTable).loading = False
        self.notify(str(exc) or type(exc).__name__, severity="error", timeout=8)

    def _show(self, data: ShortlistData) -> None:
        if not self.is_attached:
            return
        from sferum_tui.service.vocab import orgs as orgs_phrase

        self.data = data
        self.list_name = data.name
        parts = [tr("Список «{n}»", "List “{n}”", n=data.title), orgs_phrase(len(data.frame))]
        if data.week is not None:
            parts.append(tr("неделя {w}", "week {w}", w=data.week.period_label))
        while len(parts) > 1 and len(" · ".join(parts)) > self.app.size.width - 2:
            parts.pop()  # the week, then the count: whole, not cut mid-word
        self.query_one("#shortlist-title", Static).update(" · ".join(parts))
        table = self.query_one("#shortlist-table", FrameTable)
        table.loading = False
        table.set_frame(data.table)
        self._show_detail(table.cursor_key)
        empty = self.query_one("#shortlist-empty", Static)
        empty.display = len(data.frame) == 0
        empty.update(tr("Список пуст. Отметьте школы клавишей Пробел в таблице или на экране школы.",
                        "The list is empty. Mark schools with Space in the table or on a "
                        "school's screen."))

    def _show_detail(self, uid: Any) -> None:
        """The reasons of the member under the cursor, in full (the column is cut at 80×24)."""
        detail = self.query_one("#shortlist-detail", Static)
        rows = self.data.table if self.data is not None else None
        if rows is None or uid is None or not len(rows):
            detail.display = False
            return
        row = rows[rows["org_uid"] == uid]
        if not len(row):
            detail.display = False
            return
        first = row.iloc[0]
        reasons = str(first["_reasons"] or "")
        detail.update(Content.assemble(
            (str(first.get("org_name") or ""), "bold"), " — ",
            (reasons, "$text-error") if reasons else
            (tr("все цели выполнены", "all targets met"), "$text-success")))
        detail.display = True

    @on(FrameTable.RowHighlighted, "#shortlist-table")
    def _highlighted(self, event: FrameTable.RowHighlighted) -> None:
        event.stop()
        self._show_detail(event.key)

    # ------------------------------------------------------------------ actions

    def action_back(self) -> None:
        self.dismiss(None)

    def action_remove(self) -> None:
        table = self.query_one("#shortlist-table", FrameTable)
        uid = table.cursor_key
        if uid is None or self.data is None or not self.data.exists:
            return
        if self.api.read_only:
            self.notify(self.api.read_only_message(), severity="warning", markup=False, timeout=5)
            return
        row = self.data.table[self.data.table["org_uid"] == uid]
        label = str(row["org_name"].iloc[0]) if len(row) else str(uid)
        self.remove_member(int(uid), label)

    @work(thread=True, exclusive=True, group="shortlist-write")
    def remove_member(self, uid: int, label: str) -> None:
        from sferum_tui.service.store import Shortlists

        name = self.list_name
        try:
            self.api.call(Shortlists(self.api.store).remove, name, [uid])
            data = load_shortlist(self.api, name, self.week_id)
        except Exception as exc:  # noqa: BLE001
            self.app.call_from_thread(self._failed, exc)
            return
        self.app.call_from_thread(self._removed, data, label)

    def _removed(self, data: ShortlistData, label: str) -> None:
        self._show(data)
        self.notify(tr("«{o}» убрана из списка «{n}»", "“{o}” removed from “{n}”",
                       o=label, n=data.name), timeout=4)
        self.post_message(self.Changed(data.name))

    def action_switch(self) -> None:
        self.pick_list()

    @work(thread=True, exclusive=True, group="shortlist-pick")
    def pick_list(self) -> None:
        from sferum_tui.service.store import Shortlists

        try:
            infos = self.api.call(Shortlists(self.api.store).lists)
        except Exception as exc:  # noqa: BLE001
            self.app.call_from_thread(self._failed, exc)
            return
        lists = [(i.name, i.count) for i in infos]
        self.app.call_from_thread(
            self.app.push_screen, ShortlistPicker(lists, self.list_name), self._picked)

    def _picked(self, name: str | None) -> None:
        if not name:
            return
        self.list_name = name
        self.api.shortlist_name = name
        self.query_one("#shortlist-table", FrameTable).loading = True
        self.load()
        self.notify(tr("Текущий список: «{n}»", "Current list: “{n}”", n=shortlist_title(name)),
                    timeout=3)
        self.post_message(self.Changed(name))

    def action_export(self) -> None:
        if self.data is None:
            return
        if self.api.read_only:   # a served console writes no file on the server
            self.notify(self.api.read_only_message(), severity="warning", markup=False, timeout=5)
            return
        from sferum_tui.service.filters import FilterSpec
        from sferum_tui.tui.export_dialog import ExportDialog

        self.app.push_screen(ExportDialog(self.api, self.data.frame, self.data.week,
                                          FilterSpec().describe(shortlist=self.data.title)))

    def action_copy(self) -> None:
        if self.data is None:
            return
        if len(self.data.frame) == 0:
            self.notify(tr("Список пуст: копировать нечего", "The list is empty: nothing to copy"),
                        severity="warning", timeout=4)
            return
        text = shortlist_text(self.data.frame)
        self.app.copy_to_clipboard(text)
        n = len(self.data.frame)
        self.notify(tr("Скопировано в буфер обмена: {n} (вставьте в письмо)",
                       "Copied to the clipboard: {n} (paste it into a letter)",
                       n=_orgs(n)), timeout=5)

    @on(FrameTable.RowSelected, "#shortlist-table")
    def _open(self, event: FrameTable.RowSelected) -> None:
        event.stop()
        if event.key is None or self.data is None:
            return
        # back from the school (where space may have unmarked it): show the list as it is now
        open_school_screen(self.app, self.api, int(event.key), self.data.week_id,
                           lambda _result: self.load() if self.is_attached else None)


def _orgs(n: int) -> str:
    from sferum_tui.service.vocab import orgs as orgs_phrase

    return orgs_phrase(n)
