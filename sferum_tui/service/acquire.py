"""Getting the weekly files from their sources (the core's fetch, through the one door)."""

from sferum_tui.core.acquire.fetch import (
    FetchEvent,
    fetch_once,
    fetch_until_new,
    format_size,
    resolve_sources,
    settings_from_config,
)

__all__ = ["FetchEvent", "fetch_once", "fetch_until_new", "format_size", "resolve_sources",
           "settings_from_config"]
