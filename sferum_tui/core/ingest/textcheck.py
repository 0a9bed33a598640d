"""Checks on a text file's raw bytes and decoded text, shared by every CSV path.

* :func:`decode_8bit` — UTF-8, else Windows-1251; a file that mixes the two (a cp1251 export
  with one row pasted in UTF-8, or the reverse) is **repaired line by line** and the lines in
  the minority encoding are named in a warning.  A line is UTF-8 when it decodes as UTF-8 and
  holds a multi-byte sequence: Russian text in Windows-1251 practically never does (it would
  need every capital letter to be followed by one of «Ђ…ї»), so the split is reliable; the
  mojibake it prevents («РЁРєРѕР»Р°») is never stored silently.
* :func:`check_nul` — a NUL anywhere refuses the file (it would end up inside a name).
* :func:`check_line_length` — the longest line, without splitting the file.

Control characters and bidi overrides inside cells are not this module's business: every text
a reader keeps passes :func:`sferum_tui.core.text.clean_text` (``values.parse_text``).
"""

from __future__ import annotations

import re

from sferum_tui.core.errors import InputFileError
from sferum_tui.core.text import shown_path
from sferum_tui.i18n import tr

__all__ = ["decode_8bit", "check_nul", "check_line_length", "rows_list"]

_UTF8_MULTI = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _fail(path, ru: str, en: str, **kw) -> InputFileError:
    return InputFileError(f"{shown_path(path)}: " + tr(ru, en, **kw), source=str(path))


def rows_list(rows: list[int], limit: int = 5) -> str:
    """«3, 17, 40» or «3, 17, 40, 41, 52 … (12)»."""
    text = ", ".join(str(r) for r in rows[:limit])
    return text + (f" … ({len(rows)})" if len(rows) > limit else "")


def decode_8bit(path, data: bytes) -> tuple[str, str, str | None]:
    """(text, encoding, warning or None) of a text file without a BOM in UTF-8 or Windows-1251."""
    try:
        return data.decode("utf-8"), "utf-8", None
    except UnicodeDecodeError:
        pass
    lines = data.split(b"\n")
    utf8: list[int] = []
    cp: list[int] = []
    for i, line in enumerate(lines):
        if line.isascii():
            continue
        if _UTF8_MULTI.search(line):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                cp.append(i)
            else:
                utf8.append(i)
        else:
            cp.append(i)
    try:
        if not utf8:
            return data.decode("cp1251"), "cp1251", None
        marks = set(utf8)
        text = "\n".join(line.decode("utf-8") if i in marks else line.decode("cp1251")
                         for i, line in enumerate(lines))
    except UnicodeDecodeError:
        raise _fail(path, "не удалось определить кодировку текста (ожидались UTF-8 или Windows-1251)",
                    "cannot tell the text encoding (expected UTF-8 or Windows-1251)") from None
    minority, name = (utf8, "UTF-8") if len(utf8) <= len(cp) else (cp, "Windows-1251")
    other = "Windows-1251" if name == "UTF-8" else "UTF-8"
    warning = tr("смешанные кодировки: строки файла {rows} записаны в {enc}, остальные в {other}; каждая строка прочитана в своей кодировке — проверьте их",
                 "mixed encodings: file lines {rows} are in {enc}, the rest in {other}; each line was read in its own encoding — check them",
                 rows=rows_list([i + 1 for i in minority]), enc=name, other=other)
    return text, ("cp1251+utf-8" if name == "UTF-8" else "utf-8+cp1251"), warning


def check_nul(path, text: str) -> None:
    """Refuse a text holding a NUL character (named by its line)."""
    at = text.find("\x00")
    if at >= 0:
        line = text.count("\n", 0, at) + 1
        raise _fail(path, "строка {line}: нулевой байт (NUL) в тексте; это не таблица CSV или файл повреждён",
                    "line {line}: a NUL byte in the text; this is not a CSV table or the file is damaged",
                    line=line)


def check_line_length(path, data: bytes, limit: int) -> None:
    """Refuse a text with a line longer than ``limit`` bytes (``\\n`` or, without any, ``\\r``)."""
    sep = b"\n" if b"\n" in data else b"\r"
    pos, size = 0, len(data)
    while size - pos > limit:
        nl = data.rfind(sep, pos, pos + limit + 1)
        if nl < 0:
            line = data.count(sep, 0, pos) + 1
            raise _fail(path, "строка {line} длиннее {limit} КБ ([limits] max_csv_line_kb); это не таблица CSV",
                        "line {line} is longer than {limit} KB ([limits] max_csv_line_kb); this is not a CSV table",
                        line=line, limit=limit // 1024)
        pos = nl + 1
