"""Running the CLI as an account that cannot write a store (shared by the read-only tests).

``as_reader`` forks; the child, when the tests run as root (root ignores permissions), first
becomes ``nobody`` — the only way here to make SQLite meet a folder where it cannot create the
``-shm`` file."""

from __future__ import annotations

import contextlib
import io
import json
import os
import pwd
import stat
import traceback
from pathlib import Path

import pytest

from sferum_tui.cli import main


def _nobody() -> tuple[int, int] | None:
    try:
        entry = pwd.getpwnam("nobody")
    except KeyError:
        return None
    return entry.pw_uid, entry.pw_gid


def run_cli(*argv) -> list:
    """``[exit code, stdout, stderr]`` of one CLI run in this process."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in argv])
        except SystemExit as exc:
            code = exc.code
    return [code, out.getvalue(), err.getvalue()]


def as_reader(fn, *args):
    """``fn(*args)`` in a forked child running as an account that cannot write the folder
    (``nobody`` when we are root); its JSON-able result."""
    if os.geteuid() == 0 and _nobody() is None:
        pytest.skip("no 'nobody' account to drop root's permissions to")
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(r)
        try:
            if os.geteuid() == 0:
                uid, gid = _nobody()
                os.setgroups([])
                os.setgid(gid)
                os.setuid(uid)
            payload = {"ok": fn(*args)}
        except BaseException:
            payload = {"error": traceback.format_exc()}
        with os.fdopen(w, "w") as fh:
            json.dump(payload, fh)
        os._exit(0)
    os.close(w)
    with os.fdopen(r) as fh:
        data = fh.read()
    os.waitpid(pid, 0)
    payload = json.loads(data)
    assert "error" not in payload, payload.get("error")
    return payload["ok"]


def set_writable(root: Path, writable: bool) -> None:
    paths = [root, *root.rglob("*")]
    for p in paths:
        mode = p.stat().st_mode
        p.chmod(mode | stat.S_IWUSR if writable else mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))




def preload_console() -> None:
    """Import what the console needs before forking: as ``nobody`` the child cannot read a
    Python installed under /root (``tty``, imported by Textual's driver on first use)."""
    import textual.drivers.linux_driver  # noqa: F401

    import sferum_tui.tui.app  # noqa: F401
