"""Regular expressions compiled when first used.

``re.compile`` of a module's patterns at import costs every command's start: ~4 ms for the
period patterns (month names, ranges, weeks), ~2 ms for the spreadsheet guard's, while a run
uses a few of them (reading a CSV never needs the workbook scanners).  ``lazy(pattern)`` stands
for ``re.compile(pattern)`` and compiles on the first use of any of its attributes.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["LazyPattern", "lazy"]

_ATTRS = ("search", "match", "fullmatch", "finditer", "findall", "sub", "subn", "split",
          "pattern", "flags", "groups", "groupindex")


class LazyPattern:
    """``re.compile(pattern, flags)``, done at the first use of any of its attributes (which
    are then the compiled pattern's own)."""

    def __init__(self, pattern: str | bytes, flags: int = 0) -> None:
        self._args: tuple[Any, int] = (pattern, flags)

    def __getattr__(self, name: str) -> Any:
        compiled = re.compile(*self._args)
        self.__dict__.update((attr, getattr(compiled, attr)) for attr in _ATTRS)
        return getattr(compiled, name)


def lazy(pattern: str | bytes, flags: int = 0) -> LazyPattern:
    return LazyPattern(pattern, flags)
