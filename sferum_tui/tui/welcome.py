"""The first screen of an empty store: what the console is for, how to put data in, and the demo
one key away."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.containers import Center, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Markdown

from sferum_tui.i18n import tr
from sferum_tui.tui.help import install_bindings
from sferum_tui.tui.widgets import StatusLine

if TYPE_CHECKING:
    from sferum_tui.service.config import Paths
    from sferum_tui.service.console import ConsoleAPI

__all__ = ["WelcomeScreen", "welcome_markdown"]


def welcome_markdown(api: "ConsoleAPI") -> str:
    home = api.store_label
    demo_note = tr(
        "Сейчас открыто **демо-хранилище**, и оно пустое.",
        "This is the **demo store**, and it is empty.") if api.demo else tr(
        "Хранилище пока пустое.", "The store is empty.")
    return tr(
        f"""# Сферум — мониторинг по неделям

{demo_note} Каждую пятницу после 17:00 (МСК) министерство публикует таблицу мониторинга;
консоль показывает по ней, где территория стоит относительно целей, какие школы отстают и почему,
и помогает составить список на рассылку.

## Посмотреть на демо

Нажмите **d** (в русской раскладке **в**) — консоль создаст демо-хранилище на синтетических данных (вымышленный регион,
около 1 400 организаций, 8 недель) и сразу откроет его. То же из командной строки:

```
sferum-tui demo
```

## Загрузить свои данные

```
sferum-tui import мониторинг_2023-04-21.xlsx     # файл недели (xlsx, xls, ods, csv)
sferum-tui registry import справочник_ОО.xlsx     # необязательно: справочник организаций
sferum-tui fetch                                   # или загрузка по ссылке из настроек
```

Ссылку на папку cloud.mail.ru и свою территорию укажите в настройках
(`sferum-tui config init`, затем `sferum-tui config path`). Как только в хранилище появится
неделя, консоль откроет её сама — перезапускать не нужно.

Данные: `{home}`
""",
        f"""# Sferum — weekly monitoring

{demo_note} Every Friday after 17:00 (Moscow time) the ministry publishes the monitoring
spreadsheet; from it the console shows where your area stands against its targets, which schools
lag and why, and helps you build a shortlist to write to.

## Try the demo

Press **d** — the console builds the demo store from synthetic data (an invented region, about
1,400 organisations, 8 weeks) and opens it. The same from the command line:

```
sferum-tui demo
```

## Import your own data

```
sferum-tui import monitoring_2023-04-21.xlsx     # a weekly file (xlsx, xls, ods, csv)
sferum-tui registry import registry.xlsx          # optional: the registry of organisations
sferum-tui fetch                                  # or fetch from the link in the config
```

Put the cloud.mail.ru folder link and your area in the config (`sferum-tui config init`, then
`sferum-tui config path`). As soon as a week is in the store, the console opens it by itself — no
restart needed.

Data: `{home}`
""")


class WelcomeScreen(Screen[None]):
    """Shown instead of the table while the store holds no week."""

    AUTO_FOCUS = "#welcome-body"

    class DemoBuilt(Message):
        def __init__(self, paths: "Paths | None", error: str | None = None) -> None:
            super().__init__()
            self.paths = paths
            self.error = error

    class DemoProgress(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, api: "ConsoleAPI") -> None:
        super().__init__()
        self.api = api
        self.building = False
        install_bindings(self, "welcome")

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="welcome-body"):
            with Center():
                yield Markdown(welcome_markdown(self.api), id="welcome-text")
        yield StatusLine(id="welcome-status")
        yield Footer(compact=self.app.size.width < 110)  # 80 columns: every key fits

    def action_demo(self) -> None:
        if self.building:
            return
        self.building = True
        self.query_one(StatusLine).say(tr("Создаю демо-хранилище…", "Building the demo store…"))
        self._build_demo()

    @work(thread=True, exclusive=True, group="demo", exit_on_error=False)
    def _build_demo(self) -> None:
        try:
            paths = self.api.build_demo(lambda text: self.post_message(self.DemoProgress(text)))
        except Exception as exc:  # noqa: BLE001 - shown to the user
            self.post_message(self.DemoBuilt(None, getattr(exc, "message", None) or str(exc)))
            return
        self.post_message(self.DemoBuilt(paths))

    def on_welcome_screen_demo_progress(self, message: DemoProgress) -> None:
        self.query_one(StatusLine).say(message.text)

    def on_welcome_screen_demo_built(self, message: DemoBuilt) -> None:
        self.building = False
        self.query_one(StatusLine).say(None)
        if message.paths is None:
            self.notify(message.error or "?", title=tr("Демо не создано", "The demo failed"),
                        severity="error", markup=False)
            return
        self.app.open_demo(message.paths)

    def action_reload(self) -> None:
        self.app.check_store(force=True)
