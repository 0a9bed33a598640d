"""CSV text read in bounded chunks: encoding detection, line and field limits, cell rows.

The whole file is never decoded into one string: the bytes are decoded 1 MiB at a time, cut into
lines (``\\r``, ``\\n`` or ``\\r\\n``, as ``csv`` with ``newline=""`` sees them) and fed to the C
``csv`` reader.  A line longer than ``Limits.max_csv_line`` bytes or a field longer than
``Limits.max_csv_field`` characters is refused in one line naming the file, the line number and
the limit — before the line is kept, so a file without newlines cannot grow a giant string.

Cells of a large file are shared between rows (one ``str`` object per distinct text): a national
file repeats its regions, municipalities, statuses and small numbers hundreds of thousands of
times, and a ``str`` object costs 50–80 bytes more than its text.

No pyarrow here: its import alone costs ~0.08 s of the 0.3 s budget of ``inspect``, and the
rows must come back as Python values for the one set of cell rules in ``values.py`` anyway.
"""

from __future__ import annotations

import codecs
import csv
import io
from itertools import chain, islice

from sferum_tui.core.ingest.limits import DEFAULT_LIMITS, Limits, count_text
from sferum_tui.core.ingest.reader import _choose_delimiter, _fail, _utf16_without_bom
from sferum_tui.core.ingest.rowtable import gc_paused
from sferum_tui.core.ingest.textcheck import _UTF8_MULTI

__all__ = ["read_csv_rows", "MixedEncoding", "csv_error"]

CHUNK = 1 << 20
"""Bytes decoded at a time."""
SHARE_CELLS_ABOVE = 16 * (1 << 20)
"""Files above this size share equal cell texts (costs ~1 µs a cell, saves ~4× the file size)."""
SHARED_MAX = 1 << 18
"""Distinct texts remembered for sharing: a dict of a million unique ИНН and names would cost
~0.4× a 200 MB file at the parse's peak, and texts that repeat show up among the first ones."""
SNIFF_CHARS = 200_000
BATCH = 4096
"""Rows read between two checks of the cell count."""


class _Retry(Exception):
    """UTF-8 failed somewhere in the file: read it again as Windows-1251."""


class MixedEncoding(Exception):
    """The file mixes UTF-8 and Windows-1251 lines: the caller repairs it line by line
    (``textcheck.decode_8bit``), which needs the whole text."""


def _size(n: int) -> str:
    """A byte count as people write it: «1 MiB», «64 KiB», «500 B»."""
    for unit, size in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:.4g} {unit}"
    return f"{n} B"


def _encoding(path: str, data: bytes) -> tuple[str, str, int, str]:
    """(codec, errors, bytes to skip, name shown) of the text; UTF-8 is tried first, then cp1251."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8", "strict", 3, "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16", "strict", 0, "utf-16"
    enc16 = _utf16_without_bom(data) if b"\x00" in data[:4096] else None
    if enc16:
        return enc16, "strict", 0, enc16
    return "utf-8", "strict", 0, "utf-8"


def _decoded_chunks(data: bytes, codec: str, errors: str, start: int):
    decoder = codecs.getincrementaldecoder(codec)(errors)
    view = memoryview(data)
    end = len(data)
    pos = start
    while True:
        nxt = min(pos + CHUNK, end)
        yield decoder.decode(view[pos:nxt], nxt >= end)
        if nxt >= end:
            return
        pos = nxt


def _encoded_len(text: str, codec: str) -> int:
    return len(text.encode("utf-16-le" if codec == "utf-16" else codec, "replace"))


def _lines(path: str, data: bytes, codec: str, errors: str, start: int, limits: Limits):
    """Lists of lines (with their ends), chunk by chunk; refuses a line over the limit."""
    max_line = limits.max_csv_line
    carry = ""
    done = 0  # lines yielded so far
    for text in _decoded_chunks(data, codec, errors, start):
        if carry:
            text = carry + text
            carry = ""
        lines = io.StringIO(text, newline="").readlines()
        if lines:
            last = lines[-1]
            if not last.endswith(("\n", "\r")) or last.endswith("\r"):
                carry = lines.pop()   # unfinished, or a «\r» whose «\n» may come next
        if lines and max(map(len, lines)) * 4 > max_line:
            for k, line in enumerate(lines):
                if len(line) * 4 > max_line and _encoded_len(line, codec) > max_line:
                    raise _line_too_long(path, done + k + 1, limits)
        if len(carry) > max_line:
            raise _line_too_long(path, done + 1, limits)
        done += len(lines)
        yield lines
    if carry:
        if len(carry) * 4 > max_line and _encoded_len(carry, codec) > max_line:
            raise _line_too_long(path, done + 1, limits)
        yield [carry]


def _line_too_long(path: str, line: int, limits: Limits):
    return _fail(path, "строка {line} длиннее предела {limit} ([limits] max_csv_line_kb); это не похоже на таблицу CSV",
                 "line {line} is longer than the limit of {limit} ([limits] max_csv_line_kb); this does not look like a CSV table",
                 line=line, limit=_size(limits.max_csv_line))


def _sample(data: bytes, codec: str, errors: str, start: int) -> str:
    """The first SNIFF_CHARS characters (for the delimiter), without decoding the whole file."""
    decoder = codecs.getincrementaldecoder(codec)(errors if errors != "strict" else "replace")
    return decoder.decode(data[start: start + SNIFF_CHARS * 4], False)[:SNIFF_CHARS]


def read_csv_rows(path: str, data: bytes, limits: Limits = DEFAULT_LIMITS) -> tuple[str, str, list]:
    """(encoding name, delimiter, rows of cell texts) of CSV bytes, or a one-line InputFileError.
    A row is a list of texts (a tuple in a file over SHARE_CELLS_ABOVE)."""
    codec, errors, start, name = _encoding(path, data)
    try:
        return _read(path, data, codec, errors, start, name, limits)
    except _Retry:
        pass
    # not UTF-8 throughout: Windows-1251, unless UTF-8 lines are in it too (a BOM says UTF-8;
    # a multi-byte UTF-8 sequence practically never occurs in Russian Windows-1251 text)
    if start or _UTF8_MULTI.search(data):
        raise MixedEncoding
    try:
        return _read(path, data, "cp1251", "strict", 0, "cp1251", limits)
    except _Retry:
        raise _fail(path, "не удалось определить кодировку текста (ожидались UTF-8 или Windows-1251)",
                    "cannot tell the text encoding (expected UTF-8 or Windows-1251)") from None


def _rows(path: str, reader, share: bool, limits: Limits) -> list:
    """The rows, read BATCH at a time so that the cell count is checked as they come (a row
    costs at least one cell, even an empty one).  A large file's rows are tuples of shared texts."""
    rows: list = []
    cells = 0
    limit = limits.max_sheet_cells
    shared: dict[str, str] = {}
    keep = shared.setdefault
    while True:
        batch = list(islice(reader, BATCH))
        if not batch:
            return rows
        cells += sum(map(len, batch)) + batch.count([])
        if cells > limit:
            raise _fail(path, "в таблице больше {limit} ячеек ([limits] max_sheet_cells), строка {line}",
                        "the table has more than {limit} cells ([limits] max_sheet_cells), line {line}",
                        limit=count_text(limit), line=reader.line_num)
        if share:
            rows.extend([tuple(map(keep, row, row)) for row in batch])
            if len(shared) > SHARED_MAX:
                keep = shared.get  # full: share the texts seen so far, remember no more
        else:
            rows.extend(batch)


def _read(path: str, data: bytes, codec: str, errors: str, start: int, name: str, limits: Limits):
    delim = _choose_delimiter(_sample(data, codec, errors, start))
    saved = csv.field_size_limit()
    csv.field_size_limit(limits.max_csv_field)
    try:
        reader = csv.reader(chain.from_iterable(_lines(path, data, codec, errors, start, limits)),
                            delimiter=delim)
        with gc_paused():  # lists of texts hold no cycles
            rows = _rows(path, reader, len(data) > SHARE_CELLS_ABOVE, limits)
    except UnicodeDecodeError:
        if codec in ("utf-16", "utf-16-le", "utf-16-be"):
            raise _fail(path, "текст в UTF-16 повреждён или обрезан", "the UTF-16 text is damaged or cut short") from None
        raise _Retry from None
    except csv.Error as exc:
        raise csv_error(path, exc, reader.line_num, limits) from None
    finally:
        csv.field_size_limit(saved)
    return name, delim, rows


def csv_error(path: str, exc: csv.Error, line: int, limits: Limits):
    """The one-line refusal for a ``csv.Error``: a field over ``[limits] max_csv_field``
    (naming its line), or a CSV that does not parse."""
    if "field larger than field limit" in str(exc):
        return _fail(path, "строка {line}: поле длиннее предела {limit} символов ([limits] max_csv_field)",
                     "line {line}: a field is longer than the limit of {limit} characters ([limits] max_csv_field)",
                     line=line, limit=limits.max_csv_field)
    return _fail(path, "CSV не читается: {detail}", "the CSV cannot be parsed: {detail}", detail=exc)
