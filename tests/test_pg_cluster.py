"""The tests' own PostgreSQL (tests/pg_support.py, fixtures in conftest.py) works the way the
PostgreSQL store's tests rely on: a real server, a fresh empty database per test, a read-only
role that really cannot write, never running as root — and no server means a failing test,
never a skipped one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from psycopg import errors

TESTS = Path(__file__).parent


def test_a_real_server_holds_utf8_text(pg_url):
    with psycopg.connect(pg_url, autocommit=True) as con:
        assert con.execute("SHOW server_encoding").fetchone()[0] == "UTF8"
        con.execute("CREATE TABLE schools (id integer PRIMARY KEY, name text NOT NULL,"
                    " copy bytea)")
        con.execute("INSERT INTO schools VALUES (1, %s, %s)", ("МБОУ «СОШ № 1» — Ёлкино", b"\x00\xff"))
        assert con.execute("SELECT name, copy, upper(name) FROM schools").fetchone() == (
            "МБОУ «СОШ № 1» — Ёлкино", b"\x00\xff", "МБОУ «СОШ № 1» — ЁЛКИНО")


@pytest.mark.parametrize("run", [1, 2])
def test_each_test_gets_its_own_empty_database(pg_cluster, pg_url, run):
    # the same table created in every run: a database shared between tests would refuse it
    with psycopg.connect(pg_url, autocommit=True) as con:
        assert con.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
                           ).fetchone()[0] == 0
        con.execute("CREATE TABLE weeks (week date PRIMARY KEY)")
        con.execute("INSERT INTO weeks VALUES ('2026-12-04')")
    # the tests before this one (in this worker) dropped their databases
    with pg_cluster.connect() as con:
        names = [r[0] for r in con.execute(
            r"SELECT datname FROM pg_database WHERE datname LIKE 't\_%' ORDER BY datname")]
    assert names == [pg_url.rsplit("/", 1)[1]]


def test_two_databases_do_not_see_each_other(pg_cluster, pg_url):
    other = pg_cluster.create_database()
    try:
        with psycopg.connect(pg_url, autocommit=True) as one, \
                pg_cluster.connect(other) as two:
            one.execute("CREATE TABLE marks (school text)")
            one.execute("INSERT INTO marks VALUES ('a')")
            with pytest.raises(errors.UndefinedTable):
                two.execute("SELECT * FROM marks")
    finally:
        pg_cluster.drop_database(other)


def test_the_server_does_not_run_as_root(pg_cluster, pg_url):
    pid = pg_cluster.server_pid()
    proc = Path(f"/proc/{pid}")
    # the server insists on owning its data folder: that owner is who it runs as
    uid = proc.stat().st_uid if proc.exists() else pg_cluster.datadir.stat().st_uid
    assert uid != 0
    if os.geteuid() != 0:
        assert uid == os.geteuid()
    with psycopg.connect(pg_url) as con:
        assert con.execute("SELECT pg_backend_pid() <> %s", (pid,)).fetchone()[0]
    # started in a few seconds, not tens (measured: under a second on this machine)
    assert pg_cluster.startup_seconds < 15


def test_a_reader_reads_but_cannot_write(pg_url, pg_reader):
    with psycopg.connect(pg_url, autocommit=True) as owner:
        owner.execute("CREATE TABLE before_reader (n integer)")
        owner.execute("INSERT INTO before_reader VALUES (1)")
    reader_url = pg_reader()
    with psycopg.connect(pg_url, autocommit=True) as owner:   # made after the role: still readable
        owner.execute("CREATE TABLE after_reader (n integer)")
        owner.execute("INSERT INTO after_reader VALUES (2)")
    with psycopg.connect(reader_url, autocommit=True) as reader:
        assert reader.execute("SELECT current_user").fetchone()[0] != "postgres"
        assert not reader.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"
                                  ).fetchone()[0]
        assert reader.execute("SELECT n FROM before_reader").fetchall() == [(1,)]
        assert reader.execute("SELECT n FROM after_reader").fetchall() == [(2,)]
        for statement in ("INSERT INTO before_reader VALUES (3)", "DELETE FROM after_reader",
                          "UPDATE before_reader SET n = 0", "CREATE TABLE mine (n integer)"):
            with pytest.raises(errors.InsufficientPrivilege):
                reader.execute(statement)


def test_no_server_programs_fails_the_test_with_one_line(tmp_path):
    """Without initdb anywhere, a test asking for a database FAILS (an error at set-up, exit 1)
    and says what is missing; it is never skipped."""
    probe = tmp_path / "test_probe.py"
    probe.write_text("def test_needs_postgres(pg_url):\n    pass\n", encoding="utf-8")
    (tmp_path / "conftest.py").write_text(
        (TESTS / "conftest.py").read_text(encoding="utf-8"), encoding="utf-8")
    empty = tmp_path / "empty-path"
    empty.mkdir()
    nowhere = str(tmp_path / "none" / "*" / "bin")
    env = dict(os.environ, PATH=str(empty), SFERUM_TEST_PG_BINDIRS=nowhere,
               PYTHONPATH=os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]))
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "-p", "no:xdist", "-p", "no:randomly", "-rA", str(probe)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert "1 error" in out and "skipped" not in out, out
    assert ("no PostgreSQL server for the tests: PostgreSQL server programs not found: no"
            f" initdb/pg_ctl/postgres on PATH nor under {nowhere}") in out, out
