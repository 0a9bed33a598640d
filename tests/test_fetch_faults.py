"""A misbehaving server, a full or read-only disk, a crashing reader: ``fetch`` never ends in a
traceback (issue 10).

Each fault hits one file (or one source) of two.  What a user sees is checked every time: the
exit code, one ``sferum-tui:`` line per failed file naming the file and the source, the other
file imported (the run went on), the state file written, no traceback, nothing left in the
download cache.  Limits are made small in the test's own config so each test takes a second or
two at most.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from sferum_tui.core.acquire import fetch as F  # noqa: E402
from sferum_tui.core.ingest.limits import Limits  # noqa: E402
from sferum_tui.core.paths import resolve_paths  # noqa: E402
from sferum_tui.i18n import set_language  # noqa: E402

from cloud_server import CloudServer, cloud  # noqa: E402,F401 (cloud: a fixture)
from fetch_support import (  # noqa: E402,F401
    FOLDER,
    cache_files,
    csv_week,
    far_cell_xlsx,
    fetch,
    home,
    refused_csv,
    snapshots,
    week,
)

BAD, GOOD = "Мониторинг 15.04-21.04.csv", "Мониторинг 22.04-28.04.csv"


def two_files(cloud: CloudServer) -> str:
    """A folder with two weeks; the faults below are aimed at the first (``BAD``)."""
    cloud.add_folder(FOLDER, "Мониторинг")
    cloud.add_file(FOLDER, BAD, csv_week(week(0)), mtime=1682085600)
    cloud.add_file(FOLDER, GOOD, csv_week(week(1)), mtime=1682690400)
    cloud.faults.target = "15.04-21.04"
    return cloud.public_url(FOLDER)


def state(home: Path) -> dict[str, str]:
    """The state file: file name -> status."""
    data = json.loads((home / "fetch-state.json").read_text(encoding="utf-8"))
    return {r["name"]: r["status"] for r in data["files"]}


def write_config(home: Path, text: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(text, encoding="utf-8")


def assert_one_failed(run, link: str, name: str, why: str) -> str:
    """Exit 1; exactly one error line, naming the source, the file and why; no escape."""
    assert run.code == 1, run.out + run.err
    assert len(run.error_lines) == 1, run.err
    line = run.error_lines[0]
    assert f"“{link}”" in line and name in line and why in line, line
    assert "\x1b" not in run.out + run.err and "Traceback" not in run.err
    return line


def assert_went_on(home: Path, weeks: int = 1) -> None:
    """The other file was imported, the state written, nothing left half-done in the cache."""
    assert len(snapshots(home)) == weeks
    assert state(home).get(GOOD) == "imported"
    assert BAD not in state(home)
    assert cache_files(home) == []


# ------------------------------------------------------------------------------ names


def test_a_name_over_255_bytes_in_the_listing_is_shortened_not_fatal(cloud, fetch, home):
    long_name = "Мониторинг \x1b]0;pwned\x07" + "очень длинное имя " * 12 + ".csv"
    assert len(long_name.encode()) > 255
    cloud.add_folder(FOLDER)
    cloud.add_file(FOLDER, long_name, csv_week(week(0)), mtime=1682085600)
    cloud.add_file(FOLDER, GOOD, csv_week(week(1)), mtime=1682690400)

    run = fetch(cloud.public_url(FOLDER))

    assert run.code == 0, run.err
    assert len(snapshots(home)) == 2
    stored = [n for n in state(home) if n != GOOD]
    assert len(stored) == 1 and stored[0].endswith(".csv")
    assert len(stored[0].encode()) <= 200 and "\x1b" not in stored[0]
    assert "\x1b" not in run.out + run.err and "\x07" not in run.out + run.err
    assert fetch(cloud.public_url(FOLDER)).code == 3          # not fetched again on every run


def test_a_name_over_255_bytes_in_content_disposition_is_shortened(cloud, fetch, home):
    long_name = "Мониторинг Сферум " * 15 + "15.04-21.04.2023.csv"
    url = cloud.add_plain("/dl/7", long_name, csv_week(week(0)))

    run = fetch(url)

    assert run.code == 0, run.err
    assert len(snapshots(home)) == 1
    (name,) = state(home)
    assert name.startswith("Мониторинг Сферум") and name.endswith(".csv") and "~" in name
    assert len(name.encode()) <= 200                          # start + hash + extension
    assert fetch(url).code == 3


# ------------------------------------------------------------------------------ answers


@pytest.mark.parametrize("fault,why", [
    ("redirect_loop", "too many redirects"),
    ("gzip_garbage", "compressed data is damaged"),
])
def test_a_broken_answer_fails_that_file_and_the_run_goes_on(cloud, fetch, home, fault, why):
    link = two_files(cloud)
    cloud.faults.download = fault

    run = fetch(link, "--retries", "1")

    assert_one_failed(run, link, BAD, why)
    assert_went_on(home)


def test_an_endless_json_listing_is_capped_and_the_next_source_is_fetched(cloud, fetch, home):
    link = cloud.public_url(FOLDER)
    cloud.add_folder(FOLDER)
    plain = cloud.add_plain("/files/week.csv", GOOD, csv_week(week(1)))
    write_config(home, f'[[sources]]\nname = "cloud"\nurl = "{link}"\n'
                       f'[[sources]]\nname = "site"\nurl = "{plain}"\n')
    cloud.faults.list = "endless_json"

    started = time.monotonic()
    run = fetch()

    assert run.code == 1
    (line,) = run.error_lines
    assert line.startswith("sferum-tui: “cloud”: listing the folder: the answer is larger than "
                           "10.0 MB"), line
    assert time.monotonic() - started < 10
    assert len(snapshots(home)) == 1 and state(home) == {"week.csv": "imported"}


def test_retry_after_is_honoured_with_a_little_jitter(cloud, fetch, home):
    link = two_files(cloud)
    cloud.faults.download, cloud.faults.times, cloud.faults.retry_after = "429", 1, "1"

    run = fetch(link)

    assert run.code == 0, run.err
    assert "HTTP 429" in run.err and "retry 1 of 4" in run.err
    assert "\x1b" not in run.err and "pwned" in run.err      # the page title, cleaned
    hits = [t for (m, p, _), t in zip(cloud.requests, cloud.stamps)
            if m == "GET" and p.startswith("/storage/") and "15.04" in p]
    assert len(hits) == 2
    assert 1.0 <= hits[1] - hits[0] < 1.0 * (1 + F.JITTER) + 0.5
    assert len(snapshots(home)) == 2


def test_retry_after_as_a_date_and_its_cap():
    from datetime import UTC, datetime, timedelta
    from email.utils import format_datetime

    soon = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 28 <= F.retry_after({"retry-after": soon}) <= 30
    assert F.retry_after({"retry-after": "Sun, 06 Nov 1994 08:49:37 GMT"}) == 0
    assert F.retry_after({"retry-after": "soon"}) == 0 and F.retry_after({}) == 0
    s = F.FetchSettings(backoff_base=0.01)
    assert all(F.RETRY_AFTER_MAX <= s.retry_delay(0, 10 ** 9) <= F.RETRY_AFTER_MAX * 1.25
               for _ in range(20))
    assert all(0.01 <= s.retry_delay(0) <= 0.0125 for _ in range(20))


# ------------------------------------------------------------------------------ limits


def test_an_endless_body_stops_at_max_bytes_and_the_part_is_removed(cloud, tmp_path):
    set_language("en")
    endless = cloud.add_plain("/files/endless.csv", BAD, b"")
    good = cloud.add_plain("/files/good.csv", GOOD, csv_week(week(1)))
    cloud.faults.plain, cloud.faults.target = "endless", "endless"
    config = SimpleNamespace(limits=Limits(max_file_bytes=1024 * 1024))   # as cfg.limits will be
    paths = resolve_paths(tmp_path / "home")
    sources = [F.Source(name="endless", kind="url", url=endless),
               F.Source(name="good", kind="url", url=good)]

    started = time.monotonic()
    report = F.fetch_once(paths, config, sources=sources)

    assert time.monotonic() - started < 10
    assert report.exit_code == 1
    (message,) = report.errors
    assert message == ("“endless”: downloading “endless.csv”: the file is larger than the limit "
                       "of 1.0 MB (the input file limit, [limits]); the download was stopped"), message
    assert [r.name for r in report.new] == ["good.csv"]
    assert cache_files(paths.home) == []                      # the .part is gone


def test_a_slow_body_ends_at_the_deadline_and_releases_the_lock(cloud, fetch, home):
    link = two_files(cloud)
    write_config(home, "[fetch]\ndeadline_seconds = 1\nmin_kb_per_second = 0\n")
    cloud.faults.download, cloud.faults.slow_every = "slow", 0.25

    started = time.monotonic()
    run = fetch(link, "--timeout", "1")
    took = time.monotonic() - started

    assert_one_failed(run, link, BAD, "did not finish within 1 s")
    assert took < 1 + 1 + 2, took                # the deadline, one read at most, the rest
    assert_went_on(home)
    cloud.faults.download = None
    again = fetch(link)                          # the lock was released
    assert again.code == 0 and len(snapshots(home)) == 2


def test_a_body_below_the_minimum_rate_is_given_up(cloud, fetch, home):
    link = two_files(cloud)
    write_config(home, "[fetch]\nmin_kb_per_second = 1\n")
    cloud.faults.download, cloud.faults.slow_every = "slow", 0.1

    started = time.monotonic()
    run = fetch(link, "--timeout", "1")

    assert_one_failed(run, link, BAD, "too slow")
    assert time.monotonic() - started < 5
    assert_went_on(home)


def test_a_listed_size_over_the_limit_is_not_downloaded(cloud, tmp_path):
    set_language("en")
    link = two_files(cloud)
    cloud.faults.target = None
    cloud.nodes[f"{FOLDER}/{BAD}"].data = csv_week(week(0)) * 200      # ~70 KB
    config = SimpleNamespace(limits=Limits(max_file_bytes=16 * 1024))
    paths = resolve_paths(tmp_path / "home")
    report = F.fetch_once(paths, config, link)
    assert report.exit_code == 1 and "larger than the limit of 16.0 KB" in report.errors[0]
    assert [r.name for r in report.new] == [GOOD]
    assert not any(p.startswith("/storage/") and "15.04" in p for _, p, _ in cloud.requests)


# ------------------------------------------------------------------------------ the disk


@pytest.fixture
def mount_tmpfs():
    """Mount a small tmpfs (root only; skipped where mounting is not allowed)."""
    mounted: list[Path] = []

    def mount(where: Path, options: str) -> None:
        where.mkdir(parents=True, exist_ok=True)
        if os.geteuid() != 0:
            pytest.skip("mounting a tmpfs needs root")
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)],
                              capture_output=True)
        if done.returncode != 0:
            pytest.skip("tmpfs cannot be mounted here: " + done.stderr.decode(errors="replace"))
        mounted.append(where)

    yield mount
    for where in reversed(mounted):
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def test_a_full_disk_fails_that_file_and_frees_its_space(cloud, fetch, home, mount_tmpfs):
    link = two_files(cloud)
    cloud.faults.target = None
    cloud.nodes[f"{FOLDER}/{BAD}"].data = csv_week(week(0)) * 1200     # ~400 KB
    mount_tmpfs(home / "cache", "size=256k")

    run = fetch(link)

    assert_one_failed(run, link, BAD, "no space left on the disk")
    assert_went_on(home)                          # the .part was removed: GOOD fitted


def test_a_read_only_home_is_one_line(cloud, fetch, home, mount_tmpfs):
    link = two_files(cloud)
    mount_tmpfs(home, "size=64k,ro")

    run = fetch(link)

    assert run.code == 1
    (line,) = run.error_lines
    assert "read-only" in line, line          # the store says so before any download
    assert snapshots(home) == [] and not (home / "fetch-state.json").exists()


def test_a_read_only_state_file_does_not_stop_the_files(cloud, fetch, home, mount_tmpfs):
    """The cache can be written but the home (state, store) cannot: one line per file."""
    link = two_files(cloud)
    cloud.faults.target = None
    mount_tmpfs(home, "size=1m")
    mount_tmpfs(home / "cache", "size=1m")
    subprocess.run(["mount", "-o", "remount,ro", str(home)], check=True)

    run = fetch(link)

    assert run.code == 1 and "Traceback" not in run.err
    assert len(run.error_lines) >= 1
    assert all("read-only" in line for line in run.error_lines), run.err


# ------------------------------------------------------------------------------ the reader


def test_a_file_the_store_refuses_is_skipped_then_retried_with_retry_refused(cloud, fetch, home):
    link = two_files(cloud)
    cloud.faults.target = None
    cloud.nodes[f"{FOLDER}/{BAD}"].data = refused_csv(week(0))

    run = fetch(link)
    assert run.code == 1 and len(run.error_lines) == 1
    assert BAD in run.error_lines[0] and f"“{link}”" in run.error_lines[0]
    assert state(home) == {BAD: "rejected", GOOD: "imported"}

    again = fetch(link)                           # refused files do not block the queue
    assert again.code == 3 and "it was refused before" in again.out
    assert "fetch --retry-refused" in again.out

    write_config(home, '[aliases]\n"Объект" = "org_name"\n"Код" = "org_id"\n')
    retried = fetch(link, "--retry-refused")
    assert retried.code == 0, retried.err
    assert state(home) == {BAD: "imported", GOOD: "imported"}
    assert len(snapshots(home)) == 2


def test_a_reader_that_kills_the_process_is_refused_on_the_next_run(cloud, home):
    """The spreadsheet library aborts the process (SIGABRT) on a cell at XFD1048576 unless the
    input limits refuse it first; either way the next run is not blocked by that file."""
    cloud.add_folder(FOLDER)
    cloud.add_file(FOLDER, "Мониторинг 15.04-21.04.xlsx", far_cell_xlsx(), mtime=1682085600)
    cloud.add_file(FOLDER, GOOD, csv_week(week(1)), mtime=1682690400)
    link = cloud.public_url(FOLDER)
    env = dict(os.environ, SFERUM_TUI_CLOUD_BASE=cloud.url, SFERUM_TUI_FETCH_BACKOFF="0.01")
    command = [sys.executable, "-m", "sferum_tui.cli", "--home", str(home), "--lang", "en",
               "fetch", link]

    first = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
    second = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)

    assert "Traceback" not in first.stderr + second.stderr
    if first.returncode < 0:                      # killed inside the reader
        assert second.returncode == 1, second.stderr
        lines = [x for x in second.stderr.splitlines() if x.startswith("sferum-tui:")]
        assert len(lines) == 1 and "15.04-21.04.xlsx" in lines[0], second.stderr
        assert "the reader crashed" in lines[0] and "--retry-refused" in lines[0]
    else:                                         # refused by the input limits in one line
        assert first.returncode == 1 and second.returncode == 3
    assert state(home) == {"Мониторинг 15.04-21.04.xlsx": "rejected", GOOD: "imported"}
    third = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
    assert third.returncode == 3 and "it was refused before" in third.stdout


# ------------------------------------------------------------------------------ the command line


@pytest.mark.parametrize("flag,value,expected", [
    ("--timeout", "nan", "--timeout: expected a number from 1 to 3600, got “nan”"),
    ("--timeout", "inf", "--timeout: expected a number from 1 to 3600, got “inf”"),
    ("--timeout", "-1", "--timeout: expected a number from 1 to 3600, got “-1”"),
    ("--timeout", "1e308", "--timeout: expected a number from 1 to 3600, got “1e308”"),
    ("--timeout", "0.3", "--timeout: expected a number from 1 to 3600, got “0.3”"),
    ("--retries", "1e20", "--retries: expected a whole number from 0 to 20, got “1e20”"),
    ("--retries", "21", "--retries: expected a whole number from 0 to 20, got “21”"),
    ("--wait-tries", "0", "--wait-tries: expected a whole number from 1 to 100, got “0”"),
    ("--wait-interval", "0", "--wait-interval: expected a number above 0 and at most 1440, got “0”"),
    ("--wait-interval", "nan", "--wait-interval: expected a number above 0 and at most 1440, got “nan”"),
])
def test_bad_numbers_on_the_command_line_are_one_line(cloud, fetch, home, flag, value, expected):
    run = fetch(cloud.public_url(FOLDER), flag, value)
    assert run.code == 1
    assert run.error_lines == [f"sferum-tui: {expected}"], run.err
    assert run.err.count("\n") == 1 and cloud.requests == []


def test_a_bad_timeout_is_refused_in_russian(cloud, fetch, home):
    run = fetch(cloud.public_url(FOLDER), "--timeout", "nan", lang="ru")
    assert run.error_lines == ["sferum-tui: --timeout: ожидается число от 1 до 3600, указано «nan»"]


def test_a_file_name_is_not_rich_markup_on_a_terminal(capsys):
    from sferum_tui.commands.fetch import _Printer

    printer = _Printer()
    printer.tty = True
    with printer:
        printer(F.FetchEvent("start", "s", "[/bold] week.xlsx", 0, 1000, "Downloading"))
        printer(F.FetchEvent("progress", "s", "[/bold] week.xlsx", 500, 1000))
        printer(F.FetchEvent("error", "s", "[/bold] week.xlsx", message="“s”: [/bold] broken"))
    assert "sferum-tui: “s”: [/bold] broken" in capsys.readouterr().err
