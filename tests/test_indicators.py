"""Indicators per organisation per week, KPIs, rollups, changes and history — checked against
figures computed by hand on a small store built from real files through the real CLI.

The store (three weeks of 2023, two municipalities, a registry), see ``WEEKS`` below:

* A «СОШ №1» (Сергокалинский) — fine; messaging 40%, staff given in the file (50 of 50);
* B «Аймаумахинская СОШ» — 0 teachers registered (messaging share unknown → counted as low);
* C «Мюрегинская СОШ» — stated «Не активна» though the rule is met; 3 of 41 teachers write;
* D «Левашинская гимназия» — absent from week 2 (a missing week breaks no streak);
* E «Цудахарская СОШ» — newly inactive in week 3 (2 users, no class);
* F «Кулецминская СОШ» — recovered in week 3;
* G «Хаджалмахинская СОШ» — only in the registry: missing every week.

Staff counts come from the registry except for A (the weekly files leave them empty).
"""

from __future__ import annotations

import math
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from indicators_support import (  # noqa: E402,F401 - shared with the report tests
    HEADER,
    OFF,
    ON,
    ORGS,
    REGISTRY_STAFF,
    WEEKS,
    L,
    S,
    _week_rows,
    _write_xlsx,
    build_home,
    make_files,
)

from sferum_tui.cli import main  # noqa: E402
from sferum_tui.core import indicators as ind  # noqa: E402
from sferum_tui.core.config import Config, loads_config  # noqa: E402
from sferum_tui.core.errors import UserError  # noqa: E402
from sferum_tui.core.store import Store  # noqa: E402

from filemaker import write_csv  # noqa: E402


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    return build_home(tmp_path_factory.mktemp("indicators"))


@pytest.fixture
def store(home):
    with Store(home) as st:
        yield st


@pytest.fixture
def cfg():
    return Config.default()


@pytest.fixture
def week3(store, cfg):
    snap = ind.resolve_week(store, "latest")
    return ind.week_table(store, cfg, snap.id)


def by_key(df):
    """{fixture key: row dict} for the rows of a week table."""
    inn_to_key = {inn: k for k, (_, inn, _) in ORGS.items()}
    return {inn_to_key[r["org_id"]]: r for r in df.to_dict("records")}


def keys(df) -> set[str]:
    return set(by_key(df))


# --------------------------------------------------------------------------------------------
# Weeks
# --------------------------------------------------------------------------------------------

def test_resolve_week_specs(store):
    assert ind.resolve_week(store, None).period_start == date(2023, 4, 15)
    assert ind.resolve_week(store, "latest").period_start == date(2023, 4, 15)
    assert ind.resolve_week(store, "latest-1").period_start == date(2023, 4, 8)
    assert ind.resolve_week(store, "latest - 2").period_start == date(2023, 4, 1)
    assert ind.resolve_week(store, "2023-04-17").period_start == date(2023, 4, 15)
    assert ind.resolve_week(store, "10.04.2023").period_start == date(2023, 4, 8)
    assert ind.resolve_week(store, date(2023, 4, 7)).period_start == date(2023, 4, 1)


@pytest.mark.parametrize("spec", ["latest-3", "2023-05-01", "31.03.2023", "next week"])
def test_resolve_week_not_held(store, spec):
    with pytest.raises(UserError) as err:
        ind.resolve_week(store, spec)
    assert "\n" not in err.value.message


def test_resolve_week_empty_store(tmp_path):
    with pytest.raises(UserError):
        ind.resolve_week(Store(tmp_path / "none"), None)


# --------------------------------------------------------------------------------------------
# The week table
# --------------------------------------------------------------------------------------------

def test_columns_and_rows(week3, cfg):
    assert list(week3.columns[:4]) == ["org_uid", "org_key", "week_start", "week_end"]
    for c in ind.indicator_columns(cfg):
        assert c in week3.columns
    assert keys(week3) == set("ABCDEFG")
    r = by_key(week3)
    assert r["A"]["week_start"] == "2023-04-15" and r["A"]["week_end"] == "2023-04-21"
    assert r["A"]["org_id"] == "0527000001"          # ИНН as text
    assert r["G"]["missing"] and not r["A"]["missing"]


def test_status_rule_and_flags(week3):
    r = by_key(week3)
    # C: stated «Не активна», yet 60 users and 5 classes meet the rule
    assert r["C"]["active_by_rule"] and r["C"]["status_disagrees"] and r["C"]["inactive"]
    # E: 2 users, no class — the rule fails and the status says so too
    assert not r["E"]["active_by_rule"] and not r["E"]["status_disagrees"] and r["E"]["inactive"]
    # G: in the registry, not in the file — inactive, figures unknown
    assert r["G"]["inactive"] and r["G"]["missing"] and not r["G"]["active_by_rule"]
    assert pd_isna(r["G"]["users_total"]) and pd_isna(r["G"]["teachers"])
    assert {k for k, v in r.items() if v["inactive"]} == {"C", "E", "G"}


def pd_isna(value) -> bool:
    import pandas as pd

    return bool(pd.isna(value))


def test_messaging_and_registration(week3):
    r = by_key(week3)
    assert r["A"]["messaging_share"] == pytest.approx(20 / 50)
    assert r["C"]["messaging_share"] == pytest.approx(3 / 41)
    assert math.isnan(r["B"]["messaging_share"])       # 0 teachers
    assert {k for k, v in r.items() if v["low_messaging"]} == {"B", "C", "D", "E"}
    # staff from the file for A, from the registry for the others
    assert r["A"]["staff_total"] == 50 and r["D"]["staff_total"] == 25
    assert r["D"]["registration_share"] == pytest.approx(20 / 25)
    assert r["B"]["registration_share"] == 0
    assert {k for k, v in r.items() if v["unregistered"]} == {"B", "D", "E"}
    assert r["G"]["staff_total"] == 15 and math.isnan(r["G"]["registration_share"])


def test_indicator_values_and_passes(week3, cfg):
    r = by_key(week3)
    assert [i.key for i in cfg.indicators] == ["active_profiles", "teacher_messaging", "staff_registration"]
    # the activity KPI's pass is the activity classification: C states «Не активна» though
    # the rule holds, so it is inactive (and not passing), as every count of inactive says
    assert {k for k, v in r.items() if v["pass_active_profiles"]} == set("ABDF")
    assert {k for k, v in r.items() if v["status_disagrees"]} >= {"C"}
    assert {k for k, v in r.items() if v["pass_teacher_messaging"]} == {"A", "F"}
    assert {k for k, v in r.items() if v["pass_staff_registration"]} == {"A", "C", "F"}
    assert r["E"]["value_active_profiles"] == 0.0 and math.isnan(r["G"]["value_active_profiles"])
    assert r["F"]["value_teacher_messaging"] == pytest.approx(0.5)
    # the pass columns agree with the config's own vectorised evaluation on present rows
    present = week3[~week3["missing"]]
    for i in cfg.indicators:
        if i.key == "active_profiles":
            assert present[f"pass_{i.key}"].tolist() == (~present["inactive"]).tolist()
        else:
            assert present[f"pass_{i.key}"].tolist() == i.evaluate(present).tolist()


def test_week_over_week(week3):
    r = by_key(week3)
    assert r["A"]["d_users_total"] == 10
    assert r["A"]["d_messaging_share"] == pytest.approx(0.40 - 0.36)
    assert r["A"]["d_classes"] == 0 and r["A"]["d_teachers_active"] == 2
    assert math.isnan(r["D"]["d_users_total"])          # absent last week
    assert r["E"]["d_users_total"] == -8
    assert {k for k, v in r.items() if v["newly_inactive"]} == {"E"}
    # D was missing last week (a registry organisation missing counts as inactive), F inactive
    assert {k for k, v in r.items() if v["recovered"]} == {"D", "F"}
    assert {k for k, v in r.items() if v["changed"]} == {"A", "D", "E", "F"}


def test_streaks(week3):
    r = by_key(week3)
    msg = {k: v["weeks_below_teacher_messaging"] for k, v in r.items()}
    # B: 0 teachers every week; C: 3 of 41 every week; D: low in weeks 1 and 3, absent from
    # the file in week 2 (a registry school absent is below on everything); E: low in weeks 2
    # and 3, 40% in week 1; G: absent all three weeks — the worst case, never "0"
    assert msg == {"A": 0, "B": 3, "C": 3, "D": 3, "E": 2, "F": 0, "G": 3}
    # activity: C states «Не активна» every week; E since week 3; G is absent
    assert {k: v["weeks_below_active_profiles"] for k, v in r.items()} == \
        {"A": 0, "B": 0, "C": 3, "D": 0, "E": 1, "F": 0, "G": 3}
    assert {k: v["weeks_below_staff_registration"] for k, v in r.items()} == \
        {"A": 0, "B": 3, "C": 0, "D": 3, "E": 3, "F": 0, "G": 3}
    assert {k: v["weeks_below"] for k, v in r.items()} == \
        {"A": 0, "B": 3, "C": 3, "D": 3, "E": 3, "F": 0, "G": 3}


def test_streaks_of_an_earlier_week_and_the_cache(store, cfg):
    snap = ind.resolve_week(store, "latest-1")
    first = by_key(ind.week_table(store, cfg, snap.id))
    again = by_key(ind.week_table(store, cfg, snap.id))      # now read from the flag cache
    for r in (first, again):
        assert {k: v["weeks_below_teacher_messaging"] for k, v in r.items()} == \
            {"A": 0, "B": 2, "C": 2, "D": 2, "E": 1, "F": 2, "G": 2}
    # D is missing in week 2: the absence goes on its week-1 streak
    assert first["D"]["missing"] and first["D"]["weeks_below_teacher_messaging"] == 2
    n = store.query("SELECT count(*) FROM ind_week_flags")[0][0]
    assert n >= 2


def test_reasons_russian_and_english(store, cfg):
    from sferum_tui.i18n import set_language

    snap = ind.resolve_week(store, "latest")
    r = by_key(ind.week_table(store, cfg, snap.id))
    assert r["A"]["reasons"] == () and r["F"]["reasons"] == ()
    assert r["B"]["reasons"] == ("зарегистрировано 0 учителей",)
    assert r["C"]["reasons"] == ("статус «Не активна», хотя правило выполнено",
                                 "3 из 41 учителя написали более 3 сообщений (7%, ниже 30%)")
    assert r["E"]["reasons"] == ("связано 2 пользователя, нужно больше 2",
                                 "не создано ни одного класса",
                                 "0 из 1 учителя написали более 3 сообщений (0%, ниже 30%)",
                                 "зарегистрировано 1 из 30 сотрудников (3%, нужно 100%)")
    assert r["G"]["reasons"] == ("нет в файле этой недели",)
    set_language("en")
    r = by_key(ind.week_table(store, cfg, snap.id))
    assert r["C"]["reasons"] == ("status «Не активна» though the rule is met",
                                 "3 of 41 teachers wrote more than 3 messages (7%, below 30%)")
    assert r["E"]["reasons"][:2] == ("2 users linked, more than 2 needed", "no class created")
    assert r["B"]["reasons"] == ("0 teachers registered",)
    assert r["D"]["reasons"] == ("4 of 20 teachers wrote more than 3 messages (20%, below 30%)",
                                 "20 of 25 staff registered (80%, 100% needed)")
    assert r["G"]["reasons"] == ("not in this week's file",)


def test_reasons_of_many_rows_are_dealt_out_row_by_row(cfg):
    """The reasons are formatted once per distinct set of figures and dealt out: every row
    still gets its own list, in order, also when all rows have the same number of reasons."""
    import numpy as np
    import pandas as pd

    from sferum_tui.core.indicators.calc import evaluate_frame

    n = 600
    teachers = np.array([10 + i % 7 for i in range(n)], dtype=float)
    active = np.array([i % 3 for i in range(n)], dtype=float)
    frame = pd.DataFrame({
        "status": ["Активна"] * n, "users_total": 50.0, "classes": 5.0, "chats": 5.0,
        "teachers": teachers, "teachers_active": active, "staff_total": teachers,
        "students": 30.0, "parents": 10.0, "teachers_active_share": np.nan})
    rs = evaluate_frame(frame, cfg, missing=np.zeros(n, dtype=bool))["reasons"]
    assert len(rs) == n and all(isinstance(r, tuple) and len(r) == 1 for r in rs)
    for i in (0, 1, 2, 7, 599):
        a, t = int(active[i]), int(teachers[i])
        word = "учителя" if t % 10 == 1 and t % 100 != 11 else "учителей"
        pct = f"{a / t * 100:.0f}%" if a == 0 or a / t >= 0.01 else ""
        assert rs[i] == (f"{a} из {t} {word} написали более 3 сообщений ({pct}, ниже 30%)",)
    # a second kind of reason for some rows goes after the first, in the order reasons are told
    frame.loc[::2, "classes"] = 0.0
    rs = evaluate_frame(frame, cfg, missing=np.zeros(n, dtype=bool))["reasons"]
    assert rs[0][0] == "не создано ни одного класса" and rs[0][1].startswith("0 из 10 ")
    assert len(rs[1]) == 1 and rs[1][0].startswith("1 из 11 ")


def test_first_week_has_no_changes(store, cfg):
    snap = ind.resolve_week(store, "latest-2")
    df = ind.week_table(store, cfg, snap.id)
    assert not df["changed"].any() and not df["newly_inactive"].any() and not df["recovered"].any()
    assert df["d_users_total"].isna().all()
    assert df.attrs["previous_id"] is None
    kp = {k.key: k for k in ind.kpis(df, cfg)}
    assert kp["active_profiles"].previous is None and kp["active_profiles"].delta is None


# --------------------------------------------------------------------------------------------
# Filters and sorting
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, expected", [
    ({}, set("ABCDEFG")),
    ({"inactive": True}, {"C", "E", "G"}),
    ({"low_messaging": True}, {"B", "C", "D", "E"}),
    ({"low_messaging": 0.45}, {"A", "B", "C", "D", "E"}),
    ({"low_messaging": 0.05}, {"B", "E"}),
    ({"unregistered": True}, {"B", "D", "E"}),
    ({"missing": True}, {"G"}),
    ({"changed": True}, {"A", "D", "E", "F"}),
    ({"municipality": "Левашинский район"}, {"D", "E", "F", "G"}),
    ({"municipality": "левашинский"}, {"D", "E", "F", "G"}),
    ({"municipality": ["Сергокалинский район", "Левашинский район"]}, set("ABCDEFG")),
    ({"search": "0527"}, {"A", "B", "C"}),
    ({"search": "сош"}, {"A", "B", "C", "E", "F", "G"}),
    ({"search": "ЦУДАХАР"}, {"E"}),
    ({"inactive": True, "municipality": "Левашинский"}, {"E", "G"}),
    ({"low_messaging": True, "unregistered": True}, {"B", "D", "E"}),
    ({"low_messaging": True, "unregistered": True, "search": "0521"}, {"D", "E"}),
    ({"inactive": True, "missing": True}, {"G"}),
])
def test_filters(week3, kwargs, expected):
    assert keys(ind.filter_schools(week3, **kwargs)) == expected


def test_search_treats_yo_as_e(week3):
    import pandas as pd

    df = week3.copy()
    df.loc[df["org_id"] == "0527000003", "org_name"] = "МКОУ «Мюрёгинская СОШ»"
    assert keys(ind.filter_schools(df, search="мюрег")) == {"C"}
    assert keys(ind.filter_schools(df, search="МЮРЁГ")) == {"C"}
    assert isinstance(df, pd.DataFrame)


def test_sort(week3):
    out = ind.sort_schools(week3, "messaging_share")
    order = [by_key(out.iloc[[i]]).popitem()[0] for i in range(len(out))]
    assert order[:5] == ["E", "C", "D", "A", "F"] and set(order[5:]) == {"B", "G"}   # NaN last
    out = ind.sort_schools(week3, "messaging", descending=True)
    order = [by_key(out.iloc[[i]]).popitem()[0] for i in range(len(out))]
    assert order[:5] == ["F", "A", "D", "C", "E"] and set(order[5:]) == {"B", "G"}
    out = ind.sort_schools(week3, "-users")
    assert out["org_id"].iloc[0] == "0527000001"
    names = ind.sort_schools(week3, "name")["org_name"].tolist()     # legal form ignored
    assert names == ["МКОУ «Аймаумахинская СОШ»", "МКОУ «Кулецминская СОШ»",
                     "МКОУ «Левашинская гимназия»", "МКОУ «Мюрегинская СОШ»",
                     "МКОУ «СОШ №1» с. Сергокала", "МКОУ «Хаджалмахинская СОШ»",
                     "МБОУ «Цудахарская СОШ»"]


def test_sort_unknown_field(week3):
    with pytest.raises(UserError) as err:
        ind.sort_schools(week3, "popularity")
    assert "popularity" in err.value.message and "\n" not in err.value.message


# --------------------------------------------------------------------------------------------
# KPIs, rollups, changes
# --------------------------------------------------------------------------------------------

def test_kpis(week3, cfg):
    kp = {k.key: k for k in ind.kpis(week3, cfg, today=date(2023, 4, 26))}
    a = kp["active_profiles"]
    # one truth: the activity KPI is total − inactive over total (C, E and G are inactive)
    inactive = int(week3["inactive"].sum())
    assert inactive == 3
    assert a.value == pytest.approx(4 / 7) and (a.numerator, a.denominator) == (4, 7)
    was = week3["prev_inactive"].dropna().astype(bool)
    assert a.previous == pytest.approx(1 - was.mean())
    assert a.delta == pytest.approx(a.value - a.previous)
    assert (a.n_pass, a.n_total, a.target, a.direction) == (7 - inactive, 7, 1.0, "up")
    assert a.deadline == date(2023, 4, 27) and a.days_left == 1 and not a.overdue
    m = kp["teacher_messaging"]
    assert m.value == pytest.approx(32 / 122) and m.previous == pytest.approx(22 / 96)
    assert (m.numerator, m.denominator) == (32, 122)
    # n_total: the 5 schools with a share and B with 0 teachers (below any messaging target)
    assert (m.n_pass, m.n_total) == (2, 6) and m.deadline is None and m.days_left is None
    assert not m.reached and m.distance == pytest.approx(0.30 - 32 / 122)
    s = kp["staff_registration"]
    assert s.value == pytest.approx(122 / 166) and (s.n_pass, s.n_total) == (3, 6)
    assert s.days_left == 23


def test_kpis_deadline_in_the_past(week3, cfg):
    kp = {k.key: k for k in ind.kpis(week3, cfg, today=date(2023, 5, 1))}
    assert kp["active_profiles"].days_left == -4 and kp["active_profiles"].overdue
    assert kp["staff_registration"].days_left == 18


def test_region_narrows_a_municipality_name_shared_by_regions(week3, cfg):
    """A country store has «Кировский район» in many regions: the rollup's row of one region
    opens only that region's schools (a row without a region counts in its municipality's)."""
    df = week3.copy().reset_index(drop=True)
    df["municipality"] = "Кировский район"
    df["region"] = ["Свердловская область"] * 2 + ["Республика Дагестан"] * (len(df) - 2)
    both = keys(ind.filter_schools(df, municipality="Кировский район"))
    assert both == keys(df)
    sverd = keys(df.iloc[:2])
    assert keys(ind.filter_schools(df, municipality="Кировский район",
                                   region="Свердловская область")) == sverd
    assert keys(ind.filter_schools(df, region="свердловская")) == sverd        # a fragment
    assert keys(ind.filter_schools(df, municipality="Кировский район",
                                   region="Республика Дагестан")) == both - sverd
    # one rollup row per region, and each row's filter gives exactly its orgs
    roll = ind.rollup(df, cfg)
    assert sorted(roll["region"]) == ["Республика Дагестан", "Свердловская область"]
    for r in roll.itertuples():
        sub = ind.filter_schools(df, municipality=r.municipality, region=r.region)
        assert len(sub) == r.orgs
    # no region known for one row: it counts where its municipality mostly is
    df.loc[len(df) - 1, "region"] = None
    assert keys(df.iloc[[len(df) - 1]]) <= keys(ind.filter_schools(
        df, municipality="Кировский район", region="Республика Дагестан"))


def test_kpis_of_a_filtered_table(week3, cfg):
    sub = ind.filter_schools(week3, municipality="Сергокалинский")
    kp = {k.key: k for k in ind.kpis(sub, cfg, today=date(2023, 4, 26))}
    # C states «Не активна»: 2 of 3 active, as the area's inactive count (1) says
    assert kp["active_profiles"].value == pytest.approx(2 / 3) and kp["active_profiles"].n_total == 3
    assert kp["active_profiles"].n_pass == 3 - int(sub["inactive"].sum())
    assert kp["teacher_messaging"].value == pytest.approx(23 / 91)


def test_rollup(week3, cfg):
    roll = ind.rollup(week3, cfg)
    assert roll["municipality"].tolist() == [L, S]            # worst first
    assert roll["rank"].tolist() == [1, 2]
    lev = roll.iloc[0]
    assert (lev["orgs"], lev["present"], lev["inactive"], lev["missing"], lev["low_messaging"]) == \
        (4, 3, 2, 1, 2)
    assert lev["inactive_share"] == pytest.approx(0.5)
    assert lev["low_messaging_share"] == pytest.approx(2 / 3)
    # last week: D and G missing (inactive), F inactive, E active → 3 of 4
    assert lev["prev_inactive_share"] == pytest.approx(0.75)
    assert lev["d_inactive_share"] == pytest.approx(-0.25)
    assert lev["value_teacher_messaging"] == pytest.approx((4 + 0 + 5) / (20 + 1 + 10))
    ser = roll.iloc[1]
    assert ser["inactive_share"] == pytest.approx(1 / 3) and ser["d_inactive_share"] == 0
    assert ser["value_active_profiles"] == pytest.approx(1 - ser["inactive_share"])
    by_region = ind.rollup(week3, cfg, by="region")
    assert len(by_region) == 1 and by_region["orgs"].iloc[0] == 7
    with pytest.raises(UserError):
        ind.rollup(week3, cfg, by="school")


def test_changes(store, cfg, week3):
    snap = ind.resolve_week(store, "latest")
    ch = ind.changes(store, cfg, snap.id, table=week3)
    assert keys(ch["newly_inactive"]) == {"E"}
    assert keys(ch["recovered"]) == {"D", "F"}
    # falls: E's messaging share went from 20% to 0%, users 10 → 2
    assert list(by_key(ch["falls"])) == ["E"]
    assert keys(ch["rises"]) == {"A", "F"}
    # A's share rose by 4 points; F's change is unknown (0 teachers last week): it comes after
    assert [by_key(ch["rises"].iloc[[i]]).popitem()[0] for i in range(2)] == ["A", "F"]
    same = ind.changes(store, cfg, snap.id)
    assert keys(same["newly_inactive"]) == {"E"}


# --------------------------------------------------------------------------------------------
# One organisation
# --------------------------------------------------------------------------------------------

def test_find_org(store):
    uid = ind.find_org(store, "0521000005")
    assert ind.find_org(store, "цудахар") == uid
    with pytest.raises(ind.AmbiguousOrgError) as err:
        ind.find_org(store, "СОШ")
    assert len(err.value.candidates) == 6 and "\n" not in err.value.message
    with pytest.raises(UserError):
        ind.find_org(store, "нет такой школы")


def test_org_history_with_a_missing_week(store, cfg):
    hist = ind.org_history(store, cfg, ind.find_org(store, "гимназия"))
    assert hist["week_start"].tolist() == ["2023-04-01", "2023-04-08", "2023-04-15"]
    assert hist["missing"].tolist() == [False, True, False]
    assert hist["weeks_below_teacher_messaging"].tolist() == [1, 2, 3]
    assert hist["messaging_share"].iloc[0] == pytest.approx(0.1)
    assert hist["recovered"].tolist() == [False, False, True]
    assert hist["org_name"].iloc[1] == "МКОУ «Левашинская гимназия»"
    assert hist["reasons"].iloc[1] == ("нет в файле этой недели",)
    for c in ind.indicator_columns(cfg):
        assert c in hist.columns


def test_org_history_matches_the_week_table(store, cfg, week3):
    for key in "ABCDEFG":
        hist = ind.org_history(store, cfg, ind.find_org(store, ORGS[key][1]))
        last = hist.iloc[-1]
        row = by_key(week3)[key]
        for c in ind.indicator_columns(cfg):
            a, b = last[c], row[c]
            if isinstance(b, float) and math.isnan(b):
                assert isinstance(a, float) and math.isnan(a), (key, c)
            else:
                assert a == b, (key, c, a, b)


def test_registry_only_history(store, cfg):
    hist = ind.org_history(store, cfg, ind.find_org(store, "Хаджалмахинская"))
    assert hist["missing"].all() and len(hist) == 3
    assert hist["inactive"].all() and not hist["newly_inactive"].any()


# --------------------------------------------------------------------------------------------
# Scope and configuration
# --------------------------------------------------------------------------------------------

def test_scope(store):
    cfg = loads_config('[scope]\nmunicipalities = ["Сергокалинский район"]\n')
    snap = ind.resolve_week(store, "latest")
    assert keys(ind.week_table(store, cfg, snap.id)) == {"A", "B", "C"}
    assert keys(ind.week_table(store, cfg, snap.id, scope=False)) == set("ABCDEFG")
    cfg = loads_config('[scope]\nregion = "Республика Дагестан"\n')   # files without a region column
    assert keys(ind.week_table(store, cfg, snap.id)) == set("ABCDEFG")


def test_configured_thresholds_and_a_new_indicator(store):
    cfg = loads_config(
        "[thresholds]\nlow_messaging = 10\n"
        "[activity_rule]\nusers_more_than = 10\n"
        '[[indicators]]\nkey = "has_chats"\ntitle = "Есть чаты"\nrule = "chats >= 2"\ntarget = 100\n')
    snap = ind.resolve_week(store, "latest")
    df = ind.week_table(store, cfg, snap.id)
    r = by_key(df)
    assert {k for k, v in r.items() if v["low_messaging"]} == {"B", "C", "E"}
    assert not r["B"]["active_by_rule"]                  # 5 users is not more than 10
    assert r["B"]["reasons"][:2] == ("статус «Активна», хотя правило не выполнено",
                                     "связано 5 пользователей, нужно больше 10")
    assert "Есть чаты: не выполнено" in r["B"]["reasons"]
    assert {k: v["weeks_below_has_chats"] for k, v in r.items()} == \
        {"A": 0, "B": 3, "C": 0, "D": 0, "E": 1, "F": 0, "G": 3}
    kp = {k.key: k for k in ind.kpis(df, cfg)}
    assert kp["has_chats"].value == pytest.approx(4 / 7)


def test_core_imports_no_textual():
    code = ("import sys; import sferum_tui.core.indicators, sferum_tui.core.indicators.cache, "
            "sferum_tui.core.indicators.calc; print('textual' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_without_a_registry(tmp_path):
    _, weeks = make_files(tmp_path / "files")
    home = tmp_path / "home"
    assert main(["--home", str(home), "import", *map(str, weeks)]) == 0
    cfg = Config.default()
    with Store(home) as store:
        snap = ind.resolve_week(store, "latest-1")
        r = by_key(ind.week_table(store, cfg, snap.id))
        assert set(r) == {"A", "B", "C", "E", "F"}             # no registry: nobody is missing
        assert not any(v["missing"] or v["in_registry"] for v in r.values())
        assert math.isnan(r["B"]["registration_share"])      # no staff counts at all
        assert not r["B"]["unregistered"] and r["B"]["weeks_below_staff_registration"] == 0
        df = ind.week_table(store, cfg, ind.resolve_week(store, None).id)
        r = by_key(df)
        assert not r["D"]["recovered"] and r["D"]["changed"]  # unknown last week, not inactive
        assert r["D"]["weeks_below_teacher_messaging"] == 2
        assert ind.org_history(store, cfg, ind.find_org(store, "гимназия"))["missing"].tolist() == \
            [False, True, False]


def test_all_indicators_disabled(store):
    cfg = loads_config("".join(f'[[indicators]]\nkey = "{k}"\nenabled = false\n' for k in
                               ("active_profiles", "teacher_messaging", "staff_registration")))
    df = ind.week_table(store, cfg, ind.resolve_week(store, None).id)
    assert (df["weeks_below"] == 0).all() and ind.kpis(df, cfg) == []
    assert "inactive" in df.columns and not any(c.startswith("pass_") for c in df.columns)


def test_files_without_a_status_column(tmp_path):
    """No stated status: the rule decides, and two weeks without status are not a change."""
    head = ["ИНН", "Наименование ОО", "Муниципалитет", "Пользователи", "Учителя", "Классы",
            "Учителя, написавшие более 3 сообщений"]
    files = []
    for start, end in (("08.04.2023", "14.04.2023"), ("15.04.2023", "21.04.2023")):
        files.append(write_csv(tmp_path / f"{start}.csv", [
            [f"Мониторинг за период с {start} по {end}"], head,
            ["0527000001", "МКОУ «СОШ №1»", S, 100, 10, 5, 4],
            ["0527000002", "МКОУ «СОШ №2»", S, 2, 1, 0, 0]]))
    home = tmp_path / "home"
    assert main(["--home", str(home), "import", *map(str, files)]) == 0
    with Store(home) as store:
        r = by_key(ind.week_table(store, Config.default(), ind.resolve_week(store, None).id))
    assert not r["A"]["changed"] and not r["B"]["changed"]
    assert not r["A"]["inactive"] and r["B"]["inactive"] and not r["B"]["status_disagrees"]
    assert r["B"]["weeks_below_active_profiles"] == 2


def test_streaks_follow_a_replaced_week(tmp_path):
    """The flag cache is keyed by snapshot: replacing a week's file changes the streaks."""
    home = build_home(tmp_path)
    cfg = Config.default()
    with Store(home) as store:
        before = by_key(ind.week_table(store, cfg, ind.resolve_week(store, None).id))
        assert before["C"]["weeks_below_teacher_messaging"] == 3
    start, end, figures = WEEKS[1]
    figures = dict(figures, C=(OFF, 60, 41, 5, 5, 30))          # week 2: 30 of 41 write
    fixed = write_csv(tmp_path / "week2-fixed.csv", _week_rows(start, end, figures))
    assert main(["--home", str(home), "import", "--replace", str(fixed)]) == 0
    with Store(home) as store:
        after = by_key(ind.week_table(store, cfg, ind.resolve_week(store, None).id))
        assert after["C"]["weeks_below_teacher_messaging"] == 1
        assert after["B"]["weeks_below_teacher_messaging"] == 3
        keys_ = store.query("SELECT DISTINCT snapshot_id FROM ind_week_flags")
        superseded = store.query("SELECT id FROM snapshots WHERE superseded_by IS NOT NULL")
        assert not set(keys_) & set(superseded)


def test_warm_cache(tmp_path):
    """``sferum-tui import`` of several weeks (and ``registry import``) leave every week's codes
    cached for the config in use, so the first report or console start does not evaluate the
    history first; another config computes its own once.  (One week is left to the first
    reader: ``test_import_add``.)"""
    home = build_home(tmp_path)
    cfg = Config.default()
    with Store(home) as store:
        assert ind.warm_cache(store, cfg) == 0                      # the imports did it
        with store.transaction() as con:
            con.execute("DELETE FROM ind_week_flags")
        assert ind.warm_cache(store, cfg) == 3
        assert ind.warm_cache(store, cfg) == 0
        other = loads_config("[thresholds]\nlow_messaging = 50\n")   # another config key
        assert ind.warm_cache(store, other) == 3


def test_rollup_shows_each_area_under_its_most_common_spelling(week3, cfg):
    """Municipalities written differently in one file («р-н», case) are one area, shown as
    most rows write it; a tie goes to the spelling met first; an empty region takes the one
    its municipality has elsewhere."""
    import numpy as np

    from sferum_tui.core.indicators import _most_common

    codes = np.array([0, 1, 0, 0, 1, 2, 2])
    values = np.array(["Левашинский р-н", "А", "Левашинский район", "Левашинский район", "Б",
                       "x", "y"], dtype=object)
    assert _most_common(codes, values, 4).tolist() == ["Левашинский район", "А", "x", ""]

    df = week3.copy()
    lev = df.index[df["municipality"] == L].tolist()
    assert len(lev) == 4
    df.loc[lev[:1], "municipality"] = "Левашинский р-н"
    df.loc[lev[1:2], "municipality"] = "ЛЕВАШИНСКИЙ РАЙОН"
    df["region"] = "Республика Дагестан"
    df.loc[lev[3:], "region"] = ""
    r = ind.rollup(df, cfg)
    assert sorted(zip(r["municipality"], r["orgs"])) == [(L, 4), (S, 3)]
    assert set(r["region"]) == {"Республика Дагестан"}


def test_weeks_evaluated_together_give_each_week_its_own_codes(tmp_path):
    """An empty cache evaluates several weeks' rows in one call: each week gets exactly the
    codes it gets evaluated alone (the indicators are row by row; weeks never mix)."""
    from sferum_tui.core.indicators import cache as flag_cache

    home = build_home(tmp_path)
    cfg = Config.default()
    with Store(home) as store:
        ids = [s.id for s in store.snapshots()]
        assert len(ids) == 3
        staff = flag_cache.registry_staff(store)
        together = flag_cache.compute_codes_of(store, cfg, ids, staff)
        assert list(together) == ids
        for sid in ids:
            alone = flag_cache.compute_codes(store, cfg, sid, staff)
            assert alone.dtype == together[sid].dtype and alone.tobytes() == together[sid].tobytes(), sid
        assert len({together[sid].tobytes() for sid in ids}) > 1      # the weeks differ
