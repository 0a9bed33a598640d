"""``sferum-tui inspect FILE... [--json] [--period YYYY-MM-DD]``: read, report, write nothing."""

from __future__ import annotations

import json
import sys

from sferum_tui.commands.stdin import STDIN, add_stdin_name_arg, check_files, shown_text, stdin_file
from sferum_tui.i18n import tr
from sferum_tui.service.errors import UserError
from sferum_tui.service.vocab import shown_path

FIELD_TITLES = {
    "region": ("Регион", "Region"), "municipality": ("Муниципалитет", "Municipality"),
    "org_id": ("ИНН", "ИНН"), "org_name": ("Организация", "Organisation"), "status": ("Статус", "Status"),
    "users_total": ("Польз.", "Users"), "staff_total": ("Сотр.", "Staff"), "teachers": ("Учит.", "Teach."),
    "students": ("Учен.", "Stud."), "parents": ("Родит.", "Parents"), "classes": ("Классы", "Classes"),
    "chats": ("Чаты", "Chats"), "teachers_active": ("Учит.>3", "Teach.>3"),
    "teachers_active_share": ("Доля >3", "Share >3"),
}


def register(sub, common) -> None:
    p = sub.add_parser(
        "inspect", parents=[common],
        help=tr("прочитать недельные файлы и показать, что понято (ничего не записывает)",
                "read weekly files and show what was understood (writes nothing)"),
        description=tr("Читает недельные файлы мониторинга и показывает период, сопоставление "
                       "столбцов, счёт, пропущенные строки, предупреждения и первые строки; "
                       "у книги по листу на неделю — найденные недели и пропущенные листы. "
                       "Ничего не записывает.",
                       "Reads weekly monitoring files and reports the period, the column mapping, "
                       "counts, skipped rows, warnings and the first rows; for a workbook of a "
                       "sheet per week, the weeks found and the sheets skipped. Nothing is written."),
    )
    p.add_argument("files", nargs="+", metavar="FILE",
                   help=tr("недельный файл («-» — стандартный ввод)",
                           "weekly file (“-”: standard input)"))
    p.add_argument("--json", action="store_true",
                   help=tr("по объекту JSON на файл, по одному в строке",
                           "one JSON object per file, one per line"))
    p.add_argument("--period", metavar="YYYY-MM-DD",
                   help=tr("начало периода, если его нет ни в заголовке, ни в имени файла",
                           "period start to use when neither the title rows nor the file name "
                           "give one"))
    add_stdin_name_arg(p)
    p.add_argument("--rows", type=int, default=10, metavar="N",
                   help=tr("сколько строк показать в отчёте (по умолчанию 10)",
                           "rows to show in the text report (default 10)"))
    p.set_defaults(handler=run)


def _config(ctx):
    try:
        return ctx.config()
    except ImportError:
        return None


def run(args, ctx) -> int:
    from sferum_tui.service.ingest import read_weeks

    cfg = _config(ctx)
    aliases = dict(getattr(cfg, "aliases", {}) or {})
    limits = getattr(cfg, "limits", None)
    check_files(args.files)
    status = 0
    for path in args.files:
        try:
            if path == STDIN:
                with stdin_file(ctx.paths.cache_dir, args.name) as tmp:
                    book = read_weeks(tmp, period_hint=args.period, extra_aliases=aliases,
                                      strict=False, limits=limits, preview=not args.json)
                    book.source = shown_text(book.source, tmp, args.name)
                    for result in book.weeks:
                        result.source = book.source
                        result.errors[:] = [shown_text(e, tmp, args.name) for e in result.errors]
                        result.warnings[:] = [shown_text(w, tmp, args.name) for w in result.warnings]
            else:
                book = read_weeks(path, period_hint=args.period, extra_aliases=aliases,
                                  strict=False, limits=limits, preview=not args.json)
        except UserError as err:
            print(f"sferum-tui: {err.message}", file=sys.stderr)
            status = 1
            continue
        for result in book.weeks:
            if result.errors:
                status = 1
                for line in result.errors:
                    print(f"sferum-tui: {line}", file=sys.stderr)
        if args.json:
            value = book.to_json() if book.by_sheet else book.weeks[0].to_json()
            sys.stdout.write(json.dumps(value, ensure_ascii=False) + "\n")
        elif book.by_sheet:
            print_weeks(book, args.rows)
        else:
            print_report(book.weeks[0], args.rows)
    sys.stdout.flush()
    return status


def print_weeks(book, nrows: int = 10) -> None:
    """A workbook of a sheet per week: the weeks found (a line each), the sheets skipped, then
    each week's report."""
    out = [f"{tr('Файл', 'File')}: {shown_path(book.source)}  [{book.weeks[0].file_format}]",
           tr("Книга по листу на неделю, недель: {n}", "A workbook of a sheet per week, {n} weeks",
              n=len(book.weeks))]
    width = min(max(len(r.sheet or "") for r in book.weeks), 40)
    for r in book.weeks:
        out.append(f"  {_cut(r.sheet, 40):<{width}}  {r.period.start:%d.%m.%Y} – {r.period.end:%d.%m.%Y}  "
                   + tr("организаций: {n}", "organisations: {n}", n=len(r.rows))
                   + (("; " + tr("предупреждений: {n}", "warnings: {n}", n=len(r.warnings))) if r.warnings else ""))
    for note in book.notes():
        out.append(f"  {note}")
    print("\n".join(out))
    print()
    for r in book.weeks:
        print_report(r, nrows)


def _cut(text: str, width: int) -> str:
    text = "" if text is None else str(text)
    return text if len(text) <= width else text[: width - 1] + "…"


def print_report(result, nrows: int = 10) -> None:
    out = []
    out.append(f"{tr('Файл', 'File')}: {shown_path(result.source)}  [{result.file_format}"
               + (f", {tr('лист', 'sheet')} «{result.sheet}»" if result.sheet else "") + "]")
    if result.period:
        origin = {"title": tr("из заголовка", "from the title"), "filename": tr("из имени файла", "from the file name"),
                  "option": tr("из --period", "from --period"), "sheet": tr("из имени листа", "from the sheet name")}
        out.append(f"{tr('Период', 'Period')}: {result.period.start:%d.%m.%Y} – {result.period.end:%d.%m.%Y}"
                   f" ({origin.get(result.period_origin, '')})")
    else:
        out.append(f"{tr('Период', 'Period')}: {tr('не найден', 'not found')}")
    out.append("")
    out.append(tr("Столбцы:", "Columns:"))
    width = max((len(k) for k in result.columns), default=10)
    width = min(width, 60)
    for header, field in result.columns.items():
        out.append(f"  {_cut(header, 60):<{width}}  → {field or tr('(не используется)', '(not used)')}")
    out.append("")
    rows = result.rows
    statuses = rows.column("status") if hasattr(rows, "column") else [r.get("status") for r in rows]
    out.append(tr("Организаций: {n}; активны: {a}; не активны: {i}; строк пропущено: {s}; предупреждений: {w}",
                  "Organisations: {n}; active: {a}; inactive: {i}; rows skipped: {s}; warnings: {w}",
                  n=len(result.rows), a=statuses.count("active"), i=statuses.count("inactive"),
                  s=len(result.skipped), w=len(result.warnings)))
    if result.skipped:
        out.append("")
        out.append(tr("Пропущенные строки:", "Skipped rows:"))
        for item in result.skipped[:20]:
            out.append(f"  {tr('строка', 'row')} {item['row']}: {item['reason']}")
        if len(result.skipped) > 20:
            out.append("  " + tr("… и ещё {n}", "… and {n} more", n=len(result.skipped) - 20))
    if result.warnings:
        out.append("")
        out.append(tr("Предупреждения:", "Warnings:"))
        for w in result.warnings:
            out.append(f"  ! {w}")
    if result.errors:
        out.append("")
        out.append(tr("Ошибки:", "Errors:"))
        for e in result.errors[:20]:
            out.append(f"  ✗ {e}")
    if result.rows and nrows > 0:
        from sferum_tui.i18n import get_language

        idx = 1 if get_language() == "en" else 0
        fields = [f for f in FIELD_TITLES if any(r.get(f) is not None for r in result.rows[:nrows])]
        widths = {f: 30 if f == "org_name" else 18 if f in ("municipality", "region") else 10 for f in fields}
        out.append("")
        out.append(tr("Первые строки:", "First rows:"))
        head = [f"{tr('стр.', 'row'):>5}"] + [_cut(FIELD_TITLES[f][idx], widths[f]).ljust(widths[f]) if f in ("org_name", "municipality", "region", "org_id", "status")
                                              else _cut(FIELD_TITLES[f][idx], widths[f]).rjust(8) for f in fields]
        out.append("  ".join(head))
        for r in result.rows[:nrows]:
            cells = [f"{r['row']:>5}"]
            for f in fields:
                v = r.get(f)
                if f == "teachers_active_share" and v is not None:
                    text = f"{v * 100:.1f}%"
                elif f == "status" and v is not None:
                    text = tr("активна", "active") if v == "active" else tr("не активна", "inactive")
                else:
                    text = "—" if v is None else str(v)
                if f in ("org_name", "municipality", "region", "org_id", "status"):
                    cells.append(_cut(text, widths[f]).ljust(widths[f]))
                else:
                    cells.append(_cut(text, 8).rjust(8))
            out.append("  ".join(cells))
    print("\n".join(out))
    print()
