"""Shared parts of the console's Pilot tests: a small store built as a user builds theirs
(weekly CSV files and a registry imported with ``sferum-tui import``), the app exactly as
``sferum-tui`` makes it, and waiting helpers.  Support code, not a test module."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from sferum_tui.cli import Context, main
from sferum_tui.core.paths import resolve_paths
from sferum_tui.service.console import MOSCOW

from filemaker import write_csv

# --------------------------------------------------------------------------- the data

WEEKS = [("15.04.2023", "21.04.2023"), ("22.04.2023", "28.04.2023"), ("29.04.2023", "05.05.2023")]
LABELS = ["15.04–21.04.2023", "22.04–28.04.2023", "29.04–05.05.2023"]
WEEK4 = ("06.05.2023", "12.05.2023")
LABEL4 = "06.05–12.05.2023"
NOW = datetime(2023, 5, 8, 10, 0, tzinfo=MOSCOW)  # a Monday after the third week

HEAD = ["№ п/п", "Муниципалитет", "ИНН", "Наименование ОО", "Статус", "Пользователи",
        "Сотрудники", "Учителя", "Ученики", "Родители", "Классы", "Чаты",
        "Учителя, написавшие более 3 сообщений"]
REG_HEAD = ["ИНН", "Наименование организации", "Муниципальное образование",
            "Численность сотрудников", "Тип ОО"]

SERGO, LEVASHI, KIZLYAR = "Сергокалинский район", "Левашинский район", "Кизлярский район"

# inn: (municipality, name, staff)
ORGS = {
    "0527001234": (SERGO, "МКОУ «Сергокалинская СОШ №1»", 80),
    "0527001235": (SERGO, "МКОУ «Аймаумахинская СОШ»", 25),
    "0527001236": (SERGO, "МКОУ «Мюрегинская СОШ»", 40),
    "0521004321": (LEVASHI, "МКОУ «Левашинская гимназия»", 60),
    "0521004322": (LEVASHI, "МБОУ «Цудахарская СОШ»", 55),
    "0521004323": (LEVASHI, "МКОУ «Кулецминская ООШ»", 20),
    "0547002001": (KIZLYAR, "МКОУ «Кизлярская СОШ №1»", 70),
    "0547002002": (KIZLYAR, "МКОУ «Аверьяновская СОШ»", 50),
}
NEVER = ("0547002003", KIZLYAR, "МКОУ «Брянская СОШ»", 30)  # in the registry, never in a file

GOOD, INACTIVE, HIGH, RECOVERS, FALLS, LOW, KIZ1, UNREG = ORGS


def figures(inn: str, w: int) -> tuple:
    """status, users, teachers, students, parents, classes, chats, teachers writing >3."""
    if inn == GOOD:
        return "Активна", 1200 + 10 * w, 41 + w, 700, 480, 22, 30, 3 + 8 * w
    if inn == INACTIVE:
        return "Не активна", 2, 1, 1, 0, 0, 0, 0
    if inn == HIGH:
        return "Активна", 310, 30, 200, 80, 11, 12, 24
    if inn == RECOVERS:
        return ("Не активна", 3, 2, 1, 0, 0, 1, 0) if w < 2 else ("Активна", 90, 40, 30, 20, 4, 5, 12)
    if inn == FALLS:
        return ("Активна", 512, 44, 300, 168, 18, 20, 20) if w < 2 else ("Не активна", 2, 1, 1, 0, 0, 0, 0)
    if inn == LOW:
        return "Активна", 40 + w, 15, 20, 5, 3, 2, 1
    if inn == KIZ1:
        return "Активна", 800 + w, 65, 500, 235, 25, 26, 30 + w
    if inn == UNREG:
        return "Активна", 150, 20, 100, 30, 8, 9, 10
    raise KeyError(inn)


def week_file(folder: Path, w: int, period: tuple[str, str]) -> Path:
    start, end = period
    rows: list[list[Any]] = [
        [f"Мониторинг использования ИКОП «Сферум» за период с {start} по {end}"], HEAD]
    for n, (inn, (muni, name, staff)) in enumerate(ORGS.items(), 1):
        status, users, teachers, students, parents, classes, chats, active = figures(inn, w)
        rows.append([n, muni, inn, name, status, users, staff, teachers, students, parents,
                     classes, chats, active])
    return write_csv(folder / f"sferum-week{w + 1}.csv", rows)


def build_console_home(root: Path) -> Path:
    """A data folder with a registry and three weeks, imported through ``sferum-tui``."""
    files = root / "files"
    files.mkdir(parents=True, exist_ok=True)
    home = root / "home"
    reg_rows = [REG_HEAD] + [[inn, name, muni, staff, "школа"]
                             for inn, (muni, name, staff) in ORGS.items()]
    reg_rows.append([NEVER[0], NEVER[2], NEVER[1], NEVER[3], "школа"])
    reg = write_csv(files / "registry.csv", reg_rows)
    assert main(["--home", str(home), "registry", "import", str(reg)]) == 0
    # the weeks in one command, as a history is built: it leaves their indicator codes cached
    weeks = [str(week_file(files, w, period)) for w, period in enumerate(WEEKS)]
    assert main(["--home", str(home), "import", *weeks]) == 0
    return home


def make_context(home: Path, lang: str = "ru", theme: str | None = None) -> Context:
    return Context(paths=resolve_paths(str(home)), lang=lang, demo=False, config_path=None,
                   theme=theme, home_arg=str(home))


def console(home: Path, lang: str = "ru", theme: str | None = None, poll: float = 0.2,
            ui_state: bool = False):
    """The app exactly as ``sferum-tui`` builds it, with the clock pinned.  The UI state file
    (remembered columns, week, sort and filters) is left alone unless ``ui_state``: several
    tests share one store, and one test's filters must not open the next one's console."""
    from sferum_tui.tui.app import make_app

    app = make_app(make_context(home, lang, theme), now=lambda: NOW, poll_seconds=poll,
                   ui_state=ui_state)
    record_notices(app)
    return app


def record_notices(app) -> list[str]:
    """Keep the text of every notification the app shows in ``app.notices`` (a toast leaves
    the screen after a few seconds; the tests check what it said)."""
    app.notices = []
    show = app.notify

    def notify(message: str, *, title: str = "", **kwargs: Any) -> None:
        app.notices.append(f"{title}: {message}" if title else message)
        show(message, title=title, **kwargs)

    app.notify = notify
    return app.notices


async def wait_for(pilot, condition: Callable[[], bool], timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if condition():
            await pilot.pause()
            return
        await pilot.pause(0.02)
    raise AssertionError("the console did not get there in time")


async def wait_ready(pilot) -> Any:
    from sferum_tui.tui.main_screen import MainScreen

    app = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, MainScreen) and app.screen.ready)
    return app.screen


async def press_and_reload(pilot, *keys: str) -> None:
    """Press keys on the main screen and wait for the table to show the result."""
    main_screen = pilot.app.main_screen
    before = main_screen.view  # each view shown is a new one
    await pilot.press(*keys)
    await wait_for(pilot, lambda: main_screen.view is not before)


def screen_text(app) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def names_shown(app) -> list[str]:
    table = app.main_screen.table
    frame = table.view_frame()
    return [] if frame is None else frame["org_name"].tolist()
