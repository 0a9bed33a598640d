"""The console's palette command «Отчёт недели для совещания»: the HTML report of the week
being viewed, written where exports go by default, its path notified."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from tui_support import build_console_home, console, wait_for, wait_ready  # noqa: E402


@pytest.fixture
def home(tmp_path) -> Path:
    return build_console_home(tmp_path / "data")


async def test_palette_writes_the_viewed_weeks_report(home, tmp_path, monkeypatch):
    out = tmp_path / "here"
    out.mkdir()
    monkeypatch.chdir(out)            # no Downloads folder in the test's home: the current one
    app = console(home)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause(0.2)
        await pilot.press(*"Отчёт недели")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_for(pilot, lambda: any(out.glob("*.html")), timeout=20)
        (path,) = out.glob("*.html")
        text = path.read_text("utf-8")
        assert "Еженедельный анализ" in text and "<svg" in text
        week = app.api.snapshots()[-1].period_label
        assert week in text
