"""Exports of a table of schools: CSV for Russian Excel, XLSX, Markdown for meeting notes, JSON.

One entry point, :func:`export`, writes a week table (``indicators.week_table``, filtered, or a
shortlist joined to it) to a file; :func:`render` returns the same bytes for a front end that
delivers them itself (the console's ``deliver_binary``). Every export carries the week, the
filter used and each school's reasons.

* **csv** — through the one CSV writer (:mod:`sferum_tui.core.outputs.csvout`): UTF-8 with a
  BOM, CRLF line ends; by default ``;`` between fields and a decimal comma (``12,5``), so Excel
  with Russian settings opens it with Cyrillic, columns and numbers intact;
  ``decimal_comma=False`` (``--decimal-point``) writes ``,`` and ``12.5``. Shares as percent
  numbers; the week and the filter are columns of every row.
* **xlsx** — written with xlsxwriter: counts are numbers, shares are numbers in a percent
  format, a block above the table with the week, the filter and the time of export, a frozen
  header (and the ИНН and name columns), an autofilter, column widths; a second sheet repeats
  the particulars.
* **md** — a heading with the week, then the filter and the count, then a table.
* **json** — ``{"week": …, "filter": …, "exported_at": …, "count": …, "rows": [...]}``, rows
  with the canonical field names (``core/fields.py``) and the indicators' names, shares as
  fractions 0..1, reasons as a list.

Column headers follow the interface language (Russian by default). CSV text cells that begin
with ``=``, ``+``, ``-``, ``@``, a tab or a CR get a leading ``'`` (numbers never do); XLSX text
cells hold exactly the source text, written with ``write_string`` so they can never be formulas;
Markdown cells escape ``\\``, ``|``, ``&``, ``<`` and ``>``. The file is written to a temporary
file beside the target and renamed over it, so a failed export leaves no half-written file.

Headless: imports neither Textual nor (at import time) pandas.
"""

from __future__ import annotations

import io
import json
import math
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sferum_tui.core import vocab
from sferum_tui.core.errors import UserError
from sferum_tui.core.fields import ROW_FIELDS, STATUS_ACTIVE, STATUS_INACTIVE
from sferum_tui.core.outputs.csvout import neutralize, render_csv
from sferum_tui.i18n import get_language, tr

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "FORMATS", "Column", "COLUMNS", "ExportResult", "WeekLabel", "export", "render",
    "format_for_path", "check_format", "neutralize", "headers_for", "is_blank",
]

FORMATS = ("csv", "xlsx", "md", "json")
_SUFFIXES = {".csv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".md": "md", ".markdown": "md",
             ".json": "json"}
_XLSX_MAX_TEXT = 32767


# --------------------------------------------------------------------------------------------
# Columns
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    key: str       # canonical name (the DataFrame column and the JSON key)
    ru: str
    en: str
    kind: str      # text | int | dint | share | dshare | bool | status | reasons | date | datetime

    def header(self, *, percent_suffix: bool = False) -> str:
        text = tr(self.ru, self.en)
        if percent_suffix and self.kind in ("share", "dshare"):
            text += tr(", %", ", %") if self.kind == "share" else tr(", п. п.", ", pp")
        return text


#: Every column an export may show, in order; a frame's columns outside this list are left out
#: of CSV, XLSX and Markdown (JSON keeps them).
COLUMNS: tuple[Column, ...] = (
    Column("org_id", "ИНН", "ИНН", "text"),
    Column("org_name", "Наименование ОО", "Organisation", "text"),
    Column("municipality", "Муниципалитет", "Municipality", "text"),
    Column("region", "Регион", "Region", "text"),
    Column("status", "Статус в файле", "Stated status", "status"),
    Column("active_by_rule", "Активна по правилу", "Active by the rule", "bool"),
    Column("status_disagrees", "Статус расходится с правилом", "Status disagrees with the rule", "bool"),
    Column("inactive", "Неактивна", "Inactive", "bool"),
    Column("missing", "Нет в файле недели", "Missing from the week", "bool"),
    Column("low_messaging", "Мало пишущих учителей", "Low teacher messaging", "bool"),
    Column("unregistered", "Не все сотрудники зарегистрированы", "Staff not all registered", "bool"),
    Column("users_total", "Пользователи", "Users", "int"),
    Column("staff_total", "Сотрудники", "Staff", "int"),
    Column("teachers", "Учителя", "Teachers", "int"),
    Column("students", "Ученики", "Students", "int"),
    Column("parents", "Родители", "Parents", "int"),
    Column("classes", "Классы", "Classes", "int"),
    Column("chats", "Чаты", "Chats", "int"),
    Column("teachers_active", "Учителя, написавшие более 3 сообщений",
           "Teachers who wrote more than 3 messages", "int"),
    Column("messaging_share", "Доля пишущих учителей", "Teacher messaging share", "share"),
    Column("registration_share", "Доля зарегистрированных сотрудников", "Staff registration share",
           "share"),
    Column("d_users_total", "Изменение за неделю: пользователи", "Weekly change: users", "dint"),
    Column("d_classes", "Изменение за неделю: классы", "Weekly change: classes", "dint"),
    Column("d_teachers_active", "Изменение за неделю: пишущие учителя",
           "Weekly change: teachers writing", "dint"),
    Column("d_messaging_share", "Изменение за неделю: доля пишущих учителей",
           "Weekly change: teacher messaging share", "dshare"),
    Column("d_registration_share", "Изменение за неделю: доля зарегистрированных",
           "Weekly change: registration share", "dshare"),
    Column("newly_inactive", "Стала неактивной", "Newly inactive", "bool"),
    Column("recovered", "Снова активна", "Recovered", "bool"),
    Column("weeks_below", "Недель подряд ниже цели", "Weeks in a row below target", "int"),
    Column("reasons", "Причины", "Reasons", "reasons"),
    Column("note", "Заметка", "Note", "text"),
    Column("added_at", "Добавлена в список", "Added to the list", "datetime"),
    Column("week_start", "Неделя с", "Week from", "date"),
    Column("week_end", "Неделя по", "Week to", "date"),
)
_BY_KEY = {c.key: c for c in COLUMNS}
_FILTER_COLUMN = Column("filter", "Фильтр", "Filter", "text")

# The shorter table of a Markdown export.
_MD_KEYS = ("org_id", "org_name", "municipality", "users_total", "classes", "teachers_active",
            "messaging_share", "reasons", "note")


def headers_for(columns: list[Column], *, percent_suffix: bool = False) -> list[str]:
    return [c.header(percent_suffix=percent_suffix) for c in columns]


def _columns_of(df: "pd.DataFrame") -> list[Column]:
    cols = [c for c in COLUMNS if c.key in df.columns]
    if "note" in df.columns and not _any_value(df["note"]) and "added_at" not in df.columns:
        cols = [c for c in cols if c.key != "note"]
    return cols


def _any_value(series) -> bool:
    return any(not is_blank(v) and str(v).strip() for v in series)


# --------------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------------

def is_blank(v: Any) -> bool:
    """None, NaN, pandas NA/NaT (lists and other containers are never blank)."""
    if v is None:
        return True
    if isinstance(v, float):
        return math.isnan(v)
    if isinstance(v, (list, tuple, dict, set, str, bool, int, date)):
        return False
    try:
        import pandas as pd

        result = pd.isna(v)
    except (TypeError, ValueError):
        return False
    return result is True or (type(result).__name__ == "bool_" and bool(result))


def _status_text(v: Any) -> str:
    if v == STATUS_ACTIVE:
        return tr("активна", "active")
    if v == STATUS_INACTIVE:
        return tr("не активна", "inactive")
    return "" if is_blank(v) else str(v)


def _bool_text(v: Any) -> str:
    if is_blank(v):
        return ""
    return tr("да", "yes") if bool(v) else tr("нет", "no")


def _reasons_list(v: Any) -> list[str]:
    if is_blank(v):
        return []
    if isinstance(v, str):
        return [v] if v else []
    try:
        return [str(x) for x in v if not is_blank(x) and str(x)]
    except TypeError:
        return [str(v)]


def _reasons_text(v: Any) -> str:
    return "; ".join(_reasons_list(v))


def _as_date(v: Any) -> date | None:
    if is_blank(v):
        return None
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    if hasattr(v, "date") and callable(v.date):  # pandas Timestamp
        return v.date()
    try:
        return date.fromisoformat(str(v)[:10])
    except ValueError:
        return None


def _as_datetime(v: Any) -> datetime | None:
    """A local, naive datetime (``added_at`` is kept in UTC ISO)."""
    if is_blank(v):
        return None
    if isinstance(v, datetime):
        moment = v
    elif hasattr(v, "to_pydatetime"):
        moment = v.to_pydatetime()
    else:
        try:
            moment = datetime.fromisoformat(str(v).replace("Z", "+00:00"))
        except ValueError:
            return None
    if moment.tzinfo is not None:
        moment = moment.astimezone().replace(tzinfo=None)
    return moment.replace(microsecond=0)


def _number(v: Any) -> float | None:
    if is_blank(v) or isinstance(v, str):
        return None
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) or math.isinf(x) else x


def _floats(series) -> "Any":
    """A column as a float array (NaN where empty or not a number)."""
    import numpy as np
    import pandas as pd

    if series.dtype == object:
        series = pd.to_numeric(series.map(lambda v: v if isinstance(v, (int, float)) and
                                          not isinstance(v, bool) else None), errors="coerce")
    try:
        return series.to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError):
        return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _plain_number(x: float, decimals: int, *, decimal_comma: bool) -> str:
    """A number for a machine-read cell (no thousands separator, no sign for positives)."""
    text = f"{x:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    return text.replace(".", ",") if decimal_comma else text


def _text_value(col: Column, v: Any, *, decimal_comma: bool, for_md: bool = False) -> str:
    """A cell as text (CSV and Markdown)."""
    kind = col.kind
    if kind == "text":
        return "" if is_blank(v) else str(v)
    if kind == "status":
        return _status_text(v)
    if kind == "bool":
        return _bool_text(v)
    if kind == "reasons":
        return _reasons_text(v)
    if kind == "date":
        d = _as_date(v)
        if d is None:
            return ""
        return d.strftime("%d.%m.%Y") if for_md else d.isoformat()
    if kind == "datetime":
        m = _as_datetime(v)
        return "" if m is None else (m.strftime("%d.%m.%Y %H:%M") if for_md else m.isoformat(sep=" "))
    x = _number(v)
    if x is None:
        return "" if not for_md else vocab.MISSING
    if for_md:   # a document for people: the one text vocabulary, as the console writes it
        if kind == "int":
            return vocab.integer(x)
        if kind == "dint":
            return vocab.signed_int(x)
        if kind == "share":
            return vocab.percent(x, 1)
        if kind == "dshare":
            return vocab.signed_pp(x, unit=True)
    if kind in ("int", "dint"):
        return str(int(round(x)))
    if kind in ("share", "dshare"):
        return _plain_number(x * 100, 2, decimal_comma=decimal_comma)
    return str(v)  # pragma: no cover


def _json_value(v: Any) -> Any:
    if isinstance(v, (list, tuple)):
        return [_json_value(x) for x in v]
    if is_blank(v):
        return None
    if isinstance(v, bool):
        return v
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):  # numpy scalars
        try:
            v = v.item()
        except (ValueError, AttributeError):
            pass
    if isinstance(v, float):
        return None if math.isnan(v) or math.isinf(v) else v
    if isinstance(v, (int, str, bool)):
        return v
    if isinstance(v, datetime):
        return v.isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if hasattr(v, "tolist"):
        return _json_value(v.tolist())
    return str(v)


# --------------------------------------------------------------------------------------------
# The week and the filter
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class WeekLabel:
    """The week an export is about (from a ``SnapshotInfo``, a ``(start, end)`` pair or None)."""

    start: date | None
    end: date | None
    snapshot_id: int | None = None
    source_name: str | None = None

    @classmethod
    def of(cls, week: Any) -> "WeekLabel":
        if week is None:
            return cls(None, None)
        if isinstance(week, WeekLabel):
            return week
        if hasattr(week, "period_start"):
            return cls(_as_date(week.period_start), _as_date(week.period_end),
                       getattr(week, "id", None), getattr(week, "source_name", None))
        if isinstance(week, (tuple, list)) and len(week) == 2:
            return cls(_as_date(week[0]), _as_date(week[1]))
        d = _as_date(week)
        return cls(d, d)

    @property
    def label(self) -> str:
        if self.start is None:
            return tr("неделя не указана", "no week given")
        from sferum_tui.core.store import format_period

        return format_period(self.start, self.end or self.start)

    def to_json(self) -> dict | None:
        if self.start is None:
            return None
        return {"start": self.start.isoformat(), "end": (self.end or self.start).isoformat(),
                "label": self.label, "snapshot_id": self.snapshot_id, "source": self.source_name}


# --------------------------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ExportResult:
    path: Path | None
    format: str
    count: int
    bytes: int


def format_for_path(path: str | os.PathLike) -> str | None:
    """The export format a file name suggests (``.csv``, ``.xlsx``, ``.md``, ``.json``), or None."""
    return _SUFFIXES.get(Path(path).suffix.lower())


def check_format(fmt: str | None) -> str:
    f = (fmt or "").strip().lower().lstrip(".")
    if f == "markdown":
        f = "md"
    if f not in FORMATS:
        raise UserError(tr("неизвестный формат «{f}»: ожидается один из {all}",
                           "unknown format “{f}”: expected one of {all}",
                           f=fmt, all=", ".join(FORMATS)))
    return f


def render(df: "pd.DataFrame", fmt: str, *, week: Any = None, filter_text: str = "",
           decimal_comma: bool = True, exported_at: datetime | None = None,
           title: str | None = None) -> bytes:
    """The bytes of an export (see the module docstring); ``df`` is left unchanged."""
    fmt = check_format(fmt)
    ctx = _Ctx(WeekLabel.of(week), filter_text or tr("все организации", "all organisations"),
               (exported_at or datetime.now(UTC)), decimal_comma, title)
    writer: Callable[[Any, _Ctx], bytes] = {"csv": _render_csv, "xlsx": _render_xlsx,
                                           "md": _render_md, "json": _render_json}[fmt]
    return writer(df, ctx)


def export(df: "pd.DataFrame", path: str | os.PathLike, fmt: str | None = None, *, week: Any = None,
           filter_text: str = "", decimal_comma: bool = True,
           exported_at: datetime | None = None, title: str | None = None) -> ExportResult:
    """Write ``df`` to ``path`` as ``fmt`` (None: from the file name), atomically.

    ``week`` is the ``SnapshotInfo`` of the week (or a ``(start, end)`` pair), ``filter_text``
    the filter in words (``service.filters.FilterSpec.describe``). ``decimal_comma`` (CSV only): ``;`` and
    ``12,5`` (the default, Russian Excel), else ``,`` and ``12.5``. A path that cannot be
    written is a one-line :class:`UserError`, and no file is left behind.
    """
    path = Path(path).expanduser()
    if fmt is None:
        fmt = format_for_path(path)
        if fmt is None:
            raise UserError(tr("{p}: по имени файла не понять формат; укажите --format ({all})",
                               "{p}: the format cannot be told from the file name; pass --format ({all})",
                               p=path, all="|".join(FORMATS)))
    fmt = check_format(fmt)
    data = render(df, fmt, week=week, filter_text=filter_text, decimal_comma=decimal_comma,
                  exported_at=exported_at, title=title)
    _atomic_write(path, data)
    return ExportResult(path, fmt, len(df), len(data))


def _atomic_write(path: Path, data: bytes) -> None:
    if path.is_dir():
        raise UserError(tr("{p}: это папка, а не файл", "{p}: is a folder, not a file", p=path))
    folder = path.parent
    if not folder.is_dir():
        raise UserError(tr("{p}: нет папки {d}", "{p}: the folder {d} does not exist", p=path, d=folder))
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            mode = path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~_umask()
            os.chmod(tmp, mode)
        except OSError:  # pragma: no cover - best effort
            pass
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise UserError(tr("{p}: не удаётся записать файл ({e})", "{p}: cannot write the file ({e})",
                           p=path, e=exc.strerror or exc)) from exc
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@dataclass(frozen=True)
class _Ctx:
    week: WeekLabel
    filter_text: str
    exported_at: datetime
    decimal_comma: bool
    title: str | None

    @property
    def local_time(self) -> datetime:
        moment = self.exported_at
        if moment.tzinfo is not None:
            moment = moment.astimezone()
        return moment.replace(tzinfo=None, microsecond=0)

    @property
    def heading(self) -> str:
        if self.title:
            return self.title
        if self.week.start is None:
            return tr("Мониторинг", "Monitoring")
        return tr("Мониторинг: неделя {p}", "Monitoring: week {p}", p=self.week.label)


def _records(df: "pd.DataFrame", keys: list[str]) -> list[tuple]:
    """Rows as tuples of plain values, in ``keys`` order."""
    return list(zip(*(df[k].tolist() for k in keys))) if len(df) else []


# --------------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------------

def _csv_value(col: Column, v: Any) -> Any:
    """A cell for the CSV writer: counts as ``int``, shares as percent ``float`` (two
    decimals), empty as None, everything else as its text."""
    if col.kind in ("int", "dint", "share", "dshare"):
        x = _number(v)
        if x is None:
            return None
        return int(round(x)) if col.kind in ("int", "dint") else round(x * 100, 2)
    return _text_value(col, v, decimal_comma=False)


def _render_csv(df, ctx: _Ctx) -> bytes:
    cols = _columns_of(df)
    extra_week = [c for c in (_BY_KEY["week_start"], _BY_KEY["week_end"]) if c.key not in df.columns]
    header = headers_for(cols + extra_week + [_FILTER_COLUMN], percent_suffix=True)
    week_cells = [ctx.week.start.isoformat() if ctx.week.start else "",
                  (ctx.week.end or ctx.week.start).isoformat() if ctx.week.start else ""]
    week_cells = week_cells[2 - len(extra_week):] if extra_week else []
    tail = week_cells + [ctx.filter_text]
    rows = ([_csv_value(col, v) for col, v in zip(cols, rec)] + tail
            for rec in _records(df, [c.key for c in cols]))
    return render_csv(header, rows, decimal_comma=ctx.decimal_comma)


def _one_line(text: str) -> str:
    if "\n" in text or "\r" in text:
        return " ".join(text.split())
    return text


# --------------------------------------------------------------------------------------------
# XLSX
# --------------------------------------------------------------------------------------------

_NUM_FORMATS = {
    "int": "#,##0",
    "dint": "+#,##0;-#,##0;0",
    "share": "0.0%",
    "dshare": "+0.0%;-0.0%;0.0%",
    "date": "dd.mm.yyyy",
    "datetime": "dd.mm.yyyy hh:mm",
}


_MIN_WIDTHS = {"org_id": 12, "org_name": 32, "municipality": 20, "reasons": 40, "note": 20}


def _xlsx_text(text: str) -> str:
    """The source text as it is (an XLSX string cell is never a formula), cut to Excel's
    32,767 characters."""
    return text if len(text) <= _XLSX_MAX_TEXT else text[: _XLSX_MAX_TEXT - 1] + "…"


def _display_len(text: str) -> int:
    return max((len(line) for line in str(text).splitlines()), default=0)


def _render_xlsx(df, ctx: _Ctx) -> bytes:
    import xlsxwriter

    cols = _columns_of(df)
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {
        "in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
        "strings_to_numbers": False, "nan_inf_to_errors": False,
        "default_date_format": "dd.mm.yyyy",
    })
    wb.set_properties({"title": _xlsx_text(ctx.heading), "subject": _xlsx_text(ctx.filter_text),
                       "comments": "sferum-tui"})
    bold = wb.add_format({"bold": True})
    title_fmt = wb.add_format({"bold": True, "font_size": 13})
    head_fmt = wb.add_format({"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#DDE4EE",
                              "border": 1})
    text_fmt = wb.add_format({"valign": "top"})
    wrap_fmt = wb.add_format({"valign": "top", "text_wrap": True})
    num_fmts = {k: wb.add_format({"num_format": f, "valign": "top"}) for k, f in _NUM_FORMATS.items()}
    label_date = wb.add_format({"num_format": "dd.mm.yyyy", "align": "left"})
    label_dt = wb.add_format({"num_format": "dd.mm.yyyy hh:mm", "align": "left"})

    ws = wb.add_worksheet(tr("Организации", "Organisations"))
    n = len(df)
    # the block above the table
    ws.write_string(0, 0, _xlsx_text(ctx.heading), title_fmt)
    ws.write_string(1, 0, _xlsx_text(tr("Фильтр: {f}", "Filter: {f}", f=_one_line(ctx.filter_text))))
    ws.write_string(2, 0, _xlsx_text(tr("Организаций: {n}. Выгружено: {t}", "Organisations: {n}. Exported: {t}",
                                        n=n, t=ctx.local_time.strftime("%d.%m.%Y %H:%M"))))
    header_row = 4
    first = header_row + 1
    for j, col in enumerate(cols):
        ws.write_string(header_row, j, _xlsx_text(col.header()), head_fmt)

    widths = [min(max(_display_len(col.header()) // 2 + 1, 8), 24) for col in cols]
    # column by column: numbers converted once per column, empty cells left out
    for j, col in enumerate(cols):
        kind = col.kind
        series = df[col.key]
        if kind in ("int", "dint", "share", "dshare"):
            fmt = num_fmts[kind]
            values = _floats(series)
            integer = kind in ("int", "dint")
            widest = 0.0
            for i, x in enumerate(values.tolist()):
                if x != x or x in (math.inf, -math.inf):
                    continue
                if integer:
                    x = int(round(x))
                    widest = max(widest, abs(x))
                ws.write_number(first + i, j, x, fmt)
            shown = (len(f"{int(widest):,}") + (2 if kind == "dint" else 1)) if integer else 7
            widths[j] = max(widths[j], shown + 1)
        elif kind in ("date", "datetime"):
            fmt = num_fmts[kind]
            for i, v in enumerate(series.tolist()):
                if kind == "date":
                    d = _as_date(v)
                    moment = None if d is None else datetime(d.year, d.month, d.day)
                else:
                    moment = _as_datetime(v)
                if moment is not None:
                    ws.write_datetime(first + i, j, moment, fmt)
            widths[j] = max(widths[j], 11 if kind == "date" else 17)
        else:
            fmt = wrap_fmt if kind == "reasons" else text_fmt
            longest = 0
            for i, v in enumerate(series.tolist()):
                text = _text_value(col, v, decimal_comma=False)
                if text:
                    ws.write_string(first + i, j, _xlsx_text(text), fmt)
                    longest = max(longest, len(text))
            widths[j] = max(widths[j], min(longest, 200) + 2)
    for j, col in enumerate(cols):
        cap = 80 if col.kind == "reasons" else 60
        ws.set_column(j, j, min(max(widths[j], _MIN_WIDTHS.get(col.key, 6)), cap))
    if cols:
        ws.autofilter(header_row, 0, header_row + max(n, 1), len(cols) - 1)
        frozen_cols = sum(1 for c in cols[:2] if c.key in ("org_id", "org_name"))
        ws.freeze_panes(first, frozen_cols)
    ws.set_row(header_row, 45)

    # the particulars again, on their own sheet
    info = wb.add_worksheet(tr("Сведения", "About"))
    info.set_column(0, 0, 26)
    info.set_column(1, 1, 70)
    rows: list[tuple[str, Any, Any]] = [
        (tr("Неделя", "Week"), ctx.week.label, None),
    ]
    if ctx.week.start is not None:
        rows.append((tr("Неделя с", "Week from"), ctx.week.start, label_date))
        rows.append((tr("Неделя по", "Week to"), ctx.week.end or ctx.week.start, label_date))
    if ctx.week.source_name:
        rows.append((tr("Файл недели", "Weekly file"), ctx.week.source_name, None))
    rows += [
        (tr("Фильтр", "Filter"), _one_line(ctx.filter_text), None),
        (tr("Организаций", "Organisations"), n, None),
        (tr("Выгружено", "Exported"), ctx.local_time, label_dt),
        (tr("Программа", "Program"), "sferum-tui", None),
    ]
    for i, (label, value, fmt) in enumerate(rows):
        info.write_string(i, 0, _xlsx_text(label), bold)
        if isinstance(value, datetime):
            info.write_datetime(i, 1, value, fmt)
        elif isinstance(value, date):
            info.write_datetime(i, 1, datetime(value.year, value.month, value.day), fmt)
        elif isinstance(value, int):
            info.write_number(i, 1, value)
        else:
            info.write_string(i, 1, _xlsx_text(str(value)))
    wb.close()
    return out.getvalue()


# --------------------------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------------------------

_MD_ESCAPES = str.maketrans({"\\": "\\\\", "|": "\\|", "&": "&amp;", "<": "&lt;", ">": "&gt;"})


def _md_cell(text: str) -> str:
    """A Markdown table cell: on one line (line breaks and runs of spaces fold to one space),
    ``\\`` and ``|`` backslash-escaped, ``&``, ``<`` and ``>`` as entities, so a name can
    neither break the table nor become HTML."""
    return " ".join(str(text).split()).translate(_MD_ESCAPES)


def _render_md(df, ctx: _Ctx) -> bytes:
    n = len(df)
    lines = [f"# {_md_cell(ctx.heading)}", ""]
    lines.append(tr("**Фильтр:** {f}  ", "**Filter:** {f}  ", f=_md_cell(ctx.filter_text)))
    lines.append(tr("**Организаций:** {n}  ", "**Organisations:** {n}  ", n=n))
    lines.append(tr("**Выгружено:** {t}", "**Exported:** {t}",
                    t=ctx.local_time.strftime("%d.%m.%Y %H:%M")))
    lines.append("")
    cols = [_BY_KEY[k] for k in _MD_KEYS if k in df.columns]
    cols = [c for c in cols if c.key != "note" or _any_value(df["note"])]
    if n == 0:
        lines.append(tr("_Нет организаций._", "_No organisations._"))
        return ("\n".join(lines) + "\n").encode("utf-8")
    headers = [tr("№", "#")]
    for c in cols:
        if c.key == "teachers_active" and "teachers" in df.columns:
            headers.append(tr("Учителя пишут / всего", "Teachers writing / all"))
        else:
            headers.append(c.header())
    right = {0} | {i + 1 for i, c in enumerate(cols) if c.kind in ("int", "dint", "share", "dshare")}
    lines.append("| " + " | ".join(_md_cell(h) for h in headers) + " |")
    lines.append("|" + "|".join("---:" if i in right else "---" for i in range(len(headers))) + "|")
    keys = [c.key for c in cols]
    teachers = df["teachers"].tolist() if "teachers" in df.columns else None
    dc = get_language() == "ru"
    for i, rec in enumerate(_records(df, keys)):
        cells = [str(i + 1)]
        for col, v in zip(cols, rec):
            text = _text_value(col, v, decimal_comma=dc, for_md=True)
            if col.key == "teachers_active" and teachers is not None:
                total = _text_value(_BY_KEY["teachers"], teachers[i], decimal_comma=dc, for_md=True)
                text = f"{text} / {total}"
            cells.append(_md_cell(text))
        lines.append("| " + " | ".join(cells) + " |")
    return ("\n".join(lines) + "\n").encode("utf-8")


# --------------------------------------------------------------------------------------------
# JSON
# --------------------------------------------------------------------------------------------

_INT_KEYS = frozenset(c.key for c in COLUMNS if c.kind in ("int", "dint"))


def _json_keys(df) -> list[str]:
    known = [c.key for c in COLUMNS]
    order = ["org_uid", "org_key", *ROW_FIELDS, *known]
    keys = [k for k in dict.fromkeys(order) if k in df.columns]
    keys += [k for k in df.columns if k not in keys and isinstance(k, str) and not k.startswith("_")]
    return keys


def _render_json(df, ctx: _Ctx) -> bytes:
    keys = _json_keys(df)
    rows = []
    for rec in _records(df, keys):
        obj: dict[str, Any] = {}
        for k, v in zip(keys, rec):
            if k == "reasons":
                obj[k] = _reasons_list(v)
            elif k in _INT_KEYS:
                x = _number(v)
                obj[k] = None if x is None else int(round(x))
            else:
                obj[k] = _json_value(v)
        if ctx.week.start is not None:
            obj.setdefault("week_start", ctx.week.start.isoformat())
            obj.setdefault("week_end", (ctx.week.end or ctx.week.start).isoformat())
        rows.append(obj)
    doc = {
        "week": ctx.week.to_json(),
        "filter": ctx.filter_text,
        "exported_at": ctx.exported_at.astimezone(UTC).replace(microsecond=0)
                          .isoformat().replace("+00:00", "Z"),
        "count": len(rows),
        "rows": rows,
    }
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
