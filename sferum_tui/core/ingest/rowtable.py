"""The rows a reader returns, kept as columns; a row is a ``dict`` made when it is asked for.

A national file has ~45,000 rows of ~15 fields.  As dicts they cost ~650 bytes a row before
their values (more than the CSV file itself); as columns they cost 8 bytes a value.  The table
is a read-only ``Sequence`` of dicts, so ``len``, indexing, slicing, iteration and ``==``
work as on the list of dicts it replaces; ``column(field)`` reads one field without making rows.
"""

from __future__ import annotations

import gc
from collections.abc import Sequence
from contextlib import contextmanager
from itertools import chain, compress, repeat

__all__ = ["RowTable", "LookedUp", "gc_paused"]


@contextmanager
def gc_paused():
    """No cyclic garbage collection inside: reading a table makes ~10 objects a cell and no
    cycles, and every collection pass would walk all the rows read so far (~10% of a read).
    On the way out the objects made inside join the oldest generation (``gc.freeze`` and
    ``gc.unfreeze`` move every tracked object there), so the first young collection after the
    read does not walk them all either (~17 ms of ``inspect`` of a national CSV)."""
    collect = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collect:
            gc.freeze()
            gc.unfreeze()
            gc.enable()


class LookedUp(Sequence):
    """A column of parsed values kept as the raw cells and the table of their parses, each
    looked up when read: ``inspect`` shows ten rows of a national file's 45,000 and never reads
    the rest.  ``chosen`` (True for a raw cell of this column; None: every cell)
    and ``kept`` (the raw index of each of this column's cells) pick the cells."""

    __slots__ = ("_cells", "_chosen", "_kept", "_table")

    def __init__(self, cells: Sequence, chosen: Sequence[bool] | None, kept: Sequence[int], table: dict) -> None:
        self._cells = cells
        self._chosen = chosen
        self._kept = kept
        self._table = table

    def __len__(self) -> int:
        return len(self._kept)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        return self._table[self._cells[self._kept[index]]]

    def __iter__(self):
        cells = self._cells if self._chosen is None else compress(self._cells, self._chosen)
        return map(self._table.__getitem__, cells)


class RowTable(Sequence):
    """Blocks of equal-length columns, each block with its own field names."""

    __slots__ = ("_blocks", "_len")

    def __init__(self) -> None:
        self._blocks: list[tuple[tuple[str, ...], list[Sequence]]] = []
        self._len = 0

    def add(self, keys: tuple[str, ...], columns: list[Sequence]) -> None:
        """Append a block of rows: ``columns[i][k]`` is field ``keys[i]`` of the block's row k."""
        n = len(columns[0]) if columns else 0
        if n:
            self._blocks.append((tuple(keys), list(columns)))
            self._len += n

    def __len__(self) -> int:
        return self._len

    def __iter__(self):
        for keys, cols in self._blocks:
            yield from map(dict, map(zip, repeat(keys), zip(*cols)))

    def _row(self, i: int) -> dict:
        for keys, cols in self._blocks:
            n = len(cols[0])
            if i < n:
                return {k: col[i] for k, col in zip(keys, cols)}
            i -= n
        raise IndexError("row index out of range")

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self._row(i) for i in range(*index.indices(self._len))]
        if index < 0:
            index += self._len
        if not 0 <= index < self._len:
            raise IndexError("row index out of range")
        return self._row(index)

    def column(self, field: str) -> list:
        """One field of every row (None where a block has no such field)."""
        return list(chain.from_iterable(
            cols[keys.index(field)] if field in keys else repeat(None, len(cols[0])) for keys, cols in self._blocks))

    def select(self, *fields: str):
        """The rows as dicts of only these fields (cheaper than whole rows)."""
        for keys, cols in self._blocks:
            have = tuple(f for f in fields if f in keys)
            picked = [cols[keys.index(f)] for f in have]
            yield from map(dict, map(zip, repeat(have), zip(*picked)))

    def __eq__(self, other) -> bool:
        if isinstance(other, (RowTable, list, tuple)):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    # Unhashable (it defines __eq__). typeshed types object.__hash__ as a callable, but
    # assigning None is Python's documented way to say so — the stub is too narrow here.
    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"RowTable({len(self)} rows)"
