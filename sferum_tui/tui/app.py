"""The console application: one factory (:func:`make_app`) for the CLI, the tests and
``textual serve``; the live watch on the store; fetching; the command palette; themes, keys and
the language.

``sferum-tui`` (no command) and ``sferum-tui demo`` call :func:`run_console`; tests call
``make_app(ctx).run_test(size=...)``; in a browser: ``textual serve "sferum-tui --demo"``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import partial
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import App, SystemCommand
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.message import Message
from textual.screen import Screen

from sferum_tui.i18n import get_language, set_language, tr
from sferum_tui.service.console import ConsoleAPI, StoreSignature, shortlist_title
from sferum_tui.service.vocab import threshold
from sferum_tui.tui.help import HelpScreen, install_bindings, keymap_from_config
from sferum_tui.tui.main_screen import MainScreen, MainState
from sferum_tui.tui.report_action import write_viewed_week_report
from sferum_tui.tui.widgets import StatusLine, language_name

if TYPE_CHECKING:
    from sferum_tui.service.config import Paths
    from sferum_tui.tui.state import UIState

__all__ = ["SferumApp", "make_app", "run_console", "SferumCommands"]

POLL_SECONDS = 2.0


# --------------------------------------------------------------------------- the palette


class SferumCommands(Provider):
    """The console's own commands in the palette (ctrl+p): filters, weeks, views, export,
    fetch, scope, language and themes."""

    def _commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        app: SferumApp = self.app  # type: ignore[assignment]
        out: list[tuple[str, str, Callable[[], Any]]] = []
        main = app.main_screen

        def on_main(method: str, *args: Any) -> Callable[[], None]:
            def run() -> None:
                screen = app.main_screen
                if screen is None:
                    return
                app.go_to_main()
                getattr(screen, method)(*args)
            return run

        if main is not None:
            f = main.state.filters
            on = tr("вкл.", "on")
            off = tr("выкл.", "off")
            hints = main._key_hints()   # the keys as bound now ([keys] remaps included)

            def key(binding_id: str, default: str) -> str:
                return hints.get(binding_id, default)

            for name, binding_id, ru, en in (
                ("inactive", "filter_inactive", "Фильтр: неактивные", "Filter: inactive"),
                ("low_messaging", "filter_low", "Фильтр: мало пишут (< {p})",
                 "Filter: low messaging (< {p})"),
                ("unregistered", "filter_unregistered", "Фильтр: не все сотрудники зарегистрированы",
                 "Filter: staff not fully registered"),
                ("missing", "filter_missing", "Фильтр: нет в файле недели",
                 "Filter: missing from the week"),
                ("changed", "filter_changed", "Фильтр: изменились за неделю",
                 "Filter: changed since last week"),
                ("disagrees", "filter_disagrees", "Фильтр: статус ≠ правило",
                 "Filter: status ≠ rule"),
            ):
                state = on if getattr(f, name) else off
                title = tr(ru, en, p=threshold(app.api.low_threshold)) + f" [{state}]"
                out.append((title, tr("{k} — включить или выключить", "{k} toggles it",
                                      k=key(binding_id, "?")),
                            on_main("action_toggle_filter", name)))
            out += [
                (tr("Фильтр: муниципалитет…", "Filter: municipality…"),
                 tr("{k} — выбрать муниципалитет", "{k} picks a municipality",
                    k=key("filter_municipality", "u")),
                 on_main("action_pick_municipality")),
                (tr("Поиск по наименованию или ИНН", "Search by name or ИНН"),
                 key("search", "/"), on_main("action_search")),
                (tr("Порог «мало пишут»…", "Low-messaging threshold…"),
                 tr("{k} · сейчас {p}", "{k} · now {p}", k=key("threshold", "t"),
                    p=threshold(app.api.low_threshold)),
                 on_main("action_set_threshold")),
                (tr("Сбросить все фильтры", "Clear all filters"), key("filters_clear", "0"),
                 on_main("action_clear_filters")),
                (tr("Неделя: предыдущая", "Week: previous"), "[", on_main("action_week", -1)),
                (tr("Неделя: следующая", "Week: next"), "]", on_main("action_week", 1)),
                (tr("Неделя: выбрать…", "Week: pick…"), "p", on_main("action_pick_week")),
                (tr("Муниципалитеты (сводка, худшие сверху)", "Municipalities (worst first)"),
                 "m", on_main("action_rollup")),
                (tr("Изменения за неделю", "Changes this week"), "d", on_main("action_changes")),
                (tr("Сортировка…", "Sort by…"), "s", on_main("action_sort")),
                (tr("Отметить школу в список", "Mark the school into the list"), "space",
                 on_main("action_mark")),
                (tr("Список «{n}»", "List “{n}”", n=shortlist_title(app.api.shortlist_name)),
                 tr("Отмеченные школы", "The marked schools"), on_main("action_shortlist")),
                (tr("Выгрузить таблицу (CSV, XLSX, Markdown)…", "Export the table (CSV, XLSX, Markdown)…"),
                 "e", on_main("action_export")),
                (tr("Отчёт недели для совещания (HTML)", "The week's meeting report (HTML)"),
                 tr("Записать в папку выгрузок", "Write it to the exports folder"),
                 partial(write_viewed_week_report, app)),
                (tr("Копировать отмеченные в буфер обмена", "Copy the marked schools to the clipboard"),
                 "y", on_main("action_copy")),
                (tr("Своя территория / все данные", "My area / all data"),
                 tr("Сейчас: {s}", "Now: {s}", s=app.api.scope_label()),
                 on_main("action_toggle_scope")),
            ]
        if main is not None:
            out.append((tr("Открыть и импортировать файл…", "Open and import a file…"), "ctrl+o",
                        on_main("action_import_file")))
            out.append((tr("Столбцы таблицы…", "Table columns…"), "h", on_main("action_columns")))
            out.append((tr("«Почему отстаёт» целиком", "“Why it lags” in full"), "z",
                        on_main("action_toggle_reasons")))
        if app.ui_state is not None:
            state = tr("вкл.", "on") if app.remember else tr("выкл.", "off")
            out.append((tr("Запоминать неделю, сортировку и фильтры", "Remember the week, sort "
                           "and filters") + f" [{state}]",
                        tr("Между сеансами", "Between sessions"), app.toggle_remember))
        out.append((tr("Загрузить новые данные сейчас", "Fetch new data now"),
                    tr("Из источников в настройках", "From the sources in the config"),
                    app.start_fetch))
        other = "en" if get_language() == "ru" else "ru"
        out.append((tr("Язык: English", "Language: Русский"),
                    tr("Сменить язык интерфейса", "Switch the interface language"),
                    partial(app.switch_language, other)))
        for name in palette_themes(app):
            out.append((tr("Тема: {t}", "Theme: {t}", t=name),
                        tr("Оформление консоли", "Console colours"),
                        partial(app.set_theme_by_name, name)))
        out.append((tr("Справка", "Help"), "F1", app.action_help))
        return out

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)


def palette_themes(app: App) -> list[str]:
    """The themes the palette lists, in :func:`~sferum_tui.tui.themes.theme_order` (ours and
    ``ansi-dark`` for 16 colours, then the user's); Textual's ~20 stock themes only when the
    config says ``[ui] stock_themes = true``."""
    from textual.theme import BUILTIN_THEMES

    from sferum_tui.tui.themes import theme_order

    names = theme_order(app.available_themes)
    cfg = getattr(getattr(app, "api", None), "cfg", None)
    if cfg is not None and cfg.ui.stock_themes:
        return names
    return [n for n in names if n not in BUILTIN_THEMES or n == "ansi-dark"]


# --------------------------------------------------------------------------- the app


class SferumApp(App[int]):
    """The console."""

    CSS_PATH = "app.tcss"
    TITLE = "sferum-tui"
    COMMANDS = App.COMMANDS | {SferumCommands}
    COMMAND_PALETTE_BINDING = "ctrl+p"

    class StoreChanged(Message):
        def __init__(self, arrived: list, replaced: list, changed: bool, empty: bool) -> None:
            super().__init__()
            self.arrived = arrived
            self.replaced = replaced
            self.changed = changed
            self.empty = empty

    class FetchProgress(Message):
        def __init__(self, event: Any) -> None:
            super().__init__()
            self.event = event

    class FetchDone(Message):
        def __init__(self, report: Any, error: str | None, quiet: bool = False) -> None:
            super().__init__()
            self.report = report
            self.error = error
            self.quiet = quiet

    def __init__(self, api: ConsoleAPI, *, theme: str | None = None,
                 keys: dict[str, str] | None = None, poll_seconds: float = POLL_SECONDS,
                 ui_state: "UIState | None" = None) -> None:
        super().__init__()
        self.api = api
        self.ui_state = ui_state
        """The UI state file's content (columns, remembered views); None: not read or written."""
        self._view_state: MainState | None = None
        self.requested_theme = theme
        self.config_keys = dict(keys or {})
        self.poll_seconds = poll_seconds
        self._signature: StoreSignature | None = None
        self._fetch_cancel: threading.Event | None = None
        self.fetching = False
        install_bindings(self, "app")

    # -- start-up ---------------------------------------------------------------------------

    def on_mount(self) -> None:
        from sferum_tui.tui.themes import install_themes

        install_themes(self, self.requested_theme, self.api.paths.themes_dir)
        keymap, unknown = keymap_from_config(self.config_keys)
        if keymap:
            self.set_keymap(keymap)
        if unknown:
            self.notify(tr("В настройках [keys] неизвестные действия: {k}. См. F1, раздел "
                           "«id клавиш».",
                           "Unknown actions in the config's [keys]: {k}. See F1, “key ids”.",
                           k=", ".join(unknown)), severity="warning", markup=False, timeout=10)
        self._signature = self.api.signature()  # two stat() calls: the baseline for the watch
        self.push_screen(MainScreen(self.api, self.remembered_state()))
        if self.api.read_only:
            self.notify(self.api.read_only_message(), severity="warning", markup=False,
                        timeout=10)
        elif self.api.store.read_only:
            self.notify(tr("Хранилище только для чтения: просмотр работает, импорт и списки — нет.",
                           "The store is read-only: viewing works, importing and lists do not."),
                        severity="warning", markup=False, timeout=10)
        self.set_interval(self.poll_seconds, self.check_store, name="store-watch")
        minutes = float(getattr(self.api.cfg.fetch, "auto_interval_minutes", 0) or 0)
        if minutes > 0 and self.api.has_sources() and not self.api.read_only:
            self.set_interval(minutes * 60.0, partial(self.start_fetch, quiet=True),
                              name="auto-fetch")

    def on_unmount(self) -> None:
        if self._fetch_cancel is not None:
            self._fetch_cancel.set()
        self.save_ui_state()
        self.api.close()

    def _handle_exception(self, error: Exception) -> None:
        """A bug (Textual's hook for an exception nobody caught): the traceback goes to the log
        (sferum_tui/logs.py) and the user sees one line naming it.  A failed worker leaves the
        console usable, so it is a notification; a failed handler has stopped its widget, so
        the console closes with that line (exit code 1) instead of a screen of traceback."""
        from textual.worker import WorkerFailed

        from sferum_tui import logs

        cause = error.error if isinstance(error, WorkerFailed) else error
        line = logs.report_unexpected(cause, "the console")
        if isinstance(error, WorkerFailed) and not self._exit:
            self.notify(line, title=tr("Ошибка", "Error"), severity="error", markup=False,
                        timeout=30)
            return
        if self._exception is None:   # Pilot tests re-raise it
            self._exception = error
            self._exception_event.set()
        from rich.text import Text

        self.exit(return_code=1, message=Text(f"sferum-tui: {line}"))   # no markup in it

    # -- the UI state between sessions (sferum_tui.tui.state) -------------------------------

    @property
    def remember(self) -> bool:
        """Remember the week, sort and filters between sessions (``[ui] remember``, or the
        palette's switch saved in the state file)."""
        if self.ui_state is None:
            return False
        if self.ui_state.remember is not None:
            return self.ui_state.remember
        return bool(getattr(self.api.cfg.ui, "remember", True))

    @property
    def table_columns(self) -> tuple[str, ...]:
        """The schools table's columns in order (empty: all): the chooser's, else the config's."""
        if self.ui_state is not None and self.ui_state.columns:
            return self.ui_state.columns
        return tuple(getattr(self.api.cfg.ui, "columns", ()) or ())

    def _saved_view(self) -> Any:
        """This store's view as the last session left it (None: none, or not remembering)."""
        if not self.remember:
            return None
        return self.ui_state.views.get(self.api.store_label)

    def remembered_week(self) -> int | None:
        """The week a remembered view opens (None: the latest)."""
        saved = self._saved_view()
        return saved.week_id if saved is not None else None

    def remembered_state(self) -> MainState | None:
        """The main screen's state as the last session left it (None: start afresh)."""
        saved = self._saved_view()
        if saved is None:
            return None
        if saved.threshold is not None:
            self.api.set_threshold(saved.threshold)
        # a week no longer held falls back to the latest when the view is loaded
        return MainState(week_id=saved.week_id, filters=saved.filters, sort=saved.sort,
                         follow_latest=saved.week_id is None, reasons=saved.wrap)

    def note_view_state(self, state: MainState) -> None:
        """The main screen's state object (kept across language switches) to save on quit."""
        self._view_state = state

    def save_ui_state(self) -> str | None:
        """Write the state file (on quit, and when the chooser or the switch change it)."""
        from sferum_tui.tui.state import SavedView, save_state

        if self.ui_state is None:
            return None
        home = self.api.store_label
        main = self.main_screen
        state = main.state if main is not None else self._view_state
        if not self.remember:
            self.ui_state.views.pop(home, None)
        elif state is not None:
            default = float(self.api.cfg.thresholds.low_messaging)
            threshold = self.api.low_threshold
            self.ui_state.views[home] = SavedView(
                week_id=None if state.follow_latest else state.week_id, sort=state.sort,
                filters=state.filters, wrap=state.reasons,
                threshold=None if abs(threshold - default) < 1e-12 else threshold)
        return save_state(self.api.paths.config_dir, self.ui_state)

    def set_table_columns(self, keys: tuple[str, ...]) -> None:
        """The column chooser's result: kept in the state file at once."""
        if self.ui_state is None:
            return
        self.ui_state.columns = tuple(keys)
        error = self.save_ui_state()
        if error:
            self.notify(error, title=tr("Выбор столбцов не сохранён", "The columns were not saved"),
                        severity="warning", markup=False, timeout=8)

    def toggle_remember(self) -> None:
        """The palette's switch: remember the view between sessions, or stop (and forget)."""
        if self.ui_state is None:
            return
        self.ui_state.remember = not self.remember
        error = self.save_ui_state()
        self.notify(error or (tr("Неделя, сортировка и фильтры будут восстановлены при запуске.",
                                 "The week, sort and filters will be restored at start.")
                              if self.remember else
                              tr("Вид не запоминается: консоль откроется с последней недели "
                                 "без фильтров.", "The view is not remembered: the console "
                                 "will open on the latest week, unfiltered.")),
                    severity="warning" if error else "information", markup=False, timeout=5)

    # -- screens ----------------------------------------------------------------------------

    @property
    def main_screen(self) -> MainScreen | None:
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        return None

    def go_to_main(self) -> None:
        """Close whatever is over the main screen."""
        main = self.main_screen
        if main is None:
            return
        while self.screen is not main and len(self.screen_stack) > 1:
            self.pop_screen()

    def show_welcome(self) -> None:
        from sferum_tui.tui.welcome import WelcomeScreen

        if isinstance(self.screen, WelcomeScreen):
            return
        self.go_to_main()
        self.switch_screen(WelcomeScreen(self.api))

    def open_demo(self, paths: "Paths") -> None:
        """Switch to the freshly built demo store (from the welcome screen)."""
        self.api.switch_home(paths, demo=True)
        self._signature = self.api.signature()
        self.notify(tr("Открыто демо-хранилище: данные синтетические. В следующий раз: "
                       "sferum-tui --demo",
                       "The demo store is open: the data is synthetic. Next time: "
                       "sferum-tui --demo"), markup=False, timeout=8)
        self.switch_screen(MainScreen(self.api))

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            self.pop_screen()
            return
        self.push_screen(HelpScreen())

    # -- the live watch ---------------------------------------------------------------------

    def check_store(self, force: bool = False) -> None:
        """Look for a new snapshot (called every ``poll_seconds``; cheap when nothing changed)."""
        self._watch(force)

    @work(thread=True, exclusive=True, group="store-watch", exit_on_error=False)
    def _watch(self, force: bool) -> None:
        signature = self.api.signature()
        if not force and signature == self._signature:
            return
        self._signature = signature
        try:
            arrived, replaced, changed = self.api.refresh()
            empty = self.api.is_empty()
        except Exception:  # noqa: BLE001 - a store mid-write: look again next time
            self._signature = None
            return
        # the file also changes for caches and marks: only a change of the weeks matters
        if changed or force:
            self.post_message(self.StoreChanged(arrived, replaced, changed, empty))

    def on_sferum_app_store_changed(self, message: StoreChanged) -> None:
        from sferum_tui.tui.welcome import WelcomeScreen

        if not self.screen_stack:  # closing down
            return
        for info in message.arrived:
            self.notify(tr("Пришла неделя {w}: {n}", "Week {w} arrived: {n}", w=info.period_label,
                           n=_orgs(info.rows)), title=tr("Новые данные", "New data"),
                        markup=False, timeout=8)
        for info in message.replaced:
            self.notify(tr("Неделя {w} обновлена: {n}", "Week {w} updated: {n}",
                           w=info.period_label, n=_orgs(info.rows)),
                        title=tr("Новые данные", "New data"), markup=False, timeout=8)
        if isinstance(self.screen, WelcomeScreen) and not message.empty:
            self.switch_screen(MainScreen(self.api))
            return
        main = self.main_screen
        if main is None:
            return
        if message.empty:
            self.show_welcome()
        elif message.changed:
            main.store_changed(message.arrived, message.replaced)

    # -- fetching ---------------------------------------------------------------------------

    def start_fetch(self, quiet: bool = False) -> None:
        """``f``: one fetch pass in a worker, progress in the status line, result notified."""
        if self.api.read_only:
            if not quiet:
                self.notify(self.api.read_only_message(), severity="warning", markup=False,
                            timeout=5)
            return
        if self.fetching:
            if not quiet:
                self.notify(tr("Загрузка уже идёт.", "A fetch is already running."), timeout=3)
            return
        if not self.api.has_sources():
            if not quiet:
                self.notify(tr(
                    "Источники не заданы. Добавьте [[sources]] со ссылкой cloud.mail.ru в "
                    "настройки (sferum-tui config path) или загрузите файл: sferum-tui import ФАЙЛ",
                    "No sources configured. Add [[sources]] with the cloud.mail.ru link to the "
                    "config (sferum-tui config path), or import a file: sferum-tui import FILE"),
                    title=tr("Загрузка", "Fetch"), severity="warning", markup=False, timeout=12)
            return
        self.fetching = True
        self._status(tr("Загрузка: проверяю источники…", "Fetch: checking the sources…"))
        self._fetch(quiet)

    @work(thread=True, exclusive=True, group="fetch", exit_on_error=False)
    def _fetch(self, quiet: bool) -> None:
        cancel = threading.Event()
        self._fetch_cancel = cancel
        try:
            report = self.api.fetch(on_event=lambda ev: self.post_message(self.FetchProgress(ev)),
                                    cancel=cancel)
        except Exception as exc:  # noqa: BLE001 - a bad request is one line
            self.post_message(self.FetchDone(None, getattr(exc, "message", None) or str(exc),
                                             quiet))
            return
        self.post_message(self.FetchDone(report, None, quiet))

    def on_sferum_app_fetch_progress(self, message: FetchProgress) -> None:
        ev = message.event
        if ev.kind == "progress":
            if ev.total:
                pct = 100 * ev.done / ev.total
                text = tr("Загрузка {f}: {p:.0f}% из {t}", "Fetching {f}: {p:.0f}% of {t}",
                          f=ev.file, p=pct, t=_size(ev.total))
            else:
                text = tr("Загрузка {f}: {d}", "Fetching {f}: {d}", f=ev.file, d=_size(ev.done))
        elif ev.message:
            text = ev.message
        elif ev.kind == "source":
            text = tr("Загрузка: источник {s}", "Fetch: source {s}", s=ev.source)
        else:
            return
        self._status(text)

    def on_sferum_app_fetch_done(self, message: FetchDone) -> None:
        self.fetching = False
        self._fetch_cancel = None
        self._status(None)
        if message.report is None:
            self.notify(message.error or "?", title=tr("Загрузка не удалась", "Fetch failed"),
                        severity="error", markup=False, timeout=12)
            return
        report = message.report
        if message.quiet and not report.new and not report.errors:
            return  # the automatic fetch found nothing new: nothing to say
        text = report.summary()
        if report.errors:
            text += "\n" + "\n".join(report.errors[:3])
        severity = "error" if report.errors else "information"
        self.notify(text, title=tr("Загрузка", "Fetch"), severity=severity, markup=False,
                    timeout=12 if report.errors else 6)
        self.check_store(force=True)

    def _status(self, text: str | None) -> None:
        for screen in self.screen_stack:
            for line in screen.query(StatusLine):
                line.say(text)

    # -- look and language ------------------------------------------------------------------

    def set_theme_by_name(self, name: str) -> None:
        from sferum_tui.tui.themes import apply_theme

        apply_theme(self, name)

    def switch_language(self, lang: str) -> None:
        """Switch the interface language: the screens are rebuilt in place, state kept."""
        self.call_after_refresh(self._switch_language, lang)

    def _switch_language(self, lang: str) -> None:
        from sferum_tui.tui.welcome import WelcomeScreen

        set_language(lang)   # the default list keeps its one name: marks survive the switch
        self.api.invalidate()  # reasons and titles from the core are in the old language
        from sferum_tui.tui.school import drop_kept_school

        drop_kept_school(self)  # its tabs and titles are in the old language
        install_bindings(self, "app")  # the keymap (by binding id) still applies
        main = self.main_screen
        if main is not None:
            state: MainState = main.state
            self.go_to_main()
            self.switch_screen(MainScreen(self.api, state))
        elif isinstance(self.screen, WelcomeScreen):
            self.switch_screen(WelcomeScreen(self.api))
        self.refresh_bindings()
        self.notify(tr("Язык: {l}", "Language: {l}", l=language_name(lang)), timeout=3,
                    markup=False)

    def action_command_palette(self) -> None:
        """ctrl+p: Textual's palette, its prompt in the interface language."""
        from textual.command import CommandPalette

        if self.use_command_palette and not CommandPalette.is_open(self):
            self.push_screen(CommandPalette(id="--command-palette", placeholder=tr(
                "Команда: фильтр, неделя, выгрузка, тема, язык…",
                "A command: filter, week, export, theme, language…")))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        # keep Textual's own (theme, keys, screenshot, quit) but in our language where it matters
        for command in super().get_system_commands(screen):
            if command.title in ("Keys", "Maximize"):
                continue  # F1 is the console's key list; nothing here is worth maximising
            if command.title == "Screenshot":
                yield SystemCommand(tr("Снимок экрана", "Screenshot"),
                                    tr("Сохранить снимок экрана (SVG)",
                                       "Save an SVG screenshot of the screen"),
                                    command.callback)
            elif command.title == "Quit":
                yield SystemCommand(tr("Выход", "Quit"), tr("Закрыть консоль", "Close the console"),
                                    command.callback)
            elif command.title == "Theme":
                if not self.api.cfg.ui.stock_themes:
                    continue  # Textual's picker lists every stock theme; «Тема: …» lists ours
                yield SystemCommand(tr("Тема…", "Theme…"), tr("Выбрать оформление",
                                                               "Choose the colours"),
                                    command.callback)
            else:
                yield command


def _orgs(n: int) -> str:
    from sferum_tui.service.vocab import orgs as orgs_phrase

    return orgs_phrase(n)


def _size(n: int | None) -> str:
    from sferum_tui.service.acquire import format_size

    return format_size(n)


# --------------------------------------------------------------------------- the factory


def _default_context() -> Any:
    """What the CLI would build with no flags (for ``make_app()`` without a context)."""
    from sferum_tui.service.config import load_config, resolve_paths

    paths = resolve_paths(None, demo=bool(os.environ.get("SFERUM_TUI_DEMO")))
    lang = os.environ.get("SFERUM_TUI_LANG") or None
    return SimpleNamespace(paths=paths, lang=lang, demo=bool(os.environ.get("SFERUM_TUI_DEMO")),
                           theme=None, config=lambda: load_config(paths.config_file))


def make_app(ctx: Any = None, *, now: Callable[[], datetime] | None = None,
             poll_seconds: float = POLL_SECONDS, ui_state: bool = True,
             read_only: bool = False) -> SferumApp:
    """Build the console for a CLI context (or anything with ``paths``, ``lang``, ``demo``,
    ``theme`` and ``config()``), the tests and ``textual serve`` alike.

    A broken config raises its one-line ``ConfigError`` here, before any screen is drawn.
    ``now`` pins the clock (snapshot tests).  ``ui_state=False``: neither read nor write the
    UI state file (columns, remembered views; tests that share one store between runs).
    ``read_only``: the console refuses import, fetch and list changes in one line
    (``ConsoleAPI.read_only``).  The latest week starts being read on the
    store's thread at once, while Textual starts up.
    """
    ctx = ctx if ctx is not None else _default_context()
    if hasattr(ctx, "config"):
        cfg = ctx.config()
    else:
        from sferum_tui.service.config import load_config

        cfg = load_config(ctx.paths.config_file)
    lang = getattr(ctx, "lang", None) or getattr(cfg.ui, "language", None) or "ru"
    set_language(lang)
    theme = getattr(ctx, "theme", None) or cfg.ui.theme
    api = ConsoleAPI(ctx.paths, cfg, now=now, demo=bool(getattr(ctx, "demo", False)),
                     read_only=read_only)
    state = None
    if ui_state:
        from sferum_tui.tui.state import load_state

        state = load_state(ctx.paths.config_dir)
    app = SferumApp(api, theme=theme, keys=dict(cfg.keys), poll_seconds=poll_seconds,
                    ui_state=state)
    # the week the main screen opens (a remembered one, else the latest): warming the latest
    # for a view remembered on another week would hold a country week (~35 MB) for nothing
    api.submit(api.warm_latest, app.remembered_week())
    return app


def run_console(ctx: Any, *, read_only: bool = False) -> int:
    """Open the console (``sferum-tui`` with no command, ``sferum-tui demo``, and each browser
    session of ``sferum-tui serve``; ``read_only``: ``serve --read-only``, see ``make_app``)."""
    app = make_app(ctx, ui_state=not read_only, read_only=read_only)
    result = app.run()
    return int(result or app.return_code or 0)
