"""Reader and store benchmark (issue 2, part 8).

Generates a country-scale week (≈40,000 organisations, the messy header style of the demo
data) as .xlsx and .csv, then measures, in the same run:

* ``sferum-tui inspect FILE`` end to end (a fresh process: start-up, read, report), and the
  reader alone in-process (``read_weekly``);
* ``pandas.read_excel(FILE)`` with its default engine (openpyxl) on the same .xlsx — the
  baseline the ratio is taken against;
* ``sferum-tui import FILE`` into a fresh store (a fresh process);
* peak resident memory of each child process (``os.wait4`` rusage, from a small launcher:
  ``_setup.run_child``);
* optionally (``--weeks N``, default 150 with ``--full``), the import of N national weeks
  into one store — total time and the store's size on disk.

Medians of ``--runs`` repetitions are quoted: the machine is shared and noisy.

    python benchmarks/bench_reader.py            # single-week figures (≈1 min)
    python benchmarks/bench_reader.py --full     # plus 150 national weeks (several minutes)
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / "_work" / "reader"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _setup import run_child  # noqa: E402

TARGETS = {
    "inspect xlsx (process)": 1.0,
    "inspect csv (process)": 0.3,
    "import 150 weeks": 300.0,
}


def median_of(fn, runs: int) -> tuple[float, float]:
    times, mems = [], []
    for _ in range(runs):
        t, m = fn()
        times.append(t)
        mems.append(m)
    return statistics.median(times), max(mems)


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "sferum_tui", *args]


def main() -> int:
    from _setup import compile_package

    compile_package()
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=40_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--full", action="store_true", help="also import --weeks national weeks into one store")
    ap.add_argument("--weeks", type=int, default=150)
    ap.add_argument("--pandas-runs", type=int, default=3)
    opts = ap.parse_args()

    from sferum_tui.core.demo import write_country_week

    WORK.mkdir(parents=True, exist_ok=True)
    files = {}
    for fmt in ("xlsx", "csv"):
        target = WORK / f"country_{opts.rows}.{fmt}"
        if not target.exists():
            t0 = time.perf_counter()
            path = write_country_week(WORK / "gen", fmt=fmt, seed=1, rows=opts.rows)
            shutil.move(str(path), target)
            print(f"generated {target.name} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        files[fmt] = target

    results: list[tuple[str, float, float, str]] = []  # name, seconds, peak MiB, note

    # reader in-process
    from sferum_tui.core.ingest.reader import read_weekly

    for fmt, path in files.items():
        times = []
        for _ in range(opts.runs):
            t0 = time.perf_counter()
            res = read_weekly(path)
            times.append(time.perf_counter() - t0)
        results.append((f"read_weekly {fmt} (in-process)", statistics.median(times), float("nan"),
                        f"{len(res.rows)} rows"))

    for fmt, path in files.items():
        t, m = median_of(lambda path=path: run_child(cli("inspect", str(path)))[:2], opts.runs)
        results.append((f"inspect {fmt} (process)", t, m, ""))
        t, m = median_of(lambda path=path: run_child(cli("inspect", "--json", str(path)))[:2],
                         opts.runs)
        results.append((f"inspect --json {fmt} (process)", t, m, ""))

    # baseline: pandas default engine, same file, same run
    code = ("import pandas as pd, sys, time; t=time.perf_counter(); "
            f"pd.read_excel({str(files['xlsx'])!r}, header=None); print(time.perf_counter()-t)")
    t, m = median_of(lambda: run_child([sys.executable, "-c", code])[:2], opts.pandas_runs)
    results.append(("pandas.read_excel xlsx (openpyxl, process)", t, m, "baseline"))
    code_csv = ("import io, pandas as pd; from sferum_tui.core.ingest.reader import _choose_delimiter; "
                f"data=open({str(files['csv'])!r},'rb').read(); text=data.decode('utf-8-sig'); "
                "pd.read_csv(io.StringIO(text), sep=_choose_delimiter(text), header=None, dtype=str, "
                "on_bad_lines='skip', engine='python')")
    t, m = median_of(lambda: run_child([sys.executable, "-c", code_csv])[:2], opts.pandas_runs)
    results.append(("pandas.read_csv csv (sniffing, process)", t, m, "baseline"))

    # import into a fresh store
    for fmt, path in files.items():
        def one_import(path=path):
            home = WORK / "store_single"
            shutil.rmtree(home, ignore_errors=True)
            return run_child(cli("--home", str(home), "import", str(path)))[:2]
        t, m = median_of(one_import, max(1, opts.runs // 2))
        results.append((f"import {fmt} (process, fresh store)", t, m, ""))

    if opts.full:
        results.extend(full_history(opts.weeks, opts.rows))

    baseline = {r[0]: r[1] for r in results}
    base_x = baseline["pandas.read_excel xlsx (openpyxl, process)"]
    base_c = baseline["pandas.read_csv csv (sniffing, process)"]
    print()
    print(f"{'step':<46} {'median s':>9} {'peak MiB':>9} {'vs pandas':>10} {'target':>8}  note")
    print("-" * 100)
    for name, secs, mem, note in results:
        ratio = ""
        if "xlsx" in name and "pandas" not in name and "import" not in name:
            ratio = f"{base_x / secs:.1f}x"
        elif "csv" in name and "pandas" not in name and "import" not in name:
            ratio = f"{base_c / secs:.1f}x"
        target = TARGETS.get(name)
        flag = ""
        if target is not None:
            flag = f"≤{target:g}" + (" ok" if secs <= target else " MISS")
        mem_s = "" if mem != mem else f"{mem:.0f}"
        print(f"{name:<46} {secs:>9.3f} {mem_s:>9} {ratio:>10} {flag:>8}  {note}")
    print()
    print("Targets (issue 2): national .xlsx inspected ≤ 1.0 s and ≥ 6× faster than pandas' default;"
          " .csv ≤ 0.3 s; 150 national weeks imported ≤ 300 s; store ≤ 1.5 GB.")
    return 0


def full_history(weeks: int, rows: int) -> list[tuple[str, float, float, str]]:
    """Import ``weeks`` national weeks of ONE population (figures drift week to week, as in
    reality: the same ≈40k organisations every week) into one store, as CSV files."""
    from sferum_tui.core.demo import (
        COUNTRY_LAYOUTS,
        build_population,
        simulate_weeks,
        write_week_file,
    )

    folder = WORK / f"history_{weeks}x{rows}"
    folder.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    paths = sorted(folder.glob("week_*.csv"))
    if len(paths) != weeks:
        for p in paths:
            p.unlink()
        pop = build_population("country", 7, size=round(rows / 0.97))
        data = simulate_weeks(pop, weeks, 7, end=date(2023, 4, 21) + timedelta(days=7 * (weeks - 1)))
        paths = []
        for i, week in enumerate(data):
            p = write_week_file(week, folder / "gen", COUNTRY_LAYOUTS["csv"], seed=7)
            target = folder / f"week_{i:03d}.csv"
            shutil.move(str(p), target)
            paths.append(target)
        shutil.rmtree(folder / "gen", ignore_errors=True)
    gen = time.perf_counter() - t0
    home = WORK / "store_history"
    shutil.rmtree(home, ignore_errors=True)
    t, m, _ = run_child(cli("--home", str(home), "import", *map(str, paths)))
    size = sum(p.stat().st_size for p in home.rglob("*") if p.is_file())
    db = (home / "store.sqlite").stat().st_size
    return [
        (f"import {weeks} weeks", t, m, f"generation {gen:.0f} s (not counted)"),
        (f"store size after {weeks} weeks (GB)", size / 1e9, float("nan"),
         f"db {db / 1e9:.2f} GB + file copies {(size - db) / 1e9:.2f} GB; target ≤ 1.5 GB"),
    ]


if __name__ == "__main__":
    raise SystemExit(main())
