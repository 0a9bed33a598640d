"""The console's keys, in one table, and the F1 help screen built from it.

Every key binding of the app, its screens, dialogs and widgets (the tables, the search field)
is declared here as data (:data:`KEYS`), and nowhere else: an ``id``
(what ``[keys]`` in the config remaps), the keys on a Latin layout, the action, and the
description in both languages.  From it come:

* the ``Binding`` objects of each screen or widget (:func:`bindings`, given to it by
  :func:`install_bindings` through :mod:`sferum_tui.tui.bindings_shim`), built when it is made
  so the descriptions follow the interface language, with each letter key's **Russian-layout twin**
  added (``q`` → ``q,й``): officials type on ЙЦУКЕН and Textual matches the character typed, so
  the twin is the key in the same physical place;
* the keymap from the config (:func:`keymap_from_config`): a remapped letter gets its twin too;
* the key tables of the help screen, so the help lists every key there is, as remapped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from importlib import resources
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Markdown

from sferum_tui.i18n import get_language, tr
from sferum_tui.tui.bindings_shim import app_keymap, set_bindings

if TYPE_CHECKING:
    from textual.app import App

__all__ = ["Key", "KEYS", "RU_TWIN", "bindings", "install_bindings", "keymap_from_config", "twin_keys",
           "HelpScreen", "help_markdown", "key_table"]

# Latin key → the key in the same place on the Russian ЙЦУКЕН layout (Textual key names).
RU_TWIN: dict[str, str] = {
    "q": "й", "w": "ц", "e": "у", "r": "к", "t": "е", "y": "н", "u": "г", "i": "ш", "o": "щ",
    "p": "з", "left_square_bracket": "х", "right_square_bracket": "ъ",
    "a": "ф", "s": "ы", "d": "в", "f": "а", "g": "п", "h": "р", "j": "о", "k": "л", "l": "д",
    "semicolon": "ж", "apostrophe": "э",
    "z": "я", "x": "ч", "c": "с", "v": "м", "b": "и", "n": "т", "m": "ь",
    "comma": "б", "full_stop": "ю", "slash": "full_stop", "grave_accent": "ё",
    "question_mark": "comma",  # shift + the slash key
}
# the upper-case letters (shift) map the same way
RU_TWIN.update({k.upper(): v.upper() for k, v in list(RU_TWIN.items()) if len(k) == 1})

_KEY_ALIASES = {"[": "left_square_bracket", "]": "right_square_bracket", "/": "slash",
                "?": "question_mark", ".": "full_stop", ",": "comma", ";": "semicolon",
                "'": "apostrophe", "`": "grave_accent", " ": "space"}


@dataclass(frozen=True)
class Key:
    """One key binding as data."""

    id: str
    keys: str                 # Latin layout, comma-separated Textual key names
    action: str
    ru: str
    en: str
    screen: str = "main"      # where it works: a key of WHERE
    show: bool = True         # in the Footer
    priority: bool = False
    section: str = "view"     # for the help's tables
    display: str | None = None
    long_ru: str | None = None  # the help's wording, when the footer's is cut short
    long_en: str | None = None
    group: tuple[str, str] | None = None  # footer: keys of one group share one label (ru, en)
    narrow: bool = True       # in the Footer below 110 columns too (else only when wide)

    @property
    def description(self) -> str:
        return tr(self.ru, self.en)

    @property
    def long_description(self) -> str:
        return tr(self.long_ru or self.ru, self.long_en or self.en)


def twin_keys(keys: str) -> str:
    """``"q,f1"`` → ``"q,й,f1"``: each Latin key followed by its Russian-layout twin."""
    out: list[str] = []
    for key in (k.strip() for k in keys.split(",")):
        if not key:
            continue
        key = _KEY_ALIASES.get(key, key)
        if key not in out:
            out.append(key)
        twin = RU_TWIN.get(key)
        if twin and twin not in out:
            out.append(twin)
    return ",".join(out)


SECTIONS = {
    "view": ("Таблица и переходы", "Table and navigation"),
    "filter": ("Фильтры (сочетаются)", "Filters (they combine)"),
    "week": ("Недели", "Weeks"),
    "list": ("Списки, выгрузка, загрузка", "Lists, export, fetch"),
    "app": ("Общие", "General"),
    "screens": ("Экраны школы, списка, выгрузки и выбора", "School, list, export and picker screens"),
    "cursor": ("Курсор и поле поиска", "Cursor and the search field"),
}

KEYS: tuple[Key, ...] = (
    # -- app-wide (also first on every screen, so F1 is always in the footer)
    Key("help", "f1,question_mark", "app.help", "Справка", "Help", "app", section="app",
        display="F1", long_ru="Справка (эта страница)", long_en="Help (this page)"),
    Key("quit", "q", "app.quit", "Выход", "Quit", "app", section="app", show=False,
        long_ru="Выход из консоли", long_en="Quit the console"),
    Key("palette", "ctrl+p", "app.command_palette", "Команды", "Commands", "app", show=False,
        section="app", long_ru="Палитра команд: фильтры, недели, тема, язык…",
        long_en="Command palette: filters, weeks, theme, language…"),
    # -- the main screen: the table
    Key("open", "enter", "open_school", "Школа", "School", show=False, section="view",
        long_ru="Открыть школу: причины, история, графики",
        long_en="Open the school: reasons, history, charts"),
    # the filter keys and / are listed on the chip line above the table: the footer keeps its
    # room at 80 columns for the keys nothing else on the screen shows
    Key("search", "slash", "search", "Поиск", "Search", show=False, section="filter",
        display="/",
        long_ru="Поиск по наименованию или ИНН (по мере ввода; Esc — сбросить)",
        long_en="Search by name or ИНН (as you type; Esc clears)"),
    Key("filter_inactive", "i", "toggle_filter('inactive')", "Неакт.", "Inactive",
        show=False, section="filter", long_ru="Только неактивные профили", long_en="Inactive profiles only"),
    Key("filter_low", "w", "toggle_filter('low_messaging')", "Мало пишут", "Low msg",
        show=False, section="filter", long_ru="Мало пишущих учителей (ниже порога)",
        long_en="Low teacher messaging (below the threshold)"),
    Key("filter_unregistered", "r", "toggle_filter('unregistered')", "Не все зарег.",
        "Unregistered", show=False, section="filter",
        long_ru="Зарегистрированы не все сотрудники", long_en="Staff not fully registered"),
    Key("filter_missing", "x", "toggle_filter('missing')", "Нет в неделе", "Missing",
        show=False, section="filter", long_ru="Есть в справочнике, но нет в файле недели",
        long_en="In the registry but missing from the week's file"),
    Key("filter_changed", "c", "toggle_filter('changed')", "Изменились", "Changed",
        show=False, section="filter", long_ru="Изменились с прошлой недели",
        long_en="Changed since last week"),
    Key("filter_disagrees", "v", "toggle_filter('disagrees')", "Статус ≠ правило",
        "Status ≠ rule", show=False, section="filter",
        long_ru="Статус в файле расходится с правилом активности",
        long_en="The stated status contradicts the activity rule"),
    Key("filter_municipality", "u", "pick_municipality", "МО", "Munic.", show=False,
        section="filter",
        long_ru="Выбрать муниципалитет", long_en="Pick a municipality"),
    Key("threshold", "t", "set_threshold", "Порог", "Threshold", show=False, section="filter",
        long_ru="Порог «мало пишут» (в процентах)", long_en="Low-messaging threshold (percent)"),
    Key("filters_clear", "0,escape", "clear_filters", "Сброс", "Clear", show=False,
        section="filter", display="0", long_ru="Сбросить все фильтры (также Esc)",
        long_en="Clear every filter (also Esc)"),
    Key("rollup", "m", "rollup", "Сводка", "Rollup", section="view",
        long_ru="Муниципалитеты, худшие сверху (Enter — их школы)",
        long_en="Municipalities, worst first (Enter — their schools)"),
    Key("changes", "d", "changes", "Изменения", "Changes", section="week",
        long_ru="Изменения за неделю: стали неактивными, восстановились, падения, рост",
        long_en="This week's changes: newly inactive, recovered, falls, rises"),
    Key("sort", "s", "sort", "Сортировка", "Sort", show=False, section="view",
        long_ru="Сортировать по столбцу (или щелчок по заголовку)",
        long_en="Sort by a column (or click its header)"),
    Key("sort_reverse", "o", "sort_reverse", "Обратно", "Reverse", show=False, section="view",
        long_ru="Обратный порядок сортировки", long_en="Reverse the sort order"),
    Key("scope", "a", "toggle_scope", "Территория", "Area", show=False, section="view",
        long_ru="Своя территория из настроек / все данные",
        long_en="My area from the config / all data"),
    Key("week_prev", "left_square_bracket", "week(-1)", "Пред.", "Prev",
        group=("Неделя", "Week"), section="week", display="[", long_ru="Предыдущая неделя", long_en="Previous week"),
    Key("week_next", "right_square_bracket", "week(1)", "След.", "Next",
        group=("Неделя", "Week"), section="week", display="]", long_ru="Следующая неделя", long_en="Next week"),
    Key("week_pick", "p", "pick_week", "Неделя", "Week", show=False, section="week",
        long_ru="Выбрать неделю из списка", long_en="Pick a week from the list"),
    Key("mark", "space", "mark", "Отметить", "Mark", section="list", display="␣",
        long_ru="Отметить школу в текущий список (по умолчанию «Рассылка»)",
        long_en="Mark the school into the current list (default “Mailing”)"),
    Key("shortlist", "l", "shortlist", "Список", "List", section="list", narrow=False,
        long_ru="Открыть список отмеченных школ", long_en="Open the list of marked schools"),
    Key("export", "e", "export", "Выгрузка", "Export", section="list",
        long_ru="Выгрузить то, что видно в таблице (CSV, XLSX, Markdown)",
        long_en="Export what the table shows (CSV, XLSX, Markdown)"),
    Key("copy", "y", "copy", "Копировать", "Copy", show=False, section="list",
        long_ru="Копировать отмеченные школы текстом (работает и по SSH)",
        long_en="Copy the marked schools as text (works over SSH too)"),
    Key("fetch", "f", "fetch", "Загрузить", "Fetch", section="list", narrow=False,
        long_ru="Загрузить новые данные из источников сейчас",
        long_en="Fetch new data from the sources now"),
    # -- the rollup and changes views
    Key("rollup_open", "enter", "open", "Школы МО", "Schools", "rollup", section="view",
        priority=True,  # over the focused table's own Enter, so the footer names it
        long_ru="Школы выбранного муниципалитета", long_en="The municipality's schools"),
    Key("rollup_back", "escape,m", "back", "Назад", "Back", "rollup", section="view",
        display="Esc", long_ru="Назад к таблице школ", long_en="Back to the schools table"),
    Key("changes_open", "enter", "open", "Школа", "School", "changes", section="view",
        priority=True,
        long_ru="Открыть школу из списка изменений", long_en="Open the school from the changes"),
    Key("changes_back", "escape,d", "back", "Назад", "Back", "changes", section="view",
        display="Esc", long_ru="Назад к таблице школ", long_en="Back to the schools table"),
    Key("changes_next_tab", "tab", "next_tab", "Раздел", "Section", "changes",
        section="view", long_ru="Следующий раздел изменений", long_en="Next section of changes"),
    # -- the welcome screen
    Key("welcome_demo", "d", "demo", "Открыть демо", "Open the demo", "welcome", section="app",
        long_ru="Создать и открыть демо-хранилище (синтетические данные)",
        long_en="Build and open the demo store (synthetic data)"),
    Key("welcome_reload", "r", "reload", "Проверить", "Check again", "welcome",
        section="app", long_ru="Проверить хранилище снова", long_en="Check the store again"),
    # -- the help itself
    Key("help_close", "escape,q,f1", "close", "Закрыть", "Close", "help", section="app",
        display="Esc", long_ru="Закрыть справку", long_en="Close the help"),
    # -- the school screen (the drill-down)
    Key("school.back", "escape", "back", "Назад", "Back", "school", section="screens",
        long_ru="Назад к таблице школ", long_en="Back to the schools table"),
    Key("school.mark", "space", "toggle_mark", "В список", "Mark", "school", section="screens",
        long_ru="Отметить школу в текущий список / снять отметку",
        long_en="Mark the school into the current list / unmark it"),
    Key("school.next_view", "v", "next_view", "Вид", "View", "school", section="screens",
        long_ru="Следующий вид: история, сообщения, пользователи, классы",
        long_en="Next view: history, messaging, users, classes"),
    Key("school.view_history", "1", "show_view('history')", "История", "History", "school",
        show=False, section="screens", long_ru="Вид «История»", long_en="The history view"),
    Key("school.view_messaging", "2", "show_view('messaging')", "Сообщения", "Messaging",
        "school", show=False, section="screens", long_ru="Вид «Сообщения»",
        long_en="The messaging view"),
    Key("school.view_users", "3", "show_view('users')", "Пользователи", "Users", "school",
        show=False, section="screens", long_ru="Вид «Пользователи»", long_en="The users view"),
    Key("school.view_classes", "4", "show_view('classes')", "Классы", "Classes", "school",
        show=False, section="screens", long_ru="Вид «Классы»", long_en="The classes view"),
    # -- the shortlist screen and its list picker
    Key("shortlist.back", "escape", "back", "Назад", "Back", "shortlist", section="screens",
        long_ru="Назад к таблице школ", long_en="Back to the schools table"),
    Key("shortlist.remove", "x,delete", "remove", "Убрать", "Remove", "shortlist",
        section="screens", long_ru="Убрать школу из списка", long_en="Remove the school from the list"),
    Key("shortlist.switch", "l", "switch", "Списки", "Lists", "shortlist", section="screens",
        long_ru="Выбрать другой список или создать новый",
        long_en="Pick another list or make a new one"),
    Key("shortlist.export", "e", "export", "Выгрузить", "Export", "shortlist", section="screens",
        long_ru="Выгрузить список (CSV, XLSX, Markdown)",
        long_en="Export the list (CSV, XLSX, Markdown)"),
    Key("shortlist.copy", "c", "copy", "Копировать", "Copy", "shortlist", section="screens",
        long_ru="Копировать список текстом", long_en="Copy the list as text"),
    Key("shortlist_picker.cancel", "escape", "cancel", "Отмена", "Cancel", "shortlist_picker",
        section="screens", long_ru="Закрыть выбор списка", long_en="Close the list picker"),
    # -- the export dialog and the pickers
    Key("export.cancel", "escape", "cancel", "Отмена", "Cancel", "export", section="screens",
        long_ru="Закрыть выгрузку, ничего не записав", long_en="Close the export, writing nothing"),
    Key("export.run", "ctrl+s", "export", "Выгрузить", "Export", "export", section="screens",
        long_ru="Выгрузить в выбранный файл", long_en="Export to the chosen file"),
    Key("picker.cancel", "escape", "cancel", "Отмена", "Cancel", "picker", show=False,
        section="screens", long_ru="Закрыть выбор (недели, муниципалитета, сортировки)",
        long_en="Close the picker (week, municipality, sort)"),
    Key("threshold.cancel", "escape", "cancel", "Отмена", "Cancel", "threshold", show=False,
        section="screens", long_ru="Закрыть ввод порога, не меняя его",
        long_en="Close the threshold dialog, changing nothing"),
    # -- the search field and the cursor in every table
    Key("search.clear", "escape", "close(True)", "Сброс", "Clear", "search", show=False,
        section="cursor", long_ru="Очистить поиск и вернуться к таблице",
        long_en="Clear the search and go back to the table"),
    Key("search.to_table", "down", "close(False)", "К таблице", "To the table", "search",
        show=False, section="cursor", display="↓", long_ru="Из поиска — к таблице (также Enter)",
        long_en="From the search to the table (also Enter)"),
    Key("frametable.cursor_up", "up,k", "cursor_up", "Вверх", "Up", "frametable", show=False,
        section="cursor", long_ru="Строка вверх", long_en="Row up"),
    Key("frametable.cursor_down", "down,j", "cursor_down", "Вниз", "Down", "frametable",
        show=False, section="cursor", long_ru="Строка вниз", long_en="Row down"),
    Key("frametable.page_up", "pageup", "page_up", "Стр. вверх", "Page up", "frametable",
        show=False, section="cursor", long_ru="Страница вверх", long_en="Page up"),
    Key("frametable.page_down", "pagedown", "page_down", "Стр. вниз", "Page down", "frametable",
        show=False, section="cursor", long_ru="Страница вниз", long_en="Page down"),
    Key("frametable.first_row", "home", "first_row", "В начало", "First row", "frametable",
        show=False, section="cursor", long_ru="Первая строка", long_en="First row"),
    Key("frametable.last_row", "end", "last_row", "В конец", "Last row", "frametable",
        show=False, section="cursor", long_ru="Последняя строка", long_en="Last row"),
    Key("frametable.left", "left", "scroll_column_left", "Влево", "Left", "frametable",
        show=False, section="cursor", long_ru="На столбец влево", long_en="One column left"),
    Key("frametable.right", "right", "scroll_column_right", "Вправо", "Right", "frametable",
        show=False, section="cursor", long_ru="На столбец вправо", long_en="One column right"),
    Key("frametable.select", "enter", "select_row", "Открыть", "Open", "frametable", show=False,
        section="cursor", long_ru="Открыть строку под курсором", long_en="Open the row at the cursor"),
    # -- the column chooser, the reasons panel, the import, next/previous school (issue 11)
    Key("columns", "h", "columns", "Столбцы", "Columns", show=False, section="view",
        long_ru="Столбцы таблицы: показать, скрыть, переставить (запоминается)",
        long_en="Table columns: show, hide, reorder (remembered)"),
    Key("reasons_wrap", "z", "toggle_reasons", "Причины", "Reasons", show=False, section="view",
        long_ru="«Почему отстаёт» целиком: панель под таблицей для строки под курсором",
        long_en="“Why it lags” in full: a panel under the table for the row at the cursor"),
    Key("import_file", "ctrl+o", "import_file", "Импорт", "Import", show=False, section="list",
        long_ru="Открыть файл недели: выбор файла, проверка, импорт в хранилище",
        long_en="Open a weekly file: pick it, check it, import it into the store"),
    Key("school.next", "n", "step_school(1)", "След.", "Next", "school", section="screens",
        group=("Школа", "School"),
        long_ru="Следующая школа в порядке и с фильтрами таблицы",
        long_en="Next school, in the table's order and filters"),
    Key("school.prev", "p", "step_school(-1)", "Пред.", "Prev", "school", section="screens",
        group=("Школа", "School"),
        long_ru="Предыдущая школа в порядке и с фильтрами таблицы",
        long_en="Previous school, in the table's order and filters"),
    Key("columns.toggle", "space", "toggle", "Показать/скрыть", "Show/hide", "columns",
        section="screens", display="␣", long_ru="Показать или скрыть столбец",
        long_en="Show or hide the column"),
    Key("columns.up", "shift+up,K", "move(-1)", "Выше", "Up", "columns", section="screens",
        display="⇧↑", long_ru="Передвинуть столбец левее (выше в списке)",
        long_en="Move the column left (up the list)"),
    Key("columns.down", "shift+down,J", "move(1)", "Ниже", "Down", "columns", section="screens",
        display="⇧↓", long_ru="Передвинуть столбец правее (ниже в списке)",
        long_en="Move the column right (down the list)"),
    Key("columns.apply", "enter", "apply", "Применить", "Apply", "columns", section="screens",
        long_ru="Применить выбор столбцов", long_en="Apply the column choice"),
    Key("columns.cancel", "escape", "cancel", "Отмена", "Cancel", "columns", section="screens",
        long_ru="Закрыть выбор столбцов без изменений", long_en="Close the chooser, changing nothing"),
    Key("import.cancel", "escape", "cancel", "Отмена", "Cancel", "import", section="screens",
        long_ru="Закрыть импорт, ничего не загрузив", long_en="Close the import, importing nothing"),
    Key("import.run", "ctrl+s", "run", "Импорт", "Import", "import", section="screens",
        long_ru="Импортировать проверенный файл (также кнопка «Импорт»)",
        long_en="Import the checked file (also the “Import” button)"),
    Key("import.path", "ctrl+l", "focus_path", "Путь", "Path", "import", section="screens",
        long_ru="К полю пути: ввести папку или файл (Enter — перейти)",
        long_en="To the path field: type a folder or a file (Enter goes there)"),
)

# The screens whose footer starts with F1 (the app's own bindings come last in a footer).
_F1_FIRST = ("main", "rollup", "changes", "welcome", "school", "shortlist")

# Where a key works, as the help's «Где» column says it.
WHERE: dict[str, tuple[str, str]] = {
    "app": ("везде", "everywhere"), "main": ("таблица школ", "schools table"),
    "rollup": ("муниципалитеты", "municipalities"), "changes": ("изменения", "changes"),
    "welcome": ("приветствие", "welcome"), "help": ("справка", "help"),
    "school": ("школа", "school"), "shortlist": ("список", "list"),
    "shortlist_picker": ("выбор списка", "list picker"), "export": ("выгрузка", "export"),
    "picker": ("выбор из списка", "pickers"), "threshold": ("порог", "threshold"),
    "search": ("поле поиска", "search field"), "frametable": ("любая таблица", "any table"),
    "columns": ("выбор столбцов", "column chooser"), "import": ("импорт файла", "file import"),
}


# The full screens whose footer ends with the quit key, at any width (the app's own q is not
# in a footer: it would come after the screen's keys and be the first cut).
_QUIT_SHOWN = ("main", "rollup", "changes", "welcome", "school", "shortlist")

# How a key looks in the footer, for the width a footer needs (Textual's own names otherwise).
_FOOTER_LOOK = {"enter": "⏎", "escape": "esc"}


def _footer_cells(key: Key) -> int:
    """Cells ``key`` takes in a compact footer: its key, a space, its words, a gap."""
    look = key.display or _FOOTER_LOOK.get(key.keys.split(",")[0], key.keys.split(",")[0])
    return len(look) + 1 + len(key.description) + 1


def footer_fit(chosen: list[Key], width: int) -> set[str]:
    """The ids of the footer keys of ``chosen`` to hide so the rest fits ``width`` cells
    beside the palette's «^p Команды»: the last keys go first, whole (never cut mid-word);
    F1 and quit stay."""
    room = width - (len(tr("Команды", "Commands")) + 5)  # «▏^p Команды» and a gap
    shown = [k for k in chosen if k.show]
    groups_seen: set[tuple[str, str]] = set()
    cells: dict[str, int] = {}
    for k in shown:
        if k.group is not None:  # a group: «[ ] Неделя» — keys, then the label once
            look = k.display or k.keys
            if k.group in groups_seen:
                cells[k.id] = len(look) + 1
            else:
                groups_seen.add(k.group)
                cells[k.id] = len(look) + 1 + len(tr(*k.group)) + 1
        else:
            cells[k.id] = _footer_cells(k)
    if width >= 110:  # the full footer (not compact) pads each key (a group once)
        firsts = {k.id for k in shown if k.group is None} | {
            next(o.id for o in shown if o.group == g) for g in groups_seen}
        cells = {k: n + 2 if k in firsts else n for k, n in cells.items()}
    total = sum(cells.values()) - 1  # no gap after the last
    hidden: set[str] = set()
    for k in reversed(shown):
        if total <= room:
            break
        if k.id in ("help", "quit"):
            continue
        hidden.add(k.id)
        total -= cells[k.id]
    # a group goes whole: no «[» without «]»
    for k in shown:
        if k.group is not None and any(o.group == k.group and o.id in hidden for o in shown):
            hidden.add(k.id)
    return hidden


def bindings(screen: str, narrow: bool = False, width: int | None = None) -> list[Binding]:
    """The ``Binding`` objects of ``screen``, in the current language, with Russian twins;
    ``narrow``: the Footer of an 80-column terminal (keys marked ``narrow=False`` hidden);
    ``width``: the terminal's width, when known (the footer's last keys drop out whole when
    they do not fit; F1 and quit always show)."""
    out = []
    chosen = [k for k in KEYS if k.screen == screen]
    if screen in _F1_FIRST:  # F1 first in the footer
        chosen = [k for k in KEYS if k.id == "help"] + chosen
    if screen in _QUIT_SHOWN:  # quit last, always shown
        chosen = chosen + [replace(k, screen=screen, show=True) for k in KEYS if k.id == "quit"]
    chosen = [k if k.narrow or not narrow else replace(k, show=False) for k in chosen]
    hidden = footer_fit(chosen, width) if width else set()
    groups: dict[tuple[str, str], Binding.Group] = {}
    for key in chosen:
        group = None
        if key.group is not None:
            group = groups.setdefault(key.group, Binding.Group(tr(*key.group)))
        show = key.show and key.id not in hidden
        out.append(Binding(twin_keys(key.keys), key.action, key.description, show=show,
                           key_display=key.display, priority=key.priority, id=key.id,
                           group=group))
    return out


def install_bindings(node, screen: str, narrow: bool = False, width: int | None = None) -> None:
    """Give ``node`` (the app, a screen or a widget) the bindings of ``screen`` from
    :data:`KEYS` in the current language, besides its class's own (Tab, Ctrl+C …).

    Called when the node is made, and again after a language switch or a resize that changes
    the footer; see :mod:`sferum_tui.tui.bindings_shim` for why this is not class-level
    ``BINDINGS``.  ``width``: fit the footer to it (see :func:`bindings`); by default the
    app's width when the node is made inside a running app.
    """
    if width is None:
        try:
            width = node.app.size.width
        except Exception:  # noqa: BLE001 - made outside a running app: no fitting
            width = None
    set_bindings(node, bindings(screen, narrow, width))


def known_binding_ids() -> set[str]:
    return {k.id for k in KEYS}


def keymap_from_config(keys: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """The config's ``[keys]`` as a Textual keymap (each letter gets its Russian twin), and the
    binding ids in it that do not exist (to report)."""
    known = known_binding_ids()
    keymap: dict[str, str] = {}
    unknown: list[str] = []
    for binding_id, key_string in keys.items():
        if binding_id not in known:
            unknown.append(binding_id)
            continue
        keymap[binding_id] = twin_keys(key_string)
    return keymap, unknown


# ---------------------------------------------------------------------------- the help text


def _display(app: "App | None", key: Key, keymap: Mapping[str, str]) -> str:
    return _display_keys(app, keymap.get(key.id) or twin_keys(key.keys), key.action)


def _display_keys(app: "App | None", keys: str, action: str) -> str:
    shown: list[str] = []
    for name in keys.split(","):
        if app is not None:
            text = app.get_key_display(Binding(name, action))
        else:
            text = name
        text = {"left_square_bracket": "[", "right_square_bracket": "]", "slash": "/",
                "full_stop": ".", "question_mark": "?", "comma": ",", "space": "space"}.get(
            name, text)
        if text not in shown:
            shown.append(text)
    return " ".join(f"`{t}`" for t in shown)


def key_table(app: "App | None" = None, keymap: Mapping[str, str] | None = None) -> str:
    """Markdown tables of every key, by section, with the keys as they are now bound."""
    keymap = keymap if keymap is not None else app_keymap(app)
    where = {screen: tr(ru, en) for screen, (ru, en) in WHERE.items()}
    lines: list[str] = []
    for section, (ru, en) in SECTIONS.items():
        rows = [k for k in KEYS if k.section == section]
        if not rows:
            continue
        lines.append(f"### {tr(ru, en)}")
        lines.append("")
        # the ids for [keys] are a section of their own (id_table): here the words get the room
        lines.append(tr("| Клавиши | Действие | Где |", "| Keys | Action | Where |"))
        lines.append("|---|---|---|")
        for k in rows:
            lines.append(f"| {_display(app, k, keymap)} | {k.long_description} | {where[k.screen]} |")
        lines.append("")
    return "\n".join(lines)


def id_table() -> str:
    """The binding ids the config's ``[keys]`` remaps, each with its key as declared: for the
    one reader who edits the config, out of the way of the key tables."""
    lines = [tr("| id | Клавиши | Где |", "| id | Keys | Where |"), "|---|---|---|"]
    for k in KEYS:
        keys = " ".join(f"`{_display_keys(None, name, k.action)}`"
                        for name in k.keys.split(","))
        lines.append(f"| `{k.id}` | {keys} | {tr(*WHERE[k.screen])} |")
    return "\n".join(lines)


def column_table(app: "App | None" = None) -> str:
    """What each column of the schools table shows, from the columns' own descriptions (as
    the table on screen has them: its titles at this width, in this language)."""
    main = getattr(app, "main_screen", None)
    if main is None:
        return ""
    try:
        columns = main.table.columns
    except Exception:  # noqa: BLE001 - not composed yet: no section
        return ""
    lines = [tr("| Столбец | Что показывает |", "| Column | What it shows |"), "|---|---|"]
    for column in columns:
        lines.append(f"| {column.title} | {column.description or ''} |")
    return "\n".join(lines)


def help_markdown(app: "App | None" = None) -> str:
    """The help page: the prose of ``help_<lang>.md`` with the key, column and id tables put
    in."""
    name = "help_en.md" if get_language() == "en" else "help_ru.md"
    text = resources.files("sferum_tui.tui").joinpath(name).read_text(encoding="utf-8")
    return (text.replace("{{keys}}", key_table(app)).replace("{{columns}}", column_table(app))
            .replace("{{ids}}", id_table()))


class HelpScreen(ModalScreen[None]):
    """F1: what the console shows and every key, from markdown."""

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
        & > VerticalScroll {
            width: 100%;
            max-width: 110;
            height: 1fr;
            background: $surface;
            border: round $primary;
            border-title-color: $text-primary;
            padding: 0 1;
        }
        & Markdown { margin: 0; padding: 0; }
    }
    """

    def __init__(self) -> None:
        super().__init__()
        install_bindings(self, "help")

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body") as body:
            body.border_title = tr("Справка — sferum-tui", "Help — sferum-tui")
            body.can_focus = True
            yield Markdown(help_markdown(self.app), open_links=False)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#help-body").focus()

    def action_close(self) -> None:
        self.dismiss(None)


def every_key_id() -> Iterable[str]:
    return (k.id for k in KEYS)
