"""The text vocabulary: how a number, a share, a change, a date or a week reads — in one place.

Every surface (the console, the CLI, the reasons the indicators give, the exports' human
headers) formats through these functions, so «30%», «1 402», «▲1,2 п.п.» and «15.04–21.04.2023»
read the same everywhere, in Russian (decimal comma, a non-breaking space between thousands)
and in English.  ``sferum_tui.service.vocab`` is the surfaces' door to this module.

The threshold grammar lives here too (:func:`parse_percent`), because the config (core), the
command line and the console's dialog must read «30», «30%», «27,5» and «27.5» the same way.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from typing import Any

from sferum_tui.core.text import fold
from sferum_tui.i18n import plural_ru, tr

__all__ = [
    "MISSING", "is_missing", "percent", "threshold", "integer", "signed_int", "signed_pp", "day",
    "short_day", "period", "orgs", "weeks", "days", "fold", "parse_percent", "PercentError",
    "percent_input", "percent_number",
]

MISSING = "—"
"""What an unknown value reads as."""

_EPS = 1e-9


def is_missing(value: Any) -> bool:
    """None, NaN, pandas' NA/NaT: a value that is not known."""
    if value is None:
        return True
    if isinstance(value, float):
        return value != value
    try:
        return bool(value != value)  # NaN-like objects (numpy floats, pd.NA raises)
    except (TypeError, ValueError):
        return True  # pd.NA: "boolean value of NA is ambiguous"


def _comma(text: str) -> str:
    return text.replace(".", tr(",", "."))


def percent(value: Any, digits: int | None = None) -> str:
    """A share 0..1 as percent: ``30%``, ``92,2%``.

    ``digits=None`` (a measured share in a table or a reason): whole percents, but one decimal
    below 1% (``0,4%``: a small non-zero share never reads «0%»).  ``digits=N`` always shows N
    decimals (KPI figures: ``92,2%``).  Thresholds and targets, which a person typed, read
    through :func:`threshold` instead (``27,5%`` stays ``27,5%``)."""
    if is_missing(value):
        return MISSING
    p = float(value) * 100.0
    if math.isinf(p):
        return MISSING
    if digits is None:
        digits = 0 if (p == 0 or abs(p) >= 1 or round(p) == p) else 1
    text = f"{p:.{digits}f}"
    if text.startswith("-") and float(text) == 0:
        text = text[1:]
    return _comma(text) + "%"


def threshold(value: Any) -> str:
    """A threshold or a target as the person wrote it: ``30%``, ``27,5%``, ``0,5%`` (up to
    two decimals, no trailing zeros)."""
    if is_missing(value):
        return MISSING
    p = round(float(value) * 100.0, 2)
    text = f"{p:.2f}".rstrip("0").rstrip(".")
    return _comma(text) + "%"


def integer(value: Any, missing: str = MISSING) -> str:
    """``1 402`` (Russian: a non-breaking space between thousands) or ``1,402`` (English)."""
    if is_missing(value):
        return missing
    try:
        n = int(round(float(value)))
    except (TypeError, ValueError, OverflowError):
        return str(value)
    return f"{n:,}".replace(",", tr("\u00a0", ","))


def signed_int(delta: Any) -> str:
    """A change of a count: ``▲5``, ``▼1 204``, ``=``; ``—`` when unknown."""
    if is_missing(delta):
        return MISSING
    n = int(round(float(delta)))
    if n == 0:
        return "="
    return ("▲" if n > 0 else "▼") + integer(abs(n))


def signed_pp(delta: Any, digits: int = 1, *, unit: bool = False) -> str:
    """A change of a share in percentage points: ``▲1,2`` / ``▼0,4`` / ``=``; with ``unit``,
    ``▲1,2 п.п.`` (``= 0 п.п.``).  ``—`` when unknown."""
    if is_missing(delta):
        return MISSING
    pp = 100.0 * float(delta)
    suffix = tr(" п.п.", " pp") if unit else ""
    if abs(pp) < 0.5 * 10 ** -digits:
        return ("= 0" + suffix) if unit else "="
    arrow = "▲" if pp > 0 else "▼"
    return arrow + _comma(f"{abs(pp):.{digits}f}") + suffix


def _as_date(value: Any) -> date | None:
    if is_missing(value):
        return None
    if isinstance(value, datetime):   # a datetime or a pandas Timestamp: its day
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def day(value: Any) -> str:
    """``21.04.2023`` (a date or an ISO text); ``—`` when unknown."""
    d = _as_date(value)
    return d.strftime("%d.%m.%Y") if d else MISSING


def short_day(value: Any) -> str:
    """``21.04`` (a date or an ISO text)."""
    d = _as_date(value)
    return d.strftime("%d.%m") if d else MISSING


def period(start: Any, end: Any) -> str:
    """A week: ``15.04–21.04.2023``; ``29.12.2023–04.01.2024`` across a year."""
    a, b = _as_date(start), _as_date(end)
    if a is None or b is None:
        return MISSING
    if a == b:
        return a.strftime("%d.%m.%Y")
    if a.year == b.year:
        return f"{a:%d.%m}–{b:%d.%m.%Y}"
    return f"{a:%d.%m.%Y}–{b:%d.%m.%Y}"


def orgs(n: int) -> str:
    """``1 402 организации`` / ``1,402 organisations``."""
    return tr("{n} " + plural_ru(n, "организация", "организации", "организаций"),
              "{n} organisation" + ("" if n == 1 else "s"), n=integer(n))


def weeks(n: int) -> str:
    """``3 недели`` / ``3 weeks``."""
    return tr("{n} " + plural_ru(n, "неделя", "недели", "недель"),
              "{n} week" + ("" if n == 1 else "s"), n=integer(n))


def days(n: int) -> str:
    """``12 дн.`` / ``12 days``."""
    return tr("{n} дн.", "{n} day" + ("" if n == 1 else "s"), n=integer(n))


# --------------------------------------------------------------------------------------------
# The threshold grammar
# --------------------------------------------------------------------------------------------

class PercentError(ValueError):
    """A threshold that does not follow the grammar; ``str()`` is one line for the user."""


_PERCENT_RE = re.compile(r"^([0-9]+(?:[.,][0-9]+)?)\s*(%?)$")


def parse_percent(text: Any, *, what: str = "") -> float:
    """A threshold as the user writes it, as a share 0..1.  The one grammar of the command
    line, the config and the console:

    * a number of percent: ``30``, ``30%``, ``27,5``, ``27.5``, ``27,5 %`` → 0.30 / 0.275;
    * from 0 to 100; ``0`` is 0%;
    * a bare number above 0 and up to 1 (``0.3``, ``1``) is refused with a hint: it reads as a
      fraction to some people and as a percent to others — write ``30`` for 30% or ``0,3%``
      for three tenths of a percent.

    A TOML number (int/float) follows the same rules as its text.  ``PercentError`` (one line,
    prefixed with ``what``) otherwise."""
    label = f"{what}: " if what else ""
    if isinstance(text, bool):
        raise PercentError(label + tr("ожидается процент от 0 до 100, например 30",
                                      "expected a percent from 0 to 100, e.g. 30"))
    if isinstance(text, (int, float)):
        raw = repr(float(text)) if isinstance(text, float) else str(text)
        if isinstance(text, float) and float(text).is_integer():
            raw = str(int(text))
    else:
        raw = str(text)
    shown = " ".join(raw.split())
    body = raw.strip().replace("\u00a0", "").replace(" ", "")
    m = _PERCENT_RE.match(body)
    if not m:
        raise PercentError(label + tr(
            "ожидается процент от 0 до 100 (30, 30%, 27,5), указано «{v}»",
            "expected a percent from 0 to 100 (30, 30%, 27.5), got “{v}”", v=shown))
    value = float(m.group(1).replace(",", "."))
    has_sign = bool(m.group(2))
    if not math.isfinite(value) or value > 100:
        raise PercentError(label + tr("больше 100% («{v}»)", "more than 100% (“{v}”)", v=shown))
    if not has_sign and 0 < value <= 1:
        raise PercentError(label + tr(
            "«{v}» неоднозначно: порог задаётся в процентах — пишите {p} для {p}% или {v}% для {v}%",
            "“{v}” is ambiguous: thresholds are percents — write {p} for {p}% or {v}% for {v}%",
            v=_comma(m.group(1).replace(",", ".")), p=_plain(value * 100)))
    return value / 100.0


def _plain(x: float) -> str:
    text = f"{x:.6g}"
    return _comma(text)


def percent_input(share: float) -> str:
    """A share 0..1 written back in the threshold grammar (``30``, ``27,5``): what a dialog
    pre-fills, accepted back by :func:`parse_percent` (0 < share ≤ 1% is written with its
    ``%`` sign so it stays unambiguous)."""
    p = round(float(share) * 100.0, 6)
    text = _comma(f"{p:.6g}")
    if 0 < p <= 1:
        return text + "%"
    return text


def percent_number(share: float) -> float | int:
    """A share 0..1 as a number of percent for machine output (``summary --format json``'s
    ``threshold``): ``30``, ``27.5``."""
    p = round(float(share) * 100.0, 6)
    return int(p) if p.is_integer() else p
