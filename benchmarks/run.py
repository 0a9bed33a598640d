"""Run every benchmark in turn and print their tables.

    python benchmarks/run.py            # all of them, default sizes (country scale; long)
    python benchmarks/run.py reader     # just one (reader, indicators, table, console)

Each script measures in one run both our way and the baseline it is compared against (pandas'
default reader, the naive whole-history query, Textual's DataTable, textual-fastdatatable), so
the ratios hold even on a shared, noisy machine. Medians are quoted. Generated data and stores
are kept under benchmarks/_work/ and reused by later runs.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = {
    "reader": ["bench_reader.py", "--full"],
    "csv": ["bench_csv.py"],
    "indicators": ["bench_indicators.py"],
    "table": ["bench_table.py"],
    "console": ["bench_console.py"],
}


def main(argv: list[str]) -> int:
    chosen = argv or list(SCRIPTS)
    unknown = [name for name in chosen if name not in SCRIPTS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(SCRIPTS)}", file=sys.stderr)
        return 2
    status = 0
    for name in chosen:
        script, *args = SCRIPTS[name]
        print(f"\n=== {name}: {script} {' '.join(args)}", flush=True)
        t0 = time.perf_counter()
        rc = subprocess.call([sys.executable, str(HERE / script), *args])
        print(f"=== {name}: exit {rc}, {time.perf_counter() - t0:.0f} s", flush=True)
        status = status or rc
    return status


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
