"""Bounds checked before any parser allocates: a weekly file comes from outside and is hostile
until proven otherwise.

The defaults are safe for the largest real input (a national file: ~45,000 organisations × ~30
columns); the config's ``[limits]`` table can move them.  Every refusal is one line naming the
file and the limit (an :class:`~sferum_tui.core.errors.InputFileError`).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Limits", "DEFAULT_LIMITS", "count_text"]

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Input limits (sizes in bytes)."""

    max_file_bytes: int = 200 * MB
    """Largest input file (any format), checked on the file's size before it is read."""
    max_unzipped_bytes: int = 512 * MB
    """xlsx/ods: largest uncompressed size of one part of the zip (a sheet's XML); half of it
    bounds the text the cells of an .xlsx take from its shared strings (the library copies a
    shared string into every cell that refers to it)."""
    max_zip_ratio: float = 200.0
    """xlsx/ods: largest uncompressed/compressed ratio of one part (above it: a zip bomb)."""
    max_sheet_cells: int = 10_000_000
    """xlsx/ods/xls: largest sheet area (rows × columns from the cell references, summed over
    the sheets; 2/5 of it for an .ods); CSV: most cells.  The spreadsheet library allocates the
    whole area, ~32 bytes a cell, before a row is returned, holds every cell it parsed beside it,
    and a text cell is a string of its own in the library and in Python.  Measured, whole
    process, at this bound: 10 million one-letter text cells of an .xlsx 1.01 GiB, 4 million
    repeated texts of an .ods 0.89 GiB (at 20 million: numbers 1.41 GiB, texts over 1.5 GB,
    issue 10's bound).  A national file is ~1.4 million."""
    max_csv_line: int = 1 * MB
    """CSV: longest line, in bytes."""
    max_csv_field: int = 64 * 1024
    """CSV: longest field, in characters."""
    max_rows: int = 200_000
    """Largest number of rows (all sheets) a weekly file or registry may hold: a national file
    has ~45,000 organisations; far more is not a monitoring table, and the store's import would
    hold per-row objects for all of them (~1.8 KB a row) — refused before anything is kept."""


DEFAULT_LIMITS = Limits()


def count_text(n: int) -> str:
    """A count in an input file's message (rows, cells, sheets): ``1 000 000``, thousands
    apart by a non-breaking space, in either language."""
    return f"{n:,}".replace(",", "\u00a0")
