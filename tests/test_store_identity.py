"""Normalisation behind organisation identity (``core/identity.py``)."""

from __future__ import annotations

import pytest

from sferum_tui.core.store.identity import (
    display_name_key,
    name_keys,
    normalize_inn,
    normalize_municipality,
    normalize_name,
    normalize_region,
)


@pytest.mark.parametrize("spelling", [
    'МБОУ "СОШ № 1"', "МБОУ «СОШ №1»", "мбоу сош 1", "МБОУ СОШ N1", "МБОУ СОШ No. 1", " МБОУ  СОШ  №  1 ",
    "Муниципальное бюджетное общеобразовательное учреждение «Средняя общеобразовательная школа №1»",
    "МУНИЦИПАЛЬНОЕ БЮДЖЕТНОЕ ОБЩЕОБРАЗОВАТЕЛЬНОЕ УЧРЕЖДЕНИЕ СРЕДНЯЯ ОБЩЕОБРАЗОВАТЕЛЬНАЯ ШКОЛА № 1",
])
def test_spellings_of_one_school_meet(spelling):
    assert normalize_name(spelling) == "мбоусош1"


def test_different_schools_stay_different():
    assert normalize_name("МБОУ СОШ №1") != normalize_name("МБОУ СОШ №11")
    assert normalize_name("МБОУ СОШ №1") != normalize_name("МКОУ СОШ №1")
    assert normalize_name("МКДОУ «Ёлочка»") == normalize_name("мкдоу елочка")
    assert normalize_name("МКОУ «Ахтынская СОШ №2 имени Т.Ш. Мирзоева»") == \
        normalize_name("МКОУ Ахтынская СОШ № 2 им. Т. Ш. Мирзоева")
    assert normalize_name(
        "Муниципальное казённое дошкольное образовательное учреждение «Детский сад «Ёлочка»»"
    ) == normalize_name("МКДОУ «Д/С Елочка»".replace("Д/С", "детский сад"))


@pytest.mark.parametrize("spelling", [
    "Кизлярский район", "МР «Кизлярский район»", "Кизлярский муниципальный район", "Кизлярский р-н",
    "муниципальный район \"Кизлярский район\"", "КИЗЛЯРСКИЙ",
])
def test_kinds_of_municipality_are_stripped(spelling):
    assert normalize_municipality(spelling) == "кизлярский"


@pytest.mark.parametrize("spelling", ["ГО «город Махачкала»", "г. Махачкала", "городской округ город Махачкала",
                                      "Махачкала"])
def test_city_districts(spelling):
    assert normalize_municipality(spelling) == "махачкала"


def test_regions_and_inn():
    assert normalize_region("Республика Дагестан") == normalize_region("Дагестан") == "дагестан"
    assert normalize_region("Кировская обл.") == normalize_region("Кировская область")
    assert normalize_inn("0512345678") == "0512345678"
    assert normalize_inn(512345678) == "0512345678"          # a number that lost its leading zero
    assert normalize_inn(512345678.0) == "0512345678"
    assert normalize_inn(" 05 1234 5678 ") == "0512345678"
    assert normalize_inn("") is None and normalize_inn("-") is None and normalize_inn("0000000000") is None


def test_keys_with_and_without_region():
    with_region, plain = name_keys("МБОУ СОШ №1", "Кировский район", "Республика Дагестан")
    assert with_region == "r:дагестан|кировский|мбоусош1" and plain == "m:кировский|мбоусош1"
    assert name_keys("МБОУ СОШ №1", "Кировский район") == (None, "m:кировский|мбоусош1")
    assert name_keys(None, "Кировский район") == (None, None)
    assert display_name_key("МБОУ СОШ №1", "Кировский район") == "name:кировский|мбоусош1"
