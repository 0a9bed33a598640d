"""Fetch the weekly files by themselves: cloud.mail.ru public links, plain URLs, local folders.

Headless (no Textual): the CLI (``sferum-tui fetch``) and the console both call

* :func:`fetch_once` — one pass over the sources: list, download what is new, check it, import it;
* :func:`fetch_until_new` — ``fetch_once`` again and again (bounded, with back-off) until something
  new arrives; for a cron line on Friday afternoon.

Both report progress through ``on_event(event: FetchEvent) -> None`` (called from the thread that
runs the fetch; a UI hands it on to its own thread) and return a :class:`FetchReport` whose
``exit_code`` is 0 (new data imported), 3 (nothing new) or 1 (an error).  ``cancel`` is an optional
``threading.Event``: set it and the fetch stops at the next chunk, keeping a resumable partial file.

What was fetched is recorded in ``<home>/fetch-state.json`` (name, size, mtime, sha256, url, when,
status), so "not yet imported" is decided by identity + size + mtime before any download and by
sha256 (against that record and the store's snapshots) after it.  Downloads go to
``<cache>/fetch/<key>.part`` and are renamed to ``<cache>/fetch/<key>/<name>`` only when complete and
checked (size; opens as a spreadsheet; an HTML page is refused); the complete file stays there until
it is imported, so an interrupted run does not fetch it twice.

Nothing from a server ends a run: every failure (any ``httpx`` error, a full or read-only disk, a
name too long for the file system, an answer that is not JSON or too large, a reader that fails)
is one line for that file and source, and the run goes on.  Every download is bounded: at most
``max_bytes`` (the input file limit), a total ``deadline`` per file and a minimum average rate;
listing answers are read as a bounded stream (``LISTING_MAX_BYTES``).  Text from a server (file
names, error bodies, page titles) passes :mod:`sferum_tui.core.text` before it is stored or shown.
"""

from __future__ import annotations

import contextlib
import errno
import fnmatch
import hashlib
import json
import math
import os
import random
import re
import shutil
import threading
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from sferum_tui import __version__
from sferum_tui.core.acquire import cloud as cloudmail
from sferum_tui.core.config import Source
from sferum_tui.core.errors import UserError
from sferum_tui.core.ingest.limits import DEFAULT_LIMITS
from sferum_tui.core.text import clean_text, one_line
from sferum_tui.i18n import get_language, tr

SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".csv")
STATE_FILE = "fetch-state.json"
ENV_BACKOFF = "SFERUM_TUI_FETCH_BACKOFF"
USER_AGENT = f"sferum-tui/{__version__}"
CHUNK = 64 * 1024
_DEPTH_MAX = 16
LISTING_MAX_BYTES = 10 * 1024 * 1024    # one listing/dispatcher answer, read as a bounded stream
LISTING_MAX_ITEMS = 100_000             # entries of one cloud source, all pages and sub-folders
ERROR_BODY_BYTES = 64 * 1024            # what is read of an error answer (for its excerpt)
RETRY_AFTER_MAX = 300.0                 # seconds: the longest Retry-After honoured
JITTER = 0.25                           # a retry waits up to 25 % longer, at random
NAME_MAX_BYTES = 200                    # a stored file name (UTF-8), well under the usual 255

EXIT_NEW, EXIT_ERROR, EXIT_NOTHING = 0, 1, 3
#: an import that brought new data: a new week, a replaced week, files added to a week
NEW_STATUSES = ("imported", "replaced", "merged")


# --------------------------------------------------------------------------- errors


class FetchError(UserError):
    """A step of a fetch that failed; the one-line message names the source, the step and what
    came back (status, a short excerpt)."""


class FetchCancelled(FetchError):
    """The fetch was cancelled (``cancel`` was set)."""


class _Answer(Exception):
    """An HTTP answer we cannot use (internal: turned into a FetchError by the caller)."""

    def __init__(self, detail: str, status: int | None = None):
        super().__init__(detail)
        self.detail = detail
        self.status = status


# --------------------------------------------------------------------------- settings, sources


@dataclass
class FetchSettings:
    cloud_base: str = cloudmail.DEFAULT_BASE
    retries: int = 4                    # extra tries after the first, on timeouts/5xx/broken links
    backoff_base: float = 1.0           # seconds before the first retry; doubled each time
    backoff_max: float = 60.0
    timeout: float | None = None        # overrides every source's own timeout
    page_limit: int = cloudmail.PAGE_LIMIT
    wait_max_tries: int = 12
    wait_interval_minutes: float = 15.0
    wait_interval_max_minutes: float = 60.0
    max_bytes: int = DEFAULT_LIMITS.max_file_bytes   # one download; above it the .part is removed
    deadline: float = 1800.0            # seconds: one file's whole download (all tries) or listing
    min_rate: float = 1024.0            # bytes/s on average, checked once ``timeout`` has passed
    listing_max_bytes: int = LISTING_MAX_BYTES
    retry_after_max: float = RETRY_AFTER_MAX
    jitter: float = JITTER
    limits: Any = None                  # the config's [limits] for the import (None: the defaults)

    def backoff(self, attempt: int) -> float:
        return min(self.backoff_max, self.backoff_base * (2 ** min(attempt, 30)))

    def retry_delay(self, attempt: int, at_least: float = 0.0) -> float:
        """Seconds before retry ``attempt + 1``: the back-off or the server's ``Retry-After``
        (whichever is longer), plus up to ``jitter`` of it at random, so that the crons of a
        whole country hitting the cloud at 17:30 on Friday do not all come back together."""
        delay = max(self.backoff(attempt), min(at_least, self.retry_after_max))
        return delay * (1.0 + random.uniform(0.0, self.jitter))

    def wait_delay(self, attempt: int) -> float:
        """Seconds to wait before try ``attempt + 2`` in ``--wait`` mode (×1.5 each time)."""
        minutes = min(self.wait_interval_max_minutes, self.wait_interval_minutes * (1.5 ** attempt))
        return max(0.0, minutes * 60.0)


def settings_from_config(config: Any = None, *, timeout: float | None = None,
                         retries: int | None = None, wait_max_tries: int | None = None,
                         wait_interval_minutes: float | None = None) -> FetchSettings:
    """Settings from ``config.fetch`` (any object with those attributes), then the environment
    (``SFERUM_TUI_CLOUD_BASE``, ``SFERUM_TUI_FETCH_BACKOFF``), then the explicit overrides."""
    s = FetchSettings(limits=getattr(config, "limits", None))
    section = getattr(config, "fetch", None)
    if section is not None:
        s.cloud_base = str(getattr(section, "cloud_base", None) or s.cloud_base)
        s.retries = int(_attr(section, "retries", s.retries))
        s.wait_max_tries = int(_attr(section, "wait_max_tries", s.wait_max_tries))
        s.wait_interval_minutes = float(_attr(section, "wait_interval_minutes",
                                              s.wait_interval_minutes))
        s.backoff_base = float(_attr(section, "backoff_seconds", s.backoff_base))
        s.deadline = float(_attr(section, "deadline_seconds", s.deadline))
        s.min_rate = float(_attr(section, "min_kb_per_second", s.min_rate / 1024)) * 1024
    limits = getattr(config, "limits", None) or DEFAULT_LIMITS
    s.max_bytes = int(getattr(limits, "max_file_bytes", None) or DEFAULT_LIMITS.max_file_bytes)
    env_base = os.environ.get(cloudmail.ENV_BASE, "").strip()
    if env_base:
        s.cloud_base = env_base
    s.cloud_base = s.cloud_base.rstrip("/")
    env_backoff = os.environ.get(ENV_BACKOFF, "").strip()
    if env_backoff:
        try:
            s.backoff_base = float(env_backoff)
            if not (math.isfinite(s.backoff_base) and 0 <= s.backoff_base <= 3600):
                raise ValueError(env_backoff)
        except ValueError:
            raise UserError(tr("{env}: ожидалось число секунд от 0 до 3600, а не «{v}»",
                               "{env}: expected a number of seconds from 0 to 3600, not “{v}”",
                               env=ENV_BACKOFF, v=one_line(env_backoff, 40))) from None
    if timeout is not None:
        s.timeout = timeout
    if retries is not None:
        s.retries = retries
    if wait_max_tries is not None:
        s.wait_max_tries = wait_max_tries
    if wait_interval_minutes is not None:
        s.wait_interval_minutes = wait_interval_minutes
    s.retries = max(0, s.retries)
    s.wait_max_tries = max(1, s.wait_max_tries)
    return s


def _attr(obj: Any, name: str, default: Any) -> Any:
    value = getattr(obj, name, None)
    return default if value is None else value


def _source_from(src: Any, base: str = cloudmail.DEFAULT_BASE) -> Source:
    """A configured source as ``Source`` (also from a duck-typed object, as tests and
    ``textual serve`` pass): the kind guessed when not given, the defaults filled in."""
    url = getattr(src, "url", None) or None
    path = getattr(src, "path", None) or None
    kind = getattr(src, "kind", None) or _guess_kind(url, path, base)
    name = getattr(src, "name", None) or (url or str(path))
    return Source(name=str(name), kind=str(kind), url=url, path=Path(path) if path else None,
                  pattern=getattr(src, "pattern", None) or "*",
                  proxy=getattr(src, "proxy", None) or None,
                  timeout=float(_attr(src, "timeout", 60.0)),
                  enabled=bool(_attr(src, "enabled", True)))


def _guess_kind(url: str | None, path: Any, base: str) -> str:
    if url:
        return "cloud" if cloudmail.is_public_link(url, base) else "url"
    return "folder"


def resolve_sources(config: Any, spec: str | None,
                    settings: FetchSettings | None = None) -> list[Source]:
    """The sources to fetch: the configured one named ``spec``, or ``spec`` itself as a URL or a
    folder, or (no ``spec``) every enabled configured source."""
    base = (settings or FetchSettings()).cloud_base
    configured = [_source_from(s, base) for s in (getattr(config, "sources", None) or [])]
    if spec is None:
        chosen = [s for s in configured if s.enabled]
        if not chosen:
            raise UserError(tr(
                "Источники не настроены: добавьте [[sources]] в конфигурацию "
                "(sferum-tui config path) или укажите ссылку: sferum-tui fetch URL",
                "No sources configured: add [[sources]] to the config "
                "(sferum-tui config path) or give a link: sferum-tui fetch URL"))
        return chosen
    for s in configured:
        if s.name == spec or s.name.casefold() == spec.casefold():
            return [s]
    if re.match(r"^https?://", spec, re.I):
        return [Source(name=spec, kind=_guess_kind(spec, None, base), url=spec)]
    folder = Path(spec).expanduser()
    if folder.is_dir():
        return [Source(name=str(folder), kind="folder", path=folder)]
    names = ", ".join(s.name for s in configured) or tr("нет", "none")
    raise UserError(tr(
        "Источник «{spec}» не найден: это не имя из конфигурации, не ссылка http(s) и не папка "
        "(в конфигурации: {names})",
        "Source “{spec}” not found: it is not a configured name, an http(s) link or a folder "
        "(configured: {names})", spec=spec, names=names))


# --------------------------------------------------------------------------- events, report


@dataclass(frozen=True)
class FetchEvent:
    """What a fetch reports while it runs.

    ``kind`` is one of: ``source`` (a source is being listed), ``listed`` (``total`` files found,
    ``done`` of them new), ``skip`` (a file fetched before), ``refused`` (a file the store refused
    on an earlier run; not tried again), ``plan`` (dry run: would fetch),
    ``start`` (a download begins; ``total`` bytes if known), ``progress`` (``done`` of ``total``
    bytes), ``retry`` (a try failed; ``message`` says why and when the next comes), ``cached``
    (taken from the download cache), ``downloaded``, ``imported``, ``unchanged`` (the same data is
    already in the store), ``error`` (``message`` is the one-line error), ``waiting`` (``--wait``:
    nothing new yet), ``done`` (``message`` is the summary).  ``message`` is translated, one line.
    """

    kind: str
    source: str = ""
    file: str = ""
    done: int = 0
    total: int | None = None
    message: str = ""


EventCallback = Callable[[FetchEvent], None]


@dataclass
class FileResult:
    source: str
    name: str
    status: str                 # planned | imported | replaced | unchanged | error
    size: int | None = None
    mtime: int | None = None
    message: str = ""
    snapshot: Any = None


@dataclass
class _Ready:
    """A new file fetched and checked, waiting to be imported with the rest of its week."""
    f: RemoteFile
    path: Path
    sha: str
    downloaded: bool
    pending: dict[str, Any]
    week: Any = None            # the store's WeekFile (the file read, its period)


@dataclass
class FetchReport:
    dry_run: bool = False
    results: list[FileResult] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    skipped: int = 0            # files fetched on an earlier run
    cancelled: bool = False
    tries: int = 1              # passes made (``fetch_until_new``)

    @property
    def new(self) -> list[FileResult]:
        return [r for r in self.results if r.status in NEW_STATUSES]

    @property
    def planned(self) -> list[FileResult]:
        return [r for r in self.results if r.status == "planned"]

    @property
    def exit_code(self) -> int:
        if self.errors or self.cancelled:
            return EXIT_ERROR
        found = self.planned if self.dry_run else self.new
        return EXIT_NEW if found else EXIT_NOTHING

    def summary(self) -> str:
        if self.cancelled:
            return tr("Загрузка отменена.", "Fetch cancelled.")
        if self.dry_run:
            n = len(self.planned)
            text = (tr("Будет загружено файлов: {n}.", "Files to fetch: {n}.", n=n) if n
                    else tr("Нового нет.", "Nothing new."))
        else:
            n = len(self.new)
            same = sum(r.status == "unchanged" for r in self.results)
            text = (tr("Импортировано новых файлов: {n}.", "New files imported: {n}.", n=n) if n
                    else tr("Нового нет.", "Nothing new."))
            if same:
                text += " " + tr("Уже были в хранилище: {n}.", "Already in the store: {n}.", n=same)
        if self.errors:
            text += " " + tr("Ошибок: {n}.", "Errors: {n}.", n=len(self.errors))
        return text


@dataclass
class RemoteFile:
    source: str
    name: str
    rel_path: str                  # inside the source, for display ("sub/week.xlsx")
    identity: str                  # stable id: cloud weblink, URL, or absolute path
    size: int | None = None
    mtime: int | None = None       # unix seconds
    url: str | None = None
    weblink: str | None = None
    local_path: Path | None = None
    etag: str | None = None

    @property
    def key(self) -> str:
        raw = f"{self.identity}\0{self.size}\0{self.mtime}\0{self.etag}"
        return hashlib.sha1(raw.encode("utf-8")).hexdigest()[:20]

    @property
    def resumable(self) -> bool:
        """Whether a partial or complete file from an earlier run can be trusted for this file."""
        return self.size is not None and (self.mtime is not None or self.etag is not None)


# --------------------------------------------------------------------------- state


class FetchState:
    """``<home>/fetch-state.json``: what was fetched, so a file is not fetched twice."""

    def __init__(self, path: Path):
        self.path = path
        self.records: list[dict[str, Any]] = []
        self.damaged = False
        if path.exists():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                records = data.get("files") if isinstance(data, dict) else None
                if not isinstance(records, list):
                    raise ValueError("no files")
                self.records = [r for r in records if isinstance(r, dict)]
            except (OSError, ValueError):
                self.damaged = True

    def find(self, f: RemoteFile) -> dict[str, Any] | None:
        if f.size is None or (f.mtime is None and f.etag is None):
            return None
        for r in reversed(self.records):
            if (r.get("identity") == f.identity and r.get("size") == f.size
                    and r.get("mtime") == f.mtime and r.get("etag") == f.etag):
                return r
        return None

    def known_sha(self, sha: str) -> dict[str, Any] | None:
        for r in reversed(self.records):
            if r.get("sha256") == sha and r.get("status") in (*NEW_STATUSES, "unchanged"):
                return r
        return None

    def add(self, record: dict[str, Any]) -> None:
        self.records = [r for r in self.records if not (
            r.get("identity") == record.get("identity") and r.get("size") == record.get("size")
            and r.get("mtime") == record.get("mtime") and r.get("etag") == record.get("etag"))]
        self.records.append(record)
        self.save()

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.damaged and self.path.exists():
            with contextlib.suppress(OSError):
                shutil.copy2(self.path, self.path.with_suffix(".damaged.json"))
            self.damaged = False
        tmp = self.path.with_name(self.path.name + ".tmp")
        data = json.dumps({"version": 1, "files": self.records}, ensure_ascii=False, indent=1)
        try:
            with open(tmp, "w", encoding="utf-8") as fh:      # atomic: a new file, then a rename
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except OSError:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise

    def forget(self, record: dict[str, Any]) -> None:
        """Take ``record`` (an object :meth:`add` stored) out again."""
        self.records = [r for r in self.records if r is not record]
        self.save()


# --------------------------------------------------------------------------- small helpers


def format_size(n: int | None) -> str:
    if n is None:
        return "?"
    units = [tr("Б", "B"), tr("КБ", "KB"), tr("МБ", "MB"), tr("ГБ", "GB")]
    value = float(n)
    for unit in units:
        if value < 1024 or unit == units[-1]:
            text = f"{value:.0f}" if unit == units[0] else f"{value:.1f}"
            if get_language() == "ru":
                text = text.replace(".", ",")
            return f"{text} {unit}"
        value /= 1024
    return str(n)  # pragma: no cover


def _format_mtime(mtime: int | None) -> str:
    if mtime is None:
        return ""
    return datetime.fromtimestamp(mtime).strftime("%d.%m.%Y %H:%M")


def _one_line(text: str, limit: int = 120) -> str:
    return one_line(text, limit)


def excerpt(content: bytes, content_type: str = "") -> str:
    """A short, one-line picture of an answer body, for error messages."""
    head = content[:4096]
    text = head.decode("utf-8", errors="replace")
    if "html" in content_type.lower() or re.match(r"\s*<(!doctype|html)", text, re.I):
        m = re.search(r"<title[^>]*>(.*?)</title>", text, re.I | re.S)
        title = _one_line(m.group(1), 60) if m else ""
        return tr("HTML-страница «{t}»", "an HTML page “{t}”", t=title) if title else \
            tr("HTML-страница", "an HTML page")
    if not text.strip():
        return tr("пустой ответ", "an empty answer")
    return "«" + _one_line(text, 100) + "»"


def filename_from_disposition(header: str | None) -> str | None:
    """The file name a ``Content-Disposition`` header gives (as sent: pass it to
    :func:`safe_name` before it names a file)."""
    if not header:
        return None
    m = re.search(r"filename\*\s*=\s*([^']*)'[^']*'([^;]+)", header, re.I)
    if m:
        charset = m.group(1) or "utf-8"
        try:
            return unquote(m.group(2).strip().strip('"'), encoding=charset, errors="strict")
        except (LookupError, UnicodeDecodeError):
            return unquote(m.group(2).strip().strip('"'))
    m = re.search(r'filename\s*=\s*"([^"]+)"', header, re.I) or \
        re.search(r"filename\s*=\s*([^;]+)", header, re.I)
    return m.group(1).strip() if m else None


def name_from_url(url: str) -> str:
    last = unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])
    return last or "download"


def safe_name(name: str, max_bytes: int = NAME_MAX_BYTES) -> str:
    """A server's file name made safe to name a file here and to print: the last path part only,
    no control characters or bidi overrides, none of ``<>:"|?*``, and at most ``max_bytes`` in
    UTF-8 (a longer name keeps its start and its extension and gets a short hash of the whole
    name, so two long names that differ only at the end stay two files)."""
    name = clean_text(str(name)).replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r'[<>:"|?*]', "_", name).strip(" .")
    name = name or "download"
    if len(name.encode("utf-8")) <= max_bytes:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or len(ext.encode("utf-8")) > 16:
        stem, ext = name, ""
    tail = "~" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:8] + (f".{ext}" if ext else "")
    room = max_bytes - len(tail.encode("utf-8"))
    head = stem.encode("utf-8")[:room].decode("utf-8", errors="ignore").rstrip(" .")
    return (head or "download") + tail


def _shown_name(name: str) -> str:
    """A server's file or folder name as shown and stored for display: one clean line."""
    return one_line(name, 300) or "?"


def _patterns(pattern: str | None) -> list[str]:
    parts = [p.strip() for p in re.split(r"[;,]", pattern or "*")]
    return [p for p in parts if p] or ["*"]


def _matches(rel_path: str, name: str, patterns: list[str]) -> bool:
    for p in patterns:
        p = p.casefold()
        target = rel_path if "/" in p else name
        if fnmatch.fnmatchcase(target.casefold(), p):
            return True
    return False


def _is_spreadsheet_name(name: str) -> bool:
    low = name.lower()
    return low.endswith(SPREADSHEET_SUFFIXES) and not low.startswith(("~$", ".~lock", "."))


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def sniff_spreadsheet(path: Path) -> str:
    """``"xlsx"``, ``"ods"``, ``"xls"`` or ``"csv"`` for a file that opens as a spreadsheet;
    raises ``ValueError`` with a translated reason otherwise (an HTML page, an archive of
    something else, a damaged file, binary data)."""
    with open(path, "rb") as fh:
        head = fh.read(64 * 1024)
    if not head:
        raise ValueError(tr("файл пустой", "the file is empty"))
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as zf:
                names = zf.namelist()
                if any(n.startswith("xl/") for n in names):
                    return "xlsx"
                if "mimetype" in names:
                    with zf.open("mimetype") as fh:      # a few bytes, never a whole bomb
                        if b"spreadsheet" in fh.read(256):
                            return "ods"
        except (zipfile.BadZipFile, OSError, KeyError, EOFError, RuntimeError, ValueError,
                NotImplementedError, zlib.error):
            raise ValueError(tr("архив повреждён или не докачан", "the archive is damaged or "
                                "incomplete")) from None
        raise ValueError(tr("это zip-архив, но не таблица xlsx/ods",
                            "it is a zip archive, not an xlsx/ods spreadsheet"))
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "xls"
    text_head = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text_head.startswith((b"<!doctype", b"<html", b"<head", b"<body")) or \
            b"<html" in text_head[:1024] or b"<script" in text_head[:512]:
        raise ValueError(tr("получена HTML-страница вместо таблицы (страница входа или ошибки?): "
                            "{x}", "got an HTML page instead of a spreadsheet (a login or error "
                            "page?): {x}", x=excerpt(head, "text/html")))
    if b"\x00" in head:
        raise ValueError(tr("двоичные данные, не похожие на таблицу xlsx/xls/ods/csv: {x}",
                            "binary data that is not an xlsx/xls/ods/csv spreadsheet: {x}",
                            x=head[:8].hex(" ")))
    if text_head.startswith((b"{", b"[", b"<")):
        raise ValueError(tr("получен ответ {x} вместо таблицы", "got {x} instead of a spreadsheet",
                            x=excerpt(head)))
    for enc in ("utf-8", "cp1251"):
        try:
            sample = head.decode(enc)
            break
        except UnicodeDecodeError as exc:
            if enc == "utf-8" and exc.start > len(head) - 4:   # a character cut at the edge
                sample = head[: exc.start].decode(enc)
                break
    else:  # pragma: no cover - cp1251 decodes almost anything
        raise ValueError(tr("текст в неизвестной кодировке", "text in an unknown encoding"))
    if not any(sep in sample for sep in (";", ",", "\t")):
        raise ValueError(tr("текст без разделителей столбцов — это не CSV: {x}",
                            "text without column separators, not a CSV: {x}", x=excerpt(head)))
    return "csv"


def _looks_like_html(path: Path) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(1024).lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype", b"<html", b"<head", b"<body")) or b"<html" in head


def _with_suffix(name: str, kind: str) -> str:
    if name.lower().endswith(SPREADSHEET_SUFFIXES):
        return name
    return f"{name}.{kind}"


@contextlib.contextmanager
def _exclusive(folder: Path) -> Iterator[None]:
    """One fetch at a time per cache folder (cron and the console may overlap), on every
    platform (``filelock``: ``fcntl`` on POSIX, ``msvcrt`` on Windows).  The lock goes with the
    process: a fetch killed by the system leaves no stale lock behind."""
    from filelock import FileLock, Timeout

    try:
        folder.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(folder / ".lock"), timeout=0)
        lock.acquire()
    except Timeout:
        raise FetchError(tr("Другая загрузка уже идёт (папка {d}); попробуйте позже.",
                            "Another fetch is running (folder {d}); try again later.",
                            d=folder)) from None
    except OSError as exc:
        raise FetchError(tr("Папка загрузок {d}: {e}", "Download folder {d}: {e}",
                            d=folder, e=os_problem(exc))) from None
    try:
        yield
    finally:
        lock.release()


@contextlib.contextmanager
def _disk_errors(fetcher: "Fetcher", src: Source, step: str, path: Path) -> Iterator[None]:
    """A failed write (disk full, quota, I/O error) as one line naming ``path``."""
    try:
        yield
    except OSError as exc:
        if not exc.filename:
            exc = OSError(exc.errno, exc.strerror, str(path))
        raise fetcher._fail(src, step, os_problem(exc)) from None


def os_problem(exc: OSError) -> str:
    """A one-line, translated reason for a failed file operation (disk full, read-only, no
    permission, a name too long …), naming the file when the error does."""
    code = exc.errno
    if code == errno.ENOSPC or code == getattr(errno, "EDQUOT", -1):
        why = tr("нет места на диске", "no space left on the disk")
    elif code == errno.EROFS:
        why = tr("файловая система только для чтения", "the file system is read-only")
    elif code in (errno.EACCES, errno.EPERM):
        why = tr("нет прав на запись", "permission denied")
    elif code == errno.ENAMETOOLONG:
        why = tr("слишком длинное имя файла", "the file name is too long")
    else:
        why = one_line(exc.strerror or type(exc).__name__, 80)
    where = exc.filename
    return one_line(f"{why} ({where})", 300) if where else why


# --------------------------------------------------------------------------- the fetcher


@dataclass
class _Reply:
    """A small answer read whole, within ``listing_max_bytes`` (listings, the dispatcher, HEAD)."""

    status_code: int
    headers: Any
    content: bytes
    url: str

    def json(self) -> Any:
        return json.loads(self.content)


def retry_after(headers: Any) -> float:
    """Seconds a ``Retry-After`` header asks to wait (a number of seconds or an HTTP date); 0
    when there is none or it cannot be read.  The caller caps it."""
    from email.utils import parsedate_to_datetime

    value = str(headers.get("retry-after") or "").strip()
    if not value:
        return 0.0
    if value.isdigit():
        return float(value[:12])
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return 0.0
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _http_errors() -> tuple[type[BaseException], ...]:
    """Every exception ``httpx`` raises for a request: ``HTTPError`` (transport, protocol,
    redirects, decoding …) and the three that do not derive from it."""
    import httpx

    return (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError, httpx.CookieConflict)


class Fetcher:
    """One pass over some sources.  Use :func:`fetch_once`; this class is the machinery.

    ``store``: an object with ``import_file(path, source_name=...)`` and ``snapshots()``, or a
    zero-argument callable that makes one (called only when a file needs importing).
    ``transport``: an ``httpx`` transport for tests; ``sleep``: replaces ``time.sleep``;
    ``retry_refused``: try again the files refused on an earlier run; ``aliases``: the config's
    extra header aliases, passed to the import as ``sferum-tui import`` passes them.
    """

    def __init__(self, *, home: Path, cache_dir: Path, settings: FetchSettings,
                 store: Any = None, on_event: EventCallback | None = None,
                 cancel: threading.Event | None = None,
                 sleep: Callable[[float], None] | None = None, transport: Any = None,
                 retry_refused: bool = False, aliases: dict[str, str] | None = None):
        self.home = Path(home)
        self.fetch_dir = Path(cache_dir) / "fetch"
        self.settings = settings
        self.state = FetchState(self.home / STATE_FILE)
        self._store = store
        self._on_event = on_event
        self._cancel = cancel
        self._sleep = sleep or self._default_sleep
        self._transport = transport
        self._known: set[str] | None = None
        self._nodes: dict[str, str] = {}
        self._listed = 0
        self.retry_refused = retry_refused
        self.aliases = dict(aliases) if aliases else None

    # ---------------------------------------------------------------- plumbing

    def _default_sleep(self, seconds: float) -> None:
        if self._cancel is not None:
            if self._cancel.wait(seconds):
                raise FetchCancelled(tr("Загрузка отменена.", "Fetch cancelled."))
        else:
            time.sleep(seconds)

    def emit(self, kind: str, source: str = "", file: str = "", *, done: int = 0,
             total: int | None = None, message: str = "") -> None:
        """Report an event; every text in it is one clean line (no escape from a server
        reaches a terminal or the console)."""
        if self._on_event is not None:
            self._on_event(FetchEvent(kind, one_line(source), one_line(file), done, total,
                                      one_line(message)))

    def _check_cancel(self) -> None:
        if self._cancel is not None and self._cancel.is_set():
            raise FetchCancelled(tr("Загрузка отменена.", "Fetch cancelled."))

    def _base_timeout(self, src: Source) -> float:
        return float(self.settings.timeout or src.timeout or 60.0)

    def _client(self, src: Source):
        if src.kind == "folder":
            return contextlib.nullcontext(None)
        import httpx

        kwargs: dict[str, Any] = dict(timeout=httpx.Timeout(self._base_timeout(src)),
                                      follow_redirects=True, trust_env=True,
                                      headers={"User-Agent": USER_AGENT})
        if src.proxy:
            kwargs["proxy"] = src.proxy
        if self._transport is not None:
            kwargs["transport"] = self._transport
        try:
            return httpx.Client(**kwargs)
        except Exception as exc:  # noqa: BLE001 - a bad proxy URL raises several kinds
            raise FetchError(tr("«{s}»: прокси «{p}» не подходит: {e}",
                                "“{s}”: proxy “{p}” is not usable: {e}",
                                s=src.name, p=src.proxy, e=_one_line(str(exc)))) from None

    def _fail(self, src: Source, step: str, detail: str) -> FetchError:
        return FetchError(_one_line(tr("«{s}»: {p}: {d}", "“{s}”: {p}: {d}",
                                       s=src.name, p=step, d=detail), 400))

    def _failure(self, src: Source, f: RemoteFile | None, exc: BaseException) -> str:
        """Any exception met while fetching ``f`` (or listing ``src``), as its one line."""
        if isinstance(exc, FetchError):
            return exc.message
        step = tr("«{f}»", "“{f}”", f=f.rel_path) if f is not None else \
            tr("источник", "the source")
        if isinstance(exc, UserError):
            detail = exc.message
        elif isinstance(exc, OSError):
            detail = os_problem(exc)
        elif isinstance(exc, _http_errors()):
            detail = self._http_problem(exc)
        elif isinstance(exc, MemoryError):
            detail = tr("не хватило памяти", "out of memory")
        else:
            detail = tr("непредвиденная ошибка {t}: {e}", "unexpected error {t}: {e}",
                        t=type(exc).__name__, e=_one_line(str(exc), 120))
        return self._fail(src, step, detail).message

    def _http_problem(self, exc: BaseException) -> str:
        """A short reason for an ``httpx`` error that a retry cannot fix."""
        import httpx

        if isinstance(exc, httpx.TooManyRedirects):
            return tr("слишком много перенаправлений (сервер отправляет по кругу?)",
                      "too many redirects (does the server send it round in a loop?)")
        if isinstance(exc, httpx.DecodingError):
            return tr("сжатые данные ответа повреждены ({e})",
                      "the answer's compressed data is damaged ({e})", e=_one_line(str(exc), 80))
        if isinstance(exc, (httpx.UnsupportedProtocol, httpx.InvalidURL)):
            return tr("неверный адрес: {e}", "bad address: {e}", e=_one_line(str(exc), 100))
        if isinstance(exc, httpx.ProxyError):
            return tr("ошибка прокси: {e}", "proxy error: {e}", e=_one_line(str(exc), 100))
        return tr("ошибка HTTP ({t}): {e}", "HTTP error ({t}): {e}", t=type(exc).__name__,
                  e=_one_line(str(exc) or "-", 100))

    def _transport_problem(self, exc: Exception, src: Source, step: str) -> str:
        """A short reason for a transient network error; raises for errors that a retry
        cannot fix (a bad proxy, a bad URL)."""
        import httpx

        timeout = self._base_timeout(src)
        if isinstance(exc, httpx.TimeoutException):
            return tr("нет ответа за {t:g} с", "no answer within {t:g} s", t=timeout)
        if isinstance(exc, (httpx.ProxyError, httpx.UnsupportedProtocol, httpx.InvalidURL)):
            raise self._fail(src, step, self._http_problem(exc))
        if isinstance(exc, httpx.RemoteProtocolError):
            return tr("соединение оборвалось: {e}", "the connection broke: {e}",
                      e=_one_line(str(exc), 80))
        return tr("ошибка соединения: {e}", "connection error: {e}",
                  e=_one_line(str(exc) or type(exc).__name__, 80))

    def _past_deadline(self, src: Source, step: str) -> FetchError:
        return self._fail(src, step, tr(
            "не закончилось за {t:g} с (fetch.deadline_seconds)",
            "did not finish within {t:g} s (fetch.deadline_seconds)", t=self.settings.deadline))

    def _retry_wait(self, src: Source, name: str, attempt: int, problem: str, *,
                    at_least: float = 0.0, deadline_at: float | None = None,
                    step: str = "") -> None:
        delay = self.settings.retry_delay(attempt, at_least)
        if deadline_at is not None and time.monotonic() + delay > deadline_at:
            raise self._fail(src, step, tr("{p}; следующая попытка была бы позже предельного "
                                           "времени {t:g} с", "{p}; the next try would come "
                                           "after the deadline of {t:g} s", p=problem,
                                           t=self.settings.deadline))
        self.emit("retry", src.name, name, message=tr(
            "«{s}»: {p}; повтор {a} из {n} через {d:g} с",
            "“{s}”: {p}; retry {a} of {n} in {d:g} s",
            s=name or src.name, p=problem, a=attempt + 1, n=self.settings.retries,
            d=round(delay, 2)))
        self._sleep(delay)

    def _timeout_until(self, src: Source, deadline_at: float):
        """The request timeout: the source's, but never past ``deadline_at``."""
        import httpx

        return httpx.Timeout(max(0.05, min(self._base_timeout(src),
                                           deadline_at - time.monotonic())))

    def _read_capped(self, src: Source, step: str, resp, cap: int, deadline_at: float, *,
                     truncate: bool = False) -> bytes:
        """The body of ``resp``, read as a stream: at most ``cap`` bytes (more is an error, or
        with ``truncate`` the first ``cap``), and no later than ``deadline_at``."""
        too_big = tr("ответ больше {n} — это не то, что ожидалось",
                     "the answer is larger than {n}: not what was expected", n=format_size(cap))
        length = resp.headers.get("content-length", "")
        if not truncate and length.isdigit() and int(length) > cap:
            raise self._fail(src, step, too_big)
        buf = bytearray()
        for chunk in resp.iter_bytes():
            self._check_cancel()
            buf += chunk
            if len(buf) > cap:
                if truncate:
                    return bytes(buf[:cap])
                raise self._fail(src, step, too_big)
            if time.monotonic() > deadline_at:
                raise self._past_deadline(src, step)
        return bytes(buf)

    def _request(self, http, src: Source, url: str, *, step: str, method: str = "GET",
                 params: dict | None = None) -> _Reply:
        """A small request with retries on timeouts, broken connections and 5xx/429 (waiting
        as ``Retry-After`` asks); returns the answer for any other status, its body read
        within ``listing_max_bytes`` and the deadline."""
        import httpx

        tries = self.settings.retries + 1
        deadline_at = time.monotonic() + self.settings.deadline
        for attempt in range(tries):
            self._check_cancel()
            at_least = 0.0
            try:
                with http.stream(method, url, params=params,
                                 timeout=self._timeout_until(src, deadline_at)) as resp:
                    code = resp.status_code
                    again = code >= 500 or code == 429
                    body = self._read_capped(
                        src, step, resp, ERROR_BODY_BYTES if again else
                        self.settings.listing_max_bytes, deadline_at, truncate=again)
                    reply = _Reply(code, resp.headers, body, str(resp.url))
            except httpx.TransportError as exc:
                if time.monotonic() >= deadline_at:
                    raise self._past_deadline(src, step) from None
                problem = self._transport_problem(exc, src, step)
            except _http_errors() as exc:
                raise self._fail(src, step, self._http_problem(exc)) from None
            else:
                if not again:
                    return reply
                problem = f"HTTP {code} {excerpt(body, reply.headers.get('content-type', ''))}"
                at_least = retry_after(reply.headers)
            if attempt == tries - 1:
                raise self._fail(src, step, tr("{p} (попыток: {n})", "{p} ({n} tries)",
                                               p=problem, n=tries))
            self._retry_wait(src, "", attempt, problem, at_least=at_least,
                             deadline_at=deadline_at, step=step)
        raise AssertionError("unreachable")  # pragma: no cover

    # ---------------------------------------------------------------- one pass

    def run(self, sources: list[Source], dry_run: bool = False) -> FetchReport:
        report = FetchReport(dry_run=dry_run)
        try:
            guard = contextlib.nullcontext() if dry_run else _exclusive(self.fetch_dir)
            with guard:
                for src in sources:
                    self._run_source(src, report, dry_run)
        except FetchCancelled as exc:
            report.cancelled = True
            self.emit("error", message=exc.message)
        except FetchError as exc:        # the lock
            report.errors.append(exc.message)
            self.emit("error", message=exc.message)
        self.emit("done", message=report.summary())
        return report

    def _file_error(self, src: Source, f: RemoteFile, report: FetchReport,
                    exc: BaseException) -> None:
        message = self._failure(src, f, exc)
        report.results.append(FileResult(src.name, f.rel_path, "error", f.size, f.mtime, message))
        report.errors.append(message)
        self.emit("error", src.name, f.rel_path, message=message)

    def _run_source(self, src: Source, report: FetchReport, dry_run: bool) -> None:
        self.emit("source", src.name, message=tr("Источник «{s}»: {w}", "Source “{s}”: {w}",
                                                 s=src.name, w=src.where))
        try:
            with self._client(src) as http:
                self._listed = 0
                files = self._list(src, http)
                fresh = []
                for f in files:
                    seen = self.state.find(f)
                    status = seen.get("status") if seen is not None else None
                    if seen is None or (self.retry_refused and status in ("rejected",
                                                                         "importing")):
                        fresh.append(f)
                        continue
                    if status == "importing" and not dry_run:
                        try:
                            self._stale_import(src, f, seen, report)
                        except FetchCancelled:
                            raise
                        except Exception as exc:  # noqa: BLE001 - one line, then the next file
                            self._file_error(src, f, report, exc)
                        continue
                    report.skipped += 1
                    if status in ("rejected", "importing"):
                        msg = tr("«{f}»: пропущен — его уже отклонили: {m} "
                                 "(повторить: fetch --retry-refused)",
                                 "“{f}”: skipped, it was refused before: {m} "
                                 "(to try again: fetch --retry-refused)",
                                 f=f.rel_path, m=seen.get("message", ""))
                    else:
                        msg = tr("«{f}»: уже загружен {w}", "“{f}”: fetched before, {w}",
                                 f=f.rel_path, w=str(seen.get("fetched_at", ""))[:16])
                    self.emit("refused" if status in ("rejected", "importing") else "skip",
                              src.name, f.rel_path, message=msg)
                self.emit("listed", src.name, total=len(files), done=len(fresh), message=tr(
                    "«{s}»: файлов {n}, новых {k}", "“{s}”: {n} files, {k} new",
                    s=src.name, n=len(files), k=len(fresh)))
                group: list[_Ready] = []    # read files of one week, not imported yet
                try:
                    self._fetch_all(src, http, fresh, report, dry_run, group)
                finally:
                    self._drop_group(group)     # cancelled: the next run takes them again
        except FetchCancelled:
            raise
        except Exception as exc:  # noqa: BLE001 - one line, then the next source
            message = self._failure(src, None, exc)
            report.errors.append(message)
            self.emit("error", src.name, message=message)

    def _fetch_all(self, src: Source, http, fresh: list[RemoteFile], report: FetchReport,
                   dry_run: bool, group: list["_Ready"]) -> None:
        for f in fresh:
            if dry_run:
                report.results.append(FileResult(src.name, f.rel_path, "planned",
                                                 f.size, f.mtime))
                self.emit("plan", src.name, f.rel_path, total=f.size, message=tr(
                    "будет загружен: {f} ({s}{m})", "would fetch: {f} ({s}{m})",
                    f=f.rel_path, s=format_size(f.size),
                    m=(", " + _format_mtime(f.mtime)) if f.mtime else ""))
                continue
            try:
                self._fetch_one(src, http, f, report, group)
            except FetchCancelled:
                raise
            except Exception as exc:  # noqa: BLE001 - one line, then the next file
                self._file_error(src, f, report, exc)
        self._import_group(src, group, report)

    def _stale_import(self, src: Source, f: RemoteFile, seen: dict[str, Any],
                      report: FetchReport) -> None:
        """A file whose import began on an earlier run and never ended: that run died in the
        reader (a crash Python could not catch).  Refuse the file, so it cannot block the
        queue; ``--retry-refused`` tries it again."""
        sha = str(seen.get("sha256") or "")
        if sha and self._known_sha(sha):       # it was stored before the run died
            self.state.add({**seen, "status": "unchanged"})
            report.skipped += 1
            self.emit("skip", src.name, f.rel_path, message=tr(
                "«{f}»: уже в хранилище", "“{f}”: already in the store", f=f.rel_path))
            return
        kept = Path(str(seen.get("kept") or ""))
        if src.kind != "folder" and kept.is_file() and kept.parent.parent == self.fetch_dir:
            kept = self._keep_rejected(kept, sha)
        reason = tr("прошлый запуск не закончил чтение этого файла (сбой программы чтения)",
                    "an earlier run did not finish reading this file (the reader crashed)")
        self.state.add({**seen, "status": "rejected", "message": reason, "kept": str(kept)})
        raise self._fail(src, tr("импорт «{f}»", "importing “{f}”", f=f.rel_path),
                         tr("{m}; файл отложен: {k} (повторить: fetch --retry-refused)",
                            "{m}; the file is set aside: {k} (to try again: fetch "
                            "--retry-refused)", m=reason, k=kept))

    # ---------------------------------------------------------------- listing

    def _list(self, src: Source, http) -> list[RemoteFile]:
        if src.kind == "cloud":
            return self._list_cloud(src, http)
        if src.kind == "url":
            return self._list_url(src, http)
        if src.kind == "folder":
            return self._list_folder(src)
        raise self._fail(src, tr("настройка", "config"), tr(
            "неизвестный вид источника «{k}» (нужен cloud, url или folder)",
            "unknown source kind “{k}” (expected cloud, url or folder)", k=src.kind))

    def _list_folder(self, src: Source) -> list[RemoteFile]:
        root = Path(src.path or "").expanduser()
        if not root.is_dir():
            raise self._fail(src, tr("папка", "folder"), tr("нет такой папки: {p}",
                                                           "no such folder: {p}", p=root))
        found: dict[Path, RemoteFile] = {}
        for pattern in _patterns(src.pattern):
            for p in sorted(root.glob(pattern)):
                if p in found or not p.is_file() or not _is_spreadsheet_name(p.name):
                    continue
                st = p.stat()
                found[p] = RemoteFile(source=src.name, name=p.name,
                                      rel_path=one_line(p.relative_to(root).as_posix()),
                                      identity=str(p.resolve()), size=st.st_size,
                                      mtime=int(st.st_mtime), local_path=p)
        return list(found.values())

    def _list_url(self, src: Source, http) -> list[RemoteFile]:
        from email.utils import parsedate_to_datetime

        step = tr("проверка ссылки", "checking the link")
        resp = self._request(http, src, src.url or "", step=step, method="HEAD")
        if resp.status_code in (404, 410):
            raise self._fail(src, step, tr(
                "файла по ссылке нет (HTTP {c}) — ссылку удалили или в ней ошибка",
                "nothing at the link (HTTP {c}): it was removed or is mistyped", c=resp.status_code))
        name = size = mtime = etag = None
        if 200 <= resp.status_code < 300:
            name = filename_from_disposition(resp.headers.get("content-disposition"))
            length = resp.headers.get("content-length")
            if length and length.isdigit() and not resp.headers.get("content-encoding"):
                size = int(length)
            with contextlib.suppress(KeyError, TypeError, ValueError, IndexError, OverflowError):
                mtime = int(parsedate_to_datetime(resp.headers["last-modified"]).timestamp())
            etag = resp.headers.get("etag")
            etag = one_line(etag, 200) if etag else None
            name = name or name_from_url(resp.url)
        name = safe_name(name or name_from_url(src.url or ""))
        return [RemoteFile(source=src.name, name=name, rel_path=name, identity=src.url or "",
                           size=size, mtime=mtime, url=src.url, etag=etag)]

    def _list_cloud(self, src: Source, http) -> list[RemoteFile]:
        step = tr("список файлов", "listing the folder")
        try:
            weblink = cloudmail.weblink_from_url(src.url or "")
        except ValueError:
            raise self._fail(src, step, tr(
                "это не публичная ссылка cloud.mail.ru (ожидалось https://cloud.mail.ru/public/…): "
                "{u}", "not a cloud.mail.ru public link (expected https://cloud.mail.ru/public/…): "
                "{u}", u=src.url)) from None
        page, version = self._cloud_first_page(src, http, weblink, step)
        node = page.node
        if node.type == "file":
            return [self._cloud_file(src, node, _shown_name(node.name))]
        patterns = _patterns(src.pattern)
        files: list[RemoteFile] = []
        self._walk(src, http, page, version, "", patterns, files, {node.weblink}, 0, step)
        return files

    def _cloud_file(self, src: Source, item: cloudmail.CloudItem, rel: str) -> RemoteFile:
        return RemoteFile(source=src.name, name=safe_name(item.name), rel_path=rel,
                          identity="cloud:" + item.weblink, size=item.size, mtime=item.mtime,
                          weblink=item.weblink)

    def _count(self, src: Source, step: str, n: int) -> None:
        self._listed += n
        if self._listed > LISTING_MAX_ITEMS:
            raise self._fail(src, step, tr("в папке больше {n} записей — это не папка с "
                                           "еженедельными файлами",
                                           "the folder lists more than {n} entries: not a folder "
                                           "of weekly files", n=LISTING_MAX_ITEMS))

    def _walk(self, src, http, page: cloudmail.CloudPage, version: int, prefix: str,
              patterns: list[str], out: list[RemoteFile], seen: set[str], depth: int,
              step: str) -> None:
        items = list(page.items)
        self._count(src, step, len(items))
        got = {i.weblink for i in items}
        while page.items and page.total is not None and len(items) < page.total:
            page = self._cloud_page(src, http, page.node.weblink, len(items), version, step)
            fresh = [i for i in page.items if i.weblink not in got]
            if not fresh:
                break                       # the server ignores offset: do not loop for ever
            self._count(src, step, len(fresh))
            items.extend(fresh)
            got.update(i.weblink for i in fresh)
        for item in items:
            rel = f"{prefix}{_shown_name(item.name)}"
            if item.type == "folder":
                if item.weblink in seen or depth >= _DEPTH_MAX:
                    continue
                seen.add(item.weblink)
                sub = self._cloud_page(src, http, item.weblink, 0, version, step)
                self._walk(src, http, sub, version, rel + "/", patterns, out, seen, depth + 1, step)
            elif _is_spreadsheet_name(item.name) and _matches(rel, item.name, patterns):
                out.append(self._cloud_file(src, item, rel))

    def _cloud_first_page(self, src, http, weblink: str, step: str):
        try:
            return self._cloud_page(src, http, weblink, 0, 4, step, raw=True), 4
        except _Answer as first:
            try:
                return self._cloud_page(src, http, weblink, 0, 2, step, raw=True), 2
            except _Answer as second:
                if first.status in (404, 410) and second.status in (404, 410):
                    raise self._fail(src, step, tr(
                        "публичная ссылка не найдена (HTTP {c}) — её удалили или в ней ошибка: {u}",
                        "the public link is gone (HTTP {c}): removed or mistyped: {u}",
                        c=first.status, u=src.url)) from None
                raise self._fail(src, step, tr(
                    "неожиданный ответ облака — {a}: {x}; {b}: {y}",
                    "unexpected answer from the cloud — {a}: {x}; {b}: {y}",
                    a=cloudmail.LIST_V4, x=first.detail, b=cloudmail.LIST_V2,
                    y=second.detail)) from None

    def _cloud_page(self, src, http, weblink: str, offset: int, version: int, step: str,
                    raw: bool = False) -> cloudmail.CloudPage:
        path = cloudmail.LIST_V4 if version == 4 else cloudmail.LIST_V2
        resp = self._request(http, src, f"{self.settings.cloud_base}/{path}", step=step,
                             params=cloudmail.list_params(weblink, offset,
                                                          self.settings.page_limit, version))
        try:
            return self._parse(resp, cloudmail.parse_list_v4 if version == 4
                               else cloudmail.parse_folder_v2)
        except _Answer as exc:
            if raw:
                raise
            raise self._fail(src, step, tr("неожиданный ответ {p}: {x}",
                                           "unexpected answer from {p}: {x}",
                                           p=path, x=exc.detail)) from None

    @staticmethod
    def _parse(resp: _Reply, parser):
        ctype = resp.headers.get("content-type", "")
        shown = f"HTTP {resp.status_code}, {excerpt(resp.content, ctype)}"
        if resp.status_code != 200:
            raise _Answer(shown, resp.status_code)
        try:
            obj = resp.json()
        except (ValueError, RecursionError):     # not JSON, or nested past Python's stack
            raise _Answer(tr("{s} (не JSON)", "{s} (not JSON)", s=shown), 200) from None
        try:
            return parser(obj)
        except cloudmail.ShapeError as exc:
            raise _Answer(tr("{s} (нет ожидаемых полей: {e})", "{s} (expected fields missing: {e})",
                             s=shown, e=_one_line(str(exc), 100)), 200) from None

    def _node_url(self, src: Source, http) -> str:
        base = self.settings.cloud_base
        if base in self._nodes:
            return self._nodes[base]
        step = tr("адрес сервера загрузки (dispatcher)", "download server (dispatcher)")
        answers = []
        for path, params in ((cloudmail.DISPATCHER_V3, {"api": 3}),
                             (cloudmail.DISPATCHER_V2, {"api": 2})):
            resp = self._request(http, src, f"{base}/{path}", step=step, params=params)
            try:
                url = self._parse(resp, cloudmail.parse_dispatcher)
            except _Answer as exc:
                answers.append(f"{path}: {exc.detail}")
                continue
            self._nodes[base] = url
            return url
        raise self._fail(src, step, tr("неожиданный ответ облака — {a}",
                                       "unexpected answer from the cloud — {a}",
                                       a="; ".join(answers)))

    # ---------------------------------------------------------------- one file

    def _store_obj(self):
        if self._store is not None and not hasattr(self._store, "import_file") \
                and callable(self._store):
            self._store = self._store()
        if self._store is None:
            from sferum_tui.core.store import Store

            self._store = Store(self.home)
        return self._store

    def _known_sha(self, sha: str) -> bool:
        if self.state.known_sha(sha):
            return True
        if self._known is None:
            try:
                snaps = self._store_obj().snapshots()
            except UserError as exc:
                raise FetchError(exc.message) from None
            self._known = {f.sha256 for s in snaps for f in (getattr(s, "files", ()) or [s])
                           if f.sha256}
        return sha in self._known

    def _record(self, f: RemoteFile, sha: str, status: str, **extra: Any) -> dict[str, Any]:
        rec = {"source": f.source, "name": f.name, "path": f.rel_path, "identity": f.identity,
               "size": f.size, "mtime": f.mtime, "etag": f.etag, "sha256": sha,
               "url": f.url or (f.weblink and f"{self.settings.cloud_base}/public/{f.weblink}")
               or str(f.local_path or ""),
               "fetched_at": datetime.now(UTC).isoformat(timespec="seconds"),
               "status": status}
        rec.update({k: v for k, v in extra.items() if v is not None})
        return rec

    def _fetch_one(self, src: Source, http, f: RemoteFile, report: FetchReport,
                   group: list["_Ready"] | None = None) -> None:
        """Get one new file (download, checks, sha256) and import it; with ``group`` (a store
        that merges weeks), read it and keep it with the other new files of its week, which
        are imported together by :meth:`_import_group`."""
        downloaded = src.kind != "folder"
        path: Path | None
        if downloaded:
            path = self._download(src, http, f)
        else:
            path = f.local_path
            assert path is not None
            try:
                sniff_spreadsheet(path)
            except ValueError as exc:
                raise self._fail(src, tr("проверка «{f}»", "checking “{f}”", f=f.rel_path),
                                 str(exc)) from None
            except OSError as exc:
                raise self._fail(src, tr("чтение «{f}»", "reading “{f}”", f=f.rel_path),
                                 os_problem(exc)) from None
        self._check_cancel()
        sha = sha256_file(path)
        if self._known_sha(sha) or any(r.sha == sha for r in group or ()):
            self.state.add(self._record(f, sha, "unchanged"))
            if downloaded:
                shutil.rmtree(path.parent, ignore_errors=True)
            report.results.append(FileResult(src.name, f.rel_path, "unchanged", f.size, f.mtime))
            self.emit("unchanged", src.name, f.rel_path, message=tr(
                "«{f}»: те же данные уже в хранилище", "“{f}”: the same data is already stored",
                f=f.rel_path))
            return
        store = self._store_obj()
        step = tr("импорт «{f}»", "importing “{f}”", f=f.rel_path)
        merging = group is not None and hasattr(store, "read_week_file")
        # Recorded before the reader runs: if the process dies inside it (a crash Python cannot
        # catch), the next run finds this record and refuses the file instead of dying again.
        pending = self._record(f, sha, "importing", kept=str(path))
        self.state.add(pending)
        ready = _Ready(f, path, sha, downloaded, pending)
        try:
            extra: dict[str, Any] = {"extra_aliases": self.aliases} if self.aliases else {}
            if self.settings.limits is not None:
                extra["limits"] = self.settings.limits
            if merging:
                ready.week = store.read_week_file(path, name=f.rel_path, **extra)
            else:
                outcome = store.import_file(path, source_name=src.name, **extra)
        except Exception as exc:  # noqa: BLE001 - a refusal, or a reader that failed
            if isinstance(exc, UserError):
                reason = one_line(exc.message, 300)
            else:
                reason = tr("программа чтения не справилась с файлом: {t}: {e}",
                            "the reader failed on the file: {t}: {e}",
                            t=type(exc).__name__, e=_one_line(str(exc), 120))
            kept = self._keep_rejected(path, sha) if downloaded else path
            self.state.add(self._record(f, sha, "rejected", message=reason, kept=str(kept)))
            raise self._fail(src, step, tr("{m} (файл: {k})", "{m} (file: {k})",
                                           m=reason, k=kept)) from None
        except BaseException:               # interrupted (Ctrl-C): not the file's fault
            with contextlib.suppress(OSError):
                self.state.forget(pending)
            raise
        if not merging:
            self._imported(src, ready, outcome, report)
            return
        # read: not the reader's victim any more; until its week is imported it is simply new
        with contextlib.suppress(OSError):
            self.state.forget(pending)
        assert group is not None
        if group and group[0].week.period != ready.week.period:
            self._import_group(src, group, report)
        group.append(ready)

    def _import_group(self, src: Source, group: list["_Ready"], report: FetchReport) -> None:
        """Import the new files of one week read so far, through the store's ``--add`` path:
        one file joins the week held when its organisations are new to it; several files
        become one snapshot when their organisations do not overlap.  Refused (files of the
        week that overlap each other or the week held), the files are recorded as refused
        (``--retry-refused``), with one line naming both rows, and the run goes on."""
        if not group:
            return
        items = list(group)
        group.clear()
        store = self._store_obj()
        step = (tr("импорт «{f}»", "importing “{f}”", f=items[0].f.rel_path) if len(items) == 1
                else tr("объединение файлов одной недели", "merging the files of one week"))
        try:
            self._check_cancel()
            extra = {"extra_aliases": self.aliases} if self.aliases else {}
            outcome = store.add_files(read=[r.week for r in items], label=src.name, **extra)
        except FetchCancelled:
            raise
        except Exception as exc:  # noqa: BLE001 - a refusal: one line, then the next week
            reason = (one_line(exc.message, 300) if isinstance(exc, UserError) else
                      tr("непредвиденная ошибка {t}: {e}", "unexpected error {t}: {e}",
                         t=type(exc).__name__, e=_one_line(str(exc), 120)))
            kept = []
            for r in items:
                where = self._keep_rejected(r.path, r.sha) if r.downloaded else r.path
                kept.append(str(where))
                self.state.add(self._record(r.f, r.sha, "rejected", message=reason,
                                            kept=str(where)))
            folders = sorted({str(Path(k).parent) for k in kept})
            message = self._fail(src, step, tr("{m} (файлы отложены в {k})", "{m} (the files are set "
                                               "aside in {k})", m=reason, k=", ".join(folders))).message
            for r in items:
                report.results.append(FileResult(src.name, r.f.rel_path, "error", r.f.size,
                                                 r.f.mtime, message))
            report.errors.append(message)
            self.emit("error", src.name, items[0].f.rel_path, message=message)
            return
        for r in items:
            self._imported(src, r, outcome, report)

    def _drop_group(self, group: list["_Ready"]) -> None:
        """A run that ends before a week's files are imported (cancelled): they stay new, so
        the next run takes them again (a download is found in the cache)."""
        group.clear()

    def _imported(self, src: Source, r: "_Ready", outcome: Any, report: FetchReport) -> None:
        f, sha = r.f, r.sha
        status = getattr(outcome, "status", "imported")
        snapshot = getattr(outcome, "snapshot", None)
        snap_id = getattr(snapshot, "id", None)
        self.state.add(self._record(f, sha, status, snapshot=snap_id if isinstance(
            snap_id, (int, str)) else None))
        if self._known is not None:
            self._known.add(sha)
        if r.downloaded:
            shutil.rmtree(r.path.parent, ignore_errors=True)
        message = one_line(getattr(outcome, "message", "") or "")
        kind = "imported" if status in NEW_STATUSES else "unchanged"
        if message:
            text = f"«{f.rel_path}»: {message}"
        elif kind == "imported":
            text = tr("«{f}»: импортирован", "“{f}”: imported", f=f.rel_path)
        else:
            text = tr("«{f}»: без изменений", "“{f}”: unchanged", f=f.rel_path)
        report.results.append(FileResult(src.name, f.rel_path, status, f.size, f.mtime,
                                         message, snapshot))
        self.emit(kind, src.name, f.rel_path, message=text)

    def _keep_rejected(self, path: Path, sha: str) -> Path:
        target_dir = self.fetch_dir / "rejected"
        target_dir.mkdir(parents=True, exist_ok=True)
        target = target_dir / f"{sha[:12]}-{path.name}"
        os.replace(path, target)
        shutil.rmtree(path.parent, ignore_errors=True)
        return target

    # ---------------------------------------------------------------- download

    def _download(self, src: Source, http, f: RemoteFile) -> Path:
        key = f.key
        done_dir = self.fetch_dir / key
        part = self.fetch_dir / f"{key}.part"
        if f.resumable and done_dir.is_dir():
            for p in done_dir.iterdir():
                if p.is_file() and p.stat().st_size == f.size:
                    self.emit("cached", src.name, f.rel_path, done=f.size or 0, total=f.size,
                              message=tr("«{f}»: взят из кэша загрузок", "“{f}”: taken from the "
                                         "download cache", f=f.rel_path))
                    return p
        shutil.rmtree(done_dir, ignore_errors=True)
        if part.exists() and not f.resumable:
            part.unlink()
        try:
            self.fetch_dir.mkdir(parents=True, exist_ok=True)
            url = self._file_url(src, http, f)
            name = self._download_to(src, http, f, url, part)
            step = tr("проверка «{f}»", "checking “{f}”", f=f.rel_path)
            got = part.stat().st_size
            if f.size is not None and got != f.size:
                if _looks_like_html(part):         # a login page in place of the file
                    try:
                        sniff_spreadsheet(part)
                    except ValueError as exc:
                        raise self._fail(src, step, str(exc)) from None
                raise self._fail(src, step, tr(
                    "размер не совпадает: ожидалось {e} байт, получено {g}",
                    "size mismatch: expected {e} bytes, received {g}", e=f.size, g=got))
            try:
                kind = sniff_spreadsheet(part)
            except ValueError as exc:
                raise self._fail(src, step, str(exc)) from None
            done_dir.mkdir(parents=True, exist_ok=True)
            final = done_dir / safe_name(_with_suffix(name, kind))
            os.replace(part, final)
        except FetchCancelled:
            if not f.resumable:
                part.unlink(missing_ok=True)
            raise
        except Exception:
            # any failure (an error answer, a limit, a full disk, a damaged body): no partial or
            # half-checked file is left behind
            with contextlib.suppress(OSError):
                part.unlink(missing_ok=True)
            shutil.rmtree(done_dir, ignore_errors=True)
            raise
        except BaseException:
            # interrupted (Ctrl-C): keep a resumable partial file for the next run
            if not f.resumable:
                with contextlib.suppress(OSError):
                    part.unlink(missing_ok=True)
            raise
        self.emit("downloaded", src.name, f.rel_path, done=got, total=got,
                  message=tr("«{f}»: загружен ({s})", "“{f}”: downloaded ({s})",
                             f=f.rel_path, s=format_size(got)))
        return final

    def _file_url(self, src: Source, http, f: RemoteFile) -> str:
        if f.weblink is not None:
            return cloudmail.download_url(self._node_url(src, http), f.weblink)
        assert f.url is not None
        return f.url

    def _too_big(self, src: Source, step: str, size: int | None = None) -> FetchError:
        limit = format_size(self.settings.max_bytes)
        if size is None:                # counted while it came: stopped at the limit
            return self._fail(src, step, tr(
                "файл больше предела {m} (предел входных файлов, [limits]); загрузка остановлена",
                "the file is larger than the limit of {m} (the input file limit, [limits]); the "
                "download was stopped", m=limit))
        return self._fail(src, step, tr(
            "файл больше предела {m}: {s} (предел входных файлов, [limits])",
            "the file is larger than the limit of {m}: {s} (the input file limit, [limits])",
            m=limit, s=format_size(size)))

    def _download_to(self, src: Source, http, f: RemoteFile, url: str, part: Path) -> str:
        """Download into ``part`` (resuming with Range when the server allows) within the
        limits: ``max_bytes``, the total ``deadline`` of the file (all tries), the minimum
        average rate.  Returns the file's name."""
        import httpx

        step = tr("загрузка «{f}»", "downloading “{f}”", f=f.rel_path)
        if f.size is not None and f.size > self.settings.max_bytes:
            raise self._too_big(src, step, f.size)
        deadline_at = time.monotonic() + self.settings.deadline
        name = f.name
        tries = self.settings.retries + 1
        headers = {"Accept-Encoding": "identity"}
        if f.weblink is not None:
            headers["Referer"] = f"{self.settings.cloud_base}/public/{quote(f.weblink, safe='/')}"
        started = False
        for attempt in range(tries):
            self._check_cancel()
            if time.monotonic() >= deadline_at:
                raise self._past_deadline(src, step)
            offset = part.stat().st_size if part.exists() else 0
            req_headers = dict(headers)
            if offset:
                req_headers["Range"] = f"bytes={offset}-"
            problem = None
            at_least = 0.0
            try:
                with http.stream("GET", url, headers=req_headers,
                                 timeout=self._timeout_until(src, deadline_at)) as resp:
                    code = resp.status_code
                    ctype = resp.headers.get("content-type", "")
                    if code == 416 and offset:
                        part.unlink()
                        problem = tr("сервер отверг докачку (HTTP 416)",
                                     "the server refused to resume (HTTP 416)")
                    elif code in (404, 410):
                        raise self._fail(src, step, tr(
                            "файла больше нет (HTTP {c}) — его удалили или ссылка устарела",
                            "the file is gone (HTTP {c}): removed, or the link is stale", c=code))
                    elif code >= 500 or code == 429:
                        body = self._read_capped(src, step, resp, ERROR_BODY_BYTES, deadline_at,
                                                 truncate=True)
                        problem = f"HTTP {code} {excerpt(body, ctype)}"
                        at_least = retry_after(resp.headers)
                    elif code not in (200, 206):
                        body = self._read_capped(src, step, resp, ERROR_BODY_BYTES, deadline_at,
                                                 truncate=True)
                        raise self._fail(src, step, tr(
                            "неожиданный ответ: HTTP {c}, {x}", "unexpected answer: HTTP {c}, {x}",
                            c=code, x=excerpt(body, ctype)))
                    else:
                        mode = "wb"
                        if code == 206 and offset:
                            if not resp.headers.get("content-range", "").startswith(
                                    f"bytes {offset}-"):
                                part.unlink()
                                raise httpx.RemoteProtocolError("Content-Range does not match")
                            mode = "ab"
                        else:
                            offset = 0
                        if f.url is not None:
                            name = filename_from_disposition(
                                resp.headers.get("content-disposition")) or name
                        total = f.size
                        length = resp.headers.get("content-length", "")
                        if length.isdigit() and int(length) + offset > self.settings.max_bytes:
                            raise self._too_big(src, step, int(length) + offset)
                        if total is None and length.isdigit():
                            total = int(length) + offset
                        if not started:
                            self.emit("start", src.name, f.rel_path, done=offset, total=total,
                                      message=tr("Загрузка: {f} ({s})", "Downloading: {f} ({s})",
                                                 f=f.rel_path, s=format_size(total)))
                            started = True
                        self._copy_body(src, f, resp, part, mode, offset, total, step,
                                        deadline_at)
                        return safe_name(name)
            except httpx.TransportError as exc:
                if time.monotonic() >= deadline_at:
                    raise self._past_deadline(src, step) from None
                problem = self._transport_problem(exc, src, step)
            except _http_errors() as exc:     # redirects in a loop, a damaged gzip body …
                raise self._fail(src, step, self._http_problem(exc)) from None
            if attempt == tries - 1:
                raise self._fail(src, step, tr("{p} (попыток: {n})", "{p} ({n} tries)",
                                               p=problem, n=tries))
            self._retry_wait(src, f.rel_path, attempt, problem or "", at_least=at_least,
                             deadline_at=deadline_at, step=step)
        raise AssertionError("unreachable")  # pragma: no cover

    def _copy_body(self, src: Source, f: RemoteFile, resp, part: Path, mode: str,
                   offset: int, total: int | None, step: str, deadline_at: float) -> None:
        done = offset
        last_emit = 0.0
        began = time.monotonic()
        grace = self._base_timeout(src)          # the rate is judged once a read could time out
        min_rate = self.settings.min_rate
        try:
            out = open(part, mode)
        except OSError as exc:
            raise self._fail(src, step, os_problem(exc)) from None
        with _disk_errors(self, src, step, part), out:
            for chunk in resp.iter_bytes():      # as it arrives: a cut keeps what came
                self._check_cancel()
                if done + len(chunk) > self.settings.max_bytes:
                    raise self._too_big(src, step)
                out.write(chunk)
                done += len(chunk)
                if f.size is not None and done > f.size:
                    raise self._fail(src, step, tr(
                        "сервер прислал больше данных, чем указано в списке ({e} байт)",
                        "the server sent more than the listed size ({e} bytes)", e=f.size))
                now = time.monotonic()
                if now > deadline_at:
                    raise self._past_deadline(src, step)
                elapsed = now - began
                if min_rate > 0 and elapsed > grace and (done - offset) / elapsed < min_rate:
                    raise self._fail(src, step, tr(
                        "слишком медленно: {r} в секунду в среднем, меньше {m} "
                        "(fetch.min_kb_per_second)",
                        "too slow: {r} per second on average, under {m} "
                        "(fetch.min_kb_per_second)",
                        r=format_size(int((done - offset) / elapsed)),
                        m=format_size(int(min_rate))))
                if now - last_emit >= 0.1:
                    last_emit = now
                    self.emit("progress", src.name, f.rel_path, done=done, total=total)
        self.emit("progress", src.name, f.rel_path, done=done, total=total)


# --------------------------------------------------------------------------- the API


def _fetcher(paths: Any, settings: FetchSettings, store: Any, on_event, cancel, sleep,
             transport, retry_refused: bool = False, config: Any = None) -> Fetcher:
    if store is None and getattr(paths, "store_url", None):
        from sferum_tui.core.store import open_for

        store = lambda: open_for(paths)  # noqa: E731 - opened when the first file needs it
    return Fetcher(home=Path(paths.home), cache_dir=Path(paths.cache_dir), settings=settings,
                   store=store, on_event=on_event, cancel=cancel, sleep=sleep,
                   transport=transport, retry_refused=retry_refused,
                   aliases=getattr(config, "aliases", None))


def fetch_once(paths: Any, config: Any = None, source: str | None = None, *,
               dry_run: bool = False, on_event: EventCallback | None = None,
               cancel: threading.Event | None = None, store: Any = None,
               settings: FetchSettings | None = None, sources: list[Source] | None = None,
               sleep: Callable[[float], None] | None = None, transport: Any = None,
               retry_refused: bool = False) -> FetchReport:
    """One pass: list the sources, download what is new, check and import it.

    ``paths`` has ``.home`` and ``.cache_dir``; ``config`` is the loaded config (or None);
    ``source`` is a configured name, a URL or a folder (None: all enabled sources);
    ``retry_refused``: the files refused on an earlier run are tried again.  Raises
    ``UserError`` only for a bad request (unknown source, nothing configured); every failure of a
    source or a file is in the report (``errors``) and in an ``error`` event.
    """
    settings = settings or settings_from_config(config)
    if sources is None:
        sources = resolve_sources(config, source, settings)
    return _fetcher(paths, settings, store, on_event, cancel, sleep, transport,
                    retry_refused, config).run(sources, dry_run=dry_run)


def fetch_until_new(paths: Any, config: Any = None, source: str | None = None, *,
                    on_event: EventCallback | None = None,
                    cancel: threading.Event | None = None, store: Any = None,
                    settings: FetchSettings | None = None,
                    sources: list[Source] | None = None,
                    sleep: Callable[[float], None] | None = None,
                    transport: Any = None, retry_refused: bool = False) -> FetchReport:
    """``fetch_once`` until something new is imported or ``settings.wait_max_tries`` passes are
    made, waiting ``wait_interval_minutes`` (×1.5 each time, at most
    ``wait_interval_max_minutes``) in between.  Returns the last pass's report (with ``tries``)."""
    settings = settings or settings_from_config(config)
    if sources is None:
        sources = resolve_sources(config, source, settings)
    emit = on_event or (lambda event: None)
    report = FetchReport()
    for attempt in range(settings.wait_max_tries):
        fetcher = _fetcher(paths, settings, store, on_event, cancel, sleep, transport,
                           retry_refused and attempt == 0, config)
        store = fetcher._store if fetcher._store is not None else store
        report = fetcher.run(sources)
        report.tries = attempt + 1
        if report.new or report.cancelled or attempt == settings.wait_max_tries - 1:
            return report
        delay = settings.wait_delay(attempt)
        emit(FetchEvent("waiting", total=settings.wait_max_tries, done=attempt + 1, message=tr(
            "Нового пока нет (попытка {a} из {n}); следующая через {m}",
            "Nothing new yet (try {a} of {n}); next in {m}",
            a=attempt + 1, n=settings.wait_max_tries, m=_format_delay(delay))))
        try:
            fetcher._sleep(delay)
        except FetchCancelled:
            report.cancelled = True
            return report
    return report


def _format_delay(seconds: float) -> str:
    if seconds >= 60:
        minutes = seconds / 60
        return tr("{m:g} мин", "{m:g} min", m=round(minutes, 1))
    return tr("{s:g} с", "{s:g} s", s=round(seconds, 2))
