"""Which week, and its table: the one week resolver and loader every surface uses.

``latest``, ``latest-N`` (N held weeks before the latest), a date inside the period
(``2023-04-17`` or ``17.04.2023``) or a snapshot number — see ``core.indicators.resolve_week``.
The table is scoped by the config's ``[scope]`` unless the store is the demo store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from sferum_tui.core.config import Config
    from sferum_tui.core.store import SnapshotInfo, Store

__all__ = ["Week", "resolve_week", "load_week", "week_of"]

WEEK_HELP = ("неделя: latest (по умолчанию), latest-N, дата внутри недели (ГГГГ-ММ-ДД или "
             "ДД.ММ.ГГГГ) или номер снимка",
             "week: latest (default), latest-N, a date inside the week (YYYY-MM-DD or "
             "DD.MM.YYYY) or a snapshot number")


@dataclass
class Week:
    """One held week's table, as every surface shows it."""

    info: "SnapshotInfo"
    frame: "pd.DataFrame"
    scoped: bool

    @property
    def snapshot_id(self) -> int:
        return int(self.info.id)

    @property
    def label(self) -> str:
        return self.info.period_label

    @property
    def has_previous(self) -> bool:
        return self.frame.attrs.get("previous_id") is not None


def resolve_week(store: "Store", spec: "str | date | int | None" = None) -> "SnapshotInfo":
    """The held week meant by ``spec`` (``UserError``, one line, when the store lacks it)."""
    from sferum_tui.core import indicators

    if isinstance(spec, int):
        spec = str(spec)
    return indicators.resolve_week(store, spec)


def week_of(store: "Store", cfg: "Config", info: "SnapshotInfo", *, scope: bool = True) -> Week:
    """The table of a resolved week."""
    from sferum_tui.core import indicators

    return Week(info=info, frame=indicators.week_table(store, cfg, info.id, scope=scope),
                scoped=scope)


def load_week(store: "Store", cfg: "Config", spec: "str | date | int | None" = None, *,
              scope: bool = True) -> Week:
    """Resolve ``spec`` and compute its table (``scope=False`` for the demo store)."""
    return week_of(store, cfg, resolve_week(store, spec), scope=scope)
