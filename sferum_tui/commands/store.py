"""Store commands: ``import FILE...``, ``weeks``, ``registry import|show|missing``."""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from datetime import date, datetime
from pathlib import Path

from sferum_tui.commands.stdin import STDIN, add_stdin_name_arg, check_files, stdin_file, stdin_name
from sferum_tui.i18n import tr
from sferum_tui.service.errors import UserError
from sferum_tui.service.vocab import one_line, shown_path


def register(sub, common) -> None:
    p = sub.add_parser(
        "import", parents=[common],
        help=tr("импортировать недельные файлы в хранилище", "import weekly files into the store"),
        description=tr(
            "Импортирует каждый файл как снимок одной недели (каждый — отдельной транзакцией). "
            "С --add все файлы одной недели становятся одним снимком (одна транзакция).",
            "Imports each file as the snapshot of one week (each in its own transaction). "
            "With --add the files of one week become one snapshot (one transaction)."))
    p.add_argument("files", nargs="+", metavar="FILE",
                   help=tr("недельный файл («-» — стандартный ввод)", "weekly file (“-”: standard input)"))
    p.add_argument("--period", metavar="YYYY-MM-DD",
                   help=tr("начало отчётной недели, если в файле его нет",
                           "start of the reporting week when the file does not say"))
    add_stdin_name_arg(p)
    p.add_argument("--replace", action="store_true",
                   help=tr("заменить уже загруженную неделю (прежний снимок сохраняется как заменённый)",
                           "replace a week already held (the previous snapshot is kept as superseded)"))
    p.add_argument("--add", action="store_true",
                   help=tr("объединить файлы одной недели в один снимок (например, по файлу на "
                           "муниципалитет) или добавить их к уже загруженной неделе; с --replace "
                           "файл заменяет строки только своих муниципалитетов",
                           "merge files of one week into one snapshot (e.g. one file per "
                           "municipality) or add them to the week held; with --replace a file "
                           "replaces the rows of its own municipalities only"))
    p.add_argument("--replace-rows", action="store_true",
                   help=tr("с --add: организация, которая есть в двух файлах, берётся из более "
                           "позднего (без него такие файлы не объединяются)",
                           "with --add: an organisation in two files is taken from the later "
                           "file (without it such files are refused)"))
    p.set_defaults(handler=cmd_import)

    p = sub.add_parser("weeks", parents=[common],
                       help=tr("список загруженных недель", "list the imported weeks"))
    p.add_argument("--all", action="store_true",
                   help=tr("показать и заменённые снимки", "show superseded snapshots too"))
    p.add_argument("--json", action="store_true", help=tr("вывести JSON", "print JSON"))
    p.set_defaults(handler=cmd_weeks)

    reg = sub.add_parser("registry", parents=[common],
                         help=tr("справочник организаций (ОО)", "registry of organisations"))
    rsub = reg.add_subparsers(dest="registry_command", metavar="ACTION")
    reg.set_defaults(handler=lambda args, ctx: _registry_usage(reg))

    p = rsub.add_parser("import", parents=[common],
                        help=tr("загрузить справочник (заменяет прежний целиком)",
                                "load the registry (replaces the previous one as a whole)"))
    p.add_argument("file", metavar="FILE")
    p.set_defaults(handler=cmd_registry_import)

    p = rsub.add_parser("show", parents=[common],
                        help=tr("показать справочник", "show the registry"))
    p.add_argument("--json", action="store_true", help=tr("вывести JSON", "print JSON"))
    p.add_argument("--limit", type=int, default=None, metavar="N",
                   help=tr("сколько строк показать (по умолчанию 20; в JSON — все)",
                           "how many rows to show (default 20; all in JSON)"))
    p.set_defaults(handler=cmd_registry_show)

    p = rsub.add_parser("missing", parents=[common],
                        help=tr("организации справочника, которых нет в недельном файле",
                                "registry organisations absent from a week's file"))
    p.add_argument("--week", metavar="N|YYYY-MM-DD",
                   help=tr("номер снимка или дата внутри недели (по умолчанию последняя неделя)",
                           "snapshot number or a date within the week (default: the latest week)"))
    p.add_argument("--json", action="store_true", help=tr("вывести JSON", "print JSON"))
    p.add_argument("--limit", type=int, default=None, metavar="N",
                   help=tr("сколько строк показать (по умолчанию все)", "how many rows to show (default all)"))
    p.set_defaults(handler=cmd_registry_missing)

    st = sub.add_parser("store", parents=[common],
                        help=tr("хранилище целиком: перенос в PostgreSQL и обратно",
                                "the store as a whole: moving it to PostgreSQL and back"))
    ssub = st.add_subparsers(dest="store_command", metavar="ACTION")
    st.set_defaults(handler=lambda args, ctx: _registry_usage(st))
    p = ssub.add_parser(
        "migrate", parents=[common],
        help=tr("скопировать выбранное хранилище в другое, пустое (SQLite ↔ PostgreSQL)",
                "copy the selected store into another, empty one (SQLite ↔ PostgreSQL)"),
        description=tr(
            "Копирует все недели, справочники, организации, списки и копии файлов выбранного "
            "хранилища (--store, SFERUM_TUI_STORE, [store] url или папка данных) в пустое "
            "хранилище --to одной транзакцией и сверяет число строк каждой таблицы; при "
            "расхождении ничего не записывается. Исходное хранилище не меняется.",
            "Copies every week, registry, organisation, list and file copy of the selected store "
            "(--store, SFERUM_TUI_STORE, [store] url or the data folder) into the empty store --to "
            "in one transaction and checks the row count of every table; on any difference nothing "
            "is written. The source store is not changed."))
    p.add_argument("--to", required=True, metavar="URL",
                   help=tr("куда: postgresql://ПОЛЬЗОВАТЕЛЬ@СЕРВЕР/БАЗА, sqlite:ПАПКА или папка",
                           "where to: postgresql://USER@HOST/DATABASE, sqlite:FOLDER or a folder"))
    p.set_defaults(handler=cmd_store_migrate)


# -- helpers --------------------------------------------------------------------------------

def _extra_aliases(cfg) -> dict | None:
    """Header aliases added in the config file (``[aliases]``), or None."""
    return dict(getattr(cfg, "aliases", None) or {}) or None


def _fail_line(path: str, message: str) -> str:
    name, path = shown_path(Path(path).name), shown_path(path)
    message = one_line(message)
    if name and (name in message or path in message):
        return f"sferum-tui: {message}"
    return f"sferum-tui: {path}: {message}"


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def render_table(headers: list[str], rows: list[list], right: set[int] = frozenset()) -> str:
    """Columns aligned by width; ``right`` holds the indexes of right-aligned (number) columns."""
    cells = [[("" if v is None else str(v)) for v in r] for r in rows]
    keep = [i for i, h in enumerate(headers) if h or any(r[i] for r in cells)]
    if len(keep) < len(headers):  # an unnamed column with nothing in it
        right = {keep.index(i) for i in right if i in keep}
        headers = [headers[i] for i in keep]
        cells = [[r[i] for i in keep] for r in cells]
    widths = [max([_width(h)] + [_width(r[i]) for r in cells]) for i, h in enumerate(headers)]

    def line(values):
        out = []
        for i, v in enumerate(values):
            pad = " " * (widths[i] - _width(v))
            out.append(pad + v if i in right else v + pad)
        return "  ".join(out).rstrip()

    sep = "  ".join("─" * w for w in widths).rstrip()
    return "\n".join([line(headers), sep] + [line(r) for r in cells])


def _local_time(iso: str, short: bool = False) -> str:
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    return moment.astimezone().strftime("%d.%m %H:%M" if short else "%d.%m.%Y %H:%M")


def _print_json(value) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def _shorten(text: str | None, limit: int = 48) -> str:
    text = text or ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- import ---------------------------------------------------------------------------------

def cmd_import(args, ctx) -> int:
    from sferum_tui.service.indicators import refresh_cache
    from sferum_tui.service.store import open_store

    check_files(args.files)
    cfg = ctx.config()
    aliases = _extra_aliases(cfg)
    failed = 0
    weeks = 0       # weeks this command imported
    if getattr(args, "replace_rows", False) and not getattr(args, "add", False):
        raise UserError(tr("--replace-rows действует только вместе с --add",
                           "--replace-rows works only together with --add"))
    with open_store(ctx.paths) as store:
        store.require_writable()        # one line for the run, not one per file
        if getattr(args, "add", False):
            return _import_add(args, ctx, store, cfg, aliases)
        for name in args.files:
            shown = stdin_name(args.name) if name == STDIN else name
            try:
                if name == STDIN:
                    with stdin_file(ctx.paths.cache_dir, args.name) as tmp:
                        outcome = store.import_file(tmp, period=args.period, replace=args.replace,
                                                    source_name=shown, extra_aliases=aliases,
                                                    limits=cfg.limits)
                else:
                    outcome = store.import_file(name, period=args.period, replace=args.replace,
                                                extra_aliases=aliases, limits=cfg.limits)
            except UserError as err:
                failed += 1
                print(_fail_line(shown, err.message), file=sys.stderr)
                continue
            if outcome.status != "unchanged":
                weeks += len(outcome.weeks) or 1
            print(f"{shown_path(Path(shown).name)}: {outcome.message}")
            for week in outcome.weeks:      # a workbook of a sheet per week: a line per week
                sheet = week.snapshot.sheet
                print("  " + tr("лист «{s}»: {m}", "sheet «{s}»: {m}", s=sheet, m=week.message))
            for note in outcome.notes:
                print("  " + note)
            sys.stdout.flush()
        if weeks > 1:
            # a history built in one command: the first report or console start would compute
            # every one of these weeks' indicator codes first (~3 s for 150 country weeks)
            refresh_cache(store, cfg)
    # One week's codes are not cached here: only that week lacks them (a weekly file changes
    # neither the config nor the registry the cache is keyed by), and the next reader computes
    # and stores them in ~0.1 s, whereas computing them here imports pandas and evaluates the
    # week on top of all the import made resident: +50-65 MiB, which was the import's peak
    # (issue 10: national week 233 MiB, bound 174).  `fetch` still warms the cache.
    return 1 if failed else 0


def _import_add(args, ctx, store, cfg, aliases) -> int:
    """``import --add FILE…``: every file into one snapshot, in one transaction (all or none);
    the merged week's indicator codes are left to the next reader, as in :func:`cmd_import`."""
    if STDIN in args.files:
        raise UserError(tr("--add читает файлы, не стандартный ввод («-»)",
                           "--add reads files, not standard input (“-”)"))
    names = ", ".join(shown_path(Path(n).name) for n in args.files)
    try:
        outcome = store.add_files(args.files, period=args.period, replace=args.replace,
                                  replace_rows=args.replace_rows, extra_aliases=aliases,
                                  limits=cfg.limits)
    except UserError as err:
        print(_fail_line(args.files[0] if len(args.files) == 1 else names, err.message),
              file=sys.stderr)
        return 1
    print(f"{names}: {outcome.message}", flush=True)
    return 0


# -- weeks ----------------------------------------------------------------------------------

def cmd_weeks(args, ctx) -> int:
    from sferum_tui.service.store import open_store
    from sferum_tui.service.vocab import integer as format_int
    from sferum_tui.service.vocab import orgs as orgs_phrase

    with open_store(ctx.paths) as store:
        snaps = store.snapshots(include_superseded=args.all)
        registry = store.registry()
        missing = store.missing_counts() if registry is not None else {}
    if args.json:
        _print_json([{
            "id": s.id,
            "period": {"start": s.period_start.isoformat(), "end": s.period_end.isoformat()},
            "source": s.source_name, "sha256": s.sha256, "imported_at": s.imported_at,
            "rows": s.rows, "skipped": s.skipped, "warnings": s.warnings,
            "superseded_by": s.superseded_by,
            "missing": missing.get(s.id) if registry is not None and s.current else None,
            "blob": str(s.blob_path),
            "files": [{"name": f.source_name, "sha256": f.sha256, "blob": str(f.blob_path),
                       "sheet": f.sheet, "rows": f.rows, "skipped": f.skipped,
                       "added_at": f.added_at} for f in s.files],
        } for s in snaps])
        return 0
    if not snaps:
        print(tr("Хранилище пусто ({p}). Загрузите недельный файл: sferum-tui import ФАЙЛ",
                 "The store is empty ({p}). Import a weekly file: sferum-tui import FILE",
                 p=ctx.paths.store_label))
        return 0
    headers = [tr("№", "#"), tr("Неделя", "Week"), tr("Файл", "File"),
               tr("Орг.", "Orgs"), tr("Пропущ.", "Skipped")]
    right = {0, 3, 4}
    if registry is not None:
        headers.append(tr("Нет", "Missing"))
        right.add(len(headers) - 1)
    headers += [tr("Загружен", "Imported"), ""]
    rows = []
    for s in snaps:
        row = [s.id, s.period_label, s.source_name or "", format_int(s.rows), format_int(s.skipped)]
        if registry is not None:
            row.append(format_int(missing.get(s.id)) if s.current else "")
        state = "" if s.current else tr("заменён №{i}", "superseded by #{i}", i=s.superseded_by)
        if s.warnings and s.current:
            state = f"⚠ {len(s.warnings)}"
        row += [_local_time(s.imported_at, short=True), state]
        rows.append(row)
        if len(s.files) > 1:
            # a week of several files: its files on the lines under it
            row[2] = tr("файлов: {n}", "{n} files", n=len(s.files))
            for f in s.files:
                sub = ["", "", f"  └ {f.source_name}", format_int(f.rows), format_int(f.skipped)]
                if registry is not None:
                    sub.append("")
                rows.append(sub + [_local_time(f.added_at, short=True), ""])
    # the file name takes what the terminal has left (readable at 80 columns)
    import shutil as _shutil

    term = _shutil.get_terminal_size((100, 24)).columns
    others = sum(max(_width(str(h)), max((_width(str(r[i])) for r in rows), default=0)) + 2
                 for i, h in enumerate(headers) if i != 2)
    room = max(16, term - others - 1)
    for r in rows:
        r[2] = _shorten(r[2], room)
    print(render_table(headers, rows, right))
    if registry is not None:
        print(tr("Справочник: {f}, {n}; «Нет» — организации справочника, которых нет в файле недели "
                 "(список: sferum-tui registry missing --week N); ⚠ — предупреждения (sferum-tui inspect).",
                 "Registry: {f}, {n}; “Missing” counts registry organisations absent from the week "
                 "(list: sferum-tui registry missing --week N).", f=registry.source_name, n=orgs_phrase(registry.rows)))
    return 0


# -- registry -------------------------------------------------------------------------------

def _registry_usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 1


def cmd_registry_import(args, ctx) -> int:
    from sferum_tui.service.indicators import refresh_cache
    from sferum_tui.service.store import open_store

    with open_store(ctx.paths) as store:
        store.require_writable()
        try:
            cfg = ctx.config()
            outcome = store.import_registry(args.file, extra_aliases=_extra_aliases(cfg), limits=cfg.limits)
        except UserError as err:
            print(_fail_line(args.file, err.message), file=sys.stderr)
            return err.exit_code
        print(f"{shown_path(Path(args.file).name)}: {outcome.message}", flush=True)
        if outcome.status != "unchanged":  # staff counts feed every week's registration codes
            refresh_cache(store, cfg)
    return 0


def _org_rows(frame, limit: int | None) -> list[dict]:
    if limit is not None:
        frame = frame.head(limit)
    out = []
    for rec in frame.to_dict("records"):
        out.append({k: (None if _isna(v) else (int(v) if hasattr(v, "__int__") and k in
                                               ("org_uid", "row", "staff_total") else v))
                    for k, v in rec.items()})
    return out


def _isna(v) -> bool:
    try:
        import pandas as pd

        return v is None or bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _org_table(records: list[dict]) -> str:
    from sferum_tui.service.vocab import integer as format_int

    headers = [tr("Стр.", "Row"), tr("ИНН", "ИНН"), tr("Организация", "Organisation"),
               tr("Муниципалитет", "Municipality"), tr("Сотрудников", "Staff")]
    rows = [[r.get("row"), r.get("org_id") or "", _shorten(r.get("org_name"), 56),
             _shorten(r.get("municipality"), 32),
             format_int(r.get("staff_total")) if r.get("staff_total") is not None else ""]
            for r in records]
    return render_table(headers, rows, right={0, 4})


def cmd_registry_show(args, ctx) -> int:
    from sferum_tui.service.store import open_store
    from sferum_tui.service.vocab import integer as format_int

    with open_store(ctx.paths) as store:
        info = store.registry()
        frame = store.registry_frame() if info is not None else None
    if info is None:
        if args.json:
            _print_json({"registry": None, "count": 0, "rows": []})
        else:
            print(tr("Справочник организаций не загружен: sferum-tui registry import ФАЙЛ",
                     "No registry of organisations: sferum-tui registry import FILE"))
        return 0
    if args.json:
        _print_json({"registry": {"id": info.id, "source": info.source_name, "sha256": info.sha256,
                                  "imported_at": info.imported_at, "skipped": info.skipped,
                                  "warnings": info.warnings, "blob": str(info.blob_path)},
                     "count": len(frame), "rows": _org_rows(frame, args.limit)})
        return 0
    limit = 20 if args.limit is None else args.limit
    print(tr("Справочник: {f} (импортирован {t}), организаций: {n}",
             "Registry: {f} (imported {t}), {n} organisations",
             f=info.source_name, t=_local_time(info.imported_at), n=format_int(len(frame))))
    if info.skipped:
        print(tr("Пропущено строк: {n}", "Rows skipped: {n}", n=format_int(info.skipped)))
    for w in info.warnings[:5]:
        print(tr("Предупреждение: {w}", "Warning: {w}", w=w))
    if limit > 0 and len(frame):
        print(_org_table(_org_rows(frame, limit)))
        if len(frame) > limit:
            print(tr("… и ещё {n} (все: --limit {t} или --json)", "… and {n} more (all: --limit {t} or --json)",
                     n=format_int(len(frame) - limit), t=len(frame)))
    return 0


def _pick_week(store, week: str | None):
    if week is None:
        snap = store.latest()
        if snap is None:
            raise UserError(tr("в хранилище нет ни одной недели", "the store holds no week"))
        return snap
    week = week.strip()
    if week.isdigit():
        return store.snapshot(int(week))
    try:
        day = date.fromisoformat(week)
    except ValueError:
        raise UserError(tr("--week: ожидается номер снимка или дата ГГГГ-ММ-ДД, получено «{v}»",
                           "--week: expected a snapshot number or a date YYYY-MM-DD, got “{v}”", v=week)) from None
    snap = store.snapshot_for(day)
    if snap is None:
        raise UserError(tr("нет недели, в которую входит {d} (список: sferum-tui weeks)",
                           "no week contains {d} (see: sferum-tui weeks)", d=day.strftime("%d.%m.%Y")))
    return snap


def cmd_registry_missing(args, ctx) -> int:
    from sferum_tui.service.store import open_store
    from sferum_tui.service.vocab import integer as format_int

    with open_store(ctx.paths) as store:
        if store.registry() is None:
            raise UserError(tr("справочник организаций не загружен: sferum-tui registry import ФАЙЛ",
                               "no registry of organisations: sferum-tui registry import FILE"))
        snap = _pick_week(store, args.week)
        frame = store.missing(snap.id)
    records = _org_rows(frame, args.limit)
    if args.json:
        _print_json({"snapshot": snap.id,
                     "period": {"start": snap.period_start.isoformat(), "end": snap.period_end.isoformat()},
                     "count": len(frame), "rows": records})
        return 0
    print(tr("Неделя {p} (снимок №{i}): нет в файле {n} организаций справочника",
             "Week {p} (snapshot #{i}): {n} registry organisations absent from the file",
             p=snap.period_label, i=snap.id, n=format_int(len(frame))))
    if records:
        print(_org_table(records))
    return 0


# -- store migrate --------------------------------------------------------------------------

def cmd_store_migrate(args, ctx) -> int:
    from sferum_tui.service.config import with_store
    from sferum_tui.service.store import copy_store, open_store

    dest_paths = with_store(ctx.paths, args.to)
    source, dest = ctx.paths.store_label, dest_paths.store_label
    if (dest_paths.store_url or None, dest_paths.home if not dest_paths.store_url else None) == \
            (ctx.paths.store_url or None, ctx.paths.home if not ctx.paths.store_url else None):
        raise UserError(tr("--to: это то же хранилище, что и исходное ({p})",
                           "--to: it is the same store as the source ({p})", p=source))
    print(tr("Копирую {a} → {b}…", "Copying {a} → {b}…", a=source, b=dest), file=sys.stderr)
    with open_store(ctx.paths) as src, open_store(dest_paths) as dst:
        copied = copy_store(src, dst)
    from sferum_tui.service.vocab import integer

    rows = [[c.table, integer(c.rows)] for c in copied]
    print(render_table([tr("Таблица", "Table"), tr("Строк", "Rows")], rows, right={1}))
    lost = [rel for c in copied for rel in c.missing]
    if lost:
        print(tr("внимание: в исходном хранилище нет копий файлов ({n}: {r}); недели скопированы, "
                 "но перечитать их исходные файлы будет нельзя",
                 "warning: the source store has lost file copies ({n}: {r}); the weeks are copied, "
                 "but their original files cannot be read again", n=len(lost),
                 r=one_line(", ".join(lost[:3]) + (" …" if len(lost) > 3 else ""), 200)),
              file=sys.stderr)
    print(tr("Скопировано и сверено: {b} (строки каждой таблицы совпадают с {a})",
             "Copied and checked: {b} (every table's rows match {a})", a=source, b=dest))
    return 0
