"""The weekly meeting's report and the per-municipality packets, rendered: HTML, XLSX, Markdown.

Headless: this module only *renders* a :class:`ReportDoc` that the service built
(``sferum_tui.service.report``) from the headline numbers, the rollup and the changes; it
computes no count or share of its own.  Every number written as text goes through
:mod:`sferum_tui.core.vocab` (``percent``, ``integer``, ``signed_pp``, ``period``, ``day`` …).

* **html** — one self-contained file: inline CSS, inline SVG charts drawn here
  (:func:`line_chart_svg`), no script, no external style, font or image; print CSS for A4.
  Every text from the data is escaped with :func:`html.escape`.
* **xlsx** — xlsxwriter, sheets «Сводка», «Муниципалитеты», «Отстающие», «Изменения» (a
  packet: «Сводка», «Школы»); typed cells, frozen headers, autofilters; text written with
  ``write_string`` (never a formula).
* **md** — a short text for a messenger or an e-mail; table cells escaped as the Markdown
  export escapes them.
"""

from __future__ import annotations

import html
import io
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sferum_tui.core import vocab
from sferum_tui.core.outputs.export import _NUM_FORMATS, _md_cell, _reasons_list, _xlsx_text
from sferum_tui.i18n import get_language, tr

__all__ = ["FORMATS", "KpiLine", "Counts", "TrendSeries", "ReportDoc", "render",
           "line_chart_svg", "packet_file_names"]

FORMATS = ("html", "md", "xlsx")
SUFFIX = {"html": ".html", "md": ".md", "xlsx": ".xlsx"}

#: Municipalities shown in the HTML and Markdown (all of them go to the XLSX).
MUNICIPALITIES_SHOWN = 12
#: Newly inactive / recovered schools named in the HTML and Markdown.
CHANGES_SHOWN = 10


# --------------------------------------------------------------------------------------------
# What the service hands over
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class KpiLine:
    """One indicator of the area (from ``core.indicators.Kpi``), with the deadline in words
    and, in a packet, the region's figure beside it."""

    key: str
    title: str
    value: float | None
    target: float
    delta: float | None
    deadline: date | None
    deadline_text: str
    numerator: float | None
    denominator: float | None
    reached: bool = False
    overdue: bool = False
    region_value: float | None = None
    region_numerator: float | None = None
    region_denominator: float | None = None


@dataclass(frozen=True)
class Counts:
    """The headline counts of one area (``service.headline.Headline``)."""

    orgs_total: int
    in_file: int
    missing: int
    inactive: int
    active: int
    status_disagrees: int
    low_messaging: int
    unregistered: int
    threshold: float
    inactive_share: float | None
    newly_inactive: int | None = None     # None: no previous week
    recovered: int | None = None


@dataclass(frozen=True)
class TrendSeries:
    """One indicator's value over the last held weeks, oldest first: ``(start, end, value)``."""

    key: str
    title: str
    target: float
    points: tuple[tuple[date, date, float | None], ...]


@dataclass
class ReportDoc:
    """Everything one report (or one packet) shows, already computed."""

    scope: str
    week_start: date
    week_end: date
    snapshot_id: int
    imported_at: datetime | None
    next_publication: datetime
    generated_at: datetime
    previous: tuple[date, date] | None
    counts: Counts
    kpis: list[KpiLine]
    trends: list[TrendSeries] = field(default_factory=list)
    #: rollup rows, in the report's order (most inactive schools first, then the share)
    municipalities: list[dict] = field(default_factory=list)
    newly_inactive: list[dict] = field(default_factory=list)
    recovered: list[dict] = field(default_factory=list)
    #: the lagging schools (a packet: all its schools, lagging first)
    schools: list[dict] = field(default_factory=list)
    limit: int | None = 50
    #: a packet: the municipality's region (or the report's scope) and its counts
    packet: bool = False
    region_scope: str | None = None
    region_counts: Counts | None = None
    source_name: str | None = None

    @property
    def week_label(self) -> str:
        return vocab.period(self.week_start, self.week_end)

    @property
    def title(self) -> str:
        if self.packet:
            return tr("{s}: неделя {w}", "{s}: week {w}", s=self.scope, w=self.week_label)
        return tr("Еженедельный анализ: {s}, неделя {w}", "Weekly analysis: {s}, week {w}",
                  s=self.scope, w=self.week_label)

    @property
    def lagging(self) -> list[dict]:
        return [r for r in self.schools if r.get("inactive")] if self.packet else self.schools

    def shown_schools(self) -> tuple[list[dict], int]:
        """The schools listed and how many more there are."""
        if self.limit is None or self.limit >= len(self.schools):
            return self.schools, 0
        return self.schools[: self.limit], len(self.schools) - self.limit


def render(doc: ReportDoc, fmt: str) -> bytes:
    """The bytes of the report in ``fmt`` (``html``, ``md`` or ``xlsx``)."""
    return {"html": render_html, "md": render_md, "xlsx": render_xlsx}[fmt](doc)


# --------------------------------------------------------------------------------------------
# Words shared by the formats
# --------------------------------------------------------------------------------------------

def _moment(moment: datetime | None) -> str:
    if moment is None:
        return vocab.MISSING
    if moment.tzinfo is not None:
        moment = moment.astimezone()
    return f"{vocab.day(moment.date())} {moment:%H:%M}"


def _next_pub(moment: datetime) -> str:
    return tr("{d} 17:00 МСК", "{d} 17:00 Moscow time", d=vocab.day(moment.date())) \
        if moment.hour == 17 and moment.minute == 0 else f"{vocab.day(moment.date())} {moment:%H:%M}"


def _of(num: float | None, den: float | None) -> str:
    if num is None or den is None:
        return vocab.MISSING
    return tr("{a} из {b}", "{a} of {b}", a=vocab.integer(num), b=vocab.integer(den))


def _target_words(k: KpiLine) -> str:
    target = vocab.threshold(k.target)
    if k.deadline is None:
        return tr("цель {t}", "target {t}", t=target)
    return tr("цель {t} к {d}", "target {t} by {d}", t=target, d=vocab.day(k.deadline))


def _more_orgs(n: int) -> str:
    """``… и ещё 77 организаций`` / ``… and 77 more organisations``."""
    return tr("… и ещё {n}", "… and {k} more organisation" + ("" if n == 1 else "s"),
              n=vocab.orgs(n), k=vocab.integer(n))


def _goal(k: KpiLine) -> str:
    """``цель 100% к 27.04.2023 · просрочено с 27.04.2023`` (no deadline: the target alone)."""
    words = _target_words(k)
    if k.deadline_text and k.deadline_text != vocab.MISSING:
        words += " · " + k.deadline_text
    return words


def _reasons(row: dict) -> str:
    return "; ".join(_reasons_list(row.get("reasons")))


def _text(v: Any) -> str:
    return vocab.MISSING if v is None or vocab.is_missing(v) or v == "" else str(v)


def _muni_heads() -> list[str]:
    return [tr("№", "#"), tr("Муниципалитет", "Municipality"), tr("ОО", "Orgs"),
            tr("Неактивны", "Inactive"), tr("Доля", "Share"), tr("За неделю", "Δ week"),
            tr("Нет в файле", "Missing"), tr("Мало пишут", "Low messaging")]


def _muni_cells(i: int, r: dict, show_region: bool) -> list[str]:
    name = _text(r.get("municipality"))
    if show_region and r.get("region"):
        name = f"{name} · {r['region']}"
    return [str(i), name, vocab.integer(r.get("orgs")), vocab.integer(r.get("inactive")),
            vocab.percent(r.get("inactive_share")), vocab.signed_pp(r.get("d_inactive_share"), unit=True),
            vocab.integer(r.get("missing")), vocab.percent(r.get("low_messaging_share"))]


def _show_region(doc: ReportDoc) -> bool:
    return len({r.get("region") for r in doc.municipalities if r.get("region")}) > 1


# --------------------------------------------------------------------------------------------
# The line chart
# --------------------------------------------------------------------------------------------

def _nice_range(values: list[float], target: float) -> tuple[float, float]:
    lo = min(values + [target])
    hi = max(values + [target])
    step = 0.1 if hi - lo > 0.2 else 0.05
    lo = max(0.0, math.floor(lo / step + 1e-9) * step)
    hi = min(1.0, math.ceil(hi / step - 1e-9) * step)
    if hi <= lo:
        lo, hi = max(0.0, lo - step), min(1.0, hi + step) if hi + step <= 1.0 else 1.0
        if hi <= lo:
            lo = hi - step
    return lo, hi


def line_chart_svg(title: str, points: Iterable[tuple[date, date, float | None]], target: float,
                   *, width: int = 330, height: int = 150) -> str:
    """An inline SVG line chart of a share over weeks: the values as a line with dots (a gap
    where a week has none), the target as a dashed line, the y axis in percent and the weeks'
    dates under the x axis; ``<title>`` and ``<desc>`` say the same in words."""
    pts = list(points)
    e = html.escape
    known = [v for _, _, v in pts if v is not None and not vocab.is_missing(v)]
    desc = "; ".join(f"{vocab.short_day(a)}: {vocab.percent(v, 1)}" for a, _, v in pts)
    desc += "; " + tr("цель {t}", "target {t}", t=vocab.threshold(target))
    head = (f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" '
            f'height="{height}">'
            f"<title>{e(title)}</title><desc>{e(desc)}</desc>")
    if not known:
        return head + (f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" '
                       f'class="muted">{e(tr("нет данных", "no data"))}</text></svg>')
    left, right, top, bottom = 40, 16, 10, 22
    pw, ph = width - left - right, height - top - bottom
    lo, hi = _nice_range(known, target)
    n = len(pts)

    def x(i: int) -> float:
        return left + (pw * i / (n - 1) if n > 1 else pw / 2)

    def y(v: float) -> float:
        return top + ph * (1 - (v - lo) / (hi - lo))

    out = [head]
    # the y axis: three gridlines with their percent
    for g in (lo, (lo + hi) / 2, hi):
        out.append(f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y(g):.1f}" '
                   f'y2="{y(g):.1f}"/>')
        out.append(f'<text class="axis" x="{left - 4}" y="{y(g) + 3:.1f}" text-anchor="end">'
                   f"{e(vocab.percent(g))}</text>")
    # the x axis: the first, the last and some between
    step = max(1, math.ceil(n / 6))
    for i, (a, _, _) in enumerate(pts):
        if i % step == 0 or i == n - 1:
            if i != n - 1 and n - 1 - i < step / 2 + 0.5 and i != 0:
                continue
            out.append(f'<text class="axis" x="{x(i):.1f}" y="{height - 6}" text-anchor="middle">'
                       f"{e(vocab.short_day(a))}</text>")
    # the target
    if lo <= target <= hi:
        out.append(f'<line class="target" x1="{left}" x2="{width - right}" y1="{y(target):.1f}" '
                   f'y2="{y(target):.1f}"/>')
        out.append(f'<text class="target-label" x="{width - right}" y="{y(target) - 3:.1f}" '
                   f'text-anchor="end">{e(tr("цель {t}", "target {t}", t=vocab.threshold(target)))}'
                   "</text>")
    # the line, broken where a week has no value
    runs: list[list[str]] = [[]]
    for i, (_, _, v) in enumerate(pts):
        if v is None or vocab.is_missing(v):
            runs.append([])
        else:
            runs[-1].append(f"{x(i):.1f},{y(v):.1f}")
    for run in runs:
        if len(run) > 1:
            out.append(f'<polyline class="line" points="{" ".join(run)}"/>')
    for i, (a, b, v) in enumerate(pts):
        if v is not None and not vocab.is_missing(v):
            out.append(f'<circle class="dot" cx="{x(i):.1f}" cy="{y(v):.1f}" r="2.5">'
                       f"<title>{e(vocab.period(a, b))}: {e(vocab.percent(v, 1))}</title></circle>")
    last = [(i, v) for i, (_, _, v) in enumerate(pts) if v is not None and not vocab.is_missing(v)][-1]
    out.append(f'<text class="last" x="{x(last[0]) - 4:.1f}" y="{y(last[1]) + 13:.1f}" '
               f'text-anchor="end">{e(vocab.percent(last[1], 1))}</text>')
    out.append("</svg>")
    return "".join(out)


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------

_CSS = """
:root { --fg:#1b1f24; --muted:#5b6470; --line:#d6dbe1; --bad:#b3261e; --good:#1e7d32;
  --accent:#1f5fae; --bg:#ffffff; --soft:#f3f5f8; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 14px/1.4 "Segoe UI", "Noto Sans", "DejaVu Sans", Arial, sans-serif; }
main { max-width: 1100px; margin: 0 auto; padding: 20px 24px 32px; }
h1 { font-size: 21px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 22px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 3px; }
.meta { color: var(--muted); margin: 0; }
.meta b { color: var(--fg); font-weight: 600; }
.kpis { display: grid; grid-template-columns: repeat(auto-fit, minmax(230px, 1fr)); gap: 10px; margin-top: 14px; }
.kpi { border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; background: var(--soft); }
.kpi h3 { font-size: 13px; font-weight: 600; margin: 0 0 4px; }
.kpi .value { font-size: 26px; font-weight: 700; }
.kpi .of, .kpi .target { color: var(--muted); font-size: 12.5px; }
.kpi .delta { font-size: 13px; }
.kpi.overdue .value { color: var(--bad); }
.kpi.reached .value { color: var(--good); }
.counts { margin: 10px 0 0; color: var(--fg); }
.trends { display: grid; grid-template-columns: repeat(auto-fit, minmax(330px, 1fr)); gap: 8px 14px; }
figure { margin: 0; }
figcaption { font-size: 12.5px; font-weight: 600; }
svg.chart { width: 100%; height: auto; max-width: 420px; display: block; }
svg .grid { stroke: var(--line); stroke-width: 1; }
svg .axis { fill: var(--muted); font-size: 10px; }
svg .target { stroke: var(--bad); stroke-width: 1.2; stroke-dasharray: 5 4; }
svg .target-label { fill: var(--bad); font-size: 10px; }
svg .line { fill: none; stroke: var(--accent); stroke-width: 2; }
svg .dot { fill: var(--accent); }
svg .last { fill: var(--fg); font-size: 11px; font-weight: 600; }
svg .muted { fill: var(--muted); font-size: 12px; }
table { border-collapse: collapse; width: 100%; font-size: 12.5px; }
table.schools { table-layout: fixed; }
table.schools td { overflow-wrap: anywhere; }
table.schools th { white-space: normal; }
th, td { border-bottom: 1px solid var(--line); padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
td.n, th.n { text-align: right; white-space: nowrap; }
td.reasons { color: #333; font-size: 12px; }
.inn { font-variant-numeric: tabular-nums; white-space: nowrap; color: var(--muted); }
.more { color: var(--muted); font-style: italic; margin: 4px 0 0; }
.cols { display: grid; grid-template-columns: 1fr 1fr; gap: 14px; }
.cols ul { margin: 4px 0; padding-left: 18px; font-size: 12.5px; }
.two th.n, .two td.n { width: 22%; }
footer { margin-top: 18px; color: var(--muted); font-size: 11.5px; }
@page { size: A4; margin: 11mm 10mm; }
@media print {
  body { font-size: 10.5px; }
  main { max-width: none; padding: 0; }
  h1 { font-size: 16px; }
  h2 { font-size: 12.5px; margin: 10px 0 4px; break-after: avoid; page-break-after: avoid; }
  .kpis { grid-template-columns: repeat(3, 1fr); gap: 6px; margin-top: 8px; }
  .kpi { padding: 5px 8px; }
  .kpi .value { font-size: 18px; }
  .kpi .of, .kpi .target, .kpi .delta { font-size: 10px; }
  .trends { grid-template-columns: repeat(3, 1fr); gap: 4px 8px; }
  svg.chart { max-width: none; }
  table { font-size: 9.5px; }
  th, td { padding: 1.5px 4px; }
  td.reasons { font-size: 8.5px; line-height: 1.25; }
  table.schools td { padding: 1px 3px; line-height: 1.25; }
  .cols ul { font-size: 9.5px; }
  tr, .kpi, figure, .cols > div { break-inside: avoid; page-break-inside: avoid; }
  section.schools { break-before: auto; }
  footer { font-size: 8.5px; margin-top: 8px; }
}
"""


def _h(v: Any) -> str:
    return html.escape(str(v), quote=True)


def _kpi_card(k: KpiLine, *, packet: bool) -> str:
    cls = "kpi" + (" overdue" if k.overdue else "") + (" reached" if k.reached else "")
    parts = [f'<div class="{cls}"><h3>{_h(k.title)}</h3>',
             f'<div class="value">{_h(vocab.percent(k.value, 1))}</div>',
             f'<div class="of">{_h(_of(k.numerator, k.denominator))}</div>',
             f'<div class="target">{_h(_goal(k))}</div>',
             f'<div class="delta">{_h(tr("за неделю", "this week"))}: '
             f"{_h(vocab.signed_pp(k.delta, unit=True))}</div>"]
    if packet:
        parts.append(f'<div class="of">{_h(tr("по региону", "region"))}: '
                     f"{_h(vocab.percent(k.region_value, 1))}</div>")
    parts.append("</div>")
    return "".join(parts)


def _counts_line(c: Counts) -> str:
    text = tr("Организаций {o}: в файле {f}, нет в файле {m}; неактивны {i} ({s}); "
              "мало пишут (< {t}) {l}; не все сотрудники зарегистрированы {u}; "
              "статус расходится с правилом {d}.",
              "Organisations {o}: in the file {f}, missing {m}; inactive {i} ({s}); "
              "low messaging (< {t}) {l}; staff not all registered {u}; "
              "status contradicts the rule {d}.",
              o=vocab.integer(c.orgs_total), f=vocab.integer(c.in_file), m=vocab.integer(c.missing),
              i=vocab.integer(c.inactive), s=vocab.percent(c.inactive_share, 1),
              t=vocab.threshold(c.threshold), l=vocab.integer(c.low_messaging),
              u=vocab.integer(c.unregistered), d=vocab.integer(c.status_disagrees))
    return f'<p class="counts">{_h(text)}</p>'


def _header_html(doc: ReportDoc) -> list[str]:
    out = [f"<header><h1>{_h(doc.title)}</h1>"]
    meta = [
        (tr("Неделя", "Week"), doc.week_label + tr(" · снимок №{i}", " · snapshot #{i}", i=doc.snapshot_id)),
        (tr("Данные загружены", "Data imported"), _moment(doc.imported_at)),
        (tr("Следующая публикация", "Next publication"), _next_pub(doc.next_publication)),
    ]
    if doc.previous:
        meta.append((tr("Сравнение с неделей", "Compared with the week"), vocab.period(*doc.previous)))
    out.append('<p class="meta">' + " · ".join(f"{_h(a)}: <b>{_h(b)}</b>" for a, b in meta) + "</p>")
    out.append("</header>")
    return out


def _schools_table(doc: ReportDoc) -> list[str]:
    rows, more = doc.shown_schools()
    heads = [tr("№", "#"), tr("Организация", "Organisation")]
    if not doc.packet:
        heads.append(tr("Муниципалитет", "Municipality"))
    else:
        heads.append(tr("Статус", "Status"))
    heads += [tr("Недель ниже", "Weeks below"), tr("Причины", "Reasons")]
    cols = '<colgroup><col style="width:3.5%"><col style="width:25%"><col style="width:14%">' \
        '<col style="width:6.5%"><col></colgroup>'
    out = ['<table class="schools">' + cols + "<thead><tr>" + "".join(
        f'<th{" class=n" if h in (heads[0], heads[-2]) else ""}>{_h(h)}</th>' for h in heads)
        + "</tr></thead><tbody>"]
    for i, r in enumerate(rows, 1):
        inn = r.get("org_id") or ""
        name = f"{_h(_text(r.get('org_name')))}" + (f' <span class="inn">{_h(inn)}</span>' if inn else "")
        third = _h(_text(r.get("municipality"))) if not doc.packet else _h(_status(r))
        out.append(f'<tr><td class="n">{i}</td><td>{name}</td><td>{third}</td>'
                   f'<td class="n">{_h(vocab.integer(r.get("weeks_below")))}</td>'
                   f'<td class="reasons">{_h(_reasons(r) or vocab.MISSING)}</td></tr>')
    out.append("</tbody></table>")
    if more:
        out.append(f'<p class="more">{_h(_more_orgs(more))}</p>')
    return out


def _status(r: dict) -> str:
    if r.get("missing"):
        return tr("нет в файле", "missing")
    return tr("неактивна", "inactive") if r.get("inactive") else tr("активна", "active")


def _changes_list(title: str, rows: list[dict], total: int | None) -> list[str]:
    n = len(rows) if total is None else total
    out = [f"<div><b>{_h(title)}: {_h(vocab.integer(n))}</b><ul>"]
    for r in rows[:CHANGES_SHOWN]:
        out.append(f"<li>{_h(_text(r.get('org_name')))} <span class=inn>{_h(_text(r.get('municipality')))}</span></li>")
    out.append("</ul>")
    if len(rows) > CHANGES_SHOWN:
        out.append(f'<p class="more">{_h(_more_orgs(len(rows) - CHANGES_SHOWN))}</p>')
    out.append("</div>")
    return out


def render_html(doc: ReportDoc) -> bytes:
    lang = get_language()
    out = ["<!DOCTYPE html>", f'<html lang="{_h(lang)}"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{_h(doc.title)}</title><style>{_CSS}</style></head><body><main>"]
    out += _header_html(doc)

    out.append(f'<section><h2>{_h(tr("Показатели", "Indicators"))}</h2><div class="kpis">')
    out += [_kpi_card(k, packet=doc.packet) for k in doc.kpis]
    out.append("</div>")
    out.append(_counts_line(doc.counts))
    out.append("</section>")

    if doc.packet and doc.region_counts is not None:
        out += _packet_comparison(doc)

    if doc.trends and len(doc.trends[0].points) < 2:
        out.append(f'<section><h2>{_h(tr("Динамика", "Trend"))}</h2><p class="more">'
                   f'{_h(tr("В хранилище одна неделя до этой включительно: графики появятся со второй.", "The store holds one week up to this one: the charts start with the second."))}'
                   "</p></section>")
    elif doc.trends:
        n = len(doc.trends[0].points)
        out.append(f'<section><h2>{_h(tr("Динамика, недель: {n}", "Trend, weeks: {n}", n=vocab.integer(n)))}</h2>'
                   '<div class="trends">')
        for t in doc.trends:
            out.append(f"<figure><figcaption>{_h(t.title)}</figcaption>"
                       f"{line_chart_svg(t.title, t.points, t.target)}</figure>")
        out.append("</div></section>")

    if len(doc.municipalities) > 1:
        show_region = _show_region(doc)
        rows = doc.municipalities[:MUNICIPALITIES_SHOWN]
        out.append(f'<section><h2>{_h(tr("Муниципалитеты: больше всего неактивных сверху", "Municipalities: most inactive first"))}</h2>')
        heads = _muni_heads()
        out.append("<table><thead><tr>" + "".join(
            f'<th{"" if j == 1 else " class=n"}>{_h(h)}</th>' for j, h in enumerate(heads))
            + "</tr></thead><tbody>")
        for i, r in enumerate(rows, 1):
            cells = _muni_cells(i, r, show_region)
            out.append("<tr>" + "".join(f'<td{"" if j == 1 else " class=n"}>{_h(c)}</td>'
                                        for j, c in enumerate(cells)) + "</tr>")
        out.append("</tbody></table>")
        more = len(doc.municipalities) - len(rows)
        if more > 0:
            out.append(f'<p class="more">{_h(tr("… и ещё {n} муниципалитетов (все — в XLSX)", "… and {n} more municipalities (all in the XLSX)", n=vocab.integer(more)))}</p>')
        out.append("</section>")

    if not doc.packet:
        out.append(f'<section><h2>{_h(tr("Изменения за неделю", "Changes this week"))}</h2>')
        if doc.previous is None:
            out.append(f'<p class="more">{_h(tr("Прошлой недели в хранилище нет — изменений не показать.", "No previous week in the store — no changes to show."))}</p>')
        else:
            out.append('<div class="cols">')
            out += _changes_list(tr("Стали неактивными", "Newly inactive"), doc.newly_inactive,
                                 doc.counts.newly_inactive)
            out += _changes_list(tr("Восстановились", "Recovered"), doc.recovered, doc.counts.recovered)
            out.append("</div>")
        out.append("</section>")

    title = tr("Школы муниципалитета: отстающие сверху", "The municipality's schools: lagging first") \
        if doc.packet else tr("Отстающие школы (неактивные) и причины", "Lagging (inactive) schools and why")
    out.append(f'<section class="schools"><h2>{_h(title)} · {_h(vocab.integer(len(doc.schools)))}</h2>')
    if doc.schools:
        out += _schools_table(doc)
    else:
        out.append(f'<p class="more">{_h(tr("Отстающих нет.", "No lagging schools."))}</p>')
    out.append("</section>")

    foot = tr("Составлено {t} программой sferum-tui из снимка №{i}{src}. Числа совпадают с "
              "«sferum-tui summary --format json» для той же недели.",
              "Made {t} by sferum-tui from snapshot #{i}{src}. The numbers equal "
              "“sferum-tui summary --format json” for the same week.",
              t=_moment(doc.generated_at), i=doc.snapshot_id,
              src=f" ({doc.source_name})" if doc.source_name else "")
    out.append(f"<footer>{_h(foot)}</footer></main></body></html>")
    return "\n".join(out).encode("utf-8")


def _packet_comparison(doc: ReportDoc) -> list[str]:
    assert doc.region_counts is not None
    c, r = doc.counts, doc.region_counts
    heads = [tr("Показатель", "Indicator"), doc.scope, doc.region_scope or tr("Регион", "Region")]
    out = [f'<section><h2>{_h(tr("Муниципалитет и регион", "The municipality and the region"))}</h2>'
           '<table class="two"><thead><tr>' + f"<th>{_h(heads[0])}</th>"
           + "".join(f"<th class=n>{_h(h)}</th>" for h in heads[1:]) + "</tr></thead><tbody>"]
    rows = [(k.title, f"{vocab.percent(k.value, 1)} ({_of(k.numerator, k.denominator)})",
             f"{vocab.percent(k.region_value, 1)} ({_of(k.region_numerator, k.region_denominator)})")
            for k in doc.kpis]
    rows += [
        (tr("Организаций", "Organisations"), vocab.integer(c.orgs_total), vocab.integer(r.orgs_total)),
        (tr("Неактивны", "Inactive"), f"{vocab.integer(c.inactive)} ({vocab.percent(c.inactive_share, 1)})",
         f"{vocab.integer(r.inactive)} ({vocab.percent(r.inactive_share, 1)})"),
        (tr("Нет в файле недели", "Missing from the week"), vocab.integer(c.missing), vocab.integer(r.missing)),
        (tr("Мало пишут (< {t})", "Low messaging (< {t})", t=vocab.threshold(c.threshold)),
         vocab.integer(c.low_messaging), vocab.integer(r.low_messaging)),
        (tr("Не все сотрудники зарегистрированы", "Staff not all registered"),
         vocab.integer(c.unregistered), vocab.integer(r.unregistered)),
    ]
    for a, b, d in rows:
        out.append(f"<tr><td>{_h(a)}</td><td class=n>{_h(b)}</td><td class=n>{_h(d)}</td></tr>")
    out.append("</tbody></table></section>")
    return out


# --------------------------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------------------------

MD_SCHOOLS = 20


def render_md(doc: ReportDoc) -> bytes:
    c = doc.counts
    lines = [f"**{_md_cell(doc.title)}**", ""]
    lines.append(_md_cell(tr("Данные загружены {a}; следующая публикация {b}.",
                             "Data imported {a}; next publication {b}.",
                             a=_moment(doc.imported_at), b=_next_pub(doc.next_publication))))
    lines.append("")
    for k in doc.kpis:
        text = tr("{t}: {v} ({o}), {g}; за неделю {p}",
                  "{t}: {v} ({o}), {g}; this week {p}",
                  t=k.title, v=vocab.percent(k.value, 1), o=_of(k.numerator, k.denominator),
                  g=_goal(k), p=vocab.signed_pp(k.delta, unit=True))
        if doc.packet:
            text += tr("; по региону {r}", "; region {r}", r=vocab.percent(k.region_value, 1))
        lines.append("- " + _md_cell(text))
    lines.append("")
    text = tr("Неактивны {i} из {o} ({s}); нет в файле {m}",
              "Inactive {i} of {o} ({s}); missing {m}",
              i=vocab.integer(c.inactive), o=vocab.integer(c.orgs_total),
              s=vocab.percent(c.inactive_share, 1), m=vocab.integer(c.missing))
    if c.newly_inactive is not None:
        text += tr("; стали неактивными {a}, восстановились {b}",
                   "; newly inactive {a}, recovered {b}",
                   a=vocab.integer(c.newly_inactive), b=vocab.integer(c.recovered))
    lines += [_md_cell(text + "."), ""]

    if len(doc.municipalities) > 1:
        rows = doc.municipalities[:10]
        lines.append("**" + _md_cell(tr("Муниципалитеты (больше всего неактивных сверху)",
                                        "Municipalities (most inactive first)")) + "**")
        lines.append("")
        heads = _muni_heads()[:6]
        lines.append("| " + " | ".join(_md_cell(h) for h in heads) + " |")
        lines.append("|" + "|".join("---" if j == 1 else "---:" for j in range(len(heads))) + "|")
        show_region = _show_region(doc)
        for i, r in enumerate(rows, 1):
            lines.append("| " + " | ".join(_md_cell(x) for x in _muni_cells(i, r, show_region)[:6]) + " |")
        if len(doc.municipalities) > len(rows):
            lines.append("")
            lines.append(_md_cell(tr("… и ещё {n}", "… and {n} more",
                                     n=vocab.integer(len(doc.municipalities) - len(rows)))))
        lines.append("")

    limit = MD_SCHOOLS if doc.limit is None else min(doc.limit, MD_SCHOOLS)
    schools = doc.schools[:limit]
    title = tr("Школы", "Schools") if doc.packet else tr("Отстающие", "Lagging")
    lines.append("**" + _md_cell(f"{title} ({vocab.integer(len(doc.schools))})") + "**")
    lines.append("")
    for i, r in enumerate(schools, 1):
        where = r.get("org_id") or ""
        if not doc.packet and r.get("municipality"):
            where = f"{where}, {r['municipality']}" if where else str(r["municipality"])
        head = _text(r.get("org_name")) + (f" ({where})" if where else "")
        reasons = _reasons(r)
        lines.append(f"{i}. " + _md_cell(head + (f" — {reasons}" if reasons else "")))
    if len(doc.schools) > len(schools):
        lines.append("")
        lines.append(_md_cell(_more_orgs(len(doc.schools) - len(schools))))
    return ("\n".join(lines) + "\n").encode("utf-8")


# --------------------------------------------------------------------------------------------
# XLSX
# --------------------------------------------------------------------------------------------

class _Sheet:
    """A sheet with a header row at ``row`` and typed cells under it."""

    def __init__(self, wb, name: str, heads: list[str], kinds: list[str], fmts: dict, *,
                 row: int = 0, widths: list[int] | None = None) -> None:
        self.ws = wb.add_worksheet(name)
        self.fmts = fmts
        self.kinds = kinds
        self.head_row = row
        self.n = 0
        for j, h in enumerate(heads):
            self.ws.write_string(row, j, _xlsx_text(h), fmts["head"])
        for j, w in enumerate(widths or [14] * len(heads)):
            self.ws.set_column(j, j, w)
        self.ws.set_row(row, 32)
        self.ncols = len(heads)

    def add(self, values: list[Any]) -> None:
        self.n += 1
        r = self.head_row + self.n
        for j, (kind, v) in enumerate(zip(self.kinds, values)):
            _cell(self.ws, r, j, kind, v, self.fmts)

    def finish(self) -> None:
        self.ws.freeze_panes(self.head_row + 1, 0)
        self.ws.autofilter(self.head_row, 0, self.head_row + max(self.n, 1), self.ncols - 1)


def _cell(ws, r: int, j: int, kind: str, v: Any, fmts: dict) -> None:
    if v is None or (not isinstance(v, (str, list, tuple)) and vocab.is_missing(v)):
        return
    if kind in ("int", "dint", "share", "dshare"):
        x = float(v)
        if math.isnan(x) or math.isinf(x):
            return
        ws.write_number(r, j, int(round(x)) if kind in ("int", "dint") else x, fmts[kind])
    elif kind == "date":
        ws.write_datetime(r, j, datetime(v.year, v.month, v.day), fmts["date"])
    elif kind == "reasons":
        text = "; ".join(_reasons_list(v))
        if text:
            ws.write_string(r, j, _xlsx_text(text), fmts["wrap"])
    else:
        text = str(v)
        if text:
            ws.write_string(r, j, _xlsx_text(text), fmts["text"])


def render_xlsx(doc: ReportDoc) -> bytes:
    import xlsxwriter

    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {
        "in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
        "strings_to_numbers": False, "nan_inf_to_errors": False,
    })
    wb.set_properties({"title": _xlsx_text(doc.title), "comments": "sferum-tui"})
    fmts = {k: wb.add_format({"num_format": f, "valign": "top"}) for k, f in _NUM_FORMATS.items()}
    fmts["head"] = wb.add_format({"bold": True, "text_wrap": True, "valign": "top",
                                  "bg_color": "#DDE4EE", "border": 1})
    fmts["text"] = wb.add_format({"valign": "top"})
    fmts["wrap"] = wb.add_format({"valign": "top", "text_wrap": True})
    title_fmt = wb.add_format({"bold": True, "font_size": 13})

    # Сводка: the particulars, the KPIs (with the region's in a packet), the counts, the trend
    c = doc.counts
    heads = [tr("Показатель", "Indicator"), tr("Значение", "Value"), tr("Цель", "Target"),
             tr("За неделю", "Change this week"), tr("Срок", "Deadline"),
             tr("До срока", "Time left"), tr("Числитель", "Numerator"),
             tr("Знаменатель", "Denominator")]
    kinds = ["text", "share", "share", "dshare", "date", "text", "int", "int"]
    if doc.packet:
        heads += [tr("Регион: значение", "Region: value"), tr("Регион: числитель", "Region: numerator"),
                  tr("Регион: знаменатель", "Region: denominator")]
        kinds += ["share", "int", "int"]
    s = _Sheet(wb, tr("Сводка", "Summary"), heads, kinds, fmts, row=6,
               widths=[34, 11, 9, 12, 12, 22, 12, 12, 14, 14, 14])
    ws = s.ws
    ws.write_string(0, 0, _xlsx_text(doc.title), title_fmt)
    about = [(tr("Неделя", "Week"), doc.week_label),
             (tr("Снимок", "Snapshot"), str(doc.snapshot_id)),
             (tr("Данные загружены", "Data imported"), _moment(doc.imported_at)),
             (tr("Следующая публикация", "Next publication"), _next_pub(doc.next_publication)),
             (tr("Составлено", "Made"), _moment(doc.generated_at))]
    for i, (a, b) in enumerate(about, 1):
        ws.write_string(i, 0, _xlsx_text(a), fmts["text"])
        ws.write_string(i, 1, _xlsx_text(b), fmts["text"])
    for k in doc.kpis:
        row = [k.title, k.value, k.target, k.delta, k.deadline, k.deadline_text, k.numerator,
               k.denominator]
        if doc.packet:
            row += [k.region_value, k.region_numerator, k.region_denominator]
        s.add(row)
    s.finish()
    r = s.head_row + s.n + 2
    rc = doc.region_counts

    def both(label: str, attr: str) -> tuple[str, int | None, int | None]:
        return label, getattr(c, attr), getattr(rc, attr) if rc is not None else None

    count_rows = [
        both(tr("Организаций", "Organisations"), "orgs_total"),
        both(tr("В файле недели", "In the week's file"), "in_file"),
        both(tr("Нет в файле недели", "Missing from the week"), "missing"),
        both(tr("Активны", "Active"), "active"),
        both(tr("Неактивны", "Inactive"), "inactive"),
        both(tr("Мало пишут (< {t})", "Low messaging (< {t})", t=vocab.threshold(c.threshold)),
             "low_messaging"),
        both(tr("Не все сотрудники зарегистрированы", "Staff not all registered"), "unregistered"),
        both(tr("Статус расходится с правилом", "Status contradicts the rule"), "status_disagrees"),
    ]
    if c.newly_inactive is not None:
        count_rows += [(tr("Стали неактивными", "Newly inactive"), c.newly_inactive, None),
                       (tr("Восстановились", "Recovered"), c.recovered, None)]
    if doc.packet:
        ws.write_string(r, 1, _xlsx_text(doc.scope), fmts["head"])
        ws.write_string(r, 2, _xlsx_text(doc.region_scope or tr("Регион", "Region")), fmts["head"])
        r += 1
    for label, mine, theirs in count_rows:
        ws.write_string(r, 0, _xlsx_text(label), fmts["text"])
        _cell(ws, r, 1, "int", mine, fmts)
        _cell(ws, r, 2, "int", theirs, fmts)
        r += 1
    if doc.trends:
        r += 1
        ws.write_string(r, 0, _xlsx_text(tr("Неделя с", "Week from")), fmts["head"])
        ws.write_string(r, 1, _xlsx_text(tr("Неделя по", "Week to")), fmts["head"])
        for j, t in enumerate(doc.trends):
            ws.write_string(r, 2 + j, _xlsx_text(t.title), fmts["head"])
        for i in range(len(doc.trends[0].points)):
            r += 1
            start, end, _ = doc.trends[0].points[i]
            _cell(ws, r, 0, "date", start, fmts)
            _cell(ws, r, 1, "date", end, fmts)
            for j, t in enumerate(doc.trends):
                _cell(ws, r, 2 + j, "share", t.points[i][2], fmts)

    if not doc.packet:
        key_titles = [(k.key, k.title) for k in doc.kpis]
        heads = [tr("№", "#"), tr("Муниципалитет", "Municipality"), tr("Регион", "Region"),
                 tr("ОО", "Orgs"), tr("В файле", "In the file"), tr("Нет в файле", "Missing"),
                 tr("Неактивны", "Inactive"), tr("Доля неактивных", "Inactive share"),
                 tr("Изменение доли за неделю", "Change of the share this week"),
                 tr("Мало пишут", "Low messaging"), tr("Доля мало пишущих", "Low-messaging share"),
                 tr("Не все зарегистрированы", "Not all registered"),
                 tr("Стали неактивными", "Newly inactive"), tr("Восстановились", "Recovered")]
        heads += [t for _, t in key_titles]
        kinds = ["int", "text", "text", "int", "int", "int", "int", "share", "dshare", "int",
                 "share", "int", "int", "int"] + ["share"] * len(key_titles)
        s = _Sheet(wb, tr("Муниципалитеты", "Municipalities"), heads, kinds, fmts,
                   widths=[5, 30, 22] + [11] * (len(heads) - 3))
        for i, m in enumerate(doc.municipalities, 1):
            s.add([i, m.get("municipality"), m.get("region"), m.get("orgs"), m.get("present"),
                   m.get("missing"), m.get("inactive"), m.get("inactive_share"),
                   m.get("d_inactive_share"), m.get("low_messaging"), m.get("low_messaging_share"),
                   m.get("unregistered"), m.get("newly_inactive"), m.get("recovered")]
                  + [m.get(f"value_{key}") for key, _ in key_titles])
        s.ws.freeze_panes(1, 2)
        s.ws.autofilter(0, 0, max(s.n, 1), s.ncols - 1)

    heads = [tr("ИНН", "ИНН"), tr("Наименование ОО", "Organisation"), tr("Муниципалитет", "Municipality"),
             tr("Статус", "Status"), tr("Нет в файле недели", "Missing from the week"),
             tr("Недель подряд ниже цели", "Weeks in a row below target"), tr("Причины", "Reasons")]
    kinds = ["text", "text", "text", "text", "text", "int", "reasons"]
    s = _Sheet(wb, tr("Школы", "Schools") if doc.packet else tr("Отстающие", "Lagging"), heads,
               kinds, fmts, widths=[13, 44, 24, 12, 12, 12, 80])
    for school in doc.schools:
        s.add([school.get("org_id"), school.get("org_name"), school.get("municipality"),
               _status(school), tr("да", "yes") if school.get("missing") else tr("нет", "no"),
               school.get("weeks_below"), school.get("reasons")])
    s.ws.freeze_panes(1, 2)
    s.ws.autofilter(0, 0, max(s.n, 1), s.ncols - 1)

    if not doc.packet:
        heads = [tr("Изменение", "Change"), tr("ИНН", "ИНН"), tr("Наименование ОО", "Organisation"),
                 tr("Муниципалитет", "Municipality"), tr("Причины", "Reasons")]
        s = _Sheet(wb, tr("Изменения", "Changes"), heads, ["text"] * 4 + ["reasons"], fmts,
                   widths=[20, 13, 44, 24, 80])
        for label, rows in ((tr("стала неактивной", "newly inactive"), doc.newly_inactive),
                            (tr("снова активна", "recovered"), doc.recovered)):
            for change in rows:
                s.add([label, change.get("org_id"), change.get("org_name"),
                       change.get("municipality"), change.get("reasons")])
        s.finish()
    wb.close()
    return out.getvalue()


# --------------------------------------------------------------------------------------------
# Packet file names
# --------------------------------------------------------------------------------------------

#: A packet's file name, at most this many characters before its extension.
NAME_MAX = 80


def packet_file_names(names: list[str], suffix: str) -> list[str]:
    """One file name per municipality, safe on Windows as on POSIX (``pathvalidate`` for
    Windows: none of ``<>:"/\\|?*`` or control characters, no trailing dots or spaces, no
    reserved device name such as CON or COM1), at most :data:`NAME_MAX` characters, and unique
    regardless of case (a name that folds to one already given gets ``-2``, ``-3`` …)."""
    from pathvalidate import sanitize_filename

    out: list[str] = []
    seen: set[str] = set()
    for raw in names:
        base = sanitize_filename(" ".join(str(raw).split()), platform="windows",
                                 max_len=NAME_MAX).strip(" .") or "municipality"
        base = sanitize_filename(base, platform="windows") or "municipality"
        name, n = base, 1
        while vocab.fold(name) in seen:
            n += 1
            name = f"{base[: NAME_MAX - 4]}-{n}"
        seen.add(vocab.fold(name))
        out.append(name + suffix)
    return out
