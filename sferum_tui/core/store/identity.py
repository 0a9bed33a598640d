"""Stable identity of an organisation across weekly files.

An organisation is known by its ИНН where a file gives one; otherwise by its name inside its
municipality (and region, where the file names one), after normalisation that removes what
varies between spellings of the same school: case, «ё», quotes, punctuation, spaces, the
expanded or abbreviated legal form («Муниципальное бюджетное общеобразовательное учреждение» =
«МБОУ»), and the kind of municipality («Кизлярский район» = «МР «Кизлярский»»).

This module is pure (no database); the store keeps the table of keys → organisation.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = [
    "normalize_inn", "normalize_name", "normalize_municipality", "normalize_region",
    "inn_key", "name_keys", "display_name_key",
]

_DROP = str.maketrans({q: None for q in "«»\"'“”„‟‘’‚`´"} | {"№": " ", "ё": "е", "Ё": "е"})
_WORD = re.compile(r"[0-9a-zа-я]+")
_NUMBERED = re.compile(r"^(?:no|n)(\d+)$")

# Legal forms written in full → their usual abbreviation, so both spellings meet.
_OWNERSHIP = {"муниципальн": "м", "государственн": "г", "частн": "ч", "негосударственн": "н",
              "федеральн": "ф", "областн": "о", "краев": "к", "республиканск": "р"}
_FUNDING = {"бюджетн": "б", "казенн": "к", "автономн": "а"}
_FORM_RE = re.compile(
    r"\b(муниципальн|государственн|негосударственн|частн|федеральн|областн|краев|республиканск)\w*"
    r"(?:\s+(бюджетн|казенн|автономн)\w*)?"
    r"(?:\s+(дошкольн)\w*)?"
    r"(?:\s+(общеобразовательн|образовательн)\w*)?"
    r"\s+(учреждени|организаци)\w*"
)
_SCHOOL_FORMS = (
    (re.compile(r"\bсредн\w*\s+общеобразовательн\w*\s+школ\w*"), "сош"),
    (re.compile(r"\bосновн\w*\s+общеобразовательн\w*\s+школ\w*"), "оош"),
    (re.compile(r"\bначальн\w*\s+общеобразовательн\w*\s+школ\w*"), "нош"),
    (re.compile(r"\bсредн\w*\s+школ\w*"), "сш"),
    (re.compile(r"\bосновн\w*\s+школ\w*"), "ош"),
    (re.compile(r"\bначальн\w*\s+школ\w*"), "нш"),
    (re.compile(r"\bобщеобразовательн\w*\s+школ\w*"), "ош"),
    (re.compile(r"\bдетск\w*\s+сад\w*"), "дс"),
    (re.compile(r"\bимени\b"), "им"),
)

# Words that say what kind of municipality (or region) it is, not which one.
_MUNICIPALITY_STOP = frozenset({
    "муниципальный", "муниципальное", "муниципального", "муниципальная", "муниципальн",
    "район", "района", "р", "н", "рн", "мр", "мо", "го", "мрн", "гп", "гор",
    "городской", "городского", "городское", "округ", "округа", "округе",
    "образование", "образования", "поселение", "поселения", "город", "города", "г", "пгт",
    "сельское", "сельский", "внутригородской", "внутригородская", "территория",
    "административный", "административная", "единица", "мун",
})
_REGION_STOP = frozenset({
    "республика", "республики", "респ", "область", "обл", "край", "автономный", "автономная",
    "округ", "ао", "г", "город", "федерального", "значения", "субъект", "рф",
})


def _fold(text: str) -> str:
    """Lower case, NFKC, ё→е, quotes dropped, «№» and punctuation turned into spaces."""
    text = str(text).translate(_DROP)
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    text = text.lower()
    if "р-н" in text:
        text = text.replace("р-на", " района ").replace("р-н", " район ")
    return text


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


def normalize_inn(value) -> str | None:
    """ИНН as digits (text, leading zeros kept); a 9/11-digit number that lost its leading zero
    in a spreadsheet is padded back to 10/12. Anything else without digits → None."""
    if value is None:
        return None
    if type(value) is str and len(value) in (10, 12) and value.isdigit() and value.isascii():
        return value if value.strip("0") else None
    if isinstance(value, float):
        if value != value:  # NaN
            return None
        if value.is_integer():
            value = int(value)
    digits = "".join(ch for ch in str(value) if ch.isdigit())
    if not digits or set(digits) == {"0"}:
        return None
    if len(digits) in (9, 11):
        digits = "0" + digits
    return digits


def _abbreviate_form(match: re.Match) -> str:
    owner, funding, preschool, edu, _ = match.groups()
    out = _OWNERSHIP.get(owner, owner[0])
    if funding:
        out += _FUNDING.get(funding, funding[0])
    if preschool:
        out += "д"
    if edu:
        out += "о"
    return f" {out}у "


def normalize_name(name) -> str:
    """A key for an organisation name: ``МБОУ "СОШ № 1"`` and
    ``Муниципальное бюджетное общеобразовательное учреждение «Средняя общеобразовательная
    школа №1»`` both become ``мбоусош1``."""
    if name is None:
        return ""
    text = _fold(name)
    words = _words(text)
    # «СОШ N 1», «СОШ No.1» → «СОШ 1» (the number sign written in Latin letters)
    words = [w for i, w in enumerate(words)
             if not (w in ("n", "no", "н") and i + 1 < len(words) and words[i + 1][:1].isdigit())]
    words = [_NUMBERED.sub(r"\1", w) for w in words]
    text = " ".join(words)  # punctuation out, single spaces
    if "учрежд" in text or "организац" in text:
        text = _FORM_RE.sub(_abbreviate_form, text)
    if "школ" in text or "сад" in text or "имени" in text:
        for pattern, short in _SCHOOL_FORMS:
            text = pattern.sub(short, text)
        return "".join(_words(text))
    return text.replace(" ", "")


@lru_cache(maxsize=65536)
def normalize_municipality(name) -> str:
    """``Кизлярский район``, ``МР «Кизлярский район»``, ``Кизлярский муниципальный район`` →
    ``кизлярский``; ``ГО «город Махачкала»`` → ``махачкала``."""
    if name is None:
        return ""
    words = _words(_fold(name))
    kept = [w for w in words if w not in _MUNICIPALITY_STOP]
    return "".join(kept or words)


@lru_cache(maxsize=4096)
def normalize_region(name) -> str:
    """``Республика Дагестан`` → ``дагестан``; ``г. Москва`` → ``москва``."""
    if name is None:
        return ""
    words = _words(_fold(name))
    kept = [w for w in words if w not in _REGION_STOP]
    return "".join(kept or words)


def inn_key(inn: str) -> str:
    return f"inn:{inn}"


def name_keys(name, municipality, region=None) -> tuple[str | None, str | None]:
    """The name keys of an organisation: ``(key with region or None, key without region)``.

    The key without region is what a file without a region column can match; the key with region
    keeps two «МБОУ СОШ №1» of two «Кировский район» of two regions apart in a national file.
    Returns ``(None, None)`` when there is no usable name.
    """
    n = normalize_name(name)
    if not n:
        return None, None
    m = normalize_municipality(municipality)
    r = normalize_region(region)
    plain = f"m:{m}|{n}"
    return (f"r:{r}|{m}|{n}" if r else None), plain


def display_name_key(name, municipality, region=None) -> str | None:
    """The ``org_key`` shown for an organisation known only by name."""
    return display_key_of(*name_keys(name, municipality, region))


def display_key_of(key_r: str | None, key_m: str | None) -> str | None:
    """``org_key`` from the keys of :func:`name_keys`: ``name:[region|]municipality|name``."""
    if key_m is None:
        return None
    return "name:" + (key_r or key_m)[2:]
