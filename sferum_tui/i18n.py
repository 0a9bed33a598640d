"""User-facing language: Russian by default, English on request.

Messages are written in place as a pair, ``tr("Русский текст {n}", "English text {n}", n=3)``,
so each module owns its texts and there is no catalogue to drift out of sync.
The language is chosen once at start-up, before the command line parser is built (``--lang``,
then ``SFERUM_TUI_LANG``, then the config's ``ui.language``, then Russian; see ``cli.py``).

argparse's own words (``usage:``, ``options``, its error messages) come from ``gettext``;
:func:`argparse_words` puts them into the chosen language for the duration of a ``with`` block.
"""

from __future__ import annotations

import contextlib
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


# -- argparse's own words ---------------------------------------------------------------------

#: argparse's message ids (Python 3.11–3.13) and their Russian; those not listed stay English.
ARGPARSE_RU = {
    "usage: ": "использование: ",
    "positional arguments": "аргументы",
    "options": "параметры",
    "optional arguments": "параметры",
    "show this help message and exit": "показать эту справку и выйти",
    "show program's version number and exit": "показать версию и выйти",
    "%(prog)s: error: %(message)s\n": "%(prog)s: ошибка: %(message)s\n",
    "argument %(argument_name)s: %(message)s": "аргумент %(argument_name)s: %(message)s",
    "the following arguments are required: %s": "не хватает обязательных аргументов: %s",
    "unrecognized arguments: %s": "неизвестные аргументы: %s",
    "invalid choice: %(value)r (choose from %(choices)s)":
        "недопустимое значение: %(value)r (возможные: %(choices)s)",
    "invalid %(type)s value: %(value)r": "недопустимое значение (%(type)s): %(value)r",
    "expected one argument": "нужно значение",
    "expected at most one argument": "нужно не больше одного значения",
    "expected at least one argument": "нужно хотя бы одно значение",
    "ambiguous option: %(option)s could match %(matches)s":
        "неоднозначный параметр: %(option)s подходит к %(matches)s",
    "not allowed with argument %s": "нельзя вместе с %s",
    "one of the arguments %s is required": "нужен один из аргументов %s",
    "ignored explicit argument %r": "лишнее значение %r",
    "unknown parser %(parser_name)r (choices: %(choices)s)":
        "неизвестная команда %(parser_name)r (возможные: %(choices)s)",
    "can't open '%(filename)s': %(error)s": "не удаётся открыть «%(filename)s»: %(error)s",
    "unexpected option string: %s": "неожиданный параметр: %s",
}


def _argparse_gettext(message: str) -> str:
    if _language == "ru":
        return ARGPARSE_RU.get(message, message)
    return message


def _argparse_ngettext(singular: str, plural: str, n: int) -> str:
    if _language == "ru" and singular == "expected %s argument":
        return "нужно %s " + plural_ru(n, "значение", "значения", "значений")
    return singular if n == 1 else plural


@contextlib.contextmanager
def argparse_words():
    """argparse's own words in the chosen language inside the block (argparse looks its
    ``gettext`` up at call time, so the module's two names are swapped for the block only)."""
    import argparse

    saved = argparse._, argparse.ngettext
    argparse._, argparse.ngettext = _argparse_gettext, _argparse_ngettext
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved
