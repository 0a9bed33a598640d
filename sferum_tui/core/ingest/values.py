"""Parsing of single cell values as they come from spreadsheets and CSV files.

Cells arrive as ``str`` (CSV, text cells), ``float``/``int`` (numeric cells), ``bool`` or
date/time objects.  Everything here is pure Python and cached per distinct string, because a
national file repeats the same small numbers hundreds of thousands of times.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from itertools import compress

from sferum_tui.core.text import CONTROL_RE, clean_text

# Placeholders the ministry and officials use for "no value".
MISSING_MARKERS = frozenset({
    "", "-", "--", "—", "–", "−", "x", "х", "xx", "*", "н/д", "нд", "н.д.", "н/д.", "n/a", "na",
    "#н/д", "#n/a", "нет данных", "null", "none", "nan", "?",
})
_SPACES = dict.fromkeys(map(ord, " \u00a0\u2007\u2009\u202f\u200b\t'`’"), None)
_NUMBER_RE = re.compile(r"[+\-\u2212]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?")


class CellError(ValueError):
    """A cell that holds something other than what its column needs."""

    def __init__(self, expected: str, found: str):
        super().__init__(expected)
        self.expected = expected
        self.found = clean_text(found) if isinstance(found, str) else found


def is_missing(value) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip().lower() in MISSING_MARKERS
    if isinstance(value, float):
        return value != value  # NaN
    return False


def _shown(value) -> str:
    text = str(value).strip()
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    return text if len(text) <= 40 else text[:37] + "..."


_number_cache: dict[str, tuple[float | None, bool]] = {}


def parse_number_text(text: str) -> tuple[float | None, bool]:
    """``'1 234,5'`` → (1234.5, False); ``'3,5%'`` → (3.5, True); placeholders → (None, False).

    Raises CellError for text that is not a number.
    """
    hit = _number_cache.get(text)
    if hit is not None:
        return hit
    raw = text.strip()
    result: tuple[float | None, bool]
    if raw.lower() in MISSING_MARKERS:
        result = (None, False)
    else:
        compact = raw.translate(_SPACES)
        percent = compact.endswith("%")
        if percent:
            compact = compact[:-1]
        if compact.startswith("(") and compact.endswith(")"):  # accounting negative
            compact = "-" + compact[1:-1]
        if not _NUMBER_RE.fullmatch(compact):
            raise CellError("number", _shown(raw))
        compact = compact.replace("\u2212", "-")
        if compact.count(",") == 1 and "." not in compact:
            compact = compact.replace(",", ".")
        elif "," in compact:
            raise CellError("number", _shown(raw))
        result = (float(compact), percent)
    if len(_number_cache) < 100_000:
        _number_cache[text] = result
    return result


def parse_count(value) -> int | None:
    """A whole, non-negative-or-negative count (sign is validated by the caller)."""
    t = type(value)
    if t is float:
        if value != value:
            return None
        if value.is_integer():
            return int(value)
        raise CellError("whole number", _shown(value))
    if t is int:
        return value
    if t is str:
        if value.isdigit() and value.isascii() and len(value) <= 15:
            return int(value)   # what the rule below gives plain digits, without the float round trip
        number, percent = parse_number_text(value)
        if number is None:
            return None
        if percent or not number.is_integer():
            raise CellError("whole number", _shown(value))
        return int(number)
    if value is None:
        return None
    if t is bool:
        raise CellError("whole number", _shown(value))
    if isinstance(value, (date, datetime)):
        raise CellError("whole number", _shown(value))
    raise CellError("whole number", _shown(value))


def parse_share_raw(value) -> tuple[float | None, bool]:
    """A share as written: (number, had_percent_sign). Scaling to 0..1 is decided per column."""
    t = type(value)
    if t is float:
        return (None, False) if value != value else (value, False)
    if t is int:
        return float(value), False
    if t is str:
        return parse_number_text(value)
    if value is None:
        return None, False
    raise CellError("share (percent or fraction)", _shown(value))


_POSITIVE_STEMS = ("актив", "акт", "active", "подключ", "зарегистр", "enabled")
_TICKS = {"✓": "active", "✔": "active", "☑": "active", "v": "active", "✗": "inactive", "✘": "inactive", "☐": "inactive"}
_WORDS_RE = re.compile(r"[a-zа-я]+")
_NEGATIVE_PREFIXES = ("не", "not", "in", "un", "dis")
_STATUS_CACHE: dict[str, str | None] = {}
_LETTERS_RE = re.compile(r"[^a-zа-я0-9+]+")


def parse_status(value) -> str | None:
    """«Активна», «Не активен», «Неактивна», 'active'... → 'active' / 'inactive'.

    Returns None for a missing value; raises CellError for a word it does not know.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return "active" if value else "inactive"
    if isinstance(value, (int, float)):
        if value == 1:
            return "active"
        if value == 0:
            return "inactive"
        raise CellError("status (Активна / Не активна)", _shown(value))
    text = str(value)
    if text in _STATUS_CACHE:
        return _STATUS_CACHE[text]
    stripped = text.strip().lower()
    key = _LETTERS_RE.sub("", stripped.replace("ё", "е"))
    result: str | None
    if stripped in MISSING_MARKERS:
        result = None
    elif key in ("да", "yes", "true", "1", "+"):
        result = "active"
    elif key in ("нет", "no", "false", "0"):
        result = "inactive"
    elif key.startswith(_POSITIVE_STEMS):
        result = "active"
    elif any(key.startswith(p) and key[len(p):].startswith(_POSITIVE_STEMS) for p in _NEGATIVE_PREFIXES):
        result = "inactive"
    elif stripped in _TICKS:
        result = _TICKS[stripped]
    else:
        # a phrase: «Профиль не активен», «Статус: активный профиль»
        words = _WORDS_RE.findall(stripped.replace("ё", "е"))
        result = None
        for i, w in enumerate(words):
            if w.startswith(_POSITIVE_STEMS):
                negated = i > 0 and words[i - 1] in ("не", "not")
                result = "inactive" if negated else "active"
                break
            if any(w.startswith(p) and w[len(p):].startswith(_POSITIVE_STEMS) for p in _NEGATIVE_PREFIXES):
                result = "inactive"
                break
        if result is None:
            raise CellError("status (Активна / Не активна)", _shown(value))
    _STATUS_CACHE[text] = result
    return result


_text_cache: dict[str, str | None] = {}
_UNTIDY = re.compile("  |\u00a0|" + CONTROL_RE.pattern)


def parse_text(value) -> str | None:
    if type(value) is str:
        hit = _text_cache.get(value)
        if hit is not None:
            return hit
        text = value.strip()
        if _UNTIDY.search(text):  # runs of spaces, and controls: ESC, a bidi override, line breaks …
            if "\x00" in text:
                raise CellError("text without NUL bytes", text)
            text = " ".join(clean_text(text).split())
        if not text or text.lower() in MISSING_MARKERS:
            return None
        if len(_text_cache) < 20_000:
            _text_cache[value] = text
        return text
    if value is None:
        return None
    if isinstance(value, float):
        if value != value:
            return None
        if value.is_integer():
            value = int(value)
    text = " ".join(clean_text(str(value)).split())
    if text.lower() in MISSING_MARKERS:
        return None
    return text


_SHORT = frozenset(range(max(map(len, MISSING_MARKERS)) + 1))
"""The lengths a placeholder can have."""


def parse_texts(values: Sequence) -> list:
    """``[parse_text(v) for v in values]``; a column of texts that need no tidying (a CSV's
    names) at C speed, a block at a time (see ``_plain_texts``)."""
    out: list = []
    shared: dict[str, str | None] = {}
    for b in range(0, len(values), TEXT_BLOCK):
        block = values[b: b + TEXT_BLOCK]
        out.extend(_plain_texts(block, shared) or map(parse_text, block))
    return out


TEXT_BLOCK = 1 << 14
"""Texts checked at once by ``parse_texts`` (their joined copy stays small)."""
TEXTS_SHARED = 1 << 16
"""Distinct texts of a column made one object each by ``parse_texts`` (as ``parse_text``'s
cache does: a national file's 45,000 names hold ~9,000 distinct ones, ~4 MB); past it, texts
already seen are still shared."""


def _plain_texts(values: Sequence, shared: dict[str, str | None]) -> list | None:
    """What ``parse_text`` makes of each of these texts, or None when one of them needs more
    than stripping: one ``isprintable`` over them all rules out controls, bidi overrides and
    no-break spaces, and only texts as short as the longest placeholder are looked up.  Equal
    texts come back as one object (``shared``: the column's texts so far)."""
    try:
        stripped = list(map(str.strip, values))
    except TypeError:   # not all texts (numbers, dates, None)
        return None
    joined = "|".join(stripped)   # a printable joint that makes no run of spaces
    if "  " in joined or not joined.isprintable():   # some text needs tidying (or holds a NUL)
        return None
    # lower() never shortens a text, so a placeholder is among the short ones
    short = set(compress(stripped, map(_SHORT.__contains__, map(len, stripped))))
    shared.update((t, None) for t in short if t.lower() in MISSING_MARKERS)
    return list(map(shared.setdefault if len(shared) < TEXTS_SHARED else shared.get, stripped, stripped))


_INN_RE = re.compile(r"\d{5,12}")


def parse_inn(value) -> tuple[str | None, bool]:
    """ИНН as text: (inn, restored_leading_zero).  Numeric cells lose leading zeros in Excel;
    a 9- or 11-digit number is a 10- or 12-digit ИНН whose zero was dropped.
    Raises CellError for anything that is not 10 or 12 digits."""
    if value is None:
        return None, False
    numeric = False
    if isinstance(value, float):
        if value != value:
            return None, False
        if not value.is_integer():
            raise CellError("ИНН (10 or 12 digits)", _shown(value))
        text = str(int(value))
        numeric = True
    elif isinstance(value, int) and not isinstance(value, bool):
        text = str(value)
        numeric = True
    else:
        text = str(value).strip()
        if text.lower() in MISSING_MARKERS:
            return None, False
        text = text.translate(_SPACES)
        if text.endswith(".0") and text[:-2].isdigit():
            text = text[:-2]
    if not text.isdigit() or not text.isascii():
        raise CellError("ИНН (10 or 12 digits)", _shown(value))
    if len(text) in (10, 12):
        return text, False
    if len(text) in (9, 11) or (numeric and len(text) < 10):
        return text.zfill(10 if len(text) <= 10 else 12), True
    raise CellError("ИНН (10 or 12 digits)", _shown(value))
