"""The one CSV writer: every CSV the tool writes goes through :func:`write_csv` / :func:`render_csv`.

Used by ``export`` (and the console's export dialog and shortlist exports, through
:mod:`sferum_tui.core.outputs.export`) and by ``schools``/``history``/``changes --format csv``.

Two dialects, chosen by ``decimal_comma``, each matching one Excel locale:

* **decimal comma** (the default) — ``;`` between fields, numbers with a decimal comma
  (``37,5``, ``-1,79``). This is what Excel with Russian regional settings expects: a ``.`` in
  a number there makes ``7.14`` the 7th of July.
* **decimal point** (``--decimal-point``) — ``,`` between fields and ``.`` in numbers
  (RFC 4180; Excel with English settings, pandas, LibreOffice defaults). A ``;`` file with a
  ``.`` decimal would suit neither Excel, so that pair is never written.

Both are UTF-8 with a BOM (Excel reads the Cyrillic right) and CRLF line ends.

Cells are typed by their Python value: ``int``/``float`` (and numpy numbers) are numbers,
written with the dialect's decimal mark and never neutralised, so a negative change stays the
number ``-1,79``; ``None``/NaN is an empty cell; ``bool`` is ``true``/``false``; anything else is
text.  A text cell is one line (line breaks fold to spaces) and, when it begins with ``=``,
``+``, ``-``, ``@``, a tab or a CR (or ``=+-@`` after leading spaces), gets a leading ``'`` as
OWASP recommends for CSV injection, so no spreadsheet runs it as a formula.

Pure Python (``csv`` from the standard library); no pandas.
"""

from __future__ import annotations

import csv
import io
import math
import numbers
from collections.abc import Iterable, Sequence
from typing import IO, Any

__all__ = ["BOM", "DANGEROUS_START", "neutralize", "number_text", "cell_text", "dialect",
           "write_csv", "render_csv"]

BOM = b"\xef\xbb\xbf"
#: A text cell starting with one of these is taken for a formula by some spreadsheet.
DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_AFTER_SPACES = ("=", "+", "-", "@")
_CHUNK_ROWS = 2000


def neutralize(text: str) -> str:
    """``text`` made safe for a spreadsheet cell: one that begins with ``=``, ``+``, ``-``,
    ``@``, a tab or a CR (or ``=+-@`` after spaces) gets a leading ``'``."""
    if text and (text.startswith(DANGEROUS_START)
                 or (text[0] == " " and text.lstrip(" ").startswith(_FORMULA_AFTER_SPACES))):
        return "'" + text
    return text


def dialect(decimal_comma: bool = True) -> tuple[str, str]:
    """``(field separator, decimal mark)``: ``(";", ",")`` or ``(",", ".")``."""
    return (";", ",") if decimal_comma else (",", ".")


def number_text(x: Any, *, decimal_comma: bool = True) -> str:
    """A number as a CSV cell: integers as they are, floats in positional notation (no
    exponent, no trailing zeros) with the dialect's decimal mark; NaN/inf → empty."""
    if isinstance(x, numbers.Integral):
        return str(int(x))
    value = float(x)
    if math.isnan(value) or math.isinf(value):
        return ""
    text = repr(value)
    if "e" in text or "E" in text:
        text = f"{value:.15f}".rstrip("0").rstrip(".")
    if text.endswith(".0"):
        text = text[:-2]
    if text in ("-0", ""):
        text = "0"
    return text.replace(".", ",") if decimal_comma else text


def cell_text(v: Any, *, decimal_comma: bool = True) -> str:
    """One cell as the writer puts it in the file (see the module docstring)."""
    if v is None:
        return ""
    if isinstance(v, str):
        if "\n" in v or "\r" in v:
            v = " ".join(v.split())
        return neutralize(v)
    if isinstance(v, bool) or type(v).__name__ == "bool_":
        return "true" if v else "false"
    if isinstance(v, numbers.Real):
        return number_text(v, decimal_comma=decimal_comma)
    if isinstance(v, float):  # pragma: no cover - numbers.Real covers it
        return number_text(v, decimal_comma=decimal_comma)
    try:
        import pandas as pd

        if v is pd.NA or v is pd.NaT:
            return ""
    except ImportError:  # pragma: no cover
        pass
    return cell_text(str(v), decimal_comma=decimal_comma)


def write_csv(out: IO[bytes], header: Sequence[Any], rows: Iterable[Sequence[Any]], *,
              decimal_comma: bool = True) -> int:
    """Write the BOM, ``header`` and ``rows`` to the binary stream ``out`` in chunks; returns
    the number of data rows."""
    sep, _ = dialect(decimal_comma)
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=sep, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    w.writerow([cell_text(h, decimal_comma=decimal_comma) for h in header])
    out.write(BOM)
    n = 0
    for row in rows:
        w.writerow([cell_text(v, decimal_comma=decimal_comma) for v in row])
        n += 1
        if n % _CHUNK_ROWS == 0:
            out.write(buf.getvalue().encode("utf-8"))
            buf.seek(0)
            buf.truncate()
    out.write(buf.getvalue().encode("utf-8"))
    return n


def render_csv(header: Sequence[Any], rows: Iterable[Sequence[Any]], *,
               decimal_comma: bool = True) -> bytes:
    """The bytes :func:`write_csv` writes."""
    out = io.BytesIO()
    write_csv(out, header, rows, decimal_comma=decimal_comma)
    return out.getvalue()
