"""Where things live and what the user configured (the core's, through the one door)."""

from sferum_tui.core.config import (
    ENV_CLOUD_BASE,
    RETRIES_RANGE,
    TABLE_COLUMNS,
    TIMEOUT_RANGE,
    WAIT_INTERVAL_MAX_MINUTES,
    WAIT_TRIES_RANGE,
    Config,
    default_config_text,
    load_config,
    loads_config,
)
from sferum_tui.core.paths import Paths, resolve_paths

__all__ = ["Config", "load_config", "loads_config", "default_config_text", "ENV_CLOUD_BASE", "TABLE_COLUMNS",
           "TIMEOUT_RANGE", "RETRIES_RANGE", "WAIT_TRIES_RANGE", "WAIT_INTERVAL_MAX_MINUTES",
           "Paths", "resolve_paths"]
