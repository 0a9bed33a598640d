"""Open and import a weekly file from the console (``ctrl+o``).

1. A file picker: Textual's ``DirectoryTree``, starting in the folder used last (kept in the UI
   state file) or the home folder, showing folders and the readable files only (.xlsx, .xls,
   .ods, .csv).
2. ``Enter`` on a file: the reader runs in a worker thread and the dialog shows what it
   understood — the period and where it came from, the organisations, how many columns were
   mapped, skipped rows, warnings: the data ``sferum-tui inspect`` shows.  A file without a
   period in it gets a field for the week's start date.
3. ``Импорт`` (or ``ctrl+s``): the import runs through ``ConsoleAPI.import_file`` (the same steps
   as ``sferum-tui import``).  A failure is one line in the dialog, which stays open; success
   closes it with the snapshot, and the main screen shows the new week.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, DirectoryTree, Input, Label, Static

from sferum_tui.i18n import tr
from sferum_tui.service.vocab import integer as format_int
from sferum_tui.tui.help import install_bindings

if TYPE_CHECKING:
    from sferum_tui.service.console import ConsoleAPI
    from sferum_tui.tui.state import UIState

__all__ = ["ImportScreen", "WeeklyFileTree", "SUFFIXES", "preview_text"]

SUFFIXES = (".xlsx", ".xls", ".ods", ".csv")


class WeeklyFileTree(DirectoryTree):
    """Folders and weekly files only (no hidden entries)."""

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        out = []
        for path in paths:
            if path.name.startswith("."):
                continue
            try:
                if path.is_dir() or path.suffix.lower() in SUFFIXES:
                    out.append(path)
            except OSError:
                continue
        return out


def preview_text(result: Any) -> str:
    """What the reader understood, in a few lines (the ``inspect`` report, condensed)."""
    origin = {"title": tr("из заголовка", "from the title"),
              "filename": tr("из имени файла", "from the file name"),
              "option": tr("указан вручную", "given by hand"),
              "sheet": tr("из имени листа", "from the sheet name")}
    lines = []
    where = result.file_format + (f", {tr('лист', 'sheet')} «{result.sheet}»" if result.sheet else "")
    lines.append(f"{tr('Файл', 'File')}: {Path(str(result.source)).name}  [{where}]")
    if result.period is not None:
        lines.append(f"{tr('Период', 'Period')}: {result.period.start:%d.%m.%Y} – "
                     f"{result.period.end:%d.%m.%Y} ({origin.get(result.period_origin, '')})")
    else:
        lines.append(tr("Период: не найден — укажите начало недели ниже",
                        "Period: not found — give the week's start below"))
    rows = result.rows
    statuses = [r.get("status") for r in rows]
    lines.append(tr("Организаций: {n}; активны: {a}; не активны: {i}; строк пропущено: {s}",
                    "Organisations: {n}; active: {a}; inactive: {i}; rows skipped: {s}",
                    n=format_int(len(rows)), a=format_int(statuses.count("active")),
                    i=format_int(statuses.count("inactive")), s=format_int(len(result.skipped))))
    mapped = [h for h, f in result.columns.items() if f]
    unused = [h for h, f in result.columns.items() if not f and str(h).strip()]
    lines.append(tr("Столбцы: распознано {m} из {n}", "Columns: {m} of {n} mapped",
                    m=len(mapped), n=len(result.columns))
                 + (tr("; не используются: {u}", "; not used: {u}",
                       u=", ".join(f"«{u}»" for u in unused[:4]) + ("…" if len(unused) > 4 else ""))
                    if unused else ""))
    for warning in result.warnings[:4]:
        lines.append(f"! {warning}")
    if len(result.warnings) > 4:
        lines.append(tr("… и ещё предупреждений: {n}", "… and {n} more warnings",
                        n=len(result.warnings) - 4))
    for error in result.errors[:3]:
        lines.append(f"✗ {error}")
    return "\n".join(lines)


class ImportScreen(ModalScreen[Any]):
    """The import dialog; returns the imported (or already held) ``SnapshotInfo``, or None."""

    DEFAULT_CSS = """
    ImportScreen {
        align: center middle;
        & > Vertical {
            width: 96;
            max-width: 100%;
            height: 100%;
            max-height: 40;
            background: $surface;
            border: round $primary;
            border-title-color: $text-primary;
            padding: 0 1;
        }
        & WeeklyFileTree { height: 1fr; min-height: 4; border: none; }
        & #import-preview { height: auto; max-height: 9; color: $foreground; }
        & #import-error { height: auto; color: $text-error; }
        & #import-period { display: none; margin: 0; }
        & #import-period.-needed { display: block; }
        & Horizontal { height: auto; }
        & Horizontal { margin: 1 0 0 0; }
        & Horizontal Button { margin: 0 2 0 0; min-width: 10; }
        & #import-folder { margin: 0; }
    }
    """

    def __init__(self, api: "ConsoleAPI", ui_state: "UIState | None" = None,
                 start: str | Path | None = None) -> None:
        super().__init__()
        install_bindings(self, "import")
        self.api = api
        self.ui_state = ui_state
        folder = start or (ui_state.import_folder if ui_state is not None else None)
        path = Path(folder).expanduser() if folder else Path.home()
        self.start = path if path.is_dir() else Path.home()
        self.chosen: Path | None = None
        self.result: Any = None
        self.busy = False

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = tr("Открыть файл недели", "Open a weekly file")
            yield Label(tr("Путь (Ctrl+L — ввести, Enter — перейти); файлы .xlsx .xls .ods .csv",
                           "Path (Ctrl+L to type, Enter goes there); .xlsx .xls .ods .csv files"),
                        markup=False)
            yield Input(str(self.start), id="import-folder")
            yield WeeklyFileTree(self.start, id="import-tree")
            yield Static(tr("Выберите файл.", "Choose a file."), id="import-preview",
                         markup=False)
            yield Input(placeholder=tr("Начало недели ГГГГ-ММ-ДД (в файле его нет)",
                                       "The week's start YYYY-MM-DD (the file does not say)"),
                        id="import-period")
            yield Static("", id="import-error", markup=False)
            with Horizontal():
                yield Button(tr("Импорт", "Import"), id="import-run", variant="primary",
                             disabled=True, compact=True)
                yield Button(tr("Отмена", "Cancel"), id="import-cancel", compact=True)
                yield Checkbox(tr("Заменить уже загруженную неделю",
                                  "Replace a week already held"), id="import-replace",
                               compact=True)

    def on_mount(self) -> None:
        self.query_one(WeeklyFileTree).focus()
        self.query_one("#import-folder", Input).cursor_position = len(str(self.start))

    # -- choosing and checking ----------------------------------------------------------

    def action_focus_path(self) -> None:
        field = self.query_one("#import-folder", Input)
        field.focus()
        field.cursor_position = len(field.value)

    @on(Input.Submitted, "#import-folder")
    def _go(self, event: Input.Submitted) -> None:
        event.stop()
        path = Path(event.value.strip() or str(Path.home())).expanduser()
        if path.is_dir():
            self.query_one(WeeklyFileTree).path = path
            self.query_one(WeeklyFileTree).focus()
            self._error("")
        elif path.is_file():
            self.check(path)
        else:
            self._error(tr("{p}: нет такой папки или файла", "{p}: no such folder or file",
                           p=path))

    @on(DirectoryTree.FileSelected, "#import-tree")
    def _file_selected(self, event: DirectoryTree.FileSelected) -> None:
        event.stop()
        self.check(Path(event.path))

    def check(self, path: Path, period: str | None = None) -> None:
        self.chosen = path
        self.result = None
        self.query_one("#import-run", Button).disabled = True
        self._error("")
        self.query_one("#import-preview", Static).update(
            tr("Читаю {f}…", "Reading {f}…", f=path.name))
        self._inspect(path, period)

    @work(thread=True, exclusive=True, group="import-inspect", exit_on_error=False)
    def _inspect(self, path: Path, period: str | None) -> None:
        try:
            result = self.api.inspect_file(path, period)
        except Exception as exc:  # noqa: BLE001 - one line in the dialog
            self.app.call_from_thread(self._inspected, path, None, _one_line(exc))
            return
        self.app.call_from_thread(self._inspected, path, result, None)

    def _inspected(self, path: Path, result: Any, error: str | None) -> None:
        if not self.is_attached or path != self.chosen:
            return
        preview = self.query_one("#import-preview", Static)
        period_input = self.query_one("#import-period", Input)
        if error is not None:
            preview.update(tr("Файл не прочитан.", "The file was not read."))
            self._error(error)
            return
        self.result = result
        preview.update(preview_text(result))
        needs_period = result.period is None
        period_input.set_class(needs_period or period_input.value.strip() != "", "-needed")
        run = self.query_one("#import-run", Button)
        run.disabled = bool(result.errors) or not len(result.rows)
        if result.errors:
            self._error(result.errors[0])
        elif not len(result.rows):
            self._error(tr("{f}: в файле не найдено ни одной организации",
                           "{f}: no organisation was found in the file", f=path.name))
        if needs_period:
            period_input.focus()
        elif not run.disabled:
            run.focus()

    @on(Input.Submitted, "#import-period")
    def _period_given(self, event: Input.Submitted) -> None:
        if self.chosen is not None:
            self.check(self.chosen, event.value.strip() or None)

    def _error(self, text: str) -> None:
        self.query_one("#import-error", Static).update(text)

    # -- importing ------------------------------------------------------------------------

    @on(Button.Pressed, "#import-run")
    def _run_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_run()

    @on(Button.Pressed, "#import-cancel")
    def _cancel_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_cancel()

    def action_run(self) -> None:
        if self.busy or self.chosen is None or self.result is None \
                or self.query_one("#import-run", Button).disabled:
            return
        self.busy = True
        self._error("")
        self.query_one("#import-run", Button).disabled = True
        period = self.query_one("#import-period", Input).value.strip() or None
        replace = self.query_one("#import-replace", Checkbox).value
        self._import(self.chosen, period, replace)

    @work(thread=True, exclusive=True, group="import-run", exit_on_error=False)
    def _import(self, path: Path, period: str | None, replace: bool) -> None:
        try:
            outcome = self.api.import_file(path, period=period, replace=replace)
        except Exception as exc:  # noqa: BLE001 - one line in the dialog, the store unchanged
            self.app.call_from_thread(self._done, path, None, _one_line(exc))
            return
        self.app.call_from_thread(self._done, path, outcome, None)

    def _done(self, path: Path, outcome: Any, error: str | None) -> None:
        self.busy = False
        if not self.is_attached:
            return
        if outcome is None:
            self._error(error or "?")
            self.query_one("#import-run", Button).disabled = False
            return
        if self.ui_state is not None:
            self.ui_state.import_folder = str(path.parent)
        self.notify(f"{path.name}: {outcome.message}", title=tr("Импорт", "Import"),
                    markup=False, timeout=8)
        self.dismiss(outcome.snapshot)

    def action_cancel(self) -> None:
        self.dismiss(None)


def _one_line(exc: Exception) -> str:
    text = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return " ".join(str(text).split())
