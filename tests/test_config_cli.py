"""``sferum-tui config path|show|init`` and the one-line config errors, through ``cli.main``."""

from __future__ import annotations

import json
import tomllib

import pytest

from sferum_tui.cli import main
from sferum_tui.core.config import Config, default_config_text, loads_config
from sferum_tui.i18n import get_language, set_language


@pytest.fixture(autouse=True)
def _isolated(monkeypatch):
    for var in ("SFERUM_TUI_HOME", "SFERUM_TUI_LANG", "SFERUM_TUI_CLOUD_BASE"):
        monkeypatch.delenv(var, raising=False)
    before = get_language()
    yield
    set_language(before)


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_path_follows_home_and_config(capsys, tmp_path, monkeypatch):
    code, out, _ = run(capsys, "--home", str(tmp_path), "config", "path")
    assert code == 0 and out.strip() == str(tmp_path / "config.toml")

    other = tmp_path / "elsewhere.toml"
    other.write_text("", encoding="utf-8")
    code, out, _ = run(capsys, "--config", str(other), "config", "path")
    assert code == 0 and out.strip() == str(other)

    monkeypatch.setenv("SFERUM_TUI_HOME", str(tmp_path / "envhome"))
    code, out, _ = run(capsys, "config", "path")
    assert code == 0 and out.strip() == str(tmp_path / "envhome" / "config.toml")


def test_show_without_a_file_shows_the_defaults(capsys, tmp_path):
    code, out, err = run(capsys, "--home", str(tmp_path), "--lang", "en", "config", "show")
    assert code == 0 and err == ""
    assert "does not exist" in out
    assert loads_config(out) == Config.default()
    assert 'deadline = 2023-04-27' in out and 'rule = "users_total > 2 and classes >= 1"' in out


def test_init_then_show(capsys, tmp_path):
    code, out, err = run(capsys, "--home", str(tmp_path), "--lang", "en", "config", "init")
    assert code == 0, err
    path = tmp_path / "config.toml"
    assert path.read_text(encoding="utf-8") == default_config_text()
    assert str(path) in out

    code, out, err = run(capsys, "--home", str(tmp_path), "--lang", "en", "config", "show")
    assert code == 0, err
    assert f"from {path}" in out
    assert loads_config(out) == Config.default()

    code, out, err = run(capsys, "--home", str(tmp_path), "config", "show", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["file"] == str(path) and data["file_exists"] is True
    assert data["thresholds"]["low_messaging"] == 30   # percent, in the threshold grammar
    assert [i["key"] for i in data["indicators"]] == ["active_profiles", "teacher_messaging",
                                                     "staff_registration"]
    assert data["indicators"][2]["deadline"] == "2023-05-19"


def test_init_refuses_to_overwrite_without_force(capsys, tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[ui]\nlanguage = "en"\n', encoding="utf-8")
    code, out, err = run(capsys, "--home", str(tmp_path), "config", "init")
    assert code == 1 and out == ""
    assert len(err.strip().splitlines()) == 1
    assert str(path) in err and "--force" in err
    assert path.read_text(encoding="utf-8") == '[ui]\nlanguage = "en"\n'

    code, out, err = run(capsys, "--home", str(tmp_path), "config", "init", "--force")
    assert code == 0, err
    assert path.read_text(encoding="utf-8") == default_config_text()
    assert (tmp_path / "config.toml.bak").read_text(encoding="utf-8") == '[ui]\nlanguage = "en"\n'
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_language_from_the_config_file(capsys, tmp_path):
    (tmp_path / "config.toml").write_text('[ui]\nlanguage = "en"\n', encoding="utf-8")
    code, out, _ = run(capsys, "--home", str(tmp_path), "config", "show")
    assert code == 0 and out.startswith("# Effective configuration")
    (tmp_path / "config.toml").write_text('[ui]\nlanguage = "ru"\n', encoding="utf-8")
    code, out, _ = run(capsys, "--home", str(tmp_path), "config", "show")
    assert code == 0 and out.startswith("# Действующие настройки")


def test_custom_config_round_trips_through_show(capsys, tmp_path):
    text = ('[thresholds]\nlow_messaging = 20\n[[indicators]]\nkey = "staff_weekly_active"\n'
            'title = { ru = "Сотрудники, активные за неделю", en = "Staff active weekly" }\n'
            'numerator = "teachers_active"\ndenominator = "staff_total"\ntarget = 75\n'
            '[[sources]]\nname = "minobr"\nurl = "https://cloud.mail.ru/public/GPXK/fMnpzcuWR"\n'
            '[aliases]\n"Наименование учреждения" = "org_name"\n')
    path = tmp_path / "my.toml"
    path.write_text(text, encoding="utf-8")
    code, out, err = run(capsys, "--config", str(path), "config", "show")
    assert code == 0, err
    assert loads_config(out) == loads_config(text)
    assert tomllib.loads(out)["sources"][0]["kind"] == "cloud"


BAD = [
    ("colour = 1", "colour"),
    ("[thresholds]\nlow_messagin = 0.3", "thresholds.low_messagin"),
    ("[thresholds]\nlow_messaging = 0.3", "thresholds.low_messaging"),
    ("[ui]\nlanguage = 1", "ui.language"),
    ("[activity_rule]\nusers_more_than = \"two\"", "activity_rule.users_more_than"),
    ("[[indicators]]\nkey = \"staff_registration\"\ndeadline = \"19.13.2023\"", "indicators[1].deadline"),
    ("[[indicators]]\nkey = \"staff_registration\"\ndeadline = 2023-13-19", "indicators[1].deadline"),
    ("[[indicators]]\nkey = \"x\"\ntarget = 100\nrule = \"pupils > 2\"", "indicators[1].rule"),
    ("[[indicators]]\nkey = \"x\"\ntarget = 100\nrule = \"__import__('os').system('echo hi')\"",
     "indicators[1].rule"),
    ("[[sources]]\nname = \"a\"\nurl = \"https://cloud.mail.ru/public/X/y\"\ntimeout = \"1m\"",
     "sources[1].timeout"),
    ("[ui]\ntheme = \"x\"\nlanguage = = \"en\"", " 12 (ui.language)"),
]


@pytest.mark.parametrize("text, key", BAD)
@pytest.mark.parametrize("how", ["home", "config"])
@pytest.mark.parametrize("lang", [[], ["--lang", "en"]])
def test_bad_config_is_one_line_on_stderr_with_exit_1(capsys, tmp_path, text, key, how, lang):
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    flags = ["--home", str(tmp_path)] if how == "home" else ["--config", str(path)]
    code, out, err = run(capsys, *flags, *lang, "config", "show")
    assert code == 1
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"sferum-tui: {path}: ")
    assert key in lines[0]
    assert "Traceback" not in err


def test_explicit_missing_config_is_an_error(capsys, tmp_path):
    missing = tmp_path / "missing.toml"
    code, out, err = run(capsys, "--config", str(missing), "--lang", "en", "config", "show")
    assert code == 1 and len(err.splitlines()) == 1
    assert str(missing) in err and "not found" in err


# cli.main reads the config's ui.language before the parser is built, but a config it cannot
# read only leaves Russian: `config path` and `config init` must still work.
def test_path_and_init_work_with_a_broken_or_missing_config(capsys, tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("colour = 1", encoding="utf-8")
    code, out, _ = run(capsys, "--home", str(tmp_path), "config", "path")
    assert code == 0 and out.strip() == str(path)
    code, _, _ = run(capsys, "--home", str(tmp_path), "config", "init", "--force")
    assert code == 0 and path.read_text(encoding="utf-8") == default_config_text()
    new = tmp_path / "new.toml"
    code, _, _ = run(capsys, "--config", str(new), "config", "init")
    assert code == 0 and new.exists()
