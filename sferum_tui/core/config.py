"""The user's configuration: a TOML file, validated strictly into frozen dataclasses.

Where it lives: ``--config FILE``, else ``config.toml`` in the home folder given by ``--home`` /
``SFERUM_TUI_HOME``, else the platformdirs user config folder (see ``core/paths.py``).
A missing file means the defaults, which reproduce letter No. 450 of 26.04.2023
(../shared/docs/letter-450-2023-04-26.txt).

Every problem is a :class:`~sferum_tui.core.errors.ConfigError` whose message is one line::

    /home/u/.config/sferum-tui/config.toml: thresholds.low_messaging: “0.3” is ambiguous: thresholds are percents — write 30 for 30% or 0.3% for 0.3%

Keys are dotted; entries of ``[[indicators]]`` / ``[[sources]]`` are counted from 1, in the order
they appear in the file, as a person reading the file counts them (``indicators[2].deadline`` is the
deadline of the second ``[[indicators]]`` table).

Indicators are data.  Each is either a *rule* (a boolean expression over one organisation's
fields, parsed by the small safe parser of :mod:`sferum_tui.core.indicators.rules`; nothing is
ever ``eval``-ed) or a *ratio*
(``numerator`` / ``denominator`` count fields; the area figure is ``sum(num) / sum(den)``), with a
target share (a percent in the file, in the threshold grammar of ``core.vocab``), an optional deadline, a direction and an optional per-organisation threshold
``low``.  The three indicators of the letter are the defaults; ``[[indicators]]`` tables in the file
override them by ``key`` (only the keys given change; ``enabled = false`` hides one) and add new ones.

A system-wide file is read before the user's (:func:`system_config_path`:
``SFERUM_TUI_SYSTEM_CONFIG``, else ``/etc/sferum-tui/config.toml``, else ``config.toml`` in the
platformdirs site config folder — the first that exists), so an administrator sets the store, the
scope and the sources once.  The user's file overrides it key by key (:func:`merge_config_data`):
tables merge; a value (a list of strings too) replaces the system's; the entries of
``[[indicators]]`` and ``[[sources]]`` merge by ``key`` / ``name`` — a user's entry with the key
(name) of a system entry replaces that entry whole, other entries come after the system's, and
``enabled = false`` hides a system entry.  Each file is first checked alone, so an error names the
file that holds it.  ``Config.files`` lists the files read, system first.

This module imports neither Textual nor (at import time) pandas.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import json
import math
import os
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

from sferum_tui.core.acquire import cloud as cloudmail
from sferum_tui.core.errors import ConfigError
from sferum_tui.core.fields import ALL_FIELDS
from sferum_tui.core.indicators.rules import (  # noqa: F401 - the config's public names
    _EPS,
    BOOLEAN_FIELDS,
    DERIVED_FIELDS,
    RATIO_FIELDS,
    RULE_FIELDS,
    RULE_MAX_DEPTH,
    RULE_MAX_LENGTH,
    STATED_SHARES,
    Indicator,
    Rule,
    RuleError,
    Title,
    _default_activity_rule,
    _Derivations,
    _Frame,
    parse_rule,
)
from sferum_tui.core.ingest.limits import DEFAULT_LIMITS, MB, Limits
from sferum_tui.core.vocab import PercentError, parse_percent, percent_number
from sferum_tui.i18n import tr

__all__ = [
    "ENV_SYSTEM_CONFIG", "StoreConfig", "system_config_path", "merge_config_data",
    "ENV_CLOUD_BASE", "DEFAULT_CLOUD_BASE", "DEFAULT_THEME", "DERIVED_FIELDS", "RULE_FIELDS",
    "RATIO_FIELDS", "UIConfig", "Scope", "Thresholds", "ActivityRule", "Title", "Rule", "Indicator",
    "Source", "FetchConfig", "Config", "load_config", "loads_config", "default_config_text",
    "parse_rule", "TABLE_COLUMNS",
]

ENV_CLOUD_BASE = "SFERUM_TUI_CLOUD_BASE"
ENV_SYSTEM_CONFIG = "SFERUM_TUI_SYSTEM_CONFIG"
SYSTEM_CONFIG_FILE = Path("/etc/sferum-tui/config.toml")
DEFAULT_CLOUD_BASE = cloudmail.DEFAULT_BASE
DEFAULT_THEME = "sferum-dark"
LANGUAGES = ("ru", "en")
DIRECTIONS = ("up", "down")
SOURCE_KINDS = ("cloud", "url", "folder")

_KEY_RE = re.compile(r"^[a-z][a-z0-9_]*$")


# --------------------------------------------------------------------------- errors

class _Where:
    """Builds the one-line errors for one file (or an environment variable)."""

    def __init__(self, file: str):
        self.file = file

    def fail(self, key: str, ru: str, en: str, **kw: Any) -> NoReturn:
        msg = tr(ru, en, **kw) if kw else tr(ru, en)
        prefix = f"{self.file}: {key}: " if key else f"{self.file}: "
        raise ConfigError(_one_line(prefix + msg))

    def expected(self, key: str, ru: str, en: str, value: Any) -> NoReturn:
        self.fail(key, "ожидается {what}, указано {got}", "expected {what}, got {got}",
                  what=tr(ru, en), got=_show(value))


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _show(value: Any) -> str:
    """A short, one-line rendering of a value the user wrote."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
        return text if len(text) <= 60 else text[:57] + '..."'
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (_dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, dict):
        return tr("таблица", "a table")
    if isinstance(value, list):
        return tr("список", "a list")
    return type(value).__name__  # pragma: no cover


def _key(prefix: str, name: str) -> str:
    if not re.match(r"^[A-Za-z0-9_-]+$", name):
        name = json.dumps(name, ensure_ascii=False)
    return f"{prefix}.{name}" if prefix else name


# --------------------------------------------------------------------------- safe rule parser


# --------------------------------------------------------------------------- dataclasses

@dataclass(frozen=True)
class UIConfig:
    language: str = "ru"
    theme: str = DEFAULT_THEME
    stock_themes: bool = False   # the palette lists Textual's ~20 stock themes too
    # the schools table's columns, in order (empty: all of TABLE_COLUMNS); the console's column
    # chooser saves the user's choice in the UI state file, which wins over this starting layout
    columns: tuple[str, ...] = ()
    # remember the week, sort and filters between sessions (in the UI state file)
    remember: bool = True


#: The keys of the console's schools-table columns (the order of the default layout).  The
#: organisation's name is always shown, first; ``[ui] columns`` picks and orders the rest.
TABLE_COLUMNS: tuple[str, ...] = (
    "org_name", "municipality", "state", "messaging_share", "registration_share",
    "d_messaging_share", "weeks_below", "users_total", "classes", "teachers", "teachers_active",
    "staff_total", "org_id", "reasons_text",
)


@dataclass(frozen=True)
class StoreConfig:
    """``[store]``: which store to use (``--store`` and ``SFERUM_TUI_STORE`` win); empty means
    the embedded SQLite store in the data folder.  See ``core/paths.py`` (:func:`store_location`)."""

    url: str = ""


@dataclass(frozen=True)
class Scope:
    """The area the user answers for; empty means everything in the store."""

    region: str = ""
    municipalities: tuple[str, ...] = ()


@dataclass(frozen=True)
class Thresholds:
    low_messaging: float = 0.30      # a school is "low" below this teacher-messaging share
    registration_full: float = 1.0   # a school is fully registered at or above this share


@dataclass(frozen=True)
class ActivityRule:
    """The letter's rule: active when more than ``users_more_than`` users and at least
    ``classes_at_least`` classes."""

    users_more_than: int = 2
    classes_at_least: int = 1

    @property
    def expression(self) -> str:
        return f"users_total > {self.users_more_than} and classes >= {self.classes_at_least}"


@dataclass(frozen=True)
class Source:
    """Where weekly files come from: a cloud.mail.ru public link, a plain URL or a local folder."""

    name: str
    kind: str                    # "cloud" | "url" | "folder"
    url: str | None = None
    path: Path | None = None
    pattern: str = "*"
    proxy: str | None = None
    timeout: float = 60.0
    enabled: bool = True

    @property
    def weblink(self) -> str | None:
        """For a cloud source: the part after ``/public/`` (e.g. ``GPXK/fMnpzcuWR``)."""
        if self.kind != "cloud" or not self.url:
            return None
        try:
            return cloudmail.weblink_from_url(self.url)
        except ValueError:
            return None

    @property
    def where(self) -> str:
        """The link or the folder, as the user gave it."""
        return self.url or (str(self.path) if self.path else "")


#: The bounds of the numbers the config and the command line accept, both ends included: one
#: table, so the validators, ``fetch --timeout`` and docs/fetch.md agree.  A value outside (or
#: NaN, or infinite) is one line naming the file and the key.
TIMEOUT_RANGE = (1.0, 3600.0)          # seconds: a source's network timeout (per read)
RETRIES_RANGE = (0, 20)                # extra tries after a failed request
WAIT_TRIES_RANGE = (1, 100)            # fetch --wait passes
WAIT_INTERVAL_MAX_MINUTES = 1440.0     # --wait pause and console auto-fetch: at most a day
DEADLINE_RANGE = (1.0, 86400.0)        # seconds: one file's whole download, start to end
MIN_RATE_MAX_KB = 1_000_000.0          # KB/s: the minimum average download rate (0 = no check)
COUNT_MAX = 1_000_000                  # [activity_rule] counts


@dataclass(frozen=True)
class FetchConfig:
    cloud_base: str = DEFAULT_CLOUD_BASE
    auto_interval_minutes: float = 0.0     # 0 = no automatic fetch in the console
    retries: int = 4
    wait_max_tries: int = 16
    wait_interval_minutes: float = 15.0
    deadline_seconds: float = 1800.0       # one file's whole download, whatever the reads do
    min_kb_per_second: float = 1.0         # slower on average (after the timeout) = give up


@dataclass(frozen=True)
class Config:
    ui: UIConfig
    scope: Scope
    thresholds: Thresholds
    activity_rule: ActivityRule
    all_indicators: tuple[Indicator, ...]
    aliases: dict[str, str]
    sources: tuple[Source, ...]
    fetch: FetchConfig
    keys: dict[str, str]
    limits: Limits = DEFAULT_LIMITS
    store: StoreConfig = StoreConfig()
    path: Path | None = field(default=None, compare=False)
    exists: bool = field(default=False, compare=False)
    #: the files read, in order (the system-wide file first, then the user's)
    files: tuple[Path, ...] = field(default=(), compare=False)

    @classmethod
    def default(cls) -> "Config":
        return _build({}, _Where("<defaults>"), None)

    @property
    def indicators(self) -> tuple[Indicator, ...]:
        """The enabled indicators, in order (defaults first, then the file's new ones)."""
        return tuple(i for i in self.all_indicators if i.enabled)

    def indicator(self, key: str) -> Indicator:
        for ind in self.all_indicators:
            if ind.key == key:
                return ind
        raise KeyError(key)

    @property
    def activity(self) -> Rule:
        return parse_rule(self.activity_rule.expression)

    def derive(self, df):
        """A copy of ``df`` with the derived fields added where missing (``active_by_rule`` as
        pandas ``boolean`` with <NA> when undecidable; shares as float with NaN)."""
        import pandas as pd

        frame = _Frame(df, _derivations_for(self))
        out = df.copy()
        for name in DERIVED_FIELDS:
            if name not in out.columns:
                if name in BOOLEAN_FIELDS:
                    out[name] = frame.column(name)
                else:
                    out[name] = pd.Series(frame.floats(name), index=df.index, dtype=float)
        return out

    # -- rendering
    def to_dict(self) -> dict[str, Any]:
        return {
            "ui": {"language": self.ui.language, "theme": self.ui.theme,
                   "stock_themes": self.ui.stock_themes,
                   "columns": list(self.ui.columns), "remember": self.ui.remember},
            "scope": {"region": self.scope.region, "municipalities": list(self.scope.municipalities)},
            "thresholds": {"low_messaging": _percent_value(self.thresholds.low_messaging),
                           "registration_full": _percent_value(self.thresholds.registration_full)},
            "activity_rule": {"users_more_than": self.activity_rule.users_more_than,
                              "classes_at_least": self.activity_rule.classes_at_least},
            "indicators": [_indicator_dict(i) for i in self.all_indicators],
            "aliases": dict(self.aliases),
            "sources": [_source_dict(s) for s in self.sources],
            "fetch": {"cloud_base": self.fetch.cloud_base,
                      "auto_interval_minutes": self.fetch.auto_interval_minutes,
                      "retries": self.fetch.retries,
                      "wait_max_tries": self.fetch.wait_max_tries,
                      "wait_interval_minutes": self.fetch.wait_interval_minutes,
                      "deadline_seconds": self.fetch.deadline_seconds,
                      "min_kb_per_second": self.fetch.min_kb_per_second},
            "keys": dict(self.keys),
            "limits": _limits_dict(self.limits),
            "store": {"url": self.store.url},
        }

    def to_toml(self) -> str:
        """The effective configuration as TOML that loads back to an equal Config."""
        d = self.to_dict()
        lines: list[str] = []
        for section in ("ui", "scope", "thresholds", "activity_rule", "fetch", "limits", "store"):
            lines.append(f"[{section}]")
            for k, v in d[section].items():
                lines.append(f"{_toml_key(k)} = {_toml_value(v)}")
            lines.append("")
        for ind in d["indicators"]:
            lines.append("[[indicators]]")
            for k, v in ind.items():
                if k == "kind" or v is None or (k == "enabled" and v is True):
                    continue
                if k == "deadline":
                    lines.append(f"deadline = {v}")  # a TOML date, unquoted
                    continue
                lines.append(f"{_toml_key(k)} = {_toml_value(v)}")
            lines.append("")
        for src in d["sources"]:
            lines.append("[[sources]]")
            for k, v in src.items():
                if v is not None:
                    lines.append(f"{_toml_key(k)} = {_toml_value(v)}")
            lines.append("")
        for section in ("aliases", "keys"):
            lines.append(f"[{section}]")
            for k, v in d[section].items():
                lines.append(f"{_toml_key(k)} = {_toml_value(v)}")
            lines.append("")
        return "\n".join(lines).rstrip("\n") + "\n"


def _indicator_dict(i: Indicator) -> dict[str, Any]:
    return {
        "key": i.key, "title": {"ru": i.title.ru, "en": i.title.en}, "kind": i.kind,
        "rule": i.rule, "numerator": i.numerator, "denominator": i.denominator,
        "target": _percent_value(i.target),
        "deadline": i.deadline.isoformat() if i.deadline else None,
        "direction": i.direction, "low": _percent_value(i.low), "enabled": i.enabled,
    }


def _source_dict(s: Source) -> dict[str, Any]:
    return {"name": s.name, "kind": s.kind, "url": s.url, "path": str(s.path) if s.path else None,
            "pattern": s.pattern, "proxy": s.proxy, "timeout": s.timeout, "enabled": s.enabled}


def _toml_key(k: str) -> str:
    return k if re.match(r"^[A-Za-z0-9_-]+$", k) else json.dumps(k, ensure_ascii=False)


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)  # JSON escapes are valid in TOML basic strings
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(type(v))  # pragma: no cover


# --------------------------------------------------------------------------- validation

_SECTIONS = ("ui", "scope", "thresholds", "activity_rule", "indicators", "aliases", "sources",
             "fetch", "keys", "limits", "store")
_INDICATOR_KEYS = ("key", "title", "rule", "numerator", "denominator", "target", "deadline",
                   "direction", "low", "enabled")
_SOURCE_KEYS = ("name", "url", "path", "kind", "pattern", "proxy", "timeout", "enabled")


def _check_keys(w: _Where, table: dict, prefix: str, allowed: Iterable[str]) -> None:
    allowed = tuple(allowed)
    for k in table:
        if k not in allowed:
            close = difflib.get_close_matches(k, allowed, n=1)
            if close:
                w.fail(_key(prefix, k), "неизвестный ключ; может быть, {c}?",
                       "unknown key; did you mean {c}?", c=close[0])
            w.fail(_key(prefix, k), "неизвестный ключ (допустимы: {ok})",
                   "unknown key (expected one of: {ok})", ok=", ".join(allowed))


def _table(w: _Where, data: dict, name: str, allowed: Iterable[str] | None) -> dict:
    value = data.get(name, {})
    if not isinstance(value, dict):
        w.expected(name, f"таблица [{name}]", f"a table [{name}]", value)
    if allowed is not None:
        _check_keys(w, value, name, allowed)
    return value


def _str(w: _Where, t: dict, key: str, default: str | None, *, nonempty: bool = False) -> str | None:
    if key not in t:
        return default
    v = t[key]
    if not isinstance(v, str):
        w.expected(key_path(t, key), "строка", "a string", v)
    v = v.strip()
    if nonempty and not v:
        w.expected(key_path(t, key), "непустая строка", "a non-empty string", t[key])
    return v


def key_path(t: dict, key: str) -> str:
    return _key(t.prefix, key) if isinstance(t, _Tbl) else key


class _Tbl(dict):
    """A table remembering its dotted prefix, for error messages."""

    def __init__(self, data: dict, prefix: str):
        super().__init__(data)
        self.prefix = prefix


def _share(w: _Where, t: dict, key: str, default: float | None) -> float | None:
    """A threshold or target in the one threshold grammar (``core.vocab.parse_percent``, as on
    the command line and in the console): ``30``, ``"30%"``, ``27.5``, ``"27,5"`` → a share."""
    if key not in t:
        return default
    try:
        return parse_percent(t[key])
    except PercentError as err:
        w.fail(key_path(t, key), "{e}", "{e}", e=str(err))


def _percent_value(share: float | None) -> Any:
    """A share as the config writes it back: a number of percent (``30``, ``27.5``), or text
    with its sign where a bare number would be ambiguous (``"0.5%"``)."""
    if share is None:
        return None
    p = percent_number(share)
    return f"{p}%" if 0 < p <= 1 else p


def _plain(x: float) -> str:
    return f"{x:.6g}"


def _int(w: _Where, t: dict, key: str, default: int, *, minimum: int = 0,
         maximum: int | None = None) -> int:
    if key not in t:
        return default
    v = t[key]
    if isinstance(v, bool) or not isinstance(v, int) or v < minimum or \
            (maximum is not None and v > maximum):
        if maximum is not None:
            w.expected(key_path(t, key), f"целое число от {minimum} до {maximum}",
                       f"a whole number from {minimum} to {maximum}", v)
        w.expected(key_path(t, key), f"целое число не меньше {minimum}",
                   f"a whole number of at least {minimum}", v)
    return v


def _number(w: _Where, t: dict, key: str, default: float, *, positive: bool = False,
            minimum: float | None = None, maximum: float | None = None) -> float:
    """A finite number (int or float; never a bool, NaN or infinity); ``positive`` refuses 0,
    ``minimum``/``maximum`` bound it (both inclusive)."""
    if key not in t:
        return default
    v = t[key]
    bad = isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v)
    if not bad and (v <= 0 if positive else v < 0):
        bad = True
    if not bad and ((minimum is not None and v < minimum) or (maximum is not None and v > maximum)):
        bad = True
    if bad:
        if maximum is not None:
            lo = _plain(minimum if minimum is not None else 0)
            if positive and minimum is None:
                w.expected(key_path(t, key), f"число больше 0 и не больше {_plain(maximum)}",
                           f"a number above 0 and at most {_plain(maximum)}", v)
            w.expected(key_path(t, key), f"число от {lo} до {_plain(maximum)}",
                       f"a number from {lo} to {_plain(maximum)}", v)
        if positive:
            w.expected(key_path(t, key), "положительное число", "a positive number", v)
        w.expected(key_path(t, key), "число не меньше 0", "a number of at least 0", v)
    return float(v)


def _bool(w: _Where, t: dict, key: str, default: bool) -> bool:
    if key not in t:
        return default
    v = t[key]
    if not isinstance(v, bool):
        w.expected(key_path(t, key), "true или false", "true or false", v)
    return v


def _choice(w: _Where, t: dict, key: str, default: str, choices: tuple[str, ...]) -> str:
    if key not in t:
        return default
    v = t[key]
    if v not in choices:
        w.expected(key_path(t, key), "одно из: {c}".format(c=", ".join(f'"{c}"' for c in choices)),
                   "one of {c}".format(c=", ".join(f'"{c}"' for c in choices)), v)
    return v


def _date(w: _Where, t: dict, key: str) -> _dt.date | None:
    if key not in t:
        return None
    v = t[key]
    if isinstance(v, _dt.date) and not isinstance(v, _dt.datetime):
        return v
    if isinstance(v, str):
        for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
            try:
                return _dt.datetime.strptime(v.strip(), fmt).date()
            except ValueError:
                continue
    w.expected(key_path(t, key), "дата, например 2023-04-27", "a date such as 2023-04-27", v)


def _url(w: _Where, key: str, v: Any, schemes: tuple[str, ...]) -> str:
    if isinstance(v, str):
        parts = urlsplit(v.strip())
        if parts.scheme.lower() in schemes and parts.netloc:
            return v.strip()
    shown = " / ".join(f"{s}://…" for s in schemes)
    w.expected(key, f"адрес вида {shown}", f"a URL such as {shown}", v)


# --------------------------------------------------------------------------- building

def _default_indicator_specs(th: Thresholds, act: ActivityRule) -> list[dict[str, Any]]:
    return [
        {"key": "active_profiles",
         "title": Title("Активные профили ОО", "Active organisation profiles"),
         "rule": act.expression, "target": 1.0, "deadline": _dt.date(2023, 4, 27)},
        {"key": "teacher_messaging",
         "title": Title("Учителя, написавшие более 3 сообщений", "Teachers who wrote more than 3 messages"),
         "numerator": "teachers_active", "denominator": "teachers",
         "target": th.low_messaging, "low": th.low_messaging},
        {"key": "staff_registration",
         "title": Title("Сотрудники, зарегистрированные на платформе", "Staff registered on the platform"),
         "numerator": "teachers", "denominator": "staff_total",
         "target": 1.0, "deadline": _dt.date(2023, 5, 19), "low": th.registration_full},
    ]


def _title(w: _Where, t: dict, key: str) -> Title | None:
    if key not in t:
        return None
    v = t[key]
    path = key_path(t, key)
    if isinstance(v, str) and v.strip():
        return Title(v.strip(), v.strip())
    if not isinstance(v, dict):
        w.expected(path, 'таблица { ru = "...", en = "..." } или строка',
                   'a table { ru = "...", en = "..." } or a string', v)
    _check_keys(w, v, path, LANGUAGES)
    sub = _Tbl(v, path)
    ru = _str(w, sub, "ru", None, nonempty=True)
    en = _str(w, sub, "en", None, nonempty=True)
    if not ru and not en:
        w.fail(path, 'нужен хотя бы один из ключей ru, en', 'expected at least one of ru, en')
    return Title(ru or en, en or ru)  # type: ignore[arg-type]


def _indicators(w: _Where, data: dict, th: Thresholds, act: ActivityRule) -> tuple[Indicator, ...]:
    raw = data.get("indicators", [])
    if not isinstance(raw, list) or not all(isinstance(x, dict) for x in raw):
        w.expected("indicators", "список таблиц [[indicators]]", "a list of [[indicators]] tables", raw)
    specs = _default_indicator_specs(th, act)
    by_key = {s["key"]: s for s in specs}
    seen: set[str] = set()
    for n, entry in enumerate(raw, start=1):
        prefix = f"indicators[{n}]"
        _check_keys(w, entry, prefix, _INDICATOR_KEYS)
        t = _Tbl(entry, prefix)
        key = _str(w, t, "key", None)
        if key is None:
            w.fail(_key(prefix, "key"), "не задан (нужен идентификатор, например staff_weekly)",
                   "missing (expected an id such as staff_weekly)")
        if not _KEY_RE.match(key):
            w.expected(_key(prefix, "key"), "идентификатор из строчных латинских букв, цифр и _",
                       "a snake_case id (lowercase latin letters, digits, _)", entry["key"])
        if key in seen:
            w.fail(_key(prefix, "key"), "индикатор {k} уже описан выше", "indicator {k} is defined twice",
                   k=json.dumps(key))
        seen.add(key)
        base = by_key.get(key)
        spec: dict[str, Any] = dict(base) if base else {"key": key}
        title = _title(w, t, "title")
        if title is not None:
            spec["title"] = title
        has_rule = "rule" in entry
        has_ratio = "numerator" in entry or "denominator" in entry
        if has_rule and has_ratio:
            w.fail(_key(prefix, "rule"), "задайте либо rule, либо numerator и denominator, не оба",
                   "give either rule or numerator + denominator, not both")
        if has_rule:
            text = _str(w, t, "rule", None)
            try:
                rule = parse_rule(text or "")
            except RuleError as err:
                w.fail(_key(prefix, "rule"), "{e}", "{e}", e=str(err))
            spec.update(rule=rule.text, numerator=None, denominator=None, low=None)
        if has_ratio:
            for part in ("numerator", "denominator"):
                if part not in entry:
                    w.fail(_key(prefix, part), "не задан (numerator и denominator задаются вместе)",
                           "missing (numerator and denominator go together)")
                v = entry[part]
                if v not in RATIO_FIELDS:
                    w.expected(_key(prefix, part), "поле-счётчик ({ok})".format(ok=", ".join(RATIO_FIELDS)),
                               "a count field ({ok})".format(ok=", ".join(RATIO_FIELDS)), v)
                spec[part] = v
            spec["rule"] = None
        if "rule" not in spec and "numerator" not in spec:
            w.fail(prefix, "нужно rule или numerator и denominator",
                   "expected a rule or numerator + denominator")
        target = _share(w, t, "target", None)
        if target is not None:
            spec["target"] = target
        elif "target" not in spec:
            w.fail(_key(prefix, "target"), "не задан (ожидается процент, например 100)",
                   "missing (expected a percent, e.g. 100)")
        if "deadline" in entry:
            spec["deadline"] = _date(w, t, "deadline")
        spec["direction"] = _choice(w, t, "direction", spec.get("direction", "up"), DIRECTIONS)
        if "low" in entry:
            if spec.get("rule") is not None:
                w.fail(_key(prefix, "low"), "порог low бывает только у показателей numerator/denominator",
                       "low applies only to numerator/denominator indicators")
            spec["low"] = _share(w, t, "low", None)
        spec["enabled"] = _bool(w, t, "enabled", spec.get("enabled", True))
        spec.setdefault("title", Title(key, key))
        if base:
            by_key[key] = spec
        else:
            specs.append(spec)
            by_key[key] = spec
    ordered = [by_key[s["key"]] for s in specs]
    out = []
    for s in ordered:
        compiled = parse_rule(s["rule"]) if s.get("rule") else None
        out.append(Indicator(
            key=s["key"], title=s["title"], target=float(s["target"]), rule=s.get("rule"),
            numerator=s.get("numerator"), denominator=s.get("denominator"),
            deadline=s.get("deadline"), direction=s.get("direction", "up"), low=s.get("low"),
            enabled=s.get("enabled", True), compiled=compiled))
    return tuple(out)


def _derivations_for(cfg_or_parts) -> _Derivations:
    if isinstance(cfg_or_parts, Config):
        act, inds = cfg_or_parts.activity_rule, cfg_or_parts.all_indicators
    else:
        act, inds = cfg_or_parts
    pairs = {i.key: (str(i.numerator), str(i.denominator)) for i in inds if i.is_ratio}
    return _Derivations(
        activity=parse_rule(act.expression),
        messaging=pairs.get("teacher_messaging", ("teachers_active", "teachers")),
        registration=pairs.get("staff_registration", ("teachers", "staff_total")),
    )


def _sources(w: _Where, data: dict, fetch: FetchConfig, base_dir: Path | None) -> tuple[Source, ...]:
    raw = data.get("sources", [])
    if not isinstance(raw, list) or not all(isinstance(x, dict) for x in raw):
        w.expected("sources", "список таблиц [[sources]]", "a list of [[sources]] tables", raw)
    out: list[Source] = []
    names: set[str] = set()
    for n, entry in enumerate(raw, start=1):
        prefix = f"sources[{n}]"
        _check_keys(w, entry, prefix, _SOURCE_KEYS)
        t = _Tbl(entry, prefix)
        name = _str(w, t, "name", f"source-{n}", nonempty=True) or f"source-{n}"
        if name in names:
            w.fail(_key(prefix, "name"), "источник {s} уже описан выше", "source {s} is defined twice",
                   s=json.dumps(name, ensure_ascii=False))
        names.add(name)
        if "url" in entry and "path" in entry:
            w.fail(_key(prefix, "path"), "задайте либо url, либо path, не оба",
                   "give either url or path, not both")
        if "url" not in entry and "path" not in entry:
            w.fail(prefix, "нужен url (ссылка) или path (папка)", "expected url (a link) or path (a folder)")
        kind = entry.get("kind")
        if kind is not None and kind not in SOURCE_KINDS:
            w.expected(_key(prefix, "kind"), 'одно из: "cloud", "url", "folder"',
                       'one of "cloud", "url", "folder"', kind)
        url = path = None
        if "url" in entry:
            url = _url(w, _key(prefix, "url"), entry["url"], ("http", "https"))
            inferred = "cloud" if cloudmail.is_public_link(url, fetch.cloud_base) else "url"
            if kind is None:
                kind = inferred
            elif kind == "folder":
                w.fail(_key(prefix, "kind"), 'для kind = "folder" нужен path, а не url',
                       'kind = "folder" needs a path, not a url')
            elif kind == "cloud" and "/public/" not in urlsplit(url).path:
                w.expected(_key(prefix, "url"), "публичная ссылка облака (…/public/…)",
                           "a cloud public link (…/public/…)", url)
        else:
            p = entry["path"]
            if not isinstance(p, str) or not p.strip():
                w.expected(_key(prefix, "path"), "путь к папке (строка)", "a folder path (a string)", p)
            path = Path(p.strip()).expanduser()
            if not path.is_absolute() and base_dir is not None:
                path = base_dir / path
            if kind is None:
                kind = "folder"
            elif kind != "folder":
                w.fail(_key(prefix, "kind"), 'для kind = "{k}" нужен url, а не path',
                       'kind = "{k}" needs a url, not a path', k=kind)
        pattern = _str(w, t, "pattern", "*", nonempty=True) or "*"
        proxy = None
        if "proxy" in entry:
            proxy = _url(w, _key(prefix, "proxy"), entry["proxy"],
                         ("http", "https", "socks5", "socks5h", "socks4"))
        out.append(Source(name=name, kind=kind, url=url, path=path, pattern=pattern, proxy=proxy,
                          timeout=_number(w, t, "timeout", 60.0, minimum=TIMEOUT_RANGE[0],
                                          maximum=TIMEOUT_RANGE[1]),
                          enabled=_bool(w, t, "enabled", True)))
    return tuple(out)


def _string_table(w: _Where, data: dict, name: str) -> dict[str, str]:
    t = _table(w, data, name, None)
    for k, v in t.items():
        if not isinstance(v, str):
            w.expected(_key(name, k), "строка", "a string", v)
    return dict(t)


def _columns(w: _Where, raw: Any) -> tuple[str, ...]:
    """``[ui] columns``: a list of known column keys, each once (the name is implied first)."""
    if not isinstance(raw, list):
        w.expected("ui.columns", "список столбцов", "a list of columns", raw)
    known = ", ".join(TABLE_COLUMNS)
    seen: list[str] = []
    for n, key in enumerate(raw, start=1):
        if not isinstance(key, str) or key not in TABLE_COLUMNS:
            w.expected(f"ui.columns[{n}]", f"один из: {known}", f"one of: {known}", key)
        if key in seen:
            w.fail(f"ui.columns[{n}]", "столбец «{k}» указан дважды", "the column “{k}” is listed twice",
                   k=key)
        seen.append(key)
    if seen and seen[0] != "org_name":
        seen = ["org_name"] + [k for k in seen if k != "org_name"]
    return tuple(seen)


def _build(data: dict, w: _Where, path: Path | None, exists: bool = False) -> Config:
    _check_keys(w, data, "", _SECTIONS)

    ui_t = _Tbl(_table(w, data, "ui", ("language", "theme", "stock_themes", "columns",
                                       "remember")), "ui")
    ui = UIConfig(language=_choice(w, ui_t, "language", "ru", LANGUAGES),
                  theme=_str(w, ui_t, "theme", DEFAULT_THEME, nonempty=True) or DEFAULT_THEME,
                  stock_themes=_bool(w, ui_t, "stock_themes", False),
                  columns=_columns(w, ui_t.get("columns", [])),
                  remember=_bool(w, ui_t, "remember", True))

    sc_t = _Tbl(_table(w, data, "scope", ("region", "municipalities")), "scope")
    region = _str(w, sc_t, "region", "") or ""
    munis_raw = sc_t.get("municipalities", [])
    if isinstance(munis_raw, str):
        munis_raw = [munis_raw] if munis_raw.strip() else []
    if not isinstance(munis_raw, list):
        w.expected("scope.municipalities", "список строк или строка", "a list of strings or a string", munis_raw)
    munis = []
    for n, m in enumerate(munis_raw, start=1):
        if not isinstance(m, str) or not m.strip():
            w.expected(f"scope.municipalities[{n}]", "непустая строка", "a non-empty string", m)
        munis.append(m.strip())
    scope = Scope(region=region, municipalities=tuple(munis))

    th_t = _Tbl(_table(w, data, "thresholds", ("low_messaging", "registration_full")), "thresholds")
    th = Thresholds(low_messaging=_share(w, th_t, "low_messaging", 0.30) or 0.0,
                    registration_full=_share(w, th_t, "registration_full", 1.0) or 0.0)

    ar_t = _Tbl(_table(w, data, "activity_rule", ("users_more_than", "classes_at_least")), "activity_rule")
    act = ActivityRule(users_more_than=_int(w, ar_t, "users_more_than", 2, maximum=COUNT_MAX),
                       classes_at_least=_int(w, ar_t, "classes_at_least", 1, maximum=COUNT_MAX))

    indicators = _indicators(w, data, th, act)

    aliases = _string_table(w, data, "aliases")
    for header, target in aliases.items():
        if target and target not in ALL_FIELDS:
            w.expected(_key("aliases", header),
                       'каноническое поле ({ok}) или "" (пропустить столбец)'.format(ok=", ".join(ALL_FIELDS)),
                       'a canonical field ({ok}) or "" to ignore the column'.format(ok=", ".join(ALL_FIELDS)),
                       target)

    f_t = _Tbl(_table(w, data, "fetch", ("cloud_base", "auto_interval_minutes", "retries",
                                         "wait_max_tries", "wait_interval_minutes",
                                         "deadline_seconds", "min_kb_per_second")), "fetch")
    cloud_base = DEFAULT_CLOUD_BASE
    if "cloud_base" in f_t:
        cloud_base = _url(w, "fetch.cloud_base", f_t["cloud_base"], ("http", "https"))
    env_base = os.environ.get(ENV_CLOUD_BASE)
    if env_base:
        cloud_base = _url(_Where(ENV_CLOUD_BASE), "", env_base, ("http", "https"))
    fetch = FetchConfig(
        cloud_base=cloud_base.rstrip("/"),
        auto_interval_minutes=_number(w, f_t, "auto_interval_minutes", 0.0,
                                      maximum=WAIT_INTERVAL_MAX_MINUTES),
        retries=_int(w, f_t, "retries", 4, minimum=RETRIES_RANGE[0], maximum=RETRIES_RANGE[1]),
        wait_max_tries=_int(w, f_t, "wait_max_tries", 16, minimum=WAIT_TRIES_RANGE[0],
                            maximum=WAIT_TRIES_RANGE[1]),
        wait_interval_minutes=_number(w, f_t, "wait_interval_minutes", 15.0, positive=True,
                                      maximum=WAIT_INTERVAL_MAX_MINUTES),
        deadline_seconds=_number(w, f_t, "deadline_seconds", 1800.0, minimum=DEADLINE_RANGE[0],
                                 maximum=DEADLINE_RANGE[1]),
        min_kb_per_second=_number(w, f_t, "min_kb_per_second", 1.0, maximum=MIN_RATE_MAX_KB),
    )

    base_dir = path.parent if path is not None else None
    sources = _sources(w, data, fetch, base_dir)

    keys = _string_table(w, data, "keys")
    for k, v in keys.items():
        if not v.strip():
            w.expected(_key("keys", k), "клавиша, например \"f5\" или \"ctrl+r\"",
                       'a key such as "f5" or "ctrl+r"', v)

    limits = _limits(w, data)

    st_t = _Tbl(_table(w, data, "store", ("url",)), "store")
    store = StoreConfig(url=(_str(w, st_t, "url", "") or "").strip())

    derive = _derivations_for((act, indicators))
    indicators = tuple(replace(i, derivations=derive) for i in indicators)
    return Config(ui=ui, scope=scope, thresholds=th, activity_rule=act, all_indicators=indicators,
                  aliases=aliases, sources=sources, fetch=fetch, keys=keys, limits=limits,
                  store=store, path=path, exists=exists, files=(path,) if exists and path else ())


# [limits]: key → (Limits field, unit in bytes or 1, lowest, highest, whole numbers only)
_LIMIT_KEYS: dict[str, tuple[str, int, float, float, bool]] = {
    "max_file_mb": ("max_file_bytes", MB, 1, 4096, True),
    "max_unzipped_mb": ("max_unzipped_bytes", MB, 1, 4096, True),
    "max_zip_ratio": ("max_zip_ratio", 1, 10, 10_000, False),
    "max_sheet_cells": ("max_sheet_cells", 1, 1000, 100_000_000, True),
    "max_csv_line_kb": ("max_csv_line", 1024, 1, 65_536, True),
    "max_csv_field": ("max_csv_field", 1, 100, 16_777_216, True),
    "max_rows": ("max_rows", 1, 1000, 10_000_000, True),
}


def _limits(w: _Where, data: dict) -> Limits:
    """The ``[limits]`` table: input bounds checked before a file is parsed (see ingest/limits.py)."""
    t = _Tbl(_table(w, data, "limits", tuple(_LIMIT_KEYS)), "limits")
    values: dict[str, Any] = {}
    for key, (name, unit, lo, hi, whole) in _LIMIT_KEYS.items():
        if key not in t:
            continue
        v = t[key]
        ok = not isinstance(v, bool) and isinstance(v, (int, float)) and math.isfinite(v) and lo <= v <= hi
        if ok and whole and not isinstance(v, int):
            ok = False
        if not ok:
            kind = ("целое число от {lo} до {hi}", "a whole number from {lo} to {hi}") if whole else \
                ("число от {lo} до {hi}", "a number from {lo} to {hi}")
            w.expected(key_path(t, key), kind[0].format(lo=f"{lo:g}" if lo < 1e6 else int(lo), hi=int(hi)),
                       kind[1].format(lo=f"{lo:g}" if lo < 1e6 else int(lo), hi=int(hi)), v)
        values[name] = v * unit if whole else float(v)
    return replace(DEFAULT_LIMITS, **values)


def _limits_dict(limits: Limits) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, (name, unit, _lo, _hi, whole) in _LIMIT_KEYS.items():
        v = getattr(limits, name)
        out[key] = v // unit if whole and v % unit == 0 else v / unit
    return out


# --------------------------------------------------------------------------- loading

_TOML_POS = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_TOML_EOF = re.compile(r"\s*\(at end of document\)\s*$")


def loads_config(text: str, path: str | os.PathLike | None = None, *, exists: bool = True) -> Config:
    """Validate TOML text; ``path`` names the file in errors and anchors relative source paths."""
    shown = str(path) if path is not None else "<config>"
    w = _Where(shown)
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raw = str(getattr(err, "msg", None) or err).splitlines()[0] if str(err) else ""
        line = getattr(err, "lineno", None)
        col = getattr(err, "colno", None)
        m = _TOML_POS.search(raw)
        if m:
            line, col = int(m.group(1)), int(m.group(2))
            raw = raw[:m.start()]
        elif _TOML_EOF.search(raw):
            lines = text.splitlines() or [""]
            line, col = len(lines), len(lines[-1]) + 1
            raw = _TOML_EOF.sub("", raw)
        where = tr("строка {l}, столбец {c}", "line {l}, column {c}", l=line or "?", c=col or "?")
        if raw.strip() == "Invalid value" and line and col:
            bad = (text.splitlines() or [""])[line - 1][col - 1:col]
            if bad.isalpha():
                raw += tr(" (текст пишется в кавычках)", " (text values need quotes)")
        key = _key_at_line(text, line) if line else None
        if key:
            where += f" ({key})"
        raise ConfigError(_one_line(tr("{f}: {w}: ошибка синтаксиса TOML: {m}",
                                       "{f}: {w}: TOML syntax error: {m}",
                                       f=shown, w=where, m=raw))) from None
    return _build(data, w, Path(path) if path is not None else None, exists=exists)


_HEADER_RE = re.compile(r"^\s*(\[\[?)\s*([^\]#]+?)\s*\]\]?\s*(?:#.*)?$")
_ASSIGN_RE = re.compile(r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=""")


def _key_at_line(text: str, line: int) -> str | None:
    """Best effort: the dotted key assigned on ``line`` (1-based), for syntax errors in a value."""
    lines = text.splitlines()
    if not 1 <= line <= len(lines):
        return None
    table = ""
    counts: dict[str, int] = {}
    for raw in lines[:line - 1]:
        m = _HEADER_RE.match(raw)
        if m:
            name = m.group(2).strip()
            if m.group(1) == "[[":
                counts[name] = counts.get(name, 0) + 1
                table = f"{name}[{counts[name]}]"
            else:
                table = name
    m = _ASSIGN_RE.match(lines[line - 1])
    if not m:
        return None
    key = m.group(1).replace(" ", "")
    return f"{table}.{key}" if table else key


def system_config_path() -> Path | None:
    """The system-wide config file that exists: ``SFERUM_TUI_SYSTEM_CONFIG`` (set to an empty
    value: none), else ``/etc/sferum-tui/config.toml``, else ``config.toml`` in the platformdirs
    site config folder (``/etc/xdg/sferum-tui`` on Linux, ``C:\\ProgramData\\sferum-tui`` on
    Windows).  A file the variable names that does not exist means none (like the user's file)."""
    env = os.environ.get(ENV_SYSTEM_CONFIG)
    if env is not None:
        return Path(env).expanduser().absolute() if env.strip() else None
    import platformdirs

    site = Path(platformdirs.site_config_dir(APP_DIR, appauthor=False)) / "config.toml"
    for candidate in (SYSTEM_CONFIG_FILE, site):
        try:
            if candidate.is_file():
                return candidate
        except OSError:
            continue
    return None


APP_DIR = "sferum-tui"
_KEYED_LISTS = {"indicators": "key", "sources": "name"}


def merge_config_data(system: dict, user: dict) -> dict:
    """The user's TOML data laid over the system's: tables merge key by key, a value replaces
    (lists of strings too), ``[[indicators]]``/``[[sources]]`` merge by ``key``/``name``."""
    out = dict(system)
    for key, value in user.items():
        old = out.get(key)
        if key in _KEYED_LISTS and isinstance(old, list) and isinstance(value, list):
            ident = _KEYED_LISTS[key]
            mine = {e.get(ident) for e in value if isinstance(e, dict) and e.get(ident) is not None}
            out[key] = [e for e in old if not (isinstance(e, dict) and e.get(ident) in mine)] + value
        elif isinstance(old, dict) and isinstance(value, dict):
            out[key] = merge_config_data(old, value)
        else:
            out[key] = value
    return out


def _read_data(p: Path, w: _Where) -> tuple[dict, str] | None:
    """The TOML data of ``p`` (checked alone), or None when it does not exist."""
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        w.fail("", "это папка, а не файл настроек", "this is a folder, not a config file")
    except OSError as err:
        w.fail("", "не удалось прочитать файл: {e}", "cannot read the file: {e}", e=err.strerror or err)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[:err.start].count(b"\n") + 1
        w.fail("", "строка {l}: файл не в кодировке UTF-8 (сохраните его как UTF-8)",
               "line {l}: the file is not UTF-8 text (save it as UTF-8)", l=line)
    loads_config(text, p, exists=True)       # every error names this file
    if text.startswith("\ufeff"):
        text = text[1:]
    return tomllib.loads(text), text


def _anchor_sources(data: dict, base: Path) -> dict:
    """The system file's relative source folders, made absolute from its own folder (the
    merged data is read as if it were the user's file)."""
    out = dict(data)
    if isinstance(data.get("sources"), list):
        out["sources"] = [dict(e, path=os.path.normpath(base / e["path"]))
                          if isinstance(e, dict) and isinstance(e.get("path"), str)
                          and e["path"].strip() and not Path(e["path"]).expanduser().is_absolute()
                          else e for e in data["sources"]]
    if isinstance(data.get("store"), dict) and isinstance(data["store"].get("url"), str):
        url = data["store"]["url"].strip()
        if url and "://" not in url and not url.lower().startswith("sqlite:") \
                and not Path(url).expanduser().is_absolute():
            out["store"] = dict(data["store"], url=os.path.normpath(base / url))
    return out


def load_config(path: str | os.PathLike | None, explicit: bool = False) -> Config:
    """Load and validate the config: the system-wide file (:func:`system_config_path`), then
    the user's ``path`` over it.  A missing user file gives the defaults (or the system's)
    unless ``explicit`` (the user named it with ``--config``), in which case it is an error."""
    if path is None:
        return Config.default()
    p = Path(path).expanduser()
    system = system_config_path()
    if system is not None and system != p.absolute():
        sw = _Where(str(system))
        got = _read_data(system, sw)
        if got is not None:
            return _load_over(p, explicit, system, _anchor_sources(got[0], system.parent))
    return _load_user(p, explicit)


def _load_over(p: Path, explicit: bool, system: Path, sys_data: dict) -> Config:
    w = _Where(str(p))
    got = _read_data(p, w)
    if got is None:
        if explicit:
            w.fail("", "файл настроек не найден (создайте его: sferum-tui config init)",
                   "config file not found (create it with: sferum-tui config init)")
        cfg = _build(sys_data, _Where(str(system)), p, exists=False)
        return replace(cfg, files=(system,))
    cfg = _build(merge_config_data(sys_data, got[0]), w, p, exists=True)
    return replace(cfg, files=(system, p))


def _load_user(p: Path, explicit: bool) -> Config:
    w = _Where(str(p))
    got = _read_data(p, w)        # read and checked once: loads_config(text) is the check
    if got is None:
        if explicit:
            w.fail("", "файл настроек не найден (создайте его: sferum-tui config init)",
                   "config file not found (create it with: sferum-tui config init)")
        return _build({}, w, p, exists=False)
    return loads_config(got[1], p, exists=True)


# --------------------------------------------------------------------------- the default file

def default_config_text() -> str:
    """The commented file ``sferum-tui config init`` writes; it loads to exactly the defaults."""
    return _DEFAULT_TEXT


_DEFAULT_TEXT = '''\
# sferum-tui — файл настроек / configuration file (TOML).
#
# Значения ниже — это значения по умолчанию; удалённая строка означает то же самое.
# The values below are the defaults; a line you delete means the same.
# Проверка строгая: неизвестный ключ или неверный тип — ошибка с именем ключа.
# Validation is strict: an unknown key or a wrong type is an error that names the key.
# Пороги и цели — в процентах, как в командной строке и в консоли: 30, "30%", 27.5, "27,5".
# Число от 0 до 1 без знака % неоднозначно и не принимается (пишите 30 для 30%, "0,5%" для 0,5%).
# Thresholds and targets are percents, as on the command line and in the console: 30, "30%",
# 27.5, "27,5". A bare number above 0 and up to 1 is ambiguous and refused (30 for 30%, "0.5%").

[ui]
# Язык интерфейса: "ru" или "en" (флаг --lang важнее). Interface language (--lang wins).
language = "ru"
# Тема консоли (неизвестное имя — консоль вернётся к теме по умолчанию).
# Console theme (an unknown name falls back to the default, with a notice).
theme = "sferum-dark"
# Показывать в палитре (ctrl+p) и стандартные темы Textual (их около 20), не только свои.
# List Textual's ~20 stock themes in the palette (ctrl+p) too, not only ours.
stock_themes = false
# Столбцы таблицы школ по порядку; пусто — все. Наименование всегда первое. Выбор в консоли
# (клавиша h) хранится в ui-state.json рядом с этим файлом и важнее этой строки.
# The schools table's columns in order; empty means all. The name always comes first. The
# choice made in the console (key h) is kept in ui-state.json next to this file and wins.
# columns = ["org_name", "state", "messaging_share", "reasons_text"]
columns = []
# Запоминать неделю, сортировку и фильтры между сеансами (в ui-state.json).
# Remember the week, the sort and the filters between sessions (in ui-state.json).
remember = true

[scope]
# За какую территорию вы отвечаете; пусто — всё, что есть в хранилище.
# The area you answer for; empty means everything in the store.
region = ""
# Муниципалитеты: список или одна строка. Municipalities: a list or one string.
municipalities = []
# municipalities = ["Сергокалинский район"]

[thresholds]
# «Мало пишут»: доля учителей, написавших более 3 сообщений, ниже этого порога.
# "Low messaging": share of teachers who wrote more than 3 messages below this.
low_messaging = 30
# Школа зарегистрирована полностью, когда доля зарегистрированных сотрудников не ниже этого.
# A school is fully registered when its registered-staff share reaches this.
registration_full = 100

[activity_rule]
# Профиль ОО активен, если с ним связаны более двух пользователей и создан хотя бы один класс
# (письмо № 450 от 26.04.2023). A profile is active with more than 2 users and at least 1 class.
users_more_than = 2
classes_at_least = 1

[store]
# Хранилище: папка, sqlite:ПУТЬ; пусто — папка данных. Флаг --store и SFERUM_TUI_STORE важнее.
# На общем сервере его задают в /etc/sferum-tui/config.toml (см. README, «Общий сервер»).
# The store: a folder or sqlite:PATH; empty means the data folder (--store and SFERUM_TUI_STORE
# win). On a shared server it is set in /etc/sferum-tui/config.toml.
url = ""

[fetch]
# Адрес облака (переменная SFERUM_TUI_CLOUD_BASE важнее). Cloud base URL (the env variable wins).
cloud_base = "https://cloud.mail.ru"
# Автозагрузка в консоли каждые N минут (0–1440); 0 — выключена. Auto-fetch in the console; 0 = off.
auto_interval_minutes = 0
# Повторы при сбоях сети (0–20). Retries on network failures (0–20).
retries = 4
# fetch --wait: сколько раз проверять (1–100) и с каким интервалом (минуты, до 1440).
# Tries (1–100) and the first interval (minutes, above 0, at most 1440).
wait_max_tries = 16
wait_interval_minutes = 15
# Предельное время загрузки одного файла целиком, секунд (1–86400).
# A file's whole download must end within this many seconds (1–86400).
deadline_seconds = 1800
# Минимальная средняя скорость, КБ/с (0 — не проверять); медленнее — загрузка прерывается.
# Minimum average download rate, KB/s (0 = no check); slower downloads are given up.
min_kb_per_second = 1

# Источники данных. Data sources: a cloud.mail.ru public link, a plain URL or a local folder.
# [[sources]]
# name = "minobr"
# url = "https://cloud.mail.ru/public/GPXK/fMnpzcuWR"   # kind = "cloud" (определяется сам / inferred)
# pattern = "*.xlsx"
# proxy = "http://proxy.example:3128"
# timeout = 60            # секунд / seconds, 1–3600
# enabled = true
#
# [[sources]]
# name = "inbox"
# path = "~/Загрузки/sferum"                             # kind = "folder"
# pattern = "*.xls*"

# Показатели — это данные. Indicators are data. По умолчанию / the defaults (letter No. 450):
#   active_profiles    rule "users_total > 2 and classes >= 1" (из [activity_rule]), target 100,
#                      deadline 2023-04-27
#   teacher_messaging  teachers_active / teachers, target и low = thresholds.low_messaging
#   staff_registration teachers / staff_total, target 100, low = thresholds.registration_full,
#                      deadline 2023-05-19
# Таблица с тем же key меняет только указанные ключи; enabled = false скрывает показатель.
# A table with the same key changes only the keys it gives; enabled = false hides one.
# Поля / fields: users_total, staff_total, teachers, students, parents, classes, chats,
# teachers_active, teachers_active_share, и производные / and derived: active_by_rule,
# messaging_share, registration_share. Правило / rule: сравнения, and, or, not, скобки.
#
# [[indicators]]
# key = "staff_registration"
# deadline = 2023-06-01
#
# [[indicators]]
# key = "staff_weekly_active"
# title = { ru = "Сотрудники, активные за неделю", en = "Staff active weekly" }
# numerator = "teachers_active"
# denominator = "staff_total"
# target = 75
# deadline = 2025-09-01
# direction = "up"        # "up" — больше лучше / higher is better; "down" — меньше лучше
# low = 50                # порог для отдельной школы / per-school threshold
#
# [[indicators]]
# key = "has_chats"
# title = { ru = "Есть чаты", en = "Has chats" }
# rule = "chats >= 1 and active_by_rule"
# target = 100

[aliases]
# Дополнительные названия столбцов: "заголовок" = "каноническое поле" ("" — пропустить столбец).
# Extra header aliases: "header" = "canonical field" ("" ignores the column).
# "Наименование учреждения" = "org_name"
# "Примечание" = ""

[keys]
# Переназначение клавиш консоли: id действия = клавиша. Console key remapping: binding id = key.
# fetch = "f5"

[limits]
# Пределы для входных файлов: проверяются до разбора, файл сверх предела отклоняется одной строкой.
# Input file limits, checked before a file is parsed; a file over one is refused in one line.
# Наибольший файл (МБ). Largest input file (MB).
max_file_mb = 200
# xlsx/ods: наибольший размер одной части архива после распаковки (МБ) и степень сжатия.
# xlsx/ods: largest unpacked size of one part of the zip (MB), and its compression ratio.
max_unzipped_mb = 512
max_zip_ratio = 200
# Наибольшая площадь листов (строки × столбцы, всех листов вместе; для .ods — 2/5 её).
# Largest sheet area (all sheets; 2/5 of it for an .ods).
max_sheet_cells = 10000000
# CSV: самая длинная строка (КБ) и самое длинное поле (символов). Longest line (KB) and field (chars).
max_csv_line_kb = 1024
max_csv_field = 65536
# Наибольшее число строк в файле (национальный файл — около 45 000).
# Most rows a file may hold (a national file has about 45,000).
max_rows = 200000
'''
