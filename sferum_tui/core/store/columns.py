"""Per-week column copies: each snapshot's facts kept once more as one compressed Arrow IPC stream.

Whole weeks are read far more often than they are written, so ``snapshot_columns`` holds every
snapshot as the week exactly as :meth:`~sferum_tui.core.store.Store.week_frame` returns it (names
as written, municipality, region, key and ИНН as of the import): a 40,000-row week loads without
700,000 Python objects. Organisations that get an ИНН later are patched in by the reader through
``orgs.key_version`` (the copy records the ``keys_version`` it was written at).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sferum_tui.core.fields import COUNT_FIELDS
from sferum_tui.core.store.schema import meta

COLUMNS_FORMAT = b"sferum-week-2"


def columns_blob(facts: list[tuple], texts: list[tuple], keys_version: int) -> bytes:
    """One snapshot as a zstd-compressed Arrow IPC stream: the week exactly as
    :meth:`Store.week_frame` returns it. ``facts`` are the rows of the facts table (without the
    snapshot id), ``texts`` the matching (region, municipality, name, key, ИНН)."""
    import pyarrow as pa

    n_fact = 6 + len(COUNT_FIELDS)
    fcols = list(zip(*facts)) if facts else [() for _ in range(n_fact)]
    tcols = list(zip(*texts)) if texts else [() for _ in range(5)]
    region, muni, name, key, inn = tcols
    arrays = {
        "org_uid": pa.array(fcols[0], type=pa.int32()),
        "org_key": pa.array(key, type=pa.string()),
        "region": pa.array(region, type=pa.string()).dictionary_encode(),
        "municipality": pa.array(muni, type=pa.string()).dictionary_encode(),
        "org_id": pa.array(inn, type=pa.string()),
        "org_name": pa.array(name, type=pa.string()),
        "status": pa.array(fcols[5], type=pa.int8()),
    }
    for i, field_name in enumerate(COUNT_FIELDS):
        arrays[field_name] = pa.array(fcols[6 + i], type=pa.int64())
    arrays["teachers_active_share"] = pa.array(fcols[6 + len(COUNT_FIELDS)], type=pa.float64())
    arrays["row"] = pa.array(fcols[1], type=pa.int32())
    table = pa.table(arrays).replace_schema_metadata(
        {"format": COLUMNS_FORMAT, "keys_version": str(keys_version)})
    sink = pa.BufferOutputStream()
    codec = "zstd" if pa.Codec.is_available("zstd") else None
    with pa.ipc.new_stream(sink, table.schema,
                           options=pa.ipc.IpcWriteOptions(compression=codec)) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def rebuild_columns(con: sqlite3.Connection, snap_id: int) -> None:
    """(Re)write the column copy of one snapshot from the facts table."""
    rows = con.execute(
        "SELECT f.org_uid, f.row, f.name_id, f.municipality_id, f.region_id, f.status, "
        + ", ".join(f"f.{c}" for c in COUNT_FIELDS) + ", f.teachers_active_share, "
        "r.name, m.name, n.name, o.key, o.inn "
        "FROM facts f JOIN orgs o ON o.uid = f.org_uid "
        "LEFT JOIN org_names n ON n.id = f.name_id "
        "LEFT JOIN municipalities m ON m.id = f.municipality_id "
        "LEFT JOIN regions r ON r.id = f.region_id "
        "WHERE f.snapshot_id = ? ORDER BY f.row", (snap_id,)).fetchall()
    n_fact = 7 + len(COUNT_FIELDS)
    blob = columns_blob([r[:n_fact] for r in rows], [r[n_fact:] for r in rows],
                         meta(con, "keys_version"))
    con.execute("INSERT INTO snapshot_columns (snapshot_id, data) VALUES (?, ?) "
                "ON CONFLICT (snapshot_id) DO UPDATE SET data = excluded.data",
                (snap_id, blob))


def strings(col) -> "Any":
    """An Arrow (dictionary) string column as a numpy object array (None for null)."""
    import numpy as np
    import pyarrow as pa

    if pa.types.is_dictionary(col.type):
        col = col.combine_chunks() if hasattr(col, "combine_chunks") else col
        dictionary = np.array(col.dictionary.to_pylist() + [None], dtype=object)
        idx = col.indices.fill_null(len(dictionary) - 1).to_numpy().astype(np.int64)
        return dictionary[idx]
    return col.to_numpy(zero_copy_only=False)


def read_table(data: bytes) -> Any:
    """A stored column copy as an Arrow table, or None for an older layout (the caller reads
    the facts table instead)."""
    import pyarrow as pa

    table = pa.ipc.open_stream(data).read_all()
    return table if (table.schema.metadata or {}).get(b"format") == COLUMNS_FORMAT else None
