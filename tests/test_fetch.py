"""``sferum-tui fetch`` against a real local HTTP server shaped like cloud.mail.ru's public API.

Every test goes through ``sferum_tui.cli.main`` with ``SFERUM_TUI_CLOUD_BASE`` pointing at
:mod:`tests.cloud_server`; the files served are small real spreadsheets written at test time (fetch_support.py).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from sferum_tui.core.store import Store  # noqa: E402

from cloud_server import CloudServer, cloud  # noqa: E402,F401 (cloud: a fixture)
from fetch_support import (  # noqa: E402,F401
    FOLDER,
    cache_files,
    csv_week,
    fetch,
    home,
    snapshots,
    state_bytes,
    week,
    xlsx_week,
)

# ------------------------------------------------------------------------------ fixtures


def published_folder(cloud: CloudServer) -> str:
    """Three weekly files (two pages of listing), one in a sub-folder, and a letter to ignore."""
    cloud.add_folder(FOLDER, "Мониторинг Сферум")
    cloud.add_file(FOLDER, "Мониторинг 15.04-21.04.xlsx", xlsx_week(week(0)), mtime=1682085600)
    cloud.add_file(FOLDER, "Письмо 450.pdf", b"%PDF-1.4 letter", mtime=1682085600)
    cloud.add_file(FOLDER, "Мониторинг 22.04-28.04.csv", csv_week(week(1)), mtime=1682690400)
    cloud.add_file(f"{FOLDER}/Май", "Мониторинг 29.04-05.05.csv", csv_week(week(2), "cp1251"),
                   mtime=1683295200)
    return cloud.public_url(FOLDER)


# ------------------------------------------------------------------------------ the happy path


def test_first_fetch_imports_every_file_then_nothing_new(cloud, fetch, home):
    link = published_folder(cloud)

    first = fetch(link)
    assert first.code == 0, first.err
    assert "New files imported: 3." in first.out
    assert sorted(snapshots(home)) == [("15.04–21.04.2023", link), ("22.04–28.04.2023", link),
                                       ("29.04–05.05.2023", link)]
    # the listing was paged (page_cap=2) and the sub-folder was walked
    lists = [p for m, p, _ in cloud.requests if p.startswith("/api/v4/public/list")]
    assert any("offset=2" in p for p in lists)
    assert any("%D0%9C%D0%B0%D0%B9" in p for p in lists)
    assert len(cloud.downloads()) == 3
    assert not any("pdf" in p for p in cloud.downloads())
    assert cache_files(home) == []          # imported files leave the cache
    state = json.loads(state_bytes(home))
    assert {r["status"] for r in state["files"]} == {"imported"}
    assert {r["name"] for r in state["files"]} == {
        "Мониторинг 15.04-21.04.xlsx", "Мониторинг 22.04-28.04.csv", "Мониторинг 29.04-05.05.csv"}
    assert all(len(r["sha256"]) == 64 and r["size"] and r["mtime"] for r in state["files"])

    cloud.requests.clear()
    second = fetch(link)
    assert second.code == 3, second.err
    assert "Nothing new." in second.out
    assert cloud.downloads() == []          # decided by name + size + mtime, nothing downloaded
    assert len(snapshots(home)) == 3


def test_a_new_file_appears_and_only_it_is_fetched(cloud, fetch, home):
    link = published_folder(cloud)
    assert fetch(link).code == 0
    cloud.add_file(FOLDER, "Мониторинг 06.05-12.05.csv", csv_week(week(3)), mtime=1683900000)
    cloud.requests.clear()

    run = fetch(link)
    assert run.code == 0, run.err
    assert "New files imported: 1." in run.out
    assert [p.rsplit("/", 1)[-1] for p in cloud.downloads()] == [
        "%D0%9C%D0%BE%D0%BD%D0%B8%D1%82%D0%BE%D1%80%D0%B8%D0%BD%D0%B3%2006.05-12.05.csv"]
    assert len(snapshots(home)) == 4


def test_a_file_replaced_on_the_cloud_is_fetched_again(cloud, fetch, home):
    link = published_folder(cloud)
    assert fetch(link).code == 0
    # the same name, re-uploaded with corrected numbers: new size/mtime, new content
    weblink = f"{FOLDER}/Мониторинг 22.04-28.04.csv"
    cloud.replace_file(weblink, csv_week(week(1), users_bump=1000), mtime=1682700000)
    run = fetch(link)
    # the store holds that week already from another file: it refuses, and says how to replace
    assert run.code == 1
    assert len(run.error_lines) == 1 and "--replace" in run.error_lines[0]
    # the refusal is remembered: the next run does not download it again and reports nothing new
    cloud.requests.clear()
    again = fetch(link)
    assert again.code == 3
    assert "refused before" in again.out
    assert cloud.downloads() == []


def test_re_uploaded_identical_file_is_recognised_by_sha256(cloud, fetch, home):
    link = published_folder(cloud)
    assert fetch(link).code == 0
    weblink = f"{FOLDER}/Мониторинг 22.04-28.04.csv"
    cloud.replace_file(weblink, csv_week(week(1)), mtime=1682790000)   # only mtime changed
    run = fetch(link)
    assert run.code == 3, run.err
    assert "Already in the store: 1." in run.out
    assert len(snapshots(home)) == 3


def test_a_file_imported_by_hand_before_is_not_imported_twice(cloud, fetch, home, tmp_path):
    link = published_folder(cloud)
    manual = tmp_path / "Мониторинг 15.04-21.04.xlsx"
    manual.write_bytes(cloud.nodes[f"{FOLDER}/Мониторинг 15.04-21.04.xlsx"].data)
    with Store(home) as store:
        store.import_file(manual)
    run = fetch(link)
    assert run.code == 0
    assert "New files imported: 2. Already in the store: 1." in run.out
    assert len(snapshots(home)) == 3


def test_dry_run_lists_and_writes_nothing(cloud, fetch, home):
    link = published_folder(cloud)
    run = fetch(link, "--dry-run")
    assert run.code == 0
    assert "would fetch: Мониторинг 15.04-21.04.xlsx" in run.out
    assert "would fetch: Май/Мониторинг 29.04-05.05.csv" in run.out
    assert "Files to fetch: 3." in run.out
    assert cloud.downloads() == []
    assert not home.exists()


def test_dry_run_with_nothing_new_exits_3(cloud, fetch, home):
    link = published_folder(cloud)
    assert fetch(link).code == 0
    run = fetch(link, "--dry-run")
    assert run.code == 3 and "Nothing new." in run.out


def test_a_published_single_file(cloud, fetch, home):
    cloud.add_file(None, "Сферум 15.04-21.04.2023.xlsx", xlsx_week(week(0)),
                   weblink="Ab12/CdEf34")
    run = fetch(cloud.public_url("Ab12/CdEf34"))
    assert run.code == 0, run.err
    assert snapshots(home) == [("15.04–21.04.2023", cloud.public_url("Ab12/CdEf34"))]


def test_older_api_shapes_are_used_when_the_new_ones_are_gone(cloud, fetch, home):
    link = published_folder(cloud)
    cloud.faults.v4_gone = True
    cloud.faults.v3_dispatcher_gone = True
    run = fetch(link)
    assert run.code == 0, run.err
    paths = [p for _, p, _ in cloud.requests]
    assert any(p.startswith("/api/v2/folder") and "offset=2" in p for p in paths)
    assert any(p.startswith("/api/v2/dispatcher") for p in paths)
    assert len(snapshots(home)) == 3


def test_messages_are_russian_by_default(cloud, fetch, home):
    cloud.faults.list = "404"
    run = fetch(cloud.public_url("Gone/Link"), lang="ru")
    assert run.code == 1
    assert run.error_lines == [
        "sferum-tui: «https://cloud.mail.ru/public/Gone/Link»: список файлов: публичная ссылка не "
        "найдена (HTTP 404) — её удалили или в ней ошибка: https://cloud.mail.ru/public/Gone/Link"]


# ------------------------------------------------------------------------------ recoverable faults


def test_retries_a_500_then_succeeds(cloud, fetch, home):
    link = published_folder(cloud)
    cloud.faults.download, cloud.faults.times = "500", 2
    run = fetch(link)
    assert run.code == 0, run.err
    assert "HTTP 500" in run.err and "retry 1 of 4" in run.err
    assert len(snapshots(home)) == 3


def test_retries_a_timeout_then_succeeds(cloud, fetch, home):
    link = published_folder(cloud)
    cloud.faults.list, cloud.faults.times, cloud.faults.delay = "timeout", 1, 1.3
    run = fetch(link, "--timeout", "1")
    assert run.code == 0, run.err
    assert "no answer within 1 s" in run.err


def test_a_cut_download_resumes_with_range(cloud, fetch, home):
    link = published_folder(cloud)
    cloud.faults.download, cloud.faults.times = "cut", 1
    run = fetch(link)
    assert run.code == 0, run.err
    assert "connection broke" in run.err
    ranges = [h.get("Range") for _, p, h in cloud.requests if p.startswith("/storage/")]
    assert any(r and r.startswith("bytes=") and r != "bytes=0-" for r in ranges)
    assert len(snapshots(home)) == 3


def test_a_cut_download_restarts_when_the_server_cannot_resume(cloud, fetch, home):
    link = published_folder(cloud)
    cloud.faults.download, cloud.faults.times, cloud.faults.ranges = "cut", 1, False
    run = fetch(link)
    assert run.code == 0, run.err
    assert len(snapshots(home)) == 3
    assert cache_files(home) == []


# ------------------------------------------------------------------------------ faults that stay


@pytest.fixture
def one_week_held(cloud, fetch, home):
    """A folder whose first week is already imported; a second week has just appeared."""
    cloud.add_folder(FOLDER)
    cloud.add_file(FOLDER, "Мониторинг 15.04-21.04.csv", csv_week(week(0)))
    assert fetch(cloud.public_url(FOLDER)).code == 0
    cloud.add_file(FOLDER, "Мониторинг 22.04-28.04.xlsx", xlsx_week(week(1)), mtime=1682690400)
    return cloud.public_url(FOLDER)


FAULTS = [
    ("list", "500", "listing the folder: HTTP 500"),
    ("list", "timeout", "listing the folder: no answer within 1 s (2 tries)"),
    ("list", "shape", "listing the folder: unexpected answer from the cloud — api/v4/public/list: "
                      "HTTP 200, «{\"result\": \"ok\""),
    ("list", "html", "api/v2/folder: HTTP 200, an HTML page “Облако Mail.ru”"),
    ("list", "404", "the public link is gone (HTTP 404)"),
    ("list", "410", "the public link is gone (HTTP 410)"),
    ("dispatcher", "shape", "download server (dispatcher): unexpected answer from the cloud — "
                            "api/v3/dispatcher: HTTP 200"),
    ("download", "500", "downloading “Мониторинг 22.04-28.04.xlsx”: HTTP 500"),
    ("download", "timeout", "downloading “Мониторинг 22.04-28.04.xlsx”: no answer within 1 s"),
    ("download", "cut", "the connection broke"),
    ("download", "wrong_size", "checking “Мониторинг 22.04-28.04.xlsx”: size mismatch: expected"),
    ("download", "html", "got an HTML page instead of a spreadsheet"),
    ("download", "404", "the file is gone (HTTP 404)"),
    ("download", "410", "the file is gone (HTTP 410)"),
]


@pytest.mark.parametrize("step,fault,expected", FAULTS, ids=[f"{s}-{f}" for s, f, _ in FAULTS])
def test_a_fault_is_one_clear_line_and_changes_nothing(cloud, fetch, home, one_week_held,
                                                       step, fault, expected):
    store_before, state_before = snapshots(home), state_bytes(home)
    setattr(cloud.faults, step, fault)
    cloud.faults.delay = 1.3      # past the shortest timeout the command line accepts (1 s)

    run = fetch(one_week_held, "--timeout", "1", "--retries", "1")

    assert run.code == 1
    assert len(run.error_lines) == 1, run.err
    line = run.error_lines[0]
    assert expected in line, line
    assert line.startswith(f"sferum-tui: “{one_week_held}”: ") or \
        line.startswith(f"sferum-tui: «{one_week_held}»: ")
    assert len(line) < 400
    assert snapshots(home) == store_before
    assert state_bytes(home) == state_before
    assert cache_files(home) == []          # no partial or half-checked file left behind


def test_changed_json_shapes_everywhere_say_which_step_failed(cloud, fetch, home):
    link = published_folder(cloud)
    cloud.faults.list = "shape"
    run = fetch(link)
    assert run.code == 1
    (line,) = run.error_lines
    assert "api/v4/public/list" in line and "api/v2/folder" in line
    assert "expected fields missing" in line


def test_one_bad_file_does_not_stop_the_others(cloud, fetch, home):
    link = published_folder(cloud)
    cloud.add_file(FOLDER, "Сводка.xlsx", "<!DOCTYPE html><html><title>Вход</title></html>".encode(),
                   mtime=1682690400)
    run = fetch(link)
    assert run.code == 1                     # an error wins over new data: cron must see it
    assert len(run.error_lines) == 1 and "Сводка.xlsx" in run.error_lines[0]
    assert "New files imported: 3. Errors: 1." in run.out
    assert len(snapshots(home)) == 3


# ------------------------------------------------------------------------------ other sources


def test_plain_url_named_by_content_disposition(cloud, fetch, home):
    url = cloud.add_plain("/dl/7", "Мониторинг Сферум 15.04-21.04.2023.xlsx", xlsx_week(week(0)))
    run = fetch(url)
    assert run.code == 0, run.err
    assert "Мониторинг Сферум 15.04-21.04.2023.xlsx" in run.out
    assert snapshots(home) == [("15.04–21.04.2023", url)]
    cloud.requests.clear()
    again = fetch(url)
    assert again.code == 3                   # HEAD: same size and Last-Modified
    assert cloud.downloads() == []


def test_plain_url_serving_a_login_page_is_refused(cloud, fetch, home):
    url = cloud.add_plain("/files/week.xlsx", "week.xlsx", xlsx_week(week(0)))
    cloud.faults.plain = "html"
    run = fetch(url)
    assert run.code == 1
    (line,) = run.error_lines
    assert "got an HTML page instead of a spreadsheet" in line and "Облако Mail.ru" in line
    assert snapshots(home) == [] and cache_files(home) == []


def test_plain_url_dead_link(cloud, fetch, home):
    run = fetch(cloud.url + "/files/nothing-here.xlsx")
    assert run.code == 1
    assert "nothing at the link (HTTP 404)" in run.error_lines[0]


def write_config(home: Path, text: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(text, encoding="utf-8")


def test_configured_sources_folder_pattern_and_disabled(cloud, fetch, home, tmp_path):
    inbox = tmp_path / "inbox"
    (inbox / "old").mkdir(parents=True)
    (inbox / "week16.csv").write_bytes(csv_week(week(0)))
    (inbox / "old" / "week17.csv").write_bytes(csv_week(week(1)))
    (inbox / "notes.txt").write_text("not a spreadsheet")
    (inbox / "~$week16.xlsx").write_bytes(b"lock")
    link = published_folder(cloud)
    write_config(home, f"""
[[sources]]
name = "inbox"
path = "{inbox.as_posix()}"
pattern = "*.csv; old/*.csv"

[[sources]]
name = "ministry"
url = "{link}"
enabled = false
""")
    run = fetch()
    assert run.code == 0, run.err
    assert sorted(snapshots(home)) == [("15.04–21.04.2023", "inbox"), ("22.04–28.04.2023", "inbox")]
    assert cloud.requests == []              # the disabled source was not asked
    assert fetch().code == 3
    assert fetch("inbox").code == 3
    (inbox / "week18.csv").write_bytes(csv_week(week(3)))
    assert fetch("INBOX").code == 0          # names match regardless of case


def test_unknown_source_and_no_sources(cloud, fetch, home):
    run = fetch("nowhere")
    assert run.code == 1
    assert run.error_lines == ["sferum-tui: Source “nowhere” not found: it is not a configured "
                               "name, an http(s) link or a folder (configured: none)"]
    run = fetch()
    assert run.code == 1 and "No sources configured" in run.error_lines[0]


def test_source_proxy_is_used(cloud, fetch, home):
    # the test server also answers absolute-form requests, so it can stand in for a proxy
    cloud.add_plain("/files/week16.xlsx", "week16.xlsx", xlsx_week(week(0)))
    write_config(home, f"""
[[sources]]
name = "via-proxy"
url = "http://files.example.invalid/files/week16.xlsx"
proxy = "{cloud.url}"
""")
    run = fetch("via-proxy")
    assert run.code == 0, run.err
    assert any(p.startswith("http://files.example.invalid/files/") for _, p, _ in cloud.requests)


def test_proxy_from_the_environment_is_honoured(cloud, fetch, home, monkeypatch):
    cloud.add_plain("/files/week16.xlsx", "week16.xlsx", xlsx_week(week(0)))
    monkeypatch.setenv("HTTP_PROXY", cloud.url)
    run = fetch("http://weekly.example.invalid/files/week16.xlsx")
    assert run.code == 0, run.err
    assert any(p.startswith("http://weekly.example.invalid/") for _, p, _ in cloud.requests)


def test_bad_proxy_is_one_line(cloud, fetch, home):
    write_config(home, """
[[sources]]
name = "bad"
url = "http://files.example.invalid/week.xlsx"
proxy = "http://127.0.0.1:9"
timeout = 1
""")
    run = fetch("bad", "--retries", "0")
    assert run.code == 1
    assert len(run.error_lines) == 1 and "“bad”" in run.error_lines[0]


# ------------------------------------------------------------------------------ --wait, -q


def test_wait_gives_up_after_the_bounded_tries(cloud, fetch, home):
    link = published_folder(cloud)
    assert fetch(link).code == 0
    run = fetch(link, "--wait", "--wait-tries", "3", "--wait-interval", "0.0005")
    assert run.code == 3
    assert "Nothing new yet (try 1 of 3)" in run.out
    assert "Nothing new yet (try 2 of 3)" in run.out
    assert "try 3 of 3" not in run.out


def test_wait_returns_as_soon_as_something_new_is_imported(cloud, fetch, home):
    link = published_folder(cloud)
    run = fetch(link, "--wait", "--wait-tries", "5", "--wait-interval", "0.0005")
    assert run.code == 0
    assert "Nothing new yet" not in run.out


def test_wait_and_dry_run_do_not_mix(cloud, fetch):
    run = fetch("https://cloud.mail.ru/public/A/B", "--wait", "--dry-run")
    assert run.code == 1 and "cannot be combined" in run.error_lines[0]


def test_quiet_prints_only_imports_and_errors(cloud, fetch, home):
    link = published_folder(cloud)
    run = fetch(link, "-q")
    assert run.code == 0
    assert run.err == ""
    lines = run.out.splitlines()
    assert len(lines) == 4 and lines[-1] == "New files imported: 3."
    assert all("imported" in line for line in lines)
    again = fetch(link, "-q")
    assert again.code == 3 and again.out == "" and again.err == ""
