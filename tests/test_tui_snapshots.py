"""SVG snapshots of the console (pytest-textual-snapshot): the main screen and the help, at 80×24
and 120×40, in Russian and English, on the same real imported store as the Pilot tests, with the
clock pinned.  Update after a deliberate change with ``pytest --snapshot-update``."""

from __future__ import annotations

from pathlib import Path

import pytest

from sferum_tui.i18n import set_language

from tui_support import build_console_home, console, wait_for, wait_ready

SIZES = [(80, 24), (120, 40)]
LANGS = ["ru", "en"]


@pytest.fixture(scope="module")
def snapshot_home(tmp_path_factory) -> Path:
    set_language("ru")
    return build_console_home(tmp_path_factory.mktemp("snapshots"))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("lang", LANGS)
def test_main_screen(snap_compare, snapshot_home, lang, size):
    app = console(snapshot_home, lang=lang, poll=3600)

    async def run_before(pilot) -> None:
        await wait_ready(pilot)
        await pilot.pause(0.1)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("lang", LANGS)
def test_main_screen_filtered(snap_compare, snapshot_home, lang, size):
    """Two filters on (chips, counts), sorted by the messaging share."""
    app = console(snapshot_home, lang=lang, poll=3600)

    async def run_before(pilot) -> None:
        screen = await wait_ready(pilot)
        before = screen.view
        await pilot.press("w")
        await wait_for(pilot, lambda: screen.view is not before)
        before = screen.view
        await pilot.press("c")
        await wait_for(pilot, lambda: screen.view is not before)
        screen.table.sort_by("messaging_share")
        await pilot.pause(0.1)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("lang", LANGS)
def test_help(snap_compare, snapshot_home, lang, size):
    app = console(snapshot_home, lang=lang, poll=3600)

    async def run_before(pilot) -> None:
        await wait_ready(pilot)
        await pilot.press("f1")
        await wait_for(pilot, lambda: type(pilot.app.screen).__name__ == "HelpScreen")
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
