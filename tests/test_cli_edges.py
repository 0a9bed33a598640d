"""The command line's rough edges, as a user meets them: a municipality that is not there,
``shortlist`` alone, no terminal, standard input as a file, piped reports, the demo printout,
``--debug`` and the log of an unexpected error (the CLI's and the console's).  Real stores
built with ``sferum-tui import``, the real ``main`` or the real program in a subprocess."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sferum_tui import logs
from sferum_tui.cli import main
from sferum_tui.core.ingest.limits import DEFAULT_LIMITS

from school_support import build_home
from tui_support import build_console_home, console, wait_for, wait_ready


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    return build_home(tmp_path_factory.mktemp("edges"))


@pytest.fixture(scope="module")
def console_home(tmp_path_factory) -> Path:
    """Three weeks and a registry: one school becomes inactive in the latest week."""
    return build_console_home(tmp_path_factory.mktemp("edges-console"))


@pytest.fixture(autouse=True)
def _no_log_left_behind():
    yield
    logs.setup(None)    # the root logger keeps no handler pointing into a test's folder


@pytest.fixture
def run(capsys, monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)

    def _run(*argv: str) -> tuple[int, str, str]:
        try:
            code = main(list(argv))
        except SystemExit as exc:
            code = exc.code
        out, err = capsys.readouterr()
        return code, out, err
    return _run


def program(*argv: str, stdin=subprocess.DEVNULL, env: dict | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess:
    """The installed program, as a shell runs it (no terminal: pipes and /dev/null)."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("COLUMNS", None)
    return subprocess.run([sys.executable, "-m", "sferum_tui.cli", *argv], stdin=stdin,
                          capture_output=True, env=full_env, timeout=timeout)


# ---------------------------------------------------------------------- item 14: mistakes

@pytest.mark.parametrize("command", [
    ["schools"],
    ["export", "-o", "-", "--format", "csv"],
    ["shortlist", "add", "Рассылка"],
])
def test_unknown_municipality_names_the_closest_and_exits_1(run, home, store_dump, command):
    before = store_dump(home)
    code, out, err = run("--home", str(home), *command, "--municipality", "Левошинский")
    assert code == 1 and out == ""
    assert err.splitlines() == [
        "sferum-tui: --municipality «Левошинский»: такого муниципалитета нет в неделе "
        "29.04–05.05.2023; ближайшие: Левашинский район; Сергокалинский район"]
    assert store_dump(home) == before


def test_unknown_municipality_in_english_and_a_fragment_still_matches(run, home):
    code, _, err = run("--home", str(home), "--lang", "en", "schools", "--municipality", "Нетакого")
    assert code == 1
    assert "no such municipality in the week 29.04–05.05.2023; the closest:" in err
    code, out, _ = run("--home", str(home), "schools", "--municipality", "левашинский",
                       "--format", "json")
    assert code == 0 and {r["municipality"] for r in json.loads(out)} == {"Левашинский район"}


def test_shortlist_alone_lists_the_shortlists(run, tmp_path):
    root = build_home(tmp_path)
    code, out, err = run("--home", str(root), "shortlist")
    assert code == 0 and "Списков нет" in out and err == ""
    assert run("--home", str(root), "shortlist", "add", "Рассылка", "0527001235")[0] == 0
    code, out, _ = run("--home", str(root), "shortlist")
    assert code == 0
    assert out == run("--home", str(root), "shortlist", "list")[1]
    assert "Рассылка" in out


# ---------------------------------------------------------------------- item 15: no terminal

def test_no_terminal_gives_a_hint_not_the_full_screen_console(home):
    done = program("--home", str(home))
    assert done.returncode == 2
    assert done.stdout == b""                                  # no escape codes at all
    err = done.stderr.decode()
    assert len(err.splitlines()) == 1 and "sferum-tui summary" in err
    done = program("--home", str(home), "--lang", "en")
    assert "the console needs a terminal" in done.stderr.decode()


def test_demo_with_no_terminal_builds_the_store_then_hints(tmp_path):
    done = program("--home", str(tmp_path), "demo", "--scale", "district", "--weeks", "1")
    assert done.returncode == 0, done.stderr
    assert "sferum-tui --demo summary" in done.stderr.decode()
    assert (tmp_path / "demo" / "store.sqlite").exists()


# ---------------------------------------------------------------------- item 16: stdin

def test_import_and_inspect_read_standard_input(tmp_path, home):
    week = home.parent / "files" / "sferum-week1.csv"
    fresh = tmp_path / "fresh"
    with week.open("rb") as f:
        done = program("--home", str(fresh), "import", "-", "--name", "неделя-16.csv", stdin=f)
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().startswith("неделя-16.csv: импортирована неделя 15.04–21.04.2023")
    with (home.parent / "files" / "sferum-week2.csv").open("rb") as f:
        assert program("--home", str(fresh), "import", "-", stdin=f).returncode == 0
    weeks = json.loads(program("--home", str(fresh), "weeks", "--json").stdout)
    assert [w["source"] for w in weeks] == ["неделя-16.csv", "stdin"]
    assert not list((fresh / "cache").glob("stdin-*"))      # the temporary copy is gone

    with week.open("rb") as f:
        done = program("--home", str(fresh), "inspect", "-", "--rows", "1", stdin=f)
    assert done.returncode == 0
    assert done.stdout.decode().splitlines()[0] == "Файл: stdin  [csv (utf-8, «;»)]"


def test_standard_input_mistakes_are_one_line(tmp_path, store_dump):
    home = tmp_path / "h"
    text = tmp_path / "text.txt"
    text.write_text("просто текст\n", encoding="utf-8")
    with text.open("rb") as f:
        done = program("--home", str(home), "import", "-", "--name", "week.xlsx", stdin=f)
    err = done.stderr.decode()
    assert done.returncode == 1 and len(err.splitlines()) == 1
    assert err.startswith("sferum-tui: week.xlsx: ") and str(tmp_path) not in err

    big = tmp_path / "big.bin"
    with big.open("wb") as f:                    # sparse: no disk, read at page-cache speed
        f.truncate(DEFAULT_LIMITS.max_file_bytes + 1)
    before = store_dump(home)
    with big.open("rb") as f:
        done = program("--home", str(home), "import", "-", stdin=f)
    assert done.returncode == 1
    assert done.stderr.decode().splitlines() == [
        "sferum-tui: stdin (стандартный ввод): больше предела 200 МБ; файл не прочитан"]
    assert store_dump(home) == before

    with text.open("rb") as f:
        done = program("--home", str(home), "inspect", "-", "-", stdin=f)
    assert done.returncode == 1 and "только один раз" in done.stderr.decode()


# ---------------------------------------------------------------------- item 18: piped output

def test_piped_changes_keep_full_names_and_every_reason(run, console_home, monkeypatch):
    code, out, _ = run("--home", str(console_home), "changes")
    assert code == 0
    line = next(x for x in out.splitlines() if x.startswith("0521004322"))
    assert "МБОУ «Цудахарская СОШ»" in line
    assert ("связано 2 пользователя, нужно больше 2; не создано ни одного класса; 0 из 1 учителя "
            "написали более 3 сообщений (0%, ниже 30%); зарегистрировано 1 из 55 сотрудников "
            "(2%, нужно 100%)") in line
    assert "…" not in out
    # a width asked for (a terminal, or COLUMNS) fits as before
    monkeypatch.setenv("COLUMNS", "80")
    code, out, _ = run("--home", str(console_home), "changes")
    assert all(len(x) <= 80 for x in out.splitlines())
    assert "МБОУ" not in out and "Цудахарская СОШ" in out


def test_piped_schools_and_summary_are_not_cut(run, console_home):
    code, out, _ = run("--home", str(console_home), "schools", "--reasons")
    assert code == 0
    assert "МКОУ «Сергокалинская СОШ №1»" in out and "…" not in out
    reasons = [x for x in out.splitlines() if x.lstrip().startswith("↳")]
    assert reasons and all("\n" not in r for r in reasons)
    assert any(len(x) > 120 for x in reasons)                # one line each, however long
    code, out, _ = run("--home", str(console_home), "summary")
    assert code == 0 and "…" not in out
    assert "Сотрудники, зарегистрированные на платформе" in out
    assert " Из " in out.splitlines()[3]                      # the «of» column, as on a wide terminal


# ---------------------------------------------------------------------- item 19: demo printout

def test_demo_printout_wraps_at_words_under_its_column(tmp_path, monkeypatch, capsys):
    def demo_words(out: str) -> list[str]:
        """The printout's words up to the timing line (the only part that differs by run)."""
        return out.split("Время:")[0].split()

    monkeypatch.setenv("COLUMNS", "80")
    assert main(["--home", str(tmp_path), "demo", "--scale", "district", "--weeks", "2",
                 "--no-open"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    start = next(i for i, x in enumerate(lines) if x.startswith("  Масштаб:"))
    column = lines[start].index("район")
    # nothing wider than 80 but a single word with no room to break (a long folder path)
    assert all(len(x) <= 80 or " " not in x[column:] for x in lines)
    for x in lines[start:]:
        if x.startswith("   "):                              # a continuation: under the value
            assert len(x) - len(x.lstrip()) == column
    assert "seed, случайное начальное число: 1" in " ".join(out.split())
    monkeypatch.delenv("COLUMNS")
    assert main(["--home", str(tmp_path), "demo", "--scale", "district", "--weeks", "2",
                 "--no-open"]) == 0
    piped = capsys.readouterr().out
    assert demo_words(piped) == demo_words(out)              # wrapped at words, none split
    assert max(len(x) for x in piped.splitlines()) > 80      # piped: one line per value


def test_seed_is_explained_in_the_help(run, tmp_path):
    _, out, _ = run("--home", str(tmp_path), "demo", "--help")
    assert "seed (случайное начальное число)" in " ".join(out.split())


# ---------------------------------------------------------------------- item 20: logging

class _BrokenOutput:
    """Standard output on a terminal that went away: every write fails (EIO)."""

    def write(self, text):
        raise OSError(5, "Input/output error")

    def flush(self):
        pass

    def isatty(self):
        return False


def test_unexpected_error_is_logged_and_shown_as_one_line(tmp_path, capsys, monkeypatch):
    root = build_home(tmp_path)
    capsys.readouterr()
    monkeypatch.setattr(sys, "stdout", _BrokenOutput())
    code = main(["--home", str(root), "weeks"])
    err = capsys.readouterr().err
    log_file = root / "logs" / "sferum-tui.log"
    assert code == 1
    assert err.splitlines() == [
        f"sferum-tui: непредвиденная ошибка (OSError: [Errno 5] Input/output error); "
        f"подробности — в журнале {log_file}"]
    text = log_file.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text and "cmd_weeks" in text


def test_a_quiet_run_writes_no_log_and_debug_speaks_on_stderr(tmp_path, capsys):
    root = build_home(tmp_path)
    capsys.readouterr()
    assert main(["--home", str(root), "weeks"]) == 0
    assert not (root / "logs").exists()
    assert main(["--home", str(root), "weeks", "--debug"]) == 0
    err = capsys.readouterr().err
    assert "DEBUG sferum_tui.cli: sferum-tui" in err and "'weeks'" in err
    assert (root / "logs" / "sferum-tui.log").exists()       # and the file has it too
    assert logs.MAX_BYTES == 1_000_000 and logs.BACKUPS == 3


def test_the_log_folder_is_the_platform_one_without_a_home(tmp_path, monkeypatch):
    import platformdirs

    from sferum_tui.core.paths import resolve_paths

    assert resolve_paths(None).log_dir == Path(platformdirs.user_log_dir("sferum-tui",
                                                                         appauthor=False))
    assert resolve_paths(str(tmp_path), demo=True).log_dir == tmp_path.resolve() / "logs"


async def test_a_failing_worker_in_the_console_is_logged_and_notified(console_home, tmp_path):
    log_file = logs.setup(tmp_path / "logs")
    app = console(console_home)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_ready(pilot)

        def broken() -> None:
            raise RuntimeError("the disk said no")

        app.run_worker(broken, thread=True)
        await wait_for(pilot, lambda: any("журнале" in n for n in app.notices))
        notice = next(n for n in app.notices if "журнале" in n)
        assert "RuntimeError: the disk said no" in notice and str(log_file) in notice
        assert app.is_running and app.return_code is None     # the console goes on
    text = log_file.read_text(encoding="utf-8")
    assert "unexpected error in the console" in text and "RuntimeError: the disk said no" in text
    assert logging.getLogger("sferum_tui").level == logging.INFO


async def test_a_failing_handler_closes_the_console_with_one_line(console_home, tmp_path, capsys):
    log_file = logs.setup(tmp_path / "logs")
    app = console(console_home)
    with pytest.raises(ZeroDivisionError):           # Pilot hands the bug to the test
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_ready(pilot)
            app.call_later(lambda: 1 / 0)
            await wait_for(pilot, lambda: app.return_code == 1)
    assert app.return_code == 1
    shown = "".join(capsys.readouterr().err.split())       # as wrapped to the test's width
    assert shown == "".join(f"sferum-tui: непредвиденная ошибка (ZeroDivisionError: division by "
                            f"zero); подробности — в журнале {log_file}".split())
    assert "ZeroDivisionError: division by zero" in log_file.read_text(encoding="utf-8")
