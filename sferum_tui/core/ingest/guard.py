"""The input guard: a file from outside is checked against :class:`~.limits.Limits` before any
parser allocates for it.

* :func:`read_input` — regular files only (a FIFO, a device such as ``/dev/zero`` or a socket
  is refused on its ``stat``, before it is opened for reading), no larger than the limit, read
  with a bound so a file growing under us cannot pass it.
* :func:`check_zip` — an .xlsx/.ods: every part of the zip is checked from the directory
  (uncompressed size, compression ratio), then streamed through ``zipfile`` (which stops at
  the declared size and checks the CRC, so a directory that lies is caught), and the sheets'
  cell references are scanned on the way to bound the sheet area.  python-calamine allocates
  the whole area of a sheet at once (rows × columns, 32 bytes a cell) and aborts the process
  when it cannot: one cell at XFD1048576 in a 6 KB file did that.  An .ods's area counts its
  ``number-rows/columns-repeated`` (empty repeats to the sheet's edge take no room, as in the
  library).  The text an .xlsx's cells copy out of its shared strings is bounded too.
* :func:`check_xls` — a legacy .xls (BIFF8): its cell records and DIMENSIONS records are walked
  for the same bound (a real .xls has at most 65 536 rows × 256 columns; a patched record can
  claim 65 535 × 65 535, or DIMENSIONS 4 billion rows, from which the library reserves room).

Each refusal is an :class:`InputFileError` of one line naming the file and the limit.
"""

from __future__ import annotations

import io
import operator
import os
import re
import stat
import struct
from array import array
from collections import Counter
from typing import TYPE_CHECKING

from sferum_tui.core.errors import InputFileError
from sferum_tui.core.ingest.limits import MB, Limits, count_text
from sferum_tui.core.patterns import lazy
from sferum_tui.core.text import shown_path
from sferum_tui.i18n import tr

if TYPE_CHECKING:
    import zipfile

__all__ = ["read_input", "check_zip", "check_xls"]

MAX_ZIP_ENTRIES = 10_000
RATIO_MIN_BYTES = 1 * MB          # the compression ratio is judged on parts above this size
CHUNK = 4 * MB


def _fail(path, ru: str, en: str, **kw) -> InputFileError:
    return InputFileError(f"{shown_path(path)}: " + tr(ru, en, **kw), source=str(path))


def _mb(n: float) -> str:
    return f"{n / MB:.0f}" if n >= 10 * MB else f"{n / MB:.1f}"


# --------------------------------------------------------------------------- the file itself

def read_input(path: str | os.PathLike, limits: Limits) -> bytes:
    """The bytes of a regular file no larger than ``limits.max_file_bytes``."""
    spath = os.fspath(path)
    try:
        st = os.stat(spath)
    except FileNotFoundError:
        raise _fail(spath, "файл не найден", "file not found") from None
    except PermissionError:
        raise _fail(spath, "нет прав на чтение файла", "permission denied: the file cannot be read") from None
    except OSError as exc:
        raise _fail(spath, "файл не читается: {detail}", "the file cannot be read: {detail}",
                    detail=exc.strerror or exc) from None
    _check_stat(spath, st, limits)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(spath, flags)
    except PermissionError:
        raise _fail(spath, "нет прав на чтение файла", "permission denied: the file cannot be read") from None
    except OSError as exc:
        raise _fail(spath, "файл не читается: {detail}", "the file cannot be read: {detail}",
                    detail=exc.strerror or exc) from None
    try:
        st = os.fstat(fd)
        _check_stat(spath, st, limits)  # the same, regular file (not swapped for a FIFO)
        bound = limits.max_file_bytes
        with os.fdopen(fd, "rb", closefd=True) as f:
            fd = -1
            data = f.read(st.st_size + 1)  # a buffer of the file's size, not of the bound
            if len(data) > st.st_size:  # it grows under us: read on, up to the bound
                data += f.read(bound + 1 - len(data))
    except OSError as exc:
        raise _fail(spath, "файл не читается: {detail}", "the file cannot be read: {detail}",
                    detail=exc.strerror or exc) from None
    finally:
        if fd >= 0:
            os.close(fd)
    if len(data) > bound:
        raise _too_big(spath, len(data), limits)
    return data


def _too_big(spath: str, size: int, limits: Limits) -> InputFileError:
    return _fail(spath, "файл больше предела: {size} МБ, допустимо {limit} МБ ([limits] max_file_mb)",
                 "the file is over the limit: {size} MB, at most {limit} MB allowed ([limits] max_file_mb)",
                 size=_mb(size), limit=_mb(limits.max_file_bytes))


def _check_stat(spath: str, st: os.stat_result, limits: Limits) -> None:
    mode = st.st_mode
    if stat.S_ISDIR(mode):
        raise _fail(spath, "это папка, а не файл", "this is a folder, not a file")
    if not stat.S_ISREG(mode):
        kind = ("канал (FIFO)", "a pipe (FIFO)") if stat.S_ISFIFO(mode) else \
               ("сокет", "a socket") if stat.S_ISSOCK(mode) else ("устройство", "a device")
        raise _fail(spath, "это {kind}, а не обычный файл; ожидался файл таблицы",
                    "this is {kind}, not a regular file; expected a spreadsheet file",
                    kind=tr(kind[0], kind[1]))
    if st.st_size > limits.max_file_bytes:
        raise _too_big(spath, st.st_size, limits)


# --------------------------------------------------------------------------- xlsx / ods

def _cells_allowed(limits: Limits, ods: bool = False) -> int:
    """The sheet area allowed: ``[limits] max_sheet_cells``, 2/5 of it for an .ods, whose
    reader copies a repeated cell into every position it covers: an 815-byte .ods of 10 million
    repeated texts peaked at 2.2 GiB (4 million: 0.89 GiB)."""
    return limits.max_sheet_cells * 2 // 5 if ods else limits.max_sheet_cells


def _area_refusal(spath: str, area: int, limits: Limits, ods: bool = False) -> InputFileError:
    return _fail(spath, "площадь листов больше предела: {n} ячеек (строки × столбцы), допустимо {limit} ([limits] max_sheet_cells{part})",
                 "the sheet area is over the limit: {n} cells (rows × columns), at most {limit} allowed ([limits] max_sheet_cells{part})",
                 n=count_text(area), limit=count_text(_cells_allowed(limits, ods)),
                 part=tr(", для .ods — 2/5 его", ", 2/5 of it for an .ods") if ods else "")


def _merges_allowed(limits: Limits) -> int:
    """Merged areas a workbook may declare: a national file merges a few header cells and at
    most a municipality over its schools (~2,500); the library hands each one to Python as
    nested tuples (~250 bytes), and the reader fills every cell one covers."""
    return max(1000, limits.max_sheet_cells // 100)


def _check_merges(spath: str, merges: int, limits: Limits) -> None:
    if merges > _merges_allowed(limits):
        raise _fail(spath, "в листах больше {limit} объединённых областей (сотая доля [limits] max_sheet_cells): "
                    "таблица мониторинга столько не содержит",
                    "the sheets declare over {limit} merged areas (a hundredth of [limits] max_sheet_cells): "
                    "no monitoring table has so many",
                    limit=count_text(_merges_allowed(limits)))


def _damaged(spath: str) -> InputFileError:
    return _fail(spath, "файл повреждён или обрезан (архив книги не читается); скачайте его заново",
                 "the file is damaged or cut short (the workbook archive cannot be read); download it again")


def check_zip(spath: str, data: bytes, limits: Limits, formulas: dict | None = None) -> str:
    """Check an .xlsx/.ods before the spreadsheet library sees it (see the module docstring);
    its kind, «xlsx» or «ods».  ``formulas``, when given, receives for each sheet (by name)
    of an .xlsx the cells holding a formula without a computed value (0-based row, column):
    python-calamine reads those as empty."""
    import zipfile  # a workbook's: reading a CSV never needs it

    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise _damaged(spath) from None
    with zf:
        names = {i.filename for i in infos}
        if "xl/workbook.xml" in names:
            kind = "xlsx"
        elif "xl/workbook.bin" in names:
            raise _fail(spath, "книги .xlsb (двоичные) не поддерживаются; сохраните файл как .xlsx",
                        "binary .xlsb workbooks are not supported; save the file as .xlsx")
        elif "content.xml" in names:
            kind = "ods"
        else:
            raise _fail(spath, "это ZIP-архив, но не книга Excel или ODS",
                        "this is a ZIP archive but not an Excel or ODS workbook")
        if len(infos) > MAX_ZIP_ENTRIES:
            raise _fail(spath, "в архиве книги {n} частей, допустимо {limit}",
                        "the workbook archive holds {n} parts, at most {limit} allowed",
                        n=len(infos), limit=MAX_ZIP_ENTRIES)
        for info in infos:  # the directory first: nothing is inflated for a declared bomb
            _check_part_header(spath, info, limits)
        area = merges = 0
        sheets: list[tuple[zipfile.ZipInfo, _XlsxScan]] = []
        sheet_parts, has_sst = _xlsx_parts(zf, names) if kind == "xlsx" else (None, False)
        # a part the workbook lists as several sheets is read (and allocated) once for each
        uses = _sheet_uses(spath, zf) if kind == "xlsx" else {}
        for info in infos:
            if info.is_dir():
                continue
            budget = _cells_allowed(limits, kind == "ods") - area  # what the sheets read so far leave
            as_sheet = kind == "xlsx" and info.filename.endswith(".xml") and (
                sheet_parts is None or info.filename in sheet_parts or info.filename.lower().endswith("sharedstrings.xml"))
            scan = _XlsxScan(budget, has_sst, formulas is not None) if as_sheet else \
                _OdsScan() if kind == "ods" and info.filename == "content.xml" else None
            _stream_part(spath, zf, info, limits, scan)
            if scan is not None:
                area += scan.area() * max(1, uses.get(info.filename, 1))
                if isinstance(scan, _XlsxScan):
                    merges += scan.merges
                    _check_merges(spath, merges, limits)
                if area > _cells_allowed(limits, kind == "ods"):
                    raise _area_refusal(spath, area, limits, kind == "ods")
                if isinstance(scan, _XlsxScan):
                    sheets.append((info, scan))
        if kind == "xlsx":
            _check_shared_strings(spath, zf, sheets, limits, uses)
            if formulas is not None and any(scan.formulas for _, scan in sheets):
                by_part = _sheet_names(zf)
                for info, scan in sheets:
                    if scan.formulas and info.filename in by_part:
                        formulas[by_part[info.filename]] = scan.formulas
    return kind


_SHEET_TAG = lazy(rb"<(?:[A-Za-z_][\w.-]*:)?sheet\b([^>]*)>")
_NAME_ATTR = lazy(rb"""\bname\s*=\s*"([^"]*)"|\bname\s*=\s*'([^']*)'""")
_RID_ATTR = lazy(rb"""\b[A-Za-z_][\w.-]*:id\s*=\s*["']([^"']*)["']""")
_REL_ID = lazy(rb"""\bId\s*=\s*["']([^"']*)["']""")


BOOK_MAX_BYTES = 4 * MB
"""Largest xl/workbook.xml (its list of sheets; a real one is a few KB)."""
MAX_SHEETS = 1000
"""Most sheets a workbook may list (a workbook of a sheet per week: twenty years of them)."""


def _sheet_uses(spath: str, zf: zipfile.ZipFile) -> dict[str, int]:
    """{worksheet part: how many of the workbook's sheets read it}.  The library reads a part
    once for every sheet that names it: a 1.6 MB .xlsx listing one 2-million-cell part as 40
    sheets took 3.2 GiB.  A workbook listing more than MAX_SHEETS sheets is refused."""
    import zipfile

    try:
        info = zf.getinfo("xl/workbook.xml")
        with zf.open(info) as f:
            book = f.read(BOOK_MAX_BYTES + 1)
    except KeyError:
        return {}
    except (zipfile.BadZipFile, zlibError, EOFError, OSError, ValueError, RuntimeError, NotImplementedError):
        raise _damaged(spath) from None
    if len(book) > BOOK_MAX_BYTES:
        raise _fail(spath, "список листов книги (xl/workbook.xml) больше {limit} МБ: в книге мониторинга он в несколько КБ",
                    "the workbook's list of sheets (xl/workbook.xml) is over {limit} MB: a monitoring workbook's is a few KB",
                    limit=BOOK_MAX_BYTES // MB)
    listed = _book_sheets(zf, book)
    if len(listed) > MAX_SHEETS:
        raise _fail(spath, "в книге {n} листов, допустимо {limit}", "the workbook lists {n} sheets, at most {limit} allowed",
                    n=count_text(len(listed)), limit=count_text(MAX_SHEETS))
    return dict(Counter(part for part, _ in listed))


def _sheet_names(zf: zipfile.ZipFile) -> dict[str, str]:
    """{worksheet part: sheet name} from xl/workbook.xml and its relations ({} when unreadable)."""
    try:
        book = zf.read("xl/workbook.xml")[:BOOK_MAX_BYTES]
    except Exception:
        return {}
    return dict(_book_sheets(zf, book))


def _book_sheets(zf: zipfile.ZipFile, book: bytes) -> list[tuple[str, str]]:
    """(worksheet part, sheet name) of every sheet xl/workbook.xml lists, through its relations
    ([] when they are unreadable)."""
    import html

    try:
        rels = zf.read("xl/_rels/workbook.xml.rels")[: 1024 * 1024]
    except Exception:
        return []
    targets = {}
    for m in _REL.finditer(rels):
        rid, target = _REL_ID.search(m.group(1)), _REL_TARGET.search(m.group(1))
        if rid and target:
            path = target.group(1).decode("utf-8", "replace")
            path = path.lstrip("/") if path.startswith("/") else "xl/" + path
            targets[rid.group(1)] = path
    out = []
    for m in _SHEET_TAG.finditer(book):
        name, rid = _NAME_ATTR.search(m.group(1)), _RID_ATTR.search(m.group(1))
        if name and rid and rid.group(1) in targets:
            text = (name.group(1) or name.group(2) or b"").decode("utf-8", "replace")
            out.append((targets[rid.group(1)], html.unescape(text)))
    return out


_REL = lazy(rb"<(?:[A-Za-z_][\w.-]*:)?Relationship\b([^>]*)>")
_REL_TYPE = lazy(rb"""\bType\s*=\s*["']([^"']*)["']""")
_REL_TARGET = lazy(rb"""\bTarget\s*=\s*["']([^"']*)["']""")


def _xlsx_parts(zf: zipfile.ZipFile, names: set[str]) -> tuple[set[str] | None, bool]:
    """(the parts the library may read as sheets or shared strings, or None for «scan every
    .xml part»; whether there is a shared-strings part), from the workbook's relations.  Parts such as calcChain.xml
    hold ``<c r="…">`` too, but are no sheet: counting them would double a sheet's area."""
    has_sst = any(n.lower().endswith("sharedstrings.xml") for n in names)
    try:
        info = zf.getinfo("xl/_rels/workbook.xml.rels")
        if info.file_size > 1024 * 1024:
            return None, True
        rels = zf.read(info)
    except KeyError:
        return None, has_sst
    except Exception:
        return None, True  # a damaged relation part: scan and count everything
    sheets = {n for n in names if n.startswith(("xl/worksheets/", "xl/chartsheets/", "xl/dialogsheets/"))}
    for m in _REL.finditer(rels):
        kind = _REL_TYPE.search(m.group(1))
        target = _REL_TARGET.search(m.group(1))
        if kind is None or target is None:
            return None, True
        kind_name = kind.group(1).rsplit(b"/", 1)[-1].lower()
        path = target.group(1).decode("utf-8", "replace")
        path = path.lstrip("/") if path.startswith("/") else "xl/" + path
        parts: list[str] = []
        for seg in path.split("/"):
            if seg == "..":
                if parts:
                    parts.pop()
            elif seg and seg != ".":
                parts.append(seg)
        path = "/".join(parts)
        if kind_name == b"sharedstrings":
            has_sst = True
            sheets.add(path)  # scanned for its strings' lengths
        elif kind_name not in (b"styles", b"theme", b"calcchain", b"externallink", b"connections",
                               b"customxml", b"vbaproject", b"pivotcachedefinition", b"volatiledependencies"):
            sheets.add(path)  # a worksheet, or a relation nobody listed: scanned
    return sheets, has_sst


def _shared_text_refusal(spath: str, total: int, limits: Limits) -> InputFileError:
    return _fail(spath, "ячейки ссылаются на общие строки общим объёмом {size} МБ, допустимо {limit} МБ ([limits] max_unzipped_mb): похоже на бомбу",
                 "the cells refer to shared strings of {size} MB in all, at most {limit} MB allowed ([limits] max_unzipped_mb): it looks like a bomb",
                 size=_mb(total), limit=_mb(limits.max_unzipped_bytes // 2))


# the index a shared-string cell refers to: a «c» tag with t="s", then the first «v» holding a
# number before the cell ends (one match per cell: no Python work per cell)
_SHARED_INDEX = lazy(rb"""<c\b[^>]*?\bt\s*=\s*["']s["'][^>]*>(?:(?!</c>).)*?"""
                           rb"<(?:[A-Za-z_][\w.-]*:)?v>\s*([0-9]+)", re.S)


def _check_shared_strings(spath: str, zf: zipfile.ZipFile, sheets: list, limits: Limits,
                          uses: dict[str, int]) -> None:
    """python-calamine copies a shared string into every cell that refers to it: a 400 KB file
    whose 2 000 cells all point at one 512 KB string took 4 GB.  Bound the text the cells
    expand to: cheaply (longest string × cells), and exactly when that bound is passed."""
    sst = [scan for _, scan in sheets if scan.shared is not None]
    if not sst:
        return
    lengths = sst[0].shared
    if len(lengths) > limits.max_sheet_cells // 4:
        raise _fail(spath, "в книге {n} общих строк, допустимо {limit}", "the workbook holds {n} shared strings, at most {limit} allowed",
                    n=count_text(len(lengths)), limit=count_text(limits.max_sheet_cells // 4))
    budget = limits.max_unzipped_bytes // 2
    cells = sum(max(scan.cells, 0) * max(1, uses.get(info.filename, 1)) for info, scan in sheets if scan.shared is None)
    if not lengths or max(lengths) * cells <= budget:
        return
    total = 0
    for info, scan in sheets:
        if scan.shared is not None or scan.cells <= 0:
            continue
        carry = b""
        times = max(1, uses.get(info.filename, 1))   # the part is read once per sheet listing it
        with zf.open(info) as f:
            while True:
                chunk = f.read(CHUNK)
                buf = carry + chunk
                cut = buf.rfind(b"</c>") + 4 if chunk else len(buf)
                piece, carry = buf[:cut], buf[cut:]
                for index, count in Counter(_SHARED_INDEX.findall(piece)).items():
                    i = int(index)
                    total += lengths[i] * count * times if i < len(lengths) else 0
                if total > budget:
                    raise _shared_text_refusal(spath, total, limits)
                if not chunk:
                    break


def _check_part_header(spath: str, info: zipfile.ZipInfo, limits: Limits) -> None:
    if info.file_size > limits.max_unzipped_bytes:
        raise _fail(spath, "часть книги «{part}» распаковывается в {size} МБ, допустимо {limit} МБ ([limits] max_unzipped_mb)",
                    "part {part!r} of the workbook unpacks to {size} MB, at most {limit} MB allowed ([limits] max_unzipped_mb)",
                    part=shown_path(info.filename), size=_mb(info.file_size), limit=_mb(limits.max_unzipped_bytes))
    if info.file_size > RATIO_MIN_BYTES and info.file_size > limits.max_zip_ratio * max(info.compress_size, 1):
        raise _ratio(spath, info.filename, info.file_size / max(info.compress_size, 1), limits)


def _ratio(spath: str, part: str, ratio: float, limits: Limits) -> InputFileError:
    return _fail(spath, "часть книги «{part}» сжата в {ratio:.0f} раз, допустимо {limit:g} ([limits] max_zip_ratio): похоже на архивную бомбу",
                 "part {part!r} of the workbook is compressed {ratio:.0f} times, at most {limit:g} allowed ([limits] max_zip_ratio): it looks like a zip bomb",
                 part=shown_path(part), ratio=ratio, limit=limits.max_zip_ratio)


def _stream_part(spath: str, zf: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits, scan) -> None:
    """Inflate one part in chunks (never whole), feeding the sheet scan."""
    import zipfile

    total = 0
    carry = b""
    try:
        with zf.open(info) as f:
            first = True
            while True:
                chunk = f.read(64 * 1024 if first else CHUNK)
                first = False
                if not chunk:
                    break
                total += len(chunk)
                if total > limits.max_unzipped_bytes:  # zipfile stops at the declared size: belt and braces
                    raise _fail(spath, "часть книги «{part}» распаковывается больше чем в {limit} МБ ([limits] max_unzipped_mb)",
                                "part {part!r} of the workbook unpacks to more than {limit} MB ([limits] max_unzipped_mb)",
                                part=shown_path(info.filename), limit=_mb(limits.max_unzipped_bytes))
                if scan is None:
                    continue
                # pieces end at a «>», so no tag is cut; the chunk itself is scanned in place
                start = 0
                if carry:
                    start = chunk.find(b">") + 1
                    if start == 0:
                        carry += chunk
                        if len(carry) > CHUNK * 2:
                            scan.feed(carry, 0, len(carry))
                            carry = b""
                        continue
                    head = carry + chunk[:start]
                    scan.feed(head, 0, len(head))
                end = chunk.rfind(b">") + 1
                if end > start:
                    scan.feed(chunk, start, end)
                carry = chunk[max(start, end):]
                ods = isinstance(scan, _OdsScan)
                if scan.area() > _cells_allowed(limits, ods):
                    raise _area_refusal(spath, scan.area(), limits, ods)
            if carry and scan is not None:
                scan.feed(carry, 0, len(carry))
            if isinstance(scan, _XlsxScan):
                scan.finish()
    except InputFileError:
        raise
    except (zipfile.BadZipFile, zlibError, EOFError, OSError, ValueError):
        raise _fail(spath, "часть книги «{part}» повреждена: её размер или контрольная сумма не совпадают с оглавлением архива; скачайте файл заново",
                    "part {part!r} of the workbook is damaged: its size or checksum does not match the archive's directory; download the file again",
                    part=shown_path(info.filename)) from None
    except (RuntimeError, NotImplementedError):  # an encrypted part, an unknown compression
        raise _fail(spath, "часть книги «{part}» зашифрована или сжата неизвестным способом; сохраните книгу заново без пароля",
                    "part {part!r} of the workbook is encrypted or compressed in an unknown way; save the workbook again without a password",
                    part=shown_path(info.filename)) from None
    if total > RATIO_MIN_BYTES and total > limits.max_zip_ratio * max(info.compress_size, 1):
        raise _ratio(spath, info.filename, total / max(info.compress_size, 1), limits)


try:
    from zlib import error as zlibError
except ImportError:  # pragma: no cover
    zlibError = ValueError  # type: ignore[misc,assignment]


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


def _letters(n: int) -> bytes:
    s = b""
    while n:
        n, rem = divmod(n - 1, 26)
        s = bytes([65 + rem]) + s
    return s


def _upto(s: bytes, lo: int, hi: int, shorter: bool = True) -> bytes:
    """A regex for the strings over the characters ``lo``..``hi`` that sort at or before
    ``s`` in length-then-alphabet order (column letters, or row numbers without leading zeros)."""
    def cls(top: int) -> bytes:
        return b"[" + bytes([lo]) + b"-" + bytes([top]) + b"]"

    alts = [cls(hi) + (b"{1,%d}" % (len(s) - 1) if len(s) > 2 else b"")] if shorter and len(s) > 1 else []
    last = len(s) - 1
    for i, ch in enumerate(s[:last]):
        if ch > lo:
            alts.append(s[:i] + cls(ch - 1) + cls(hi) + (b"{%d}" % (last - i) if last - i > 1 else b""))
    alts.append(s[:last] + cls(s[last]))
    return alts[0] if len(alts) == 1 else rb"(?:" + b"|".join(alts) + rb")"


def _letters_upto(value: int) -> bytes:
    """A regex for column letters up to column number ``value`` (1 = A)."""
    return _upto(_letters(max(value, 1)), 65, 90)


_CELL_REF = lazy(rb'<c r="([A-Z]+)([0-9]+)"')
# a cell holding a formula and no computed value: «<c r="B17"><f>…</f></c>» (or an empty «<v/>»)
_NO_VALUE = lazy(rb'<c r="([A-Z]+)([0-9]+)"[^>]*>\s*<f(?:\s[^>]*)?(?:/>|>[^<]*</f>)\s*(?:<v\s*/>|<v>\s*</v>)?\s*</c>')
MAX_FORMULA_CELLS = 100_000
FORMULA_TAIL = 4096      # bytes of the pieces before kept to find a formula cell cut between pieces


def _has_formula_tag(buf: bytes, start: int, end: int) -> bool:
    """Whether ``buf[start:end]`` holds an «<f» tag.  A lowercase «f» is rare in a worksheet's
    cell data (references are upper case, texts live in the shared strings), so each one is
    found with a one-byte search (memchr) — «<» is everywhere, which makes a search for «<f»
    several times slower on a national sheet."""
    i = buf.find(b"f", start, end)
    seen = 0
    while i >= 0:
        if i > start and buf[i - 1] == 0x3C:
            return True
        seen += 1
        if seen > 64:       # a piece with many «f» (inline texts): one plain search
            return buf.find(b"<f", i, end) >= 0
        i = buf.find(b"f", i + 1, end)
    return False
_SI = lazy(rb"<(?:[A-Za-z_][\w.-]*:)?si[\s>/]")
_PREFIXED_C = lazy(rb"<[A-Za-z_][\w.-]*:c[\s/>]")
_TAG = lazy(rb"<(/?)(?:[A-Za-z_][\w.-]*:)?(row|c)(?=[\s/>])([^>]*)>")
_ATTR_R = lazy(rb"""(?:^|\s)r\s*=\s*["']([A-Za-z]*)([0-9]*)["']""")
_PREFIXED_TAG = lazy(rb"<[A-Za-z_][\w.-]*:(?:c|row)[\s/>]")
_CELL_WITH_R = lazy(rb"<c\s(?:[^>]*?\s)?r\s*=")
_ROW_OPEN = lazy(rb"<row(?=[\s/>])")
_C_OPEN = lazy(rb"<c(?=[\s/>])")
_NOT_C_OPEN = lazy(rb"<c(?![\s/>])")


class _XlsxScan:
    """Largest row and column a worksheet's cells reach, which is the area python-calamine
    allocates.  The fast path relies on the form Excel and every common writer use, a cell
    whose first attribute is its reference (``<c r="B7"``): one regex pass per piece looks for
    any cell tag that is not of that form or reaches beyond the bound (the columns seen so far,
    rows up to a digit count), and only such a piece is scanned exactly.  A piece with prefixed
    or reference-less cells goes through a tag walk (positions counted as the library counts
    them: python-calamine reads ``<x:c>`` as a cell whatever the prefix)."""

    def __init__(self, max_cells: int, count_cells: bool = False, formulas: bool = False) -> None:
        self.cells = 0 if count_cells else -1   # «<c» tags (an upper bound of the cells), when asked
        self.merges = 0                         # merged areas declared (an upper bound)
        self._want_formulas = formulas
        self.formulas: list[tuple[int, int]] = []   # cells with a formula and no value, when asked
        self._tail = b""
        self._fed = False
        self.shared: array | None = None   # a shared-strings part: each item's length in bytes
        self._sst_at = 0          # offset of the piece fed next, and of the last item's start
        self._sst_last = -1
        self.max_row = 0          # rows a cell may reach (the bound of the pattern)
        self.max_col = 0
        self._seen_row = 0        # largest row actually read
        self._max_cells = max_cells
        self._pattern: re.Pattern | None = None
        self._slow = False
        self._cur_row = 0
        self._cur_col = 0

    def area(self) -> int:
        return self.max_row * self.max_col

    def _feed_shared(self, shared: array, piece: bytes) -> None:
        for m in _SI.finditer(piece):
            at = self._sst_at + m.start()
            if self._sst_last >= 0:
                shared.append(at - self._sst_last)
            self._sst_last = at
        self._sst_at += len(piece)

    def finish(self) -> None:
        if self.shared is not None and self._sst_last >= 0:
            self.shared.append(self._sst_at - self._sst_last)

    def feed(self, buf: bytes, start: int, end: int) -> None:
        """Scan ``buf[start:end]`` (whole tags), without copying it on the fast path."""
        if not self._fed:
            self._fed = True
            if b"<sst" in buf[start:start + 4096]:
                self.shared = array("I")
        if self.shared is not None:
            self._feed_shared(self.shared, buf[start:end])
            return
        # «<mergeCell» and «:mergeCell» (the list's own tags too: an upper bound)
        self.merges += buf.count(b"mergeCell", start, end)
        if self.cells >= 0:
            self.cells += buf.count(b"<c", start, end)
        if self._want_formulas:
            self._note_formulas(buf, start, end)
        if self._slow:
            self._walk(buf[start:end])
            return
        if self._pattern is not None and self._pattern.search(buf, start, end) is None:
            return  # every cell within the bound already counted
        refs = _CELL_REF.findall(buf, start, end)
        plain = buf.count(b"<c ", start, end) + buf.count(b"<c>", start, end) + buf.count(b"<c/", start, end)
        if len(refs) != plain or (buf.find(b":c", start, end) >= 0 and _PREFIXED_C.search(buf, start, end)):
            self._slow = True   # a cell without a leading reference, or with a prefix
            self._cur_row = self.max_row
            self._walk(buf[start:end])
            return
        if refs:
            self.max_col = max(self.max_col, max(_col_number(x) for x in {r[0] for r in refs}))
            self._seen_row = max(self._seen_row, max(map(int, [r[1] for r in refs])))
        self._compile()

    def _note_formulas(self, buf: bytes, start: int, end: int) -> None:
        """The cells holding a formula and no value.  A piece ends at a «>», so a cell may be cut
        between pieces: the end of the pieces before (``_tail``) is read with this one."""
        tail = self._tail
        self._tail = (tail + buf[max(start, end - FORMULA_TAIL):end])[-FORMULA_TAIL:]
        if len(self.formulas) >= MAX_FORMULA_CELLS or not (_has_formula_tag(buf, start, end) or b"<f" in tail):
            return
        text = tail + buf[start:end]
        self.formulas.extend((int(m[2]) - 1, _col_number(m[1]) - 1)
                             for m in _NO_VALUE.finditer(text) if m.end() > len(tail))

    def _compile(self) -> None:
        """The pattern a later piece is checked against: the columns seen, and rows with no
        more digits than seen (45 274 → up to 99 999 for a national file), or, when that bound
        would pass the limit, as many digits with a prefix no larger."""
        top = str(self._seen_row).encode()
        n = len(top)
        cols = max(self.max_col, 1)
        # up to two more digits while cheap (a quarter of the budget), so that a sheet whose
        # rows grow is not read exactly again at every power of ten
        extra = 0
        while extra < 2 and (10 ** (n + extra + 1) - 1) * cols <= self._max_cells // 4:
            extra += 1
        if extra:
            n, top = n + extra, b""
        for k in range(n, -1, -1):   # k trailing digits left free
            prefix = top[: n - k]
            bound = (int(prefix) + 1) * 10 ** k - 1 if prefix else 10 ** k - 1
            if bound * cols <= self._max_cells:
                break
        rows = _upto(prefix, 48, 57) + b"[0-9]{%d}" % k if prefix else b"[0-9]{1,%d}" % k
        if prefix and n > 1:
            rows = b"[0-9]{1,%d}|" % (n - 1) + rows
        self.max_row = bound
        letters = _letters_upto(self.max_col) if self.max_col else rb"(?!)"  # no cell yet: any is read
        # a «c» tag («<c», or a prefixed «:c», which the library reads as a cell too) other than
        # one whose first attribute is a reference within the bound; «<col…» and the like are
        # other elements.  Anchored on the literal «c» (then looking behind), one pass is ~40 ms
        # on a national sheet.
        self._pattern = re.compile(rb'c(?<=[<:]c)(?! r="' + letters + rb"(?:" + rows + rb')"|[A-Za-z])')

    def _walk(self, piece: bytes) -> None:
        if ((b":" not in piece or _PREFIXED_TAG.search(piece) is None)
                and _CELL_WITH_R.search(piece) is None):
            self._count_rows(piece)
            return
        for m in _TAG.finditer(piece):
            if m.group(1):
                continue
            ref = _ATTR_R.search(m.group(3))
            if m.group(2) == b"row":
                self._cur_row = int(ref.group(2)) if ref and ref.group(2) else self._cur_row + 1
                self._cur_col = 0
                self.max_row = max(self.max_row, self._cur_row)
            else:
                if ref and ref.group(1):
                    self._cur_col = _col_number(ref.group(1).upper())
                    if ref.group(2):
                        self.max_row = max(self.max_row, int(ref.group(2)))
                else:
                    self._cur_col += 1
                self.max_col = max(self.max_col, self._cur_col)
                self.max_row = max(self.max_row, self._cur_row, 1)

    def _count_rows(self, piece: bytes) -> None:
        """:meth:`_walk` for a piece whose cells carry no reference and no prefix (a writer that
        leaves positions implicit, or a crafted sheet of millions of bare ``<c>``): a row at a
        time, its cells counted, not a tag at a time."""
        only_cells = _NOT_C_OPEN.search(piece) is None    # every «<c» opens a cell
        for k, seg in enumerate(_ROW_OPEN.split(piece)):
            if k:       # a row: its own tag runs to the first «>»
                close = seg.find(b">")
                if close < 0:
                    close = len(seg)
                ref = _ATTR_R.search(seg, 0, close) if seg.find(b"r", 0, close) >= 0 else None
                self._cur_row = int(ref.group(2)) if ref and ref.group(2) else self._cur_row + 1
                self._cur_col = 0
                self.max_row = max(self.max_row, self._cur_row)
            cells = seg.count(b"<c") if only_cells else len(_C_OPEN.findall(seg))
            if cells:
                self._cur_col += cells
                self.max_col = max(self.max_col, self._cur_col)
                self.max_row = max(self.max_row, self._cur_row, 1)


_ODS_TAG = lazy(rb"<(/?)(?:[A-Za-z_][\w.-]*:)?(table-row|table-cell|covered-table-cell|table)(?=[\s/>])([^>]*)>")
_ROWS_REP = lazy(rb'number-rows-repeated\s*=\s*["\']([0-9]+)')
_COLS_REP = lazy(rb'number-columns-repeated\s*=\s*["\']([0-9]+)')
_VALUE = lazy(rb"value-type\s*=")
_ODS_REP_CELL = lazy(rb'<table:(?:covered-)?table-cell\b([^>]*?number-columns-repeated="([0-9]+)"[^>]*)>')
_count_tags = operator.methodcaller("count", b"<table:")
_ODS_TABLE_NS = b'"urn:oasis:names:tc:opendocument:xmlns:table:1.0"'


class _OdsScan:
    """Area of an .ods: the largest row × column holding something, repeats counted.  Empty
    rows and cells repeated to the sheet's edge (as LibreOffice saves) take no room."""

    def __init__(self) -> None:
        self.max_area_rows = 0
        self.max_area_cols = 0
        self.total = 0
        self._row = 0
        self._col = 0
        self._row_rep = 1
        self._row_has = 0      # columns reached by a cell with content in the current row
        self._cell_open: tuple[int, int] | None = None   # (start column, repeat) of an open cell
        self._standard: bool | None = None   # the table namespace is bound to «table:» only

    def area(self) -> int:
        return self.total + self.max_area_rows * self.max_area_cols

    def feed(self, buf: bytes, start: int, end: int) -> None:
        """The fast path: cut at the row tags; a plain row (no repeats, no table boundary)
        counts its cell tags (all taken as content); anything else goes through the tag walk."""
        piece = buf if start == 0 and end == len(buf) else buf[start:end]
        if self._standard is None:
            self._standard = piece.count(_ODS_TABLE_NS) == 1 and b"xmlns:table=" + _ODS_TABLE_NS in piece
        if not self._standard:
            self._walk(piece)
            return
        segments = piece.split(b"<table:table-row")
        self._walk(segments[0])
        rest = segments[1:]
        if len(rest) > 2 and b"repeated" not in piece:
            # the usual piece, no repeats: every row counts, as wide as its «<table:» tags (cells,
            # covered cells, anything nested: all taken as content).  A second table or a row
            # group read as more rows of the same table only makes the bound larger.
            middle, rest = rest[:-1], rest[-1:]
            widest = max(map(_count_tags, middle))
            if widest:
                self.max_area_rows = self._row + len(middle)
                self.max_area_cols = max(self.max_area_cols, widest)
            self._row += len(middle)
        for seg in rest:
            end = seg.find(b">")
            if (end < 0 or seg[:1] not in (b">", b" ", b"\t", b"\n", b"\r") or seg[end - 1:end] == b"/"
                    or b"rows-repeated" in seg or b"<table:table " in seg or b"<table:table>" in seg
                    or b"</table:table>" in seg):
                self._walk(b"<table:table-row" + seg)
                continue
            self._col = 0
            self._row_rep = 1
            n = seg.count(b"<table:table-cell") + seg.count(b"<table:covered-table-cell")
            if b"columns-repeated" in seg:
                for m in _ODS_REP_CELL.finditer(seg):
                    attrs, count = m.group(1), max(1, int(m.group(2)))
                    if (not _VALUE.search(attrs) and attrs.endswith(b"/")
                            and seg[m.end():].lstrip().startswith(b"</table:table-row>")):
                        n -= 1  # empty cells repeated to the row's end take no room
                    else:
                        n += count - 1
            self._row_has = n
            if b"</table:table-row>" in seg:
                self._close_row()
            else:
                self._col = n  # the row goes on in the next piece

    def _end_table(self) -> None:
        self.total += self.max_area_rows * self.max_area_cols
        self.max_area_rows = self.max_area_cols = 0
        self._row = 0

    def _content(self, start: int, rep: int) -> None:
        self._row_has = max(self._row_has, start + rep)

    def _walk(self, piece: bytes) -> None:
        for m in _ODS_TAG.finditer(piece):
            closing, name, attrs = m.group(1), m.group(2), m.group(3)
            selfclose = attrs.endswith(b"/")
            if name == b"table":
                if closing:
                    self._end_table()
                continue
            if name == b"table-row":
                if closing:
                    self._close_row()
                    continue
                rows_m = _ROWS_REP.search(attrs)
                self._row_rep = max(1, int(rows_m.group(1))) if rows_m else 1
                self._col = 0
                self._row_has = 0
                if selfclose:
                    self._close_row()
                continue
            # a cell
            if closing:
                if self._cell_open is not None:
                    start, rep = self._cell_open
                    self._content(start, rep)  # it had children: text, an annotation …
                    self._cell_open = None
                continue
            rep_m = _COLS_REP.search(attrs)
            rep = max(1, int(rep_m.group(1))) if rep_m else 1
            start = self._col
            self._col += rep
            if _VALUE.search(attrs):
                self._content(start, rep)
            elif not selfclose:
                self._cell_open = (start, rep)

    def _close_row(self) -> None:
        if self._row_has:
            self.max_area_rows = self._row + self._row_rep
            self.max_area_cols = max(self.max_area_cols, self._row_has)
        self._row += self._row_rep
        self._row_rep = 1
        self._row_has = 0


# --------------------------------------------------------------------------- xls (BIFF8)

_XLS_CELLS = {0x0006, 0x00FD, 0x0203, 0x027E, 0x0201, 0x0205, 0x0204, 0x00D6, 0x0406, 0x0206}
_XLS_MULTI = {0x00BD, 0x00BE}
_XLS_HEAD = struct.Struct("<HHHH")
XLS_MAX_ROWS = 65_536
XLS_MAX_COLS = 256


def check_xls(spath: str, data: bytes, limits: Limits) -> None:
    """Bound the sheet area of a legacy .xls from its cell records, before the library does."""
    import olefile

    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except Exception:  # olefile raises its own errors for damaged containers
        raise _fail(spath, "файл .xls повреждён или обрезан; скачайте его заново",
                    "the .xls file is damaged or cut short; download it again") from None
    try:
        stream_name = next((n for n in ("Workbook", "Book") if ole.exists(n)), None)
        if stream_name is None:
            return  # no workbook stream: the library refuses it (an encrypted package, a Word file …)
        try:
            stream = ole.openstream(stream_name).read(limits.max_file_bytes + 1)
        except Exception:
            raise _fail(spath, "файл .xls повреждён или обрезан; скачайте его заново",
                        "the .xls file is damaged or cut short; download it again") from None
    finally:
        ole.close()
    max_row = max_col = widest = 0
    total = merges = 0
    # the library reads a sheet's substream once for every BOUNDSHEET record pointing at it
    uses: dict[int, int] = {}
    areas: dict[int, int] = {}              # a substream's BOF position → its area
    sheet_at = 0
    head = _XLS_HEAD.unpack_from            # record id, size, and a cell's row and column
    stream += b"\x00" * 8                   # so the last record's head can always be read
    pos, end = 0, len(stream) - 12
    cells, multi = _XLS_CELLS, _XLS_MULTI
    while pos <= end:
        rid, size, row, col = head(stream, pos)
        at = pos
        pos += 4 + size
        if rid in cells:
            if size >= 4:
                if row >= max_row:
                    max_row = row + 1
                if col >= max_col:
                    max_col = col + 1
        elif rid in multi:
            if size >= 6 and pos <= end:
                last, = struct.unpack_from("<H", stream, pos - 2)
                max_row = max(max_row, row + 1)
                max_col = max(max_col, last + 1)
        elif rid == 0x0200 and size >= 10:  # DIMENSIONS: the library reserves room from it
            if size >= 14:
                _lo, rows, _c0, cols = struct.unpack_from("<IIHH", stream, pos - size)
            else:
                _lo, rows, _c0, cols = struct.unpack_from("<HHHH", stream, pos - size)
            max_row = max(max_row, rows)
            max_col = max(max_col, cols)
        elif rid == 0x00E5 and size >= 2:   # MERGEDCELLS: its first field counts the areas
            merges += row
        elif rid == 0x0085 and size >= 4:   # BOUNDSHEET: where a sheet's substream starts
            start = row | col << 16
            uses[start] = uses.get(start, 0) + 1
            if len(uses) > MAX_SHEETS or sum(uses.values()) > MAX_SHEETS:
                raise _fail(spath, "в книге больше {limit} листов", "the workbook lists over {limit} sheets",
                            limit=count_text(MAX_SHEETS))
        elif rid == 0x0809:   # BOF of the next substream: its area is summed
            if max_row:
                areas[sheet_at] = areas.get(sheet_at, 0) + max_row * max_col
                widest = max(widest, max_col)
                max_row = max_col = 0
            sheet_at = at
    areas[sheet_at] = areas.get(sheet_at, 0) + max_row * max_col
    widest = max(widest, max_col)
    total = sum(area * max(1, uses.get(start, 1)) for start, area in areas.items())
    if total > limits.max_sheet_cells or widest > XLS_MAX_COLS:
        raise _area_refusal(spath, max(total, max_row * max_col), limits)
    _check_merges(spath, merges, limits)
