"""``sferum-tui demo``: build the disposable demo store from synthetic weekly files and open it.

The demo never touches the user's own store: it always works in the demo folder (the one
``--demo`` selects), wipes it, writes the files into ``<demo folder>/files/`` and imports them
through the real reader and store, exactly as a user's files would be.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import textwrap
import time
from pathlib import Path

from sferum_tui.i18n import plural_ru, tr
from sferum_tui.service.errors import UserError

DEFAULT_SCALE = "region"
DEFAULT_WEEKS = 8
DEFAULT_SEED = 1
MAX_WEEKS = 260


def register(sub, common) -> None:
    p = sub.add_parser(
        "demo", parents=[common],
        help=tr("создать демонстрационное хранилище на синтетических данных и открыть его",
                "build the demo store from synthetic data and open it"),
        description=tr(
            "Создаёт синтетические недельные файлы мониторинга (в разных «грязных» форматах), "
            "загружает их через обычное чтение файлов в отдельное демо-хранилище и открывает "
            "консоль. Демо-хранилище одноразовое: каждый запуск пересоздаёт его; ваше "
            "хранилище не затрагивается. Все организации, ИНН и цифры вымышлены.",
            "Writes synthetic weekly monitoring files (in several messy layouts), imports them "
            "through the real reader into a separate demo store and opens the console. The demo "
            "store is disposable: every run rebuilds it; your own store is not touched. Every "
            "organisation, ИНН and figure is invented."))
    p.add_argument("--scale", choices=("district", "region", "country"), default=DEFAULT_SCALE,
                   help=tr("масштаб: район (~25 ОО), регион (~1 400 ОО), страна (~40 000 ОО); "
                           "по умолчанию регион",
                           "scale: district (~25 organisations), region (~1,400), "
                           "country (~40,000); default region"))
    p.add_argument("--weeks", type=int, default=DEFAULT_WEEKS, metavar="N",
                   help=tr("сколько недель создать (по умолчанию 8)",
                           "how many weeks to generate (default 8)"))
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, metavar="S",
                   help=tr("seed (случайное начальное число) генератора данных: одно и то же "
                           "число даёт те же данные (по умолчанию 1)",
                           "random seed: the same seed gives the same data (default 1)"))
    p.add_argument("--no-open", action="store_true",
                   help=tr("только создать хранилище и напечатать сводку, консоль не открывать",
                           "only build the store and print the summary; do not open the console"))
    p.set_defaults(handler=cmd_demo)


def _scale_name(scale: str) -> str:
    return {"district": tr("район", "district"), "region": tr("регион", "region"),
            "country": tr("страна", "country")}[scale]


def _headlines(store, cfg, held: int):
    """``(first, latest, latest week's label)``: the headline numbers of the first and the
    latest held week (the demo store is never scoped: its synthetic region is not the
    user's)."""
    from sferum_tui.service.headline import headline
    from sferum_tui.service.weeks import load_week

    first = headline(load_week(store, cfg, f"latest-{held - 1}", scope=False).frame, cfg)
    latest = load_week(store, cfg, "latest", scope=False)
    return first, headline(latest.frame, cfg), latest.label


def _messaging(h) -> float | None:
    """The teacher messaging KPI's value (the figure the letter quotes)."""
    return next((k.value for k in h.kpis if k.key == "teacher_messaging"), None)


def _seconds(t: float) -> str:
    return tr("{s} с", "{s} s", s=f"{t:.1f}".replace(".", tr(",", ".")))


def _wipe_demo_home(home: Path) -> None:
    """Remove the demo folder; refuse anything that is not a ``demo`` folder."""
    if home.name != "demo":  # resolve_paths(demo=True) always ends in …/demo
        raise UserError(tr("папка {p} не похожа на демо-хранилище; удалять её не стану",
                           "{p} does not look like the demo store; not deleting it", p=home))
    if home.exists():
        try:
            shutil.rmtree(home)
        except OSError as exc:
            raise UserError(tr("не удаётся очистить демо-хранилище {p}: {e}",
                               "cannot clear the demo store {p}: {e}",
                               p=home, e=exc.strerror or exc)) from exc


def _progress(text: str) -> None:
    if sys.stderr.isatty():
        sys.stderr.write("\r\033[K" + text)
        sys.stderr.flush()


def _progress_done() -> None:
    if sys.stderr.isatty():
        sys.stderr.write("\r\033[K")
        sys.stderr.flush()


def _aligned(pairs: list[tuple[str, str]]) -> str:
    """``  key:  value`` lines, the values in one column and wrapped at word boundaries to the
    terminal (continuations indented under the value; nothing wrapped when piped)."""
    from sferum_tui.commands.reports import term_width

    key_width = max(len(k) for k, _ in pairs) + 1
    indent = " " * (2 + key_width + 1)
    width = term_width()
    if width - len(indent) < 24:   # too narrow for a column: the value under its key
        indent = "    "
    out = []
    for key, value in pairs:
        first = f"  {key + ':':<{key_width}} "
        if len(first) > len(indent):
            out.append(first.rstrip())
            first = indent
        out.extend(textwrap.wrap(value, width=width, initial_indent=first.ljust(len(indent)),
                                 subsequent_indent=indent, break_long_words=False,
                                 break_on_hyphens=False) or [first.rstrip()])
    return "\n".join(out)


def cmd_demo(args: argparse.Namespace, ctx) -> int:
    from sferum_tui.service import demo
    from sferum_tui.service.config import Config, resolve_paths
    from sferum_tui.service.store import Store
    from sferum_tui.service.vocab import integer, percent, weeks

    if not 1 <= args.weeks <= MAX_WEEKS:
        raise UserError(tr("--weeks: нужно число от 1 до {m}, а не {n}",
                           "--weeks: expected a number from 1 to {m}, not {n}",
                           m=MAX_WEEKS, n=args.weeks))
    if args.seed < 0:
        raise UserError(tr("--seed: нужно неотрицательное целое число, а не {n}",
                           "--seed: expected a non-negative integer, not {n}", n=args.seed))

    # always the demo store, whatever flags came with the command
    ctx.paths = resolve_paths(ctx.home_arg, demo=True)
    ctx.demo = True
    home = ctx.paths.home
    _wipe_demo_home(home)
    files_dir = home / "files"

    if args.scale == "country":
        print(tr("Страна — это около 40 000 организаций; создание и загрузка займут время.",
                 "The country scale is about 40,000 organisations; this takes a while."))
    _progress(tr("Создаю синтетические файлы…", "Writing synthetic files…"))
    t0 = time.perf_counter()
    built = demo.generate_demo(files_dir, scale=args.scale, weeks=args.weeks, seed=args.seed)
    t_gen = time.perf_counter() - t0

    t0 = time.perf_counter()
    try:
        cfg = ctx.config()  # for the indicator cache only
    except UserError:  # the console, when it opens, says what is wrong with the config
        cfg = None
    with Store(home) as store:
        demo.import_demo(store, built, cfg, say=_progress)
        held = len(store.snapshots())
        t_imp = time.perf_counter() - t0
        # the figures below are the store's own headline numbers (as summary and the console
        # show them), not the generator's
        first, last, last_label = _headlines(store, cfg or Config.default(), held)
    _progress_done()

    pop = built.population
    n_munis = len(pop.municipalities)
    area = pop.area_title
    from sferum_tui.commands.reports import term_width

    print(textwrap.fill(tr("Демонстрационное хранилище готово. Данные синтетические: "
                           "организации, ИНН и цифры вымышлены.",
                           "The demo store is ready. The data is synthetic: organisations, ИНН "
                           "and figures are invented."),
                        width=term_width(), break_on_hyphens=False))
    lines = [
        (tr("Масштаб", "Scale"), tr("{s} — {a}", "{s} — {a}", s=_scale_name(args.scale), a=area)),
        (tr("Организаций", "Organisations"),
         tr("{n} в справочнике, {m} " + plural_ru(n_munis, "муниципалитет", "муниципалитета",
                                                 "муниципалитетов")
            + "; в последней неделе {k}",
            "{n} in the registry, {m} municipalit" + ("y" if n_munis == 1 else "ies")
            + "; {k} in the latest week",
            n=integer(len(pop)), m=integer(n_munis), k=integer(last.in_file))),
        (tr("Недели", "Weeks"),
         tr("{w}, последняя {p} (seed, случайное начальное число: {s})",
            "{w}, the latest {p} (random seed {s})",
            w=weeks(len(built.weekly)), p=last_label, s=args.seed)),
        (tr("Неактивных профилей", "Inactive profiles"),
         tr("{a} в первую неделю → {b} из {n} ({c}) в последнюю",
            "{a} in the first week → {b} of {n} ({c}) in the latest",
            a=percent(first.inactive_share, 1), b=integer(last.inactive),
            n=integer(last.orgs_total), c=percent(last.inactive_share, 1))),
        (tr("Учителей, написавших >3 сообщений", "Teachers who wrote >3 messages"),
         tr("{a} в первую неделю → {b} в последнюю", "{a} in the first week → {b} in the latest",
            a=percent(_messaging(first), 1), b=percent(_messaging(last), 1))),
        (tr("Файлы", "Files"),
         tr("{p} ({n} " + plural_ru(len(built.weekly), "недельный файл", "недельных файла",
                                     "недельных файлов") + " в разных форматах и справочник ОО)",
            "{p} ({n} weekly file" + ("" if len(built.weekly) == 1 else "s")
            + " in several layouts and the registry)",
            p=files_dir, n=len(built.weekly))),
        (tr("Хранилище", "Store"),
         tr("{p} — одноразовое: каждый запуск demo пересоздаёт его; ваше хранилище не тронуто",
            "{p} — disposable: every demo run rebuilds it; your own store is untouched",
            p=home)),
        (tr("Время", "Time"),
         tr("файлы {g}, загрузка {i} (в хранилище {n})",
            "files {g}, import {i} ({n} in the store)",
            g=_seconds(t_gen), i=_seconds(t_imp), n=weeks(held))),
    ]
    print(_aligned(lines))
    print(tr("Другие команды на этих данных: sferum-tui --demo weeks",
             "Other commands on this data: sferum-tui --demo weeks"))
    sys.stdout.flush()

    if args.no_open:
        return 0
    from sferum_tui.cli import _open_console

    # with no terminal the store is built all the same: a hint, and success
    return _open_console(ctx, no_terminal_code=0)
