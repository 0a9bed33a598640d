"""Nothing from data or from the user's arguments reaches a terminal as a raw escape: the CLI's
standard output and error, when they are a terminal, lose C0/C1 controls (but line breaks and
tabs) and bidi overrides.  Run through a real pseudo-terminal."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals")

HOSTILE = "\x1b]0;pwned\x07\x1b[2J\u202eevil\x9b31m"


def run_in_pty(*argv: str, env: dict) -> bytes:
    """The bytes a terminal would receive from ``sferum-tui argv``."""
    main, child = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "sferum_tui", *argv], stdin=child,
                            stdout=child, stderr=child, env=env, close_fds=True)
    os.close(child)
    out = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:            # EIO: the child closed its side
            break
        if not chunk:
            break
        out += chunk
    proc.wait(timeout=60)
    os.close(main)
    return out


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict:
    """A demo store (district scale) under a private home."""
    root = tmp_path_factory.mktemp("tty")
    env = dict(os.environ, HOME=str(root), XDG_DATA_HOME=str(root / "data"),
               XDG_CONFIG_HOME=str(root / "config"), XDG_CACHE_HOME=str(root / "cache"),
               SFERUM_TUI_LANG="en")
    env.pop("SFERUM_TUI_HOME", None)
    done = subprocess.run([sys.executable, "-m", "sferum_tui", "demo", "--scale", "district",
                           "--no-open"], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    return env


def test_an_argument_with_escapes_is_shown_without_them(env):
    out = run_in_pty("--demo", "schools", "--week", HOSTILE, env=env)
    text = out.decode("utf-8", "replace")
    assert "sferum-tui: week" in text and "pwned" in text   # the one-line error, naming it …
    assert "\x1b" not in text and "\x07" not in text        # … with no escape from it
    assert "\u202e" not in text and "\x9b" not in text


def test_a_pipe_gets_the_bytes_unchanged(env):
    """Only a terminal is guarded: what goes to a pipe or a file is written as it is."""
    done = subprocess.run([sys.executable, "-m", "sferum_tui", "--demo", "schools", "--week",
                           "x\ty"], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 1 and "x\ty" in done.stderr
