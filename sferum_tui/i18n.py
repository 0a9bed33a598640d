"""User-facing language: Russian by default, English on request.

Messages are written in place as a pair, ``tr("Русский текст {n}", "English text {n}", n=3)``,
so each module owns its texts and there is no catalogue to drift out of sync.
The language is chosen once at start-up (``--lang``, then the config's ``ui.language``,
then ``SFERUM_TUI_LANG``, then Russian).
"""

from __future__ import annotations

import os

SUPPORTED = ("ru", "en")
_language = os.environ.get("SFERUM_TUI_LANG", "ru") if os.environ.get("SFERUM_TUI_LANG") in SUPPORTED else "ru"


def set_language(lang: str | None) -> str:
    global _language
    if lang in SUPPORTED:
        _language = lang
    return _language


def get_language() -> str:
    return _language


def tr(ru: str, en: str, /, **kwargs) -> str:
    text = en if _language == "en" else ru
    return text.format(**kwargs) if kwargs else text


def plural_ru(n: int, one: str, few: str, many: str) -> str:
    """Russian plural form: 1 школа, 2 школы, 5 школ."""
    n = abs(n)
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many
