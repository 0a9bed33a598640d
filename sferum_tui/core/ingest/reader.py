"""Reader for the family of weekly monitoring files (and registries of organisations).

``read_weekly(path)`` turns an ``.xlsx``, ``.xls``, ``.ods`` or ``.csv`` file, in whatever
layout the ministry sent this week, into rows of canonical fields (see ``fields.py``), the
reporting period, the column mapping, the rows it skipped and why, and warnings.

The steps:
0. check the file against the input limits before any parser allocates (``guard.py``: a
   regular file, its size, the zip parts and the sheet area; ``textcheck.py`` for a CSV: the
   longest line, a NUL, mixed encodings);
1. detect the format from the bytes, not the name (a text file called ``.xlsx`` or an HTML
   login page is refused with a message); read every sheet with python-calamine, or decode a
   CSV (UTF-8, UTF-8 with BOM, Windows-1251; ``,`` ``;`` or tab); every text kept passes
   ``core.text.clean_text`` and every message names the file with ``shown_path``;
2. on each sheet, find the header block among the leading rows (one to three rows, joining
   headers merged over several rows) that maps the most columns to canonical fields through
   ``aliases.HeaderMapper``; take the sheet(s) with organisation rows;
3. read the period from the title rows, other sheets' titles, the file name, or ``--period``;
4. skip numbering columns, column-number rows, repeated headers, section headings and
   subtotal/total rows (and report them); parse every cell of the mapped columns;
5. validate (negative counts, text in numeric columns, shares above 100%, duplicate ИНН);
   ``strict=True`` raises the first problem as a one-line ``InputFileError``.

Pure Python on top of python-calamine: no pandas import, so ``sferum-tui inspect`` starts fast.
"""

from __future__ import annotations

import csv
import io
import os
import re
import struct
from array import array
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import chain, compress, islice, repeat
from operator import not_
from pathlib import Path

from sferum_tui.core.errors import InputFileError, UserError
from sferum_tui.core.fields import COUNT_FIELDS, REGISTRY_FIELDS, ROW_FIELDS, SHARE_FIELDS
from sferum_tui.core.ingest import guard, textcheck
from sferum_tui.core.ingest.aliases import IGNORE, NUMBERING, HeaderMapper
from sferum_tui.core.ingest.limits import DEFAULT_LIMITS, Limits, count_text
from sferum_tui.core.ingest.period import (
    Period,
    find_period,
    find_single_date_period,
    iso_week,
    parse_period_hint,
    period_from_filename,
    period_from_name,
    week_without_year,
    year_in,
)
from sferum_tui.core.ingest.rowtable import LookedUp, RowTable, gc_paused
from sferum_tui.core.ingest.values import (
    MISSING_MARKERS,
    CellError,
    parse_count,
    parse_inn,
    parse_share_raw,
    parse_status,
    parse_text,
    parse_texts,
)
from sferum_tui.core.text import clean_text, one_line, shown_path
from sferum_tui.i18n import get_language, tr

__all__ = ["Period", "ReadResult", "BookResult", "read_weekly", "read_weeks", "read_registry", "read_table",
           "InputFileError"]

HEADER_SEARCH_ROWS = 40
MAX_HEADER_DEPTH = 3
MAX_ERRORS_KEPT = 200

SPREADSHEET_EXTS = {".xlsx", ".xlsm", ".xls", ".ods", ".xlsb"}


@dataclass
class Sheet:
    name: str
    rows: list[list]
    row_offset: int = 0          # 0-based spreadsheet row of rows[0]
    col_offset: int = 0          # 0-based spreadsheet column of rows[i][0]
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # r0, c0, r1, c1 (rows-relative)
    visible: bool = True
    has_merge_info: bool = False
    texts: bool = False          # every cell a str (a CSV): the reader's rules look at each distinct text once
    warnings: list[str] = field(default_factory=list)   # what loading repaired (mixed encodings)
    formula_cells: list[tuple[int, int]] = field(default_factory=list)  # 0-based (row, col): a formula, no value


@dataclass
class Header:
    sheet: Sheet
    start: int                   # index in sheet.rows of the first header row
    depth: int
    labels: list[str]            # per column, "" when the column has no header
    fields: list[str | None]     # per column: canonical field, NUMBERING, IGNORE or None
    score: int
    data_start: int = 0

    @property
    def field_set(self) -> frozenset:
        return frozenset(f for f in self.fields if f and f not in (NUMBERING, IGNORE))


@dataclass
class ReadResult:
    source: str
    period: Period | None
    columns: dict[str, str | None]
    rows: RowTable | list[dict]   # a RowTable from the reader: a sequence of dicts
    skipped: list[dict]
    warnings: list[str]
    errors: list[str] = field(default_factory=list)
    sheet: str | None = None
    sha256: str = ""
    file_format: str = ""
    period_origin: str | None = None   # "title", "filename", "option"

    def to_json(self) -> dict:
        out = {
            "source": self.source,
            "period": self.period.to_json() if self.period else None,
            "columns": self.columns,
            "rows": list(self.rows),
            "skipped": self.skipped,
            "warnings": self.warnings,
        }
        out["sheet"] = self.sheet
        out["format"] = self.file_format
        out["sha256"] = self.sha256
        if self.errors:
            out["errors"] = self.errors
        return out


# --------------------------------------------------------------------------- file loading

def _fail(path: str, ru: str, en: str, **kw) -> InputFileError:
    return InputFileError(f"{shown_path(path)}: " + tr(ru, en, **kw), source=path)


def _detect_format(path: str, head: bytes, ext: str) -> str:
    if not head:
        raise _fail(path, "файл пуст (0 байт); ожидалась таблица .xlsx, .xls, .ods или .csv",
                    "the file is empty (0 bytes); expected an .xlsx, .xls, .ods or .csv table")
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "xls"
    sniff = head[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if (sniff.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<table", b"<meta", b"<style"))
            or b"<html" in sniff[:512] or b"<table" in sniff[:512]):
        raise _fail(path, "это веб-страница (HTML), а не таблица; возможно, ссылка вела на страницу входа или ошибки",
                    "this is a web page (HTML), not a spreadsheet; the link may have led to a login or error page")
    if sniff.startswith(b"<?xml"):
        raise _fail(path, "это XML-файл, а не таблица .xlsx/.xls/.ods/.csv",
                    "this is an XML file, not an .xlsx/.xls/.ods/.csv spreadsheet")
    if head.startswith((b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"Rar!", b"\x1f\x8b", b"7z\xbc\xaf")):
        raise _fail(path, "это не таблица (PDF, изображение или архив); ожидались .xlsx, .xls, .ods или .csv",
                    "this is not a spreadsheet (a PDF, image or archive); expected .xlsx, .xls, .ods or .csv")
    if b"\x00" in head[:4096] and not head.startswith((b"\xff\xfe", b"\xfe\xff")) and not _utf16_without_bom(head):
        raise _fail(path, "двоичный файл неизвестного формата; ожидались .xlsx, .xls, .ods или .csv",
                    "a binary file of unknown format; expected .xlsx, .xls, .ods or .csv")
    if ext in SPREADSHEET_EXTS:
        raise _fail(path, "файл назван {ext}, но это текст, а не книга Excel/ODS; сохраните его как таблицу или как .csv",
                    "the file is named {ext} but holds plain text, not an Excel/ODS workbook; save it as a spreadsheet or as .csv",
                    ext=ext)
    return "csv"


def _utf16_without_bom(data: bytes) -> str | None:
    """«utf-16-le»/«utf-16-be» for text saved as UTF-16 without a byte-order mark, else None."""
    sample = data[:4096]
    sample = sample[: len(sample) // 2 * 2]
    if len(sample) < 8:
        return None
    for enc in ("utf-16-le", "utf-16-be"):
        try:
            text = sample.decode(enc)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            continue
        good = sum(1 for ch in text if ch.isprintable() or ch in "\r\n\t")
        if good >= 0.97 * len(text):
            return enc
    return None


def _load_workbook(path: str, data: bytes, fmt: str, limits: Limits = DEFAULT_LIMITS) -> tuple[str, list[Sheet]]:
    from python_calamine import CalamineWorkbook

    kind = fmt
    if fmt == "xls" and "EncryptedPackage".encode("utf-16-le") in data:
        raise _fail(path, "книга защищена паролем (зашифрована); откройте её в Excel, снимите пароль и сохраните заново",
                    "the workbook is password-protected (encrypted); open it in Excel, remove the password and save it again")
    # the limits, before python-calamine allocates (it aborts the process on a huge sheet area)
    formulas: dict[str, list[tuple[int, int]]] = {}
    if fmt == "zip":
        kind = guard.check_zip(path, data, limits, formulas)
    else:
        guard.check_xls(path, data, limits)
    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets: list[Sheet] = []
        metas = {m.name: m for m in wb.sheets_metadata}
        for name in wb.sheet_names:
            meta = metas.get(name)
            visible = True
            # str() of the enum is «SheetVisibleEnum.Hidden»: compare the member name only
            if meta is not None and str(getattr(meta, "visible", "Visible")).rsplit(".", 1)[-1] != "Visible":
                visible = False
            if meta is not None and str(getattr(meta, "typ", "WorkSheet")).rsplit(".", 1)[-1] != "WorkSheet":
                continue
            sh = wb.get_sheet_by_name(name)
            rows = sh.to_python()
            r_off, c_off = sh.start or (0, 0)
            raw_merges = getattr(sh, "merged_cell_ranges", None)
            has_info = raw_merges is not None and kind in ("xlsx", "xls", "ods")
            merges = _clipped_merges(path, raw_merges or [], rows, r_off, c_off)
            del raw_merges
            sheets.append(Sheet(clean_text(name), rows, r_off, c_off, merges, visible, has_info,
                                formula_cells=formulas.get(name, [])))
        wb.close()
    except UserError:
        raise
    except Exception as exc:  # calamine raises its own error types for damaged files
        detail = one_line(exc, 160)
        raise _fail(path, "файл не читается как таблица {kind} ({detail}); возможно, он повреждён или обрезан",
                    "the file cannot be read as an {kind} spreadsheet ({detail}); it may be damaged or cut short",
                    kind=kind, detail=detail) from None
    return kind, sheets


def _clipped_merges(path: str, raw: list, rows: list, r_off: int, c_off: int) -> list[tuple[int, int, int, int]]:
    """The merged areas of a sheet, relative to its first cell and cut to the cells it holds
    (an area reaching past them fills nothing there).  Areas that cover more cells than the
    sheet holds must overlap, which no spreadsheet program writes: every cell an area covers
    is filled in later, so that crafted file is refused (50 KB of such areas took minutes)."""
    height = len(rows)
    width = max(map(len, rows), default=0)
    merges: list[tuple[int, int, int, int]] = []
    covered = 0
    for (r0, c0), (r1, c1) in raw:
        r0, c0 = r0 - r_off, c0 - c_off
        r1, c1 = min(r1 - r_off, height - 1), min(c1 - c_off, width - 1)
        if r1 < max(r0, 0) or c1 < max(c0, 0):
            continue
        covered += (r1 - max(r0, 0) + 1) * (c1 - max(c0, 0) + 1)
        merges.append((r0, c0, r1, c1))
    if covered > height * width:
        raise _fail(path, "объединённые области листа перекрываются ({n} ячеек в них при {m} ячейках листа): файл повреждён или составлен нарочно",
                    "the sheet's merged areas overlap ({n} cells in them, {m} in the sheet): the file is damaged or crafted",
                    n=count_text(covered), m=count_text(height * width))
    return merges


def _choose_delimiter(text: str) -> str:
    sample = text[:200_000].splitlines()[:60]
    best, best_score = ";", -1
    for delim in (";", "\t", ",", "|"):
        counts: dict[int, int] = {}
        try:
            for row in csv.reader(sample, delimiter=delim):
                n = len(row)
                if n > 1:
                    counts[n] = counts.get(n, 0) + 1
        except csv.Error:
            continue
        if not counts:
            continue
        width, freq = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
        score = freq * 1000 + width
        if score > best_score:
            best, best_score = delim, score
    return best


def _load_csv(path: str, data: bytes, limits: Limits = DEFAULT_LIMITS) -> tuple[str, list[Sheet]]:
    from sferum_tui.core.ingest.csv_stream import MixedEncoding, csv_error, read_csv_rows

    utf16 = data.startswith((b"\xff\xfe", b"\xfe\xff")) or (
        b"\x00" in data[:4096] and _utf16_without_bom(data) is not None)
    if not utf16:               # a NUL would end up inside a name: refuse the file
        at = data.find(b"\x00")
        if at >= 0:
            raise _fail(path, "строка {line}: нулевой байт (NUL) в тексте; это не таблица CSV или файл повреждён",
                        "line {line}: a NUL byte in the text; this is not a CSV table or the file is damaged",
                        line=data.count(b"\n", 0, at) + 1)
    try:
        encoding, delim, rows = read_csv_rows(path, data, limits)
        return f"csv ({encoding}, «{delim}»)".replace("«\t»", "tab"), [Sheet("csv", rows, texts=True)]
    except MixedEncoding:
        pass
    # UTF-8 and Windows-1251 lines in one file (rare): repaired line by line, with a warning
    # naming the minority lines (textcheck.decode_8bit); the text is decoded whole here
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    text, encoding, warning = textcheck.decode_8bit(path, body)
    notes = [warning] if warning else []
    delim = _choose_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    old_limit = csv.field_size_limit(limits.max_csv_field)
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise csv_error(path, exc, reader.line_num, limits) from None
    finally:
        csv.field_size_limit(old_limit)
    return f"csv ({encoding}, «{delim}»)".replace("«\t»", "tab"), [Sheet("csv", rows, warnings=notes, texts=True)]


def load_sheets(path: str | os.PathLike, limits: Limits | None = None) -> tuple[str, list[Sheet], bytes]:
    """(format, sheets, raw bytes) of a file, or a one-line InputFileError.  ``limits`` (the
    config's ``[limits]``; the defaults without it) are checked before any parser allocates."""
    spath = str(path)
    limits = limits or DEFAULT_LIMITS
    data = guard.read_input(spath, limits)
    fmt = _detect_format(spath, data[:8192], Path(spath).suffix.lower())
    if fmt == "csv":
        kind, sheets = _load_csv(spath, data, limits)
    else:
        kind, sheets = _load_workbook(spath, data, fmt, limits)
    return kind, sheets, data


# --------------------------------------------------------------------------- header search

def _is_blank(v) -> bool:
    return v is None or v == "" or (isinstance(v, str) and not v.strip())


_NUMERIC_TEXT = re.compile(r"^[\s\d.,%+\-\u00a0]*\d[\s\d.,%+\-\u00a0]*$")


def _is_numeric_like(v) -> bool:
    if isinstance(v, bool):
        return False
    if isinstance(v, (int, float)):
        return True
    return isinstance(v, str) and bool(_NUMERIC_TEXT.match(v))


def _label(v) -> str:
    if _is_blank(v):
        return ""
    if isinstance(v, (date, datetime)):
        return v.strftime("%d.%m.%Y")
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return " ".join(clean_text(str(v)).split())


def _filled_grid(sheet: Sheet, nrows: int, width: int) -> list[list[str]]:
    grid = [[_label(v) for v in row[:width]] + [""] * (width - len(row[:width])) for row in sheet.rows[:nrows]]
    for r0, c0, r1, c1 in sheet.merges:
        if r0 >= nrows or r0 < 0 or c0 < 0:
            continue
        value = grid[r0][c0] if c0 < width else ""
        if not value:
            continue
        for r in range(r0, min(r1, nrows - 1) + 1):
            for c in range(c0, min(c1, width - 1) + 1):
                if not grid[r][c]:
                    grid[r][c] = value
    return grid


def _title_like(grid: list[list[str]], r: int, sheet: Sheet, width: int) -> bool:
    cells = [c for c in grid[r] if c]
    distinct = set(cells)
    if len(distinct) != 1:
        return False
    text = cells[0]
    if len(cells) > 1 and len(cells) < max(2, int(width * 0.6)):
        return False  # a group header merged over a few columns
    if len(cells) == 1 and r + 1 < len(grid):
        # one lone cell above a header row that has its own text under it: a short title
        # («Сферум», «с 15.04 по 21.04 2023 г.»), not a group header (that spans blank cells)
        c = grid[r].index(text)
        below = grid[r + 1]
        if below[c] and sum(1 for x in below if x) >= 3:
            return True
    return len(text) > 30 or find_period(text) is not None or len(cells) >= max(2, int(width * 0.6)) or width <= 2


def _block_labels(grid: list[list[str]], r: int, k: int, width: int, use_fill: bool) -> list[str]:
    block = [list(grid[r + i]) for i in range(k)]
    if use_fill and k > 1:
        bottom = block[-1]
        for i in range(k - 1):
            upper = block[i]
            last_group = None
            for c in range(width):
                if upper[c]:
                    last_group = c if bottom[c] else None
                elif last_group is not None and bottom[c]:
                    upper[c] = upper[last_group]
                else:
                    last_group = None
    labels = []
    for c in range(width):
        parts: list[str] = []
        for i in range(k):
            part = block[i][c]
            if part and (not parts or parts[-1] != part):
                parts.append(part)
        labels.append(" / ".join(parts))
    return labels


def find_header(sheet: Sheet, mapper: HeaderMapper, need: tuple[str, ...] = ("org_name", "org_id")) -> Header | None:
    rows = sheet.rows
    if not rows:
        return None
    limit = min(len(rows), HEADER_SEARCH_ROWS)
    width = max((len(r) for r in rows[: limit + MAX_HEADER_DEPTH]), default=0)
    if width == 0:
        return None
    nrows = min(len(rows), limit + MAX_HEADER_DEPTH)
    grid = _filled_grid(sheet, nrows, width)
    raw = rows
    numeric_row = [any(_is_numeric_like(v) for v in raw[i]) for i in range(nrows)]
    best: Header | None = None
    use_fill = not sheet.has_merge_info or not sheet.merges
    for r in range(limit):
        if numeric_row[r] or not any(grid[r]) or _title_like(grid, r, sheet, width):
            continue
        for k in range(1, MAX_HEADER_DEPTH + 1):
            if r + k > nrows:
                break
            if k > 1 and (numeric_row[r + k - 1] or not any(grid[r + k - 1])):
                break
            labels = _block_labels(grid, r, k, width, use_fill)
            fields = [mapper.field_for(lab) if lab else None for lab in labels]
            _context_fields(labels, fields, mapper)
            found = {f for f in fields if f and f not in (NUMBERING, IGNORE)}
            if not found & set(need):
                continue
            score = len(found)
            if score < 2:
                continue
            cand = Header(sheet, r, k, labels, fields, score, r + k)
            if best is None or score > best.score:
                best = cand
    if best is not None:
        _dedupe_fields(best)
    return best


_OF_THEM = re.compile(r"^\s*(?:из\s+них|из\s+низ|в\s*т\.?\s*ч\.?|в\s+том\s+числе|of\s+them|of\s+which|incl\.?|including)\b[\s,:.]*", re.I)


def _context_fields(labels: list[str], fields: list, mapper: HeaderMapper) -> None:
    """«Учителя | из них написали > 3 сообщений»: a column worded relative to the one before it
    takes its meaning from both (the leaf alone would read as users, or as nothing)."""
    for c in range(1, len(labels)):
        lab = labels[c]
        if not lab:
            continue
        leaf = lab.rsplit(" / ", 1)[-1]
        m = _OF_THEM.match(leaf)
        if not m:
            continue
        prev = labels[c - 1].rsplit(" / ", 1)[-1] if labels[c - 1] else ""
        if not prev or not fields[c - 1]:
            continue
        prefix = lab[: len(lab) - len(leaf)]
        combined = mapper.field_for(prefix + prev + " " + leaf[m.end():])
        if combined and combined not in (NUMBERING, IGNORE) and combined != fields[c - 1]:
            fields[c] = combined


def _dedupe_fields(h: Header) -> None:
    seen: dict[str, int] = {}
    for c, f in enumerate(h.fields):
        if not f or f in (NUMBERING, IGNORE):
            continue
        if f in seen:
            h.fields[c] = IGNORE
            h.__dict__.setdefault("dup_notes", []).append((h.labels[c], h.labels[seen[f]], f))
        else:
            seen[f] = c


# --------------------------------------------------------------------------- rows

_TOTAL_RE = re.compile(r"^\s*(итог|всего|total|grand total|subtotal|в целом|в т\.?\s?ч\.?|в том числе|сумма|итого)", re.I)
_TOTAL_FIRST = frozenset("ИиВвTtGgSsСс \t\u00a0")
_BAD = object()
_COUNT_FAST: dict[str, int | None] = {"": None}
_COLUMN_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _plain_inns(values: Sequence) -> bool:
    """Every value a text of 10 ASCII digits (a CSV's ИНН column), checked at C speed."""
    try:
        joined = "".join(values)
    except TypeError:   # numbers among them
        return False
    return (len(joined) == 10 * len(values) and set(map(len, values)) == {10}
            and joined.isdigit() and joined.isascii())


def _int_array(values: Iterable[int]) -> array:
    """An array of 8-byte ints, packed by ``struct`` 65,536 at a time: ``array("q", values)``
    parses each item as a call's argument (~4% of ``inspect`` of a national CSV for its two)."""
    out = array("q")
    items = iter(values)
    while chunk := list(islice(items, 65536)):
        out.frombytes(struct.pack(f"{len(chunk)}q", *chunk))
    return out


def _col_letter(c: int) -> str:
    s = ""
    c += 1
    while c:
        c, rem = divmod(c - 1, 26)
        s = _COLUMN_LETTERS[rem] + s
    return s


def _name_key(name: str | None, muni: str | None) -> str:
    def norm(t):
        return re.sub(r"[^0-9a-zа-я]+", "", (t or "").lower().replace("ё", "е"))
    return norm(muni) + "|" + norm(name)


EXPECTED_RU = {
    "number": "число", "whole number": "целое число", "share (percent or fraction)": "доля (процент или дробь)",
    "ИНН (10 or 12 digits)": "ИНН из 10 или 12 цифр", "status (Активна / Не активна)": "статус (Активна / Не активна)",
}


def _expected(text: str) -> str:
    return EXPECTED_RU.get(text, text) if get_language() == "ru" else text


TAKE_BATCH = 16384
"""Rows turned into columns at a time by ``_take_columns``."""
HEAD_ROWS_KEPT = 15
"""Rows a sheet keeps after its data is taken: the title rows searched for the period."""


def _take_columns(rows: list, start: int, width: int, fill: dict) -> tuple[list[list], dict[int, list]]:
    """The data rows ``rows[start:]`` as ``width`` columns (short rows padded with ``""``, merged
    cells in ``fill`` filled in), and the cells of longer rows past ``width`` by row index.

    The rows are taken out of ``rows`` batch by batch (it keeps its first ``max(start,
    HEAD_ROWS_KEPT)`` rows), so a large file never holds all its rows and all its columns at once:
    a 200 MB CSV's rows cost ~1.5× the file, its columns ~0.6×."""
    columns: list[list] = [[] for _ in range(width)]
    tails: dict[int, list] = {}
    end = len(rows)
    head = rows[:max(start, HEAD_ROWS_KEPT)]
    for b in range(start, end, TAKE_BATCH):
        stop = min(b + TAKE_BATCH, end)
        batch = rows[b:stop]
        rows[b:stop] = repeat(None, stop - b)  # the batch is the rows' last holder now
        lengths = set(map(len, batch))
        if fill or min(lengths) < width:
            padded = []
            for k, row in enumerate(batch):
                if len(row) < width or fill:
                    row = list(row) + [""] * (width - len(row))
                    if fill:
                        i = b - start + k
                        for c in range(width):
                            v = fill.get((i, c))
                            if v is not None and _is_blank(row[c]):
                                row[c] = v
                padded.append(row)
            batch = padded
        if max(lengths) > width:
            for k, row in enumerate(batch):
                if len(row) > width:
                    tails[b - start + k] = list(row[width:])
        for column, values in zip(columns, zip(*batch)):
            column.extend(values)
        del batch
    rows[:] = head
    return columns, tails


class _Extractor:
    def __init__(self, source: str, headers: list[Header], registry: bool, looked_up: bool = False):
        self.source = source
        self.headers = headers
        self.registry = registry
        self.looked_up = looked_up   # columns of few distinct texts as LookedUp (see read_weeks)
        self.multi = len(headers) > 1
        self.rows = RowTable()
        self.skipped: list[dict] = []
        self.warnings: list[str] = []
        self.errors: list[str] = []
        self.error_count = 0

    def where(self, h: Header, excel_row: int, c: int) -> str:
        sheet = f"{tr('лист', 'sheet')} «{h.sheet.name}», " if self.multi else ""
        return tr("{sheet}строка {row}, столбец «{label}» ({letter})", "{sheet}row {row}, column «{label}» ({letter})",
                  sheet=sheet, row=excel_row, label=h.labels[c], letter=_col_letter(c + h.sheet.col_offset))

    def error(self, text: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append(f"{self.source}: {one_line(text)}")

    def skip(self, h: Header, excel_row: int, reason: str) -> None:
        item = {"row": excel_row, "reason": reason}
        if self.multi:
            item["sheet"] = h.sheet.name
        self.skipped.append(item)

    def run(self) -> None:
        for h in self.headers:
            self._sheet(h)
        self._check_duplicates()

    def _sheet(self, h: Header) -> None:
        sheet = h.sheet
        width = len(h.labels)
        col = {f: c for c, f in enumerate(h.fields) if f and f not in (NUMBERING, IGNORE)}
        ident_cols = [col[f] for f in ("org_name", "org_id") if f in col]
        inn_col = col.get("org_id")
        label_cols = [c for c in (col.get("org_name"), col.get("municipality"), col.get("region"), col.get("org_id")) if c is not None]
        header_texts = {c: h.labels[c].split(" / ")[-1] for c in col.values()}
        # merged cells in the data area (e.g. a municipality merged down over its schools)
        fill: dict[tuple[int, int], object] = {}
        for r0, c0, r1, c1 in sheet.merges:
            if r1 >= h.data_start and 0 <= c0 < width:
                value = sheet.rows[r0][c0] if r0 < len(sheet.rows) and c0 < len(sheet.rows[r0]) else ""
                for r in range(max(r0, h.data_start), r1 + 1):
                    for c in range(c0, min(c1, width - 1) + 1):
                        if (r, c) != (r0, c0):
                            fill[(r - h.data_start, c)] = value
        columns, tails = _take_columns(sheet.rows, h.data_start, width, fill)
        n = len(columns[0]) if columns else 0

        def row_at(i: int) -> list:
            """Data row i as read (padded to the header's width), from the columns."""
            row = [column[i] for column in columns]
            return row + tails[i] if i in tails else row

        cols = {c: columns[c] for c in set(col.values())}
        # --- vectorised classification: most rows are plain organisation rows.  The rules look
        # at each distinct value once (a region or a status repeats a few words) and the rows
        # are then picked at C speed (``compress``/``map``); a sheet of texts (a CSV) looks at its
        # ИНН column's all-digit texts not at all: they identify a row and are no total or blank.
        miss = MISSING_MARKERS
        all_text = sheet.texts
        everyone = range(n)

        def rows_with(values: Sequence, hits: set) -> Iterable[int]:
            """The rows whose value is one of ``hits`` (texts only: no text equals a number)."""
            return compress(everyone, map(hits.__contains__, values)) if hits else ()

        distincts: dict[int, set] = {}

        def distinct(c: int) -> set:
            if c not in distincts:
                distincts[c] = set(cols[c])
            return distincts[c]

        # a text sheet's rows whose ИНН text is not all digits (few): the only ones that can be
        # blank, a total or a repeated header there, or fail to identify the row
        odd_inn = (list(compress(everyone, map(not_, map(str.isdigit, cols[inn_col]))))
                   if all_text and inn_col is not None else None)
        unnamed: set[int] | None = None   # rows no identifying column identifies
        for c in ident_cols:
            vals = cols[c]
            if c == inn_col:
                if odd_inn is not None:
                    no = {i for i in odd_inn if not (vals[i] != "" and _is_numeric_like(vals[i]))}
                else:
                    no = set(compress(everyone, [not ((v.__class__ is str and v != "" and (v.isdigit() or _is_numeric_like(v))) or
                                                      (v.__class__ is float and v == v) or v.__class__ is int) for v in vals]))
            else:
                blank = {v for v in distinct(c) if v.__class__ is str and (v == "" or v.strip().lower() in miss)}
                no = set(rows_with(vals, blank))
                if not all_text:   # a cell that is no text identifies the row unless it is None or NaN
                    no.update(i for i, v in enumerate(vals) if v.__class__ is not str and (v is None or v != v))
            unnamed = no if unnamed is None else unnamed & no
        if unnamed is None:
            unnamed = set(everyone)
        suspicious: set[int] = set()
        for c in label_cols:
            # each distinct text once: a region or municipality column repeats a few words
            pool = ({cols[c][i] for i in odd_inn} if c == inn_col and odd_inn is not None else distinct(c))
            totals = {v for v in pool if v.__class__ is str and v and v[0] in _TOTAL_FIRST and _TOTAL_RE.match(v)}
            suspicious.update(rows_with(cols[c], totals))
        if ident_cols:
            c0 = ident_cols[0]
            h0 = header_texts.get(c0)
            pool = ({cols[c0][i] for i in odd_inn} if c0 == inn_col and odd_inn is not None and not str(h0).isdigit()
                    else distinct(c0))
            suspicious.update(rows_with(cols[c0], {v for v in pool if v.__class__ is str and v.strip() == h0}))
        # rows with a name and nothing else («Сергокалинский район» over its schools): candidates
        # are rows whose ИНН (or else first figure) is blank; few, so checked cell by cell below
        name_col = col.get("org_name")
        lone_name: set[int] = set()
        if name_col is not None:
            probe = inn_col if inn_col is not None else next(
                (col[f] for f in COUNT_FIELDS + SHARE_FIELDS + ("status",) if f in col), None)
            if probe is not None:
                pv = cols[probe]
                if probe == inn_col and odd_inn is not None:
                    candidates: Iterable[int] = odd_inn
                else:
                    candidates = rows_with(pv, {v for v in distinct(probe) if v.__class__ is str and not v.strip()})
                    if not all_text:
                        candidates = chain(candidates, (i for i, v in enumerate(pv) if v is None))
                for i in candidates:
                    v = pv[i]
                    if (v == "" or v is None or (v.__class__ is str and not v.strip())) and i not in unnamed:
                        row = row_at(i)
                        if all(_is_blank(v) for k, v in enumerate(row) if k != name_col):
                            lone_name.add(i)
                suspicious |= lone_name
        first_nonblank = next((i for i in range(n) if any(not _is_blank(v) for v in row_at(i))), None)
        if first_nonblank is not None:
            suspicious.add(first_nonblank)
        keep = [True] * n  # the organisation rows: identified, less the suspicious rows found below
        for i in unnamed:
            keep[i] = False
        for i in suspicious:
            keep[i] = False
        slow = sorted(unnamed | suspicious)
        distincts.clear()   # a column of unique names costs ~70 bytes a row as a set
        section = None
        sections: list[tuple[int, str]] = []
        has_muni = "municipality" in col
        base = sheet.row_offset + h.data_start + 1
        for i in slow:
            row = row_at(i)
            excel_row = base + i
            if i == first_nonblank:
                nonblank = [v for v in row if not _is_blank(v)]
                ints = [v for v in nonblank if _is_numeric_like(v)]
                if len(ints) == len(nonblank) and len(ints) >= 3:
                    try:
                        seq = [int(float(str(v).replace(",", "."))) for v in ints]
                    except ValueError:
                        seq = []
                    if seq and seq == list(range(seq[0], seq[0] + len(seq))) and seq[0] in (0, 1):
                        self.skip(h, excel_row, tr("строка с номерами столбцов", "row of column numbers"))
                        continue
            total_text = None
            for c in label_cols:
                v = row[c]
                if type(v) is str and v and _TOTAL_RE.match(v):
                    total_text = v
                    break
            if total_text is not None:
                self.skip(h, excel_row, tr("итоговая строка «{t}»", "total row «{t}»", t=_label(total_text)[:60]))
                continue
            if i in lone_name and (not has_muni or inn_col is not None):
                assert name_col is not None  # lone_name is only filled when the sheet has a name column
                text = _label(row[name_col])
                if not has_muni:
                    section = text
                    sections.append((excel_row, section))
                    self.skip(h, excel_row, tr("заголовок раздела «{t}» (муниципалитет для строк ниже)",
                                               "section heading «{t}» (municipality for the rows below)", t=section[:60]))
                else:
                    self.skip(h, excel_row, tr("строка без данных: «{t}»", "row without data: «{t}»", t=text[:60]))
                continue
            if i not in unnamed:
                c0 = ident_cols[0]
                if type(row[c0]) is str and row[c0].strip() == header_texts.get(c0):
                    same = sum(1 for c, text in header_texts.items() if isinstance(row[c], str) and _label(row[c]) == text)
                    if same >= 2:
                        self.skip(h, excel_row, tr("повтор строки заголовков", "repeated header row"))
                        continue
                keep[i] = True
                continue
            nonblank = [v for v in row if not _is_blank(v)]
            if not nonblank:
                continue
            first = nonblank[0]
            if isinstance(first, str) and _TOTAL_RE.match(first):
                self.skip(h, excel_row, tr("итоговая строка «{t}»", "total row «{t}»", t=_label(first)[:60]))
                continue
            texts = [v for v in nonblank if isinstance(v, str) and not _is_numeric_like(v)]
            if len(nonblank) == 1 and texts and not has_muni:
                section = _label(texts[0])
                sections.append((excel_row, section))
                self.skip(h, excel_row, tr("заголовок раздела «{t}» (муниципалитет для строк ниже)",
                                           "section heading «{t}» (municipality for the rows below)", t=section[:60]))
            elif len(nonblank) == 1 and texts:
                self.skip(h, excel_row, tr("строка без данных: «{t}»", "row without data: «{t}»", t=_label(texts[0])[:60]))
            elif not texts and len(nonblank) >= 2:
                # figures only, no name, ИНН or word: a total row whose label was left out
                self.skip(h, excel_row, tr("итоговая строка без подписи (только числа, нет наименования и ИНН)",
                                           "unlabelled total row (figures only, no name and no ИНН)"))
            else:
                self.skip(h, excel_row, tr("нет наименования организации и ИНН", "no organisation name and no ИНН"))
        columns.clear()  # only the mapped columns (in cols) are read from here on
        count = sum(keep)
        if not count:
            return
        self.skipped.sort(key=lambda item: (item.get("sheet", ""), item["row"]))
        # row indexes as a range or an array (8 bytes each), not a list of int objects (36)
        whole = count == n
        kept = range(n) if whole else _int_array(compress(range(n), keep))
        chosen = None if whole else keep   # True for an organisation row
        del keep
        rownums = range(base, base + n) if whole else _int_array(map(base.__add__, kept))
        fields = REGISTRY_FIELDS if self.registry else ROW_FIELDS
        parsed_cols: list[Sequence] = []
        uses = Counter(col.get(f) for f in fields)
        for f in fields:
            fc = col.get(f)
            if fc is None:
                if f == "municipality" and sections:
                    parsed_cols.append(self._sections_for(rownums, sections))
                else:
                    parsed_cols.append([None] * len(kept))
                continue
            parsed_cols.append(self._parse_column(f, cols[fc], chosen, kept, h, fc, rownums))
            uses[fc] -= 1
            if not uses[fc]:
                del cols[fc]  # parsed: the column's texts go as it goes
        if self.multi:
            keys = ("row", "sheet") + tuple(fields)
            name = sheet.name
            self.rows.add(keys, [rownums, [name] * len(kept), *parsed_cols])
        else:
            keys = ("row",) + tuple(fields)
            self.rows.add(keys, [rownums, *parsed_cols])

    @staticmethod
    def _sections_for(rownums: Sequence[int], sections: list[tuple[int, str]]) -> list:
        """Municipality from section-heading rows, when the sheet has no municipality column."""
        out = []
        current, idx = None, 0
        for r in rownums:
            while idx < len(sections) and sections[idx][0] < r:
                current = sections[idx][1]
                idx += 1
            out.append(current)
        return out

    def _parse_column(self, f: str, column: list, chosen: list[bool] | None, kept: Sequence[int], h: Header,
                      c: int, rownums: Sequence[int]) -> Sequence:
        """The cells of the organisation rows (``chosen``: True for such a row; None: every row)
        parsed by the column's rules (``_parse_cells``): a column of texts (a CSV) repeating few
        distinct values has each distinct text parsed once and the result shared, the cells
        taken as they are read (no copy of the column's chosen cells is made).
        Whenever that reports anything (an error, a warning that counts cells), the column is
        parsed cell by cell instead, so every message names its own row.  With ``looked_up``
        such a column is returned as a :class:`LookedUp` of the cells and their parses."""

        def cells() -> Iterable:
            return column if chosen is None else compress(column, chosen)

        def values() -> Sequence:
            return column if chosen is None else list(compress(column, chosen))

        n = len(rownums)
        if n < 256 or f in ("org_name", "org_id"):
            return self._parse_cells(f, values(), h, c, rownums)
        distinct = list(set(cells()))   # in any order: a parse depends on its text alone
        # texts only: no str equals a number, while 1 == 1.0 == True would share one parse
        if len(distinct) * 2 > n or set(map(type, distinct)) != {str}:
            return self._parse_cells(f, values(), h, c, rownums)
        errors, messages, warnings = self.error_count, len(self.errors), len(self.warnings)
        parsed = self._parse_cells(f, distinct, h, c, rownums)
        if self.error_count != errors or len(self.warnings) != warnings:
            self.error_count = errors
            del self.errors[messages:], self.warnings[warnings:]
            return self._parse_cells(f, values(), h, c, rownums)
        table = dict(zip(distinct, parsed))
        if self.looked_up:
            return LookedUp(column, chosen, kept, table)
        return list(map(table.__getitem__, cells()))

    def _parse_cells(self, f: str, values: Sequence, h: Header, c: int, rownums: Sequence[int]) -> list:
        src_row = rownums.__getitem__
        out: list = [None] * len(values)
        if f in COUNT_FIELDS:
            fast = _COUNT_FAST
            out = [int(v) if type(v) is float and v >= 0 and v.is_integer() else
                   (fast.get(v, _BAD) if type(v) is str else _BAD) for v in values]
            for k in [k for k, x in enumerate(out) if x is _BAD]:
                v = values[k]
                out[k] = None
                try:
                    n = parse_count(v)
                except CellError as e:
                    self.error(tr("{where}: ожидалось {exp}, найдено «{found}»", "{where}: expected a {exp}, found «{found}»",
                                  where=self.where(h, src_row(k), c), exp=_expected(e.expected), found=e.found))
                    continue
                if n is not None and n < 0:
                    self.error(tr("{where}: ожидалось число не меньше 0, найдено {n}", "{where}: expected a number of at least 0, found {n}",
                                  where=self.where(h, src_row(k), c), n=n))
                    continue
                out[k] = n
                if type(v) is str and len(fast) < 50_000:
                    fast[v] = n
            return out
        if f in SHARE_FIELDS:
            raw: list = [None] * len(values)
            for k, v in enumerate(values):
                try:
                    raw[k] = parse_share_raw(v)
                except CellError as e:
                    self.error(tr("{where}: ожидалась доля (например, 3,5% или 0,035), найдено «{found}»",
                                  "{where}: expected a share (e.g. 3.5% or 0.035), found «{found}»",
                                  where=self.where(h, src_row(k), c), found=e.found))
            plain = [x[0] for x in raw if x and x[0] is not None and not x[1]]
            header_says_percent = "%" in h.labels[c] or "процент" in h.labels[c].lower() or "percent" in h.labels[c].lower()
            # numbers above 1 are percents; so is text such as «0,5» under a «…, %» header (a CSV
            # or a text cell: 0.5%).  A numeric cell ≤ 1 stays a fraction, since an Excel percent
            # cell («3,5%» on screen) holds 0.035 whatever the header says.
            plain_text = header_says_percent and any(
                type(v) is str and x and x[0] is not None and not x[1] for v, x in zip(values, raw))
            plain_is_percent = bool(plain) and (max(plain) > 1.0 or plain_text)
            for k, x in enumerate(raw):
                if not x or x[0] is None:
                    continue
                number, pct = x
                share = number / 100.0 if (pct or plain_is_percent) else number
                if share < 0:
                    self.error(tr("{where}: ожидалась доля от 0 до 100%, найдено «{found}»",
                                  "{where}: expected a share from 0 to 100%, found «{found}»",
                                  where=self.where(h, src_row(k), c), found=_label(values[k])))
                    continue
                if share > 1.0 + 1e-9:
                    self.error(tr("{where}: доля больше 100% («{found}»); ожидалось от 0 до 100%",
                                  "{where}: share above 100% («{found}»); expected 0 to 100%",
                                  where=self.where(h, src_row(k), c), found=_label(values[k])))
                    continue
                out[k] = round(share, 10)
            return out
        if f == "status":
            unknown = 0
            example = None
            for k, v in enumerate(values):
                try:
                    out[k] = parse_status(v)
                except CellError as e:
                    unknown += 1
                    if example is None:
                        example = (src_row(k), e.found)
            if unknown:
                assert example is not None  # set by the first unrecognised value, counted in unknown
                self.warnings.append(tr(
                    "столбец «{label}»: {n} значений статуса не распознаны (например, строка {row}: «{found}»); ожидалось «Активна» или «Не активна», они оставлены пустыми",
                    "column «{label}»: {n} status values not recognised (e.g. row {row}: «{found}»); expected «Активна» or «Не активна»; left empty",
                    label=h.labels[c], n=unknown, row=example[0], found=example[1]))
            return out
        if f == "org_id":
            if _plain_inns(values):
                return list(values)
            restored = 0
            out = [v if type(v) is str and len(v) == 10 and v.isdigit() and v.isascii() else _BAD for v in values]
            for k in [k for k, x in enumerate(out) if x is _BAD]:
                v = values[k]
                out[k] = None
                try:
                    inn, fixed = parse_inn(v)
                except CellError as e:
                    self.error(tr("{where}: ожидался ИНН из 10 или 12 цифр, найдено «{found}»",
                                  "{where}: expected an ИНН of 10 or 12 digits, found «{found}»",
                                  where=self.where(h, src_row(k), c), found=e.found))
                    continue
                restored += fixed
                out[k] = inn
            if restored:
                self.warnings.append(tr(
                    "столбец «{label}»: у {n} ИНН восстановлен ведущий ноль (ячейки были числами)",
                    "column «{label}»: a leading zero was restored in {n} ИНН (the cells were numbers)",
                    label=h.labels[c], n=restored))
            return out
        try:
            return parse_texts(values)
        except CellError:  # a NUL inside a text cell (an .xlsx can carry one as _x0000_)
            for k, v in enumerate(values):
                try:
                    out[k] = parse_text(v)
                except CellError:
                    self.error(tr("{where}: нулевой байт (NUL) в тексте ячейки; файл повреждён или подделан",
                                  "{where}: a NUL byte in the cell's text; the file is damaged or forged",
                                  where=self.where(h, src_row(k), c)))
            return out

    def _pair(self, a: dict, b: dict) -> str:
        """«строки 17 и 40», or with several sheets «лист «A», строка 17 и лист «B», строка 17»."""
        if not self.multi:
            return tr("строки {a} и {b}", "rows {a} and {b}", a=a["row"], b=b["row"])
        return tr("лист «{sa}», строка {a} и лист «{sb}», строка {b}", "sheet «{sa}», row {a} and sheet «{sb}», row {b}",
                  sa=a.get("sheet"), a=a["row"], sb=b.get("sheet"), b=b["row"])

    def _check_duplicates(self) -> None:
        distinct = set(self.rows.column("org_id"))
        if None not in distinct and len(distinct) == len(self.rows):
            return  # every row has an ИНН of its own (a national file): nothing to compare
        seen: dict[str, dict] = {}
        names: dict[str, dict] = {}
        for o in self.rows.select("row", "sheet", "org_id", "org_name", "municipality", "region"):
            inn = o.get("org_id")
            if inn:
                if inn in seen:
                    self.error(tr("{rows}: один и тот же ИНН {inn}; ожидалась одна строка на организацию",
                                  "{rows}: the same ИНН {inn}; expected one row per organisation",
                                  rows=self._pair(seen[inn], o), inn=inn))
                else:
                    seen[inn] = o
            elif o.get("org_name"):
                key = (o.get("region") or "") + "|" + _name_key(o.get("org_name"), o.get("municipality"))
                if key in names:
                    self.error(tr("{rows}: одна и та же организация «{name}» без ИНН; ожидалась одна строка на организацию (или столбец ИНН)",
                                  "{rows}: the same organisation «{name}» without ИНН; expected one row per organisation (or an ИНН column)",
                                  rows=self._pair(names[key], o), name=o["org_name"]))
                else:
                    names[key] = o


# --------------------------------------------------------------------------- public API

_PERIOD_FROM = re.compile(r"(?:дата\s+)?(?:начал[оа]?|start|from)(?:\s+(?:отчетного\s+|отчётного\s+)?период[ау]?)?\s*:?", re.I)
_PERIOD_TO = re.compile(r"(?:дата\s+)?(?:конец|окончани[ея]|end|to)(?:\s+(?:отчетного\s+|отчётного\s+)?период[ау]?)?\s*:?", re.I)


def _join_period_rows(texts: list[str]) -> str:
    out = []
    for t in texts:
        t = _PERIOD_FROM.sub(" с ", t) if _PERIOD_FROM.search(t) else t
        t = _PERIOD_TO.sub(" по ", t) if _PERIOD_TO.search(t) else t
        out.append(t)
    return " ".join(out)


def _pick_headers(path: str, sheets: list[Sheet], mapper: HeaderMapper, need: tuple[str, ...]) -> list[Header]:
    return _choose_headers(_headers_found(sheets, mapper, need))


def _headers_found(sheets: list[Sheet], mapper: HeaderMapper, need: tuple[str, ...]) -> list[tuple[Header, int]]:
    """Each sheet's header block with the count of its rows that hold a name or an ИНН."""
    found: list[tuple[Header, int]] = []
    for sheet in sheets:
        h = find_header(sheet, mapper, need)
        if h is None:
            continue
        if len(sheets) == 1:    # nothing to choose between (a CSV): the rows under the header
            found.append((h, max(len(sheet.rows) - h.data_start, 0)))
            continue
        ident = [c for c, f in enumerate(h.fields) if f in need]
        c = ident[0]
        count = sum(1 for row in sheet.rows[h.data_start:] if c < len(row) and row[c] != "" and row[c] is not None)
        found.append((h, count))
    return found


def _choose_headers(found: list[tuple[Header, int]]) -> list[Header]:
    """The sheet(s) of one week's organisation rows: the best-mapped sheet with rows, and every
    other sheet with the same columns (a sheet per municipality)."""
    if not found:
        return []
    visible = [x for x in found if x[0].sheet.visible and x[1] > 0] or [x for x in found if x[1] > 0] or found
    best = max(visible, key=lambda x: (x[1] > 0, x[0].score, x[1]))
    chosen = [x for x in visible if x[1] > 0 and x[0].field_set == best[0].field_set]
    return [x[0] for x in chosen] or [best[0]]


def read_table(path: str | os.PathLike, *, registry: bool = False, period_hint: str | None = None,
               extra_aliases: Mapping[str, str] | None = None, strict: bool = True,
               need_period: bool = False, limits: Limits | None = None) -> ReadResult:
    spath = str(path)
    kind, sheets, sha256 = _load(spath, path, limits)
    headers = _pick_headers(spath, sheets, _mapper(extra_aliases), _NEED)
    return _read_headers(spath, kind, sheets, sha256, headers, registry=registry, period_hint=period_hint,
                         strict=strict, need_period=need_period)


_NEED = ("org_name", "org_id")


def _load(spath: str, path, limits: Limits | None, digest: bool = True) -> tuple[str, list[Sheet], str]:
    """(format, sheets, SHA-256) of a file: the sheets loaded within the limits, the row count
    bounded (``[limits] max_rows``), and the raw bytes (as large as the file) dropped before
    the columns come.  Without ``digest`` the SHA-256 is ""."""
    kind, sheets, data = load_sheets(path, limits)
    max_rows = (limits or DEFAULT_LIMITS).max_rows
    total_rows = sum(len(s.rows) for s in sheets)
    if total_rows > max_rows:
        raise _fail(spath, "в файле {n} строк, допустимо {limit} ([limits] max_rows); это не недельная таблица организаций",
                    "the file has {n} rows, at most {limit} allowed ([limits] max_rows); this is not a weekly table of organisations",
                    n=count_text(total_rows), limit=count_text(max_rows))
    sha256 = ""
    if digest:
        import hashlib  # OpenSSL's library loads with it (~2 ms): only when the digest is wanted

        sha256 = hashlib.sha256(data).hexdigest()
    del data
    return kind, sheets, sha256


def _mapper(extra_aliases: Mapping[str, str] | None) -> HeaderMapper:
    try:
        return HeaderMapper(extra_aliases)
    except ValueError as exc:
        raise UserError(tr("псевдонимы заголовков в настройках: {e}", "header aliases in the config: {e}", e=exc)) from None


def _read_headers(spath: str, kind: str, sheets: list[Sheet], sha256: str, headers: list[Header], *,
                  registry: bool, period_hint: str | None, strict: bool, need_period: bool,
                  week: tuple[Period, str] | None = None, looked_up: bool = False) -> ReadResult:
    """The result of reading the organisation rows under ``headers``; ``week``: the period
    (and its origin) of one sheet of a workbook of weeks, found already."""
    if not headers:
        nonempty = [(s, i) for s in sheets for i, row in enumerate(s.rows) if any(not _is_blank(v) for v in row)]
        if not nonempty:
            raise _fail(spath, "в файле нет ни одной заполненной ячейки; ожидалась таблица организаций",
                        "the file has no filled cells; expected a table of organisations")
        if len(nonempty) <= 3:
            raise _fail(spath, "в файле только заголовок ({n} строки), таблицы организаций нет",
                        "the file holds only a title ({n} rows) and no table of organisations", n=len(nonempty))
        raise _fail(spath, "не найдена строка заголовков таблицы в первых {n} строках: ожидались столбцы вроде «Наименование ОО» или «ИНН» и хотя бы один показатель",
                    "no header row found in the first {n} rows: expected columns such as «Наименование ОО» or «ИНН» and at least one figure",
                    n=HEADER_SEARCH_ROWS)
    where = shown_path(spath)
    if week is not None:
        where += ", " + tr("лист «{s}»", "sheet «{s}»", s=headers[0].sheet.name)
    ex = _Extractor(where, headers, registry, looked_up)
    for sheet in sheets:
        ex.warnings.extend(sheet.warnings)
    with gc_paused():
        ex.run()
    ex.warnings.extend(_formula_warnings(headers))
    columns: dict[str, str | None] = {}
    for h in headers[:1]:
        for lab, f in zip(h.labels, h.fields):
            if not lab:
                continue
            key = lab
            n = 2
            while key in columns:
                key = f"{lab} ({n})"
                n += 1
            columns[key] = f if f and f not in (NUMBERING, IGNORE) else None
        for lab, first, f in h.__dict__.get("dup_notes", []):
            ex.warnings.append(tr("столбец «{lab}» тоже похож на поле {f}; используется первый, «{first}»",
                                  "column «{lab}» also looks like field {f}; the first one, «{first}», is used",
                                  lab=lab, f=f, first=first))
    numbering = [lab for lab, f in zip(headers[0].labels, headers[0].fields) if f == NUMBERING]
    if numbering:
        ex.warnings.append(tr("столбец нумерации «{c}» пропущен", "numbering column «{c}» skipped", c=numbering[0]))
    mapped = headers[0].field_set
    if not registry:
        if not mapped & set(COUNT_FIELDS + SHARE_FIELDS + ("status",)):
            ex.error(tr("в заголовке нет ни одного показателя (пользователи, классы, учителя, статус...); найдены только {f}",
                        "the header has no figures (users, classes, teachers, status...); only {f}",
                        f=", ".join(sorted(mapped))))
        missing_fields = [f for f in ("org_name", "municipality", "status", "users_total", "classes", "teachers") if f not in mapped]
        if missing_fields:
            ex.warnings.append(tr("в файле нет столбцов: {f}", "the file has no columns for: {f}", f=", ".join(missing_fields)))
    if not ex.rows and not ex.errors:
        h = headers[0]
        ex.error(tr("под строкой заголовков (строка {row}) нет ни одной строки организаций",
                    "no organisation rows under the header (row {row})", row=h.sheet.row_offset + h.start + 1))
    if ex.skipped:
        totals = sum(1 for s in ex.skipped if s["reason"].startswith(("итогов", "total")))
        if totals:
            ex.warnings.append(tr("пропущено итоговых строк: {n}", "total rows skipped: {n}", n=totals))
    # period: title rows, other sheets, sheet names, file name, --period
    period, origin = None, None
    if week is not None:
        period, origin = week
        if period_hint and parse_period_hint(period_hint) != period:
            ex.warnings.append(tr("--period не используется: в книге по листу на неделю период каждого листа — из его имени или заголовка",
                                  "--period is not used: in a workbook of a sheet per week each sheet's period comes from its name or title"))
    elif not registry:
        h0 = headers[0]
        title_texts = _title_texts(h0)
        period = _title_range(title_texts)
        if period:
            origin = "title"
        if period is None:
            for sheet in sheets:
                if sheet is h0.sheet:
                    continue
                for row in sheet.rows[:15]:
                    text = " ".join(_label(v) for v in row if not _is_blank(v))
                    period = find_period(text, allow_single=False)
                    if period:
                        origin = "title"
                        break
                if period:
                    break
        if period is None:
            period = _title_single(title_texts)
            if period:
                origin = "title"
        if period is None:
            for sheet in sheets:
                period = find_period(sheet.name, allow_single=False)
                if period:
                    origin = "sheet"
                    break
        if period is None:
            period = period_from_filename(Path(spath).name)
            origin = "filename" if period else None
        hint = parse_period_hint(period_hint) if period_hint else None
        if period_hint and hint is None:
            raise UserError(tr("--period «{p}»: ожидалась дата ГГГГ-ММ-ДД (первый день недели) или ГГГГ-ММ-ДД..ГГГГ-ММ-ДД",
                               "--period {p!r}: expected a date YYYY-MM-DD (first day of the week) or YYYY-MM-DD..YYYY-MM-DD",
                               p=period_hint))
        if period is None and hint is not None:
            period, origin = hint, "option"
        elif period is not None and hint is not None and hint != period:
            ex.warnings.append(tr("--period {h} не совпадает с периодом в файле ({p}); используется период из файла",
                                  "--period {h} differs from the period in the file ({p}); the file's period is used",
                                  h=hint.label(), p=period.label()))
        if period is None:
            msg = tr("период отчёта не найден ни в заголовке, ни в имени файла; укажите его: --period ГГГГ-ММ-ДД",
                     "the reporting period is in neither the title rows nor the file name; give it with --period YYYY-MM-DD")
            if need_period:
                ex.error(msg)
            else:
                ex.warnings.append(msg)
    if ex.error_count > len(ex.errors):
        ex.errors.append(f"{shown_path(spath)}: " + tr("… и ещё ошибок: {n}", "… and {n} more errors", n=ex.error_count - len(ex.errors)))
    ex.warnings = [one_line(w) for w in ex.warnings]
    result = ReadResult(
        source=spath, period=period, columns=columns, rows=ex.rows, skipped=ex.skipped,
        warnings=ex.warnings, errors=ex.errors, sheet=headers[0].sheet.name if kind != "csv" and not kind.startswith("csv") else None,
        sha256=sha256, file_format=kind, period_origin=origin,
    )
    if strict and result.errors:
        first = result.errors[0]
        more = ex.error_count - 1
        if more > 0:
            first += tr(" (и ещё ошибок: {n})", " (and {n} more errors)", n=more)
        raise InputFileError(first, source=spath)
    return result


def read_weekly(path: str | os.PathLike, *, period_hint: str | None = None,
                extra_aliases: Mapping[str, str] | None = None, strict: bool = True,
                limits: Limits | None = None, sheet: str | None = None) -> ReadResult:
    """Read one weekly monitoring file.  ``strict`` raises the first problem as InputFileError,
    and then also requires a period (title row, file name or ``period_hint``).  ``limits``: the
    config's ``[limits]`` (the defaults without it).

    A workbook of a sheet per week (:func:`read_weeks`) holds several weeks: ``sheet`` picks
    one; without it, ``strict`` refuses the workbook in one line (it is imported whole, a
    snapshot per sheet), and otherwise the latest week is returned with a warning."""
    book = read_weeks(path, period_hint=period_hint, extra_aliases=extra_aliases, strict=strict,
                      limits=limits)
    if len(book.weeks) == 1:
        return book.weeks[0]
    if sheet is not None:
        for res in book.weeks:
            if res.sheet == sheet:
                return res
        raise _fail(str(path), "в книге нет листа недели «{s}»", "the workbook has no week sheet «{s}»", s=sheet)
    if strict:
        raise _fail(str(path), "книга по листу на неделю ({n} — {sheets}); она импортируется целиком, по снимку на лист: sferum-tui import",
                    "a workbook of a sheet per week ({n} — {sheets}); it is imported whole, a snapshot per sheet: sferum-tui import",
                    n=_weeks_phrase(len(book.weeks)), sheets=_sheet_list([r.sheet for r in book.weeks]))
    last = book.weeks[-1]
    last.warnings.insert(0, tr("книга по листу на неделю ({n}); здесь последняя, лист «{s}»",
                               "a workbook of a sheet per week ({n}); this is the latest, sheet «{s}»",
                               n=_weeks_phrase(len(book.weeks)), s=last.sheet))
    return last


@dataclass
class BookResult:
    """What :func:`read_weeks` read: one result per week (one for an ordinary file; one per
    sheet, by period, for a workbook of a sheet per week) and the sheets that hold no week."""
    source: str
    weeks: list[ReadResult]
    skipped_sheets: list[dict] = field(default_factory=list)   # {"sheet": name, "reason": text}

    @property
    def by_sheet(self) -> bool:
        return len(self.weeks) > 1

    def notes(self) -> list[str]:
        """One line per skipped sheet (for a workbook of weeks)."""
        return [tr("лист «{s}» пропущен: {r}", "sheet «{s}» skipped: {r}", s=x["sheet"], r=x["reason"])
                for x in self.skipped_sheets]

    def to_json(self) -> dict:
        first = self.weeks[0]
        return {
            "source": self.source, "format": first.file_format, "sha256": first.sha256,
            "weeks": [{"sheet": r.sheet, "period": r.period.to_json() if r.period else None,
                       "period_origin": r.period_origin, "rows": len(r.rows), "skipped": len(r.skipped),
                       "columns": r.columns, "warnings": r.warnings,
                       **({"errors": r.errors} if r.errors else {})} for r in self.weeks],
            "skipped_sheets": self.skipped_sheets,
        }


def read_weeks(path: str | os.PathLike, *, period_hint: str | None = None,
               extra_aliases: Mapping[str, str] | None = None, strict: bool = True,
               limits: Limits | None = None, preview: bool = False) -> BookResult:
    """Read a weekly file as the weeks it holds.  An ordinary file (one sheet, or a sheet per
    municipality of one week) is one week, read as :func:`read_weekly` always did.  A workbook
    where two or more sheets of organisation rows each carry a period of their own — in the
    sheet's name («15.04-21.04.2023», «2023-04-21», «неделя 16») or in its title rows — and
    the periods differ, is a workbook of a sheet per week: one result per such sheet, ordered
    by period; the other sheets (instructions, summaries, a registry) are listed as skipped.
    Two week sheets of the same or overlapping periods are refused in one line naming both.

    ``preview``: for a caller that reports on the file and shows a few of its rows (``inspect``):
    a column of few distinct texts (a region, a status, a count) keeps its raw cells and looks
    each one up when it is read (``rowtable.LookedUp``; the raw cells live as long as the
    result), and the file's SHA-256 is not computed (``sha256`` is "")."""
    spath = str(path)
    kind, sheets, sha256 = _load(spath, path, limits, digest=not preview)
    found = _headers_found(sheets, _mapper(extra_aliases), _NEED)
    plan = _week_sheets(spath, sheets, found)
    if plan is None:
        res = _read_headers(spath, kind, sheets, sha256, _choose_headers(found), registry=False,
                            period_hint=period_hint, strict=strict, need_period=strict, looked_up=preview)
        return BookResult(spath, [res])
    weeks, skipped = plan
    results = [_read_headers(spath, kind, sheets, sha256, [h], registry=False, period_hint=period_hint,
                             strict=strict, need_period=strict, week=(p, origin), looked_up=preview)
               for h, p, origin in weeks]
    return BookResult(spath, results, skipped)


_FIGURES = frozenset(COUNT_FIELDS + SHARE_FIELDS + ("status",))


def _weeks_phrase(n: int) -> str:
    return tr("недель: {n}", "{n} weeks", n=n)


def _sheet_list(names: list, limit: int = 4) -> str:
    shown = ", ".join(f"«{n}»" for n in names[:limit])
    if len(names) > limit:
        shown += " " + tr("и ещё {n}", "and {n} more", n=len(names) - limit)
    return shown


def _week_sheets(spath: str, sheets: list[Sheet], found: list[tuple[Header, int]]
                 ) -> tuple[list[tuple[Header, Period, str]], list[dict]] | None:
    """The weeks of a workbook of a sheet per week, with the sheets skipped and why; None for
    any other file (fewer than two sheets of organisation rows with periods that differ)."""
    rows_of = [(h, n) for h, n in found if h.sheet.visible and n > 0 and h.field_set & _FIGURES]
    if len(rows_of) < 2:
        return None
    year = year_in(Path(spath).stem)
    dated = [(h, *_sheet_period(h, year)) for h, _ in rows_of]
    if len({p for _, p, _ in dated if p is not None}) < 2:
        return None   # one week (a sheet per municipality), or no sheet names its own period
    weeks: list[tuple[Header, Period, str]] = sorted(
        ((h, p, origin) for h, p, origin in dated if p is not None), key=lambda x: (x[1], x[0].sheet.name))
    # a summary over several weeks («за период с 15.04 по 05.05»): a sheet whose period holds
    # two or more other sheets' periods is no week
    summaries = {id(h.sheet): p for h, p, _ in weeks
                 if sum(1 for _, q, _ in weeks if q != p and p.start <= q.start and q.end <= p.end) >= 2}
    weeks = [w for w in weeks if id(w[0].sheet) not in summaries]
    if len(weeks) < 2:
        return None
    for (ha, pa, _), (hb, pb, _) in zip(weeks, weeks[1:]):
        if pb.start <= pa.end:
            same = pa == pb
            raise _fail(spath, "листы «{a}» и «{b}» — {what} ({p}); в книге по листу на неделю у каждого листа своя неделя",
                        "sheets «{a}» and «{b}» hold {what_en} ({p}); in a workbook of a sheet per week each sheet holds a week of its own",
                        a=ha.sheet.name, b=hb.sheet.name, p=pa.label() if same else f"{pa.label()}, {pb.label()}",
                        what="одна и та же неделя" if same else "пересекающиеся периоды",
                        what_en="the same week" if same else "overlapping periods")
    held = {id(h.sheet) for h, _, _ in weeks}
    with_rows = {id(h.sheet): (h, n) for h, n in found}
    skipped = []
    for sheet in sheets:
        if id(sheet) in held:
            continue
        h, n = with_rows.get(id(sheet), (None, 0))
        if id(sheet) in summaries:
            reason = tr("сводка за несколько недель ({p})", "a summary over several weeks ({p})",
                        p=summaries[id(sheet)].label())
        elif not sheet.visible:
            reason = tr("скрытый лист", "a hidden sheet")
        elif h is None:
            reason = tr("нет таблицы организаций", "no table of organisations")
        elif not n:
            reason = tr("нет строк организаций", "no organisation rows")
        elif not h.field_set & _FIGURES:
            reason = tr("нет показателей (справочник?)", "no figures (a registry?)")
        else:
            reason = tr("нет периода ни в имени листа, ни в заголовке", "no period in the sheet's name or title")
        skipped.append({"sheet": sheet.name, "reason": reason})
    return weeks, skipped


def _title_texts(h: Header) -> list[str]:
    return [" ".join(_label(v) for v in row if not _is_blank(v)) for row in h.sheet.rows[:h.start]]


def _title_range(title_texts: list[str]) -> Period | None:
    """A period written as a range in the title rows (or spread over two of them)."""
    for text in title_texts:
        period = find_period(text, allow_single=False)
        if period:
            return period
    if len(title_texts) > 1:
        # a period spread over title rows: «Начало периода | 15.04.2023» / «Конец периода | 21.04.2023»
        return find_period(_join_period_rows(title_texts), allow_single=False)
    return None


def _title_single(title_texts: list[str]) -> Period | None:
    for text in title_texts:
        period = find_single_date_period(text)
        if period:
            return period
    return None


def _sheet_period(h: Header, year: int | None) -> tuple[Period | None, str]:
    """A sheet's own period: its title rows, then its name («неделя 16» takes the year from the
    title rows or, else, the file name)."""
    texts = _title_texts(h)
    period = _title_range(texts)
    if period:
        return period, "title"
    period = period_from_name(h.sheet.name)
    if period:
        return period, "sheet"
    week = week_without_year(h.sheet.name)
    if week is not None:
        y = year_in(" ".join(texts)) or year
        period = iso_week(y, week) if y else None
        if period:
            return period, "sheet"
    period = _title_single(texts)
    return (period, "title") if period else (None, "")


MAX_FORMULA_NOTES = 5


def _formula_warnings(headers: list[Header]) -> list[str]:
    """One warning per row under the header whose cells hold a formula without a computed value
    (an .xlsx written by a program that does not calculate: python-calamine reads them as empty)."""
    out: list[str] = []
    extra = 0
    for h in headers:
        sheet = h.sheet
        if not sheet.formula_cells:
            continue
        first = sheet.row_offset + h.data_start
        by_row: dict[int, list[int]] = {}
        for r, c in sheet.formula_cells:
            if r >= first:
                by_row.setdefault(r, []).append(c)
        for r in sorted(by_row):
            if len(out) >= MAX_FORMULA_NOTES:
                extra += 1
                continue
            labels = []
            for c in sorted(set(by_row[r])):
                k = c - sheet.col_offset
                labels.append(h.labels[k] if 0 <= k < len(h.labels) and h.labels[k] else _col_letter(c))
            where = tr("лист «{s}», ", "sheet «{s}», ", s=sheet.name) if len(headers) > 1 else ""
            cols = ", ".join(f"«{x}»" for x in labels)
            out.append(tr("{w}строка {r}, {col} {c}: формула без вычисленного значения (откройте и сохраните файл в Excel)",
                          "{w}row {r}, {col} {c}: a formula without a computed value (open and save the file in Excel)",
                          w=where, r=r + 1, c=cols,
                          col=tr("столбец", "column") if len(labels) == 1 else tr("столбцы", "columns")))
    if extra:
        out.append(tr("… и ещё строк с формулами без значения: {n}", "… and {n} more rows with formulas without a value", n=extra))
    return out


def read_registry(path: str | os.PathLike, *, extra_aliases: Mapping[str, str] | None = None,
                  strict: bool = True, limits: Limits | None = None) -> ReadResult:
    """Read a registry of organisations (справочник ОО: ИНН, name, municipality, staff, kind)."""
    return read_table(path, registry=True, extra_aliases=extra_aliases, strict=strict, limits=limits)
