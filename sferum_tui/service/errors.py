"""The errors a surface shows in one line (the core's, through the one door)."""

from sferum_tui.core.errors import ConfigError, InputFileError, StoreError, UserError

__all__ = ["UserError", "ConfigError", "InputFileError", "StoreError"]
