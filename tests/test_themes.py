"""Theme files: each loads and registers; bad files give one-line errors; unknown names fall back."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.theme import Theme
from textual.widgets import Static

from sferum_tui.i18n import get_language, set_language
from sferum_tui.tui import themes
from sferum_tui.tui.themes import (
    BUNDLED_THEMES,
    DEFAULT_THEME,
    ThemeFileError,
    apply_theme,
    load_theme_file,
    load_themes,
    register_all,
    resolve_theme,
    theme_dirs,
)

from tui_support import make_context

REPO_THEMES = Path(__file__).resolve().parents[1] / "themes"


@pytest.fixture
def english():
    before = get_language()
    set_language("en")
    yield
    set_language(before)


def test_bundled_theme_files_are_found_and_load():
    assert theme_dirs() == [REPO_THEMES]
    for name in BUNDLED_THEMES:
        theme = load_theme_file(REPO_THEMES / f"{name}.toml")
        assert isinstance(theme, Theme) and theme.name == name
    loaded, errors = load_themes()
    assert errors == []
    assert set(BUNDLED_THEMES) <= set(loaded)
    assert loaded["sferum-light"].dark is False
    contrast = loaded["sferum-contrast"]
    colours = {contrast.primary, contrast.background, contrast.foreground, contrast.error,
               contrast.warning, contrast.success, contrast.surface, contrast.panel}
    assert colours <= {"#FFFF00", "#000000", "#FFFFFF"}  # pure black / white / yellow
    assert contrast.variables["block-cursor-text-style"] == "bold"


class ThemedApp(App):
    def __init__(self, requested: str | None) -> None:
        super().__init__()
        self.requested = requested
        self.errors: list[str] = []
        self.warning: str | None = None

    def compose(self) -> ComposeResult:
        yield Static("Школа № 1")

    def on_mount(self) -> None:
        self.errors = register_all(self)
        self.warning = apply_theme(self, self.requested)


@pytest.mark.parametrize("name", BUNDLED_THEMES)
async def test_each_theme_registers_and_applies(name):
    app = ThemedApp(name)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.errors == [] and app.warning is None
        assert app.theme == name
        assert app.current_theme.name == name
        # Textual's own themes stay available, e.g. the 16-colour one
        assert "ansi-dark" in app.available_themes and "textual-dark" in app.available_themes
        assert app.theme_variables["block-cursor-background"]
        assert app.export_screenshot()


async def test_unknown_theme_falls_back_with_a_notification():
    app = ThemedApp("sferum-purple")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.theme == DEFAULT_THEME
        assert app.warning and "sferum-purple" in app.warning and DEFAULT_THEME in app.warning
        assert [n.message for n in app._notifications] == [app.warning]


async def test_a_builtin_and_an_alias_are_accepted():
    app = ThemedApp("ANSI")
    async with app.run_test(size=(80, 24)):
        assert app.theme == "ansi-dark" and app.warning is None


def test_resolve_theme_names():
    assert resolve_theme(None) == (DEFAULT_THEME, None)
    assert resolve_theme("  ") == (DEFAULT_THEME, None)
    assert resolve_theme("sferum-light") == ("sferum-light", None)
    assert resolve_theme("Sferum-Contrast") == ("sferum-contrast", None)
    assert resolve_theme("contrast") == ("sferum-contrast", None)
    assert resolve_theme("textual-light") == ("textual-light", None)
    name, warning = resolve_theme("nope")
    assert name == DEFAULT_THEME and "nope" in warning and "\n" not in warning
    # when even the default theme is not there, Textual's default is used
    assert resolve_theme("nope", available=["textual-dark"])[0] == "textual-dark"


def test_warning_in_english(english):
    _, warning = resolve_theme("nope")
    assert warning.startswith("Theme 'nope' not found; using 'sferum-dark'.")


GOOD = """
name = "mine"
[colors]
primary = "#123456"
"""


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('name = "x"\n[colors]\nprimary = "blu"\n', "colors.primary"),
        ('[colors]\nsecondary = "#fff"\n', "colors.primary"),
        ('colours = 1\n[colors]\nprimary = "#fff"\n', "colours"),
        ('[colors]\nprimary = "#fff"\nteal = "#0ff"\n', "colors.teal"),
        ('name = "Bad Name"\n[colors]\nprimary = "#fff"\n', "name"),
        ('dark = "yes"\n[colors]\nprimary = "#fff"\n', "dark"),
        ('text_alpha = 2\n[colors]\nprimary = "#fff"\n', "text_alpha"),
        ('[colors]\nprimary = "#fff"\n[variables]\nblock-cursor-text-style = "shiny"\n',
         "variables.block-cursor-text-style"),
        ('[colors]\nprimary = "#fff"\n[variables]\nborder = "#fff 50"\n', "variables.border"),
        ('[colors]\nprimary = 5\n', "colors.primary"),
    ],
)
def test_bad_theme_files_give_one_line_errors(tmp_path, text, key):
    path = tmp_path / "broken.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ThemeFileError) as info:
        load_theme_file(path)
    message = str(info.value)
    assert message.startswith(f"{path}: {key}: ")
    assert "\n" not in message


def test_not_toml_is_reported_with_the_file(tmp_path):
    path = tmp_path / "junk.toml"
    path.write_text("[colors\nprimary = ", encoding="utf-8")
    with pytest.raises(ThemeFileError) as info:
        load_theme_file(path)
    assert str(info.value).startswith(f"{path}: ") and "\n" not in str(info.value)


def test_good_files_load_beside_bad_ones(tmp_path):
    (tmp_path / "mine.toml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "broken.toml").write_text("[colors]\n", encoding="utf-8")
    loaded, errors = load_themes(extra_dirs=[tmp_path])
    assert "mine" in loaded and set(BUNDLED_THEMES) <= set(loaded)
    assert len(errors) == 1 and "broken.toml: colors.primary" in errors[0]
    theme = loaded["mine"]
    assert theme.primary == "#123456" and theme.dark is True


def test_a_user_file_overrides_a_bundled_theme(tmp_path):
    (tmp_path / "sferum-dark.toml").write_text(
        'name = "sferum-dark"\n[colors]\nprimary = "#FF00FF"\n', encoding="utf-8")
    loaded, errors = load_themes(extra_dirs=[tmp_path])
    assert errors == [] and loaded["sferum-dark"].primary == "#FF00FF"


def test_package_fallback_folder(tmp_path, monkeypatch):
    """Installed without the repository's themes/ folder, the package's own copy is used."""
    fake_module = tmp_path / "site" / "sferum_tui" / "tui" / "themes.py"
    fake_module.parent.mkdir(parents=True)
    packaged = tmp_path / "site" / "sferum_tui" / "themes"
    packaged.mkdir()
    (packaged / "mine.toml").write_text(GOOD, encoding="utf-8")
    monkeypatch.setattr(themes, "__file__", str(fake_module))
    assert theme_dirs() == [packaged]
    (packaged / "mine.toml").unlink()
    assert theme_dirs() == []
    assert resolve_theme("sferum-dark")[0] == "textual-dark"  # nothing bundled: Textual's default


# ------------------------------------------------------------- the user's own themes, for real

USER_THEME = """\
# a region's own colours
name = "my-region"
dark = false

[colors]
primary = "#8A2BE2"
background = "#FAFAF5"
"""


def user_console(home: Path, theme: str | None, lang: str = "en"):
    """The console as ``sferum-tui --home HOME --theme THEME`` builds it (user themes in
    HOME/themes, the config folder of that home)."""
    from sferum_tui.tui.app import make_app

    from tui_support import record_notices

    app = make_app(make_context(home, lang, theme), poll_seconds=60)
    record_notices(app)
    return app


def theme_notices(app) -> list[str]:
    return [n for n in app.notices if "heme" in n or "Тема" in n]


async def test_a_user_theme_is_listed_after_ours_and_applies(tmp_path):
    home = tmp_path / "home"
    (home / "themes").mkdir(parents=True)
    (home / "themes" / "my-region.toml").write_text(USER_THEME, encoding="utf-8")
    app = user_console(home, "my-region")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.theme == "my-region"
        assert app.current_theme.primary == "#8A2BE2" and app.current_theme.dark is False
        assert theme_notices(app) == []
        from sferum_tui.tui.app import SferumCommands

        titles = [t for t, _, _ in SferumCommands(app.screen)._commands()
                  if t.startswith("Theme: ")]
        names = [t.removeprefix("Theme: ") for t in titles]
        assert names[:5] == ["sferum-dark", "sferum-light", "sferum-contrast", "ansi-dark",
                             "my-region"]
        assert "textual-dark" not in names   # Textual's stock themes: [ui] stock_themes = true
        app.set_theme_by_name("sferum-light")  # what the palette entry does
        await pilot.pause()
        assert app.theme == "sferum-light"
        app.set_theme_by_name("my-region")
        await pilot.pause()
        assert app.theme == "my-region" and theme_notices(app) == []


@pytest.mark.parametrize("text, problem", [
    ('name = "my-region"\n[colors\nprimary = "#8A2BE2"\n', "not valid TOML"),
    ('name = "my-region"\n[colors]\nprimary = "ultraviolet"\n', "colors.primary"),
    ('name = "my-region"\n[colors]\nprimary = "#8A2BE2"\nglow = "#FFFFFF"\n', "colors.glow"),
])
async def test_a_broken_user_theme_falls_back_with_one_notification(tmp_path, text, problem):
    home = tmp_path / "home"
    (home / "themes").mkdir(parents=True)
    path = home / "themes" / "my-region.toml"
    path.write_text(text, encoding="utf-8")
    app = user_console(home, "my-region")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.theme == DEFAULT_THEME
        notices = theme_notices(app)
        assert len(notices) == 1, notices
        (notice,) = notices
        assert "\n" not in notice
        assert str(path) in notice and problem in notice
        assert "my-region" in notice and DEFAULT_THEME in notice


async def test_a_broken_user_theme_not_asked_for_is_skipped_with_one_notification(tmp_path):
    home = tmp_path / "home"
    (home / "themes").mkdir(parents=True)
    (home / "themes" / "my-region.toml").write_text(USER_THEME, encoding="utf-8")
    broken = home / "themes" / "other.toml"
    broken.write_text("[colors]\nprimary = 5\n", encoding="utf-8")
    app = user_console(home, "my-region", lang="ru")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.theme == "my-region"
        notices = theme_notices(app)
        assert len(notices) == 1 and notices[0].startswith("Тема пропущена: ")
        assert f"{broken}: colors.primary:" in notices[0]
