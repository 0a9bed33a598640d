"""A data folder this account cannot write (``chmod -R a-w``, a folder of another account).

The reads run through the real CLI (``sferum_tui.cli.main``) in a forked child that, when the
tests run as root (root ignores permissions), first becomes ``nobody``: the only way here to make
SQLite meet a folder where it cannot create the ``-shm`` file.  Every read command must print
exactly what it printed on the writable store; every write command must refuse in one line,
exit 1, and leave the store unchanged.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path

import pytest
from reader_support import as_reader, preload_console, run_cli
from reader_support import set_writable as _set_writable

from sferum_tui.core.store import Store

from store_support import W1, W2, WEEK, registry_file, week_file

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions and fork")

W3 = W2.replace(day=29)
INN = WEEK[0][1]


@pytest.fixture(scope="module")
def world():
    """A folder every account can reach (pytest's tmp folders are private to root)."""
    base = Path(tempfile.mkdtemp(prefix="sferum-ro-", dir="/tmp"))
    base.chmod(0o755)
    out = base / "out"
    out.mkdir()
    out.chmod(0o1777)
    yield base
    for p in (base / "home", base / "home2"):
        if p.exists():
            _set_writable(p, True)
    shutil.rmtree(base, ignore_errors=True)


READS = [
    ["weeks"], ["weeks", "--json"], ["summary"],
    ["schools"], ["schools", "--format", "json"], ["schools", "--inactive"],
    ["history", INN], ["history", INN, "--format", "json"], ["changes"],
    ["registry", "show"], ["registry", "missing"], ["shortlist", "list"],
    ["shortlist", "show", "Рассылка"],
]


@pytest.fixture(scope="module")
def ro_store(world):
    """Two weeks, a registry and a shortlist; the reads' output on the writable store; then
    the folder made read-only."""
    home = world / "home"
    files = [week_file(world / "w1.csv", W1), week_file(world / "w2.csv", W2)]
    reg = registry_file(world / "reg.csv", [(INN, "МКОУ Александрийская СОШ", "Кизлярский район", 45, "школа")])
    assert run_cli("--home", home, "import", *files)[0] == 0
    assert run_cli("--home", home, "registry", "import", reg)[0] == 0
    assert run_cli("--home", home, "shortlist", "add", "Рассылка", INN)[0] == 0
    reference = {json.dumps(c): run_cli("--home", home, *c) for c in READS}
    assert all(r[0] == 0 for r in reference.values()), {k: v for k, v in reference.items() if v[0]}
    assert run_cli("--home", home, "export", "--format", "csv", "-o", world / "out" / "ref.csv")[0] == 0
    gc.collect()        # a command that leaves its Store to the garbage collector (as a
    # short-lived process may) keeps the store open, and its -shm, until then
    with Store(home) as s, s.transaction() as con:     # the reader computes the flags again
        assert con.execute("DELETE FROM ind_week_flags").rowcount > 0   # and cannot cache them
        # and reads the weeks from the facts (the writable reads made and used the copies)
        assert con.execute("DELETE FROM snapshot_columns").rowcount > 0
    _set_writable(home, False)
    assert not Path(str(home / "store.sqlite") + "-shm").exists()
    return home, reference


def test_read_commands_print_the_same_as_on_a_writable_store(ro_store, world, store_dump):
    home, reference = ro_store
    before = store_dump(home)

    def reads():
        store = Store(home)
        flags = [store.read_only]
        got = {json.dumps(c): run_cli("--home", home, *c) for c in READS}
        got["export"] = run_cli("--home", home, "export", "--format", "csv", "-o",
                                world / "out" / "ro.csv")
        got["inspect"] = run_cli("--home", home, "inspect", world / "w1.csv")
        return flags, got

    flags, got = as_reader(reads)
    assert flags == [True]
    for key, ref in reference.items():
        assert got[key] == ref, key
    assert got["export"][0] == 0, got["export"]
    assert (world / "out" / "ro.csv").read_bytes() == (world / "out" / "ref.csv").read_bytes()
    assert got["inspect"][0] == 0 and got["inspect"][2] == ""
    assert store_dump(home) == before
    leftovers = [p.name for p in home.iterdir()]
    assert sorted(leftovers) == ["blobs", "store.sqlite"]


WRITES = [
    ["import", "{w3}"], ["import", "{w3}", "{w1}"], ["registry", "import", "{reg}"],
    ["shortlist", "add", "Рассылка", WEEK[2][1]], ["shortlist", "clear", "Рассылка"],
    ["fetch", "http://127.0.0.1:9/w.xlsx"],
]


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_write_commands_refuse_in_one_line(ro_store, world, lang, store_dump):
    home, _ = ro_store
    w3 = week_file(world / f"w3-{lang}.csv", W3)
    reg = registry_file(world / f"reg2-{lang}.csv", [(INN, "Другая", "Район", 1, "школа")])
    before = store_dump(home)

    def writes():
        out = []
        for cmd in WRITES:
            argv = [a.format(w3=w3, w1=world / "w1.csv", reg=reg) for a in cmd]
            out.append(run_cli("--home", home, "--lang", lang, *argv))
        return out

    results = as_reader(writes)
    expected = ("доступно только для чтения" if lang == "ru" else "is read-only")
    for cmd, (code, out, err) in zip(WRITES, results, strict=True):
        assert code == 1, (cmd, out, err)
        assert out == "" and err.count("\n") == 1 and expected in err and str(home) in err, (cmd, err)
        assert "Traceback" not in err
    assert store_dump(home) == before


@pytest.mark.parametrize("writer_open", [False, True], ids=["no-writer-open", "writer-open"])
def test_a_week_imported_by_the_owner_appears_for_the_reader(world, writer_open):
    """The owner (another account) imports while a read-only reader has the store open: the
    reader's next query sees the new week, whether it opened through the owner's WAL (the
    owner had the store open) or as an immutable file (nobody had it open)."""
    home = world / "home2"
    shutil.rmtree(home, ignore_errors=True)
    with Store(home) as s:
        s.import_file(week_file(world / "a1.csv", W1))
    _set_writable(home, False)
    owner = Store(home)
    if writer_open:
        owner.snapshots()               # the owner's console is open: its -shm is there
    w2 = week_file(world / "a2.csv", W2)
    go_r, go_w = os.pipe()
    seen_r, seen_w = os.pipe()

    def reader():
        os.close(go_w)
        os.close(seen_r)
        with Store(home) as s:
            first = [x.period_start.isoformat() for x in s.snapshots()]
            mode = s._local.mode
            os.write(seen_w, b"1")
            os.read(go_r, 1)            # the owner imports now
            second = [x.period_start.isoformat() for x in s.snapshots()]
            rows = len(s.week_frame(s.snapshots()[-1].id))
        return first, second, mode, rows

    result: dict = {}

    def owner_imports():
        os.read(seen_r, 1)
        if os.geteuid() != 0:
            _set_writable(home, True)
        owner.import_file(w2)
        if not writer_open:
            owner.close()
        os.write(go_w, b"1")

    t = threading.Thread(target=owner_imports)
    t.start()
    try:
        result["r"] = as_reader(reader)
    finally:
        t.join(timeout=60)
        owner.close()
        for fd in (go_r, go_w, seen_r, seen_w):
            with contextlib.suppress(OSError):
                os.close(fd)
    first, second, mode, rows = result["r"]
    assert first == [W1.isoformat()]
    assert second == [W1.isoformat(), W2.isoformat()]
    assert rows == len(WEEK)
    if os.geteuid() == 0:
        assert mode == ("ro" if writer_open else "immutable")


def _console_session(home: Path) -> list:
    """Open the console on ``home`` headless: (notifications, organisations in the table)."""
    import asyncio

    from sferum_tui.cli import Context
    from sferum_tui.core.paths import resolve_paths
    from sferum_tui.tui.app import make_app
    from sferum_tui.tui.main_screen import MainScreen

    async def session():
        ctx = Context(paths=resolve_paths(str(home)), lang="ru", demo=False, config_path=None,
                      theme=None, home_arg=str(home))
        app = make_app(ctx)
        async with app.run_test(size=(120, 40)) as pilot:
            for _ in range(500):
                if isinstance(app.screen, MainScreen) and app.screen.ready:
                    break
                await pilot.pause(0.02)
            await pilot.pause()
            return [[n.message for n in app._notifications], app.screen.table.row_count]

    return asyncio.run(session())


def test_the_console_opens_with_a_read_only_notice(ro_store, world):
    home, _ = ro_store
    notices, rows = _console_session(home)          # as the owner (and to load the modules)
    assert not any("только для чтения" in n for n in notices)
    notices, ro_rows = as_reader(_console_session, home)
    assert any("Хранилище только для чтения" in n for n in notices), notices
    assert ro_rows == rows > 0
    assert Store(home.parent / "no-such-home").read_only is False


def _console_import_attempt(home: Path) -> list:
    """Open the console on ``home`` headless and press ctrl+o (open and import a file): the
    notices, and the screen on top afterwards."""
    import asyncio

    from sferum_tui.cli import Context
    from sferum_tui.core.paths import resolve_paths
    from sferum_tui.tui.app import make_app
    from sferum_tui.tui.main_screen import MainScreen

    async def session():
        ctx = Context(paths=resolve_paths(str(home)), lang="ru", demo=False, config_path=None,
                      theme=None, home_arg=str(home))
        app = make_app(ctx, ui_state=False)
        async with app.run_test(size=(80, 24)) as pilot:
            for _ in range(500):
                if isinstance(app.screen, MainScreen) and app.screen.ready:
                    break
                await pilot.pause(0.02)
            await pilot.press("ctrl+o")
            await pilot.pause(0.1)
            return [[n.message for n in app._notifications], type(app.screen).__name__]

    return asyncio.run(session())


def test_the_console_import_says_the_store_is_read_only(ro_store, world, store_dump):
    home, _ = ro_store
    before = store_dump(home)
    preload_console()
    notices, screen = as_reader(_console_import_attempt, home)
    assert screen == "MainScreen"                   # no file picker for a store it cannot write
    assert any("только для чтения: импорт невозможен" in n for n in notices), notices
    assert store_dump(home) == before
