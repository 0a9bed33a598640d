"""Shared test setup: every test starts in Russian, with no SFERUM_TUI_* settings leaking in."""

from __future__ import annotations

import pytest

from sferum_tui.i18n import set_language


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch, tmp_path_factory):
    for name in ("SFERUM_TUI_HOME", "SFERUM_TUI_CONFIG", "SFERUM_TUI_LANG", "SFERUM_TUI_CLOUD_BASE"):
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


# -- store helpers (generic: any test that needs to prove "the store is unchanged") -------------

def full_store_dump(home) -> dict:
    """Everything a store holds: schema version, every row of every table (sorted), and the
    list of files under ``blobs/`` with their sizes. Two equal dumps = an unchanged store."""
    import sqlite3
    from pathlib import Path

    home = Path(home)
    db = home / "store.sqlite"
    out: dict = {"exists": db.exists(), "tables": {}, "blobs": []}
    if db.exists():
        con = sqlite3.connect(db)
        try:
            out["user_version"] = con.execute("PRAGMA user_version").fetchone()[0]
            names = [r[0] for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
            for name in names:
                rows = con.execute(f'SELECT * FROM "{name}"').fetchall()
                out["tables"][name] = sorted(rows, key=repr)
        finally:
            con.close()
    blobs = home / "blobs"
    if blobs.exists():
        out["blobs"] = sorted((str(p.relative_to(home)), p.stat().st_size)
                              for p in blobs.rglob("*") if p.is_file())
    return out


@pytest.fixture
def store_dump():
    """``store_dump(home)`` → :func:`full_store_dump`."""
    return full_store_dump
