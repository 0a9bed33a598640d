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
from datetime import date, datetime, timezone
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
    now = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
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
