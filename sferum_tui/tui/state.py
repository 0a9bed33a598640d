"""The console's UI state between sessions: the chosen columns, and (unless turned off) the
week, sort, filters and the reasons panel of each store.

Why a separate file and not ``config.toml``: the config is the user's (or an administrator's)
hand-written, commented file; writing it back from the console would lose its comments.  So the
console keeps what it learns in ``ui-state.json`` next to the config (``<config dir>``, which is
the ``--home`` folder when one is given).  ``[ui] columns`` in the config is the starting
layout; a choice made in the console's column chooser wins.  ``[ui] remember = false`` (or the
palette's «Запоминать вид» command, saved here) turns the remembering of the view off.

The file is small JSON, written atomically (a temporary file renamed over it).  A missing,
unreadable or malformed file, or a value of the wrong type, is ignored: the console starts with
the defaults, never with an error — this file is a convenience, not data.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from sferum_tui.service.config import TABLE_COLUMNS
from sferum_tui.service.console import Filters

__all__ = ["UIState", "SavedView", "state_file", "load_state", "save_state", "STATE_NAME"]

STATE_NAME = "ui-state.json"
VERSION = 1

_BOOL_FILTERS = ("inactive", "low_messaging", "unregistered", "missing", "changed", "disagrees")


@dataclass
class SavedView:
    """What the main screen showed when the console was closed (one per store)."""

    week_id: int | None = None       # None: the latest (also when the latest was shown)
    sort: tuple[str, bool] | None = None
    filters: Filters = field(default_factory=Filters)
    threshold: float | None = None   # a low-messaging threshold set with ``t`` (share 0..1)
    wrap: bool = False               # the reasons panel under the table

    def to_json(self) -> dict[str, Any]:
        f = self.filters
        return {
            "week_id": self.week_id,
            "sort": list(self.sort) if self.sort else None,
            "filters": {**{name: bool(getattr(f, name)) for name in _BOOL_FILTERS},
                        "municipality": list(f.municipality), "region": f.region,
                        "search": f.search},
            "threshold": self.threshold,
            "wrap": self.wrap,
        }

    @classmethod
    def from_json(cls, data: Any) -> "SavedView":
        out = cls()
        if not isinstance(data, dict):
            return out
        week = data.get("week_id")
        if isinstance(week, int) and not isinstance(week, bool):
            out.week_id = week
        sort = data.get("sort")
        if (isinstance(sort, list) and len(sort) == 2 and sort[0] in TABLE_COLUMNS
                and isinstance(sort[1], bool)):
            out.sort = (sort[0], sort[1])
        threshold = data.get("threshold")
        if isinstance(threshold, (int, float)) and not isinstance(threshold, bool) \
                and 0 <= threshold <= 1:
            out.threshold = float(threshold)
        out.wrap = data.get("wrap") is True
        raw = data.get("filters")
        if isinstance(raw, dict):
            kwargs: dict[str, Any] = {name: raw.get(name) is True for name in _BOOL_FILTERS}
            munis = raw.get("municipality")
            if isinstance(munis, list) and all(isinstance(m, str) for m in munis):
                kwargs["municipality"] = tuple(munis)
            if isinstance(raw.get("region"), str):
                kwargs["region"] = raw["region"]
            if isinstance(raw.get("search"), str):
                kwargs["search"] = raw["search"][:200]
            known = {f.name for f in fields(Filters)}
            out.filters = Filters(**{k: v for k, v in kwargs.items() if k in known})
        return out


@dataclass
class UIState:
    """The whole file: the columns (global), the opt-out, and the saved views by store."""

    columns: tuple[str, ...] | None = None   # None: the config's [ui] columns
    remember: bool | None = None             # None: the config's [ui] remember
    views: dict[str, SavedView] = field(default_factory=dict)
    import_folder: str | None = None         # where the import's file picker last was

    def to_json(self) -> dict[str, Any]:
        return {"version": VERSION, "import_folder": self.import_folder,
                "columns": list(self.columns) if self.columns is not None else None,
                "remember": self.remember,
                "views": {home: view.to_json() for home, view in self.views.items()}}

    @classmethod
    def from_json(cls, data: Any) -> "UIState":
        out = cls()
        if not isinstance(data, dict):
            return out
        columns = data.get("columns")
        if isinstance(columns, list) and columns and all(c in TABLE_COLUMNS for c in columns) \
                and len(set(columns)) == len(columns):
            out.columns = tuple(["org_name"] + [c for c in columns if c != "org_name"])
        if isinstance(data.get("remember"), bool):
            out.remember = data["remember"]
        if isinstance(data.get("import_folder"), str):
            out.import_folder = data["import_folder"]
        views = data.get("views")
        if isinstance(views, dict):
            out.views = {str(k): SavedView.from_json(v) for k, v in views.items()}
        return out


def state_file(config_dir: str | os.PathLike) -> Path:
    return Path(config_dir) / STATE_NAME


def load_state(config_dir: str | os.PathLike) -> UIState:
    """The saved state, or the defaults when there is none or it cannot be read."""
    try:
        text = state_file(config_dir).read_text(encoding="utf-8")
        return UIState.from_json(json.loads(text))
    except (OSError, ValueError, TypeError):
        return UIState()


def save_state(config_dir: str | os.PathLike, state: UIState) -> str | None:
    """Write the state atomically; the error as one line (or None when written)."""
    path = state_file(config_dir)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".ui-state-", suffix=".json", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(state.to_json(), out, ensure_ascii=False, indent=1)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
    except OSError as exc:
        return f"{path}: {exc.strerror or exc}"
    return None
