"""``sferum-tui demo``: builds the disposable demo store, never the user's, and says what it did."""

from __future__ import annotations

from sferum_tui.cli import main
from sferum_tui.core.store import Store


def test_demo_builds_the_demo_store_and_leaves_the_users_alone(tmp_path, capsys):
    user_file = tmp_path / "store.sqlite"
    user_file.write_bytes(b"the user's own store")
    rc = main(["--home", str(tmp_path), "demo", "--scale", "district", "--weeks", "3",
               "--no-open"])
    out = capsys.readouterr().out
    assert rc == 0
    assert user_file.read_bytes() == b"the user's own store"
    home = tmp_path / "demo"
    with Store(home) as store:
        snaps = store.snapshots()
        assert len(snaps) == 3
        assert store.registry() is not None
    assert len(list((home / "files").iterdir())) == 4
    assert "синтетические" in out
    assert "район" in out and str(home) in out
    assert "Неактивных профилей" in out and "→" in out


def test_demo_rebuilds_from_scratch(tmp_path, capsys):
    args = ["--home", str(tmp_path), "demo", "--scale", "district", "--weeks", "2", "--no-open"]
    assert main(args) == 0
    stray = tmp_path / "demo" / "files" / "old.xlsx"
    stray.write_bytes(b"x")
    assert main(args[:-2] + ["4", "--no-open"]) == 0
    assert not stray.exists()
    with Store(tmp_path / "demo") as store:
        assert len(store.snapshots()) == 4


def test_demo_in_english_and_seed(tmp_path, capsys):
    assert main(["--home", str(tmp_path), "--lang", "en", "demo", "--scale", "district",
                 "--weeks", "1", "--seed", "7", "--no-open"]) == 0
    out = capsys.readouterr().out
    assert "synthetic" in out and "seed 7" in out


def test_demo_rejects_bad_numbers(tmp_path, capsys):
    assert main(["--home", str(tmp_path), "demo", "--weeks", "0", "--no-open"]) == 1
    assert "--weeks" in capsys.readouterr().err
    assert not (tmp_path / "demo").exists()


def test_demo_opens_the_console_unless_told_not_to(tmp_path, capsys, monkeypatch):
    import sferum_tui.cli as cli

    opened = []
    monkeypatch.setattr(cli, "_open_console", lambda ctx, **kw: opened.append(ctx) or 0)
    assert main(["--home", str(tmp_path), "demo", "--scale", "district", "--weeks", "1"]) == 0
    assert len(opened) == 1
    assert opened[0].demo and opened[0].paths.home == (tmp_path / "demo").resolve()
