"""The headline numbers — each defined once, for every surface.

The KPI strip, the table's counters, ``summary`` (table and JSON), the ``demo`` printout, the
rollup, exports and shortlists all read these.  Definitions (README, «Headline numbers»):

* ``orgs_total`` — organisations in scope: the week's file plus registry organisations absent
  from it;
* ``in_file`` — organisations in the week's file; ``missing`` — registry organisations absent;
* ``inactive`` — absent from the week, or stated «Не активна», or (no stated status) the
  activity rule fails; ``active = orgs_total − inactive``, which is the KPI «Активные профили
  ОО» (numerator ``active``, denominator ``orgs_total``);
* ``status_disagrees`` — the stated status contradicts the rule (its own filter, ``--disagrees``);
* ``low_messaging`` — teacher messaging below the threshold, or 0 teachers (present only);
* ``unregistered`` — staff registration below the configured full share (present only).

Each count is the number of rows ``schools --format json`` prints with the matching filter
(:data:`COUNT_FILTERS`): a count is the length of a filtered table, never a second sum.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING, Any

from sferum_tui.service.filters import FilterSpec

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from sferum_tui.core.config import Config
    from sferum_tui.core.indicators import Kpi
    from sferum_tui.core.store import SnapshotInfo, Store
    from sferum_tui.service.weeks import Week

__all__ = ["Headline", "COUNT_FILTERS", "headline", "counts", "Summary", "summary",
           "summary_json", "activity_kpi", "deadline_text", "org_ref"]

#: Each counted flag and the filter whose rows it counts.
COUNT_FILTERS: dict[str, FilterSpec] = {
    "missing": FilterSpec(missing=True),
    "inactive": FilterSpec(inactive=True),
    "status_disagrees": FilterSpec(disagrees=True),
    "low_messaging": FilterSpec(low_messaging=True),
    "unregistered": FilterSpec(unregistered=True),
    "changed": FilterSpec(changed=True),
}


@dataclass(frozen=True)
class Headline:
    """The headline numbers of one area (scope, or a municipality) in one week."""

    orgs_total: int
    in_file: int
    missing: int
    inactive: int
    status_disagrees: int
    low_messaging: int
    unregistered: int
    changed: int
    threshold: float
    kpis: tuple[Any, ...] = field(default=())

    @property
    def active(self) -> int:
        return self.orgs_total - self.inactive

    @property
    def inactive_share(self) -> float | None:
        return self.inactive / self.orgs_total if self.orgs_total else None

    @property
    def activity(self) -> "Kpi | None":
        return activity_kpi(self.kpis)


def activity_kpi(kpis) -> "Kpi | None":
    """The activity KPI («Активные профили ОО») among ``kpis``."""
    from sferum_tui.core.indicators import ACTIVITY_KEY

    for k in kpis:
        if k.key == ACTIVITY_KEY:
            return k
    return None


def counts(frame: "pd.DataFrame", cfg: "Config", *, rows: "np.ndarray | None" = None,
           base: FilterSpec | None = None, threshold: float | None = None) -> dict[str, int]:
    """How many rows of ``frame`` are shown (``rows``: their positions, or those passing
    ``base``; default all) and, among those, each counted flag (:data:`COUNT_FILTERS`) — each
    count the length of the table ``schools`` prints with that filter added."""
    import numpy as np

    thr = threshold if threshold is not None else (base.threshold if base else None)
    if rows is None and base is not None and base.any:
        rows = np.flatnonzero(base.mask(frame, cfg))
    out = {"shown": len(frame) if rows is None else len(rows)}
    for name, flag in COUNT_FILTERS.items():
        mask = replace(flag, threshold=thr).mask(frame, cfg)
        out[name] = int(mask.sum() if rows is None else mask[rows].sum())
    return out


def headline(frame: "pd.DataFrame", cfg: "Config", *, threshold: float | None = None,
             today: date | None = None, with_kpis: bool = True) -> Headline:
    """The headline numbers of a week table (already narrowed to the area)."""
    from sferum_tui.core import indicators

    thr = float(cfg.thresholds.low_messaging) if threshold is None else float(threshold)
    c = counts(frame, cfg, threshold=thr)
    kp = tuple(indicators.kpis(frame, cfg, today=today)) if with_kpis else ()
    return Headline(orgs_total=c["shown"], in_file=c["shown"] - c["missing"],
                    missing=c["missing"], inactive=c["inactive"],
                    status_disagrees=c["status_disagrees"], low_messaging=c["low_messaging"],
                    unregistered=c["unregistered"], changed=c["changed"], threshold=thr, kpis=kp)


def deadline_text(kpi: Any) -> str:
    """A KPI's deadline in words: «цель достигнута», «осталось 12 дн.», «срок сегодня»,
    «просрочено 4 дн.», or, long past (the 2023 letter's deadlines), «просрочено с
    27.04.2023»; ``—`` without a deadline."""
    from sferum_tui.core.vocab import MISSING, day, days
    from sferum_tui.i18n import tr

    if getattr(kpi, "reached", False):
        return tr("цель достигнута", "target reached")
    left = getattr(kpi, "days_left", None)
    deadline = getattr(kpi, "deadline", None)
    if deadline is None or left is None:
        return MISSING
    if left < -OVERDUE_AS_DATE:
        return tr("просрочено с {d}", "overdue since {d}", d=day(deadline))
    if left < 0:
        return tr("просрочено {n}", "{n} overdue", n=days(-left))
    if left == 0:
        return tr("срок сегодня", "due today")
    return tr("осталось {n}", "{n} left", n=days(left))


#: Overdue by more days than this, a deadline is named by its date instead of a count.
OVERDUE_AS_DATE = 60


def org_ref(row: dict) -> str:
    """An organisation's id in machine output: its ИНН, else the stable key derived from its
    name and municipality (``org_key``)."""
    inn = row.get("org_id")
    return inn if isinstance(inn, str) and inn else str(row.get("org_key") or "")


# --------------------------------------------------------------------------------------------
# The summary of a week
# --------------------------------------------------------------------------------------------

@dataclass
class Summary:
    """Everything ``summary`` shows for one week (and ``summary --format json`` prints)."""

    week: "Week"
    headline: Headline
    rollup: "pd.DataFrame"
    newly_inactive: "pd.DataFrame"
    recovered: "pd.DataFrame"

    @property
    def info(self) -> "SnapshotInfo":
        return self.week.info

    @property
    def frame(self) -> "pd.DataFrame":
        return self.week.frame


def summary(store: "Store", cfg: "Config", spec: Any = None, *, scope: bool = True,
            today: date | None = None, threshold: float | None = None,
            week: "Week | None" = None) -> Summary:
    """The week's headline, its municipalities worst first and its changes."""
    from sferum_tui.core import indicators
    from sferum_tui.service.weeks import load_week

    week = week or load_week(store, cfg, spec, scope=scope)
    df = week.frame
    head = headline(df, cfg, threshold=threshold, today=today)
    roll = indicators.rollup(df, cfg, by="municipality")
    newly = df.loc[df["newly_inactive"].to_numpy(dtype=bool)]
    rec = df.loc[df["recovered"].to_numpy(dtype=bool)]
    return Summary(week=week, headline=head, rollup=roll, newly_inactive=newly, recovered=rec)


_ROLLUP_KEYS = ("rank", "region", "municipality", "orgs", "present", "missing", "inactive",
                "status_disagrees", "low_messaging", "unregistered", "newly_inactive",
                "recovered", "inactive_share", "missing_share", "low_messaging_share",
                "prev_inactive_share", "d_inactive_share")


def summary_json(s: Summary) -> dict:
    """The ``summary --format json`` object (keys documented in the README)."""
    from sferum_tui.core.indicators import json_records
    from sferum_tui.core.vocab import percent_number

    h = s.headline
    indicators = []
    for k in h.kpis:
        indicators.append({
            "key": k.key, "title": k.title, "value": k.value,
            "numerator": _number(k.numerator), "denominator": _number(k.denominator),
            "target": k.target, "deadline": k.deadline.isoformat() if k.deadline else None,
            "delta": k.delta, "previous": k.previous, "days_left": k.days_left,
            "reached": bool(k.reached), "n_pass": k.n_pass, "n_total": k.n_total,
        })
    roll_cols = [c for c in _ROLLUP_KEYS if c in s.rollup.columns] + \
        [c for c in s.rollup.columns if c.startswith(("value_", "d_value_"))]
    attrs = s.frame.attrs
    return {
        "week_start": s.info.period_start.isoformat(),
        "week_end": s.info.period_end.isoformat(),
        "snapshot": int(s.info.id),
        "previous_start": attrs.get("previous_start"),
        "previous_end": attrs.get("previous_end"),
        "orgs_total": h.orgs_total,
        "in_file": h.in_file,
        "missing": h.missing,
        "inactive": h.inactive,
        "active": h.active,
        "status_disagrees": h.status_disagrees,
        "low_messaging": h.low_messaging,
        "unregistered": h.unregistered,
        "threshold": percent_number(h.threshold),
        "indicators": indicators,
        "municipalities": json_records(s.rollup, roll_cols),
        "changes": {
            "newly_inactive": [org_ref(r) for r in s.newly_inactive.to_dict("records")],
            "recovered": [org_ref(r) for r in s.recovered.to_dict("records")],
        },
    }


def _number(x: float | None) -> int | float | None:
    if x is None:
        return None
    return int(x) if float(x).is_integer() else float(x)
