"""One truth for every number (issue 9): the console, ``summary --format json``, the ``demo``
printout and ``schools --format json`` give the same headline numbers for the same week, and
the same threshold argument selects the same schools on every surface.

Everything runs for real: the demo region store is built by ``sferum-tui demo``, the commands
run through the CLI's ``main``, the console is the app ``sferum-tui`` builds, driven by Pilot.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from sferum_tui.cli import main
from sferum_tui.i18n import set_language

WEEKS_BACK = (0, 3)   # the latest week and one older week


def run(capsys, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> dict:
    """The demo region store, built once (``demo --scale region``), and what the command
    printed."""
    import contextlib
    import io
    import os

    root = tmp_path_factory.mktemp("onetruth")
    old = {k: os.environ.get(k) for k in ("HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME")}
    os.environ.update(HOME=str(root), XDG_DATA_HOME=str(root / "data"),
                      XDG_CONFIG_HOME=str(root / "config"), XDG_CACHE_HOME=str(root / "cache"))
    set_language("ru")
    buf = io.StringIO()
    try:
        with contextlib.redirect_stdout(buf):
            assert main(["demo", "--scale", "region", "--no-open"]) == 0
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return {"root": root, "printout": buf.getvalue(), "home": root / "data" / "sferum-tui" / "demo"}


@pytest.fixture
def env(demo, monkeypatch):
    root = demo["root"]
    monkeypatch.setenv("HOME", str(root))
    monkeypatch.setenv("XDG_DATA_HOME", str(root / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(root / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(root / "cache"))
    return demo


def summary_json(capsys, week: str) -> dict:
    code, out, err = run(capsys, "--demo", "summary", "--week", week, "--format", "json")
    assert code == 0, err
    return json.loads(out)


def schools_count(capsys, week: str, *flags: str) -> int:
    code, out, err = run(capsys, "--demo", "schools", "--week", week, *flags, "--format", "json")
    assert code == 0, err
    return len(json.loads(out))


def _number(text: str) -> int:
    return int(text.replace("\u00a0", "").replace(" ", ""))


@pytest.mark.parametrize("back", WEEKS_BACK)
def test_summary_json_equals_the_schools_counts(env, capsys, back):
    week = f"latest-{back}"
    s = summary_json(capsys, week)
    for key in ("week_start", "week_end", "snapshot", "orgs_total", "in_file", "missing",
                "inactive", "status_disagrees", "low_messaging", "unregistered", "threshold",
                "indicators", "municipalities", "changes"):
        assert key in s, key
    assert s["orgs_total"] == schools_count(capsys, week)
    assert s["inactive"] == schools_count(capsys, week, "--inactive")
    assert s["missing"] == schools_count(capsys, week, "--missing")
    assert s["status_disagrees"] == schools_count(capsys, week, "--disagrees")
    assert s["unregistered"] == schools_count(capsys, week, "--unregistered")
    # the threshold is in percent and accepted back by --low-messaging
    assert s["low_messaging"] == schools_count(capsys, week, "--low-messaging", str(s["threshold"]))
    assert s["low_messaging"] == schools_count(capsys, week, "--low-messaging")
    assert s["in_file"] == s["orgs_total"] - s["missing"]
    activity = next(i for i in s["indicators"] if "active" in i["key"])
    assert (activity["numerator"], activity["denominator"]) == \
        (s["orgs_total"] - s["inactive"], s["orgs_total"])
    assert activity["value"] == pytest.approx(activity["numerator"] / activity["denominator"])
    for i in s["indicators"]:
        assert set(i) >= {"key", "title", "value", "numerator", "denominator", "target",
                          "deadline", "delta"}
    # the rollup adds up to the area
    assert sum(m["orgs"] for m in s["municipalities"]) == s["orgs_total"]
    assert sum(m["inactive"] for m in s["municipalities"]) == s["inactive"]
    # the changes lists are the organisations schools --changed … would name
    assert all(isinstance(x, str) and x for x in s["changes"]["newly_inactive"])


def test_the_demo_printout_uses_the_same_numbers(env, capsys):
    printout = " ".join(env["printout"].split())   # the printout wraps at the terminal's width
    latest = summary_json(capsys, "latest")
    m = re.search(r"Неактивных профилей:\s+([\d,]+)% в первую неделю → ([\d\s\u00a0]+) из "
                  r"([\d\s\u00a0]+) \(([\d,]+)%\) в последнюю", printout)
    assert m, printout
    assert _number(m[2]) == latest["inactive"] and _number(m[3]) == latest["orgs_total"]
    assert float(m[4].replace(",", ".")) == pytest.approx(
        100 * latest["inactive"] / latest["orgs_total"], abs=0.05)
    assert "8 недель" in printout          # the demo holds 8 weeks: the first is latest-7
    first = summary_json(capsys, "latest-7")
    assert float(m[1].replace(",", ".")) == pytest.approx(
        100 * first["inactive"] / first["orgs_total"], abs=0.05)


async def _console_numbers(home: Path, back: int) -> dict:
    from sferum_tui.cli import Context
    from sferum_tui.core.paths import resolve_paths
    from sferum_tui.service.headline import activity_kpi
    from sferum_tui.tui.app import make_app

    from tui_support import press_and_reload, screen_text, wait_ready

    ctx = Context(paths=resolve_paths(None, demo=True), lang="ru", demo=True, config_path=None,
                  theme=None, home_arg=None)
    app = make_app(ctx, poll_seconds=60, ui_state=False)  # runs share one store
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await wait_ready(pilot)
        for _ in range(back):
            await press_and_reload(pilot, "left_square_bracket")
        view = screen.view
        text = screen_text(app)
        kpi = activity_kpi(view.kpis)
        return {"week": view.week.info.period_start.isoformat(), "text": text,
                "counts": dict(view.counts), "kpi": (kpi.n_pass, kpi.n_total),
                "value": kpi.value}


@pytest.mark.parametrize("back", WEEKS_BACK)
async def test_the_console_shows_the_same_numbers(env, capsys, back):
    s = summary_json(capsys, f"latest-{back}")
    got = await _console_numbers(env["home"], back)
    assert got["week"] == s["week_start"]
    c = got["counts"]
    assert c["shown"] == s["orgs_total"] and c["inactive"] == s["inactive"]
    assert c["status_disagrees"] == s["status_disagrees"]
    assert c["low_messaging"] == s["low_messaging"]
    activity = next(i for i in s["indicators"] if "active" in i["key"])
    assert got["kpi"] == (activity["numerator"], activity["denominator"])
    # what the user reads: the counters and the KPI's figure
    text = got["text"]
    fmt = lambda n: f"{n:,}".replace(",", "\u00a0")  # noqa: E731
    assert f"неакт. {fmt(s['inactive'])}" in text
    assert f"мало пишут {fmt(s['low_messaging'])}" in text
    assert f"статус≠правило {fmt(s['status_disagrees'])}" in text
    pct = f"{100 * activity['value']:.1f}".replace(".", ",") + "%"
    assert pct in text


# --------------------------------------------------------------------------------------------
# One threshold grammar, one selection
# --------------------------------------------------------------------------------------------

THRESHOLDS = [("27,5", 0.275), ("27.5", 0.275), ("40%", 0.40), ("30", 0.30)]


@pytest.mark.parametrize("text, share", THRESHOLDS)
async def test_the_same_threshold_selects_the_same_schools_everywhere(env, capsys, tmp_path,
                                                                      text, share):
    code, out, err = run(capsys, "--demo", "schools", "--low-messaging", text, "--format", "json")
    assert code == 0, err
    by_schools = {r["org_uid"] for r in json.loads(out)}
    assert by_schools

    exported = tmp_path / "low.json"
    code, _, err = run(capsys, "--demo", "export", "--low-messaging", text, "-o", str(exported))
    assert code == 0, err
    rows = json.loads(exported.read_text(encoding="utf-8"))
    rows = rows["rows"] if isinstance(rows, dict) else rows
    assert {r["org_uid"] for r in rows} == by_schools

    code, out, err = run(capsys, "--demo", "shortlist", "add", f"порог {text}",
                         "--low-messaging", text)
    assert code == 0, err
    code, out, err = run(capsys, "--demo", "shortlist", "show", f"порог {text}", "--format", "json")
    listed = json.loads(out)
    listed = listed["rows"] if isinstance(listed, dict) else listed
    assert {r["org_uid"] for r in listed} == by_schools

    # the config: the same text as [thresholds] low_messaging
    cfg_file = tmp_path / "config.toml"
    cfg_file.write_text(f'[thresholds]\nlow_messaging = "{text}"\n', encoding="utf-8")
    code, out, err = run(capsys, "--demo", "--config", str(cfg_file), "schools",
                         "--low-messaging", "--format", "json")
    assert code == 0, err
    assert {r["org_uid"] for r in json.loads(out)} == by_schools

    # the console's t dialog: the same text typed
    from sferum_tui.cli import Context
    from sferum_tui.core.paths import resolve_paths
    from sferum_tui.tui.app import make_app

    from tui_support import wait_for, wait_ready

    ctx = Context(paths=resolve_paths(None, demo=True), lang="ru", demo=True, config_path=None,
                  theme=None, home_arg=None)
    app = make_app(ctx, poll_seconds=60, ui_state=False)  # runs share one store
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await wait_ready(pilot)
        await pilot.press("t")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "ThresholdDialog")
        field = app.screen.query_one("#threshold-input")
        field.value = text
        before = screen.view
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.view is not before and screen.view is not None
                       and screen.view.filters.low_messaging)
        view = screen.view
        shown = set(view.week.frame["org_uid"].to_numpy()[view.rows].tolist())
        assert view.threshold == pytest.approx(share)
    assert shown == by_schools


@pytest.mark.parametrize("flag", ["0.3", "1", "abc", "101"])
def test_a_threshold_outside_the_grammar_is_one_line(env, capsys, flag):
    for argv in (["schools", "--low-messaging", flag], ["export", "--low-messaging", flag, "-o", "-"],
                 ["shortlist", "add", "x", "--low-messaging", flag]):
        code, out, err = run(capsys, "--demo", *argv)
        assert code == 1
        lines = err.strip().splitlines()
        assert len(lines) == 1 and "--low-messaging" in lines[0] and "Traceback" not in err


def test_a_school_missing_every_week_is_the_worst_case(env, capsys):
    """A registry school absent from every held week: flagged, weeks_below = weeks held, and
    first when sorted worst-first."""
    held = 8                                # the demo's weeks
    code, out, err = run(capsys, "--demo", "schools", "--missing", "--format", "json")
    rows = json.loads(out)
    assert rows
    always = [r for r in rows if r["weeks_below"] >= held]
    assert always, "the demo has schools absent from every week"
    for r in rows:
        assert r["inactive"] and r["missing"] and r["weeks_below"] >= 1
    code, out, err = run(capsys, "--demo", "schools", "--sort=-weeks", "--limit", "5",
                         "--format", "json")
    top = json.loads(out)
    assert top[0]["weeks_below"] >= held
