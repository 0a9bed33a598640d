"""``[ui] columns`` / ``[ui] remember`` in the config (strict, one line per mistake, through the
CLI), and the UI state file the console keeps beside it: a damaged file never stops the console,
and a folder it cannot write is one line."""

from __future__ import annotations

import json

import pytest

from sferum_tui.cli import main
from sferum_tui.i18n import get_language, set_language


@pytest.fixture(autouse=True)
def _isolated(monkeypatch):
    for var in ("SFERUM_TUI_HOME", "SFERUM_TUI_LANG", "SFERUM_TUI_CLOUD_BASE"):
        monkeypatch.delenv(var, raising=False)
    before = get_language()
    yield
    set_language(before)


def config_show(capsys, home, text: str) -> tuple[int, str, str]:
    (home / "config.toml").write_text(text, encoding="utf-8")
    code = main(["--home", str(home), "--lang", "en", "config", "show"])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("text, expected", [
    ('[ui]\ncolumns = ["state", "nope"]\n', "ui.columns[2]: expected one of: org_name,"),
    ('[ui]\ncolumns = ["state", "state"]\n', "ui.columns[2]: the column “state” is listed twice"),
    ('[ui]\ncolumns = "state"\n', "ui.columns: expected a list of columns"),
    ('[ui]\nremember = "no"\n', "ui.remember: expected true or false"),
])
def test_ui_keys_are_validated_with_one_line(capsys, tmp_path, text, expected):
    code, out, err = config_show(capsys, tmp_path, text)
    assert code == 1 and out == ""
    assert len(err.strip().splitlines()) == 1 and "config.toml" in err and expected in err


def test_ui_keys_show_and_the_default_file_holds_them(capsys, tmp_path):
    code, out, err = config_show(capsys, tmp_path,
                                 '[ui]\ncolumns = ["reasons_text", "state"]\nremember = false\n')
    assert code == 0, err
    assert 'columns = ["org_name", "reasons_text", "state"]' in out  # the name is always first
    assert "remember = false" in out
    (tmp_path / "config.toml").unlink()
    assert main(["--home", str(tmp_path), "config", "init"]) == 0
    text = (tmp_path / "config.toml").read_text(encoding="utf-8")
    assert "columns = []" in text and "remember = true" in text and "ui-state.json" in text


def test_a_damaged_state_file_is_ignored_and_values_of_the_wrong_type_are_dropped(tmp_path):
    from sferum_tui.tui.state import load_state

    (tmp_path / "ui-state.json").write_text("{not json", encoding="utf-8")
    assert load_state(tmp_path).columns is None and load_state(tmp_path).views == {}
    (tmp_path / "ui-state.json").write_text(json.dumps({
        "columns": ["state", "bogus"], "remember": "yes",
        "views": {"/h": {"week_id": "7", "sort": ["state", 1], "threshold": 5,
                         "filters": {"inactive": 1, "low_messaging": True,
                                     "municipality": "Левашинский район"}}}}), encoding="utf-8")
    state = load_state(tmp_path)
    assert state.columns is None and state.remember is None
    view = state.views["/h"]
    assert view.week_id is None and view.sort is None and view.threshold is None
    assert view.filters.low_messaging and not view.filters.inactive
    assert view.filters.municipality == ()


def test_a_folder_it_cannot_write_is_one_line(tmp_path):
    from sferum_tui.tui.state import UIState, save_state

    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the config folder should be", encoding="utf-8")
    error = save_state(blocked / "sub", UIState(columns=("org_name",)))
    assert error and "ui-state.json" in error and "\n" not in error
