"""The weekly meeting's report and the per-municipality packets: their data, assembled.

Every number comes from the headline layer (:func:`sferum_tui.service.headline.summary` over
the week — narrowed to a municipality with :class:`FilterSpec` when asked — and
:func:`~sferum_tui.service.headline.headline` over each earlier week for the trend); this module
only picks, orders and hands them to the renderer (:mod:`sferum_tui.core.outputs.report`).

* :func:`build_report` — one report (the scope, or one municipality of it);
* :func:`build_packets` — one packet per municipality of the scope, its KPIs beside its region's;
* :func:`write_report` / :func:`write_packets` — the files, written atomically.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sferum_tui.core.errors import UserError
from sferum_tui.core.outputs.report import (
    FORMATS,
    SUFFIX,
    Counts,
    KpiLine,
    ReportDoc,
    TrendSeries,
    packet_file_names,
    render,
)
from sferum_tui.i18n import plural_ru, tr
from sferum_tui.service.filters import FilterSpec
from sferum_tui.service.headline import Headline, Summary, deadline_text, headline, summary

if TYPE_CHECKING:
    import pandas as pd

    from sferum_tui.core.config import Config
    from sferum_tui.core.store import SnapshotInfo, Store
    from sferum_tui.service.weeks import Week

__all__ = ["FORMATS", "SUFFIX", "build_report", "build_packets", "write_report",
           "write_packets", "narrow", "render", "ReportDoc", "TREND_WEEKS", "SCHOOLS_SHOWN"]

#: Held weeks in the trend charts (the viewed week and those before it).
TREND_WEEKS = 12
#: Lagging schools listed in the HTML report (the rest are counted; the XLSX has all).
SCHOOLS_SHOWN = 25

_SCHOOL_KEYS = ("org_id", "org_name", "municipality", "region", "inactive", "missing",
                "weeks_below", "reasons")


# --------------------------------------------------------------------------------------------
# Narrowing
# --------------------------------------------------------------------------------------------

def narrow(week: "Week", cfg: "Config", spec: FilterSpec | None) -> "Week":
    """The week narrowed to ``spec``'s area (municipality and its region), the frame's
    attributes (the week, the previous week) kept; the week itself when there is no area."""
    from sferum_tui.service.weeks import Week

    if spec is None or not spec.area().any:
        return week
    return Week(info=week.info, frame=spec.area().apply(week.frame, cfg), scoped=week.scoped)


def _spec(municipality: str | None) -> FilterSpec | None:
    return FilterSpec.parse(municipality=municipality) if municipality else None


# --------------------------------------------------------------------------------------------
# Pieces of a report
# --------------------------------------------------------------------------------------------

def _counts(h: Headline, s: Summary | None = None) -> Counts:
    prev = s is not None and s.week.has_previous
    return Counts(orgs_total=h.orgs_total, in_file=h.in_file, missing=h.missing,
                  inactive=h.inactive, active=h.active, status_disagrees=h.status_disagrees,
                  low_messaging=h.low_messaging, unregistered=h.unregistered,
                  threshold=h.threshold, inactive_share=h.inactive_share,
                  newly_inactive=len(s.newly_inactive) if prev and s is not None else None,
                  recovered=len(s.recovered) if prev and s is not None else None)


def _kpi_lines(h: Headline, region: Headline | None = None) -> list[KpiLine]:
    theirs = {k.key: k for k in (region.kpis if region is not None else ())}
    out = []
    for k in h.kpis:
        r = theirs.get(k.key)
        out.append(KpiLine(
            key=k.key, title=k.title, value=k.value, target=k.target, delta=k.delta,
            deadline=k.deadline, deadline_text=deadline_text(k), numerator=k.numerator,
            denominator=k.denominator, reached=bool(k.reached), overdue=bool(k.overdue),
            region_value=r.value if r else None, region_numerator=r.numerator if r else None,
            region_denominator=r.denominator if r else None))
    return out


def _records(df: "pd.DataFrame") -> list[dict]:
    keys = [k for k in _SCHOOL_KEYS if k in df.columns]
    return df[keys].to_dict("records") if len(df) else []


def _lagging_first(df: "pd.DataFrame", cfg: "Config", *, all_rows: bool = False
                   ) -> "pd.DataFrame":
    """The inactive schools (or, ``all_rows``, every school with the inactive first), the
    longest below target first, then by municipality and name."""
    rows = df if all_rows else FilterSpec(inactive=True).apply(df, cfg)
    return rows.sort_values(["inactive", "weeks_below", "municipality", "org_name"],
                            ascending=[False, False, True, True], na_position="last",
                            kind="stable")


def _municipalities(roll: "pd.DataFrame") -> list[dict]:
    """The rollup, most inactive schools first, then the higher share, then the rollup's own
    order (so a tiny area with one school out of two does not always lead)."""
    if not len(roll):
        return []
    ordered = roll.sort_values(["inactive", "inactive_share"], ascending=[False, False],
                               na_position="last", kind="stable")
    return ordered.to_dict("records")


def _scope_label(df: "pd.DataFrame", municipality: str | None) -> str:
    regions = sorted({str(r) for r in df["region"].dropna().unique().tolist() if r}) \
        if "region" in df.columns else []
    if municipality:
        munis = sorted({str(m) for m in df["municipality"].dropna().unique().tolist() if m})
        name = munis[0] if len(munis) == 1 else municipality
        return f"{name} ({regions[0]})" if len(regions) == 1 else name
    if len(regions) == 1:
        return regions[0]
    if not regions:
        return tr("все данные", "all data")
    n = len(regions)
    return tr("{n} " + plural_ru(n, "регион", "региона", "регионов"), "{n} regions", n=n)


def _imported_at(info: "SnapshotInfo") -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(info.imported_at).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _trend(store: "Store", cfg: "Config", week: "Week", spec: FilterSpec | None,
           current: Headline, *, weeks: int, today: date | None) -> list[TrendSeries]:
    """Each indicator over the last ``weeks`` held weeks up to the viewed one, every week's
    figure from :func:`headline` over that week's table narrowed the same way."""
    from sferum_tui.service.weeks import week_of

    held = [s for s in store.snapshots() if s.period_start <= week.info.period_start]
    held = held[-weeks:]
    values: dict[str, list[tuple[date, date, float | None]]] = {k.key: [] for k in current.kpis}
    for info in held:
        if info.id == week.info.id:
            h = current
        else:
            past = narrow(week_of(store, cfg, info, scope=week.scoped), cfg, spec)
            h = headline(past.frame, cfg, today=today)
        got = {k.key: k.value for k in h.kpis}
        for key, pts in values.items():
            pts.append((info.period_start, info.period_end, got.get(key)))
    return [TrendSeries(key=k.key, title=k.title, target=k.target, points=tuple(values[k.key]))
            for k in current.kpis]


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _base(s: Summary, *, scope: str, now: datetime) -> dict:
    from sferum_tui.service.console import next_publication

    attrs = s.frame.attrs
    prev = None
    if s.week.has_previous and attrs.get("previous_start") and attrs.get("previous_end"):
        prev = (date.fromisoformat(str(attrs["previous_start"])[:10]),
                date.fromisoformat(str(attrs["previous_end"])[:10]))
    return dict(scope=scope, week_start=s.info.period_start, week_end=s.info.period_end,
                snapshot_id=int(s.info.id), imported_at=_imported_at(s.info),
                next_publication=next_publication(now), generated_at=now, previous=prev,
                source_name=s.info.source_name or None)


# --------------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------------

@dataclass
class Report:
    """A built report: the document to render and the summary its numbers came from."""

    doc: ReportDoc
    summary: Summary


def build_report(store: "Store", cfg: "Config", week: Any = None, *,
                 municipality: str | None = None, scope: bool = True, today: date | None = None,
                 now: datetime | None = None, weeks: int = TREND_WEEKS,
                 limit: int | None = SCHOOLS_SHOWN, loaded: "Week | None" = None) -> Report:
    """The weekly report of the scope, or of one municipality in it (``municipality``:
    narrowed with :class:`FilterSpec` as ``schools --municipality`` narrows)."""
    from sferum_tui.service.weeks import load_week

    spec = _spec(municipality)
    full = loaded or load_week(store, cfg, week, scope=scope)
    w = narrow(full, cfg, spec)
    if spec is not None and not len(w.frame):
        raise UserError(tr("--municipality «{m}»: в неделе {w} нет организаций этого муниципалитета",
                           "--municipality “{m}”: the week {w} has no organisations of that "
                           "municipality", m=municipality, w=w.label))
    s = summary(store, cfg, week=w, today=today)
    moment = _now(now)
    doc = ReportDoc(
        **_base(s, scope=_scope_label(s.frame, municipality), now=moment),
        counts=_counts(s.headline, s), kpis=_kpi_lines(s.headline),
        trends=_trend(store, cfg, w, spec, s.headline, weeks=weeks, today=today) if weeks else [],
        municipalities=_municipalities(s.rollup),
        newly_inactive=_records(s.newly_inactive), recovered=_records(s.recovered),
        schools=_records(_lagging_first(s.frame, cfg)), limit=limit)
    return Report(doc=doc, summary=s)


# --------------------------------------------------------------------------------------------
# The packets
# --------------------------------------------------------------------------------------------

def build_packets(store: "Store", cfg: "Config", week: Any = None, *,
                  municipality: str | None = None, scope: bool = True,
                  today: date | None = None, now: datetime | None = None
                  ) -> list[tuple[str, ReportDoc]]:
    """One packet per municipality of the scope (or of ``municipality``'s matches):
    ``(municipality, document)``, worst first.  Each holds the municipality's KPIs beside its
    region's (the whole scope when the scope is one region) and all its schools with their
    reasons, the lagging first."""
    from sferum_tui.core.indicators import filter_schools
    from sferum_tui.service.weeks import load_week

    whole = load_week(store, cfg, week, scope=scope)
    full = narrow(whole, cfg, _spec(municipality))
    if not len(full.frame):
        raise UserError(tr("--municipality «{m}»: в неделе {w} нет организаций этого муниципалитета",
                           "--municipality “{m}”: the week {w} has no organisations of that "
                           "municipality", m=municipality, w=full.label))
    s = summary(store, cfg, week=full, today=today)
    moment = _now(now)
    regions = sorted({str(r) for r in s.rollup["region"].dropna().tolist() if r})
    several = len(regions) > 1 or (bool(municipality) and len(
        {str(r) for r in whole.frame["region"].dropna().tolist() if r}) > 1)
    # the region's figures: the whole week when it is one region, else each region's part of it
    region_frames: dict[str, pd.DataFrame] = {}
    region_heads: dict[str, Headline] = {}
    label = regions[0] if len(regions) == 1 else tr("все данные", "all data")
    for r in regions if several else []:
        region_frames[r] = filter_schools(whole.frame, region=r)
        region_heads[r] = headline(region_frames[r], cfg, today=today)
    region_head = headline(whole.frame, cfg, today=today) if municipality else s.headline
    out: list[tuple[str, ReportDoc]] = []
    for row in _municipalities(s.rollup):
        name = str(row.get("municipality") or "")
        region = str(row.get("region") or "")
        base_frame = s.frame if municipality or not several else region_frames.get(region, s.frame)
        mspec = FilterSpec(municipality=(name,), region=region or None)
        frame = mspec.apply(base_frame, cfg) if name else base_frame.iloc[0:0]
        if not len(frame):
            continue
        h = headline(frame, cfg, today=today)
        rhead = region_heads.get(region, region_head) if several else region_head
        rlabel = region if several else label
        part = replace(s.week, frame=frame)
        doc = ReportDoc(
            **_base(Summary(week=part, headline=h, rollup=s.rollup.iloc[0:0],
                            newly_inactive=frame.iloc[0:0], recovered=frame.iloc[0:0]),
                    scope=name or tr("без муниципалитета", "no municipality"), now=moment),
            counts=_counts(h), kpis=_kpi_lines(h, rhead),
            schools=_records(_lagging_first(frame, cfg, all_rows=True)), limit=None, packet=True,
            region_scope=rlabel, region_counts=_counts(rhead))
        shown = f"{name} ({region})" if several and region else name
        out.append((shown or tr("без муниципалитета", "no municipality"), doc))
    return out


# --------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------

def check_format(fmt: str | None, path: str | None = None) -> str:
    """The report's format: given, else from the file name's suffix; one line otherwise."""
    f = (fmt or "").strip().lower().lstrip(".")
    if not f and path and path != "-":
        f = {".html": "html", ".htm": "html", ".md": "md", ".xlsx": "xlsx"}.get(
            Path(path).suffix.lower(), "")
    if f == "markdown":
        f = "md"
    if f not in FORMATS:
        if not fmt:
            raise UserError(tr("{p}: по имени файла не понять формат отчёта; укажите --format "
                               "html|md|xlsx", "{p}: the report's format cannot be told from the "
                               "file name; pass --format html|md|xlsx", p=path))
        raise UserError(tr("формат отчёта «{f}» неизвестен: ожидается html, md или xlsx",
                           "unknown report format “{f}”: expected html, md or xlsx", f=fmt))
    return f


def write_report(doc: ReportDoc, path: str | Path, fmt: str) -> int:
    """Write the report to ``path`` atomically; the number of bytes written."""
    from sferum_tui.core.outputs.export import _atomic_write

    data = render(doc, fmt)
    _atomic_write(Path(path).expanduser(), data)
    return len(data)


def write_packets(packets: list[tuple[str, ReportDoc]], folder: str | Path, fmt: str
                  ) -> list[Path]:
    """One file per packet in ``folder`` (created when absent), named safely
    (:func:`~sferum_tui.core.outputs.report.packet_file_names`)."""
    from sferum_tui.core.outputs.export import _atomic_write

    root = Path(folder).expanduser()
    if root.exists() and not root.is_dir():
        raise UserError(tr("{p}: это файл, а нужна папка для пакетов",
                           "{p}: is a file; the packets need a folder", p=root))
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(tr("{p}: не удаётся создать папку ({e})", "{p}: cannot create the folder ({e})",
                           p=root, e=exc.strerror or exc)) from None
    names = packet_file_names([name for name, _ in packets], SUFFIX[fmt])
    out = []
    for file_name, (_, doc) in zip(names, packets):
        path = root / file_name
        _atomic_write(path, render(doc, fmt))
        out.append(path)
    return out
