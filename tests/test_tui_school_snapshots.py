"""SVG snapshots of the school screen at 80×24 (table and charts switched by tabs) and 120×40
(table and the three charts together), in Russian and English, on the three-week store.

Update after a deliberate change of the screen with ``pytest --snapshot-update`` and look at the
new SVGs before committing them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sferum_tui.i18n import set_language

from school_support import GOOD, INACTIVE, Host, build_home, open_api, uid_of, wait_for


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    set_language("ru")
    return build_home(tmp_path_factory.mktemp("school-snap"))


@pytest.fixture
def api(home):
    api = open_api(home)
    yield api
    api.close()


def school_host(api, inn: str) -> Host:
    from sferum_tui.tui.school import SchoolScreen

    uid = uid_of(api, inn)
    week_id = api.snapshots()[-1].id
    return Host(lambda: SchoolScreen(api, uid, week_id))


async def loaded(pilot) -> None:
    from sferum_tui.tui.school import SchoolScreen

    await wait_for(pilot, lambda: isinstance(pilot.app.screen, SchoolScreen)
                   and pilot.app.screen.charts_ready)
    await pilot.pause(0.05)


@pytest.mark.parametrize("lang", ["ru", "en"])
@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_school_screen(snap_compare, api, lang, size):
    set_language(lang)
    try:
        assert snap_compare(school_host(api, INACTIVE), terminal_size=size, run_before=loaded)
    finally:
        set_language("ru")


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_school_screen_messaging_chart_80x24(snap_compare, api, lang):
    """At 80×24 the charts take the lower part one at a time (key 2: teacher messaging)."""
    set_language(lang)

    async def chart(pilot) -> None:
        await loaded(pilot)
        await pilot.press("2")
        await pilot.pause(0.05)

    try:
        assert snap_compare(school_host(api, GOOD), terminal_size=(80, 24), run_before=chart)
    finally:
        set_language("ru")
