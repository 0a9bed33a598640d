"""Synthetic demonstration data: organisations, weekly monitoring figures and messy weekly files.

Everything here is invented.  Region and municipality names are real place names (Dagestan, as
in letter №450) so the demo reads naturally, but every organisation, ИНН and figure is produced
by a seeded random generator, and every file says «Синтетические демонстрационные данные».

The pipeline, each step deterministic for a given seed:

* :func:`build_population` — organisations at ``district`` (≈25), ``region`` (≈1,400 in 52
  municipalities) or ``country`` (≈40,000 across 85 regions) scale;
* :func:`simulate_weeks` — canonical weekly figures (see ``core/fields.py``) following the
  letter's story: week 1 near 3% teacher messaging and 12% inactive profiles, improving unevenly,
  some schools stuck, some regressing, a few missing from some weeks, a few renamed spellings;
* :func:`write_week_file` — one week as a file in one of :data:`LAYOUTS` (the family of inputs
  described in DOMAIN.md: title rows, merged headers, totals rows, text numbers, CSV in
  Windows-1251...), :func:`write_registry_file` — the registry of organisations;
* :func:`generate_demo` — all of it into one folder; :func:`write_country_week` — one national
  week for the benchmark.

Headless: no Textual, no pandas (numpy, xlsxwriter and the standard library only).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np

from sferum_tui.core.fields import COUNT_FIELDS, ROW_FIELDS, STATUS_ACTIVE, STATUS_INACTIVE

SYNTHETIC_NOTE = "Синтетические демонстрационные данные"
SYNTHETIC_NOTE_EN = "Synthetic demonstration data"
SCALES = ("district", "region", "country")
SCALE_SIZES = {"district": 25, "region": 1400, "country": 40000}

NBSP = "\u00a0"
MISSING = -1  # marker for "not given" in the integer arrays of WeekData

KIND_SCHOOL = "школа"
KIND_KINDERGARTEN = "детский сад"
KIND_COLLEGE = "колледж"
KINDS = (KIND_SCHOOL, KIND_KINDERGARTEN, KIND_COLLEGE)

# ---------------------------------------------------------------------------------------------
# Place names
# ---------------------------------------------------------------------------------------------

DAGESTAN = "Республика Дагестан"
DAGESTAN_DISTRICTS = (
    "Агульский", "Акушинский", "Ахвахский", "Ахтынский", "Бабаюртовский", "Ботлихский",
    "Буйнакский", "Гергебильский", "Гумбетовский", "Гунибский", "Дахадаевский", "Дербентский",
    "Докузпаринский", "Казбековский", "Кайтагский", "Карабудахкентский", "Каякентский",
    "Кизилюртовский", "Кизлярский", "Кулинский", "Кумторкалинский", "Курахский", "Лакский",
    "Левашинский", "Магарамкентский", "Новолакский", "Ногайский", "Рутульский",
    "Сергокалинский", "Сулейман-Стальский", "Табасаранский", "Тарумовский", "Тляратинский",
    "Унцукульский", "Хасавюртовский", "Хивский", "Хунзахский", "Цумадинский", "Цунтинский",
    "Чародинский", "Шамильский",
)
# (name, relative size) — the cities carry more organisations than the mountain districts
DAGESTAN_CITIES = (
    ("Махачкала", 12.0), ("Дербент", 3.0), ("Хасавюрт", 3.0), ("Каспийск", 2.5),
    ("Буйнакск", 2.0), ("Избербаш", 1.5), ("Кизляр", 1.5), ("Кизилюрт", 1.2),
    ("Дагестанские Огни", 0.8), ("Южно-Сухокумск", 0.5),
)

# The 85 subjects of the Russian Federation with the first two digits of their ИНН.
REGIONS = (
    ("01", "Республика Адыгея"), ("02", "Республика Башкортостан"), ("03", "Республика Бурятия"),
    ("04", "Республика Алтай"), ("05", DAGESTAN), ("06", "Республика Ингушетия"),
    ("07", "Кабардино-Балкарская Республика"), ("08", "Республика Калмыкия"),
    ("09", "Карачаево-Черкесская Республика"), ("10", "Республика Карелия"),
    ("11", "Республика Коми"), ("12", "Республика Марий Эл"), ("13", "Республика Мордовия"),
    ("14", "Республика Саха (Якутия)"), ("15", "Республика Северная Осетия — Алания"),
    ("16", "Республика Татарстан"), ("17", "Республика Тыва"), ("18", "Удмуртская Республика"),
    ("19", "Республика Хакасия"), ("20", "Чеченская Республика"), ("21", "Чувашская Республика"),
    ("22", "Алтайский край"), ("23", "Краснодарский край"), ("24", "Красноярский край"),
    ("25", "Приморский край"), ("26", "Ставропольский край"), ("27", "Хабаровский край"),
    ("28", "Амурская область"), ("29", "Архангельская область"), ("30", "Астраханская область"),
    ("31", "Белгородская область"), ("32", "Брянская область"), ("33", "Владимирская область"),
    ("34", "Волгоградская область"), ("35", "Вологодская область"), ("36", "Воронежская область"),
    ("37", "Ивановская область"), ("38", "Иркутская область"), ("39", "Калининградская область"),
    ("40", "Калужская область"), ("41", "Камчатский край"), ("42", "Кемеровская область"),
    ("43", "Кировская область"), ("44", "Костромская область"), ("45", "Курганская область"),
    ("46", "Курская область"), ("47", "Ленинградская область"), ("48", "Липецкая область"),
    ("49", "Магаданская область"), ("50", "Московская область"), ("51", "Мурманская область"),
    ("52", "Нижегородская область"), ("53", "Новгородская область"),
    ("54", "Новосибирская область"), ("55", "Омская область"), ("56", "Оренбургская область"),
    ("57", "Орловская область"), ("58", "Пензенская область"), ("59", "Пермский край"),
    ("60", "Псковская область"), ("61", "Ростовская область"), ("62", "Рязанская область"),
    ("63", "Самарская область"), ("64", "Саратовская область"), ("65", "Сахалинская область"),
    ("66", "Свердловская область"), ("67", "Смоленская область"), ("68", "Тамбовская область"),
    ("69", "Тверская область"), ("70", "Томская область"), ("71", "Тульская область"),
    ("72", "Тюменская область"), ("73", "Ульяновская область"), ("74", "Челябинская область"),
    ("75", "Забайкальский край"), ("76", "Ярославская область"), ("77", "Москва"),
    ("78", "Санкт-Петербург"), ("79", "Еврейская автономная область"),
    ("83", "Ненецкий автономный округ"), ("86", "Ханты-Мансийский автономный округ — Югра"),
    ("87", "Чукотский автономный округ"), ("89", "Ямало-Ненецкий автономный округ"),
    ("91", "Республика Крым"), ("92", "Севастополь"),
)

# Invented municipality and village names for the other regions (country scale).
_MUNI_PREFIXES = ("", "Ново", "Старо", "Верхне", "Нижне", "Красно", "Бело", "Мало", "Больше",
                  "Черно")
_MUNI_STEMS = ("каменский", "озёрский", "реченский", "полянский", "горский", "борский",
               "дубровский", "ключевский", "сосновский", "берёзовский", "ольховский",
               "песчанский", "ярский", "троицкий", "покровский", "никольский", "успенский",
               "знаменский", "липовский", "холмский")
_CITY_STEMS = ("горск", "каменск", "озёрск", "реченск", "ярск", "борск", "польск", "дольск")
_RU_VILLAGES = (
    "Берёзовка", "Ивановка", "Покровское", "Сосновка", "Александровка", "Михайловка",
    "Знаменка", "Каменка", "Васильевка", "Петровка", "Троицкое", "Успенка", "Красное",
    "Заречное", "Луговое", "Садовое", "Дубровка", "Ключи", "Озёрки", "Липовка", "Рябиновка",
    "Вишнёвое", "Высокое", "Горки", "Ольховка", "Калиновка", "Малиновка", "Тихоновка", "Борки",
    "Никольское", "Воскресенское", "Богородское", "Ильинское", "Спасское", "Рождественское",
    "Дмитриевка", "Николаевка", "Сергеевка", "Андреевка", "Георгиевка", "Новосёлки",
    "Слобода", "Подгорное", "Нагорное", "Приозёрное", "Раздолье", "Привольное", "Солнечное",
    "Широкое", "Лесное", "Полевое", "Степное", "Речное", "Родники", "Черёмушки", "Марьино",
)
_DAG_SYL_A = ("Ку", "Ма", "Ур", "Ка", "Ба", "Ха", "Ги", "Ме", "Ца", "Ах", "Бу", "Гу", "Да",
              "Ке", "Му", "Ни", "Ту", "Чи", "Ша", "Ху")
_DAG_SYL_B = ("ра", "ла", "ди", "ри", "ма", "на", "га", "ба", "та", "ка", "ху", "цу")
_DAG_SYL_C = ("хи", "кала", "кент", "мах", "ри", "ла", "чи", "куль", "ни", "си")
_KINDERGARTEN_NAMES = ("Солнышко", "Радуга", "Ромашка", "Колокольчик", "Светлячок", "Теремок",
                       "Сказка", "Звёздочка", "Берёзка", "Ласточка", "Улыбка", "Родничок")
_COLLEGE_PROFILES = ("Педагогический", "Аграрный", "Технический", "Медицинский",
                     "Политехнический", "Строительный", "Индустриальный", "Многопрофильный")

_MONTHS_GEN = ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
               "сентября", "октября", "ноября", "декабря")

_INN_WEIGHTS = np.array([2, 4, 10, 3, 5, 9, 4, 6, 8], dtype=np.int64)


# ---------------------------------------------------------------------------------------------
# Population
# ---------------------------------------------------------------------------------------------

@dataclass
class Population:
    """Synthetic organisations, one entry per array position (grouped by region, municipality)."""

    scale: str
    seed: int
    region: np.ndarray          # str (object)
    municipality: np.ndarray    # str (object)
    org_id: np.ndarray          # ИНН, 10 digits as text (object)
    org_name: np.ndarray        # canonical spelling (object)
    alt_name: np.ndarray        # another spelling used in some weeks, or None (object)
    kind: np.ndarray            # KIND_* (object)
    staff_total: np.ndarray     # int64
    urban: np.ndarray           # bool
    registry_only: np.ndarray   # bool: in the registry, never in a weekly file

    def __len__(self) -> int:
        return len(self.org_id)

    @property
    def regions(self) -> list[str]:
        return list(dict.fromkeys(self.region.tolist()))

    @property
    def municipalities(self) -> list[tuple[str, str]]:
        return list(dict.fromkeys(zip(self.region.tolist(), self.municipality.tolist())))

    @property
    def area_title(self) -> str:
        """What a file of this population covers: the region, or the whole country."""
        regions = self.regions
        return regions[0] if len(regions) == 1 else "Российская Федерация"

    def records(self) -> list[dict]:
        """Registry-shaped dicts (REGISTRY_FIELDS)."""
        return [
            {"region": r, "municipality": m, "org_id": i, "org_name": n, "staff_total": s,
             "kind": k}
            for r, m, i, n, s, k in zip(self.region.tolist(), self.municipality.tolist(),
                                        self.org_id.tolist(), self.org_name.tolist(),
                                        self.staff_total.tolist(), self.kind.tolist())
        ]


def _rng(seed: int, *stream: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([int(seed), *stream]))


def _apportion(weights: np.ndarray, total: int, minimum: int) -> np.ndarray:
    """Integer sizes proportional to ``weights``, each ≥ minimum, summing to ``total``."""
    weights = np.asarray(weights, dtype=float)
    n = len(weights)
    if n * minimum > total:
        minimum = max(0, total // n)
    spare = total - n * minimum
    raw = weights / weights.sum() * spare
    sizes = np.floor(raw).astype(np.int64)
    rest = spare - int(sizes.sum())
    if rest:
        order = np.argsort(-(raw - sizes), kind="stable")
        sizes[order[:rest]] += 1
    return sizes + minimum


def _inn_check(prefix9: np.ndarray) -> np.ndarray:
    """The 10-digit ИНН of legal entities: nine digits and a check digit."""
    powers = 10 ** np.arange(8, -1, -1, dtype=np.int64)
    digits = (prefix9[:, None] // powers[None, :]) % 10
    check = (digits @ _INN_WEIGHTS) % 11 % 10
    return prefix9 * 10 + check


def inn_is_valid(inn: str) -> bool:
    """Check digit test for a 10-digit ИНН (the generator only produces valid ones)."""
    if len(inn) != 10 or not inn.isdigit():
        return False
    digits = [int(c) for c in inn]
    return sum(w * d for w, d in zip(_INN_WEIGHTS.tolist(), digits)) % 11 % 10 == digits[9]


def _dative(municipality: str) -> str:
    """«Сергокалинский район» → «Сергокалинскому району» (for «Итого по …» rows)."""
    m = re.fullmatch(r"(.+)(ий|ый) (район|участок)", municipality)
    if m:
        noun = "району" if m.group(3) == "район" else "участку"
        return f"{m.group(1)}ому {noun}"
    if municipality.startswith("город "):
        return "городу " + municipality[len("город "):]
    if municipality.startswith("городской округ "):
        return "городскому округу " + municipality[len("городской округ "):]
    return f"МО «{municipality}»"


def _municipalities_for_region(code: str, name: str, n_orgs: int, rng: np.random.Generator,
                               ) -> list[tuple[str, bool, float]]:
    """[(municipality, urban, weight)] for one region."""
    if name == DAGESTAN:
        munis = [(f"{d} район", False, float(w)) for d, w in
                 zip(DAGESTAN_DISTRICTS, rng.lognormal(0.0, 0.45, len(DAGESTAN_DISTRICTS)))]
        munis += [(f"город {c}", True, w) for c, w in DAGESTAN_CITIES]
        munis.append(("Бежтинский участок", False, 0.4))
        return munis
    if name in ("Москва", "Санкт-Петербург", "Севастополь"):
        count = max(3, min(12, n_orgs // 150))
        okrugs = ("Центральный", "Северный", "Южный", "Восточный", "Западный", "Северо-Западный",
                  "Юго-Западный", "Юго-Восточный", "Северо-Восточный", "Приморский",
                  "Невский", "Кировский")
        return [(f"{o} район", True, float(w))
                for o, w in zip(okrugs[:count], rng.lognormal(0.0, 0.3, count))]
    count = int(np.clip(round(n_orgs / 17 * rng.uniform(0.7, 1.3)), 2, 120))
    n_cities = max(1, count // 6)
    districts = [(p + st).capitalize() for p in _MUNI_PREFIXES for st in _MUNI_STEMS]
    cities = [(p + st).capitalize() for p in _MUNI_PREFIXES for st in _CITY_STEMS]
    d_pick = rng.choice(len(districts), size=count - n_cities, replace=False)
    c_pick = rng.choice(len(cities), size=n_cities, replace=False)
    munis = [(f"{districts[i]} район", False, float(w))
             for i, w in zip(d_pick.tolist(), rng.lognormal(0.0, 0.5, len(d_pick)))]
    munis += [(f"город {cities[j]}", True, float(w))
              for j, w in zip(c_pick.tolist(), rng.lognormal(1.0, 0.5, n_cities))]
    seen: set[str] = set()
    unique = []
    for m in munis:
        if m[0] not in seen:
            seen.add(m[0])
            unique.append(m)
    return unique


def _village(dagestan: bool, rng: np.random.Generator) -> str:
    if dagestan:
        return (_DAG_SYL_A[rng.integers(len(_DAG_SYL_A))] + _DAG_SYL_B[rng.integers(len(_DAG_SYL_B))]
                + _DAG_SYL_C[rng.integers(len(_DAG_SYL_C))])
    return _RU_VILLAGES[rng.integers(len(_RU_VILLAGES))]


def _org_names(municipality: str, urban: bool, kinds: Sequence[str], dagestan: bool,
               rng: np.random.Generator) -> list[str]:
    """Realistic, unique-within-the-municipality names for the organisations of one municipality."""
    city = municipality[len("город "):] if municipality.startswith("город ") else None
    counters = {"СОШ": 0, "ООШ": 0, "НОШ": 0, "Гимназия": 0, "Лицей": 0, "сад": 0}
    used: set[str] = set()
    names = []
    u = rng.random(len(kinds) * 4).reshape(len(kinds), 4)
    for kind, (a, b, c, _d) in zip(kinds, u):
        if kind == KIND_KINDERGARTEN:
            counters["сад"] += 1
            form = "МБДОУ" if (urban and a < 0.7) or (not urban and a < 0.2) else "МКДОУ"
            name = (f"{form} «Детский сад №{counters['сад']} "
                    f"«{_KINDERGARTEN_NAMES[int(b * len(_KINDERGARTEN_NAMES))]}»»")
            if not urban:
                name += f" с. {_village(dagestan, rng)}"
        elif kind == KIND_COLLEGE:
            form = "ГБПОУ РД" if dagestan else "ГБПОУ"
            name = f"{form} «{_COLLEGE_PROFILES[int(a * len(_COLLEGE_PROFILES))]} колледж»"
            name += f" г. {city}" if city else f" с. {_village(dagestan, rng)}"
        else:
            if urban:
                typ = "СОШ" if a < 0.74 else "Гимназия" if a < 0.86 else "Лицей" if a < 0.96 else "НОШ"
                form = "МБОУ" if b < 0.75 else "МКОУ"
            else:
                typ = "СОШ" if a < 0.68 else "ООШ" if a < 0.9 else "НОШ" if a < 0.96 else "Лицей"
                form = "МКОУ" if b < 0.8 else "МБОУ"
            counters[typ] += 1
            name = f"{form} «{typ} №{counters[typ]}»"
            if not urban:
                name += f" с. {_village(dagestan, rng)}"
            elif city and c < 0.3:
                name += f" г. {city}"
        base, n = name, 2
        while name in used:
            name = f"{base} (филиал {n})"
            n += 1
        used.add(name)
        names.append(name)
    return names


_LONG_FORMS = {
    "МКОУ": "Муниципальное казённое общеобразовательное учреждение",
    "МБОУ": "Муниципальное бюджетное общеобразовательное учреждение",
    "МКДОУ": "Муниципальное казённое дошкольное образовательное учреждение",
    "МБДОУ": "Муниципальное бюджетное дошкольное образовательное учреждение",
    "ГБПОУ": "Государственное бюджетное профессиональное образовательное учреждение",
}


def _natural_key(text: str) -> tuple:
    """«СОШ №2» before «СОШ №13»."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text))


def alternative_spelling(name: str, variant: int) -> str:
    """Another way the same organisation gets written in a weekly file (same ИНН)."""
    if variant % 4 == 0:
        alt = name.replace("«", '"').replace("»", '"')
    elif variant % 4 == 1:
        alt = re.sub(r"№(\d)", r"№ \1", name)
    elif variant % 4 == 2:
        form = name.split(" ", 1)[0]
        alt = _LONG_FORMS.get(form, form) + name[len(form):]
    else:
        alt = name.replace(" с. ", " с.").replace(" г. ", " г.")
    if alt == name:
        alt = name.upper()
    return alt


def build_population(scale: str = "region", seed: int = 1, *, size: int | None = None,
                     ) -> Population:
    """Synthetic organisations for ``scale`` (``district``, ``region`` or ``country``).

    ``size`` overrides the number of organisations (about 1% of them are registry-only, at least
    one).  Deterministic for a given ``(scale, seed, size)``.
    """
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; expected one of {', '.join(SCALES)}")
    n_total = int(size if size is not None else SCALE_SIZES[scale])
    if n_total < 2:
        raise ValueError("a population needs at least 2 organisations")
    rng = _rng(seed, 1, SCALES.index(scale))

    # regions → municipalities → organisation counts
    if scale == "country":
        region_list = list(REGIONS)
        weights = rng.lognormal(0.0, 0.7, len(region_list))
        weights[[i for i, (_, n) in enumerate(region_list) if n in ("Москва", "Московская область",
                                                                      "Краснодарский край")]] *= 3
        region_sizes = _apportion(weights, n_total, minimum=min(20, n_total // len(region_list)))
    else:
        region_list = [("05", DAGESTAN)]
        region_sizes = np.array([n_total])

    regions, codes, munis, urban_flags, muni_sizes = [], [], [], [], []
    for (code, rname), rsize in zip(region_list, region_sizes.tolist()):
        if rsize == 0:
            continue
        if scale == "district":
            mlist = [("Сергокалинский район", False, 1.0)]
        else:
            mlist = _municipalities_for_region(code, rname, rsize, rng)
        mlist = mlist[: max(1, rsize)]
        sizes = _apportion(np.array([w for _, _, w in mlist]), rsize,
                           minimum=min(4, rsize // len(mlist)))
        for (mname, urban, _), msize in zip(mlist, sizes.tolist()):
            if msize == 0:
                continue
            regions.append(rname)
            codes.append(code)
            munis.append(mname)
            urban_flags.append(urban)
            muni_sizes.append(msize)

    muni_sizes_a = np.array(muni_sizes, dtype=np.int64)
    n = int(muni_sizes_a.sum())
    muni_index = np.repeat(np.arange(len(munis)), muni_sizes_a)
    urban_arr = np.array(urban_flags, dtype=bool)[muni_index]

    # kinds: mostly schools; kindergartens and colleges mostly in towns
    u = rng.random(n)
    kind_idx = np.where(u < np.where(urban_arr, 0.09, 0.05), 1,
                        np.where(u > np.where(urban_arr, 0.95, 0.985), 2, 0))
    kind = np.array(KINDS, dtype=object)[kind_idx]

    # names per municipality (text: a Python loop, ~40k short strings at country scale)
    names = np.empty(n, dtype=object)
    start = 0
    for mi, (mname, msize) in enumerate(zip(munis, muni_sizes)):
        stop = start + msize
        names[start:stop] = _org_names(mname, urban_flags[mi], kind[start:stop].tolist(),
                                       regions[mi] == DAGESTAN, rng)
        start = stop
    # within a municipality: schools first, in name order, as an official list reads
    name_rank = np.empty(n, dtype=np.int64)
    name_rank[sorted(range(n), key=lambda i: _natural_key(str(names[i])))] = np.arange(n)
    order = np.lexsort((name_rank, kind_idx, muni_index))
    names, kind, kind_idx = names[order], kind[order], kind_idx[order]

    # staff: lognormal by kind and place
    mean = np.select([kind_idx == 1, kind_idx == 2], [25.0, 110.0],
                     default=np.where(urban_arr, 85.0, 32.0))
    staff = np.maximum(4, np.round(mean * rng.lognormal(-0.08, 0.4, n))).astype(np.int64)

    # ИНН: region code + tax office + serial + check digit; unique (distinct within a region,
    # and the region code differs between regions); text, so «05…» keeps its leading zero
    code_arr = np.array([int(c) for c in codes], dtype=np.int64)[muni_index]
    inn_num = np.empty(n, dtype=np.int64)
    for code in np.unique(code_arr).tolist():
        sel = np.flatnonzero(code_arr == code)
        tail = rng.choice(4_800_000, size=len(sel), replace=False) + 100_000  # office 01..48
        inn_num[sel] = code * 10_000_000 + tail
    inn = _inn_check(inn_num)
    org_id = np.array([f"{v:010d}" for v in inn.tolist()], dtype=object)

    # a few spellings that change from week to week (same ИНН)
    alt = np.full(n, None, dtype=object)
    n_alt = max(2, round(n * 0.004))
    for j, i in enumerate(np.sort(rng.choice(n, size=min(n, n_alt), replace=False)).tolist()):
        alt[i] = alternative_spelling(names[i], j)

    registry_only = np.zeros(n, dtype=bool)
    registry_only[rng.choice(n, size=max(1, round(n * 0.01)), replace=False)] = True

    region_arr = np.array(regions, dtype=object)[muni_index]
    muni_arr = np.array(munis, dtype=object)[muni_index]
    return Population(scale=scale, seed=int(seed), region=region_arr, municipality=muni_arr,
                      org_id=org_id, org_name=names, alt_name=alt, kind=kind,
                      staff_total=staff, urban=urban_arr, registry_only=registry_only)


# ---------------------------------------------------------------------------------------------
# Weekly figures
# ---------------------------------------------------------------------------------------------

def last_friday(today: date | None = None) -> date:
    """The most recent Friday on or before ``today`` (the end of the latest published week)."""
    today = today or date.today()
    return today - timedelta(days=(today.weekday() - 4) % 7)


@dataclass
class WeekData:
    """One week of canonical figures for the organisations present in that week's file.

    Integer arrays use ``MISSING`` (-1) where the file gives no value; ``rows()`` turns those into
    ``None``.  ``status`` is what the file states (mostly the letter's rule, not always).
    """

    index: int                  # 0 = the oldest week
    start: date                 # Saturday
    end: date                   # Friday
    scale: str
    area: str                   # region name, or «Российская Федерация»
    pop_index: np.ndarray       # positions in the Population
    region: np.ndarray
    municipality: np.ndarray
    org_id: np.ndarray
    org_name: np.ndarray        # as written this week
    status: np.ndarray          # "active" / "inactive" (object)
    counts: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.org_id)

    @property
    def teachers_active_share(self) -> np.ndarray:
        t = self.counts["teachers"]
        a = self.counts["teachers_active"]
        ok = (t > 0) & (a >= 0)
        out = np.full(len(t), np.nan)
        out[ok] = a[ok] / t[ok]
        return out

    def rule_active(self) -> np.ndarray:
        """The letter's rule: more than two users and at least one class."""
        return (self.counts["users_total"] > 2) & (self.counts["classes"] >= 1)

    def rows(self) -> list[dict]:
        """Canonical row dicts (ROW_FIELDS), ``None`` where missing."""
        cols: dict[str, list] = {
            "region": self.region.tolist(), "municipality": self.municipality.tolist(),
            "org_id": self.org_id.tolist(), "org_name": self.org_name.tolist(),
            "status": self.status.tolist(),
        }
        for name in COUNT_FIELDS:
            arr = self.counts[name]
            vals = arr.tolist()
            if (arr < 0).any():
                vals = [None if v < 0 else v for v in vals]
            cols[name] = vals
        share = self.teachers_active_share
        cols["teachers_active_share"] = [None if v != v else v for v in share.tolist()]
        return [dict(zip(ROW_FIELDS, vals)) for vals in zip(*(cols[f] for f in ROW_FIELDS))]


@dataclass(frozen=True)
class WeekSummary:
    start: date
    end: date
    organisations: int
    inactive: int               # stated status «не активна»
    inactive_share: float
    rule_disagreements: int     # stated status differs from the rule
    teachers: int
    teachers_active: int
    messaging_share: float      # teachers_active / teachers, region-wide


def summarize_week(week: WeekData) -> WeekSummary:
    inactive = int((week.status == STATUS_INACTIVE).sum())
    rule = week.rule_active()
    stated = week.status == STATUS_ACTIVE
    t = week.counts["teachers"]
    a = week.counts["teachers_active"]
    ok = (t >= 0) & (a >= 0)
    teachers, active = int(t[ok].sum()), int(a[ok].sum())
    return WeekSummary(start=week.start, end=week.end, organisations=len(week),
                       inactive=inactive, inactive_share=inactive / max(1, len(week)),
                       rule_disagreements=int((rule != stated).sum()),
                       teachers=teachers, teachers_active=active,
                       messaging_share=active / teachers if teachers else 0.0)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def simulate_weeks(pop: Population, weeks: int = 8, seed: int = 1, end: date | None = None,
                   ) -> list[WeekData]:
    """Weekly canonical figures for ``weeks`` Saturday→Friday periods ending on ``end``.

    ``end`` defaults to the most recent Friday on or before today (the ministry publishes the
    week on Friday at 17:00 Moscow time).  Vectorised over organisations.
    """
    if weeks < 1:
        raise ValueError("weeks must be at least 1")
    end = end or last_friday()
    if end.weekday() != 4:
        end = last_friday(end)
    rng = _rng(seed, 2, SCALES.index(pop.scale), len(pop))
    n = len(pop)
    kind = pop.kind
    kinder = kind == KIND_KINDERGARTEN
    college = kind == KIND_COLLEGE
    staff = pop.staff_total.astype(float)

    # municipality effects: some districts lag on everything
    _, muni_idx = np.unique(pop.municipality.astype(object) + "|" + pop.region.astype(object),
                            return_inverse=True)
    n_muni = int(muni_idx.max()) + 1
    muni_lag = rng.normal(0.0, 0.6, n_muni)[muni_idx]          # + = worse
    muni_msg = rng.lognormal(-0.1, 0.45, n_muni)[muni_idx]            # mean 1

    # how many people each organisation could register
    teachers_emp = np.maximum(1, np.round(staff * np.where(kinder, 0.45, 0.62)))
    others_emp = np.maximum(0, staff - teachers_emp)
    pupils = np.round(staff * np.where(kinder, 4.0, np.where(college, 7.0, 8.5))
                      * rng.lognormal(0.0, 0.2, n))
    classes_pot = np.maximum(1, np.round(pupils / np.where(kinder, 20.0, 23.0)))

    # registration ratios: start, weekly gain (towards 100%)
    r_t0, g_t = rng.uniform(0.45, 0.95, n), rng.uniform(0.0, 0.06, n)
    r_s0, g_s = rng.uniform(0.3, 0.9, n), rng.uniform(0.0, 0.05, n)
    r_p0, g_p = rng.uniform(0.15, 0.8, n), rng.uniform(0.0, 0.05, n)
    r_o = rng.uniform(0.2, 0.9, n)
    r_c0, g_c = rng.uniform(0.5, 1.0, n), rng.uniform(0.0, 0.05, n)
    chats_per_class = rng.uniform(1.0, 2.4, n)

    # activation story: ~12% inactive in week 1, a quarter of those stuck, the rest recover
    # exactly 12% of the organisations, drawn where the municipality lags
    p_inactive = _sigmoid(np.log(0.12 / 0.88) + muni_lag)
    inactive = np.zeros(n, dtype=bool)
    inactive[rng.choice(n, size=round(0.12 * n), replace=False,
                        p=p_inactive / p_inactive.sum())] = True
    stuck = inactive & (rng.random(n) < 0.25)
    hazard = np.where(stuck, 0.0, rng.uniform(0.15, 0.5, n))
    empty_type = rng.random(n) < 0.6           # inactive as «almost nobody registered»
    regress_week = np.full(n, -1)
    regressors = (~inactive) & (rng.random(n) < 0.012)
    regress_week[regressors] = rng.integers(1, max(2, weeks), regressors.sum())

    # messaging: per-organisation ceiling and log-odds trend, global uneven shocks
    base = 0.03 * muni_msg * rng.gamma(1.6, 1 / 1.6, n)
    ceiling = rng.uniform(0.45, 0.9, n)
    a0 = np.log(np.clip(base / ceiling, 1e-4, 0.5) / (1 - np.clip(base / ceiling, 1e-4, 0.5)))
    growth = np.where(rng.random(n) < 0.12, 0.0, rng.normal(0.32, 0.14, n))  # 12% stuck
    msg_regress = rng.random(n) < 0.05
    global_shock = np.concatenate([[0.0], rng.normal(0.0, 0.12, max(0, weeks - 1))])
    if weeks >= 4:  # one week in the middle dips (holidays, an outage...)
        global_shock[int(rng.integers(2, weeks - 1))] -= 0.35

    # a couple of organisations without teachers: only administrators and parents registered
    no_teachers = np.zeros(n, dtype=bool)
    candidates = np.flatnonzero(~inactive & ~pop.registry_only)
    if len(candidates):
        no_teachers[rng.choice(candidates, size=min(len(candidates), max(2, round(n * 0.001))),
                               replace=False)] = True

    end_dates = [end - timedelta(days=7 * (weeks - 1 - w)) for w in range(weeks)]
    logit = a0.copy()
    cum_shock = 0.0
    out: list[WeekData] = []
    for w, week_end in enumerate(end_dates):
        if w:
            recovered = inactive & (rng.random(n) < hazard)
            inactive = inactive & ~recovered
            step = growth + rng.normal(0.0, 0.12, n)
            step = np.where(msg_regress & (w >= weeks // 2), -np.abs(step) - 0.15, step)
            logit = logit + step
            cum_shock += global_shock[w]
        regressing_now = regress_week == w
        inactive = inactive | regressing_now
        # a regressed organisation recovers slowly (if at all)
        hazard = np.where(regressing_now, rng.uniform(0.0, 0.2, n), hazard)

        rt = np.minimum(1.0, r_t0 + g_t * w)
        rs = np.minimum(0.98, r_s0 + g_s * w)
        rp = np.minimum(1.1, r_p0 + g_p * w)
        rc = np.minimum(1.0, r_c0 + g_c * w)
        teachers = np.round(teachers_emp * rt).astype(np.int64)
        students = np.round(pupils * rs).astype(np.int64)
        parents = np.round(pupils * rp).astype(np.int64)
        others = np.round(others_emp * r_o).astype(np.int64)
        classes = np.maximum(1, np.round(classes_pot * rc)).astype(np.int64)
        chats = np.round(classes * chats_per_class + rng.integers(0, 3, n)).astype(np.int64)

        teachers[no_teachers] = 0
        students[kinder] = 0

        # inactive organisations: nearly empty profiles, or users but no class
        e = inactive & empty_type
        users_e = rng.integers(0, 3, n)
        teachers = np.where(e, np.minimum(users_e, 1), teachers)
        students = np.where(e, 0, students)
        parents = np.where(e, 0, parents)
        others = np.where(e, users_e - np.minimum(users_e, 1), others)
        classes = np.where(e, rng.integers(0, 2, n), classes)
        chats = np.where(e, 0, chats)
        nc = inactive & ~empty_type
        teachers = np.where(nc, np.round(teachers * 0.4), teachers).astype(np.int64)
        students = np.where(nc, 0, students)
        parents = np.where(nc, np.round(parents * 0.1), parents).astype(np.int64)
        classes = np.where(nc, 0, classes)
        chats = np.where(nc, rng.integers(0, 2, n), chats)

        users = teachers + students + parents + others
        active_rule = (users > 2) & (classes >= 1)
        # an organisation meant to be active keeps more than two users
        fix = ~inactive & ~active_rule
        others = np.where(fix, others + 3, others)
        users = teachers + students + parents + others
        active_rule = (users > 2) & (classes >= 1)

        p_msg = ceiling * _sigmoid(logit + cum_shock + rng.normal(0.0, 0.2, n))
        p_msg = np.where(inactive, p_msg * 0.2, p_msg)
        teachers_active = rng.binomial(teachers, np.clip(p_msg, 0.0, 1.0)).astype(np.int64)

        # stated status: the rule, but a few organisations are stated otherwise
        stated_active = active_rule.copy()
        flips = rng.choice(n, size=max(1, round(n * 0.004)), replace=False)
        stated_active[flips] = ~stated_active[flips]
        status = np.where(stated_active, STATUS_ACTIVE, STATUS_INACTIVE).astype(object)

        # a few cells nobody filled in
        chats = np.where(rng.random(n) < 0.005, MISSING, chats)
        students = np.where(kinder, MISSING, students)  # «X»: no pupils' accounts in kindergartens

        # who is in this week's file
        present = ~pop.registry_only
        miss_rate = rng.uniform(0.01, 0.03)
        present &= ~(rng.random(n) < miss_rate)
        idx = np.flatnonzero(present)

        names = pop.org_name.copy()
        alt_on = (pop.alt_name != None) & (((np.arange(n) + w) % 3) == 1)  # noqa: E711
        names[alt_on] = pop.alt_name[alt_on]

        counts = {
            "users_total": users, "staff_total": pop.staff_total, "teachers": teachers,
            "students": students, "parents": parents, "classes": classes, "chats": chats,
            "teachers_active": teachers_active,
        }
        out.append(WeekData(
            index=w, start=week_end - timedelta(days=6), end=week_end, scale=pop.scale,
            area=pop.area_title, pop_index=idx, region=pop.region[idx],
            municipality=pop.municipality[idx], org_id=pop.org_id[idx], org_name=names[idx],
            status=status[idx],
            counts={k: np.asarray(v, dtype=np.int64)[idx] for k, v in counts.items()},
        ))
    return out


# ---------------------------------------------------------------------------------------------
# Layouts of weekly files
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    """One column of a weekly file: header parts (top → bottom) and where its values come from.

    ``source`` is a canonical field, ``"seq"`` (№ п/п), ``"share"`` (teachers_active_share as a
    percent) or ``"extra:<what>"`` (a column nobody asked for).
    """

    header: tuple[str, ...]
    source: str


def _c(source: str, *header: str) -> Column:
    return Column(tuple(header), source)


@dataclass(frozen=True)
class Layout:
    name: str
    fmt: str                                # "xlsx" or "csv"
    columns: tuple[Column, ...]
    title: str | None = "numeric"           # period in a title row: "numeric", "words" or None
    synthetic_title: bool = True            # a title row says the data is synthetic
    subtotals: bool = True                  # «Итого по …» after each group of rows
    subtotal_label: str = "Итого по {dative}"
    subtotal_column: str = "org_name"       # where the label goes
    grand_total: str | None = "Всего по региону"
    status_words: tuple[str, str] = ("Активна", "Не активна")
    status_case: str = "as is"              # "as is", "upper", "lower", "mixed"
    numbers: str = "number"                 # "number", "text_nbsp" («1 234»), "text_space"
    share_format: str = "{pct}%"            # «3,5%», «3,5 %», «3,5»
    placeholder: str = "-"                  # written where a value is missing
    multi_sheet: bool = False               # cover + summary + organisations sheets
    encoding: str = "utf-8"
    delimiter: str = ","
    file_name: str = "sferum_{start:%Y-%m-%d}_{end:%Y-%m-%d}.{ext}"

    @property
    def fields(self) -> tuple[str, ...]:
        """Canonical fields this layout writes (teachers_active_share for a share column)."""
        out = []
        for col in self.columns:
            if col.source == "share":
                out.append("teachers_active_share")
            elif col.source in ROW_FIELDS:
                out.append(col.source)
        return tuple(out)

    @property
    def header_depth(self) -> int:
        return max(len(c.header) for c in self.columns)


_USERS = "Количество пользователей"
_TA_COUNT = "Учителя, написавшие более 3 сообщений"
_TA_SHARE = "Доля учителей, написавших более 3 сообщений, %"

LAYOUTS: dict[str, Layout] = {lay.name: lay for lay in (
    # 1. The classic ministry export: two title rows, header merged over two rows, subtotals.
    Layout(
        name="xlsx_merged", fmt="xlsx", title="numeric",
        columns=(
            _c("seq", "№ п/п"), _c("municipality", "Муниципальное образование"),
            _c("org_name", "Наименование ОО"), _c("org_id", "ИНН"), _c("status", "Статус"),
            _c("users_total", _USERS, "всего"), _c("teachers", _USERS, "учителя"),
            _c("students", _USERS, "ученики"), _c("parents", _USERS, "родители"),
            _c("classes", "Количество классов"), _c("chats", "Количество чатов"),
            _c("teachers_active", _TA_COUNT),
        ),
        file_name="Мониторинг Сферум {end:%d.%m.%Y}.xlsx",
    ),
    # 2. Semicolon CSV in Windows-1251 from an old export: period only in the file name.
    Layout(
        name="csv_cp1251_semicolon", fmt="csv", title=None, encoding="cp1251", delimiter=";",
        columns=(
            _c("seq", "№"), _c("org_name", "Наименование ОО"), _c("org_id", "ИНН"),
            _c("municipality", "МО"), _c("status", "Статус"),
            _c("users_total", "Всего пользователей"), _c("teachers", "Учителя"),
            _c("students", "Ученики"), _c("parents", "Родители"), _c("classes", "Классы"),
            _c("chats", "Чаты"), _c("share", _TA_SHARE),
        ),
        status_words=("Активна", "Неактивна"), status_case="lower", numbers="text_nbsp",
        share_format="{pct}", placeholder="X", subtotals=True,
        subtotal_label="Итого по {dative}", grand_total="Всего по региону",
        file_name="sferum_{start:%Y-%m-%d}_{end:%Y-%m-%d}.csv",
    ),
    # 3. Percent share as text, numbers as text with NBSP, another wording and order.
    Layout(
        name="xlsx_share_text", fmt="xlsx", title="words",
        columns=(
            _c("seq", "№ п/п"), _c("org_name", "Организация"), _c("org_id", "ИНН ОО"),
            _c("municipality", "Район"), _c("status", "Статус профиля"),
            _c("users_total", "Количество зарегистрированных пользователей", "всего"),
            _c("teachers", "Количество зарегистрированных пользователей", "учителя"),
            _c("students", "Количество зарегистрированных пользователей", "ученики"),
            _c("parents", "Количество зарегистрированных пользователей", "родители"),
            _c("classes", "Классы"), _c("chats", "Чаты"), _c("share", _TA_SHARE),
            _c("extra:note", "Примечание"),
        ),
        status_words=("Активен", "Не активен"), status_case="lower", numbers="text_nbsp",
        share_format="{pct}%", placeholder="—", subtotal_label="Всего по МО «{name}»",
        file_name="statistika_sferum_{index:02d}.xlsx",
    ),
    # 4. UTF-8 with BOM, comma-separated, an extra column saying the data is synthetic.
    Layout(
        name="csv_utf8bom_comma", fmt="csv", title=None, synthetic_title=False,
        encoding="utf-8-sig", delimiter=",",
        columns=(
            _c("municipality", "Муниципалитет"), _c("org_name", "Организация"),
            _c("org_id", "ИНН"), _c("status", "Статус профиля"),
            _c("users_total", "Количество пользователей"), _c("teachers", "Учителя"),
            _c("students", "Ученики"), _c("parents", "Родители"),
            _c("classes", "Количество классов"), _c("chats", "Количество чатов"),
            _c("teachers_active", _TA_COUNT), _c("extra:synthetic", "Примечание"),
        ),
        status_words=("Активен", "Не активен"), status_case="as is", numbers="text_space",
        placeholder="-", subtotals=False, grand_total="Всего по региону",
        file_name="sferum_{start:%Y-%m-%d}_{end:%Y-%m-%d}.csv",
    ),
    # 5. A workbook: cover sheet, summary per municipality, then the organisations.
    Layout(
        name="xlsx_multisheet", fmt="xlsx", title="numeric", multi_sheet=True,
        columns=(
            _c("seq", "№ п/п"), _c("org_id", "ИНН"), _c("org_name", "Наименование организации"),
            _c("municipality", "Муниципалитет"), _c("staff_total", "Численность сотрудников"),
            _c("status", "Статус"),
            _c("users_total", _USERS, "всего"), _c("teachers", _USERS, "учителя"),
            _c("students", _USERS, "ученики"), _c("parents", _USERS, "родители"),
            _c("classes", "Классы"), _c("chats", "Чаты"), _c("teachers_active", _TA_COUNT),
            _c("extra:code", "Код ОО"),
        ),
        status_words=("Активна", "Неактивна"), status_case="upper", placeholder="",
        subtotals=False, grand_total="Всего",
        file_name="Сферум_свод_{index:02d}.xlsx",
    ),
    # 6. Tab-separated UTF-8 with BOM, statuses in any case, share with «%» after a space.
    Layout(
        name="csv_utf8bom_tab", fmt="csv", title=None, encoding="utf-8-sig", delimiter="\t",
        columns=(
            _c("org_id", "ИНН"), _c("org_name", "Наименование организации"),
            _c("municipality", "Район"), _c("status", "Статус"),
            _c("users_total", "Пользователей всего"), _c("teachers", "Учителей"),
            _c("students", "Учеников"), _c("parents", "Родителей"), _c("classes", "Классов"),
            _c("chats", "Чатов"), _c("share", _TA_SHARE),
            _c("staff_total", "Численность сотрудников"),
        ),
        status_words=("Активна", "Не активна"), status_case="mixed", share_format="{pct} %",
        placeholder="—", subtotals=False, grand_total=None,
        file_name="Сферум_с_{start:%d.%m.%Y}_по_{end:%d.%m.%Y}.csv",
    ),
    # 7. Period in words, teachers grouped under one merged header, «X» placeholders.
    Layout(
        name="xlsx_words_grouped", fmt="xlsx", title="words",
        columns=(
            _c("seq", "№ п/п"), _c("municipality", "Район"), _c("org_name", "Наименование ОО"),
            _c("org_id", "ИНН"), _c("status", "Статус"),
            _c("users_total", "Всего пользователей"),
            _c("teachers", "Учителя", "зарегистрировано"),
            _c("teachers_active", "Учителя", "написали более 3 сообщений"),
            _c("students", "Ученики"), _c("parents", "Родители"),
            _c("classes", "Количество классов"), _c("chats", "Количество чатов"),
            _c("extra:code", "Код ОО"),
        ),
        status_words=("Активна", "Неактивна"), status_case="as is", placeholder="X",
        subtotal_column="municipality", file_name="monitoring_{index:02d}.xlsx",
    ),
)}

# Weeks cycle through the layouts in this order (xlsx and csv alternate).
LAYOUT_ROTATION = ("xlsx_merged", "csv_cp1251_semicolon", "xlsx_share_text", "csv_utf8bom_comma",
                   "xlsx_multisheet", "csv_utf8bom_tab", "xlsx_words_grouped")

# One national week for the benchmark: region column, subtotals per region.
COUNTRY_LAYOUTS: dict[str, Layout] = {
    "xlsx": Layout(
        name="country_xlsx", fmt="xlsx", title="numeric",
        columns=(
            _c("seq", "№ п/п"), _c("region", "Субъект РФ"),
            _c("municipality", "Муниципальное образование"),
            _c("org_name", "Наименование ОО"), _c("org_id", "ИНН"), _c("status", "Статус"),
            _c("users_total", _USERS, "всего"), _c("teachers", _USERS, "учителя"),
            _c("students", _USERS, "ученики"), _c("parents", _USERS, "родители"),
            _c("classes", "Количество классов"), _c("chats", "Количество чатов"),
            _c("teachers_active", _TA_COUNT), _c("extra:code", "Код ОО"),
        ),
        subtotal_label="Итого по субъекту: {name}", subtotal_column="region",
        grand_total="Всего по Российской Федерации",
        file_name="sferum_country_{start:%Y-%m-%d}_{end:%Y-%m-%d}.xlsx",
    ),
    "csv": Layout(
        name="country_csv", fmt="csv", title="numeric", encoding="utf-8-sig", delimiter=";",
        columns=(
            _c("seq", "№ п/п"), _c("region", "Субъект РФ"), _c("municipality", "МО"),
            _c("org_name", "Наименование ОО"), _c("org_id", "ИНН"), _c("status", "Статус"),
            _c("users_total", "Всего пользователей"), _c("teachers", "Учителя"),
            _c("students", "Ученики"), _c("parents", "Родители"), _c("classes", "Классы"),
            _c("chats", "Чаты"), _c("share", _TA_SHARE), _c("extra:code", "Код ОО"),
        ),
        numbers="text_nbsp", share_format="{pct}%", subtotal_label="Итого по субъекту: {name}",
        subtotal_column="region", grand_total="Всего по Российской Федерации",
        status_words=("Активен", "Не активен"),
        file_name="sferum_country_{start:%Y-%m-%d}_{end:%Y-%m-%d}.csv",
    ),
}


def layout_for_week(index: int) -> Layout:
    return LAYOUTS[LAYOUT_ROTATION[index % len(LAYOUT_ROTATION)]]


def _with_region_column(layout: Layout) -> Layout:
    """Country-scale files carry the subject of the federation (municipality names repeat)."""
    if any(c.source == "region" for c in layout.columns):
        return layout
    cols = list(layout.columns)
    pos = 1 if cols and cols[0].source == "seq" else 0
    cols.insert(pos, _c("region", "Субъект РФ"))
    return replace(layout, columns=tuple(cols), grand_total=(
        "Всего по Российской Федерации" if layout.grand_total else None))


def period_title(start: date, end: date, style: str = "numeric") -> str:
    """«за период с 15.04.2023 по 21.04.2023» or «за период с 15 по 21 апреля 2023 г.»."""
    if style == "words":
        if start.year != end.year:
            return (f"за период с {start.day} {_MONTHS_GEN[start.month - 1]} {start.year} г. "
                    f"по {end.day} {_MONTHS_GEN[end.month - 1]} {end.year} г.")
        if start.month != end.month:
            return (f"за период с {start.day} {_MONTHS_GEN[start.month - 1]} "
                    f"по {end.day} {_MONTHS_GEN[end.month - 1]} {end.year} г.")
        return f"за период с {start.day} по {end.day} {_MONTHS_GEN[end.month - 1]} {end.year} г."
    return f"за период с {start:%d.%m.%Y} по {end:%d.%m.%Y}"


# ---------------------------------------------------------------------------------------------
# Rendering a week as a table of cells
# ---------------------------------------------------------------------------------------------

def _fmt_int_text(values: list[int], sep: str) -> list[str]:
    return [f"{v:,}".replace(",", sep) if v >= 1000 else str(v) for v in values]


def _fmt_pct(share: np.ndarray, template: str) -> list[str | None]:
    pct = np.round(share * 100.0, 1)
    return [None if p != p else template.format(pct=f"{p:.1f}".replace(".", ","))
            for p in pct.tolist()]


def _status_texts(status: np.ndarray, layout: Layout, rng: np.random.Generator) -> list[str]:
    act, inact = layout.status_words
    words = np.where(status == STATUS_ACTIVE, act, inact).astype(object)
    if layout.status_case == "upper":
        return [w.upper() for w in words.tolist()]
    if layout.status_case == "lower":
        return [w.lower() for w in words.tolist()]
    if layout.status_case == "mixed":
        pick = rng.integers(0, 3, len(words)).tolist()
        return [(w, w.lower(), w.upper())[p] for w, p in zip(words.tolist(), pick)]
    return words.tolist()


def _column_values(col: Column, week: WeekData, layout: Layout, rng: np.random.Generator,
                   codes: np.ndarray) -> list:
    """Cell values of one column for the data rows; ``None`` = the placeholder."""
    src = col.source
    n = len(week)
    if src == "seq":
        return list(range(1, n + 1))
    if src in ("region", "municipality", "org_id", "org_name"):
        return getattr(week, src).tolist()
    if src == "status":
        return _status_texts(week.status, layout, rng)
    if src == "share":
        return _fmt_pct(week.teachers_active_share, layout.share_format)
    if src in COUNT_FIELDS:
        arr = week.counts[src]
        vals = arr.tolist()
        if layout.numbers == "text_nbsp":
            vals = _fmt_int_text(vals, NBSP)
        elif layout.numbers == "text_space":
            vals = _fmt_int_text(vals, " ")
        if (arr < 0).any():
            vals = [None if m else v for v, m in zip(vals, (arr < 0).tolist())]
        return vals
    if src == "extra:synthetic":
        return ["синтетические данные"] * n
    if src == "extra:code":
        return codes.tolist()
    if src == "extra:note":
        notes = np.full(n, "", dtype=object)
        notes[week.counts["classes"] == 0] = "нет классов"
        notes[week.counts["users_total"] <= 2] = "профиль не заполнен"
        return notes.tolist()
    raise ValueError(f"unknown column source {src!r}")


@dataclass
class _Table:
    header: list[tuple[str, ...]]
    rows: list[list]                 # data and total rows, cell values (None = blank)
    total_rows: set[int]             # positions in rows that are subtotal/total rows


def _render(week: WeekData, layout: Layout, rng: np.random.Generator) -> _Table:
    # «Код ОО»: a meaningless six-digit number, stable for an organisation across weeks
    codes = (week.pop_index * 7919 + 104729) % 900_000 + 100_000
    cols = [_column_values(c, week, layout, rng, codes) for c in layout.columns]
    placeholder = layout.placeholder if layout.placeholder != "" else None
    for vals in cols:
        for i, v in enumerate(vals):
            if v is None:
                vals[i] = placeholder
    data_rows = [list(r) for r in zip(*cols)] if cols else []

    sources = [c.source for c in layout.columns]
    label_pos = sources.index(layout.subtotal_column) if layout.subtotal_column in sources else (
        sources.index("org_name"))
    count_pos = [(i, s) for i, s in enumerate(sources) if s in COUNT_FIELDS or s == "share"]

    def total_row(sel: np.ndarray, label: str) -> list:
        row: list = [None] * len(sources)
        row[label_pos] = label
        sums = {}
        for name in COUNT_FIELDS:
            arr = week.counts[name][sel]
            sums[name] = int(arr[arr >= 0].sum())
        for i, s in count_pos:
            if s == "share":
                t = week.counts["teachers"][sel]
                a = week.counts["teachers_active"][sel]
                ok = (t > 0) & (a >= 0)
                share = np.array([a[ok].sum() / t[ok].sum() if t[ok].sum() else np.nan])
                row[i] = _fmt_pct(share, layout.share_format)[0]
            elif layout.numbers == "text_nbsp":
                row[i] = _fmt_int_text([sums[s]], NBSP)[0]
            elif layout.numbers == "text_space":
                row[i] = _fmt_int_text([sums[s]], " ")[0]
            else:
                row[i] = sums[s]
        if "status" in sources:  # a summary of statuses, as ministry files often show
            n_act = int((week.status[sel] == STATUS_ACTIVE).sum())
            row[sources.index("status")] = f"{n_act} из {int(sel.sum())}"
        return row

    rows: list[list] = []
    totals: set[int] = set()
    if layout.subtotals and len(week):
        key = week.region if layout.subtotal_column == "region" else week.municipality
        keys = key.tolist()
        starts = [0] + [i for i in range(1, len(keys)) if keys[i] != keys[i - 1]] + [len(keys)]
        for a, b in zip(starts[:-1], starts[1:]):
            rows.extend(data_rows[a:b])
            sel = np.zeros(len(week), dtype=bool)
            sel[a:b] = True
            name = keys[a]
            label = layout.subtotal_label.format(name=name, dative=_dative(name))
            totals.add(len(rows))
            rows.append(total_row(sel, label))
    else:
        rows = data_rows
    if layout.grand_total and len(week):
        totals.add(len(rows))
        rows.append(total_row(np.ones(len(week), dtype=bool), layout.grand_total))
    return _Table(header=[c.header for c in layout.columns], rows=rows, total_rows=totals)


# ---------------------------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------------------------

def _titles(week: WeekData, layout: Layout) -> list[str]:
    lines = []
    if layout.title:
        lines.append(f"Мониторинг использования ИКОП «Сферум» "
                     f"{period_title(week.start, week.end, layout.title)}")
    if layout.synthetic_title:
        lines.append(f"{week.area}. {SYNTHETIC_NOTE} (sferum-tui demo)")
    return lines


def _file_path(out_dir: Path, layout: Layout, week: WeekData, file_name: str | None) -> Path:
    name = file_name or layout.file_name.format(start=week.start, end=week.end, index=week.index + 1,
                                                ext=layout.fmt)
    return Path(out_dir) / name


def _write_csv(path: Path, week: WeekData, layout: Layout, table: _Table) -> Path:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=layout.delimiter, lineterminator="\r\n")
    for line in _titles(week, layout):
        writer.writerow([line])
    writer.writerow([" ".join(h) if len(h) > 1 else h[0] for h in table.header])
    writer.writerows(["" if v is None else v for v in row] for row in table.rows)
    path.write_bytes(buf.getvalue().encode(layout.encoding))
    return path


def _workbook(path: Path, week: WeekData | None, title: str):
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {
        "constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
        "strings_to_urls": False,
    })
    stamp = datetime.combine(week.end, datetime.min.time()).replace(hour=17) if week else (
        datetime(2023, 4, 21, 17, 0))
    wb.set_properties({
        "title": title, "subject": SYNTHETIC_NOTE, "author": "sferum-tui demo",
        "company": SYNTHETIC_NOTE, "comments": f"{SYNTHETIC_NOTE} / {SYNTHETIC_NOTE_EN}",
        "keywords": "synthetic, demo", "created": stamp,
    })
    fmts = {
        "title": wb.add_format({"bold": True, "font_size": 12}),
        "note": wb.add_format({"italic": True, "font_color": "#7f7f7f"}),
        "head": wb.add_format({"bold": True, "text_wrap": True, "valign": "vcenter",
                               "align": "center", "border": 1, "bg_color": "#DDEBF7"}),
        "total": wb.add_format({"bold": True, "bg_color": "#F2F2F2"}),
    }
    return wb, fmts


def _write_header(ws, top: int, header: Sequence[tuple[str, ...]], fmt) -> int:
    """Write a header of 1 or 2 rows (merged cells) strictly row by row (constant_memory)."""
    depth = max(len(h) for h in header)
    for c, parts in enumerate(header):
        ws.write_string(top, c, parts[0], fmt)
    if depth == 1:
        return top + 1
    c = 0
    while c < len(header):  # horizontal merges of a group title over its sub-columns
        if len(header[c]) == 2:
            e = c
            while e + 1 < len(header) and len(header[e + 1]) == 2 and header[e + 1][0] == header[c][0]:
                e += 1
            if e > c:
                ws.merge_range(top, c, top, e, header[c][0], fmt)
            c = e + 1
        else:
            c += 1
    merges = getattr(ws, "merge", None)
    for c, parts in enumerate(header):  # vertical merges of single headers over both rows
        if len(parts) == 1:
            if isinstance(merges, list):
                merges.append([top, c, top + 1, c])
            ws.write_blank(top + 1, c, None, fmt)
        else:
            ws.write_string(top + 1, c, parts[1], fmt)
    return top + 2


def _write_rows(ws, first: int, table: _Table, total_fmt) -> int:
    r = first
    for k, row in enumerate(table.rows):
        if k in table.total_rows:
            for c, v in enumerate(row):
                if v is None:
                    ws.write_blank(r, c, None, total_fmt)
                elif isinstance(v, str):
                    ws.write_string(r, c, v, total_fmt)
                else:
                    ws.write_number(r, c, v, total_fmt)
        else:
            for c, v in enumerate(row):
                if v is None:
                    continue
                if isinstance(v, str):
                    ws.write_string(r, c, v)
                else:
                    ws.write_number(r, c, v)
        r += 1
    return r


def _set_widths(ws, header: Sequence[tuple[str, ...]]) -> None:
    for c, parts in enumerate(header):
        text = parts[-1]
        width = 48 if "Наименование" in text or text == "Организация" else (
            26 if text in ("Муниципальное образование", "Муниципалитет", "Район", "МО",
                           "Субъект РФ") else 12 if len(text) < 14 else 16)
        ws.set_column(c, c, width)


def _write_summary_sheet(wb, fmts, week: WeekData) -> None:
    ws = wb.add_worksheet("Свод по МО")
    header = ["Муниципальное образование", "Количество ОО", "Активных", "Не активных",
              "Доля неактивных, %", "Учителей", "Учителей, написавших более 3 сообщений",
              "Доля учителей, написавших более 3 сообщений, %"]
    ws.set_column(0, 0, 30)
    ws.set_column(1, len(header) - 1, 14)
    ws.write_string(0, 0, f"Сводные показатели по муниципальным образованиям "
                          f"{period_title(week.start, week.end)}", fmts["title"])
    ws.write_string(1, 0, SYNTHETIC_NOTE, fmts["note"])
    for c, h in enumerate(header):
        ws.write_string(3, c, h, fmts["head"])
    several = len(set(week.region.tolist())) > 1
    keys = (week.municipality + " (" + week.region + ")") if several else week.municipality
    order: dict[str, int] = {}
    code = np.array([order.setdefault(k, len(order)) for k in keys.tolist()], dtype=np.int64)
    m = len(order)
    n_org = np.bincount(code, minlength=m)
    n_act = np.bincount(code, weights=(week.status == STATUS_ACTIVE), minlength=m)
    teachers = np.bincount(code, weights=week.counts["teachers"], minlength=m)
    active = np.bincount(code, weights=week.counts["teachers_active"], minlength=m)
    names = list(order) + ["Итого"]
    table = [np.append(x, x.sum()).astype(np.int64).tolist()
             for x in (n_org, n_act, teachers, active)]
    for r, (name, orgs, act, tch, ta) in enumerate(zip(names, *table), start=4):
        fmt = fmts["total"] if r == 4 + m else None
        ws.write_string(r, 0, name, fmt)
        ws.write_number(r, 1, orgs, fmt)
        ws.write_number(r, 2, act, fmt)
        ws.write_number(r, 3, orgs - act, fmt)
        ws.write_number(r, 4, round(100.0 * (orgs - act) / max(1, orgs), 1), fmt)
        ws.write_number(r, 5, tch, fmt)
        ws.write_number(r, 6, ta, fmt)
        ws.write_number(r, 7, round(100.0 * ta / tch, 1) if tch else 0.0, fmt)


def _write_xlsx(path: Path, week: WeekData, layout: Layout, table: _Table) -> Path:
    titles = _titles(week, layout)
    wb, fmts = _workbook(path, week, titles[0] if titles else SYNTHETIC_NOTE)
    if layout.multi_sheet:
        cover = wb.add_worksheet("Инструкция")
        cover.set_column(0, 0, 110)
        lines = [
            (f"Мониторинг использования ИКОП «Сферум» {period_title(week.start, week.end)}",
             fmts["title"]),
            (f"{SYNTHETIC_NOTE}: все организации, ИНН и показатели вымышлены (sferum-tui demo).",
             fmts["note"]),
            ("", None),
            ("Лист «Свод по МО» — показатели по муниципальным образованиям.", None),
            ("Лист «Организации» — показатели по каждой образовательной организации.", None),
            ("Профиль организации считается активным, если с ним связаны более двух "
             "зарегистрированных пользователей и создан минимум 1 класс.", None),
            ("Данные обновляются каждую пятницу после 17:00 (МСК).", None),
        ]
        for r, (text, fmt) in enumerate(lines):
            if text:
                cover.write_string(r, 0, text, fmt)
        _write_summary_sheet(wb, fmts, week)
        ws = wb.add_worksheet("Организации")
    else:
        ws = wb.add_worksheet("Мониторинг")
    _set_widths(ws, table.header)
    r = 0
    last = len(table.header) - 1
    for text in titles:
        fmt = fmts["title"] if r == 0 else fmts["note"]
        if last > 0:
            ws.merge_range(r, 0, r, min(last, 11), text, fmt)
        else:
            ws.write_string(r, 0, text, fmt)
        r += 1
    if titles:
        r += 1  # an empty row between the titles and the header
    r = _write_header(ws, r, table.header, fmts["head"])
    ws.freeze_panes(r, 0)
    _write_rows(ws, r, table, fmts["total"])
    wb.close()
    return path


def write_week_file(week_data: WeekData, out_dir: str | Path, layout: str | Layout | None = None,
                    *, file_name: str | None = None, seed: int = 1) -> Path:
    """Write one week as a file in ``layout`` (a name in LAYOUTS, a Layout, or the week's turn
    in LAYOUT_ROTATION).  Returns the path written.  Country-scale data gets a region column."""
    if layout is None:
        layout = layout_for_week(week_data.index)
    elif isinstance(layout, str):
        layout = LAYOUTS.get(layout) or COUNTRY_LAYOUTS[layout.removeprefix("country_")]
    if len(set(week_data.region.tolist())) > 1:
        layout = _with_region_column(layout)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = _rng(seed, 3, week_data.index)
    table = _render(week_data, layout, rng)
    path = _file_path(out_dir, layout, week_data, file_name)
    if layout.fmt == "csv":
        return _write_csv(path, week_data, layout, table)
    return _write_xlsx(path, week_data, layout, table)


def write_registry_file(pop: Population, out_dir: str | Path, *,
                        file_name: str = "Справочник ОО.xlsx") -> Path:
    """The registry of organisations (справочник ОО), including the ones never in a weekly file."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / file_name
    wb, fmts = _workbook(path, None, "Справочник образовательных организаций")
    ws = wb.add_worksheet("Справочник")
    header = [("№ п/п",), ("Субъект РФ",), ("Муниципальное образование",), ("ИНН",),
              ("Наименование организации",), ("Численность сотрудников",), ("Тип организации",)]
    _set_widths(ws, header)
    ws.write_string(0, 0, f"Справочник образовательных организаций: {pop.area_title}",
                    fmts["title"])
    ws.write_string(1, 0, f"{SYNTHETIC_NOTE} (sferum-tui demo)", fmts["note"])
    r = _write_header(ws, 3, header, fmts["head"])
    ws.freeze_panes(r, 0)
    for k, (reg, mun, inn, name, staff, kind) in enumerate(zip(
            pop.region.tolist(), pop.municipality.tolist(), pop.org_id.tolist(),
            pop.org_name.tolist(), pop.staff_total.tolist(), pop.kind.tolist())):
        ws.write_number(r, 0, k + 1)
        ws.write_string(r, 1, reg)
        ws.write_string(r, 2, mun)
        ws.write_string(r, 3, inn)
        ws.write_string(r, 4, name)
        ws.write_number(r, 5, staff)
        ws.write_string(r, 6, kind)
        r += 1
    wb.close()
    return path


# ---------------------------------------------------------------------------------------------
# Everything at once
# ---------------------------------------------------------------------------------------------

@dataclass
class DemoFiles:
    weekly: list[Path]
    registry: Path
    population: Population | None = None
    weeks: list[WeekData] = field(default_factory=list)
    layouts: list[str] = field(default_factory=list)   # layout name of each weekly file


def generate_demo(out_dir: str | Path, scale: str = "region", weeks: int = 8, seed: int = 1,
                  end: date | None = None) -> DemoFiles:
    """Population, ``weeks`` weeks of figures, one file per week (layouts rotate), the registry."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    pop = build_population(scale, seed)
    data = simulate_weeks(pop, weeks, seed, end=end)
    paths, names = [], []
    for week in data:
        layout = layout_for_week(week.index)
        paths.append(write_week_file(week, out_dir, layout, seed=seed))
        names.append(layout.name)
    registry = write_registry_file(pop, out_dir)
    return DemoFiles(weekly=paths, registry=registry, population=pop, weeks=data, layouts=names)


def import_demo(store, built: DemoFiles, cfg=None, say=None) -> None:
    """Import a generated demo (registry, then every week) through the real reader and store,
    then fill the indicator cache for ``cfg``.  ``say(text)`` reports each step."""
    from sferum_tui.i18n import tr

    say = say or (lambda text: None)
    say(tr("Загружаю справочник…", "Importing the registry…"))
    store.import_registry(built.registry)
    for k, path in enumerate(built.weekly, 1):
        say(tr("Загружаю неделю {k} из {n}…", "Importing week {k} of {n}…", k=k, n=len(built.weekly)))
        store.import_file(path)
    if cfg is not None:
        from sferum_tui.core.indicators import refresh_cache

        refresh_cache(store, cfg)


def write_country_week(out_dir: str | Path, fmt: str = "xlsx", seed: int = 1, rows: int = 40000,
                       end: date | None = None) -> Path:
    """One national week (≈``rows`` organisations) for the benchmark, in the messy header style."""
    if fmt not in COUNTRY_LAYOUTS:
        raise ValueError(f"fmt must be one of {', '.join(COUNTRY_LAYOUTS)}")
    # about 1% are registry-only and 1–3% miss a week: size the population so the file has ≈rows
    pop = build_population("country", seed, size=round(rows / 0.97))
    week = simulate_weeks(pop, 3, seed, end=end)[-1]
    return write_week_file(week, out_dir, COUNTRY_LAYOUTS[fmt], seed=seed)

