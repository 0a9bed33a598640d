"""Writers of hostile input files, generated at test time and small on disk.

Bombs are written compressed: a sheet that expands to gigabytes is a few megabytes of
repeated deflate blocks (each block ends with a full flush, so the same bytes can be repeated
without holding the expanded text anywhere).  Used by tests/test_hostile_input.py.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

TITLE = "Мониторинг использования ИКОП «Сферум» за период с 15.04.2023 по 21.04.2023"
HEADER = ["ИНН", "Наименование ОО", "Муниципалитет", "Статус", "Пользователи", "Классы"]
ORGS = [
    ["0527001234", "МКОУ «Сергокалинская СОШ №1»", "Сергокалинский район", "Активна", 120, 11],
    ["0527001235", "МКОУ «Аймаумахинская СОШ»", "Сергокалинский район", "Не активна", 2, 0],
    ["0521004321", "МКОУ «Левашинская гимназия»", "Левашинский район", "Активна", 300, 15],
]

_CT = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
       '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
       '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
       '<Default Extension="xml" ContentType="application/xml"/>'
       '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
       '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
       '</Types>')
_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
         '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
         '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
         '</Relationships>')
_WB = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
       '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
       'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
       '<sheets><sheet name="Лист1" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WB_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
            '</Relationships>')
_SHEET_HEAD = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
               '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')


def _col(c: int) -> str:
    s = ""
    c += 1
    while c:
        c, rem = divmod(c - 1, 26)
        s = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[rem] + s
    return s


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def sheet_rows_xml(rows: list[list], dimension: str | None = None, extra_cells: str = "") -> str:
    """A worksheet's XML with inline strings; ``extra_cells`` goes into the last row."""
    out = [_SHEET_HEAD]
    if dimension:
        out.append(f'<dimension ref="{dimension}"/>')
    out.append("<sheetData>")
    for r, row in enumerate(rows, 1):
        out.append(f'<row r="{r}">')
        for c, v in enumerate(row):
            ref = f"{_col(c)}{r}"
            if isinstance(v, (int, float)):
                out.append(f'<c r="{ref}"><v>{v}</v></c>')
            else:
                # XML 1.0 cannot hold C0 controls, even as references: ESC goes in as _x001B_,
                # the escape Excel itself uses (and readers decode)
                text = "".join(f"_x{ord(ch):04X}_" if ord(ch) < 32 else ch for ch in str(v))
                out.append(f'<c r="{ref}" t="inlineStr"><is><t>{_esc(text)}</t></is></c>')
        if r == len(rows):
            out.append(extra_cells)
        out.append("</row>")
    out.append("</sheetData></worksheet>")
    return "".join(out)


def weekly_rows(orgs=ORGS) -> list[list]:
    return [[TITLE], HEADER, *orgs]


# -- zip writing with raw deflate streams --------------------------------------------------------

def _zip(path: Path, entries: list[tuple[str, bytes, int, int]]) -> Path:
    """A zip of (name, raw deflate data, crc32, declared uncompressed size) entries."""
    out = bytearray()
    central = bytearray()
    for name, data, crc, size in entries:
        fname = name.encode()
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(data), size, len(fname), 0)
        out += fname
        out += data
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0, crc, len(data), size,
                               len(fname), 0, 0, 0, 0, 0, offset)
        central += fname
    cd_offset = len(out)
    out += central
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), cd_offset, 0)
    path.write_bytes(bytes(out))
    return path


def _deflate(data: bytes) -> bytes:
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def _plain_entry(name: str, text: str) -> tuple[str, bytes, int, int]:
    raw = text.encode()
    return name, _deflate(raw), zlib.crc32(raw), len(raw)


def write_xlsx(path: Path, sheet_xml: str) -> Path:
    """A minimal valid .xlsx with one sheet."""
    return _zip(path, [_plain_entry("[Content_Types].xml", _CT), _plain_entry("_rels/.rels", _RELS),
                       _plain_entry("xl/workbook.xml", _WB), _plain_entry("xl/_rels/workbook.xml.rels", _WB_RELS),
                       _plain_entry("xl/worksheets/sheet1.xml", sheet_xml)])


def write_far_cell_xlsx(path: Path, ref: str = "XFD1048576") -> Path:
    """A few-KB workbook: the weekly table plus one cell at ``ref`` (the whole sheet area)."""
    return write_xlsx(path, sheet_rows_xml(weekly_rows(), extra_cells=f'<c r="{ref}"><v>1</v></c>'))


def write_sheet_bomb_xlsx(path: Path, expanded: int = 3 * 1024 ** 3, lie: bool = False) -> Path:
    """An .xlsx whose sheet XML expands to ``expanded`` bytes (a ~3 MB file for 3 GB).  With
    ``lie`` the zip directory declares 100 KB for it (a header that lies)."""
    prefix = (_SHEET_HEAD + '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>').encode()
    suffix = b"</t></is></c></row></sheetData></worksheet>"
    block = b"A" * (1024 * 1024)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = c.compress(prefix) + c.flush(zlib.Z_FULL_FLUSH)
    body = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)
    again = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)
    assert again == body  # a full flush resets the window: the block's bytes repeat verbatim
    tail = c.compress(suffix) + c.flush()
    n = max(1, (expanded - len(prefix) - len(suffix)) // len(block))
    data = head + body * n + tail
    size = len(prefix) + n * len(block) + len(suffix)
    declared = 100 * 1024 if lie else size
    entries = [_plain_entry("[Content_Types].xml", _CT), _plain_entry("_rels/.rels", _RELS),
               _plain_entry("xl/workbook.xml", _WB), _plain_entry("xl/_rels/workbook.xml.rels", _WB_RELS),
               ("xl/worksheets/sheet1.xml", data, 0, declared)]
    return _zip(path, entries)


def _listing(times: int) -> str:
    """xl/workbook.xml listing the one sheet part ``times`` times, as sheets of their own."""
    sheets = "".join(f'<sheet name="Лист{i + 1}" sheetId="{i + 1}" r:id="rId1"/>' for i in range(times))
    return _WB.replace('<sheet name="Лист1" sheetId="1" r:id="rId1"/>', sheets)


def write_dense_xlsx(path: Path, rows: int, cols: int, cells: list[str], block_rows: int = 500,
                     listed: int = 1) -> Path:
    """A sheet of ``rows`` × ``cols`` cells written without references (``<row><c>…``, as some
    writers do), each drawn at random from ``cells`` (cell XML).  A block of ``block_rows`` rows
    is compressed once and repeated, so a sheet of millions of cells is written in a second;
    the block is random enough that the compression ratio stays that of a real sheet.
    ``listed``: how many sheets of the workbook name that one part."""
    import random

    rnd = random.Random(1)
    block = "".join("<row>" + "".join(rnd.choices(cells, k=cols)) + "</row>" for _ in range(block_rows)).encode()
    prefix = (_SHEET_HEAD + "<sheetData>").encode()
    suffix = b"</sheetData></worksheet>"
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    head = c.compress(prefix) + c.flush(zlib.Z_FULL_FLUSH)
    body = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)
    n = rows // block_rows
    tail = c.compress(suffix) + c.flush()
    crc = zlib.crc32(prefix)
    for _ in range(n):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(suffix, crc)
    entries = [_plain_entry("[Content_Types].xml", _CT), _plain_entry("_rels/.rels", _RELS),
               _plain_entry("xl/workbook.xml", _listing(listed)), _plain_entry("xl/_rels/workbook.xml.rels", _WB_RELS),
               ("xl/worksheets/sheet1.xml", head + body * n + tail, crc, len(prefix) + n * len(block) + len(suffix))]
    return _zip(path, entries)


def write_repeated_text_ods(path: Path, rows: int, cols: int) -> Path:
    """An .ods of a few hundred bytes: one text cell repeated ``cols`` times in a row repeated
    ``rows`` times (the reader copies the text into every position)."""
    cell = (f'<table:table-cell table:number-columns-repeated="{cols}" office:value-type="string">'
            "<text:p>школа</text:p></table:table-cell>")
    return write_ods_xml(path, [], f'<table:table-row table:number-rows-repeated="{rows}">{cell}</table:table-row>')


def write_shared_string_bomb_xlsx(path: Path, cells: int = 2000, part: str = "sharedStrings.xml") -> Path:
    """A ~450 KB workbook whose ``cells`` cells all refer to one 512 KB shared string (the
    library copies it into each: 1 GB for 2 000 cells).  The string is not repetitive, so the
    compression ratio does not give it away.  ``part``: where the strings live, under xl/."""
    import random

    rnd = random.Random(1)
    big = "".join(rnd.choice("абвгдежзийклмнопрстуфхцчшщыэюя") for _ in range(512 * 1024))
    sst = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
           '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
           f"<si><t>{big}</t></si></sst>")
    rows = "".join(f'<row r="{r}">' + "".join(f'<c r="{_col(c)}{r}" t="s"><v>0</v></c>' for c in range(50)) + "</row>"
                   for r in range(10, 10 + cells // 50))
    sheet = sheet_rows_xml(weekly_rows()).replace("</sheetData>", rows + "</sheetData>")
    rels = _WB_RELS.replace("</Relationships>", '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/'
                            f'officeDocument/2006/relationships/sharedStrings" Target="{part}"/></Relationships>')
    ct = _CT.replace("</Types>", f'<Override PartName="/xl/{part}" ContentType="application/'
                     'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
    return _zip(path, [_plain_entry("[Content_Types].xml", ct), _plain_entry("_rels/.rels", _RELS),
                       _plain_entry("xl/workbook.xml", _WB), _plain_entry("xl/_rels/workbook.xml.rels", rels),
                       _plain_entry(f"xl/{part}", sst), _plain_entry("xl/worksheets/sheet1.xml", sheet)])


# -- ods -----------------------------------------------------------------------------------------

_ODS_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
           'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
           'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')


def _ods_cell(v) -> str:
    if isinstance(v, (int, float)):
        return f'<table:table-cell office:value-type="float" office:value="{v}"><text:p>{v}</text:p></table:table-cell>'
    return f'<table:table-cell office:value-type="string"><text:p>{_esc(str(v))}</text:p></table:table-cell>'


def write_ods_xml(path: Path, rows: list[list], tail: str = "") -> Path:
    body = "".join("<table:table-row>" + "".join(_ods_cell(v) for v in row) + "</table:table-row>" for row in rows)
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_ODS_NS} office:version="1.2">'
               f'<office:body><office:spreadsheet><table:table table:name="Лист1">{body}{tail}'
               '</table:table></office:spreadsheet></office:body></office:document-content>')
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                '</manifest:manifest>')
    mime = b"application/vnd.oasis.opendocument.spreadsheet"
    return _zip(path, [("mimetype", _deflate(mime), zlib.crc32(mime), len(mime)),
                       _plain_entry("content.xml", content), _plain_entry("META-INF/manifest.xml", manifest)])


def write_huge_area_ods(path: Path) -> Path:
    """A tiny .ods: the weekly table, a million repeated empty rows, then one cell 16 000
    columns to the right (the area a reader would allocate: ~16 billion cells)."""
    tail = ('<table:table-row table:number-rows-repeated="1000000"><table:table-cell/></table:table-row>'
            '<table:table-row><table:table-cell table:number-columns-repeated="16000"/>'
            + _ods_cell(1) + "</table:table-row>")
    return write_ods_xml(path, weekly_rows(), tail)


def write_trailing_empty_ods(path: Path) -> Path:
    """A legitimate .ods as LibreOffice saves it: the table, then empty rows and columns
    repeated to the sheet's edge (nothing in them)."""
    rows = weekly_rows()
    body_rows = "".join("<table:table-row>" + "".join(_ods_cell(v) for v in row)
                        + '<table:table-cell table:number-columns-repeated="1018"/></table:table-row>'
                        for row in rows)
    tail = ('<table:table-row table:number-rows-repeated="1048570">'
            '<table:table-cell table:number-columns-repeated="1024"/></table:table-row>')
    content_rows: list[list] = []
    path = write_ods_xml(path, content_rows, body_rows + tail)
    return path


# -- xls -----------------------------------------------------------------------------------------

MARKER = 12345.678


def write_far_cell_xls(path: Path) -> Path:
    """A legacy .xls (BIFF8) with the weekly table, plus one NUMBER record patched to sit at
    row 65535, column 65535 (columns above 255 cannot exist in a real .xls)."""
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("Лист1")
    for r, row in enumerate(weekly_rows()):
        for c, v in enumerate(row):
            ws.write(r, c, v)
    ws.write(len(ORGS) + 3, 0, MARKER)
    wb.save(str(path))
    data = bytearray(path.read_bytes())
    at = data.find(struct.pack("<d", MARKER))
    assert at > 10 and struct.unpack_from("<H", data, at - 10)[0] == 0x0203
    struct.pack_into("<HH", data, at - 6, 0xFFFF, 0xFFFF)  # row, column of the NUMBER record
    path.write_bytes(bytes(data))
    return path


def write_far_dimensions_xls(path: Path) -> Path:
    """A legacy .xls whose DIMENSIONS record claims 4 billion rows (the library reserves room
    for the whole claimed area from it)."""
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("Лист1")
    for r, row in enumerate(weekly_rows()):
        for c, v in enumerate(row):
            ws.write(r, c, v)
    wb.save(str(path))
    data = bytearray(path.read_bytes())
    at = data.find(b"\x00\x02\x0e\x00")  # DIMENSIONS, 14 bytes: rwMic, rwMac (u32), colMic, colMac
    assert at > 0
    struct.pack_into("<IIHH", data, at + 4, 0, 0xFFFFFFF0, 0, 0xFFF0)
    path.write_bytes(bytes(data))
    return path


def write_merged_xlsx(path: Path, refs: list[str]) -> Path:
    """The weekly table with the merged areas ``refs`` («A1:F5» …) declared after it."""
    merges = "".join(f'<mergeCell ref="{ref}"/>' for ref in refs)
    sheet = sheet_rows_xml(weekly_rows()).replace(
        "</sheetData>", f'</sheetData><mergeCells count="{len(refs)}">{merges}</mergeCells>')
    return write_xlsx(path, sheet)


def write_merged_xls(path: Path, rows: int, per_row: int) -> Path:
    """A legacy .xls of ``rows`` × ``per_row`` merged pairs of cells (MERGEDCELLS records)."""
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("Лист1")
    ws.write(0, 0, "ИНН")
    for r in range(1, rows + 1):
        for k in range(per_row):
            ws.merge(r, r, 2 * k, 2 * k + 1)
    wb.save(str(path))
    return path


def write_relisted_xls(path: Path, relist: bool = True) -> Path:
    """A legacy .xls of a 30 × 10 sheet and five one-cell sheets; with ``relist`` the five
    BOUNDSHEET records point at the big sheet's substream (the library reads it six times)."""
    import olefile
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    big = wb.add_sheet("Big")
    for r in range(30):
        for c in range(10):
            big.write(r, c, r * c)
    for i in range(5):
        wb.add_sheet(f"S{i}").write(0, 0, 1)
    wb.save(str(path))
    if relist:
        with olefile.OleFileIO(str(path)) as ole:
            stream = bytearray(ole.openstream("Workbook").read())
        pos, listed = 0, []
        while pos < len(stream) - 4:
            rid, size = struct.unpack_from("<HH", stream, pos)
            if rid == 0x0085:
                listed.append(pos)
            pos += 4 + size
        first = struct.unpack_from("<I", stream, listed[0] + 4)[0]
        for at in listed[1:]:
            struct.pack_into("<I", stream, at + 4, first)
        with olefile.OleFileIO(str(path), write_mode=True) as ole:
            ole.write_stream("Workbook", bytes(stream))
    return path


def write_national_csv(path: Path, rows: int) -> Path:
    """A national week as a large legitimate CSV: the title with the period, the header and one
    row per school (each its own ИНН and name in its municipality, ~160 bytes a row)."""
    statuses = ("Активен", "Не активен", "Активна")
    lines = [TITLE, "№ п/п;Субъект РФ;МО;Наименование ОО;ИНН;Статус;Всего пользователей;Учителя;"
                    "Ученики;Родители;Классы;Чаты;Доля учителей, написавших более 3 сообщений, %"]
    for i in range(rows):
        region, muni, k, users = i // 1400, i // 45, i % 45, 150 + i % 400
        lines.append(f"{i + 1};Регион {region};Муниципальный район {muni};МБОУ «СОШ №{k + 1}» "
                     f"с. Поселок-{muni};{1_000_000_000 + i};{statuses[i % 3]};{users};{users // 15};"
                     f"{users // 2};{users // 3};{3 + i % 11};{5 + i % 13};{i % 10},{i % 7}%")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
