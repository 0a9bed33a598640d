"""Where sferum-tui keeps its data, config and cache.

Order of precedence for the home folder: ``--home DIR``, then ``SFERUM_TUI_HOME``, then the
platformdirs user data folder.  The config file: ``--config FILE`` (the CLI), then
``SFERUM_TUI_CONFIG``, then ``config.toml`` in the home folder (``--home``/``SFERUM_TUI_HOME``),
then in the platformdirs user config folder.  Like the home default, a ``SFERUM_TUI_CONFIG``
file that does not exist yet means the defaults (``config init`` creates it there).  User
themes live in ``themes/`` inside the config folder (``config_dir``), whichever file is used.
``--demo`` uses a ``demo`` sub-folder of whichever home applies, so demo data never mixes with
the user's own snapshots.  The log goes to ``<home>/logs`` with a home
folder, else to the platformdirs user log folder (demo or not).

The store (``store.sqlite`` and ``blobs/``) is in the data folder unless another is selected:
``--store DIR|URL``, then ``SFERUM_TUI_STORE``, then ``[store] url`` in the config (see
:func:`store_location`).  ``Paths.home`` is then the store's folder, and ``Paths.data_dir`` stays
the user's own data folder (per-user state: the personal shortlists of a shared store).  The
config folder, the cache and the log are the user's whatever the store.  ``--demo`` ignores the
selected store: the demo never mixes with a shared one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "sferum-tui"
ENV_HOME = "SFERUM_TUI_HOME"
ENV_CONFIG = "SFERUM_TUI_CONFIG"
ENV_STORE = "SFERUM_TUI_STORE"
STORE_FILE = "store.sqlite"


@dataclass(frozen=True)
class Paths:
    home: Path          # data folder: store.sqlite, blobs/
    config_dir: Path
    cache_dir: Path
    log_dir: Path | None = None     # the rotating log (sferum_tui/logs.py)
    config_env: Path | None = None  # SFERUM_TUI_CONFIG, when set
    data_dir: Path | None = None    # the user's own data folder when the store is elsewhere
    store_from: str | None = None   # what selected another store: "--store", ENV_STORE, a config
    store_url: str | None = None    # a PostgreSQL store (postgresql://…); home is then the user's

    @property
    def user_data(self) -> Path:
        """The user's own data folder (``home`` unless another store is selected)."""
        return self.data_dir or self.home

    @property
    def shared_store(self) -> bool:
        """True when the store is not the user's own data folder (``--store`` and the like)."""
        return self.store_url is not None or (self.data_dir is not None and self.data_dir != self.home)

    @property
    def store_label(self) -> str:
        """The store as messages name it: its folder, or its URL without the password."""
        if self.store_url:
            from sferum_tui.core.store.pg import safe_url

            return safe_url(self.store_url)
        return str(self.home)

    @property
    def db(self) -> Path:
        return self.home / STORE_FILE

    @property
    def blobs(self) -> Path:
        return self.home / "blobs"

    @property
    def config_file(self) -> Path:
        return self.config_env or self.config_dir / "config.toml"

    @property
    def themes_dir(self) -> Path:
        """The user's own console themes (``*.toml``), listed after the bundled ones."""
        return self.config_dir / "themes"


def resolve_paths(home: str | os.PathLike | None = None, demo: bool = False) -> Paths:
    if home is None:
        home = os.environ.get(ENV_HOME) or None
    if home is not None:
        base = Path(home).expanduser().resolve()
        config_dir = base
        cache_dir = base / "cache"
        log_dir = base / "logs"
        data = base
    else:
        import platformdirs

        data = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
        config_dir = Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))
        cache_dir = Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))
        log_dir = Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))
    if demo:
        data = data / "demo"
        cache_dir = cache_dir / "demo"
    env_config = os.environ.get(ENV_CONFIG) or None
    config_env = Path(env_config).expanduser().absolute() if env_config else None
    return Paths(home=data, config_dir=config_dir, cache_dir=cache_dir, log_dir=log_dir,
                 config_env=config_env)


def store_location(value: str, where: str, *, base: Path | None = None) -> Path:
    """The folder of the store ``value`` names: a folder, ``sqlite:PATH`` (a folder holding
    ``store.sqlite``, or that file itself), or a URL.  ``where`` names where the value was
    written (``--store``, ``SFERUM_TUI_STORE``, a config file) in the one-line errors; a relative
    path is taken from ``base`` (the config file's folder), else from the current folder.
    A PostgreSQL URL is checked by :func:`store_url` instead."""
    from sferum_tui.core.errors import UserError
    from sferum_tui.i18n import tr

    text = str(value).strip()
    if not text:
        raise UserError(tr("{w}: пустой адрес хранилища (ожидается папка или sqlite:ПУТЬ)",
                           "{w}: an empty store address (expected a folder or sqlite:PATH)", w=where))
    scheme = text.split(":", 1)[0].lower() if ":" in text else ""
    if scheme in ("postgresql", "postgres"):
        raise UserError(tr("{w}: адрес PostgreSQL — не папка", "{w}: a PostgreSQL URL is not a folder",
                           w=where))
    if scheme == "sqlite":
        text = text[len("sqlite:"):]
        if text.startswith("//"):       # sqlite:///abs/path, as in SQLAlchemy's URLs
            text = text[2:]
        if not text:
            raise UserError(tr("{w}: после sqlite: нужен путь к папке хранилища",
                               "{w}: sqlite: needs the store folder's path", w=where))
    elif len(scheme) > 1 and "://" in text:   # (C:\… on Windows is a path, not a scheme)
        raise UserError(tr("{w}: неизвестный вид хранилища «{s}» (ожидается папка, sqlite:ПУТЬ "
                           "или postgresql://…)",
                           "{w}: unknown store kind “{s}” (expected a folder, sqlite:PATH or "
                           "postgresql://…)", w=where, s=scheme))
    path = Path(text).expanduser()
    if not path.is_absolute():
        path = (base or Path.cwd()) / path
    path = path.resolve()
    if path.name == STORE_FILE and not path.is_dir():
        path = path.parent
    if path.exists() and not path.is_dir():
        raise UserError(tr("{w}: {p} — не папка хранилища (ожидается папка с {f})",
                           "{w}: {p} is not a store folder (expected a folder holding {f})",
                           w=where, p=path, f=STORE_FILE))
    return path


def store_url(value: str, where: str) -> str | None:
    """``value`` when it is a PostgreSQL URL (``postgresql://[user@]host[:port]/db[?…]``), checked
    enough to refuse a mistyped one in one line; None for anything else (a folder)."""
    from urllib.parse import urlsplit

    from sferum_tui.core.errors import UserError
    from sferum_tui.i18n import tr

    text = str(value).strip()
    if text.split(":", 1)[0].lower() not in ("postgresql", "postgres"):
        return None
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError as exc:
        raise UserError(tr("{w}: неверный адрес PostgreSQL ({e})", "{w}: a bad PostgreSQL URL ({e})",
                           w=where, e=exc)) from None
    if not text.lower().startswith(("postgresql://", "postgres://")) or \
            not (parts.hostname or "host=" in parts.query) or len(parts.path.strip("/")) == 0:
        raise UserError(tr("{w}: адрес PostgreSQL должен быть вида postgresql://ПОЛЬЗОВАТЕЛЬ@СЕРВЕР/БАЗА",
                           "{w}: a PostgreSQL URL must look like postgresql://USER@HOST/DATABASE",
                           w=where))
    return text


def with_store(paths: Paths, flag: str | None, config_url: str | None = None,
               config_file: Path | None = None, *, demo: bool = False) -> Paths:
    """``paths`` with the store selected by ``--store`` (``flag``), else ``SFERUM_TUI_STORE``,
    else the config's ``[store] url`` (``config_url``, read from ``config_file``); unchanged
    when none is given or for the demo."""
    from dataclasses import replace

    if demo:
        return paths
    if flag:
        value, where, base = flag, "--store", None
    elif os.environ.get(ENV_STORE):
        value, where, base = os.environ[ENV_STORE], ENV_STORE, None
    elif config_url:
        value, where = config_url, f"{config_file}: store.url" if config_file else "store.url"
        base = config_file.parent if config_file else None
    else:
        return paths
    url = store_url(value, where)
    if url is not None:     # the store is in the database; home stays the user's own folder
        return replace(paths, data_dir=paths.user_data, store_from=where, store_url=url)
    folder = store_location(value, where, base=base)
    return replace(paths, home=folder, data_dir=paths.user_data, store_from=where, store_url=None)
