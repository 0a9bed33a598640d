"""Text the store's messages and the commands share: periods, integers, "N organisations".

Kept importable from :mod:`sferum_tui.core.store` while text formatting moves to one vocabulary
module; behaviour unchanged.
"""

from __future__ import annotations

from datetime import date

from sferum_tui.i18n import plural_ru, tr


def format_period(start: date, end: date) -> str:
    """``15.04–21.04.2023``; ``29.12.2023–04.01.2024`` across a year."""
    if start == end:
        return start.strftime("%d.%m.%Y")
    if start.year == end.year:
        return f"{start:%d.%m}–{end:%d.%m.%Y}"
    return f"{start:%d.%m.%Y}–{end:%d.%m.%Y}"


def format_int(n: int | None) -> str:
    """``1 402`` (Russian: a non-breaking space between thousands) or ``1,402`` (English)."""
    if n is None:
        return "—"
    text = f"{n:,}"
    return text.replace(",", tr("\u00a0", ","))


def orgs_phrase(n: int) -> str:
    return tr("{n} " + plural_ru(n, "организация", "организации", "организаций"),
              "{n} organisation" + ("" if n == 1 else "s"), n=format_int(n))


def rows_skipped_phrase(n: int) -> str:
    return tr("пропущено строк: {n}", "{n} row" + ("" if n == 1 else "s") + " skipped",
              n=format_int(n))
