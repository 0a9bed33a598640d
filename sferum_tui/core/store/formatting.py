"""Text the store's messages and the commands share: periods, integers, "N organisations".

They are the text vocabulary's (:mod:`sferum_tui.core.vocab`) functions, kept importable from
:mod:`sferum_tui.core.store` under the names the store's messages use.
"""

from __future__ import annotations

from sferum_tui.core import vocab
from sferum_tui.i18n import tr

# The one text vocabulary (core/vocab.py) under the names the store's callers know.
format_period = vocab.period
format_int = vocab.integer
orgs_phrase = vocab.orgs


def rows_skipped_phrase(n: int) -> str:
    return tr("пропущено строк: {n}", "{n} row" + ("" if n == 1 else "s") + " skipped",
              n=format_int(n))
