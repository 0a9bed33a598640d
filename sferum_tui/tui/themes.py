"""Console themes: TOML files in ``themes/`` turned into Textual ``Theme`` objects.

A theme file is data, so officials (or a region's IT person) can add one without code::

    name = "sferum-dark"          # optional, defaults to the file name
    dark = true                   # optional, default true
    luminosity_spread = 0.15      # optional, 0..1
    text_alpha = 0.95             # optional, 0..1

    [colors]                      # primary is required; the rest derive from it
    primary = "#4C9BE8"
    secondary = "#2E6DB4"
    accent = "#F2B84B"
    warning = "#E8A33D"
    error = "#E5534B"
    success = "#57AB5A"
    foreground = "#DCE3EA"
    background = "#0F1620"
    surface = "#151E2A"
    panel = "#1D2836"
    boost = "#FFFFFF10"

    [variables]                   # any Textual theme variable, e.g.
    block-cursor-background = "#2E6DB4"
    block-cursor-text-style = "bold"
    input-selection-background = "#4C9BE8 35%"

Files are looked for in the repository's top-level ``themes/`` folder (next to the package),
else in a ``themes`` folder inside the package (where an installed wheel would carry them),
then in the user's own folder, ``themes/`` in the config folder (``Paths.themes_dir``, as
posting does; a user file named like a bundled theme replaces it).  A bad file never stops the
console: it is reported as one notification naming the file and the key, and the other themes
load; when the bad file is the theme asked for, that one notification also says which theme
is used instead.  An unknown theme name falls back to the default with a warning text.
Textual's built-in themes (``ansi-dark`` for 16-colour terminals, ``textual-light`` …) stay
available; the palette lists ours first, then the user's, then Textual's.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.color import Color, ColorParseError
from textual.css.constants import VALID_STYLE_FLAGS
from textual.theme import BUILTIN_THEMES, Theme

from sferum_tui.i18n import tr
from sferum_tui.service.errors import ConfigError

if TYPE_CHECKING:
    from textual.app import App

__all__ = [
    "ALIASES",
    "BUNDLED_THEMES",
    "DEFAULT_THEME",
    "ThemeFileError",
    "apply_theme",
    "load_theme_file",
    "load_themes",
    "register_all",
    "resolve_theme",
    "install_themes",
    "theme_dirs",
    "theme_order",
]

DEFAULT_THEME = "sferum-dark"
BUNDLED_THEMES = ("sferum-dark", "sferum-light", "sferum-contrast")
FALLBACK_THEME = "textual-dark"  # if even the default theme file is broken

ALIASES = {
    "dark": "sferum-dark",
    "light": "sferum-light",
    "contrast": "sferum-contrast",
    "high-contrast": "sferum-contrast",
    "projector": "sferum-contrast",
    "ansi": "ansi-dark",
    "textual-ansi": "ansi-dark",
    "16": "ansi-dark",
}
"""Short names accepted by ``--theme`` and the config."""

COLOR_KEYS = (
    "primary", "secondary", "accent", "warning", "error", "success",
    "foreground", "background", "surface", "panel", "boost",
)
TOP_KEYS = {"name", "dark", "luminosity_spread", "text_alpha", "description", "colors", "variables"}
_VARIABLE_NAME = re.compile(r"^[a-z][a-z0-9-]*$")
_ALPHA = re.compile(r"^\d{1,3}(\.\d+)?%$")


class ThemeFileError(ConfigError):
    """A theme file that cannot be used; the message is one line naming the file and key."""


def theme_dirs() -> list[Path]:
    """Folders holding the bundled theme files, best first."""
    here = Path(__file__).resolve()
    candidates = [here.parents[2] / "themes", here.parents[1] / "themes"]
    for folder in candidates:
        if folder.is_dir() and any(folder.glob("*.toml")):
            return [folder]
    return []


# ---------------------------------------------------------------------------- validation


def _fail(path: Path, key: str, problem: str) -> ThemeFileError:
    return ThemeFileError(f"{path}: {key}: {problem}")


def _check_color(path: Path, key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(path, key, tr("ожидается цвет, например \"#1E88E5\", а указано {v!r}",
                                  "expected a colour like \"#1E88E5\", got {v!r}", v=value))
    parts = value.split()
    ok = len(parts) in (1, 2) and (len(parts) == 1 or _ALPHA.match(parts[1]) is not None)
    if ok and parts[0] not in ("auto", "transparent"):
        try:
            Color.parse(parts[0])
        except ColorParseError:
            ok = False
    if not ok:
        raise _fail(path, key, tr(
            "ожидается цвет, например \"#1E88E5\" или \"#1E88E5 50%\", а указано {v!r}",
            "expected a colour like \"#1E88E5\" or \"#1E88E5 50%\", got {v!r}", v=value))
    return value.strip()


def _check_style(path: Path, key: str, value: Any) -> str:
    words = value.split() if isinstance(value, str) else None
    if not words or any(word not in VALID_STYLE_FLAGS for word in words):
        raise _fail(path, key, tr(
            "ожидается стиль текста из слов {flags}, а указано {v!r}",
            "expected a text style made of {flags}, got {v!r}",
            flags=", ".join(sorted(VALID_STYLE_FLAGS)), v=value))
    return value.strip()


def _check_fraction(path: Path, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise _fail(path, key, tr("ожидается число от 0 до 1, а указано {v!r}",
                                  "expected a number from 0 to 1, got {v!r}", v=value))
    return float(value)


def load_theme_file(path: str | Path) -> Theme:
    """Read and validate one theme file.

    Raises:
        ThemeFileError: with a one-line message naming the file and the key.
    """
    path = Path(path)
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise ThemeFileError(f"{path}: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ThemeFileError(f"{path}: {tr('не TOML', 'not valid TOML')}: {exc}") from exc

    for key in data:
        if key not in TOP_KEYS:
            raise _fail(path, key, tr("неизвестный ключ; допустимы: {keys}",
                                      "unknown key; expected one of: {keys}",
                                      keys=", ".join(sorted(TOP_KEYS))))
    name = data.get("name", path.stem)
    if not isinstance(name, str) or not _VARIABLE_NAME.match(name):
        raise _fail(path, "name", tr(
            "ожидается имя из строчных латинских букв, цифр и дефисов, а указано {v!r}",
            "expected a name of lower-case letters, digits and hyphens, got {v!r}", v=name))
    dark = data.get("dark", True)
    if not isinstance(dark, bool):
        raise _fail(path, "dark", tr("ожидается true или false, а указано {v!r}",
                                     "expected true or false, got {v!r}", v=dark))
    options: dict[str, Any] = {}
    for key in ("luminosity_spread", "text_alpha"):
        if key in data:
            options[key] = _check_fraction(path, key, data[key])
    if "description" in data and not isinstance(data["description"], str):
        raise _fail(path, "description", tr("ожидается строка", "expected a string"))

    colors = data.get("colors")
    if not isinstance(colors, dict):
        raise _fail(path, "colors", tr("нужна таблица [colors] с цветом primary",
                                       "a [colors] table with a primary colour is required"))
    for key in colors:
        if key not in COLOR_KEYS:
            raise _fail(path, f"colors.{key}", tr("неизвестный цвет; допустимы: {keys}",
                                                  "unknown colour; expected one of: {keys}",
                                                  keys=", ".join(COLOR_KEYS)))
    if "primary" not in colors:
        raise _fail(path, "colors.primary", tr("обязательный цвет не указан",
                                               "required colour is missing"))
    checked = {key: _check_color(path, f"colors.{key}", value) for key, value in colors.items()}

    variables = data.get("variables", {})
    if not isinstance(variables, dict):
        raise _fail(path, "variables", tr("ожидается таблица [variables]",
                                          "expected a [variables] table"))
    theme_vars: dict[str, str] = {}
    for key, value in variables.items():
        where = f"variables.{key}"
        if not _VARIABLE_NAME.match(key):
            raise _fail(path, where, tr("имя переменной: строчные латинские буквы, цифры и дефисы",
                                        "a variable name is lower-case letters, digits and hyphens"))
        if key.endswith("-style"):
            theme_vars[key] = _check_style(path, where, value)
        else:
            theme_vars[key] = _check_color(path, where, value)

    return Theme(name=name, dark=dark, variables=theme_vars, **checked, **options)


def load_themes(
    dirs: Iterable[str | Path] | None = None, extra_dirs: Iterable[str | Path] = ()
) -> tuple[dict[str, Theme], list[str]]:
    """Load every ``*.toml`` theme in ``dirs`` (default: ``theme_dirs()``) then ``extra_dirs``.

    Returns the themes by name (a later folder overrides an earlier one) and the one-line
    error messages of the files that could not be used.
    """
    themes, errors = _scan(dirs, extra_dirs)
    return themes, [message for _, message in errors]


def _scan(
    dirs: Iterable[str | Path] | None, extra_dirs: Iterable[str | Path]
) -> tuple[dict[str, Theme], list[tuple[Path, str]]]:
    """``load_themes``, keeping the path of each unusable file beside its message."""
    folders = [Path(d) for d in (theme_dirs() if dirs is None else dirs)]
    folders += [Path(d) for d in extra_dirs]
    themes: dict[str, Theme] = {}
    errors: list[tuple[Path, str]] = []
    for folder in folders:
        try:
            paths = sorted(folder.glob("*.toml")) if folder.is_dir() else []
        except OSError as exc:  # an unreadable user folder is one more skipped theme source
            errors.append((folder, f"{folder}: {exc.strerror or exc}"))
            continue
        for path in paths:
            try:
                theme = load_theme_file(path)
            except ThemeFileError as exc:
                errors.append((path, str(exc)))
            else:
                themes[theme.name] = theme
    return themes, errors


def register_all(app: App, extra_dirs: Iterable[str | Path] = ()) -> list[str]:
    """Register the bundled themes (and those in ``extra_dirs``) with ``app``.

    Textual's built-in themes stay registered.  Returns the errors of unusable files, for the
    app to show as notifications.
    """
    themes, errors = load_themes(extra_dirs=extra_dirs)
    for theme in themes.values():
        app.register_theme(theme)
    return errors


def install_themes(app: App, requested: str | None, user_dir: str | Path | None = None) -> None:
    """Register the bundled themes and the user's (``user_dir``), then switch to ``requested``.

    Each unusable file is one notification naming the file and the problem; when it is the
    file of the requested theme, that same notification says which theme is used instead (no
    second "not found" notice).  Never raises for a bad file or an unknown name.
    """
    themes, errors = _scan(None, [user_dir] if user_dir is not None else ())
    for theme in themes.values():
        app.register_theme(theme)
    theme, warning = resolve_theme(requested, app.available_themes)
    wanted = str(requested or "").strip().lower()
    wanted = ALIASES.get(wanted, wanted)
    said = False
    for path, message in errors:
        if warning and not said and path.stem.lower() == wanted:
            said = True
            app.notify(tr("Тема «{name}» не включена, включена «{default}»: {error}",
                          "Theme '{name}' not used; using '{default}': {error}",
                          name=requested, default=theme, error=message),
                       severity="warning", markup=False, timeout=10)
        else:
            app.notify(message, title=tr("Тема пропущена", "Theme skipped"),
                       severity="warning", markup=False, timeout=10)
    apply_theme(app, requested, notify=not said)


def theme_order(names: Iterable[str]) -> list[str]:
    """Theme names as the palette lists them: ours, then the user's, then Textual's own."""
    names = set(names)
    ours = [n for n in (*BUNDLED_THEMES, "ansi-dark") if n in names]
    rest = sorted(names - set(ours))
    return ours + [n for n in rest if n not in BUILTIN_THEMES] + [
        n for n in rest if n in BUILTIN_THEMES]


def _known_names() -> set[str]:
    themes, _ = load_themes()
    return set(BUILTIN_THEMES) | set(themes)


def resolve_theme(
    name: str | None, available: Iterable[str] | None = None
) -> tuple[str, str | None]:
    """Pick the theme to use for a requested ``name`` (from ``--theme``, config or palette).

    ``available`` are the registered names (e.g. ``app.available_themes``); by default the
    bundled files plus Textual's built-in themes.  Names are matched case-insensitively and
    through ``ALIASES``.  Returns ``(theme_name, warning)``: an unknown name gives the default
    theme and a warning text to show as a notification; it never raises.
    """
    names = set(available) if available is not None else _known_names()
    default = DEFAULT_THEME if DEFAULT_THEME in names else FALLBACK_THEME
    if name is None or not str(name).strip():
        return default, None
    wanted = str(name).strip()
    if wanted in names:
        return wanted, None
    lowered = wanted.lower()
    lowered = ALIASES.get(lowered, lowered)
    for candidate in names:
        if candidate.lower() == lowered:
            return candidate, None
    ours = [n for n in BUNDLED_THEMES if n in names] + [n for n in ("ansi-dark",) if n in names]
    others = len(names) - len(ours)
    choices = ", ".join(ours)
    if others:
        choices += tr(" и ещё {n} (ctrl+p)", " and {n} more (ctrl+p)", n=others)
    warning = tr(
        "Тема «{name}» не найдена, включена «{default}». Доступны: {choices}",
        "Theme '{name}' not found; using '{default}'. Available: {choices}",
        name=wanted, default=default, choices=choices,
    )
    return default, warning


def apply_theme(app: App, name: str | None, *, notify: bool = True) -> str | None:
    """Resolve ``name`` against ``app``'s registered themes and switch to it.

    Returns the warning (also shown as a notification when ``notify``), or ``None``.
    """
    theme, warning = resolve_theme(name, app.available_themes)
    app.theme = theme
    if warning and notify:
        app.notify(warning, severity="warning", markup=False, timeout=8)
    return warning
