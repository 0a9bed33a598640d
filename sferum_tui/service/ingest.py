"""Reading weekly files and registries (the core's reader, through the one door)."""

from sferum_tui.core.ingest.limits import DEFAULT_LIMITS, Limits
from sferum_tui.core.ingest.reader import read_registry, read_table, read_weekly, read_weeks

__all__ = ["read_weekly", "read_weeks", "read_registry", "read_table", "DEFAULT_LIMITS", "Limits"]
