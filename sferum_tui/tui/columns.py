"""The column chooser (``h`` on the main screen): show, hide and reorder the schools table's
columns.

A modal list of every column, the shown ones ticked, in the table's order: ``space`` ticks or
unticks, ``Shift+↑``/``Shift+↓`` (or ``K``/``J``) move the column, ``Enter`` applies, ``Esc``
closes without a change.  The organisation's name is always shown and always first (it is the
table's fixed column).  It returns the new order of the shown columns' keys (or ``None``); the
main screen applies it and saves it in the UI state file (:mod:`sferum_tui.tui.state`).
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from sferum_tui.i18n import tr
from sferum_tui.tui.help import install_bindings

__all__ = ["ColumnChooser", "FIXED"]

FIXED = "org_name"


class ColumnChooser(ModalScreen["tuple[str, ...] | None"]):
    """``columns``: (key, title) of every column in the current order; ``shown``: the keys
    shown now."""

    DEFAULT_CSS = """
    ColumnChooser {
        align: center middle;
        & > Vertical {
            width: 56;
            max-width: 100%;
            height: auto;
            max-height: 95%;
            background: $surface;
            border: round $primary;
            border-title-color: $text-primary;
            padding: 0 1;
        }
        & OptionList { height: auto; max-height: 18; border: none; padding: 0; }
        & .hint { color: $text-muted; height: auto; width: 100%; }
    }
    """

    def __init__(self, columns: list[tuple[str, str]], shown: set[str] | frozenset[str]) -> None:
        super().__init__()
        install_bindings(self, "columns")
        fixed = [c for c in columns if c[0] == FIXED]
        self.columns: list[tuple[str, str]] = fixed + [c for c in columns if c[0] != FIXED]
        self.shown: set[str] = set(shown) | {FIXED}

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = tr("Столбцы таблицы", "Table columns")
            yield OptionList(*self._options(), id="columns-list")
            yield Label(tr("␣ показать/скрыть · Shift+↑↓ переставить · Enter применить · "
                           "Esc отмена", "␣ show/hide · Shift+↑↓ move · Enter applies · "
                           "Esc cancels"), classes="hint", markup=False)

    def _prompt(self, key: str, title: str) -> Content:
        box = "[x]" if key in self.shown else "[ ]"
        extra = tr("  (всегда)", "  (always)") if key == FIXED else ""
        return Content(f"{box} {title}{extra}")  # plain text: «[x]» is not markup

    def _options(self) -> list[Option]:
        return [Option(self._prompt(key, title), id=key) for key, title in self.columns]

    def on_mount(self) -> None:
        olist = self.query_one(OptionList)
        olist.highlighted = 1 if len(self.columns) > 1 else 0
        olist.focus()

    @property
    def _list(self) -> OptionList:
        return self.query_one("#columns-list", OptionList)

    def result(self) -> tuple[str, ...]:
        return tuple(key for key, _ in self.columns if key in self.shown)

    def _redraw(self, highlighted: int) -> None:
        olist = self._list
        olist.set_options(self._options())
        olist.highlighted = highlighted

    def action_toggle(self) -> None:
        index = self._list.highlighted
        if index is None:
            return
        key = self.columns[index][0]
        if key == FIXED:
            self.app.bell()
            return
        self.shown ^= {key}
        self._list.replace_option_prompt_at_index(index, self._prompt(*self.columns[index]))

    def action_move(self, step: int) -> None:
        index = self._list.highlighted
        if index is None:
            return
        target = index + step
        if self.columns[index][0] == FIXED or not 1 <= target < len(self.columns):
            self.app.bell()
            return
        cols = self.columns
        cols[index], cols[target] = cols[target], cols[index]
        self._redraw(target)

    @on(OptionList.OptionSelected, "#columns-list")
    def _apply(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.result())

    def action_apply(self) -> None:
        self.dismiss(self.result())

    def action_cancel(self) -> None:
        self.dismiss(None)


def order_columns(columns: list[Any], keys: "tuple[str, ...] | None") -> list[Any]:
    """``columns`` (``Column`` objects) narrowed to ``keys`` in their order; all of them in
    their own order when ``keys`` is empty or None.  Unknown keys are skipped; the name stays
    first."""
    if not keys:
        return list(columns)
    by_key = {c.key: c for c in columns}
    ordered = [by_key[k] for k in keys if k in by_key]
    if FIXED in by_key and (not ordered or ordered[0].key != FIXED):
        ordered = [by_key[FIXED]] + [c for c in ordered if c.key != FIXED]
    return ordered
