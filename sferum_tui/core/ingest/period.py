"""Finding the reporting period in title rows, file names and the ``--period`` flag.

Recognised wordings (any case, any dash):
  «за период с 15.04.2023 по 21.04.2023», «15.04.2023 - 21.04.23», «с 15.04 по 21.04.2023»,
  «с 15 по 21 апреля 2023 г.», «с 29 апреля по 5 мая 2023», «15 April – 21 April 2023»,
  «2023-04-15 — 2023-04-21», «20230415_20230421», «неделя 16.2023», «16 неделя 2023»,
  «2023-W16», «week 16 2023» (ISO weeks, Monday to Sunday), and a single date
  («по состоянию на 21.04.2023», «sferum_2023-04-21.xlsx»), read as the last day of a
  seven-day period.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from sferum_tui.core.patterns import lazy

MAX_SPAN_DAYS = 92


@dataclass(frozen=True, order=True)
class Period:
    start: date
    end: date

    def to_json(self) -> dict:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}

    def label(self) -> str:
        """«15.04–21.04.2023» as the console shows a week."""
        if self.start.year == self.end.year:
            return f"{self.start:%d.%m}–{self.end:%d.%m.%Y}"
        return f"{self.start:%d.%m.%Y}–{self.end:%d.%m.%Y}"

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


MONTHS = {
    "янв": 1, "фев": 2, "мар": 3, "апр": 4, "мая": 5, "май": 5, "мае": 5, "июн": 6, "июл": 7,
    "авг": 8, "сен": 9, "окт": 10, "ноя": 11, "дек": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8,
    "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}
_MONTH = r"([a-zа-я]{3,9})\.?"
_DASH = r"\s*(?:-|по|до|to|till|until|\.\.)\s*"
_D = r"(\d{1,2})"
_Y = r"(\d{4}|\d{2})"
_SEP = r"[./]"

# Numeric day.month.year pairs and the ISO form.
_DMY = rf"(?<!\d){_D}{_SEP}{_D}{_SEP}{_Y}(?!\d)"
_ISO = r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)"
_COMPACT = r"(?<!\d)(20\d{2})(\d{2})(\d{2})(?!\d)"

_NUM_DASH = r"\s*(?:-|по|до|to|till|until|\.\.|_|/)?\s*"
_RE_RANGE_DMY = lazy(rf"{_DMY}{_NUM_DASH}{_DMY}")
_RE_RANGE_DM_DMY = lazy(rf"(?<![\d.]){_D}{_SEP}{_D}(?![./]?\d){_DASH}{_DMY}")
_RE_RANGE_DM_DM_Y = lazy(rf"(?<![\d.]){_D}{_SEP}{_D}(?![./]?\d){_DASH}{_D}{_SEP}{_D}\s+(\d{{4}})(?!\d)")
_RE_RANGE_ISO = lazy(rf"{_ISO}{_NUM_DASH}{_ISO}")
_RE_RANGE_COMPACT = lazy(rf"{_COMPACT}{_NUM_DASH}{_COMPACT}")
_RE_RANGE_WORDS_SAME_MONTH = lazy(rf"(?<!\d){_D}{_DASH}{_D}\s+{_MONTH}\s*,?\s*(\d{{4}})")
_RE_RANGE_WORDS = lazy(rf"(?<!\d){_D}\s+{_MONTH}(?:\s+(\d{{4}}))?\s*(?:г\.?|года)?{_DASH}{_D}\s+{_MONTH}\s*,?\s*(\d{{4}})")
_RE_RANGE_EN = lazy(rf"{_MONTH}\s+{_D}\s*(?:-|to)\s*(?:{_MONTH}\s+)?{_D},?\s+(\d{{4}})")
_RE_WEEK = [
    lazy(r"(?:недел[яиюе]|нед\.?|week|wk)\s*(?:№|n|no\.?|#)?\s*(\d{1,2})\s*(?:[./_,-]|\s)\s*(?:\w+\s+)?(\d{4})"),
    lazy(r"(?<!\d)(\d{1,2})\s*(?:-?я|-?ая)?\s*(?:недел[яиюе]|нед\.?|week)\s*(?:[./_,-]\s*)?(\d{4})"),
    lazy(r"(?<!\d)(\d{4})\s*[-_ ]?\s*w(?:eek)?\s*(\d{1,2})(?!\d)"),
    lazy(r"(?<!\d)(\d{4})\s*(?:г\.?|года)?\s*,?\s*(?:недел[яиюе]|нед\.?|week)\s*(?:№|n|no\.?|#)?\s*(\d{1,2})(?!\d)"),
]
_RE_SINGLE = [lazy(_DMY), lazy(_ISO), lazy(_COMPACT),
              lazy(rf"(?<!\d){_D}\s+{_MONTH}\s+(\d{{4}})")]


def _year(text: str) -> int:
    y = int(text)
    return y + 2000 if y < 100 else y


def _month(word: str) -> int | None:
    return MONTHS.get(word[:3].lower())


def _mk(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _ok(start: date | None, end: date | None) -> Period | None:
    if start is None or end is None:
        return None
    if end < start or (end - start).days > MAX_SPAN_DAYS:
        return None
    if not 2000 <= start.year <= 2100:
        return None
    return Period(start, end)


def _week(year: int, week: int) -> Period | None:
    try:
        start = date.fromisocalendar(year, week, 1)
    except ValueError:
        return None
    return Period(start, start + timedelta(days=6))


_RE_YEAR_WORD = lazy(r"(?<=\d)\s*(?:года|год|г\.|г)(?![a-zа-я])")
_RE_TIME = lazy(r"(?<!\d)\d{1,2}:\d{2}(?::\d{2})?(?!\d)")
_RE_QUOTED_DAY = lazy(r"[«\"'“”„]\s*(\d{1,2})\s*[»\"'“”]")


def _normalise(text: str) -> str:
    text = text.lower().replace("ё", "е")
    for dash in "–—−‒―":
        text = text.replace(dash, "-")
    text = text.replace("\u00a0", " ")
    if ":" in text:
        text = _RE_TIME.sub(" ", text)        # «с 15.04.2023 00:00 по 21.04.2023 23:59»
    if "г" in text:
        text = _RE_YEAR_WORD.sub("", text)    # «с 15.04.2023 г. по 21.04.2023 г.»
    if "«" in text or '"' in text or "'" in text or "“" in text:
        text = _RE_QUOTED_DAY.sub(r"\1", text)  # «с «15» апреля 2023 г. по «21» апреля»
    text = re.sub(r"(?<![a-zа-я])c(?=\s*\d)", "с", text)  # a Latin «c» typed for «с»
    return " ".join(text.split())


def _start_in_end_year(day: int, month: int, end: date | None) -> Period | None:
    """«с 15.04 по 21.04.2023»: the start takes the end's year (the year before across New Year)."""
    if end is None:
        return None
    start = _mk(end.year, month, day)
    if start and start > end:
        start = _mk(end.year - 1, month, day)
    return _ok(start, end)


def find_period(text: str, allow_single: bool = True) -> Period | None:
    """The first reporting period written in ``text``, or None."""
    if not text:
        return None
    t = _normalise(text)
    for m in _RE_RANGE_DMY.finditer(t):
        p = _ok(_mk(_year(m[3]), int(m[2]), int(m[1])), _mk(_year(m[6]), int(m[5]), int(m[4])))
        if p:
            return p
    for rx in (_RE_RANGE_ISO, _RE_RANGE_COMPACT):   # year first: 2023-04-15, 20230415
        for m in rx.finditer(t):
            p = _ok(_mk(int(m[1]), int(m[2]), int(m[3])), _mk(int(m[4]), int(m[5]), int(m[6])))
            if p:
                return p
    for rx in (_RE_RANGE_DM_DMY, _RE_RANGE_DM_DM_Y):  # the start written without its year
        for m in rx.finditer(t):
            p = _start_in_end_year(int(m[1]), int(m[2]), _mk(_year(m[5]), int(m[4]), int(m[3])))
            if p:
                return p
    for m in _RE_RANGE_WORDS.finditer(t):
        m1, m2 = _month(m[2]), _month(m[5])
        if m1 and m2:
            y2 = int(m[6])
            y1 = int(m[3]) if m[3] else (y2 - 1 if m1 > m2 else y2)
            p = _ok(_mk(y1, m1, int(m[1])), _mk(y2, m2, int(m[4])))
            if p:
                return p
    for m in _RE_RANGE_WORDS_SAME_MONTH.finditer(t):
        mon = _month(m[3])
        if mon:
            p = _ok(_mk(int(m[4]), mon, int(m[1])), _mk(int(m[4]), mon, int(m[2])))
            if p:
                return p
    for m in _RE_RANGE_EN.finditer(t):
        m1 = _month(m[1])
        m2 = _month(m[3]) if m[3] else m1
        if m1 and m2:
            y = int(m[5])
            p = _ok(_mk(y - 1 if m1 > m2 else y, m1, int(m[2])), _mk(y, m2, int(m[4])))
            if p:
                return p
    for i, rx in enumerate(_RE_WEEK):
        for m in rx.finditer(t):
            a, b = int(m[1]), int(m[2])
            year, week = (a, b) if i >= 2 else (b, a)
            if 1 <= week <= 53:
                p = _week(year, week)
                if p:
                    return p
    if allow_single:
        return find_single_date_period(t)
    return None


def find_single_date_period(text: str) -> Period | None:
    """A lone date («по состоянию на 21.04.2023») as the last day of a seven-day period."""
    t = _normalise(text)
    for i, rx in enumerate(_RE_SINGLE):
        for m in rx.finditer(t):
            if i == 0:
                day = _mk(_year(m[3]), int(m[2]), int(m[1]))
            elif i in (1, 2):
                day = _mk(int(m[1]), int(m[2]), int(m[3]))
            else:
                mon = _month(m[2])
                day = _mk(int(m[3]), mon, int(m[1])) if mon else None
            if day and 2000 <= day.year <= 2100:
                return Period(day - timedelta(days=6), day)
    return None


def period_from_filename(name: str) -> Period | None:
    stem = name.rsplit("/", 1)[-1]
    if "." in stem:
        stem = stem.rsplit(".", 1)[0]
    return period_from_name(stem)


def period_from_name(stem: str) -> Period | None:
    """The period a name gives (a file name without its extension, a sheet name): a range, an
    ISO week, or a single date read as the last day of a seven-day period."""
    for text in (stem, _RE_NAME_DMY.sub(r"\1.\2.\3", stem)):
        # then «21_04_2023», «15-04-2023»: names where a dot would look like the extension
        text = text.replace("_", " ")
        p = find_period(text) or find_period(text.replace(" ", "-"))
        if p:
            return p
    return None


_RE_NAME_DMY = lazy(r"(?<!\d)(\d{1,2})[_ -](\d{1,2})[_ -](\d{4})(?!\d)")
_RE_WEEK_ALONE = lazy(r"^(?:(?:недел[яиюе]|нед\.?|week|wk|w)\s*(?:№|n|no\.?|#)?\s*(\d{1,2})"
                            r"|(\d{1,2})\s*(?:-?я|-?ая)?\s*(?:недел[яиюе]|нед\.?|week))$")
_RE_A_YEAR = lazy(r"(?<!\d)(20\d{2})(?!\d)")


def week_without_year(name: str) -> int | None:
    """«неделя 16», «16 неделя», «W16»: the ISO week number a name gives without a year."""
    m = _RE_WEEK_ALONE.match(_normalise(name))
    if not m:
        return None
    week = int(m[1] or m[2])
    return week if 1 <= week <= 53 else None


def iso_week(year: int, week: int) -> Period | None:
    """ISO week ``week`` of ``year`` (Monday to Sunday), or None."""
    return _week(year, week)


def year_in(text: str) -> int | None:
    """The one year (2000–2099) a text names, or None (none, or several different ones)."""
    years = set(_RE_A_YEAR.findall(text or ""))
    return int(years.pop()) if len(years) == 1 else None


_RE_HINT_RANGE = lazy(r"^\s*(\S+?)\s*(?:\.\.|:|/|\s)\s*(\S+)\s*$")


def _parse_day(text: str) -> date | None:
    text = text.strip()
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
    if m:
        return _mk(int(m[1]), int(m[2]), int(m[3]))
    m = re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})", text)
    if m:
        return _mk(_year(m[3]), int(m[2]), int(m[1]))
    return None


def parse_period_hint(text: str) -> Period | None:
    """``--period``: ``YYYY-MM-DD`` (first day of a seven-day period), or an explicit range
    ``YYYY-MM-DD..YYYY-MM-DD``; ``DD.MM.YYYY`` also accepted.  None when it cannot be read."""
    day = _parse_day(text)
    if day:
        return Period(day, day + timedelta(days=6))
    m = _RE_HINT_RANGE.match(text)
    if m:
        a, b = _parse_day(m[1]), _parse_day(m[2])
        if a and b:
            return _ok(a, b)
    return None
