"""Copy a whole store into another, empty one: SQLite → PostgreSQL and back (``store migrate``).

Every table of the schema is copied row for row (the ids stay what they were, so shortlists,
the flag cache and the column copies keep pointing at the same organisations and snapshots),
and so is every kept copy of an imported file (files in ``blobs/`` of a SQLite store, rows of
``blob_files`` in a PostgreSQL one).  It all happens in one write transaction of the destination:
its row counts are compared with the source's before the commit, so a copy that does not add up
leaves the destination as it was.  The source is only read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sferum_tui.core.errors import StoreError, UserError
from sferum_tui.core.store import blobs, schema
from sferum_tui.core.store.db import Store
from sferum_tui.i18n import tr

#: Every table of a store, parents first.  Tables keyed by a snapshot are read a snapshot at a
#: time (a country store's facts are millions of rows).
TABLES: tuple[str, ...] = (
    "meta", "regions", "municipalities", "org_names", "orgs", "org_keys", "org_spellings",
    "registries", "registry_rows", "snapshots", "snapshot_files", "facts", "fact_files",
    "snapshot_columns", "missing_counts", "shortlists", "shortlist_members", "ind_week_flags",
)
_BY_SNAPSHOT = {"facts", "fact_files", "snapshot_columns", "ind_week_flags", "missing_counts"}
#: Tables that tell whether a destination already holds something.
_CONTENT = ("snapshots", "registries", "orgs", "shortlists")


@dataclass(frozen=True)
class Copied:
    """Rows copied into ``table`` (``"files"``: file copies; ``missing``: copies the source had
    lost already, named by its rows but not on disk — the weeks are copied all the same, only
    re-reading their original file is not possible)."""

    table: str
    rows: int
    missing: tuple[str, ...] = ()


def _count(con: Any, table: str) -> int:
    return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def _chunks(con: Any, table: str, cols: list[str], snapshot_ids: list[int]) -> Iterator[list[tuple]]:
    select = f"SELECT {', '.join(cols)} FROM {table}"
    if table in _BY_SNAPSHOT:
        for sid in snapshot_ids:
            rows = con.execute(f"{select} WHERE snapshot_id = ?", (sid,)).fetchall()
            if rows:
                yield rows
        return
    cur = con.execute(select)
    while True:
        rows = cur.fetchmany(20_000)
        if not rows:
            return
        yield rows


def _write_rows(con: Any, table: str, cols: list[str], rows: list[tuple]) -> None:
    if schema.dialect(con) == "postgresql":
        with con.raw.cursor().copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ",".join("?" * len(cols))
    con.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})", rows)


def copy_store(src: Store, dst: Store, *, say: Callable[[str], None] | None = None) -> list[Copied]:
    """Copy every table and file copy of ``src`` into the empty store ``dst`` (see the module
    docstring); the rows copied per table.  ``StoreError``/``UserError`` in one line when the
    source is empty or the destination is not."""
    say = say or (lambda _text: None)
    scon = src.read_connection()
    if scon is None or not src.snapshots(include_superseded=True) and not src.registries():
        raise UserError(tr("{s}: хранилище пусто, копировать нечего", "{s}: the store is empty, "
                           "there is nothing to copy", s=src.label))
    dst.require_writable()
    made: list[str] = []
    copied: list[Copied] = []
    try:
        with dst.transaction() as dcon:
            busy = [t for t in _CONTENT if schema.has_table(dcon, t) and _count(dcon, t)]
            if busy:
                raise UserError(tr(
                    "{d}: в хранилище уже есть данные ({t}); копировать можно только в пустое",
                    "{d}: the store already holds data ({t}); a copy goes only into an empty one",
                    d=dst.label, t=", ".join(busy)))
            dcon.execute("DELETE FROM meta")
            snapshot_ids = [r[0] for r in scon.execute("SELECT id FROM snapshots ORDER BY id")]
            for table in TABLES:
                if not schema.has_table(scon, table):
                    continue
                have = set(schema.columns_of(dcon, table))
                cols = [c for c in schema.columns_of(scon, table) if c in have]
                n = 0
                for rows in _chunks(scon, table, cols, snapshot_ids):
                    _write_rows(dcon, table, cols, rows)
                    n += len(rows)
                want, got = _count(scon, table), _count(dcon, table)
                if not (n == want == got):
                    raise StoreError(tr(
                        "{t}: скопировано {g} строк из {w}; копирование отменено, ничего не записано",
                        "{t}: {g} of {w} rows copied; the copy is rolled back, nothing was written",
                        t=table, g=got, w=want))
                copied.append(Copied(table, got))
                say(f"{table}: {got}")
            rels = sorted(schema.copy_names(scon))
            lost: list[str] = []
            for rel in rels:
                data = src.blob_data(rel)
                if data is None:
                    lost.append(rel)
                elif schema.dialect(dcon) == "postgresql":
                    dcon.execute("INSERT INTO blob_files (rel, data) VALUES (?, ?) "
                                 "ON CONFLICT DO NOTHING", (rel, data))
                elif _write_stored(dst, data, rel):
                    made.append(rel)
            copied.append(Copied("files", len(rels) - len(lost), tuple(lost)))
    except BaseException:
        for rel in made:
            blobs.remove_blob(dst.home, rel)
        raise
    return copied


def _write_stored(dst: Store, stored: bytes, rel: str) -> bool:
    """Write a copy whose bytes are already as stored (gzip for ``.gz``): ``write_blob`` takes
    the original bytes and compresses them itself, so they are decompressed first."""
    return blobs.write_blob(dst.home, blobs.unpack(stored, rel), rel)
