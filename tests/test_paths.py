"""Where the config file is: --config > SFERUM_TUI_CONFIG > --home / SFERUM_TUI_HOME > platformdirs,
as ``sferum-tui config path|show|init`` reports and uses it."""

from __future__ import annotations

import os
from pathlib import Path

from sferum_tui.cli import main

ENGLISH = '[ui]\nlanguage = "en"\n'


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_config_file_precedence(capsys, tmp_path, monkeypatch):
    home = tmp_path / "home"
    env_file = tmp_path / "shared" / "sferum.toml"
    flag_file = tmp_path / "flag.toml"
    # nothing set: the platformdirs config folder (XDG_CONFIG_HOME in the tests)
    code, out, _ = run(capsys, "config", "path")
    assert code == 0
    assert Path(out.strip()) == Path(os.environ["XDG_CONFIG_HOME"]) / "sferum-tui" / "config.toml"
    # the home folder, by flag or by SFERUM_TUI_HOME
    assert Path(run(capsys, "--home", str(home), "config", "path")[1].strip()) == \
        home.resolve() / "config.toml"
    monkeypatch.setenv("SFERUM_TUI_HOME", str(home))
    assert Path(run(capsys, "config", "path")[1].strip()) == home.resolve() / "config.toml"
    # SFERUM_TUI_CONFIG beats both
    monkeypatch.setenv("SFERUM_TUI_CONFIG", str(env_file))
    assert Path(run(capsys, "config", "path")[1].strip()) == env_file
    assert Path(run(capsys, "--home", str(home), "config", "path")[1].strip()) == env_file
    # --config beats everything
    assert Path(run(capsys, "--config", str(flag_file), "config", "path")[1].strip()) == flag_file


def test_the_env_config_file_is_the_one_used(capsys, tmp_path, monkeypatch):
    env_file = tmp_path / "shared" / "sferum.toml"
    monkeypatch.setenv("SFERUM_TUI_CONFIG", str(env_file))
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text('[ui]\ntheme = "sferum-light"\n', encoding="utf-8")
    # not there yet: the defaults, and `config init` writes it where the variable says
    code, out, err = run(capsys, "--home", str(home), "--lang", "en", "config", "show")
    assert code == 0 and f"{env_file} does not exist" in out
    assert 'theme = "sferum-light"' not in out  # the home's file is not read
    code, out, _ = run(capsys, "--home", str(home), "--lang", "en", "config", "init")
    assert code == 0 and env_file.is_file() and str(env_file) in out
    # its settings apply (here: the language of the messages)
    env_file.write_text(ENGLISH, encoding="utf-8")
    code, out, _ = run(capsys, "config", "show")
    assert code == 0 and f"Effective configuration from {env_file}" in out
    # a broken file named by the variable: one line naming it, exit 1
    env_file.write_text('[ui]\nlanguage = "fr"\n', encoding="utf-8")
    code, out, err = run(capsys, "--lang", "en", "config", "show")
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and str(env_file) in err and "ui.language" in err
