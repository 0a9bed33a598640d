"""What a table is narrowed to: one :class:`FilterSpec` for the console, the CLI and the exports.

A filter is parsed once (from command-line arguments, the config or the console's dialog),
applied once (:meth:`FilterSpec.apply`, which calls the core's ``filter_schools``) and put into
words once (:meth:`FilterSpec.describe` / :meth:`FilterSpec.chips`).  The low-messaging
threshold follows the one grammar of :func:`sferum_tui.core.vocab.parse_percent`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from sferum_tui.core.errors import UserError
from sferum_tui.core.vocab import PercentError, parse_percent
from sferum_tui.core.vocab import threshold as threshold_text
from sferum_tui.i18n import tr

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from sferum_tui.core.config import Config

__all__ = ["FilterSpec", "parse_threshold", "TOGGLES"]

#: The on/off filters, in the order chips and descriptions list them.
TOGGLES = ("inactive", "low_messaging", "unregistered", "missing", "changed", "disagrees")


def parse_threshold(text: Any, *, what: str = "--low-messaging") -> float:
    """A low-messaging threshold as the user wrote it (``30``, ``30%``, ``27,5``), as a share
    0..1; :class:`UserError` (one line, naming ``what``) otherwise.  The same grammar as the
    config's ``[thresholds]`` and the console's ``t`` dialog."""
    try:
        return parse_percent(text, what=what)
    except PercentError as err:
        raise UserError(str(err)) from None


@dataclass(frozen=True)
class FilterSpec:
    """Filters of the schools table; every filter given combines with the others (AND).

    ``threshold`` is the low-messaging threshold (a share 0..1) the user chose; None means the
    config's.  ``municipality`` holds one or more names (a name matching none exactly matches as
    a fragment); ``region`` narrows a municipality to one region when the data spans several.
    ``search`` is an ИНН prefix (digits) or a fragment of the name.
    """

    inactive: bool = False
    low_messaging: bool = False
    unregistered: bool = False
    missing: bool = False
    changed: bool = False
    disagrees: bool = False
    municipality: tuple[str, ...] = ()
    region: str | None = None
    search: str = ""
    threshold: float | None = field(default=None)

    TOGGLES = TOGGLES

    # -- building ---------------------------------------------------------------------------

    @classmethod
    def parse(cls, *, inactive: bool = False, low_messaging: Any = None,
              unregistered: bool = False, missing: bool = False, changed: bool = False,
              disagrees: bool = False, municipality: str | Iterable[str] | None = None,
              region: str | None = None, search: str | None = None,
              threshold: Any = None) -> "FilterSpec":
        """The one parser.  ``low_messaging``: None/False (off), True (on, at ``threshold`` or
        the config's), or a threshold in the grammar as text (on, at that threshold).
        ``threshold``: a share 0..1 as a float, or text in the grammar."""
        low = low_messaging is not None and low_messaging is not False
        thr = None
        if threshold is not None:   # a share 0..1 (float) as the console keeps it, or text
            thr = threshold if isinstance(threshold, float) else parse_threshold(threshold)
        if low and low_messaging is not True:
            thr = parse_threshold(low_messaging)
        munis: tuple[str, ...]
        if isinstance(municipality, str):
            munis = (municipality,) if municipality.strip() else ()
        else:
            munis = tuple(m for m in (municipality or ()) if str(m).strip())
        return cls(inactive=bool(inactive), low_messaging=low, unregistered=bool(unregistered),
                   missing=bool(missing), changed=bool(changed), disagrees=bool(disagrees),
                   municipality=tuple(" ".join(str(m).split()) for m in munis),
                   region=region or None, search=" ".join(str(search or "").split()),
                   threshold=thr)

    @classmethod
    def from_args(cls, args: Any) -> "FilterSpec":
        """From an argparse namespace made with ``commands.filters.add_filter_args``."""
        return cls.parse(
            inactive=getattr(args, "inactive", False),
            low_messaging=getattr(args, "low_messaging", None),
            unregistered=getattr(args, "unregistered", False),
            missing=getattr(args, "missing", False),
            changed=getattr(args, "changed", False),
            disagrees=getattr(args, "disagrees", False),
            municipality=getattr(args, "municipality", None),
            search=getattr(args, "search", None))

    def with_threshold(self, value: Any) -> "FilterSpec":
        """The same filters at another low-messaging threshold (text in the grammar, or a share
        0..1 as a float)."""
        thr = value if isinstance(value, float) else parse_threshold(value, what="")
        return replace(self, threshold=max(0.0, min(1.0, thr)))

    def toggled(self, name: str) -> "FilterSpec":
        if name not in TOGGLES:
            raise ValueError(f"not an on/off filter: {name}")
        flags: dict[str, Any] = {name: not getattr(self, name)}
        return replace(self, **flags)

    def cleared(self) -> "FilterSpec":
        """No filter on; the chosen threshold is kept (it is a setting, not a filter)."""
        return FilterSpec(threshold=self.threshold)

    # -- reading ----------------------------------------------------------------------------

    @property
    def any(self) -> bool:
        return any(getattr(self, n) for n in TOGGLES) or bool(self.municipality) \
            or bool(self.search.strip())

    def threshold_for(self, cfg: "Config") -> float:
        """The low-messaging threshold in force: the chosen one, else the config's."""
        return float(cfg.thresholds.low_messaging) if self.threshold is None else self.threshold

    def kwargs(self, cfg: "Config") -> dict[str, Any]:
        """Keyword arguments of the core's ``indicators.filter_schools``."""
        return dict(
            inactive=self.inactive,
            low_messaging=self.threshold_for(cfg) if self.low_messaging else None,
            unregistered=self.unregistered, missing=self.missing, changed=self.changed,
            disagrees=self.disagrees, municipality=list(self.municipality) or None,
            region=self.region if self.municipality else None, search=self.search or None)

    def apply(self, df: "pd.DataFrame", cfg: "Config") -> "pd.DataFrame":
        """The rows of a week table (or a history) that pass."""
        from sferum_tui.core import indicators

        return indicators.filter_schools(df, **self.kwargs(cfg))

    def check_municipalities(self, df: "pd.DataFrame", week: str | None = None) -> None:
        """A ``municipality`` that matches no organisation of the week table ``df`` (by the
        same rule :meth:`apply` uses) is a mistake, not an empty answer: :class:`UserError`
        naming the closest municipalities of the week (difflib on the folded names)."""
        if not self.municipality or "municipality" not in df.columns:
            return
        from difflib import get_close_matches

        from sferum_tui.core import indicators
        from sferum_tui.core.text import fold, one_line

        for wanted in self.municipality:
            if indicators.filter_mask(df, municipality=[wanted]).any():
                continue
            names = sorted({str(m) for m in df["municipality"].dropna() if str(m).strip()})
            by_fold = {fold(n): n for n in names}
            close = [by_fold[f] for f in get_close_matches(fold(wanted), list(by_fold), n=3,
                                                           cutoff=0.0)]
            where = tr(" в неделе {w}", " in the week {w}", w=week) if week else ""
            hint = (tr("; ближайшие: {c}", "; the closest: {c}", c="; ".join(close)) if close
                    else tr("; в неделе нет ни одного муниципалитета",
                            "; the week names no municipality"))
            raise UserError(tr("--municipality «{m}»: такого муниципалитета нет{w}{h}",
                               "--municipality “{m}”: no such municipality{w}{h}",
                               m=one_line(wanted, 80), w=where, h=hint))

    def mask(self, df: "pd.DataFrame", cfg: "Config") -> "np.ndarray":
        """Which rows pass, as a boolean array."""
        from sferum_tui.core import indicators

        return indicators.filter_mask(df, **self.kwargs(cfg))

    @property
    def one_municipality(self) -> str | None:
        """The municipality the console narrows to (it picks one at a time)."""
        return self.municipality[0] if self.municipality else None

    def area(self) -> "FilterSpec":
        """Only the area part (municipality and its region): what the KPIs are computed over."""
        return FilterSpec(municipality=self.municipality, region=self.region)

    # -- words ------------------------------------------------------------------------------

    def chips(self, cfg: "Config | None" = None, *, threshold: float | None = None
              ) -> list[tuple[str, str]]:
        """``(filter name, short text)`` of the filters that are on, in a fixed order (the
        console's chips and the export header's words come from here)."""
        thr = self.threshold if self.threshold is not None else threshold
        if thr is None and cfg is not None:
            thr = float(cfg.thresholds.low_messaging)
        out: list[tuple[str, str]] = []
        if self.inactive:
            out.append(("inactive", tr("неактивные", "inactive")))
        if self.low_messaging:
            out.append(("low_messaging", tr("пишут < {p}", "messaging < {p}",
                                            p=threshold_text(thr) if thr is not None else "—")))
        if self.unregistered:
            out.append(("unregistered", tr("не все зарегистрированы", "not fully registered")))
        if self.missing:
            out.append(("missing", tr("нет в неделе", "missing from the week")))
        if self.changed:
            out.append(("changed", tr("изменились", "changed")))
        if self.disagrees:
            out.append(("disagrees", tr("статус ≠ правило", "status ≠ rule")))
        if self.municipality:
            names = ", ".join(self.municipality)
            out.append(("municipality", f"{names} · {self.region}" if self.region else names))
        if self.search.strip():
            out.append(("search", tr("поиск «{s}»", "search “{s}”", s=self.search.strip())))
        return out

    def describe(self, cfg: "Config | None" = None, *, shortlist: str | None = None,
                 threshold: float | None = None) -> str:
        """The filter in words, one line (``все организации`` with none), in the current
        language: an export's header, the CLI's «Фильтр:» line."""
        words = [text for _, text in self.chips(cfg, threshold=threshold)]
        if shortlist:
            words.insert(0, tr("список «{n}»", "list “{n}”", n=shortlist))
        return "; ".join(words) if words else tr("все организации", "all organisations")

    def cli_args(self, cfg: "Config | None" = None) -> list[str]:
        """The same filter as ``schools`` arguments (to reproduce a count on the command line)."""
        from sferum_tui.core.vocab import percent_input

        out: list[str] = []
        for name in ("inactive", "unregistered", "missing", "changed", "disagrees"):
            if getattr(self, name):
                out.append("--" + name.replace("_", "-"))
        if self.low_messaging:
            thr = self.threshold if self.threshold is not None else \
                (float(cfg.thresholds.low_messaging) if cfg is not None else None)
            out += ["--low-messaging", percent_input(thr)] if thr is not None else ["--low-messaging"]
        for m in self.municipality:
            out += ["--municipality", m]
        if self.search:
            out += ["--search", self.search]
        return out
