"""A throwaway PostgreSQL cluster for the tests (issue 13): real ``initdb`` + ``pg_ctl``, no mocks.

:func:`start_cluster` finds the server programs (``initdb`` on ``PATH``, else the newest
``/usr/lib/postgresql/*/bin``), runs ``initdb`` into a fresh temporary folder (trust
authentication, UTF8, superuser ``postgres``) and starts the server on 127.0.0.1 at a free port,
with its Unix socket in the same folder and durability switched off (``fsync``,
``synchronous_commit``, ``full_page_writes``): the cluster lives for one test session only.

PostgreSQL refuses to run as root, so when the tests run as root the programs run as the
``postgres`` OS user (``runuser -u postgres --``, else ``su``) and the folder is handed to it.

Anything missing (no programs, no ``postgres`` user to run as, a start that fails) raises
:class:`ClusterUnavailable` with one line that says what; the fixtures in ``conftest.py`` turn
it into a test *failure* — the issue says a test that cannot get a server fails, it does not skip.

The fixtures (``conftest.py``): ``pg_cluster`` (session: one cluster per xdist worker),
``pg_url`` (a fresh empty database per test, dropped afterwards) and ``pg_reader`` (a login role
that may only read one database's tables, for the read-only reader tests).
"""

from __future__ import annotations

import glob
import os
import re
import secrets
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

SUPERUSER = "postgres"      # the cluster's superuser role (initdb -U)
OS_USER = "postgres"        # the OS account the server runs as when the tests run as root
HOST = "127.0.0.1"
# where distributions keep the server programs when they are not on PATH (Debian/Ubuntu; the
# RPM packages put them on PATH); .ci/run looks in the same places before it installs them
DEFAULT_BINDIRS = "/usr/lib/postgresql/*/bin"
BINDIRS_ENV = "SFERUM_TEST_PG_BINDIRS"
START_TIMEOUT = 30          # seconds pg_ctl waits for the server to accept connections
# Throwaway: nothing is ever recovered after a crash, so never wait for the disk.
SERVER_SETTINGS = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"

_SAFE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class ClusterUnavailable(RuntimeError):
    """No PostgreSQL server could be started; the message is one line saying what was missing."""


def find_bindir() -> Path | None:
    """The folder holding ``initdb``, ``pg_ctl`` and ``postgres``: where ``initdb`` on ``PATH``
    really lives (Debian puts symlinks or wrappers on ``PATH``), else the newest
    ``/usr/lib/postgresql/<version>/bin`` (``$SFERUM_TEST_PG_BINDIRS``, glob patterns separated
    by ``os.pathsep``, replaces that list); ``None`` when there is none."""
    candidates: list[Path] = []
    on_path = shutil.which("initdb")
    if on_path:
        candidates += [Path(on_path).resolve().parent, Path(on_path).parent]

    def version(path: str) -> tuple[int, ...]:
        digits = re.findall(r"\d+", Path(path).parent.name)
        return tuple(int(d) for d in digits)

    found = [p for pattern in _bindir_patterns() for p in glob.glob(pattern)]
    candidates += [Path(p) for p in sorted(found, key=version, reverse=True)]
    for folder in candidates:
        if all(os.access(folder / name, os.X_OK) for name in ("initdb", "pg_ctl", "postgres")):
            return folder
    return None


def _bindir_patterns() -> list[str]:
    return [p for p in os.environ.get(BINDIRS_ENV, DEFAULT_BINDIRS).split(os.pathsep) if p]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _as_server_user() -> tuple[list[str], int | None, int | None]:
    """The command prefix that runs a program as the server's OS user, and that user's uid/gid
    (``None`` when no switch is needed: the tests do not run as root)."""
    if os.name != "posix" or os.geteuid() != 0:
        return [], None, None
    import pwd

    try:
        entry = pwd.getpwnam(OS_USER)
    except KeyError:
        raise ClusterUnavailable(
            f"PostgreSQL refuses to run as root and there is no {OS_USER!r} OS user to run it as"
            " (install the postgresql package, or run the tests as an ordinary user)") from None
    runuser = shutil.which("runuser") or ("/usr/sbin/runuser" if os.path.exists("/usr/sbin/runuser")
                                          else None)
    if runuser:
        return [runuser, "-u", OS_USER, "--"], entry.pw_uid, entry.pw_gid
    if shutil.which("su"):
        # su wants one shell command line; the callers quote their arguments (shlex) below
        return ["su", OS_USER, "-s", "/bin/sh", "-c"], entry.pw_uid, entry.pw_gid
    raise ClusterUnavailable(
        f"PostgreSQL refuses to run as root and neither runuser nor su can switch to {OS_USER!r}")


@dataclass
class Cluster:
    """A running throwaway cluster. ``url(db)`` is a libpq URL for a database in it."""

    root: Path
    bindir: Path
    port: int
    prefix: list[str]
    startup_seconds: float = 0.0
    host: str = HOST
    superuser: str = SUPERUSER
    _stopped: bool = field(default=False, repr=False)

    @property
    def datadir(self) -> Path:
        return self.root / "data"

    @property
    def sockdir(self) -> Path:
        return self.root / "sock"

    def url(self, dbname: str = "postgres", user: str | None = None) -> str:
        return f"postgresql://{user or self.superuser}@{self.host}:{self.port}/{dbname}"

    def connect(self, dbname: str = "postgres", user: str | None = None):
        """An autocommit psycopg connection (the caller closes it: ``with cluster.connect():``)."""
        import psycopg

        return psycopg.connect(self.url(dbname, user), autocommit=True, connect_timeout=10)

    def server_pid(self) -> int:
        """The postmaster's process id (first line of ``postmaster.pid``)."""
        return int((self.datadir / "postmaster.pid").read_text().split("\n", 1)[0])

    # -- databases and roles ------------------------------------------------------------------

    def create_database(self, name: str | None = None) -> str:
        name = name or "t_" + secrets.token_hex(6)
        _check_name(name)
        with self.connect() as con:
            con.execute(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0')
        return name

    def drop_database(self, name: str) -> None:
        _check_name(name)
        with self.connect() as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def create_reader(self, dbname: str, name: str | None = None) -> str:
        """A LOGIN role, not a superuser, that may connect to *dbname* and SELECT every table in
        its ``public`` schema: those there now and those the superuser creates later (default
        privileges). It cannot insert, update, delete or create. Returns the role's name.
        The same grants the README gives for the viewers' role."""
        name = name or "r_" + secrets.token_hex(6)
        _check_name(name)
        _check_name(dbname)
        with self.connect() as con:
            con.execute(f'CREATE ROLE "{name}" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE')
            con.execute(f'GRANT CONNECT ON DATABASE "{dbname}" TO "{name}"')
        with self.connect(dbname) as con:
            con.execute(f'GRANT USAGE ON SCHEMA public TO "{name}"')
            con.execute(f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{name}"')
            con.execute(f'ALTER DEFAULT PRIVILEGES FOR ROLE "{self.superuser}" IN SCHEMA public'
                        f' GRANT SELECT ON TABLES TO "{name}"')
        return name

    def drop_role(self, name: str, dbname: str | None = None) -> None:
        """Drop a role, first revoking what it was granted in *dbname* (if that still exists)."""
        _check_name(name)
        with self.connect() as con:
            exists = dbname and con.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                            (dbname,)).fetchone()
        if exists:
            with self.connect(dbname) as con:
                con.execute(f'DROP OWNED BY "{name}"')
        with self.connect() as con:
            con.execute(f'DROP ROLE IF EXISTS "{name}"')

    # -- life cycle ---------------------------------------------------------------------------

    def stop(self) -> None:
        """Stop the server at once (nothing here is worth a clean shutdown) and remove the folder.
        Safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        try:
            if (self.datadir / "postmaster.pid").exists():
                _run(self.prefix, [str(self.bindir / "pg_ctl"), "-D", str(self.datadir),
                                   "-m", "immediate", "-w", "-t", "30", "stop"],
                     cwd=self.root, check=False)
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def _check_name(name: str) -> None:
    if not _SAFE_NAME.fullmatch(name):
        raise ValueError(f"not a plain SQL name: {name!r}")


def _run(prefix: list[str], argv: list[str], *, cwd: Path, check: bool = True,
         timeout: float = 60) -> subprocess.CompletedProcess:
    if prefix and prefix[0] == "su":
        argv = [shlex.join(argv)]
    env = dict(os.environ, LC_ALL="C", LANG="C")
    env.pop("PGDATA", None)
    return subprocess.run(prefix + argv, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout, check=check)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"


def _locale() -> str:
    """C.UTF-8 where the system has it (UTF-8 aware lower/upper, code-point order), else C."""
    try:
        found = subprocess.run(["locale", "-a"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return "C"
    names = {line.strip().lower().replace("-", "") for line in found.splitlines()}
    return "C.UTF-8" if "c.utf8" in names else "C"


def start_cluster(attempts: int = 3) -> Cluster:
    """initdb + start a cluster; raise :class:`ClusterUnavailable` (one line) when that fails."""
    began = time.perf_counter()
    bindir = find_bindir()
    if bindir is None:
        raise ClusterUnavailable(
            "PostgreSQL server programs not found: no initdb/pg_ctl/postgres on PATH nor under"
            f" {' '.join(_bindir_patterns())} (install the postgresql package; .ci/run does it)")
    prefix, uid, gid = _as_server_user()
    # Not under pytest's basetemp: that folder is private to the test user (0700), and the
    # server's OS user must reach its data folder and socket.
    root = Path(tempfile.mkdtemp(prefix="sferum-pg-"))
    cluster: Cluster | None = None
    try:
        (root / "sock").mkdir()
        if uid is not None:
            for path in (root, root / "sock"):
                os.chown(path, uid, gid)
        datadir = root / "data"
        try:
            _run(prefix, [str(bindir / "initdb"), "-D", str(datadir), "-A", "trust", "-E", "UTF8",
                          f"--locale={_locale()}", "-U", SUPERUSER, "--no-sync",
                          "--no-instructions"], cwd=root)
        except subprocess.CalledProcessError as e:
            raise ClusterUnavailable(
                f"initdb ({bindir / 'initdb'}) failed: {_last_line(e.stderr or e.stdout)}") from None
        log = root / "server.log"
        failure = ""
        for _ in range(attempts):   # another worker may take the free port before we bind it
            port = _free_port()
            options = (f"-k {shlex.quote(str(root / 'sock'))} -c listen_addresses={HOST}"
                       f" -p {port} {SERVER_SETTINGS}")
            done = _run(prefix, [str(bindir / "pg_ctl"), "-D", str(datadir), "-l", str(log),
                                 "-w", "-t", str(START_TIMEOUT), "-o", options, "start"],
                        cwd=root, check=False, timeout=START_TIMEOUT + 10)
            if done.returncode == 0:
                cluster = Cluster(root=root, bindir=bindir, port=port, prefix=prefix,
                                  startup_seconds=time.perf_counter() - began)
                return cluster
            server_log = log.read_text(errors="replace") if log.exists() else ""
            failure = _last_line(server_log or done.stderr or done.stdout)
            if "already in use" not in server_log and "could not bind" not in server_log:
                break
        raise ClusterUnavailable(f"PostgreSQL server ({bindir / 'pg_ctl'}) did not start: {failure}")
    except subprocess.TimeoutExpired as e:
        program = next((Path(a).name for a in e.cmd if str(bindir) in a), "a server program")
        raise ClusterUnavailable(f"PostgreSQL: {program} timed out after {e.timeout:.0f} s")\
            from None
    except OSError as e:
        raise ClusterUnavailable(f"PostgreSQL cluster could not be set up in {root}: {e}") from None
    finally:
        if cluster is None:   # a server that came up too late must not outlive the tests
            Cluster(root=root, bindir=bindir, port=0, prefix=prefix).stop()
