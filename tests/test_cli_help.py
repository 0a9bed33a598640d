"""The command line's help and usage errors in the chosen language (``--lang``, then
``SFERUM_TUI_LANG``, then the config's ``[ui] language``), argparse's own words included; the
global flags shown once; shell completion scripts.  The real ``sferum_tui.cli.main``."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from sferum_tui.cli import main

LATIN_WORD = re.compile(r"\b[a-z]{4,}\b")
# words that stay Latin in Russian help: flags' values, metavars, program and format names
ALLOWED_LATIN = {"sferum", "latest", "json", "table", "xlsx", "name", "inn", "users",
                 "messaging", "registration", "weeks", "help", "home", "store", "demo", "lang", "config",
                 "theme", "debug", "version", "week", "inactive", "low", "unregistered",
                 "missing", "changed", "disagrees", "municipality", "search", "sort", "desc",
                 "limit", "reasons", "format", "decimal", "point", "text", "field", "stdin",
                 "seed", "scale", "district", "region", "country", "open", "bash", "fish",
                 "completion", "summary", "schools", "shortlist", "export", "period", "rows",
                 "inspect", "import", "replace", "change", "snake", "case", "today", "file",
                 "local", "share", "completions", "note", "force", "path", "show", "init",
                 "excel"}


def _without_data_words(text: str) -> str:
    """English help minus the Russian words it quotes from the data (ИНН, «Не активна»)."""
    return " ".join(text.split()).replace("ИНН", "").replace("«Не активна»", "")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:   # --help, --version and usage errors end in argparse's exit
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def test_english_help_of_a_command_is_all_english(capsys, tmp_path):
    code, out, _ = run(capsys, "--home", str(tmp_path), "--lang", "en", "schools", "--help")
    assert code == 0
    assert out.startswith("usage: sferum-tui schools")
    assert "show this help message and exit" in out and "options:" in out
    assert "only where not all staff are registered" in out
    assert not re.search("[а-яё]{4,}", _without_data_words(out))


def test_russian_help_translates_argparse_words_too(capsys, tmp_path):
    code, out, _ = run(capsys, "--home", str(tmp_path), "schools", "--help")
    assert code == 0
    assert out.startswith("использование: sferum-tui schools")
    assert "параметры:" in out and "показать эту справку и выйти" in out
    for english in ("usage:", "options:", "show this help", "positional arguments"):
        assert english not in out
    leftovers = set(LATIN_WORD.findall(out.lower())) - ALLOWED_LATIN
    assert not leftovers, leftovers


@pytest.mark.parametrize("command", ["inspect", "import", "weeks", "registry", "demo", "config",
                                     "summary", "history", "changes", "fetch", "shortlist",
                                     "export", "completion"])
def test_every_command_has_russian_and_english_descriptions(capsys, tmp_path, command):
    _, ru, _ = run(capsys, "--home", str(tmp_path), command, "--help")
    _, en, _ = run(capsys, "--home", str(tmp_path), "--lang", "en", command, "--help")
    assert ru.startswith("использование:") and en.startswith("usage:")
    ru_text = ru.split("\n\n", 1)[1]
    assert re.search("[а-яё]{5,}", ru_text), ru
    assert not re.search("[а-яё]{5,}", _without_data_words(en)), en


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_a_command_reads_as_with_every_command_registered(capsys, tmp_path, lang):
    """``sferum-tui CMD …`` imports and registers only CMD's module (``cli.COMMAND_MODULE``:
    the other modules cost every start ~5 ms): every command is named there, and the help the
    user reads is the help of the parser of every command."""
    import argparse

    from sferum_tui import cli
    from sferum_tui.i18n import argparse_words, get_language, set_language

    saved = get_language()
    set_language(lang)
    try:
        with argparse_words():
            parser, _ = cli.build_parser()
            every = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
            helps = {name: child.format_help() for name, child in every.choices.items()}
    finally:
        set_language(saved)
    assert set(helps) == set(cli.COMMAND_MODULE)
    for name, text in helps.items():
        code, out, _ = run(capsys, "--home", str(tmp_path), "--lang", lang, name, "--help")
        assert code == 0 and out == text, name


def test_language_from_the_environment_and_from_the_config(capsys, tmp_path, monkeypatch):
    (tmp_path / "config.toml").write_text('[ui]\nlanguage = "en"\n', encoding="utf-8")
    code, out, _ = run(capsys, "--home", str(tmp_path), "weeks", "--help")
    assert code == 0 and out.startswith("usage:") and "print JSON" in out

    monkeypatch.setenv("SFERUM_TUI_LANG", "ru")           # the environment beats the config
    _, out, _ = run(capsys, "--home", str(tmp_path), "weeks", "--help")
    assert out.startswith("использование:")
    _, out, _ = run(capsys, "--home", str(tmp_path), "--lang", "en", "weeks", "--help")
    assert out.startswith("usage:")                      # the flag beats both

    monkeypatch.delenv("SFERUM_TUI_LANG")
    monkeypatch.setenv("SFERUM_TUI_HOME", str(tmp_path))  # the config of the home folder
    _, out, _ = run(capsys, "weeks", "--help")
    assert out.startswith("usage:")
    code, _, err = run(capsys, "--lang", "de", "weeks")   # not a language: the config's, and 2
    assert code == 2 and "error: argument --lang: invalid choice: 'de'" in err


def test_language_from_a_config_given_with_config_flag(capsys, tmp_path):
    cfg = tmp_path / "elsewhere.toml"
    cfg.write_text('[ui]\nlanguage = "en"\n', encoding="utf-8")
    _, out, _ = run(capsys, "--home", str(tmp_path / "h"), "--config", str(cfg), "--help")
    assert out.startswith("usage:") and "global flags" in out
    # the flag may follow the command too
    _, out, _ = run(capsys, "weeks", "--home", str(tmp_path / "h"), "--config", str(cfg), "--help")
    assert out.startswith("usage:")


def test_a_broken_config_falls_back_to_russian_and_the_command_reports_it(capsys, tmp_path):
    (tmp_path / "config.toml").write_text('[ui\nlanguage = "en"\n', encoding="utf-8")
    code, out, _ = run(capsys, "--home", str(tmp_path), "weeks", "--help")
    assert code == 0 and out.startswith("использование:")
    code, out, err = run(capsys, "--home", str(tmp_path), "summary")
    assert code == 1
    assert err.startswith("sferum-tui:") and "config.toml" in err and len(err.splitlines()) == 1


def test_usage_errors_exit_2_in_the_chosen_language(capsys, tmp_path):
    code, _, err = run(capsys, "--home", str(tmp_path), "schools", "--format", "yaml")
    assert code == 2
    assert "sferum-tui schools: ошибка: аргумент --format: недопустимое значение: 'yaml'" in err
    code, _, err = run(capsys, "--home", str(tmp_path), "history")
    assert code == 2 and "не хватает обязательных аргументов: ORG" in err
    code, _, err = run(capsys, "--lang", "en", "--home", str(tmp_path), "schools", "--bogus")
    assert code == 2 and "error: unrecognized arguments: --bogus" in err
    code, _, err = run(capsys, "--home", str(tmp_path), "schools", "--limit")
    assert code == 2 and "нужно значение" in err


def test_global_flags_are_listed_once_in_their_own_group(capsys, tmp_path):
    _, top, _ = run(capsys, "--home", str(tmp_path), "--lang", "en", "--help")
    group = top.split("global flags (may also follow the command):", 1)[1].split("\n\n", 1)[0]
    for flag in ("--home DIR", "--demo", "--lang {ru,en}", "--config FILE", "--theme NAME",
                 "--version", "--debug"):
        assert flag in group
        assert top.count(flag) == 2                     # the usage line and the group
    _, sub, _ = run(capsys, "--home", str(tmp_path), "--lang", "en", "changes", "--help")
    options = sub.split("\n\n")
    assert not any("--theme NAME" in part for part in options)      # not repeated per command
    assert "The global flags (--home, --store, --demo, --lang, --config, --theme, --debug)" in \
        " ".join(sub.split())
    # ...but accepted after the command all the same
    code, out, _ = run(capsys, "weeks", "--home", str(tmp_path), "--lang", "en")
    assert code == 0 and "The store is empty" in out


def test_version(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.startswith("sferum-tui ")


# -------------------------------------------------------------------------- completion

@pytest.mark.parametrize("shell, marker", [("bash", "complete -o"), ("zsh", "#compdef sferum-tui"),
                                           ("fish", "complete -c sferum-tui")])
def test_completion_scripts(capsys, tmp_path, shell, marker):
    code, out, _ = run(capsys, "--home", str(tmp_path), "completion", shell)
    assert code == 0
    assert marker in out
    for word in ("schools", "shortlist", "--municipality", "--low-messaging"):
        assert word in out


def test_bash_completion_completes_commands_and_flags(capsys, tmp_path):
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("no bash here")
    code, script, _ = run(capsys, "--home", str(tmp_path), "completion", "bash")
    path = tmp_path / "c.bash"
    path.write_text(script, encoding="utf-8")
    probe = (f"source {path}\n"
             "COMP_WORDS=(sferum-tui sch); COMP_CWORD=1; _shtab_sferum_tui; echo ${COMPREPLY[@]}\n"
             "COMP_WORDS=(sferum-tui schools --form); COMP_CWORD=2; _shtab_sferum_tui; "
             "echo ${COMPREPLY[@]}\n"
             "COMP_WORDS=(sferum-tui completion ''); COMP_CWORD=2; _shtab_sferum_tui; "
             "echo ${COMPREPLY[@]}\n")
    done = subprocess.run([bash, "--norc", "-c", probe], capture_output=True, text=True,
                          timeout=30)
    assert done.stdout.splitlines() == ["schools", "--format", "bash zsh fish"], done.stderr


def test_completion_needs_a_known_shell(capsys, tmp_path):
    code, _, err = run(capsys, "--home", str(tmp_path), "completion", "tcsh")
    assert code == 2 and "недопустимое значение: 'tcsh'" in err


def test_help_works_as_a_real_program():
    done = subprocess.run([sys.executable, "-m", "sferum_tui.cli", "--lang", "en", "--help"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.startswith("usage: sferum-tui")
