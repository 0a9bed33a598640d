"""Benchmark of the indicators layer on a country-scale store (issue 3, part 5).

    .venv/bin/python benchmarks/bench_indicators.py [--orgs 40000] [--weeks 150] [--repeat 5]

Builds (once; reused under ``benchmarks/_work/``) a store of ≈40,000 organisations × 150 weeks,
then prints, for each target, the median time of the real query beside the same question
answered naively (load the whole history into pandas, then filter) in the same run, the ratio,
and the peak RSS of the process.

How the store is built FAST (150 xlsx files would take an hour):

* the population and the weekly figures come from ``core/demo.py`` (synthetic, seeded);
* the registry (all organisations, staff counts) and the OLDEST week go through the real import
  path (CSV files → reader → ``Store.import_registry`` / ``Store.import_file``), so identities,
  interned names and the snapshot bookkeeping are exactly what an import makes;
* the other 149 weeks are inserted in bulk straight into the store's tables (``snapshots``,
  ``facts``, ``org_names`` for new spellings, ``orgs.first_seen/last_seen``, ``missing_counts``)
  with the organisation uids the real import gave, one transaction per 25 weeks.

The timings of the indicators layer are measured with a warm flag cache (``ind_week_flags``,
see ``core/indicator_store.py``); the one-off cost of filling it for the whole history is
printed as well.
"""

from __future__ import annotations

import argparse
import csv
import gc
import hashlib
import io
import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

WORK = HERE / "_work" / "indicators"
END = date(2026, 1, 9)          # a Friday: the last week of the synthetic history
STATUS_CODE = {"active": 1, "inactive": 0}


# --------------------------------------------------------------------------------------------
# Building the store
# --------------------------------------------------------------------------------------------

def _registry_csv(pop, path: Path) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow(["Справочник образовательных организаций (синтетические данные)"])
    w.writerow(["Субъект РФ", "Муниципальное образование", "ИНН", "Наименование организации",
                "Численность сотрудников", "Тип организации"])
    for row in zip(pop.region.tolist(), pop.municipality.tolist(), pop.org_id.tolist(),
                   pop.org_name.tolist(), pop.staff_total.tolist(), pop.kind.tolist()):
        w.writerow(row)
    path.write_bytes(buf.getvalue().encode("utf-8"))
    return path


def build_store(home: Path, n_orgs: int, n_weeks: int, seed: int = 7) -> dict:
    from sferum_tui.core import demo
    from sferum_tui.core.store import Store

    info: dict = {}
    t0 = time.perf_counter()
    pop = demo.build_population("country", seed, size=n_orgs)
    weeks = demo.simulate_weeks(pop, n_weeks, seed, end=END)
    info["simulate_s"] = time.perf_counter() - t0

    files = home.parent / "files"
    files.mkdir(parents=True, exist_ok=True)
    store = Store(home)
    t0 = time.perf_counter()
    store.import_registry(_registry_csv(pop, files / "registry.csv"))
    info["registry_import_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    first = demo.write_week_file(weeks[0], files, demo.COUNTRY_LAYOUTS["csv"], seed=seed)
    store.import_file(first)
    info["first_week_import_s"] = time.perf_counter() - t0
    store.close()

    t0 = time.perf_counter()
    con = sqlite3.connect(home / "store.sqlite", isolation_level=None)
    con.execute("PRAGMA synchronous = OFF")
    uid_of = dict(con.execute("SELECT inn, uid FROM orgs WHERE inn IS NOT NULL"))
    uids_pop = np.array([uid_of[i] for i in pop.org_id.tolist()], dtype=np.int64)

    def intern(table: str, values) -> dict:
        known = {name: i for i, name in con.execute(f"SELECT id, name FROM {table}")}
        new = sorted(set(values) - set(known))
        start = (con.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()[0]) + 1
        con.executemany(f"INSERT INTO {table} (id, name) VALUES (?, ?)",
                        [(start + k, v) for k, v in enumerate(new)])
        known.update((v, start + k) for k, v in enumerate(new))
        return known

    con.execute("BEGIN")
    names = intern("org_names", {n for w in weeks for n in w.org_name.tolist()})
    munis = intern("municipalities", set(pop.municipality.tolist()))
    regions = intern("regions", set(pop.region.tolist()))
    con.execute("COMMIT")
    muni_id = np.array([munis[m] for m in pop.municipality.tolist()], dtype=np.int64)
    region_id = np.array([regions[r] for r in pop.region.tolist()], dtype=np.int64)
    now = datetime.now(UTC).replace(microsecond=0).isoformat()
    next_id = con.execute("SELECT coalesce(max(id), 0) + 1 FROM snapshots").fetchone()[0]

    def nullable(arr):
        return [None if v < 0 else v for v in arr.tolist()]

    for k, week in enumerate(weeks[1:], start=1):
        if (k - 1) % 25 == 0:
            con.execute("BEGIN")
        sid = next_id
        next_id += 1
        idx = week.pop_index
        name_ids = [names[n] for n in week.org_name.tolist()]
        status = [STATUS_CODE[s] for s in week.status.tolist()]
        c = week.counts
        cols = [uids_pop[idx].tolist(), list(range(3, 3 + len(idx))), name_ids,
                muni_id[idx].tolist(), region_id[idx].tolist(), status,
                nullable(c["users_total"]), [None] * len(idx), nullable(c["teachers"]),
                nullable(c["students"]), nullable(c["parents"]), nullable(c["classes"]),
                nullable(c["chats"]), nullable(c["teachers_active"]), [None] * len(idx)]
        sha = hashlib.sha256(f"bulk:{seed}:{week.start}".encode()).hexdigest()
        con.execute(
            "INSERT INTO snapshots (id, period_start, period_end, source_name, sha256, blob, "
            "imported_at, rows, skipped, skipped_json, warnings_json, columns_json) "
            "VALUES (?,?,?,?,?,?,?,?,0,'[]','[]','{}')",
            (sid, week.start.isoformat(), week.end.isoformat(),
             f"bulk-synthetic-{week.start.isoformat()}.csv", sha, "blobs/bulk-synthetic",
             now, len(idx)))
        con.executemany(f"INSERT INTO facts VALUES ({sid},?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                        zip(*cols))
        if k % 25 == 0 or k == len(weeks) - 1:
            con.execute("COMMIT")
    # every real import writes the week's column copy (the console and week_table read it);
    # the bulk weeks get theirs here, so the store is what 150 imports would have made
    from sferum_tui.core.store.columns import rebuild_columns

    bulk = [sid for (sid,) in con.execute(
        "SELECT s.id FROM snapshots s WHERE NOT EXISTS "
        "(SELECT 1 FROM snapshot_columns c WHERE c.snapshot_id = s.id)").fetchall()]
    for k in range(0, len(bulk), 25):
        con.execute("BEGIN")
        for sid in bulk[k:k + 25]:
            rebuild_columns(con, sid)
        con.execute("COMMIT")
    con.execute("BEGIN")
    con.execute("""UPDATE orgs SET first_seen = x.fs, last_seen = x.ls FROM (
                     SELECT f.org_uid AS uid, min(s.period_start) AS fs, max(s.period_end) AS ls
                     FROM facts f JOIN snapshots s ON s.id = f.snapshot_id GROUP BY f.org_uid) x
                   WHERE orgs.uid = x.uid""")
    con.execute("""INSERT OR REPLACE INTO missing_counts (registry_id, snapshot_id, missing)
                   SELECT g.id, s.id, (SELECT count(*) FROM registry_rows rr WHERE rr.registry_id = g.id
                     AND NOT EXISTS (SELECT 1 FROM facts f WHERE f.snapshot_id = s.id
                                     AND f.org_uid = rr.org_uid))
                   FROM registries g, snapshots s WHERE g.replaced_by IS NULL""")
    con.execute("COMMIT")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.execute("ANALYZE")
    con.close()
    info["bulk_weeks_s"] = time.perf_counter() - t0
    info.update(orgs=n_orgs, weeks=n_weeks, seed=seed)
    (home / "bench.json").write_text(json.dumps(info, indent=2))
    return info


def ensure_store(n_orgs: int, n_weeks: int, rebuild: bool = False) -> tuple[Path, dict]:
    home = WORK / f"store_{n_orgs}x{n_weeks}"
    marker = home / "bench.json"
    if rebuild and home.exists():
        import shutil

        shutil.rmtree(home)
    if marker.exists():
        return home, json.loads(marker.read_text())
    if home.exists():  # a build that did not finish
        import shutil

        shutil.rmtree(home)
    home.mkdir(parents=True)
    print(f"building the store {home} ({n_orgs} organisations × {n_weeks} weeks)…", flush=True)
    info = build_store(home, n_orgs, n_weeks)
    return home, info


# --------------------------------------------------------------------------------------------
# The naive way: the whole history into pandas, then filter
# --------------------------------------------------------------------------------------------

NAIVE_SQL = (
    "SELECT f.snapshot_id, f.org_uid, f.status, f.users_total, f.staff_total, f.teachers, "
    "f.students, f.parents, f.classes, f.chats, f.teachers_active, f.teachers_active_share, "
    "s.period_start FROM facts f JOIN snapshots s ON s.id = f.snapshot_id "
    "WHERE s.superseded_by IS NULL")


def naive_load(home: Path):
    """Every fact of every current week as one DataFrame (numbers only — generous to the naive
    way: no texts), with the registry's staff counts filled in."""
    import pandas as pd

    con = sqlite3.connect(home / "store.sqlite")
    parts = list(pd.read_sql_query(NAIVE_SQL, con, chunksize=500_000))
    hist = pd.concat(parts, ignore_index=True)
    reg = pd.read_sql_query(
        "SELECT rr.org_uid, rr.staff_total AS reg_staff FROM registry_rows rr JOIN registries g "
        "ON g.id = rr.registry_id WHERE g.replaced_by IS NULL", con)
    con.close()
    hist = hist.merge(reg, on="org_uid", how="left")
    hist["staff_total"] = hist["staff_total"].fillna(hist["reg_staff"])
    return hist


def naive_indicators(hist, cfg):
    """Per-row indicator codes over the whole history, vectorised in pandas."""
    from sferum_tui.core.indicators.calc import evaluate_frame

    frame = hist.copy()
    frame["status"] = frame["status"].map({1: "active", 0: "inactive"})
    cols = evaluate_frame(frame, cfg, with_reasons=False, missing=np.zeros(len(frame), dtype=bool))
    for k, i in enumerate(cfg.indicators):
        frame[f"code_{i.key}"] = cols["_codes"][:, k]
    for c in ("inactive", "messaging_share", "registration_share", "low_messaging"):
        frame[c] = cols[c]
    return frame


def naive_streaks(frame, cfg, upto: str):
    """Weeks in a row below target per organisation, ending at week ``upto``, in pandas."""
    f = frame[frame["period_start"] <= upto].sort_values(["org_uid", "period_start"],
                                                         ascending=[True, False])
    out = {}
    for i in cfg.indicators:
        code = f[f"code_{i.key}"]
        broken = (code == 1).groupby(f["org_uid"]).cummax()
        out[i.key] = ((code == 2) & ~broken).groupby(f["org_uid"]).sum()
    return out


def naive_week(home: Path, cfg):
    hist = naive_load(home)
    frame = naive_indicators(hist, cfg)
    weeks = sorted(frame["period_start"].unique())
    latest, prev = weeks[-1], weeks[-2]
    now = frame[frame["period_start"] == latest].set_index("org_uid")
    before = frame[frame["period_start"] == prev].set_index("org_uid")
    now = now.join(before[["users_total", "messaging_share", "inactive"]], rsuffix="_prev")
    now["d_users_total"] = now["users_total"] - now["users_total_prev"]
    now["newly_inactive"] = now["inactive"] & (now["inactive_prev"] == False)  # noqa: E712
    for key, s in naive_streaks(frame, cfg, latest).items():
        now[f"weeks_below_{key}"] = s.reindex(now.index).fillna(0)
    return now


def naive_history(home: Path, cfg, uid: int):
    hist = naive_load(home)
    one = hist[hist["org_uid"] == uid].sort_values("period_start")
    return naive_indicators(one, cfg)


def naive_schools_json(home: Path, cfg) -> str:
    now = naive_week(home, cfg)
    low = now[now["low_messaging"]].reset_index()
    return low.to_json(orient="records", force_ascii=False)


def naive_summary(home: Path, cfg):
    now = naive_week(home, cfg)
    return now.groupby("status").size()     # area figures need no more than the week table


def _naive_worker(target: str, home: Path, uid: int) -> None:
    """Runs in a subprocess: one naive measurement, printed as JSON (time, peak RSS)."""
    from sferum_tui.core.config import Config

    cfg = Config.default()
    t0 = time.perf_counter()
    if target == "week":
        naive_week(home, cfg)
    elif target == "history":
        naive_history(home, cfg, uid)
    elif target == "schools_json":
        sys.stdout.write("")
        naive_schools_json(home, cfg)
    elif target == "summary":
        naive_summary(home, cfg)
    dt = time.perf_counter() - t0
    print(json.dumps({"s": dt, "rss_mb": _rss_mb(resource.RUSAGE_SELF)}))


def _rss_mb(who) -> float:
    return resource.getrusage(who).ru_maxrss / 1024.0     # Linux: kilobytes


# --------------------------------------------------------------------------------------------
# Measuring
# --------------------------------------------------------------------------------------------

def _median(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _cli(home: Path, *argv: str) -> None:
    env = dict(os.environ, SFERUM_TUI_LANG="ru", COLUMNS="100")
    env.pop("SFERUM_TUI_HOME", None)
    subprocess.run([sys.executable, "-m", "sferum_tui", "--home", str(home), *argv],
                   stdout=subprocess.DEVNULL, check=True, env=env, cwd=str(ROOT))


def _naive(target: str, home: Path, uid: int) -> tuple[float, float]:
    out = subprocess.run([sys.executable, __file__, "--naive-worker", target, "--home", str(home),
                          "--uid", str(uid)], capture_output=True, text=True, check=True,
                         cwd=str(ROOT))
    data = json.loads(out.stdout.strip().splitlines()[-1])
    return data["s"], data["rss_mb"]


def main() -> int:
    from _setup import compile_package

    compile_package()
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--orgs", type=int, default=40000)
    ap.add_argument("--weeks", type=int, default=150)
    ap.add_argument("--repeat", type=int, default=5, help="runs per fast measurement (median)")
    ap.add_argument("--rebuild", action="store_true", help="build the store again")
    ap.add_argument("--no-cold", action="store_true",
                    help="skip measuring the one-off fill of the streak flag cache")
    ap.add_argument("--no-naive", action="store_true", help="skip the naive measurements")
    ap.add_argument("--naive-worker", help=argparse.SUPPRESS)
    ap.add_argument("--home", help=argparse.SUPPRESS)
    ap.add_argument("--uid", type=int, default=1, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.naive_worker:
        _naive_worker(args.naive_worker, Path(args.home), args.uid)
        return 0

    home, info = ensure_store(args.orgs, args.weeks, rebuild=args.rebuild)
    print(f"store: {home} ({info['orgs']} organisations × {info['weeks']} weeks; built with "
          f"registry import {info['registry_import_s']:.1f} s, first week through the CSV import "
          f"path {info['first_week_import_s']:.1f} s, {info['weeks'] - 1} weeks in bulk "
          f"{info['bulk_weeks_s']:.1f} s)")
    from sferum_tui.core import indicators as ind
    from sferum_tui.core.config import Config
    from sferum_tui.core.store import Store

    cfg = Config.default()
    store = Store(home)
    snap = ind.resolve_week(store, "latest")
    uids = store.week_frame(snap.id)["org_uid"]
    uid = int(uids.iloc[len(uids) // 2])             # a school in the middle of the file

    if not args.no_cold:
        con = sqlite3.connect(home / "store.sqlite")
        con.execute("DROP TABLE IF EXISTS ind_week_flags")
        con.commit()
        con.close()
        t0 = time.perf_counter()
        ind.week_table(store, cfg, snap.id)
        cold = time.perf_counter() - t0
        print(f"one-off: the first week table with an empty flag cache, as after a config or "
              f"registry change (computes and caches the codes of all {info['weeks']} weeks; "
              f"imports fill it beforehand): {cold:.1f} s")
    else:
        ind.warm_cache(store, cfg)

    def week_all():
        df = ind.week_table(store, cfg, snap.id)
        ind.changes(store, cfg, snap.id, table=df)
        ind.kpis(df, cfg)

    week_s = _median(week_all, args.repeat)
    hist_s = _median(lambda: ind.org_history(store, cfg, uid), max(args.repeat, 10))
    fast_rss = _rss_mb(resource.RUSAGE_SELF)
    schools_s = _median(lambda: _cli(home, "schools", "--low-messaging", "--format", "json"),
                        args.repeat)
    summary_s = _median(lambda: _cli(home, "summary"), args.repeat)
    cli_rss = _rss_mb(resource.RUSAGE_CHILDREN)
    store.close()

    targets = [
        ("week", "all indicators, latest week, changes + streaks", week_s, 1.0),
        ("history", "one school's 150-week history", hist_s, 0.05),
        ("schools_json", "schools --low-messaging --format json (end to end)", schools_s, 3.0),
        ("summary", "summary (end to end)", summary_s, 2.0),
    ]
    naive: dict[str, tuple[float, float]] = {}
    if not args.no_naive:
        for key, *_ in targets:
            naive[key] = _naive(key, home, uid)

    print()
    print(f"{'query':<52} {'target':>7} {'median':>9} {'naive':>9} {'ratio':>7}  ok")
    for key, label, s, target in targets:
        nv = naive.get(key)
        ratio = f"{nv[0] / s:6.0f}×" if nv else "      —"
        nv_text = f"{nv[0]:8.2f}s" if nv else "        —"
        print(f"{label:<52} {target:6.2f}s {s:8.3f}s {nv_text} {ratio}  "
              f"{'yes' if s <= target else 'NO'}")
    peak = max(fast_rss, cli_rss)
    print()
    print(f"peak RSS: API process {fast_rss:.0f} MB, CLI processes {cli_rss:.0f} MB "
          f"(target ≤ 1024 MB: {'yes' if peak <= 1024 else 'NO'})"
          + (f"; naive processes up to {max(v[1] for v in naive.values()):.0f} MB" if naive else ""))
    print("naive = the whole history read into pandas (numbers only), indicators and streaks "
          "computed there, then filtered; one run each, in a subprocess.")
    print(f"machine load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
