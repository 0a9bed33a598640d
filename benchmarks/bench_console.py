"""Benchmark of the console itself on a country-scale store (issue 4, part 9).

Run:  .venv/bin/python benchmarks/bench_console.py                 (≈2-3 minutes)
      .venv/bin/python benchmarks/bench_console.py --runs 7 --skip-builtin
      .venv/bin/python benchmarks/bench_console.py --json results.json

The store: ``benchmarks/_work/indicators/store_40000x150`` — ≈40,000 organisations × 150 weeks of
synthetic data (NOT real figures), built once by ``bench_indicators.py`` and reused; when it is
not there it is built with ``--weeks`` weeks (default 150; ``--weeks 12`` builds in ~15 s).

What is measured, headless (``App.run_test(size=(200, 60))``), the app being exactly the one
``sferum-tui`` runs (``make_app``), medians of ``--runs``:

* **first paint** — from just before ``subprocess.Popen`` of a fresh Python to the first screen
  update that shows the schools table of the latest week (its rows drawn);
* in one process (a second child, so its peak memory is the console's own):
  **filter** (the inactive filter ``i``, the low-messaging filter ``w``, a name search ``/``),
  **clear** (back to all 40,000 rows), **sort** by a number column and by the name column —
  each from the action a key runs to the end of the first screen update that shows the new
  table; **open a school** (Enter → the first paint of the school screen with its identity,
  targets and history; its charts are mounted after that paint and reported on their own line);
  **move to another week** (``[``: the neighbour, prefetched while the user reads, as in use;
  and a week nobody has looked at, from the store); **peak memory** (max RSS of that process);
* the same session started with an **empty flag cache** (``ind_week_flags``, see
  ``core/indicators/cache.py``: the state of the first start after a store is built without
  warming it, or after a config edit changes the cache's key): the flag cache is emptied, then a
  child runs the steps above; its **first paint** (process start → table; the latest week's
  streaks fill the cache meanwhile) and **peak memory** are reported as ``cold cache: …``
  lines, medians of ``--cold-runs`` sessions.  The cache is filled again (``warm_cache``)
  before the warm steps, so those always start warm.

The children do not read or write the UI state file: a view remembered by an earlier run would
open another week than the latest.

``--memory-trace`` prints the resident memory after each step of the children (stderr).

How "painted" is established: ``App._display`` (called with each compositor update also when
headless, where only the terminal write is skipped) is wrapped; it first turns the update into
the escape codes a terminal would receive, then stops the clock if the change has been applied:
the view is on screen (the main screen's ``ViewReady`` handled, which calls ``set_frame``), the
sort done (``sort_by`` returned), or the school's data shown.

Then the same first paint / filter / clear / sort steps with Textual's built-in ``DataTable`` and
with textual-fastdatatable, on the same 40,000 rows of the latest week (through
``bench_table.py``'s adapters), printed as ratios to the console's times.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for p in (str(ROOT), str(HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)

WORK = HERE / "_work"
SIZE = (200, 60)
SEARCH = "гимназ"
BUDGETS = {
    "first paint": 2.0, "filter": 0.050, "clear": 0.050, "sort": 0.050, "search": 0.050,
    "open a school": 0.100, "week": 0.300, "peak memory": 400.0,
}


# ---------------------------------------------------------------------------- the store


def store_home(weeks: int) -> Path:
    default = WORK / "indicators" / "store_40000x150"
    if (default / "store.sqlite").exists():
        return default
    from bench_indicators import ensure_store

    home, _ = ensure_store(40_000, weeks)
    return home


def context(home: Path) -> Any:
    from sferum_tui.core.config import Config
    from sferum_tui.core.paths import resolve_paths, with_store

    # SFERUM_TUI_STORE selects another store, as for an official (bench_pg.py: PostgreSQL)
    paths = with_store(resolve_paths(str(home)), None)
    return SimpleNamespace(paths=paths, lang="ru", demo=False, theme=None,
                           config=Config.default)


# ---------------------------------------------------------------------------- the probe


class Probe:
    """Stops the clock at the first screen update after the change is applied."""

    def __init__(self, app) -> None:
        self.app = app
        self.armed = False
        self.event = asyncio.Event()
        self.painted = 0.0
        self.painted_wall = 0.0
        original = app._display

        def display(screen, renderable):
            if renderable is not None:
                renderable.render_segments(app.console)  # what a terminal would be sent
                if self.armed:
                    self.painted = time.perf_counter()
                    self.painted_wall = time.time()
                    self.armed = False
                    self.event.set()
            return original(screen, renderable)

        app._display = display

    def reset(self) -> None:
        self.armed = False
        self.event = asyncio.Event()

    def arm(self) -> None:
        self.armed = True

    async def wait(self, timeout: float) -> None:
        await asyncio.wait_for(self.event.wait(), timeout)


def watch_views(app, probe: Probe) -> None:
    """Arm the probe when the main screen has put a new view into its table."""
    from sferum_tui.tui.main_screen import MainScreen

    original = MainScreen.on_main_screen_view_ready

    def on_view_ready(self, message):
        before = self.view
        original(self, message)
        if self.view is not before and getattr(app, "_bench_waiting", False):
            app._bench_waiting = False
            probe.arm()

    MainScreen.on_main_screen_view_ready = on_view_ready

    from sferum_tui.tui.school import SchoolScreen

    original_show = SchoolScreen._show

    def show(self, data):
        original_show(self, data)
        if getattr(app, "_bench_school", False):
            app._bench_school = False
            probe.arm()

    SchoolScreen._show = show


# ---------------------------------------------------------------------------- child: first paint


def child_first_paint(home: str, timeout: float) -> None:
    started = time.time()
    from sferum_tui.tui.app import make_app
    from sferum_tui.tui.main_screen import MainScreen

    imported = time.time()
    # as run_console, without the UI state file: a view an earlier run left would open
    # another week than the latest
    app = make_app(context(Path(home)), poll_seconds=3600, ui_state=False)
    probe = Probe(app)
    app._bench_waiting = True
    watch_views(app, probe)

    async def main() -> None:
        async with app.run_test(size=SIZE):
            await probe.wait(timeout)
            screen = app.screen
            assert isinstance(screen, MainScreen) and screen.table.row_count > 30_000

    asyncio.run(main())
    print(json.dumps({"painted": probe.painted_wall, "started": started, "imported": imported}))


def first_paint(home: Path, runs: int, timeout: float) -> dict[str, list[float]]:
    parts: dict[str, list[float]] = {
        "first paint (process start → table)": [],
        "  of which: Python start": [],
        "  of which: import the console": [],
        "  of which: read the week, compute, paint": [],
    }
    for _ in range(runs):
        t0 = time.time()
        proc = subprocess.run([sys.executable, __file__, "--child", "paint", "--home", str(home),
                               "--timeout", str(timeout)], capture_output=True, text=True,
                              timeout=timeout + 60)
        if proc.returncode != 0:
            raise RuntimeError(f"first paint failed:\n{proc.stderr[-3000:]}")
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        values = (r["painted"] - t0, r["started"] - t0, r["imported"] - r["started"],
                  r["painted"] - r["imported"])
        for key, value in zip(parts, values):
            parts[key].append(value)
    return parts


# ---------------------------------------------------------------------------- child: steps


def rss_note(label: str) -> None:
    """With ``--memory-trace``: the resident memory now and the peak so far, on stderr."""
    if not MEMORY_TRACE:
        return
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines()
                  if ":" in line)

    def mb(key: str) -> str:
        return f"{int(status.get(key, '0 kB').split()[0]) / 1024:.0f}"

    print(f"memory {label}: {mb('VmRSS')} MB (peak {mb('VmHWM')} MB)", file=sys.stderr, flush=True)


MEMORY_TRACE = False


def child_steps(home: str, runs: int, timeout: float, started: float | None = None) -> None:
    """The steps of one console session; ``started``: the parent's clock just before it
    started this process (the session's first paint is then reported too)."""
    from sferum_tui.tui.app import make_app
    from sferum_tui.tui.main_screen import MainScreen

    app = make_app(context(Path(home)), poll_seconds=3600, ui_state=False)  # see child_first_paint
    probe = Probe(app)
    app._bench_waiting = True
    watch_views(app, probe)
    results: dict[str, list[float]] = {}

    async def main() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await probe.wait(timeout)
            if started is not None:
                results["first paint (process start → table)"] = [probe.painted_wall - started]
            rss_note("first paint")
            screen: MainScreen = app.screen  # type: ignore[assignment]
            table = screen.table
            await asyncio.sleep(0.5)
            await app.workers.wait_for_complete()
            await pilot.pause()
            rss_note("neighbours prefetched")

            async def measure(step: str, change: Callable[[], Any], *, view: bool) -> None:
                await pilot.pause()
                probe.reset()
                t0 = time.perf_counter()
                if view:
                    app._bench_waiting = True
                change()
                if not view:
                    probe.arm()
                try:
                    await probe.wait(timeout)
                except TimeoutError:
                    results.setdefault(step, []).append(float("nan"))
                    return
                results.setdefault(step, []).append(probe.painted - t0)
                rss_note(step.strip())

            def search(text: str) -> Callable[[], None]:
                def run() -> None:
                    box = screen.query_one("#search")
                    box.value = text          # what typing does: Input.Changed → reload
                return run

            for _ in range(runs):
                await measure("filter: inactive (i)", lambda: screen.action_toggle_filter("inactive"),
                              view=True)
                await measure("clear filter (all rows)", lambda: screen.action_toggle_filter("inactive"),
                              view=True)
                await measure("filter: low messaging (w)",
                              lambda: screen.action_toggle_filter("low_messaging"), view=True)
                await measure("clear filter (all rows) ",
                              lambda: screen.action_toggle_filter("low_messaging"), view=True)
                screen.action_search()
                await measure(f"search: first letter «{SEARCH[0]}»", search(SEARCH[0]), view=True)
                await measure(f"search: «{SEARCH}» typed on", search(SEARCH), view=True)
                await measure("clear search (all rows)", search(""), view=True)
                screen.close_search(clear=True)
                table.clear_sort()
                await measure("sort by users (number)", lambda: table.sort_by("users_total", True),
                              view=False)
                await measure("sort by name", lambda: table.sort_by("org_name", False), view=False)
                table.clear_sort()
                await pilot.pause()

            # open a school: Enter → the school screen painted with its history (the probe is
            # armed by the screen's own _show, so the paint caught is the first with the
            # data); then, on their own line, the charts, which are mounted after that paint
            for _ in range(runs):
                await pilot.pause()
                probe.reset()
                t0 = time.perf_counter()
                app._bench_school = True
                screen.action_open_school()
                await probe.wait(timeout)
                results.setdefault("open a school", []).append(probe.painted - t0)
                rss_note("open a school")
                school = app.screen
                await _until(pilot, lambda school=school: getattr(school, "charts_ready", False),
                             timeout)
                probe.reset()
                probe.arm()
                await probe.wait(timeout)
                results.setdefault("  then its charts drawn", []).append(probe.painted - t0)
                app.pop_screen()
                await _until(pilot, lambda: app.screen is screen, timeout)
                table.action_cursor_down()

            # weeks: the neighbour (prefetched while the user reads), then one never opened
            async def reading() -> None:
                # a user reads the table for a moment; the neighbours are warmed meanwhile
                await asyncio.sleep(0.5)
                await app.workers.wait_for_complete()

            for _ in range(runs):
                await reading()
                await measure("previous week ([), prefetched", lambda: screen.action_week(-1),
                              view=True)
                await reading()
                await measure("next week (]), prefetched", lambda: screen.action_week(1),
                              view=True)
            snaps = app.api.snapshots()
            far = [s.id for s in snaps[: -4]][::-max(1, len(snaps) // (runs + 1))][:runs]
            for week_id in far:
                await reading()

                def jump(week_id=week_id) -> None:
                    screen.state.week_id = week_id
                    screen.reload(measure=True)

                await measure("a week not opened before (picker)", jump, view=True)

    asyncio.run(main())
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    results["peak memory (MB)"] = [peak_mb]
    print(json.dumps(results, ensure_ascii=False))


async def _until(pilot, condition: Callable[[], bool], timeout: float) -> None:
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError
        await asyncio.sleep(0.001)


def steps(home: Path, runs: int, timeout: float, *, timed_start: bool = False
          ) -> dict[str, list[float]]:
    command = [sys.executable, __file__, "--child", "steps", "--home", str(home),
               "--runs", str(runs), "--timeout", str(timeout)]
    if MEMORY_TRACE:
        command.append("--memory-trace")
    t0 = time.time()
    if timed_start:
        command += ["--started", repr(t0)]
    proc = subprocess.run(command, stdout=subprocess.PIPE, stderr=None if MEMORY_TRACE else
                          subprocess.PIPE, text=True, timeout=timeout * 40 + 120)
    if proc.returncode != 0:
        raise RuntimeError(f"console steps failed:\n{(proc.stderr or '')[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def clear_flag_cache(home: Path) -> None:
    """Empty the streak flag cache (``ind_week_flags``): the cold state of a store built
    without warming it, or of a config edit."""
    from sferum_tui.core.store import open_for

    with open_for(context(home).paths) as store, store.transaction() as con:
        con.execute("DELETE FROM ind_week_flags")


def fill_flag_cache(home: Path) -> int:
    """Fill the flag cache for the default config (the warm state); weeks computed."""
    from sferum_tui.core import indicators
    from sferum_tui.core.config import Config
    from sferum_tui.core.store import open_for

    with open_for(context(home).paths) as store:
        return indicators.warm_cache(store, Config.default())


def cold_sessions(home: Path, sessions: int, runs: int, timeout: float
                  ) -> dict[str, list[float]]:
    """Sessions started with an empty flag cache: their first paint and peak memory."""
    out: dict[str, list[float]] = {"cold cache: first paint (process start → table)": [],
                                   "cold cache: peak memory (MB)": []}
    for _ in range(sessions):
        clear_flag_cache(home)
        r = steps(home, runs, timeout, timed_start=True)
        out["cold cache: first paint (process start → table)"] += \
            r["first paint (process start → table)"]
        out["cold cache: peak memory (MB)"] += r["peak memory (MB)"]
    return out


# ---------------------------------------------------------------------------- the other tables


def comparison_frame(home: Path) -> Path:
    """The latest week's table (the core's), in the columns ``bench_table.py`` shows, as
    Parquet: the same 40,000 rows for DataTable and fastdatatable."""
    import pandas as pd

    from sferum_tui.core import indicators
    from sferum_tui.core.config import Config
    from sferum_tui.core.store import Store

    with Store(home) as store:
        snap = store.latest()
        path = WORK / "console" / f"week_{snap.id}_{snap.period_start}.parquet"
        if path.exists():
            return path
        df = indicators.week_table(store, Config.default(), snap.id)
    from bench_table import NUMERIC

    out = pd.DataFrame({
        "org_id": df["org_id"].fillna("").astype(str), "org_name": df["org_name"].astype(str),
        "region": df["region"].astype(object), "municipality": df["municipality"].astype(str),
        "status": df["status"].fillna("").astype(str),
    })
    source = {"teachers_active_share": "messaging_share", "users_change": "d_users_total"}
    for key in NUMERIC:
        out[key] = pd.to_numeric(df[source.get(key, key)], errors="coerce").astype(float)
    path.parent.mkdir(parents=True, exist_ok=True)
    out.to_parquet(path, index=False)
    return path


def other_tables(path: Path, plan: list[tuple[str, int]], timeout: float) -> dict[str, dict]:
    import bench_table
    import pandas as pd

    bench_table.SEARCH = SEARCH
    frame = pd.read_parquet(path)
    out: dict[str, dict] = {}
    for name, runs in plan:
        label = bench_table.ADAPTERS[name].label
        print(f"… {label}: first paint ×{runs}", flush=True)
        result = bench_table.first_paint(name, path, runs, timeout)
        print(f"… {label}: filter / clear / sort ×{runs}", flush=True)
        result.update(asyncio.run(bench_table.steps(bench_table.ADAPTERS[name], frame, runs,
                                                    timeout)))
        out[name] = result
    return out


# the console's step → the same step in bench_table.py
SAME_STEP = {
    "first paint (process start → table)": "first paint (process start → table)",
    "filter: low messaging (w)": "filter: messaging < 30%",
    f"search: «{SEARCH}» typed on": f"filter: name search «{SEARCH}»",
    "clear filter (all rows)": "clear filter (all rows)",
    "sort by users (number)": "sort by number",
    "sort by name": "sort by name",
}


# ---------------------------------------------------------------------------- report


def fmt(seconds: float) -> str:
    if seconds != seconds:
        return "timeout"
    return f"{seconds:.2f} s" if seconds >= 1 else f"{seconds * 1000:.0f} ms"


def budget_of(step: str) -> float | None:
    s = step.strip()
    s = s.removeprefix("cold cache: ")
    if s.startswith("first paint"):
        return BUDGETS["first paint"]
    if s.startswith(("filter", "clear", "sort", "search")):
        return BUDGETS["filter"]
    if s.startswith("open a school"):
        return BUDGETS["open a school"]
    if "week" in s:
        return BUDGETS["week"]
    if s.startswith("peak memory"):
        return BUDGETS["peak memory"]
    return None


def report(console: dict[str, list[float]], others: dict[str, dict], rows: int, weeks: int) -> str:
    import bench_table

    names = list(others)
    head = ["step", "console", *[bench_table.ADAPTERS[n].label for n in names], "budget"]
    table = [head]
    for step, values in console.items():
        value = statistics.median(values)
        if "peak memory" in step:
            cell = f"{value:.0f} MB"
        else:
            cell = fmt(value)
        if len(values) > 1:
            cell += f" n={len(values)}"
        line = [step, cell]
        for name in names:
            theirs = others[name].get(SAME_STEP.get(step, "\0"))
            if not theirs:
                theirs = next((v for k, v in others[name].items()
                               if SAME_STEP.get(step) and k.startswith(SAME_STEP[step])), None)
            if not theirs:
                line.append("")
                continue
            t = statistics.median(theirs)
            ratio = t / value if value else float("nan")
            line.append(f"{fmt(t)} ({ratio:.0f}×)" if ratio >= 10 else f"{fmt(t)} ({ratio:.1f}×)")
        budget = budget_of(step)
        if budget is None or step.startswith("  "):
            line.append("")
        elif "peak memory" in step:
            line.append(("ok ≤ " if value <= budget else "OVER ") + f"{budget:.0f} MB")
        else:
            line.append(("ok ≤ " if value <= budget else "OVER ") + fmt(budget))
        table.append(line)
    widths = [max(len(r[i]) for r in table) for i in range(len(head))]
    out = [f"{rows:,} organisations × {weeks} weeks (synthetic), {SIZE[0]}×{SIZE[1]}, medians; "
           "other tables: same step on the same rows (× = their time / the console's)"]
    for i, r in enumerate(table):
        out.append("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
        if i == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def main() -> None:
    if "--child" not in sys.argv:  # the timed children find it done
        from _setup import compile_package

        compile_package()
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--weeks", type=int, default=150,
                        help="weeks to build when the country store is not there yet")
    parser.add_argument("--cold-runs", type=int, default=3,
                        help="console sessions started with an empty flag cache (0: none)")
    parser.add_argument("--memory-trace", action="store_true",
                        help="print the children's resident memory after each step (stderr)")
    parser.add_argument("--fast-runs", type=int, default=3)
    parser.add_argument("--builtin-runs", type=int, default=1)
    parser.add_argument("--skip-builtin", action="store_true")
    parser.add_argument("--skip-fast", action="store_true")
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--json", metavar="FILE")
    parser.add_argument("--child", choices=("paint", "steps"), help=argparse.SUPPRESS)
    parser.add_argument("--home", help=argparse.SUPPRESS)
    parser.add_argument("--started", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    global MEMORY_TRACE
    MEMORY_TRACE = args.memory_trace

    if args.child == "paint":
        child_first_paint(args.home, args.timeout)
        return
    if args.child == "steps":
        child_steps(args.home, args.runs, args.timeout, args.started)
        return

    import pandas as pd
    import textual

    home = store_home(args.weeks)
    from sferum_tui.core.store import Store

    with Store(home) as store:
        weeks = len(store.snapshots())
        rows = len(store.week_frame(store.latest().id))
    print(f"Python {platform.python_version()}, Textual {textual.__version__}, pandas "
          f"{pd.__version__}, {os.cpu_count()} CPUs; store {home} (synthetic data)", flush=True)
    cold: dict[str, list[float]] = {}
    if args.cold_runs:
        print(f"… console with an empty flag cache: a session ×{args.cold_runs}", flush=True)
        cold = cold_sessions(home, args.cold_runs, args.runs, args.timeout)
    filled = fill_flag_cache(home)
    if filled:
        print(f"… flag cache filled ({filled} weeks)", flush=True)
    print(f"… console: first paint ×{args.runs}", flush=True)
    console = first_paint(home, args.runs, args.timeout)
    print(f"… console: filter / clear / sort / school / weeks ×{args.runs}", flush=True)
    console.update(steps(home, args.runs, args.timeout))
    console.update(cold)
    plan = []
    if not args.skip_fast:
        plan.append(("fast", args.fast_runs))
    if not args.skip_builtin:
        plan.append(("builtin", args.builtin_runs))
    others = other_tables(comparison_frame(home), plan, args.timeout * 3) if plan else {}
    print()
    print(report(console, others, rows, weeks))
    if args.json:
        Path(args.json).write_text(json.dumps({"console": console, **others}, ensure_ascii=False,
                                              indent=1), "utf-8")


if __name__ == "__main__":
    main()
