"""Issue 5, part 5: the console fetches from a cloud.mail.ru public folder (the loopback test
server shaped like the real API), shows the result, and the new week arrives by the live path."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cloud_server import cloud  # noqa: F401 (a fixture)
from tui_support import LABEL4, WEEK4, build_console_home, console, wait_for, wait_ready, week_file


@pytest.fixture(scope="module")
def built_home(tmp_path_factory) -> Path:
    return build_console_home(tmp_path_factory.mktemp("cloudconsole"))


@pytest.fixture
def home(built_home: Path, tmp_path: Path) -> Path:
    target = tmp_path / "home"
    shutil.copytree(built_home, target)
    return target


def _configure(home: Path) -> None:
    (home / "config.toml").write_text(
        '[[sources]]\nname = "minobr"\nurl = "https://cloud.mail.ru/public/GPXK/fMnpzcuWR"\n',
        encoding="utf-8")


async def test_fetch_key_imports_the_new_cloud_file_and_shows_the_week(home, tmp_path, cloud):
    _configure(home)
    new = week_file(tmp_path, 3, WEEK4)
    cloud.add_file("GPXK/fMnpzcuWR", new.name, new.read_bytes())
    app = console(home, poll=0.2)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_ready(pilot)
        await pilot.press("f")
        await wait_for(pilot, lambda: screen.view.week.label == LABEL4, timeout=30)
        await wait_for(pilot, lambda: not app.fetching, timeout=30)
        assert any("Импортировано новых файлов: 1" in n for n in app.notices)
        # a second fetch finds nothing new and says so
        await pilot.press("а")                      # f on the Russian layout
        await wait_for(pilot, lambda: not app.fetching and len(app.notices) > 2, timeout=30)
        await wait_for(pilot, lambda: not app.fetching, timeout=30)
        assert screen.view.week.label == LABEL4


async def test_a_dead_cloud_link_is_a_notification_not_a_crash(home, cloud):
    _configure(home)
    cloud.faults.list = "404"
    app = console(home, poll=0.2)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        before = len(app.notices)
        await pilot.press("f")
        await wait_for(pilot, lambda: len(app.notices) > before and not app.fetching, timeout=30)
        assert any("404" in n or "не найден" in n.lower() or "ошибк" in n.lower() for n in app.notices[before:])
