"""``sferum-tui fetch [SOURCE] [--dry-run] [--wait]``: get the new weekly files and import them.

Exit codes, for cron: 0 new data imported (with ``--dry-run``: something to fetch), 3 nothing
new, 1 an error (printed as one line each on stderr).
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sferum_tui.i18n import tr


@dataclass(frozen=True)
class _Refused:
    """A flag value out of its range, kept by the argparse type function until the language is
    known; ``run`` turns it into one translated line (exit 1), not argparse's usage text."""

    flag: str
    text: str
    low: float
    high: float
    whole: bool
    above_low: bool = False

    def message(self) -> str:
        if self.above_low:
            return tr("{f}: ожидается число больше {a} и не больше {b}, указано «{v}»",
                      "{f}: expected a number above {a} and at most {b}, got “{v}”",
                      f=self.flag, a=f"{self.low:g}", b=f"{self.high:g}", v=self.text)
        if self.whole:
            return tr("{f}: ожидается целое число от {a} до {b}, указано «{v}»",
                      "{f}: expected a whole number from {a} to {b}, got “{v}”",
                      f=self.flag, a=f"{self.low:g}", b=f"{self.high:g}", v=self.text)
        return tr("{f}: ожидается число от {a} до {b}, указано «{v}»",
                  "{f}: expected a number from {a} to {b}, got “{v}”",
                  f=self.flag, a=f"{self.low:g}", b=f"{self.high:g}", v=self.text)


def _ranged(flag: str, low: float, high: float, *, whole: bool = False,
            above_low: bool = False) -> Callable[[str], Any]:
    """An argparse type: a finite number in [low, high] (``above_low``: low itself excluded);
    anything else (``nan``, ``inf``, ``-1``, ``1e308``, ``abc``) becomes a :class:`_Refused`."""

    def parse(text: str) -> Any:
        from sferum_tui.service.vocab import one_line

        shown = one_line(text, 40)
        refused = _Refused(flag, shown, low, high, whole, above_low)
        try:
            value = int(text) if whole else float(text)
        except ValueError:
            return refused
        if not math.isfinite(value) or not (low <= value <= high) or \
                (above_low and value == low):
            return refused
        return value

    parse.__name__ = flag.lstrip("-")
    return parse


def register(subparsers, common: argparse.ArgumentParser) -> None:
    from sferum_tui.service import config as C

    p = subparsers.add_parser(
        "fetch", parents=[common],
        help=tr("загрузить новые еженедельные файлы из источников и импортировать их",
                "download the new weekly files from the sources and import them"),
        description=tr(
            "Находит в источниках (публичные ссылки cloud.mail.ru, ссылки http(s), папки) файлы, "
            "которых ещё нет в хранилище, загружает, проверяет и импортирует их. Коды выхода: "
            "0 — есть новые данные, 3 — нового нет, 1 — ошибка.",
            "Finds files in the sources (cloud.mail.ru public links, http(s) links, folders) that "
            "are not in the store yet, downloads, checks and imports them. Exit codes: 0 new data, "
            "3 nothing new, 1 an error."))
    p.add_argument("source", nargs="?", metavar="SOURCE",
                   help=tr("имя источника из конфигурации, ссылка или папка (по умолчанию — все "
                           "включённые источники)", "a configured source name, a link or a folder "
                           "(default: every enabled source)"))
    p.add_argument("--dry-run", action="store_true",
                   help=tr("только показать, что будет загружено; ничего не записывать",
                           "only list what would be fetched; write nothing"))
    p.add_argument("--wait", action="store_true",
                   help=tr("ждать, пока появится новый файл (ограниченное число попыток с "
                           "растущей паузой) — для cron в пятницу после 17:00",
                           "poll until a new file appears (a bounded number of tries with a "
                           "growing pause): for a cron line on Friday after 17:00"))
    p.add_argument("--wait-tries", type=_ranged("--wait-tries", *C.WAIT_TRIES_RANGE, whole=True),
                   metavar="N",
                   help=tr("сколько попыток в режиме --wait (из конфигурации: fetch.wait_max_tries)",
                           "tries in --wait mode (config: fetch.wait_max_tries)"))
    p.add_argument("--wait-interval", metavar="MIN",
                   type=_ranged("--wait-interval", 0, C.WAIT_INTERVAL_MAX_MINUTES, above_low=True),
                   help=tr("первая пауза между попытками, минут (fetch.wait_interval_minutes)",
                           "first pause between tries, minutes (fetch.wait_interval_minutes)"))
    p.add_argument("--timeout", type=_ranged("--timeout", *C.TIMEOUT_RANGE), metavar="SEC",
                   help=tr("таймаут сети, секунд, 1–3600 (вместо timeout источников)",
                           "network timeout, seconds, 1–3600 (instead of the sources' timeout)"))
    p.add_argument("--retries", type=_ranged("--retries", *C.RETRIES_RANGE, whole=True),
                   metavar="N",
                   help=tr("повторов при таймаутах и ошибках сервера, 0–20 (fetch.retries)",
                           "retries on timeouts and server errors, 0–20 (fetch.retries)"))
    p.add_argument("--retry-refused", action="store_true",
                   help=tr("снова попробовать файлы, отклонённые в прошлые разы",
                           "try again the files refused on earlier runs"))
    p.add_argument("-q", "--quiet", action="store_true",
                   help=tr("печатать только импортированное и ошибки (для cron)",
                           "print only what was imported and errors (for cron)"))
    p.set_defaults(handler=run)


def _load_config(ctx) -> Any:
    try:
        return ctx.config()
    except ImportError:      # the config module is not there yet: command-line sources only
        return None


def run(args: argparse.Namespace, ctx) -> int:
    from sferum_tui.service import acquire as core
    from sferum_tui.service.errors import UserError

    if args.wait and args.dry_run:
        raise UserError(tr("--wait и --dry-run вместе не используются",
                           "--wait and --dry-run cannot be combined"))
    for value in (args.timeout, args.retries, args.wait_tries, args.wait_interval):
        if isinstance(value, _Refused):
            raise UserError(value.message())
    if not args.dry_run:     # a read-only store: one line before anything is downloaded
        ctx.store().require_writable()
    config = _load_config(ctx)
    settings = core.settings_from_config(
        config, timeout=args.timeout, retries=args.retries, wait_max_tries=args.wait_tries,
        wait_interval_minutes=args.wait_interval)
    sources = core.resolve_sources(config, args.source, settings)
    with _Printer(quiet=args.quiet) as printer:
        kwargs = dict(settings=settings, sources=sources, on_event=printer,
                      store=lambda: ctx.store(), retry_refused=args.retry_refused)
        if args.wait:
            report = core.fetch_until_new(ctx.paths, config, **kwargs)
        else:
            report = core.fetch_once(ctx.paths, config, dry_run=args.dry_run, **kwargs)
    if not args.quiet or report.new or report.errors:
        print(report.summary(), flush=True)
    if report.new and not args.dry_run:  # as after ``import``: the indicator cache filled
        from sferum_tui.service.indicators import refresh_cache

        with ctx.store() as store:
            refresh_cache(store, config)
    return report.exit_code


class _Printer:
    """Shows fetch events: a rich progress bar on a terminal, plain lines otherwise."""

    def __init__(self, quiet: bool = False):
        self.quiet = quiet
        self.tty = sys.stderr.isatty() and sys.stdout.isatty()
        self.progress = None
        self.tasks: dict[tuple[str, str], Any] = {}

    def __enter__(self) -> "_Printer":
        if self.tty:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
                TransferSpeedColumn,
            )

            # markup=False: a file name such as "[/x]" is text, not rich markup (it raised)
            self.progress = Progress(TextColumn("{task.description}", markup=False), BarColumn(),
                                     DownloadColumn(), TransferSpeedColumn(),
                                     TimeRemainingColumn(),
                                     console=Console(stderr=True), transient=True)
            self.progress.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.progress is not None:
            self.progress.stop()

    def _out(self, text: str, err: bool = False) -> None:
        if self.progress is not None:
            self.progress.console.print(text, markup=False, highlight=False)
        else:
            print(text, file=sys.stderr if err else sys.stdout, flush=True)

    def __call__(self, event) -> None:
        kind = event.kind
        key = (event.source, event.file)
        if kind == "error":
            self._drop(key)
            self._out(f"sferum-tui: {event.message}", err=True)
        elif kind in ("imported",):
            self._drop(key)
            self._out(event.message)
        elif kind == "start":
            if self.progress is not None:
                self.tasks[key] = self.progress.add_task(event.file, total=event.total,
                                                         completed=event.done)
            elif not self.quiet:
                self._out(event.message)
        elif kind == "progress":
            task = self.tasks.get(key)
            if task is not None and self.progress is not None:
                self.progress.update(task, completed=event.done, total=event.total)
        elif kind in ("cached", "unchanged"):
            self._drop(key)
            if not self.quiet:
                self._out(event.message)
        elif kind == "retry":
            if not self.quiet:
                self._out(event.message, err=True)
        elif kind in ("plan", "listed", "waiting", "refused"):
            if not self.quiet:
                self._out(("  " if kind == "plan" else "") + event.message)

    def _drop(self, key) -> None:
        task = self.tasks.pop(key, None)
        if task is not None and self.progress is not None:
            self.progress.remove_task(task)
