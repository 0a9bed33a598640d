"""Shared set-up of the benchmark scripts.

``compile_package()``: write the package's bytecode (``__pycache__``) before timing processes.
An installed package has it (``pip install`` compiles, and Python writes it on the first run),
but an editable checkout run with ``PYTHONDONTWRITEBYTECODE=1`` (as on the CI machines) would
otherwise compile every module from source in every timed process — ~60–100 ms of each start
that no user pays twice.  The script says when it did this.
"""

from __future__ import annotations

import compileall
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "sferum_tui"


def compile_package() -> None:
    ok = compileall.compile_dir(str(PACKAGE), quiet=1)
    print(f"bytecode of {PACKAGE.name}/ written (as an installed package has it)"
          + ("" if ok else " — some modules failed to compile"), flush=True)
