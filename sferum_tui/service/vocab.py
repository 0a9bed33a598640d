"""The surfaces' door to the text vocabulary (:mod:`sferum_tui.core.vocab`): one way to write a
share, a count, a change, a date, a week — and to read a threshold."""

from sferum_tui.core.text import clean_text, one_line, shown_path
from sferum_tui.core.vocab import (
    MISSING,
    PercentError,
    day,
    days,
    fold,
    integer,
    is_missing,
    orgs,
    parse_percent,
    percent,
    percent_input,
    percent_number,
    period,
    short_day,
    signed_int,
    signed_pp,
    threshold,
    weeks,
)

__all__ = [
    "MISSING", "PercentError", "day", "days", "fold", "integer", "is_missing", "orgs",
    "parse_percent", "percent", "percent_input", "percent_number", "threshold", "period", "short_day", "signed_int",
    "signed_pp", "weeks", "clean_text", "one_line", "shown_path",
]
