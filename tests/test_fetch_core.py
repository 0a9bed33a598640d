"""The headless fetch API the console uses (events, cancel, the download cache, --wait), and the
small pieces: reading cloud.mail.ru answers, recognising spreadsheets, settings, sources."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import threading
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from sferum_tui.core.acquire import cloud as cloudmail  # noqa: E402
from sferum_tui.core.acquire import fetch as F  # noqa: E402
from sferum_tui.core.errors import UserError  # noqa: E402
from sferum_tui.core.paths import resolve_paths  # noqa: E402
from sferum_tui.core.store import Store  # noqa: E402
from sferum_tui.i18n import set_language  # noqa: E402

from cloud_server import cloud  # noqa: E402,F401 (a fixture)
from fetch_support import FOLDER, csv_week, week, xlsx_week  # noqa: E402


@pytest.fixture(autouse=True)
def _english():
    set_language("en")


@pytest.fixture
def paths(tmp_path):
    return resolve_paths(tmp_path / "home")


def big_csv(start, rows: int = 20000) -> bytes:
    lines = [f"Мониторинг использования ИКОП «Сферум» за период с {start:%d.%m.%Y} по "
             f"{start.replace(day=start.day + 6):%d.%m.%Y}",
             "Муниципалитет;ИНН;Наименование ОО;Статус;Пользователи;Классы;Учителя"]
    for i in range(rows):
        lines.append(f"Район {i % 50};{5200000000 + i};МКОУ СОШ №{i};Активна;{10 + i % 90};"
                     f"{1 + i % 11};{i % 40}")
    return ("\n".join(lines) + "\n").encode("utf-8")


# ------------------------------------------------------------------------------ console API


def test_events_tell_a_ui_what_happens(cloud, paths):
    cloud.add_file(FOLDER, "week16.xlsx", xlsx_week(week(0)))
    events: list[F.FetchEvent] = []
    report = F.fetch_once(paths, None, cloud.public_url(FOLDER), on_event=events.append)

    assert report.exit_code == 0 and [r.name for r in report.new] == ["week16.xlsx"]
    kinds = [e.kind for e in events]
    assert kinds[0] == "source" and kinds[-1] == "done"
    assert kinds.index("listed") < kinds.index("start") < kinds.index("downloaded") \
        < kinds.index("imported")
    start = events[kinds.index("start")]
    size = len(cloud.nodes[f"{FOLDER}/week16.xlsx"].data)
    assert start.total == size and start.file == "week16.xlsx"
    progress = [e for e in events if e.kind == "progress"]
    assert progress and progress[-1].done == progress[-1].total == size
    assert events[-1].message == report.summary() == "New files imported: 1."
    assert all("\n" not in e.message for e in events)


def test_cancel_stops_mid_download_and_the_next_run_resumes(cloud, paths):
    cloud.add_file(FOLDER, "big.csv", big_csv(week(0)))
    cancel = threading.Event()

    def on_event(event):
        if event.kind == "progress" and event.done:
            cancel.set()

    report = F.fetch_once(paths, None, cloud.public_url(FOLDER), on_event=on_event, cancel=cancel)
    assert report.cancelled and report.exit_code == 1 and report.summary() == "Fetch cancelled."
    parts = list((paths.cache_dir / "fetch").glob("*.part"))
    have = parts[0].stat().st_size if len(parts) == 1 else 0
    assert 0 < have < len(cloud.nodes[f"{FOLDER}/big.csv"].data)
    assert not (paths.home / "store.sqlite").exists()

    cloud.requests.clear()
    store = _RecordingStore()
    report = F.fetch_once(paths, None, cloud.public_url(FOLDER), store=store)
    assert report.exit_code == 0, report.errors
    assert store.imported == [cloud.nodes[f"{FOLDER}/big.csv"].data]   # the resumed file is whole
    ranges = [h.get("Range") for _, p, h in cloud.requests if p.startswith("/storage/")]
    assert ranges == [f"bytes={have}-"]
    assert list((paths.cache_dir / "fetch").glob("*.part")) == []


class _RecordingStore:
    def __init__(self):
        self.imported: list[bytes] = []

    def snapshots(self):
        return []

    def import_file(self, path, source_name=None):
        self.imported.append(Path(path).read_bytes())
        return SimpleNamespace(status="imported", snapshot=None, message="")


class _InterruptedStore:
    """A store whose first import is interrupted (the process killed before it finished)."""

    def __init__(self, home):
        self.real = Store(home)
        self.calls = 0

    def snapshots(self):
        return self.real.snapshots()

    def import_file(self, path, **kw):
        self.calls += 1
        raise KeyboardInterrupt


def test_an_interrupted_run_does_not_fetch_twice(cloud, paths):
    cloud.add_file(FOLDER, "week16.csv", csv_week(week(0)))
    with pytest.raises(KeyboardInterrupt):
        F.fetch_once(paths, None, cloud.public_url(FOLDER), store=_InterruptedStore(paths.home))
    assert len(cloud.downloads()) == 1
    kept = [p for p in (paths.cache_dir / "fetch").rglob("*") if p.is_file() and p.name != ".lock"]
    assert [p.name for p in kept] == ["week16.csv"]

    events = []
    report = F.fetch_once(paths, None, cloud.public_url(FOLDER), on_event=events.append)
    assert report.exit_code == 0
    assert len(cloud.downloads()) == 1                    # not downloaded again
    assert "cached" in [e.kind for e in events]
    assert not any(p.is_file() and p.name != ".lock"
                   for p in (paths.cache_dir / "fetch").rglob("*"))


def test_wait_polls_until_the_new_week_appears(cloud, paths):
    cloud.add_file(FOLDER, "week16.csv", csv_week(week(0)))
    assert F.fetch_once(paths, None, cloud.public_url(FOLDER)).exit_code == 0
    sleeps: list[float] = []

    def sleep(seconds):
        sleeps.append(seconds)
        if len(sleeps) == 2:            # the ministry publishes during the second pause
            cloud.add_file(FOLDER, "week17.csv", csv_week(week(1)), mtime=1682690400)

    settings = F.FetchSettings(cloud_base=cloud.url, wait_max_tries=5, wait_interval_minutes=10,
                               backoff_base=0)
    events = []
    report = F.fetch_until_new(paths, None, cloud.public_url(FOLDER), settings=settings,
                               sleep=sleep, on_event=events.append)
    assert report.exit_code == 0 and report.tries == 3
    assert sleeps == [600.0, 900.0]                      # 10 min, then ×1.5
    waiting = [e.message for e in events if e.kind == "waiting"]
    assert waiting == ["Nothing new yet (try 1 of 5); next in 10 min",
                       "Nothing new yet (try 2 of 5); next in 15 min"]


def test_wait_pause_is_capped():
    s = F.FetchSettings(wait_interval_minutes=30, wait_interval_max_minutes=60)
    assert [s.wait_delay(i) / 60 for i in range(4)] == [30, 45, 60, 60]
    assert [F.FetchSettings(backoff_base=1, backoff_max=5).backoff(i) for i in range(4)] == [1, 2, 4, 5]


def test_one_fetch_at_a_time(cloud, paths):
    cloud.add_file(FOLDER, "week16.csv", csv_week(week(0)))
    with F._exclusive(paths.cache_dir / "fetch"):
        report = F.fetch_once(paths, None, cloud.public_url(FOLDER))
    assert report.exit_code == 1
    assert report.errors[0].startswith("Another fetch is running")
    assert cloud.requests == []


def test_a_damaged_state_file_is_kept_aside_and_the_fetch_goes_on(cloud, paths):
    cloud.add_file(FOLDER, "week16.csv", csv_week(week(0)))
    paths.home.mkdir(parents=True)
    (paths.home / F.STATE_FILE).write_text("{not json", encoding="utf-8")
    report = F.fetch_once(paths, None, cloud.public_url(FOLDER))
    assert report.exit_code == 0
    assert (paths.home / "fetch-state.damaged.json").read_text() == "{not json"
    assert json.loads((paths.home / F.STATE_FILE).read_text())["files"][0]["name"] == "week16.csv"


def test_a_store_refusal_keeps_the_file_for_the_user(cloud, paths):
    cloud.add_file(FOLDER, "week16.csv", b"\xef\xbb\xbf\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82;1\n2;3\n")
    report = F.fetch_once(paths, None, cloud.public_url(FOLDER))
    assert report.exit_code == 1
    (message,) = report.errors
    assert "importing “week16.csv”" in message and "fetch/rejected/" in message
    kept = list((paths.cache_dir / "fetch" / "rejected").iterdir())
    assert len(kept) == 1 and kept[0].name.endswith("-week16.csv")
    again = F.fetch_once(paths, None, cloud.public_url(FOLDER))
    assert again.exit_code == 3 and again.skipped == 1


def test_core_does_not_import_textual_and_the_command_stays_light():
    code = ("import sys, sferum_tui.commands.fetch; "
            "assert 'sferum_tui.core.acquire.fetch' not in sys.modules, 'command imports the core early'; "
            "import sferum_tui.core.acquire.fetch, sferum_tui.core.acquire.cloud; "
            "assert 'textual' not in sys.modules, 'textual imported'; "
            "assert 'httpx' not in sys.modules, 'httpx imported before a fetch runs'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_printer_draws_a_progress_bar_on_a_terminal(capsys):
    from sferum_tui.commands.fetch import _Printer

    printer = _Printer()
    printer.tty = True
    with printer:
        printer(F.FetchEvent("start", "s", "week.xlsx", 0, 1000, "Downloading: week.xlsx"))
        printer(F.FetchEvent("progress", "s", "week.xlsx", 500, 1000))
        printer(F.FetchEvent("imported", "s", "week.xlsx", message="“week.xlsx”: imported"))
        printer(F.FetchEvent("error", "s", "x", message="“s”: broken"))
    err = capsys.readouterr().err
    assert "“week.xlsx”: imported" in err and "sferum-tui: “s”: broken" in err


# ------------------------------------------------------------------------------ cloud answers


@pytest.mark.parametrize("url,weblink", [
    ("https://cloud.mail.ru/public/GPXK/fMnpzcuWR", "GPXK/fMnpzcuWR"),
    ("https://cloud.mail.ru/public/GPXK/fMnpzcuWR/", "GPXK/fMnpzcuWR"),
    ("https://cloud.mail.ru/public/GPXK/fMnpzcuWR/%D0%9C%D0%B0%D0%B9/w.xlsx",
     "GPXK/fMnpzcuWR/Май/w.xlsx"),
    ("GPXK/fMnpzcuWR", "GPXK/fMnpzcuWR"),
])
def test_weblink_from_url(url, weblink):
    assert cloudmail.weblink_from_url(url) == weblink


def test_weblink_from_url_refuses_other_links():
    with pytest.raises(ValueError):
        cloudmail.weblink_from_url("https://example.org/files/w.xlsx")


def test_is_public_link():
    assert cloudmail.is_public_link("https://cloud.mail.ru/public/A/B")
    assert cloudmail.is_public_link("http://127.0.0.1:8765/public/A/B", "http://127.0.0.1:8765")
    assert not cloudmail.is_public_link("https://example.org/public/A/B")
    assert not cloudmail.is_public_link("https://cloud.mail.ru/home/A")


V4_FOLDER = {"name": "Мониторинг", "weblink": "A/B", "type": "folder", "kind": "folder",
             "count": {"folders": 1, "files": 2}, "size": 30,
             "list": [{"name": "w.xlsx", "weblink": "A/B/w.xlsx", "type": "file", "kind": "file",
                       "size": 10, "mtime": 1682085600, "hash": "AB"},
                      {"name": "sub", "weblink": "A/B/sub", "type": "folder", "kind": "folder",
                       "count": {"folders": 0, "files": 1}}]}


def test_parse_list_v4_and_v2():
    page = cloudmail.parse_list_v4(V4_FOLDER)
    assert page.total == 3 and page.node.type == "folder"
    assert page.items[0] == cloudmail.CloudItem("w.xlsx", "A/B/w.xlsx", "file", 10, 1682085600, "AB")
    assert page.items[1].type == "folder"
    wrapped = {"email": None, "body": V4_FOLDER, "status": 200, "time": 1}
    assert cloudmail.parse_folder_v2(wrapped) == page
    assert cloudmail.parse_list_v4(wrapped) == page
    single = cloudmail.parse_list_v4({"name": "w.xlsx", "weblink": "A/B", "type": "file",
                                      "size": "10", "mtime": 1})
    assert single.node.size == 10 and single.items == []


@pytest.mark.parametrize("obj,why", [
    ([], "not a JSON object"),
    ({"result": "ok"}, "node: no name/weblink/type"),
    ({**V4_FOLDER, "list": None}, "folder: no list"),
    ({**V4_FOLDER, "list": [{"name": "x"}]}, "list[0]: no weblink/type"),
    ({**V4_FOLDER, "list": [{**V4_FOLDER["list"][0], "size": "big"}]}, "list[0]: size"),
    ({**V4_FOLDER, "list": [{**V4_FOLDER["list"][0], "size": -1}]}, "list[0]: size"),
    ({**V4_FOLDER, "list": [{**V4_FOLDER["list"][0], "size": "9" * 5000}]}, "list[0]: size"),
    ({**V4_FOLDER, "list": [{**V4_FOLDER["list"][0], "mtime": 1e300}]}, "list[0]: mtime"),
    ({**V4_FOLDER, "list": [{**V4_FOLDER["list"][0], "mtime": 2.5}]}, "list[0]: mtime"),
])
def test_parse_list_shape_errors(obj, why):
    with pytest.raises(cloudmail.ShapeError, match=__import__("re").escape(why)):
        cloudmail.parse_list_v4(obj)


def test_parse_dispatcher():
    body = {"body": {"weblink_get": [{"count": "1", "url": "https://cloclo3.cloud.mail.ru/weblink/get"}]}}
    assert cloudmail.parse_dispatcher(body) == "https://cloclo3.cloud.mail.ru/weblink/get"
    assert cloudmail.parse_dispatcher({"body": {"weblink_get": {"url": "http://n/x"}}}) == "http://n/x"
    for bad in ({}, {"body": {}}, {"body": {"weblink_get": []}}, {"body": {"weblink_get": [{}]}}):
        with pytest.raises(cloudmail.ShapeError):
            cloudmail.parse_dispatcher(bad)
    assert cloudmail.download_url("https://n/weblink/get/", "A/B/Май 1.xlsx") == \
        "https://n/weblink/get/A/B/%D0%9C%D0%B0%D0%B9%201.xlsx"


# ------------------------------------------------------------------------------ small pieces


@pytest.mark.parametrize("header,name", [
    ("attachment; filename*=UTF-8''%D0%9C%D0%BE%D0%BD.xlsx", "Мон.xlsx"),
    ('attachment; filename="week 16.xlsx"', "week 16.xlsx"),
    ("attachment; filename=week.csv", "week.csv"),
    ('attachment; filename="fallback.xlsx"; filename*=utf-8\'\'%D0%9D.xlsx', "Н.xlsx"),
    ("inline", None),
    (None, None),
])
def test_filename_from_disposition(header, name):
    assert F.filename_from_disposition(header) == name


def test_safe_name_and_name_from_url():
    assert F.safe_name("../../etc/passwd") == "passwd"
    assert F.safe_name('a:b*?"<>|.xlsx') == "a_b______.xlsx"
    assert F.safe_name("") == "download"
    assert F.name_from_url("https://x.org/files/%D0%9C.xlsx?x=1") == "М.xlsx"
    assert F.name_from_url("https://x.org/") == "download"


def _zip(entries: dict[str, bytes]) -> bytes:
    """A zip with a fixed timestamp: the bytes (test ids) are the same in every xdist worker."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries.items():
            zf.writestr(zipfile.ZipInfo(name, date_time=(2023, 4, 21, 17, 0, 0)), data)
    return buf.getvalue()


@pytest.mark.parametrize("data,kind", [
    (xlsx_week(week(0)), "xlsx"),
    (_zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"}),
     "ods"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "xls"),
    (csv_week(week(0)), "csv"),
    (b"\xef\xbb\xbf" + csv_week(week(0)), "csv"),
    (csv_week(week(0), "cp1251"), "csv"),
    (csv_week(week(0)).replace(b";", b"\t"), "csv"),
], ids=["xlsx", "ods", "xls", "csv", "csv-bom", "csv-cp1251", "csv-tabs"])
def test_sniff_accepts_spreadsheets(tmp_path, data, kind):
    p = tmp_path / "f"
    p.write_bytes(data)
    assert F.sniff_spreadsheet(p) == kind


@pytest.mark.parametrize("data,why", [
    (b"", "empty"),
    ("<!DOCTYPE html><html><head><title>Вход в Облако</title>".encode(), "HTML page"),
    (b"\n  <html lang=ru><body>login</body></html>", "HTML page"),
    (b'{"status": 403, "body": "user"}', "instead of a spreadsheet"),
    (_zip({"word/document.xml": b"<x/>"}), "not an xlsx/ods"),
    (xlsx_week(week(0))[:200], "damaged or incomplete"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary data"),
    (b"just one line of words\n", "not a CSV"),
], ids=["empty", "html", "html-lower", "json", "docx", "xlsx-cut", "png", "words"])
def test_sniff_refuses_other_things(tmp_path, data, why):
    p = tmp_path / "f"
    p.write_bytes(data)
    with pytest.raises(ValueError, match=why):
        F.sniff_spreadsheet(p)


def test_html_message_quotes_the_page_title(tmp_path):
    p = tmp_path / "f"
    p.write_bytes("<!DOCTYPE html><html><head><title>Вход в Облако</title>".encode())
    with pytest.raises(ValueError, match="“Вход в Облако”"):
        F.sniff_spreadsheet(p)


def test_format_size_in_both_languages():
    assert F.format_size(812) == "812 B"
    assert F.format_size(12_600) == "12.3 KB"
    set_language("ru")
    assert F.format_size(12_600) == "12,3 КБ"
    assert F.format_size(None) == "?"


def test_settings_precedence(monkeypatch):
    monkeypatch.delenv("SFERUM_TUI_CLOUD_BASE", raising=False)
    monkeypatch.delenv("SFERUM_TUI_FETCH_BACKOFF", raising=False)
    cfg = SimpleNamespace(fetch=SimpleNamespace(cloud_base="https://mirror.example/", retries=2,
                                                wait_max_tries=3, wait_interval_minutes=5))
    s = F.settings_from_config(cfg)
    assert (s.cloud_base, s.retries, s.wait_max_tries, s.wait_interval_minutes, s.backoff_base) \
        == ("https://mirror.example", 2, 3, 5.0, 1.0)
    monkeypatch.setenv("SFERUM_TUI_CLOUD_BASE", "http://127.0.0.1:8765/")
    monkeypatch.setenv("SFERUM_TUI_FETCH_BACKOFF", "0.05")
    s = F.settings_from_config(cfg, retries=0, timeout=2.5, wait_max_tries=0)
    assert (s.cloud_base, s.retries, s.timeout, s.backoff_base, s.wait_max_tries) == \
        ("http://127.0.0.1:8765", 0, 2.5, 0.05, 1)
    monkeypatch.setenv("SFERUM_TUI_FETCH_BACKOFF", "soon")
    with pytest.raises(UserError, match="SFERUM_TUI_FETCH_BACKOFF"):
        F.settings_from_config(None)


def test_resolve_sources(tmp_path):
    src = SimpleNamespace(name="Минобр", url="https://cloud.mail.ru/public/A/B", path=None,
                          kind="cloud", pattern="*.xlsx", proxy=None, timeout=30.0, enabled=True)
    off = SimpleNamespace(name="old", url="https://example.org/w.xlsx", path=None, kind=None,
                          pattern=None, proxy=None, timeout=None, enabled=False)
    cfg = SimpleNamespace(sources=(src, off))
    assert [s.name for s in F.resolve_sources(cfg, None)] == ["Минобр"]
    (one,) = F.resolve_sources(cfg, "минобр")
    assert one.kind == "cloud" and one.pattern == "*.xlsx" and one.timeout == 30.0
    (old,) = F.resolve_sources(cfg, "old")
    assert old.kind == "url" and old.pattern == "*" and old.timeout == 60.0
    assert F.resolve_sources(None, "https://cloud.mail.ru/public/X/Y")[0].kind == "cloud"
    assert F.resolve_sources(None, "https://example.org/w.xlsx")[0].kind == "url"
    assert F.resolve_sources(None, str(tmp_path))[0].kind == "folder"
    with pytest.raises(UserError, match="configured: Минобр, old"):
        F.resolve_sources(cfg, "nowhere")


def test_a_socks_proxy_without_its_package_is_one_line(paths):
    pytest.importorskip("httpx")
    try:
        import socksio  # noqa: F401
        pytest.skip("socksio is installed")
    except ImportError:
        pass
    src = F.Source(name="socks", kind="url", url="http://example.invalid/w.xlsx",
                       proxy="socks5://127.0.0.1:1080")
    report = F.fetch_once(paths, sources=[src])
    assert report.exit_code == 1
    (message,) = report.errors
    assert message.startswith("“socks”: proxy “socks5://127.0.0.1:1080” is not usable")
    assert "socksio" in message and "\n" not in message


def test_sniff_reads_a_few_bytes_of_a_bombed_mimetype(tmp_path):
    path = tmp_path / "bomb.ods"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("mimetype", b"\0" * (20 * 1024 * 1024))   # 20 MB of zeros, ~20 KB packed
    assert path.stat().st_size < 100_000
    with pytest.raises(ValueError, match="not an xlsx/ods spreadsheet"):
        F.sniff_spreadsheet(path)
