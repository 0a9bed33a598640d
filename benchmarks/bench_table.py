"""Benchmark: FrameTable against textual-fastdatatable and Textual's DataTable on 40,000 schools.

Run:  .venv/bin/python benchmarks/bench_table.py            (all three, ~5 minutes, mostly DataTable)
      .venv/bin/python benchmarks/bench_table.py --skip-builtin --runs 7
      .venv/bin/python benchmarks/bench_table.py --json results.json

Data: synthetic (NOT real figures) — 40,000 organisations with Russian school names,
regions and municipalities, a 10-digit ИНН-like id, a status and 12 numeric columns, written
once to ``benchmarks/_work/`` as Parquet (the way the console reads a snapshot).

Steps, each in a headless ``App.run_test(size=(200, 60))``:

* **first paint** — from the start of a fresh Python process to the first painted table. The
  parent takes ``time.time()`` right before ``subprocess.Popen``; the child imports Textual
  and pandas, reads the Parquet file, starts the app and reports ``time.time()`` at the first
  screen update that contains the table's first row.  Median of ``--runs`` processes
  (``--fast-runs`` for fastdatatable, ``--builtin-runs`` for Textual's DataTable: it needs
  ~20 s at 40k, so it is run once by default).
* **filter** — a pandas boolean mask (an incremental name search, ``str.contains``, and a
  threshold on the messaging share), then the widget's own way to show it:
  ``FrameTable.filter_rows(mask)`` (the mask over the frame it holds; also measured: the
  generic ``set_frame(df[mask])``); for fastdatatable ``df[mask]`` into a new table that
  replaces the old one (its ``clear()`` raises "Unmount this table and mount a new one
  instead"); for DataTable ``clear()`` + ``add_rows(df[mask])``.
* **clear** — back to all 40,000 rows the same way.
* **sort** — by a number column and by the name column: ``FrameTable.sort_by``,
  fastdatatable's ``sort(by=...)`` (Arrow), DataTable's ``sort(key)``.  Each sort is cold:
  before it the table gets a new frame object (untimed) and FrameTable's background ranking
  of text columns is switched off, so its per-frame sort key is built inside the timed step;
  "again, other way" then shows the warm cost, and "ranked ahead in a thread" the usual case
  where the text ranks were built by the worker FrameTable starts after showing a big frame
  (the step starts once that worker is done).

Each round starts from a fresh copy of the frame (untimed), so nothing FrameTable keeps per
frame object (widths, sort keys) carries over from the previous round.

How "repainted" is established (the clock stops only when the new table is on screen):

1. the widget's ``render_line`` is wrapped on the instance; after a change the returned
   strips' text is collected;
2. ``App._display`` (called with each compositor update, also when headless, where it skips
   only the terminal write) is wrapped: it first turns the update into the escape-code string
   a terminal would receive (``update.render_segments(console)``, so that cost is counted),
   then, if strips rendered since the change contain the text expected on the new screen
   (the id of the row that must now be visible: for FrameTable the cursor row, which it keeps
   in view; for the others the first row of the new order), stops the clock.

So a step is measured from just before the pandas mask/sort call to the end of the first
screen update that shows the changed table.  Medians of ``--runs`` repetitions.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
WORK = ROOT / "benchmarks" / "_work"
SIZE = (200, 60)
BUDGET_FIRST_PAINT = 2.0
BUDGET_STEP = 0.050

NUMERIC = [
    "users_total", "staff_total", "teachers", "students", "parents", "classes", "chats",
    "teachers_active", "teachers_active_share", "registration_share", "users_change",
    "weeks_below",
]
LABELS = {
    "org_id": "ИНН", "org_name": "Организация", "municipality": "Муниципалитет",
    "status": "Статус", "users_total": "Польз.", "staff_total": "Штат", "teachers": "Учит.",
    "students": "Учен.", "parents": "Родит.", "classes": "Классы", "chats": "Чаты",
    "teachers_active": "Пишут>3", "teachers_active_share": "Пишут %",
    "registration_share": "Рег. %", "users_change": "Δ нед.", "weeks_below": "Нед. ниже",
}
SEARCH = "гимназия"
SORT_NUMBER = "users_total"
SORT_NAME = "org_name"


# ---------------------------------------------------------------------------- data


def make_frame(rows: int, seed: int = 450):
    """Synthetic schools: Russian names, regions, municipalities and 12 numbers (vectorised)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    regions = ["Республика Дагестан", "Свердловская область", "Краснодарский край",
               "Республика Татарстан", "Новосибирская область", "Ростовская область",
               "Республика Башкортостан", "Нижегородская область", "Челябинская область",
               "Красноярский край", "Самарская область", "Ставропольский край"]
    stems = ["Ахтын", "Дербент", "Кизляр", "Буйнак", "Хасавюрт", "Каякент", "Сулейман-Сталь",
             "Магарамкент", "Карабудахкент", "Левашин", "Гуниб", "Ботлих", "Кумторкалин",
             "Табасаран", "Сергокалин", "Ирбит", "Камышлов", "Тавдин", "Ейск", "Тимашев",
             "Елабуж", "Бугульмин", "Искитим", "Азов", "Белорец", "Арзамас", "Копейск",
             "Минусин", "Сызран", "Пятигор"]
    municipalities = np.array(
        [f"{stem}ский район" for stem in stems] + [f"город {stem}ск" for stem in stems[:12]]
        + ["город Махачкала", "город Екатеринбург", "город Краснодар", "город Казань"]
    )
    kinds = np.array([
        "МБОУ «Средняя общеобразовательная школа № {n}»",
        "МКОУ «СОШ № {n}» с. {v}",
        "МБОУ «Гимназия № {n}»",
        "МБОУ «Лицей № {n} имени {p}»",
        "МКОУ «Основная общеобразовательная школа с. {v}»",
        "ГБОУ «Центр образования № {n}»",
        "МБОУ «Средняя общеобразовательная школа № {n} имени Героя Советского Союза {p}»",
        "МКОУ «Начальная школа – детский сад с. {v}»",
    ])
    villages = ["Ахты", "Ёлкино", "Усухчай", "Кака", "Рутул", "Цмур", "Хнов", "Мискинджа",
                "Берёзовка", "Каменка", "Сосновка", "Ивановка", "Покровское", "Никольское"]
    people = ["А.С. Пушкина", "Л.Н. Толстого", "Р. Гамзатова", "М.Ю. Лермонтова",
              "Ю.А. Гагарина", "И.И. Иванова", "С. Стальского", "Н.А. Некрасова"]
    kind = rng.integers(0, len(kinds), rows, endpoint=False)
    number = rng.integers(1, 180, rows)
    village = rng.integers(0, len(villages), rows)
    person = rng.integers(0, len(people), rows)
    names = [kinds[k].format(n=n, v=villages[v], p=people[p])
             for k, n, v, p in zip(kind.tolist(), number.tolist(), village.tolist(), person.tolist())]
    staff = rng.integers(8, 160, rows)
    teachers = (staff * rng.uniform(0.3, 1.0, rows)).astype(int)
    active = (teachers * rng.beta(1.2, 4.0, rows)).astype(int)
    users = teachers + rng.integers(0, 1500, rows)
    frame = pd.DataFrame({
        "org_id": [f"{x:010d}" for x in rng.integers(100_000_000, 9_999_999_999, rows)],
        "org_name": names,
        "region": np.array(regions)[rng.integers(0, len(regions), rows)],
        "municipality": municipalities[rng.integers(0, len(municipalities), rows)],
        "status": np.where(rng.random(rows) < 0.12, "Не активна", "Активна"),
        "users_total": users,
        "staff_total": staff,
        "teachers": teachers,
        "students": rng.integers(0, 1200, rows),
        "parents": rng.integers(0, 1800, rows),
        "classes": rng.integers(0, 40, rows),
        "chats": rng.integers(0, 120, rows),
        "teachers_active": active,
        "teachers_active_share": np.where(teachers > 0, active / np.maximum(teachers, 1), np.nan),
        "registration_share": np.minimum(teachers / staff, 1.0),
        "users_change": rng.integers(-40, 60, rows),
        "weeks_below": rng.integers(0, 30, rows),
    })
    frame.loc[rng.random(rows) < 0.01, "teachers_active_share"] = np.nan
    return frame


def data_file(rows: int) -> Path:
    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / f"schools_{rows}.parquet"
    if not path.exists():
        make_frame(rows).to_parquet(path, index=False)
    return path


# ---------------------------------------------------------------------------- probe


class Probe:
    """Stops the clock at the first screen update that shows the changed table."""

    def __init__(self) -> None:
        self.expected: str | None = None
        self.texts: list[str] = []
        self.event: asyncio.Event | None = None
        self.painted_perf = 0.0
        self.painted_wall = 0.0

    def arm(self, expected: str) -> None:
        self.expected = expected
        self.texts = []
        self.event = asyncio.Event()

    def wrap_widget(self, widget) -> None:
        original = widget.render_line

        def render_line(y: int):
            strip = original(y)
            if self.expected is not None:
                self.texts.append(strip.text)
            return strip

        widget.render_line = render_line

    def wrap_app(self, app) -> None:
        original = app._display

        def display(screen, renderable):
            if renderable is not None:
                renderable.render_segments(app.console)  # what a terminal would be sent
                expected = self.expected
                if expected is not None and any(expected in text for text in self.texts):
                    self.painted_perf = time.perf_counter()
                    self.painted_wall = time.time()
                    self.expected = None
                    if self.event is not None:
                        self.event.set()
            return original(screen, renderable)

        app._display = display

    async def wait(self, timeout: float) -> None:
        assert self.event is not None
        await asyncio.wait_for(self.event.wait(), timeout)


# ---------------------------------------------------------------------------- adapters


class Adapter:
    name = ""
    label = ""

    def __init__(self, app, probe: Probe) -> None:
        self.app = app
        self.probe = probe
        self.table = None

    def make(self, frame):  # -> widget
        raise NotImplementedError

    async def after_mount(self, frame) -> None:
        pass

    def first_expected(self, frame) -> str:
        return frame["org_id"].iloc[0]

    async def show(self, frame) -> str:
        """Show a new frame; return the id that must then be visible."""
        raise NotImplementedError

    async def filter(self, frame, mask) -> str:
        """Show the rows of ``frame`` where ``mask`` (``None``: all rows)."""
        return await self.show(frame if mask is None else frame[mask])

    async def reset(self, frame) -> None:
        """Untimed: show ``frame`` afresh, in its own order, with nothing precomputed."""
        await self.show(frame)

    async def sort(self, column: str, reverse: bool, frame) -> str:
        raise NotImplementedError


def _first_after_sort(frame, column: str, reverse: bool) -> str:
    series = frame[column]
    ordered = series.sort_values(ascending=not reverse, kind="stable", na_position="last")
    return frame["org_id"].loc[ordered.index[0]]


class FrameTableAdapter(Adapter):
    name = "frametable"
    label = "FrameTable"

    def make(self, frame):
        from sferum_tui.tui.table import Column, FrameTable

        percent = lambda v: f"{v * 100:.0f}%"  # noqa: E731
        columns = [Column("org_id", LABELS["org_id"]),
                   Column("org_name", LABELS["org_name"], max_width=48),
                   Column("municipality", LABELS["municipality"], max_width=24),
                   Column("status", LABELS["status"],
                          style_fn=lambda v: "error" if v == "Не активна" else None)]
        for key in NUMERIC:
            share = key.endswith("_share")
            columns.append(Column(key, LABELS[key], formatter=percent if share else None,
                                  style_fn=(lambda v: "warning" if v is not None and v < 0.3
                                            else None) if share else None))
        self.table = FrameTable(frame, columns, key_column="org_id", id="table")
        self.probe.wrap_widget(self.table)
        return self.table

    async def show(self, frame) -> str:
        self.table.set_frame(frame)
        return self.table.cursor_key

    async def filter(self, frame, mask) -> str:
        # the fast path: a mask over the snapshot the table already holds
        self.table.filter_rows(mask)
        return self.table.cursor_key

    async def reset(self, frame) -> None:
        self.table.clear_sort()
        self.table.set_frame(frame.copy(deep=False))  # a new object: no cached widths/keys

    async def sort(self, column: str, reverse: bool, frame) -> str:
        self.table.sort_by(column, reverse)
        return self.table.cursor_key


class FastAdapter(Adapter):
    name = "fast"
    label = "fastdatatable"

    def make(self, frame):
        from textual_fastdatatable import DataTable

        columns = ["org_id", "org_name", "municipality", "status", *NUMERIC]
        table = DataTable(data=frame[columns], column_labels=[LABELS[c] for c in columns],
                          max_column_content_width=48, cursor_type="row", id="table")
        self.table = table
        self.probe.wrap_widget(table)
        return table

    async def show(self, frame) -> str:
        old = self.table
        new = self.make(frame)
        await old.remove()
        await self.app.mount(new)
        return frame["org_id"].iloc[0] if len(frame) else ""

    async def sort(self, column: str, reverse: bool, frame) -> str:
        self.table.sort(by=[(column, "descending" if reverse else "ascending")])
        return self.expected_sorted


class BuiltinAdapter(Adapter):
    name = "builtin"
    label = "DataTable"

    def make(self, frame):
        from textual.widgets import DataTable

        self.table = DataTable(cursor_type="row", id="table")
        self.probe.wrap_widget(self.table)
        return self.table

    async def after_mount(self, frame) -> None:
        columns = ["org_id", "org_name", "municipality", "status", *NUMERIC]
        for column in columns:
            self.table.add_column(LABELS[column], key=column)
        self.table.add_rows(frame[columns].itertuples(index=False, name=None))

    async def show(self, frame) -> str:
        columns = ["org_id", "org_name", "municipality", "status", *NUMERIC]
        self.table.clear()
        self.table.add_rows(frame[columns].itertuples(index=False, name=None))
        return frame["org_id"].iloc[0] if len(frame) else ""

    async def sort(self, column: str, reverse: bool, frame) -> str:
        self.table.sort(column, reverse=reverse)
        return self.expected_sorted


ADAPTERS: dict[str, type[Adapter]] = {
    "frametable": FrameTableAdapter, "fast": FastAdapter, "builtin": BuiltinAdapter,
}


def make_app(adapter_cls: type[Adapter], frame, probe: Probe):
    from textual.app import App, ComposeResult

    class BenchApp(App):
        def __init__(self) -> None:
            super().__init__()
            self.adapter = adapter_cls(self, probe)
            probe.wrap_app(self)

        def compose(self) -> ComposeResult:
            yield self.adapter.make(frame)

        async def on_mount(self) -> None:
            await self.adapter.after_mount(frame)

    return BenchApp()


# ---------------------------------------------------------------------------- child: first paint


def child_first_paint(adapter_name: str, path: str, timeout: float) -> None:
    started = time.time()
    import pandas as pd

    frame = pd.read_parquet(path)
    loaded = time.time()
    probe = Probe()
    adapter_cls = ADAPTERS[adapter_name]

    async def main() -> None:
        probe.arm(frame["org_id"].iloc[0])  # the first row (and the cursor) must be on screen
        app = make_app(adapter_cls, frame, probe)
        async with app.run_test(size=SIZE):
            await probe.wait(timeout)

    asyncio.run(main())
    print(json.dumps({"painted": probe.painted_wall, "started": started, "loaded": loaded}))


def first_paint(adapter_name: str, path: Path, runs: int, timeout: float) -> dict[str, list[float]]:
    parts: dict[str, list[float]] = {
        "first paint (process start → table)": [],
        "  of which: Python start": [],
        "  of which: import pandas, read snapshot": [],
        "  of which: import widget, start app, paint": [],
    }
    for _ in range(runs):
        t0 = time.time()
        proc = subprocess.run(
            [sys.executable, __file__, "--child", adapter_name, "--data", str(path),
             "--timeout", str(timeout)],
            capture_output=True, text=True, timeout=timeout + 60,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"{adapter_name} first paint failed:\n{proc.stderr[-2000:]}")
        report = json.loads(proc.stdout.strip().splitlines()[-1])
        values = (report["painted"] - t0, report["started"] - t0,
                  report["loaded"] - report["started"], report["painted"] - report["loaded"])
        for key, value in zip(parts, values):
            parts[key].append(value)
    return parts


# ---------------------------------------------------------------------------- in-process steps


async def steps(adapter_cls: type[Adapter], frame, runs: int, timeout: float) -> dict[str, list[float]]:
    probe = Probe()
    probe.arm(frame["org_id"].iloc[0])
    app = make_app(adapter_cls, frame, probe)
    results: dict[str, list[float]] = {}
    t0 = time.perf_counter()
    async with app.run_test(size=SIZE) as pilot:
        await probe.wait(timeout)
        results["mount → paint (in process)"] = [probe.painted_perf - t0]
        await pilot.pause()
        adapter = app.adapter

        async def measure(step: str, change: Callable[[], Any]) -> None:
            await pilot.pause()
            probe.expected = None
            t_start = time.perf_counter()
            expected = await change()
            probe.arm(str(expected))
            try:
                await probe.wait(timeout)
            except TimeoutError:
                results.setdefault(step, []).append(float("nan"))
                return
            results.setdefault(step, []).append(probe.painted_perf - t_start)

        search_mask = lambda: frame["org_name"].str.contains(SEARCH, case=False, regex=False)  # noqa: E731
        low_mask = lambda: frame["teachers_active_share"] < 0.3  # noqa: E731
        for _ in range(runs):
            # every round starts from a fresh frame object: nothing cached from the last round
            await adapter.reset(frame)
            await pilot.pause()

            async def search():
                return await adapter.filter(frame, search_mask())

            async def clear():
                return await adapter.filter(frame, None)

            async def threshold():
                return await adapter.filter(frame, low_mask())

            if isinstance(adapter, FrameTableAdapter):
                async def repaint():
                    adapter.table._blocks.clear()  # re-format the screenful too
                    adapter.table.refresh()
                    return adapter.table.cursor_key

                await measure("repaint only (the floor: one frame of Textual)", repaint)
            await measure(f"filter: name search «{SEARCH}»", search)
            await measure("clear filter (all rows)", clear)
            await measure("filter: messaging < 30%", threshold)
            await measure("clear filter (all rows) ", clear)
            if isinstance(adapter, FrameTableAdapter):
                async def as_new_frame():
                    return await adapter.show(frame[low_mask()])

                await measure("filter as a new DataFrame (set_frame)", as_new_frame)
            frametable = isinstance(adapter, FrameTableAdapter)
            for column, reverse in ((SORT_NUMBER, True), (SORT_NAME, False)):
                what = "number" if column == SORT_NUMBER else "name"
                adapter.expected_sorted = _first_after_sort(frame, column, reverse)

                async def sort(column=column, reverse=reverse):
                    return await adapter.sort(column, reverse, frame)

                async def resort(column=column, reverse=reverse):
                    return await adapter.sort(column, not reverse, frame)

                if frametable:  # cold: nothing ranked ahead, the key is built in the step
                    adapter.table.precompute_sort_keys = False
                await adapter.reset(frame)
                await measure(f"sort by {what} (cold)", sort)
                if frametable:
                    await measure(f"sort by {what} again, other way", resort)
                    if column == SORT_NAME:  # as used: text ranked in a thread once shown
                        adapter.table.precompute_sort_keys = True
                        await adapter.reset(frame)
                        await pilot.pause()
                        await app.workers.wait_for_complete()
                        await measure(f"sort by {what} (ranked ahead in a thread)", sort)
            if isinstance(adapter, FrameTableAdapter):
                async def sorted_filter():
                    return await adapter.filter(frame, low_mask())

                await measure("filter while sorted by name", sorted_filter)
    return results


# ---------------------------------------------------------------------------- report


def fmt(seconds: float) -> str:
    if seconds != seconds:
        return "timeout"
    return f"{seconds:.2f} s" if seconds >= 1 else f"{seconds * 1000:.0f} ms"


def report(rows: int, results: dict[str, dict[str, list[float]]], order: list[str]) -> str:
    labels = {name: ADAPTERS[name].label for name in order}
    steps_seen: list[str] = []
    for name in order:
        for step in results.get(name, {}):
            if step not in steps_seen:
                steps_seen.append(step)
    head = ["step", *[labels[n] for n in order], "budget"]
    table = [head]
    base = results.get("frametable", {})
    for step in steps_seen:
        line = [step]
        ref = statistics.median(base[step]) if step in base else None
        for name in order:
            values = results.get(name, {}).get(step)
            if not values:
                line.append("—")
                continue
            value = statistics.median(values)
            cell = fmt(value)
            if name != "frametable" and ref and value == value:
                cell += f" ({value / ref:.0f}×)" if value / ref >= 10 else f" ({value / ref:.1f}×)"
            if len(values) > 1:
                cell += f" n={len(values)}"
            line.append(cell)
        if step.startswith("first paint"):
            budget = BUDGET_FIRST_PAINT
        elif step.startswith(("filter", "clear", "sort")):
            budget = BUDGET_STEP
        else:
            budget = None
        if budget is None or ref is None:
            line.append("")
        else:
            line.append(("ok ≤ " if ref <= budget else "OVER ") + fmt(budget))
        table.append(line)
    widths = [max(len(r[i]) for r in table) for i in range(len(head))]
    out = [f"{rows:,} rows, {SIZE[0]}×{SIZE[1]}, medians; ratio = time / FrameTable's time"]
    for i, r in enumerate(table):
        out.append("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
        if i == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=40_000)
    parser.add_argument("--runs", type=int, default=5, help="repetitions for FrameTable")
    parser.add_argument("--fast-runs", type=int, default=3, help="repetitions for fastdatatable")
    parser.add_argument("--builtin-runs", type=int, default=1, help="repetitions for DataTable")
    parser.add_argument("--builtin-rows", type=int, default=None,
                        help="rows for Textual's DataTable (default: --rows)")
    parser.add_argument("--skip-builtin", action="store_true")
    parser.add_argument("--skip-fast", action="store_true")
    parser.add_argument("--timeout", type=float, default=180.0, help="per step, seconds")
    parser.add_argument("--json", metavar="FILE", help="also write the raw timings here")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        child_first_paint(args.child, args.data, args.timeout)
        return

    import pandas as pd
    import textual

    print(f"Python {platform.python_version()}, Textual {textual.__version__}, pandas "
          f"{pd.__version__}, {os.cpu_count()} CPUs; synthetic data (not real figures)",
          flush=True)
    plan = [("frametable", args.rows, args.runs)]
    if not args.skip_fast:
        plan.append(("fast", args.rows, args.fast_runs))
    if not args.skip_builtin:
        plan.append(("builtin", args.builtin_rows or args.rows, args.builtin_runs))
    results: dict[str, dict[str, list[float]]] = {}
    for name, rows, runs in plan:
        path = data_file(rows)
        frame = pd.read_parquet(path)
        print(f"… {ADAPTERS[name].label}: first paint ×{runs}", flush=True)
        result = first_paint(name, path, runs, args.timeout)
        print(f"… {ADAPTERS[name].label}: filter / clear / sort ×{runs}", flush=True)
        result.update(asyncio.run(steps(ADAPTERS[name], frame, runs, args.timeout)))
        results[name] = result
    print()
    print(report(args.rows, results, [name for name, _, _ in plan]))
    if args.builtin_rows and not args.skip_builtin:
        print(f"(DataTable measured on {args.builtin_rows:,} rows)")
    if args.json:
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=1), "utf-8")


if __name__ == "__main__":
    main()
