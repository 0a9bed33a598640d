"""A command's own peak memory and time, measured in a fresh process.

A child started by fork or vfork inherits its parent's peak memory at exec: Linux keeps the
larger high-water mark in the process's rusage, so ``os.wait4`` on a command started from a
pytest worker that has grown to 300 MiB reports at least 300 MiB, whatever the command used.
The command is therefore started by a small launcher process, and the launcher's ``wait4`` of
its own child is the command's own peak."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

_LAUNCH = """import os, subprocess, sys
with open(sys.argv[2], "wb") as out, open(sys.argv[3], "wb") as err:
    child = subprocess.Popen(sys.argv[4:], stdout=out, stderr=err, stdin=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
with open(sys.argv[1], "w") as fh:
    fh.write(f"{os.waitstatus_to_exitcode(status)} {usage.ru_maxrss}")
"""


class Measured:
    """What a measured command did: exit code (negative: killed by that signal), output,
    peak resident memory in MiB and wall seconds."""

    def __init__(self, code: int, out: str, err: str, rss_mb: float, seconds: float):
        self.code, self.out, self.err, self.rss_mb, self.seconds = code, out, err, rss_mb, seconds


def run_measured(cmd: list[str], *, env: dict[str, str], workdir: Path,
                 timeout: float) -> Measured:
    """Run ``cmd`` (stdin empty, output to files under ``workdir``); killed with its launcher
    after ``timeout`` seconds (then the code is -9)."""
    stamp = time.monotonic_ns()
    res, out_f, err_f = (workdir / f"{kind}-{stamp}" for kind in ("res", "out", "err"))
    t0 = time.perf_counter()
    launcher = subprocess.Popen([sys.executable, "-c", _LAUNCH, str(res), str(out_f), str(err_f), *cmd],
                                env=env, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        launcher.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(launcher.pid, signal.SIGKILL)
        launcher.wait()
    seconds = time.perf_counter() - t0
    if res.exists():
        code_text, peak_kib = res.read_text().split()
        code, rss_mb = int(code_text), int(peak_kib) / 1024.0
    else:
        code, rss_mb = -signal.SIGKILL, float("nan")

    def text(path: Path) -> str:
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    return Measured(code, text(out_f), text(err_f), rss_mb, seconds)
