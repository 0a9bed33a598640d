"""The filter and week flags, defined once for ``schools``, ``shortlist add|remove`` and
``export`` (the values go to :class:`sferum_tui.service.filters.FilterSpec`)."""

from __future__ import annotations

import argparse

from sferum_tui.i18n import tr

__all__ = ["add_week_arg", "add_filter_args", "filters_given"]

FILTER_FLAGS = ("inactive", "low_messaging", "unregistered", "missing", "changed", "disagrees",
                "municipality", "search")


def add_week_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--week", metavar="W", default=None,
                   help=tr("неделя: latest (по умолчанию), latest-N, дата внутри недели "
                           "(ГГГГ-ММ-ДД или ДД.ММ.ГГГГ) или номер снимка",
                           "week: latest (default), latest-N, a date inside the week "
                           "(YYYY-MM-DD or DD.MM.YYYY) or a snapshot number"))


def add_today_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--today", metavar="YYYY-MM-DD", default=None,
                   help=tr("считать дни до сроков от этой даты (по умолчанию — сегодня)",
                           "count the days to deadlines from this date (default: today)"))


def parse_today(text: str | None):
    """``--today`` as a date (None: today); a one-line ``UserError`` otherwise."""
    if not text:
        return None
    from sferum_tui.service.errors import UserError
    from sferum_tui.service.indicators import parse_day

    day = parse_day(text.strip())
    if day is None:
        raise UserError(tr("--today: ожидается дата ГГГГ-ММ-ДД, указано «{v}»",
                           "--today: expected a date YYYY-MM-DD, got “{v}”", v=text))
    return day


def add_filter_args(p: argparse.ArgumentParser, *, week: bool = True) -> None:
    """``--inactive``, ``--low-messaging [PCT]``, ``--unregistered``, ``--missing``,
    ``--changed``, ``--disagrees``, ``--municipality M`` (repeatable), ``--search TEXT``."""
    if week:
        add_week_arg(p)
    p.add_argument("--inactive", action="store_true",
                   help=tr("только неактивные (нет в неделе, статус «Не активна» или, без "
                           "статуса, не выполнено правило)",
                           "only inactive ones (missing from the week, stated «Не активна», or, "
                           "with no status, the rule not met)"))
    p.add_argument("--low-messaging", nargs="?", const=True, default=None, metavar="PCT",
                   help=tr("только где мало пишут учителя: ниже порога из настроек или PCT "
                           "процентов (30, 30%%, 27,5)",
                           "only where few teachers write: below the configured threshold or PCT "
                           "percent (30, 30%%, 27.5)"))
    p.add_argument("--unregistered", action="store_true",
                   help=tr("только где зарегистрированы не все сотрудники",
                           "only where not all staff are registered"))
    p.add_argument("--missing", action="store_true",
                   help=tr("только организации справочника, которых нет в файле недели",
                           "only registry organisations absent from the week's file"))
    p.add_argument("--changed", action="store_true",
                   help=tr("только изменившиеся за неделю", "only those that changed since last week"))
    p.add_argument("--disagrees", action="store_true",
                   help=tr("только где статус в файле расходится с правилом активности",
                           "only where the stated status contradicts the activity rule"))
    p.add_argument("--municipality", action="append", metavar="M", default=None,
                   help=tr("муниципалитет (можно несколько раз; часть названия тоже подходит)",
                           "municipality (repeatable; a part of the name works too)"))
    p.add_argument("--search", metavar="TEXT", default=None,
                   help=tr("начало ИНН или часть названия", "an ИНН prefix or a part of the name"))


def filters_given(args: argparse.Namespace) -> bool:
    return any(getattr(args, k, None) not in (None, False, "", []) for k in FILTER_FLAGS)
