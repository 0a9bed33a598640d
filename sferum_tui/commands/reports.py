"""Report commands for scripts and meetings: ``summary``, ``schools``, ``history``, ``changes``.

All numbers come from :mod:`sferum_tui.service` (the console shows the same ones).
Tables fit the terminal; piped to a file (or another program) nothing is cut: full names,
every reason, no wrapping (``COLUMNS=N`` asks for a width anyway); ``--format csv|json`` print every indicator
column under its stable snake_case name (see docs/indicators.md).

The shortlist and export commands live in ``sferum_tui/commands/lists.py`` and reuse
``week_table`` + ``filter_schools`` the same way :func:`cmd_schools` does.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import textwrap
import unicodedata

from sferum_tui.commands.filters import parse_today
from sferum_tui.i18n import tr
from sferum_tui.service.errors import UserError

FORMATS = ("table", "csv", "json")


# --------------------------------------------------------------------------------------------
# Registration
# --------------------------------------------------------------------------------------------

def _week_arg(p: argparse.ArgumentParser) -> None:
    from sferum_tui.commands.filters import add_week_arg

    add_week_arg(p)


def register(sub, common) -> None:
    from sferum_tui.commands.filters import add_filter_args, add_today_arg

    p = sub.add_parser(
        "summary", parents=[common],
        help=tr("сводка: показатели против целей и сроков, изменения, худшие муниципалитеты",
                "summary: indicators vs targets and deadlines, changes, worst municipalities"))
    _week_arg(p)
    add_today_arg(p)
    p.add_argument("--top", type=int, default=5, metavar="N",
                   help=tr("сколько худших муниципалитетов показать (по умолчанию 5)",
                           "how many worst municipalities to show (default 5)"))
    p.add_argument("--format", choices=("table", "json"), default="table",
                   help=tr("формат вывода (json — один объект, ключи описаны в README)",
                           "output format (json: one object, keys in the README)"))
    p.set_defaults(handler=cmd_summary)

    p = sub.add_parser(
        "schools", parents=[common],
        help=tr("организации недели с показателями; фильтры, сортировка, CSV/JSON",
                "the week's organisations with indicators; filters, sorting, CSV/JSON"))
    add_filter_args(p)
    p.add_argument("--sort", metavar="FIELD", default=None,
                   help=tr("поле сортировки (name, inn, users, messaging, registration, weeks или "
                           "любой столбец; «-поле» — по убыванию)",
                           "sort field (name, inn, users, messaging, registration, weeks or any "
                           "column; \"-field\" sorts descending)"))
    p.add_argument("--desc", action="store_true", help=tr("по убыванию", "descending"))
    p.add_argument("--limit", type=int, default=None, metavar="N",
                   help=tr("не больше N строк", "at most N rows"))
    p.add_argument("--reasons", action="store_true",
                   help=tr("в таблице: причины под каждой строкой",
                           "in the table: the reasons under each row"))
    p.add_argument("--format", choices=FORMATS, default="table",
                   help=tr("формат вывода", "output format"))
    _decimal_point_arg(p)
    p.set_defaults(handler=cmd_schools)

    p = sub.add_parser(
        "history", parents=[common],
        help=tr("недели одной организации", "one organisation's weeks"))
    p.add_argument("org", metavar="ORG", help=tr("ИНН или часть названия", "an ИНН or a part of the name"))
    p.add_argument("--format", choices=FORMATS, default="table",
                   help=tr("формат вывода", "output format"))
    _decimal_point_arg(p)
    p.set_defaults(handler=cmd_history)

    p = sub.add_parser(
        "changes", parents=[common],
        help=tr("что изменилось с прошлой недели: стали неактивными, восстановились, падения и рост",
                "what changed since last week: newly inactive, recovered, falls and rises"))
    _week_arg(p)
    p.add_argument("--limit", type=int, default=10, metavar="N",
                   help=tr("строк в каждом разделе (по умолчанию 10; 0 — все)",
                           "rows per section (default 10; 0 = all)"))
    p.add_argument("--format", choices=FORMATS, default="table",
                   help=tr("формат вывода (csv: столбец change — раздел)",
                           "output format (csv: the change column names the section)"))
    _decimal_point_arg(p)
    p.set_defaults(handler=cmd_changes)

    # shortlist / export: registered by sferum_tui/commands/lists.py (see cli.COMMAND_MODULES)


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------

def _load_week(args, ctx):
    from sferum_tui.service.weeks import load_week

    store = ctx.store()
    cfg = ctx.config()
    week = load_week(store, cfg, getattr(args, "week", None), scope=not ctx.demo)
    return store, cfg, week.info, week.frame


def _num(v) -> str:
    from sferum_tui.service.vocab import integer

    return integer(v)


def _pct(v, digits: int | None = None) -> str:
    from sferum_tui.service.vocab import percent

    return percent(v, digits)


def _pp(delta) -> str:
    """A change of a share in percentage points with an arrow and the unit."""
    from sferum_tui.service.vocab import signed_pp

    return signed_pp(delta, unit=True)


def _delta_int(v) -> str:
    from sferum_tui.service.vocab import signed_int

    return signed_int(v)


def _period(start_iso: str | None, end_iso: str | None) -> str:
    from sferum_tui.service.vocab import period

    return period(start_iso, end_iso)


def _orgs(n: int) -> str:
    from sferum_tui.service.vocab import orgs

    return orgs(n)


def _width(text: str) -> int:
    return sum(0 if unicodedata.combining(ch) else
               (2 if unicodedata.east_asian_width(ch) in "WF" else 1) for ch in text)


def _cut(text: str, limit: int) -> str:
    if limit <= 0:
        return ""
    if _width(text) <= limit:
        return text
    out, w = [], 0
    for ch in text:
        cw = _width(ch)
        if w + cw > limit - 1:
            break
        out.append(ch)
        w += cw
    return "".join(out) + "…"


#: The width of output that goes to a file or a pipe: nothing is cut or shortened there, so
#: ``grep`` finds a school by its full name and every reason is kept.
UNBOUNDED = 1_000_000


def term_width() -> int:
    """The terminal's width (``COLUMNS`` if set); :data:`UNBOUNDED` when standard output is
    not a terminal and ``COLUMNS`` does not ask for a width."""
    if "COLUMNS" not in os.environ and not sys.stdout.isatty():
        return UNBOUNDED
    return max(40, shutil.get_terminal_size((80, 24)).columns)


def render_table(headers: list[str], rows: list[list[str]], *, right: set[int] = frozenset(),
                 flex: dict[int, int] | None = None, width: int | None = None,
                 after: list[list[str] | None] | None = None,
                 before: list[list[str] | None] | None = None) -> str:
    """Aligned columns that fit ``width``: the ``flex`` columns (index → minimum width) give up
    space first, their cells cut with «…»; then the gaps narrow to one space.  ``before[i]`` /
    ``after[i]``: lines printed above / under row ``i``."""
    width = width or term_width()
    cells = [["" if v is None else str(v) for v in r] for r in rows]
    natural = [max([_width(h)] + [_width(r[i]) for r in cells]) for i, h in enumerate(headers)]
    flex = dict(flex or {})
    for gap in (2, 1):
        widths = list(natural)
        total = sum(widths) + gap * (len(widths) - 1)
        while total > width and flex:
            # shrink the flexible column with the most room above its minimum
            i = max(flex, key=lambda j: widths[j] - flex[j])
            if widths[i] <= flex[i]:
                break
            widths[i] -= 1
            total -= 1
        if total <= width:
            break

    def line(values: list[str]) -> str:
        out = []
        for i, v in enumerate(values):
            v = _cut(v, widths[i])
            pad = " " * (widths[i] - _width(v))
            out.append(pad + v if i in right else v + pad)
        return (" " * gap).join(out).rstrip()

    lines = [line(headers), (" " * gap).join("─" * w for w in widths)]
    for k, r in enumerate(cells):
        if before and before[k]:
            lines.extend(before[k])
        lines.append(line(r))
        if after and after[k]:
            lines.extend(after[k])
    return "\n".join(lines)


def _name_cell(name, width: int) -> str:
    """The organisation's name: in a terminal without the legal form and quotes (to fit);
    in full when the output is piped (``width`` :data:`UNBOUNDED`)."""
    from sferum_tui.service.indicators import short_name

    if not isinstance(name, str):
        return "—"
    return name if width >= UNBOUNDED else short_name(name)


def _status_cell(row) -> str:
    if row["missing"]:
        return tr("нет", "absent")
    text = tr("неакт.", "inactive") if row["inactive"] else tr("акт.", "active")
    return text + ("*" if row["status_disagrees"] else "")


def _status_legend() -> str:
    return tr("Статус: акт./неакт. — по статусу в файле, а без статуса по правилу; * — статус "
              "расходится с правилом; нет — нет в файле недели.",
              "Status: active/inactive as the file states it, else by the rule; * — the status "
              "contradicts the rule; absent — not in the week's file.")


def _wrap(text: str, indent: str, width: int) -> list[str]:
    return textwrap.wrap(text, width=max(20, width), initial_indent=indent,
                         subsequent_indent=indent + "  ", break_on_hyphens=False) or [indent]


# --------------------------------------------------------------------------------------------
# Output of rows as CSV / JSON
# --------------------------------------------------------------------------------------------

def _print_json_records(records: list[dict]) -> None:
    out = sys.stdout
    if not records:
        out.write("[]\n")
        return
    out.write("[\n")
    last = len(records) - 1
    for i, r in enumerate(records):
        out.write(json.dumps(r, ensure_ascii=False))
        out.write(",\n" if i < last else "\n")
    out.write("]\n")


def _decimal_point_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--decimal-point", action="store_true",
                   help=tr("CSV с «,» между полями и десятичной точкой (по умолчанию «;» и "
                           "десятичная запятая — для Excel с русскими настройками)",
                           "CSV with “,” between fields and a decimal point (default: “;” and a "
                           "decimal comma, for Excel with Russian settings)"))


def _print_csv(df, columns: list[str], args, *, first: tuple[str, list] | None = None) -> None:
    """Rows as CSV on standard output through the one CSV writer (``core/outputs/csvout``):
    the columns under their snake_case names; ``first``: a leading column (name, values)."""
    from sferum_tui.service.indicators import json_records
    from sferum_tui.service.outputs import write_csv

    records = json_records(df, columns)
    header = ([first[0]] if first else []) + columns
    lead = first[1] if first else None
    rows = (([lead[i]] if lead is not None else []) +
            [("; ".join(v) if isinstance(v, list) else v) for v in (r[c] for c in columns)]
            for i, r in enumerate(records))
    sys.stdout.flush()
    write_csv(sys.stdout.buffer, header, rows, decimal_comma=not getattr(args, "decimal_point", False))
    sys.stdout.buffer.flush()


# --------------------------------------------------------------------------------------------
# schools
# --------------------------------------------------------------------------------------------

def cmd_schools(args, ctx) -> int:
    from sferum_tui.service import indicators as ind

    if args.limit is not None and args.limit < 0:
        raise UserError(tr("--limit: ожидается число не меньше 0", "--limit: expected a number of at least 0"))
    from sferum_tui.service.filters import FilterSpec

    spec = FilterSpec.from_args(args)
    store, cfg, snap, df = _load_week(args, ctx)
    spec.check_municipalities(df, snap.period_label)
    total = len(df)
    out = spec.apply(df, cfg)
    matched = len(out)
    if args.sort:
        out = ind.sort_schools(out, args.sort, descending=args.desc)
    else:
        out = ind.sort_schools(ind.sort_schools(out, "org_name"), "municipality")
        if args.desc:
            out = out.iloc[::-1]
    if args.limit:  # 0 or none: every row
        out = out.head(args.limit)
    if args.format == "json":
        _print_json_records(ind.json_records(out, ind.output_columns(cfg)))
        return 0
    if args.format == "csv":
        _print_csv(out, ind.output_columns(cfg), args)
        return 0
    print(_schools_table(out, snap, total, spec.describe(cfg) if spec.any else "", args.reasons,
                         grouped=not args.sort and not args.desc, matched=matched))
    return 0


def _schools_table(df, snap, total: int, filters: str, with_reasons: bool,
                   grouped: bool = False, matched: int | None = None) -> str:
    """One line per organisation; under the default order (municipality, name) a line per
    municipality heads its organisations instead of a municipality column."""
    width = term_width()
    many_munis = df["municipality"].nunique(dropna=True) > 1
    munis_column = many_munis and not grouped
    headers = [tr("ИНН", "ИНН"), tr("Организация", "Organisation")]
    if munis_column:
        headers.append(tr("МО", "Municipality"))
    headers += [tr("Статус", "Status"), tr("Польз.", "Users"), tr("Кл.", "Cl."),
                tr("Учит.", "Teach."), tr("Пишут", "Write"), tr("Рег.", "Reg."),
                tr("Нед.", "Wks")]
    first_num = 4 if munis_column else 3
    right = set(range(first_num, len(headers)))
    rows, after, before = [], [], []
    current = object()
    for r in df.to_dict("records"):
        muni = r["municipality"] if isinstance(r["municipality"], str) else "—"
        if grouped and many_munis and muni != current:
            before.append(["", f"▸ {muni}"])
            current = muni
        else:
            before.append(None)
        cells = [r["org_id"] if isinstance(r["org_id"], str) else "—",
                 _name_cell(r["org_name"], width)]
        if munis_column:
            cells.append(muni)
        cells += [_status_cell(r), _num(r["users_total"]), _num(r["classes"]),
                  _num(r["teachers"]), _pct(r["messaging_share"], 0), _pct(r["registration_share"], 0),
                  str(int(r["weeks_below"])) if r["weeks_below"] else ""]
        rows.append(cells)
        if with_reasons:
            text = "; ".join(r["reasons"]) if r["reasons"] else tr("нет замечаний", "nothing lags")
            after.append(_wrap("↳ " + text, "   ", width))
    flex = {1: 12}
    if munis_column:
        flex[2] = 8
    head = tr("Неделя {p} · снимок №{i}", "Week {p} · snapshot #{i}", p=snap.period_label, i=snap.id)
    lines = [head]
    if filters:
        lines.append(tr("Фильтр: {f}", "Filter: {f}", f=filters))
    lines.append("")
    if rows:
        lines.append(render_table(headers, rows, right=right, flex=flex, width=width,
                                  after=after if with_reasons else None, before=before))
        lines.append("")
    if matched is not None and matched != total:
        lines.append(tr("Показано {n} из {m} подходящих (всего {t}).", "Shown: {n} of {m} matching ({t} in all).",
                        n=len(rows), m=matched, t=_orgs(total)))
    else:
        lines.append(tr("Показано {n} из {t}.", "Shown: {n} of {t}.", n=len(rows), t=_orgs(total)))
    if rows:
        lines.append(tr("Пишут — доля учителей, написавших более 3 сообщений; Рег. — доля "
                        "зарегистрированных сотрудников; Нед. — недель подряд ниже цели.",
                        "Write — share of teachers who wrote more than 3 messages; Reg. — share "
                        "of staff registered; Wks — weeks in a row below target."))
        lines.append(_status_legend())
    return "\n".join(_wrap_lines(lines, width))


def _wrap_lines(lines: list[str], width: int) -> list[str]:
    out = []
    for line in lines:
        if "\n" in line or _width(line) <= width or line.startswith(("─", " ")):
            out.append(line)
        else:
            out.extend(textwrap.wrap(line, width=width, break_on_hyphens=False) or [""])
    return out


# --------------------------------------------------------------------------------------------
# summary
# --------------------------------------------------------------------------------------------

def cmd_summary(args, ctx) -> int:
    from sferum_tui.service.headline import deadline_text, summary, summary_json
    from sferum_tui.service.vocab import day

    today = parse_today(args.today)
    if args.top < 0:
        raise UserError(tr("--top: ожидается число не меньше 0", "--top: expected a number of at least 0"))
    store = ctx.store()
    cfg = ctx.config()
    s = summary(store, cfg, args.week, scope=not ctx.demo, today=today)
    if args.format == "json":
        print(json.dumps(summary_json(s), ensure_ascii=False, indent=1))
        return 0
    df, snap, h = s.frame, s.info, s.headline
    width = term_width()
    lines = [tr("Сводка · неделя {p} · снимок №{i} · {o}",
                "Summary · week {p} · snapshot #{i} · {o}",
                p=snap.period_label, i=snap.id, o=_orgs(h.orgs_total))]
    regions = sorted({r for r in df["region"].dropna().unique().tolist() if r})
    if len(regions) == 1:
        lines[0] += f" · {regions[0]}"
    lines.append(tr(
        "в файле {p} · нет в файле {m} · активны {a} · неактивны {i} ({s}) · "
        "мало пишут (< {t}) {l} · не все зарегистрированы {u} · статус расходится с правилом {d}",
        "in the file {p} · missing {m} · active {a} · inactive {i} ({s}) · "
        "low messaging (< {t}) {l} · not all registered {u} · status contradicts the rule {d}",
        p=_num(h.in_file), m=_num(h.missing), a=_num(h.active), i=_num(h.inactive),
        s=_pct(h.inactive_share, 1), t=_threshold(h.threshold), l=_num(h.low_messaging),
        u=_num(h.unregistered), d=_num(h.status_disagrees)))
    lines.append("")

    wide = width >= 110   # the «of» column (numerator/denominator) when there is room
    headers = [tr("Показатель", "Indicator"), tr("Сейчас", "Now")]
    headers += [tr("Из", "Of")] if wide else []
    headers += [tr("Цель", "Target"), tr("За неделю", "Week"), tr("Срок", "Deadline"),
                tr("До срока", "Time left")]
    rows = []
    for k in h.kpis:
        of = [f"{_num(k.numerator)}/{_num(k.denominator)}" if k.denominator else "—"] if wide else []
        rows.append([k.title, _pct(k.value, 1), *of, _threshold(k.target), _pp(k.delta),
                     day(k.deadline) if k.deadline else "—", deadline_text(k)])
    lines.append(render_table(headers, rows, right=set(range(1, 5 if wide else 4)), flex={0: 16},
                              width=width))
    overdue = [k for k in h.kpis if k.overdue]
    if overdue:
        lines.append("")
        lines.append(tr("Просрочено: {l}.", "Overdue: {l}.",
                        l="; ".join(f"{k.title} ({_pct(k.value, 1)} / {_threshold(k.target)})"
                                    for k in overdue)))

    lines.append("")
    prev_label = _period(df.attrs.get("previous_start"), df.attrs.get("previous_end"))
    if df.attrs.get("previous_id") is None:
        lines.append(tr("Прошлой недели в хранилище нет — изменений не показать.",
                        "No previous week in the store — no changes to show."))
    else:
        newly, rec = s.newly_inactive, s.recovered
        lines.append(tr("С прошлой недели ({p}): стали неактивными {a} · восстановились {b}",
                        "Since last week ({p}): newly inactive {a} · recovered {b}",
                        p=prev_label, a=_num(len(newly)), b=_num(len(rec))))
        for label, part in ((tr("стали неактивными", "newly inactive"), newly),
                            (tr("восстановились", "recovered"), rec)):
            if len(part):
                names = [str(x) for x in part["org_name"].fillna("—").head(5)]
                more = len(part) - len(names)
                tail = tr(" … и ещё {n} (sferum-tui changes)", " … and {n} more (sferum-tui changes)",
                          n=_num(more)) if more > 0 else ""
                lines.extend(_wrap(f"{label}: " + "; ".join(names) + tail, "  ", width))

    top = args.top
    roll = s.rollup
    if top and len(df) and len(roll) > 1:
        lines.append("")
        lines.append(tr("Худшие муниципалитеты (из {n}):", "Worst municipalities (of {n}):",
                        n=_num(len(roll))))
        lines.append(_rollup_table(roll.head(top), cfg, width, show_region=len(regions) > 1))
    print("\n".join(_wrap_lines(lines, width)))
    return 0


def _threshold(v) -> str:
    from sferum_tui.service.vocab import threshold

    return threshold(v)


def _rollup_table(roll, cfg, width: int, show_region: bool) -> str:
    headers = ["№", tr("Муниципалитет", "Municipality")]
    if show_region:
        headers.append(tr("Регион", "Region"))
    headers += [tr("ОО", "Orgs"), tr("Неакт.", "Inact."), tr("Нет", "Miss."),
                tr("Мало пишут", "Low msg"), tr("Пишут", "Write"), tr("Δ неакт.", "Δ inact.")]
    msg_key = "value_teacher_messaging" if "value_teacher_messaging" in roll.columns else None
    rows = []
    for r in roll.to_dict("records"):
        cells = [str(r["rank"]), r["municipality"] or "—"]
        if show_region:
            cells.append(r["region"] or "—")
        cells += [_num(r["orgs"]), f"{_num(r['inactive'])} ({_pct(r['inactive_share'], 0)})",
                  _num(r["missing"]), _pct(r["low_messaging_share"], 0),
                  _pct(r[msg_key], 0) if msg_key else "—", _pp(r["d_inactive_share"])]
        rows.append(cells)
    first_num = 3 if show_region else 2
    flex = {1: 12}
    if show_region:
        flex[2] = 10
    return render_table(headers, rows, right=set(range(first_num, len(headers))) | {0},
                        flex=flex, width=width)


# --------------------------------------------------------------------------------------------
# history
# --------------------------------------------------------------------------------------------

def cmd_history(args, ctx) -> int:
    from sferum_tui.service import indicators as ind

    store = ctx.store()
    cfg = ctx.config()
    try:
        uid = ind.find_org(store, args.org)
    except ind.AmbiguousOrgError as err:
        print(f"sferum-tui: {err.message}", file=sys.stderr)
        cands = err.candidates
        rows = [[r["org_id"] if isinstance(r["org_id"], str) else "—",
                 r["org_name"] if isinstance(r["org_name"], str) else "—",
                 r["municipality"] if isinstance(r["municipality"], str) else "—"]
                for r in cands.head(50).to_dict("records")]
        print(render_table([tr("ИНН", "ИНН"), tr("Организация", "Organisation"),
                            tr("Муниципалитет", "Municipality")], rows, flex={1: 16, 2: 10}),
              file=sys.stderr)
        if len(cands) > 50:
            print(tr("… и ещё {n}", "… and {n} more", n=len(cands) - 50), file=sys.stderr)
        return 1
    hist = ind.org_history(store, cfg, uid)
    if args.format == "json":
        _print_json_records(ind.json_records(hist, ind.output_columns(cfg, history=True)))
        return 0
    if args.format == "csv":
        _print_csv(hist, ind.output_columns(cfg, history=True), args)
        return 0
    print(_history_table(hist, width=term_width()))
    return 0


def _history_table(hist, width: int) -> str:
    if not len(hist):
        return tr("Нет ни одной недели с этой организацией.", "No week holds this organisation.")
    last = hist.iloc[-1]
    present = hist[~hist["missing"]]
    ref = present.iloc[-1] if len(present) else last
    bits = [str(ref["org_name"]) if isinstance(ref["org_name"], str) else "—"]
    if isinstance(ref["org_id"], str):
        bits.append(tr("ИНН {i}", "ИНН {i}", i=ref["org_id"]))
    for f in ("municipality", "region"):
        if isinstance(ref[f], str) and ref[f]:
            bits.append(ref[f])
    lines = [" · ".join(bits), ""]
    headers = [tr("Неделя", "Week"), tr("Статус", "Status"), tr("Польз.", "Users"),
               tr("Кл.", "Cl."), tr("Учит.", "Teach."), tr("Пишут", "Write"), tr("Рег.", "Reg."),
               tr("Нед.", "Wks")]
    rows = []
    for r in hist.to_dict("records"):
        rows.append([_period(r["week_start"], r["week_end"]), _status_cell(r), _num(r["users_total"]),
                     _num(r["classes"]), _num(r["teachers"]), _pct(r["messaging_share"], 0),
                     _pct(r["registration_share"], 0),
                     str(int(r["weeks_below"])) if r["weeks_below"] else ""])
    lines.append(render_table(headers, rows, right=set(range(2, len(headers))), width=width))
    lines.append("")
    reasons = last["reasons"] or []
    lines.extend(_wrap(tr("Последняя неделя: {r}", "Latest week: {r}",
                          r="; ".join(reasons) if reasons else tr("нет замечаний", "nothing lags")),
                       "", width))
    lines.append(_status_legend())
    return "\n".join(_wrap_lines(lines, width))


# --------------------------------------------------------------------------------------------
# changes
# --------------------------------------------------------------------------------------------

def cmd_changes(args, ctx) -> int:
    from sferum_tui.service import indicators as ind

    if args.limit < 0:
        raise UserError(tr("--limit: ожидается число не меньше 0", "--limit: expected a number of at least 0"))
    store, cfg, snap, df = _load_week(args, ctx)
    limit = args.limit or None
    parts = ind.changes(store, cfg, snap.id, table=df)
    if args.format == "json":
        cols = ind.output_columns(cfg)
        payload = {
            "week_start": snap.period_start.isoformat(), "week_end": snap.period_end.isoformat(),
            "previous_start": df.attrs.get("previous_start"),
            "previous_end": df.attrs.get("previous_end"),
        }
        for key, part in parts.items():
            payload[key] = ind.json_records(part.head(limit) if limit else part, cols)
        print(json.dumps(payload, ensure_ascii=False, indent=1))
        return 0
    if args.format == "csv":
        import pandas as pd

        shown = {key: (part.head(limit) if limit else part) for key, part in parts.items()
                 if len(part)}
        both = pd.concat(list(shown.values()), ignore_index=True) if shown else df.head(0)
        _print_csv(both, ind.output_columns(cfg), args,
                   first=("change", [key for key, part in shown.items() for _ in range(len(part))]))
        return 0
    width = term_width()
    lines = [tr("Изменения · неделя {p}", "Changes · week {p}", p=snap.period_label)]
    if df.attrs.get("previous_id") is None:
        lines.append(tr("Прошлой недели в хранилище нет — сравнивать не с чем.",
                        "No previous week in the store — nothing to compare with."))
        print("\n".join(lines))
        return 0
    lines[0] += tr(" против {p}", " against {p}",
                   p=_period(df.attrs.get("previous_start"), df.attrs.get("previous_end")))
    sections = (
        ("newly_inactive", tr("Стали неактивными", "Newly inactive"), "reason"),
        ("recovered", tr("Восстановились", "Recovered"), "figures"),
        ("falls", tr("Сильнее всего упали (доля пишущих учителей, затем пользователи)",
                     "Biggest falls (teacher messaging share, then users)"), "delta"),
        ("rises", tr("Сильнее всего выросли", "Biggest rises"), "delta"),
    )
    for key, title, kind in sections:
        part = parts[key]
        lines.append("")
        lines.append(f"{title}: {_num(len(part))}")
        if not len(part):
            continue
        shown = part.head(limit) if limit else part
        lines.append(_changes_table(shown, kind, width))
        if len(shown) < len(part):
            lines.append(tr("… и ещё {n} (--limit 0 — все)", "… and {n} more (--limit 0 shows all)",
                            n=_num(len(part) - len(shown))))
    print("\n".join(_wrap_lines(lines, width)))
    return 0


def _changes_table(part, kind: str, width: int) -> str:
    many = part["municipality"].nunique(dropna=True) > 1
    headers = [tr("ИНН", "ИНН"), tr("Организация", "Organisation")]
    if many:
        headers.append(tr("МО", "Municipality"))
    if kind == "reason":
        headers.append(tr("Причина", "Reason"))
    else:
        headers += [tr("Пишут", "Write"), tr("Δ", "Δ"), tr("Польз.", "Users"), tr("Δ", "Δ")]
    rows = []
    for r in part.to_dict("records"):
        cells = [r["org_id"] if isinstance(r["org_id"], str) else "—",
                 _name_cell(r["org_name"], width)]
        if many:
            cells.append(r["municipality"] if isinstance(r["municipality"], str) else "—")
        if kind == "reason":
            reasons = r["reasons"] or ["—"]
            # the main reason fits a terminal; piped, every reason is kept
            cells.append("; ".join(reasons) if width >= UNBOUNDED else reasons[0])
        else:
            cells += [_pct(r["messaging_share"], 0), _pp(r["d_messaging_share"]),
                      _num(r["users_total"]), _delta_int(r["d_users_total"])]
        rows.append(cells)
    base = 3 if many else 2
    if kind == "reason":
        flex = {1: 14, base: 16}
        right: set[int] = set()
    else:
        flex = {1: 14}
        right = set(range(base, len(headers)))
    if many:
        flex[2] = 8
    return render_table(headers, rows, right=right, flex=flex, width=width)
