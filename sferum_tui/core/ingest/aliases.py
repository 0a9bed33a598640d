"""Mapping column headers, as the ministry words them this week, to canonical fields.

Two layers:
1. an exact alias table (normalised text → field), extensible from the config's ``[aliases]``;
2. keyword rules, tried in order from the most specific, for the many wordings nobody listed
   («Учителя, написавшие более 3 сообщений», «Кол-во пользователей / учителя», «ИНН ОО»...).

Normalisation is case, space and punctuation insensitive, and treats «ё» as «е».
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from sferum_tui.core.fields import ALL_FIELDS

NUMBERING = "#numbering"  # a «№ п/п» column: not data, skipped and reported as such
IGNORE = ""               # an alias value that says: ignore this column

_NON_WORD = re.compile(r"[^0-9a-zа-я№%]+")


_ABBREV = re.compile(r"(?<![а-я])(обуч|уч)\s*[-.]?\s*(?:ся|щихся|щиеся)(?![а-я])")


def normalise_header(text: str) -> str:
    text = str(text).lower().replace("ё", "е")
    if "ся" in text:
        text = _ABBREV.sub(lambda m: "обучающиеся" if m[1] == "обуч" else "учащиеся", text)  # «Кол-во уч-ся»
    text = text.replace("%", " % ").replace("№", " № ")
    return " ".join(_NON_WORD.sub(" ", text).split())


# Exact wordings seen in ministry files and their English counterparts.
BASE_ALIASES: dict[str, str] = {
    "№": NUMBERING, "№ п п": NUMBERING, "п п": NUMBERING, "n п п": NUMBERING, "no": NUMBERING,
    "n": NUMBERING, "номер": NUMBERING, "№ строки": NUMBERING, "пп": NUMBERING, "#": NUMBERING,
    "nn": NUMBERING, "№№": NUMBERING, "№ № п п": NUMBERING,
    "оо": "org_name", "наименование оо": "org_name", "наименование организации": "org_name",
    "организация": "org_name", "образовательная организация": "org_name",
    "name": "org_name", "organisation": "org_name", "organization": "org_name", "school": "org_name",
    "инн": "org_id", "инн оо": "org_id", "inn": "org_id", "tin": "org_id",
    "мо": "municipality", "муниципальное образование": "municipality", "муниципалитет": "municipality",
    "район": "municipality", "municipality": "municipality", "district": "municipality",
    "субъект": "region", "субъект рф": "region", "регион": "region", "region": "region",
    "статус": "status", "статус профиля": "status", "status": "status",
    "users": "users_total", "users total": "users_total", "staff": "staff_total",
    "teachers": "teachers", "students": "students", "parents": "parents", "classes": "classes",
    "chats": "chats", "teachers active": "teachers_active",
    "teachers active share": "teachers_active_share",
    "kind": "kind", "type": "kind",
}
# A column headed with a canonical field's own name (``org_id``, ``users_total`` …, as this
# tool's exports and other scripts write them) means that field.
BASE_ALIASES.update({" ".join(f.split("_")): f for f in ALL_FIELDS})


def _has(words: list[str], *stems: str) -> bool:
    return any(w.startswith(stems) for w in words)


def _word(words: list[str], *exact: str) -> bool:
    return any(w in exact for w in words)


_TEACHER = ("учител", "педагог", "пед", "преподават", "teacher")
_MESSAGE = ("сообщ", "написав", "писавш", "пишущ", "message", "wrote", "writing", "актив", "active")
_SHARE = ("доля", "долю", "процент", "share", "percent", "ratio")
_COUNTISH = ("количеств", "колво", "кол", "число", "численност", "всего", "count", "number", "total")


def rule_match(norm: str) -> str | None:
    """The canonical field a normalised header means, by keyword rules; None if unknown."""
    words = norm.split()
    if not words:
        return None
    share = "%" in words or _has(words, *_SHARE)
    if _word(words, "инн", "inn", "tin"):
        return "org_id"
    if _has(words, "огрн", "кпп", "окпо", "адрес", "address", "телефон", "phone", "email", "почт",
            "директор", "руководител", "фио", "ссылк", "url", "комментар", "примечан", "comment",
            "дата", "date", "код", "федеральн", "federal", "огр"):
        return None
    if share:
        if _has(words, *_TEACHER) and _has(words, *_MESSAGE):
            return "teachers_active_share"
        return None  # some other share nobody asked for: never read it as a count
    if _has(words, "субъект", "регион", "region") or _word(words, "рф"):
        return "region"
    if (_has(words, "муниципал", "municipal", "district", "территор", "округ")
            or _word(words, "мо", "район", "мр", "го", "моуо", "уо", "ато")):
        return "municipality"
    if _has(words, "статус", "status") or (_has(words, "активност", "activity") and _has(words, "профил", "profile")):
        return "status"
    if _has(words, *_TEACHER) and _has(words, *_MESSAGE):
        return "teachers_active"
    if _has(words, "ученик", "обучающ", "учащ", "школьник", "student", "pupil"):
        return "students"
    if _has(words, "родител", "законн", "parent") or _word(words, "род"):
        return "parents"
    if _has(words, *_TEACHER):
        return "teachers"
    if _has(words, "сотрудник", "работник", "персонал", "штат", "staff", "employee", "кадр"):
        return "staff_total"
    if _has(words, "чат", "chat"):
        return "chats"
    if _has(words, "класс", "class") and not _has(words, "классн"):
        return "classes"
    if _has(words, "пользовател", "user", "зарегистр", "registered"):
        return "users_total"
    if _has(words, "актив", "active"):
        return "status"  # «Профиль активен», «Активен (да/нет)», «Активность»
    if _word(words, "тип", "вид", "kind", "type") or _has(words, "категори"):
        return "kind"
    if _has(words, *_COUNTISH):
        return None  # «Количество ОО», «Всего» without a role: not an organisation field
    if (_has(words, "наименован", "назван", "организац", "учрежден", "школ", "organi", "school", "name")
            or _word(words, "оо", "оу", "ооо", "соо", "поо", "доо")):
        return "org_name"
    return None


class HeaderMapper:
    """Maps header texts to canonical fields; ``extra`` comes from the config's ``[aliases]``."""

    def __init__(self, extra: Mapping[str, str] | None = None):
        self.exact = dict(BASE_ALIASES)
        for text, field in (extra or {}).items():
            field = field or IGNORE
            if field not in ALL_FIELDS and field not in (IGNORE, NUMBERING):
                raise ValueError(f"unknown canonical field {field!r} for alias {text!r}")
            self.exact[normalise_header(text)] = field
        self._cache: dict[str, str | None] = {}

    def field_for(self, header: str) -> str | None:
        """Canonical field, NUMBERING, IGNORE, or None when the header means nothing known."""
        if header in self._cache:
            return self._cache[header]
        norm = normalise_header(header)
        field: str | None
        if norm in self.exact:
            field = self.exact[norm]
        else:
            field = rule_match(norm)
        self._cache[header] = field
        return field
