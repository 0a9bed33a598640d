"""CSV speed and peak memory per MB of input, against pandas in the same run (issue 10, part 2).

Generates (once, cached under ``benchmarks/_work/csv``):

* the national week as CSV (45,000 organisations, the demo generator's messy layout);
* a large CSV (``--csv-mb``, 60 MB by default): the national rows repeated with new ИНН;
* a CSV of distinct schools (``--distinct-mb``, 20 MB by default): the same, each repetition's
  names numbered, so that the import makes an organisation and its name keys for every row;
* a large workbook (``--xlsx-mb``, 25 MB by default): the same rows written with xlsxwriter.

Then measures, each in a fresh process, medians of ``--runs`` repetitions:

* ``sferum-tui inspect`` of the national CSV (target ≤ 0.3 s for the whole process) against a
  whole ``python -c "import pandas; pandas.read_csv(...)"`` process on the same file;
* the peak resident memory (``os.wait4`` rusage, from a small launcher: ``_setup.run_child``) of ``sferum-tui inspect`` of the large CSV and
  the large workbook, per MB of file, against ``pandas.read_csv`` / ``pandas.read_excel``
  (engine calamine: openpyxl needs minutes for such a file) on the same files.
  Bounds: CSV ≤ 3× the file size + 150 MB; a workbook ≤ 50 MB read with a peak ≤ 1.5 GB in ≤ 30 s;
* the same for ``sferum-tui import`` of the national CSV, of each large CSV and of each CSV of
  distinct schools into a new store
  (the whole command: the reader and the store's transaction; a one-week import leaves the
  indicator cache to the first reader); bound 3× the file size + 150 MB, and the peak's ratio
  to it (above 1: missed).

    python benchmarks/bench_csv.py                 # ≈2 minutes the first time (generation)
    python benchmarks/bench_csv.py --runs 7 --csv-mb 100 --xlsx-mb 50
    python benchmarks/bench_csv.py --csv-mb 60 199 --xlsx-mb 0 --work /tmp/bench   # no workbook;
                                                   # 199 MiB: just under the 200 MiB input limit
"""

from __future__ import annotations

import argparse
import csv
import io
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / "_work" / "csv"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
MB = 1 << 20

from _setup import run_child  # noqa: E402


def medians(args: list[str], runs: int) -> tuple[float, float, float]:
    got = [run_child(args) for _ in range(runs)]
    return tuple(statistics.median(x[i] for x in got) for i in range(3))


def cli(*args: str) -> list[str]:
    """The real command; the large synthetic files repeat the national rows far beyond a real
    week, so the row and cell limits ([limits] max_rows, max_sheet_cells) are raised for them
    through a config file: these measure the reader's cost per MB, not the limits."""
    config = WORK / "bench-config.toml"
    text = "[limits]\nmax_rows = 10000000\nmax_sheet_cells = 100000000\n"
    if not config.exists() or config.read_text(encoding="utf-8") != text:
        config.write_text(text, encoding="utf-8")
    return [sys.executable, "-m", "sferum_tui", "--config", str(config), *args]


def national_csv(rows: int) -> Path:
    from sferum_tui.core.demo import write_country_week

    target = WORK / f"country_{rows}.csv"
    if not target.exists():
        WORK.mkdir(parents=True, exist_ok=True)
        path = write_country_week(WORK / "gen", fmt="csv", seed=1, rows=rows)
        shutil.move(str(path), target)
        shutil.rmtree(WORK / "gen", ignore_errors=True)
    return target


def _table(src: Path) -> tuple[list[str], list[list[str]]]:
    """(title and header lines, data rows) of the generated national CSV."""
    text = src.read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    start = next(i for i, r in enumerate(rows) if r and r[0].startswith("№"))
    return rows[: start + 1], rows[start + 1:]


def _repeated(src: Path, target_mb: float, distinct: bool = False):
    """The national rows repeated (with a new ИНН each) until about ``target_mb`` of CSV;
    ``distinct``: each repetition's names numbered too, so every row is a school of its own
    (the store makes an organisation and its name keys for each)."""
    head, body = _table(src)
    inn = next(c for c, name in enumerate(head[-1]) if name.startswith("ИНН"))
    name = next(c for c, title in enumerate(head[-1]) if title.startswith("Наименование"))
    per_row = src.stat().st_size / len(body)
    total = int(target_mb * MB / per_row)
    yield from head
    for k in range(total):
        row = list(body[k % len(body)])
        if row[inn].isdigit():
            row[inn] = str(1_000_000_000 + k)
        if distinct and k >= len(body):
            row[name] = f"{row[name]} (корпус {k // len(body) + 1})"
        yield row


def big_csv(src: Path, mb: float, distinct: bool = False) -> Path:
    target = WORK / f"big_{mb:g}mb{'_distinct' if distinct else ''}.csv"
    if not target.exists():
        with open(target, "w", encoding="utf-8-sig", newline="") as fh:
            csv.writer(fh, delimiter=";").writerows(_repeated(src, mb, distinct))
    return target


def big_xlsx(src: Path, mb: float) -> Path:
    """A workbook of about ``mb`` MB: ~12 bytes of xlsx per CSV byte / 2.3 (measured on the
    national file: 8.3 MB of CSV → 3.65 MB of xlsx)."""
    import xlsxwriter

    target = WORK / f"big_{mb:g}mb.xlsx"
    if not target.exists():
        wb = xlsxwriter.Workbook(str(target), {"constant_memory": True})
        ws = wb.add_worksheet("Мониторинг")
        for r, row in enumerate(_repeated(src, mb * 2.3)):
            for c, v in enumerate(row):
                if v.isdigit() and len(v) < 7:
                    ws.write_number(r, c, int(v))
                else:
                    ws.write_string(r, c, v)
        wb.close()
    return target


def main() -> int:
    global WORK
    from _setup import compile_package

    compile_package()
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=45_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--csv-mb", type=float, nargs="+", default=[60], help="sizes of the large CSVs (MiB; 0: none)")
    ap.add_argument("--distinct-mb", type=float, nargs="*", default=[20],
                    help="sizes of the CSVs of distinct schools, imported only (MiB; 0: none)")
    ap.add_argument("--xlsx-mb", type=float, default=25, help="size of the large workbook (0: none)")
    ap.add_argument("--mem-runs", type=int, default=3)
    ap.add_argument("--work", type=Path, default=WORK, help="where the generated files are kept")
    opts = ap.parse_args()
    WORK = opts.work

    t0 = time.perf_counter()
    nat = national_csv(opts.rows)
    bigs = [big_csv(nat, mb) for mb in opts.csv_mb if mb > 0]   # 0: the national file alone
    distincts = [big_csv(nat, mb, distinct=True) for mb in opts.distinct_mb if mb > 0]
    wbk = big_xlsx(nat, opts.xlsx_mb) if opts.xlsx_mb > 0 else None
    print(f"files ready in {time.perf_counter() - t0:.0f} s: {nat.name}, {', '.join(b.name for b in bigs + distincts)}"
          f"{', ' + wbk.name if wbk else ''}", file=sys.stderr)

    def pandas_csv(path: Path) -> list[str]:
        return [sys.executable, "-c", f"import pandas; pandas.read_csv({str(path)!r}, sep=';', skiprows=2, dtype=str)"]

    def pandas_xlsx(path: Path) -> list[str]:
        return [sys.executable, "-c", f"import pandas; pandas.read_excel({str(path)!r}, header=None, engine='calamine')"]

    rows = []  # (step, seconds, peak MiB, MB of file, pandas seconds, pandas peak, target, cpu, pandas cpu)
    pandas_of: dict[Path, tuple[float, float, float]] = {}   # pandas' (s, MiB, cpu) per file
    # interleave ours and pandas' runs so both see the same machine load
    ours, theirs = [], []
    for _ in range(opts.runs):
        ours.append(run_child(cli("inspect", str(nat))))
        theirs.append(run_child(pandas_csv(nat)))
    med = lambda xs, i: statistics.median(x[i] for x in xs)  # noqa: E731
    size = nat.stat().st_size / MB
    rows.append((f"inspect national csv ({opts.rows} rows)", med(ours, 0), med(ours, 1), size,
                 med(theirs, 0), med(theirs, 1), "≤ 0.3 s", med(ours, 2), med(theirs, 2)))
    pandas_of[nat] = (med(theirs, 0), med(theirs, 1), med(theirs, 2))
    large = [("inspect large csv", big, pandas_csv, lambda mb: f"≤ {3 * mb + 150:.0f} MiB") for big in bigs]
    if wbk:
        large.append(("inspect large xlsx", wbk, pandas_xlsx, lambda mb: "≤ 1536 MiB, ≤ 30 s"))
    for label, path, pandas_cmd, bound in large:
        t, m, c = medians(cli("inspect", str(path)), opts.mem_runs)
        pt, pm, pc = pandas_of[path] = medians(pandas_cmd(path), opts.mem_runs)
        mb = path.stat().st_size / MB
        rows.append((label, t, m, mb, pt, pm, bound(mb), c, pc))
    # import: each run into a new store (the whole command)
    imports = [("import peak, national csv", nat)] + [("import peak, large csv", big) for big in bigs]
    imports += [("import peak, distinct schools", d) for d in distincts]
    for label, path in imports:
        got = []
        for _ in range(opts.mem_runs):
            store = tempfile.mkdtemp(prefix="store-", dir=WORK)
            try:
                got.append(run_child(cli("--store", store, "import", str(path))))
            finally:
                shutil.rmtree(store, ignore_errors=True)
        t, m, c = (statistics.median(x[i] for x in got) for i in range(3))
        if path not in pandas_of:
            pandas_of[path] = medians(pandas_csv(path), opts.mem_runs)
        pt, pm, pc = pandas_of[path]
        mb = path.stat().st_size / MB
        limit = 3 * mb + 150
        rows.append((label, t, m, mb, pt, pm, f"≤ {limit:.0f} MiB (peak/bound {m / limit:.2f})", c, pc))
    base_t, base_m, base_c = medians([sys.executable, "-c", "pass"], opts.runs)

    print()
    print(f"{'step':<34} {'file MB':>7} {'median s':>9} {'cpu s':>6} {'pandas s':>9} {'cpu s':>6} {'vs pandas':>9} "
          f"{'peak MiB':>9} {'MiB/MB':>7} {'pandas MiB':>10} {'MiB/MB':>7}  target")
    print("-" * 140)
    for name, t, m, mb, pt, pm, target, c, pc in rows:
        print(f"{name:<34} {mb:>7.1f} {t:>9.3f} {c:>6.2f} {pt:>9.3f} {pc:>6.2f} {pt / t:>8.2f}x {m:>9.0f} {m / mb:>7.2f} "
              f"{pm:>10.0f} {pm / mb:>7.2f}  {target}")
    print(f"{'(python -c pass)':<34} {'':>7} {base_t:>9.3f} {base_c:>6.2f} {'':>9} {'':>6} {'':>9} {base_m:>9.0f}")
    print()
    print("Wall-clock medians of fresh processes; cpu s: user + system time of the same processes (less"
          " sensitive to a busy machine).  vs pandas: pandas' seconds / ours (above 1: we are faster)."
          "  MiB/MB: peak resident memory of the whole process per MB of input file.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
