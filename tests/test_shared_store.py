"""A store apart from the user's own state (issue 13, parts 1 and 2).

``--store DIR|URL`` > ``SFERUM_TUI_STORE`` > ``[store] url`` > the data folder; a system-wide
config under the user's; personal and shared shortlists; and a reader who cannot write the
team's store (another account's folder) using every read command and the console through
``--store``, through the real CLI (``sferum_tui.cli.main``), forked and run as ``nobody``.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import threading
from pathlib import Path

import pytest
from reader_support import as_reader, preload_console, run_cli, set_writable

from sferum_tui.core.store import Store

from store_support import W1, W2, WEEK, week_file

INN, INN2 = WEEK[0][1], WEEK[2][1]
POSIX = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions and fork")


def _weeks(*argv) -> list[str]:
    code, out, err = run_cli(*argv, "weeks", "--json")
    assert code == 0, err
    return [w["period"]["start"] for w in json.loads(out)]


@pytest.fixture()
def team(tmp_path):
    """A team's store with one week, made by its owner in its own folder."""
    store = tmp_path / "team"
    assert run_cli("--home", store, "import", week_file(tmp_path / "w1.csv", W1))[0] == 0
    return store


# -- selecting the store --------------------------------------------------------------------

def test_the_store_is_chosen_by_flag_then_variable_then_config_then_data_folder(
        tmp_path, team, monkeypatch):
    me = tmp_path / "me"
    assert _weeks("--home", me) == []                       # the data folder: empty
    (me).mkdir(exist_ok=True)
    (me / "config.toml").write_text(f'[store]\nurl = "{team}"\n', encoding="utf-8")
    assert _weeks("--home", me) == [W1.isoformat()]         # [store] url
    other = tmp_path / "other"
    monkeypatch.setenv("SFERUM_TUI_STORE", f"sqlite:{other}")
    assert _weeks("--home", me) == []                       # the variable wins over the config
    assert _weeks("--home", me, "--store", team / "store.sqlite") == [W1.isoformat()]  # the flag
    monkeypatch.delenv("SFERUM_TUI_STORE")
    (me / "config.toml").write_text('[store]\nurl = "../team"\n', encoding="utf-8")
    assert _weeks("--home", me) == [W1.isoformat()]         # relative to the config file
    # the user's state stays the user's: nothing of theirs lands in the team's folder
    assert sorted(p.name for p in team.iterdir()) == ["blobs", "store.sqlite"]
    assert not (other / "store.sqlite").exists()


@pytest.mark.parametrize("lang, text", [("ru", "не удаётся подключиться к базе"),
                                        ("en", "cannot connect to the database")])
def test_a_database_that_does_not_answer_is_one_line(tmp_path, lang, text, monkeypatch):
    """(The PostgreSQL store itself is tested in test_pg_store.py, against a real server.)"""
    code, out, err = run_cli("--home", tmp_path, "--lang", lang, "--store",
                             "postgresql://officer@127.0.0.1:1/sferum", "weeks")
    assert (code, out) == (1, "") and err.count("\n") == 1 and text in err
    assert "postgresql://officer@127.0.0.1:1/sferum" in err
    (tmp_path / "config.toml").write_text('[store]\nurl = "postgres://x@127.0.0.1:1/z"\n',
                                          encoding="utf-8")
    code, out, err = run_cli("--home", tmp_path, "--lang", lang, "summary")
    assert code == 1 and err.count("\n") == 1 and text in err
    (tmp_path / "config.toml").write_text('[store]\nurl = "postgresql://"\n', encoding="utf-8")
    code, out, err = run_cli("--home", tmp_path, "--lang", lang, "summary")
    assert code == 1 and err.count("\n") == 1
    assert str(tmp_path / "config.toml") in err and "store.url" in err
    # the config commands still work on that file (to mend it)
    assert run_cli("--home", tmp_path, "config", "path")[0] == 0
    code, _, err = run_cli("--home", tmp_path, "--store", "ftp://x/y", "weeks")
    assert code == 1 and err.count("\n") == 1 and "ftp" in err
    assert not any(tmp_path.glob("**/store.sqlite"))


def test_demo_never_uses_the_selected_store(tmp_path, team):
    assert run_cli("--home", tmp_path / "me", "--store", team, "--demo", "demo", "--seed", "1",
                   "--scale", "district")[0] == 0
    assert len(_weeks("--home", tmp_path / "me", "--demo")) > 1
    assert _weeks("--home", tmp_path / "me", "--store", team) == [W1.isoformat()]


# -- the system-wide config -----------------------------------------------------------------

def test_the_system_config_is_read_first_and_the_users_overrides_it(tmp_path, team, monkeypatch):
    etc = tmp_path / "etc"
    etc.mkdir()
    (etc / "config.toml").write_text(
        '[store]\nurl = "../team"\n'
        '[scope]\nregion = "Республика Дагестан"\nmunicipalities = ["Кизлярский район"]\n'
        '[[sources]]\nname = "ministry"\npath = "incoming"\n'
        '[[sources]]\nname = "backup"\nurl = "https://example.org/w.xlsx"\n'
        '[[indicators]]\nkey = "active_profiles"\ntarget = 90\n', encoding="utf-8")
    monkeypatch.setenv("SFERUM_TUI_SYSTEM_CONFIG", str(etc / "config.toml"))
    me = tmp_path / "me"
    me.mkdir()
    (me / "config.toml").write_text(
        '[scope]\nmunicipalities = ["Бабаюртовский район"]\n'
        '[[sources]]\nname = "backup"\nurl = "https://example.org/other.xlsx"\n'
        '[[sources]]\nname = "mine"\npath = "/srv/mine"\n', encoding="utf-8")
    assert _weeks("--home", me) == [W1.isoformat()]         # the administrator's store
    code, out, err = run_cli("--home", me, "config", "show", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["files_read"] == [str(etc / "config.toml"), str(me / "config.toml")]
    assert data["scope"] == {"region": "Республика Дагестан",
                             "municipalities": ["Бабаюртовский район"]}
    assert [(s["name"], s["url"] or s["path"]) for s in data["sources"]] == [
        ("ministry", str(etc / "incoming")), ("backup", "https://example.org/other.xlsx"),
        ("mine", "/srv/mine")]
    assert next(i for i in data["indicators"] if i["key"] == "active_profiles")["target"] == 90
    assert data["store"] == {"url": str(tmp_path / "team")}
    code, out, _ = run_cli("--home", me, "config", "show")
    assert f"системный файл {etc / 'config.toml'}" in out
    # the user's empty url brings back their own data folder
    (me / "config.toml").write_text('[store]\nurl = ""\n', encoding="utf-8")
    assert _weeks("--home", me) == []


def test_an_error_in_the_system_config_names_that_file(tmp_path, monkeypatch):
    etc = tmp_path / "system.toml"
    etc.write_text('[scope]\nregoin = "Дагестан"\n', encoding="utf-8")
    monkeypatch.setenv("SFERUM_TUI_SYSTEM_CONFIG", str(etc))
    (tmp_path / "config.toml").write_text('[scope]\nregion = "Дагестан"\n', encoding="utf-8")
    code, out, err = run_cli("--home", tmp_path, "summary")
    assert code == 1 and out == "" and err.count("\n") == 1
    assert f"{etc}: scope.regoin" in err
    etc.write_text('[store\nurl = 1\n', encoding="utf-8")
    code, _, err = run_cli("--home", tmp_path, "config", "show")
    assert code == 1 and err.count("\n") == 1 and str(etc) in err and "TOML" in err


# -- personal and shared lists --------------------------------------------------------------

def test_lists_are_personal_beside_a_team_store_and_shared_on_request(tmp_path, team):
    me = tmp_path / "me"
    assert run_cli("--home", team, "shortlist", "add", "Отстающие", INN)[0] == 0
    assert run_cli("--home", me, "--store", team, "shortlist", "add", "Мои", INN2)[0] == 0
    code, out, _ = run_cli("--home", me, "--store", team, "shortlist", "list", "--json")
    got = {d["name"]: (d["count"], d["shared"]) for d in json.loads(out)}
    assert got == {"Мои": (1, False), "Отстающие": (1, True)}
    code, out, _ = run_cli("--home", team, "shortlist", "list", "--json")   # the team sees theirs
    assert [d["name"] for d in json.loads(out)] == ["Отстающие"]
    assert (me / "lists.sqlite").exists()
    code, out, _ = run_cli("--home", me, "--store", team, "shortlist", "show", "Мои")
    assert code == 0 and INN2 in out and "Гимназия" in out      # joined to the store's orgs
    code, out, err = run_cli("--home", me, "--store", team, "shortlist", "share", "Мои")
    assert code == 0 and "общий" in out, err
    code, out, _ = run_cli("--home", team, "shortlist", "list", "--json")
    shared = {d["name"]: d for d in json.loads(out)}
    assert shared["Мои"]["count"] == 1 and shared["Мои"]["shared"] is True
    import getpass
    assert shared["Мои"]["changed_by"] == getpass.getuser()
    code, out, _ = run_cli("--home", me, "--store", team, "shortlist", "list")
    assert "общий" in out and getpass.getuser() in out and "личный" not in out
    # a shared list of that name already there: one line, the personal list stays
    assert run_cli("--home", me, "--store", team, "shortlist", "add", "Отстающие2", INN)[0] == 0
    assert run_cli("--home", team, "shortlist", "add", "Отстающие2", INN2)[0] == 0
    code, out, err = run_cli("--home", me, "--store", team, "shortlist", "share", "отстающие2")
    assert code == 1 and err.count("\n") == 1 and "уже есть" in err
    code, out, _ = run_cli("--home", me, "--store", team, "shortlist", "list", "--json")
    assert {d["name"]: d["shared"] for d in json.loads(out)}["Отстающие2"] is False


def test_on_ones_own_store_lists_stay_in_the_store(tmp_path, team):
    assert run_cli("--home", team, "shortlist", "add", "Мои", INN)[0] == 0
    code, out, _ = run_cli("--home", team, "shortlist", "share", "Мои")
    assert code == 0 and "уже в хранилище" in out
    assert not (team / "lists.sqlite").exists()
    code, out, _ = run_cli("--home", team, "shortlist", "list")
    assert "Чей" not in out and "Мои" in out


def test_the_consoles_marks_go_to_the_personal_default_list(tmp_path, team):
    from sferum_tui.core.paths import resolve_paths, with_store
    from sferum_tui.service.config import load_config
    from sferum_tui.service.console import ConsoleAPI

    paths = with_store(resolve_paths(tmp_path / "me"), str(team))
    api = ConsoleAPI(paths, load_config(paths.config_file))
    try:
        uid = int(api.call(lambda: api.store.orgs())["org_uid"].iloc[0])
        assert api.toggle_marks([uid]) == (1, 0)
        assert api.marked() == {uid}
    finally:
        api.close()
    with sqlite3.connect(tmp_path / "me" / "lists.sqlite") as con:
        assert con.execute("SELECT name FROM shortlists").fetchall() == [("Рассылка",)]
    with sqlite3.connect(team / "store.sqlite") as con:
        assert con.execute("SELECT count(*) FROM shortlists").fetchone() == (0,)


# -- a reader who cannot write the team's store ---------------------------------------------

READS = [
    ["weeks"], ["weeks", "--json"], ["summary"], ["schools"], ["schools", "--format", "json"],
    ["history", INN], ["changes"], ["shortlist", "show", "Общий"],
    ["report", "--format", "md", "-o", "-"],
]


@pytest.fixture(scope="module")
def shared_world():
    """A team's store owned by this account and read-only, and a reader's own home
    (writable by ``nobody``), in a folder every account can reach."""
    base = Path(tempfile.mkdtemp(prefix="sferum-team-", dir="/tmp"))
    base.chmod(0o755)
    team = base / "team"
    files = [week_file(base / "w1.csv", W1), week_file(base / "w2.csv", W2)]
    assert run_cli("--home", team, "import", *files)[0] == 0
    assert run_cli("--home", team, "shortlist", "add", "Общий", INN)[0] == 0
    reference = {json.dumps(c): run_cli("--home", team, *c) for c in READS}
    assert all(r[0] == 0 for r in reference.values())
    gc.collect()
    set_writable(team, False)
    reader = base / "reader"
    reader.mkdir()
    reader.chmod(0o777)
    yield base, team, reader, reference
    set_writable(team, True)
    shutil.rmtree(base, ignore_errors=True)


@POSIX
def test_a_reader_reads_the_team_store_and_keeps_lists_of_their_own(shared_world):
    base, team, reader, reference = shared_world

    def session():
        got = {json.dumps(c): run_cli("--home", reader, "--store", team, *c) for c in READS}
        writes = [run_cli("--home", reader, "--store", team, *c) for c in (
            ["import", base / "w1.csv"], ["shortlist", "add", "Общий", INN2])]
        mine = run_cli("--home", reader, "--store", team, "shortlist", "add", "Мои", INN2)
        share = run_cli("--home", reader, "--store", team, "shortlist", "share", "Мои")
        lists = run_cli("--home", reader, "--store", team, "shortlist", "list", "--json")
        return got, writes, mine, share, lists

    before = sorted(p.name for p in team.iterdir())
    got, writes, mine, share, lists = as_reader(session)
    for key, ref in reference.items():
        assert got[key] == ref, key
    for code, out, err in [*writes, share]:
        assert code == 1 and out == "" and err.count("\n") == 1, err
        assert "только для чтения" in err and str(team) in err
    assert mine[0] == 0, mine
    assert {d["name"]: d["shared"] for d in json.loads(lists[1])} == {"Мои": False, "Общий": True}
    assert (reader / "lists.sqlite").exists()
    assert sorted(p.name for p in team.iterdir()) == before == ["blobs", "store.sqlite"]


@POSIX
def test_a_week_the_service_account_imports_appears_for_the_reader(shared_world, tmp_path):
    base, team, reader, _ = shared_world
    live = base / "live"
    shutil.rmtree(live, ignore_errors=True)
    with Store(live) as s:
        s.import_file(base / "w1.csv")
    set_writable(live, False)
    go_r, go_w = os.pipe()
    seen_r, seen_w = os.pipe()

    def reader_session():
        os.close(go_w)
        os.close(seen_r)
        first = _weeks("--home", reader, "--store", live)
        os.write(seen_w, b"1")
        os.read(go_r, 1)
        return first, _weeks("--home", reader, "--store", live)

    def service_imports():
        os.read(seen_r, 1)
        if os.geteuid() != 0:
            set_writable(live, True)
        with Store(live) as s:
            s.import_file(base / "w2.csv")
        os.write(go_w, b"1")

    t = threading.Thread(target=service_imports)
    t.start()
    try:
        first, second = as_reader(reader_session)
    finally:
        t.join(timeout=60)
        for fd in (go_r, go_w, seen_r, seen_w):
            with contextlib.suppress(OSError):
                os.close(fd)
        set_writable(live, True)
    assert first == [W1.isoformat()] and second == [W1.isoformat(), W2.isoformat()]


def _console(reader: Path, team: Path) -> list:
    """The console on the team's store headless, with the reader's own home: its notices,
    rows, and what the reader's folder and the team's hold afterwards."""
    import asyncio

    from sferum_tui.cli import Context
    from sferum_tui.core.paths import resolve_paths, with_store
    from sferum_tui.tui.app import make_app
    from sferum_tui.tui.main_screen import MainScreen

    async def session():
        ctx = Context(paths=with_store(resolve_paths(str(reader)), str(team)), lang="ru",
                      demo=False, config_path=None, theme=None, home_arg=str(reader))
        app = make_app(ctx)
        async with app.run_test(size=(120, 40)) as pilot:
            for _ in range(500):
                if isinstance(app.screen, MainScreen) and app.screen.ready:
                    break
                await pilot.pause(0.02)
            await pilot.press("space")              # a mark: into the reader's own list
            await pilot.pause(0.2)
            return [[n.message for n in app._notifications], app.screen.table.row_count]

    notices, rows = asyncio.run(session())
    return [notices, rows, sorted(p.name for p in reader.iterdir())]


@POSIX
def test_the_console_works_for_a_reader_of_the_team_store(shared_world):
    base, team, reader, _ = shared_world
    preload_console()
    notices, rows, mine = as_reader(_console, reader, team)
    assert any("только для чтения" in n for n in notices), notices
    assert rows > 0
    assert "ui-state.json" in mine and "lists.sqlite" in mine     # the reader's own state
    assert sorted(p.name for p in team.iterdir()) == ["blobs", "store.sqlite"]
