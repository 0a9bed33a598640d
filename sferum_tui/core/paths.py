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
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "sferum-tui"
ENV_HOME = "SFERUM_TUI_HOME"
ENV_CONFIG = "SFERUM_TUI_CONFIG"


@dataclass(frozen=True)
class Paths:
    home: Path          # data folder: store.sqlite, blobs/
    config_dir: Path
    cache_dir: Path
    log_dir: Path | None = None     # the rotating log (sferum_tui/logs.py)
    config_env: Path | None = None  # SFERUM_TUI_CONFIG, when set

    @property
    def db(self) -> Path:
        return self.home / "store.sqlite"

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
