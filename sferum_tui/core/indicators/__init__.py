"""Indicators: per-organisation flags of a week, rollups, KPIs, streaks and changes.

``rules`` is the rule language and one indicator's arithmetic; ``calc`` evaluates one week's rows
(pure, vectorised); ``cache`` keeps the per-week streak codes; ``api`` builds the week table, a
school's history, rollups and KPIs from the store.

The package's names are ``api``'s, loaded on first use: the config imports ``rules`` at
start-up, and that must not pull in numpy and pandas (a command's ``--help`` stays instant).
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "Kpi", "AmbiguousOrgError", "DELTA_FIELDS", "SORT_ALIASES", "resolve_week", "week_table",
    "filter_schools", "filter_mask", "sort_schools", "kpis", "rollup", "changes", "org_history",
    "find_org", "warm_cache", "refresh_cache", "indicator_columns", "output_columns",
    "json_records", "parse_day", "fold", "name_sort_key", "short_name", "ACTIVITY_KEY",
]


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    api = importlib.import_module("sferum_tui.core.indicators.api")
    try:
        value = getattr(api, name)
    except AttributeError:
        raise AttributeError(f"module 'sferum_tui.core.indicators' has no attribute {name!r}") from None
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
