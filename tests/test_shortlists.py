"""Named shortlists: the core API on a real imported store, persistence across ``Store``
instances and processes, concurrent writers, ORG resolution, and the ``shortlist`` commands that
do not need the week's figures (those are in ``test_shortlists_cli.py``)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap

import pytest

from sferum_tui.core.errors import UserError
from sferum_tui.core.store import Store
from sferum_tui.core.store.shortlists import Shortlists, join_members

from export_support import EVIL_NAME, home, make_store, run, week_table_by_hand  # noqa: F401


def uid_of(store, inn: str) -> int:
    orgs = store.orgs()
    return int(orgs.loc[orgs["org_id"] == inn, "org_uid"].iloc[0])


# -- the core API ---------------------------------------------------------------------------

def test_no_lists_until_the_first_write(home):
    # the tables are the store schema's (declared in core/store/schema.py), empty at first
    with Store(home) as store:
        lists = Shortlists(store)
        assert lists.names() == [] and lists.lists() == [] and lists.contains("x") == set()
        assert not lists.exists("x")
    con = sqlite3.connect(home / "store.sqlite")
    assert con.execute("SELECT count(*) FROM shortlists").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM shortlist_members").fetchone()[0] == 0
    con.close()


def test_empty_home_reads_as_no_lists(tmp_path):
    with Store(tmp_path / "nothing") as store:
        assert Shortlists(store).names() == []
    assert not (tmp_path / "nothing").exists()


def test_add_remove_clear_delete(home):
    with Store(home) as store:
        a, b, c = (uid_of(store, i) for i in ("0527001234", "0527001235", "0521004321"))
        lists = Shortlists(store)
        assert lists.add("Отстающие", [a, b], note="  написать  директору ") == 2
        assert lists.add("отстающие", [b, c]) == 1            # the same list, any case
        assert lists.names() == ["Отстающие"]
        assert lists.contains("ОТСТАЮЩИЕ") == {a, b, c}
        m = lists.members("Отстающие")
        assert list(m.columns) == ["org_uid", "org_key", "org_id", "org_name", "municipality",
                                   "region", "added_at", "note"]
        assert m["org_id"].tolist() == ["0527001234", "0527001235", "0521004321"]   # order added
        assert m["note"].tolist()[:2] == ["написать директору"] * 2 and m["note"].iloc[2] is None
        assert m["org_name"].iloc[2] == EVIL_NAME
        assert all(t.endswith("Z") for t in m["added_at"])
        first_added = m["added_at"].iloc[0]
        assert lists.add("Отстающие", [a], note="звонок") == 0       # a note replaces, time kept
        m = lists.members("Отстающие")
        assert m["note"].iloc[0] == "звонок" and m["added_at"].iloc[0] == first_added
        assert lists.remove("Отстающие", [a, a, 999999]) == 1
        assert lists.contains("Отстающие") == {b, c}
        info = lists.lists()[0]
        assert (info.name, info.count) == ("Отстающие", 2)
        assert lists.clear("Отстающие") == 2
        assert lists.exists("Отстающие") and lists.contains("Отстающие") == set()
        assert lists.delete("Отстающие") == 0
        assert lists.names() == []


def test_errors_are_one_line_and_change_nothing(home):
    with Store(home) as store:
        a = uid_of(store, "0527001234")
        lists = Shortlists(store)
        lists.add("Контроль", [a])
        with pytest.raises(UserError) as err:
            lists.add("Контроль", [a, 424242])
        assert "424242" in err.value.message and "\n" not in err.value.message
        assert lists.contains("Контроль") == {a}
        with pytest.raises(UserError, match="нет списка «Другой» \\(есть: Контроль\\)"):
            lists.remove("Другой", [a])
        for bad in ("", "   ", "x" * 81, "a\x07b"):
            with pytest.raises(UserError):
                lists.add(bad, [a])
        with pytest.raises(UserError, match="уже есть"):
            lists.add("Второй", [a])
            lists.rename("Второй", "контроль")
        assert lists.rename("Второй", "Третий") == "Третий"
        assert lists.names() == ["Контроль", "Третий"]


def test_a_member_reads_after_its_organisation_is_gone(home):
    with Store(home) as store:
        a = uid_of(store, "0521004323")
        Shortlists(store).add("Гимназии", [a])
    con = sqlite3.connect(home / "store.sqlite")       # as if the organisation vanished
    con.execute("DELETE FROM orgs WHERE uid = ?", (a,))
    con.commit()
    con.close()
    with Store(home) as store:
        m = Shortlists(store).members("Гимназии")
    assert m["org_id"].tolist() == ["0521004323"] and m["org_name"].iloc[0].startswith("@SUM")
    assert m["municipality"].iloc[0] == "Левашинский район" and m["org_key"].iloc[0] is None


def test_join_members_keeps_absent_members(home):
    with Store(home) as store:
        uids = [uid_of(store, i) for i in ("0521004323", "0527001234")]   # the first is absent in week 2
        lists = Shortlists(store)
        lists.add("Смотреть", uids, note="к пятнице")
        week = week_table_by_hand(store, store.latest().id)
        rows = join_members(lists.members("Смотреть"), week)
    assert rows["org_id"].tolist() == ["0521004323", "0527001234"]
    assert rows["in_week"].tolist() == [False, True]
    assert rows["reasons"].iloc[0] == ("нет в файле этой недели",)
    assert rows["reasons"].iloc[1] == ("10 из 41 учителей написали более 3 сообщений",)
    assert rows["org_name"].iloc[0].startswith("@SUM") and rows["note"].tolist() == ["к пятнице"] * 2
    assert int(rows["users_total"].iloc[1]) == 1240


# -- persistence and other processes --------------------------------------------------------

def test_lists_survive_a_new_store_and_are_seen_by_another_process(home):
    with Store(home) as store:
        a = uid_of(store, "0527001234")
        Shortlists(store).add("Контроль", [a])
    with Store(home) as store:
        assert Shortlists(store).contains("Контроль") == {a}
    code = textwrap.dedent(f"""
        import json, sys
        from sferum_tui.core.store import Store
        from sferum_tui.core.store.shortlists import Shortlists
        with Store({str(home)!r}) as store:
            lists = Shortlists(store)
            print(json.dumps(sorted(lists.contains("Контроль"))))
            lists.add("Из другого процесса", [{a}])
    """)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert json.loads(out.stdout) == [a]
    with Store(home) as store:
        assert Shortlists(store).names() == ["Из другого процесса", "Контроль"]


def test_open_console_store_sees_changes_from_another_process(home):
    with Store(home) as console:                       # held open, as the console does
        lists = Shortlists(console)
        a = uid_of(console, "0527001234")
        lists.add("Общий", [a])
        code = textwrap.dedent(f"""
            from sferum_tui.core.store import Store
            from sferum_tui.core.store.shortlists import Shortlists
            with Store({str(home)!r}) as store:
                Shortlists(store).remove("Общий", [{a}])
                Shortlists(store).add("Общий", [{a + 1}])
        """)
        subprocess.run([sys.executable, "-c", code], check=True)
        assert lists.contains("Общий") == {a + 1}


def test_two_processes_adding_at_once_lose_nothing(home, tmp_path):
    with Store(home) as store:
        uids = sorted(int(u) for u in store.orgs()["org_uid"])
    script = tmp_path / "adder.py"
    script.write_text(textwrap.dedent(f"""
        import sys
        from sferum_tui.core.store import Store
        from sferum_tui.core.store.shortlists import Shortlists
        uid, rounds = int(sys.argv[1]), int(sys.argv[2])
        with Store({str(home)!r}) as store:
            lists = Shortlists(store)
            for i in range(rounds):
                lists.add(f"L{{i % 5}}", [uid])
                lists.add("Все", [uid])
    """), encoding="utf-8")
    procs = [subprocess.Popen([sys.executable, str(script), str(u), "30"]) for u in uids]
    assert [p.wait(timeout=120) for p in procs] == [0] * len(uids)
    with Store(home) as store:
        lists = Shortlists(store)
        assert lists.contains("Все") == set(uids)
        assert all(lists.contains(f"L{i}") == set(uids) for i in range(5))
        assert store.integrity_check() == "ok"


# -- ORG on the command line (the same resolution as ``history ORG``) ---------------------------

def test_org_by_inn_or_name_fragment(capsys, home):
    for org in ("0527001234", "сергокалинская", "  Сергокалинская   СОШ "):
        code, _, err = run(capsys, home, "shortlist", "add", "Одна", org)
        assert code == 0, err
    code, _, err = run(capsys, home, "shortlist", "add", "Одна", EVIL_NAME)
    assert code == 0, err
    with Store(home) as store:
        assert Shortlists(store).members("Одна")["org_id"].tolist() == ["0527001234", "0521004321"]


@pytest.mark.parametrize("org, names", [
    ("СОШ", ["0527001234", "0527001235", "0521004322"]),
    ("052700", ["0527001234", "0527001235"]),                 # the beginning of two ИНН
])
def test_ambiguous_org_lists_the_candidates_on_one_line(capsys, home, org, names):
    code, out, err = run(capsys, home, "shortlist", "add", "Список", org)
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith("sferum-tui: ") and f"«{org}»" in err
    assert all(n in err for n in names)
    with Store(home) as store:
        assert Shortlists(store).names() == []


# -- the commands without the week's figures ------------------------------------------------

def test_cli_add_remove_list_clear_delete(capsys, home):
    code, out, err = run(capsys, home, "shortlist", "add", "Отстающие", "0527001235", "Цудахарская",
                         "--note", "позвонить")
    assert code == 0, err
    assert out.strip() == "«Отстающие»: добавлено 2 организации; в списке 2 организации"
    code, out, _ = run(capsys, home, "shortlist", "add", "отстающие", "0527001235")
    assert "добавлено 0 организаций; уже были в списке: 1" in out
    code, out, _ = run(capsys, home, "shortlist", "list")
    assert code == 0 and "Отстающие" in out and " 2" in out
    code, out, _ = run(capsys, home, "shortlist", "list", "--json")
    assert [(d["name"], d["count"]) for d in json.loads(out)] == [("Отстающие", 2)]
    # a fragment ambiguous in the store but naming one member of the list
    code, out, err = run(capsys, home, "shortlist", "remove", "Отстающие", "Цудахар")
    assert code == 0, err
    assert "убрано 1 организация" in out
    code, out, _ = run(capsys, home, "shortlist", "clear", "Отстающие")
    assert code == 0 and "убрано 1 организация" in out
    code, out, _ = run(capsys, home, "shortlist", "rename", "Отстающие", "Контроль")
    assert code == 0 and "«Отстающие» теперь называется «Контроль»" in out
    code, out, _ = run(capsys, home, "shortlist", "delete", "Контроль")
    assert code == 0 and "удалён" in out
    code, out, _ = run(capsys, home, "shortlist", "list")
    assert "Списков нет" in out


def test_cli_remove_prefers_the_list_member(capsys, home):
    assert run(capsys, home, "shortlist", "add", "Одна", "Аймаумахинская")[0] == 0
    code, out, err = run(capsys, home, "shortlist", "remove", "Одна", "СОШ")
    assert code == 0, err
    assert "убрано 1 организация; в списке 0 организаций" in out


@pytest.mark.parametrize("argv, needle", [
    (["shortlist", "add", "Список", "Нет такой школы"], "«Нет такой школы»"),
    (["shortlist", "add", "Список"], "укажите организации"),
    (["shortlist", "add", "   ", "0527001234"], "имя списка не может быть пустым"),
    (["shortlist", "remove", "Нет", "0527001234"], "нет списка «Нет»"),
    (["shortlist", "clear", "Нет"], "нет списка «Нет»"),
    (["shortlist", "delete", "Нет"], "нет списка «Нет»"),
    (["shortlist", "show", "Нет"], "нет списка «Нет»"),
    (["shortlist", "show", "Нет", "--format", "xml"], "--format: ожидается table или json"),
    (["shortlist", "add", "Список", "--low-messaging", "abc"], "--low-messaging: ожидается процент"),
    (["export", "shortlist", "Нет", "-o", "x.csv"], "нет списка «Нет»"),
    (["export", "-o", "x.dat"], "не понять формат"),
    (["export", "-o", "x.csv", "--format", "pdf"], "неизвестный формат «pdf»"),
    (["export", "something", "-o", "x.csv"], "ожидается «export shortlist ИМЯ» или фильтры"),
    (["export", "-o", "-", "--format", "xlsx"], "xlsx нельзя вывести в терминал"),
])
def test_cli_errors_are_one_line_exit_1(capsys, home, tmp_path, monkeypatch, argv, needle):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, home, *argv)
    assert code == 1
    assert err.count("\n") == 1 and err.startswith("sferum-tui: ") and needle in err, err
    assert "Traceback" not in err and out == ""
    assert not (tmp_path / "x.csv").exists()
    if argv[:2] != ["shortlist", "show"]:
        with Store(home) as store:
            assert Shortlists(store).names() == []


def test_cli_show_without_weeks(capsys, tmp_path):
    home = make_store(tmp_path)
    with Store(home) as store:
        uid = uid_of(store, "0527001234")
        Shortlists(store).add("Список", [uid], note="ok")
        with store.transaction() as con:
            con.execute("UPDATE snapshots SET superseded_by = id")  # no current week left
    code, out, err = run(capsys, home, "shortlist", "show", "Список")
    assert code == 0, err
    assert "недель нет" in out and "0527001234" in out and "ok" in out
