"""Indicators: per-organisation flags of a week, rollups, KPIs, streaks and changes.

``calc`` evaluates one week's rows (pure, vectorised); ``cache`` keeps the per-week streak codes;
``api`` builds the week table, a school's history, rollups and KPIs from the store.
"""

from sferum_tui.core.indicators.api import *  # noqa: F401,F403 - the package's public surface
from sferum_tui.core.indicators.api import (  # noqa: F401 - used by the console and tests
    __all__,
    _most_common,
    _parse_day,
)
