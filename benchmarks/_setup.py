"""Shared set-up of the benchmark scripts.

``run_child(args)``: seconds, peak memory and CPU time of a command in a fresh process.

``compile_package()``: write the package's bytecode (``__pycache__``) before timing processes.
An installed package has it (``pip install`` compiles, and Python writes it on the first run),
but an editable checkout run with ``PYTHONDONTWRITEBYTECODE=1`` (as on the CI machines) would
otherwise compile every module from source in every timed process — ~60–100 ms of each start
that no user pays twice.  The script says when it did this.
"""

from __future__ import annotations

import compileall
import os
import subprocess
import sys
import tempfile
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "sferum_tui"


def compile_package() -> None:
    ok = compileall.compile_dir(str(PACKAGE), quiet=1)
    print(f"bytecode of {PACKAGE.name}/ written (as an installed package has it)"
          + ("" if ok else " — some modules failed to compile"), flush=True)


# A child started by fork or vfork inherits its parent's peak memory at exec (Linux keeps the
# larger high-water mark in the process's rusage), and a benchmark script grows as it generates
# files and measures in-process; so each measured command is started by a small launcher,
# whose own child's peak is the command's own.
_LAUNCH = """import os, subprocess, sys, time
t0 = time.perf_counter()
child = subprocess.Popen(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
err = child.stderr.read()
_, status, usage = os.wait4(child.pid, 0)
elapsed = time.perf_counter() - t0
with open(sys.argv[1], "w") as fh:
    fh.write(f"{os.waitstatus_to_exitcode(status)} {elapsed} {usage.ru_maxrss} {usage.ru_utime + usage.ru_stime}\\n"
             + err.decode(errors="replace"))
"""


def run_child(args: list[str], env: dict[str, str] | None = None) -> tuple[float, float, float]:
    """(seconds, peak RSS MiB, CPU seconds) of a command that must succeed, in a fresh process
    started from a small launcher (see above)."""
    fd, name = tempfile.mkstemp(prefix="child-", suffix=".txt")
    os.close(fd)
    res = Path(name)
    try:
        subprocess.run([sys.executable, "-c", _LAUNCH, str(res), *args], check=True, env=env)
        first, _, err = res.read_text().partition("\n")
    finally:
        res.unlink(missing_ok=True)
    code, elapsed, peak, cpu = first.split()
    if code != "0":
        raise SystemExit(f"child failed ({code}): {' '.join(args)}\n{err}")
    return float(elapsed), int(peak) / 1024.0, float(cpu)
