"""The indicators engine for the surfaces (``sferum_tui.core.indicators``, through the door):
week tables, a school's history, sorting, finding an organisation, rollups and changes."""

from sferum_tui.core.indicators import (
    ACTIVITY_KEY,
    AmbiguousOrgError,
    Kpi,
    changes,
    find_org,
    json_records,
    kpis,
    name_sort_key,
    org_history,
    output_columns,
    parse_day,
    refresh_cache,
    rollup,
    short_name,
    sort_schools,
    week_table,
)

__all__ = ["ACTIVITY_KEY", "AmbiguousOrgError", "Kpi", "changes", "find_org", "json_records",
           "kpis", "name_sort_key", "org_history", "output_columns", "parse_day",
           "refresh_cache", "rollup", "short_name", "sort_schools", "week_table"]
