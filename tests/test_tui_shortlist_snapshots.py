"""SVG snapshots of the shortlist screen at 80×24 in Russian and English (members with their
figures, the cursor member's reasons in full under the table)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sferum_tui.i18n import set_language

from school_support import GAPPY, GOOD, INACTIVE, Host, build_home, open_api, uid_of, wait_for


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    set_language("ru")
    return build_home(tmp_path_factory.mktemp("shortlist-snap"))


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_shortlist_screen(snap_compare, home, lang):
    from sferum_tui.core.store.shortlists import Shortlists
    from sferum_tui.tui.shortlist import ShortlistScreen

    set_language(lang)
    api = open_api(home)
    try:
        name = "Письмо директорам"
        lists = Shortlists(api.store)
        lists.clear(name) if lists.exists(name) else None
        lists.add(name, [uid_of(api, inn) for inn in (INACTIVE, GOOD, GAPPY)])

        async def loaded(pilot) -> None:
            await wait_for(pilot, lambda: isinstance(pilot.app.screen, ShortlistScreen)
                           and pilot.app.screen.data is not None)
            await pilot.pause(0.05)

        app = Host(lambda: ShortlistScreen(api, name))
        assert snap_compare(app, terminal_size=(80, 24), run_before=loaded)
    finally:
        api.close()
        set_language("ru")
