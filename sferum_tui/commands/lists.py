"""Shortlists and exports: ``shortlist add|remove|show|list|clear|delete|rename|share`` and
``export``.  Personal and shared lists: see ``core/store/shortlists.py``.

The rows come from the indicators engine (``core/indicators.py``): the week table of the week
asked for (``--week``), narrowed by the same filters as ``schools``.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime

from sferum_tui.i18n import tr
from sferum_tui.service.errors import UserError


def register(sub, common) -> None:
    from sferum_tui.commands.filters import add_filter_args

    filters = argparse.ArgumentParser(add_help=False)
    add_filter_args(filters)

    sl = sub.add_parser(
        "shortlist", parents=[common],
        help=tr("списки организаций на контроль", "named shortlists of organisations"),
        description=tr(
            "Именованные списки организаций, хранятся в хранилище. ORG — ИНН или часть наименования.",
            "Named lists of organisations, kept in the store. ORG is an ИНН or part of the name."))
    ssub = sl.add_subparsers(dest="shortlist_command", metavar="ACTION")
    sl.set_defaults(handler=cmd_list, json=False)   # no action: the lists, as `shortlist list`

    p = ssub.add_parser(
        "add", parents=[common, filters],
        help=tr("добавить организации (по ИНН/наименованию или по фильтру)",
                "add organisations (by ИНН/name or by a filter)"),
        description=tr(
            "Добавляет в список NAME организации ORG и/или все организации недели, отобранные "
            "фильтром (как в команде schools). Список создаётся, если его нет.",
            "Adds the organisations ORG and/or every organisation of the week the filter picks "
            "(as the schools command does) to the list NAME, making the list if needed."))
    p.add_argument("name", metavar="NAME")
    p.add_argument("orgs", nargs="*", metavar="ORG")
    p.add_argument("--note", metavar="TEXT", help=tr("заметка к добавленным", "a note on those added"))
    p.set_defaults(handler=cmd_add)

    p = ssub.add_parser(
        "remove", parents=[common, filters],
        help=tr("убрать организации из списка", "take organisations out of a list"))
    p.add_argument("name", metavar="NAME")
    p.add_argument("orgs", nargs="*", metavar="ORG")
    p.set_defaults(handler=cmd_remove)

    p = ssub.add_parser(
        "show", parents=[common],
        help=tr("показать список с показателями недели и причинами",
                "show a list with the week's figures and reasons"))
    p.add_argument("name", metavar="NAME")
    _add_week_arg(p)
    p.add_argument("--format", default="table", metavar="table|json",
                   help=tr("вид вывода (по умолчанию table)", "output format (default table)"))
    p.set_defaults(handler=cmd_show)

    p = ssub.add_parser("list", parents=[common], help=tr("все списки", "all lists"))
    p.add_argument("--json", action="store_true", help=tr("вывести JSON", "print JSON"))
    p.set_defaults(handler=cmd_list)

    p = ssub.add_parser("clear", parents=[common],
                        help=tr("очистить список (сам список остаётся)", "empty a list (the list stays)"))
    p.add_argument("name", metavar="NAME")
    p.set_defaults(handler=cmd_clear)

    p = ssub.add_parser("delete", parents=[common], help=tr("удалить список", "delete a list"))
    p.add_argument("name", metavar="NAME")
    p.set_defaults(handler=cmd_delete)

    p = ssub.add_parser("rename", parents=[common], help=tr("переименовать список", "rename a list"))
    p.add_argument("name", metavar="NAME")
    p.add_argument("new_name", metavar="NEW")
    p.set_defaults(handler=cmd_rename)

    p = ssub.add_parser(
        "share", parents=[common],
        help=tr("сделать личный список общим (перенести в общее хранилище)",
                "make a personal list shared (move it into the team's store)"),
        description=tr(
            "Переносит личный список NAME в хранилище: его видят все, кто читает хранилище, и "
            "видно, кто менял его последним. Нужно право записи в хранилище. В своём хранилище "
            "(папка данных, без --store) все списки уже в хранилище.",
            "Moves the personal list NAME into the store: everyone who reads the store sees it, "
            "and who changed it last. Needs the right to write the store. On your own store (the "
            "data folder, no --store) every list is in the store already."))
    p.add_argument("name", metavar="NAME")
    p.set_defaults(handler=cmd_share)

    p = sub.add_parser(
        "export", parents=[common, filters],
        help=tr("выгрузить организации в csv, xlsx, md или json",
                "export organisations to csv, xlsx, md or json"),
        description=tr(
            "Выгружает организации недели, отобранные фильтром (как в schools), или список: "
            "export shortlist NAME. В файле — неделя, фильтр и причины по каждой организации.",
            "Exports the week's organisations the filter picks (as schools does), or a list: "
            "export shortlist NAME. The file carries the week, the filter and each school's reasons.")
        + " " + tr("Для Excel лучше xlsx: в CSV Excel сам превращает ИНН в число и теряет ведущий ноль.",
                   "For Excel prefer xlsx: Excel turns a CSV's ИНН into a number and drops the leading zero."))
    p.add_argument("source", nargs="*", metavar="shortlist NAME",
                   help=tr("выгрузить список NAME", "export the list NAME"))
    p.add_argument("--format", dest="fmt", metavar="csv|xlsx|md|json",
                   help=tr("формат (по умолчанию — по расширению файла)",
                           "format (default: from the file's extension)"))
    p.add_argument("-o", "--output", required=True, metavar="FILE",
                   help=tr("файл для записи («-» — стандартный вывод, кроме xlsx)",
                           "file to write (“-”: standard output, except xlsx)"))
    p.add_argument("--decimal-point", action="store_true",
                   help=tr("CSV с «,» между полями и десятичной точкой (по умолчанию «;» и "
                           "десятичная запятая — для Excel с русскими настройками)",
                           "CSV with “,” between fields and a decimal point (default: “;” and a "
                           "decimal comma, for Excel with Russian settings)"))
    # the default since the decimal comma became it; still accepted from older scripts
    p.add_argument("--decimal-comma", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(handler=cmd_export)


def _add_week_arg(p: argparse.ArgumentParser) -> None:
    from sferum_tui.commands.filters import add_week_arg

    add_week_arg(p)


def _spec(args):
    """The command's filters (``FilterSpec``); a bad ``--low-messaging`` is a one-line error
    before any work."""
    from sferum_tui.service.filters import FilterSpec

    return FilterSpec.from_args(args) if hasattr(args, "inactive") else FilterSpec()


def _filters_given(args) -> bool:
    from sferum_tui.commands.filters import filters_given

    return filters_given(args)


def _filter_text(args, cfg, shortlist: str | None = None) -> str:
    return _spec(args).describe(cfg, shortlist=shortlist)


def _week(store, cfg, spec, ctx):
    """``(snapshot, week table)`` for ``--week`` (scoped unless the store is the demo's)."""
    from sferum_tui.service.weeks import load_week

    week = load_week(store, cfg, spec, scope=not ctx.demo)
    return week.info, week.frame


def _filtered(store, cfg, args, ctx):
    snap, df = _week(store, cfg, args.week, ctx)
    spec = _spec(args)
    spec.check_municipalities(df, snap.period_label)
    return snap, spec.apply(df, cfg)


def _orgs_phrase(n: int) -> str:
    from sferum_tui.service.vocab import orgs

    return orgs(n)


def _print_json(value) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2, default=str))


# -- shortlist add / remove -----------------------------------------------------------------

def _resolve_orgs(store, texts: list[str]) -> list[int]:
    """ORG arguments → uids, in order, without repeats (``indicators.find_org``, as ``history``
    resolves its ORG: an ambiguous fragment is a one-line error listing the candidates)."""
    from sferum_tui.service import indicators as ind

    out: list[int] = []
    for text in texts:
        uid = ind.find_org(store, " ".join(str(text).split()))  # names are kept space-folded
        if uid not in out:
            out.append(uid)
    return out


def cmd_add(args, ctx) -> int:
    from sferum_tui.service.store import Shortlists, clean_name

    name = clean_name(args.name)
    _spec(args)
    if not args.orgs and not _filters_given(args):
        raise UserError(tr(
            "укажите организации (ИНН или часть наименования) или фильтр (--inactive, --low-messaging, …)",
            "name the organisations (ИНН or part of the name) or give a filter (--inactive, --low-messaging, …)"))
    with ctx.store() as store:
        uids = _resolve_orgs(store, args.orgs)
        picked = 0
        if _filters_given(args):
            _, df = _filtered(store, ctx.config(), args, ctx)
            found = [int(u) for u in df["org_uid"].tolist()]
            picked = len(found)
            named = set(uids)
            uids += [u for u in found if u not in named]
        lists = Shortlists(store)
        added = lists.add(name, uids, note=args.note) if uids else 0
        if not uids:
            lists.create(name)
        shown = lists.canonical_name(name) or name
        total = len(lists.contains(name))
    extra = tr(" (фильтр отобрал {n})", " (the filter picked {n})", n=picked) if _filters_given(args) else ""
    already = len(uids) - added
    tail = tr("; уже были в списке: {n}", "; already in the list: {n}", n=already) if already else ""
    print(tr("«{l}»: добавлено {a}{x}{t}; в списке {n}", "“{l}”: added {a}{x}{t}; {n} in the list",
             l=shown, a=_orgs_phrase(added), x=extra, t=tail, n=_orgs_phrase(total)))
    return 0


def _resolve_members(store, lists, name: str, texts: list[str]) -> list[int]:
    """ORGs for ``remove``: a fragment that names several organisations but only one member of
    the list means that member."""
    from sferum_tui.service import indicators as ind

    members = lists.contains(name)
    out: list[int] = []
    for text in texts:
        try:
            uid = ind.find_org(store, " ".join(str(text).split()))
        except ind.AmbiguousOrgError as err:
            inside = {int(u) for u in err.candidates["org_uid"].tolist()} & members
            if len(inside) != 1:
                raise
            uid = inside.pop()
        if uid not in out:
            out.append(uid)
    return out


def cmd_remove(args, ctx) -> int:
    from sferum_tui.service.store import Shortlists

    _spec(args)
    if not args.orgs and not _filters_given(args):
        raise UserError(tr(
            "укажите организации (ИНН или часть наименования) или фильтр; весь список очищает shortlist clear",
            "name the organisations (ИНН or part of the name) or give a filter; shortlist clear empties a list"))
    with ctx.store() as store:
        lists = Shortlists(store)
        lists.require(args.name)
        uids = _resolve_members(store, lists, args.name, args.orgs)
        if _filters_given(args):
            _, df = _filtered(store, ctx.config(), args, ctx)
            members = lists.contains(args.name) - set(uids)
            uids += [u for u in (int(x) for x in df["org_uid"].tolist()) if u in members]
        removed = lists.remove(args.name, uids) if uids else 0
        shown = lists.canonical_name(args.name) or args.name
        total = len(lists.contains(args.name))
    print(tr("«{l}»: убрано {r}; в списке {n}", "“{l}”: removed {r}; {n} in the list",
             l=shown, r=_orgs_phrase(removed), n=_orgs_phrase(total)))
    return 0


# -- shortlist show / list / clear / delete / rename ---------------------------------------------

def _member_table(store, cfg, name: str, week_spec, ctx):
    """``(snapshot or None, rows)``: the list's members beside the week's table."""
    from sferum_tui.service.store import Shortlists, join_members

    members = Shortlists(store).members(name)
    if not store.snapshots():
        rows = members.copy()
        rows["in_week"] = False
        rows["reasons"] = [[] for _ in range(len(rows))]
        return None, rows
    snap, week = _week(store, cfg, week_spec, ctx)
    rows = join_members(members, week)
    scope = getattr(cfg, "scope", None)
    scoped = bool(getattr(scope, "region", "") or getattr(scope, "municipalities", ()))
    if scoped and len(rows) and not bool(rows["in_week"].all()):
        # a member outside the configured scope still shows its figures
        from sferum_tui.service import indicators as ind

        rows = join_members(members, ind.week_table(store, cfg, snap.id, scope=False))
    return snap, rows


def _fmt_int(v) -> str:
    from sferum_tui.service.vocab import integer

    return integer(v, missing="")


def _fmt_share(v) -> str:
    from sferum_tui.service.vocab import is_missing, percent

    return "" if is_missing(v) else percent(v)


def _short(text, limit: int) -> str:
    text = "" if text is None or (isinstance(text, float) and text != text) else " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def cmd_show(args, ctx) -> int:
    from sferum_tui.commands.store import render_table
    from sferum_tui.service.outputs import render
    from sferum_tui.service.store import Shortlists

    if args.format not in ("table", "json"):
        raise UserError(tr("--format: ожидается table или json, получено «{v}»",
                           "--format: expected table or json, got “{v}”", v=args.format))
    with ctx.store() as store:
        cfg = ctx.config()
        lists = Shortlists(store)
        snap, rows = _member_table(store, cfg, args.name, args.week, ctx)
        shown = lists.canonical_name(args.name) or args.name
    if args.format == "json":
        sys.stdout.write(render(rows, "json", week=snap,
                                filter_text=_filter_text(args, cfg, shortlist=shown)).decode("utf-8"))
        return 0
    week = snap.period_label if snap is not None else tr("недель нет", "no weeks")
    print(tr("Список «{l}»: {n}; неделя {w}", "List “{l}”: {n}; week {w}",
             l=shown, n=_orgs_phrase(len(rows)), w=week))
    if rows.empty:
        print(tr("Список пуст. Добавить: sferum-tui shortlist add «{l}» ORG…",
                 "The list is empty. Add: sferum-tui shortlist add “{l}” ORG…", l=shown))
        return 0
    headers = [tr("№", "#"), tr("ИНН", "ИНН"), tr("Организация", "Organisation"),
               tr("Муниципалитет", "Municipality"), tr("Польз.", "Users"), tr("Классы", "Classes"),
               tr("Пишут/учит.", "Writing/teach."), tr("Доля", "Share"), tr("Причины", "Reasons"),
               tr("Заметка", "Note")]
    get = lambda rec, k: rec.get(k)  # noqa: E731
    table = []
    for i, rec in enumerate(rows.to_dict("records"), 1):
        writing = ""
        if rec.get("in_week"):
            a, t = _fmt_int(get(rec, "teachers_active")), _fmt_int(get(rec, "teachers"))
            writing = f"{a}/{t}" if a or t else ""
        reasons = rec.get("reasons") if isinstance(rec.get("reasons"), (list, tuple)) else []
        table.append([i, rec.get("org_id") or "", _short(rec.get("org_name"), 48),
                      _short(rec.get("municipality"), 28), _fmt_int(get(rec, "users_total")),
                      _fmt_int(get(rec, "classes")), writing, _fmt_share(get(rec, "messaging_share")),
                      _short("; ".join(reasons), 90) or tr("в порядке", "fine"),
                      _short(rec.get("note"), 30)])
    print(render_table(headers, table, right={0, 4, 5, 6, 7}))
    return 0


def _local(iso: str) -> str:
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return str(iso)
    return moment.astimezone().strftime("%d.%m.%Y %H:%M")


def cmd_list(args, ctx) -> int:
    from sferum_tui.commands.store import render_table
    from sferum_tui.service.store import Shortlists

    with ctx.store() as store:
        lists = Shortlists(store)
        infos = lists.lists()
        two_kinds = lists.personal is not None
    if args.json:
        _print_json([{"name": i.name, "count": i.count, "created_at": i.created_at,
                      "updated_at": i.updated_at, "shared": i.shared,
                      "changed_by": i.changed_by} for i in infos])
        return 0
    if not infos:
        print(tr("Списков нет. Создать: sferum-tui shortlist add ИМЯ ORG… (или с фильтром --inactive …)",
                 "No lists yet. Make one: sferum-tui shortlist add NAME ORG… (or with a filter --inactive …)"))
        return 0
    if two_kinds:       # a team's store: which lists are whose
        print(render_table(
            [tr("Список", "List"), tr("Организаций", "Organisations"), tr("Изменён", "Changed"),
             tr("Чей", "Whose"), tr("Кто менял", "Changed by")],
            [[i.name, i.count, _local(i.updated_at),
              tr("общий", "shared") if i.shared else tr("личный", "personal"),
              (i.changed_by or "") if i.shared else ""] for i in infos], right={1}))
        return 0
    print(render_table([tr("Список", "List"), tr("Организаций", "Organisations"), tr("Изменён", "Changed")],
                       [[i.name, i.count, _local(i.updated_at)] for i in infos], right={1}))
    return 0


def cmd_share(args, ctx) -> int:
    from sferum_tui.service.store import Shortlists

    with ctx.store() as store:
        name, moved = Shortlists(store).share(args.name)
    if moved:
        print(tr("«{l}»: список теперь общий — его видят все, кто читает хранилище {p}",
                 "“{l}”: the list is shared now — everyone who reads the store {p} sees it",
                 l=name, p=ctx.paths.store_label))
    else:
        print(tr("«{l}»: список уже в хранилище {p} (общий)",
                 "“{l}”: the list is in the store {p} already (shared)", l=name, p=ctx.paths.store_label))
    return 0


def cmd_clear(args, ctx) -> int:
    from sferum_tui.service.store import Shortlists

    with ctx.store() as store:
        lists = Shortlists(store)
        removed = lists.clear(args.name)
        shown = lists.canonical_name(args.name) or args.name
    print(tr("«{l}»: список очищен, убрано {r}", "“{l}”: the list is empty now, removed {r}",
             l=shown, r=_orgs_phrase(removed)))
    return 0


def cmd_delete(args, ctx) -> int:
    from sferum_tui.service.store import Shortlists

    with ctx.store() as store:
        lists = Shortlists(store)
        shown = lists.canonical_name(args.name) or args.name
        removed = lists.delete(args.name)
    print(tr("«{l}»: список удалён (в нём было {r})", "“{l}”: the list is deleted (it held {r})",
             l=shown, r=_orgs_phrase(removed)))
    return 0


def cmd_rename(args, ctx) -> int:
    from sferum_tui.service.store import Shortlists

    with ctx.store() as store:
        lists = Shortlists(store)
        old = lists.canonical_name(args.name) or args.name
        new = lists.rename(args.name, args.new_name)
    print(tr("«{o}» теперь называется «{n}»", "“{o}” is now called “{n}”", o=old, n=new))
    return 0


# -- export ---------------------------------------------------------------------------------

def cmd_export(args, ctx) -> int:
    from sferum_tui.service import outputs as ex
    from sferum_tui.service.store import Shortlists

    _spec(args)
    shortlist = None
    if args.source:
        if len(args.source) == 2 and args.source[0].casefold() in ("shortlist", "список"):
            shortlist = args.source[1]
        else:
            raise UserError(tr("ожидается «export shortlist ИМЯ» или фильтры, получено «{v}»",
                               "expected “export shortlist NAME” or filters, got “{v}”",
                               v=" ".join(args.source)))
    to_stdout = args.output == "-"
    if args.fmt is not None:
        args.fmt = ex.check_format(args.fmt)
    fmt = args.fmt or (None if to_stdout else ex.format_for_path(args.output))
    if fmt is None:
        raise UserError(tr("{p}: по имени файла не понять формат; укажите --format csv|xlsx|md|json",
                           "{p}: the format cannot be told from the file name; pass --format csv|xlsx|md|json",
                           p=args.output))
    if to_stdout and fmt == "xlsx":
        raise UserError(tr("xlsx нельзя вывести в терминал; укажите файл: -o ФАЙЛ.xlsx",
                           "xlsx cannot go to the terminal; name a file: -o FILE.xlsx"))
    with ctx.store() as store:
        cfg = ctx.config()
        if shortlist is not None:
            lists = Shortlists(store)
            shown = lists.canonical_name(shortlist) or shortlist
            snap, rows = _member_table(store, cfg, shortlist, args.week, ctx)
            if _filters_given(args):
                keep = set(_spec(args).apply(rows[rows["in_week"]].drop(columns=["in_week"]),
                                             cfg)["org_uid"].tolist())
                rows = rows[rows["org_uid"].isin(keep)].reset_index(drop=True)
            text = _filter_text(args, cfg, shortlist=shown)
        else:
            snap, rows = _filtered(store, cfg, args, ctx)
            text = _filter_text(args, cfg)
    if to_stdout:
        data = ex.render(rows, fmt, week=snap, filter_text=text,
                         decimal_comma=not args.decimal_point)
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return 0
    result = ex.export(rows, args.output, fmt, week=snap, filter_text=text,
                       decimal_comma=not args.decimal_point)
    print(tr("{p}: выгружено {n}", "{p}: exported {n}", p=result.path, n=_orgs_phrase(result.count)))
    return 0
