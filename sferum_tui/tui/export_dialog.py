"""``ExportDialog``: write the table the user is looking at to a file, through the core's exporter.

Pushed as ``ExportDialog(api, df, week_label, filter_text)``:

* ``df`` — the rows to export as the core gives them (a week table, filtered, or a shortlist
  joined to the week's figures); the dialog never changes it;
* ``week_label`` — the week: a ``SnapshotInfo`` (best), the console's ``WeekData``, a
  ``(start, end)`` pair, or the label text («15.04–21.04.2023»);
* ``filter_text`` — the filter in words, written into the file's header.

The user picks a format (XLSX, the default; CSV for Russian Excel; Markdown; JSON) and a path;
the default is ``<Downloads or the current folder>/sferum-<week>-<filter>.<ext>`` and its
extension follows the format (a path typed with a known extension picks that format).  CSV
goes through the one CSV writer: ``;`` and a decimal comma unless the box is cleared (then
``,`` and a decimal point).  The file is written by :func:`sferum_tui.core.outputs.export.export` in a thread worker; the
notification names the full path.  An existing file is replaced only after a second press; any
error is a notification and the dialog stays open.  In a browser (``textual serve``) the file
is also handed to the user with ``App.deliver_binary``.

The dialog is dismissed with the ``Path`` written, or ``None`` when cancelled.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, RadioButton, RadioSet, Static

from sferum_tui.i18n import tr
from sferum_tui.service.vocab import fold
from sferum_tui.tui.help import install_bindings

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ExportDialog", "EXPORT_FORMATS", "default_export_path", "slug"]

#: (format key of core.export, label, extension)
EXPORT_FORMATS: tuple[tuple[str, str, str], ...] = (
    ("xlsx", "XLSX", "xlsx"),
    ("csv", "CSV (Excel)", "csv"),
    ("md", "Markdown", "md"),
    ("json", "JSON", "json"),
)
_EXTENSIONS = {f".{ext}" for _, _, ext in EXPORT_FORMATS}
DEFAULT_FORMAT = "xlsx"


def slug(text: str, limit: int = 40) -> str:
    """A file-name-safe piece of ``text``: lower case, letters (Cyrillic kept), digits, dots and
    hyphens; everything else becomes one hyphen."""
    text = fold(str(text or ""))
    text = re.sub(r"[^\w.]+", "-", text, flags=re.UNICODE).replace("_", "-")
    text = re.sub(r"-{2,}", "-", text).strip("-.")
    return text[:limit].rstrip("-.")


def _downloads_dir() -> Path:
    """The user's Downloads folder when it exists (a desktop), else the current folder (a
    server reached over SSH)."""
    try:
        import platformdirs

        folder = Path(platformdirs.user_downloads_dir())
    except Exception:  # noqa: BLE001 - no platform folder: use the current one
        folder = None
    if folder is not None and folder.is_dir():
        return folder
    return Path.cwd()


def _week_text(week: Any) -> str:
    if week is None:
        return ""
    if isinstance(week, str):
        return week
    for attr in ("label", "period_label"):
        value = getattr(week, attr, None)
        if isinstance(value, str):
            return value
    info = getattr(week, "info", None)
    if info is not None:
        return _week_text(info)
    if isinstance(week, (tuple, list)) and len(week) == 2:
        from sferum_tui.service.vocab import period as format_period

        return format_period(week[0], week[1])
    return str(week)


def default_export_path(week: Any, filter_text: str, ext: str, folder: Path | None = None) -> Path:
    """``<folder>/sferum-<week>-<filter>.<ext>`` (Downloads or the current folder by default)."""
    parts = ["sferum", slug(_week_text(week)), slug(filter_text)]
    name = "-".join(p for p in parts if p) + f".{ext}"
    return (folder or _downloads_dir()) / name


def _shown(path: Path) -> str:
    """A path as the user reads it: ``~/…`` under the home folder."""
    try:
        home = Path.home()
        return "~/" + str(path.relative_to(home)) if path.is_relative_to(home) else str(path)
    except (RuntimeError, ValueError):
        return str(path)


class ExportDialog(ModalScreen["Path | None"]):
    """Choose a format and a path, then export through the core (see the module docstring)."""

    DEFAULT_CSS = """
    ExportDialog {
        align: center middle;
        background: $background 60%;
    }
    ExportDialog > #export-box {
        width: 76;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        padding: 1 2;
        border: round $primary;
        background: $surface;
    }
    ExportDialog #export-title {
        text-style: bold;
        width: 1fr;
    }
    ExportDialog #export-about {
        color: $foreground-muted;
        margin: 0 0 1 0;
    }
    ExportDialog RadioSet {
        width: 1fr;
        layout: horizontal;
        height: auto;
        margin: 0 0 1 0;
    }
    ExportDialog RadioSet > RadioButton {
        width: auto;
        margin: 0 2 0 0;
    }
    ExportDialog #export-comma {
        margin: 0 0 1 0;
    }
    ExportDialog #export-path {
        width: 1fr;
    }
    ExportDialog #export-status {
        height: auto;
        color: $text-warning;
    }
    ExportDialog #export-buttons {
        height: auto;
        align-horizontal: right;
    }
    ExportDialog #export-buttons Button {
        margin: 0 0 0 2;
        min-width: 12;
    }
    """

    def __init__(
        self,
        api: Any,
        df: "pd.DataFrame",
        week_label: Any = None,
        filter_text: str = "",
        *,
        fmt: str = DEFAULT_FORMAT,
        folder: str | os.PathLike | None = None,
        name: str | None = None,
        id: str | None = None,  # noqa: A002 - Textual's name
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        install_bindings(self, "export")
        self.api = api
        self.df = df
        self.week_label = week_label
        self.filter_text = filter_text or ""
        self.fmt = fmt if fmt in {f for f, _, _ in EXPORT_FORMATS} else DEFAULT_FORMAT
        self.folder = Path(folder).expanduser() if folder is not None else None
        self._confirm_replace: Path | None = None
        self._busy = False
        self.written: Path | None = None

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        from sferum_tui.service.vocab import orgs as orgs_phrase

        ext = dict((f, e) for f, _, e in EXPORT_FORMATS)[self.fmt]
        path = default_export_path(self.week_label, self.filter_text, ext, self.folder)
        week = _week_text(self.week_label) or tr("неделя не указана", "no week given")
        with Vertical(id="export-box"):
            yield Label(tr("Выгрузка таблицы", "Export the table"), id="export-title")
            yield Static(
                tr("{n} · неделя {w} · {f}", "{n} · week {w} · {f}",
                   n=orgs_phrase(len(self.df)), w=week,
                   f=self.filter_text or tr("все организации", "all organisations")),
                id="export-about", markup=False)
            with RadioSet(id="export-format", compact=True):
                for key, label, _ in EXPORT_FORMATS:
                    yield RadioButton(label, value=key == self.fmt, id=f"fmt-{key}")
            yield Checkbox(tr("CSV: «;» и десятичная запятая (русский Excel)",
                              "CSV: “;” and decimal commas (Russian Excel)"),
                           value=True, id="export-comma", compact=True,
                           disabled=self.fmt != "csv")
            yield Label(tr("Файл:", "File:"))
            yield Input(_shown(path), id="export-path",
                        placeholder=tr("путь к файлу", "path of the file"))
            yield Static("", id="export-status", markup=False)
            with Horizontal(id="export-buttons"):
                yield Button(tr("Выгрузить", "Export"), variant="primary", id="export-run",
                             compact=True)
                yield Button(tr("Отмена", "Cancel"), id="export-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#export-path", Input).focus()

    # ------------------------------------------------------------------ state

    @property
    def path_text(self) -> str:
        return self.query_one("#export-path", Input).value.strip()

    def _status(self, text: str) -> None:
        self.query_one("#export-status", Static).update(text)

    @on(RadioSet.Changed, "#export-format")
    def _format_changed(self, event: RadioSet.Changed) -> None:
        event.stop()
        button_id = event.pressed.id or ""
        self.fmt = button_id.removeprefix("fmt-") or DEFAULT_FORMAT
        ext = dict((f, e) for f, _, e in EXPORT_FORMATS)[self.fmt]
        field = self.query_one("#export-path", Input)
        text = field.value.strip()
        if text:
            path = Path(text)
            if path.suffix.lower() in _EXTENSIONS or not path.suffix:
                field.value = str(path.with_suffix(f".{ext}"))
        self.query_one("#export-comma", Checkbox).disabled = self.fmt != "csv"
        self._confirm_replace = None
        self._status("")

    @on(Input.Changed, "#export-path")
    def _path_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._confirm_replace = None
        self._status("")

    @on(Input.Submitted, "#export-path")
    def _path_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_export()

    @on(Button.Pressed, "#export-run")
    def _run_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_export()

    @on(Button.Pressed, "#export-cancel")
    def _cancel_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_cancel()

    # ------------------------------------------------------------------ actions

    def action_cancel(self) -> None:
        if not self._busy:
            self.dismiss(None)

    def action_export(self) -> None:
        if self._busy:
            return
        text = self.path_text
        if not text:
            self._status(tr("Укажите путь к файлу", "Give the path of the file"))
            return
        path = Path(text).expanduser()
        if not path.is_absolute():
            path = Path.cwd() / path
        if path.is_dir():
            self._status(tr("Это папка: допишите имя файла", "That is a folder: add a file name"))
            return
        if path.exists() and self._confirm_replace != path:
            self._confirm_replace = path
            self._status(tr("Файл уже есть. Нажмите «Выгрузить» ещё раз, чтобы заменить его.",
                            "The file exists. Press Export again to replace it."))
            return
        from sferum_tui.service.outputs import format_for_path

        fmt = format_for_path(path) if path.suffix.lower() in _EXTENSIONS else None
        fmt = fmt or self.fmt  # «list.csv» typed over the default «….xlsx» writes CSV
        self._busy = True
        self._status(tr("Выгружаю…", "Exporting…"))
        comma = self.query_one("#export-comma", Checkbox).value
        self.run_export(path, fmt, comma)

    @work(thread=True, exclusive=True, group="export")
    def run_export(self, path: Path, fmt: str, decimal_comma: bool) -> None:
        from sferum_tui.service.outputs import export

        try:
            week = self._week_for_export()
            result = export(self.df, path, fmt, week=week, filter_text=self.filter_text,
                            decimal_comma=decimal_comma)
        except Exception as exc:  # noqa: BLE001 - a full disk, no rights…: say so, stay open
            self.app.call_from_thread(self._failed, exc)
            return
        self.app.call_from_thread(self._done, Path(result.path or path))

    def _week_for_export(self) -> Any:
        """What ``core.export`` takes as the week: a SnapshotInfo when one can be found."""
        week = self.week_label
        if week is None or hasattr(week, "period_start"):
            return week
        info = getattr(week, "info", None)
        if info is not None and hasattr(info, "period_start"):
            return info
        if isinstance(week, (tuple, list)):
            return week
        text = str(week)
        snapshots = getattr(self.api, "snapshots", None)
        try:
            snaps = snapshots() if callable(snapshots) else self.api.store.snapshots()
        except Exception:  # noqa: BLE001 - the export works without the week's dates too
            snaps = []
        for snap in snaps:
            if snap.period_label == text:
                return snap
        return None

    def _failed(self, exc: Exception) -> None:
        self._busy = False
        message = str(exc) or type(exc).__name__
        if self.is_attached:
            self._status(message)
        self.app.notify(tr("Не удалось выгрузить: {e}", "Export failed: {e}", e=message),
                        severity="error", timeout=10)

    def _done(self, path: Path) -> None:
        self._busy = False
        self.written = path
        full = str(path.resolve())
        self.app.notify(tr("Выгружено: {p}", "Exported: {p}", p=full),
                        title=tr("Выгрузка", "Export"), timeout=10)
        if self.app.is_web:
            try:
                self.app.deliver_binary(path, save_filename=path.name)
            except Exception:  # noqa: BLE001 - the file is on the server all the same
                pass
        if self.is_attached:
            self.dismiss(path)
