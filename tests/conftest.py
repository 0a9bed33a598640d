"""Shared test setup: every test starts in Russian, with no SFERUM_TUI_* settings leaking in."""

from __future__ import annotations

import pytest

from sferum_tui.i18n import set_language


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch, tmp_path_factory):
    for name in ("SFERUM_TUI_HOME", "SFERUM_TUI_LANG", "SFERUM_TUI_CLOUD_BASE"):
        monkeypatch.delenv(name, raising=False)
    # never touch the real user folders: platformdirs resolves under this fake home
    fake_home = tmp_path_factory.mktemp("userhome")
    monkeypatch.setenv("HOME", str(fake_home))
    monkeypatch.setenv("XDG_DATA_HOME", str(fake_home / ".local/share"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(fake_home / ".config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(fake_home / ".cache"))
    set_language("ru")
    yield
    set_language("ru")
