"""Errors that are the user's to fix (bad files, bad config, bad arguments).

They carry a one-line, already-translated message; the CLI prints it and exits 1,
never a traceback.
"""

from __future__ import annotations


class UserError(Exception):
    """A problem in the user's input; ``str(err)`` is the one-line message."""

    exit_code = 1

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.message


class InputFileError(UserError):
    """A weekly/registry file that cannot be read or fails validation."""

    def __init__(self, message: str, *, source: str | None = None, row: int | None = None,
                 column: str | None = None):
        super().__init__(message)
        self.source = source
        self.row = row
        self.column = column


class ConfigError(UserError):
    """A config file that is not valid."""


class StoreError(UserError):
    """A store operation refused for a reason the user can act on."""
