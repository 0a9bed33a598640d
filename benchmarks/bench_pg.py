"""The console on PostgreSQL against the console on SQLite, at country scale, in one run (issue 13,
part 5).

Run:  .venv/bin/python benchmarks/bench_pg.py                 (≈5-8 minutes)
      .venv/bin/python benchmarks/bench_pg.py --runs 5 --json results.json

What it does:

1. takes the country store of ``bench_console.py`` (``benchmarks/_work/indicators/
   store_40000x150``: ≈40,000 organisations × 150 weeks of synthetic data, built once by
   ``bench_indicators.py``);
2. starts a throwaway PostgreSQL cluster on a loopback port (``tests/pg_support.py``, the one the
   tests use; as the ``postgres`` account when run as root) and copies the store into it with
   ``sferum-tui store migrate --to URL`` (timed: it is what a region does once);
3. runs ``bench_console.py``'s own measurements — a session started with an empty flag cache
   (its first paint and peak memory), first paint in a fresh process, then filter,
   clear, sort, search, open a school, the neighbouring week and a week not opened before, and the
   session's peak memory — once on the SQLite store and once on the PostgreSQL copy
   (``SFERUM_TUI_STORE=postgresql://…``, as an official would select it), alternating, and prints
   medians with the PostgreSQL/SQLite ratio against the issue's 1.5× bound.

The server runs on the same machine (a loopback connection): a regional server adds its network
round trips; the console's reads are a handful of queries per step (a whole week is one row of
``snapshot_columns``), so a LAN adds milliseconds, not multiples.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for p in (str(ROOT), str(HERE), str(ROOT / "tests")):
    if p not in sys.path:
        sys.path.insert(0, p)

BOUND = 1.5
#: (row label, bench_console step key, is memory)
ROWS = (
    ("first paint", "first paint (process start → table)", False),
    ("filter: inactive (i)", "filter: inactive (i)", False),
    ("filter: low messaging (w)", "filter: low messaging (w)", False),
    ("search: name", "search: «гимназ» typed on", False),
    ("clear filter", "clear filter (all rows)", False),
    ("sort by a number", "sort by users (number)", False),
    ("sort by name", "sort by name", False),
    ("open a school", "open a school", False),
    ("previous week (prefetched)", "previous week ([), prefetched", False),
    ("a week not opened before", "a week not opened before (picker)", False),
    ("peak memory (MB)", "peak memory (MB)", True),
    ("cold cache: first paint", "cold cache: first paint (process start → table)", False),
    ("cold cache: peak memory (MB)", "cold cache: peak memory (MB)", True),
)


def _median(values) -> float | None:
    values = [v for v in (values or []) if v is not None]
    return statistics.median(values) if values else None


def measure(home: Path, runs: int, cold_runs: int, timeout: float,
            store_url: str | None) -> dict[str, list[float]]:
    import bench_console

    if store_url:
        os.environ["SFERUM_TUI_STORE"] = store_url
    else:
        os.environ.pop("SFERUM_TUI_STORE", None)
    try:
        cold = bench_console.cold_sessions(home, cold_runs, runs, timeout) if cold_runs else {}
        bench_console.fill_flag_cache(home)
        out = bench_console.first_paint(home, runs, timeout)
        out.update(bench_console.steps(home, runs, timeout))
        out.update(cold)
    finally:
        os.environ.pop("SFERUM_TUI_STORE", None)
    return out


def find(results: dict[str, list[float]], key: str) -> list[float]:
    if key in results:
        return results[key]
    for k, v in results.items():      # bench_console's labels, loosely
        if k.strip().lower().startswith(key.split(" (")[0].lower()):
            return v
    return []


def fmt(value: float | None, memory: bool) -> str:
    if value is None:
        return "—"
    if memory:
        return f"{value:,.0f}".replace(",", " ")
    return f"{value * 1000:,.0f} ms".replace(",", " ") if value < 10 else f"{value:.1f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2,
                        help="alternating SQLite/PostgreSQL rounds (each --runs times)")
    parser.add_argument("--cold-runs", type=int, default=1,
                        help="sessions started with an empty flag cache, per round")
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args()

    from _setup import compile_package
    from bench_console import store_home

    from pg_support import start_cluster

    compile_package()
    home = store_home(150)
    cluster = start_cluster()
    try:
        name = cluster.create_database()
        url = cluster.url(name)
        print(f"PostgreSQL cluster {url} (loopback); store {home}", flush=True)
        t0 = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "sferum_tui", "--store", str(home), "store",
                               "migrate", "--to", url], capture_output=True, text=True)
        migrate_s = time.perf_counter() - t0
        if done.returncode != 0:
            raise SystemExit(f"store migrate failed: {done.stderr[-2000:]}")
        print(f"… store migrate: {migrate_s:.1f} s", flush=True)
        lite: dict[str, list[float]] = {}
        pg: dict[str, list[float]] = {}
        for r in range(args.rounds):
            for label, target, url_or_none in (("SQLite", lite, None), ("PostgreSQL", pg, url)):
                print(f"… round {r + 1}: {label} ×{args.runs}", flush=True)
                for key, values in measure(home, args.runs, args.cold_runs, args.timeout,
                                           url_or_none).items():
                    target.setdefault(key, []).extend(values)
    finally:
        cluster.stop()

    print()
    print(f"{'step':<26}{'SQLite':>12}{'PostgreSQL':>12}{'ratio':>8}  bound {BOUND}×")
    worst = 0.0
    for label, key, memory in ROWS:
        a, b = _median(find(lite, key)), _median(find(pg, key))
        ratio = (b / a) if a and b else None
        if ratio is not None and not memory:
            worst = max(worst, ratio)
        mark = "" if ratio is None or memory or ratio <= BOUND else "  over"
        print(f"{label:<26}{fmt(a, memory):>12}{fmt(b, memory):>12}"
              f"{(f'{ratio:.2f}×' if ratio else '—'):>8}{mark}")
    print(f"store migrate (SQLite → PostgreSQL, whole country store): {migrate_s:.1f} s")
    print(f"worst time ratio: {worst:.2f}× (bound {BOUND}×)")
    if args.json:
        Path(args.json).write_text(json.dumps({"sqlite": lite, "postgresql": pg,
                                               "migrate_s": migrate_s}, indent=1), "utf-8")


if __name__ == "__main__":
    main()
