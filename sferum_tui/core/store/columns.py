"""Per-week column copies: each snapshot's facts kept once more as one compressed Arrow IPC stream.

Whole weeks are read far more often than they are written, so ``snapshot_columns`` holds each
snapshot as the week exactly as :meth:`~sferum_tui.core.store.Store.week_frame` returns it (names
as written, municipality, region, key and ИНН as of the copy): a 40,000-row week loads without
700,000 Python objects.  An import does not make it (that loads pyarrow, 27 MB of the import's
peak): the first reader of the week that can write does (:func:`rebuild_columns`), and a reader
that cannot reads the facts. Organisations that get an ИНН later are patched in by the reader through
``orgs.key_version`` (the copy records the ``keys_version`` it was written at).
"""

from __future__ import annotations

import io
import os
import sqlite3
import sys
from typing import Any

from sferum_tui.core.fields import COUNT_FIELDS
from sferum_tui.core.store.schema import meta

COLUMNS_FORMAT = b"sferum-week-2"


STRING_CHUNK = 1 << 16
"""Texts encoded at a time for a string column (bounds the transient copies)."""


def columns_blob(cols: dict[str, Any], keys_version: int) -> bytes:
    """One snapshot as a zstd-compressed Arrow IPC stream: the week exactly as
    :meth:`Store.week_frame` returns it. ``cols``: ``org_uid`` and ``row`` (integer arrays),
    ``org_key``, ``region``, ``municipality``, ``org_id``, ``org_name`` (lists of texts or None),
    ``status``, the count fields and ``teachers_active_share`` (``resolver.NumColumn``).

    The arrays are made from numpy buffers, not by ``pyarrow.array``: that one imports pandas
    (~50 MB) to check what it was given, which the import has no other use for."""
    pa = _pyarrow()

    # Arrow's own allocator (mimalloc) keeps what it frees; the system one hands it back to
    # the heap, where the page cache of the import's inserts reuses it
    pool = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        return _columns_blob(cols, keys_version)
    finally:
        pa.set_memory_pool(pool)


def _pyarrow() -> Any:
    """pyarrow; when this is where the process first loads it (``import``, ``fetch``), with the
    system allocator as Arrow's C++ default memory pool.

    The IPC writer takes the buffers it compresses into from that pool, which pyarrow offers no
    option to choose (``set_memory_pool`` sets pyarrow's own default only).  The default,
    mimalloc, makes them resident at their bound (about the uncompressed size): +18 MiB for the
    national week, +33 MiB for a 60 MB file, the import's peak.  The variable Arrow reads once,
    as it makes its default pool, is set only for that moment (a value the user set is kept)."""
    if "pyarrow" in sys.modules:
        import pyarrow as pa

        return pa
    had = os.environ.get(_ARROW_POOL_ENV)
    os.environ.setdefault(_ARROW_POOL_ENV, "system")
    try:
        import pyarrow as pa

        pa.default_memory_pool()
    finally:
        if had is None:
            os.environ.pop(_ARROW_POOL_ENV, None)
    return pa


_ARROW_POOL_ENV = "ARROW_DEFAULT_MEMORY_POOL"


def _columns_blob(cols: dict[str, Any], keys_version: int) -> bytes:
    import numpy as np
    import pyarrow as pa

    n = len(cols["org_uid"])
    take = cols.pop          # each column goes once it is converted
    arrays = {
        "org_uid": _numbers(pa.int32(), np.asarray(take("org_uid")).astype(np.int32), None),
        "org_key": _strings(take("org_key")),
        "region": _dictionary(take("region")),
        "municipality": _dictionary(take("municipality")),
        "org_id": _strings(take("org_id")),
        "org_name": _strings(take("org_name")),
        "status": _column(pa.int8(), np.int8, take("status")),
    }
    for field_name in COUNT_FIELDS:
        arrays[field_name] = _column(pa.int64(), np.int64, take(field_name))
    arrays["teachers_active_share"] = _column(pa.float64(), np.float64, take("teachers_active_share"))
    arrays["row"] = _numbers(pa.int32(), np.asarray(take("row")).astype(np.int32), None)
    assert all(len(a) == n for a in arrays.values())
    table = pa.Table.from_arrays(list(arrays.values()), names=list(arrays)).replace_schema_metadata(
        {"format": COLUMNS_FORMAT, "keys_version": str(keys_version)})
    del arrays
    # a BytesIO grows in place (realloc) and hands over its bytes without a copy; Arrow's
    # BufferOutputStream copies at each doubling and again in to_pybytes (~2.5x the stream
    # resident at once: +20 MiB for a 60 MB file)
    out = io.BytesIO()
    codec = "zstd" if pa.Codec.is_available("zstd") else None
    with pa.ipc.new_stream(pa.PythonFile(out, mode="w"), table.schema,
                           options=pa.ipc.IpcWriteOptions(compression=codec, use_threads=False)) as writer:
        writer.write_table(table)
    del table
    return out.getvalue()


def _validity(missing) -> tuple[Any, int]:
    """(Arrow validity buffer or None, null count) of a boolean "missing" array."""
    import numpy as np
    import pyarrow as pa

    nulls = int(missing.sum())
    if not nulls:
        return None, 0
    return pa.py_buffer(np.packbits(~missing, bitorder="little")), nulls


def _numbers(typ, data, missing) -> Any:
    import pyarrow as pa

    valid, nulls = _validity(missing) if missing is not None else (None, 0)
    return pa.Array.from_buffers(typ, len(data), [valid, pa.py_buffer(data)], null_count=nulls)


def _column(typ, dtype, col) -> Any:
    from sferum_tui.core.store.resolver import NumColumn

    if not isinstance(col, NumColumn):
        col = NumColumn(col, dtype)
    return _numbers(typ, col.data.astype(dtype, copy=False), col.mask)


def _strings(values: list) -> Any:
    """A string array of texts (None: null), encoded a chunk at a time into one growing buffer
    (never the chunks and their join at once: the names of a 60 MB file are ~30 MB)."""
    import numpy as np
    import pyarrow as pa

    n = len(values)
    missing = np.zeros(n, dtype=bool)
    offsets = np.zeros(n + 1, dtype=np.int32)
    out = bytearray()
    for s in range(0, n, STRING_CHUNK):
        chunk = values[s:s + STRING_CHUNK]
        if None in chunk:
            missing[s:s + len(chunk)] = [v is None for v in chunk]
            chunk = ["" if v is None else v for v in chunk]
        joined = "\x00".join(chunk)
        if joined.count("\x00") != len(chunk) - 1:   # a NUL inside a text: one by one
            enc = [t.encode("utf-8") for t in chunk]
            lengths = np.fromiter(map(len, enc), dtype=np.int64, count=len(enc))
            data = b"".join(enc)
            del enc
        else:
            raw = np.frombuffer(joined.encode("utf-8"), dtype=np.uint8)
            seps = np.flatnonzero(raw == 0)
            ends = np.append(seps, len(raw)) - np.arange(len(chunk))
            lengths = np.diff(ends, prepend=0)
            data = raw[raw != 0].tobytes() if len(seps) else raw.tobytes()
            del raw, seps, ends
        del joined, chunk
        ends = len(out) + np.cumsum(lengths)
        if len(ends) and ends[-1] >= 1 << 31:
            raise OverflowError("string column over 2 GiB")
        offsets[s + 1:s + 1 + len(ends)] = ends
        out += data
        del data, ends
    valid, nulls = _validity(missing)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(out), valid, nulls)


def _dictionary(values: list) -> Any:
    """A dictionary-encoded string column (first-appearance order, as ``dictionary_encode``)."""
    import numpy as np
    import pyarrow as pa

    codes: dict[str, int] = {}
    code = codes.setdefault
    n = len(values)
    idx = np.zeros(n, dtype=np.int32)
    missing = np.zeros(n, dtype=bool)
    for s in range(0, n, STRING_CHUNK):
        chunk = values[s:s + STRING_CHUNK]
        idx[s:s + len(chunk)] = [0 if v is None else code(v, len(codes)) for v in chunk]
        if None in chunk:
            missing[s:s + len(chunk)] = [v is None for v in chunk]
    indices = _numbers(pa.int32(), idx, missing)
    return pa.DictionaryArray.from_arrays(indices, _strings(list(codes)))


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
    if rows:
        cols = list(zip(*rows))
    else:
        cols = [() for _ in range(n_fact + 5)]
    region, muni, name, key, inn = (list(c) for c in cols[n_fact:])
    week = {"org_uid": cols[0], "row": cols[1], "org_key": key, "region": region,
            "municipality": muni, "org_id": inn, "org_name": name, "status": cols[5],
            "teachers_active_share": cols[6 + len(COUNT_FIELDS)]}
    for i, field_name in enumerate(COUNT_FIELDS):
        week[field_name] = cols[6 + i]
    blob = columns_blob(week, meta(con, "keys_version"))
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


def read_table(data: bytes, fields: tuple[str, ...] | None = None) -> Any:
    """A stored column copy as an Arrow table, or None for an older layout (the caller reads
    the facts table instead).  ``fields``: only those columns are decompressed (the numbers
    of a week, without its texts, in a third of the time: ~1.5 ms for a national week)."""
    import pyarrow as pa

    reader = pa.ipc.open_stream(data)
    if (reader.schema.metadata or {}).get(b"format") != COLUMNS_FORMAT:
        return None
    if fields is not None:
        names = reader.schema.names
        wanted = [names.index(f) for f in fields if f in names]
        reader = pa.ipc.open_stream(data, options=pa.ipc.IpcReadOptions(included_fields=wanted))
    return reader.read_all()
