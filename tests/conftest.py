"""Shared test setup: every test starts in Russian, with no SFERUM_TUI_* settings leaking in."""

from __future__ import annotations

import pytest

from sferum_tui.i18n import set_language


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch, tmp_path_factory):
    for name in ("SFERUM_TUI_HOME", "SFERUM_TUI_CONFIG", "SFERUM_TUI_LANG", "SFERUM_TUI_CLOUD_BASE",
                 "SFERUM_TUI_STORE"):
        monkeypatch.delenv(name, raising=False)
    # no system-wide config (/etc/sferum-tui) leaks in either: tests that want one set this
    monkeypatch.setenv("SFERUM_TUI_SYSTEM_CONFIG", "")
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


# -- PostgreSQL (issue 13): a throwaway cluster per test session (per xdist worker) -------------

@pytest.fixture(scope="session")
def pg_cluster():
    """A running throwaway PostgreSQL cluster (:class:`pg_support.Cluster`), stopped and removed
    at the end of the session, also when tests fail. When no server can be started every test
    that asks for one FAILS with one line saying what was missing — it never skips."""
    import atexit

    from pg_support import ClusterUnavailable, start_cluster

    missing = ""
    try:
        cluster = start_cluster()
    except ClusterUnavailable as e:
        missing = str(e)
    if missing:   # outside the except: one line, no chained traceback
        pytest.fail(f"no PostgreSQL server for the tests: {missing}", pytrace=False)
    atexit.register(cluster.stop)   # a session torn down abnormally still leaves nothing behind
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def pg_url(pg_cluster):
    """A fresh, empty database for this test: its URL, postgresql://postgres@127.0.0.1:PORT/t_…
    (the superuser; trust authentication). Dropped afterwards, connections or not."""
    name = pg_cluster.create_database()
    try:
        yield pg_cluster.url(name)
    finally:
        pg_cluster.drop_database(name)


@pytest.fixture
def pg_reader(pg_cluster, pg_url):
    """``pg_reader()`` → the URL of a new login role that may only read ``pg_url``'s database
    (SELECT on its tables, now and later; no writes, no CREATE): a read-only official."""
    dbname = pg_url.rsplit("/", 1)[1]
    made: list[str] = []

    def make() -> str:
        made.append(pg_cluster.create_reader(dbname))
        return pg_cluster.url(dbname, user=made[-1])

    yield make
    for role in made:
        pg_cluster.drop_role(role, dbname)
