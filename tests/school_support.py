"""Shared parts of the school and shortlist screens' Pilot tests: a real small store (three
weekly CSV files imported through the command line), the console's API on it, and a host app.
Support code, not a test module."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.app import App
from textual.screen import Screen

from sferum_tui.cli import main

from filemaker import write_csv

WEEKS = [("15.04.2023", "21.04.2023"), ("22.04.2023", "28.04.2023"), ("29.04.2023", "05.05.2023")]
LABELS = ["15.04–21.04.2023", "22.04–28.04.2023", "29.04–05.05.2023"]
HEAD = ["№ п/п", "Муниципалитет", "ИНН", "Наименование ОО", "Статус", "Пользователи",
        "Сотрудники", "Учителя", "Ученики", "Родители", "Классы", "Чаты",
        "Учителя, написавшие более 3 сообщений"]

GOOD = "0527001234"      # active, few teachers writing at first, then more
INACTIVE = "0527001235"  # 2 users, no class: inactive every week
STEADY = "0521004322"    # active, most teachers writing
GAPPY = "0521004323"     # absent from the second week's file


def week_rows(w: int) -> list[tuple]:
    rows = [
        ("Сергокалинский район", GOOD, "МКОУ «Сергокалинская СОШ №1»", "Активна",
         1200 + 10 * w, 80, 41 + w, 700, 480, 22, 30, 3 + 8 * w),
        ("Сергокалинский район", INACTIVE, "МКОУ «Аймаумахинская СОШ»", "Не активна",
         2, 25, 1, 1, 0, 0, 0, 0),
        ("Левашинский район", STEADY, "МБОУ «Цудахарская СОШ»", "Активна",
         512, 55, 44, 300, 168, 18, 20, 20 + w),
    ]
    if w != 1:
        rows.append(("Левашинский район", GAPPY, "МКОУ «Кулецминская ООШ»", "Активна",
                     40 + w, 20, 15, 20, 5, 3 + w, 2, 1))
    return rows


def build_home(root: Path) -> Path:
    """A data folder with three weeks imported through ``sferum-tui import``."""
    files = root / "files"
    files.mkdir(parents=True, exist_ok=True)
    home = root / "home"
    paths: list[str] = []
    for w, (start, end) in enumerate(WEEKS):
        rows: list[list[Any]] = [
            [f"Мониторинг использования ИКОП «Сферум» за период с {start} по {end}"], HEAD]
        rows += [[n, *r] for n, r in enumerate(week_rows(w), 1)]
        paths.append(str(write_csv(files / f"sferum-week{w + 1}.csv", rows)))
    # the weeks in one command, as a history is built: it leaves their indicator codes cached
    assert main(["--home", str(home), "import", *paths]) == 0
    return home


def open_api(home: Path):
    """The console's real facade on ``home`` (as the app shell builds it)."""
    from sferum_tui.core.config import Config
    from sferum_tui.core.paths import resolve_paths
    from sferum_tui.service.console import ConsoleAPI

    return ConsoleAPI(resolve_paths(str(home)), Config.default(), scope=False)


def uid_of(api, inn: str) -> int:
    orgs = api.store.orgs()
    return int(orgs.loc[orgs["org_id"] == inn, "org_uid"].iloc[0])


class Host(App):
    """A bare app that pushes one screen over an empty base screen, themed like the console."""

    def __init__(self, make_screen: Callable[[], Screen], theme: str = "sferum-dark") -> None:
        super().__init__()
        self.make_screen = make_screen
        self.theme_name = theme

        self.messages: list[Any] = []

    def on_school_screen_mark_changed(self, message) -> None:
        self.messages.append(message)

    def on_shortlist_screen_changed(self, message) -> None:
        self.messages.append(message)

    def on_mount(self) -> None:
        from sferum_tui.tui.themes import register_all

        register_all(self)
        self.theme = self.theme_name
        self.push_screen(self.make_screen())


async def wait_for(pilot, condition: Callable[[], bool], tries: int = 200) -> None:
    for _ in range(tries):
        if condition():
            await pilot.pause()
            return
        await pilot.pause(0.02)
    raise AssertionError("the screen did not get there in time")


def week_text(screen) -> str:
    """The week's block of the school screen: header, target lines, reasons."""
    return "\n".join(str(screen.query_one(f"#school-{part}").render())
                     for part in ("targets", "reasons"))


def screen_text(app: App) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def school_app(api, inn: str, week: int | None = None, **kw) -> tuple[Host, int]:
    from sferum_tui.tui.school import SchoolScreen

    uid = uid_of(api, inn)
    snaps = api.snapshots()
    week_id = snaps[-1 if week is None else week].id
    return Host(lambda: SchoolScreen(api, uid, week_id), **kw), uid


async def open_school(pilot):
    from sferum_tui.tui.school import SchoolScreen

    await wait_for(pilot, lambda: isinstance(pilot.app.screen, SchoolScreen)
                   and pilot.app.screen.charts_ready)
    return pilot.app.screen
