"""Demo data: deterministic, the right sizes, the letter's trend, the messy layouts, and every
file reading back (through the real reader) to exactly the simulated numbers."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from datetime import date, timedelta

import numpy as np
import openpyxl
import pytest

from sferum_tui.core import demo
from sferum_tui.core.fields import ROW_FIELDS

END = date(2023, 4, 21)  # the week of letter №450: 15.04.2023–21.04.2023


@pytest.fixture(scope="module")
def region_demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("region_demo")
    return demo.generate_demo(out, scale="region", weeks=8, seed=1, end=END)


@pytest.fixture(scope="module")
def country_population():
    return demo.build_population("country", seed=1)


def _xlsx_values(path):
    """Cell values per sheet (python-calamine: fast; '' for an empty cell)."""
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(path))
    return {name: wb.get_sheet_by_name(name).to_python() for name in wb.sheet_names}


def _csv_text(path, layout):
    return path.read_bytes().decode(layout.encoding)


# ------------------------------------------------------------------------------ determinism

def test_same_seed_gives_the_same_files(region_demo, tmp_path):
    again = demo.generate_demo(tmp_path, scale="region", weeks=8, seed=1, end=END)
    assert [p.name for p in again.weekly] == [p.name for p in region_demo.weekly]
    for a, b in zip(region_demo.weekly + [region_demo.registry], again.weekly + [again.registry]):
        if a.suffix == ".xlsx":
            assert _xlsx_values(a) == _xlsx_values(b), a.name
        # byte-identical too: fixed zip timestamps (xlsxwriter) and a fixed creation time
        assert a.read_bytes() == b.read_bytes(), a.name


def test_another_seed_gives_other_data():
    a = demo.simulate_weeks(demo.build_population("district", 1), 2, 1, end=END)
    b = demo.simulate_weeks(demo.build_population("district", 2), 2, 2, end=END)
    assert a[-1].rows() != b[-1].rows()


# ------------------------------------------------------------------------------ sizes

@pytest.mark.parametrize("scale, orgs, munis, regions", [
    ("district", (20, 30), (1, 1), 1),
    ("region", (1300, 1500), (50, 54), 1),
    ("country", (38000, 42000), (1500, 4000), 85),
])
def test_population_sizes(scale, orgs, munis, regions, request):
    pop = (request.getfixturevalue("country_population") if scale == "country"
           else demo.build_population(scale, seed=1))
    assert orgs[0] <= len(pop) <= orgs[1]
    assert munis[0] <= len(pop.municipalities) <= munis[1]
    assert len(pop.regions) == regions
    inns = pop.org_id.tolist()
    assert len(set(inns)) == len(inns)
    assert all(len(i) == 10 and i.isdigit() for i in inns)
    assert all(demo.inn_is_valid(i) for i in inns[:2000])
    assert any(i.startswith("0") for i in inns)
    # organisations known only to the registry (≈1%, at least one)
    assert 1 <= pop.registry_only.sum() <= max(1, 0.02 * len(pop))
    names_per_muni = {}
    for r, m, n in zip(pop.region.tolist(), pop.municipality.tolist(), pop.org_name.tolist()):
        names_per_muni.setdefault((r, m), set()).add(n)
    assert sum(len(v) for v in names_per_muni.values()) == len(pop)  # unique within municipality
    assert set(pop.kind.tolist()) <= set(demo.KINDS)


def test_country_has_some_inn_with_and_some_without_a_leading_zero(country_population):
    pop = country_population
    share = np.mean([i.startswith("0") for i in pop.org_id.tolist()])
    assert 0.03 < share < 0.3


def test_names_look_like_russian_schools():
    pop = demo.build_population("region", seed=1)
    names = pop.org_name.tolist()
    assert any(n.startswith("МКОУ «СОШ №") and " с. " in n for n in names)
    assert any("«Гимназия №" in n for n in names)
    assert any("Детский сад" in n for n in names)
    assert any("колледж" in n for n in names)
    assert pop.area_title == demo.DAGESTAN


# ------------------------------------------------------------------------------ the story

def test_weeks_are_saturday_to_friday_ending_on_the_given_friday(region_demo):
    weeks = region_demo.weeks
    assert weeks[-1].end == END
    for w, nxt in zip(weeks, weeks[1:]):
        assert nxt.start == w.end + timedelta(days=1)
    for w in weeks:
        assert w.start.weekday() == 5 and w.end.weekday() == 4
        assert (w.end - w.start).days == 6


def test_default_end_is_the_latest_friday():
    assert demo.last_friday(date(2023, 4, 21)) == date(2023, 4, 21)   # a Friday
    assert demo.last_friday(date(2023, 4, 24)) == date(2023, 4, 21)   # the Monday after
    assert demo.last_friday(date(2023, 4, 20)) == date(2023, 4, 14)
    weeks = demo.simulate_weeks(demo.build_population("district"), 1, 1)
    assert weeks[0].end == demo.last_friday(date.today())


def test_trend_follows_the_letter(region_demo):
    summaries = [demo.summarize_week(w) for w in region_demo.weeks]
    first, last = summaries[0], summaries[-1]
    assert 0.10 <= first.inactive_share <= 0.14           # «12% … имеют статус «Не активен»»
    assert 0.02 <= first.messaging_share <= 0.04          # «всего 3% … написали более трёх»
    later = summaries[1:]
    assert np.mean([s.inactive_share for s in later]) < first.inactive_share
    assert np.mean([s.messaging_share for s in later]) > first.messaging_share
    assert last.inactive_share < first.inactive_share
    assert last.messaging_share > 2 * first.messaging_share
    # stated status mostly agrees with the rule, but not always
    assert all(0 < s.rule_disagreements <= 0.01 * s.organisations for s in summaries)


def test_stuck_regressing_missing_renamed_and_teacherless(region_demo):
    pop, weeks = region_demo.population, region_demo.weeks
    n = len(pop)
    present = np.zeros((len(weeks), n), dtype=bool)
    inactive = np.zeros((len(weeks), n), dtype=bool)
    for k, w in enumerate(weeks):
        present[k, w.pop_index] = True
        inactive[k, w.pop_index] = ~w.rule_active()
    seen = present.any(axis=0)
    # registry-only organisations never appear; about 1–3% are missing from each week
    assert not present[:, pop.registry_only].any()
    for k in range(len(weeks)):
        missing = (~present[k] & seen).mean()
        assert 0.003 <= missing <= 0.045
    assert (~present & seen).any(axis=0).sum() > 0
    # stuck: inactive in every week they appear; regressing: active, then inactive
    always = np.where(present, inactive, True).all(axis=0) & seen
    assert always.sum() >= 5
    regressed = (~inactive[0] & present[0]) & (inactive[1:] & present[1:]).any(axis=0)
    assert regressed.sum() >= 3
    # renamed spellings of the same school (same ИНН) across weeks
    names: dict[str, set[str]] = {}
    for w in weeks:
        for inn, name in zip(w.org_id.tolist(), w.org_name.tolist()):
            names.setdefault(inn, set()).add(name)
    assert sum(len(v) > 1 for v in names.values()) >= 2
    # a couple of active organisations without any teacher
    last = weeks[-1]
    assert ((last.counts["teachers"] == 0) & last.rule_active()).sum() >= 1
    # the share is undefined there, not zero
    rows = last.rows()
    assert any(r["teachers"] == 0 and r["teachers_active_share"] is None for r in rows)


def test_rows_are_canonical(region_demo):
    rows = region_demo.weeks[0].rows()
    assert list(rows[0]) == list(ROW_FIELDS)
    assert {r["status"] for r in rows} == {"active", "inactive"}
    assert any(r["chats"] is None for r in rows)              # a few cells nobody filled in
    for r in rows:
        assert r["teachers_active"] <= r["teachers"]
        assert r["users_total"] >= r["teachers"] + (r["students"] or 0) + r["parents"]


# ------------------------------------------------------------------------------ the files

def test_every_layout_is_written_for_eight_weeks(region_demo):
    assert set(region_demo.layouts) == set(demo.LAYOUTS)
    assert set(demo.LAYOUT_ROTATION) == set(demo.LAYOUTS)
    suffixes = {p.suffix for p in region_demo.weekly}
    assert suffixes == {".xlsx", ".csv"}
    assert len({p.name for p in region_demo.weekly}) == 8


def test_files_have_the_messy_features(region_demo):
    by_layout = dict(zip(region_demo.layouts, region_demo.weekly))
    week_of = dict(zip(region_demo.layouts, region_demo.weeks))

    merged = _xlsx_values(by_layout["xlsx_merged"])["Мониторинг"]
    w = week_of["xlsx_merged"]
    assert merged[0][0] == ("Мониторинг использования ИКОП «Сферум» за период с "
                            f"{w.start:%d.%m.%Y} по {w.end:%d.%m.%Y}")
    assert demo.SYNTHETIC_NOTE in merged[1][0]
    header_top, header_sub = merged[3], merged[4]
    assert header_top[0] == "№ п/п" and "Количество пользователей" in header_top
    assert header_sub[header_top.index("Количество пользователей")] == "всего"
    labels = [r[2] for r in merged if isinstance(r[2], str)]
    assert any(s.startswith("Итого по ") and s.endswith("району") for s in labels)
    assert labels[-1] == "Всего по региону"

    share = _xlsx_values(by_layout["xlsx_share_text"])["Мониторинг"]
    w = week_of["xlsx_share_text"]
    assert demo.period_title(w.start, w.end, "words") in share[0][0]
    cells = [c for r in share[5:] for c in r if isinstance(c, str)]
    assert any("\u00a0" in c and c.replace("\u00a0", "").isdigit() for c in cells)
    assert any(c.endswith("%") and "," in c for c in cells)
    assert "—" in cells

    book = _xlsx_values(by_layout["xlsx_multisheet"])
    assert list(book) == ["Инструкция", "Свод по МО", "Организации"]

    lay = demo.LAYOUTS["csv_cp1251_semicolon"]
    raw = by_layout[lay.name].read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("cp1251")
    assert demo.SYNTHETIC_NOTE in text.splitlines()[0]
    assert ";X;" in text or text.count(";X") > 0
    assert by_layout[lay.name].name == (
        f"sferum_{week_of[lay.name].start:%Y-%m-%d}_{week_of[lay.name].end:%Y-%m-%d}.csv")

    for name in ("csv_utf8bom_comma", "csv_utf8bom_tab"):
        raw = by_layout[name].read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")
        assert "синтетические" in raw.decode("utf-8-sig").lower()
    tab = _csv_text(by_layout["csv_utf8bom_tab"], demo.LAYOUTS["csv_utf8bom_tab"])
    statuses = {line.split("\t")[3] for line in tab.splitlines()[2:]}
    assert {"активна", "АКТИВНА", "Активна"} & statuses and len(statuses) > 2


def test_every_file_says_it_is_synthetic(region_demo):
    for path in region_demo.weekly + [region_demo.registry]:
        if path.suffix == ".xlsx":
            wb = openpyxl.load_workbook(path, read_only=True)
            assert demo.SYNTHETIC_NOTE in (wb.properties.subject or "")
            wb.close()
            values = _xlsx_values(path)
            assert any(demo.SYNTHETIC_NOTE in str(c) for rows in values.values()
                       for r in rows[:3] for c in r if c)
        else:
            lay = demo.LAYOUTS[region_demo.layouts[region_demo.weekly.index(path)]]
            assert "синтетические" in _csv_text(path, lay).lower()


def test_inn_leading_zeros_survive_in_the_files(region_demo):
    expected = {w.org_id[0] for w in region_demo.weeks}
    assert all(i.startswith("0") for i in expected)  # Dagestan: 05…
    for path, name, week in zip(region_demo.weekly, region_demo.layouts, region_demo.weeks):
        lay = demo.LAYOUTS[name]
        inns = set(week.org_id.tolist())
        if path.suffix == ".xlsx":
            cells = {c for rows in _xlsx_values(path).values() for r in rows for c in r}
        else:
            cells = {c for r in csv.reader(io.StringIO(_csv_text(path, lay)),
                                           delimiter=lay.delimiter) for c in r}
        assert inns <= cells, name  # every ИНН, as text, zero first
    reg = _xlsx_values(region_demo.registry)["Справочник"]
    assert {r[3] for r in reg[4:]} == set(region_demo.population.org_id.tolist())


def test_registry_file_lists_everyone(region_demo):
    rows = _xlsx_values(region_demo.registry)["Справочник"]
    assert rows[3] == ["№ п/п", "Субъект РФ", "Муниципальное образование", "ИНН",
                       "Наименование организации", "Численность сотрудников", "Тип организации"]
    assert len(rows) - 4 == len(region_demo.population)


def test_period_titles():
    assert demo.period_title(date(2023, 4, 15), date(2023, 4, 21)) == \
        "за период с 15.04.2023 по 21.04.2023"
    assert demo.period_title(date(2023, 4, 15), date(2023, 4, 21), "words") == \
        "за период с 15 по 21 апреля 2023 г."
    assert demo.period_title(date(2023, 4, 29), date(2023, 5, 5), "words") == \
        "за период с 29 апреля по 5 мая 2023 г."
    assert demo.period_title(date(2023, 12, 30), date(2024, 1, 5), "words") == \
        "за период с 30 декабря 2023 г. по 5 января 2024 г."


# ------------------------------------------------------------------------------ read back

def _assert_reads_back(path, layout, week):
    from sferum_tui.core.ingest.reader import read_weekly

    res = read_weekly(path)
    assert res.period is not None and (res.period.start, res.period.end) == (week.start, week.end)
    expected = week.rows()
    assert len(res.rows) == len(expected), path.name
    for got, want in zip(res.rows, expected):
        for f in layout.fields:
            if f == "teachers_active_share" and want[f] is not None:
                assert got[f] == pytest.approx(want[f], abs=0.0005 + 1e-9), (path.name, want)
            else:
                assert got[f] == want[f], (path.name, f, want["org_id"])


def test_every_demo_file_reads_back_to_the_simulated_numbers(region_demo):
    for path, name, week in zip(region_demo.weekly, region_demo.layouts, region_demo.weeks):
        _assert_reads_back(path, demo.LAYOUTS[name], week)


def test_registry_reads_back(region_demo):
    from sferum_tui.core.ingest.reader import read_registry

    res = read_registry(region_demo.registry)
    pop = region_demo.population
    assert [r["org_id"] for r in res.rows] == pop.org_id.tolist()
    assert [r["staff_total"] for r in res.rows] == pop.staff_total.tolist()
    assert [r["org_name"] for r in res.rows] == pop.org_name.tolist()


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_country_week_for_the_benchmark(tmp_path, fmt):
    path = demo.write_country_week(tmp_path, fmt=fmt, seed=1, rows=3000, end=END)
    assert path.suffix == f".{fmt}"
    pop = demo.build_population("country", 1, size=round(3000 / 0.97))
    week = demo.simulate_weeks(pop, 3, 1, end=END)[-1]
    assert 2850 <= len(week) <= 3100
    _assert_reads_back(path, demo.COUNTRY_LAYOUTS[fmt], week)


def test_country_layouts_carry_the_region(tmp_path):
    pop = demo.build_population("country", 1, size=600)
    week = demo.simulate_weeks(pop, 1, 1, end=END)[0]
    for name in ("xlsx_merged", "csv_utf8bom_tab"):
        path = demo.write_week_file(week, tmp_path, name)
        lay = demo._with_region_column(demo.LAYOUTS[name])
        assert "region" in lay.fields
        _assert_reads_back(path, lay, week)


# ------------------------------------------------------------------------------ hygiene

def test_core_demo_is_headless():
    code = ("import sys, sferum_tui.core.demo; "
            "bad = [m for m in ('textual', 'pandas') if m in sys.modules]; "
            "print(', '.join(bad)); sys.exit(1 if bad else 0)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
