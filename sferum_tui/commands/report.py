"""``report``: the weekly meeting's analysis (HTML, XLSX, Markdown) and per-municipality packets.

The numbers are the service's (:mod:`sferum_tui.service.report`, built on ``summary``): the
report of a week equals ``summary --format json`` for that week.
"""

from __future__ import annotations

import sys
import time

from sferum_tui.i18n import tr
from sferum_tui.service.errors import UserError


def register(sub, common) -> None:
    from sferum_tui.commands.filters import add_today_arg, add_week_arg

    p = sub.add_parser(
        "report", parents=[common],
        help=tr("еженедельный анализ для совещания (HTML, XLSX, Markdown) и пакеты по "
                "муниципалитетам",
                "the weekly meeting's analysis (HTML, XLSX, Markdown) and packets per "
                "municipality"),
        description=tr(
            "Отчёт недели: показатели против целей и сроков, динамика за последние недели, "
            "муниципалитеты (больше всего неактивных сверху), изменения и отстающие школы с "
            "причинами. HTML — один самодостаточный файл, печатается на 1–2 листа A4. С "
            "--by-municipality -o ПАПКА — по файлу на каждый муниципалитет.",
            "The week's report: indicators against targets and deadlines, the trend over the "
            "last weeks, municipalities (most inactive first), changes and the lagging schools "
            "with their reasons. HTML is one self-contained file that prints on 1–2 A4 pages. "
            "With --by-municipality -o FOLDER: one file per municipality."))
    add_week_arg(p)
    p.add_argument("--municipality", metavar="M", default=None,
                   help=tr("только этот муниципалитет (часть названия тоже подходит)",
                           "only this municipality (a part of the name works too)"))
    p.add_argument("--format", choices=("html", "md", "xlsx"), default=None,
                   help=tr("формат (по умолчанию — по имени файла, иначе html)",
                           "format (default: from the file name, else html)"))
    p.add_argument("-o", "--output", metavar="FILE", required=True,
                   help=tr("файл отчёта («-» — в стандартный вывод, для md и html); с "
                           "--by-municipality — папка",
                           "the report file (\"-\": standard output, for md and html); with "
                           "--by-municipality, a folder"))
    p.add_argument("--by-municipality", action="store_true",
                   help=tr("по файлу на каждый муниципалитет в папку -o",
                           "one file per municipality into the -o folder"))
    p.add_argument("--limit", type=int, default=None, metavar="N",
                   help=tr("сколько отстающих школ перечислить в HTML (по умолчанию 25; "
                           "0 — все); остальные посчитаны",
                           "how many lagging schools to list in the HTML (default 25; 0: all); "
                           "the rest are counted"))
    p.add_argument("--weeks", type=int, default=None, metavar="N",
                   help=tr("недель в графиках динамики (по умолчанию 12)",
                           "weeks in the trend charts (default 12)"))
    add_today_arg(p)
    p.set_defaults(handler=cmd_report)


def cmd_report(args, ctx) -> int:
    from sferum_tui.commands.filters import parse_today
    from sferum_tui.service import report as rep
    from sferum_tui.service.vocab import integer, shown_path

    today = parse_today(args.today)
    for flag, value in (("--limit", args.limit), ("--weeks", args.weeks)):
        if value is not None and value < 0:
            raise UserError(tr("{f}: ожидается число не меньше 0", "{f}: expected a number of at least 0",
                               f=flag))
    out = args.output
    # the format: given, else html for a folder or standard output, else from the file name
    fmt = rep.check_format(args.format or ("html" if args.by_municipality or out == "-" else None),
                           None if args.by_municipality else out)
    if out == "-" and fmt == "xlsx":
        raise UserError(tr("-o -: XLSX в стандартный вывод не пишется; укажите файл",
                           "-o -: XLSX is not written to standard output; name a file"))
    store = ctx.store()
    cfg = ctx.config()
    started = time.perf_counter()
    if args.by_municipality:
        if out == "-":
            raise UserError(tr("--by-municipality: -o должен быть папкой, не «-»",
                               "--by-municipality: -o must be a folder, not “-”"))
        packets = rep.build_packets(store, cfg, args.week, municipality=args.municipality,
                                    scope=not ctx.demo, today=today)
        paths = rep.write_packets(packets, out, fmt)
        print(tr("{p}: записано пакетов по муниципалитетам: {n} ({f}, {s:.1f} с)",
                 "{p}: packets per municipality written: {n} ({f}, {s:.1f} s)",
                 p=shown_path(out), n=integer(len(paths)), f=fmt,
                 s=time.perf_counter() - started))
        return 0
    limit = args.limit if args.limit is not None else rep.SCHOOLS_SHOWN
    built = rep.build_report(store, cfg, args.week, municipality=args.municipality,
                             scope=not ctx.demo, today=today, limit=limit or None,
                             weeks=rep.TREND_WEEKS if args.weeks is None else args.weeks)
    if out == "-":
        sys.stdout.write(rep.render(built.doc, fmt).decode("utf-8"))
        sys.stdout.flush()
        return 0
    size = rep.write_report(built.doc, out, fmt)
    print(tr("{p}: отчёт за неделю {w} записан ({f}, {k} КБ, {s:.1f} с)",
             "{p}: the report for the week {w} written ({f}, {k} KB, {s:.1f} s)",
             p=shown_path(out), w=built.doc.week_label, f=fmt, k=integer(max(1, size // 1024)),
             s=time.perf_counter() - started))
    return 0
