"""Faults between processes: ``kill -9`` of an import midway, and imports running at once.

Each child is the real CLI (``sferum_tui.cli.main``) in a real subprocess. To kill an import at
a known point rather than at a lucky moment, the child pauses where the test wants it (after the
first chunk of rows inside the transaction, or after the temp copy of the file is written) and
says so through a marker file; the parent then kills it or starts a rival.
"""

from __future__ import annotations

import gzip
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pytest

from sferum_tui.core.store import Store
from sferum_tui.core.store import db as store_mod

from filemaker import write_csv

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="kill -9 and fork semantics")

CHILD = r"""
import os, signal, sys, time
from pathlib import Path
# Ctrl-C raises KeyboardInterrupt in the child even when the suite runs as a background job
# (a shell starts those with SIGINT ignored, and the child would inherit that)
signal.signal(signal.SIGINT, signal.default_int_handler)
from sferum_tui.core.store import db as m

marker = Path(os.environ["STORE_TEST_MARKER"]) if os.environ.get("STORE_TEST_MARKER") else None
where = os.environ.get("STORE_TEST_PAUSE", "")
pause = float(os.environ.get("STORE_TEST_PAUSE_S", "60"))
if where == "facts":          # inside the transaction, after the first chunk of rows
    original = m.Store._write_fact_chunk
    def chunk(self, con, snap_id, rows, _n=[0]):
        if _n[0] == 0:   # a tiny page cache, so the transaction spills pages into the WAL
            con.execute("PRAGMA cache_size = 8")
        original(self, con, snap_id, rows)
        _n[0] += 1
        if _n[0] == 1:
            marker.write_text("in transaction")
            time.sleep(pause)
    m.Store._write_fact_chunk = chunk
elif where == "blob":         # the temp copy of the file is written, not yet renamed
    real_fsync = os.fsync
    def fsync(fd):
        real_fsync(fd)
        if not marker.exists():
            marker.write_text("temp blob written")
            time.sleep(pause)
    os.fsync = fsync
from sferum_tui.cli import main
sys.exit(main(sys.argv[1:]))
"""

HEAD = ["Субъект РФ", "Муниципалитет", "ИНН", "Наименование ОО", "Статус", "Пользователи", "Классы",
        "Учителя", "Учителя, написавшие более 3 сообщений"]


def big_week(path: Path, start: date, n: int, seed: int = 0, first: int = 0) -> Path:
    """A generated weekly file of ``n`` organisations (more than one chunk of rows); ``first``:
    the number of the first organisation (files of other municipalities do not overlap)."""
    end = start + timedelta(days=6)
    rows: list[list] = [[f"Мониторинг за период с {start:%d.%m.%Y} по {end:%d.%m.%Y}"], HEAD]
    for i in range(first, first + n):
        users = (i * 37 + seed) % 900
        rows.append([f"Регион {i % 7}", f"Район {i % 40}", f"{1_000_000_000 + i * 7:010d}",
                     f"МБОУ «СОШ №{i}»", "Активна" if users > 2 else "Не активна", users,
                     (i + seed) % 30, 10 + i % 50, (i + seed) % 10])
    return write_csv(path, rows)


def child(home: Path, *args, marker: Path | None = None, pause: str = "", pause_s: float = 60):
    env = dict(os.environ)
    env.update(STORE_TEST_MARKER=str(marker or ""), STORE_TEST_PAUSE=pause,
               STORE_TEST_PAUSE_S=str(pause_s), SFERUM_TUI_LANG="ru")
    return subprocess.Popen([sys.executable, "-c", CHILD, "--home", str(home), *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def wait_for(marker: Path, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not marker.exists():
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"child ended before the pause point: {proc.returncode}\n{out}\n{err}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("child never reached the pause point")
        time.sleep(0.02)


def tables(dump: dict) -> dict:
    return {k: v for k, v in dump.items() if k != "blobs"}


def unnamed_files(home: Path) -> list[str]:
    """Files under blobs/ that no snapshot or registry names (orphans, temp parts)."""
    con = sqlite3.connect(home / "store.sqlite")
    named = {r for (r,) in con.execute("SELECT blob FROM snapshots UNION SELECT blob FROM registries "
                                       "UNION SELECT blob FROM snapshot_files")}
    con.close()
    return sorted(str(p.relative_to(home)) for p in (home / "blobs").rglob("*")
                  if p.is_file() and str(p.relative_to(home)) not in named)


W1, W2, W3 = date(2023, 4, 15), date(2023, 4, 22), date(2023, 4, 29)
N = store_mod.FACT_CHUNK + 500


def test_kill_9_inside_the_transaction_leaves_the_store_as_it_was(tmp_path, store_dump):
    home = tmp_path / "home"
    with Store(home) as s:
        s.import_file(big_week(tmp_path / "w1.csv", W1, 300))
    before = store_dump(home)
    f2 = big_week(tmp_path / "w2.csv", W2, N)
    marker = tmp_path / "marker"
    proc = child(home, "import", f2, marker=marker, pause="facts")
    wait_for(marker, proc)
    # the child holds the write lock, half of its rows already in the WAL (uncommitted)
    assert Path(str(home / "store.sqlite") + "-wal").stat().st_size > 0
    probe = sqlite3.connect(home / "store.sqlite", timeout=0)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        probe.execute("BEGIN IMMEDIATE")
    probe.close()
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    after = store_dump(home)
    assert tables(after) == tables(before)
    extra = set(after["blobs"]) - set(before["blobs"])   # at most the complete copy of w2.csv
    assert all(not Path(p).name.startswith(".tmp-") for p, _ in extra)
    with Store(home) as s:
        assert s.integrity_check() == "ok"
        assert [x.period_start for x in s.snapshots()] == [W1]
        out = s.import_file(f2)                              # the same file imports cleanly later
        assert out.status == "imported" and out.snapshot.rows == N
        assert len(s.week_frame(out.snapshot.id)) == N


def test_kill_9_inside_a_merge_leaves_the_week_as_it_was(tmp_path, store_dump):
    """``import --add``: another municipality's file joins a week held; killed after the first
    chunk of the merged week's rows, the store still holds the week as it was."""
    home = tmp_path / "home"
    with Store(home) as s:
        s.import_file(big_week(tmp_path / "w1.csv", W1, 300))
    before = store_dump(home)
    other = big_week(tmp_path / "w1-other.csv", W1, N, first=10_000)
    marker = tmp_path / "marker"
    proc = child(home, "import", "--add", other, marker=marker, pause="facts")
    wait_for(marker, proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    after = store_dump(home)
    assert tables(after) == tables(before)
    with Store(home) as s:
        assert s.integrity_check() == "ok"
        (week,) = s.snapshots(include_superseded=True)
        assert week.rows == 300 and [f.source_name for f in week.files] == ["w1.csv"]
        out = s.add_files([other])                          # the same merge succeeds later
        assert out.status == "merged" and out.snapshot.rows == 300 + N
        assert [f.source_name for f in out.snapshot.files] == ["w1.csv", "w1-other.csv"]
        assert len(s.week_frame(out.snapshot.id)) == 300 + N
    assert unnamed_files(home) == []


def test_the_copy_left_by_a_kill_9_mid_import_is_swept_by_the_next_import(tmp_path):
    home = tmp_path / "home"
    with Store(home) as s:
        s.import_file(big_week(tmp_path / "w1.csv", W1, 300))
    f2 = big_week(tmp_path / "w2.csv", W2, N)
    marker = tmp_path / "marker"
    proc = child(home, "import", f2, marker=marker, pause="facts")
    wait_for(marker, proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    orphans = unnamed_files(home)
    assert len(orphans) == 1 and orphans[0].endswith(".csv.gz")   # w2's copy, no row names it
    proc = child(home, "import", big_week(tmp_path / "w3.csv", W3, 100))
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert unnamed_files(home) == []
    with Store(home) as s:
        assert [x.period_start for x in s.snapshots()] == [W1, W3]
        assert all(x.blob_path.exists() for x in s.snapshots())


def test_ctrl_c_mid_import_leaves_the_store_and_its_files_as_they_were(tmp_path, store_dump):
    home = tmp_path / "home"
    with Store(home) as s:
        s.import_file(big_week(tmp_path / "w1.csv", W1, 50))
    before = store_dump(home)
    marker = tmp_path / "marker"
    proc = child(home, "import", big_week(tmp_path / "w2.csv", W2, N), marker=marker, pause="facts")
    wait_for(marker, proc)
    assert unnamed_files(home) != []           # the copy is written inside the transaction
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130 and "Прервано" in err and "Traceback" not in err
    assert store_dump(home) == before           # no row, and the copy it made is gone again
    assert unnamed_files(home) == []


def test_kill_9_while_the_file_copy_is_written_is_harmless(tmp_path, store_dump):
    home = tmp_path / "home"
    with Store(home) as s:
        s.import_file(big_week(tmp_path / "w1.csv", W1, 50))
    before = store_dump(home)
    f2 = big_week(tmp_path / "w2.csv", W2, 200)
    marker = tmp_path / "marker"
    proc = child(home, "import", f2, marker=marker, pause="blob")
    wait_for(marker, proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    after = store_dump(home)
    assert tables(after) == tables(before)
    leftovers = [p for p, _ in set(after["blobs"]) - set(before["blobs"])]
    assert leftovers and all(Path(p).name.startswith(".tmp-") for p in leftovers)
    proc = child(home, "import", f2)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert unnamed_files(home) == []        # the temp part is swept, however young
    with Store(home) as s:
        snap = s.snapshots()[-1]
        assert snap.period_start == W2 and gzip.decompress(snap.blob_path.read_bytes()) == f2.read_bytes()


def test_two_imports_into_a_new_store_at_once_both_succeed(tmp_path):
    home = tmp_path / "home"
    files = [big_week(tmp_path / f"w{i}.csv", d, 2000, seed=i) for i, d in enumerate((W1, W2))]
    procs = [child(home, "import", f) for f in files]
    results = [p.communicate(timeout=120) for p in procs]
    for p, (out, err) in zip(procs, results):
        assert p.returncode == 0, err
        assert "импортирована неделя" in out
    with Store(home) as s:
        assert s.integrity_check() == "ok"
        snaps = s.snapshots()
        assert [x.period_start for x in snaps] == [W1, W2]
        assert len(s.orgs()) == 2000                       # one identity per school, not two
        assert all(len(s.week_frame(x.id)) == 2000 for x in snaps)


def test_a_second_import_waits_for_the_first(tmp_path):
    home = tmp_path / "home"
    f1 = big_week(tmp_path / "w1.csv", W1, N)
    f2 = big_week(tmp_path / "w2.csv", W2, 500)
    f1b = big_week(tmp_path / "w1b.csv", W1, 500, seed=5)   # another file for the held week
    marker = tmp_path / "marker"
    first = child(home, "import", f1, marker=marker, pause="facts", pause_s=1.0)
    wait_for(marker, first)
    started = time.monotonic()
    second = child(home, "import", f2, f1b)
    out2, err2 = second.communicate(timeout=120)
    waited = time.monotonic() - started
    out1, err1 = first.communicate(timeout=120)
    assert first.returncode == 0, err1
    assert "импортирована неделя 15.04–21.04.2023" in out1
    # the rival waited for the lock instead of failing, then imported its own week and refused
    # a second file for the week the first process had just stored
    assert second.returncode == 1
    assert "импортирована неделя 22.04–28.04.2023" in out2
    assert "w1b.csv" in err2 and "--replace" in err2 and err2.count("\n") == 1
    assert waited >= 0.3
    with Store(home) as s:
        assert s.integrity_check() == "ok"
        assert [(x.period_start, x.source_name) for x in s.snapshots()] == [(W1, "w1.csv"), (W2, "w2.csv")]
