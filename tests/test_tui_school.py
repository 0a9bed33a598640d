"""Pilot tests of the school drill-down on a real small store (three weekly CSV files imported
through the command line), as a user would see it at 80×24 and 120×40.

The helpers here (``build_home``, ``open_api``, ``Host``) are shared with the shortlist tests.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sferum_tui.i18n import set_language

from school_support import (  # noqa: F401 - shared with the shortlist tests
    GAPPY,
    GOOD,
    HEAD,
    INACTIVE,
    LABELS,
    STEADY,
    WEEKS,
    Host,
    build_home,
    open_api,
    open_school,
    school_app,
    screen_text,
    uid_of,
    wait_for,
    week_rows,
    week_text,
)


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    set_language("ru")
    return build_home(tmp_path_factory.mktemp("school"))


@pytest.fixture
def api(home):
    api = open_api(home)
    yield api
    api.close()


# --------------------------------------------------------------------------------------------


async def test_school_screen_shows_identity_reasons_and_history(api):
    from sferum_tui.tui.table import FrameTable

    app, uid = school_app(api, INACTIVE)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_school(pilot)
        text = screen_text(app)
        assert "МКОУ «Аймаумахинская СОШ»" in text
        assert "ИНН 0527001235" in text
        assert "Сергокалинский район" in text
        assert "не активна" in text
        # the reasons are the core's, for the week the user came from (the latest)
        history = api.org_history(uid)
        reasons = list(history.iloc[-1]["reasons"])
        assert reasons, "the core gives reasons for an inactive school"
        targets = week_text(screen)
        for reason in reasons:
            assert reason in targets
        assert "✗" in targets
        # the weekly history: three weeks, newest first
        table = screen.query_one("#school-history", FrameTable)
        assert table.row_count == 3
        assert table.display
        rows = [line.strip() for line in text.splitlines() if line.strip()[:16] in LABELS]
        assert [row[:16] for row in rows] == [LABELS[2], LABELS[1], LABELS[0]]


async def test_escape_returns_to_the_caller(api):
    app, _ = school_app(api, GOOD)
    async with app.run_test(size=(80, 24)) as pilot:
        base = app.screen_stack[0]
        await open_school(pilot)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is base


async def test_history_cursor_shows_that_weeks_targets(api):
    """Moving through the history shows each week's figures: the first week's 3 of 41."""
    from sferum_tui.tui.table import FrameTable

    app, uid = school_app(api, GOOD)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_school(pilot)
        targets = lambda: week_text(screen)  # noqa: E731
        assert LABELS[2] in targets()
        table = screen.query_one("#school-history", FrameTable)
        table.focus()
        await pilot.press("end")
        await pilot.pause()
        assert LABELS[0] in targets()
        first = api.org_history(uid).iloc[0]
        for reason in first["reasons"]:
            assert reason in targets()
        assert "7%" in targets()  # 3 of 41 teachers wrote more than 3 messages


async def test_absent_week_is_said(api):
    from sferum_tui.tui.charts import HistoryChart
    from sferum_tui.tui.table import FrameTable

    app, _ = school_app(api, GAPPY)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_school(pilot)
        table = screen.query_one("#school-history", FrameTable)
        assert table.row_count == 3  # the core lists the week it was missing from
        table.focus()
        await pilot.press("down")
        await pilot.pause()
        assert LABELS[1] in week_text(screen)
        assert "нет в файле недели" in week_text(screen)
        assert LABELS[1] in screen_text(app)
        # the charts leave a gap for that week rather than draw a line through it
        users = screen.query_one("#chart-users", HistoryChart)
        assert users.values[1] is None and users.values[0] is not None


async def test_views_switch_at_80x24_and_show_together_when_wide(api):
    from sferum_tui.tui.charts import HistoryChart

    app, _ = school_app(api, GOOD)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_school(pilot)
        shown = lambda: {w.id for w in screen.query("#school-history, HistoryChart")  # noqa: E731
                         if w.display and w.parent.display}
        assert shown() == {"school-history"}
        await pilot.press("2")
        assert shown() == {"chart-messaging"}
        await pilot.press("v")
        assert shown() == {"chart-users"}
        await pilot.press("м")  # the same key on a Russian layout
        assert shown() == {"chart-classes"}
        await pilot.press("1")
        assert shown() == {"school-history"}
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert shown() == {"school-history", "chart-messaging", "chart-users", "chart-classes"}
        chart = screen.query_one("#chart-messaging", HistoryChart)
        assert chart.size.width >= 30 and chart.size.height >= 6


async def test_charts_draw_the_weeks_and_the_target(api):
    from sferum_tui.tui.charts import HistoryChart

    app, uid = school_app(api, GOOD)
    async with app.run_test(size=(200, 60)) as pilot:
        screen = await open_school(pilot)
        chart = screen.query_one("#chart-messaging", HistoryChart)
        history = api.org_history(uid)
        assert chart.values == pytest.approx(history["messaging_share"].tolist())
        assert chart.target == pytest.approx(api.cfg.indicator("teacher_messaging").threshold)
        assert "30%" in chart.caption
        await pilot.pause()
        text = screen_text(app)
        assert "15.04" in text and "29.04" in text  # week ticks
        users = screen.query_one("#chart-users", HistoryChart)
        assert users.target == api.cfg.activity_rule.users_more_than
        # the data line is drawn in the theme's primary colour, the target in its warning colour
        from textual.color import Color

        primary = Color.parse(app.theme_variables["primary"]).rgb
        warning = Color.parse(app.theme_variables["warning"]).rgb
        colours = set()
        for strip in app.screen._compositor.render_strips():
            for seg in strip:
                if seg.style and seg.style.color and seg.style.color.triplet:
                    colours.add(tuple(seg.style.color.triplet))
        assert primary in colours and warning in colours


async def test_space_marks_and_unmarks_in_the_current_list(api):
    from sferum_tui.core.store.shortlists import Shortlists
    from sferum_tui.tui.school import SchoolScreen

    api.shortlist_name = "Письмо директорам"
    app, uid = school_app(api, STEADY)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_school(pilot)
        await pilot.press("space")
        await wait_for(pilot, lambda: screen.data.in_list)
        assert uid in Shortlists(api.store).contains("Письмо директорам")
        assert "в списке «Письмо директорам»" in screen_text(app)
        await pilot.press("space")
        await wait_for(pilot, lambda: not screen.data.in_list)
        assert uid not in Shortlists(api.store).contains("Письмо директорам")
    # the app hears of each change (the message bubbles up), so its table's marks can follow
    changes = [m for m in app.messages if isinstance(m, SchoolScreen.MarkChanged)]
    assert [(m.org_uid, m.list_name, m.marked) for m in changes] == [
        (uid, "Письмо директорам", True), (uid, "Письмо директорам", False)]


async def test_english_interface(api):
    set_language("en")
    try:
        app, _ = school_app(api, INACTIVE)
        async with app.run_test(size=(80, 24)) as pilot:
            await open_school(pilot)
            text = screen_text(app)
            assert "inactive" in text
            assert "Week" in text
            assert "Back" in text  # the footer's binding, in English
    finally:
        set_language("ru")


async def test_unknown_school_is_a_notification_not_a_crash(api):
    from sferum_tui.tui.school import SchoolScreen

    app = Host(lambda: SchoolScreen(api, 999_999, None))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.3)
        assert isinstance(app.screen, SchoolScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, SchoolScreen)


async def test_console_enter_opens_the_school_and_esc_keeps_the_table(home):
    """The real console: Enter on a school opens this screen, Esc comes back to the table with
    the cursor where it was."""
    from types import SimpleNamespace

    from sferum_tui.core.config import Config
    from sferum_tui.core.paths import resolve_paths
    from sferum_tui.tui.app import make_app
    from sferum_tui.tui.table import FrameTable

    ctx = SimpleNamespace(paths=resolve_paths(str(home)), lang="ru", demo=False, theme=None,
                          config=Config.default)
    app = make_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: any(t.row_count for t in app.screen.query(FrameTable)))
        main_screen = app.screen
        table = main_screen.query_one("#schools", FrameTable)
        table.focus()
        await pilot.press("down", "down")
        key = table.cursor_key
        await pilot.press("enter")
        school = await open_school(pilot)
        assert school.org_uid == key
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is main_screen
        assert table.cursor_key == key


async def test_charts_use_the_terminals_own_colours_in_the_16_colour_theme(api):
    """In ``ansi-dark`` the line and the target are ANSI colours (the terminal's palette), not
    RGB approximations."""
    from rich.color import ColorType

    app, _ = school_app(api, GOOD, theme="ansi-dark")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_school(pilot)
        await pilot.pause()
        chart_glyphs = {chr(c) for c in range(0x2800, 0x2900)} | {"─"}
        colours = {
            seg.style.color
            for strip in app.screen._compositor.render_strips() for seg in strip
            if seg.style and seg.style.color and seg.text.strip()
            and seg.text.strip()[0] in chart_glyphs
        }
        assert colours
        assert all(c.type in (ColorType.STANDARD, ColorType.DEFAULT) for c in colours)
        assert {c.number for c in colours if c.type == ColorType.STANDARD} >= {4, 3}  # blue, yellow


async def test_the_next_school_opens_as_fresh_on_the_kept_screen(home):
    """The school screen is kept and refilled for the next school (a third of the time to open
    one went into building it): the second school shows its own name, history and charts, on
    the history view and the week the user came from, as a new screen would; after a language
    switch the school opens in the new language."""
    from types import SimpleNamespace

    from sferum_tui.core.config import Config
    from sferum_tui.core.paths import resolve_paths
    from sferum_tui.tui.app import make_app
    from sferum_tui.tui.charts import HistoryChart
    from sferum_tui.tui.table import FrameTable

    ctx = SimpleNamespace(paths=resolve_paths(str(home)), lang="ru", demo=False, theme=None,
                          config=Config.default)
    app = make_app(ctx)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: any(t.row_count for t in app.screen.query(FrameTable)))
            main_screen = app.screen
            table = main_screen.query_one("#schools", FrameTable)
            table.focus()
            opened = []
            for step in range(2):
                key = table.cursor_key
                await pilot.press("enter")
                school = await open_school(pilot)
                opened.append(school)
                assert school.org_uid == key and school.view == "history"
                assert school.query_one("#school-history", FrameTable).display
                name = str(school.query_one("#school-name").render())
                row = main_screen.view.week.frame.set_index("org_uid").loc[key]
                assert row["org_name"] in name
                history = school.query_one("#school-history", FrameTable)
                assert history.row_count == len(school.data.history)
                users = school.query_one("#chart-users", HistoryChart)
                assert users.values == [None if v != v else float(v)
                                        for v in school.data.users]
                if step == 0:
                    await pilot.press("3")     # the users chart, then back and to another
                    await pilot.pause()
                    assert school.view == "users"
                await pilot.press("escape")
                await pilot.pause()
                assert app.screen is main_screen
                await pilot.press("down")
            assert opened[0] is opened[1]  # the same screen, refilled

            app.switch_language("en")
            await wait_for(pilot, lambda: any(t.row_count for t in app.screen.query(FrameTable))
                           and app.screen is not main_screen)
            await pilot.press("enter")
            school = await open_school(pilot)
            assert school is not opened[0]
            assert "History" in screen_text(app)
    finally:
        set_language("ru")


async def test_a_name_holding_terminal_escapes_never_reaches_the_terminal(home, tmp_path):
    """A store written before names were cleaned at import (simulated by writing the escape
    into the stored name with SQLite): the school screen shows the name without it, and nothing
    the app renders carries an ESC from the data — the terminal is not retitled."""
    import shutil
    import sqlite3

    private = tmp_path / "home"
    shutil.copytree(home, private)
    con = sqlite3.connect(private / "store.sqlite")
    with con:
        con.execute("UPDATE org_names SET name = name || ? WHERE name LIKE ?",
                    ("\x1b]0;pwned\x07\u202e", "%Аймаумахинская%"))
    con.close()
    api = open_api(private)
    try:
        app, _ = school_app(api, INACTIVE)
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await open_school(pilot)
            name = str(screen.query_one("#school-name").render())
            assert "Аймаумахинская" in name and "pwned" in name
            assert "\x1b" not in name and "\x07" not in name and "\u202e" not in name
            strips = app.screen._compositor.render_strips()
            for strip in strips:
                for segment in strip:
                    assert "\x1b" not in segment.text and "\x07" not in segment.text
            assert "pwned" not in str(app.title)
    finally:
        api.close()
